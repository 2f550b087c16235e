# SPDX-License-Identifier: GPL-2.0
# CYCLES load/unload cycles in the fixed order: every load runs, every
# unload succeeds, and nothing is left behind: no module, no threads, and no
# lock class of an earlier load (each load registers sem1 and sem2 afresh;
# each unload must drop them). A class or a thread left by one unload shows
# at the next load already (two sem1 classes, a second deadlock_lab_a), so
# ten cycles catch what fifty did, with nine loads after the first.
CYCLES=10

stat_of() { sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" /proc/lockdep_stats; }

# cycle N: load, wait until both threads of this load finished, unload.
cycle() {
	load || return 1
	# Paced by the module's own lines; the host judges each verdict.
	wait_log 10 "deadlock_lab: deadlock_lab_[ab]: finished 20 rounds" $(($1 * 2))
	if [ "$1" = $CYCLES ]; then
		sem1_loaded=$(lockdep_classes sem1) sem2_loaded=$(lockdep_classes sem2)
	fi
	rmmod deadlock_lab
}

zapped_before=$(stat_of "zapped classes")
ok=0
i=1
while [ $i -le $CYCLES ]; do
	cycle $i || break
	ok=$i
	i=$((i + 1))
done
say "cycles completed: $ok"
say "lock classes: $(stat_of lock-classes), zapped classes: $zapped_before before, $(stat_of "zapped classes") after"
say "during the last load: $sem1_loaded class(es) sem1, $sem2_loaded class(es) sem2; after it: $(lockdep_classes sem1), $(lockdep_classes sem2)"
check cycles "$CYCLES load/unload cycles complete" equals "$ok" $CYCLES
check last-load-one-sem1 "the last load sees exactly one sem1 class" equals "$sem1_loaded" 1
check last-load-one-sem2 "the last load sees exactly one sem2 class" equals "$sem2_loaded" 1
check no-class-left "no sem1 or sem2 class is left after the last unload" lockdep_classes_is "sem[12]" 0
check module-gone "the module is gone" not_loaded deadlock_lab
check no-thread-left "no deadlock_lab thread is left" tasks_gone deadlock_lab_a deadlock_lab_b
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
