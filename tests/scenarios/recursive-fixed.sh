# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=1: table_lock is taken once and the helper gets
# the proof that it is held; a parent and a child node lock of one class
# nest with a subclass. Expect no lockdep report, debug_locks still 1,
# lockdep knowing node_lock and node_lock/1 as two classes, and a clean
# unload.
. /scenarios/lib.sh
CLASSES='table_lock|node_lock(/[0-9])?'
hung_task_fast 1 2

lockdep_state "before insmod" "$CLASSES"
check "fixed=2 is rejected with EINVAL, naming the range 0..=1" rejects fixed=2 0..=1
check "fixed=-1 is rejected with EINVAL, naming the range 0..=1" rejects fixed=-1 0..=1
check "insmod deadlock_recursive $LAB_PARAMS succeeds" load
check "deadlock_rec finishes its 1000 rounds" wait_until 60 module_said "deadlock_rec: finished 1000 rounds"
check "deadlock_rec idles interruptibly (S)" wait_until 5 in_state deadlock_rec S
show_threads deadlock_rec
lockdep_state "after the rounds" "$CLASSES"
check "lockdep is still on (debug_locks 1)" debug_locks_is 1
check "lockdep knows table_lock" lockdep_classes_is table_lock 1
check "lockdep knows the nested node lock as its own subclass (node_lock/1)" lockdep_classes_is "node_lock/1" 1
check "lockdep recorded a chain with node_lock inside node_lock" lockdep_chains_at_least "node_lock/1" 1
check "no recursive-locking report" dmesg_lacks "possible recursive locking"
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check "the module is gone" not_loaded deadlock_recursive
check "deadlock_rec is gone" tasks_gone deadlock_rec
check "the module's verdict: SUCCESS, fixed" verdict_is SUCCESS "fixed, every round done"
lockdep_state "after rmmod" "$CLASSES"
finish
