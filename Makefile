# SPDX-License-Identifier: GPL-2.0
#
# l4lb top-level Makefile.
#
#   make                 build l4lb.ko (against KDIR) and the userspace tools
#   make check           unit tests + VM integration tests (Debian kernels, and
#                        a subset on the debug kernel); ends "N passed, N failed"
#   make demo            boot a VM, load-balance traffic, show per-backend counts
#   make bench           l4lb vs plain routing, IPVS, nftables in one VM run:
#                        ratios table, build/bench/results.json and ratios.png
#                        (~30 min under TCG; see README, Benchmark)
#   make lint            checkpatch --strict, sparse, W=1, cppcheck, clang-tidy
#   make check-debug     all the VM tests on a KASAN/kmemleak/lockdep kernel (the
#                        first run builds it: ~20 min, cached in /var/cache/l4lb)
#   make check KERNELS="6.1" TESTS="t-dnat.sh" CHECK_DEBUG=no   a subset
#   make install / uninstall / dkms-install / dkms-uninstall   (see Installation)
#   make deb             Debian packages l4lb-dkms, l4lb-tools, l4lb-agent in
#                        build/deb/ (dpkg-buildpackage on a copy of the tree,
#                        then lintian; see README, Debian packages)
#   make module-for KVER=<release>   build the module for one VM kernel (cached
#                        headers, see tests/vm/kernel-release) or installed
#                        kernel into build/<release>/ (what the VM tests use)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The running kernel's build dir, else the newest installed Debian headers.
KVER ?= $(shell r=$$(uname -r); \
	if [ -d /lib/modules/$$r/build ]; then echo $$r; else \
	ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V | tail -n 1; fi)
KDIR ?= /lib/modules/$(KVER)/build

# Kernels the VM suite runs on, and lint builds for (see tests/vm/run --kernel).
KERNELS ?= 6.1 6.12

V ?= 0
export V

.PHONY: all module module-for userspace check check-debug unit demo bench lint clean help deb

all: module userspace

