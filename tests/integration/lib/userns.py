#!/usr/bin/env python3
"""Run a command as an unprivileged user inside a new user + network namespace.

    userns.py [--uid N] [--gid N] [--mount] -- CMD ARGS...

Run as root. The command runs as uid/gid N (default 65534, "nobody": no
/etc/passwd entry needed) that created, itself and unprivileged, a user
namespace and a network namespace: inside, it is root of its own user
namespace with every capability there (CAP_NET_ADMIN over the new network
namespace), and nobody anywhere else. --mount adds a mount namespace.

Why not `setpriv ... unshare -Urn`: the kernel refuses new user namespaces
to a chrooted caller (current_chrooted() in create_user_ns()), and the test
VM runs everything chrooted into the host's root (tests/vm/init.sh). So:

  1. open the current root (the chroot), /proc/self and cwd, while still
     root;
  2. leave the chroot: chroot into PID 1's root (/proc/1/root, which is the
     mount namespace's root: the VM's initramfs); needs CAP_SYS_CHROOT;
  3. drop to uid/gid N, no supplementary groups (all capabilities go);
  4. unshare(CLONE_NEWUSER | CLONE_NEWNET), as that unprivileged user; write
     the uid/gid maps (0 -> N) through the /proc/self opened in 1 (no path
     is looked up outside the chroot: the VM's initramfs root is mode 0700);
  5. chroot back into the saved root: allowed, chroot() checks
     CAP_SYS_CHROOT in the caller's (new) user namespace;
  6. exec CMD.

Outside the VM (no chroot) steps 2 and 5 change nothing. Exit status: CMD's,
or 126 with a message naming the step that failed.
"""
import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE = 4


def fail(step, err):
    print("userns.py: %s: %s" % (step, err), file=sys.stderr)
    sys.exit(126)


def main(argv):
    uid = gid = 65534
    flags = CLONE_NEWUSER | CLONE_NEWNET
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--uid":
            uid = int(argv.pop(0))
        elif opt == "--gid":
            gid = int(argv.pop(0))
        elif opt == "--mount":
            flags |= CLONE_NEWNS
        else:
            fail("usage", "unknown option %s (see --help in the source)" % opt)
    if not argv or len(argv) < 2:
        fail("usage", "userns.py [--uid N] [--gid N] [--mount] -- CMD ARGS...")
    cmd = argv[1:]
    # Everything that needs the host's files is done before leaving the
    # chroot: libc is loaded now, the command is found now.
    libc = ctypes.CDLL(None, use_errno=True)
    path = cmd[0]
    if "/" not in path:
        for d in os.environ.get("PATH", "/usr/bin:/bin").split(":"):
            if os.access(os.path.join(d, path), os.X_OK):
                path = os.path.join(d, path)
                break
        else:
            fail("exec", "%s not found in PATH" % cmd[0])
    root_fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    # Our /proc/PID, opened now: outside the chroot no path is looked up
    # (the VM's initramfs root is mode 0700, which uid N cannot search).
    proc_fd = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
    cwd = os.getcwd()

    # L4LB_USERNS_ESCAPE: another process' root to escape to (for trying
    # this out where PID 1's root cannot be read).
    escape = os.environ.get("L4LB_USERNS_ESCAPE", "/proc/1/root")
    try:
        os.chroot(escape)
        os.chdir("/")
    except OSError as e:
        fail("leaving the chroot via %s" % escape, e)
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError as e:
        fail("dropping to uid %d gid %d" % (uid, gid), e)
    # A credential change made us non-dumpable, which makes /proc/self/*
    # root's: the uid_map below could not be written.
    if libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0:
        fail("prctl(PR_SET_DUMPABLE)", os.strerror(ctypes.get_errno()))
    if libc.unshare(flags) != 0:
        fail("unshare(CLONE_NEWUSER|CLONE_NEWNET) as uid %d" % uid,
             os.strerror(ctypes.get_errno()))
    try:
        for name, data in (("uid_map", "0 %d 1\n" % uid), ("setgroups", "deny\n"),
                           ("gid_map", "0 %d 1\n" % gid)):
            fd = os.open(name, os.O_WRONLY, dir_fd=proc_fd)
            try:
                os.write(fd, data.encode())
            finally:
                os.close(fd)
        os.close(proc_fd)
    except OSError as e:
        fail("writing /proc/self/{uid_map,setgroups,gid_map}", e)
    try:
        os.fchdir(root_fd)
        os.chroot(".")
        os.close(root_fd)
        os.chdir(cwd)
    except OSError as e:
        fail("returning into the chroot", e)
    try:
        os.execv(path, cmd)
    except OSError as e:
        fail("exec %s" % path, e)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    main(sys.argv[1:])
