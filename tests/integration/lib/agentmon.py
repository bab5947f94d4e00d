#!/usr/bin/env python3
"""Read `l4ctl -j monitor [timestamp]` output for the agent tests.

  agentmon.py FILE SKIP events VIP-ADDR PORT [BACKEND]
      the events after the first SKIP lines about that VIP (and that
      backend, ADDR:PORT or [ADDR6]:PORT), one compact JSON a line
  agentmon.py FILE SKIP when AFTER VIP-ADDR PORT BACKEND STATE
      seconds (one decimal) from AFTER (epoch seconds, e.g. bash's
      $EPOCHREALTIME) to the first backend event (timestamp monitor)
      setting BACKEND to STATE at or after AFTER; "none" if none did
"""
import datetime
import json
import sys


def ep(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)


def events(path, skip, vip, port, be=None):
    with open(path) as f:
        lines = f.read().splitlines()[skip:]
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            yield None, "unparsable: " + line.strip()
            continue
        v = e.get("vip", e)
        if v.get("address") != vip or v.get("port") != port:
            continue
        if be is not None and ("vip" not in e or ep(e.get("address", ""), e.get("port")) != be):
            continue
        yield e, json.dumps(e, separators=(",", ":"))


def epoch(t):
    dt = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def main(argv):
    path, skip, cmd = argv[0], int(argv[1]), argv[2]
    if cmd == "events":
        be = argv[5] if len(argv) > 5 else None
        for _, text in events(path, skip, argv[3], int(argv[4]), be):
            print(text)
        return
    if cmd == "when":
        after, vip, port, be, state = float(argv[3]), argv[4], int(argv[5]), argv[6], argv[7]
        for e, _ in events(path, skip, vip, port, be):
            if e is None or e.get("state") != state or "time" not in e:
                continue
            t = epoch(e["time"])
            if t >= after:
                print("%.1f" % (t - after))
                return
        print("none")
        return
    raise SystemExit("agentmon.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
