# SPDX-License-Identifier: GPL-2.0
# The generic guest flow, for a scenario of a module from outside the lab
# (make test MODULE_DIR=...) that brings no guest script of its own: load
# the module with the declared parameters, wait until the kernel threads it
# started are all idle or gone (at most the declared wait), take a snapshot
# (ps, the stacks of the tasks asleep in D, sysrq-w, lockdep's state), unload,
# or, for a scenario declared to end in a kernel panic, wait for it. The
# verdict comes from what the kernel reported (the declaration's findings)
# and from the unload. The host derives this flow's checks from the check
# lines below (the ones before lab_flush, for a panic).
. /scenarios/lib.sh
# Every hung task reported 1 s after it blocked.
hung_task_fast 1 16

# module_busy LAST: the kernel threads (kthreadd's children, workers aside)
# started since pid LAST, the module's own, that are not idle in S: running,
# or asleep in D (holding a lock for a while, or deadlocked).
module_busy() {
	ps -o pid,ppid,stat,comm | awk -v last="$1" \
		'NR > 1 && $1 > last && $2 == 2 && $4 !~ /^kworker/ && $3 !~ /^S/ { print $1 }'
}
read -r _ _ _ _ last </proc/loadavg
check insmod "insmod $LAB_MODULE${LAB_PARAMS:+ $LAB_PARAMS} succeeds" load
say "waiting at most ${LAB_WAIT:-5} s for the module to do its work"
if [ "${LAB_ENDS:-}" = panic ]; then
	say "this scenario ends in a kernel panic: waiting for it"
	lab_flush
	sleep "${LAB_WAIT:-60}"
	say "the kernel did not panic"
	exit 1
fi
# A module whose threads have all been idle (S) or gone for three samples
# in a row has done its work; one that deadlocked keeps them in D, and the
# hung-task detector has the whole wait to report them.
t0=$(uptime_cs)
deadline=$((t0 + ${LAB_WAIT:-5} * 100))
idle=0
while [ $idle -lt 3 ] && ! uptime_past $deadline; do
	if [ -z "$(module_busy "$last")" ]; then idle=$((idle + 1)); else idle=0; fi
	sleep 0.1
done
say "after $(($(uptime_cs) - t0))0 ms: $(module_busy "$last" | wc -w) thread(s) of the module busy"
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
