# SPDX-License-Identifier: GPL-2.0
# The run of the generic guest flow (lib-generic.sh), which a scenario that
# ends in a kernel panic never reaches: load the module, wait until it has
# shown what it will, take a snapshot, unload it, and see it gone.

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
# Lockdep's graph of the module's classes, for a lock-order contract.
lockdep_graph
check rmmod "rmmod $LAB_MODULE succeeds within 5 s" rmmod_within 5 "$LAB_MODULE"
check gone "$LAB_MODULE is gone" not_loaded "$LAB_MODULE"
finish
