#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: boot the lab kernel twice, once with the inverted lock order and
# once with the fixed one, and tell what each of the kernel's detectors said.
# Uses the same guest scenarios as the tests (tests/scenarios/).
#
# usage: scripts/demo.sh [abba|recursive|irq|leak|spin|gdb|all]
#        (make run SCENARIO=...; the default is abba, the deadlock_lab story)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LAB_OUT/lab.env"
. "$LAB_ROOT/tests/scenario.sh"

inspect=$LAB_ROOT/target/release/dmesg-inspect
(cd "$LAB_ROOT" && cargo build --release --quiet -p dmesg-inspect) ||
	die "cargo build of tools/dmesg-inspect failed"

bold=$(tput bold 2>/dev/null || true) dim=$(tput dim 2>/dev/null || true) off=$(tput sgr0 2>/dev/null || true)
[ -t 1 ] || bold="" dim="" off=""
title() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
para() { printf '%s\n' "$*" | fold -s -w 78; }

# The console up to the guest's dmesg dump, lines that tell the story only.
live_filter() {
	tr -d '\r' | awk '/DEADLOCK-LAB: DMESG BEGIN/ { skip = 1 } !skip { print; fflush() }' | grep --line-buffered -E \
		'deadlock_[a-z]+:|WARNING:|INFO: task|blocked on a|is trying to acquire|inconsistent|soft lockup|Kernel panic|^# |DEADLOCK-LAB: (BOOTED|SCENARIO)|^   (boot|boot finished|KVM probe|error)|^error' |
		grep --line-buffered -v '^CHECK' | sed -u "s/^/  /"
}

# run_boot NAME: one boot of a scenario, showing the interesting console lines live.
# A boot that ends in a kernel panic by design says so in its declaration ("ends": "panic").
run_boot() {
	local name=$1 dir rc=0
	dir=$("$LAB_ROOT/scripts/run-qemu.sh" --scenario "$name" --timeout 180 --follow 2> >(live_filter >&2)) || rc=$?
	if [ $rc = 4 ] && [ "$(scenario_get "$name" ends)" = panic ]; then
		dir=$(readlink -f "$LAB_OUT/logs/latest-$name")
	elif [ $rc != 0 ]; then
		die "the $name boot did not finish" "its log: $(readlink -f "$LAB_OUT/logs/latest-$name")/console.log"
	fi
	echo "$dir"
}

# kernel_log DIR: the guest's dmesg, or the kernel's console lines if it never got to dump it.
kernel_log() { if [ -f "$1/dmesg.txt" ]; then echo "$1/dmesg.txt"; else echo "$1/kernel-console.txt"; fi; }

# findings DMESG: the inspector's JSON (its exit status 1 only means "found some").
findings() { "$inspect" --json "$1" || [ $? = 1 ]; }

# excerpt DMESG KIND [UNTIL]: the raw lines of the first finding of KIND, demangled,
# without timestamps and unreliable ("?") frames, up to the first line matching UNTIL.
excerpt() {
	local range
	range=$(findings "$1" | jq -r --arg k "$2" '[.[] | select(.kind == $k)][0] | "\(.start_line),\(.end_line)"')
	[ "$range" != "null,null" ] || return 0
	sed -n "${range}p" "$1" | "$inspect" --demangle | sed 's/^\[ *[0-9.]*\] //' | grep -v '^ *? ' |
		awk -v until="${3:-^$^}" '{ print "  " $0 } $0 ~ until { exit }'
}

# show_findings DMESG [NONE]: the inspector's summary of a boot, or NONE if it found nothing.
show_findings() {
	title "The dmesg inspector's findings for this boot"
	if [ -n "${2:-}" ] && "$inspect" -q "$1"; then
		para "  $2"
	else
		"$inspect" "$1" | sed 's/^/  /' || true
	fi
}

# module_lines DMESG PATTERN: the module's own lines matching PATTERN.
module_lines() {
	grep -E "deadlock_lab: ($2)" "$1" | sed 's/^\[ *[0-9.]*\] /  /'
}

count() { findings "$1" | jq --arg k "$2" '[.[] | select(.kind == $k)] | length'; }
in_d() { tr -d '\r' <"$1" | grep -cE '^#\s+[0-9]+ D\S*\s+deadlock_' || true; }

