# SPDX-License-Identifier: GPL-2.0
#
# l4lb top-level Makefile.
#
#   make                 build l4lb.ko (against KDIR) and the userspace tools
#   make check           unit tests + VM integration tests; ends "N passed, N failed"
#   make demo            boot a VM, load-balance traffic, show per-backend counts
#   make module-for KVER=<release>   build the module for one installed kernel
#                        into build/<release>/ (what the VM tests use)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The running kernel's build dir, else the newest installed Debian headers.
KVER ?= $(shell r=$$(uname -r); \
	if [ -d /lib/modules/$$r/build ]; then echo $$r; else \
	ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V | tail -n 1; fi)
KDIR ?= /lib/modules/$(KVER)/build

# Kernels the VM suite runs on (see tests/vm/run --kernel).
KERNELS ?= 6.1

V ?= 0
export V

.PHONY: all module module-for userspace check unit vm-tests demo clean help

all: module userspace

module:
	@test -d "$(KDIR)" || { echo "no kernel headers at KDIR=$(KDIR); install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

# Out-of-tree builds write objects next to the sources, so each kernel gets
# its own copy of the tree: several kernels can be built side by side.
module-for:
	@test -n "$(KVER)" || { echo "usage: make module-for KVER=<release>" >&2; exit 1; }
	@mkdir -p build/$(KVER)/kmod build/$(KVER)/uapi/linux
	@cp -u Kbuild build/$(KVER)/
	@cp -u kmod/*.c kmod/*.h kmod/Kbuild build/$(KVER)/kmod/
	@cp -u uapi/linux/*.h build/$(KVER)/uapi/linux/
	$(MAKE) -C /lib/modules/$(KVER)/build M=$(TOP)/build/$(KVER) W=1 modules
	@cp build/$(KVER)/kmod/l4lb.ko build/$(KVER)/l4lb.ko

userspace:
	$(MAKE) -C userspace

check:
	@tests/run --kernels "$(KERNELS)"

unit:
	@tests/run --unit-only

demo:
	@tests/demo/run

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C userspace clean
	rm -rf build

help:
	@sed -n '3,11p' Makefile
