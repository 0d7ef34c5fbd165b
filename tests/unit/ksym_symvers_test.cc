// lib/ksym: Module.symvers in its layouts (with and without the namespace column,
// the 5.4-5.6 order), lookups, malformed lines and duplicate exports.
#include "ksym/symvers.h"
#include "test_util.h"

using namespace klp;
using namespace klp::ksym;
using klp::test::TempDir;

TEST(KsymSymvers, CurrentLayoutWithNamespace)
{
	auto sv = Symvers::parse("0x1a2b3c4d\tvfs_read\tvmlinux\tEXPORT_SYMBOL\t\n"
				 "0x00000000\tusb_stor_probe1\tdrivers/usb/storage/usb-storage"
				 "\tEXPORT_SYMBOL_GPL\tUSB_STORAGE\n",
				 "Module.symvers");
	ASSERT_TRUE(sv) << sv.error().message();
	ASSERT_EQ(sv->exports().size(), 2u);
	const Export *vr = sv->find("vfs_read");
	ASSERT_NE(vr, nullptr);
	EXPECT_TRUE(vr->is_vmlinux());
	EXPECT_EQ(vr->type, ExportType::symbol);
	EXPECT_EQ(vr->ns, "");
	EXPECT_EQ(vr->crc, 0x1a2b3c4du);
	const Export *us = sv->find("usb_stor_probe1");
	ASSERT_NE(us, nullptr);
	EXPECT_EQ(us->module, "drivers/usb/storage/usb-storage");
	EXPECT_EQ(us->objname, "usb_storage");
	EXPECT_FALSE(us->is_vmlinux());
	EXPECT_EQ(us->type, ExportType::gpl);
	EXPECT_EQ(us->ns, "USB_STORAGE");
	EXPECT_EQ(us->line, 2u);
	EXPECT_STREQ(export_type_name(us->type), "EXPORT_SYMBOL_GPL");
	EXPECT_EQ(sv->find("nope"), nullptr);
}

TEST(KsymSymvers, OlderLayouts)
{
	// Before 5.4: no namespace column.
	auto old = Symvers::parse("0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\n"
				  "0x9abcdef0\tfoo_fn\tdrivers/foo/foo\tEXPORT_SYMBOL_GPL\n",
				  "Module.symvers");
	ASSERT_TRUE(old) << old.error().message();
	EXPECT_EQ(old->find("foo_fn")->objname, "foo");
	EXPECT_EQ(old->find("foo_fn")->ns, "");
	// 5.4 - 5.6: namespace third.
	auto mid = Symvers::parse("0x12345678\tusb_stor_probe1\tUSB_STORAGE\t"
				  "drivers/usb/storage/usb-storage\tEXPORT_SYMBOL_GPL\n"
				  "0x12345679\tprintk\t\tvmlinux\tEXPORT_SYMBOL\n",
				  "Module.symvers");
	ASSERT_TRUE(mid) << mid.error().message();
	EXPECT_EQ(mid->find("usb_stor_probe1")->ns, "USB_STORAGE");
	EXPECT_EQ(mid->find("usb_stor_probe1")->objname, "usb_storage");
	EXPECT_TRUE(mid->find("printk")->is_vmlinux());
}

TEST(KsymSymvers, MalformedLinesNameFileAndLine)
{
	const char *bad[] = {
		"1a2b3c4d\tfoo\tvmlinux\tEXPORT_SYMBOL\t",	  // no 0x
		"0x1a2b3c4g\tfoo\tvmlinux\tEXPORT_SYMBOL\t",	  // not hex
		"0x1a2b3c4d\tfoo\tvmlinux\tEXPORT_SYMBOL_BOGUS\t", // unknown export type
		"0x1a2b3c4d\tfoo\tvmlinux",			  // too few fields
		"0x1a2b3c4d\t\tvmlinux\tEXPORT_SYMBOL\t",	  // no symbol
		"0x1a2b3c4d foo vmlinux EXPORT_SYMBOL",		  // spaces, not tabs
		"0x1a2b3c4d\tfoo\tvmlinux\tEXPORT_SYMBOL\t\textra", // too many fields
		"0x1a2b3c4d0\tfoo\tvmlinux\tEXPORT_SYMBOL\t",	  // CRC wider than 32 bits
	};
	for (const char *line : bad) {
		auto sv = Symvers::parse(std::string("0x00000000\tok\tvmlinux\tEXPORT_SYMBOL\t\n\n") +
						 line + "\n",
					 "Module.symvers");
		ASSERT_FALSE(sv) << line;
		EXPECT_EQ(sv.error().message().rfind("Module.symvers:3: malformed line", 0), 0u)
			<< sv.error().message();
	}
}

TEST(KsymSymvers, DuplicateExportRefused)
{
	auto sv = Symvers::parse("0x00000000\tfoo\tvmlinux\tEXPORT_SYMBOL\t\n"
				 "0x00000000\tfoo\tdrivers/x/x\tEXPORT_SYMBOL\t\n",
				 "Module.symvers");
	ASSERT_FALSE(sv);
	EXPECT_EQ(sv.error().message(), "Module.symvers:2: foo is exported twice (also at line 1)");
}

TEST(KsymSymvers, LoadFromFile)
{
	TempDir dir;
	klp::test::write_file(dir.file("Module.symvers"),
			      "0x1a2b3c4d\tvfs_read\tvmlinux\tEXPORT_SYMBOL\t\n");
	auto sv = Symvers::load(dir.file("Module.symvers"));
	ASSERT_TRUE(sv) << sv.error().message();
	EXPECT_NE(sv->find("vfs_read"), nullptr);
	auto missing = Symvers::load(dir.file("nope"));
	ASSERT_FALSE(missing);
	EXPECT_NE(missing.error().message().find(dir.file("nope")), std::string::npos);
}
