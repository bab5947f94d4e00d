#!/usr/bin/env python3
"""Backend and VIP changes (issue 9) over one netlink socket, for loops that
must not start a process per change (l4ctl costs a process start each,
which under TCG is most of the time a change takes):

    import nlctl
    c = nlctl.Ctl()
    c.backend_set("10.0.0.10:80", "10.0.1.1:8080", "tcp", state="drain",
                  weight=0, maxconn=2, backup=True)
    c.vip_set("10.0.0.10:80", "tcp", maxconn=3, rate=5, burst=5)

Addresses as l4ctl takes them (IPv6 in brackets); maxconn, rate and burst
0 for none. A refused change raises nlctl.Error with the kernel's message.
Or from the shell, as l4ctl spells it:

    nlctl.py backend set VIP BACKEND [proto P] [weight W] [state S]
             [maxconn N|none] [backup|primary]
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawnl as r  # noqa: E402

# uapi/linux/l4lb.h
VIP_MAXCONN, VIP_RATE, VIP_BURST = 17, 18, 19
BE_STATE, BE_MAXCONN, BE_FLAGS = 7, 8, 9
BE_F_BACKUP = 0x1
STATES = ["up", "drain", "down"]


class Error(Exception):
    pass


def endpoint(text):
    """(family, address bytes, port) of ADDR:PORT or [ADDR6]:PORT."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return (r.AF_INET6 if fam == socket.AF_INET6 else r.AF_INET,
            socket.inet_pton(fam, host), int(port))


def vip_key(text, proto):
    fam, addr, port = endpoint(text)
    return [r.u16(r.VIP_FAMILY, fam), r.nla(r.VIP_ADDR, addr),
            r.be16(r.VIP_PORT, port),
            r.u8(r.VIP_PROTO, {"tcp": r.TCP, "udp": r.UDP}[proto])]


class Ctl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  r.NETLINK_GENERIC)
        self.sock.setsockopt(r.SOL_NETLINK, r.NETLINK_EXT_ACK, 1)
        self.fam = r.family_id(self.sock)
        self.seq = 1000

    def request(self, cmd, attrs):
        self.seq += 1
        body = struct.pack("=BBH", r.CMD[cmd], 1, 0) + attrs
        self.sock.send(struct.pack("=IHHII", 16 + len(body), self.fam,
                                   r.NLM_F_REQUEST | r.NLM_F_ACK, self.seq, 0) + body)
        while True:
            data = self.sock.recv(65536)
            length, kind, flags, seq = struct.unpack_from("=IHHI", data)
            if kind == r.NLMSG_ERROR and seq == self.seq:
                break
        err = -struct.unpack_from("=i", data, 16)[0]
        if err:
            raise Error("%s: %s" % (os.strerror(err),
                                    r.ack_message(data, 0, length, flags, True)))

    def backend_set(self, vip, backend, proto="tcp", weight=None, state=None,
                    maxconn=None, backup=None):
        fam, addr, port = endpoint(backend)
        a = [r.u16(r.BE_FAMILY, fam), r.nla(r.BE_ADDR, addr), r.be16(r.BE_PORT, port)]
        if weight is not None:
            a.append(r.u32(r.BE_WEIGHT, weight))
        if state is not None:
            a.append(r.u8(BE_STATE, STATES.index(state)))
        if maxconn is not None:
            a.append(r.u32(BE_MAXCONN, maxconn))
        if backup is not None:
            a.append(r.u32(BE_FLAGS, BE_F_BACKUP if backup else 0))
        self.request("BACKEND_SET", r.nest(r.ATTR_VIP, *vip_key(vip, proto)) +
                     r.nest(r.ATTR_BACKEND, *a))

    def vip_set(self, vip, proto="tcp", maxconn=None, rate=None, burst=None):
        a = vip_key(vip, proto)
        for kind, val in ((VIP_MAXCONN, maxconn), (VIP_RATE, rate), (VIP_BURST, burst)):
            if val is not None:
                a.append(r.u32(kind, val))
        self.request("VIP_SET", r.nest(r.ATTR_VIP, *a))


def main(argv):
    if argv[:2] != ["backend", "set"] or len(argv) < 4:
        sys.exit(__doc__)
    opts, words = {"proto": "tcp"}, argv[4:]
    while words:
        w = words.pop(0)
        if w in ("backup", "primary"):
            opts["backup"] = w == "backup"
        elif w == "state":
            opts["state"] = words.pop(0)
        elif w in ("weight", "maxconn"):
            v = words.pop(0)
            opts[w] = 0 if v == "none" else int(v)
        else:
            opts[w] = words.pop(0)
    try:
        Ctl().backend_set(argv[2], argv[3], **opts)
    except Error as e:
        sys.exit("nlctl: %s" % e)


if __name__ == "__main__":
    main(sys.argv[1:])
