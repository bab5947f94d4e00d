#!/usr/bin/env python3
"""A netlink fuzzer for the l4lb generic netlink family.

Sends --count messages (default 100000) built from a seeded PRNG: random
commands (the known ones, NET_GET, 0 and unknown numbers), random flags
(with and without NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP...), random genl
versions, and random attributes: well-formed VIP and backend keys, wrong
types and sizes, garbage types, random nesting depth, attribute lengths that
lie (0, below the header, odd, larger or smaller than the payload), and
whole messages whose header is truncated or whose nlmsg_len lies. Several
messages go in one datagram, as the kernel allows.

The test's configuration is never touched: every well-formed VIP key (and
every 4- or 16-byte address) is in 198.18.0.0/15 or 2001:2::/48, the
benchmarking ranges; and no datagram is sent in which the kernel would find
a request for another netlink family (checked by parsing it as the kernel
does). What the fuzzer created there is deleted every --cleanup-every
messages and at the end, with well-formed deletes of those ranges only.
The test compares `l4ctl -j show` before and after.

Every datagram is followed by a NLMSG_NOOP request with NLM_F_ACK, a
barrier: its ack says every earlier message was handled. Replies are read
up to it (and any dump to its NLMSG_DONE), so the socket never fills up.
Every wait has a timeout (--timeout); sendmsg errors (ENOBUFS, EINVAL,
EMSGSIZE...) and receive overruns are counted, not fatal.

    nlfuzz.py [--count N] [--seed S] [--batch B] [--timeout S]
              [--max-depth D] [--cleanup-every N] [--no-cleanup] [-v]

The seed is printed on stderr first ("nlfuzz: seed S"): the same seed sends
the same messages again (what the kernel answers does not change them).
At the end one line of JSON on stdout:

    {"sent": N, "acked_ok": N, "errors": {"EINVAL": N, ...}, "seed": S,
     "replies": N, "dumps_done": N, "send_errors": {"ENODATA": N, ...},
     "timeouts": N, "rx_overruns": N, "skipped": N,
     "cleanup": {"deleted": N, "left": N, "strangers": N},
     "seconds": S, "rate": MSGS_PER_S}

sent counts messages in datagrams the kernel took (send_errors counts the
datagrams it refused, skipped the messages never sent because of another
family); acked_ok the acks with error 0; errors the error acks and failed
dump ends, by errno name; replies the data messages (dump parts, NET_GET
answers). cleanup.strangers: VIPs that appeared during the run outside
the fuzzer's ranges (named on stderr, left alone; nothing else should be
changing the configuration meanwhile).
Exit status: 0 when the run ended and nothing of the fuzzer's is left;
1 when the kernel stopped answering (more than --max-timeouts barriers
unanswered), a well-formed dump failed afterwards, the cleanup left VIPs
or strangers appeared; 2 when it could not start (l4lb not loaded).

--family-id N sends to that genetlink family id instead of resolving
"l4lb" (for trying the fuzzer itself where l4lb is not loaded: an unused id
makes the kernel answer ENOENT to everything); use with --no-cleanup.
"""
import argparse
import errno
import ipaddress
import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from nlchurn import (  # noqa: E402
    CMD_VIP_DEL, CMD_VIP_GET, NLM_F_MULTI, NLMSG_DONE, FamilyMissing, Genl,
    NlError, decode_vip, describe, errname, split_messages)
from rawnl import (  # noqa: E402
    AF_INET, AF_INET6, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR)

NLMSG_NOOP = 1
NLMSG_MIN_TYPE = 0x10
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
BARRIER_SEQ = 0x80000000     # barriers: seq | this; fuzz messages below it

NET4 = ipaddress.ip_network("198.18.0.0/15")
NET6 = ipaddress.ip_network("2001:2::/48")
# A few addresses and ports, so that adds, deletes and sets meet objects
# that exist; now and then anything in the ranges.
ADDRS4 = [(NET4[0] + i).packed for i in range(1, 5)]
ADDRS6 = [(NET6[0] + i).packed for i in range(1, 5)]
PORTS = (1, 80)
KNOWN_CMDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12)  # not NET_SET (10): it would change the defaults the test compares


def in_ranges(addr):
    ip = ipaddress.ip_address(addr)
    return ip in (NET4 if ip.version == 4 else NET6)


