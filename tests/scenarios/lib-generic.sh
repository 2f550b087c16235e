# SPDX-License-Identifier: GPL-2.0
# The generic guest flow, for a scenario of a module from outside the lab
# (make test MODULE_DIR=...) that brings no guest script of its own: load
# the module with the declared parameters, wait until the kernel threads it
# started are idle, gone, or hung and reported (at most the declared wait),
# take a snapshot (ps, the stacks of the tasks asleep in D, sysrq-w,
# lockdep's state), and unload (lib-generic-run.sh); or, for a scenario
# declared to end in a kernel panic, load it and wait for the panic. The
# verdict comes from what the kernel reported (the declaration's findings)
# and from the unload. The host derives this flow's checks from its two
# files: this one's always, the run's unless the scenario ends in a panic.
# Every hung task reported 1 s after it blocked; a CPU that spins for good
# (a deadlock on spinlocks) reported after 2 s by the soft-lockup watchdog
# (twice watchdog_thresh), and by RCU after 5 s. The host ends a boot whose
# guest locked up soon after the first report.
hung_task_fast 1 16
set_sysctl kernel/watchdog_thresh 1
stall=/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout
[ -w "$stall" ] && set_knob "$stall" 5

check module-there "$LAB_MODULE.ko is in the guest" test -f "$MODULE"
if [ "${LAB_ENDS:-}" = panic ]; then
	say "loading $LAB_MODULE${LAB_PARAMS:+ $LAB_PARAMS}: this scenario ends in a kernel panic, from here on only the kernel speaks"
	lab_flush
	load
	sleep "${LAB_WAIT:-60}"
	say "the kernel did not panic"
	exit 1
fi
. "$LAB_SCENARIOS_DIR/lib-generic-run.sh"
