#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the lab kernel (tinyconfig + scripts/lab.config) into
# the cache, once per kernel version + fragment + toolchain. On success it
# prints the lab's settings as shell assignments on stdout (see `make
# lab-env`); everything else goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0    (env: KERNEL_SRC, DEADLOCK_LAB_CACHE, LAB_JOBS)" >&2; exit 2; }
[ $# -eq 0 ] || usage

fragment=$LAB_ROOT/scripts/lab.config
# Bump when the way the kernel is built changes in a way the key misses.
recipe=1
# Disk a cold build needs (source is separate): the build with debug info,
# with headroom.
need_gib=2

src=$("$LAB_ROOT/scripts/fetch-kernel.sh")
version=$(make -s -C "$src" kernelversion)
toolchain="$(clang"$LAB_LLVM" --version | head -n 1) | $("$LAB_RUSTC" --version) | $("$LAB_BINDGEN" --version)"
key=$(hash_of "recipe $recipe" "$(cat "$src/.version" 2>/dev/null || echo "$src")" "$version" "$toolchain" "$fragment")
build=$LAB_CACHE/build/linux-$version-$key
kmake=(make -C "$src" O="$build" LLVM="$LAB_LLVM" RUSTC="$LAB_RUSTC" BINDGEN="$LAB_BINDGEN")

print_env() {
	cat <<ENV
KERNEL_VERSION=$version
KERNEL_SRC=$src
KDIR=$build
BZIMAGE=$build/arch/x86/boot/bzImage
VMLINUX=$build/vmlinux
LLVM=$LAB_LLVM
RUSTC=$LAB_RUSTC
CLIPPY_DRIVER=$LAB_CLIPPY_DRIVER
BINDGEN=$LAB_BINDGEN
LAB_CACHE=$LAB_CACHE
ENV
}

if [ -f "$build/.complete" ]; then
	note "lab kernel: Linux $version, $build (cached)"
	print_env
	exit 0
fi

mkdir -p "$build"
# One build of a cache entry at a time: a second `make` (another terminal, a
# test run) waits for the first instead of building into the same tree.
exec 9>"$build/.lock"
if ! flock -n 9; then
	note "another build of $build is running; waiting for it"
	flock 9
fi
if [ -f "$build/.complete" ]; then
	note "lab kernel: Linux $version, $build (built meanwhile)"
	print_env
	exit 0
fi

avail_kib=$(df -Pk "$build" | awk 'NR == 2 {print $4}')
if [ ! -f "$build/vmlinux" ] && [ "$avail_kib" -lt $((need_gib * 1024 * 1024)) ]; then
	die "not enough disk for the kernel build: $((avail_kib / 1024)) MiB free under $LAB_CACHE, about $need_gib GiB needed" \
		"free some space, or set DEADLOCK_LAB_CACHE=/a/bigger/disk"
fi

if [ ! -f "$build/.config-verified" ]; then
	stage "Configuring Linux $version (tinyconfig + scripts/lab.config)"
	"${kmake[@]}" -s tinyconfig >"$build/config.log" 2>&1
	(cd "$build" && "$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment") \
		>>"$build/config.log" 2>&1
	"${kmake[@]}" -s olddefconfig >>"$build/config.log" 2>&1 ||
		die "olddefconfig failed" "log: $build/config.log"
	dropped=()
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) grep -qx "# ${line%=n} is not set" "$build/.config" || grep -qx "$line" "$build/.config" || dropped+=("$line") ;;
		CONFIG_*=*) grep -qx "$line" "$build/.config" || dropped+=("$line") ;;
		esac
	done <"$fragment"
	if [ ${#dropped[@]} -gt 0 ]; then
		for opt in "${dropped[@]}"; do
			name=${opt%%=*}
			printf '   dropped by Kconfig: %s (now: %s)\n' "$opt" \
				"$(grep -E "^$name=|^# $name is not set" "$build/.config" || echo absent)" >&2
		done
		hint="see each option's 'depends on' in its Kconfig file (make O=$build menuconfig, then '/')"
		case " ${dropped[*]} " in
		*" CONFIG_RUST=y "*) hint="RUST needs a complete toolchain; run: ${kmake[*]} rustavailable" ;;
		esac
		die "Kconfig dropped ${#dropped[@]} option(s) of scripts/lab.config (unmet dependencies)" \
			"$hint" "log: $build/config.log"
	fi
	touch "$build/.config-verified"
fi

stage "Building Linux $version (bzImage, modules, vmlinux; cold about 5 to 6 min on 2 cores)"
jobs=${LAB_JOBS:-$(nproc)}
log=$build/build.log
# Roughly how many build steps a cold build prints, for a progress figure.
expected_steps=1440
# MAKEFLAGS= : a `make -s` above (bench, the matrix) would silence the
# build steps that the progress figure counts.
MAKEFLAGS= "${kmake[@]}" -j"$jobs" bzImage modules scripts_gdb >"$log" 2>&1 &
pid=$!
# The host programs and their test binaries build beside it: for long
# stretches the kernel build runs one job (the Rust core crate, the final
# links). make builds the programs again (a no-op if this one finished)
# after the kernel.
"$LAB_ROOT/scripts/build-host.sh" --tests >"$build/host-build.log" 2>&1 &
host_pid=$!
trap 'kill $pid $host_pid 2>/dev/null || true' EXIT INT TERM
start=$(date +%s)
interval=${LAB_PROGRESS_SECS:-30}
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq "$interval"); do
		sleep 1
		kill -0 "$pid" 2>/dev/null || break
	done
	kill -0 "$pid" 2>/dev/null || break
	steps=$(grep -cE '^  [A-Z]' "$log" || true)
	pct=$((steps * 100 / expected_steps))
	[ $pct -le 99 ] || pct=99
	printf '   [%3d s] ~%2d%%  %5d steps  %s\n' $(($(date +%s) - start)) "$pct" "$steps" \
		"$(grep -E '^  [A-Z]' "$log" | tail -n 1 | sed 's/^ *//' | cut -c1-60)" >&2
done
if ! wait "$pid"; then
	trap - EXIT INT TERM
	kill "$host_pid" 2>/dev/null || true
	grep -E 'error|Error' "$log" | head -n 20 >&2 || tail -n 20 "$log" >&2
	die "the kernel build failed" "log: $log" "run again to resume: make kernel"
fi
trap - EXIT INT TERM
wait "$host_pid" || note "the host programs did not build beside the kernel (log: $build/host-build.log); make tries again next"
note "$(grep -cE '^  [A-Z]' "$log") build steps"
for f in arch/x86/boot/bzImage vmlinux Module.symvers; do
	[ -s "$build/$f" ] || die "the kernel build finished without $f" "log: $log"
done
print_env >"$build/lab.env"
touch "$build/.complete"
stage_done
note "lab kernel: Linux $version, $build ($(du -sh "$build" | cut -f1) on disk)"
print_env
