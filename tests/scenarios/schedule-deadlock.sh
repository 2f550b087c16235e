# SPDX-License-Identifier: GPL-2.0
# The minimal deadlocking schedule of the ABBA, a.1 b.1: each thread takes
# its first semaphore before either reaches for its second, and whatever
# follows, they deadlock. The module follows the schedule (no rendezvous);
# expect the deadlock, lockdep's report and the hung-task detector's, and
# rmmod to recover.
hung_task_fast 1 4

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check both-in-d "deadlock_lab_a and deadlock_lab_b sleep in D state" wait_until 10 tasks_in_state D deadlock_lab_a deadlock_lab_b
show_threads deadlock_lab_a deadlock_lab_b
wait_hung 30 deadlock_lab_a deadlock_lab_b
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check both-gone "deadlock_lab_a and deadlock_lab_b are gone" tasks_gone deadlock_lab_a deadlock_lab_b
finish
