#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the test suite: host-side tests, then one QEMU boot per scenario in
# tests/scenarios/ (NAME.sh runs in the guest, NAME.expect.json is what the
# dmesg inspector must find in that boot's dmesg). Prints KTAP, ends with
# "N passed, N failed" and exits non-zero if anything failed.
#
# Header lines of a scenario script the runner reads:
#   # timeout: SECS     how long the boot may take (default 120)
#   # console: REGEX    an extended regex the console log must match, one
#                       subtest each (for what the guest cannot check itself)
#   # ends: panic       the scenario cannot recover: the boot must end in a
#                       kernel panic (QEMU exits without DONE, run-qemu.sh
#                       exit 4); the guest's checks are its CHECK lines up to
#                       then, and the inspector reads the kernel lines of the
#                       console log instead of the guest's dmesg dump
#   # driver: SCRIPT    boot with SCRIPT (relative to the repo) instead of
#                       scripts/run-qemu.sh; same arguments, output and exit
#                       status, plus the host's own checks in DIR/host-checks.txt
#                       (KTAP "ok N ..." lines), e.g. scripts/gdb-abba.sh
#
# usage: tests/run.sh [NAME...]   (default: every test; `make test TESTS=...`)
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$LAB_OUT/lab.env"

inspect=$LAB_ROOT/target/release/dmesg-inspect
scenarios=()
for f in "$LAB_ROOT"/tests/scenarios/*.sh; do
	n=$(basename "$f" .sh)
	[ "$n" = lib ] || scenarios+=("$n")
done
host_tests=(inspector module_rustfmt module_warnings modinfo)
all=("${host_tests[@]}" "${scenarios[@]}")
selected=("${@:-${all[@]}}")
for t in "${selected[@]}"; do
	printf '%s\n' "${all[@]}" | grep -qx -- "$t" || die "no test named '$t'" "tests: ${all[*]}"
done

passed=0 failed=0 n=0
suite_start=$(date +%s)

diag() { sed 's/^/# /'; }

# result NAME STATUS SECONDS: one top-level KTAP line.
result() {
	n=$((n + 1))
	printf '# %s: %s s\n' "$1" "$3"
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1"
	fi
}

t_inspector() {
	# The inspector's unit, fixture and property tests.
	local out
	out=$(cd "$LAB_ROOT" && cargo test --quiet --workspace 2>&1)
	local rc=$?
	echo "$out" | grep -E '^test result:|FAILED|panicked' | diag
	return $rc
}

t_module_rustfmt() {
	# The module's sources are formatted as the kernel's rustfmt config says.
	local cfg=$KERNEL_SRC/.rustfmt.toml
	# rustfmt follows `mod` declarations from each module's crate root.
	rustfmt --check --edition 2021 --config-path "$cfg" $(grep -l '^module! {' "$LAB_ROOT"/src/*.rs) 2>&1 |
		head -n 40 | diag
	return "${PIPESTATUS[0]}"
}

t_module_warnings() {
	# A fresh build of the module prints no compiler warning.
	local dir log
	dir=$(mktemp -d)
	log=$dir/build.log
	make -s -C "$KDIR" M="$LAB_ROOT" MO="$dir" LLVM="$LLVM" RUSTC="$RUSTC" modules >"$log" 2>&1
	local rc=$?
	grep -iE 'warning|error' "$log" | head -n 40 | diag
	! grep -qiE 'warning|error' "$log" && [ $rc = 0 ]
	rc=$?
	rm -rf "$dir"
	return $rc
}

t_modinfo() {
	# modinfo documents every parameter with its allowed range, and the license is GPL.
	local info ko
	info=$(/sbin/modinfo "$LAB_OUT/module/src/deadlock_lab.ko") || return 1
	echo "$info" | grep -E '^(license|description|parm):' | diag
	echo "$info" | grep -qx 'license: *GPL' &&
		echo "$info" | grep -qE '^parm: *fixed:.*allowed 0\.\.=1' &&
		echo "$info" | grep -qE '^parm: *rounds:.*allowed 0\.\.=10000000' &&
		echo "$info" | grep -qE '^parm: *hold_us:.*allowed 0\.\.=100000' || return 1
	# The scenario modules: GPL, and fixed documented with its range.
	for ko in "$LAB_OUT"/module/src/deadlock_*.ko; do
		[ "$(basename "$ko")" != deadlock_lab.ko ] || continue
		info=$(/sbin/modinfo "$ko") || return 1
		echo "$info" | grep -E '^(name|parm):' | diag
		echo "$info" | grep -qx 'license: *GPL' &&
			echo "$info" | grep -qE '^parm: *fixed:.*allowed 0\.\.=1' || return 1
	done
}

# One boot: the guest's own checks and the inspector's verdict, as subtests.
t_scenario() {
	local name=$1 script=$LAB_ROOT/tests/scenarios/$1.sh expect=$LAB_ROOT/tests/scenarios/$1.expect.json
	local timeout ends driver dir rc
	timeout=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$script" | head -n 1)
	ends=$(sed -n 's/^# ends: *\([a-z]*\).*/\1/p' "$script" | head -n 1)
	driver=$(sed -n 's/^# driver: *\([^ ]*\).*/\1/p' "$script" | head -n 1)
	local -a console_res=()
	mapfile -t console_res < <(sed -n 's/^# console: *//p' "$script")
	dir=$("$LAB_ROOT/${driver:-scripts/run-qemu.sh}" --scenario "$name" --timeout "${timeout:-120}" 2> >(diag >&2))
	rc=$?
	if [ "$ends" = panic ]; then
		if [ $rc != 4 ]; then
			echo "    # $name must end in a kernel panic (run-qemu.sh exit 4), got exit $rc"
			return 1
		fi
		dir=$(readlink -f "$LAB_OUT/logs/latest-$name")
	elif [ $rc != 0 ]; then
		return 1
	fi
	local log=$dir/console.log sub=0 subfail=0 dmesg=$dir/dmesg.txt
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	local checks
	if [ "$ends" = panic ]; then
		# No dump after a panic: the guest's checks as it printed them, and the
		# kernel's own lines of the console log in place of its dmesg.
		checks=$(tr -d '\r' <"$log" | sed -n 's/^CHECK //p')
		dmesg=$dir/kernel-console.txt
	else
		checks=$(tr -d '\r' <"$log" | sed -n '/DEADLOCK-LAB: CHECKS BEGIN/,/DEADLOCK-LAB: CHECKS END/p' | sed '1d;$d')
	fi
	if [ -n "$driver" ]; then
		# The driver's checks follow the guest's, renumbered.
		checks=$(printf '%s\n' "$checks"
			sed 's/^\(\(not \)\{0,1\}ok\) [0-9]* /\1 0 /' "$dir/host-checks.txt" 2>/dev/null || echo "not ok 0 $driver wrote no host checks")
		checks=$(echo "$checks" | awk '/^(not )?ok / { n++; sub(/ok [0-9]+ /, "ok " n " ") } 1')
	fi
	local count
	count=$(echo "$checks" | grep -cE '^(not )?ok ')
	echo "    1..$((count + ${#console_res[@]} + 1))"
	tr -d '\r' <"$log" | grep -E '^# ' | sed 's/^/    /'
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		echo "    $line"
		case $line in
		"not ok"*) subfail=$((subfail + 1)) ;;
		esac
		sub=$((sub + 1))
	done <<<"$checks"
	[ "$sub" -gt 0 ] || { echo "    # the guest reported no checks"; subfail=$((subfail + 1)); }
	local re
	for re in "${console_res[@]}"; do
		sub=$((sub + 1))
		if tr -d '\r' <"$log" | grep -qE -- "$re"; then
			echo "    ok $sub console shows: $re"
		else
			echo "    not ok $sub console shows: $re"
			subfail=$((subfail + 1))
		fi
	done
	local verdict
	if [ -f "$dmesg" ]; then
		verdict=$("$inspect" --expect "$expect" "$dmesg" 2>&1)
		rc=$?
	else
		verdict="no dmesg was captured"
		rc=1
	fi
	echo "$verdict" | sed 's/^/    # /'
	if [ $rc = 0 ]; then
		echo "    ok $((sub + 1)) dmesg findings match $(basename "$expect")"
	else
		echo "    not ok $((sub + 1)) dmesg findings match $(basename "$expect")"
		subfail=$((subfail + 1))
	fi
	echo "    # log: $log"
	[ $subfail = 0 ]
}

if [[ " ${selected[*]} " =~ " inspector " ]] || [ ${#scenarios[@]} -gt 0 ]; then
	stage "Building the dmesg inspector"
	(cd "$LAB_ROOT" && cargo build --release --quiet -p dmesg-inspect) ||
		die "cargo build of tools/dmesg-inspect failed"
	stage_done
fi

echo "KTAP version 1"
echo "1..${#selected[@]}"
for t in "${selected[@]}"; do
	start=$(date +%s.%N)
	if printf '%s\n' "${host_tests[@]}" | grep -qx -- "$t"; then
		"t_$t"
	else
		t_scenario "$t"
	fi
	rc=$?
	result "$t" $rc "$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")"
done
echo "# suite: $(($(date +%s) - suite_start)) s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
