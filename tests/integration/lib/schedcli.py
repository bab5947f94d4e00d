#!/usr/bin/env python3
"""A client that stays up for a whole test: commands on stdin, one answer
line each on stdout. Python starts slowly under TCG (~1 s with its
imports), and the scheduler test makes hundreds of connections and reads
the counters dozens of times. Run it in the client namespace; it speaks
the traffic.py server protocol (NAME line, then an echo of all input).

SPEC is SRC (any source port) or SRC/SPORT; HOST a bare address.

  conn HOST PORT SPEC...       one TCP connection per SPEC, in turn: connect,
                               read the name line, close with a RST (no
                               TIME_WAIT: the same SRC/SPORT may come
                               again at once). Answer: the names, or
                               !ERRNO (e.g. !ECONNREFUSED, !TIMEOUT)
  hold ID HOST PORT SPEC...    as conn, but the connections stay open
  finish ID TIMEOUT            each held connection: send 64 KiB, shut down
                               the write side, read the echo to EOF within
                               TIMEOUT s. Answer: intact|broken per
                               connection
  stream ID HOST PORT SPEC...  TCP connections sending 4 KiB every 20 ms
                               (threads), reading the echo as it comes.
                               Answer: the names
  stop ID                      end the streams: shut down the write side,
                               read the rest. Answer per stream:
                               intact:BYTES or broken:REASON
  tcp HOST PORT TIMEOUT        one connect: ok:NAME, refused, timeout or
                               !ERRNO, then how long it took (e.g. 12ms)
  udp HOST PORT TIMEOUT        one datagram on a connected socket and its
                               answer: ok:NAME, refused (ICMP port
                               unreachable), timeout or !ERRNO, then how
                               long it took
  svc VIP PROTO SCHED "W1 W2 W3" [FLAG...]
                               over netlink (no process: each costs ~0.5 s
                               under TCG): delete the VIP if it exists, add
                               it with SCHED, FLAGs (sh-port, hash-src,
                               no-reject, syn-only) and the tcp-fin and
                               tcp-close timeouts at 600 s, then backends
                               10.0.1.1-3:8080 (an IPv6 VIP:
                               [fd00:1::1-3]:8080) of these weights.
                               Answer: ok or !error:...
  state VIP PROTO BACKEND STATE  over netlink: the backend's state
                               (up, drain, down). Answer: ok or !error:...
  stats KEY...                 `l4ctl -j stats` in the lb namespace: the
                               values (missing if absent)
  be VIP PROTO KEY             `l4ctl -j backend show VIP proto PROTO`:
                               beN=VALUE for each backend (10.0.1.N,
                               fd00:1::N), KEY a stat or a backend key
  vip VIP PROTO KEY            a key of the VIP in `l4ctl -j vip show`
  l4 ARGS...                   l4ctl ARGS in the lb namespace: ok, or
                               !STATUS:first line of its error
l4ctl runs in the lb namespace without nsenter (another process start):
this process enters it (setns) for the fork and comes back.
  smooth NAMES... / W...       picks in order, then "/", then weights
                               (be1=3 be2=2 ...): in every window of k
                               consecutive picks (k = 2 .. the weights'
                               sum), no backend more than floor(k * w /
                               total) + 1 times. Answer: ok, or the first
                               window that is not
  spread COUNTS... / WEIGHTS... / sigma K
  spread COUNTS... / WEIGHTS... / rel R A
                               counts (be1=N ...) against the weights' shares
                               of their sum: each within K standard
                               deviations of a binomial draw, or within
                               R * expected + A. Answer: ok (with the
                               bounds), or what is out
  quit
"""
import ctypes
import errno
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawnl as r  # noqa: E402

L4CTL = os.environ.get("L4CTL", "l4ctl")
LB_NS = "/run/netns/lb"
LINGER0 = b"\x01\0\0\0\0\0\0\0"  # SO_LINGER on, 0 s: close() sends a RST


def fam_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def parse_spec(spec):
    src, _, sport = spec.partition("/")
    return src, int(sport or 0)


