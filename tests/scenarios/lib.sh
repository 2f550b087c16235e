# SPDX-License-Identifier: GPL-2.0
# Guest-side library for the scenario scripts (busybox ash, which has
# `local`: helpers must not clobber the caller's variables). The guest init
# sources it, with the contract (tools/lab/src/contract.rs: the lab's paths,
# names and protocol functions), before it runs a scenario's script.
#
# The guest observes, the host judges. A script checks live state with
# `check NAME DESCRIPTION PREDICATE ARGS...` (tasks and their states, /proc,
# /sys, lockdep's /proc files, what a command returned, how long rmmod took)
# and ends with `finish`. NAME is the check's name in the scenario's
# declaration (NAME.expect.json), which lists every check the script runs;
# the host fails a check that never ran, and one that is not declared, and
# refuses, before any boot, a check that reads the kernel log: what the log
# must show is declared there ("findings", "log", "verdict") and judged on
# the host. A script may read the log to pace itself (wait_log) or to show
# it (say). Predicates are the named commands below, never `eval` strings.
#
# A script's environment: LAB_SCENARIO, LAB_MODULE, LAB_PARAMS and LAB_PLAN
# from its declaration (LAB_WAIT and LAB_ENDS for the generic flow), and the
# lab's facts: LAB_MODULES (the modules of the lab's harness) and LAB_RANGES
# (MODULE.PARAM=MIN..=MAX of each of their parameters). Everything it prints
# goes to the host over the lab's protocol line.

MODULE=$LAB_MODULES_DIR/$LAB_MODULE.ko
failed=0
checks=0

# say TEXT: a diagnostic line, shown with the scenario's results.
say() { echo "# $*"; }

# check NAME DESCRIPTION PREDICATE [ARGS...]: one guest-side assertion.
check() {
	local name=$1 desc=$2
	shift 2
	checks=$((checks + 1))
	if "$@"; then
		lab_check ok "$name" "$desc"
	else
		lab_check fail "$name" "$desc"
		failed=$((failed + 1))
	fi
}

# measure NAME VALUE: a number the guest measured (a count in /proc, say),
# for the host to compare with what the kernel logged (a declared log fact's
# bound may name it).
measure() { lab_measure "$1" "$2"; }

# finish: ends the script; its status is the number of checks that failed.
finish() {
	say "$LAB_SCENARIO: $checks checks ($LAB_PLAN declared), $failed failed"
	exit "$failed"
}

# --- settings --------------------------------------------------------------

# hung_task_fast [SECS] [WARNINGS]: the hung-task detector reports a task
# blocked for SECS seconds (default 1, its smallest useful timeout), at most
# WARNINGS reports in all (default 2).
hung_task_fast() {
	set_sysctl kernel/hung_task_timeout_secs "${1:-1}"
	set_sysctl kernel/hung_task_warnings "${2:-2}"
}

# set_sysctl NAME VALUE: write a /proc/sys value (NAME as in
# kernel/hung_task_timeout_secs); set_knob PATH VALUE: any such file (a
# module parameter under /sys/module, say). The value before the scenario's
# first change goes to the contract's restore file, from which the guest
# init puts it back once the scenario ended: the next scenario of the boot
# starts from the boot's settings.
set_sysctl() { set_knob "/proc/sys/$1" "$2"; }
set_knob() {
	local old
	case " $LAB_CHANGED " in
	*" $1 "*) ;;
	*)
		# cat, not read: a sysctl answers only a read from its start, and
		# the shell's read takes a byte at a time (it would get "1" of 120).
		old=$(cat "$1")
		echo "$1 $old" >>"$LAB_RESTORE"
		LAB_CHANGED="$LAB_CHANGED $1"
		;;
	esac
	echo "$2" >"$1"
}

# --- predicates ------------------------------------------------------------

