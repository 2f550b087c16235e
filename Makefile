# SPDX-License-Identifier: GPL-2.0
# deadlock-lab: the entry points. `make run` tells the story, `make test`
# checks it. Everything builds into out/ and the cache (see README.md).
#
#   make            build the modules against the lab kernel (or KDIR=...);
#                   CLIPPY=1 builds them with clippy
#   make run        the demo              make test     all tests (KTAP; J=N boots at once)
#   make shell      a shell in the guest  make lab-env  the lab's settings
#   make gdb        gdb on the stuck ABBA threads (QEMU's gdb stub)
#   make lock-order [MODULE_DIR=...]   the lock order lockdep saw, as a contract
#   make explore    every interleaving of a round, judged; SCHEDULE="a.1 b.1" [PARAMS=fixed=0] replays one
#   make bench      timings               make clean    remove out/
#   make detectors  docs/detectors.md: which detector saw what, from the declarations and the last run
#   make doctor     can the modules be built against KDIR (default: the lab kernel), and what will they show
#   make exercise N=1 [DIR=...]   an exercise's skeleton   make grade N=1 [DIR=...]   grade it
#   MODULE_DIR=path (run, test, shell)   a module from outside the lab
#   REPEAT=N (test, run)   each scenario N times, its outcomes counted
#   make test-matrix  the suite on every supported kernel series Debian offers
#   LAB_SERIES=7.N  (any target) pin the kernel series; default: the newest

# LAB_OUT=DIR puts the build and logs elsewhere (make test-matrix does, per
# series); LAB_SERIES=7.N pins the kernel series (see scripts/fetch-kernel.sh).
LAB_OUT ?= $(CURDIR)/out
export LAB_OUT LAB_SERIES
OUT := $(LAB_OUT)
LAB_ENV := $(OUT)/lab.env
MODULE_OUT := $(OUT)/module
SHELL := /bin/bash

# Every recipe that needs the lab kernel sources its settings from $(LAB_ENV).
with_lab = set -euo pipefail; . $(LAB_ENV);

# The host program that boots the lab (tools/lab): the suite, the stories,
# gdb, the shell, the benchmark and the series matrix.
LAB := $(CURDIR)/target/release/lab

.PHONY: all modules setup kernel lab-env doctor host initramfs run test test-matrix shell gdb bench lock-order explore detectors \
	exercise grade \
	rust-analyzer clean distclean-lab FORCE

all: modules

setup:
	@scripts/setup-host.sh

ifeq ($(KDIR),)
# The lab kernel: installed, fetched and built once into the cache.
$(LAB_ENV): setup FORCE
	@mkdir -p $(OUT)
	@scripts/build-kernel.sh >$@.tmp && mv $@.tmp $@

kernel: $(LAB_ENV)

modules: $(LAB_ENV)
	@$(with_lab) CLIPPY="$(CLIPPY)" CLIPPY_DRIVER="$${CLIPPY_DRIVER}" \
		scripts/build-module.sh "$$KDIR" "$$LLVM" "$$RUSTC" $(MODULE_OUT)

lab-env: $(LAB_ENV)
	@cat $(LAB_ENV)

doctor: $(LAB_ENV) host
	@$(LAB) doctor

rust-analyzer: $(LAB_ENV)
	@$(with_lab) $(MAKE) -s -C "$$KDIR" M=$(CURDIR) LLVM="$$LLVM" RUSTC="$$RUSTC" BINDGEN="$$BINDGEN" rust-analyzer
else
# Any Rust-enabled kernel tree, in the standard external-module shape;
# the doctor's check comes first, so that a tree the modules cannot be built
# against stops with its reason, not with Kbuild's.
doctor: host
	@$(LAB) doctor --kdir=$(KDIR) --llvm="$(LLVM)" --rustc="$(RUSTC)"

modules: host
	@$(LAB) doctor --problems --kdir=$(KDIR) --llvm="$(LLVM)" --rustc="$(RUSTC)"
	@CLIPPY="$(CLIPPY)" CLIPPY_DRIVER="$(CLIPPY_DRIVER)" scripts/build-module.sh $(KDIR) "$(LLVM)" "$(RUSTC)" $(MODULE_OUT)

rust-analyzer:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(LLVM),LLVM=$(LLVM)) $(if $(RUSTC),RUSTC=$(RUSTC)) rust-analyzer
endif

host:
	@scripts/build-host.sh

initramfs: modules host
	@scripts/build-initramfs.sh $(LAB) $(MODULE_OUT) $(OUT)/initramfs.cpio

# MODULE_DIR=path: a module from outside the lab (see docs/own-module.md).
outside = $(if $(MODULE_DIR),--module-dir=$(MODULE_DIR))

run: initramfs
	@$(LAB) run $(outside) $(if $(REPEAT),--repeat=$(REPEAT)) $(SCENARIO)

test: initramfs
	@$(LAB) test $(if $(J),--jobs $(J)) $(outside) $(if $(REPEAT),--repeat=$(REPEAT)) $(TESTS)

test-matrix: setup host
	@$(LAB) matrix $(SERIES)

shell: initramfs
	@$(LAB) shell $(outside)

# Exercises (tests/exercises/): N=1, DIR=path (default out/exercises/N-NAME).
exercise: host
	@$(LAB) exercise $(N) $(if $(DIR),--dir=$(DIR))

grade: initramfs
	@$(LAB) grade $(N) $(if $(DIR),--dir=$(DIR))

gdb: initramfs
	@$(LAB) gdb

# The lock order lockdep observed, as a contract a declaration can name.
lock-order: initramfs
	@$(LAB) lock-order $(outside)

# Every schedule of one round (CONFIGS="fixed=0 ...", RING=8 SAMPLES=8
# SEED=N for the sampled ring), or one replayed: SCHEDULE="a.1 b.1"
# [PARAMS=fixed=0]. The lab reads these from the environment.
explore: initramfs
	@$(LAB) explore

bench: initramfs
	@$(LAB) bench

# Which detector saw which deadlock: docs/detectors.md, from the
# declarations and the last run (make test first).
detectors: host
	@$(LAB) detectors

clean:
	rm -rf $(OUT)

# Forget the fetched kernel source and builds (they are rebuilt on demand).
distclean-lab:
	@. scripts/lib.sh && echo "removing $$LAB_CACHE" && rm -rf "$$LAB_CACHE"
