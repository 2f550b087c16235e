# SPDX-License-Identifier: GPL-2.0
# deadlock_leak fixed=1: the failing update returns with `?` and its guard
# releases store_lock. Expect the waiter to get the lock at once, no
# hung-task or lockdep report (not even when the leaker exits on rmmod), and
# a clean unload.
hung_task_fast 1 1

check insmod "insmod deadlock_leak $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_leaker: update 2 failed with -22; the guard released store_lock on the way out"
wait_log 10 "deadlock_waiter: got store_lock$"
check idle-in-s "both threads idle in S, so no task is blocked" wait_until 5 tasks_in_state S deadlock_waiter deadlock_leaker
show_threads
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_leak
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