class Gen:
    """Message generator. Only self.rng decides: same seed, same bytes.

    A third of the messages are clean: a known command with well-formed
    attributes (keys of the small sets below), so that the handlers' paths
    past validation run too (success, EEXIST, ENOENT, backends of VIPs that
    exist). The rest mix valid-looking and broken parts at random.
    """

    def __init__(self, rng, family, max_depth):
        self.rng, self.family, self.max_depth = rng, family, max_depth
        self.r = rng.random
        self.ri = rng.randint
        self.bad = 1.0      # 0 while a clean message is built

    def p(self, prob):
        """True with probability @prob, never in a clean message."""
        return self.bad and self.r() < prob

    # -- attributes --

    def nla(self, kind, payload):
        """An attribute, now and then with a length that lies.

        A lie never claims an address's length (4 or 16 bytes) for another
        length: swallowing or cutting bytes must not turn an address of the
        benchmarking ranges into a valid address outside them.
        """
        n = real = 4 + len(payload)
        pad = b"\0" * (-n % 4)
        if self.p(0.04):
            c = self.ri(0, 7)
            if c == 0:
                n = 0
            elif c == 1:
                n = self.ri(1, 3)               # shorter than the header
            elif c == 2:
                n = max(n - self.ri(1, 3), 0)   # cuts the payload
            elif c == 3:
                n += self.ri(1, 3)              # runs into the padding
            elif c == 4:
                n += self.ri(4, 64)             # into the next attribute
            elif c == 5:
                n = 0xffff
            else:
                n = self.ri(0, 0xffff)
            if n != real and n in (8, 20):
                n = 0xffff
        return struct.pack("=HH", n & 0xffff, kind & 0xffff) + payload + pad

    def addr(self, family):
        """Always in the benchmarking ranges when 4 or 16 bytes long."""
        r = self.r()
        if not self.bad or r < 0.9:
            if family == AF_INET6:
                return self.rng.choice(ADDRS6) if self.r() < 0.95 else \
                    (NET6[0] + self.rng.getrandbits(80)).packed
            return self.rng.choice(ADDRS4) if self.r() < 0.95 else \
                (NET4[0] + self.rng.getrandbits(17)).packed
        if r < 0.95:    # the other family's length
            return self.addr(AF_INET if family == AF_INET6 else AF_INET6)
        return self.rng.randbytes(self.rng.choice((0, 1, 3, 5, 8, 15, 17, 20, 32)))

    def num(self, kind, fmt, value):
        """A number attribute, its size wrong now and then."""
        if self.p(0.06):
            fmt = self.rng.choice(("=B", "=H", "=I", "=Q", ""))
            if not fmt:
                return self.nla(kind, b"")
            value &= (1 << (8 * struct.calcsize(fmt))) - 1
        return self.nla(kind, struct.pack(fmt, value))

    def key_attrs(self, family):
        """FAMILY, ADDR, PORT (the same types in a VIP and a backend)."""
        ri = self.ri
        out = []
        if not self.p(0.08):
            out.append(self.num(2, "=H", ri(0, 0xffff) if self.p(0.1) else family))
        if not self.p(0.08):
            out.append(self.nla(3, self.addr(family)))
        if not self.p(0.08):
            port = ri(0, 0xffff) if self.p(0.1) else self.rng.choice(PORTS)
            out.append(self.num(4, ">H", port))
        return out

    def vip_nest(self, cmd, family, depth):
        """The VIP nest; clean, it has SCHED and MODE only for VIP_NEW/SET."""
        ri = self.ri
        out = self.key_attrs(family)
        if not self.p(0.08):
            out.append(self.num(5, "=B", ri(0, 255) if self.p(0.1)
                                else self.rng.choice((6, 17))))
        extras = self.bad or cmd in (1, 9)
        if extras and self.r() < 0.2:   # SCHED
            s = b"rr\0"
            if self.p(0.7):
                s = (b"\0", b"rr", b"x" * ri(1, 40) + b"\0", b"wrr\0",
                     self.rng.randbytes(ri(0, 20)))[ri(0, 4)]
            out.append(self.nla(6, s))
        if extras and self.r() < 0.15:  # MODE
            out.append(self.num(7, "=B", (ri(0, 3) if self.r() < 0.8 else ri(0, 255))
                                if self.bad else 0))
        if self.p(0.05):     # STATS, refused in requests
            out.append(self.nest(8, depth + 1))
        out += self.junk(depth, 0.08)
        return self.nested(1, out)

    def backend_nest(self, cmd, family, depth):
        """The backend nest; clean, WEIGHT only for BACKEND_NEW and SET."""
        out = self.key_attrs(family)
        if self.bad:
            weight = self.r() < 0.7
        else:
            weight = cmd == 6 or cmd == 4 and self.r() < 0.7
        if weight:
            if self.bad:
                w = self.rng.choice((0, 1, 2, 10, 65535, 65536, 0xffffffff)) \
                    if self.r() < 0.8 else self.ri(0, 0xffffffff)
            else:
                w = self.rng.choice((0, 1, 2, 10, 65535))
            out.append(self.num(5, "=I", w))
        if self.p(0.05):
            out.append(self.nest(6, depth + 1))
        out += self.junk(depth, 0.08)
        return self.nested(2, out)

    def nested(self, kind, attrs):
        if self.r() < 0.1:
            self.rng.shuffle(attrs)
        if attrs and self.r() < 0.05:
            attrs.append(self.rng.choice(attrs))    # a duplicate
        return self.nla(kind | (0 if self.p(0.05) else NLA_F_NESTED),
                        b"".join(attrs))

    def nest(self, kind, depth):
        """A nest of random attributes, nests in it down to max_depth."""
        inner = []
        for _ in range(self.ri(0, 3)):
            if depth < self.max_depth and self.r() < 0.3:
                inner.append(self.nest(self.ri(0, 12), depth + 1))
            else:
                inner.append(self.garbage())
        return self.nla(kind | (NLA_F_NESTED if self.r() < 0.7 else 0),
                        b"".join(inner))

    def garbage(self):
        kind = self.ri(0, 12) if self.r() < 0.8 else self.ri(0, 0xffff)
        n = self.rng.choice((0, 1, 2, 3, 4, 5, 7, 8, 16, 17, 33)) \
            if self.r() < 0.95 else self.ri(0, 3000)
        if n in (4, 16):
            payload = self.addr(AF_INET if n == 4 else AF_INET6)
        else:
            payload = self.rng.randbytes(n)
        return self.nla(kind, payload)

    def junk(self, depth, prob):
        out = []
        while self.p(prob):
            if depth < self.max_depth and self.r() < 0.3:
                out.append(self.nest(self.ri(0, 12), depth + 1))
            else:
                out.append(self.garbage())
        return out

    def top_attrs(self, cmd):
        r = self.r
        family = AF_INET if r() < 0.5 else AF_INET6
        out = []
        if cmd in (1, 2, 4, 5, 6, 7, 9) and not self.p(0.2) or self.p(0.4):
            out.append(self.vip_nest(cmd, family, 1))
        if cmd in (4, 5, 6) and not self.p(0.2) or self.p(0.2):
            if self.p(0.05):
                family = AF_INET if family == AF_INET6 else AF_INET6
            out.append(self.backend_nest(cmd, family, 1))
        if self.p(0.05):
            out.append(self.nest(3, 1))         # NET: replies only
        out += self.junk(0, 0.15)
        if r() < 0.1:
            self.rng.shuffle(out)
        return b"".join(out)

    # -- messages --

    def flags(self, cmd):
        f = 0 if self.p(0.05) else NLM_F_REQUEST
        if self.r() < 0.6:
            f |= NLM_F_ACK
        if self.bad:
            if self.r() < 0.25:
                f |= 0x300                      # NLM_F_DUMP
            elif self.r() < 0.05:
                f |= self.rng.choice((0x100, 0x200))
            if self.r() < 0.05:
                f |= 0x8                        # NLM_F_ECHO
            if self.r() < 0.03:
                f |= self.rng.getrandbits(16)
        elif cmd in (3, 7):
            f |= 0x300
        return f

    def message(self, seq):
        """(bytes, ends the datagram?): one message, maybe malformed."""
        r, ri = self.r, self.ri
        self.bad = 0.0 if r() < 0.33 else 1.0
        c = r()
        if not self.bad or c < 0.65:
            cmd = self.rng.choice(KNOWN_CMDS)
        elif c < 0.72:
            cmd = 0
        else:
            cmd = ri(10, 255)
        version = ri(0, 255) if self.p(0.1) else 1
        reserved = ri(0, 0xffff) if self.p(0.05) else 0
        attrs = b"" if self.p(0.07) else self.top_attrs(cmd)
        kind = ri(0, NLMSG_MIN_TYPE - 1) if self.p(0.02) else self.family
        body = struct.pack("=BBH", cmd, version, reserved) + attrs
        if self.p(0.02):
            body = body[:ri(0, 3)]              # no whole genl header
        length = 16 + len(body)
        last = False
        c = r() if self.bad else 1.0
        if c < 0.03:
            length = ri(0, 15)                  # below the netlink header
            last = True
        elif c < 0.05:
            length += ri(1, 200)                # beyond the datagram
            last = True
        elif c < 0.08:
            length = ri(16, length)             # cuts the attributes
        msg = struct.pack("=IHHII", length, kind, self.flags(cmd), seq, 0) + body
        if self.p(0.02):
            msg = msg[:ri(0, 15)]               # a truncated header
            last = True
        return msg, last


