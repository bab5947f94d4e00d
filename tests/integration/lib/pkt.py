"""Hand-made packets for the l4lb integration tests (stdlib only).

Build IPv4/IPv6/TCP/UDP/ICMP packets byte by byte (well-formed or not),
send them as Ethernet frames on a raw AF_PACKET socket (nothing in the
sender's stack fixes anything up), capture frames with their checksum
status, and parse/verify what arrived. Imported by the test helpers
(flood.py, sniff.py, the tests' inline Python); cheap to import: no scapy
(its import alone takes tens of seconds under TCG).

Addresses are strings ("10.0.0.2", "fd00::2"); the family follows from the
address. Every builder takes keyword overrides for the fields tests break.
"""
import os
import socket
import struct

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_HOPOPTS, IPPROTO_TCP, IPPROTO_UDP = 0, 6, 17
IPPROTO_ROUTING, IPPROTO_FRAGMENT, IPPROTO_ICMPV6 = 43, 44, 58
IPPROTO_NONE, IPPROTO_DSTOPTS, IPPROTO_ICMP = 59, 60, 1
EXT_HEADERS = (IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS)

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 0x8   # CHECKSUM_PARTIAL: the checksum is a seed
TP_STATUS_CSUM_VALID = 0x80
PACKET_HOST, PACKET_OUTGOING = 0, 4


# ----------------------------------------------------------------- checksums

def csum_add(data, initial=0):
    """One's complement sum of data (16-bit big-endian words), unfolded."""
    if len(data) % 2:
        data += b"\0"
    # 2**16 == 1 (mod 0xffff): the sum of the words is the number mod 0xffff
    # (with 0xffff, "negative zero", for a non-zero number).
    n = int.from_bytes(data, "big")
    r = n % 0xFFFF
    if r == 0 and n:
        r = 0xFFFF
    return initial + r


def csum_fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksum(data, initial=0):
    """The Internet checksum of data (what goes into the header)."""
    return ~csum_fold(csum_add(data, initial)) & 0xFFFF


def addr_bytes(addr):
    return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)


def addr_str(raw):
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)


def pseudo(src, dst, proto, length):
    """Pseudo-header bytes (IPv4 or IPv6 by address length, raw bytes)."""
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def l4_checksum(src, dst, proto, segment):
    return checksum(segment, csum_add(pseudo(src, dst, proto, len(segment))))


# ------------------------------------------------------------------ building

def tcp(src, dst, sport, dport, flags=SYN, seq=1, ack=0, win=65535,
        payload=b"", options=b"", doff=None, csum=None, urg=0):
    """A TCP segment; src/dst (strings) only feed the checksum."""
    if doff is None:
        doff = (20 + len(options) + 3) // 4
        options += b"\0" * (doff * 4 - 20 - len(options))
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (doff & 0xF) << 4, flags, win, 0, urg) + options
    seg = hdr + payload
    if csum is None:
        csum = l4_checksum(addr_bytes(src), addr_bytes(dst), IPPROTO_TCP, seg)
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def udp(src, dst, sport, dport, payload=b"", length=None, csum=None):
    if length is None:
        length = 8 + len(payload)
    seg = struct.pack("!HHHH", sport, dport, length & 0xFFFF, 0) + payload
    if csum is None:
        csum = l4_checksum(addr_bytes(src), addr_bytes(dst), IPPROTO_UDP, seg)
        if csum == 0:
            csum = 0xFFFF
    return seg[:6] + struct.pack("!H", csum) + seg[8:]


def icmp4(icmp_type, code, payload, rest=b"\0\0\0\0", csum=None):
    msg = struct.pack("!BBH", icmp_type, code, 0) + rest + payload
    if csum is None:
        csum = checksum(msg)
    return msg[:2] + struct.pack("!H", csum) + msg[4:]


def icmp6(src, dst, icmp_type, code, payload, rest=b"\0\0\0\0", csum=None):
    msg = struct.pack("!BBH", icmp_type, code, 0) + rest + payload
    if csum is None:
        csum = l4_checksum(addr_bytes(src), addr_bytes(dst), IPPROTO_ICMPV6, msg)
    return msg[:2] + struct.pack("!H", csum) + msg[4:]


def ipv4(src, dst, proto, payload, ttl=64, ident=0, frag=0x4000, tos=0,
         options=b"", ihl=None, tot_len=None, csum=None, version=4):
    """frag: the 16-bit flags + fragment offset field (default DF)."""
    if ihl is None:
        ihl = (20 + len(options) + 3) // 4
        options += b"\0" * (ihl * 4 - 20 - len(options))
    if tot_len is None:
        tot_len = 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | (ihl & 0xF), tos, tot_len & 0xFFFF,
                      ident & 0xFFFF, frag, ttl, proto, 0,
                      addr_bytes(src), addr_bytes(dst)) + options
    if csum is None:
        csum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def ipv6(src, dst, nh, payload, hlim=64, flow=0, tclass=0, plen=None):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB16s16s", (6 << 28) | (tclass << 20) | (flow & 0xFFFFF),
                       plen & 0xFFFF, nh, hlim, addr_bytes(src), addr_bytes(dst)) + payload


