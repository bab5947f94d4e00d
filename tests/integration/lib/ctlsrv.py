#!/usr/bin/env python3
"""l4ctl for a test, from one long-lived process in the LB's namespace:
under TCG every process start costs (nsenter, python for each JSON query),
so a test that changes and reads a lot sends its commands here, one a line
on stdin, and reads one answer line each:

  run ARGS...                    l4ctl ARGS: "ok", or "fail STATUS: stderr"
  stats KEY...                   `l4ctl -j stats`: the values, space separated
  backend PROTO VIP ADDR KEY...  `l4ctl -j backend show VIP proto PROTO`: the
                                 backend ADDR's values (stats included)
  flows ADDR PORT PROTO          `l4ctl -j show`: the VIP's active + inactive
  vip ADDR PORT PROTO KEY...     `l4ctl -j show`: the VIP's values (stats
                                 included)
  empty                          `l4ctl -j show`: "ok" when no VIP or backend
                                 counts an active or inactive flow and each
                                 VIP's counters are the sum of its backends';
                                 else what differs
  churn SECONDS VIP:PROTO:BACKEND...
                                 random backend changes (state, weight,
                                 maxconn, backup; never expire-down) over
                                 netlink (lib/nlctl.py) for SECONDS, then
                                 every backend named back to up, weight 1,
                                 no maxconn, primary: "ops=N errors=N ..."
  quit
Missing values print as "missing"; booleans as true/false.
"""
import json
import os
import random
import subprocess
import sys
import time

L4CTL = sys.argv[1] if len(sys.argv) > 1 else "l4ctl"


def l4ctl(*args):
    p = subprocess.run([L4CTL, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def l4json(*args):
    rc, out, err = l4ctl("-j", *args)
    if rc:
        raise RuntimeError("l4ctl -j %s: %s" % (" ".join(args), err.strip()))
    return json.loads(out)


def text(v):
    return "missing" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def pick(obj, key):
    stats = obj.get("stats", {})
    return stats[key] if key in stats else obj.get(key)


def empty():
    bad = []
    for v in l4json("show"):
        name = "%s:%d/%s" % (v["address"], v["port"], v["proto"])
        s = v["stats"]
        for o, what in [(v, "")] + [(b, " backend " + b["address"]) for b in v["backends"]]:
            if o["stats"]["active_conns"] or o["stats"]["inactive_conns"]:
                bad.append("%s%s: active %d inactive %d" % (
                    name, what, o["stats"]["active_conns"], o["stats"]["inactive_conns"]))
        for k in ("conns", "pkts_in", "pkts_out", "bytes_in", "bytes_out"):
            total = sum(b["stats"][k] for b in v["backends"])
            if total != s[k]:
                bad.append("%s: %s %d, its backends' %d" % (name, k, s[k], total))
    return "; ".join(bad) or "ok"


def churn(seconds, targets):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import nlctl
    ctl = nlctl.Ctl()
    targets = [t.split("|") for t in targets]
    rnd = random.Random(9)
    ops, errors, first = 0, 0, ""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        vip, proto, be = rnd.choice(targets)
        what = rnd.choice(["state", "state", "weight", "maxconn", "backup"])
        arg = {"state": lambda: {"state": rnd.choice(["up", "up", "drain", "down"])},
               "weight": lambda: {"weight": rnd.choice([0, 1, 2, 3])},
               "maxconn": lambda: {"maxconn": rnd.choice([0, 1, 2, 5])},
               "backup": lambda: {"backup": rnd.random() < 0.5}}[what]()
        try:
            ctl.backend_set(vip, be, proto, **arg)
        except nlctl.Error as e:
            errors += 1
            first = first or "first: %s %s %s %s: %s" % (vip, be, proto, arg, e)
        ops += 1
        time.sleep(0.01)
    for vip, proto, be in targets:
        ctl.backend_set(vip, be, proto, state="up", weight=1, maxconn=0, backup=False)
    return ("ops=%d errors=%d %s" % (ops, errors, first)).strip()


def main():
    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        try:
            if w[0] == "run":
                rc, _, err = l4ctl(*w[1:])
                out = "ok" if rc == 0 else "fail %d: %s" % (rc, " ".join(err.split()))
            elif w[0] == "stats":
                d = l4json("stats")
                out = " ".join(text(d.get(k)) for k in w[1:])
            elif w[0] == "backend":
                out = "missing"
                for b in l4json("backend", "show", w[2], "proto", w[1]):
                    if b["address"] == w[3]:
                        out = " ".join(text(pick(b, k)) for k in w[4:])
            elif w[0] == "flows":
                out = "missing"
                for v in l4json("show"):
                    if (v["address"], v["port"], v["proto"]) == (w[1], int(w[2]), w[3]):
                        out = str(v["stats"]["active_conns"] + v["stats"]["inactive_conns"])
            elif w[0] == "vip":
                out = "missing"
                for v in l4json("show"):
                    if (v["address"], v["port"], v["proto"]) == (w[1], int(w[2]), w[3]):
                        out = " ".join(text(pick(v, k)) for k in w[4:])
            elif w[0] == "empty":
                out = empty()
            elif w[0] == "churn":
                out = churn(float(w[1]), w[2:])
            elif w[0] == "quit":
                break
            else:
                out = "unknown command " + w[0]
        except Exception as e:  # noqa: BLE001 - the test shows it
            out = "error %s" % " ".join(str(e).split())
        print(out, flush=True)


if __name__ == "__main__":
    main()
