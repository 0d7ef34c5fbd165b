// create-diff-object adopt_kpatch_markers (prepare.cc): an object compiled with
// kpatch's own kpatch-macros.h, by another pipeline, carries its callbacks and
// ignore markers in .kpatch.* sections. They are read as klpkit's: the callbacks
// reach the output as .klpkit.callbacks.* with objname filled, the ignore markers
// work, and KPATCH_FORCE_UNSAFE is refused. The macros below emit what kpatch's do
// (the same 16-byte {fn, objname} record, a pointer per marker), written for this
// test.
#include "cdo_test_util.h"

using namespace klp;
using namespace klp::test;

namespace {

const char *kpatch_macros = R"(
struct klp_object;
struct kp_callback { void *fn; char *objname; };
#define KP_CALLBACK(kind, fn) \
	static struct kp_callback kp_##kind##_data \
	__attribute__((used, section(".kpatch.callbacks." #kind))) = { (void *)(fn), 0 };
#define KP_IGNORE_FUNCTION(fn) \
	void *__kp_ignore_func_##fn __attribute__((section(".kpatch.ignore.functions"))) = (void *)(fn);
#define KP_IGNORE_SECTION(name) \
	char *__kp_ignore_sec_##__LINE__ __attribute__((section(".kpatch.ignore.sections"))) = name;
#define KP_FORCE_UNSAFE(fn) \
	void *__kp_force_func_##fn __attribute__((section(".kpatch.force"))) = (void *)(fn);
)";

const char *body = R"(
struct dcache { unsigned int nr; unsigned long buckets[64]; };
struct dcache global_dcache;
void dcache_flush(struct dcache *c)
{
	for (unsigned int i = 0; i < c->nr; i++)
		c->buckets[i] = FILL;
}
int boot_only(int x) { return x + FILL; }
__attribute__((section(".text.boot_path"))) int boot_path(int x) { return x * (FILL + 3); }
)";

std::string side(int fill, const std::string &extra = "")
{
	return "#define FILL " + std::to_string(fill) + "\n" + kpatch_macros + body + extra;
}

const elf::Section *find(const elf::Object &obj, std::string_view name)
{
	for (const auto &sec : obj.sections)
		if (!sec->removed && sec->name == name)
			return sec.get();
	return nullptr;
}

} // namespace

TEST(CdoKpatchMarkers, SectionsTakeKlpkitsNames)
{
	auto run = run_cdo({side(0), side(1, R"(
static int before(struct klp_object *obj) { dcache_flush(&global_dcache); return 0; }
static void after(struct klp_object *obj) { dcache_flush(&global_dcache); }
KP_CALLBACK(pre_patch, before)
KP_CALLBACK(post_unpatch, after)
KP_IGNORE_FUNCTION(boot_only)
KP_IGNORE_SECTION(".text.boot_path")
)")},
			   Through::Rebase);
	ASSERT_TRUE(run);
	const elf::Object &p = run->patched();
	for (const char *kind : {"pre_patch", "post_unpatch"}) {
		std::string ours = std::string(".klpkit.callbacks.") + kind;
		const elf::Section *sec = p.find_section(ours);
		ASSERT_TRUE(sec) << ours;
		ASSERT_TRUE(sec->rela) << ours;
		EXPECT_EQ(sec->rela->name, ".rela" + ours);
		EXPECT_EQ(sec, find(p, ours)) << "the name index follows the rename";
		EXPECT_FALSE(find(p, std::string(".kpatch.callbacks.") + kind));
	}
	EXPECT_FALSE(find(p, ".kpatch.ignore.functions"));
	EXPECT_TRUE(p.find_section(".klpkit.ignore.functions"));
	EXPECT_TRUE(run->ctx.ignored_functions.count(run->psym("boot_only")));
	EXPECT_TRUE(run->ctx.ignored_sections.count(".text.boot_path"));
	EXPECT_TRUE(run->ctx.decisions.refusals.empty());
}

TEST(CdoKpatchMarkers, CallbacksReachTheOutputWithTheirObject)
{
	CdoCase c{side(0), side(1, R"(
static int before(struct klp_object *obj) { dcache_flush(&global_dcache); return 0; }
KP_CALLBACK(pre_patch, before)
KP_IGNORE_FUNCTION(boot_only)
KP_IGNORE_SECTION(".text.boot_path")
)")};
	c.parent = "dcache_mod";
	auto run = run_cdo(c, Through::Output);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "boot_only").status, cdo::Status::Ignored);
	EXPECT_EQ(fn(*run, "boot_path").status, cdo::Status::Ignored);
	EXPECT_EQ(fn(*run, "dcache_flush").status, cdo::Status::Changed);
	EXPECT_EQ(fn(*run, "before").status, cdo::Status::New);

	auto out = elf::Object::read(run->out_path());
	ASSERT_TRUE(out) << out.error().message();
	for (const auto &sec : (*out)->sections)
		EXPECT_NE(sec->name.rfind(".kpatch.", 0), 0u) << sec->name << " in the output";
	EXPECT_FALSE((*out)->find_section(".klpkit.ignore.functions"));
	const elf::Section *cb = (*out)->find_section(".klpkit.callbacks.pre_patch");
	ASSERT_TRUE(cb);
	ASSERT_EQ(cb->size(), 16u);
	ASSERT_TRUE(cb->rela);
	const elf::Section *strings = (*out)->find_section(".klpkit.strings");
	ASSERT_TRUE(strings);
	std::string fn, objname;
	for (const elf::Relocation &r : cb->rela->relocs) {
		ASSERT_TRUE(r.sym);
		if (r.offset == 0)
			fn = r.sym->name;
		if (r.offset == 8 && r.sym->sec == strings)
			objname = reinterpret_cast<const char *>(strings->data.data()) + r.addend +
				  int64_t(r.sym->value);
	}
	EXPECT_EQ(fn, "before");
	EXPECT_EQ(objname, "dcache_mod");
}

TEST(CdoKpatchMarkers, BothHeadersIgnoreMarkersCount)
{
	// klp-macros.h's and kpatch-macros.h's markers in one file: two sections of the
	// same name once renamed, both read.
	auto run = run_cdo({side(0), side(1, R"(
static void *__klpkit_ignore_func_dcache_flush
	__attribute__((used, section(".klpkit.ignore.functions"))) = (void *)dcache_flush;
KP_IGNORE_FUNCTION(boot_only)
)")},
			   Through::Compare);
	ASSERT_TRUE(run);
	EXPECT_EQ(fn(*run, "boot_only").status, cdo::Status::Ignored);
	EXPECT_EQ(fn(*run, "dcache_flush").status, cdo::Status::Ignored);
	EXPECT_EQ(fn(*run, "boot_path").status, cdo::Status::Changed);
}

TEST(CdoKpatchMarkers, ForceUnsafeIsRefused)
{
	auto run = run_cdo({side(0), side(1, "KP_FORCE_UNSAFE(dcache_flush)\n")}, Through::Rebase);
	ASSERT_TRUE(run);
	const auto &refusals = run->ctx.decisions.refusals;
	ASSERT_EQ(refusals.size(), 1u);
	EXPECT_EQ(refusals[0].kind, "unsupported");
	EXPECT_EQ(refusals[0].symbol, "dcache_flush");
	EXPECT_NE(refusals[0].reason.find("KPATCH_FORCE_UNSAFE(dcache_flush)"), std::string::npos)
		<< refusals[0].reason;
}

TEST(CdoKpatchMarkers, IgnoredFunctionTakesItsColdPart)
{
	// A print on a branch gcc cannot predict (KPATCH_PRINTK's) goes to
	// `report_stop.cold`; ignoring report_stop ignores that part too, rather than
	// copying it as a new function nothing calls.
	const char *tmpl = R"(
extern int printk(const char *fmt, ...) __attribute__((cold));
extern void unlock(void);
void report_stop(void)
{
	unlock();
#ifdef PRINT
	{
		int on = 1;
		__asm__ volatile("" : "+r"(on));
		if (on)
			printk("stopped %d\n", on);
	}
#endif
}
int report_fixed(int x) { return x * FILL; }
)";
	auto run = run_cdo({side(0, tmpl), side(1, std::string("#define PRINT\n") + tmpl +
					       "KP_IGNORE_FUNCTION(report_stop)\n")},
			   Through::Include);
	ASSERT_TRUE(run);
	ASSERT_TRUE(run->psym("report_stop.cold")) << "gcc did not split a .cold part";
	EXPECT_EQ(fn(*run, "report_stop").status, cdo::Status::Ignored);
	EXPECT_EQ(fn(*run, "report_stop.cold").status, cdo::Status::Ignored);
	EXPECT_FALSE(run->ctx.is_included(run->psym("report_stop.cold")->sec));
	EXPECT_EQ(fn(*run, "report_fixed").status, cdo::Status::Changed);
}