def errname(e):
    if isinstance(e, socket.timeout):
        return "TIMEOUT"
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def connect(host, port, spec, timeout=5.0):
    src, sport = parse_spec(spec)
    s = socket.socket(fam_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    if sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((src, sport))
        s.connect((host, port))
        return s, read_line(s)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        s.close()
        raise


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            raise OSError(errno.ECONNRESET, "closed before the name line")
        buf += chunk
    return buf.decode(errors="replace").strip()


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    s.close()


def cmd_conn(args):
    host, port, out = args[0], int(args[1]), []
    for spec in args[2:]:
        try:
            s, name = connect(host, port, spec)
            rst_close(s)
            out.append(name)
        except OSError as e:
            out.append("!" + errname(e))
    return " ".join(out)


HELD = {}


def cmd_hold(args):
    ident, host, port, out, socks = args[0], args[1], int(args[2]), [], []
    for spec in args[3:]:
        try:
            s, name = connect(host, port, spec)
            socks.append(s)
            out.append(name)
        except OSError as e:
            socks.append(None)
            out.append("!" + errname(e))
    HELD[ident] = socks
    return " ".join(out)


def exchange(s, timeout):
    payload = os.urandom(65536)
    s.settimeout(timeout)
    got = []
    err = []

    def sender():
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got.append(chunk)
    except OSError:
        return "broken"
    t.join(timeout)
    return "intact" if not err and b"".join(got) == payload else "broken"


def cmd_finish(args):
    ident, timeout, out = args[0], float(args[1]), []
    for s in HELD.pop(ident, []):
        if s is None:
            out.append("broken")
            continue
        out.append(exchange(s, timeout))
        rst_close(s)
    return " ".join(out)


class Stream:
    """A TCP connection sending 4 KiB every 20 ms until told to stop."""

    def __init__(self, host, port, spec):
        self.sock, self.name = connect(host, port, spec)
        self.sock.settimeout(10)
        self.sent = bytearray()
        self.got = bytearray()
        self.error = None
        self.stopping = threading.Event()
        self.tx = threading.Thread(target=self.send, daemon=True)
        self.rx = threading.Thread(target=self.recv, daemon=True)
        self.tx.start()
        self.rx.start()

    def send(self):
        try:
            while not self.stopping.is_set():
                chunk = os.urandom(4096)
                self.sock.sendall(chunk)
                self.sent += chunk
                time.sleep(0.02)
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.error = self.error or "send: " + errname(e)

    def recv(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                self.got += chunk
        except OSError as e:
            self.error = self.error or "recv: " + errname(e)

    def stop(self):
        self.stopping.set()
        self.tx.join(15)
        self.rx.join(15)
        rst_close(self.sock)
        if self.error:
            return "broken:" + self.error
        if self.rx.is_alive():
            return "broken:no-eof"
        if self.got != self.sent:
            return "broken:sent-%d-got-%d" % (len(self.sent), len(self.got))
        return "intact:%d" % len(self.sent)


STREAMS = {}


def cmd_stream(args):
    ident, host, port, out = args[0], args[1], int(args[2]), []
    STREAMS[ident] = []
    for spec in args[3:]:
        try:
            st = Stream(host, port, spec)
            STREAMS[ident].append(st)
            out.append(st.name)
        except OSError as e:
            out.append("!" + errname(e))
    return " ".join(out)


def cmd_stop(args):
    return " ".join(st.stop() for st in STREAMS.pop(args[0], []))


def timed(fn, *args):
    """fn's answer and, after a blank, how long it took in ms."""
    t0 = time.monotonic()
    answer = fn(*args)
    return "%s %dms" % (answer, (time.monotonic() - t0) * 1000)


def try_tcp(host, port, timeout):
    try:
        s, name = connect(host, port, "::" if ":" in host else "0.0.0.0",
                          timeout)
        rst_close(s)
        return "ok:" + name
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "refused" if e.errno == errno.ECONNREFUSED else "!" + errname(e)


def try_udp(host, port, timeout):
    with socket.socket(fam_of(host), socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((host, port))
            s.send(b"hello")
            data = s.recv(2048)
            return "ok:" + data.partition(b"\n")[0].decode(errors="replace")
        except socket.timeout:
            return "timeout"
        except OSError as e:
            return "refused" if e.errno == errno.ECONNREFUSED else "!" + errname(e)


def cmd_tcp(args):
    return timed(try_tcp, args[0], int(args[1]), float(args[2]))


def cmd_udp(args):
    return timed(try_udp, args[0], int(args[1]), float(args[2]))


CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)
HOME_NS = os.open("/proc/self/ns/net", os.O_RDONLY)


class InLB:
    """with InLB(): this thread is in the lb namespace meanwhile."""

    def __enter__(self):
        fd = os.open(LB_NS, os.O_RDONLY)
        try:
            if LIBC.setns(fd, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns lb")
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        if LIBC.setns(HOME_NS, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "setns back")


def l4ctl(*args):
    with InLB():
        p = subprocess.run([L4CTL] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


# Netlink (uapi/linux/l4lb.h), for what changes often.
VIP_TIMEOUTS, VIP_FLAGS = 14, 15
TIMEOUT_TCP_FIN, TIMEOUT_TCP_CLOSE = 5, 6
BE_STATE = 7
STATES = {"up": 0, "drain": 1, "down": 2}
VIP_FLAG_BITS = {"sh-port": 0x2, "hash-src": 0x4, "no-reject": 0x8,
                 "syn-only": 0x20}
NL = {}


def nl_request(cmd, attrs):
    if "sock" not in NL:
        with InLB():
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                 r.NETLINK_GENERIC)
        sock.setsockopt(r.SOL_NETLINK, r.NETLINK_EXT_ACK, 1)
        NL.update(sock=sock, fam=r.family_id(sock), seq=100)
    NL["seq"] += 1
    body = struct.pack("=BBH", r.CMD[cmd], 1, 0) + attrs
    NL["sock"].send(struct.pack("=IHHII", 16 + len(body), NL["fam"],
                                r.NLM_F_REQUEST | r.NLM_F_ACK, NL["seq"], 0) + body)
    while True:
        data = NL["sock"].recv(65536)
        length, kind, flags, seq = struct.unpack_from("=IHHI", data)
        if kind == r.NLMSG_ERROR and seq == NL["seq"]:
            break
    err = -struct.unpack_from("=i", data, 16)[0]
    if err:
        raise OSError(err, "%s %s: %s" % (cmd, os.strerror(err),
                                          r.ack_message(data, 0, length, flags, True)))


def endpoint(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    fam = fam_of(host)
    return (r.AF_INET6 if fam == socket.AF_INET6 else r.AF_INET,
            socket.inet_pton(fam, host), int(port))


def nl_vip(text, proto, *extra):
    fam, addr, port = endpoint(text)
    return r.nest(r.ATTR_VIP, r.u16(r.VIP_FAMILY, fam), r.nla(r.VIP_ADDR, addr),
                  r.be16(r.VIP_PORT, port),
                  r.u8(r.VIP_PROTO, {"tcp": r.TCP, "udp": r.UDP}[proto]), *extra)


def nl_backend(text, *extra):
    fam, addr, port = endpoint(text)
    return r.nest(r.ATTR_BACKEND, r.u16(r.BE_FAMILY, fam),
                  r.nla(r.BE_ADDR, addr), r.be16(r.BE_PORT, port), *extra)


def cmd_svc(args):
    vip, proto, sched, weights = args[0], args[1], args[2], args[3:6]
    flags = 0
    for f in args[6:]:
        flags |= VIP_FLAG_BITS[f]
    try:
        nl_request("VIP_DEL", nl_vip(vip, proto))
    except OSError as e:
        if e.errno != errno.ENOENT:
            raise
    nl_request("VIP_NEW", nl_vip(
        vip, proto, r.nla(r.VIP_SCHED, sched.encode() + b"\0"),
        r.u32(VIP_FLAGS, flags),
        r.nest(VIP_TIMEOUTS, r.u32(TIMEOUT_TCP_FIN, 600),
               r.u32(TIMEOUT_TCP_CLOSE, 600))))
    form = "[fd00:1::%d]:8080" if vip.startswith("[") else "10.0.1.%d:8080"
    for i, w in enumerate(weights, 1):
        nl_request("BACKEND_NEW", nl_vip(vip, proto) + nl_backend(
            form % i, r.u32(r.BE_WEIGHT, int(w))))
    return "ok"


def cmd_state(args):
    vip, proto, be, state = args
    nl_request("BACKEND_SET", nl_vip(vip, proto) +
               nl_backend(be, r.u8(BE_STATE, STATES[state])))
    return "ok"


def l4json(*args):
    rc, out, err = l4ctl("-j", *args)
    if rc:
        raise OSError("l4ctl %s: %s" % (" ".join(args), err.strip()))
    return json.loads(out)


def cmd_stats(args):
    doc = l4json("stats")
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    return " ".join(str(doc.get(k, "missing")) for k in args)


def be_name(addr):
    return "be" + addr.rsplit(".", 1)[-1] if "." in addr else \
        "be" + addr.rsplit(":", 1)[-1]


def value(obj, key):
    if key in obj.get("stats", {}):
        return obj["stats"][key]
    v = obj.get(key, "missing")
    return str(v).lower() if isinstance(v, bool) else v


def cmd_be(args):
    vip, proto, key = args
    doc = l4json("backend", "show", vip, "proto", proto)
    items = sorted((be_name(b["address"]), value(b, key)) for b in doc)
    return " ".join("%s=%s" % kv for kv in items)


def cmd_vip(args):
    vip, proto, key = args
    host, _, port = vip.rpartition(":")
    host = host.strip("[]")
    for v in l4json("vip", "show"):
        if v["address"] == host and v["port"] == int(port) and v["proto"] == proto:
            return str(value(v, key))
    return "missing"


def cmd_l4(args):
    rc, _, err = l4ctl(*args)
    if rc:
        return "!%d:%s" % (rc, (err.strip().splitlines() or [""])[0])
    return "ok"


def cmd_smooth(args):
    cut = args.index("/")
    picks = args[:cut]
    weights = {k: int(v) for k, v in (a.split("=") for a in args[cut + 1:])}
    total = sum(weights.values())
    for k in range(2, total + 1):
        for i in range(len(picks) - k + 1):
            win = picks[i:i + k]
            for be, w in weights.items():
                if win.count(be) > k * w // total + 1:
                    return "picks %d-%d: %s has %d of %d" % (
                        i + 1, i + k, be, win.count(be), k)
    return "ok"


def cmd_spread(args):
    parts = " ".join(args).split("/")
    counts = {k: int(v) for k, v in (a.split("=") for a in parts[0].split())}
    weights = {k: int(v) for k, v in (a.split("=") for a in parts[1].split())}
    mode = parts[2].split()
    n, total = sum(counts.values()), sum(weights.values())
    bounds, bad = [], []
    for be, w in sorted(weights.items()):
        p = w / total
        exp = n * p
        if mode[0] == "sigma":
            dev = float(mode[1]) * (n * p * (1 - p)) ** 0.5
        else:
            dev = float(mode[1]) * exp + float(mode[2])
        got = counts.get(be, 0)
        bounds.append("%s %.1f+-%.1f" % (be, exp, dev))
        if abs(got - exp) > dev:
            bad.append("%s=%d" % (be, got))
    extra = set(counts) - set(weights)
    if extra:
        bad.append("unexpected " + " ".join(sorted(extra)))
    return ("ok " if not bad else "out: " + " ".join(bad) + "; bounds ") + \
        ", ".join(bounds)


COMMANDS = {
    "conn": cmd_conn, "hold": cmd_hold, "finish": cmd_finish,
    "stream": cmd_stream, "stop": cmd_stop, "tcp": cmd_tcp, "udp": cmd_udp,
    "stats": cmd_stats, "be": cmd_be, "vip": cmd_vip, "l4": cmd_l4,
    "smooth": cmd_smooth, "spread": cmd_spread, "svc": cmd_svc,
    "state": cmd_state,
}


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            answer = COMMANDS[words[0]](words[1:])
        except Exception as e:  # the test goes on and reports it
            answer = "!error:%s:%s" % (type(e).__name__, str(e).replace("\n", " "))
        print(answer, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
