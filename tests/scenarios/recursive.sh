# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=0: insert() holds table_lock and calls grow(),
# which takes it again. Expect lockdep's recursive-locking report, the thread
# stuck in D inside down(), sysrq-w and the hung-task detector showing it
# (blocked on a semaphore it last held itself), and rmmod to recover.
# timeout: 120
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_recursive.ko
CLASSES='table_lock|node_lock(/[0-9])?'
hung_task_fast 3 1

lockdep_state "before insmod" "$CLASSES"
check "lockdep is on before the test (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "lockdep knows no table_lock class yet" eval '[ "$(lockdep_classes table_lock)" = 0 ]'
check "insmod deadlock_recursive fixed=0 succeeds" insmod $MODULE fixed=0
check "insert() calls grow() with table_lock held" wait_until 10 dmesg_has 'deadlock_recursive: insert: holding table_lock'
check "lockdep reports possible recursive locking" wait_until 10 dmesg_has 'WARNING: possible recursive locking detected'
check "deadlock_rec sleeps in D state" wait_until 10 in_state deadlock_rec D
show_threads deadlock_rec
check "its stack is in grow(), under insert()" eval 'grep -q "deadlock_recursive4grow+" /proc/$(pid_of deadlock_rec)/stack && grep -q "deadlock_recursive6insert+" /proc/$(pid_of deadlock_rec)/stack'
sysrq_blocked
check "sysrq-w lists deadlock_rec in state D" sysrq_lists deadlock_rec
check "the hung-task detector reports deadlock_rec" wait_until 30 dmesg_has 'INFO: task deadlock_rec:[0-9]* blocked for more than'
check "it is blocked on a semaphore last held by itself" eval 'dmesg | grep -qE "INFO: task deadlock_rec:([0-9]+) blocked on a semaphore likely last held by task deadlock_rec:\1\$"'
lockdep_state "while stuck" "$CLASSES"
check "lockdep turned itself off after its report (debug_locks 0)" eval '[ "$(debug_locks)" = 0 ]'
check "lockdep knows the table_lock class" eval '[ "$(lockdep_classes table_lock)" = 1 ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check "the module is gone" not_loaded deadlock_recursive
check "deadlock_rec is gone" no_task deadlock_rec
check "the module reports recovery" dmesg_has 'deadlock_recursive: End of test: SUCCESS: recursive'
lockdep_state "after rmmod" "$CLASSES"
check "lockdep dropped the module's lock classes on unload" eval '[ "$(lockdep_classes "$CLASSES")" = 0 ]'
finish
