#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab guest. Runs the scenarios named by lab.run= on the kernel
# command line (a comma-separated list of scripts from tests/scenarios/, each
# with its declaration's environment), or a shell for lab.run=shell, then
# reboots, which ends QEMU. Every name and path it shares with the host
# comes from the contract the host program writes
# (tools/lab/src/contract.rs); the one path it knows beforehand is the
# contract's own, sourced below. What the host waits for goes
# over the lab's own serial line, in the contract's protocol: the kernel's
# console is the kernel's alone, and the host reads the kernel log from it
# (the boot has ignore_loglevel: every line). Each scenario's part of the
# kernel log starts with the line lab_mark writes.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
. /lib/lab/contract.sh
# Where perf (and modprobe) look for the modules of the running kernel.
mkdir -p "$LAB_MODULES_DIR/$(uname -r)"
ln -s "$LAB_MODULES_DIR"/*.ko "$LAB_MODULES_DIR/$(uname -r)/"
# Bytes as written: no newline translation, no echo of what the host sends.
stty -F "$LAB_TTY" raw -echo 2>/dev/null

run=
for arg in $(cat /proc/cmdline); do
	case $arg in
	lab.run=*) run=${arg#lab.run=} ;;
	esac
done
lab_event booted "${run:-none}"
# The heartbeat: while it comes, the guest's user space runs.
lab_heartbeat &

# scenario NAME: runs one scenario script in a shell of its own, with the
# contract, the lab's facts, its environment and the scenarios' library, its
# output stamped onto the protocol line.
scenario() {
	if [ ! -f "$LAB_SCENARIOS_DIR/$1.sh" ]; then
		lab_event missing "$1"
		return
	fi
	# The kernel settings the scenario before changed (set_sysctl keeps
	# their values from before it), back as the boot had them. Not after
	# the last one: a scenario that reports may end with CPUs spinning for
	# good, and the watchdog's settings wait for every CPU.
	if [ -f "$LAB_RESTORE" ]; then
		while read -r file value; do echo "$value" >"$file"; done <"$LAB_RESTORE"
		rm -f "$LAB_RESTORE"
	fi
	lab_mark "$1"
	lab_event start "$1"
	(
		set -a
		. "$LAB_CONTRACT"
		. "$LAB_FACTS"
		. "$LAB_SCENARIOS_DIR/$1.env"
		set +a
		# The script's shell gets the variables; its functions come from
		# sourcing the contract and the library again.
		sh -c '. "$LAB_CONTRACT" && . "$LAB_SCENARIOS_DIR/lib.sh" && . "$0"' "$LAB_SCENARIOS_DIR/$1.sh" 2>&1
		# The script's status, not the stamper's: ash keeps no PIPESTATUS.
		echo $? >"/tmp/exit-$1"
	) | lab_stamp "$1"
	read -r rc <"/tmp/exit-$1" || rc=255
	lab_event exit "$1" "$rc"
}

case $run in
shell)
	cat <<MSG

deadlock-lab guest shell (Linux $(uname -r)). Modules: $LAB_MODULES_DIR, e.g.
  insmod $LAB_MODULES_DIR/deadlock_lab.ko && sleep 5 && ps && dmesg | tail -40
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
