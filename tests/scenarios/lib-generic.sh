# SPDX-License-Identifier: GPL-2.0
# The generic guest flow, for a scenario of a module from outside the lab
# (make test MODULE_DIR=...) that brings no guest script of its own: load
# the module with the declared parameters, wait until the kernel threads it
# started are idle, gone, or hung and reported (at most the declared wait),
# take a snapshot (ps, the stacks of the tasks asleep in D, sysrq-w,
# lockdep's state), and unload (lib-generic-unload.sh); or, for a scenario
# declared to end in a kernel panic, wait for it. The verdict comes from what
# the kernel reported (the declaration's findings) and from the unload. The
# host derives this flow's checks from its two files: this one's always, the
# unload's unless the scenario ends in a panic.
# Every hung task reported 1 s after it blocked.
hung_task_fast 1 16

# module_busy LAST: the kernel threads (kthreadd's children, workers aside)
# started since pid LAST, the module's own, that are not idle in S: running,
# or asleep in D (holding a lock for a while, or deadlocked); "PID STAT COMM".
module_busy() {
	ps -o pid,ppid,stat,comm | awk -v last="$1" \
		'NR > 1 && $1 > last && $2 == 2 && $4 !~ /^kworker/ && $3 !~ /^S/ { print $1, $3, $4 }'
}
# settled LAST: the module has shown what it will: each of its threads is
# idle, gone, or asleep in D and reported by the hung-task detector.
settled() {
	local pid stat comm
	module_busy "$1" >/tmp/busy
	[ -s /tmp/busy ] || return 0
	awk '$2 !~ /^D/ { bad = 1 } END { exit bad }' /tmp/busy || return 1
	dmesg >/tmp/klog-now
	while read -r pid stat comm; do
		grep -q "INFO: task $comm:$pid blocked for more than" /tmp/klog-now || return 1
	done </tmp/busy
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
# Three samples in a row settled: a module whose threads are idle or gone
# has done its work; one that deadlocked has them in D, each reported by the
# hung-task detector (1 s after it blocked) within the wait.
t0=$(uptime_cs)
deadline=$((t0 + ${LAB_WAIT:-5} * 100))
calm=0
while [ $calm -lt 3 ] && ! uptime_past $deadline; do
	if settled "$last"; then calm=$((calm + 1)); else calm=0; fi
	nap 0.1
done
say "after $(($(uptime_cs) - t0))0 ms: $(module_busy "$last" | wc -l) thread(s) of the module running or in D"
say "snapshot: the tasks in D and their stacks"
ps -o pid,stat,comm | awk 'NR == 1 || $2 ~ /^D/' | sed 's/^/#   /'
for pid in $(ps -o pid,stat | awk '$2 ~ /^D/ { print $1 }'); do
	say "/proc/$pid/stack ($(cat "/proc/$pid/comm")):"
	sed 's/^/#   /' "/proc/$pid/stack"
done
sysrq_blocked
say "lockdep: debug_locks=$(debug_locks)"
. "$LAB_SCENARIOS_DIR/lib-generic-unload.sh"
