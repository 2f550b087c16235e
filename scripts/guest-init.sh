#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab guest. Runs the scenarios named by lab.run= on the kernel
# command line (a comma-separated list of scripts from tests/scenarios/, each
# with its declaration's environment), or a shell for lab.run=shell, then
# reboots, which ends QEMU. What the host waits for goes over the lab's own
# serial line (ttyS1), in the protocol of /lib/lab/protocol.sh (written by
# the host program, tools/lab/src/protocol.rs): the kernel's console (ttyS0)
# is the kernel's alone, and the host reads the kernel log from it (the boot
# has ignore_loglevel: every line). Each scenario's part of the kernel log
# starts with a "deadlock-lab: scenario NAME start" line.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
# Where perf (and modprobe) look for the modules of the running kernel.
mkdir -p "/lib/modules/$(uname -r)"
ln -s /lib/modules/*.ko "/lib/modules/$(uname -r)/"
. /lib/lab/protocol.sh
# Bytes as written: no newline translation, no echo of what the host sends.
stty -F "$LAB_TTY" raw -echo 2>/dev/null

run=
for arg in $(cat /proc/cmdline); do
	case $arg in
	lab.run=*) run=${arg#lab.run=} ;;
	esac
done
lab_event booted "${run:-none}"

# scenario NAME: runs one scenario script in a shell of its own, its output
# stamped onto the protocol line.
scenario() {
	if [ ! -f "/scenarios/$1.sh" ]; then
		lab_event missing "$1"
		return
	fi
	# The kernel settings the scenario before changed (set_sysctl keeps
	# their values from before it), back as the boot had them. Not after
	# the last one: a scenario that reports may end with CPUs spinning for
	# good, and the watchdog's settings wait for every CPU.
	if [ -f /tmp/lab-restore ]; then
		while read -r name value; do echo "$value" >"/proc/sys/$name"; done </tmp/lab-restore
		rm -f /tmp/lab-restore
	fi
	echo "deadlock-lab: scenario $1 start" >/dev/kmsg
	lab_event start "$1"
	(
		set -a
		. /lib/lab/facts.sh
		. "/scenarios/$1.env"
		set +a
		sh "/scenarios/$1.sh" 2>&1
		# The script's status, not the stamper's: ash keeps no PIPESTATUS.
		echo $? >"/tmp/exit-$1"
	) | lab_stamp "$1"
	read -r rc <"/tmp/exit-$1" || rc=255
	lab_event exit "$1" "$rc"
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
"" | none) ;;
*)
	for name in $(echo "$run" | tr , ' '); do
		scenario "$name"
	done
	;;
esac
lab_event done
tcdrain "$LAB_TTY"
sync
reboot -f
