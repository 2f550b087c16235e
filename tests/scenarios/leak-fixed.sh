# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=1: the failing update returns with `?` and its guard
# releases store_lock. Expect the waiter to get the lock at once, no
# hung-task or lockdep report (not even when the leaker exits on rmmod), and
# a clean unload.
. /scenarios/lib.sh
hung_task_fast 1 1

check insmod "insmod deadlock_leak $LAB_PARAMS succeeds" load
check update-released "the failing update released store_lock" wait_until 10 module_said "deadlock_leaker: update 2 failed with -22; the guard released store_lock on the way out"
check waiter-gets-lock "deadlock_waiter gets store_lock at once" wait_until 10 dmesg_has "deadlock_leak: deadlock_waiter: got store_lock\$"
check idle-in-s "both threads idle in S, so no task is blocked" wait_until 5 tasks_in_state S deadlock_waiter deadlock_leaker
show_threads
check no-hung-task "no hung-task report" dmesg_lacks "INFO: task deadlock_"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check no-held-lock-report "no lockdep report when the leaker exits" dmesg_lacks "still has locks held"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
check verdict "the module's verdict: SUCCESS, fixed" verdict_is SUCCESS "fixed, the failed update released store_lock"
finish
