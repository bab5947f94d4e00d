#!/usr/bin/env python3
"""Configuration churn for concurrency tests: one process, raw genetlink.

While traffic runs through a VIP, this keeps changing everything around it
at a steady rate, straight over the l4lb generic netlink family (no l4ctl
process per change):

  - adds and deletes extra VIPs on the VIP addresses, on other ports
    (--extra-ports), TCP or UDP, with backends of their own;
  - adds and deletes extra backends (addresses from 192.0.2.0/24 and
    2001:db8:c::/64, never real hosts) on the VIPs: always with weight 0 on
    the VIPs under test, so they never take a flow;
  - deletes, re-adds and re-weights (0..10) the VIPs' backends that are
    not in --keep;
  - now and then dumps the VIPs or the backends (racing the changes), and
    with --net-get reads L4LB_CMD_NET_GET.

The --keep backends are never touched: traffic to them must never break.
Every request is acked and checked: all are expected to succeed, as this
process knows what it created. An unexpected answer is printed with the
kernel's extack message and counted. At the end (--duration, SIGTERM or
SIGINT) it restores the configuration it found, from a fresh dump rather
than from its own bookkeeping, and checks it with another dump.

    nlchurn.py --vip4 10.0.0.10 --vip6 fd00::10 --port 80 \\
        --keep 10.0.1.1,fd00:1::1 --duration 30 --rate 40

Arguments: --vip4 / --vip6 ADDR (at least one; each must exist), --port,
--proto tcp|udp (--proto4 / --proto6 to differ), --backends4 / --backends6
ADDR,... (the backends to churn, default every backend of the VIP but the
kept ones; each must exist), --keep ADDR,... (repeatable), --duration S,
--rate OPS_PER_S (an upper bound), --extra-ports LO-HI, --seed N,
--min-rate R (fail when fewer operations per second were achieved),
--timeout S (per request), --net-get, --verbose (each change on stderr).

Output, on stdout, one line of JSON:

    {"ops": N, "errors": N, "rate": OPS_PER_S, "by_cmd": {"vip_new": N, ...},
     "restore_ops": N, "restored": true, "dumps_interrupted": N,
     "seconds": S, "seed": S}

ops and rate count the churn phase; by_cmd and errors include the restore.
restored is false when the dumps after it differ from the configuration
found at the start (each difference is an error too). by_cmd keys: vip_new,
vip_del, vip_get, backend_new, backend_del, backend_set, backend_get,
net_get. --extra-ports defaults to 30000-30015; --keep addresses must be
backends of the given VIPs.
Exit status: 0 when errors == 0 (and the rate reached --min-rate), 1
otherwise, 2 when it could not start (l4lb not loaded, VIP missing, bad
arguments).

The socket layer (class Genl) is shared with nlfuzz.py.
"""
import argparse
import errno
import ipaddress
import json
import os
import random
import signal
import socket
import struct
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from rawnl import (  # noqa: E402
    AF_INET, AF_INET6, ATTR_BACKEND, ATTR_VIP, BE_ADDR, BE_FAMILY, BE_PORT,
    BE_WEIGHT, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY,
    GENL_ID_CTRL, NETLINK_EXT_ACK, NETLINK_GENERIC, NLM_F_ACK,
    NLM_F_DUMP, NLM_F_REQUEST, NLMSG_ERROR, SOL_NETLINK, TCP, UDP, VIP_ADDR,
    VIP_FAMILY, VIP_PORT, VIP_PROTO, ack_message, be16, nest, nla, u16, u32,
    u8)

NLMSG_DONE = 3
NLM_F_MULTI = 0x2
NLM_F_DUMP_INTR = 0x10
NETLINK_CAP_ACK = 10
SO_RCVBUFFORCE = 33

# uapi/linux/l4lb.h (rawnl.py predates NET_GET)
CMD_VIP_NEW, CMD_VIP_DEL, CMD_VIP_GET = 1, 2, 3
CMD_BACKEND_NEW, CMD_BACKEND_DEL, CMD_BACKEND_SET, CMD_BACKEND_GET = 4, 5, 6, 7
CMD_NET_GET = 8
CMD_NAMES = {1: "vip_new", 2: "vip_del", 3: "vip_get", 4: "backend_new",
             5: "backend_del", 6: "backend_set", 7: "backend_get",
             8: "net_get"}
