# SPDX-License-Identifier: GPL-2.0
# The article says to enable lockdep by adding lockdep=1 to the kernel
# command line. There is no such parameter: lockdep is chosen when the kernel
# is built (CONFIG_PROVE_LOCKING). This boot has lockdep=1 on its command
# line: the kernel says it does not know it and hands it to user space, and
# lockdep works exactly as without it.
hung_task_fast 1 2

check lockdep-on-anyway "lockdep is on anyway: it was built in (debug_locks 1)" debug_locks_is 1
check init-got-it "lockdep=1 reached init's environment instead" env_has lockdep=1
check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "WARNING: possible circular locking dependency detected"
# Lockdep reports as the second thread starts to wait: the unload must come
# once both sleep, or the module's verdict finds one of them still awake.
check both-in-d "deadlock_lab_a and deadlock_lab_b sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
finish
