# SPDX-License-Identifier: GPL-2.0
# The inverted order: thread B takes sem2 then sem1. Expect lockdep's
# circular-dependency report, both threads stuck in D, one hung-task report
# for each naming the other as last holder, and rmmod to recover.
# timeout: 120
. /scenarios/lib.sh
hung_task_fast 3 2

check "insmod deadlock_lab fixed=0 succeeds" insmod $MODULE fixed=0
check "the threads deadlock (both wait for the other's semaphore)" wait_until 10 dmesg_has 'deadlock_lab: deadlocked:'
check "deadlock_lab_a sleeps in D state" wait_until 5 in_state deadlock_lab_a D
check "deadlock_lab_b sleeps in D state" wait_until 5 in_state deadlock_lab_b D
show_threads deadlock_lab_a deadlock_lab_b
check "the hung-task detector reports both threads" wait_until 30 eval '[ "$(dmesg_count "INFO: task deadlock_lab_")" -ge 2 ]'
check "lockdep turned itself off after its report (debug_locks 0)" eval '[ "$(debug_locks)" = 0 ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check "the module is gone" not_loaded deadlock_lab
check "deadlock_lab_a is gone" no_task deadlock_lab_a
check "deadlock_lab_b is gone" no_task deadlock_lab_b
check "the module reports recovery" dmesg_has 'deadlock_lab: End of test: SUCCESS: inverted'
finish
