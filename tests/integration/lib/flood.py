#!/usr/bin/env python3
"""Spoofed-source flood: one packet from each of N distinct (address, port)
pairs, as raw Ethernet frames (nothing of the sender's own stack involved).

    flood.py --iface IF --dst-mac MAC --dst ADDR --dport PORT
             [--proto tcp|udp] [--pairs N] [--rate PPS] [--net A.B.C.D/LEN]
             [--seed S] [--first K] [--start-file F] [--done-file F]

TCP: a SYN; UDP: a 5-byte datagram ("flood"). The pairs are drawn without
repetition from --net (default 198.18.0.0/15) x ports 1024-65535 with
--seed (same seed, same pairs: --first K resends the first K of them).
--rate: packets per second (0: as fast as the path takes them). Prints one
JSON line: {"sent", "distinct", "seconds", "pps"}. --start-file and
--done-file get time.monotonic() (CLOCK_MONOTONIC, shared by every process
of the machine) when the first packet goes out and after the last one.
IPv4 only.
"""
import itertools
import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402

OPTIONS = {"iface": str, "dst-mac": str, "dst": str, "dport": int, "proto": str,
           "pairs": int, "rate": float, "net": str, "seed": int, "first": int,
           "start-file": str, "done-file": str}


def parse(argv):
    o = {"proto": "tcp", "pairs": 40000, "rate": 0.0, "net": "198.18.0.0/15",
         "seed": 1, "first": 0, "start-file": None, "done-file": None}
    while argv:
        a = argv.pop(0)
        if a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        name = a[2:]
        if not a.startswith("--") or name not in OPTIONS or not argv:
            sys.exit("flood.py: bad argument %s" % a)
        o[name] = OPTIONS[name](argv.pop(0))
    for req in ("iface", "dst-mac", "dst", "dport"):
        if req not in o:
            sys.exit("flood.py: --%s is required" % req)
    return o


def pairs(o):
    net, plen = o["net"].split("/")
    base = struct.unpack("!I", socket.inet_aton(net))[0]
    naddr = 1 << (32 - int(plen))
    nport = 65536 - 1024
    if o["pairs"] > naddr * nport:
        sys.exit("flood.py: --net too small for --pairs")
    rng = random.Random(o["seed"])
    for k in rng.sample(range(naddr * nport), o["pairs"]):
        yield base + k // nport, 1024 + k % nport


def frames(o, link):
    """Ethernet frames, built from one template with incremental checksums."""
    udp = o["proto"] == "udp"
    dst = o["dst"]
    proto = pkt.IPPROTO_UDP if udp else pkt.IPPROTO_TCP
    payload = b"flood" if udp else b""
    # Template with source 0.0.0.0:0; the checksums of the template are
    # then completed with each source's words.
    if udp:
        seg = pkt.udp("0.0.0.0", dst, 0, o["dport"], payload, csum=0)
    else:
        seg = pkt.tcp("0.0.0.0", dst, 0, o["dport"], flags=pkt.SYN, seq=0x5EED0000,
                      win=64240, options=b"\x02\x04\x05\xb4", csum=0)
    ip = pkt.ipv4("0.0.0.0", dst, proto, seg, ident=0, csum=0)
    tmpl = bytearray(link.frame(ip))
    ip_sum = pkt.csum_add(ip[:20])
    l4_sum = pkt.csum_add(seg, pkt.csum_add(pkt.pseudo(b"\0" * 4, pkt.addr_bytes(dst),
                                                       proto, len(seg))))
    l4_off = 14 + 20
    csum_off = l4_off + (6 if udp else 16)
    rng = random.Random(o["seed"] + 1)
    for src, sport in pairs(o):
        f = tmpl[:]
        ident = rng.getrandbits(16)
        words = (src >> 16) + (src & 0xFFFF)
        struct.pack_into("!H", f, 18, ident)
        struct.pack_into("!H", f, 24, ~pkt.csum_fold(ip_sum + words + ident) & 0xFFFF)
        struct.pack_into("!I", f, 26, src)
        struct.pack_into("!H", f, l4_off, sport)
        c = ~pkt.csum_fold(l4_sum + words + sport) & 0xFFFF
        if udp and c == 0:
            c = 0xFFFF
        struct.pack_into("!H", f, csum_off, c)
        yield bytes(f)


def stamp(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%.6f\n" % time.monotonic())
        os.rename(path + ".tmp", path)


def main():
    o = parse(sys.argv[1:])
    link = pkt.Link(o["iface"], o["dst-mac"])
    todo = list(itertools.islice(frames(o, link), o["first"] or None))
    sock = link.sock
    rate = o["rate"]
    batch = max(1, int(rate * 0.005)) if rate else 64
    sent = 0
    stamp(o["start-file"])
    t0 = time.monotonic()
    for i in range(0, len(todo), batch):
        for f in todo[i:i + batch]:
            while True:
                try:
                    sock.send(f)
                    break
                except (BlockingIOError, OSError):
                    time.sleep(0.001)  # ENOBUFS: let the path catch up
            sent += 1
        if rate:
            ahead = t0 + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    t1 = time.monotonic()
    stamp(o["done-file"])
    print(json.dumps({"sent": sent, "distinct": len({f[26:30] + f[34:36] for f in todo}), "seconds": round(t1 - t0, 2),
                      "pps": round(sent / max(t1 - t0, 1e-6))}), flush=True)


if __name__ == "__main__":
    main()
