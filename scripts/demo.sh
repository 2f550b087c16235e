#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: the article's deadlock told from real boots of the lab kernel,
# with what each of the kernel's detectors said, a picture of each cycle,
# and the fix. Uses the same guest scenarios as the tests (tests/scenarios/);
# a story's boots run side by side, and the first is shown live.
#
# usage: scripts/demo.sh [abba|predict|load|cpu|recursive|irq|leak|spin|gdb|all]
#        (make run SCENARIO=...; the default is abba, the deadlock_lab story)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$LAB_OUT/lab.env"
. "$LAB_ROOT/tests/scenario.sh"

inspect=$LAB_ROOT/target/release/dmesg-inspect
(cd "$LAB_ROOT" && cargo build --release --quiet -p dmesg-inspect) ||
	die "cargo build of tools/dmesg-inspect failed"
command -v dot >/dev/null || die "dot (Graphviz) is missing" "run: make setup"

bold=$(tput bold 2>/dev/null || true) off=$(tput sgr0 2>/dev/null || true)
[ -t 1 ] || bold="" off=""
title() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
para() { printf '%s\n' "$*" | fold -s -w 78; }
boots=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$boots"' EXIT

# The console lines that tell the story.
live_filter() {
	tr -d '\r' | grep -E \
		'deadlock_[a-z]+:|WARNING:|INFO: task|blocked on a|is trying to acquire|inconsistent|soft lockup|Kernel panic|^# |DEADLOCK-LAB: (BOOTED|SCENARIO)' |
		grep -v '^CHECK' | "$inspect" --demangle | sed "s/^/  /" || true
}

# start NAME...: boots each scenario in the background, side by side.
start() {
	local n
	for n; do
		("$LAB_ROOT/scripts/run-qemu.sh" --scenario "$n" --timeout 180 --cpus "$(scenario_get "$n" cpus 2)" \
			--append "$(scenario_get "$n" append)" --initrd "$(scenario_get "$n" initrd)" \
			>"$boots/$n.dir" 2>"$boots/$n.err" && rc=0 || rc=$?
		echo $rc >"$boots/$n.rc") &
	done
}

# follow NAME: shows the story lines of a started boot's console as they
# come, up to the guest's dump of its kernel log.
follow() {
	local log="" shown=0 total over
	while [ -z "$log" ] && [ ! -f "$boots/$1.rc" ]; do
		log=$(sed -n 's/.* log \(.*console\.log\)$/\1/p' "$boots/$1.err" 2>/dev/null | head -n 1 || true)
		sleep 0.1
	done
	[ -n "$log" ] || return 0
	while :; do
		over=0
		[ -f "$boots/$1.rc" ] && over=1
		total=$(grep -n -m1 'DEADLOCK-LAB: DMESG BEGIN' "$log" | cut -d: -f1 || true)
		[ -n "$total" ] && over=1 || total=$(wc -l <"$log")
		if [ "$total" -gt "$shown" ]; then
			sed -n "$((shown + 1)),${total}p" "$log" | live_filter
			shown=$total
		fi
		[ $over = 0 ] || break
		sleep 0.2
	done
}

# finished NAME: waits for a started boot; prints its log directory. A boot
# that ends in a kernel panic by design says so in its declaration.
finished() {
	while [ ! -f "$boots/$1.rc" ]; do sleep 0.1; done
	local rc
	rc=$(cat "$boots/$1.rc")
	if [ "$rc" = 4 ] && [ "$(scenario_get "$1" ends)" = panic ]; then
		readlink -f "$LAB_OUT/logs/latest-$1"
	elif [ "$rc" != 0 ]; then
		sed 's/^/  /' "$boots/$1.err" >&2
		die "the $1 boot did not finish" "its log: $(readlink -f "$LAB_OUT/logs/latest-$1")/console.log"
	else
		cat "$boots/$1.dir"
	fi
}

# findings LOG: the inspector's JSON (its exit status 1 only means "found some").
findings() { "$inspect" --json "$1" || [ $? = 1 ]; }
count() { findings "$1" | jq --arg k "$2" '[.[] | select(.kind == $k)] | length'; }

# excerpt LOG KIND [UNTIL]: the raw lines of the first finding of KIND, demangled,
# without timestamps and unreliable ("?") frames, up to the first line matching UNTIL.
excerpt() {
	local range
	range=$(findings "$1" | jq -r --arg k "$2" '[.[] | select(.kind == $k)][0] | "\(.start_line),\(.end_line)"')
	[ "$range" != "null,null" ] || return 0
	sed -n "${range}p" "$1" | "$inspect" --demangle | sed 's/^\[ *[0-9.]*\] //' | grep -v '^ *? ' |
		awk -v until="${3:-^$^}" '{ print "  " $0 } $0 ~ until { exit }'
}

