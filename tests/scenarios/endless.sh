# SPDX-License-Identifier: GPL-2.0
# rounds=0: the fixed order runs until unload. rmmod must stop both threads
# promptly while they are busy taking the semaphores.
# timeout: 90
. /scenarios/lib.sh

check "insmod deadlock_lab fixed=1 rounds=0 succeeds" insmod $MODULE fixed=1 rounds=0
sleep 2
show_threads
check "both threads are still running after 2 s" eval '[ -n "$(pid_of deadlock_lab_a)" ] && [ -n "$(pid_of deadlock_lab_b)" ]'
check "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab
check "no deadlock_lab thread is left" eval 'no_task deadlock_lab_a && no_task deadlock_lab_b'
counts=$(dmesg | sed -n 's/.*threads stopped: deadlock_lab_a=\([0-9]*\) rounds, deadlock_lab_b=\([0-9]*\) rounds.*/\1 \2/p')
say "rounds done before the unload: $counts"
check "both threads made progress until the unload" eval 'set -- $counts; [ "${1:-0}" -gt 0 ] && [ "${2:-0}" -gt 0 ]'
check "End of test: SUCCESS" dmesg_has 'deadlock_lab: End of test: SUCCESS: fixed order'
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
finish
