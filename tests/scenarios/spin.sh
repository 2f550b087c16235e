# SPDX-License-Identifier: GPL-2.0
# deadlock_spin fixed=0: the ABBA of deadlock_lab on two spinlocks, one
# thread bound to each CPU. Both CPUs spin for good with preemption off, so
# the shell never runs again: everything is prepared before insmod, and the
# verdict comes from the console log. Expect lockdep's circular report (at
# acquire time, before the spinning), a soft lockup on a CPU running one of
# the threads, and the panic that kernel.softlockup_panic asks for.

check two-cpus "two CPUs are online" cpus_online_is 2
check lockdep-on "lockdep is on (debug_locks 1)" debug_locks_is 1
# The soft-lockup threshold is twice watchdog_thresh: 2 s instead of 20.
set_sysctl kernel/watchdog_thresh 1
check watchdog-thresh "watchdog_thresh is 1 s (soft lockup after 2 s)" sysctl_is kernel/watchdog_thresh 1
set_sysctl kernel/softlockup_all_cpu_backtrace 1
check all-cpu-backtrace "a soft lockup shows every CPU's backtrace" sysctl_is kernel/softlockup_all_cpu_backtrace 1
set_sysctl kernel/softlockup_panic 1
check softlockup-panic "a soft lockup panics the kernel (panic=-1 reboots, QEMU exits)" sysctl_is kernel/softlockup_panic 1
say "loading deadlock_spin $LAB_PARAMS: from here on only the kernel speaks"
# Everything said so far must reach the host before the CPUs stop.
lab_flush
load
# Reached only if the deadlock left a CPU free: the threads may even end.
# A script that ends at all fails the boot: the kernel must panic first.
wait_until 30 tasks_gone deadlock_spin_a deadlock_spin_b
say "the kernel did not panic: the shell ran again"
exit 1
