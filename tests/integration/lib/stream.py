#!/usr/bin/env python3
"""Long-lived flows that check every exchange, for concurrency tests.

    stream.py [--tcp HOST:PORT]... [--udp HOST:PORT]... --duration S
              [--chunk BYTES] [--out FILE] [--no-check]

Opens one TCP connection per --tcp and one UDP socket (one source port, so
one flow) per --udp (IPv6 hosts in brackets: [fd00::10]:80), then, until
--duration seconds have passed, takes the flows in turn: TCP sends --chunk
random bytes (default 4096) and reads them back (traffic.py serve echoes);
UDP sends a datagram and reads the reply, which must come from HOST:PORT,
carry the same backend name as the flow's first reply and the datagram
itself. A flow is broken by the first wrong byte, reset, close, or 5 s
without an answer (UDP: 3 tries of 1 s first). Broken flows are not used
again.

Prints (and writes to --out) one JSON object: {"flows": [{"proto", "to",
"backend", "ok", "broken", "why"}], "exchanges": N, "seconds": S}.
--no-check: keep going when flows break (load for an rmmod): exit 0.
Exit status: 0 when no flow broke.
"""
import json
import os
import socket
import sys
import time


def hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            raise OSError("closed before the name line")
        buf += c
    return buf[:-1].decode(errors="replace")


class Flow:
    def __init__(self, proto, to):
        self.proto, self.to = proto, to
        self.host, self.port = hostport(to)
        self.backend, self.ok, self.broken, self.why = None, 0, False, None
        self.sock = socket.socket(fam(self.host),
                                  socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        self.sock.settimeout(5)
        if proto == "tcp":
            self.sock.connect((self.host, self.port))
            self.backend = read_line(self.sock)
        else:
            self.sock.connect((self.host, self.port))

    def exchange(self, chunk):
        if self.proto == "tcp":
            data = os.urandom(chunk)
            self.sock.sendall(data)
            got = b""
            while len(got) < len(data):
                c = self.sock.recv(len(data) - len(got))
                if not c:
                    raise OSError("connection closed")
                got += c
            if got != data:
                raise OSError("echo differs")
            return
        data = os.urandom(32)
        self.sock.settimeout(1)
        for _ in range(3):
            self.sock.send(data)
            try:
                reply = self.sock.recv(2048)
            except socket.timeout:
                continue
            name, _, body = reply.partition(b"\n")
            name = name.decode(errors="replace")
            if body != data:
                raise OSError("reply differs")
            if self.backend is None:
                self.backend = name
            elif name != self.backend:
                raise OSError("reply from %s, the flow was on %s" % (name, self.backend))
            return
        raise OSError("no UDP reply in 3 tries")


def main(argv):
    specs, duration, chunk, out, check = [], 10.0, 4096, None, True
    while argv:
        a = argv.pop(0)
        if a in ("--tcp", "--udp"):
            specs.append((a[2:], argv.pop(0)))
        elif a == "--duration":
            duration = float(argv.pop(0))
        elif a == "--chunk":
            chunk = int(argv.pop(0))
        elif a == "--out":
            out = argv.pop(0)
        elif a == "--no-check":
            check = False
        else:
            sys.exit("stream.py: bad argument %s" % a)
    flows = []
    for proto, to in specs:
        try:
            flows.append(Flow(proto, to))
        except OSError as e:
            f = Flow.__new__(Flow)
            f.proto, f.to, f.backend, f.ok, f.broken, f.why = proto, to, None, 0, True, \
                "connect: %s" % e
            flows.append(f)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < duration and not all(f.broken for f in flows):
        for f in flows:
            if f.broken:
                continue
            try:
                f.exchange(chunk)
                f.ok += 1
                n += 1
            except OSError as e:
                f.broken, f.why = True, "%s after %d exchanges at %.1fs" % (
                    e or type(e).__name__, f.ok, time.monotonic() - t0)
    result = {"flows": [{"proto": f.proto, "to": f.to, "backend": f.backend, "ok": f.ok,
                         "broken": f.broken, "why": f.why} for f in flows],
              "exchanges": n, "seconds": round(time.monotonic() - t0, 1)}
    text = json.dumps(result)
    if out:
        with open(out, "w") as fh:
            fh.write(text + "\n")
    print(text, flush=True)
    return 0 if not check or not any(f.broken for f in flows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
