# SPDX-License-Identifier: GPL-2.0
# The fixed order: both threads take sem1 then sem2, contending for real.
# Expect no lockdep report, debug_locks still 1, every round done, threads
# idle in S (not D) afterwards, and a clean unload.
. /scenarios/lib.sh
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check a-rounds "deadlock_lab_a finishes 2000 rounds" wait_until 60 module_said "deadlock_lab_a: finished 2000 rounds"
check b-rounds "deadlock_lab_b finishes 2000 rounds" wait_until 60 module_said "deadlock_lab_b: finished 2000 rounds"
check idle-in-s "both threads idle interruptibly (S)" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
show_threads
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
# What the fix costs: lock_stat's figures for the two semaphores (read
# before the unload, which drops their classes).
say "lock_stat: $(sed -n 's/^ *class name *//p' /proc/lock_stat | head -n 1 | tr -s ' ')"
grep -E '^ +sem[12]:' /proc/lock_stat | tr -s ' ' | sed 's/^/# lock_stat:/'
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check module-gone "the module is gone" not_loaded deadlock_lab
check no-thread-left "no deadlock_lab thread is left" tasks_gone deadlock_lab_a deadlock_lab_b
check counts-reported "the module reports both counts" module_said "threads stopped: deadlock_lab_a=2000 rounds, deadlock_lab_b=2000 rounds"
waits=$(logged_number 'contended acquisitions: \([0-9]*\)')
say "contended acquisitions: $waits"
check contended "the threads really contended (some acquisitions had to wait)" at_least "$waits" 1
check no-hung-task "no hung-task report" dmesg_lacks "INFO: task deadlock_"
check verdict "the module's verdict: SUCCESS, fixed order" verdict_is SUCCESS "fixed order"
finish
