#!/usr/bin/env python3
"""Malformed (and a few well-formed control) packets to a VIP, and the
check of what the backends received.

  malformed.py send --iface IF --dst-mac MAC --manifest FILE
                    --flow4 PORT --flow6 PORT
      From the client: send every case below as raw frames (nothing of the
      client's stack involved) to the VIPs 10.0.0.10 / fd00::10 port 80, and
      write FILE: what each case is, what it expects, and the packet a
      correct forward would carry. --flow4/--flow6: source ports of UDP flows
      the client opened before (client -> VIP:80), which the ICMP cases quote.
      Prints one line per case.

  malformed.py check --manifest FILE --capture BE_ADDR4,BE_ADDR6=FILE ...
      Check the backends' captures (sniff.py --incoming on their eth0):
      every packet from the client must be one of the cases (IPv4 id /
      IPv6 flow label 0x4d00 + case number) and a correct rewrite of it:
      the destination address and port changed to this backend's, the TTL /
      hop limit one less, nothing else changed (options, extension headers,
      payload), every checksum right (a zero IPv4 UDP checksum stays zero);
      ICMP errors translated (quoting the backend's own address and port).
      Cases expected to be dropped must not arrive at all, the well-formed
      controls must arrive. Prints the findings; exit status 1 on any.

Case expectations: "drop" (must not be forwarded), "must" (a well-formed
control, must arrive), "any" (odd but legal: may be dropped, must be right
if forwarded).
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402

C4, V4 = "10.0.0.2", "10.0.0.10"
C6, V6 = "fd00::2", "fd00::10"
VPORT, BPORT = 80, 8080
TAG = 0x4D00
SPORT0 = 47000


def cases(flow4, flow6):
    """(name, expect, kind, [IP packets to send], logical packet)."""
    out = []

    def add(name, expect, kind, packets, logical=None):
        out.append((name, expect, kind, packets, logical if logical is not None else packets[0]))

    def n():
        return len(out)

    def v4(proto, l4, **kw):
        kw.setdefault("ident", TAG + n())
        return pkt.ipv4(C4, V4, proto, l4, **kw)

    def v6(nh, payload, **kw):
        kw.setdefault("flow", TAG + n())
        return pkt.ipv6(C6, V6, nh, payload, **kw)

    def syn(src=C4, dst=V4, **kw):
        kw.setdefault("payload", b"")
        return pkt.tcp(src, dst, SPORT0 + n(), VPORT, flags=kw.pop("flags", pkt.SYN),
                       seq=0x4D000000 + n(), win=1024, **kw)

    def dgram(src=C4, dst=V4, payload=None, **kw):
        if payload is None:
            payload = b"MALF%03d" % n() + bytes(range(24))
        return pkt.udp(src, dst, SPORT0 + n(), VPORT, payload, **kw)

    T, U = pkt.IPPROTO_TCP, pkt.IPPROTO_UDP
    # ---------------------------------------------------------------- IPv4
    add("v4 SYN (control)", "must", "l4", [v4(T, syn())])
    add("v4 UDP (control)", "must", "l4", [v4(U, dgram())])
    add("v4 SYN with MSS option (control)", "must", "l4",
        [v4(T, syn(options=b"\x02\x04\x05\xb4"))])
    add("v4 UDP zero checksum (control)", "must", "l4", [v4(U, dgram(csum=0))])
    add("v4 TCP header cut at 10 bytes", "drop", "l4", [v4(T, syn()[:10])])
    add("v4 TCP doff 3", "drop", "l4", [v4(T, syn(doff=3))])
    add("v4 TCP doff 15 beyond the packet", "drop", "l4", [v4(T, syn(doff=15))])
    add("v4 TCP doff 8 beyond the packet by 4", "drop", "l4",
        [v4(T, syn(doff=8, options=b"\x01" * 12)[:24])])
    add("v4 TCP SYN+FIN+RST+PSH+URG", "any", "l4",
        [v4(T, syn(flags=pkt.SYN | pkt.FIN | pkt.RST | pkt.PSH | pkt.URG))])
    add("v4 TCP SYN with data", "any", "l4", [v4(T, syn(payload=b"MALF data in a SYN"))])
    add("v4 options NOP NOP NOP EOL", "any", "l4", [v4(T, syn(), options=b"\x01\x01\x01\x00")])
    add("v4 options 36 bytes of NOPs (ihl 14) + UDP", "any", "l4",
        [v4(U, dgram(), options=b"\x01" * 35 + b"\x00")])
    add("v4 ihl 4", "drop", "l4", [v4(T, syn(), ihl=4)])
    add("v4 ihl 15 beyond the packet", "drop", "l4", [v4(T, syn(), ihl=15)])
    p = v4(U, dgram())
    add("v4 total length longer than the packet", "drop", "l4", [v4(U, dgram(), tot_len=len(p) + 100)])
    p = v4(T, syn())
    add("v4 total length cuts the TCP header", "drop", "l4", [v4(T, syn(), tot_len=20 + 12)])
    p = v4(U, dgram())
    add("v4 trailing bytes past total length", "any", "l4", [p + b"\xee" * 12], p)
    add("v4 bad header checksum", "drop", "l4", [v4(T, syn(), csum=0x1234)])
    add("v4 version 5", "drop", "l4", [v4(T, syn(), version=5)])
    d = dgram()
    add("v4 UDP length longer than the packet", "drop", "l4", [v4(U, dgram(length=len(d) + 50))])
    add("v4 UDP length 7", "drop", "l4", [v4(U, dgram(length=7))])
    add("v4 UDP header cut at 4 bytes", "drop", "l4", [v4(U, dgram()[:4])])
    d = bytearray(dgram(payload=b"MALF" * 6, length=8 + 8, csum=0))
    struct.pack_into("!H", d, 6, pkt.l4_checksum(pkt.addr_bytes(C4), pkt.addr_bytes(V4), U,
                                                  bytes(d[:16])) or 0xFFFF)
    add("v4 UDP length shorter than the packet (the rest is padding)", "any", "l4",
        [v4(U, bytes(d))])
    # fragments of a 64-byte UDP datagram (ids TAG + case)
    d = dgram(payload=b"MALF fragmented " * 4)
    full = v4(U, d, frag=0)
    ident = TAG + n()
    add("v4 first fragment alone", "drop", "frag",
        [pkt.ipv4(C4, V4, U, d[:32], ident=ident, frag=0x2000)], full)
    d = dgram(payload=b"MALF fragmented " * 4)
    full = v4(U, d, frag=0)
    ident = TAG + n()
    add("v4 non-first fragment alone", "drop", "frag",
        [pkt.ipv4(C4, V4, U, d[32:], ident=ident, frag=4)], full)
    d = dgram(payload=b"MALF fragmented " * 4)
    full = v4(U, d, frag=0)
    ident = TAG + n()
    add("v4 fragments, complete (control)", "must", "frag",
        [pkt.ipv4(C4, V4, U, d[:32], ident=ident, frag=0x2000),
         pkt.ipv4(C4, V4, U, d[32:], ident=ident, frag=4)], full)
    # ICMP errors about the client's UDP flow (client:flow4 -> VIP:80): the
    # client's stack reports the VIP's reply undeliverable.
    inner = pkt.ipv4(V4, C4, U, pkt.udp(V4, C4, VPORT, flow4, b"MALF reply"), ident=1)
    add("v4 ICMP port unreachable about a flow (control)", "must", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, inner))])
    add("v4 ICMP quoting a bare IP header", "any", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, inner[:20]))])
    add("v4 ICMP quoting 4 bytes of UDP", "any", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, inner[:24]))])
    bad = bytearray(inner)
    bad[0] = 0x4F
    add("v4 ICMP quoting ihl 15", "drop", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, bytes(bad)))])
    add("v4 ICMP with a bad checksum", "drop", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, inner, csum=0x4D4D))])
    add("v4 ICMP header cut at 6 bytes", "drop", "icmp",
        [v4(pkt.IPPROTO_ICMP, pkt.icmp4(3, 3, inner)[:6])])

    # ---------------------------------------------------------------- IPv6
    add("v6 SYN (control)", "must", "l4", [v6(T, syn(C6, V6))])
    add("v6 UDP (control)", "must", "l4", [v6(U, dgram(C6, V6))])
    add("v6 UDP zero checksum", "drop", "l4", [v6(U, dgram(C6, V6, csum=0))])
    add("v6 TCP header cut at 12 bytes", "drop", "l4", [v6(T, syn(C6, V6)[:12])])
    add("v6 TCP doff 3", "drop", "l4", [v6(T, syn(C6, V6, doff=3))])
    add("v6 TCP doff 15 beyond the packet", "drop", "l4", [v6(T, syn(C6, V6, doff=15))])
    add("v6 UDP length 7", "drop", "l4", [v6(U, dgram(C6, V6, length=7))])
    add("v6 payload length longer than the packet", "drop", "l4",
        [v6(U, dgram(C6, V6), plen=len(dgram(C6, V6)) + 40)])
    add("v6 hop-by-hop + UDP", "any", "l4",
        [v6(pkt.IPPROTO_HOPOPTS, pkt.ext_opts(U) + dgram(C6, V6))])
    add("v6 hop-by-hop, dstopts, routing (segments left 0), dstopts + TCP", "any", "l4",
        [v6(pkt.IPPROTO_HOPOPTS, pkt.ext_opts(pkt.IPPROTO_DSTOPTS) +
            pkt.ext_opts(pkt.IPPROTO_ROUTING, 1) + pkt.ext_routing(pkt.IPPROTO_DSTOPTS) +
            pkt.ext_opts(T, 2) + syn(C6, V6))])
    add("v6 dstopts + UDP", "any", "l4",
        [v6(pkt.IPPROTO_DSTOPTS, pkt.ext_opts(U, 3) + dgram(C6, V6))])
    add("v6 hop-by-hop longer than the packet", "drop", "l4",
        [v6(pkt.IPPROTO_HOPOPTS, pkt.ext_opts(U, 0) + dgram(C6, V6))[:40] +
         bytes([U, 20]) + b"\x01\x04\0\0\0\0"])
    add("v6 dstopts then an unknown next header (253)", "drop", "l4",
        [v6(pkt.IPPROTO_DSTOPTS, pkt.ext_opts(253) + b"MALF" * 4)])
    add("v6 atomic fragment (offset 0, no more) + UDP", "any", "frag",
        [v6(pkt.IPPROTO_FRAGMENT, pkt.ext_frag(U, ident=TAG + n()) + dgram(C6, V6))],
        v6(U, dgram(C6, V6)))
    d = dgram(C6, V6, payload=b"MALF fragmented " * 4)
    full = v6(U, d)
    ident = TAG + n()
    add("v6 first fragment alone", "drop", "frag",
        [v6(pkt.IPPROTO_FRAGMENT, pkt.ext_frag(U, 0, True, ident) + d[:32])], full)
    d = dgram(C6, V6, payload=b"MALF fragmented " * 4)
    full = v6(U, d)
    ident = TAG + n()
    add("v6 non-first fragment alone", "drop", "frag",
        [v6(pkt.IPPROTO_FRAGMENT, pkt.ext_frag(U, 4, False, ident) + d[32:])], full)
    d = dgram(C6, V6, payload=b"MALF fragmented " * 4)
    full = v6(U, d)
    ident = TAG + n()
    add("v6 fragments, complete (control)", "must", "frag",
        [v6(pkt.IPPROTO_FRAGMENT, pkt.ext_frag(U, 0, True, ident) + d[:32]),
         v6(pkt.IPPROTO_FRAGMENT, pkt.ext_frag(U, 4, False, ident) + d[32:])], full)
    inner = pkt.ipv6(V6, C6, U, pkt.udp(V6, C6, VPORT, flow6, b"MALF reply"))

    def icmp6(payload, **kw):
        return pkt.icmp6(C6, V6, 1, 4, payload, **kw)
    add("v6 ICMPv6 port unreachable about a flow (control)", "must", "icmp",
        [v6(pkt.IPPROTO_ICMPV6, icmp6(inner))])
    add("v6 ICMPv6 quoting a bare IPv6 header", "any", "icmp",
        [v6(pkt.IPPROTO_ICMPV6, icmp6(inner[:40]))])
    add("v6 ICMPv6 quoting 4 bytes of UDP", "any", "icmp",
        [v6(pkt.IPPROTO_ICMPV6, icmp6(inner[:44]))])
    add("v6 ICMPv6 with a bad checksum", "drop", "icmp",
        [v6(pkt.IPPROTO_ICMPV6, icmp6(inner, csum=0x4D4D))])
    return out


def send(opts):
    link = pkt.Link(opts["iface"], opts["dst-mac"])
    manifest = []
    for i, (name, expect, kind, packets, logical) in enumerate(
            cases(int(opts["flow4"]), int(opts["flow6"]))):
        for p in packets:
            link.send_ip(p)
        manifest.append({"n": i, "name": name, "expect": expect, "kind": kind,
                         "logical": logical.hex()})
        print("%2d %-4s %s" % (i, expect, name))
    with open(opts["manifest"], "w") as f:
        json.dump(manifest, f)


# --------------------------------------------------------------- checking

def case_of(ip, p):
    if p.version == 4:
        return p.ident - TAG
    frag_ident = p.ident if p.is_fragment else None
    if frag_ident is not None and 0 <= frag_ident - TAG < 4096:
        return frag_ident - TAG
    return p.flow - TAG


def l4_span(ip, p):
    """The transport bytes as the packet's own length fields bound them."""
    return ip[p.l4:pkt.ip_payload_end(ip, p)]


