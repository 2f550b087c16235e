#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the test suite: host-side tests, then the scenarios of tests/scenarios/
# in QEMU, each declared in NAME.expect.json (see tests/scenario.sh). Boots
# run in parallel, and scenarios that expect no report of any kind share
# boots. Prints KTAP in the declared order, one subtest per scenario, ends
# with "N passed, N failed" and exits non-zero if anything failed. The KTAP
# is kept in out/test-results.ktap, checked by the kernel's own KTAP parser
# (tools/testing/kunit/kunit.py, the last test), and written as JUnit XML to
# out/test-results.xml.
#
# A scenario passes only if its guest script ran exactly its declared number
# of checks, all ok, and exited 0 (or, if it ends in a panic, ran its
# declared checks and the kernel panicked), the console matched every
# declared pattern, and dmesg-inspect found in its part of the kernel log
# exactly what its declaration expects. If a shared boot shows a report, the
# scenario whose part of the log holds it fails and the others of that boot
# are not judged (reported as failed, never as passed).
#
# usage: tests/run.sh [-j N] [NAME...]   (make test [TESTS="..."] [J=N])
set -uo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$LAB_OUT/lab.env"
. "$LAB_ROOT/tests/scenario.sh"

jobs=${J:-$(nproc)}
case ${1:-} in
-j) jobs=$2 && shift 2 ;;
-j*) jobs=${1#-j} && shift ;;
esac
case $jobs in
'' | *[!0-9]* | 0) die "-j N: N must be a number of boots at once, at least 1" ;;
esac

inspect=$LAB_ROOT/target/release/dmesg-inspect
mapfile -t scenarios < <(scenario_names)
host_tests=(inspector module_rustfmt module_clippy modinfo)
all=("${host_tests[@]}" "${scenarios[@]}" ktap)
selected=()
for t in "${@:-${all[@]}}"; do
	printf '%s\n' "${all[@]}" | grep -qx -- "$t" || die "no test named '$t'" "tests: ${all[*]}"
	[ "$t" = ktap ] || selected+=("$t")
done
# The KTAP check reads the results of every test before it: it comes last.
printf '%s\n' "${@:-ktap}" | grep -qx ktap && selected+=(ktap)
is_scenario() { printf '%s\n' "${scenarios[@]}" | grep -qx -- "$1"; }

ktap_out=$LAB_OUT/test-results.ktap
junit_out=$LAB_OUT/test-results.xml
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0 n=0
suite_start=$(date +%s.%N)

diag() { sed 's/^/# /'; }
since() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

