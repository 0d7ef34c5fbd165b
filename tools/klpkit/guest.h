// What proof boots and symbol dumps share: reading the host's files, the kernel
// image a release names, the base of every guest (busybox with its applets, device
// nodes, this static klpkit as /klp/klpkit) and a scratch directory. It writes no
// /init: each use has its own.
#pragma once

#include "elf/error.h"
#include "initramfs.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace klp::klpkit {

// Whether an ELF executable has no program interpreter (it runs where there is no
// C library).
Expected<bool> is_static_executable(const std::string &path);

// The image and release of `kernel`: an image file (its release from its header,
// empty if not an x86 bzImage), or a release whose image is in
// <cache>/debian/<release>/vmlinuz or /boot/vmlinuz-<release>.
Expected<std::pair<std::string, std::string>> resolve_kernel(const std::string &kernel, const std::string &cache_dir);

// The release an x86 bzImage says it is ("6.1.0-57-amd64"), from its setup header's
// kernel_version string; nothing for another format.
std::optional<std::string> image_release(const std::string &image);

// The machine a kernel image is for: an x86 bzImage is EM_X86_64, an arm64 Image
// (raw, or gzip'd as Debian's vmlinuz) EM_AARCH64; EM_NONE for anything else.
uint16_t image_machine(const std::string &image);

// busybox (static) with a symlink per applet, /proc /sys /dev /tmp, /dev/console
// and /dev/null. On the host's machine: $PATH's busybox and this klpkit as
// /klp/klpkit. On another: <cache>/guest/<uname -m>/busybox (scripts/kernel/
// debian_archive.py busybox ARCH fetches Debian's), whose applets /init installs,
// and no klpkit (it is built for the host).
Expected<void> add_guest_base(Initramfs &img, uint16_t machine, const std::string &cache_dir);

// The start of every guest's /init: the shell, PATH, /proc /sys /dev /tmp and
// debugfs mounted, and up() printing the uptime in seconds. Each use appends its
// own steps and ends with `poweroff -f`.
constexpr std::string_view init_preamble = R"SH(#!/bin/sh
[ -e /bin/mount ] || /bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
up() { cut -d' ' -f1 /proc/uptime; }
)SH";

// A new directory under $TMPDIR (default /tmp): klpkit-<what>-XXXXXX.
Expected<std::string> make_work_dir(const std::string &what);

double since(std::chrono::steady_clock::time_point t0);

} // namespace klp::klpkit
