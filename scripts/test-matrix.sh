#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The suite against every kernel series the lab supports that Debian offers
# (scripts/fetch-kernel.sh --list), one after the other. Each series has its
# own kernel source and build in the lab cache and its own output directory
# (out/series-7.N: modules, logs, KTAP); the first run of a series builds its
# kernel. Prints KTAP: one result per series, with that series' suite nested
# in it, and ends with "N passed, N failed" over the series.
#
# usage: scripts/test-matrix.sh [SERIES...]   (make test-matrix [SERIES="7.2 7.3"])
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ $# -gt 0 ]; then
	series=("$@")
else
	mapfile -t series < <("$LAB_ROOT/scripts/fetch-kernel.sh" --list | cut -d' ' -f1)
	[ ${#series[@]} -gt 0 ] || die "Debian offers no supported kernel series" "see: scripts/fetch-kernel.sh --list"
fi
for s in "${series[@]}"; do series_check "$s"; done

echo "KTAP version 1"
echo "1..${#series[@]}"
passed=0 failed=0 n=0
for s in "${series[@]}"; do
	n=$((n + 1))
	out=$LAB_ROOT/out/series-$s
	mkdir -p "$out"
	note "series $s: make test LAB_SERIES=$s LAB_OUT=$out (log: $out/matrix.log)"
	start=$(date +%s)
	rm -f "$out/test-results.ktap"
	make -s -C "$LAB_ROOT" test LAB_SERIES="$s" LAB_OUT="$out" >"$out/matrix.log" 2>&1
	rc=$?
	# The series' suite, nested: its KTAP as the runner wrote it.
	if [ -s "$out/test-results.ktap" ]; then
		sed 's/^/    /' "$out/test-results.ktap"
	else
		echo "    # no KTAP: the kernel or modules did not build; last lines of $out/matrix.log:"
		tail -n 5 "$out/matrix.log" | sed 's/^/    # /'
	fi
	echo "# series $s: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/matrix.log" | tail -n 1), $(($(date +%s) - start)) s"
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "ok $n linux-$s"
	else
		failed=$((failed + 1))
		echo "not ok $n linux-$s"
	fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
