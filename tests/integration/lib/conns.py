#!/usr/bin/env python3
"""Many client connections driven from one process, one command a line on
stdin, one answer line each on stdout (python starts slowly under TCG, so a
test keeps one of these per CPU rather than a process per connection).
Speaks to the traffic.py server protocol: NAME line, then an echo.

  open ID HOST PORT [src=ADDR] [timeout=S] [udp]
        connect (UDP: a connected socket, one datagram answered), keep it
        as ID; answers the backend's name, or "error WHY"
  xfer ID BYTES     send BYTES random bytes, read the echo: "intact" or
                    "broken WHY" (WHY: ECONNRESET, timeout, EOF, differs...)
  stream ID [pause=S]
                    exchange 16 KiB (UDP: 1 KiB) over and over in a thread,
                    S seconds apart (default 0), until "stop ID"; answers
                    "streaming"
  hammer ID HOST PORT [src=A,B,...] [udp]
                    new flows (connect, name, close) one after another in a
                    thread, from each source address in turn, until "stop"
  stop ID           stream: "intact N" (N exchanges) or "broken N WHY";
                    hammer: "ok=N refused=N timeout=N other=N"
  close ID          close it (FIN); answers "closed"
  closeall          close every connection; answers "closed N"
  hellos N HOST PORT [src=A,B,...] [timeout=S] [udp]
                    N new flows one after another, each closed once the name
                    arrived: the names (or WHY) on one line
  burst N HOST PORT [timeout=S]
                    N TCP connects started at once (non-blocking), each given
                    until the timeout: "ok=N refused=N timeout=N other=N"
  quit

WHY is an errno name (ECONNREFUSED for a RST to a SYN or an ICMP port
unreachable on a connected UDP socket, ECONNRESET), "timeout" or "EOF".
"""
import errno
import os
import select
import socket
import sys
import threading
import time


