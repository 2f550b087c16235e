# SPDX-License-Identifier: GPL-2.0
# A ring of three: deadlock_lab locks=3 fixed=0. Thread a takes sem1 then
# sem2, b sem2 then sem3, c sem3 then sem1, which closes the ring. All three
# deadlock; lockdep reports one circular dependency with all three locks in
# its chain, the hung-task detector reports every thread, and rmmod recovers.
. /scenarios/lib.sh

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check deadlock "the ring deadlocks" wait_until 10 module_said "deadlocked:"
check three-in-d "deadlock_lab_a, _b and _c sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b deadlock_lab_c
show_threads deadlock_lab_a deadlock_lab_b deadlock_lab_c
# Warnings to spare: a scan that falls between the threads' blocking names
# only the first, and the next names it again.
hung_task_fast 1 5
check hung-task-reports "the hung-task detector reports all three" wait_until 30 hung_reported deadlock_lab_a deadlock_lab_b deadlock_lab_c
check one-report "lockdep reported exactly once" dmesg_count_is "WARNING: possible circular locking dependency detected" 1
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check three-gone "deadlock_lab_a, _b and _c are gone" tasks_gone deadlock_lab_a deadlock_lab_b deadlock_lab_c
check asleep-at-unload "the exit path found all three asleep in down()" dmesg_has "3 task(s) asleep on a lock at unload"
check verdict "the module's verdict: SUCCESS, inverted ring deadlocked and recovered" verdict_is SUCCESS "inverted ring deadlocked and recovered"
check classes-dropped "lockdep dropped sem1, sem2 and sem3 on unload" lockdep_classes_is "sem[1-8]" 0
finish
