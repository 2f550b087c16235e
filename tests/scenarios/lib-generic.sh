# SPDX-License-Identifier: GPL-2.0
# The generic guest flow, for a scenario of a module from outside the lab
# (make test MODULE_DIR=...) that brings no guest script of its own: load
# the module with the declared parameters, wait, take a snapshot (ps, the
# stacks of the tasks asleep in D, sysrq-w, lockdep's state), then unload,
# or, for a scenario declared to end in a kernel panic, wait for it. The
# verdict comes from what the kernel reported (the declaration's findings)
# and from the unload. The host derives this flow's checks from the check
# lines below (the ones before lab_flush, for a panic).
. /scenarios/lib.sh
# Every hung task reported 1 s after it blocked.
hung_task_fast 1 16

check insmod "insmod $LAB_MODULE${LAB_PARAMS:+ $LAB_PARAMS} succeeds" load
say "waiting ${LAB_WAIT:-5} s for the module to do its work"
if [ "${LAB_ENDS:-}" = panic ]; then
	say "this scenario ends in a kernel panic: waiting for it"
	lab_flush
	sleep "${LAB_WAIT:-60}"
	say "the kernel did not panic"
	exit 1
fi
sleep "${LAB_WAIT:-5}"
say "snapshot: the tasks in D and their stacks"
ps -o pid,stat,comm | awk 'NR == 1 || $2 ~ /^D/' | sed 's/^/#   /'
for pid in $(ps -o pid,stat | awk '$2 ~ /^D/ { print $1 }'); do
	say "/proc/$pid/stack ($(cat "/proc/$pid/comm")):"
	sed 's/^/#   /' "/proc/$pid/stack"
done
sysrq_blocked
say "lockdep: debug_locks=$(debug_locks)"
check rmmod "rmmod $LAB_MODULE succeeds within 5 s" rmmod_within 5 "$LAB_MODULE"
check gone "$LAB_MODULE is gone" not_loaded "$LAB_MODULE"
finish
