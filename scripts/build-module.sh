#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build this repo's module(s) against a Rust-enabled kernel build tree, with
# the same LLVM and rustc the kernel was built with, into a separate output
# directory (the kernel's MO=), so the checkout stays clean.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 KDIR LLVM RUSTC OUTDIR   (LLVM/RUSTC may be empty: kernel defaults)" >&2; exit 2; }
kdir=$1 llvm=$2 rustc=$3 outdir=$4

[ -f "$kdir/.config" ] && [ -f "$kdir/Module.symvers" ] ||
	die "KDIR=$kdir is not a built kernel tree (needs .config and Module.symvers)" \
		"build it with: make -C <source> O=$kdir LLVM=... all   (or leave KDIR unset to use the lab kernel)"
grep -qx 'CONFIG_RUST=y' "$kdir/.config" ||
	die "KDIR=$kdir was built without CONFIG_RUST=y; this module is written in Rust"

# The module must be compiled by the very rustc that built the kernel's own crates.
want=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config")
have=$("${rustc:-rustc}" --version 2>/dev/null || echo "no ${rustc:-rustc}")
[ "$want" = "$have" ] ||
	die "KDIR=$kdir was built with '$want', but ${rustc:-rustc} is '$have'" \
		"pass the kernel's compiler: make RUSTC=/path/to/rustc (and LLVM=... as for the kernel)"

stage "Building the module(s) against $(basename "$kdir")"
mkdir -p "$outdir"
args=(-C "$kdir" M="$LAB_ROOT" MO="$outdir")
[ -z "$llvm" ] || args+=(LLVM="$llvm")
[ -z "$rustc" ] || args+=(RUSTC="$rustc")
# CLIPPY=1: clippy-driver compiles instead of rustc; it must be the one built for
# that rustc (the lab's: Debian's rust-web-clippy, see make lab-env).
[ -z "${CLIPPY:-}" ] || args+=(CLIPPY="$CLIPPY" CLIPPY_DRIVER="${CLIPPY_DRIVER:-clippy-driver}")
make -s "${args[@]}" modules
stage_done
for ko in "$outdir"/src/*.ko; do
	note "built $(realpath --relative-to="$LAB_ROOT" "$ko")"
done
