# SPDX-License-Identifier: GPL-2.0
# The fixed order: both threads take sem1 then sem2, contending for real.
# Expect no lockdep report, debug_locks still 1, every round done, threads
# idle in S (not D) afterwards, and a clean unload.
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_lab: deadlock_lab_[ab]: finished 2000 rounds" 2
check idle-in-s "both threads idle interruptibly (S)" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
show_threads
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
# What the fix costs: lock_stat's figures for the two semaphores (read
# before the unload, which drops their classes).
say "lock_stat: $(sed -n 's/^ *class name *//p' /proc/lock_stat | head -n 1 | tr -s ' ')"
grep -E '^ +sem[12]:' /proc/lock_stat | tr -s ' ' | sed 's/^/# lock_stat:/'
# The order lockdep saw, for the lock-order contract (before the unload,
# which drops the classes).
lockdep_graph
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check module-gone "the module is gone" not_loaded deadlock_lab
check no-thread-left "no deadlock_lab thread is left" tasks_gone deadlock_lab_a deadlock_lab_b
finish
