# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=1: table_lock is taken once and the helper gets
# the proof that it is held; a parent and a child node lock of one class
# nest with a subclass. Expect no lockdep report, debug_locks still 1,
# lockdep knowing node_lock and node_lock/1 as two classes, and a clean
# unload.
CLASSES='table_lock|node_lock(/[0-9])?'
hung_task_fast 1 2

lockdep_state "before insmod" "$CLASSES"
check insmod "insmod deadlock_recursive $LAB_PARAMS succeeds" load
wait_log 60 "deadlock_rec: finished 1000 rounds"
check idle-in-s "deadlock_rec idles interruptibly (S)" wait_until 5 in_state deadlock_rec S
show_threads deadlock_rec
lockdep_state "after the rounds" "$CLASSES"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
check knows-table-lock "lockdep knows table_lock" lockdep_classes_is table_lock 1
check knows-node-subclass "lockdep knows the nested node lock as its own subclass (node_lock/1)" lockdep_classes_is "node_lock/1" 1
check nested-chain "lockdep recorded a chain with node_lock inside node_lock" lockdep_chains_at_least "node_lock/1" 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check module-gone "the module is gone" not_loaded deadlock_recursive
check thread-gone "deadlock_rec is gone" tasks_gone deadlock_rec
lockdep_state "after rmmod" "$CLASSES"
finish
