# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=0: an hrtimer callback takes stats_lock in hard-interrupt
# context, then a thread takes it with interrupts enabled. Expect lockdep's
# inconsistent-lock-state report with the {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}
# usage line, naming stats_lock, and a clean unload (the demonstration never
# lets the timer interrupt the holder, so nothing really hangs).
. /scenarios/lib.sh

check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_irq $LAB_PARAMS succeeds" load
check takes-after-timer "the thread takes stats_lock after the timer did" wait_until 10 module_said "deadlock_irq: the timer took stats_lock in hard-interrupt context"
check inconsistent-report "lockdep reports an inconsistent lock state" wait_until 10 dmesg_has "WARNING: inconsistent lock state"
check usage-line "the usage line is {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}" dmesg_has "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage."
check names-stats-lock "the report names stats_lock" dmesg_near "inconsistent {IN-HARDIRQ-W}" 3 "(stats_lock)"
check registered-in-timer-tick "the hard-interrupt use was registered in timer_tick" dmesg_near "{IN-HARDIRQ-W} state was registered at:" 6 "deadlock_irq.*timer_tick"
check irq-scenario "the unsafe scenario is an interrupt on the same CPU" dmesg_has "<Interrupt>"
lockdep_state "after the report" "stats_lock(_irq)?"
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
check module-gone "the module is gone" not_loaded deadlock_irq
check thread-gone "deadlock_irq is gone" tasks_gone deadlock_irq
check verdict "the module's verdict: SUCCESS, and lockdep reported it" verdict_is SUCCESS "stats_lock was taken in hard-interrupt context and with interrupts enabled, and lockdep reported it"
finish
