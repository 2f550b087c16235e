#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build this repo's module(s) against a Rust-enabled kernel build tree, with
# the same LLVM and rustc the kernel was built with, into a separate output
# directory (the kernel's MO=), so the checkout stays clean.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 KDIR LLVM RUSTC OUTDIR   (LLVM/RUSTC may be empty: kernel defaults)" >&2; exit 2; }
kdir=$1 llvm=$2 rustc=$3 outdir=$4

# Whether the tree can take these modules is the doctor's to say (make
# doctor; make KDIR=... runs it first).
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