ATTR_NET = 3

PROTOS = {"tcp": TCP, "udp": UDP}
PROTO_NAMES = {TCP: "tcp", UDP: "udp"}


class NlError(Exception):
    """A request that got no usable answer (timeout, socket error)."""


class FamilyMissing(NlError):
    pass


def errname(err):
    """'EINVAL' for 22 or -22; the number itself when unknown."""
    err = abs(err)
    if err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"  # errorcode[95] says ENOTSUP
    return errno.errorcode.get(err, str(err))


def describe(err, text):
    """'ENOENT: VIP not found', or the errno name alone without a message."""
    return "%s: %s" % (errname(err), text) if text else errname(err)


def parse_attrs(data, off=0, end=None):
    """{type: payload} of the attributes in data[off:end]; flags masked off."""
    end = len(data) if end is None else end
    out = {}
    while off + 4 <= end:
        alen, atype = struct.unpack_from("=HH", data, off)
        if alen < 4 or off + alen > end:
            break
        out[atype & 0x3fff] = data[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out


def split_messages(data):
    """(type, flags, seq, message bytes) of each netlink message in data."""
    off = 0
    while off + 16 <= len(data):
        length, kind, flags, seq = struct.unpack_from("=IHHI", data, off)
        if length < 16 or off + length > len(data):
            return
        yield kind, flags, seq, data[off:off + length]
        off += (length + 3) & ~3


class Genl:
    """A generic netlink socket talking to one family.

    Every wait is bounded by @timeout; replies to other sequence numbers
    (late answers to a request that timed out) are skipped and counted.
    """

    def __init__(self, family="l4lb", timeout=5.0, family_id=None,
                 rcvbuf=4 << 20):
        self.timeout = timeout
        self.stale = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        # acks carry the request's header only, not the whole request
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        for opt in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, opt, rcvbuf)
                break
            except OSError:
                continue
        self.sock.bind((0, 0))
        self.portid = self.sock.getsockname()[0]
        self.seq = random.SystemRandom().randrange(1 << 30)
        self.family = family_id if family_id is not None else \
            self.resolve(family)

    def next_seq(self):
        self.seq = (self.seq + 1) & 0xffffffff or 1
        return self.seq

    def close(self):
        self.sock.close()

    @staticmethod
    def message(kind, cmd, flags, seq, attrs=b"", version=1):
        body = struct.pack("=BBH", cmd, version, 0) + attrs
        return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body

    def recv(self, deadline):
        """One datagram; NlError when @deadline (monotonic) passes first."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NlError("no answer within %gs" % self.timeout)
            self.sock.settimeout(left)
            try:
                return self.sock.recv(1 << 17)
            except socket.timeout:
                continue  # the loop decides: the deadline has passed
            except OSError as e:
                raise NlError("recv: %s" % os.strerror(e.errno)) from e

    def exchange(self, kind, cmd, flags, attrs=b""):
        """Send one request, read its answers to the end.

        Returns (error, extack message, [data messages], interrupted): the
        error is 0 or a negative errno, from the ack or the dump's DONE.
        """
        seq = self.next_seq()
        msg = self.message(kind, cmd, NLM_F_REQUEST | flags, seq, attrs)
        try:
            self.sock.send(msg)
        except OSError as e:
            raise NlError("send: %s" % os.strerror(e.errno)) from e
        deadline = time.monotonic() + self.timeout
        data_msgs, intr = [], False
        while True:
            for mkind, mflags, mseq, m in split_messages(self.recv(deadline)):
                if mseq != seq:
                    self.stale += 1
                    continue
                intr |= bool(mflags & NLM_F_DUMP_INTR)
                if mkind in (NLMSG_ERROR, NLMSG_DONE):
                    err = struct.unpack_from("=i", m, 16)[0] if len(m) >= 20 else 0
                    text = ack_message(m, 0, len(m), mflags, mkind == NLMSG_ERROR)
                    return err, text, data_msgs, intr
                data_msgs.append(m)

    def resolve(self, name):
        attrs = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        err, text, msgs, _ = self.exchange(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                           NLM_F_ACK, attrs)
        if err == -errno.ENOENT:
            raise FamilyMissing(
                "the %s generic netlink family is not registered "
                "(is l4lb.ko loaded?)" % name)
        if err:
            raise NlError("resolving the %s family: %s" % (name, describe(err, text)))
        for m in msgs:
            fid = parse_attrs(m, 20).get(CTRL_ATTR_FAMILY_ID)
            if fid is not None:
                return struct.unpack("=H", fid[:2])[0]
        raise NlError("no family id in the answer for %s" % name)

    def request(self, cmd, attrs):
        """A change, acked: (error, extack message)."""
        err, text, _, _ = self.exchange(self.family, cmd, NLM_F_ACK, attrs)
        return err, text

    def dump(self, cmd, attrs=b""):
        """(error, extack, [messages], interrupted) of a whole dump."""
        return self.exchange(self.family, cmd, NLM_F_DUMP, attrs)

    def dump_consistent(self, cmd, attrs=b"", tries=5):
        """A dump run again while the kernel says a change interrupted it
        (NLM_F_DUMP_INTR), @tries times at most: (error, extack, [messages])."""
        for _ in range(tries):
            err, text, msgs, intr = self.dump(cmd, attrs)
            if err or not intr:
                return err, text, msgs
        raise NlError("the configuration changed during each of %d dumps" % tries)


# ---- l4lb objects ----

class Vip:
    """A VIP key: family, packed address, port, protocol."""

    __slots__ = ("family", "addr", "port", "proto")

    def __init__(self, family, addr, port, proto):
        self.family, self.addr, self.port, self.proto = family, addr, port, proto

    def key(self):
        return (self.family, self.addr, self.port, self.proto)

    def attr(self):
        return nest(ATTR_VIP, u16(VIP_FAMILY, self.family),
                    nla(VIP_ADDR, self.addr), be16(VIP_PORT, self.port),
                    u8(VIP_PROTO, self.proto))

    def __str__(self):
        return "%s %s" % (endpoint_str(self.addr, self.port),
                          PROTO_NAMES.get(self.proto, self.proto))


def endpoint_str(addr, port):
    ip = ipaddress.ip_address(addr)
    return ("%s:%d" if ip.version == 4 else "[%s]:%d") % (ip, port)


def backend_attr(family, addr, port, weight=None):
    attrs = [u16(BE_FAMILY, family), nla(BE_ADDR, addr), be16(BE_PORT, port)]
    if weight is not None:
        attrs.append(u32(BE_WEIGHT, weight))
    return nest(ATTR_BACKEND, *attrs)


def decode_vip(m):
    """Vip of a dump message (VIP_GET or BACKEND_GET), None if malformed."""
    top = parse_attrs(m, 20)
    if ATTR_VIP not in top:
        return None
    a = parse_attrs(top[ATTR_VIP])
    try:
        return Vip(struct.unpack("=H", a[VIP_FAMILY][:2])[0], a[VIP_ADDR],
                   struct.unpack(">H", a[VIP_PORT][:2])[0], a[VIP_PROTO][0])
    except (KeyError, IndexError, struct.error):
        return None


def decode_backend(m):
    """((packed address, port), weight) of a BACKEND_GET message, or None."""
    top = parse_attrs(m, 20)
    if ATTR_BACKEND not in top:
        return None
    a = parse_attrs(top[ATTR_BACKEND])
    try:
        weight = struct.unpack("=I", a[BE_WEIGHT][:4])[0] if BE_WEIGHT in a else None
        return (a[BE_ADDR], struct.unpack(">H", a[BE_PORT][:2])[0]), weight
    except (KeyError, struct.error):
        return None


def dump_vips(nl):
    err, text, msgs = nl.dump_consistent(CMD_VIP_GET)
    if err:
        raise NlError("VIP dump: %s" % describe(err, text))
    return {v.key(): v for v in map(decode_vip, msgs) if v}


def dump_backends(nl, vip):
    """{(addr, port): weight} of a VIP."""
    err, text, msgs = nl.dump_consistent(CMD_BACKEND_GET, vip.attr())
    if err:
        raise NlError("backend dump of %s: %s" % (vip, describe(err, text)))
    return dict(b for b in map(decode_backend, msgs) if b)


# ---- the churn ----

class Target:
    """A VIP under test and what may be done to its backends."""

    def __init__(self, vip, initial, churn, extra_pool):
        self.vip = vip
        self.initial = initial          # {(addr, port): weight} found
        self.churn = churn              # keys we may delete / re-weight
        self.present = {k: initial[k] for k in churn}   # churned ones now
        self.extra_pool = extra_pool    # addresses for weight-0 extras
        self.extras = {}                # {(addr, port): weight} we added


class Churner:
    EXTRA_BE_PORTS = (8080, 9000)

    def __init__(self, nl, targets, initial_vips, extra_ports, rng, log):
        self.nl, self.targets, self.rng, self.log = nl, targets, rng, log
        self.initial_vips = initial_vips    # {key: Vip} found at the start
        self.extra_ports = extra_ports
        self.extra_vips = {}            # {key: (Vip, {(addr, port): weight})}
        self.ops = self.errors = self.dump_intr = 0
        self.by_cmd = {}
        self.error_lines = 0
        self.net_get = False

    # -- one request --

    def error(self, what, detail):
        self.errors += 1
        self.error_lines += 1
        if self.error_lines <= 50:
            print("nlchurn: %s: %s" % (what, detail), file=sys.stderr)
        elif self.error_lines == 51:
            print("nlchurn: (further errors not shown)", file=sys.stderr)

    def do(self, cmd, attrs, what):
        """Send a change; True when acked with success."""
        self.ops += 1
        name = CMD_NAMES[cmd]
        self.by_cmd[name] = self.by_cmd.get(name, 0) + 1
        try:
            err, text = self.nl.request(cmd, attrs)
        except NlError as e:
            self.error("%s %s" % (name, what), str(e))
            return False
        if err:
            self.error("%s %s" % (name, what),
                       describe(err, text))
            return False
        if self.log:
            print("nlchurn: %s %s" % (name, what), file=sys.stderr)
        return True

    def do_dump(self, cmd, attrs, what):
        self.ops += 1
        name = CMD_NAMES[cmd]
        self.by_cmd[name] = self.by_cmd.get(name, 0) + 1
        try:
            err, text, _, intr = self.nl.dump(cmd, attrs)
        except NlError as e:
            self.error("%s %s" % (name, what), str(e))
            return
        self.dump_intr += intr
        if err:
            self.error("%s %s" % (name, what),
                       describe(err, text))

    # -- the operations; each returns False when it has nothing to act on --

    def op_vip_new(self):
        t = self.rng.choice(self.targets)
        free = [(p, pr) for p in self.extra_ports for pr in (TCP, UDP)
                if (t.vip.family, t.vip.addr, p, pr) not in self.extra_vips
                and (t.vip.family, t.vip.addr, p, pr) not in self.initial_vips]
        if not free:
            return False
        port, proto = self.rng.choice(free)
        v = Vip(t.vip.family, t.vip.addr, port, proto)
        if self.do(CMD_VIP_NEW, v.attr(), str(v)):
            self.extra_vips[v.key()] = (v, {})
        return True

    def op_vip_del(self):
        if not self.extra_vips:
            return False
        key = self.rng.choice(sorted(self.extra_vips))
        v = self.extra_vips[key][0]
        if self.do(CMD_VIP_DEL, v.attr(), str(v)):
            del self.extra_vips[key]
        return True

    def pick_extra_backend(self, pool, have):
        free = [(a, p) for a in pool for p in self.EXTRA_BE_PORTS
                if (a, p) not in have]
        return self.rng.choice(free) if free else None

    def op_extra_backend_new(self):
        if self.extra_vips and self.rng.random() < 0.5:
            v, bes = self.extra_vips[self.rng.choice(sorted(self.extra_vips))]
            pool = self.targets_pool(v.family)
            weight = self.rng.randint(0, 10)
        else:
            t = self.rng.choice(self.targets)
            v, bes, pool, weight = t.vip, t.extras, t.extra_pool, 0
            # never collide with a backend the VIP had
            pool = [a for a in pool
                    if not any(k[0] == a for k in t.initial)]
        key = self.pick_extra_backend(pool, bes)
        if key is None:
            return False
        if self.do(CMD_BACKEND_NEW, v.attr() + backend_attr(v.family, *key, weight),
                   "%s backend %s weight %d" % (v, endpoint_str(*key), weight)):
            bes[key] = weight
        return True

    def targets_pool(self, family):
        for t in self.targets:
            if t.vip.family == family:
                return t.extra_pool
        return []

    def extra_backends(self):
        """(Vip, backends dict, key, on a VIP under test?) of every extra."""
        out = []
        for t in self.targets:
            out += [(t.vip, t.extras, k, True) for k in t.extras]
        for v, bes in self.extra_vips.values():
            out += [(v, bes, k, False) for k in bes]
        return out

    def op_extra_backend_del(self):
        extras = self.extra_backends()
        if not extras:
            return False
        v, bes, key, _ = extras[self.rng.randrange(len(extras))]
        if self.do(CMD_BACKEND_DEL, v.attr() + backend_attr(v.family, *key),
                   "%s backend %s" % (v, endpoint_str(*key))):
            del bes[key]
        return True

    def op_backend_del(self):
        cand = [(t, k) for t in self.targets for k in t.present]
        if not cand:
            return False
        t, key = self.rng.choice(cand)
        if self.do(CMD_BACKEND_DEL, t.vip.attr() + backend_attr(t.vip.family, *key),
                   "%s backend %s" % (t.vip, endpoint_str(*key))):
            del t.present[key]
        return True

    def op_backend_readd(self):
        cand = [(t, k) for t in self.targets for k in t.churn
                if k not in t.present]
        if not cand:
            return False
        t, key = self.rng.choice(cand)
        weight = t.initial[key] if self.rng.random() < 0.5 else \
            self.rng.randint(0, 10)
        if self.do(CMD_BACKEND_NEW,
                   t.vip.attr() + backend_attr(t.vip.family, *key, weight),
                   "%s backend %s weight %d" % (t.vip, endpoint_str(*key), weight)):
            t.present[key] = weight
        return True

    def op_backend_set(self):
        cand = [(t.vip, t.present, k, True) for t in self.targets for k in t.present]
        cand += [e for e in self.extra_backends() if not e[3]]
        if not cand:
            return False
        v, bes, key, _ = cand[self.rng.randrange(len(cand))]
        weight = self.rng.randint(0, 10)
        if self.do(CMD_BACKEND_SET,
                   v.attr() + backend_attr(v.family, *key, weight),
                   "%s backend %s weight %d" % (v, endpoint_str(*key), weight)):
            bes[key] = weight
        return True

    def op_dump(self):
        if self.net_get and self.rng.random() < 0.25:
            self.ops += 1
            self.by_cmd["net_get"] = self.by_cmd.get("net_get", 0) + 1
            try:
                err, text, msgs, _ = self.nl.exchange(self.nl.family, CMD_NET_GET,
                                                      NLM_F_ACK)
            except NlError as e:
                self.error("net_get", str(e))
                return True
            if err:
                self.error("net_get", describe(err, text))
            elif not any(ATTR_NET in parse_attrs(m, 20) for m in msgs):
                self.error("net_get", "no L4LB_ATTR_NET in the answer")
            return True
        if self.rng.random() < 0.5:
            self.do_dump(CMD_VIP_GET, b"", "")
        else:
            v = self.rng.choice(self.targets).vip
            if self.extra_vips and self.rng.random() < 0.5:
                v = self.extra_vips[self.rng.choice(sorted(self.extra_vips))][0]
            self.do_dump(CMD_BACKEND_GET, v.attr(), str(v))
        return True

    OPS = (("op_vip_new", 10), ("op_vip_del", 8), ("op_extra_backend_new", 14),
           ("op_extra_backend_del", 11), ("op_backend_del", 12),
           ("op_backend_readd", 14), ("op_backend_set", 20), ("op_dump", 6))

    def step(self):
        names = [n for n, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        for _ in range(20):
            if getattr(self, self.rng.choices(names, weights)[0])():
                return
        self.op_dump()  # nothing else possible: still one operation

    # -- the end --

    def restore(self, extra_addrs):
        """Back to the configuration found at the start, from fresh dumps.

        Only what this process may have created is deleted: extra VIPs
        (the targets' addresses on --extra-ports) and backends from the
        extra pools or the churned ones; the rest is left alone.
        """
        ops0 = self.ops
        target_addrs = {(t.vip.family, t.vip.addr) for t in self.targets}
        try:
            now = dump_vips(self.nl)
        except NlError as e:
            self.error("restore", str(e))
            return 0, False
        for key, v in sorted(now.items()):
            if key in self.initial_vips:
                continue
            if (v.family, v.addr) in target_addrs and v.port in self.extra_ports:
                self.do(CMD_VIP_DEL, v.attr(), str(v))
        self.extra_vips.clear()
        for t in self.targets:
            try:
                have = dump_backends(self.nl, t.vip)
            except NlError as e:
                self.error("restore", str(e))
                continue
            for key in sorted(have):
                if key not in t.initial and key[0] in extra_addrs:
                    self.do(CMD_BACKEND_DEL,
                            t.vip.attr() + backend_attr(t.vip.family, *key),
                            "%s backend %s (restore)" % (t.vip, endpoint_str(*key)))
            for key, weight in sorted(t.initial.items()):
                if key not in t.churn:
                    continue
                if key not in have:
                    self.do(CMD_BACKEND_NEW,
                            t.vip.attr() + backend_attr(t.vip.family, *key, weight),
                            "%s backend %s weight %d (restore)" %
                            (t.vip, endpoint_str(*key), weight))
                elif have[key] != weight:
                    self.do(CMD_BACKEND_SET,
                            t.vip.attr() + backend_attr(t.vip.family, *key, weight),
                            "%s backend %s weight %d (restore)" %
                            (t.vip, endpoint_str(*key), weight))
            t.present = {k: t.initial[k] for k in t.churn}
            t.extras.clear()
        return self.ops - ops0, self.verify()

    def verify(self):
        ok = True
        try:
            now = dump_vips(self.nl)
            for key in self.initial_vips:
                if key not in now:
                    self.error("after restore", "VIP %s is gone" %
                               self.initial_vips[key])
                    ok = False
            for key, v in now.items():
                if key not in self.initial_vips and (v.family, v.addr) in \
                        {(t.vip.family, t.vip.addr) for t in self.targets} and \
                        v.port in self.extra_ports:
                    self.error("after restore", "extra VIP %s is left" % v)
                    ok = False
            for t in self.targets:
                have = dump_backends(self.nl, t.vip)
                if have != t.initial:
                    self.error("after restore", "backends of %s: %s, not %s" %
                               (t.vip, fmt_backends(have), fmt_backends(t.initial)))
                    ok = False
        except NlError as e:
            self.error("after restore", str(e))
            ok = False
        return ok


def fmt_backends(bes):
    return "{%s}" % ", ".join("%s weight %s" % (endpoint_str(*k), w)
                              for k, w in sorted(bes.items()))


def addr_list(values):
    out = []
    for v in values or []:
        out += [a for a in v.split(",") if a]
    return out


def parse_ports(s):
    lo, _, hi = s.partition("-")
    lo, hi = int(lo), int(hi or lo)
    if not 1 <= lo <= hi <= 65535:
        raise argparse.ArgumentTypeError("bad port range %r" % s)
    return list(range(lo, hi + 1))


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Configuration churn over the l4lb genetlink family.")
    p.add_argument("--vip4")
    p.add_argument("--vip6")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--proto", choices=PROTOS, default="tcp")
    p.add_argument("--proto4", choices=PROTOS)
    p.add_argument("--proto6", choices=PROTOS)
    p.add_argument("--backends4", action="append",
                   help="backends to churn, ADDR[,ADDR...] (default: all not kept)")
    p.add_argument("--backends6", action="append")
    p.add_argument("--keep", action="append",
                   help="backends never touched, ADDR[,ADDR...]")
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--rate", type=float, default=40,
                   help="operations per second at most")
    p.add_argument("--min-rate", type=float, default=0,
                   help="fail when fewer operations per second were done")
    p.add_argument("--extra-ports", type=parse_ports,
                   default=parse_ports("30000-30015"))
    p.add_argument("--seed", type=int)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--net-get", action="store_true",
                   help="read L4LB_CMD_NET_GET among the dumps")
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args(argv)
    if not a.vip4 and not a.vip6:
        p.error("give --vip4 and/or --vip6")
    if a.backends4 and not a.vip4 or a.backends6 and not a.vip6:
        p.error("--backends4/6 need --vip4/6")
    if a.rate <= 0 or a.duration < 0:
        p.error("--rate must be > 0, --duration >= 0")
    a.extra_ports = [x for x in a.extra_ports if x != a.port]
    return a


def ip_bytes(s, version):
    ip = ipaddress.ip_address(s)
    if ip.version != version:
        raise ValueError("%s is not an IPv%d address" % (s, version))
    return ip.packed


def setup(nl, a):
    """The targets, from the kernel's configuration; SystemExit if wrong."""
    initial_vips = dump_vips(nl)
    keep = set()
    for s in addr_list(a.keep):
        keep.add(ipaddress.ip_address(s).packed)
    targets = []
    for version, vaddr, bes_arg, proto, pool in (
            (4, a.vip4, a.backends4, a.proto4 or a.proto,
             [ipaddress.ip_address("192.0.2.%d" % i).packed for i in range(1, 41)]),
            (6, a.vip6, a.backends6, a.proto6 or a.proto,
             [ipaddress.ip_address("2001:db8:c::%x" % i).packed for i in range(1, 41)])):
        if not vaddr:
            continue
        fam = AF_INET if version == 4 else AF_INET6
        v = Vip(fam, ip_bytes(vaddr, version), a.port, PROTOS[proto])
        if v.key() not in initial_vips:
            raise SystemExit("nlchurn: VIP %s is not configured" % v)
        initial = dump_backends(nl, v)
        if bes_arg:
            wanted = {ip_bytes(s, version) for s in addr_list(bes_arg)}
            missing = wanted - {k[0] for k in initial}
            if missing:
                raise SystemExit("nlchurn: not backends of %s: %s" % (
                    v, ", ".join(str(ipaddress.ip_address(x)) for x in sorted(missing))))
        else:
            wanted = {k[0] for k in initial}
        churn = {k for k in initial if k[0] in wanted and k[0] not in keep}
        targets.append(Target(v, initial, churn, pool))
        keep -= {k[0] for k in initial}
    if keep:
        raise SystemExit("nlchurn: --keep: not backends of the VIPs: %s" % ", ".join(
            str(ipaddress.ip_address(x)) for x in sorted(keep)))
    return targets, initial_vips


def main(argv):
    a = parse_args(argv)
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    rng = random.Random(seed)
    try:
        nl = Genl(timeout=a.timeout)
        targets, initial_vips = setup(nl, a)
    except (NlError, ValueError) as e:
        print("nlchurn: %s" % e, file=sys.stderr)
        return 2
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 2
    extra_addrs = {x for t in targets for x in t.extra_pool}

    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))

    ch = Churner(nl, targets, initial_vips, a.extra_ports, rng, a.verbose)
    ch.net_get = a.net_get
    start = time.monotonic()
    end = start + a.duration
    next_t = start
    try:
        while not stop:
            now = time.monotonic()
            if now >= end:
                break
            if next_t > now:
                time.sleep(min(next_t - now, end - now, 0.2))
                continue
            ch.step()
            next_t += 1.0 / a.rate
            if next_t < time.monotonic() - 1.0:
                next_t = time.monotonic()  # late by a second: no burst
    except Exception as e:  # pylint: disable=broad-except
        traceback.print_exc()
        ch.error("internal error", repr(e))
    finally:
        seconds = time.monotonic() - start
        churn_ops = ch.ops
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        restore_ops, restored = ch.restore(extra_addrs)
    rate = churn_ops / seconds if seconds > 0 else 0.0
    print(json.dumps({"ops": churn_ops, "errors": ch.errors,
                      "rate": round(rate, 1), "by_cmd": ch.by_cmd,
                      "restore_ops": restore_ops, "restored": restored,
                      "dumps_interrupted": ch.dump_intr,
                      "seconds": round(seconds, 2), "seed": seed}), flush=True)
    if a.min_rate and rate < a.min_rate:
        print("nlchurn: %.1f operations per second, fewer than --min-rate %g"
              % (rate, a.min_rate), file=sys.stderr)
        return 1
    return 0 if ch.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
