#!/bin/sh
# /init of the l4lb test VM (busybox ash, runs as PID 1 from the initramfs).
#
# It mounts the host's root file system read-only over virtio-9p, lays tmpfs
# over the places programs expect to write to, chroots into it and runs the
# job script that tests/vm/run wrote into a second 9p share. Whatever
# happens, it prints "L4LB-VM-EXIT <rc>" on the console and powers off; the
# host side treats a missing marker as a crash.
#
# The initramfs is cached keyed on a hash of this file: edit freely.

export PATH=/bin
R=/mnt            # where the host root appears
JOB=/run/l4lb-job # where the job share appears inside the chroot

say() { echo "# vm-init: $*"; }

finish() {
	echo "L4LB-VM-EXIT $1"
	sync
	reboot -f # -no-reboot turns this into QEMU exiting
	sleep 10
}

fail() {
	say "FATAL: $*"
	finish 126
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# virtio/9p/overlay modules, in dependency order (see tests/vm/run).
while read -r ko; do
	insmod "/lib/modules/$ko" || fail "insmod $ko"
done </lib/modules/order

# msize: larger 9p messages = fewer round trips through the slow TCG guest.
# cache=loose: the host tree does not change under us while the VM runs, so
# let the guest page cache keep binaries/libraries instead of re-reading.
opts=trans=virtio,version=9p2000.L,msize=512000,cache=loose
mount -t 9p -o "ro,$opts" hostroot $R || fail "cannot mount host root over 9p"

# Writable scratch space. /var/run is a symlink to /run on Debian.
for d in /tmp /run /var/tmp /root; do
	mount -t tmpfs -o mode=0755 tmpfs "$R$d" || fail "tmpfs on $d"
done
chmod 1777 $R/tmp $R/var/tmp
chmod 0700 $R/root

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
# debugfs/tracefs are handy for debugging the module; failure is harmless.
mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
# `ip netns add` bind-mounts namespaces under /run/netns and wants it shared.
mkdir -p $R/run/netns $R$JOB
mount --make-rshared $R 2>/dev/null

mount -t 9p -o "ro,trans=virtio,version=9p2000.L" l4lbjob "$R$JOB" ||
	fail "cannot mount the job share"

# /lib/modules/<release>: the kernel's modules tree from the host's kernel
# cache (named in the job share; tests/vm/lib.sh), writable through an
# overlay whose changes stay in RAM (depmod, DKMS). The host's own
# /lib/modules is hidden; a host without one (nothing installed there) gets
# an overlay on /lib (usr/lib) to hold the directory.
kmods=
[ -s "$R$JOB/modules" ] && read -r kmods <"$R$JOB/modules"
if [ -n "$kmods" ]; then
	rel=$(cat /proc/sys/kernel/osrelease)
	mkdir -p /ovl
	mount -t tmpfs -o mode=0755 tmpfs /ovl || fail "tmpfs for overlays"
	mkdir -p /ovl/lib/u /ovl/lib/w /ovl/mods/u /ovl/mods/w
	if [ -d "$R/lib/modules" ]; then
		mount -t tmpfs -o mode=0755 tmpfs "$R/lib/modules" || fail "tmpfs on /lib/modules"
	else
		mount -t overlay -o "lowerdir=$R/lib,upperdir=/ovl/lib/u,workdir=/ovl/lib/w" \
			overlay "$R/lib" || fail "overlay on /lib"
		mkdir "$R/lib/modules"
	fi
	mkdir -p "$R/lib/modules/$rel"
	mount -t overlay -o "lowerdir=$R$kmods,upperdir=/ovl/mods/u,workdir=/ovl/mods/w" \
		overlay "$R/lib/modules/$rel" || fail "overlay of $kmods on /lib/modules/$rel"
fi

hostname l4lb-vm
# Kernel messages up to "warning" go to the console (set on the command line
# too: loglevel=5); keep it that way even if something resets it.
echo 5 >/proc/sys/kernel/printk

# Run the job. Its stdin is /dev/null: the serial line is for output only.
chroot $R /bin/bash $JOB/job.sh </dev/null
finish $?
