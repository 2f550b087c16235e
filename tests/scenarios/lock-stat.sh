# SPDX-License-Identifier: GPL-2.0
# What the fix costs, in lock_stat's figures (CONFIG_LOCK_STAT,
# /proc/lock_stat): deadlock_lab fixed=1 loaded three times with a short and
# three times with a long hold (hold_us). Each load's sem1 and sem2 lines are
# read before its unload (lockdep forgets a module's classes then). The
# contentions and the total wait of sem1 and sem2, medians of the three
# loads, must be higher with the long hold, and so must the module's own
# count of acquisitions that had to wait. The figures are cleared before
# each unload, while lockdep still knows the classes.
hung_task_fast 1 2
ROUNDS=50 SHORT=0 LONG=20

# stat CLASS FIELD: a field of CLASS's line of /proc/lock_stat (2 contentions,
# 5 waittime-total in microseconds, 8 acquisitions), as an integer.
stat() { awk -v c="$1:" -v f="$2" '$1 == c { v = $(f + 1); sub(/\..*/, "", v); print v; exit }' /tmp/lock_stat; }

# measure HOLD: one load with hold_us=HOLD; appends "contentions wait_us
# module_count" for sem1 and sem2 together to /tmp/figures-HOLD.
measure() {
	insmod $MODULE fixed=1 rounds=$ROUNDS hold_us=$1 || return 1
	wait_log 60 "deadlock_lab: deadlock_lab_[ab]: finished " $(($2 * 2)) || return 1
	cat /proc/lock_stat >/tmp/lock_stat
	grep -E '^ +sem[12]:' /tmp/lock_stat | sed 's/^ */#   /'
	# Writing 0 clears the figures of every class lockdep knows: cleared only
	# after the unload, the next load's classes would take over the old
	# ones' figures with their slots.
	echo 0 >/proc/lock_stat
	rmmod deadlock_lab || return 1
	echo "$(($(stat sem1 2) + $(stat sem2 2))) $(($(stat sem1 5) + $(stat sem2 5))) $(module_count)" >>"/tmp/figures-$1"
}
# module_count: the module's own count of acquisitions that had to wait, from
# its last load's line (a figure for make bench; the host judges the
# module's counts from the declaration).
module_count() { lab_klog | sed -n 's/.*contended acquisitions: \([0-9]*\).*/\1/p' | tail -n 1; }
# median HOLD COLUMN: the median of COLUMN over the loads with HOLD.
median() { cut -d' ' -f"$2" "/tmp/figures-$1" | sort -n | sed -n 2p; }

check lock-stat-on "lock_stat collects (kernel.lock_stat is 1)" sysctl_is kernel/lock_stat 1
echo 0 >/proc/lock_stat
say "lock_stat of sem1 and sem2 (name: con-bounces contentions waittime-min -max -total -avg acq-bounces acquisitions ...):"
n=0 ok=0
for hold in $SHORT $SHORT $SHORT $LONG $LONG $LONG; do
	n=$((n + 1))
	measure "$hold" "$n" && ok=$((ok + 1))
done
check six-loads "six loads of fixed=1 ran their rounds and unloaded" equals "$ok" 6
say "short hold (hold_us=$SHORT): $(tr '\n' ';' </tmp/figures-$SHORT) long hold (hold_us=$LONG): $(tr '\n' ';' </tmp/figures-$LONG)"
say "lock-stat figures: short_contentions=$(median $SHORT 1) long_contentions=$(median $LONG 1) short_wait_us=$(median $SHORT 2) long_wait_us=$(median $LONG 2) short_module=$(median $SHORT 3) long_module=$(median $LONG 3)"
check more-contentions "the long hold contended more (median contentions of sem1 and sem2)" \
	greater "$(median $LONG 1)" "$(median $SHORT 1)"
check longer-waits "and waited longer (median total wait of sem1 and sem2)" \
	greater "$(median $LONG 2)" "$(median $SHORT 2)"
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
