# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the lab scripts: cache location, stage headers with
# timings, and errors that say what to run next. Source it, do not run it.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_CACHE=${DEADLOCK_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deadlock-lab}
LAB_OUT=${LAB_OUT:-$LAB_ROOT/out}

# The toolchain the lab kernel and every module built against it use.
LAB_LLVM=${LAB_LLVM:--19}
LAB_RUSTC=${LAB_RUSTC:-/usr/bin/rustc}
# The clippy-driver built for that rustc (Debian's rust-web-clippy), for
# make CLIPPY=1; rustup's clippy on PATH cannot read the kernel's core.
LAB_CLIPPY_DRIVER=${LAB_CLIPPY_DRIVER:-/usr/bin/clippy-driver}
LAB_BINDGEN_DIR=$LAB_CACHE/tools/bindgen
LAB_BINDGEN=${LAB_BINDGEN:-$LAB_BINDGEN_DIR/bin/bindgen}

# The kernel series the lab supports: any Rust-enabled Linux 7.N with N >= 2
# (the modules probe the tree for what differs; see src/Kbuild). LAB_SERIES=7.N
# pins one; unset, scripts/fetch-kernel.sh takes the newest Debian offers.
LAB_SERIES_MIN_MINOR=2
# series_of VERSION: the series (7.3) of a kernel or Debian version (7.3.4-1~bpo13+1).
series_of() { echo "$1" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p'; }
# series_supported SERIES: a series the lab builds on.
series_supported() { [[ $1 =~ ^7\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge "$LAB_SERIES_MIN_MINOR" ]; }
# series_check [SERIES]: dies unless SERIES (LAB_SERIES) is empty or supported.
series_check() {
	[ -z "$1" ] || series_supported "$1" ||
		die "LAB_SERIES=$1: the lab builds on Linux 7.N with N >= $LAB_SERIES_MIN_MINOR (for example LAB_SERIES=7.3)"
}

# rustup installs cargo into ~/.cargo/bin, which a non-login shell may not
# have on PATH; Debian's cargo-web is /usr/bin/cargo.
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
	PATH=$HOME/.cargo/bin:$PATH
	export PATH
fi

_stage_name=""
_stage_start=0

die() {
	printf 'error: %s\n' "$1" >&2
	shift
	local line
	for line in "$@"; do
		printf '  %s\n' "$line" >&2
	done
	exit 1
}

note() {
	printf '   %s\n' "$*" >&2
}

# stage NAME: print a header; the previous stage (if any) prints its time.
stage() {
	stage_done
	_stage_name=$1
	_stage_start=$(date +%s%N)
	printf '==> %s\n' "$_stage_name" >&2
}

# seconds_since NANOSECONDS: the time since a `date +%s%N`, as seconds with
# one decimal (shell arithmetic: bc may not be installed yet).
seconds_since() {
	local ds=$((($(date +%s%N) - $1) / 100000000))
	printf '%d.%d' $((ds / 10)) $((ds % 10))
}

# record_time NAME SECONDS: append a stage's duration to
# $LAB_CACHE/timings.log, which `lab bench --cold` reads for the figures of
# a cold run.
record_time() {
	mkdir -p "$LAB_CACHE" && printf '%s\t%s\t%s\n' "$(date -Is)" "$1" "$2" >>"$LAB_CACHE/timings.log"
}

stage_done() {
	[ -n "$_stage_name" ] || return 0
	local secs
	secs=$(seconds_since "$_stage_start")
	printf '    %s: %s s\n' "$_stage_name" "$secs" >&2
	record_time "$_stage_name" "$secs"
	_stage_name=""
}

# A hash of strings and files, for cache keys.
hash_of() {
	local arg
	for arg in "$@"; do
		if [ -f "$arg" ]; then
			cat "$arg"
		else
			printf '%s\n' "$arg"
		fi
	done | sha256sum | cut -c1-16
}
