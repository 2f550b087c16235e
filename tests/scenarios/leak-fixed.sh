# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=1: the failing update returns with `?` and its guard
# releases store_lock. Expect the waiter to get the lock at once, no
# hung-task or lockdep report (not even when the leaker exits on rmmod), and
# a clean unload.
# timeout: 90
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_leak.ko
hung_task_fast 3 1

check "fixed=2 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_leak 2
check "fixed=-1 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_leak -1
check "insmod deadlock_leak fixed=1 succeeds" insmod $MODULE fixed=1
check "the failing update released store_lock" wait_until 10 dmesg_has 'deadlock_leaker: update 2 failed with -22; the guard released store_lock on the way out'
check "deadlock_waiter gets store_lock" wait_until 10 dmesg_has 'deadlock_waiter: got store_lock$'
check "both threads idle in S" eval 'wait_until 5 in_state deadlock_waiter S && in_state deadlock_leaker S'
show_threads
sleep 4
check "no hung-task report" eval '! dmesg_has "INFO: task deadlock_"'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check "no lockdep report when the leaker exits" eval '! dmesg_has "still has locks held"'
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "End of test: SUCCESS" dmesg_has 'deadlock_leak: End of test: SUCCESS: fixed'
finish
