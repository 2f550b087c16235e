# SPDX-License-Identifier: GPL-2.0
# deadlock_recursive fixed=1: table_lock is taken once and the helper gets
# the guard; a parent and a child node lock of one class nest with a
# subclass. Expect no lockdep report, debug_locks still 1, lockdep knowing
# node_lock and node_lock/1 as two classes, and a clean unload.
# timeout: 120
. /scenarios/lib.sh
MODULE=/lib/modules/deadlock_recursive.ko
CLASSES='table_lock|node_lock(/[0-9])?'
hung_task_fast 3 2

lockdep_state "before insmod" "$CLASSES"
check "fixed=2 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_recursive 2
check "fixed=-1 is rejected with EINVAL, naming the range 0..=1" rejects_fixed deadlock_recursive -1
check "insmod deadlock_recursive fixed=1 succeeds" insmod $MODULE fixed=1
check "deadlock_rec finishes its 1000 rounds" wait_until 60 dmesg_has 'deadlock_rec: finished 1000 rounds'
check "deadlock_rec idles interruptibly (S)" wait_until 5 in_state deadlock_rec S
show_threads deadlock_rec
lockdep_state "after the rounds" "$CLASSES"
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
check "lockdep knows table_lock" eval '[ "$(lockdep_classes table_lock)" = 1 ]'
check "lockdep knows the nested node lock as its own subclass (node_lock/1)" eval '[ "$(lockdep_classes "node_lock/1")" = 1 ]'
check "lockdep recorded a chain with node_lock inside node_lock" eval '[ "$(lockdep_chains "node_lock/1")" -ge 1 ]'
check "no recursive-locking report" eval '! dmesg_has "possible recursive locking"'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_recursive
check "the module is gone" not_loaded deadlock_recursive
check "deadlock_rec is gone" no_task deadlock_rec
check "End of test: SUCCESS" dmesg_has 'deadlock_recursive: End of test: SUCCESS: fixed, 1000 rounds'
lockdep_state "after rmmod" "$CLASSES"
finish