def why(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return str(e).replace(" ", "_") or type(e).__name__


def fam_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            raise OSError("EOF")
        buf += c
    return buf[:-1].decode(errors="replace")


class Conn:
    def __init__(self, host, port, src=None, timeout=5.0, udp=False):
        self.udp = udp
        self.sock = socket.socket(fam_of(host), socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if src:
            self.sock.bind((src, 0))
        self.sock.connect((host, port))
        self.thread = None
        self.result = None
        self.stopping = False
        self.pause = 0
        self.last = None
        if udp:
            self.name = self.exchange(b"hello", tries=max(1, int(timeout)))
        else:
            self.name = read_line(self.sock)
        self.sock.settimeout(5)

    def exchange(self, payload, tries=3):
        """UDP: one datagram and its answer, which must echo it."""
        if not self.udp:
            self.sock.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = self.sock.recv(min(262144, len(payload) - len(got)))
                if not chunk:
                    raise OSError("EOF")
                got += chunk
            if got != payload:
                raise OSError("differs")
            return None
        timeout = self.sock.gettimeout()
        self.sock.settimeout(1)
        try:
            for _ in range(tries):
                self.sock.send(payload)
                try:
                    data = self.sock.recv(65535)
                    # A late answer to the previous datagram sent twice
                    # (a retry after 1 s without answer): not this one's.
                    while data.partition(b"\n")[2] == self.last:
                        data = self.sock.recv(65535)
                except socket.timeout:
                    continue
                name, _, rest = data.partition(b"\n")
                if rest != payload:
                    raise OSError("differs")
                self.last = payload
                name = name.decode(errors="replace")
                if getattr(self, "name", None) not in (None, name):
                    raise OSError("moved_to_" + name)
                return name
            raise socket.timeout()
        finally:
            self.sock.settimeout(timeout)

    def xfer(self, n):
        payload = os.urandom(n)
        if self.udp:
            for off in range(0, n, 1024):
                self.exchange(payload[off:off + 1024])
            return
        # Send from a thread: the echo fills the socket buffers both ways.
        err = []

        def sender():
            try:
                self.sock.sendall(payload)
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        got = bytearray()
        try:
            while len(got) < n:
                chunk = self.sock.recv(min(262144, n - len(got)))
                if not chunk:
                    raise OSError("EOF")
                got += chunk
        finally:
            t.join(5)
        if err:
            raise err[0]
        if bytes(got) != payload:
            raise OSError("differs")

    def stream(self):
        n = 0
        size = 1024 if self.udp else 16384
        try:
            while not self.stopping:
                self.exchange(os.urandom(size))
                n += 1
                if self.pause:
                    time.sleep(self.pause)
            self.result = "intact %d" % n
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.result = "broken %d %s" % (n, why(e))


class Hammer:
    def __init__(self, host, port, srcs, udp):
        self.args = (host, port, srcs, udp)
        self.counts = {"ok": 0, "refused": 0, "timeout": 0, "other": 0}
        self.others = []
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        host, port, srcs, udp = self.args
        i = 0
        while not self.stopping:
            src = srcs[i % len(srcs)] if srcs else None
            i += 1
            try:
                c = Conn(host, port, src, timeout=3, udp=udp)
                c.sock.close()
                self.counts["ok"] += 1
            except Exception as e:  # noqa: BLE001
                w = why(e)
                key = {"ECONNREFUSED": "refused", "timeout": "timeout"}.get(w, "other")
                self.counts[key] += 1
                if key == "other" and len(self.others) < 3:
                    self.others.append(w)

    def report(self):
        return " ".join("%s=%d" % kv for kv in self.counts.items()) + \
            ("" if not self.others else " " + ",".join(self.others))


def burst(n, host, port, timeout):
    socks = []
    for _ in range(n):
        s = socket.socket(fam_of(host), socket.SOCK_STREAM)
        s.setblocking(False)
        socks.append(s)
    dest = (host, port)
    res = {"ok": 0, "refused": 0, "timeout": 0, "other": 0}
    pending = {}
    for s in socks:
        rc = s.connect_ex(dest)
        if rc in (errno.EINPROGRESS, 0):
            pending[s.fileno()] = s
        else:
            res["refused" if rc == errno.ECONNREFUSED else "other"] += 1
    end = time.monotonic() + timeout
    poll = select.poll()
    for fd in pending:
        poll.register(fd, select.POLLOUT)
    while pending:
        left = end - time.monotonic()
        if left <= 0:
            break
        for fd, _ in poll.poll(left * 1000):
            s = pending.pop(fd)
            poll.unregister(fd)
            rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            key = "ok" if rc == 0 else "refused" if rc == errno.ECONNREFUSED else "other"
            res[key] += 1
    res["timeout"] = len(pending)
    for s in socks:
        s.close()
    return " ".join("%s=%d" % kv for kv in res.items())


def main():
    conns, hammers = {}, {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], [w for w in words[1:] if "=" not in w and w != "udp"]
        kw = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        udp = "udp" in words[1:]
        timeout = float(kw.get("timeout", 5))
        srcs = kw["src"].split(",") if "src" in kw else []
        try:
            if cmd == "open":
                try:
                    c = Conn(args[1], int(args[2]), kw.get("src"), timeout, udp)
                    conns[args[0]] = c
                    out = c.name
                except Exception as e:  # noqa: BLE001
                    out = "error " + why(e)
            elif cmd == "xfer":
                try:
                    conns[args[0]].xfer(int(args[1]))
                    out = "intact"
                except Exception as e:  # noqa: BLE001
                    out = "broken " + why(e)
            elif cmd == "stream":
                c = conns[args[0]]
                c.pause = float(kw.get("pause", 0))
                c.thread = threading.Thread(target=c.stream, daemon=True)
                c.thread.start()
                out = "streaming"
            elif cmd == "hammer":
                hammers[args[0]] = Hammer(args[1], int(args[2]), srcs, udp)
                out = "hammering"
            elif cmd == "stop":
                if args[0] in hammers:
                    h = hammers.pop(args[0])
                    h.stopping = True
                    h.thread.join(10)
                    out = h.report()
                else:
                    c = conns[args[0]]
                    c.stopping = True
                    c.thread.join(15)
                    out = c.result or "broken 0 stuck"
            elif cmd == "close":
                conns.pop(args[0]).sock.close()
                out = "closed"
            elif cmd == "closeall":
                out = "closed %d" % len(conns)
                for c in conns.values():
                    c.sock.close()
                conns.clear()
            elif cmd == "hellos":
                names = []
                for i in range(int(args[0])):
                    src = srcs[i % len(srcs)] if srcs else None
                    try:
                        c = Conn(args[1], int(args[2]), src, timeout, udp)
                        names.append(c.name)
                        c.sock.close()
                    except Exception as e:  # noqa: BLE001
                        names.append(why(e))
                out = " ".join(names)
            elif cmd == "burst":
                out = burst(int(args[0]), args[1], int(args[2]), timeout)
            elif cmd == "quit":
                break
            else:
                out = "unknown command " + cmd
        except (KeyError, IndexError, ValueError) as e:
            out = "bad command: %s (%s)" % (line.strip(), why(e))
        print(out, flush=True)


if __name__ == "__main__":
    main()
