#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the lab kernel in QEMU once: run one or more scenarios (or a shell),
# capture the serial console to a log kept per boot, and enforce a hard
# timeout that names the stage the guest reached. The guest reports back
# through "DEADLOCK-LAB:" console lines; success is the DONE line, never
# silence. After the boot, each scenario's own part is split out into the
# log directory: NAME.checks (its KTAP check lines), NAME.exit (its script's
# exit status, if it got that far), NAME.seconds (its guest time) and
# NAME.dmesg.txt (its part of the kernel log).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat >&2 <<USAGE
usage: $0 --scenario NAME[,NAME...] [--timeout SECS] [--follow] [--append ARGS] [--cpus N]
          [--initrd perf] [--gdb | --gdb-port PORT]
       $0 --shell
  Boots out/initramfs.cpio.gz with lab.run=NAME,...; logs go to out/logs/.
  --gdb: QEMU's gdb stub on localhost:1234; --gdb-port: on localhost:PORT instead
  (so that a test and an interactive session do not clash)
  env: LAB_ACCEL=auto|kvm|tcg (auto probes KVM once per machine)
Exit: 0 guest finished, 3 timeout, 4 QEMU or the kernel died first.
USAGE
	exit 2
}

mode=scenario name="" timeout=120 follow=0 append="" gdb=0 cpus=2 image=""
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) name=$2; shift 2 ;;
	--shell) mode=shell name=shell; shift ;;
	--probe) mode=probe name=probe; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--follow) follow=1; shift ;;
	--append) append=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--initrd) image=${2:+-$2}; shift 2 ;;
	--gdb) gdb=1234; shift ;;
	--gdb-port) gdb=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$name" ] || usage

. "$LAB_OUT/lab.env"
initrd=$LAB_OUT/initramfs$image.cpio.gz
[ -f "$BZIMAGE" ] || die "no lab kernel at $BZIMAGE" "run: make kernel"
[ -f "$initrd" ] || die "no initramfs at $initrd" "run: make initramfs"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing" "run: make setup"

qemu_cmd() { # accel cmdline-run
	local accel=$1 run=$2 cpu=max
	[ "$accel" = tcg ] || cpu=host
	# Two sockets, not two cores: the lab kernel has no ACPI and finds its CPUs in
	# SeaBIOS's MP table, which lists only the first CPU of each package; with
	# plain "-smp 2" (two cores in one package) the guest booted with one CPU.
	# The kernel's own KUnit suites would run, and taint, every boot: only the
	# lab's run (when deadlock_lab_kunit loads). Expedited RCU grace periods:
	# each module load and unload waits for several, and under TCG a normal
	# one costs tens of milliseconds (a fault-injection sweep of 25 loads
	# took 1.39 s with them, 0.52 s without).
	local cmd=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "$cpus,sockets=$cpus,cores=1,threads=1" -m 512 -nodefaults -no-reboot
		-kernel "$BZIMAGE" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 rcupdate.rcu_expedited=1 kunit.filter_glob=deadlock_lab* lab.run=$run $append")
	printf '%s\n' "${cmd[@]}"
}

# state_of LOG: how far a boot got, from the console log.
state_of() {
	local log=$1
	if grep -q 'DEADLOCK-LAB: DONE' "$log"; then echo "finished"
	elif grep -q 'DEADLOCK-LAB: DMESG BEGIN' "$log"; then echo "dumping dmesg after the scenario"
	elif grep -q 'DEADLOCK-LAB: SCENARIO .* START' "$log"; then
		echo "running scenario '$(sed -n 's/.*DEADLOCK-LAB: SCENARIO \(.*\) START.*/\1/p' "$log" | head -n 1)' (last line: $(grep -v '^\s*$' "$log" | tail -n 1 | tr -d '\r' | cut -c1-100))"
	elif grep -q 'DEADLOCK-LAB: BOOTED' "$log"; then echo "guest init running"
	elif grep -q 'Run /init as init process' "$log"; then echo "kernel started /init"
	elif grep -q 'Linux version' "$log"; then echo "kernel booting (no /init yet)"
	elif [ -s "$log" ]; then echo "firmware (the kernel printed nothing)"
	else echo "QEMU started, nothing on the console"
	fi
}