story_abba() {
	title "deadlock-lab: an ABBA deadlock, the detectors that see it, and its fix"
	para "Linux $KERNEL_VERSION with lockdep and the hung-task detector, in QEMU. Two kernel threads take two semaphores, sem1 and sem2: deadlock_lab_a in the order sem1, sem2; deadlock_lab_b in the order sem2, sem1 (fixed=0) or sem1, sem2 (fixed=1)."

	title "1. The inverted order (fixed=0): booting, loading the module"
	inv=$(run_boot inverted)

	title "What lockdep said"
	para "Each thread told lockdep which semaphore it held when it reached for the other. The second of them closed the cycle sem1 -> sem2 -> sem1, and lockdep reported it at that moment, before the thread blocked:"
	excerpt "$inv/dmesg.txt" circular 'DEADLOCK \*\*\*'
	para "(The full report, with the stack of the task that closed the cycle, is in the inspector's findings below and in the log.)"

	title "What the hung-task detector said"
	para "Both threads sleep in down() in state D. After hung_task_timeout_secs (3 s here) the detector reports each, naming the task that last took the semaphore it waits for:"
	excerpt "$inv/dmesg.txt" hung_task

	title "Recovery: rmmod deadlock_lab"
	para "A semaphore has no owner, so the module's exit path may give each semaphore one unit back; the waiting threads wake, finish their round and exit:"
	module_lines "$inv/dmesg.txt" 'unloading|.*got sem|threads stopped|End of test'


	show_findings "$inv/dmesg.txt"

	title "2. The fixed order (fixed=1): both threads take sem1, then sem2"
	fix=$(run_boot fixed)
	module_lines "$fix/dmesg.txt" 'threads stopped|End of test'
	show_findings "$fix/dmesg.txt" "none: lockdep stayed silent (debug_locks 1), no task hung."

	title "Summary"
	printf '  %-28s %-22s %s\n' "detector" "inverted (fixed=0)" "fixed (fixed=1)"
	printf '  %-28s %-22s %s\n' "lockdep circular reports" "$(count "$inv/dmesg.txt" circular)" "$(count "$fix/dmesg.txt" circular)"
	printf '  %-28s %-22s %s\n' "hung-task reports" "$(count "$inv/dmesg.txt" hung_task)" "$(count "$fix/dmesg.txt" hung_task)"
	printf '  %-28s %-22s %s\n' "threads in D state (ps)" "$(in_d "$inv/console.log")" "$(in_d "$fix/console.log")"
	printf '  %-28s %-22s %s\n' "module's verdict" \
		"$(grep -o 'End of test: [A-Z]*' "$inv/dmesg.txt" | cut -d' ' -f4)" "$(grep -o 'End of test: [A-Z]*' "$fix/dmesg.txt" | cut -d' ' -f4)"
	echo
	echo "  full logs: $inv/console.log"
	echo "             $fix/console.log"
	echo "  explore:   make shell (a guest shell with the module), make gdb, make test (all checks),"
	echo "             make run SCENARIO=recursive|irq|leak|spin|gdb (the other deadlocks)"
}

# story_pair NAME WHAT: the broken and the fixed boot of one of the other
# scenarios, with the inspector's findings for each and a summary.
story_pair() {
	local name=$1 broken fixed b f k
	title "$name: $2"
	para "$(scenario_get "$name" about)"
	title "$name, broken (fixed=0)"
	broken=$(run_boot "$name")
	b=$(kernel_log "$broken")
	show_findings "$b"
	title "$name, fixed (fixed=1)"
	fixed=$(run_boot "$name-fixed")
	f=$(kernel_log "$fixed")
	show_findings "$f" "none: no lockdep report, no hung task, no lockup."
	title "Summary: $name"
	printf '  %-24s %-18s %s\n' "finding kind" "broken" "fixed"
	for k in circular recursive inconsistent hung_task held_lock_exit soft_lockup other; do
		printf '  %-24s %-18s %s\n' "$k" "$(count "$b" "$k")" "$(count "$f" "$k")"
	done
	printf '  %-24s %-18s %s\n' "threads in D state (ps)" "$(in_d "$broken/console.log")" "$(in_d "$fixed/console.log")"
	echo "  full logs: $broken/console.log"
	echo "             $fixed/console.log"
}

what=${1:-${SCENARIO:-abba}}
case $what in
abba) story_abba ;;
recursive) story_pair recursive "one thread takes the same lock twice" ;;
irq) story_pair irq "a spinlock shared with an interrupt handler, taken with interrupts on" ;;
leak) story_pair leak "a lock that one path never releases" ;;
spin) story_pair spin "the ABBA on spinlocks: CPUs spin instead of sleeping" ;;
gdb)
	title "gdb on the live guest: the ABBA threads, seen from outside"
	"$LAB_ROOT/scripts/gdb-abba.sh" --show >/dev/null
	;;
all)
	for w in abba recursive irq leak spin gdb; do "$0" "$w"; done
	;;
*) die "no demo called '$what'" "choose one of: abba recursive irq leak spin gdb all" ;;
esac
