# SPDX-License-Identifier: GPL-2.0
# The run-time switch that does exist: lockdep.prove_locking=0 on the command
# line turns lockdep's dependency checks off for the boot. The inverted order
# then deadlocks with no lockdep report (lockdep still tracks the locks it is
# told about, but proves nothing); the hung-task detector still sees the two
# threads. The module's own verdict says what it measured: lockdep did not
# report, which is a FAILURE of what its declaration expects.
# Warnings to spare: a scan that falls between the threads' blocking names
# only the first, and the next names it again.
hung_task_fast 1 4

check prove-locking-0 "prove_locking is 0" sysfs_is /sys/module/lockdep/parameters/prove_locking 0
check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
wait_hung 30 deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on, and still silent (debug_locks 1)" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
finish