def l4_valid(ip, p):
    """Is the TCP/UDP checksum right, as a receiver computes it (UDP: over
    the UDP length, when that is shorter than the IP payload)?"""
    seg = l4_span(ip, p)
    if p.proto == pkt.IPPROTO_UDP and len(seg) >= 8:
        ulen = struct.unpack_from("!H", seg, 4)[0]
        if 8 <= ulen <= len(seg):
            seg = seg[:ulen]
    src, dst = pkt.addr_bytes(p.src), pkt.addr_bytes(p.dst)
    return pkt.checksum(seg, pkt.csum_add(pkt.pseudo(src, dst, p.proto, len(seg)))) == 0


def compare(got, want, be_addr):
    """Problems of `got` as a DNAT forward of `want` to be_addr."""
    g, w = pkt.parse_ip(got), pkt.parse_ip(want)
    bad = []
    if g.error:
        return ["unparsable: %s" % g.error]
    if g.dst != be_addr:
        bad.append("destination %s, not the backend %s" % (g.dst, be_addr))
    if g.src != w.src:
        bad.append("source %s changed (sent %s)" % (g.src, w.src))
    if g.ttl != w.ttl - 1:
        bad.append("TTL %d (sent %d)" % (g.ttl, w.ttl))
    if g.version == 4:
        if not g.ip_csum_ok:
            bad.append("IPv4 header checksum")
        ihl = (want[0] & 0xF) * 4
        if got[:8] != want[:8] or got[9:10] != want[9:10] or got[20:ihl] != want[20:ihl] \
                or (got[0] & 0xF) * 4 != ihl:
            bad.append("IPv4 header fields or options changed")
    else:
        if got[:7] != want[:7]:
            bad.append("IPv6 version/class/flow/length/next header changed")
        if got[40:g.l4] != want[40:w.l4]:
            bad.append("IPv6 extension headers changed")
    gs, ws = l4_span(got, g), l4_span(want, w)
    if g.proto in (pkt.IPPROTO_TCP, pkt.IPPROTO_UDP):
        minimum = 20 if g.proto == pkt.IPPROTO_TCP else 8
        if len(gs) < minimum:
            return bad + ["transport header incomplete (%d bytes) yet forwarded" % len(gs)]
        gsp, gdp = struct.unpack_from("!HH", gs)
        wsp, wdp = struct.unpack_from("!HH", ws)
        if gsp != wsp or gdp != BPORT:
            bad.append("ports %d->%d, wanted %d->%d" % (gsp, gdp, wsp, BPORT))
        ck = 16 if g.proto == pkt.IPPROTO_TCP else 6
        if gs[4:ck] != ws[4:ck] or gs[ck + 2:] != ws[ck + 2:]:
            bad.append("transport header or payload changed")
        if g.proto == pkt.IPPROTO_UDP and ws[6:8] == b"\0\0" and g.version == 4:
            if gs[6:8] != b"\0\0":
                bad.append("zero UDP checksum made non-zero")
            return bad
        if l4_valid(want, w) and not l4_valid(got, g):
            bad.append("transport checksum wrong")
    elif g.proto in (pkt.IPPROTO_ICMP, pkt.IPPROTO_ICMPV6):
        if not pkt.l4_csum_ok(got, g):
            bad.append("ICMP checksum wrong")
        if len(gs) < 8 or gs[:2] != ws[:2] or gs[4:8] != ws[4:8]:
            bad.append("ICMP header changed")
            return bad
        gi, wi = gs[8:], ws[8:]
        q, qw = pkt.parse_ip(gi), pkt.parse_ip(wi)
        if q.src is None or qw.src is None:
            return bad + ["quoted packet unreadable"]
        if q.src != be_addr:
            bad.append("quoted source %s, not the backend %s" % (q.src, be_addr))
        if q.dst != qw.dst:
            bad.append("quoted destination changed")
        if q.version == 4 and len(gi) >= 20 and pkt.checksum(gi[:(gi[0] & 0xF) * 4]) != 0:
            bad.append("quoted IPv4 header checksum")
        if q.l4 is not None and q.l4 + 2 <= len(gi):
            if struct.unpack_from("!H", gi, q.l4)[0] != BPORT:
                bad.append("quoted source port not the backend's")
        if len(gi) != len(wi):
            bad.append("quoted packet length changed")
        elif q.proto in (pkt.IPPROTO_TCP, pkt.IPPROTO_UDP) and not q.error and \
                pkt.ip_payload_end(wi, qw) - qw.l4 >= (8 if q.proto == pkt.IPPROTO_UDP else 20) and \
                l4_valid(wi, qw) and not l4_valid(gi, q):
            bad.append("quoted transport checksum wrong")
    return bad


