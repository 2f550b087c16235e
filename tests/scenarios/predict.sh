# SPDX-License-Identifier: GPL-2.0
# deadlock_lab fixed=0 overlap=0: lockdep predicts. Thread B starts its rounds
# only after thread A finished all of its own, so the inverted order is
# taken but the two never contend: nothing blocks, no task enters D, every
# round completes. Lockdep still reports the circular dependency, naming
# sem1 and sem2 and both threads' functions: it judges the order, not the
# timing.
. /scenarios/lib.sh
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check a-rounds "deadlock_lab_a finishes its 100 rounds of sem1, then sem2" wait_until 30 module_said "deadlock_lab_a: finished 100 rounds"
check circular-report "lockdep reports a possible circular locking dependency" wait_until 10 dmesg_has "WARNING: possible circular locking dependency detected"
check b-rounds "deadlock_lab_b finishes its 100 rounds of sem2, then sem1" wait_until 30 module_said "deadlock_lab_b: finished 100 rounds"
check idle-in-s "both threads idle in S: neither ever blocked" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check no-hung-task "no hung-task report" dmesg_lacks "blocked for more than"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
waits=$(logged_number 'contended acquisitions: \([0-9]*\)')
say "contended acquisitions: $waits"
check never-waited "no acquisition ever had to wait" equals "$waits" 0
check verdict "the module's verdict: SUCCESS, lockdep predicted the deadlock" verdict_is SUCCESS "inverted order never overlapped, nothing blocked, and lockdep still predicted the deadlock"
finish
