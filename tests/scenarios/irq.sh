# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=0: an hrtimer callback takes stats_lock in hard-interrupt
# context, then a thread takes it with interrupts enabled. Expect lockdep's
# inconsistent-lock-state report with the {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}
# usage line, naming stats_lock, and a clean unload (the demonstration never
# lets the timer interrupt the holder, so nothing really hangs).
# timeout: 90
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_irq.ko

check "lockdep is on before the test (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "insmod deadlock_irq fixed=0 succeeds" insmod $MODULE fixed=0
check "the thread takes stats_lock after the timer did" wait_until 10 dmesg_has 'deadlock_irq: the timer took stats_lock in hard-interrupt context'
check "lockdep reports an inconsistent lock state" wait_until 10 dmesg_has 'WARNING: inconsistent lock state'
check "the usage line is {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}" dmesg_has 'inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.'
check "the report names stats_lock" eval 'dmesg | grep -A3 "inconsistent {IN-HARDIRQ-W}" | grep -q "(stats_lock)"'
check "the hard-interrupt use was registered in timer_tick" eval 'dmesg | grep -A6 "{IN-HARDIRQ-W} state was registered at:" | grep -q "deadlock_irq.*timer_tick"'
check "the unsafe scenario is an interrupt on the same CPU" dmesg_has '<Interrupt>'
lockdep_state "after the report" "stats_lock(_irq)?"
check "lockdep turned itself off after its report (debug_locks 0)" eval '[ "$(debug_locks)" = 0 ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
check "the module is gone" not_loaded deadlock_irq
check "deadlock_irq is gone" no_task deadlock_irq
check "End of test: SUCCESS" dmesg_has 'deadlock_irq: End of test: SUCCESS: stats_lock was taken in hard-interrupt context and with interrupts enabled'
finish
