# SPDX-License-Identifier: GPL-2.0
# deadlock_lab fixed=0 annotate=0: the article's code as written. The
# semaphores are plain struct semaphores, as DEFINE_SEMAPHORE makes them,
# with no lockdep map. The threads deadlock as before, and only the hung-task
# detector sees it: lockdep reports nothing, keeps debug_locks at 1, and
# never even learns the classes sem1 and sem2.
# Warnings to spare: a scan that falls between the threads' blocking names
# only the first, and the next names it again.
hung_task_fast 1 4

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
check both-in-d "deadlock_lab_a and deadlock_lab_b sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b
show_threads deadlock_lab_a deadlock_lab_b
wait_hung 30 deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
check no-classes "lockdep never learned sem1 or sem2: plain semaphores have no lockdep map" lockdep_classes_is "sem[12]" 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check both-gone "deadlock_lab_a and deadlock_lab_b are gone" tasks_gone deadlock_lab_a deadlock_lab_b
finish
