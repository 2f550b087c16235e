# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=1: the thread takes stats_lock_irq (SpinLockIrq, the
# spin_lock_irqsave form) while the hrtimer takes it every millisecond in
# hard-interrupt context. Expect no lockdep report, debug_locks still 1, both
# sides counted, and a clean unload.

check insmod "insmod deadlock_irq $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_irq: finished 20000 rounds"
lockdep_state "after the rounds" "stats_lock(_irq)?"
# The first usage character is '-': taken in hard-interrupt context and
# never with interrupts enabled ('?' would be both, the broken case).
check hardirq-only "lockdep saw stats_lock_irq in hard-interrupt context only ('-' usage)" lockdep_usage_is stats_lock_irq -
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
check module-gone "the module is gone" not_loaded deadlock_irq
finish
