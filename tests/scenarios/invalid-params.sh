# SPDX-License-Identifier: GPL-2.0
# Every out-of-range parameter makes insmod fail with EINVAL and a dmesg
# line naming the parameter and its allowed range; nothing is started.
# timeout: 90
. /scenarios/lib.sh

# rejected PARAM=VALUE RANGE: insmod fails with EINVAL, the range is logged.
rejected() {
	out=$(insmod $MODULE "$1" 2>&1)
	rc=$?
	say "insmod $1: exit $rc: $out"
	[ $rc -ne 0 ] && echo "$out" | grep -q 'Invalid argument' &&
		dmesg_has "deadlock_lab: invalid parameter: $1, allowed range $2" &&
		not_loaded deadlock_lab && no_task deadlock_lab_a && no_task deadlock_lab_b
}

check "fixed=2 is rejected (allowed 0..=1)" rejected fixed=2 0..=1
check "fixed=-1 is rejected (allowed 0..=1)" rejected fixed=-1 0..=1
check "rounds=-1 is rejected (allowed 0..=10000000)" rejected rounds=-1 0..=10000000
check "rounds=10000001 is rejected (allowed 0..=10000000)" rejected rounds=10000001 0..=10000000
check "hold_us=-5 is rejected (allowed 0..=100000)" rejected hold_us=-5 0..=100000
check "hold_us=100001 is rejected (allowed 0..=100000)" rejected hold_us=100001 0..=100000

# Not a number at all: the kernel's parameter parser refuses it, naming it.
out=$(insmod $MODULE rounds=many 2>&1)
say "insmod rounds=many: $out"
check "rounds=many is rejected with EINVAL" eval 'echo "$out" | grep -q "Invalid argument"'
check "the kernel names the parameter rounds" dmesg_has "invalid for parameter \`rounds'"
check "nothing was loaded or started" eval 'not_loaded deadlock_lab && no_task deadlock_lab_a && no_task deadlock_lab_b'
check "the boundary values load: fixed=1 rounds=10000000 hold_us=0" insmod $MODULE fixed=1 rounds=10000000 hold_us=0
check "and unload" rmmod_within 2 deadlock_lab
finish
