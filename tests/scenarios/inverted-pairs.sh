# SPDX-License-Identifier: GPL-2.0
# deadlock_lab fixed=0 threads=6: three pairs of A and B threads, spread over
# the CPUs, in the inverted order. The first A and the first B deadlock; the
# others wait behind them for their first semaphore. Lockdep still reports
# exactly once, every thread hangs in D, and rmmod recovers them all.
# Warnings enough for two scans and more: the first may come before the last
# pair has been blocked for the timeout, and every scan names each blocked
# thread again.
hung_task_fast 1 20
ALL="deadlock_lab_a deadlock_lab_b deadlock_lab_a1 deadlock_lab_b1 deadlock_lab_a2 deadlock_lab_b2"

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
check six-in-d "all six threads sleep in D state" wait_until 10 tasks_in_state D $ALL
show_threads $ALL
wait_hung 30 $ALL
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check six-gone "all six threads are gone" tasks_gone $ALL
check classes-dropped "lockdep dropped sem1 and sem2 on unload" lockdep_classes_is "sem[12]" 0
finish
