#!/usr/bin/env python3
"""A real client measuring a service while something (a flood) runs.

    probe.py --service NAME=HOST:PORT/tcp|udp [--service ...]
             --start-file F --done-file F [--warmup S] [--after S]
             [--timeout S] [--out FILE]

Waits for --start-file (written by flood.py when it starts), sleeps
--warmup seconds (the flood fills the table meanwhile), then connects to
each service in turn, over and over, like a real client: TCP connect with
a --timeout second connect timeout (the kernel retransmits the SYN after
1 s, as any client's would), read the backend's name line; UDP: send a
datagram, wait 1 s for the reply, up to --timeout tries. It keeps going
until --after seconds after the flood's end (--done-file). Each attempt is
recorded with its start and end (CLOCK_MONOTONIC, as flood.py writes it).

Prints one JSON object (and writes it to --out): per service
  during: [ok, total]    attempts that started after warm-up and ended
                         before the flood ended
  after:  [[t, ok], ...] attempts started after the end (t: seconds since)
  recovery: seconds after the flood's end from which every attempt of the
            service succeeded (0.0: all of them did)
  errors: a few error messages
"""
import json
import socket
import sys
import time


def read_stamp(path):
    try:
        with open(path) as f:
            return float(f.read())
    except (OSError, ValueError):
        return None


def attempt_tcp(host, port, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(64)
            if not chunk:
                raise OSError("connection closed before the name line")
            buf += chunk
        return buf.decode(errors="replace").strip()


def attempt_udp(host, port, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    payload = b"probe %f" % time.monotonic()
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(max(1, int(timeout))):
            s.sendto(payload, (host, port))
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                continue
            if peer[0] != host or peer[1] != port:
                raise OSError("reply from %s port %d" % peer[:2])
            name, _, rest = data.partition(b"\n")
            if rest != payload:
                raise OSError("bad reply %r" % data[:60])
            return name.decode(errors="replace")
        raise OSError("no UDP reply in %d tries" % int(timeout))


def main(argv):
    services, o = [], {"warmup": 3.0, "after": 10.0, "timeout": 3.0, "out": None}
    while argv:
        a = argv.pop(0)
        if a == "--service":
            name, _, rest = argv.pop(0).partition("=")
            hostport, _, proto = rest.rpartition("/")
            host, _, port = hostport.rpartition(":")
            services.append((name, host.strip("[]"), int(port), proto))
        elif a in ("--start-file", "--done-file", "--out"):
            o[a[2:]] = argv.pop(0)
        elif a in ("--warmup", "--after", "--timeout"):
            o[a[2:]] = float(argv.pop(0))
        else:
            sys.exit("probe.py: bad argument %s" % a)
    while read_stamp(o["start-file"]) is None:
        time.sleep(0.05)
    begin = read_stamp(o["start-file"]) + o["warmup"]
    while time.monotonic() < begin:
        time.sleep(0.05)
    log = {name: [] for name, *_ in services}
    errors = {name: [] for name, *_ in services}
    end = None
    while end is None or time.monotonic() < end + o["after"]:
        for name, host, port, proto in services:
            t0 = time.monotonic()
            try:
                (attempt_tcp if proto == "tcp" else attempt_udp)(host, port, o["timeout"])
                ok = True
            except OSError as e:
                ok = False
                if len(errors[name]) < 5:
                    errors[name].append("%s at %.1f" % (e, t0 - begin))
            log[name].append((t0, time.monotonic(), ok))
        if end is None:
            end = read_stamp(o["done-file"])
    result = {}
    for name, *_ in services:
        during = [ok for t0, t1, ok in log[name] if t1 < end]
        after = [(round(t0 - end, 2), ok) for t0, t1, ok in log[name] if t0 >= end]
        recovery = 0.0
        for t, ok in after:
            if not ok:
                recovery = None
            elif recovery is None:
                recovery = t
        result[name] = {"during": [sum(during), len(during)], "after": after,
                        "recovery": recovery if recovery is not None else -1,
                        "errors": errors[name]}
    text = json.dumps(result)
    if o["out"]:
        with open(o["out"], "w") as f:
            f.write(text + "\n")
    print(text, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
