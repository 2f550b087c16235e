# SPDX-License-Identifier: GPL-2.0
# Avoidance: deadlock_lab fixed=2. Thread B keeps the inverted order, sem2
# then sem1, but only tries sem1, and if it is taken gives sem2 back, waits a
# random moment and starts again. Expect every round done, no report of any
# kind (lockdep records no dependency for a trylock), no task asleep on a
# lock at unload, and at least one back-off under the contention hold_us
# makes. The same load in the fixed order first gives the figures that say
# what back-off costs (make bench prints them).
. /scenarios/lib.sh
hung_task_fast 1 2

# ms_of THREAD: how long THREAD took for its rounds, from its "finished" line.
ms_of() { logged_number "$1: finished [0-9]* rounds in \([0-9]*\) ms"; }
params=$(echo "$LAB_PARAMS" | sed 's/fixed=2/fixed=1/')
check insmod-fixed "insmod deadlock_lab $params succeeds (the fixed order, for comparison)" insmod $MODULE $params
check fixed-rounds "in the fixed order both threads finish their rounds" \
	wait_until 60 tasks_finished deadlock_lab_a deadlock_lab_b
fixed_a=$(ms_of deadlock_lab_a) fixed_b=$(ms_of deadlock_lab_b)
check rmmod-fixed "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check rounds "with back-off both threads finish their rounds" wait_until 60 tasks_finished2 deadlock_lab_a deadlock_lab_b
check idle-in-s "both threads idle interruptibly (S): nobody waits for a lock" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on (debug_locks 1): a trylock adds no dependency" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
backoffs=$(logged_number 'deadlock_lab_b: backed off \([0-9]*\) times')
check backed-off "deadlock_lab_b backed off at least once under contention ($backoffs times)" at_least "$backoffs" 1
check no-hung-task "no hung-task report" dmesg_lacks "INFO: task deadlock_lab"
check verdict "the module's verdict: SUCCESS, back-off, every round done" verdict_is SUCCESS "back-off, every round done"
say "back-off figures: fixed_a_ms=$fixed_a fixed_b_ms=$fixed_b backoff_a_ms=$(ms_of deadlock_lab_a) backoff_b_ms=$(ms_of deadlock_lab_b) backoffs_b=$backoffs"
finish
