# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for the scenario scripts (busybox ash, which has
# `local`: helpers must not clobber the caller's variables). A scenario
# sources this, checks live state with `check`, and ends with `finish`.
# Checks go to the console and to /tmp/checks, which the guest init prints
# again after the scenario, with the console quiet, for the host to read.

MODULE=/lib/modules/deadlock_lab.ko
failed=0
checks=0
: >/tmp/checks

say() { echo "# $*"; }

# check DESCRIPTION COMMAND...: one guest-side assertion.
check() {
	local desc=$1 line
	shift
	checks=$((checks + 1))
	if "$@"; then
		line="ok $checks $desc"
	else
		line="not ok $checks $desc"
		failed=$((failed + 1))
	fi
	echo "CHECK $line"
	echo "$line" >>/tmp/checks
}

finish() {
	say "$checks checks, $failed failed"
	exit "$failed"
}

# Lower the hung-task timeout so the detector speaks within seconds, and let
# it report each stuck task once.
hung_task_fast() {
	echo "${1:-3}" >/proc/sys/kernel/hung_task_timeout_secs
	echo "${2:-2}" >/proc/sys/kernel/hung_task_warnings
}

pid_of() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
	done
}

# state_of COMM: the task state letter (R, S, D, ...) of the task called COMM.
state_of() {
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] && sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1
}

# Poll until COMMAND succeeds, for at most SECS seconds.
wait_until() {
	local secs=$1 i=0
	shift
	while [ $i -lt $((secs * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

in_state() { [ "$(state_of "$1")" = "$2" ]; }
no_task() { [ -z "$(pid_of "$1")" ]; }
dmesg_has() { dmesg | grep -q -- "$1"; }
dmesg_count() { dmesg | grep -c -- "$1"; }
loaded() { grep -q "^$1 " /proc/modules; }
not_loaded() { ! loaded "$1"; }
uptime_cs() { cut -d' ' -f1 /proc/uptime | tr -d .; }
debug_locks() { awk '/debug_locks:/ {print $2}' /proc/lockdep_stats; }

# rmmod_within SECS MODULE: unload, and fail if it took longer than SECS.
rmmod_within() {
	local t0 ms
	t0=$(uptime_cs)
	rmmod "$2" || return 1
	ms=$((($(uptime_cs) - t0) * 10))
	say "rmmod $2 took $ms ms"
	[ $ms -le $(($1 * 1000)) ]
}

show_threads() {
	local t pid
	say "ps (STAT D = uninterruptible sleep):"
	ps -o pid,stat,comm | grep -E 'PID|deadlock_' | sed 's/^/#   /'
	for t in "$@"; do
		pid=$(pid_of "$t")
		[ -n "$pid" ] || continue
		say "/proc/$pid/stack ($t):"
		sed 's/^/#   /' "/proc/$pid/stack"
	done
}

# sysrq_blocked: ask the kernel to list every task in D state with its stack
# (sysrq-w, "show blocked tasks"), copy that part of the kernel log as
# diagnostic lines, and keep it in /tmp/sysrq-w for sysrq_lists.
sysrq_blocked() {
	local before
	before=$(dmesg | wc -l)
	echo w >/proc/sysrq-trigger
	# The dump is written synchronously; the short wait only lets the log settle.
	wait_until 5 eval 'dmesg | tail -n +$((before + 1)) | grep -q "Show Blocked State"'
	dmesg | tail -n +$((before + 1)) >/tmp/sysrq-w
	say "sysrq-w (show blocked tasks):"
	sed 's/^/#   /' /tmp/sysrq-w
}

# sysrq_lists COMM: the last sysrq-w dump shows COMM in state D.
sysrq_lists() { grep -q "task:$1 *state:D" /tmp/sysrq-w; }

# lockdep_classes PATTERN: how many lock classes lockdep knows whose name
# matches PATTERN (an extended regex, matched against the whole name).
lockdep_classes() { grep -cE "^[0-9a-f]+ .*: ($1)\$" /proc/lockdep; }

# lockdep_chains PATTERN: how many lock chains hold a class matching PATTERN.
lockdep_chains() {
	awk -v re="^($1)\$" 'BEGIN { RS = ""; n = 0 }
		{ for (i = 1; i <= NF; i++) if ($i ~ re) { n++; break } }
		END { print n }' /proc/lockdep_chains
}

# lockdep_depends A B: lockdep recorded that class B was taken while class A
# was held (the line " -> [...] B" under class A in /proc/lockdep).
lockdep_depends() {
	awk -v a="$1" -v b="$2" '/^[0-9a-f]/ { s = ($NF == a); next }
		s && $1 == "->" && $NF == b { f = 1 } END { exit !f }' /proc/lockdep
}

# lockdep_state LABEL PATTERN: lockdep's own view, as diagnostic lines:
# debug_locks, its totals, and the classes matching PATTERN with their
# dependencies.
lockdep_state() {
	say "lockdep $1: debug_locks=$(debug_locks);" \
		"$(grep -E 'lock-classes:|direct dependencies:|dependency chains:' /proc/lockdep_stats |
			sed 's/^ *//; s/  */ /g' | tr '\n' ';')"
	say "lockdep $1: classes matching '$2': $(lockdep_classes "$2"), chains holding one: $(lockdep_chains "$2")"
	awk -v re=": ($2)\$" '/^[0-9a-f]/ { show = ($0 ~ re) } show' /proc/lockdep | sed 's/^/#   /'
}

# rejects_fixed MODULE VALUE: insmod MODULE fixed=VALUE fails with EINVAL,
# the module logs the parameter and its range, and nothing stays loaded.
rejects_fixed() {
	local out rc
	out=$(insmod "/lib/modules/$1.ko" "fixed=$2" 2>&1)
	rc=$?
	say "insmod $1 fixed=$2: exit $rc: $out"
	[ $rc -ne 0 ] && echo "$out" | grep -q 'Invalid argument' &&
		dmesg_has "$1: invalid parameter: fixed=$2, allowed range 0..=1" && not_loaded "$1"
}