def reassemble(frags):
    """A complete IP packet from fragment packets (as captured), or None."""
    frags = sorted(frags, key=lambda ip: pkt.parse_ip(ip).frag_offset)
    first = frags[0]
    p0 = pkt.parse_ip(first)
    if p0.frag_offset != 0:
        return None
    data = b""
    for ip in frags:
        p = pkt.parse_ip(ip)
        body_off = p.l4 if p.version == 4 else (p.ext[-1][1] + 8)
        if p.frag_offset != len(data):
            return None
        data += ip[body_off:pkt.ip_payload_end(ip, p)]
        last = not p.more_frags
    if not last:
        return None
    if p0.version == 4:
        hdr = bytearray(first[:p0.l4])
        struct.pack_into("!H", hdr, 2, len(hdr) + len(data))
        struct.pack_into("!H", hdr, 6, 0)
        struct.pack_into("!H", hdr, 10, 0)
        struct.pack_into("!H", hdr, 10, pkt.checksum(bytes(hdr)))
        return bytes(hdr) + data
    fh = p0.ext[-1]
    hdr = bytearray(first[:fh[1]])
    nh = first[fh[1]]
    if len(p0.ext) == 1:
        hdr[6] = nh
    else:
        hdr[p0.ext[-2][1]] = nh
    struct.pack_into("!H", hdr, 4, len(hdr) - 40 + len(data))
    return bytes(hdr) + data


