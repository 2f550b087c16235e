#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the guest's initramfs: static busybox, the guest's own tools
# (tests/guest/), the guest init, the built
# modules (without their debug info, which only the host's gdb reads from
# the originals; that keeps the image, and its unpacking at every boot,
# small), the guest-side scenario scripts, and what the host program writes
# for the guest (`lab guest-files`: the guest's copy of the host-guest
# contract, the lab's facts, each scenario's environment, and the image's
# layout, from the contract; it checks every declaration first).
# Rebuilt only when one of these changes. Uses the kernel's own
# gen_init_cpio, so no root is needed for the device nodes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 LAB_PROGRAM MODULE_OUTDIR OUTPUT.cpio" >&2; exit 2; }
lab=$1 module_dir=$2 output=$3
. "$LAB_OUT/lab.env"

busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	die "$busybox is not a static busybox" "run: apt-get install busybox-static"
gen=$KDIR/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen is missing (the lab kernel build makes it)" "run: make kernel"

spec=$(mktemp)
# The stripped modules and the scenarios' environments.
staged=$(mktemp -d)
trap 'rm -rf "$spec" "$staged"' EXIT
# llvm-strip of the kernel's own LLVM (LLVM=-19 or LLVM=1).
strip_tool=llvm-strip${LLVM#1}
command -v "$strip_tool" >/dev/null || die "$strip_tool is missing" "run: make setup"
for ko in "$module_dir"/src/*.ko; do
	"$strip_tool" --strip-debug -o "$staged/$(basename "$ko")" "$ko"
done
# The guest's own small tools (tests/guest/*.c), static, with the kernel's
# nolibc: no C library needed on the host or in the guest. Each is built
# again only when its source, the compiler or the kernel tree changed, not
# at every make test.
nolibc=$KERNEL_SRC/tools/include/nolibc
cc=clang${LLVM#1}
tools_dir=$LAB_OUT/guest-tools
mkdir -p "$tools_dir"
for c in "$LAB_ROOT"/tests/guest/*.c; do
	t=$tools_dir/$(basename "$c" .c)
	k=$(hash_of "$c" "$(command -v "$cc")" "$nolibc" "$KERNEL_VERSION")
	if [ ! -x "$t" ] || [ "$(cat "$t.key" 2>/dev/null)" != "$k" ]; then
		"$cc" -Os -Wall -Werror -fno-builtin -static -nostdlib -fno-asynchronous-unwind-tables -fno-ident \
			-include "$nolibc/nolibc.h" -I "$nolibc" -o "$t" "$c" ||
			die "cannot build $c with $cc and the kernel's nolibc ($nolibc)"
		echo "$k" >"$t.key"
	fi
	cp "$t" "$staged/$(basename "$c" .c)"
done
# The host program's files for the guest, from the declarations and the
# built modules.
"$lab" guest-files "$staged/gen" || die "the scenario declarations do not match what was built (above)"
. "$staged/gen/layout.sh"
{
	echo "dir /dev 755 0 0"
	echo "nod /dev/console 600 0 0 c 5 1"
	for d in bin sbin usr usr/bin usr/sbin proc sys tmp root lib "$LAB_GUEST_MODULES" "$LAB_GUEST_LIB" "$LAB_GUEST_SCENARIOS"; do
		echo "dir /$d 755 0 0"
	done
	echo "file /bin/busybox $busybox 755 0 0"
	for c in "$LAB_ROOT"/tests/guest/*.c; do
		echo "file /bin/$(basename "$c" .c) $staged/$(basename "$c" .c) 755 0 0"
	done
	echo "slink /bin/sh busybox 777 0 0"
	echo "file /init $LAB_ROOT/scripts/guest-init.sh 755 0 0"
	for ko in "$staged"/*.ko; do
		echo "file /$LAB_GUEST_MODULES/$(basename "$ko") $ko 644 0 0"
	done
	for f in "$LAB_ROOT"/tests/scenarios/*.sh "$staged"/gen/*.env; do
		echo "file /$LAB_GUEST_SCENARIOS/$(basename "$f") $f 644 0 0"
	done
	echo "file /$LAB_GUEST_CONTRACT $staged/gen/contract.sh 644 0 0"
	echo "file /$LAB_GUEST_FACTS $staged/gen/facts.sh 644 0 0"
} >"$spec"

# The key covers the spec (paths but the temporary ones) and the content of
# every file in it.
key=$(hash_of "$(sed "s|$staged|STAGED|" "$spec")" $(awk '$1 == "file" {print $3}' "$spec"))
if [ ! -f "$output" ] || [ "$(cat "$output.key" 2>/dev/null)" != "$key" ]; then
	stage "Packing the initramfs"
	# Uncompressed: the kernel copies it at once (gunzip under TCG took a
	# tenth of a second a boot), and any kernel unpacks it, RD_* or not.
	"$gen" "$spec" >"$output.tmp"
	mv "$output.tmp" "$output"
	echo "$key" >"$output.key"
	stage_done
	note "initramfs: $output ($(du -h "$output" | cut -f1))"
fi

# The perf image: the same archive followed by one with Debian's perf and the
# libraries it needs (the kernel unpacks a series of cpio archives in turn).
# Only the boots that declare "initrd": "perf" pay for unpacking it.
perf=/usr/bin/perf
[ -x "$perf" ] || die "$perf is missing" "run: make setup"
payload=$LAB_CACHE/initramfs/perf-$(hash_of "$perf" $(ldd "$perf" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')).cpio
if [ ! -f "$payload" ]; then
	stage "Packing perf and its libraries"
	mkdir -p "$(dirname "$payload")"
	{
		files=$(ldd "$perf" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
		for d in $(printf '%s\n' $files | xargs -n1 dirname | sort -u); do
			p=""
			for part in $(echo "$d" | tr / ' '); do
				p=$p/$part
				echo "dir $p 755 0 0"
			done
		done | sort -u
		echo "file /usr/bin/perf $perf 755 0 0"
		for f in $files; do
			echo "file $f $(readlink -f "$f") 755 0 0"
		done
	} >"$spec.perf"
	"$gen" "$spec.perf" >"$payload.tmp"
	mv "$payload.tmp" "$payload"
	rm -f "$spec.perf"
	stage_done
fi
perf_image=${output%.cpio}-perf.cpio
if [ ! -f "$perf_image" ] || [ "$(cat "$perf_image.key" 2>/dev/null)" != "$key $(basename "$payload")" ]; then
	cat "$output" "$payload" >"$perf_image.tmp"
	mv "$perf_image.tmp" "$perf_image"
	echo "$key $(basename "$payload")" >"$perf_image.key"
	note "initramfs with perf: $perf_image ($(du -h "$perf_image" | cut -f1))"
fi
