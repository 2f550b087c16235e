# SPDX-License-Identifier: GPL-2.0
# A sample of schedules of the fixed order (fixed=1): each load follows one,
# both threads finish, nothing blocks for good, and lockdep stays silent.
# b.1 b.2 a.1 a.2 and a.1 a.2 b.1 b.2 run the threads one after the other;
# a.1 b.1 a.2 b.2 has B sleep for sem1 while A takes sem2, and a.1 b.1 b.2
# a.2 cannot be followed (b.2 comes while B sleeps for what A holds): the
# module says so and lets the rest run freely.
hung_task_fast 1 2

# idle_and_unload: both threads idle in S, and the module unloads.
idle_and_unload() {
	wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b && rmmod_within 2 deadlock_lab
}
check b-then-a:insmod "insmod deadlock_lab fixed=1 rounds=1 schedule=0x2211 (b.1 b.2 a.1 a.2) succeeds" insmod "$MODULE" fixed=1 rounds=1 schedule=0x2211
wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 1 rounds" 2
check b-then-a:done "b.1 b.2 a.1 a.2: both threads finished, idle in S, and the module unloads" idle_and_unload
check a-then-b:insmod "insmod deadlock_lab fixed=1 rounds=1 schedule=0x1122 (a.1 a.2 b.1 b.2) succeeds" insmod "$MODULE" fixed=1 rounds=1 schedule=0x1122
wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 1 rounds" 4
check a-then-b:done "a.1 a.2 b.1 b.2: both threads finished, idle in S, and the module unloads" idle_and_unload
check interleaved:insmod "insmod deadlock_lab fixed=1 rounds=1 schedule=0x1212 (a.1 b.1 a.2 b.2) succeeds" insmod "$MODULE" fixed=1 rounds=1 schedule=0x1212
wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 1 rounds" 6
check interleaved:done "a.1 b.1 a.2 b.2: both threads finished, idle in S, and the module unloads" idle_and_unload
check infeasible:insmod "insmod deadlock_lab fixed=1 rounds=1 schedule=0x1221 (a.1 b.1 b.2 a.2) succeeds" insmod "$MODULE" fixed=1 rounds=1 schedule=0x1221
wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 1 rounds" 8
check infeasible:done "a.1 b.1 b.2 a.2: both threads finished, idle in S, and the module unloads" idle_and_unload
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