module:
	@test -d "$(KDIR)" || { echo "no kernel headers at KDIR=$(KDIR); install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

# Out-of-tree builds write objects next to the sources, so each kernel gets
# its own copy of the tree: several kernels can be built side by side.
# MODULE_DIR and KBUILD_FLAGS (e.g. C=2) let make lint build a fresh copy.
# The headers: those of the VM kernel cache (tests/vm/kernel-release fetches
# a kernel and its headers there; nothing is installed on the host) when it
# has KVER, else the installed ones; MODULE_KDIR names any other kernel tree
# (the debug kernel).
L4LB_KERNEL_CACHE ?= /var/cache/l4lb/kernels
CACHED_KDIR = $(L4LB_KERNEL_CACHE)/$(KVER)/lib/modules/$(KVER)/build
MODULE_DIR ?= build/$(KVER)
MODULE_KDIR ?= $(if $(wildcard $(CACHED_KDIR)/Makefile),$(CACHED_KDIR),/lib/modules/$(KVER)/build)
KBUILD_FLAGS ?=
module-for:
	@test -n "$(KVER)" || { echo "usage: make module-for KVER=<release>" >&2; exit 1; }
	@mkdir -p $(MODULE_DIR)/kmod $(MODULE_DIR)/uapi/linux
	@cp -u Kbuild dkms.conf $(MODULE_DIR)/
	@cp -u kmod/*.c kmod/*.h kmod/Kbuild $(MODULE_DIR)/kmod/
	@cp -u uapi/linux/*.h $(MODULE_DIR)/uapi/linux/
	$(MAKE) -C $(MODULE_KDIR) M=$(abspath $(MODULE_DIR)) W=1 $(KBUILD_FLAGS) modules
	@cp $(MODULE_DIR)/kmod/l4lb.ko $(MODULE_DIR)/l4lb.ko

userspace:
	$(MAKE) -C userspace

# Integration test files to run (default: all of tests/integration/t-*.sh;
# on the debug kernel, tests/run's DEBUG_TESTS).
TESTS ?=
# make check also runs integration tests on the debug kernel (no: skip).
CHECK_DEBUG ?= yes

check:
	@tests/run --kernels "$(KERNELS)" --tests "$(TESTS)" $(if $(filter no 0,$(CHECK_DEBUG)),,--debug)

check-debug:
	@tests/run --vm-only --kernels debug --tests "$(TESTS)"

unit:
	@tests/run --unit-only

demo:
	@tests/demo/run

bench:
	@tests/bench/run

lint:
	@tests/lint/run $(KERNELS)

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C userspace clean
	rm -rf build

help:
	@sed -n '3,/^$$/{/^$$/d; s/^# \{0,1\}//; p}' Makefile

# ---------------------------------------------------------------- Installation
#
#   make install   [KVER=...] [DESTDIR=...] [PREFIX=/usr/local]
#                  l4lb.ko into /lib/modules/$(KVER)/extra, l4ctl, the uapi
#                  header, the man pages, the bash completion of l4ctl and an
#                  example modprobe config
#   make uninstall [same variables]   removes exactly what install put there
#   make dkms-install [KVER=...]      register the sources with DKMS
#                  (/usr/src/l4lb-$(VERSION)), build and install for KVER
#   make dkms-uninstall               remove every DKMS build and the sources

# dkms.conf holds the one version number of the project.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' $(TOP)/dkms.conf)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
# The kernel's own place for out-of-tree modules; not under PREFIX, modprobe
# only looks in /lib/modules.
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/extra
MODPROBE_CONF = $(DESTDIR)/etc/modprobe.d/l4lb.conf
# bash-completion looks for completions here, whatever the PREFIX.
BASHCOMPDIR ?= /usr/share/bash-completion/completions
INSTALL ?= install

# DKMS_SOURCE_TREE and DKMS_FLAGS (given to every dkms command) let DKMS work
# in trees of its own: the DKMS test uses --sourcetree, --dkmstree,
# --installtree and --kernelsourcedir to leave the host's DKMS alone.
DKMS_SOURCE_TREE ?= /usr/src
DKMS_FLAGS ?=
DKMS_SRC = $(DKMS_SOURCE_TREE)/l4lb-$(VERSION)
DKMS = dkms $(DKMS_FLAGS)

.PHONY: install uninstall dkms-install dkms-uninstall

# The installed l4ctl is built in its own copy of userspace/: `make check`
# builds userspace/ in place with SANITIZE=1, and an ASan/UBSan binary (or
# objects) must never end up installed.
INSTALL_US = build/install/userspace

# module-for leaves $(MODULE_DIR)/l4lb.ko, build/$(KVER)/ by default (a no-op
# relink when up to date).
INSTALL_KO = $(or $(MODULE_DIR),build/$(KVER))/l4lb.ko

install: module-for
# A fresh copy each time: a file moved or removed must not stay in the copy.
	@rm -rf $(INSTALL_US)/lib $(INSTALL_US)/l4ctl $(INSTALL_US)/agent
	@mkdir -p $(INSTALL_US)/lib $(INSTALL_US)/l4ctl $(INSTALL_US)/agent
	@cp userspace/Makefile $(INSTALL_US)/
	@cp userspace/lib/*.c userspace/lib/*.h $(INSTALL_US)/lib/
	@cp userspace/l4ctl/*.c userspace/l4ctl/*.h userspace/l4ctl/l4ctl.8 $(INSTALL_US)/l4ctl/
	@cp $(wildcard userspace/agent/*.c userspace/agent/*.h userspace/agent/*.8) $(INSTALL_US)/agent/
	$(MAKE) -C $(INSTALL_US) TOP=$(TOP) SANITIZE= WERROR=0 install DESTDIR=$(DESTDIR) \
		PREFIX=$(PREFIX) SBINDIR=$(SBINDIR) MANDIR=$(MANDIR)
	$(INSTALL) -d $(MODDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)/etc/modprobe.d
	$(INSTALL) -m 0644 $(INSTALL_KO) $(MODDIR)/l4lb.ko
	$(INSTALL) -m 0644 uapi/linux/l4lb.h $(DESTDIR)$(INCLUDEDIR)/linux/l4lb.h
	$(INSTALL) -m 0644 kmod/l4lb.7 $(DESTDIR)$(MANDIR)/man7/l4lb.7
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0644 etc/bash-completion/l4ctl $(DESTDIR)$(BASHCOMPDIR)/l4ctl
# The admin's own settings win: never overwrite an existing config.
	@if [ -e $(MODPROBE_CONF) ]; then \
		echo "keeping existing $(MODPROBE_CONF)"; \
	else \
		echo "$(INSTALL) -m 0644 etc/modprobe.d/l4lb.conf $(MODPROBE_CONF)"; \
		$(INSTALL) -m 0644 etc/modprobe.d/l4lb.conf $(MODPROBE_CONF); \
	fi
# Staged installs (packaging) run depmod on the target instead.
	$(if $(DESTDIR),,depmod -a $(KVER))

uninstall:
	rm -f $(MODDIR)/l4lb.ko $(DESTDIR)$(SBINDIR)/l4ctl \
		$(DESTDIR)$(SBINDIR)/l4lb-agent \
		$(DESTDIR)$(INCLUDEDIR)/linux/l4lb.h \
		$(DESTDIR)$(MANDIR)/man8/l4ctl.8 $(DESTDIR)$(MANDIR)/man8/l4lb-agent.8 \
		$(DESTDIR)$(MANDIR)/man7/l4lb.7 $(DESTDIR)$(BASHCOMPDIR)/l4ctl
# Only the untouched example goes; an edited config is the admin's.
	@if [ -e $(MODPROBE_CONF) ]; then \
		if cmp -s etc/modprobe.d/l4lb.conf $(MODPROBE_CONF); then \
			echo "rm -f $(MODPROBE_CONF)"; rm -f $(MODPROBE_CONF); \
		else echo "keeping modified $(MODPROBE_CONF)"; fi; \
	fi
	$(if $(DESTDIR),,depmod -a $(KVER))

# Idempotent: a version already known to DKMS is removed first (for every
# kernel: its sources are replaced, so its other builds would be stale).
dkms-install:
	@command -v dkms >/dev/null || { echo "dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	@test -n "$(VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	if $(DKMS) status -m l4lb -v $(VERSION) | grep -q .; then \
		$(DKMS) remove -m l4lb -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi/linux
	$(INSTALL) -m 0644 dkms.conf Kbuild $(DKMS_SRC)/
	$(INSTALL) -m 0644 kmod/*.c kmod/*.h kmod/Kbuild $(DKMS_SRC)/kmod/
	$(INSTALL) -m 0644 uapi/linux/l4lb.h $(DKMS_SRC)/uapi/linux/
	$(DKMS) add -m l4lb -v $(VERSION)
	$(DKMS) build -m l4lb -v $(VERSION) -k $(KVER)
	$(DKMS) install -m l4lb -v $(VERSION) -k $(KVER)

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "dkms is not installed" >&2; exit 1; }
	if $(DKMS) status -m l4lb -v $(VERSION) | grep -q .; then \
		$(DKMS) remove -m l4lb -v $(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

# ------------------------------------------------------------ Debian packages
#
#   make deb [DEB_OUT=build/deb] [DEB_VERSION=...] [LINTIAN=no]
#                  dpkg-buildpackage -b -us -uc on a copy of the tree (the
#                  files git knows, plus new ones not ignored) in
#                  $(DEB_OUT)/src, so the work tree stays clean; the .debs,
#                  .buildinfo and .changes land in $(DEB_OUT). The version is
#                  dkms.conf's PACKAGE_VERSION: when debian/changelog's top
#                  entry differs, the copy gets a new entry (commit one to
#                  keep it). DEB_VERSION builds another version (the upgrade
#                  test): the copy's dkms.conf says it too. Then lintian
#                  (fails on errors, lists warnings) unless LINTIAN=no.
DEB_OUT ?= build/deb
DEB_VERSION ?= $(VERSION)
LINTIAN ?= yes
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null || { \
		echo "make deb needs: apt-get install debhelper dh-dkms dpkg-dev (tests/setup-host does)" >&2; exit 1; }
	rm -rf $(DEB_OUT)/src
	rm -f $(DEB_OUT)/l4lb*_$(DEB_VERSION)_*.deb $(DEB_OUT)/l4lb_$(DEB_VERSION)_*.changes $(DEB_OUT)/l4lb_$(DEB_VERSION)_*.buildinfo
	mkdir -p $(DEB_OUT)/src
	if git -C $(TOP) rev-parse --git-dir >/dev/null 2>&1; then \
		git -C $(TOP) ls-files -z --cached --others --exclude-standard | \
			(cd $(TOP) && xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' _) | \
			(cd $(TOP) && cpio -p0dmu --quiet $(abspath $(DEB_OUT))/src); \
	else \
		tar -C $(TOP) --exclude=./build --exclude=.git -cf - . | tar -C $(DEB_OUT)/src -xf -; \
	fi
	sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(DEB_VERSION)"/' $(DEB_OUT)/src/dkms.conf
	cd $(DEB_OUT)/src && if [ "$$(dpkg-parsechangelog -SVersion)" != "$(DEB_VERSION)" ]; then \
		echo "debian/changelog: adding an entry for $(DEB_VERSION) (in the build copy only)"; \
		{ printf 'l4lb (%s) unstable; urgency=medium\n\n  * Version %s (dkms.conf).\n\n -- %s  %s\n\n' \
			"$(DEB_VERSION)" "$(DEB_VERSION)" "$$(dpkg-parsechangelog -SMaintainer)" "$$(date -R)"; \
		  cat debian/changelog; } >debian/changelog.new && mv debian/changelog.new debian/changelog; fi
	cd $(DEB_OUT)/src && dpkg-buildpackage -b -us -uc
	@ls -l $(DEB_OUT)/l4lb*_$(DEB_VERSION)_*.deb
	@if [ "$(LINTIAN)" != no ]; then \
		command -v lintian >/dev/null || { echo "lintian is not installed (LINTIAN=no skips it)" >&2; exit 1; }; \
		echo "lintian $(DEB_OUT)/l4lb_$(DEB_VERSION)_*.changes"; \
		lintian --fail-on error $(DEB_OUT)/l4lb_$(DEB_VERSION)_*.changes; \
	fi
