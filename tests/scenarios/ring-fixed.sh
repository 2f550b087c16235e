# SPDX-License-Identifier: GPL-2.0
# The ring of three, fixed: the last thread takes sem1 then sem3, ascending
# like the others. Every round completes, and lockdep learns only ascending
# dependencies and stays silent.
hung_task_fast 1 2

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_lab: deadlock_lab_[abc]: finished " 3
check idle-in-s "all three idle interruptibly (S)" wait_until 5 tasks_in_state S deadlock_lab_a deadlock_lab_b deadlock_lab_c
check ascending "lockdep learned sem1 -> sem3 and not sem3 -> sem1" lockdep_depends_only sem1 sem3
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
# The order lockdep saw, for the lock-order contract (before the unload,
# which drops the classes).
lockdep_graph
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
finish
