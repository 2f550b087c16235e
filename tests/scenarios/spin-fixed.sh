# SPDX-License-Identifier: GPL-2.0
# deadlock_spin fixed=1: both threads take spin1 then spin2, one on each CPU,
# contending for real, with the soft-lockup detector at its most sensitive.
# Expect every round done, no lockdep or soft-lockup report, and a clean
# unload.
# timeout: 120
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_spin.ko

check "two CPUs are online" eval '[ "$(grep -c ^processor /proc/cpuinfo)" = 2 ]'
echo 1 >/proc/sys/kernel/watchdog_thresh
check "watchdog_thresh is 1 s (soft lockup after 2 s)" eval '[ "$(cat /proc/sys/kernel/watchdog_thresh)" = 1 ]'
check "fixed=2 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_spin 2
check "fixed=-1 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_spin -1
check "insmod deadlock_spin fixed=1 succeeds" insmod $MODULE fixed=1
check "deadlock_spin_a finishes 100000 rounds" wait_until 60 dmesg_has 'deadlock_spin_a: finished 100000 rounds'
check "deadlock_spin_b finishes 100000 rounds" wait_until 60 dmesg_has 'deadlock_spin_b: finished 100000 rounds'
show_threads
lockdep_state "after the rounds" "spin[12]"
check "lockdep learned the one order, spin1 -> spin2, and not the other" eval 'lockdep_depends spin1 spin2 && ! lockdep_depends spin2 spin1'
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "no soft-lockup report" eval '! dmesg_has "soft lockup"'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_spin
check "no deadlock_spin thread is left" eval 'no_task deadlock_spin_a && no_task deadlock_spin_b'
check "End of test: SUCCESS" dmesg_has 'deadlock_spin: End of test: SUCCESS: fixed order'
finish
