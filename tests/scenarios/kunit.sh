# SPDX-License-Identifier: GPL-2.0
# The KUnit suites of the lab's library (src/deadlock_lab_kunit.rs) run as
# deadlock_lab_kunit loads, and print KTAP to the kernel log. The host reads
# that KTAP with the kernel's own parser, kunit.py: every suite the built
# module carries must have run and every case passed. Here: lockdep's state
# around the run, the taint KUnit leaves, and the unload.

check lockdep-on "lockdep is on (debug_locks 1)" debug_locks_is 1
check insmod "insmod deadlock_lab_kunit succeeds" load
# The suites run inside init_module: they are done when insmod returns.
check taint "KUnit marked the kernel as having run tests (taint T, bit 18)" kernel_tainted 18
check lockdep-still-on "lockdep is still on: the library's balanced use reported nothing" debug_locks_is 1
check rmmod "rmmod succeeds within 2 s" rmmod_within 2 deadlock_lab_kunit
finish
