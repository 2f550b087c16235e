#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the lab's kernel source from Debian into the lab cache and unpack
# it, without touching the host's apt configuration. Prints the path of the
# unpacked tree on stdout.
#
# The lab builds on any Rust-enabled Linux 7.N with N >= 2. Unpinned, it
# takes the newest linux-source-7.N that Debian offers in the suites it
# knows (trixie-backports, then sid; a series in both comes from the first),
# and keeps that tree: a warm cache never changes kernel because Debian
# moved on. LAB_SERIES=7.N pins a series (fetched once, kept beside the
# others); KERNEL_SRC=/path uses an unpacked tree of a supported series.
#
# usage: fetch-kernel.sh           the tree to build (fetched if needed)
#        fetch-kernel.sh --list    the supported series available: one line
#                                  each, "SERIES SUITE|cached", newest last
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: $0 [--list]   (env: LAB_SERIES, KERNEL_SRC, DEADLOCK_LAB_CACHE, DEBIAN_MIRROR)" >&2
	exit 2
}
list=0
case $# in
0) ;;
1) [ "$1" = --list ] && list=1 || usage ;;
*) usage ;;
esac

series_check "${LAB_SERIES:-}"

if [ -n "${KERNEL_SRC:-}" ] && [ $list = 0 ]; then
	[ -f "$KERNEL_SRC/Makefile" ] && [ -d "$KERNEL_SRC/rust/kernel" ] ||
		die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree with Rust support (no Makefile or rust/kernel)"
	version=$(make -s -C "$KERNEL_SRC" kernelversion 2>/dev/null) ||
		die "cannot read the kernel version of KERNEL_SRC=$KERNEL_SRC"
	series=$(series_of "$version")
	series_supported "$series" ||
		die "KERNEL_SRC=$KERNEL_SRC is Linux $version; the lab needs a Rust-enabled 7.N with N >= $LAB_SERIES_MIN_MINOR"
	[ -z "${LAB_SERIES:-}" ] || [ "$series" = "$LAB_SERIES" ] ||
		die "KERNEL_SRC=$KERNEL_SRC is Linux $version, but LAB_SERIES=$LAB_SERIES" "drop one of them"
	note "kernel source: $KERNEL_SRC (Linux $version, from KERNEL_SRC)"
	echo "$KERNEL_SRC"
	exit 0
fi

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=(trixie-backports sid)
src_root=$LAB_CACHE/src
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# A tree unpacked by an earlier run is reused as is. `current` is the
# unpinned choice; series-7.N the tree of each series.
cached() {
	local link=$src_root/$1
	[ -L "$link" ] && [ -f "$link/.unpacked" ] && readlink -f "$link"
}
use_cached() {
	note "kernel source: $1 ($(cat "$1/.version"), cached)"
	echo "$1"
	exit 0
}
if [ $list = 0 ]; then
	if [ -n "${LAB_SERIES:-}" ]; then
		tree=$(cached "series-$LAB_SERIES") && use_cached "$tree"
		# A cache from before series links: its one tree.
		tree=$(cached current) && [ "$(series_of "$(cat "$tree/.version" | cut -d' ' -f2)")" = "$LAB_SERIES" ] &&
			use_cached "$tree"
	else
		tree=$(cached current) && use_cached "$tree"
	fi
fi

# apt_in SUITE ARGS...: apt-get/apt-cache ARGS against SUITE alone, with the
# lab's own lists in the cache.
apt_in() {
	local suite=$1 tool=$2 dir=$LAB_CACHE/apt/$1
	shift 2
	"$tool" -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent" \
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives" -o "Dir::Cache=$dir" \
		-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1" "$@"
}
# update SUITE: fetch SUITE's package index (quietly; the log stays).
update() {
	local dir=$LAB_CACHE/apt/$1
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	[ -f "$keyring" ] || die "$keyring is missing" "run: apt-get install debian-archive-keyring"
	echo "deb [signed-by=$keyring] $mirror $1 main" >"$dir/sources.list"
	apt_in "$1" apt-get -q update >"$dir/update.log" 2>&1 ||
		die "apt-get update of Debian $1 failed (no route to the Debian package registry at $mirror?)" \
			"log: $dir/update.log" "set DEBIAN_MIRROR=<mirror> to use another Debian mirror," \
			"or KERNEL_SRC=/path to an unpacked Linux 7.N tree"
}
# offered SUITE: the linux-source-7.N packages SUITE has, as series.
offered() {
	apt_in "$1" apt-cache pkgnames linux-source-7. 2>/dev/null | sed -n 's/^linux-source-\(7\.[0-9]*\)$/\1/p' | sort -V
}

