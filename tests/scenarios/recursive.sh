# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=0: insert() holds table_lock and calls grow(),
# which takes it again. Expect lockdep's recursive-locking report, the thread
# stuck in D inside down(), sysrq-w and the hung-task detector showing it
# (blocked on a semaphore it last held itself), and rmmod to recover.
. /scenarios/lib.sh
CLASSES='table_lock|node_lock(/[0-9])?'

lockdep_state "before insmod" "$CLASSES"
check "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check "lockdep knows no table_lock class yet" lockdep_classes_is table_lock 0
check "insmod deadlock_recursive $LAB_PARAMS succeeds" load
check "insert() calls grow() with table_lock held" wait_until 10 module_said "insert: holding table_lock"
check "lockdep reports possible recursive locking" wait_until 10 dmesg_has "WARNING: possible recursive locking detected"
check "grow() finds table_lock taken and sleeps" wait_until 10 module_said "grow: table_lock is taken, by this very thread"
check "deadlock_rec sleeps in D state" wait_until 10 in_state deadlock_rec D
show_threads deadlock_rec
check "its stack is in grow()" stack_has deadlock_rec "deadlock_recursive4grow+"
check "under insert()" stack_has deadlock_rec "deadlock_recursive6insert+"
sysrq_blocked
# The hung-task detector only now (it reports 1 s after): its report would
# otherwise land in the middle of the sysrq-w dump.
hung_task_fast 1 1
check "sysrq-w lists deadlock_rec in state D" sysrq_lists deadlock_rec
check "the hung-task detector reports deadlock_rec" wait_until 30 dmesg_has "INFO: task deadlock_rec:[0-9]* blocked for more than"
check "it is blocked on a semaphore last held by itself" dmesg_has_ere "INFO: task deadlock_rec:([0-9]+) blocked on a semaphore likely last held by task deadlock_rec:\1\$"
lockdep_state "while stuck" "$CLASSES"
check "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check "lockdep knows the table_lock class" lockdep_classes_is table_lock 1
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check "the module is gone" not_loaded deadlock_recursive
check "deadlock_rec is gone" tasks_gone deadlock_rec
check "the module's verdict: SUCCESS, recursive locking deadlocked and recovered" verdict_is SUCCESS "recursive locking deadlocked and recovered"
lockdep_state "after rmmod" "$CLASSES"
check "lockdep dropped the module's lock classes on unload" lockdep_classes_is "$CLASSES" 0
finish