# split_scenarios DIR NAME...: each scenario's part of the boot's logs (see
# the header).
split_scenarios() {
	local dir=$1 n log kernel first
	shift
	first=$1
	log=$(mktemp)
	tr -d '\r' <"$dir/console.log" >"$log"
	kernel=$dir/dmesg.txt
	[ -f "$kernel" ] || kernel=$dir/kernel-console.txt
	for n in "$@"; do
		# The copy printed after the scenarios, or, if the boot never got
		# there (a panic), the lines printed live.
		if grep -q "^DEADLOCK-LAB: CHECKS $n BEGIN" "$log"; then
			sed -n "/^DEADLOCK-LAB: CHECKS $n BEGIN/,/^DEADLOCK-LAB: CHECKS $n END/p" "$log" | sed '1d;$d'
		else
			sed -n "/^DEADLOCK-LAB: SCENARIO $n START/,/^DEADLOCK-LAB: SCENARIO $n EXIT/p" "$log" |
				sed -n 's/^CHECK //p'
		fi >"$dir/$n.checks"
		# Its exit status and time: from the RESULT line printed after the
		# scenarios, on a quiet console; else (a panic) from the live lines,
		# which a kernel line can break.
		if grep -q "^DEADLOCK-LAB: RESULT $n EXIT " "$log"; then
			awk -v n="$n" '$1 == "DEADLOCK-LAB:" && $2 == "RESULT" && $3 == n {
					print $5 >(d "/" n ".exit"); printf "%.2f\n", $9 - $7 >(d "/" n ".seconds") }' d="$dir" "$log"
		else
			sed -n "s/^DEADLOCK-LAB: SCENARIO $n EXIT \([0-9]*\).*/\1/p" "$log" >"$dir/$n.exit"
			awk -v n="$n" '$1 == "DEADLOCK-LAB:" && $2 == "SCENARIO" && $3 == n {
					split($NF, u, "="); if ($4 == "START") s = u[2]; else if ($4 == "EXIT") printf "%.2f\n", u[2] - s }' \
				"$log" >"$dir/$n.seconds"
		fi
		[ -s "$dir/$n.exit" ] || rm -f "$dir/$n.exit"
		# Its part of the kernel log: from its start line to the next
		# scenario's; the boot's own lines belong to the first scenario, so
		# that every kernel line is judged.
		[ -f "$kernel" ] && awk -v n="$n" -v first="$first" 'BEGIN { owner = first }
				match($0, /deadlock-lab: scenario [^ ]+ start$/) { owner = $(NF - 1) }
				owner == n' "$kernel" >"$dir/$n.dmesg.txt"
	done
	rm -f "$log"
}

# A KVM guest on some hosts stalls right after the firmware: probe once per
# machine with a short boot, remember the answer, otherwise use TCG.
choose_accel() {
	case ${LAB_ACCEL:-auto} in
	kvm | tcg) echo "$LAB_ACCEL"; return ;;
	auto) ;;
	*) die "LAB_ACCEL=$LAB_ACCEL: use auto, kvm or tcg" ;;
	esac
	local id memo
	id=$(cat /etc/machine-id 2>/dev/null || hostname)
	memo=$LAB_CACHE/accel-$id-$(uname -r)
	if [ -f "$memo" ]; then cat "$memo"; return; fi
	local accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		local plog
		plog=$(mktemp)
		mapfile -t cmd < <(qemu_cmd kvm none)
		timeout -k 2 15 "${cmd[@]}" -display none -serial "file:$plog" >/dev/null 2>&1 || true
		if grep -q 'DEADLOCK-LAB: DONE' "$plog"; then accel=kvm; fi
		note "KVM probe: $( [ $accel = kvm ] && echo 'KVM guest booted' || echo "KVM guest did not boot in 15 s (stopped at: $(state_of "$plog")); using TCG")"
		rm -f "$plog"
	fi
	mkdir -p "$LAB_CACHE"
	echo "$accel" >"$memo"
	echo "$accel"
}

