# SPDX-License-Identifier: GPL-2.0
# The inverted order: thread B takes sem2 then sem1. Expect lockdep's
# circular-dependency report, both threads stuck in D, one hung-task report
# for each naming the other as last holder, and rmmod to recover. sysrq-w
# and lockdep's own state (classes, chains, debug_locks) before, during and
# after are kept as diagnostic lines.
# timeout: 120
. /scenarios/lib.sh
hung_task_fast 3 2

lockdep_state "before insmod" "sem[12]"
check "lockdep knows no sem1 or sem2 class yet" eval '[ "$(lockdep_classes "sem[12]")" = 0 ]'
check "insmod deadlock_lab fixed=0 succeeds" insmod $MODULE fixed=0
check "the threads deadlock (both wait for the other's semaphore)" wait_until 10 dmesg_has 'deadlock_lab: deadlocked:'
check "deadlock_lab_a sleeps in D state" wait_until 5 in_state deadlock_lab_a D
check "deadlock_lab_b sleeps in D state" wait_until 5 in_state deadlock_lab_b D
show_threads deadlock_lab_a deadlock_lab_b
sysrq_blocked
check "sysrq-w lists deadlock_lab_a in state D" sysrq_lists deadlock_lab_a
check "sysrq-w lists deadlock_lab_b in state D" sysrq_lists deadlock_lab_b
check "sysrq-w shows them waiting in down()" eval 'grep -q " down+0x" /tmp/sysrq-w'
check "the hung-task detector reports both threads" wait_until 30 eval '[ "$(dmesg_count "INFO: task deadlock_lab_")" -ge 2 ]'
lockdep_state "while deadlocked" "sem[12]"
check "lockdep turned itself off after its report (debug_locks 0)" eval '[ "$(debug_locks)" = 0 ]'
check "lockdep knows both classes, sem1 and sem2" eval '[ "$(lockdep_classes "sem[12]")" = 2 ]'
# The edge of whichever thread asked first; the other one closed the cycle
# and got the report instead of an edge.
check "lockdep recorded one of the two orders (sem1 -> sem2 or sem2 -> sem1)" eval 'lockdep_depends sem1 sem2 || lockdep_depends sem2 sem1'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check "the module is gone" not_loaded deadlock_lab
check "deadlock_lab_a is gone" no_task deadlock_lab_a
check "deadlock_lab_b is gone" no_task deadlock_lab_b
check "the module reports recovery" dmesg_has 'deadlock_lab: End of test: SUCCESS: inverted'
lockdep_state "after rmmod" "sem[12]"
check "lockdep dropped sem1 and sem2 on unload" eval '[ "$(lockdep_classes "sem[12]")" = 0 ]'
finish
