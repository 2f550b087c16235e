#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the host programs (tools/: the lab's runner `lab` and the log
# inspector `dmesg-inspect`) with cargo, into target/release/. Cargo rebuilds
# only what changed; a warm run takes a fraction of a second.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# --tests: also the test binaries of `cargo test` (the suite's first host
# test), for a first run, whose kernel build leaves a core idle for long
# stretches.
tests=0
case "${1:-}" in
"") ;;
--tests) tests=1 ;;
*) echo "usage: $0 [--tests]" >&2; exit 2 ;;
esac
command -v cargo >/dev/null || die "cargo is missing" "run: make setup"
cd "$LAB_ROOT"
bins=(target/release/lab target/release/dmesg-inspect)
# Nothing to do if both are newer than every source of theirs.
fresh=1
for b in "${bins[@]}"; do
	[ -x "$b" ] && [ -z "$(find tools Cargo.toml Cargo.lock -newer "$b" -type f -print -quit)" ] || fresh=0
done
if [ $fresh = 0 ]; then
	stage "Building the host programs (lab, dmesg-inspect)"
	cargo build --release --quiet -p lab -p dmesg-inspect ||
		die "cargo build of the host programs failed (above)" "run: cargo build --release -p lab"
	touch "${bins[@]}"
	stage_done
fi
if [ $tests = 1 ]; then
	stage "Building the host programs' tests"
	cargo test --workspace --no-run --quiet ||
		note "the test binaries did not build (the suite's host test will say why)"
	stage_done
fi
