# SPDX-License-Identifier: GPL-2.0
# Systematic fault injection into every module's init, in the style of
# syzkaller's fail-nth: for N = 1, 2, ..., load the module with the Nth
# memory allocation made from module code failing (fail-nth, with failslab's
# and fail_page_alloc's stack-trace filter set to the module address space,
# so that the kernel's own loading is not counted), until a load succeeds.
# Every failing load must return an error to insmod, leave no module, and
# print no Oops, BUG or WARNING; afterwards no thread and no lock class of a
# failed load may be left. Kernel threads are created inside init, so a
# failing kthread_create_on_node() is among the points.
. /scenarios/lib.sh
mount_debugfs

# The module address space of x86-64 (arch/x86/include/asm/pgtable_64_types.h,
# MODULES_VADDR without KASLR up to the larger MODULES_END).
MODULES_START=0xffffffffa0000000 MODULES_END=0xffffffffff000000
for f in failslab fail_page_alloc; do
	d=/sys/kernel/debug/$f
	echo N >$d/ignore-gfp-wait
	echo 1 >$d/verbose
	echo $MODULES_START >$d/require-start
	echo $MODULES_END >$d/require-end
done
echo 0 >/sys/kernel/debug/fail_page_alloc/min-order

# in_module_space ADDRESS: ADDRESS lies between MODULES_START and MODULES_END.
# (Kernel addresses overflow the shell's signed arithmetic; as 16 hex digits
# they sort like numbers.)
in_module_space() {
	[ "${#1}" = 18 ] &&
		[ "$(printf '%s\n' $MODULES_START "$1" $MODULES_END | sort | tr '\n' ' ')" = "$MODULES_START $1 $MODULES_END " ]
}
insmod /lib/modules/deadlock_recursive.ko fixed=1
text=$(cat /sys/module/deadlock_recursive/sections/.text 2>/dev/null)
rmmod deadlock_recursive
say "a module's .text lies at $text"
check "failslab counts only allocations from the module address space, where modules load" in_module_space "$text"

# sweep MODULE PARAMS: see the header. Sets points (failure points found),
# unclean (failing loads that left something behind) and ok (the last load,
# with no fault left, succeeded).
sweep() {
	local n=1 out rc
	points=0 unclean=0 ok=0
	while [ $n -le 500 ]; do
		out=$(fail-nth $n "/lib/modules/$1.ko" "$2")
		rc=$?
		case $out in
		*"no fault"*)
			[ $rc = 0 ] && ok=1
			break
			;;
		esac
		points=$n
		if [ $rc = 0 ]; then
			# The failed allocation had a way around it: the load went on.
			say "$out: the load survived the fault"
			rmmod "$1" || unclean=$((unclean + 1))
		elif loaded "$1"; then
			say "$out: not refused cleanly"
			unclean=$((unclean + 1))
		fi
		n=$((n + 1))
	done
	say "$1: $points failure points in init; $unclean loads not refused cleanly"
}

for entry in $LAB_MODULES; do
	m=${entry%%:*} params=$(echo "${entry#*:}" | tr , ' ')
	sweep "$m" "$params"
	check "$m: every load with a failing allocation in init was refused cleanly ($points failure points)" equals "$points/$unclean" "$points/0"
	check "$m: failure points were found at all" at_least "$points" 1
	check "$m: the load succeeds once no fault is left" equals "$ok" 1
	check "$m: and unloads within 2 s" rmmod_within 2 "$m"
done
check "no thread of any failed load is left" no_lab_task
check "no lock class of any module is left" lockdep_classes_is "$LAB_CLASSES" 0
check "lockdep is still on (debug_locks 1)" debug_locks_is 1
check "no failed load printed an Oops, BUG or WARNING" dmesg_lacks_ere "(Oops|BUG|WARNING):"
finish
