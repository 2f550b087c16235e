# SPDX-License-Identifier: GPL-2.0
# deadlock_spin fixed=1: both threads take spin1 then spin2, one on each CPU,
# contending for real, with the soft-lockup detector at its most sensitive.
# Expect every round done, no lockdep or soft-lockup report, and a clean
# unload.

check two-cpus "two CPUs are online" cpus_online_is 2
set_sysctl kernel/watchdog_thresh 1
check watchdog-thresh "watchdog_thresh is 1 s (soft lockup after 2 s)" sysctl_is kernel/watchdog_thresh 1
check insmod "insmod deadlock_spin $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_spin: deadlock_spin_[ab]: finished 20000 rounds" 2
show_threads
lockdep_state "after the rounds" "spin[12]"
check one-order "lockdep learned the one order, spin1 -> spin2, and not the other" lockdep_depends_only spin1 spin2
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
# The order lockdep saw, for the lock-order contract (before the unload,
# which drops the classes).
lockdep_graph
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_spin
check no-thread-left "no deadlock_spin thread is left" tasks_gone deadlock_spin_a deadlock_spin_b
finish
