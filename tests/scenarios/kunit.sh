# SPDX-License-Identifier: GPL-2.0
# The KUnit suites of the lab's library (src/deadlock_lab_kunit.rs) run as
# deadlock_lab_kunit loads, and print KTAP to the kernel log. Each test case
# becomes a check here, in the order KUnit ran it; the host parses the same
# KTAP with the kernel's kunit.py. The declaration names one check per
# test case of the KUnit crate root ({kunit_case}), so a suite that stops
# early fails the boot.
. /scenarios/lib.sh

check lockdep-on "lockdep is on (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_lab_kunit succeeds" load
# The suites run inside init_module: they are done when insmod returns.
klog | sed -E 's/^\[[^]]*\](\[[^]]*\])? ?//' >/tmp/kunit.log
grep -E '^    (not )?ok [0-9]+ ' /tmp/kunit.log | sed 's/^    //' >/tmp/kunit.cases
while read -r status n name; do
	[ "$status" = not ] && name=${name#* }
	check "kunit:$name" "kunit: $name" kunit_case_passed "$name"
done </tmp/kunit.cases
check suites "KUnit ran all $LAB_KUNIT_SUITES suites, and each passed" equals "$(grep -cE '^ok [0-9]+ deadlock_lab_' /tmp/kunit.log)" "$LAB_KUNIT_SUITES"
check taint "KUnit marked the kernel as having run tests (taint T, bit 18)" kernel_tainted 18
check lockdep-still-on "lockdep is still on: the library's balanced use reported nothing" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab_kunit
finish