# summary LOG [NONE]: the inspector's summary of a log, or NONE if it found nothing.
summary() {
	if [ -n "${2:-}" ] && "$inspect" -q "$1"; then
		para "  $2"
	else
		"$inspect" "$1" | sed 's/^/  /' || true
	fi
}

# picture DIR NAME: NAME's findings drawn with Graphviz into DIR (DOT, SVG and
# PNG), and the same cycle as text for a terminal.
picture() {
	local log=$1/$2.dmesg.txt out=$1/$2
	"$inspect" --dot "$log" >"$out.dot" || [ $? = 1 ]
	dot -Tsvg "$out.dot" -o "$out.svg" && dot -Tpng "$out.dot" -o "$out.png"
	"$inspect" "$log" | grep -E '^ *(cycle|wait-for)' | sed 's/^ */  /' || true
	echo "  picture: $out.svg (and .png)"
}

# module_lines LOG MODULE PATTERN: the module's own lines matching PATTERN.
module_lines() { grep -E "$2: ($3)" "$1" | sed 's/^\[ *[0-9.]*\] /  /'; }
in_d() { tr -d '\r' <"$1" | grep -cE '^#\s+[0-9]+ D\S*\s+deadlock_' || true; }
verdict() { grep -o 'End of test: [A-Z]*' "$1" | tail -n 1 | cut -d' ' -f4; }
debug_locks_after() { tr -d '\r' <"$1" | grep -o 'debug_locks [01] -> [01]' | tail -n 1 | cut -d' ' -f4; }

story_abba() {
	title "deadlock-lab: the article's ABBA deadlock, the detectors that see it, and its fix"
	para "Linux $KERNEL_VERSION with lockdep and the hung-task detector, in QEMU. Two kernel threads take two semaphores, sem1 and sem2: deadlock_lab_a in the order sem1, sem2; deadlock_lab_b in the order sem2, sem1 (fixed=0) or sem1, sem2 (fixed=1). Three boots run side by side: the article's code as written, the same code with lockdep annotations, and the fix."
	start inverted-plain inverted fixed

	title "1. The article's code: two plain semaphores (annotate=0)"
	follow inverted-plain
	local plain inv fix
	plain=$(finished inverted-plain)
	para "Both threads sleep in down() in state D, for good. The hung-task detector (after 1 s here) reports each and names the task that last took the semaphore it waits for:"
	excerpt "$plain/inverted-plain.dmesg.txt" hung_task
	picture "$plain" inverted-plain

	title "What the article got wrong"
	para "The article says lockdep will flag this code. It cannot: lockdep only sees locks that carry a struct lockdep_map (spinlocks, mutexes, rw-semaphores), and struct semaphore has none. In this boot lockdep printed nothing, debug_locks is still $(debug_locks_after "$plain/inverted-plain.dmesg.txt"), and /proc/lockdep never learned a class called sem1 or sem2. Enabling lockdep (CONFIG_PROVE_LOCKING, not a boot parameter) is not enough: the semaphores must be annotated, as the kernel does for console_sem. The lab's Semaphore wrapper does that (annotate=1, the default)."

	title "2. The same code, annotated for lockdep (annotate=1)"
	inv=$(finished inverted)
	para "Each thread told lockdep which semaphore it held when it reached for the other. The second closed the cycle sem1 -> sem2 -> sem1, and lockdep reported it at that moment, before the thread blocked:"
	excerpt "$inv/inverted.dmesg.txt" circular 'DEADLOCK \*\*\*'
	picture "$inv" inverted
	para "Recovery, rmmod deadlock_lab: a semaphore has no owner, so the exit path may give each one units back; the threads wake, finish their round and exit. The module's verdict comes from what it measured:"
	module_lines "$inv/inverted.dmesg.txt" deadlock_lab 'unloading|.*got sem|threads stopped|End of test'

	title "3. The fixed order (fixed=1): both threads take sem1, then sem2"
	fix=$(finished fixed)
	module_lines "$fix/fixed.dmesg.txt" deadlock_lab 'threads stopped|contended|End of test'
	summary "$fix/fixed.dmesg.txt" "The inspector found nothing: lockdep stayed silent (debug_locks 1), no task hung."

	title "Summary"
	local row='  %-26s %-18s %-18s %s\n'
	printf "$row" "" "plain (article)" "annotated" "fixed"
	printf "$row" "lockdep circular reports" "$(count "$plain/inverted-plain.dmesg.txt" circular)" \
		"$(count "$inv/inverted.dmesg.txt" circular)" "$(count "$fix/fixed.dmesg.txt" circular)"
	printf "$row" "hung-task reports" "$(count "$plain/inverted-plain.dmesg.txt" hung_task)" \
		"$(count "$inv/inverted.dmesg.txt" hung_task)" "$(count "$fix/fixed.dmesg.txt" hung_task)"
	printf "$row" "threads in D state (ps)" "$(in_d "$plain/console.log")" "$(in_d "$inv/console.log")" "$(in_d "$fix/console.log")"
	printf "$row" "debug_locks at the end" "$(debug_locks_after "$plain/inverted-plain.dmesg.txt")" \
		"$(debug_locks_after "$inv/inverted.dmesg.txt")" "$(debug_locks_after "$fix/fixed.dmesg.txt")"
	printf "$row" "module's verdict" "$(verdict "$plain/inverted-plain.dmesg.txt")" \
		"$(verdict "$inv/inverted.dmesg.txt")" "$(verdict "$fix/fixed.dmesg.txt")"
	echo
	echo "  full logs: $plain/console.log"
	echo "             $inv/console.log"
	echo "             $fix/console.log"
	echo "  explore:   make run SCENARIO=predict|load|cpu|recursive|irq|leak|spin|gdb, make shell, make test"
}

