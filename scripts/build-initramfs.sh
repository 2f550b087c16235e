#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the guest's initramfs: static busybox, the guest init, the built
# modules and the guest-side scenario scripts. Rebuilt only when one of
# these changes. Uses the kernel's own gen_init_cpio, so no root is needed
# for the device nodes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 MODULE_OUTDIR OUTPUT.cpio.gz" >&2; exit 2; }
module_dir=$1 output=$2
. "$LAB_OUT/lab.env"
. "$LAB_ROOT/tests/scenario.sh"

busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	die "$busybox is not a static busybox" "run: apt-get install busybox-static"
gen=$KDIR/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen is missing (the lab kernel build makes it)" "run: make kernel"

spec=$(mktemp)
envs=$(mktemp -d)
trap 'rm -rf "$spec" "$envs"' EXIT
# Each scenario's environment in the guest, from its declaration.
for n in $(scenario_names); do
	scenario_check "$n"
	scenario_env "$n" >"$envs/$n.env"
done
{
	echo "dir /dev 755 0 0"
	echo "nod /dev/console 600 0 0 c 5 1"
	for d in bin sbin usr usr/bin usr/sbin proc sys tmp root lib lib/modules scenarios; do
		echo "dir /$d 755 0 0"
	done
	echo "file /bin/busybox $busybox 755 0 0"
	echo "slink /bin/sh busybox 777 0 0"
	echo "file /init $LAB_ROOT/scripts/guest-init.sh 755 0 0"
	for ko in "$module_dir"/src/*.ko; do
		echo "file /lib/modules/$(basename "$ko") $ko 644 0 0"
	done
	for f in "$LAB_ROOT"/tests/scenarios/*.sh "$envs"/*.env; do
		echo "file /scenarios/$(basename "$f") $f 644 0 0"
	done
} >"$spec"

# The key covers the spec (paths but the temporary ones) and the content of
# every file in it.
key=$(hash_of "$(sed "s|$envs|ENVS|" "$spec")" $(awk '$1 == "file" {print $3}' "$spec"))
if [ -f "$output" ] && [ "$(cat "$output.key" 2>/dev/null)" = "$key" ]; then
	exit 0
fi
stage "Packing the initramfs"
"$gen" "$spec" | gzip -n -6 >"$output.tmp"
mv "$output.tmp" "$output"
echo "$key" >"$output.key"
stage_done
note "initramfs: $output ($(du -h "$output" | cut -f1))"
