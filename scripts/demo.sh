#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: boot the lab kernel twice, once with the inverted lock order and
# once with the fixed one, and tell what each of the kernel's detectors said.
# Uses the same guest scenarios as the tests (tests/scenarios/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LAB_OUT/lab.env"

inspect=$LAB_ROOT/target/release/dmesg-inspect
(cd "$LAB_ROOT" && cargo build --release --quiet -p dmesg-inspect) ||
	die "cargo build of tools/dmesg-inspect failed"
command -v jq >/dev/null || die "jq is missing" "run: make setup"

bold=$(tput bold 2>/dev/null || true) dim=$(tput dim 2>/dev/null || true) off=$(tput sgr0 2>/dev/null || true)
[ -t 1 ] || bold="" dim="" off=""
title() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
para() { printf '%s\n' "$*" | fold -s -w 78; }

live_filter() {
	tr -d '\r' | grep --line-buffered -E \
		'deadlock_lab:|WARNING: possible|INFO: task|blocked on a|is trying to acquire|^# |DEADLOCK-LAB: (BOOTED|SCENARIO)|^   (boot|boot finished|KVM probe|error)|^error' |
		grep --line-buffered -v '^CHECK' | sed -u "s/^/  /"
}

# run_boot NAME: one boot of a scenario, showing the interesting console lines live.
run_boot() {
	local name=$1 dir
	dir=$("$LAB_ROOT/scripts/run-qemu.sh" --scenario "$name" --timeout 180 --follow 2> >(live_filter >&2)) ||
		die "the $name boot did not finish" "its log: $(readlink -f "$LAB_OUT/logs/latest-$name")/console.log"
	echo "$dir"
}

# excerpt DMESG KIND [MAX]: the raw lines of the first finding of KIND.
excerpt() {
	local range
	range=$("$inspect" --json "$1" | jq -r --arg k "$2" '[.[] | select(.kind == $k)][0] | "\(.start_line),\(.end_line)"')
	[ "$range" != "null,null" ] || return 0
	sed -n "${range}p" "$1" | head -n "${3:-60}" | sed 's/^/  /'
}

title "deadlock-lab: an ABBA deadlock, the detectors that see it, and its fix"
para "Linux $KERNEL_VERSION with lockdep and the hung-task detector, in QEMU. Two kernel threads take two semaphores, sem1 and sem2: deadlock_lab_a in the order sem1, sem2; deadlock_lab_b in the order sem2, sem1 (fixed=0) or sem1, sem2 (fixed=1)."

title "1. The inverted order (fixed=0): booting, loading the module"
inv=$(run_boot inverted)

title "What lockdep said"
para "Lockdep saw deadlock_lab_b take sem1 while holding sem2, after deadlock_lab_a had taken sem2 while holding sem1, and reported the cycle before either thread blocked:"
excerpt "$inv/dmesg.txt" circular 70

title "What the hung-task detector said"
para "Both threads sleep in down() in state D. After hung_task_timeout_secs (3 s here) the detector reports each, naming the task that last took the semaphore it waits for:"
excerpt "$inv/dmesg.txt" hung_task 30

title "The dmesg inspector's findings for this boot"
"$inspect" "$inv/dmesg.txt" | sed 's/^/  /' || true

title "2. The fixed order (fixed=1): both threads take sem1, then sem2"
fix=$(run_boot fixed)
title "The dmesg inspector's findings for this boot"
if "$inspect" "$fix/dmesg.txt" >/dev/null; then
	para "  none: lockdep stayed silent (debug_locks 1), no task hung."
else
	"$inspect" "$fix/dmesg.txt" | sed 's/^/  /' || true
fi

title "Summary"
count() { "$inspect" --json "$1" | jq --arg k "$2" '[.[] | select(.kind == $k)] | length'; }
printf '  %-28s %-22s %s\n' "detector" "inverted (fixed=0)" "fixed (fixed=1)"
printf '  %-28s %-22s %s\n' "lockdep circular reports" "$(count "$inv/dmesg.txt" circular)" "$(count "$fix/dmesg.txt" circular)"
printf '  %-28s %-22s %s\n' "hung-task reports" "$(count "$inv/dmesg.txt" hung_task)" "$(count "$fix/dmesg.txt" hung_task)"
printf '  %-28s %-22s %s\n' "threads in D state" \
	"$(grep -c '^# .* D .*deadlock_lab_' "$inv/console.log" || true)" "$(grep -c '^# .* D .*deadlock_lab_' "$fix/console.log" || true)"
printf '  %-28s %-22s %s\n' "module's verdict" \
	"$(grep -o 'End of test: [A-Z]*' "$inv/dmesg.txt" | cut -d' ' -f4)" "$(grep -o 'End of test: [A-Z]*' "$fix/dmesg.txt" | cut -d' ' -f4)"
echo
echo "  full logs: $inv/console.log"
echo "             $fix/console.log"
echo "  explore:   make shell (a guest shell with the module), make test (all checks)"