story_predict() {
	title "Lockdep predicts: the inverted order that never blocked (overlap=0)"
	para "$(scenario_get predict about)"
	start predict
	follow predict
	local dir
	dir=$(finished predict)
	para "Thread A finished its rounds before thread B took sem2, then sem1. Nothing blocked, and yet:"
	excerpt "$dir/predict.dmesg.txt" circular 'DEADLOCK \*\*\*'
	picture "$dir" predict
	module_lines "$dir/predict.dmesg.txt" deadlock_lab 'threads stopped|contended|End of test'
}

story_load() {
	title "The fix under load: eight threads, every CPU busy, memory churning"
	para "$(scenario_get load about)"
	start load
	follow load
	local dir
	dir=$(finished load)
	module_lines "$dir/load.dmesg.txt" deadlock_lab 'threads stopped|contended|End of test'
	summary "$dir/load.dmesg.txt" "The inspector found nothing: no lockdep report, no hung task, no soft lockup."
}

story_cpu() {
	title "CPU usage: a deadlock that sleeps and one that burns"
	para "The article says deadlocks show as high CPU utilization. That holds for spinlocks, not for semaphores. Two boots, side by side: the semaphore ABBA (2 CPUs) and the spinlock ABBA (3 CPUs: the two spinning ones and one to watch from). Busy percentages per CPU from /proc/stat, over one second each; perf record -a during each deadlock."
	start cpu-usage-perf-sem cpu-usage-perf-spin
	follow cpu-usage-perf-sem
	local sem spin
	sem=$(finished cpu-usage-perf-sem)
	spin=$(finished cpu-usage-perf-spin)
	title "Busy per CPU (%)"
	tr -d '\r' <"$sem/console.log" | sed -n 's/^# cpu-usage: /  /p'
	tr -d '\r' <"$spin/console.log" | sed -n 's/^# cpu-usage: /  /p'
	title "perf report during each deadlock (top symbols)"
	echo "  semaphore deadlock:"
	tr -d '\r' <"$sem/console.log" | grep -E '^#   +[0-9.]+%' | head -n 5 | sed 's/^#/ /'
	echo "  spinlock deadlock:"
	tr -d '\r' <"$spin/console.log" | grep -E '^#   +[0-9.]+%' | head -n 5 | "$inspect" --demangle | sed 's/^#/ /'
	para "A sleeping deadlock leaves the CPUs idle and perf sees the idle loop: look for tasks in D (ps, the hung-task detector), not for CPU load. A spinning one burns its CPUs in the spinlock's slow path: the soft-lockup detector and perf see it."
}

# story_pair NAME WHAT: the broken and the fixed boot of one of the other
# scenarios, side by side, with the inspector's findings for each.
story_pair() {
	local name=$1 broken fixed b f k
	title "$name: $2"
	para "$(scenario_get "$name" about)"
	start "$name" "$name-fixed"
	title "$name, broken (fixed=0)"
	follow "$name"
	broken=$(finished "$name")
	b=$broken/$name.dmesg.txt
	summary "$b"
	picture "$broken" "$name"
	title "$name, fixed (fixed=1)"
	fixed=$(finished "$name-fixed")
	f=$fixed/$name-fixed.dmesg.txt
	summary "$f" "none: no lockdep report, no hung task, no lockup."
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
predict) story_predict ;;
load) story_load ;;
cpu) story_cpu ;;
recursive) story_pair recursive "one thread takes the same lock twice" ;;
irq) story_pair irq "a spinlock shared with an interrupt handler, taken with interrupts on" ;;
leak) story_pair leak "a lock that one path never releases" ;;
spin) story_pair spin "the ABBA on spinlocks: CPUs spin instead of sleeping" ;;
gdb)
	title "gdb on the live guest: the ABBA threads, seen from outside"
	"$LAB_ROOT/scripts/gdb-abba.sh" --show >/dev/null
	;;
all)
	for w in abba predict load cpu recursive irq leak spin gdb; do "$0" "$w"; done
	;;
*) die "no demo called '$what'" "choose one of: abba predict load cpu recursive irq leak spin gdb all" ;;
esac
