# SPDX-License-Identifier: GPL-2.0
# The fix under load (the article's step 5): deadlock_lab fixed=1 with eight
# threads, four pairs of A and B spread over the CPUs, take sem1 then sem2
# while the stress program (tests/guest/stress.c) keeps every CPU busy and
# churns memory. Expect every thread to finish its rounds with real
# contention, lockdep silent, no task in D for as long as the hung-task
# timeout, no soft lockup, and rmmod within 2 s.
hung_task_fast 2 10
set_sysctl kernel/watchdog_thresh 1
ALL="deadlock_lab_a deadlock_lab_b deadlock_lab_a1 deadlock_lab_b1 deadlock_lab_a2 deadlock_lab_b2 deadlock_lab_a3 deadlock_lab_b3"

stress "$(grep -c ^processor /proc/cpuinfo)" 2 32 120 &
stress_pid=$!
check stress-runs "the stress program runs, one CPU worker per CPU and two memory workers" wait_until 5 tasks_exist stress
check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 120 "deadlock_lab: deadlock_lab_[ab][0-9]*: finished 100 rounds" 8
kill $stress_pid
check stress-stops "the stress workers stop" wait_until 10 tasks_gone stress
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check eight-gone "all eight threads are gone" tasks_gone $ALL
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
