# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=0: the leaker's failing update returns with store_lock
# held. Expect the waiter stuck in D; lockdep silent while the leaker lives;
# the hung-task detector naming the leaker as last holder and listing the
# lock it still holds; then, on rmmod, lockdep's report of the leaker exiting
# with store_lock held, and recovery.
. /scenarios/lib.sh

lockdep_state "before insmod" store_lock
check insmod "insmod deadlock_leak $LAB_PARAMS succeeds" load
check update-leaks "the failing update returns with store_lock held" wait_until 10 module_said "deadlock_leaker: update 2 failed with -22; returned with store_lock still held"
check waiter-waits "deadlock_waiter finds store_lock taken and sleeps" wait_until 10 module_said "deadlock_waiter: store_lock is taken: sleeping in down()"
check waiter-in-d "deadlock_waiter sleeps in D state" wait_until 10 in_state deadlock_waiter D
check leaker-idle "deadlock_leaker is alive, idle in S" in_state deadlock_leaker S
show_threads deadlock_waiter deadlock_leaker
sysrq_blocked
# The hung-task detector only now (it reports 1 s after): its report would
# otherwise land in the middle of the sysrq-w dump.
hung_task_fast 1 1
check sysrq-w-waiter "sysrq-w lists deadlock_waiter in state D" sysrq_lists deadlock_waiter
check sysrq-w-not-leaker "sysrq-w does not list the leaker (it is not blocked)" sysrq_omits deadlock_leaker
lockdep_state "while the waiter hangs" store_lock
check no-report-yet "lockdep has noticed nothing yet (debug_locks 1)" debug_locks_is 1
check hung-task-reports "the hung-task detector reports deadlock_waiter" wait_until 30 dmesg_has "INFO: task deadlock_waiter:[0-9]* blocked for more than"
check names-leaker "it names deadlock_leaker as the semaphore's last holder" dmesg_has "INFO: task deadlock_waiter:[0-9]* blocked on a semaphore likely last held by task deadlock_leaker:[0-9]*\$"
# The list's header: "locks held by deadlock_leaker/PID: 1, on CPU#0:" (7.3),
# "1 lock held by deadlock_leaker/PID:" (7.2).
check held-locks-listing "lockdep's list of held locks shows store_lock held by deadlock_leaker, taken in update_leaky" dmesg_near "held by deadlock_leaker/" 1 "(store_lock).*update_leaky"
check no-report-before-exit "no lockdep report before the leaker exits" dmesg_lacks "still has locks held"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check held-lock-report "lockdep reports deadlock_leaker exiting with locks held" dmesg_has "WARNING: deadlock_leaker/[0-9]* still has locks held!"
check names-store-lock "the report names store_lock, taken in update_leaky" dmesg_near "still has locks held" 4 "(store_lock).*update_leaky"
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check module-gone "the module is gone" not_loaded deadlock_leak
check no-thread-left "no deadlock_leak thread is left" tasks_gone deadlock_leaker deadlock_waiter
check verdict "the module's verdict: SUCCESS, leaked store_lock" verdict_is SUCCESS "leaked store_lock, the waiter hung until unload"
lockdep_state "after rmmod" store_lock
finish
