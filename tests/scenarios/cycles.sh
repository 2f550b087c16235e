# SPDX-License-Identifier: GPL-2.0
# 50 load/unload cycles in the fixed order: every load runs, every unload
# succeeds, and nothing is left behind: no module, no threads, and no lock
# class of an earlier load (each load registers sem1 and sem2 afresh; each
# unload must drop them).
# timeout: 240
. /scenarios/lib.sh

# classes NAME: how many lock classes called NAME lockdep knows.
classes() { grep -c ": $1\$" /proc/lockdep; }
stat_of() { sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" /proc/lockdep_stats; }

# cycle N: load, wait until both threads of this load finished, unload.
cycle() {
	want=$(($1 * 2))
	insmod $MODULE fixed=1 rounds=200 || return 1
	wait_until 10 eval '[ "$(dmesg_count "finished 200 rounds")" = "$want" ]' || return 1
	if [ "$1" = 50 ]; then
		sem1_loaded=$(classes sem1) sem2_loaded=$(classes sem2)
	fi
	rmmod deadlock_lab
}

zapped_before=$(stat_of "zapped classes")
ok=0
i=1
while [ $i -le 50 ]; do
	cycle $i || break
	ok=$i
	i=$((i + 1))
done
say "cycles completed: $ok"
say "lock classes: $(stat_of lock-classes), zapped classes: $zapped_before before, $(stat_of "zapped classes") after"
say "during the last load: $sem1_loaded class(es) sem1, $sem2_loaded class(es) sem2; after it: $(classes sem1), $(classes sem2)"
check "50 load/unload cycles complete" [ "$ok" = 50 ]
check "50 loads end with End of test: SUCCESS" eval '[ "$(dmesg_count "deadlock_lab: End of test: SUCCESS: fixed order")" = 50 ]'
check "the 50th load sees exactly one sem1 and one sem2 class" eval '[ "$sem1_loaded" = 1 ] && [ "$sem2_loaded" = 1 ]'
check "no sem1 or sem2 class is left after the last unload" eval '[ "$(classes sem1)" = 0 ] && [ "$(classes sem2)" = 0 ]'
check "the module is gone" not_loaded deadlock_lab
check "no deadlock_lab thread is left" eval 'no_task deadlock_lab_a && no_task deadlock_lab_b'
check "lockdep is still on (debug_locks 1)" eval '[ "$(debug_locks)" = 1 ]'
finish
