# SPDX-License-Identifier: GPL-2.0
# Systematic fault injection into every module's init, in the style of
# syzkaller's fail-nth: for N = 1, 2, ..., load the module with the Nth
# memory allocation made from module code failing (fail-nth, with failslab's
# and fail_page_alloc's stack-trace filter set to the module address space,
# so that the kernel's own loading is not counted), until a load succeeds.
# Every failing load must return an error to insmod, leave no module, and
# print no Oops, BUG or WARNING; afterwards no thread and no lock class of a
# failed load may be left. Kernel threads are created inside init, so a
# failing kthread_create_on_node() is among the points. The boot has
# no_hash_pointers, so that /proc/lockdep shows where each class's key lies.
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
first=${LAB_MODULES%% *}
insmod "$LAB_MODULES_DIR/$first.ko" $CLEAN_LOAD
text=$(cat "/sys/module/$first/sections/.text" 2>/dev/null)
rmmod "$first"
say "a module's .text lies at $text"
check module-space "failslab counts only allocations from the module address space, where modules load" in_module_space "$text"

# The sweep itself is fail-nth --sweep (tests/guest/fail-nth.c): loading and
# unloading from one process, no shell work between two failure points.
for m in $LAB_MODULES; do
	fail-nth --sweep "$LAB_MODULES_DIR/$m.ko" "$CLEAN_LOAD" >/tmp/sweep
	rc=$?
	sed 's/^/# /' /tmp/sweep
	points=$(sed -n "s/^fail-nth sweep $m: \([0-9]*\) failure points.*/\1/p" /tmp/sweep)
	check "$m:refused-cleanly" "$m: $points failure points in init, and every load that met one was refused cleanly" \
		grep -q "^fail-nth sweep $m: [1-9][0-9]* failure points, 0 not refused cleanly" /tmp/sweep
	check "$m:loads-without-fault" "$m: the load succeeds once no fault is left, and unloads" \
		grep -q "^fail-nth sweep $m: .*the load without a fault succeeded" /tmp/sweep
	check "$m:verdict" "$m: fail-nth's verdict is 0" equals "$rc" 0
done
check no-thread-left "no thread of any failed load is left" no_lab_task
check no-class-left "no lock class of any module is left (none keyed in the module area)" equals "$(module_classes)" 0
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
