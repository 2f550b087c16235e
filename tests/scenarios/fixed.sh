# SPDX-License-Identifier: GPL-2.0
# The fixed order: both threads take sem1 then sem2, contending for real.
# Expect no lockdep report, debug_locks still 1, every round done, threads
# idle in S (not D) afterwards, and a clean unload.
# timeout: 120
. /scenarios/lib.sh
hung_task_fast 3 2

check "insmod deadlock_lab fixed=1 rounds=2000 succeeds" insmod $MODULE fixed=1 rounds=2000
check "deadlock_lab_a finishes 2000 rounds" wait_until 60 dmesg_has 'deadlock_lab_a: finished 2000 rounds,'
check "deadlock_lab_b finishes 2000 rounds" wait_until 60 dmesg_has 'deadlock_lab_b: finished 2000 rounds,'
check "deadlock_lab_a idles interruptibly (S)" wait_until 5 in_state deadlock_lab_a S
check "deadlock_lab_b idles interruptibly (S)" wait_until 5 in_state deadlock_lab_b S
show_threads
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check "the module is gone" not_loaded deadlock_lab
check "no deadlock_lab thread is left" eval 'no_task deadlock_lab_a && no_task deadlock_lab_b'
check "the module reports both counts" dmesg_has 'deadlock_lab: threads stopped: deadlock_lab_a=2000 rounds, deadlock_lab_b=2000 rounds'
waits=$(dmesg | sed -n 's/.*threads stopped: .*, \([0-9]*\) contended acquisitions.*/\1/p')
say "contended acquisitions: $waits"
check "the threads really contended (some acquisitions had to wait)" [ "${waits:-0}" -gt 0 ]
check "End of test: SUCCESS" dmesg_has 'deadlock_lab: End of test: SUCCESS: fixed order'
finish
