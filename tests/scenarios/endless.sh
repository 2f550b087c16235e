# SPDX-License-Identifier: GPL-2.0
# rounds=0: the fixed order runs until unload. rmmod must stop both threads
# promptly while they are busy taking the semaphores.

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check threads-run "both threads run their rounds (each has had CPU time)" wait_until 10 tasks_ran 1 deadlock_lab_a deadlock_lab_b
show_threads
check still-running "both threads are still running" tasks_exist deadlock_lab_a deadlock_lab_b
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check no-thread-left "no deadlock_lab thread is left" tasks_gone deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
