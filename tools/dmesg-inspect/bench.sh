#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Throughput benchmark: dmesg-inspect versus grep on the same large log.
#
# Generates a synthetic kernel log (boot and runtime noise with kernel
# reports sprinkled in), builds the release binary, then times
#   dmesg-inspect --json LOG >/dev/null
#   grep -c 'possible circular locking' LOG >FILE
# taking the best of three runs of each, and prints "name: value unit" lines.
#
# Environment:
#   BENCH_SIZE_MB      size of the generated log in MiB (default 128)
#   BENCH_REPORTS      report blocks per 100 MiB (default 20)
#   BENCH_DIR          directory for the log (default: a temporary directory)
#   BENCH_KEEP=1       keep the generated log
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
size_mb=${BENCH_SIZE_MB:-128}
reports=${BENCH_REPORTS:-20}

if [[ -n "${BENCH_DIR:-}" ]]; then
    work=$BENCH_DIR
    mkdir -p "$work"
else
    work=$(mktemp -d)
fi
log=$work/dmesg-inspect-bench.log
cleanup() {
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        rm -f "$log"
        [[ -z "${BENCH_DIR:-}" ]] && rmdir "$work" 2>/dev/null || true
    fi
}
trap cleanup EXIT

cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p dmesg-inspect \
    --bin dmesg-inspect --example genlog >&2
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=$target/release/dmesg-inspect
gen=$target/release/examples/genlog

"$gen" "$log" "$size_mb" "$reports" >&2
cat "$log" >/dev/null # warm the page cache

now_ns() { date +%s%N; }

# best_of_3 OUT CMD...: runs CMD three times with its output sent to OUT
# and prints the fastest wall-clock time in seconds. grep's output must not
# go to /dev/null: GNU grep notices that and stops at the first match.
best_of_3() {
    local out=$1 best="" t0 t1 dt rc
    shift
    for _ in 1 2 3; do
        t0=$(now_ns)
        rc=0
        "$@" >"$out" || rc=$?
        t1=$(now_ns)
        if ((rc > 1)); then
            echo "benchmark command failed ($rc): $*" >&2
            exit 1
        fi
        dt=$((t1 - t0))
        if [[ -z "$best" ]] || ((dt < best)); then best=$dt; fi
    done
    awk -v ns="$best" 'BEGIN { printf "%.4f\n", ns / 1e9 }'
}

bytes=$(stat -c %s "$log")
lines=$(wc -l <"$log")
findings=$("$bin" --json "$log" | grep -c '"kind":' || true)
circular=$(grep -c 'possible circular locking' "$log" || true)

t_inspect=$(best_of_3 /dev/null "$bin" --json "$log")
t_grep=$(best_of_3 "$work/grep.out" grep -c 'possible circular locking' "$log")
rm -f "$work/grep.out"

awk -v b="$bytes" -v l="$lines" -v f="$findings" -v c="$circular" \
    -v ti="$t_inspect" -v tg="$t_grep" 'BEGIN {
    mb = b / 1e6
    printf "log_bytes: %d bytes\n", b
    printf "log_size: %.1f MB\n", mb
    printf "log_lines: %d lines\n", l
    printf "findings: %d findings\n", f
    printf "grep_matches: %d lines\n", c
    printf "inspect_time: %.4f s\n", ti
    printf "grep_time: %.4f s\n", tg
    ti_tp = mb / (ti > 0 ? ti : 1e-9)
    tg_tp = mb / (tg > 0 ? tg : 1e-9)
    printf "inspect_throughput: %.1f MB/s\n", ti_tp
    printf "grep_throughput: %.1f MB/s\n", tg_tp
    printf "ratio_vs_grep: %.2f\n", ti_tp / tg_tp
}'
