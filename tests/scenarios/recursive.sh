# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=0: insert() holds table_lock and calls grow(),
# which takes it again. Expect lockdep's recursive-locking report, the thread
# stuck in D inside down(), sysrq-w and the hung-task detector showing it
# (blocked on a semaphore it last held itself), and rmmod to recover.
CLASSES='table_lock|node_lock(/[0-9])?'

lockdep_state "before insmod" "$CLASSES"
check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check no-class-before "lockdep knows no table_lock class yet" lockdep_classes_is table_lock 0
check insmod "insmod deadlock_recursive $LAB_PARAMS succeeds" load
wait_log 10 "insert: holding table_lock"
wait_log 10 "WARNING: possible recursive locking detected"
wait_log 10 "grow: table_lock is taken, by this very thread"
check in-d "deadlock_rec sleeps in D state" wait_until 10 in_state deadlock_rec D
show_threads deadlock_rec
check stack-in-grow "its stack is in grow()" stack_has deadlock_rec "deadlock_recursive4grow+"
check stack-under-insert "under insert()" stack_has deadlock_rec "deadlock_recursive6insert+"
sysrq_blocked
# The hung-task detector only now (it reports 1 s after): its report would
# otherwise land in the middle of the sysrq-w dump.
hung_task_fast 1 1
wait_hung 30 deadlock_rec
lockdep_state "while stuck" "$CLASSES"
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check knows-table-lock "lockdep knows the table_lock class" lockdep_classes_is table_lock 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check module-gone "the module is gone" not_loaded deadlock_recursive
check thread-gone "deadlock_rec is gone" tasks_gone deadlock_rec
lockdep_state "after rmmod" "$CLASSES"
check classes-dropped "lockdep dropped the module's lock classes on unload" lockdep_classes_is "$CLASSES" 0
finish