def ext_opts(nh, length8=0, fill=None):
    """A hop-by-hop or destination options header: PadN to (length8+1)*8."""
    size = (length8 + 1) * 8
    if fill is None:
        fill = bytes([1, size - 4]) + b"\0" * (size - 4)  # one PadN option
    return bytes([nh, length8]) + fill[:size - 2]


def ext_routing(nh, segments_left=0, rtype=0, addrs=()):
    body = b"\0\0\0\0" + b"".join(addr_bytes(a) for a in addrs)
    return bytes([nh, 2 * len(addrs), rtype, segments_left]) + body


def ext_frag(nh, offset8=0, more=False, ident=0):
    return struct.pack("!BBHI", nh, 0, (offset8 << 3) | int(more), ident)


def ether(dst_mac, src_mac, ethertype, payload):
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ethertype) + payload


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":")) if isinstance(mac, str) else mac


def ethertype_of(ip_packet):
    return ETH_P_IPV6 if ip_packet[0] >> 4 == 6 else ETH_P_IP


# ------------------------------------------------------------------- sending

class Link:
    """Raw Ethernet on one interface of the caller's network namespace."""

    def __init__(self, iface, dst_mac=None):
        self.iface = iface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((iface, 0))
        self.src_mac = self.sock.getsockname()[4][:6]
        self.dst_mac = mac_bytes(dst_mac) if dst_mac else None

    def frame(self, ip_packet, ethertype=None):
        return self.dst_mac + self.src_mac + struct.pack(
            "!H", ethertype or ethertype_of(ip_packet)) + ip_packet

    def send_ip(self, ip_packet, ethertype=None):
        self.sock.send(self.frame(ip_packet, ethertype))

    def send_frame(self, frame):
        self.sock.send(frame)


def neigh_mac(addr, ns_proc="/proc/net/arp"):
    """MAC of an IPv4 neighbour from /proc/net/arp (the caller's netns)."""
    with open(ns_proc) as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[0] == addr and cols[3] != "00:00:00:00:00:00":
                return cols[3]
    return None


# ----------------------------------------------------------------- capturing

# Classic BPF: IPv4 with protocol ICMP, or IPv6 with next header ICMPv6
# (no extension headers), as (code, jt, jf, k).
BPF_ICMP_ONLY = (
    (0x28, 0, 0, 12),        # ldh [12]         ethertype
    (0x15, 0, 2, ETH_P_IP),  # jeq #IPv4        else -> IPv6 check
    (0x30, 0, 0, 23),        # ldb [23]         IPv4 protocol
    (0x15, 3, 4, IPPROTO_ICMP),
    (0x15, 0, 3, ETH_P_IPV6),
    (0x30, 0, 0, 20),        # ldb [20]         IPv6 next header
    (0x15, 0, 1, IPPROTO_ICMPV6),
    (0x06, 0, 0, 0xFFFF),    # accept
    (0x06, 0, 0, 0),         # drop
)
SO_ATTACH_FILTER = 26


class Capture:
    """Frames seen on an interface, with the kernel's checksum status."""

    def __init__(self, iface, snap=65535, bpf=None):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if bpf:
            import ctypes
            self._prog = ctypes.create_string_buffer(
                b"".join(struct.pack("=HBBI", *insn) for insn in bpf))
            self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack(
                "HL", len(bpf), ctypes.addressof(self._prog)))
        self.sock.bind((iface, 0))
        self.snap = snap

    def recv(self, timeout=None):
        """(frame, pkttype, tp_status, original length) or None on timeout."""
        self.sock.settimeout(timeout)
        try:
            data, anc, _, addr = self.sock.recvmsg(self.snap, 256, socket.MSG_TRUNC)
        except socket.timeout:
            return None
        status = 0
        for level, kind, value in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, tp_len = struct.unpack_from("=II", value)
        return data[:self.snap], addr[2], status, len(data)


def write_record(f, frame, pkttype, status, length):
    f.write(struct.pack("=IIII", len(frame), pkttype, status, length) + frame)


