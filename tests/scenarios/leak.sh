# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=0: the leaker's failing update returns with store_lock
# held. Expect the waiter stuck in D; lockdep silent while the leaker lives;
# the hung-task detector naming the leaker as last holder and listing the
# lock it still holds; then, on rmmod, lockdep's report of the leaker exiting
# with store_lock held, and recovery.
# timeout: 120
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_leak.ko
hung_task_fast 3 1

lockdep_state "before insmod" store_lock
check "insmod deadlock_leak fixed=0 succeeds" insmod $MODULE fixed=0
check "the failing update returns with store_lock held" wait_until 10 dmesg_has 'deadlock_leaker: update 2 failed with -22; returned with store_lock still held'
check "deadlock_waiter tries to take store_lock" wait_until 10 dmesg_has 'deadlock_waiter: taking store_lock'
check "deadlock_waiter sleeps in D state" wait_until 10 in_state deadlock_waiter D
check "deadlock_leaker is alive, idle in S" in_state deadlock_leaker S
show_threads deadlock_waiter deadlock_leaker
sysrq_blocked
check "sysrq-w lists deadlock_waiter in state D" sysrq_lists deadlock_waiter
check "sysrq-w does not list the leaker (it is not blocked)" eval '! grep -q "task:deadlock_leaker" /tmp/sysrq-w'
lockdep_state "while the waiter hangs" store_lock
check "lockdep has noticed nothing yet (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "the hung-task detector reports deadlock_waiter" wait_until 30 dmesg_has 'INFO: task deadlock_waiter:[0-9]* blocked for more than'
check "it names deadlock_leaker as the semaphore's last holder" dmesg_has 'INFO: task deadlock_waiter:[0-9]* blocked on a semaphore likely last held by task deadlock_leaker:[0-9]*$'
check "lockdep's list of held locks shows store_lock held by deadlock_leaker, taken in update_leaky" eval 'dmesg | grep -A1 "locks held by deadlock_leaker/" | grep -q "(store_lock).*update_leaky"'
check "no lockdep report before the leaker exits" eval '! dmesg_has "still has locks held"'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check "lockdep reports deadlock_leaker exiting with locks held" dmesg_has 'WARNING: deadlock_leaker/[0-9]* still has locks held!'
check "the report names store_lock, taken in update_leaky" eval 'dmesg | grep -A4 "still has locks held" | grep -q "(store_lock).*update_leaky"'
check "lockdep turned itself off after its report (debug_locks 0)" eval '[ "$(debug_locks)" = 0 ]'
check "the module is gone" not_loaded deadlock_leak
check "no deadlock_leak thread is left" eval 'no_task deadlock_leaker && no_task deadlock_waiter'
check "End of test: SUCCESS" dmesg_has 'deadlock_leak: End of test: SUCCESS: leaked store_lock'
lockdep_state "after rmmod" store_lock
finish
