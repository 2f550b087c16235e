# SPDX-License-Identifier: GPL-2.0
# deadlock_completion fixed=0 annotate=0: deadlock_cmp_a holds sem1 and
# waits for the completion done, which deadlock_cmp_b signals only after it
# took sem1. Expect both threads in D for good, lockdep silent (debug_locks
# still 1, sem1 known to it, no class for the completion: the wait never
# told it), the hung-task detector reporting both (judged on the host,
# with a holder named for B's wait only), and rmmod to recover.
CLASSES='sem1|\(completion\)done'
# Warnings to spare: a scan that falls between the threads' blocking names
# only the first, and the next names it again.
hung_task_fast 1 4

lockdep_state "before insmod" "$CLASSES"
check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_completion $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_cmp_b: waiting for sem1"
check both-in-d "deadlock_cmp_a and deadlock_cmp_b sleep in D state" wait_until 10 tasks_in_state D deadlock_cmp_a deadlock_cmp_b
show_threads deadlock_cmp_a deadlock_cmp_b
check a-in-wait "deadlock_cmp_a sleeps under wait_holding(), holding sem1" stack_has deadlock_cmp_a "deadlock_completion12wait_holding+"
check b-in-down "deadlock_cmp_b sleeps under complete_under_sem1(), in down()" stack_has deadlock_cmp_b "deadlock_completion19complete_under_sem1+"
wait_hung 30 deadlock_cmp_a deadlock_cmp_b
lockdep_state "while stuck" "$CLASSES"
check lockdep-still-on "lockdep is still on (debug_locks 1): it reported nothing" debug_locks_is 1
check knows-sem1 "lockdep knows sem1: it saw the threads take it" lockdep_classes_is sem1 1
check no-wait-class "lockdep has no class for the completion: the plain wait never told it" lockdep_classes_is '\(completion\)done' 0
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_completion
check both-gone "deadlock_cmp_a and deadlock_cmp_b are gone" tasks_gone deadlock_cmp_a deadlock_cmp_b
finish
