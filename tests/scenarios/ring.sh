# SPDX-License-Identifier: GPL-2.0
# A ring of three: deadlock_lab locks=3 fixed=0. Thread a takes sem1 then
# sem2, b sem2 then sem3, c sem3 then sem1, which closes the ring. All three
# deadlock; lockdep reports one circular dependency with all three locks in
# its chain, the hung-task detector reports every thread, and rmmod recovers.

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
check three-in-d "deadlock_lab_a, _b and _c sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b deadlock_lab_c
show_threads deadlock_lab_a deadlock_lab_b deadlock_lab_c
# Warnings to spare: a scan that falls between the threads' blocking names
# only the first, and the next names it again.
hung_task_fast 1 5
wait_hung 30 deadlock_lab_a deadlock_lab_b deadlock_lab_c
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check three-gone "deadlock_lab_a, _b and _c are gone" tasks_gone deadlock_lab_a deadlock_lab_b deadlock_lab_c
check classes-dropped "lockdep dropped sem1, sem2 and sem3 on unload" lockdep_classes_is "sem[1-8]" 0
finish
