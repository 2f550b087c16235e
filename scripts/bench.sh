#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Timings of the lab, as `name: value unit` lines. Warm figures are measured
# now; cold ones come from the last cold run recorded in the cache's
# timings.log (or are measured now with --cold, into a scratch cache: about
# 9 min on 2 cores). Ratios compare against a baseline from the same run.
# Then the dmesg inspector's own benchmark (throughput vs grep).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 [--cold] [--no-inspector]" >&2; exit 2; }
cold=0 inspector=1
for a in "$@"; do
	case $a in
	--cold) cold=1 ;;
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
	echo "# cold kernel fetch + build into $scratch (bindgen reused)" >&2
	t=$(now)
	DEADLOCK_LAB_CACHE=$scratch LAB_BINDGEN=$BINDGEN scripts/build-kernel.sh >/dev/null
	fig cold_kernel_total "$(since "$t")" s
	awk -F'\t' '{print $2 "\t" $3}' "$scratch/timings.log" | while IFS=$'\t' read -r name secs; do
		fig "cold_stage: $name" "$secs" s
	done
	rm -rf "$scratch"
else
	# The last recorded cold run of each stage, from the cache.
	log=$LAB_CACHE/timings.log
	for pair in "Host packages=cold_host_packages" "bindgen=cold_bindgen_build" "Fetching linux-source=cold_kernel_fetch" \
		"Unpacking linux-source=cold_kernel_unpack" "Configuring Linux=cold_kernel_config" "Building Linux=cold_kernel_build"; do
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

if [ $inspector = 1 ] && [ -x tools/dmesg-inspect/bench.sh ]; then
	tools/dmesg-inspect/bench.sh
fi
