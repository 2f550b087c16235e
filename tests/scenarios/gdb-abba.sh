# SPDX-License-Identifier: GPL-2.0
# The inverted ABBA of deadlock_lab, held still for gdb. The guest loads
# deadlock_lab fixed=0, waits until both threads sleep in D, says READY and
# waits; the host (scripts/gdb-abba.sh) attaches gdb to QEMU's stub, looks
# at the stuck threads, and writes "gdb-done" into kernel.domainname to let
# the guest go on; then the guest unloads the module as inverted.sh does.
# driver: scripts/gdb-abba.sh
# timeout: 240
. /scenarios/lib.sh
# No hung-task reports: how long gdb keeps the guest stopped must not change
# what the kernel prints.
echo 0 >/proc/sys/kernel/hung_task_timeout_secs

check "insmod deadlock_lab fixed=0 succeeds" insmod $MODULE fixed=0
check "the threads deadlock" wait_until 10 dmesg_has 'deadlock_lab: deadlocked:'
check "deadlock_lab_a sleeps in D state" wait_until 5 in_state deadlock_lab_a D
check "deadlock_lab_b sleeps in D state" wait_until 5 in_state deadlock_lab_b D
show_threads deadlock_lab_a deadlock_lab_b
for s in .text .data .bss; do
	say "section $s of deadlock_lab: $(cat /sys/module/deadlock_lab/sections/$s)"
done
echo "DEADLOCK-LAB: GDB READY"
# Guest time stands still while gdb holds the machine; this bounds only the
# wait for gdb to attach and finish.
check "the host's gdb session finished (kernel.domainname is gdb-done)" wait_until 180 eval '[ "$(cat /proc/sys/kernel/domainname)" = gdb-done ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check "the module reports recovery" dmesg_has 'deadlock_lab: End of test: SUCCESS: inverted'
finish
