#!/usr/bin/env python3
"""ICMP errors as the sockets they concern see them (IP_RECVERR).

  icmperr.py client HOST PORT [--ttl N] [--timeout S]
      A UDP socket connected to HOST PORT (with --ttl: that TTL / hop
      limit) sends a datagram, once a second, until an ICMP error about it
      is queued on the socket. The kernel queues it only if the error's
      quoted packet is this socket's (source, destination, ports), after a
      valid ICMP checksum. Prints one JSON object: errno, origin
      (2 ICMP, 3 ICMPv6), type, code, info (the MTU of a "too big"),
      offender (the error's source address), dest (the quoted destination
      [address, port]); or {"error": "..."} after --timeout seconds.

  icmperr.py server --port P --out FILE [--delay S]
      UDP servers (IPv4 and IPv6) on port P that answer each datagram with
      "NAME\\n" + it after --delay seconds (default 0.5) and append every
      ICMP error queued on them to FILE, one JSON object a line.
      NAME is the hostname-independent --name (default "srv").

  icmperr.py fire HOST PORT
      Send one datagram from a new socket and close it at once (a reply
      then finds the port closed: the client's kernel answers it with a
      port unreachable). Prints the source port.
"""
import json
import os
import select
import socket
import struct
import sys
import time

IP_RECVERR, IPV6_RECVERR = 11, 25
SOL_IP, SOL_IPV6 = 0, 41


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def enable_recverr(s):
    if s.family == socket.AF_INET6:
        s.setsockopt(SOL_IPV6, IPV6_RECVERR, 1)
    else:
        s.setsockopt(SOL_IP, IP_RECVERR, 1)


def read_error(s):
    """One queued error as a dict, or None."""
    try:
        _, anc, _, addr = s.recvmsg(2048, 1024, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return None
    for level, kind, data in anc:
        if (level, kind) not in ((SOL_IP, IP_RECVERR), (SOL_IPV6, IPV6_RECVERR)):
            continue
        errno_, origin, etype, code, _, info, _ = struct.unpack_from("=IBBBBII", data)
        off = data[16:]
        offender = None
        fam = struct.unpack_from("=H", off)[0] if len(off) >= 2 else 0
        if fam == socket.AF_INET:
            offender = socket.inet_ntop(socket.AF_INET, off[4:8])
        elif fam == socket.AF_INET6:
            offender = socket.inet_ntop(socket.AF_INET6, off[8:24])
        return {"errno": errno_, "origin": origin, "type": etype, "code": code,
                "info": info, "offender": offender,
                "dest": [addr[0], addr[1]] if addr else None}
    return None


def client(argv):
    host, port = argv[0], int(argv[1])
    ttl, timeout = None, 5.0
    rest = argv[2:]
    while rest:
        k = rest.pop(0)
        if k == "--ttl":
            ttl = int(rest.pop(0))
        elif k == "--timeout":
            timeout = float(rest.pop(0))
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    enable_recverr(s)
    if ttl is not None:
        if s.family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.connect((host, port))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            s.send(b"icmperr probe")
        except OSError:
            pass  # a previous error may be reported here too: read it below
        t = time.monotonic() + 1
        while time.monotonic() < min(t, end):
            select.select([], [], [s], 0.1)
            e = read_error(s)
            if e:
                print(json.dumps(e))
                return 0
            try:
                s.recv(2048, socket.MSG_DONTWAIT)
            except OSError:
                pass
    print(json.dumps({"error": "no ICMP error queued in %.0fs" % timeout}))
    return 1


def server(argv):
    opts = {"--delay": "0.5", "--name": "srv"}
    while argv:
        k = argv.pop(0)
        opts[k] = argv.pop(0)
    port, delay = int(opts["--port"]), float(opts["--delay"])
    socks = []
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        enable_recverr(s)
        s.bind((addr, port))
        socks.append(s)
    pending = []  # (due, sock, data, peer)
    out = open(opts["--out"], "a")
    while True:
        wait = max(0.0, min([p[0] for p in pending], default=time.monotonic() + 1) - time.monotonic())
        r, _, x = select.select(socks, [], socks, wait)
        for s in set(r) | set(x):
            e = read_error(s)
            while e:
                out.write(json.dumps(e) + "\n")
                out.flush()
                e = read_error(s)
            try:
                data, peer = s.recvfrom(65535, socket.MSG_DONTWAIT)
                pending.append((time.monotonic() + delay, s, data, peer))
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass  # an error was reported through recvfrom: read above
        now = time.monotonic()
        for p in [p for p in pending if p[0] <= now]:
            pending.remove(p)
            try:
                p[1].sendto(opts["--name"].encode() + b"\n" + p[2], p[3])
            except OSError:
                pass


def fire(argv):
    host, port = argv[0], int(argv[1])
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.connect((host, port))
    s.send(b"fire and forget")
    print(s.getsockname()[1])
    s.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("client", "server", "fire"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit({"client": client, "server": server, "fire": fire}[sys.argv[1]](sys.argv[2:]) or 0)
