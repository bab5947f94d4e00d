#!/usr/bin/env python3
"""Send hand-made (often malformed) requests to the l4lb genetlink family.

l4ctl refuses bad input before it reaches the kernel; this client does not,
so the tests can see what the kernel itself answers. Usage:

    rawnl.py CASE        send one of the CASES below, print "errno=N msg=TEXT"

Exit status 0 when the kernel answered (with any error), 1 otherwise.
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED = 0x8000

# uapi/linux/l4lb.h
CMD = dict(VIP_NEW=1, VIP_DEL=2, VIP_GET=3, BACKEND_NEW=4, BACKEND_DEL=5,
           BACKEND_SET=6, BACKEND_GET=7, NET_GET=8, VIP_SET=9, NET_SET=10)
ATTR_VIP, ATTR_BACKEND = 1, 2
VIP_FAMILY, VIP_ADDR, VIP_PORT, VIP_PROTO, VIP_SCHED, VIP_MODE, VIP_STATS = range(2, 9)
(VIP_SNAT_ADDRS, VIP_SNAT_PORT_MIN, VIP_SNAT_PORT_MAX, VIP_ENCAP, VIP_ENCAP_PORT,
 VIP_TIMEOUTS, VIP_FLAGS) = range(9, 16)
SNAT_ADDR = 1
FWD_SNAT, FWD_TUNNEL, ENCAP_GUE = 1, 3, 2
BE_FAMILY, BE_ADDR, BE_PORT, BE_WEIGHT, BE_STATS = range(2, 7)
# scheduling (issue 9)
VIP_MAGLEV_SIZE, VIP_MAXCONN, VIP_RATE, VIP_BURST, VIP_PERSIST = range(16, 21)
BE_STATE, BE_MAXCONN, BE_FLAGS = range(7, 10)
VIP11 = b"\x0a\x00\x00\x0b"  # 10.0.0.11: no such VIP
VIP6 = b"\xfd" + b"\0" * 14 + b"\x10"  # [fd00::10]:80 udp: no rate limit
AF_INET, AF_INET6 = 2, 10
TCP, UDP, ICMP = 6, 17, 1


def nla(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def nest(kind, *attrs):
    return nla(kind | NLA_F_NESTED, b"".join(attrs))


def u8(kind, v):
    return nla(kind, struct.pack("=B", v))


def u16(kind, v):
    return nla(kind, struct.pack("=H", v))


def u32(kind, v):
    return nla(kind, struct.pack("=I", v))


def be16(kind, v):
    return nla(kind, struct.pack(">H", v))


def vip(*extra, family=AF_INET, addr=b"\x0a\x00\x00\x0a", port=80, proto=TCP):
    attrs = [u16(VIP_FAMILY, family), nla(VIP_ADDR, addr), u8(VIP_PROTO, proto)]
    if port is not None:
        attrs.append(be16(VIP_PORT, port))
    return nest(ATTR_VIP, *attrs, *extra)


def backend(*extra, family=AF_INET, addr=b"\x0a\x00\x01\x01", port=8080):
    return nest(ATTR_BACKEND, u16(BE_FAMILY, family), nla(BE_ADDR, addr),
                be16(BE_PORT, port), *extra)


# name: (command, flags, attributes)
CASES = {
    "vip-new-empty": ("VIP_NEW", 0, b""),
    "vip-new-no-port": ("VIP_NEW", 0, vip(port=None)),
    "vip-new-port-zero": ("VIP_NEW", 0, vip(port=0)),
    "vip-new-port-wrong-type": ("VIP_NEW", 0, nest(
        ATTR_VIP, u16(VIP_FAMILY, AF_INET), nla(VIP_ADDR, b"\x0a\0\0\x0a"),
        u32(VIP_PORT, 80), u8(VIP_PROTO, TCP))),
    "vip-new-addr-len": ("VIP_NEW", 0, vip(addr=b"\0" * 16)),
    "vip-new-family": ("VIP_NEW", 0, vip(family=99)),
    "vip-new-proto": ("VIP_NEW", 0, vip(proto=ICMP)),
    "vip-new-unknown-attr": ("VIP_NEW", 0, vip() + u32(100, 1)),
    "vip-new-unknown-nested-attr": ("VIP_NEW", 0, vip(u32(60, 1))),
    "vip-new-stats": ("VIP_NEW", 0, vip(nest(VIP_STATS))),
    "vip-new-sched": ("VIP_NEW", 0, vip(nla(VIP_SCHED, b"nope\0"))),
    "vip-new-sched-long": ("VIP_NEW", 0, vip(nla(VIP_SCHED, b"x" * 40 + b"\0"))),
    "vip-new-snat-family": ("VIP_NEW", 0, vip(u8(VIP_MODE, FWD_SNAT), nest(
        VIP_SNAT_ADDRS, nla(SNAT_ADDR, b"\xfd" + b"\0" * 15)))),
    "vip-new-snat-dup": ("VIP_NEW", 0, vip(u8(VIP_MODE, FWD_SNAT), nest(
        VIP_SNAT_ADDRS, nla(SNAT_ADDR, b"\x0a\0\1\xfa"), nla(SNAT_ADDR, b"\x0a\0\1\xfa")))),
    "vip-new-snat-ports": ("VIP_NEW", 0, vip(u8(VIP_MODE, FWD_SNAT),
                                            u16(VIP_SNAT_PORT_MIN, 3000),
                                            u16(VIP_SNAT_PORT_MAX, 2000))),
    "vip-new-gue-no-port": ("VIP_NEW", 0, vip(u8(VIP_MODE, FWD_TUNNEL),
                                             u8(VIP_ENCAP, ENCAP_GUE))),
    "vip-new-ops-tcp": ("VIP_NEW", 0, vip(u32(VIP_FLAGS, 1))),
    "vip-new-flags-unknown": ("VIP_NEW", 0, vip(u32(VIP_FLAGS, 0x80000000), proto=UDP)),
    "vip-set-missing": ("VIP_SET", 0, vip(u8(VIP_MODE, FWD_SNAT), addr=b"\x0a\0\0\x63")),
    "vip-new-mode-range": ("VIP_NEW", 0, vip(u8(VIP_MODE, 9))),
    "vip-new-not-nested": ("VIP_NEW", 0, u32(ATTR_VIP, 1)),
    "vip-get-no-dump": ("VIP_GET", 0, b""),
    "backend-new-no-backend": ("BACKEND_NEW", 0, vip()),
    "backend-new-family": ("BACKEND_NEW", 0, vip() + backend(
        family=AF_INET6, addr=b"\xfd" + b"\0" * 14 + b"\x01")),
    "backend-new-weight": ("BACKEND_NEW", 0, vip() + backend(u32(BE_WEIGHT, 70000))),
    "backend-new-no-port": ("BACKEND_NEW", 0, vip() + nest(
        ATTR_BACKEND, u16(BE_FAMILY, AF_INET), nla(BE_ADDR, b"\x0a\0\1\1"))),
    "backend-set-no-weight": ("BACKEND_SET", 0, vip() + backend()),
    "backend-get-no-vip": ("BACKEND_GET", NLM_F_DUMP, b""),
    # Per-command policies: what a command does not take is refused.
    "vip-del-sched": ("VIP_DEL", 0, vip(nla(VIP_SCHED, b"rr\0"))),
    "vip-get-attr": ("VIP_GET", NLM_F_DUMP, vip()),
    "backend-del-weight": ("BACKEND_DEL", 0, vip() + backend(u32(BE_WEIGHT, 1))),
    "backend-get-backend": ("BACKEND_GET", NLM_F_DUMP, vip() + backend()),
    "net-get-attr": ("NET_GET", 0, vip()),
    "unknown-command": (99, 0, b""),
    # Scheduling (issue 9), mostly against the VIP 10.0.0.10:80 and the
    # backend 10.0.1.1:8080 that exist: nothing of them may change.
    "vip-new-maglev-not-prime": ("VIP_NEW", 0, vip(u32(VIP_MAGLEV_SIZE, 1000), addr=VIP11)),
    "vip-set-maglev-not-prime": ("VIP_SET", 0, vip(u32(VIP_MAGLEV_SIZE, 65536))),
    "vip-set-maglev-small": ("VIP_SET", 0, vip(u32(VIP_MAGLEV_SIZE, 241))),
    "vip-set-maglev-big": ("VIP_SET", 0, vip(u32(VIP_MAGLEV_SIZE, 1048583))),
    "vip-new-burst-no-rate": ("VIP_NEW", 0, vip(u32(VIP_BURST, 10), addr=VIP11)),
    "vip-set-burst-no-rate": ("VIP_SET", 0, vip(u32(VIP_BURST, 10), family=AF_INET6,
                                                addr=VIP6, proto=UDP)),
    "vip-set-burst-rate-none": ("VIP_SET", 0, vip(u32(VIP_RATE, 0), u32(VIP_BURST, 10))),
    "vip-new-persist-max": ("VIP_NEW", 0, vip(u32(VIP_PERSIST, 604801), addr=VIP11)),
    "vip-set-persist-max": ("VIP_SET", 0, vip(u32(VIP_PERSIST, 604801))),
    "vip-set-flags-unknown": ("VIP_SET", 0, vip(u32(VIP_FLAGS, 0x40))),
    "vip-set-maxconn-wrong-type": ("VIP_SET", 0, vip(u16(VIP_MAXCONN, 1))),
    # A valid change with a refused one: neither is made.
    "vip-set-partial": ("VIP_SET", 0, vip(u32(VIP_MAXCONN, 1), u32(VIP_MAGLEV_SIZE, 65536))),
    "backend-new-state-range": ("BACKEND_NEW", 0, vip() + backend(
        u8(BE_STATE, 3), addr=b"\x0a\x00\x01\x09")),
    "backend-set-state-range": ("BACKEND_SET", 0, vip() + backend(u8(BE_STATE, 3))),
    "backend-set-state-wrong-type": ("BACKEND_SET", 0, vip() + backend(u32(BE_STATE, 1))),
    "backend-new-flags-unknown": ("BACKEND_NEW", 0, vip() + backend(
        u32(BE_FLAGS, 2), addr=b"\x0a\x00\x01\x09")),
    "backend-set-flags-unknown": ("BACKEND_SET", 0, vip() + backend(
        u32(BE_WEIGHT, 7), u32(BE_FLAGS, 0x80000000))),
    "backend-set-nothing": ("BACKEND_SET", 0, vip() + backend()),
    "backend-set-missing": ("BACKEND_SET", 0, vip() + backend(
        u8(BE_STATE, 1), addr=b"\x0a\x00\x01\x63")),
}


def family_id(sock):
    req = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + nla(CTRL_ATTR_FAMILY_NAME, b"l4lb\0")
    sock.send(struct.pack("=IHHII", 16 + len(req), GENL_ID_CTRL, NLM_F_REQUEST, 1, 0) + req)
    data = sock.recv(65536)
    length, kind = struct.unpack_from("=IH", data)
    if kind == NLMSG_ERROR:
        sys.exit("l4lb family not registered")
    off = 20
    while off < length:
        alen, atype = struct.unpack_from("=HH", data, off)
        if atype == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("=H", data, off + 4)[0]
        off += (alen + 3) & ~3
    sys.exit("no family id in reply")


def ack_message(data, off, length, flags, is_error):
    """The extack message of the NLMSG_ERROR or NLMSG_DONE at data[off:]."""
    if not flags & NLM_F_ACK_TLVS:
        return ""
    tlv = off + 20  # DONE: the error code, then the TLVs
    if is_error:  # ERROR: the error code, the request (or its header), TLVs
        inner_len = struct.unpack_from("=I", data, off + 20)[0]
        tlv += 16 if flags & NLM_F_CAPPED else inner_len
    while tlv + 4 <= off + length:
        alen, atype = struct.unpack_from("=HH", data, tlv)
        if alen < 4:
            break
        if atype == NLMSGERR_ATTR_MSG:
            return data[tlv + 4:tlv + alen].rstrip(b"\0").decode()
        tlv += (alen + 3) & ~3
    return ""


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit("usage: rawnl.py {%s}" % ",".join(CASES))
    cmd, flags, attrs = CASES[sys.argv[1]]
    cmd = CMD.get(cmd, cmd)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    fam = family_id(sock)
    body = struct.pack("=BBH", cmd, 1, 0) + attrs
    sock.send(struct.pack("=IHHII", 16 + len(body), fam,
                          NLM_F_REQUEST | NLM_F_ACK | flags, 2, 0) + body)
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, kind, mflags = struct.unpack_from("=IHH", data, off)
            if kind == NLMSG_ERROR or kind == 3:  # ERROR or DONE
                err = struct.unpack_from("=i", data, off + 16)[0]
                msg = ack_message(data, off, length, mflags, kind == NLMSG_ERROR)
                # errorcode[95] is "ENOTSUP", an alias the kernel never names
                name = "EOPNOTSUPP" if -err == errno.EOPNOTSUPP else \
                    errno.errorcode.get(-err, str(-err)) if err else "0"
                print("errno=%s msg=%s" % (name, msg))
                return 0
            off += (length + 3) & ~3


if __name__ == "__main__":
    sys.exit(main())
