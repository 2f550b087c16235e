#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Timings of the lab, as `name: value unit` lines. Warm figures are measured
# now: the setup check and kernel cache hit, module builds, an empty boot
# (the baseline), single scenario boots, and the whole warm suite (make test:
# its wall time, boots, the guest time of its boots, and its ratio to the
# empty boot). Cold figures come from the last cold run recorded in the
# cache's timings.log, or, with --cold, from a new one: the README's test
# command in a scratch clone with a scratch cache (host packages already
# installed stay installed; about 15 min on 2 cores). Ratios compare against a
# baseline from the same run. Then the dmesg inspector's own benchmark
# (throughput vs grep).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 [--cold] [--no-suite] [--no-inspector]" >&2; exit 2; }
cold=0 inspector=1 suite=1
for a in "$@"; do
	case $a in
	--cold) cold=1 ;;
	--no-suite) suite=0 ;;
	--no-inspector) inspector=0 ;;
	*) usage ;;
	esac
done

now() { date +%s.%N; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }
fig() { printf '%s: %s %s\n' "$1" "$2" "$3"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

cd "$LAB_ROOT"
make -s kernel >/dev/null 2>&1 || die "the lab kernel is not built and could not be" "run: make kernel"
. "$LAB_OUT/lab.env"

if [ $cold = 1 ]; then
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/deadlock-lab-cold.XXXXXX")
	echo "# cold run: a clone of HEAD and an empty cache in $scratch" >&2
	git clone -q "$LAB_ROOT" "$scratch/clone"
	t=$(now)
	(cd "$scratch/clone" && CI=true DEADLOCK_LAB_CACHE=$scratch/cache bash .ci/run </dev/null >"$scratch/run.log" 2>&1) ||
		echo "# the cold run failed; its log: $scratch/run.log" >&2
	fig cold_run_total "$(since "$t")" s
	fig cold_run_result "$(tail -n 1 "$scratch/run.log" | tr ' ' _)" ""
	awk -F'\t' '{print $2 "\t" $3}' "$scratch/cache/timings.log" | while IFS=$'\t' read -r name secs; do
		fig "cold_stage: $name" "$secs" s
	done
	cp "$scratch/cache/timings.log" "$LAB_CACHE/timings-cold.log"
	rm -rf "$scratch"
else
	# The last recorded cold run of each stage: a --cold run's, or the cache's own.
	log=$LAB_CACHE/timings.log
	[ ! -f "$LAB_CACHE/timings-cold.log" ] || log=$LAB_CACHE/timings-cold.log
	for pair in "Host packages=cold_host_packages" "bindgen=cold_bindgen_build" "Fetching linux-source=cold_kernel_fetch" \
		"Unpacking linux-source=cold_kernel_unpack" "Configuring Linux=cold_kernel_config" "Building Linux=cold_kernel_build" \
		"Building the dmesg inspector=cold_inspector_build"; do
		# A stage that took under 1 s was a warm run of it (nothing to install).
		line=$(grep -F "${pair%%=*}" "$log" 2>/dev/null | awk -F'\t' '$3 > 1.0' | tail -n 1 || true)
		[ -n "$line" ] || continue
		fig "${pair#*=}" "$(echo "$line" | cut -f3)" "s (recorded $(echo "$line" | cut -f1 | cut -c1-10))"
	done
fi

t=$(now); scripts/setup-host.sh --check >/dev/null 2>&1; fig warm_setup_check "$(since "$t")" s
t=$(now); scripts/build-kernel.sh >/dev/null 2>&1; fig warm_kernel_cache_hit "$(since "$t")" s

mo=$(mktemp -d)
t=$(now); scripts/build-module.sh "$KDIR" "$LLVM" "$RUSTC" "$mo" >/dev/null 2>&1; fig module_build_fresh "$(since "$t")" s
t=$(now); scripts/build-module.sh "$KDIR" "$LLVM" "$RUSTC" "$mo" >/dev/null 2>&1; fig module_build_noop "$(since "$t")" s
rm -rf "$mo"
rm -f "$LAB_OUT/initramfs.cpio.gz.key"
t=$(now); make -s initramfs >/dev/null 2>&1; fig make_initramfs_repack "$(since "$t")" s

# Boots: an empty one (init starts and reboots) is the baseline for a scenario.
boot() {
	local t dir
	t=$(now)
	dir=$(scripts/run-qemu.sh --scenario "$1" --timeout 120 2>/dev/null) || { echo "boot $1 failed" >&2; return 1; }
	echo "$(since "$t") $dir"
}
read -r empty dir < <(boot none)
fig "boot_empty_wall($(cat "$dir/accel"))" "$empty" s
fig guest_uptime_at_init "$(sed -n 's/.*DEADLOCK-LAB: BOOTED uptime=\([0-9.]*\).*/\1/p' "$dir/console.log")" s
read -r fixed dir < <(boot fixed)
fig boot_to_scenario_start_wall "$(cat "$dir/seconds-to-init")" s
fig boot_fixed_scenario_wall "$fixed" s
fig boot_fixed_vs_empty "$(ratio "$fixed" "$empty")" x
read -r inverted dir < <(boot inverted)
fig boot_inverted_scenario_wall "$inverted" s
fig boot_inverted_vs_empty "$(ratio "$inverted" "$empty")" x

# The whole warm suite, as make test runs it.
if [ $suite = 1 ]; then
	mark=$(mktemp)
	t=$(now)
	make -s test >"$LAB_OUT/bench-suite.log" 2>&1 || echo "# the suite failed; its log: $LAB_OUT/bench-suite.log" >&2
	wall=$(since "$t")
	fig warm_suite_wall "$wall" s
	fig warm_suite_result "$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LAB_OUT/bench-suite.log" | tr ' ' _)" ""
	fig warm_suite_jobs "$(sed -n 's/^# suite: .*, \([0-9]*\) at once$/\1/p' "$LAB_OUT/bench-suite.log")" boots
	# The boots of this run: the log directories made since it started.
	dirs=$(find "$LAB_OUT/logs" -mindepth 1 -maxdepth 1 -type d -newer "$mark")
	fig warm_suite_boots "$(echo "$dirs" | grep -c .)" boots
	fig warm_suite_boot_wall_sum "$(for d in $dirs; do cat "$d/seconds"; done | awk '{ s += $1 } END { printf "%.1f", s }')" s
	fig warm_suite_guest_time_sum "$(for d in $dirs; do tr -d '\r' <"$d/console.log" | sed -n 's/^DEADLOCK-LAB: DONE uptime=//p'; done |
		awk '{ s += $1 } END { printf "%.1f", s }')" s
	fig warm_suite_vs_empty_boot "$(ratio "$wall" "$empty")" x
	rm -f "$mark"
fi

if [ $inspector = 1 ] && [ -x tools/dmesg-inspect/bench.sh ]; then
	tools/dmesg-inspect/bench.sh
fi
