# SPDX-License-Identifier: GPL-2.0
# CPU usage and perf during the semaphore ABBA (the article says deadlocks
# show as "high CPU utilization"). A semaphore deadlock sleeps: both threads
# wait in down() in state D, and the CPUs stay idle before, during and after
# it; perf record -a during the deadlock finds the idle loop, not the module.
# The threads run on CPUs 0 and 1; this script watches from CPU 2 (taskset),
# so that it does not count itself. (Plain semaphores and no hung-task
# detector: this boot is about the CPUs.)
taskset -p 4 $$ >/dev/null
set_sysctl kernel/hung_task_timeout_secs 0

before=$(cpu_busy 1)
say "busy before: $before"
check insmod "insmod deadlock_lab $LAB_PARAMS succeeds" load
check deadlock "the threads deadlock, both in D" wait_until 10 tasks_in_state D deadlock_lab_a deadlock_lab_b
check threads-on-cpus-0-1 "on CPUs 0 and 1, while this script runs on CPU 2" equals "$(task_cpu deadlock_lab_a) $(task_cpu deadlock_lab_b) $(taskset -p $$ | sed 's/.*: //')" "0 1 4"
perf_start
# One second, as before and after: 100 ticks a CPU, where the figures
# compared are 0 against 100 (and perf takes about 300 samples).
during=$(cpu_busy 1)
say "busy during the deadlock: $during"
check idle-cpu0 "during the deadlock CPU 0 is idle (under 20% busy)" at_most "$(busy_of 0)" 19
check idle-cpu1 "and CPU 1 is idle (under 20% busy)" at_most "$(busy_of 1)" 19
perf_stop
check perf-samples "perf recorded samples" perf_top_has '%'
check perf-idle-loop "perf finds the idle loop on top, not the module" perf_top_has 'idle|halt'
check perf-no-module-sample "perf finds no sample in deadlock_lab's code" not perf_top_has 'deadlock_lab'
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
after=$(cpu_busy 1)
say "busy after rmmod: $after"
check after-idle-cpu0 "after rmmod CPU 0 is idle (under 20% busy)" at_most "$(busy_of 0)" 19
check after-idle-cpu1 "and CPU 1 is idle (under 20% busy)" at_most "$(busy_of 1)" 19
say "cpu-usage: semaphore deadlock: before [$before] during [$during] after [$after]"
finish
