# SPDX-License-Identifier: GPL-2.0
# CPU usage and perf during the spinlock ABBA. A spinlock deadlock burns: the
# two threads, bound to CPUs 0 and 1, spin with preemption off, and those
# CPUs are 100% busy until the machine goes down. This boot has a third CPU,
# where this script runs (taskset) and watches: before, after a fixed=1 run
# (back to idle), and during the deadlock, which perf record -a (started just
# before it) samples: the spinlock's slow path, called from the module's
# thread functions. Nothing can run on the spinning CPUs any more, so the
# reboot at the end starts from CPU 2, and the soft-lockup detector is off:
# this boot is about CPU usage.
MODULE=$LAB_MODULES_DIR/deadlock_spin.ko
taskset -p 4 $$ >/dev/null
echo 2 >/sys/kernel/reboot/cpu
set_sysctl kernel/soft_watchdog 0

check three-cpus "three CPUs are online" cpus_online_is 3
check on-cpu2 "this script runs on CPU 2 only" equals "$(taskset -p $$ | sed 's/.*: //')" 4
before=$(cpu_busy 1)
say "busy before: $before"
check insmod-fixed "insmod deadlock_spin fixed=1 succeeds" insmod $MODULE fixed=1
wait_log 60 "deadlock_spin: deadlock_spin_[ab]: finished 20000 rounds" 2
check rmmod-fixed "rmmod deadlock_spin succeeds within 2 s" rmmod_within 2 deadlock_spin
after=$(cpu_busy 1)
say "busy after the fixed run: $after"
check after-fixed-idle-cpu0 "after the fixed run CPU 0 is idle (under 20% busy)" at_most "$(busy_of 0)" 19
check after-fixed-idle-cpu1 "and CPU 1 is idle (under 20% busy)" at_most "$(busy_of 1)" 19
perf_start
check insmod "insmod deadlock_spin $LAB_PARAMS succeeds" load
wait_log 10 "deadlock_spin: deadlock_spin_[ab]: holding my first spinlock" 2
# One second, as before and after: 100 ticks a CPU, where the figures
# compared are 0 against 100 (and perf takes about 300 samples).
during=$(cpu_busy 1)
say "busy during the deadlock: $during"
check busy-cpu0 "during the deadlock CPU 0 is busy (over 90%)" at_least "$(busy_of 0)" 91
check busy-cpu1 "and CPU 1 is busy (over 90%)" at_least "$(busy_of 1)" 91
perf_stop
check perf-slow-path "perf finds the spinlock's slow path on top" perf_top_has 'queued_spin_lock_slowpath|do_raw_spin_lock'
perf_module_callers >/tmp/callers
say "the module addresses in perf's call chains:"
sed 's/^/#   /' /tmp/callers
check perf-callers "its callers are the module's thread functions (from /proc/kallsyms)" grep -qE 'deadlock_spin8thread_[ab]' /tmp/callers
say "cpu-usage: spinlock deadlock: before [$before] during [$during] after a fixed run [$after]"
finish
