# SPDX-License-Identifier: GPL-2.0
# The inverted order: thread B takes sem2 then sem1. Expect lockdep's
# circular-dependency report, both threads stuck in D, a hung-task report
# for each naming the other as last holder, and rmmod to recover. sysrq-w
# and lockdep's own state (classes, chains, debug_locks) before, during and
# after are kept as diagnostic lines.

lockdep_state "before insmod" "sem[12]"
check no-classes-before "lockdep knows no sem1 or sem2 class yet" lockdep_classes_is "sem[12]" 0
check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
check both-in-d "deadlock_lab_a and deadlock_lab_b sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b
show_threads deadlock_lab_a deadlock_lab_b
sysrq_blocked
# The hung-task detector only now (it reports 1 s after): its report would
# otherwise land in the middle of the sysrq-w dump. Warnings to spare: a
# scan that falls between the threads' blocking names only the first, and
# the next names it again.
hung_task_fast 1 4
wait_hung 30 deadlock_lab_a deadlock_lab_b
lockdep_state "while deadlocked" "sem[12]"
check lockdep-turned-off "lockdep turned itself off after its report (debug_locks 0)" debug_locks_is 0
check both-classes "lockdep knows both classes, sem1 and sem2" lockdep_classes_is "sem[12]" 2
# The edge of whichever thread asked first; the other one closed the cycle
# and got the report instead of an edge.
check one-order "lockdep recorded one of the two orders (sem1 -> sem2 or sem2 -> sem1)" lockdep_depends_either sem1 sem2
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check module-gone "the module is gone" not_loaded deadlock_lab
check both-gone "deadlock_lab_a and deadlock_lab_b are gone" tasks_gone deadlock_lab_a deadlock_lab_b
lockdep_state "after rmmod" "sem[12]"
check classes-dropped "lockdep dropped sem1 and sem2 on unload" lockdep_classes_is "sem[12]" 0
finish
