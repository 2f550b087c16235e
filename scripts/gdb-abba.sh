#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Look at the ABBA deadlock with gdb: boot the gdb-abba scenario with QEMU's
# gdb stub, wait until the guest says both threads sleep in D, attach gdb
# with vmlinux and the kernel's gdb scripts, and run scripts/gdb-abba.py
# (lx-ps, lx-lsmod, lx-dmesg, lx-symbols, a backtrace of each stuck thread
# from its saved stack). gdb then lets the guest go on; the guest unloads the
# module and the boot ends as usual.
#
# Same interface as run-qemu.sh for tests/run.sh: prints the log directory
# on stdout and exits as run-qemu.sh did. The gdb session is kept in
# DIR/gdb.txt, and the host's checks of it in DIR/host-checks.txt (KTAP
# "ok N ..." lines).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: $0 [--scenario gdb-abba] [--timeout SECS] [--port PORT] [--show]" >&2
	exit 2
}
name=gdb-abba timeout=240 port="" show=0
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) name=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--show) show=1; shift ;;
	*) usage ;;
	esac
done
. "$LAB_OUT/lab.env"
command -v gdb >/dev/null || die "gdb is missing" "run: apt-get install gdb"
[ -f "$KDIR/vmlinux-gdb.py" ] || die "no $KDIR/vmlinux-gdb.py" "the lab kernel needs CONFIG_GDB_SCRIPTS=y"
# A port no one listens on unless one is given, so that parallel runs do not clash.
if [ -z "$port" ]; then
	for _ in $(seq 20); do
		port=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$LAB_ROOT/scripts/run-qemu.sh" --scenario "$name" --timeout "$timeout" --gdb-port "$port" \
	>"$tmp/stdout" 2>"$tmp/stderr" &
qpid=$!

# The log directory, from run-qemu.sh's first note, then the READY line.
deadline=$(($(date +%s) + timeout))
log=""
while [ -z "$log" ] && kill -0 $qpid 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
	log=$(sed -n 's/.* log \(.*console\.log\)$/\1/p' "$tmp/stderr" | head -n 1)
	sleep 0.2
done
ready=0
while [ -n "$log" ] && kill -0 $qpid 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
	if grep -q 'DEADLOCK-LAB: GDB READY' "$log"; then
		ready=1
		break
	fi
	sleep 0.2
done

checks=/dev/null
if [ $ready = 1 ]; then
	dir=$(dirname "$log")
	gdb_out=$dir/gdb.txt
	checks=$dir/host-checks.txt
	gdb_start=$(date +%s.%N)
	# -batch: gdb runs the commands and exits; detaching resumes the guest.
	timeout -k 5 120 gdb -batch -nx \
		-ex "set pagination off" -ex "set confirm off" \
		-ex "add-auto-load-safe-path $KDIR" \
		-ex "file $VMLINUX" \
		-ex "target remote 127.0.0.1:$port" \
		-ex "source $LAB_ROOT/scripts/gdb-abba.py" \
		-ex "abba-show $LAB_OUT/module/src" \
		-ex "abba-release" \
		-ex "detach" >"$gdb_out" 2>&1 || true
	printf '%.1f\n' "$(echo "$(date +%s.%N) - $gdb_start" | bc)" >"$dir/gdb-seconds"
	# section NAME: the lines of gdb.txt from "=== NAME" to the next "===".
	section() { awk -v h="=== $1" 'index($0, h) == 1 { s = 1; next } /^=== / { s = 0 } s' "$gdb_out"; }
	n=0
	host_check() {
		local desc=$1
		shift
		n=$((n + 1))
		if "$@"; then echo "ok $n $desc"; else echo "not ok $n $desc"; fi >>"$checks"
	}
	: >"$checks"
	host_check "gdb: lx-ps lists deadlock_lab_a and deadlock_lab_b" \
		eval 'section "lx-ps" | grep -q "deadlock_lab_a" && section "lx-ps" | grep -q "deadlock_lab_b"'
	host_check "gdb: lx-lsmod lists deadlock_lab" eval 'section "lx-lsmod" | grep -q "^0x[0-9a-f]* *deadlock_lab "'
	host_check "gdb: lx-dmesg shows the deadlock line" eval 'section "lx-dmesg" | grep -q "deadlock_lab: deadlocked:"'
	host_check "gdb: lx-symbols loaded the module's symbols" eval 'section "lx-symbols" | grep -q "deadlock_lab.ko"'
	for t in a b; do
		host_check "gdb: deadlock_lab_$t sleeps in down(): __down_common, down, then thread_$t" \
			eval 'section "backtrace of deadlock_lab_'$t'" | grep -q " __down_common " &&
				section "backtrace of deadlock_lab_'$t'" | grep -q " down (" &&
				section "backtrace of deadlock_lab_'$t'" | grep -q "deadlock_lab::thread_'$t'"'
	done
	host_check "gdb: the vCPU's registers are as before the walks" eval 'section "registers of the current vCPU" | grep -qx "restored: yes"'
	host_check "gdb: released the guest and detached" eval 'grep -q "^=== released the guest" "$gdb_out" && grep -q "detached" "$gdb_out"'
fi
rc=0
wait $qpid || rc=$?
cat "$tmp/stderr" >&2
if [ $ready = 0 ]; then
	echo "error: the guest never said GDB READY" >&2
	[ $rc != 0 ] || rc=1
fi
if [ $show = 1 ] && [ -n "${gdb_out:-}" ]; then
	cat "$gdb_out" >&2
	cat "$checks" >&2
fi
cat "$tmp/stdout"
exit $rc