def foreign(data, family):
    """Would the kernel find, in this datagram, a request for another
    genetlink family? (netlink_rcv_skb's walk, reinterpretations included.)
    """
    off, n = 0, len(data)
    while n - off >= 16:
        length, kind, flags = struct.unpack_from("=IHH", data, off)
        if length < 16 or length > n - off:
            return False
        if flags & NLM_F_REQUEST and kind >= NLMSG_MIN_TYPE and kind != family:
            return True
        off += (length + 3) & ~3
    return False


class Fuzzer:
    def __init__(self, nl, args, seed):
        self.nl, self.a = nl, args
        self.rng = random.Random(seed)
        self.gen = Gen(self.rng, nl.family, args.max_depth)
        self.seq = 0
        self.barrier = 0
        self.sent = self.acked_ok = self.replies = self.dumps_done = 0
        self.timeouts = self.rx_overruns = self.stale = self.skipped = 0
        self.errors, self.send_errors = {}, {}
        self.dump_open = False
        self.before = set()
        self.deleted = 0

    def count(self, table, err):
        name = errname(err)
        table[name] = table.get(name, 0) + 1

    def datagram(self, want):
        """Up to @want messages in one datagram: (bytes or None, how many).

        None when the kernel would find a request for another family in it
        (a lying nlmsg_len makes it read one from our attributes): then
        the messages are not sent, only counted as skipped.
        """
        parts = []
        for _ in range(want):
            self.seq = (self.seq + 1) % BARRIER_SEQ or 1
            msg, last = self.gen.message(self.seq)
            parts.append(msg)
            if last:
                break
        data = b"".join(msg + b"\0" * (-len(msg) % 4) for msg in parts[:-1]) + parts[-1]
        if foreign(data, self.nl.family):
            self.skipped += len(parts)
            return None, len(parts)
        return data, len(parts)

    def read_until(self, seq, deadline):
        """Handle answers until the barrier @seq is acked (True)."""
        done = False
        while not done or self.dump_open:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.nl.sock.settimeout(left)
            try:
                data = self.nl.sock.recv(1 << 17)
            except socket.timeout:
                continue
            except OSError as e:
                if e.errno == errno.ENOBUFS:    # answers were lost
                    self.rx_overruns += 1
                    self.dump_open = False
                    continue
                raise
            for kind, flags, mseq, m in split_messages(data):
                if mseq & BARRIER_SEQ:
                    if mseq == seq:
                        done = True
                    else:
                        self.stale += 1
                    continue
                if kind == NLMSG_ERROR:
                    err = struct.unpack_from("=i", m, 16)[0] if len(m) >= 20 else 0
                    if err:
                        self.count(self.errors, err)
                    else:
                        self.acked_ok += 1
                elif kind == NLMSG_DONE:
                    self.dump_open = False
                    err = struct.unpack_from("=i", m, 16)[0] if len(m) >= 20 else 0
                    if err < 0:
                        self.count(self.errors, err)
                    else:
                        self.dumps_done += 1
                else:
                    self.replies += 1
                    if flags & NLM_F_MULTI:
                        self.dump_open = True
        return True

    def send(self, data):
        try:
            self.nl.sock.send(data)
            return True
        except OSError as e:
            self.count(self.send_errors, e.errno)
            return False

    def sync(self):
        """The barrier: True once everything sent before was answered."""
        self.barrier = (self.barrier + 1) % BARRIER_SEQ
        seq = BARRIER_SEQ | self.barrier
        noop = struct.pack("=IHHII", 16, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK,
                           seq, 0)
        if not self.send(noop):
            return False
        if self.read_until(seq, time.monotonic() + self.a.timeout):
            return True
        self.timeouts += 1
        self.dump_open = False
        print("nlfuzz: no answer within %gs after message %d (seed %d)" %
              (self.a.timeout, self.seq, self.a.seed), file=sys.stderr)
        return False

    def run(self):
        left = self.a.count
        next_cleanup = self.a.cleanup_every
        attempted = 0
        while left > 0:
            data, n = self.datagram(min(left, self.rng.randint(1, self.a.batch)))
            left -= n
            attempted += n
            if data is None:
                continue
            if self.send(data):
                self.sent += n
            self.sync()
            if self.timeouts > self.a.max_timeouts:
                print("nlfuzz: the kernel stopped answering; giving up",
                      file=sys.stderr)
                return False
            if self.a.verbose and attempted % 10000 < n:
                print("nlfuzz: %d messages" % attempted, file=sys.stderr)
            if not self.a.no_cleanup and next_cleanup <= attempted < self.a.count:
                next_cleanup += self.a.cleanup_every
                try:
                    self.cleanup()
                except NlError as e:
                    print("nlfuzz: cleanup: %s" % e, file=sys.stderr)
        return True

    def vips(self):
        err, text, msgs = self.nl.dump_consistent(CMD_VIP_GET)
        if err:
            raise NlError("VIP dump: %s" % describe(err, text))
        return [v for v in map(decode_vip, msgs)
                if v and v.family in (AF_INET, AF_INET6) and len(v.addr) in (4, 16)]

    def snapshot(self):
        """The VIPs before the run, to tell of any other one that appears."""
        self.before = {v.key() for v in self.vips()}

    def strangers(self):
        """VIPs neither there before nor in our ranges (never deleted)."""
        return [v for v in self.vips()
                if v.key() not in self.before and not in_ranges(v.addr)]

    def cleanup(self):
        """Delete every VIP in the benchmarking ranges; how many are left."""
        self.sync()     # nothing of ours in flight
        for _ in range(3):
            mine = [v for v in self.vips() if in_ranges(v.addr)]
            if not mine:
                return 0
            for v in mine:
                err, text = self.nl.request(CMD_VIP_DEL, v.attr())
                if err == 0:
                    self.deleted += 1
                elif err != -errno.ENOENT:
                    print("nlfuzz: cleanup: deleting %s: %s" %
                          (v, describe(err, text)), file=sys.stderr)
        return len(mine)


