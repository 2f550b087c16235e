# SPDX-License-Identifier: GPL-2.0
# deadlock_spin fixed=0: the ABBA of deadlock_lab on two spinlocks, one
# thread bound to each CPU. Both CPUs spin for good with preemption off, so
# the shell never runs again: everything is prepared before insmod, and the
# verdict comes from the console log. Expect lockdep's circular report (at
# acquire time, before the spinning), a soft lockup on a CPU running one of
# the threads, and the panic that kernel.softlockup_panic asks for.
# ends: panic
# timeout: 120
# console: WARNING: possible circular locking dependency detected
# console: watchdog: BUG: soft lockup - CPU#[01] stuck for [0-9]+s! \[deadlock_spin_[ab]:[0-9]+\]
# console: NMI backtrace for cpu [01]
# console: Kernel panic - not syncing: softlockup: hung tasks
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_spin.ko

check "two CPUs are online" eval '[ "$(grep -c ^processor /proc/cpuinfo)" = 2 ]'
check "lockdep is on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
# The soft-lockup threshold is twice watchdog_thresh: 2 s instead of 20.
echo 1 >/proc/sys/kernel/watchdog_thresh
check "watchdog_thresh is 1 s (soft lockup after 2 s)" eval '[ "$(cat /proc/sys/kernel/watchdog_thresh)" = 1 ]'
echo 1 >/proc/sys/kernel/softlockup_all_cpu_backtrace
check "a soft lockup shows every CPU's backtrace" eval '[ "$(cat /proc/sys/kernel/softlockup_all_cpu_backtrace)" = 1 ]'
echo 1 >/proc/sys/kernel/softlockup_panic
check "a soft lockup panics the kernel (panic=-1 reboots, QEMU exits)" eval '[ "$(cat /proc/sys/kernel/softlockup_panic)" = 1 ]'
say "loading deadlock_spin fixed=0: from here on only the kernel speaks"
insmod $MODULE fixed=0
# Reached only if the deadlock left a CPU free.
sleep 60
check "the kernel panicked before the shell ran again" false
finish
