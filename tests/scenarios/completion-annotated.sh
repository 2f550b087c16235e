# SPDX-License-Identifier: GPL-2.0
# deadlock_completion fixed=0 annotate=1: the wait of "completion",
# annotated as the kernel annotates flush_work(): deadlock_cmp_b holds the
# completion's lockdep map around its work (taking sem1), and deadlock_cmp_a
# acquires the map while it holds sem1, before it waits. B's round runs
# first and A's after it, so nothing blocks. Expect lockdep's circular
# report between sem1 and (completion)done (judged on the host), lockdep
# turned off, the map known as a class with sem1 taken inside it, both
# threads idle and a clean unload.
CLASSES='sem1|\(completion\)done'

lockdep_state "before insmod" "$CLASSES"
check lockdep-on-before "lockdep is on before the test (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_completion $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_cmp_a: finished 1 rounds"
check both-idle "deadlock_cmp_a and deadlock_cmp_b idle in S: nothing blocked" wait_until 5 tasks_in_state S deadlock_cmp_a deadlock_cmp_b
show_threads deadlock_cmp_a deadlock_cmp_b
lockdep_state "after the rounds" "$CLASSES"
check lockdep-turned-off "lockdep reported and turned itself off (debug_locks 0)" debug_locks_is 0
check knows-wait-class "lockdep knows the completion's map as a class" lockdep_classes_is '\(completion\)done' 1
check sem1-inside-wait "lockdep recorded sem1 taken inside the completion's map (B's work)" lockdep_depends '(completion)done' sem1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_completion
check both-gone "deadlock_cmp_a and deadlock_cmp_b are gone" tasks_gone deadlock_cmp_a deadlock_cmp_b
finish
