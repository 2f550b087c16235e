#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab guest. Runs the scenarios named by lab.run= on the kernel
# command line (a comma-separated list of scripts from tests/scenarios/, each
# with its declaration's environment), or a shell for lab.run=shell, then
# reboots, which ends QEMU. Every step the host waits for is a "DEADLOCK-LAB:"
# line on the console; each scenario's part of the kernel log starts with a
# "deadlock-lab: scenario NAME start" line.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
# Where perf (and modprobe) look for the modules of the running kernel.
mkdir -p "/lib/modules/$(uname -r)"
ln -s /lib/modules/*.ko "/lib/modules/$(uname -r)/"

marker() { echo "DEADLOCK-LAB: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

run=
for arg in $(cat /proc/cmdline); do
	case $arg in
	lab.run=*) run=${arg#lab.run=} ;;
	esac
done
marker "BOOTED uptime=$(uptime_s) run=${run:-none}"

# scenario NAME: runs one scenario script in a shell of its own.
scenario() {
	if [ ! -f "/scenarios/$1.sh" ]; then
		marker "SCENARIO $1 MISSING (no /scenarios/$1.sh)"
		return
	fi
	local start
	echo "deadlock-lab: scenario $1 start" >/dev/kmsg
	start=$(uptime_s)
	marker "SCENARIO $1 START uptime=$start"
	(
		set -a
		. "/scenarios/$1.env"
		set +a
		exec sh "/scenarios/$1.sh"
	)
	rc=$?
	marker "SCENARIO $1 EXIT $rc uptime=$(uptime_s)"
	# The kernel writes its console lines straight to the UART, into the
	# middle of a line of ours still on its way out; the result is kept
	# for the quiet part after the scenarios too (RESULT, below).
	echo "$rc $start $(uptime_s)" >"/tmp/result-$1"
	echo "deadlock-lab: scenario $1 end" >/dev/kmsg
}

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
	names=$(echo "$run" | tr , ' ')
	for name in $names; do
		scenario "$name"
	done
	# Keep the console quiet while the log is dumped, so nothing interleaves.
	dmesg -n 1
	marker "DMESG BEGIN uptime=$(uptime_s)"
	dmesg
	marker "DMESG END uptime=$(uptime_s)"
	for name in $names; do
		if read -r rc start end <"/tmp/result-$name"; then
			marker "RESULT $name EXIT $rc START $start END $end"
		fi
		[ -f "/tmp/checks-$name" ] || continue
		marker "CHECKS $name BEGIN"
		cat "/tmp/checks-$name"
		marker "CHECKS $name END"
	done
	;;
esac
marker "DONE uptime=$(uptime_s)"
sync
reboot -f
