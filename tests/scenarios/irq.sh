# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=0: an hrtimer callback takes stats_lock in hard-interrupt
# context, then a thread takes it with interrupts enabled. Expect lockdep's
# inconsistent-lock-state report with the {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}
# usage line, naming stats_lock, and a clean unload (the demonstration never
# lets the timer interrupt the holder, so nothing really hangs).

check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_irq $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_irq: the timer took stats_lock in hard-interrupt context"
wait_log 10 "WARNING: inconsistent lock state"
lockdep_state "after the report" "stats_lock(_irq)?"
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
check module-gone "the module is gone" not_loaded deadlock_irq
check thread-gone "deadlock_irq is gone" tasks_gone deadlock_irq
finish