def read_records(path):
    """Records written by sniff.py: (frame, pkttype, status, length)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 16 <= len(data):
        caplen, pkttype, status, length = struct.unpack_from("=IIII", data, off)
        off += 16
        out.append((data[off:off + caplen], pkttype, status, length))
        off += caplen
    return out


# ------------------------------------------------------------------- parsing

class Parsed:
    """What parse_ip() found. Offsets are into the IP packet."""
    version = None
    src = dst = None          # strings
    proto = None              # final next header / protocol
    l4 = None                 # offset of the transport header
    ttl = None
    ident = None              # IPv4 id, or the IPv6 fragment header's id
    frag_offset = 0           # in bytes
    more_frags = False
    is_fragment = False
    ext = ()                  # IPv6: (type, offset, length) of each header
    flow = 0
    error = None              # why the packet is malformed, if it is
    ip_csum_ok = True


def parse_ip(pkt):
    p = Parsed()
    if len(pkt) < 1:
        p.error = "empty"
        return p
    p.version = pkt[0] >> 4
    if p.version == 4:
        if len(pkt) < 20:
            p.error = "short IPv4 header"
            return p
        ihl = (pkt[0] & 0xF) * 4
        tot_len, ident, frag, ttl, proto = struct.unpack_from("!HHHBB", pkt, 2)
        p.src, p.dst = addr_str(pkt[12:16]), addr_str(pkt[16:20])
        p.ttl, p.ident, p.proto = ttl, ident, proto
        p.frag_offset = (frag & 0x1FFF) * 8
        p.more_frags = bool(frag & 0x2000)
        p.is_fragment = p.more_frags or p.frag_offset > 0
        if ihl < 20 or ihl > len(pkt) or tot_len < ihl:
            p.error = "bad ihl/tot_len"
            return p
        p.ip_csum_ok = checksum(pkt[:ihl]) == 0
        p.l4 = ihl
        if tot_len > len(pkt):
            # Still parsed (an ICMP error quotes the start of a packet).
            p.error = "truncated: total length %d, %d bytes" % (tot_len, len(pkt))
        return p
    if p.version == 6:
        if len(pkt) < 40:
            p.error = "short IPv6 header"
            return p
        vtf, plen, nh, hlim = struct.unpack_from("!IHBB", pkt, 0)
        p.flow = vtf & 0xFFFFF
        p.src, p.dst = addr_str(pkt[8:24]), addr_str(pkt[24:40])
        p.ttl = hlim
        off, ext = 40, []
        if 40 + plen > len(pkt):
            p.error = "bad payload length"
        while nh in EXT_HEADERS or nh == IPPROTO_FRAGMENT:
            if off + 8 > len(pkt):
                p.error = "truncated extension header"
                break
            if nh == IPPROTO_FRAGMENT:
                length = 8
                fo, p.ident = struct.unpack_from("!HI", pkt, off + 2)
                p.frag_offset = fo & 0xFFF8
                p.more_frags = bool(fo & 1)
                p.is_fragment = True
            else:
                length = (pkt[off + 1] + 1) * 8
            ext.append((nh, off, length))
            nh = pkt[off]
            off += length
            if p.is_fragment and p.frag_offset:
                break
        p.ext = tuple(ext)
        p.proto, p.l4 = nh, off
        if off > len(pkt):
            p.error = "truncated extension header"
        return p
    p.error = "IP version %d" % p.version
    return p


def frame_ip(frame):
    """The IP packet in an Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack_from("!H", frame, 12)[0]
    if etype not in (ETH_P_IP, ETH_P_IPV6):
        return None
    return frame[14:]


def ip_payload_end(pkt, p):
    """End of the IP packet according to its own length fields."""
    if p.version == 4:
        return min(len(pkt), struct.unpack_from("!H", pkt, 2)[0])
    return min(len(pkt), 40 + struct.unpack_from("!H", pkt, 4)[0])


def l4_csum_ok(pkt, p):
    """Is the transport (or ICMP) checksum of a complete, unfragmented packet
    right? (Not for frames captured CHECKSUM_PARTIAL: their field holds only
    the pseudo-header seed.)"""
    seg = pkt[p.l4:ip_payload_end(pkt, p)]
    if p.proto == IPPROTO_UDP and len(seg) >= 8 and seg[6:8] == b"\0\0" and p.version == 4:
        return True  # no checksum: allowed for UDP over IPv4
    if p.proto == IPPROTO_ICMP:
        return checksum(seg) == 0
    src, dst = addr_bytes(p.src), addr_bytes(p.dst)
    return checksum(seg, csum_add(pseudo(src, dst, p.proto, len(seg)))) == 0


def ports(pkt, p):
    if p.l4 is None or p.l4 + 4 > len(pkt):
        return None, None
    return struct.unpack_from("!HH", pkt, p.l4)


def inner_of_icmp(pkt, p):
    """(inner IP packet, Parsed) quoted by an ICMP/ICMPv6 error, or None."""
    if p.proto not in (IPPROTO_ICMP, IPPROTO_ICMPV6) or p.l4 + 8 > len(pkt):
        return None
    inner = pkt[p.l4 + 8:ip_payload_end(pkt, p)]
    return inner, parse_ip(inner)