stage "Looking for linux-source-7.N in Debian (${suites[*]}, in that order)"
declare -A suite_of=()
found=()
for suite in "${suites[@]}"; do
	update "$suite"
	for s in $(offered "$suite"); do
		found+=("$s:$suite")
		series_supported "$s" && [ -z "${suite_of[$s]:-}" ] && suite_of[$s]=$suite
	done
	# A pinned series is taken from the first suite that has it.
	[ $list = 0 ] && [ -n "${LAB_SERIES:-}" ] && [ -n "${suite_of[$LAB_SERIES]:-}" ] && break
done
stage_done
if [ $list = 1 ]; then
	for s in $(printf '%s\n' "${!suite_of[@]}" | sort -V); do
		echo "$s ${suite_of[$s]} $(apt_in "${suite_of[$s]}" apt-cache show "linux-source-$s" 2>/dev/null |
			awk '/^Version:/ {print $2}' | sort -V | tail -n 1)"
	done
	exit 0
fi

if [ -n "${LAB_SERIES:-}" ]; then
	series=$LAB_SERIES
else
	series=$(printf '%s\n' "${!suite_of[@]}" | sort -V | tail -n 1)
fi
if [ -z "$series" ] || [ -z "${suite_of[$series]:-}" ]; then
	die "Debian ${suites[*]} offer no linux-source-${LAB_SERIES:-7.N (N >= $LAB_SERIES_MIN_MINOR)}" \
		"found: ${found[*]:-no linux-source-7.N at all} (series:suite)" \
		"pin one of those with LAB_SERIES=7.N, or point KERNEL_SRC=/path at an unpacked Linux 7.N tree"
fi
suite=${suite_of[$series]}
pkg=linux-source-$series
version=$(apt_in "$suite" apt-cache show "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n 1)
note "offered: $(printf '%s\n' "${found[@]}" | tr '\n' ' ')"
note "chose: $pkg $version from $suite ($([ -n "${LAB_SERIES:-}" ] && echo "LAB_SERIES=$LAB_SERIES" || echo "the newest series"))"

# LAB_KEEP_SOURCE_PACKAGE=1 keeps the .deb in $LAB_CACHE/debs and uses it
# again: a CI cache of the package (160 MB) is cheaper than one of the
# unpacked tree (1.8 GB, 250 MB compressed), which unpacking remakes.
kept=$LAB_CACHE/debs
deb=""
for d in "$kept"/"${pkg}"_*.deb; do
	[ -f "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$version" ] && deb=$d
done
if [ -n "$deb" ]; then
	stage "Fetching $pkg $version: the kept package"
	note "kept: $deb"
else
	stage "Fetching $pkg $version from Debian $suite"
	dir=$LAB_CACHE/apt/$suite
	(cd "$dir/archives" && apt_in "$suite" apt-get -q download "$pkg=$version" >"$dir/download.log" 2>&1) ||
		die "downloading $pkg $version from the Debian package registry failed" "log: $dir/download.log"
	deb=$(ls -t "$dir"/archives/"${pkg}"_*.deb | head -n 1)
	note "downloaded $(basename "$deb") ($(du -h "$deb" | cut -f1))"
	if [ "${LAB_KEEP_SOURCE_PACKAGE:-0}" = 1 ]; then
		mkdir -p "$kept"
		rm -f "$kept"/"${pkg}"_*.deb
		mv "$deb" "$kept/" && deb=$kept/$(basename "$deb")
	fi
fi

stage "Unpacking $pkg $version"
mkdir -p "$src_root"
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
ln -sfn "$(basename "$dest")" "$src_root/series-$series"
[ -n "${LAB_SERIES:-}" ] || ln -sfn "$(basename "$dest")" "$src_root/current"
[ "${LAB_KEEP_SOURCE_PACKAGE:-0}" = 1 ] || rm -f "$deb"
stage_done
note "kernel source: $dest ($(make -s -C "$dest" kernelversion))"
echo "$dest"
