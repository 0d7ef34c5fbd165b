#!/usr/bin/env python3
# debian_archive: Debian's kernels by their exact ABI, from the archive, into the cache.
#
# Every apt call runs on a private configuration under <cache>/apt (its own
# sources.list naming bullseye to sid, its own lists and archives), so the
# system's apt state stays as it is. A kernel release string is enough:
#
#   debian_archive.py fetch 5.10.0-32-amd64 [--version V] [--modules] [--no-headers] [--no-source]
#   debian_archive.py latest 5.10     (prints the newest ABI of the series)
#
# puts that build's files in <cache>/debian/<release>/ and prints the release:
#   vmlinuz, config   from linux-image-<release>
#   version           the Debian version they came from (the linux-source version)
#   modules/          with --modules: lib/modules/<release>, with modules.dep
#   headers/          linux-headers-<release> + its -common + linux-kbuild-*, as one
#                     root; build -> headers/usr/src/linux-headers-<release>
#   linux-source-X.Y.tar.xz   the exact source of that build
# Everything already in place is reused. bench/corpus imports this module.
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROG = "debian_archive"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Every suite that holds a kernel series klpkit serves (see docs/kernels.md).
SUITES = [
    ("debian", "bullseye"), ("debian-security", "bullseye-security"),
    ("debian", "bookworm"), ("debian-security", "bookworm-security"),
    ("debian", "trixie"), ("debian-security", "trixie-security"),
    ("debian", "sid"),
]
SOURCES_LIST = "".join(f"deb [signed-by={KEYRING}] http://deb.debian.org/{path} {suite} main\n"
                       for path, suite in SUITES)


def log(msg):
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def die(msg):
    raise Failure(msg)


def run(cmd, **kw):
    kw.setdefault("check", True)
    try:
        return subprocess.run(cmd, **kw)
    except subprocess.CalledProcessError as e:
        die(f"{' '.join(map(str, cmd))} failed (exit {e.returncode})")


def out(cmd, **kw):
    return run(cmd, stdout=subprocess.PIPE, text=True, **kw).stdout


# Debian's architecture of a kernel flavour: 6.1.0-57-arm64 is arm64's,
# 6.1.0-57-powerpc64le ppc64el's, 6.1.0-57-cloud-amd64 amd64's.
FLAVOUR_ARCHES = (("amd64", "amd64"), ("arm64", "arm64"), ("arm64-16k", "arm64"),
                  ("powerpc64le", "ppc64el"), ("powerpc64le-64k", "ppc64el"), ("s390x", "s390x"))


def flavour_arch(name):
    """Debian's architecture of a flavour ("arm64") or of a release ending in one."""
    for suffix, arch in FLAVOUR_ARCHES:
        if name == suffix or name.endswith("-" + suffix):
            return arch
    return "amd64"


