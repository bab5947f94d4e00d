#!/usr/bin/env python3
"""Query `l4ctl -j show` output (stdin) for the tests.

    l4json.py vip ADDR PORT PROTO KEY            a VIP's stat (or sched/mode)
    l4json.py backend ADDR PORT PROTO BADDR BPORT KEY   a backend's stat/weight
    l4json.py backends ADDR PORT PROTO           backend addresses, one a line
    l4json.py count                              number of VIPs

Prints the value, or "missing" when the object does not exist.
"""
import json
import sys


def find_vip(doc, addr, port, proto):
    for v in doc:
        if v["address"] == addr and v["port"] == int(port) and v["proto"] == proto:
            return v
    return None


def value(obj, key):
    if key in obj.get("stats", {}):
        return obj["stats"][key]
    return obj.get(key, "missing")


def main(argv):
    doc = json.load(sys.stdin)
    what = argv[0]
    if what == "count":
        return len(doc)
    v = find_vip(doc, *argv[1:4])
    if v is None:
        return "missing"
    if what == "vip":
        return value(v, argv[4])
    if what == "backends":
        return "\n".join(b["address"] for b in v.get("backends", []))
    if what == "backend":
        for b in v.get("backends", []):
            if b["address"] == argv[4] and b["port"] == int(argv[5]):
                return value(b, argv[6])
        return "missing"
    raise SystemExit("unknown query " + what)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
