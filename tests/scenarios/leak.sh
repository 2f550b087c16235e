# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=0: the leaker's failing update returns with store_lock
# held. Expect the waiter stuck in D; lockdep silent while the leaker lives;
# the hung-task detector naming the leaker as last holder and listing the
# lock it still holds; then, on rmmod, lockdep's report of the leaker exiting
# with store_lock held, and recovery.

lockdep_state "before insmod" store_lock
check insmod "insmod deadlock_leak $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_leaker: update 2 failed with -22; returned with store_lock still held"
wait_log 10 "deadlock_waiter: store_lock is taken: sleeping in down"
check waiter-in-d "deadlock_waiter sleeps in D state" wait_until 10 in_state deadlock_waiter D
check leaker-idle "deadlock_leaker is alive, idle in S" in_state deadlock_leaker S
show_threads deadlock_waiter deadlock_leaker
sysrq_blocked
# The hung-task detector only now (it reports 1 s after): its report would
# otherwise land in the middle of the sysrq-w dump.
hung_task_fast 1 1
lockdep_state "while the waiter hangs" store_lock
check no-report-yet "lockdep has noticed nothing yet (debug_locks 1)" debug_locks_is 1
wait_hung 30 deadlock_waiter
# The list's header: "locks held by deadlock_leaker/PID: 1, on CPU#0:" (7.3),
# "1 lock held by deadlock_leaker/PID:" (7.2).
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check module-gone "the module is gone" not_loaded deadlock_leak
check no-thread-left "no deadlock_leak thread is left" tasks_gone deadlock_leaker deadlock_waiter
lockdep_state "after rmmod" store_lock
finish
