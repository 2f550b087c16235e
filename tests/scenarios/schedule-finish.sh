# SPDX-License-Identifier: GPL-2.0
# A finishing schedule of the ABBA, a.1 a.2 b.1 b.2: thread A takes both
# semaphores before B takes any, so nothing blocks, and lockdep, which
# judges the order and not the timing, still reports the inversion.
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 1 rounds" 2
check idle-in-s "both threads idle in S: neither blocked" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check both-gone "deadlock_lab_a and deadlock_lab_b are gone" tasks_gone deadlock_lab_a deadlock_lab_b
finish