def check(opts, captures):
    manifest = {c["n"]: c for c in json.load(open(opts["manifest"]))}
    problems, arrived = [], {}
    frags = {}
    for be4_6, path in captures:
        be4, be6 = be4_6.split(",")
        for frame, pkttype, status, length in pkt.read_records(path):
            ip = pkt.frame_ip(frame)
            if ip is None:
                continue
            p = pkt.parse_ip(ip)
            if p.src not in (C4, C6):
                continue
            be = be4 if p.version == 4 else be6
            n = case_of(ip, p)
            c = manifest.get(n)
            if c is None:
                problems.append("a packet from the client that is no case was forwarded to %s: %s"
                                % (be, ip[:64].hex()))
                continue
            arrived.setdefault(n, set()).add(be)
            if status & pkt.TP_STATUS_CSUMNOTREADY:
                problems.append("case %d arrived CHECKSUM_PARTIAL (cannot check)" % n)
            if c["kind"] == "frag" and p.is_fragment:
                frags.setdefault((n, be), []).append(ip)
                continue
            if c["expect"] == "drop":
                problems.append("case %d (%s) was forwarded to %s" % (n, c["name"], be))
                continue
            for b in compare(ip, bytes.fromhex(c["logical"]), be):
                problems.append("case %d (%s): %s" % (n, c["name"], b))
    for (n, be), ips in frags.items():
        c = manifest[n]
        if c["expect"] == "drop":
            problems.append("case %d (%s): fragments forwarded to %s" % (n, c["name"], be))
            continue
        whole = reassemble(ips)
        if whole is None:
            problems.append("case %d (%s): incomplete fragments at %s" % (n, c["name"], be))
            continue
        for b in compare(whole, bytes.fromhex(c["logical"]), be):
            problems.append("case %d (%s), reassembled: %s" % (n, c["name"], b))
    for n, c in sorted(manifest.items()):
        state = "arrived at " + ",".join(sorted(arrived[n])) if n in arrived else "not forwarded"
        print("%2d %-4s %-66s %s" % (n, c["expect"], c["name"], state))
        if c["expect"] == "must" and n not in arrived:
            problems.append("case %d (%s), a well-formed control, did not arrive" % (n, c["name"]))
    for pr in problems:
        print("PROBLEM: " + pr)
    return 1 if problems else 0


def main(argv):
    cmd = argv.pop(0)
    opts, captures = {}, []
    while argv:
        k = argv.pop(0)[2:]
        v = argv.pop(0)
        if k == "capture":
            captures.append(v.split("=", 1))
        else:
            opts[k] = v
    if cmd == "send":
        send(opts)
        return 0
    return check(opts, captures)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
