# SPDX-License-Identifier: GPL-2.0
# kmemleak (booted with kmemleak=on) after two load/unload cycles of every module,
# a few loads with a failing allocation in init, and whatever ran before in
# this boot (the fault-injection sweeps share it): two scans, as
# Documentation/dev-tools/kmemleak.rst advises, report no object that a
# module allocated. An object is a module's if its allocation backtrace
# names a lab module or an address the kernel cannot name any more (code of
# a module since unloaded).
mount_debugfs
K=/sys/kernel/debug/kmemleak

check kmemleak-on "kmemleak is on" test -w $K
# No scans but ours; forget what the boot itself left, which is not ours.
echo scan=off >$K
echo clear >$K
for m in $LAB_MODULES; do
	cycles=0
	# Two cycles: a load that leaks shows at the first; the second loads
	# again what the first unloaded.
	for i in 1 2; do
		insmod "$LAB_MODULES_DIR/$m.ko" $CLEAN_LOAD && rmmod "$m" && cycles=$((cycles + 1))
	done
	for n in 1 2 3; do
		fail-nth $n "$LAB_MODULES_DIR/$m.ko" "$CLEAN_LOAD" >/dev/null && rmmod "$m"
	done
	check "$m:cycles" "$m: 2 load/unload cycles and 3 loads with a failing allocation" equals "$cycles" 2
done
check no-module-loaded "no lab module is loaded" no_lab_task
# kmemleak reports an object only once it is 5 s old (jiffies_min_age).
since=$(uptime_cs)
wait_until 10 uptime_past $((since + 600))
echo scan >$K
echo scan >$K
cat $K >/tmp/kmemleak
say "kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak) unreferenced object(s) in all"
awk '/^unreferenced object/ { block = $0; next } { block = block "\n" $0 }
	/^  backtrace/ { bt = 1 } bt && (/\[deadlock_/ || /\] 0x[0-9a-f]+$/) { print block; bt = 0 }' /tmp/kmemleak >/tmp/ours
sed 's/^/#   /' /tmp/ours
check no-leak "kmemleak reports no leak from the lab's modules" equals "$(grep -c '^unreferenced object' /tmp/ours)" 0
check lockdep-still-on "lockdep is still on (debug_locks 1)" debug_locks_is 1
finish
