# SPDX-License-Identifier: GPL-2.0
# deadlock_irq fixed=1: the thread takes stats_lock_irq (SpinLockIrq, the
# spin_lock_irqsave form) while the hrtimer takes it every millisecond in
# hard-interrupt context. Expect no lockdep report, debug_locks still 1, both
# sides counted, and a clean unload.
# timeout: 90
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_irq.ko

check "fixed=2 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_irq 2
check "fixed=-1 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_irq -1
check "insmod deadlock_irq fixed=1 succeeds" insmod $MODULE fixed=1
check "the thread finishes its 20000 rounds" wait_until 60 dmesg_has 'deadlock_irq: finished 20000 rounds'
ticks=$(dmesg | sed -n 's/.*finished 20000 rounds; the timer ran \([0-9]*\) times.*/\1/p')
say "timer callbacks during the rounds: $ticks"
check "the timer ran at least 5 times while the thread took the lock" [ "${ticks:-0}" -ge 5 ]
lockdep_state "after the rounds" "stats_lock(_irq)?"
# The first usage character is '-': taken in hard-interrupt context and
# never with interrupts enabled ('?' would be both, the broken case).
check "lockdep saw stats_lock_irq in hard-interrupt context only ('-' usage)" eval 'grep -qE "^[0-9a-f]+ .* -[^ ]*: stats_lock_irq\$" /proc/lockdep'
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "no inconsistent-lock-state report" eval '! dmesg_has "inconsistent lock state"'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_irq
check "the module is gone" not_loaded deadlock_irq
check "End of test: SUCCESS" dmesg_has 'deadlock_irq: End of test: SUCCESS: fixed'
finish
