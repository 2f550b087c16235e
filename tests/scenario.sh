# SPDX-License-Identifier: GPL-2.0
# Reads the scenario declarations: the "scenario" table of each
# tests/scenarios/NAME.expect.json says how to boot NAME and how many checks
# its guest script runs; the rest of the file is what dmesg-inspect must find
# in its dmesg. Sourced (after scripts/lib.sh) by tests/run.sh,
# scripts/demo.sh, scripts/build-initramfs.sh and scripts/run-qemu.sh.
#
# Keys of the table (only "module" and "plan" are required):
#   about        what the scenario shows, in a sentence or three
#   module       the module under test (the guest's $LAB_MODULE)
#   params       its parameters for the main load (the guest's $LAB_PARAMS)
#   plan         how many checks the guest script runs (up to the panic,
#                for a scenario that ends in one)
#   timeout      seconds the scenario may take in the guest (default 60)
#   ends         "panic" if the boot must end in a kernel panic
#   console      extended regexes the console log must match
#   driver       a host script that boots it instead of scripts/run-qemu.sh
#   host_checks  how many checks that driver adds
#   kunit        true if the kernel log holds KUnit results, which the host
#                parses with the kernel's kunit.py (one more subtest)
#   append       more kernel command-line arguments for its boot
#   cpus         guest CPUs (default 2)
#   initrd       "perf" to boot the image that also carries perf

SCENARIO_DIR=$LAB_ROOT/tests/scenarios

command -v jq >/dev/null || die "jq is missing" "run: make setup"

# scenario_names: every declared scenario, in name order.
scenario_names() {
	local f
	for f in "$SCENARIO_DIR"/*.expect.json; do
		basename "$f" .expect.json
	done
}

scenario_file() { echo "$SCENARIO_DIR/$1.expect.json"; }

# scenario_get NAME KEY [DEFAULT]: one value of NAME's table (arrays one
# element per line).
scenario_get() {
	local v
	v=$(jq -r --arg k "$2" '.scenario[$k] // empty | if type == "array" then .[] else . end' "$(scenario_file "$1")") ||
		die "cannot read $(scenario_file "$1")"
	printf '%s\n' "${v:-${3:-}}"
}

# scenario_check NAME: fails, naming the problem, if NAME's declaration is
# incomplete or has a script without a declaration.
scenario_check() {
	local f
	f=$(scenario_file "$1")
	[ -f "$f" ] || die "no declaration $f"
	[ -f "$SCENARIO_DIR/$1.sh" ] || die "no guest script $SCENARIO_DIR/$1.sh for $f"
	jq -e '.scenario.module and (.scenario.plan | type == "number")' "$f" >/dev/null ||
		die "$f: the \"scenario\" table needs \"module\" and a numeric \"plan\""
}

# scenario_env NAME: the guest's environment for NAME, as shell assignments.
scenario_env() {
	printf "LAB_SCENARIO='%s'\nLAB_MODULE='%s'\nLAB_PARAMS='%s'\nLAB_PLAN=%s\n" "$1" \
		"$(scenario_get "$1" module)" "$(scenario_get "$1" params)" "$(scenario_get "$1" plan)"
}

# scenario_subtests NAME: how many subtests NAME's boot reports: the guest's
# checks, one per console pattern, the driver's checks, the exit check, the
# inspector's verdict, and kunit.py's if it has KUnit results.
scenario_subtests() {
	local n=$1 kunit=0
	[ "$(scenario_get "$n" kunit)" = true ] && kunit=1
	echo $(($(scenario_get "$n" plan) + $(scenario_get "$n" console | grep -c .) + $(scenario_get "$n" host_checks 0) + 2 + kunit))
}

# scenario_boot_class NAME: scenarios of one class may share a boot: those
# that expect no report of any kind and need nothing special of their boot.
# Any other scenario gets a boot of its own ("own:NAME").
scenario_boot_class() {
	local f
	f=$(scenario_file "$1")
	if jq -e '(.findings | length) == 0 and .lockdep_off != true and .scenario.ends == null and .scenario.driver == null' "$f" >/dev/null; then
		echo "shared:$(scenario_get "$1" append)/$(scenario_get "$1" cpus 2)/$(scenario_get "$1" initrd)"
	else
		echo "own:$1"
	fi
}