# result NAME STATUS SECONDS [DIRECTIVE]: one top-level KTAP line.
result() {
	n=$((n + 1))
	printf '# %s: %s s\n' "$1" "$3"
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1${4:+ # $4}"
	fi
}

# --- host tests --------------------------------------------------------------

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
	# rustfmt follows `mod` declarations from each module's crate root.
	rustfmt --check --edition 2021 --config-path "$KERNEL_SRC/.rustfmt.toml" \
		$(grep -l '^module! {' "$LAB_ROOT"/src/*.rs) 2>&1 | head -n 40 | diag
	return "${PIPESTATUS[0]}"
}

t_module_clippy() {
	# A fresh build of the modules with the kernel's clippy configuration
	# (make CLIPPY=1, the clippy-driver of the kernel's rustc) prints no
	# warning: neither rustc's own nor clippy's. Like the kernel's build, a
	# clean result is kept in the cache under a key of everything that goes
	# into it (every source, the kernel build, both compilers); any change
	# builds and checks again.
	local dir log rc key stamp
	[ -x "$CLIPPY_DRIVER" ] || { echo "# no $CLIPPY_DRIVER: run make setup"; return 1; }
	"$CLIPPY_DRIVER" --version | diag
	key=$(hash_of $(find "$LAB_ROOT/src" "$LAB_ROOT/Kbuild" -type f | sort) "$KDIR/.config" "$KDIR/Module.symvers" \
		"$("$RUSTC" --version)" "$("$CLIPPY_DRIVER" --version)")
	stamp=$LAB_CACHE/clippy-clean/$key
	if [ -f "$stamp" ]; then
		echo "# unchanged since a clean clippy build at $(cat "$stamp") (key $key)"
		return 0
	fi
	dir=$(mktemp -d)
	log=$dir/clippy.log
	make -s -C "$KDIR" M="$LAB_ROOT" MO="$dir" LLVM="$LLVM" RUSTC="$RUSTC" CLIPPY=1 \
		CLIPPY_DRIVER="$CLIPPY_DRIVER" modules >"$log" 2>&1
	rc=$?
	# rustc's and clippy's warnings start their line; objtool's and modpost's
	# follow the object's name.
	grep -E -A4 '(^|: )(warning|error)' "$log" | head -n 60 | diag
	! grep -qE '(^|: )(warning|error)' "$log" && [ $rc = 0 ]
	rc=$?
	rm -rf "$dir"
	[ $rc != 0 ] || { mkdir -p "$(dirname "$stamp")" && date -Is >"$stamp"; }
	return $rc
}

t_modinfo() {
	# modinfo documents every parameter with its allowed range, and the license is GPL.
	local info ko p
	for ko in "$LAB_OUT"/module/src/deadlock_*.ko; do
		info=$(/sbin/modinfo "$ko") || return 1
		echo "$info" | grep -E '^(name|parm):' | diag
		echo "$info" | grep -qx 'license: *GPL' || return 1
		# Every lab module but the KUnit one has the fixed parameter.
		[ "$(basename "$ko")" = deadlock_lab_kunit.ko ] ||
			echo "$info" | grep -qE '^parm: *fixed:.*allowed 0\.\.=1' || return 1
		# Every parameter says its allowed range.
		! echo "$info" | grep '^parm:' | grep -vq 'allowed -\{0,1\}[0-9]*\.\.=[0-9]*' || return 1
	done
	info=$(/sbin/modinfo "$LAB_OUT/module/src/deadlock_lab.ko") || return 1
	for p in 'rounds:.*allowed 0\.\.=10000000' 'hold_us:.*allowed 0\.\.=100000' 'annotate:.*allowed 0\.\.=1' \
		'overlap:.*allowed 0\.\.=1' 'threads:.*allowed 2\.\.=64'; do
		echo "$info" | grep -qE "^parm: *$p" || { echo "# deadlock_lab: no parm line matching $p"; return 1; }
	done
}

t_ktap() {
	# The KTAP printed so far, as the kernel's own parser reads it: no error,
	# no crash, and the same results as this runner counted.
	local parser=$KERNEL_SRC/tools/testing/kunit/kunit.py
	[ -f "$parser" ] || { echo "# no $parser"; return 1; }
	# The results so far reach the file through tee; wait until the last one has.
	local i=0
	while [ "$(grep -cE '^(not )?ok [0-9]+ ' "$ktap_out")" -lt "$n" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sed "s/^1\.\.${#selected[@]}\$/1..$((${#selected[@]} - 1))/" "$ktap_out" >"$work/so-far.ktap"
	python3 "$parser" parse --json="$work/so-far.json" "$work/so-far.ktap" >"$work/so-far.txt" 2>&1
	grep 'Testing complete' "$work/so-far.txt" | sed 's/^\[[0-9:]*\] //' | diag
	ktap_verdict "$work/so-far.json" "$passed" "$failed"
}

# kunit_verdict LOG: kunit.py finds KUnit results in LOG, all passed, with
# no error and no crash.
kunit_verdict() {
	local parser=$KERNEL_SRC/tools/testing/kunit/kunit.py
	# The last run's KTAP: the boot prints an empty one ("1..0") before it.
	awk '/\] KTAP version 1$/ { n = NR } { line[NR] = $0 } END { for (i = n; i <= NR; i++) print line[i] }' \
		"$1" >"$work/kunit.ktap"
	python3 "$parser" parse --json="$work/kunit.json" "$work/kunit.ktap" >"$work/kunit.txt" 2>&1
	grep 'Testing complete' "$work/kunit.txt" | sed 's/^\[[0-9:]*\] //' | sed 's/^/    # kunit.py: /'
	python3 - "$work/kunit.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["misc"]
sys.exit(0 if m["tests"] > 0 and m["passed"] == m["tests"] and m["errors"] == 0 and m["crashed"] == 0 else 1)
PY
}

# ktap_verdict JSON PASSED FAILED: kunit.py's results agree with the runner's.
ktap_verdict() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = (int(sys.argv[2]), int(sys.argv[3]))
m = d["misc"]
# Top level: plain tests, then one group per scenario. The JSON has no status
# of a group's own: its counts hold its cases' failures, or its own.
ok = sum(c["status"] in ("PASS", "SKIP") for c in d["test_cases"])
bad = len(d["test_cases"]) - ok
for g in d["sub_groups"]:
    if g["misc"]["failed"] + g["misc"]["crashed"] > 0:
        bad += 1
    else:
        ok += 1
print(f"# kunit.py: top level {ok} passed, {bad} failed (runner: {want[0]} passed, {want[1]} failed); "
      f"errors {m['errors']}, crashed {m['crashed']}")
sys.exit(0 if (ok, bad) == want and m["errors"] == 0 and m["crashed"] == 0 else 1)
PY
}

# --- boots -------------------------------------------------------------------

# Boots: scenarios that may share one are grouped, at most SHARE to a boot;
# every other scenario has a boot of its own.
share=${LAB_SHARE:-4}
declare -A boot_of=()
boots=()
plan_boots() {
	local t class
	declare -A pending=()
	for t in "${selected[@]}"; do
		is_scenario "$t" || continue
		scenario_check "$t"
		class=$(scenario_boot_class "$t")
		if [[ $class == own:* ]]; then
			boots+=("$t")
		else
			pending[$class]+="$t "
		fi
	done
	local list chunk
	for class in "${!pending[@]}"; do
		set -- ${pending[$class]}
		while [ $# -gt 0 ]; do
			chunk=$(printf '%s\n' "${@:1:$share}" | paste -sd,)
			boots+=("$chunk")
			shift $(($# < share ? $# : share))
		done
	done
	# Longest first, so that the last boots to start are short ones.
	mapfile -t boots < <(for list in "${boots[@]}"; do
		echo "$(estimate "$list") $list"
	done | sort -rn | cut -d' ' -f2)
	local i
	for i in "${!boots[@]}"; do
		for t in $(echo "${boots[$i]}" | tr , ' '); do
			boot_of[$t]=$i
		done
	done
}

# estimate LIST: seconds a boot of the scenarios in LIST should take: each
# one's guest time in its last run, or a quarter of its declared timeout.
estimate() {
	local t secs total=4
	for t in $(echo "$1" | tr , ' '); do
		secs=$(cut -d. -f1 "$LAB_OUT/logs/latest-$t/$t.seconds" 2>/dev/null)
		[ -n "$secs" ] || secs=$(($(scenario_get "$t" timeout 60) / 4))
		total=$((total + secs))
	done
	echo "$total"
}

# boot I: runs boot I in the background of the suite; its directory goes to
# $work/boot-I.dir, its exit status to $work/boot-I.rc when it is over.
boot() {
	local i=$1 list=${boots[$1]} first driver timeout=30 t
	first=${list%%,*}
	driver=$(scenario_get "$first" driver scripts/run-qemu.sh)
	for t in $(echo "$list" | tr , ' '); do
		timeout=$((timeout + $(scenario_get "$t" timeout 60)))
	done
	local args=(--scenario "$list" --timeout "$timeout")
	if [ "$driver" = scripts/run-qemu.sh ]; then
		args+=(--cpus "$(scenario_get "$first" cpus 2)" --append "$(scenario_get "$first" append)"
			--initrd "$(scenario_get "$first" initrd)")
	fi
	"$LAB_ROOT/$driver" "${args[@]}" >"$work/boot-$i.dir" 2>"$work/boot-$i.err"
	echo $? >"$work/boot-$i.rc"
}

# start_boots: at most $jobs boots at once, in the order of `boots`.
start_boots() {
	local i
	for i in "${!boots[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		boot "$i" &
	done
	wait
}

# --- judging a scenario ------------------------------------------------------

# subtest_line STATUS DESCRIPTION: the next subtest line of a scenario. A
# '#' would start a KTAP directive, so the description drops any.
subtest_line() {
	sub=$((sub + 1))
	if [ "$1" = 0 ]; then
		echo "    ok $sub ${2//#/}"
	else
		echo "    not ok $sub ${2//#/}"
		subfail=$((subfail + 1))
	fi
}

# dir_of NAME: the log directory of NAME's boot, once that is over. A boot
# that did not finish (a panic, a timeout) printed none: its latest one.
dir_of() {
	local i=${boot_of[$1]}
	while [ ! -f "$work/boot-$i.rc" ]; do sleep 0.2; done
	if [ -s "$work/boot-$i.dir" ]; then
		cat "$work/boot-$i.dir"
	else
		readlink -f "$LAB_OUT/logs/latest-$1"
	fi
}

# judge NAME: the subtest of scenario NAME; returns 0 if it passed.
judge() {
	local name=$1 i=${boot_of[$1]} dir rc plan
	dir=$(dir_of "$name")
	rc=$(cat "$work/boot-$i.rc")
	plan=$(scenario_get "$name" plan)
	local ends driver
	ends=$(scenario_get "$name" ends)
	driver=$(scenario_get "$name" driver)
	sub=0 subfail=0
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	echo "    1..$(scenario_subtests "$name")"
	sed 's/^/# /' "$work/boot-$i.err" | sed 's/^/    /'
	[ -f "$dir/console.log" ] && tr -d '\r' <"$dir/console.log" | sed -n "/^DEADLOCK-LAB: SCENARIO $name START/,/^DEADLOCK-LAB: SCENARIO $name EXIT/p" |
		grep -E '^# ' | sed 's/^/    /'
	# The guest's checks, up to the declared plan; missing ones fail.
	local got=0 line status desc
	if [ -f "$dir/$name.checks" ]; then
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			got=$((got + 1))
			[ $got -le "$plan" ] || { echo "    # beyond the plan: $line"; continue; }
			status=1
			[[ $line == ok* ]] && status=0
			desc=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ //')
			subtest_line $status "$desc"
		done <"$dir/$name.checks"
	fi
	while [ $sub -lt "$plan" ]; do
		subtest_line 1 "check $((sub + 1)) of $plan never ran"
	done
	# The console patterns. (grep reads a file: in a pipe under pipefail, a
	# match early in a long log would let the writer die of SIGPIPE.)
	local re console=$work/$name.console
	tr -d '\r' <"$dir/console.log" >"$console" 2>/dev/null
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		grep -qE -- "$re" "$console"
		subtest_line $? "console shows: $re"
	done < <(scenario_get "$name" console)
	# The driver's own checks.
	local hc
	hc=$(scenario_get "$name" host_checks 0)
	if [ "$hc" -gt 0 ]; then
		local k=0
		while IFS= read -r line && [ $k -lt "$hc" ]; do
			k=$((k + 1))
			status=1
			[[ $line == ok* ]] && status=0
			subtest_line $status "$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ //')"
		done < <(cat "$dir/host-checks.txt" 2>/dev/null)
		while [ $k -lt "$hc" ]; do
			k=$((k + 1))
			subtest_line 1 "host check $k of $hc never ran ($driver)"
		done
	fi
	# How the guest script ended.
	local ended why=""
	ended=$(cat "$dir/$name.exit" 2>/dev/null)
	if [ "$ends" = panic ]; then
		[ "$rc" = 4 ] || why="the boot must end in a kernel panic, but run-qemu.sh exited $rc"
		[ -z "$ended" ] || why="the guest script exited ($ended) instead of the kernel panicking"
	elif [ -z "$ended" ]; then
		why="the guest script never printed its exit line (boot exit $rc)"
	elif [ "$ended" != 0 ]; then
		why="the guest script exited $ended"
	fi
	[ "$got" = "$plan" ] || why="${why:+$why; }the guest printed $got checks, $plan declared"
	if [ -z "$why" ]; then
		subtest_line 0 "the guest ran its $plan declared checks and $([ "$ends" = panic ] && echo "the kernel panicked" || echo "exited 0")"
	else
		subtest_line 1 "the guest ran its declared checks: $why"
	fi
	# The inspector, on this scenario's part of the kernel log.
	local kernel=$dir/$name.dmesg.txt verdict vrc
	if [ -s "$kernel" ]; then
		verdict=$("$inspect" --expect "$(scenario_file "$name")" "$kernel" 2>&1)
		vrc=$?
	else
		verdict="no kernel log was captured for $name"
		vrc=1
	fi
	echo "$verdict" | sed 's/^/    # /'
	subtest_line $vrc "dmesg findings match $name.expect.json"
	# KUnit's own KTAP in the kernel log, as the kernel's parser reads it.
	if [ "$(scenario_get "$name" kunit)" = true ]; then
		kunit_verdict "$kernel"
		subtest_line $? "kunit.py parses the KUnit results in the kernel log: every case passed"
	fi
	echo "    # log: $dir/console.log"
	echo "$subfail" >"$work/$name.subfail"
	[ $subfail = 0 ]
}

# reported NAME: NAME's part of its boot's kernel log holds a report.
reported() {
	local dir
	dir=$(dir_of "$1")
	[ -s "$dir/$1.dmesg.txt" ] && ! "$inspect" -q "$dir/$1.dmesg.txt"
}

# --- the suite ---------------------------------------------------------------

if [ ${#scenarios[@]} -gt 0 ]; then
	stage "Building the dmesg inspector"
	(cd "$LAB_ROOT" && cargo build --release --quiet -p dmesg-inspect) ||
		die "cargo build of tools/dmesg-inspect failed"
	stage_done
fi
plan_boots
if [ ${#boots[@]} -gt 0 ]; then
	note "${#boots[@]} boot(s), $jobs at once"
	start_boots &
fi

{
	echo "KTAP version 1"
	echo "1..${#selected[@]}"
	for t in "${selected[@]}"; do
		start=$(date +%s.%N)
		if [ "$t" = ktap ]; then
			t_ktap
			result ktap $? "$(since "$start")"
		elif ! is_scenario "$t"; then
			"t_$t"
			result "$t" $? "$(since "$start")"
		else
			judge "$t"
			rc=$?
			directive=""
			if [ $rc = 0 ] && [[ ${boots[${boot_of[$t]}]} == *,* ]]; then
				# Passed on its own; not judged if another of its boot reported.
				for o in $(echo "${boots[${boot_of[$t]}]}" | tr , ' '); do
					if [ "$o" != "$t" ] && reported "$o"; then
						rc=1 directive="not judged: its boot was shared with $o, whose part of the log holds a kernel report"
					fi
				done
			fi
			# Its guest time; for a boot that never came back, the boot's.
			dir=$(dir_of "$t")
			secs=$(cat "$dir/$t.seconds" 2>/dev/null)
			[ -n "$secs" ] || secs=$(cat "$dir/seconds" 2>/dev/null)
			result "$t" $rc "${secs:-$(since "$start")}" "$directive"
		fi
	done
	echo "# suite: $(since "$suite_start") s, ${#boots[@]} boot(s), $jobs at once"
	echo "$passed passed, $failed failed"
	echo "$failed" >"$work/failed"
} | tee "$ktap_out"

# The JUnit XML, from the kernel's own parser.
python3 "$KERNEL_SRC/tools/testing/kunit/kunit.py" parse --junit="$junit_out" "$ktap_out" >/dev/null 2>&1 ||
	true
note "KTAP: $ktap_out; JUnit XML: $junit_out"
[ "$(cat "$work/failed" 2>/dev/null)" = 0 ]
