# SPDX-License-Identifier: GPL-2.0
# Avoidance: deadlock_lab fixed=2. Thread B keeps the inverted order, sem2
# then sem1, but only tries sem1, and if it is taken gives sem2 back, waits a
# random moment and starts again. Expect every round done, no report of any
# kind (lockdep records no dependency for a trylock), no task asleep on a
# lock at unload, and at least one back-off under the contention hold_us
# makes. The same load in the fixed order first gives the figures that say
# what back-off costs (make bench prints them).
hung_task_fast 1 2

# ms_of THREAD: how long THREAD took for its rounds, from its last "finished"
# line (a figure for make bench, not a check).
ms_of() { lab_klog | sed -n "s/.*$1: finished [0-9]* rounds in \([0-9]*\) ms.*/\1/p" | tail -n 1; }
params=$(echo "$LAB_PARAMS" | sed 's/fixed=2/fixed=1/')
check insmod-fixed "insmod deadlock_lab $params succeeds (the fixed order, for comparison)" insmod $MODULE $params
wait_log 60 "deadlock_lab: deadlock_lab_[ab]: finished " 2
fixed_a=$(ms_of deadlock_lab_a) fixed_b=$(ms_of deadlock_lab_b)
check rmmod-fixed "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_lab: deadlock_lab_[ab]: finished " 4
check idle-in-s "both threads idle interruptibly (S): nobody waits for a lock" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on (debug_locks 1): a trylock adds no dependency" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
backoffs=$(lab_klog | sed -n 's/.*deadlock_lab_b: backed off \([0-9]*\) times.*/\1/p' | tail -n 1)
say "back-off figures: fixed_a_ms=$fixed_a fixed_b_ms=$fixed_b backoff_a_ms=$(ms_of deadlock_lab_a) backoff_b_ms=$(ms_of deadlock_lab_b) backoffs_b=$backoffs"
finish
