# SPDX-License-Identifier: GPL-2.0
# deadlock_lab fixed=0 overlap=0: lockdep predicts. Thread B starts its rounds
# only after thread A finished all of its own, so the inverted order is
# taken but the two never contend: nothing blocks, no task enters D, every
# round completes. Lockdep still reports the circular dependency, naming
# sem1 and sem2 and both threads' functions: it judges the order, not the
# timing.
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 30 "deadlock_lab: deadlock_lab_a: finished 100 rounds"
wait_log 30 "deadlock_lab: deadlock_lab_b: finished 100 rounds"
check idle-in-s "both threads idle in S: neither ever blocked" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
finish