class Apt:
    """apt-get/apt-cache on a private configuration under <cache>/apt. `arch` adds a
    foreign architecture's lists (arm64's kernels on an amd64 host); the host's
    are always there, for the kbuild tools that run on it."""

    def __init__(self, cache: Path, arch="amd64"):
        self.dir = cache / "apt"
        (self.dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (self.dir / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        src = self.dir / "sources.list"
        if not src.exists() or src.read_text() != SOURCES_LIST:
            src.write_text(SOURCES_LIST)
            # New suites: the lists must be fetched again.
            (self.dir / "updated").unlink(missing_ok=True)
        self.opts = [
            "-q",
            "-o", f"Dir::Etc::sourcelist={src}",
            "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={self.dir / 'lists'}",
            "-o", f"Dir::Cache={self.dir}",
            "-o", f"Dir::Cache::archives={self.dir / 'archives'}",
            "-o", "APT::Sandbox::User=root",
            "-o", f"APT::Architectures={'amd64' if arch == 'amd64' else 'amd64,' + arch}",
        ]
        self.arch = arch
        self.fresh = False

    def qualified(self, pkg):
        """The package of the target's architecture: linux-image-6.1.0-57-arm64:arm64."""
        return pkg if self.arch == "amd64" else f"{pkg}:{self.arch}"

    def update(self, max_age=86400):
        stamp = self.dir / ("updated" if self.arch == "amd64" else f"updated-{self.arch}")
        if stamp.exists() and time.time() - stamp.stat().st_mtime < max_age:
            return
        self.force_update()

    def force_update(self):
        if self.fresh:
            return False
        log("apt-get update (private lists)")
        run(["apt-get", *self.opts, "update"], stdout=subprocess.DEVNULL)
        (self.dir / ("updated" if self.arch == "amd64" else f"updated-{self.arch}")).touch()
        self.fresh = True
        return True

    def versions(self, pkg):
        """Every version of pkg in the archive, newest first."""
        lines = out(["apt-cache", *self.opts, "madison", pkg], check=False)
        found = [l.split("|")[1].strip() for l in lines.splitlines() if "|" in l]
        return sorted(set(found), key=DebVersion, reverse=True)

    def depends(self, pkg, version):
        """The package names in pkg=version's Depends (alternatives too)."""
        text = out(["apt-cache", *self.opts, "show", f"{pkg}={version}"], check=False)
        m = re.search(r"^Depends: (.*)$", text, re.M)
        return re.findall(r"(?:^|[,|]) *([a-z0-9][a-z0-9.+-]*)", m.group(1)) if m else []

    def download(self, pkg, version, dest: Path):
        dest.mkdir(parents=True, exist_ok=True)
        name = f"{pkg.split(':')[0]}_{version.replace(':', '%3a')}_"
        have = list(dest.glob(name + "*.deb"))
        if have:
            return have[0]
        log(f"downloading {pkg}={version}")
        cmd = ["apt-get", *self.opts, "download", f"{pkg}={version}"]
        if subprocess.run(cmd, cwd=dest, stdout=subprocess.DEVNULL).returncode != 0:
            # Stale lists name a file the mirror no longer has.
            if not self.force_update():
                die(f"apt-get download {pkg}={version} failed")
            run(cmd, cwd=dest, stdout=subprocess.DEVNULL)
        have = list(dest.glob(name + "*.deb"))
        if not have:
            die(f"apt-get download {pkg}={version} left no .deb in {dest}")
        return have[0]


class DebVersion:
    """Orders Debian versions as dpkg does (dpkg --compare-versions, in-process)."""

    def __init__(self, v):
        self.v = v

    @staticmethod
    def _order(c):
        if c == "~":
            return -1
        if c.isalpha():
            return ord(c)
        return ord(c) + 256

    @classmethod
    def _cmp_part(cls, a, b):
        while a or b:
            na = re.match(r"^[^0-9]*", a).group(0)
            nb = re.match(r"^[^0-9]*", b).group(0)
            for i in range(max(len(na), len(nb))):
                ca = cls._order(na[i]) if i < len(na) else 0
                cb = cls._order(nb[i]) if i < len(nb) else 0
                if ca != cb:
                    return -1 if ca < cb else 1
            a, b = a[len(na):], b[len(nb):]
            da = re.match(r"^[0-9]*", a).group(0)
            db = re.match(r"^[0-9]*", b).group(0)
            if int(da or 0) != int(db or 0):
                return -1 if int(da or 0) < int(db or 0) else 1
            a, b = a[len(da):], b[len(db):]
        return 0

    @classmethod
    def _split(cls, v):
        epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
        return int(epoch or 0), upstream, revision

    def _cmp(self, other):
        ea, ua, ra = self._split(self.v)
        eb, ub, rb = self._split(other.v)
        if ea != eb:
            return -1 if ea < eb else 1
        return self._cmp_part(ua, ub) or self._cmp_part(ra, rb)

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __eq__(self, other):
        return self._cmp(other) == 0


def extract_deb(deb: Path, dest: Path, tar_args=()):
    dest.mkdir(parents=True, exist_ok=True)
    p1 = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    run(["tar", "-x", "-C", str(dest), *tar_args], stdin=p1.stdout)
    p1.stdout.close()
    if p1.wait() != 0:
        die(f"dpkg-deb --fsys-tarfile {deb} failed")


def series_of(release):
    m = re.match(r"^(\d+\.\d+)", release)
    if not m or not re.match(r"^[0-9][0-9A-Za-z.+~-]*-[a-z0-9]+$", release):
        die(f"'{release}' is not a kernel release like 6.1.0-50-amd64 or 7.2.13+deb14-amd64")
    return m.group(1)


def image_version(apt: Apt, release, version=None):
    """The Debian version of linux-image-<release> to use: `version` if the archive
    has that build, else the newest build of the release."""
    pkg = apt.qualified(f"linux-image-{release}")
    found = apt.versions(pkg)
    if not found and apt.force_update():
        found = apt.versions(pkg)
    if not found:
        die(f"{pkg} is not in Debian's archive (bullseye to sid): no such kernel release")
    if version:
        if version not in found:
            die(f"{pkg} is {', '.join(found)} in the archive, not {version}")
        return version
    return found[0]


def fetch_image(apt: Apt, kd: Path, release, version, debs: Path, modules: bool):
    have = (kd / "version").read_text().strip() if (kd / "version").exists() else ""
    if have == version and (kd / "vmlinuz").exists() and (kd / "config").exists() and \
            (not modules or (kd / "modules").is_dir()):
        return
    if have and have != version:
        log(f"{kd} holds {have}, not {version}: fetching again")
        for stale in ("kallsyms", "kallsyms.gz", "headers", "build", "modules"):
            p = kd / stale
            if p.is_symlink() or p.is_file():
                p.unlink()
            elif p.is_dir():
                shutil.rmtree(p)
        for tar in kd.glob("linux-source-*.tar.*"):
            tar.unlink()
        (kd / "version").unlink()
    image = apt.qualified(f"linux-image-{release}")
    # 7.x splits the image: linux-image-<release> is empty and depends on
    # linux-binary- (vmlinuz), linux-base- (config) and linux-modules-<release>.
    parts = [image] + [apt.qualified(d) for d in apt.depends(image, version)
                       if d.endswith(f"-{release}") and d.split("-")[1] in ("binary", "base", "modules")
                       and (modules or d.split("-")[1] != "modules")]
    tmp = kd / ".fetch"
    shutil.rmtree(tmp, ignore_errors=True)
    skip = [] if modules else [f"--exclude=./lib/modules/{release}/kernel",
                               f"--exclude=./usr/lib/modules/{release}/kernel"]
    for pkg in parts:
        extract_deb(apt.download(pkg, version, debs), tmp, skip)
    # Where each file is: ./boot (up to 6.x) or ./usr/lib/modules/<release> (7.x).
    moddirs = [tmp / "lib" / "modules" / release, tmp / "usr" / "lib" / "modules" / release]
    for dest, names in (("config", [tmp / "boot" / f"config-{release}"] + [m / "config" for m in moddirs]),
                        ("vmlinuz", [tmp / "boot" / f"vmlinuz-{release}"] + [m / "vmlinuz" for m in moddirs])):
        found = [n for n in names if n.is_file()]
        if not found:
            die(f"{', '.join(parts)}={version} hold no {dest} for {release}")
        os.replace(found[0], kd / dest)
    if modules:
        found = [m for m in moddirs if (m / "kernel").is_dir()]
        if not found:
            die(f"{', '.join(parts)}={version} hold no modules for {release}")
        shutil.rmtree(kd / "modules", ignore_errors=True)
        os.replace(found[0], kd / "modules")
    shutil.rmtree(tmp)
    (kd / "version.tmp").write_text(version + "\n")
    os.replace(kd / "version.tmp", kd / "version")


def depmod(kd: Path, release):
    """Debian generates modules.dep at install time; the .deb has none."""
    if not (kd / "modules").is_dir() or (kd / "modules" / "modules.dep").exists():
        return
    base = kd / ".depmod"
    shutil.rmtree(base, ignore_errors=True)
    (base / "lib" / "modules").mkdir(parents=True)
    (base / "lib" / "modules" / release).symlink_to(kd / "modules")
    run(["depmod", "-b", str(base), release])
    shutil.rmtree(base)


def fetch_headers(apt: Apt, kd: Path, release, version, debs: Path):
    """linux-headers-<release>, its -common and its linux-kbuild in one root."""
    root = kd / "headers"
    hdr = root / "usr" / "src" / f"linux-headers-{release}"
    done = root / ".done"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        # The flavour's headers are the target's architecture; -common is for all,
        # and linux-kbuild (fixdep, modpost) must run here: the host's.
        deps = apt.depends(apt.qualified(f"linux-headers-{release}"), version)
        if not deps:
            die(f"linux-headers-{release}={version} is not in the archive")
        wanted = [(apt.qualified(f"linux-headers-{release}"), version)]
        for dep in deps:
            if not (dep.startswith("linux-headers-") or dep.startswith("linux-kbuild-")):
                continue
            found = apt.versions(dep)
            # Only the newest linux-kbuild of a suite may stay in the archive; the
            # headers depend on ">= their version", so a newer one is what apt
            # would install too.
            v = version if version in found else (found[0] if found else None)
            if not v:
                die(f"{dep} (a dependency of linux-headers-{release}) is not in the archive")
            if v != version:
                log(f"{dep}={version} is gone from the archive: using {v}")
            wanted.append((dep, v))
        for pkg, v in wanted:
            extract_deb(apt.download(pkg, v, debs), root)
        makefile = hdr / "Makefile"
        text = makefile.read_text()
        # The flavour's Makefile names the -common one (and on 7.x its own output
        # directory) by absolute path.
        fixed = re.sub(r"(?<![\w/.])/usr/src/", lambda m: f"{root}/usr/src/", text)
        if fixed == text:
            die(f"{makefile} does not include /usr/src/...: unknown headers layout")
        makefile.write_text(fixed)
        done.touch()
    link = kd / "build"
    if not link.is_symlink():
        link.symlink_to(hdr.relative_to(kd))
    return kd / "build"


def fetch_source(apt: Apt, kd: Path, release, version, debs: Path):
    series = series_of(release)
    tar = kd / f"linux-source-{series}.tar.xz"
    if tar.exists():
        return tar
    pkg = f"linux-source-{series}"
    if version not in apt.versions(pkg):
        die(f"{pkg}={version}, the source of {release}, is not in the archive")
    deb = apt.download(pkg, version, debs)
    tmp = kd / ".fetch-source"
    shutil.rmtree(tmp, ignore_errors=True)
    extract_deb(deb, tmp, [f"./usr/src/{tar.name}"])
    os.replace(tmp / "usr" / "src" / tar.name, tar)
    shutil.rmtree(tmp)
    return tar


def latest(cache: Path, series, flavour="amd64"):
    """The newest kernel ABI of a series in the archive: 5.10 -> 5.10.0-46-amd64,
    7.2 -> 7.2.13+deb14-amd64 (the newest build of the newest ABI)."""
    if not re.match(r"^\d+\.\d+$", series):
        die(f"'{series}' is not a kernel series like 5.10 or 7.2")
    apt = Apt(cache, flavour_arch(flavour))
    apt.update()
    names = out(["apt-cache", *apt.opts, "pkgnames", f"linux-image-{series}"], check=False).split()
    # linux-image-5.10.0-46-amd64, linux-image-7.2.13+deb14-amd64; not -unsigned, -dbg.
    pat = re.compile(rf"^linux-image-({re.escape(series)}(?:\.\d+)*(?:-\d+|\+deb\d+)-{re.escape(flavour)})$")
    best = None
    for name in names:
        m = pat.match(name)
        if not m:
            continue
        versions = apt.versions(apt.qualified(name))
        if versions and (best is None or DebVersion(best[1]) < DebVersion(versions[0])):
            best = (m.group(1), versions[0])
    if not best:
        die(f"no linux-image-{series}*-{flavour} in Debian's archive (bullseye to sid)")
    return best[0]


def fetch(cache: Path, release, version=None, modules=False, headers=True, source=True):
    """Fetches one kernel into <cache>/debian/<release>; returns that directory."""
    series_of(release)
    apt = Apt(cache, flavour_arch(release))
    apt.update()
    version = image_version(apt, release, version)
    kd = cache / "debian" / release
    kd.mkdir(parents=True, exist_ok=True)
    debs = cache / "debs"
    import fcntl
    with open(kd / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once take turns
        fetch_image(apt, kd, release, version, debs, modules)
        if modules:
            depmod(kd, release)
        if headers:
            fetch_headers(apt, kd, release, version, debs)
        if source:
            fetch_source(apt, kd, release, version, debs)
    return kd


# Debian's architecture -> uname -m, for the guest directory of each.
UNAME = {"amd64": "x86_64", "arm64": "aarch64", "ppc64el": "ppc64le", "s390x": "s390x"}


def fetch_busybox(cache: Path, arch):
    """A static busybox for guests of Debian architecture `arch` (bookworm's build,
    from busybox-static): <cache>/guest/<uname -m>/busybox; returns its path."""
    if arch not in UNAME:
        die(f"'{arch}' is not a Debian architecture klpkit boots ({', '.join(UNAME)})")
    dest = cache / "guest" / UNAME[arch] / "busybox"
    if dest.exists():
        return dest
    apt = Apt(cache, arch)
    apt.update()
    pkg = apt.qualified("busybox-static")
    found = apt.versions(pkg)
    # bookworm's (1.35) first: the version the host's guests run.
    chosen = next((v for v in found if "deb12" in v), found[0] if found else None)
    if not chosen:
        die(f"{pkg} is not in Debian's archive")
    deb = apt.download(pkg, chosen, cache / "debs")
    tmp = dest.parent / ".fetch"
    shutil.rmtree(tmp, ignore_errors=True)
    extract_deb(deb, tmp, ["./bin/busybox"])
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp / "bin" / "busybox", dest)
    shutil.rmtree(tmp)
    return dest


def main():
    ap = argparse.ArgumentParser(prog=PROG, description="Debian's kernels by exact ABI, into the cache.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="fetch one kernel release into <cache>/debian/<release>")
    f.add_argument("release", help="kernel release: 6.1.0-50-amd64, 5.10.0-32-amd64, 7.2.13+deb14-amd64")
    f.add_argument("--version", help="the Debian version of that build (default: the newest)")
    f.add_argument("--cache", type=Path,
                   default=Path(os.environ.get("KLPKIT_CACHE", Path.home() / ".cache" / "klpkit")))
    f.add_argument("--modules", action="store_true", help="also lib/modules/<release>")
    f.add_argument("--no-headers", action="store_true")
    f.add_argument("--no-source", action="store_true")
    la = sub.add_parser("latest", help="print the newest kernel ABI of a series (5.10, 6.1, 7.2)")
    la.add_argument("series")
    la.add_argument("--flavour", default="amd64")
    la.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("KLPKIT_CACHE", Path.home() / ".cache" / "klpkit")))
    bb = sub.add_parser("busybox", help="fetch a static busybox for guests of ARCH (arm64, ...)")
    bb.add_argument("arch")
    bb.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("KLPKIT_CACHE", Path.home() / ".cache" / "klpkit")))
    args = ap.parse_args()
    if args.cmd == "busybox":
        try:
            print(fetch_busybox(args.cache.resolve(), args.arch))
        except Failure as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 1
        return 0
    if args.cmd == "latest":
        try:
            print(latest(args.cache.resolve(), args.series, args.flavour))
        except Failure as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 1
        return 0
    try:
        fetch(args.cache.resolve(), args.release, args.version, args.modules,
              not args.no_headers, not args.no_source)
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    print(args.release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