def main(argv):
    p = argparse.ArgumentParser(description="Fuzz the l4lb genetlink family.")
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--seed", type=int)
    p.add_argument("--batch", type=int, default=8,
                   help="messages per datagram at most")
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--max-timeouts", type=int, default=10)
    p.add_argument("--max-depth", type=int, default=6)
    p.add_argument("--cleanup-every", type=int, default=10000)
    p.add_argument("--no-cleanup", action="store_true")
    p.add_argument("--family-id", type=int)
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args(argv)
    if a.count < 0 or a.batch < 1 or a.cleanup_every < 1:
        p.error("--count >= 0, --batch >= 1, --cleanup-every >= 1")
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1 << 32)
    print("nlfuzz: seed %d" % a.seed, file=sys.stderr, flush=True)
    try:
        nl = Genl(timeout=a.timeout, family_id=a.family_id)
    except FamilyMissing as e:
        print("nlfuzz: %s" % e, file=sys.stderr)
        return 2
    except (NlError, OSError) as e:
        print("nlfuzz: %s" % e, file=sys.stderr)
        return 2

    fz = Fuzzer(nl, a, a.seed)
    if not a.no_cleanup:
        try:
            fz.snapshot()
        except NlError as e:
            print("nlfuzz: %s" % e, file=sys.stderr)
            return 2
    start = time.monotonic()
    status = 0
    if not fz.run():
        status = 1
    seconds = time.monotonic() - start
    cleanup = None
    if not a.no_cleanup:
        try:
            left = fz.cleanup()
            strangers = fz.strangers()
            cleanup = {"deleted": fz.deleted, "left": left,
                       "strangers": len(strangers)}
            if left:
                print("nlfuzz: %d VIPs of the fuzzer are left" % left,
                      file=sys.stderr)
                status = 1
            for v in strangers:
                print("nlfuzz: VIP %s appeared outside the fuzzer's ranges "
                      "(left alone)" % v, file=sys.stderr)
                status = 1
        except NlError as e:
            print("nlfuzz: cleanup: %s" % e, file=sys.stderr)
            status = 1
    print(json.dumps({
        "sent": fz.sent, "acked_ok": fz.acked_ok, "errors": fz.errors,
        "seed": a.seed, "replies": fz.replies, "dumps_done": fz.dumps_done,
        "send_errors": fz.send_errors, "timeouts": fz.timeouts,
        "rx_overruns": fz.rx_overruns, "skipped": fz.skipped,
        "cleanup": cleanup, "seconds": round(seconds, 2),
        "rate": round(fz.sent / seconds, 1) if seconds > 0 else 0.0,
    }, sort_keys=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
