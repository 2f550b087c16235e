# SPDX-License-Identifier: GPL-2.0
# Every out-of-range parameter makes insmod fail with EINVAL and a dmesg
# line naming the parameter and its allowed range; nothing is started. The
# bounds themselves load.
. /scenarios/lib.sh

# rejected PARAM=VALUE RANGE: rejects, and no thread was started either.
nothing_left() { not_loaded deadlock_lab && tasks_gone deadlock_lab_a deadlock_lab_b; }
rejected() { rejects "$1" "$2" && nothing_left; }

check "fixed=2 is rejected (allowed 0..=1)" rejected fixed=2 0..=1
check "fixed=-1 is rejected (allowed 0..=1)" rejected fixed=-1 0..=1
check "rounds=-1 is rejected (allowed 0..=10000000)" rejected rounds=-1 0..=10000000
check "rounds=10000001 is rejected (allowed 0..=10000000)" rejected rounds=10000001 0..=10000000
check "hold_us=-5 is rejected (allowed 0..=100000)" rejected hold_us=-5 0..=100000
check "hold_us=100001 is rejected (allowed 0..=100000)" rejected hold_us=100001 0..=100000
check "annotate=2 is rejected (allowed 0..=1)" rejected annotate=2 0..=1
check "annotate=-1 is rejected (allowed 0..=1)" rejected annotate=-1 0..=1
check "overlap=2 is rejected (allowed 0..=1)" rejected overlap=2 0..=1
check "overlap=-1 is rejected (allowed 0..=1)" rejected overlap=-1 0..=1
check "threads=1 is rejected (allowed 2..=64)" rejected threads=1 2..=64
check "threads=65 is rejected (allowed 2..=64)" rejected threads=65 2..=64

# Not a number at all: the kernel's parameter parser refuses it, naming it.
out=$(insmod $MODULE rounds=many 2>&1)
say "insmod rounds=many: $out"
check "rounds=many is rejected with EINVAL" equals "$(echo "$out" | grep -c 'Invalid argument')" 1
check "the kernel names the parameter rounds" dmesg_has "invalid for parameter \`rounds'"
check "nothing was loaded or started" nothing_left
check "the upper bounds load: fixed=1 rounds=10000000 hold_us=100000 threads=2" insmod $MODULE fixed=1 rounds=10000000 hold_us=100000 annotate=1 overlap=1 threads=2
check "and unload within 2 s" rmmod_within 2 deadlock_lab
check "the other bounds load: fixed=1 rounds=1 annotate=0 overlap=0 threads=64" insmod $MODULE fixed=1 rounds=1 hold_us=0 annotate=0 overlap=0 threads=64
check "and unload within 2 s" rmmod_within 2 deadlock_lab
finish
