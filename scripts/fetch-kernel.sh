#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-7.3 (trixie-backports) into the lab cache and
# unpack it, without touching the host's apt configuration. Prints the path
# of the unpacked tree on stdout. KERNEL_SRC=/path uses an existing tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0    (env: KERNEL_SRC, DEADLOCK_LAB_CACHE, DEBIAN_MIRROR)" >&2; exit 2; }
[ $# -eq 0 ] || usage

if [ -n "${KERNEL_SRC:-}" ]; then
	[ -f "$KERNEL_SRC/Makefile" ] && [ -d "$KERNEL_SRC/rust/kernel" ] ||
		die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree with Rust support (no Makefile or rust/kernel)"
	version=$(make -s -C "$KERNEL_SRC" kernelversion 2>/dev/null) ||
		die "cannot read the kernel version of KERNEL_SRC=$KERNEL_SRC"
	case $version in
	"$LAB_KERNEL_SERIES" | "$LAB_KERNEL_SERIES".*) ;;
	*) die "KERNEL_SRC=$KERNEL_SRC is Linux $version; the lab needs $LAB_KERNEL_SERIES.x" ;;
	esac
	note "kernel source: $KERNEL_SRC (Linux $version, from KERNEL_SRC)"
	echo "$KERNEL_SRC"
	exit 0
fi

pkg=linux-source-$LAB_KERNEL_SERIES
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie-backports
apt_dir=$LAB_CACHE/apt
src_root=$LAB_CACHE/src

# A tree unpacked by an earlier run is reused as is: the version is pinned
# by the first fetch so that a warm cache never rebuilds the kernel because
# Debian moved to a new patch release. `make distclean-lab` starts over.
current=$src_root/current
if [ -L "$current" ] && [ -f "$current/.unpacked" ]; then
	note "kernel source: $(readlink -f "$current") ($(cat "$current/.version"), cached)"
	readlink -f "$current"
	exit 0
fi

stage "Fetching $pkg from Debian $suite"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$src_root"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring is missing" "run: apt-get install debian-archive-keyring"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt_dir/sources.list"
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/nonexistent"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache::Archives=$apt_dir/archives"
	-o "Dir::Cache=$apt_dir"
	-o "APT::Get::List-Cleanup=0"
	-o "Debug::NoLocking=1"
)
apt-get "${apt_opts[@]}" -q update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update of Debian $suite failed (no route to the Debian package registry at $mirror?)" \
		"log: $apt_dir/update.log" "set DEBIAN_MIRROR=<mirror> to use another Debian mirror"
version=$(apt-cache "${apt_opts[@]}" show "$pkg" 2>/dev/null | awk '/^Version:/ {print $2; exit}')
[ -n "$version" ] ||
	die "Debian $suite has no package $pkg any more (moved?)" \
		"look for it: apt-cache search linux-source (with a $suite or newer source list)" \
		"or point KERNEL_SRC=/path at an unpacked Linux $LAB_KERNEL_SERIES tree"
note "package: $pkg $version"
(cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" -q download "$pkg=$version" >"$apt_dir/download.log" 2>&1) ||
	die "downloading $pkg $version from the Debian package registry failed" "log: $apt_dir/download.log"
deb=$(ls -t "$apt_dir"/archives/"${pkg}"_*.deb | head -n 1)
note "downloaded $(basename "$deb") ($(du -h "$deb" | cut -f1))"

stage "Unpacking $pkg $version"
tmp=$(mktemp -d "$src_root/.unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp/deb"
tarball=$(ls "$tmp"/deb/usr/src/linux-source-*.tar.* | head -n 1)
mkdir "$tmp/tree"
tar -xf "$tarball" -C "$tmp/tree" --strip-components=1
echo "$pkg $version" >"$tmp/tree/.version"
touch "$tmp/tree/.unpacked"
dest=$src_root/linux-$(echo "$version" | tr -c "A-Za-z0-9.\n-" "_")
rm -rf "$dest"
mv "$tmp/tree" "$dest"
ln -sfn "$(basename "$dest")" "$current"
rm -f "$deb"
stage_done
note "kernel source: $dest ($(make -s -C "$dest" kernelversion))"
echo "$dest"
