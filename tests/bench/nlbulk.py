#!/usr/bin/env python3
"""Bulk l4lb configuration over raw generic netlink, timed (make bench).

One process sends every request (acked, one at a time), so a configuration
of thousands of objects costs what the kernel takes, not one l4ctl process
start per object. Reads lines from stdin:

    vip ADDR PORT tcp|udp [MODE]         MODE: dnat (default), snat, dsr, tunnel
    backend VADDR VPORT tcp|udp BADDR BPORT

Prints one JSON line: {"vips": N, "backends": N, "vip_seconds": S,
"backend_seconds": S, "errors": N, "first_error": "..."}; exit status 1 when
a request was refused.
"""
import ipaddress
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration", "lib"))
# pylint: disable=wrong-import-position
from nlchurn import Genl, backend_attr, describe  # noqa: E402
from rawnl import (AF_INET, AF_INET6, ATTR_VIP, TCP, UDP, VIP_ADDR,  # noqa: E402
                   VIP_FAMILY, VIP_MODE, VIP_PORT, VIP_PROTO, be16, nest, nla,
                   u16, u8)

CMD_VIP_NEW, CMD_BACKEND_NEW = 1, 4
MODES = {"dnat": 0, "snat": 1, "dsr": 2, "tunnel": 3}
PROTOS = {"tcp": TCP, "udp": UDP}


def addr(text):
    ip = ipaddress.ip_address(text)
    return (AF_INET if ip.version == 4 else AF_INET6), ip.packed


def vip_attr(a, port, proto, mode=None):
    fam, packed = addr(a)
    attrs = [u16(VIP_FAMILY, fam), nla(VIP_ADDR, packed),
             be16(VIP_PORT, int(port)), u8(VIP_PROTO, PROTOS[proto])]
    if mode is not None:
        attrs.append(u8(VIP_MODE, MODES[mode]))
    return nest(ATTR_VIP, *attrs)


def main():
    nl = Genl()
    res = {"vips": 0, "backends": 0, "vip_seconds": 0.0,
           "backend_seconds": 0.0, "errors": 0, "first_error": ""}
    lines = [ln.split() for ln in sys.stdin if ln.strip()]
    for f in lines:
        if f[0] == "vip":
            cmd, attrs = CMD_VIP_NEW, vip_attr(f[1], f[2], f[3], f[4] if len(f) > 4 else None)
        else:
            fam, packed = addr(f[4])
            cmd = CMD_BACKEND_NEW
            attrs = vip_attr(f[1], f[2], f[3]) + backend_attr(fam, packed, int(f[5]))
        t = time.monotonic()
        err, text = nl.request(cmd, attrs)
        dt = time.monotonic() - t
        key = "vip" if cmd == CMD_VIP_NEW else "backend"
        res[key + "_seconds"] += dt
        if err:
            res["errors"] += 1
            if not res["first_error"]:
                res["first_error"] = "%s: %s" % (" ".join(f), describe(err, text))
        else:
            res[key + "s"] += 1
    res["vip_seconds"] = round(res["vip_seconds"], 4)
    res["backend_seconds"] = round(res["backend_seconds"], 4)
    print(json.dumps(res))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
