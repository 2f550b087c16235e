# SPDX-License-Identifier: GPL-2.0
# rounds=0: the fixed order runs until unload. rmmod must stop both threads
# promptly while they are busy taking the semaphores.
. /scenarios/lib.sh

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check threads-run "both threads run their rounds (each has had CPU time)" wait_until 10 tasks_ran 1 deadlock_lab_a deadlock_lab_b
show_threads
check still-running "both threads are still running" tasks_exist deadlock_lab_a deadlock_lab_b
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check no-thread-left "no deadlock_lab thread is left" tasks_gone deadlock_lab_a deadlock_lab_b
a=$(logged_number 'threads stopped: deadlock_lab_a=\([0-9]*\) rounds')
b=$(logged_number 'threads stopped: deadlock_lab_a=[0-9]* rounds, deadlock_lab_b=\([0-9]*\) rounds')
say "rounds done before the unload: $a and $b"
check a-progress "deadlock_lab_a made progress until the unload" at_least "$a" 1
check b-progress "deadlock_lab_b made progress until the unload" at_least "$b" 1
check verdict "the module's verdict: SUCCESS, fixed order" verdict_is SUCCESS "fixed order"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
