#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab guest. Runs the scenario named by lab.run= on the kernel
# command line (a script from tests/scenarios/), or a shell for lab.run=shell,
# then reboots, which ends QEMU. Every step the host waits for is a
# "DEADLOCK-LAB:" line on the console.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root

marker() { echo "DEADLOCK-LAB: $*"; }

run=
for arg in $(cat /proc/cmdline); do
	case $arg in
	lab.run=*) run=${arg#lab.run=} ;;
	esac
done
marker "BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) run=${run:-none}"

case $run in
shell)
	cat <<MSG

deadlock-lab guest shell (Linux $(uname -r)). Modules: /lib/modules, e.g.
  insmod /lib/modules/deadlock_lab.ko && sleep 5 && ps && dmesg | tail -40
  rmmod deadlock_lab
Leave with 'exit' (or Ctrl-D); Ctrl-A X kills QEMU.
MSG
	echo 3 >/proc/sys/kernel/hung_task_timeout_secs
	setsid cttyhack sh -l
	;;
"" | none)
	marker "no scenario (lab.run= is empty)"
	;;
*)
	if [ -f "/scenarios/$run.sh" ]; then
		marker "SCENARIO $run START"
		sh "/scenarios/$run.sh"
		rc=$?
		marker "SCENARIO $run EXIT $rc"
		# Keep the console quiet while the log is dumped, so nothing interleaves.
		dmesg -n 1
		marker "DMESG BEGIN"
		dmesg
		marker "DMESG END"
		if [ -f /tmp/checks ]; then
			marker "CHECKS BEGIN"
			cat /tmp/checks
			marker "CHECKS END"
		fi
	else
		marker "SCENARIO $run MISSING (no /scenarios/$run.sh)"
	fi
	;;
esac
marker "DONE"
sync
reboot -f