# Modules and tasks.
# load: insmod the scenario's module with its declared parameters, split
# into words and otherwise as written (no pattern is expanded), each
# {kallsyms:NAME} replaced by the address of NAME in /proc/kallsyms.
load() {
	local rc w
	set -f
	set -- $LAB_PARAMS
	set +f
	for w in "$@"; do
		shift
		w=$(kallsyms_expand "$w") || return 1
		set -- "$@" "$w"
	done
	insmod "$MODULE" "$@"
}
# kallsyms_expand WORD: WORD with each {kallsyms:NAME} replaced by NAME's
# address as 0x...; fails, naming the symbol, if /proc/kallsyms has no NAME
# or names it more than once.
kallsyms_expand() {
	local w=$1 name addr n
	while :; do
		case $w in
		*"{kallsyms:"*"}"*) ;;
		*) break ;;
		esac
		name=${w#*\{kallsyms:}
		name=${name%%\}*}
		addr=$(awk -v n="$name" '$3 == n { print $1 }' /proc/kallsyms)
		n=$(echo "$addr" | grep -c .)
		if [ "$n" != 1 ]; then
			echo "# {kallsyms:$name}: /proc/kallsyms names $name $n times, not once: not loading" >&2
			return 1
		fi
		say "{kallsyms:$name} is 0x$addr"  >&2
		w=${w%%\{kallsyms:*}0x$addr${w#*\{kallsyms:"$name"\}}
	done
	echo "$w"
}
# loaded MODULE, not_loaded MODULE: MODULE is (is not) in /proc/modules.
loaded() { grep -q "^$1 " /proc/modules; }
not_loaded() { ! loaded "$1"; }
# The helpers polled while a scenario waits use shell builtins only: under
# TCG every process the guest starts costs milliseconds of CPU, which the
# module under test and the boots beside it want.
# find_task COMM: sets TASK_PID to the PID of the task called COMM,
# TASK_STAT to the fields of its /proc/PID/stat after the name (the 3rd
# field on) and TASK_STATE to its state letter (R, S, D, ...); fails if
# there is none.
find_task() {
	local f c line
	TASK_PID= TASK_STAT= TASK_STATE=
	for f in /proc/[0-9]*/comm; do
		read -r c 2>/dev/null <"$f" || continue
		[ "$c" = "$1" ] || continue
		f=${f#/proc/}
		TASK_PID=${f%/comm}
		read -r line 2>/dev/null <"/proc/$TASK_PID/stat" || return 1
		TASK_STAT=${line##*) }
		TASK_STATE=${TASK_STAT%% *}
		return 0
	done
	return 1
}
# pid_of COMM: the PID of the task called COMM.
pid_of() { find_task "$1" && echo "$TASK_PID"; }
# state_of COMM: the task state letter (R, S, D, ...) of the task called COMM.
state_of() { find_task "$1" && echo "$TASK_STATE"; }
# in_state COMM STATE: the task called COMM is in STATE.
in_state() { find_task "$1" && [ "$TASK_STATE" = "$2" ]; }
# task_cpu COMM: the CPU the task called COMM last ran on (field 39 of
# /proc/PID/stat).
task_cpu() { find_task "$1" && set -- $TASK_STAT && echo "${37}"; }
# tasks_in_state STATE COMM...: every COMM exists and is in STATE.
tasks_in_state() {
	local want=$1 t
	shift
	for t in "$@"; do in_state "$t" "$want" || return 1; done
}
# tasks_exist COMM..., tasks_gone COMM...: every COMM exists; none does.
tasks_exist() {
	local t
	for t in "$@"; do find_task "$t" || return 1; done
}
tasks_gone() {
	local t
	for t in "$@"; do find_task "$t" && return 1; done
	return 0
}
# cpu_ticks COMM: clock ticks COMM has run, user and system time together
# (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { find_task "$1" && set -- $TASK_STAT && echo $((${12} + ${13})); }
# tasks_ran TICKS COMM...: every COMM has run for at least TICKS clock ticks.
tasks_ran() {
	local want=$1 t
	shift
	for t in "$@"; do [ "$(cpu_ticks "$t")" -ge "$want" ] 2>/dev/null || return 1; done
}
# stack_has COMM PATTERN: /proc/PID/stack of COMM matches PATTERN.
stack_has() { grep -q -- "$2" "/proc/$(pid_of "$1")/stack"; }

# The kernel log, for pacing only: wait_log SECS PATTERN [COUNT] waits at
# most SECS seconds until this scenario's part of the log (from the line the
# guest init wrote when it started) holds COUNT lines (default 1) matching
# the extended regex PATTERN. It never decides a check: the host judges the
# log from the declaration.
wait_log() {
	wait_until "$1" log_holds "$2" "${3:-1}"
}
# log_holds PATTERN COUNT: the scenario's part of the log holds COUNT
# lines matching PATTERN (wait_log's test).
log_holds() { [ "$(lab_klog | grep -cE -- "$1")" -ge "$2" ]; }
# wait_hung SECS COMM...: waits at most SECS seconds (for each) until the
# hung-task detector has reported each COMM in this scenario's part of the
# log, for pacing: the reports are findings, judged on the host.
wait_hung() {
	local secs=$1 t
	shift
	for t in "$@"; do wait_log "$secs" "INFO: task $t:[0-9]+ blocked for more than" || return 1; done
}
# log_show PATTERN: the lines of this scenario's part of the log matching
# PATTERN, as diagnostics.
log_show() { lab_klog | grep -E -- "$1" | sed 's/^/#   /'; }

# at_least VALUE MIN, at_most VALUE MAX, equals VALUE WANT, is_number
# VALUE: for numbers a scenario measured. A VALUE that is not a number fails,
# never counts as 0.
is_number() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
at_least() { is_number "$1" && [ "$1" -ge "$2" ]; }
at_most() { is_number "$1" && [ "$1" -le "$2" ]; }
equals() { [ "$1" = "$2" ]; }
# greater A B: A is a number greater than B.
greater() { is_number "$1" && is_number "$2" && [ "$1" -gt "$2" ]; }
# not PREDICATE [ARGS...]: the predicate does not hold.
not() { ! "$@"; }

# loc_total: local timer interrupts (the LOC line of /proc/interrupts), all
# CPUs together.
loc_total() { awk '$1 == "LOC:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts; }

# cpu_busy [SECS]: how busy each CPU was over SECS seconds (default 1), in
# percent, from /proc/stat, as "cpu0=N cpu1=M ..."; also kept in
# /tmp/cpu-busy for busy_of. Busy is everything but idle and iowait.
cpu_busy() {
	cpu_times >/tmp/cpu-before
	# A window, not a wait for something: one sleep, so that the observer
	# itself stays idle.
	sleep "${1:-1}"
	cpu_times >/tmp/cpu-after
	awk 'NR == FNR { b[$1] = $2; t[$1] = $3; next }
		{ db = $2 - b[$1]; dt = $3 - t[$1]; printf "%s%s=%d", sep, $1, (dt > 0 ? db * 100 / dt : 0); sep = " " }
		END { print "" }' /tmp/cpu-before /tmp/cpu-after | tee /tmp/cpu-busy
}
# cpu_times: each CPU's busy and total time, from /proc/stat (cpu_busy's).
cpu_times() { awk '/^cpu[0-9]/ { t = 0; for (i = 2; i <= NF; i++) t += $i; print $1, t - $5 - $6, t }' /proc/stat; }
# busy_of CPU: that CPU's figure in the last cpu_busy.
busy_of() { tr ' ' '\n' </tmp/cpu-busy | sed -n "s/^cpu$1=//p"; }

# perf_start: perf record -a -g of every CPU at 99 Hz, in the background,
# until perf_stop; returns once perf has set up its events and started its
# workload. perf writes a stream (-o -) without buffering, so that stopping
# it keeps every sample: while two CPUs spin with preemption off, perf cannot
# stop its events and end by itself.
perf_start() {
	(perf record -q -a -g -F 99 --no-buffering -e cpu-clock -o - -- sleep 120 \
		2>/tmp/perf-record.log | cat >/tmp/perf.data) &
	wait_until 20 tasks_exist sleep
}
# perf_stop: stops perf, reports the samples by symbol (perf report), and
# keeps the report in /tmp/perf-report and its top symbols in /tmp/perf-top.
perf_stop() {
	kill -9 $(pid_of perf) 2>/dev/null
	wait_until 5 not tasks_exist perf
	kill $(pid_of sleep) 2>/dev/null
	sed 's/^/#   /' /tmp/perf-record.log
	perf report -q -i /tmp/perf.data --stdio --no-children --sort sym >/tmp/perf-report 2>/dev/null
	grep -E '^ +[0-9.]+%' /tmp/perf-report | head -n 15 >/tmp/perf-top
	sed 's/^/#   /' /tmp/perf-top
}
# perf_module_callers: the module addresses in the call chains of the last
# report, named from /proc/kallsyms (perf names the symbols of a module only
# if it was loaded before perf started), one "ADDRESS SYMBOL" line each.
perf_module_callers() {
	grep -oE '0xffffffff[a-f][0-9a-f]{7}' /tmp/perf-report | sed 's/^0x//' | sort -u >/tmp/perf-addresses
	# One pass: the module symbols and the addresses, sorted together (16 hex
	# digits sort like numbers); each address takes the symbol before it.
	{
		grep -E '^[0-9a-f]{16} [tT] .*\[' /proc/kallsyms
		sed 's/$/ ~ ~/' /tmp/perf-addresses
	} | sort | awk '$2 == "~" { if (sym != "") print "0x" $1, sym; next } { sym = $3 " " $4 }'
}
# perf_top_has PATTERN: a line of the last perf_top matches PATTERN (ERE).
perf_top_has() { grep -qE -- "$1" /tmp/perf-top; }

# Settings and the machine: sysctl_is NAME VALUE, sysfs_is PATH VALUE.
sysctl_is() { [ "$(cat "/proc/sys/$1")" = "$2" ]; }
sysfs_is() { [ "$(cat "$1")" = "$2" ]; }
# env_has NAME=VALUE: init was started with NAME=VALUE in its environment
# (the kernel hands unknown command-line parameters to init).
env_has() { tr '\0' '\n' </proc/1/environ | grep -qx -- "$1"; }
# kernel_tainted BIT: the kernel's taint mask has BIT set.
kernel_tainted() { [ $(($(cat /proc/sys/kernel/tainted) >> $1 & 1)) = 1 ]; }
# cpus_online_is N: N CPUs are online.
cpus_online_is() { [ "$(grep -c ^processor /proc/cpuinfo)" = "$1" ]; }

# Lockdep's own state: debug_locks, and debug_locks_is VALUE.
debug_locks() { awk '/debug_locks:/ {print $2}' /proc/lockdep_stats; }
debug_locks_is() { [ "$(debug_locks)" = "$1" ]; }
# lockdep_classes PATTERN, lockdep_classes_is PATTERN N: how many lock classes lockdep knows whose name
# matches PATTERN (an extended regex, matched against the whole name).
lockdep_classes() { grep -cE "^[0-9a-f]+ .*: ($1)\$" /proc/lockdep; }
lockdep_classes_is() { [ "$(lockdep_classes "$1")" = "$2" ]; }
# lockdep_chains PATTERN, lockdep_chains_at_least PATTERN N: how many lock chains hold a class matching PATTERN
# (lines "[address] CLASS" of /proc/lockdep_chains; a chain holding two
# matching classes counts twice).
lockdep_chains() { grep -cE "^\[[0-9a-f]+\] ($1)\$" /proc/lockdep_chains; }
lockdep_chains_at_least() { [ "$(lockdep_chains "$1")" -ge "$2" ]; }
# lockdep_depends A B: lockdep recorded that class B was taken while class A
# was held (the line " -> [...] B" under class A in /proc/lockdep);
# lockdep_depends_either A B: one of the two orders; lockdep_depends_only
# A B: that order and not the other.
lockdep_depends() {
	awk -v a="$1" -v b="$2" '/^[0-9a-f]/ { s = ($NF == a); next }
		s && $1 == "->" && $NF == b { f = 1 } END { exit !f }' /proc/lockdep
}
lockdep_depends_either() { lockdep_depends "$1" "$2" || lockdep_depends "$2" "$1"; }
lockdep_depends_only() { lockdep_depends "$1" "$2" && ! lockdep_depends "$2" "$1"; }
# lockdep_usage_is CLASS REGEX: the usage characters lockdep prints before
# ": CLASS" in /proc/lockdep match REGEX (e.g. '-' first: hard-irq only).
lockdep_usage_is() { grep -qE "^[0-9a-f]+ .* $2[^ ]*: $1\$" /proc/lockdep; }

# uptime_cs: the guest's uptime in hundredths of a second. (Not the digits
# with the point removed: under a second that leaves a leading zero, and the
# shell's arithmetic reads 098 as a bad octal number.)
uptime_cs() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}
# uptime_past CS: the uptime is CS hundredths of a second or more.
uptime_past() { [ "$(uptime_cs)" -ge "$1" ]; }

# rmmod_within SECS MODULE: unload, and fail if it took longer than SECS.
rmmod_within() {
	local t0 ms
	t0=$(uptime_cs)
	rmmod "$2" || return 1
	ms=$((($(uptime_cs) - t0) * 10))
	say "rmmod $2 took $ms ms"
	[ $ms -le $(($1 * 1000)) ]
}

# rejects PARAM=VALUE [MODULE]: loading MODULE (default: the scenario's)
# with PARAM=VALUE fails with EINVAL (22), and nothing stays loaded. (One
# load, with the guest's own loader: busybox's insmod loads a refused module
# twice.) What the module logs about it is declared, and judged on the host.
rejects() {
	local m=${2:-$LAB_MODULE} out rc
	out=$(modload "$LAB_MODULES_DIR/$m.ko" "$1" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ $rc -ne 0 ] && echo "$out" | grep -q 'errno 22$' && not_loaded "$m"
}

# A load of a harness module that ends by itself: its fixed form.
CLEAN_LOAD=fixed=1
# range_of MODULE PARAM: the allowed range of MODULE's PARAM, as MIN..=MAX.
range_of() {
	local r
	for r in $LAB_RANGES; do
		case $r in "$1.$2="*) echo "${r#*=}" && return 0 ;; esac
	done
	return 1
}
# params_of MODULE: the parameters of MODULE that have an allowed range.
params_of() {
	local r
	for r in $LAB_RANGES; do
		case $r in "$1."*) r=${r#"$1".} && echo "${r%%=*}" ;; esac
	done
}
# no_lab_task: no task of any lab module is left.
no_lab_task() { ! grep -q "^$LAB_THREAD_PREFIX" /proc/[0-9]*/comm 2>/dev/null; }
# module_classes: how many lock classes lockdep knows whose key lies in a
# module (the lab's locks are keyed by statics of their module; lockdep
# forgets a module's classes when it unloads). The address of a class's key
# starts its line of /proc/lockdep; the module area of x86-64 starts at
# MODULES_VADDR (without KASLR, 0xffffffffa0000000), above the kernel image.
module_classes() { grep -cE '^ffffffff[a-f][0-9a-f]{7} ' /proc/lockdep; }

# lockdep_graph: lockdep's graph of the module's own classes (keyed in the
# module area, see module_classes; the keys show only with no_hash_pointers),
# for the host: each class, and each direct dependency between two of them
# (class B taken while class A was held). Read it before the unload, which
# drops the classes.
lockdep_graph() {
	awk 'function ours(k) { return k ~ /^ffffffff[a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/ }
		/^[0-9a-f]/ { cur = ""; if (ours($1)) { cur = $0; sub(/.*: /, "", cur); print "@lockdep-class " cur }; next }
		cur != "" && $1 == "->" { k = $2; gsub(/[][]/, "", k); if (ours(k)) { n = $0; sub(/^ *-> \[[0-9a-f]*\] /, "", n); print "@lockdep-edge " cur " " n } }' /proc/lockdep
}

# mount_debugfs: /sys/kernel/debug, for fault injection and kmemleak.
mount_debugfs() {
	grep -q ' /sys/kernel/debug debugfs' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug
}

# --- diagnostics (# lines) -------------------------------------------------

# show_threads COMM...: ps of the lab's threads, and each COMM's stack, as
# diagnostics.
show_threads() {
	local t pid
	say "ps (STAT D = uninterruptible sleep):"
	ps -o pid,stat,comm | grep -E "PID|$LAB_THREAD_PREFIX" | sed 's/^/#   /'
	for t in "$@"; do
		pid=$(pid_of "$t")
		[ -n "$pid" ] || continue
		say "/proc/$pid/stack ($t):"
		sed 's/^/#   /' "/proc/$pid/stack"
	done
}

# sysrq_blocked: ask the kernel to list every task in D state with its stack
# (sysrq-w, "show blocked tasks"), in the kernel log, where the host reads
# it; and show that part of the log as diagnostic lines.
sysrq_blocked() {
	local before
	before=$(dmesg | wc -l)
	echo w >/proc/sysrq-trigger
	# The dump is written synchronously; wait only until it is in the log.
	wait_log 5 "Show Blocked State"
	say "sysrq-w (show blocked tasks):"
	dmesg | tail -n +$((before + 1)) | sed 's/^/#   /'
}

# lockdep_state LABEL PATTERN: lockdep's own view, as diagnostic lines:
# debug_locks, its totals, and the classes matching PATTERN with their
# dependencies. (The pattern goes into the awk program as a literal:
# busybox awk compiles a regex held in a variable again for every line.)
lockdep_state() {
	say "lockdep $1: debug_locks=$(debug_locks);" \
		"$(grep -E 'lock-classes:|direct dependencies:|dependency chains:' /proc/lockdep_stats |
			sed 's/^ *//; s/  */ /g' | tr '\n' ';')"
	say "lockdep $1: classes matching '$2': $(lockdep_classes "$2")"
	awk "/^[0-9a-f]/ { show = /: ($2)\$/ } show" /proc/lockdep | sed 's/^/#   /'
}

# --- waiting ---------------------------------------------------------------

# nap SECS: sleep SECS seconds (fractions too) without starting a process.
nap() { lab_nap "$1"; }

# wait_until SECS PREDICATE [ARGS...]: poll until the predicate holds, for at
# most SECS seconds: every 50 ms for the first half second, then every
# 200 ms: a predicate that reads the kernel log costs tens of milliseconds
# of CPU under TCG, which polling too often would take from the module.
wait_until() {
	local end i=0
	end=$(($(uptime_cs) + $1 * 100))
	shift
	while :; do
		"$@" && return 0
		[ "$(uptime_cs)" -lt $end ] || return 1
		if [ $i -lt 10 ]; then nap 0.05; else nap 0.2; fi
		i=$((i + 1))
	done
}
