#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Throughput benchmark: dmesg-inspect versus grep on the same large log.
#
# Generates a synthetic kernel log (boot and runtime noise with kernel
# reports sprinkled in), builds the release binary, then times
#   dmesg-inspect --json LOG >/dev/null
#   grep -c 'possible circular locking' LOG >FILE
# on the same file, alternately (one run of each, then the next pair, the
# two taking turns at going first), so that a change in the machine's load
# hits both alike. Prints the best run of each and the median of the pairs'
# ratios (on a machine shared with other work, the best runs of the two may
# come from quieter moments of one than of the other). Prints
# "name: value unit" lines.
#
# Environment:
#   BENCH_SIZE_MB      size of the generated log in MiB (default 128)
#   BENCH_REPORTS      report blocks per 100 MiB (default 20)
#   BENCH_RUNS         runs of each command (default 9)
#   BENCH_DIR          directory for the log (default: a temporary directory)
#   BENCH_KEEP=1       keep the generated log
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
size_mb=${BENCH_SIZE_MB:-128}
reports=${BENCH_REPORTS:-20}
runs=${BENCH_RUNS:-9}

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
# Write the log out before timing: the kernel's writeback of 128 MiB of
# dirty pages would otherwise run during the first runs and take memory
# bandwidth from whichever command is being timed.
sync "$log"
cat "$log" >/dev/null # warm the page cache

# Wall-clock time of one run of CMD in nanoseconds, its output sent to OUT.
# The clock is bash's own (no process is started to read it), so neither
# command is charged for a fork of `date`. grep's output must not go to
# /dev/null: GNU grep notices that and stops at the first match.
time_one() {
    local out=$1 t0 t1 rc=0
    shift
    t0=${EPOCHREALTIME/[.,]/}
    "$@" >"$out" || rc=$?
    t1=${EPOCHREALTIME/[.,]/}
    if ((rc > 1)); then
        echo "benchmark command failed ($rc): $*" >&2
        exit 1
    fi
    echo $(((10#$t1 - 10#$t0) * 1000))
}

bytes=$(stat -c %s "$log")
lines=$(wc -l <"$log")
findings=$("$bin" --json "$log" | grep -c '"kind":' || true)
circular=$(grep -c 'possible circular locking' "$log" || true)

best_inspect="" best_grep="" pairs=""
for ((i = 0; i < runs; i++)); do
    if ((i % 2 == 0)); then
        di=$(time_one /dev/null "$bin" --json "$log")
        dg=$(time_one "$work/grep.out" grep -c 'possible circular locking' "$log")
    else
        dg=$(time_one "$work/grep.out" grep -c 'possible circular locking' "$log")
        di=$(time_one /dev/null "$bin" --json "$log")
    fi
    if [[ -z "$best_inspect" ]] || ((di < best_inspect)); then best_inspect=$di; fi
    if [[ -z "$best_grep" ]] || ((dg < best_grep)); then best_grep=$dg; fi
    pairs+="$dg/$di "
done
rm -f "$work/grep.out"
t_inspect=$(awk -v ns="$best_inspect" 'BEGIN { printf "%.4f\n", ns / 1e9 }')
t_grep=$(awk -v ns="$best_grep" 'BEGIN { printf "%.4f\n", ns / 1e9 }')
# grep's time over the inspector's in each pair, the median of them.
median=$(for p in $pairs; do
    awk -v g="${p%/*}" -v i="${p#*/}" 'BEGIN { printf "%.6f\n", g / (i > 0 ? i : 1) }'
done | sort -g | awk '{ v[NR] = $1 } END {
    printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
}')

awk -v b="$bytes" -v l="$lines" -v f="$findings" -v c="$circular" -v r="$runs" \
    -v ti="$t_inspect" -v tg="$t_grep" -v m="$median" 'BEGIN {
    mb = b / 1e6
    printf "log_bytes: %d bytes\n", b
    printf "log_size: %.1f MB\n", mb
    printf "log_lines: %d lines\n", l
    printf "findings: %d findings\n", f
    printf "grep_matches: %d lines\n", c
    printf "runs: %d runs\n", r
    printf "inspect_time: %.4f s\n", ti
    printf "grep_time: %.4f s\n", tg
    ti_tp = mb / (ti > 0 ? ti : 1e-9)
    tg_tp = mb / (tg > 0 ? tg : 1e-9)
    printf "inspect_throughput: %.1f MB/s\n", ti_tp
    printf "grep_throughput: %.1f MB/s\n", tg_tp
    printf "ratio_vs_grep: %.2f\n", ti_tp / tg_tp
    printf "ratio_vs_grep_median: %s (median of %d pairs)\n", m, r
}'
