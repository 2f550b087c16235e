# SPDX-License-Identifier: GPL-2.0
# The inverted ABBA of deadlock_lab, held still for gdb. The guest loads
# deadlock_lab fixed=0, waits until both threads sleep in D, says READY and
# waits; the host (lab gdb, tools/lab/src/gdb.rs) attaches gdb to QEMU's stub, looks
# at the stuck threads, and writes the contract's release value into its
# release sysctl to let the guest go on; then the guest unloads the module as inverted.sh does.
# No hung-task reports: how long gdb keeps the guest stopped must not change
# what the kernel prints.
set_sysctl kernel/hung_task_timeout_secs 0

check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_lab: deadlocked:"
check both-in-d "deadlock_lab_a and deadlock_lab_b sleep in D state" wait_until 5 tasks_in_state D deadlock_lab_a deadlock_lab_b
show_threads deadlock_lab_a deadlock_lab_b
for s in .text .data .bss; do
	say "section $s of deadlock_lab: $(cat /sys/module/deadlock_lab/sections/$s)"
done
lab_ready gdb
# Guest time stands still while gdb holds the machine; this bounds only the
# wait for gdb to attach and finish.
check released "the host's gdb session finished and released the guest" wait_until 180 sysctl_is "$LAB_RELEASE_SYSCTL" "$LAB_RELEASE_VALUE"
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
finish
