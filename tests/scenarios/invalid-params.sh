# SPDX-License-Identifier: GPL-2.0
# Every parameter of every module of the lab's harness, at its allowed range
# as the module states it (modinfo; the guest gets it as LAB_RANGES): one
# below and one above it make insmod fail with EINVAL and a kernel log line
# naming the parameter and the range (declared, judged on the host), and
# start nothing; the bounds
# themselves load and unload. A value that is no number is refused by the
# kernel's own parameter parser, which names the parameter.

# rejected MODULE PARAM=VALUE RANGE: refused, and nothing was started.
rejected() { rejects "$2" "$1" && no_lab_task; }

# loads MODULE PARAMS...: loads with PARAMS and unloads within 2 s.
loads() {
	local m=$1
	shift
	insmod "$LAB_MODULES_DIR/$m.ko" "$@" && rmmod_within 2 "$m"
}

# bounds_load MODULE PARAM MIN MAX: PARAM at each bound loads, the module in
# a fixed form. (fixed's lower bound is the broken form, which every
# module's own scenarios load.) A parameter whose range holds numbers it does
# not take (LAB_SPARSE: a schedule) loads at its lower bound, and its upper
# bound, no such number, is refused with EINVAL.
bounds_load() {
	if [ "$2" = fixed ]; then
		loads "$1" "fixed=$4"
	elif case " $LAB_SPARSE " in *" $1.$2 "*) true ;; *) false ;; esac then
		loads "$1" $CLEAN_LOAD "$2=$3" && rejects "$2=$4" "$1"
	else
		loads "$1" $CLEAN_LOAD "$2=$3" && loads "$1" $CLEAN_LOAD "$2=$4"
	fi
}

# not_a_number MODULE: fixed=many is refused with EINVAL, and nothing is
# loaded.
not_a_number() { rejects fixed=many "$1" && no_lab_task; }

for m in $LAB_MODULES; do
	for p in $(params_of "$m"); do
		r=$(range_of "$m" "$p")
		lo=${r%..=*} hi=${r#*..=}
		check "$m.$p:below" "$m: $p=$((lo - 1)) is rejected with EINVAL (allowed $r)" rejected "$m" "$p=$((lo - 1))"
		check "$m.$p:above" "$m: $p=$((hi + 1)) is rejected with EINVAL (allowed $r)" rejected "$m" "$p=$((hi + 1))"
		check "$m.$p:bounds" "$m: $p=$lo and $p=$hi load and unload" bounds_load "$m" "$p" "$lo" "$hi"
	done
	check "$m:not-a-number" "$m: fixed=many is rejected with EINVAL" not_a_number "$m"
done
# Schedules that name no thread, or more steps than a thread takes, or a gap,
# or more than one round: refused (the module says why; the host reads it).
check schedule:no-thread "deadlock_lab: schedule=0x13 (a thread 3 of 2) is rejected with EINVAL" \
	rejects "schedule=0x13 rounds=1" deadlock_lab
check schedule:too-many-steps "deadlock_lab: schedule=0x111 (a.3, of a's 2 steps) is rejected with EINVAL" \
	rejects "schedule=0x111 rounds=1" deadlock_lab
check schedule:gap "deadlock_lab: schedule=0x102 (a 0 between steps) is rejected with EINVAL" \
	rejects "schedule=0x102 rounds=1" deadlock_lab
check schedule:rounds "deadlock_lab: a schedule with rounds=2 is rejected with EINVAL" \
	rejects "schedule=0x12 rounds=2" deadlock_lab
finish