accel=$(choose_accel)
mapfile -t cmd < <(qemu_cmd "$accel" "$name")
[ "$gdb" = 0 ] || cmd+=(-gdb "tcp:127.0.0.1:$gdb")

if [ "$mode" = shell ]; then
	note "accelerator: $accel; leave the guest shell with 'exit', or Ctrl-A X"
	exec "${cmd[@]}" -nographic -serial mon:stdio
fi

names=$(echo "$name" | tr , ' ')
# One directory per boot, named after its time and scenarios; parallel boots
# of the same second get a number.
dir=$LAB_OUT/logs/$(date +%Y%m%d-%H%M%S)-$(echo "$name" | tr , +)
mkdir -p "$LAB_OUT/logs"
n=1 base=$dir
while ! mkdir "$dir" 2>/dev/null; do
	n=$((n + 1))
	dir=$base.$n
done
log=$dir/console.log
: >"$log"
note "boot: scenario $name, accelerator $accel, log $log"
start=$(date +%s.%N)
"${cmd[@]}" -display none -serial "file:$log" >"$dir/qemu.out" 2>&1 &
qpid=$!
tpid=""
if [ "$follow" = 1 ]; then
	tail -n +1 -f --pid=$qpid "$log" >&2 &
	tpid=$!
fi
rc=0
deadline=$(($(date +%s) + timeout))
to_init=""
while kill -0 $qpid 2>/dev/null; do
	if [ -z "$to_init" ] && grep -q 'DEADLOCK-LAB: BOOTED' "$log"; then
		to_init=$(echo "$(date +%s.%N) - $start" | bc)
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		kill $qpid 2>/dev/null || true
		sleep 1
		kill -9 $qpid 2>/dev/null || true
		rc=3
		break
	fi
	sleep 0.05
done
wait $qpid 2>/dev/null || true
[ -z "$tpid" ] || wait "$tpid" 2>/dev/null || true
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

# The guest's own dmesg, dumped between markers, for the inspector.
tr -d '\r' <"$log" | sed -n '/DEADLOCK-LAB: DMESG BEGIN/,/DEADLOCK-LAB: DMESG END/p' | sed '1d;$d' >"$dir/dmesg.txt"
# A boot that ended without the dump (a panic, a timeout): the kernel's own
# lines of the console stand in for its dmesg.
if [ ! -s "$dir/dmesg.txt" ]; then
	rm -f "$dir/dmesg.txt"
	tr -d '\r' <"$log" | grep -E '^\[ *[0-9]+\.[0-9]+\]' >"$dir/kernel-console.txt" || true
fi
printf '%s\n' "$accel" >"$dir/accel"
printf '%.1f\n' "$elapsed" >"$dir/seconds"
[ -z "$to_init" ] || printf '%.2f\n' "$to_init" >"$dir/seconds-to-init"
split_scenarios "$dir" $names
for n in $names; do
	ln -sfn "$(basename "$dir")" "$LAB_OUT/logs/latest-$n"
done

if [ $rc = 3 ]; then
	echo "error: the guest did not finish within ${timeout} s; QEMU killed; stopped at: $(state_of "$log")" >&2
	echo "  log: $log" >&2
	exit 3
fi
if ! grep -q 'DEADLOCK-LAB: DONE' "$log"; then
	reason=$(grep -m1 -E 'Kernel panic|end Kernel panic' "$log" | tr -d '\r' || true)
	echo "error: QEMU exited before the guest finished; stopped at: $(state_of "$log")${reason:+ ($reason)}" >&2
	echo "  log: $log" >&2
	exit 4
fi
note "boot finished in $(printf '%.1f' "$elapsed") s"
echo "$dir"
