#!/usr/bin/env python3
"""Check the ICMP errors in a sniff.py capture.

    icmpcap.py FILE --type T/C[,T/C...] [--outer-src A] [--outer-dst A]
               [--inner-src A] [--inner-sport P] [--inner-dst A]
               [--inner-dport P] [--mtu N] [--min N]

Selects the ICMP/ICMPv6 errors of the given type/code pairs (e.g. 3/4 is
IPv4 "fragmentation needed", 2/0 IPv6 "packet too big") and checks each:
the outer IPv4 header checksum and the ICMP checksum are valid, the quoted
(inner) IPv4 header checksum is valid, the quoted transport checksum is
valid when the quoted packet is complete, and every given field matches
(--mtu: the MTU the error announces). Prints a summary line; exit status
0 when at least --min (default 1) errors were selected and all are right.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402


def check(ip, want):
    """(selected, problems) for one captured IP packet."""
    p = pkt.parse_ip(ip)
    if p.error or p.proto not in (pkt.IPPROTO_ICMP, pkt.IPPROTO_ICMPV6) or p.l4 + 8 > len(ip):
        return False, []
    itype, icode = ip[p.l4], ip[p.l4 + 1]
    if (itype, icode) not in want["types"]:
        return False, []
    bad = []
    if not p.ip_csum_ok:
        bad.append("outer IPv4 header checksum")
    if not pkt.l4_csum_ok(ip, p):
        bad.append("ICMP checksum")
    for key, val in (("outer-src", p.src), ("outer-dst", p.dst)):
        if want.get(key) and want[key] != val:
            bad.append("%s %s, wanted %s" % (key, val, want[key]))
    if want.get("mtu"):
        mtu = struct.unpack_from("!H", ip, p.l4 + 6)[0] if p.version == 4 else \
            struct.unpack_from("!I", ip, p.l4 + 4)[0]
        if mtu != int(want["mtu"]):
            bad.append("MTU %d, wanted %s" % (mtu, want["mtu"]))
    inner = ip[p.l4 + 8:pkt.ip_payload_end(ip, p)]
    q = pkt.parse_ip(inner)
    if q.src is None:
        return True, bad + ["quoted packet unreadable: %s" % q.error]
    if q.version == 4 and len(inner) >= (inner[0] & 0xF) * 4 and \
            pkt.checksum(inner[:(inner[0] & 0xF) * 4]) != 0:
        bad.append("quoted IPv4 header checksum")
    sport, dport = pkt.ports(inner, q)
    for key, val in (("inner-src", q.src), ("inner-dst", q.dst),
                     ("inner-sport", sport), ("inner-dport", dport)):
        if want.get(key) and str(want[key]) != str(val):
            bad.append("%s %s, wanted %s" % (key, val, want[key]))
    declared = struct.unpack_from("!H", inner, 2)[0] if q.version == 4 else \
        40 + struct.unpack_from("!H", inner, 4)[0]
    if declared <= len(inner) and not q.is_fragment and q.proto in (pkt.IPPROTO_TCP, pkt.IPPROTO_UDP):
        if not pkt.l4_csum_ok(inner, q):
            bad.append("quoted transport checksum")
    return True, bad


def main(argv):
    path = argv.pop(0)
    want = {"types": set(), "min": "1"}
    while argv:
        k = argv.pop(0)[2:]
        v = argv.pop(0)
        if k == "type":
            for tc in v.split(","):
                t, c = tc.split("/")
                want["types"].add((int(t), int(c)))
        else:
            want[k] = v
    n, problems = 0, []
    for frame, pkttype, status, length in pkt.read_records(path):
        ip = pkt.frame_ip(frame)
        if ip is None:
            continue
        selected, bad = check(ip, want)
        if selected:
            n += 1
            if bad:
                problems.append("; ".join(bad))
    print("%d ICMP error(s) of type %s, %d wrong%s" % (
        n, ",".join("%d/%d" % tc for tc in sorted(want["types"])), len(problems),
        (": " + " | ".join(sorted(set(problems))[:4])) if problems else ""))
    return 0 if n >= int(want["min"]) and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
