#!/usr/bin/env python3
"""Queries for the l4lb-agent tests, from one long-lived process in the
LB's namespace (under TCG a python start costs ~0.4 s): one command a line
on stdin, one answer line on stdout.

  agentq.py L4CTL BASE-URL        (BASE-URL: http://127.0.0.1:8083)

Kernel (`l4ctl -j show`, VIPs with their backends and counters):
  kstates VIP PORT PROTO          "ADDR:PORT=STATE ..." sorted, IPv6 as
                                  [ADDR]:PORT; "none" for no backend;
                                  "missing" when the VIP does not exist
  kget VIP PORT PROTO BE KEY...   backend BE (ADDR:PORT)'s values (stats too)
  vget VIP PORT PROTO KEY...      the VIP's values (sched, mode, stats...)
  vips                            every VIP "ADDR:PORT/PROTO" sorted
  waitk SECS VIP PORT PROTO EXPECTED...
                                  until kstates is EXPECTED: "ok SECONDS"
                                  (since the command came), or "timeout GOT"
  holdk SECS VIP PORT PROTO EXPECTED...
                                  kstates stays EXPECTED for SECS: "ok", or
                                  "changed after SECONDS: GOT"
HTTP (the agent's port; the answer is kept for the commands after):
  get PATH | post PATH | head PATH  "STATUS" (or "error WHY")
  waithttp SECS                   until GET /health answers: "ok SECONDS"
  json EXPR                       EXPR over the last body as JSON (j): the
                                  value(s), space separated; lists, dicts
                                  as compact JSON; booleans true/false
  waitjson SECS PATH EXPR         GET PATH until EXPR is true: "ok SECONDS"
                                  or "timeout EXPR-VALUE"
  has STRING                      "yes" when the last body contains STRING
  header NAME                     the last answer's header NAME
  cmpbackends PATH VIP PORT PROTO /backends-style list at PATH against the
                                  kernel's backends of the VIP: "ok N" or
                                  what differs (retried for 3 s: the
                                  agent's stats lag by one interval)
Metrics (GET /metrics, Prometheus text 0.0.4):
  metrics                         fetch and check the format: "ok SAMPLES"
                                  or "bad: LINE"
  metric NAME [LABEL=VALUE...]    sum of the matching samples of the last
                                  fetch, or "missing"
  waitmetric SECS OP VALUE NAME [LABEL=VALUE...]
                                  refetch until the sum OP (> >= == <) VALUE:
                                  "ok SUM" or "timeout SUM"
  quit
"""
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

L4CTL = sys.argv[1]
BASE = sys.argv[2]
LAST = {"status": None, "body": b"", "headers": {}}
METRICS = []	# (name, {labels}, value)


def l4ctl_json(*args):
    p = subprocess.run([L4CTL, "-j", *args], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr.strip() or "l4ctl status %d" % p.returncode)
    return json.loads(p.stdout or "null")


def ep(addr, port):
    return "[%s]:%s" % (addr, port) if ":" in addr else "%s:%s" % (addr, port)


def text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True)
    return str(v)


def find_vip(addr, port, proto):
    for v in l4ctl_json("show") or []:
        if v["address"] == addr and v["port"] == int(port) and v["proto"] == proto:
            return v
    return None


def kbackends(addr, port, proto):
    """The VIP's backends from the kernel (`l4ctl -j show`), or None when
    there is no such VIP."""
    v = find_vip(addr, port, proto)
    return None if v is None else v.get("backends", [])


def kstates(addr, port, proto):
    bes = kbackends(addr, port, proto)
    if bes is None:
        return "missing"
    if not bes:
        return "none"
    return " ".join(sorted("%s=%s" % (ep(b["address"], b["port"]), b.get("state", "up"))
                           for b in bes))


def pick(obj, key):
    stats = obj.get("stats", {})
    return stats[key] if key in stats else obj.get(key)


def http(method, path, timeout=5):
    req = urllib.request.Request(BASE + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            LAST.update(status=r.status, body=r.read(), headers=dict(r.headers))
    except urllib.error.HTTPError as e:
        LAST.update(status=e.code, body=e.read(), headers=dict(e.headers))
    except Exception as e:  # noqa: BLE001 - reported to the test
        LAST.update(status=None, body=b"", headers={})
        return "error " + (str(e).replace("\n", " ") or type(e).__name__)
    return str(LAST["status"])


def last_json():
    return json.loads(LAST["body"].decode())


def eval_json(expr):
    j = last_json()
    return eval(expr, {"j": j, "len": len, "sorted": sorted, "sum": sum,  # noqa: S307
                       "any": any, "all": all, "set": set})


def show(v):
    if isinstance(v, tuple):
        return " ".join(text(x) for x in v)
    return text(v)


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def cmpbackends_once(path, addr, port, proto):
    st = http("GET", path)
    if st != "200":
        return "GET %s: %s" % (path, st)
    try:
        lst = last_json()
    except ValueError as e:
        return "not JSON: %s" % e
    if not isinstance(lst, list):
        return "not a list: %s" % text(lst)[:200]
    kb = kbackends(addr, port, proto)
    if kb is None:
        return "the VIP is not in the kernel"
    kern = {ep(b["address"], b["port"]): b for b in kb}
    agent = {}
    for e in lst:
        for key in ("id", "address", "healthy", "connections", "last_check",
                    "vip", "state", "weight", "last_error", "check_latency_ms"):
            if key not in e:
                return "entry without %s: %s" % (key, text(e))
        agent[e["address"]] = e
    if sorted(agent) != sorted(kern):
        return "addresses: agent %s kernel %s" % (sorted(agent), sorted(kern))
    diffs = []
    for a, e in sorted(agent.items()):
        k = kern[a]
        kst = k.get("state", "up")
        if e["state"] != kst:
            diffs.append("%s state %s/kernel %s" % (a, e["state"], kst))
        if e["weight"] != k.get("weight"):
            diffs.append("%s weight %s/kernel %s" % (a, e["weight"], k.get("weight")))
        if e["connections"] != pick(k, "active_conns"):
            diffs.append("%s connections %s/kernel %s" % (a, e["connections"],
                                                          pick(k, "active_conns")))
        if not isinstance(e["healthy"], bool):
            diffs.append("%s healthy %s is no boolean" % (a, text(e["healthy"])))
        elif kst == "down" and e["healthy"]:
            diffs.append("%s healthy but down in the kernel" % a)
        if e["last_check"] is not None and not RFC3339.match(str(e["last_check"])):
            diffs.append("%s last_check %s" % (a, e["last_check"]))
        if e["vip"] not in (ep(addr, port), "%s/%s" % (ep(addr, port), proto)) and \
                not isinstance(e["vip"], str):
            diffs.append("%s vip %s" % (a, text(e["vip"])))
    return "; ".join(diffs) if diffs else "ok %d" % len(agent)


# ------------------------------------------------------------------ metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_labels(s):
    labels, pos = {}, 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            raise ValueError("labels: " + s)
        labels[m.group(1)] = re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
                                    m.group(2))
        pos = m.end()
    return labels


def metrics_fetch():
    global METRICS
    st = http("GET", "/metrics")
    if st != "200":
        return "GET /metrics: " + st
    ctype = LAST["headers"].get("Content-Type", "")
    if not ctype.startswith("text/plain"):
        return "bad: Content-Type " + ctype
    types, out = {}, []
    for line in LAST["body"].decode().splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            w = line.split(None, 3)
            if len(w) >= 3 and w[1] == "TYPE":
                if len(w) < 4 or w[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    return "bad: " + line
                types[w[2]] = w[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            return "bad: " + line
        name = m.group(1)
        try:
            labels = parse_labels(m.group(3) or "")
            value = float(m.group(4))
        except ValueError:
            return "bad: " + line
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[:-len(suf)]) in ("histogram", "summary"):
                fam = name[:-len(suf)]
        if fam not in types:
            return "bad (no # TYPE before it): " + line
        out.append((name, labels, value))
    METRICS = out
    return "ok %d" % len(out)


def metric_sum(name, want):
    vals = [v for n, lab, v in METRICS
            if n == name and all(lab.get(k) == x for k, x in want.items())]
    if not vals:
        return None
    s = sum(vals)
    return int(s) if s == int(s) else s


def kv(words):
    return dict(w.split("=", 1) for w in words)


OPS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
       "==": lambda a, b: a == b, "<": lambda a, b: a < b}


def command(words, line):
    cmd, a = words[0], words[1:]
    if cmd == "kstates":
        return kstates(*a[:3])
    if cmd == "kget":
        bes = kbackends(*a[:3])
        for b in bes or []:
            if ep(b["address"], b["port"]) == a[3]:
                return " ".join(text(pick(b, k)) for k in a[4:])
        return "missing"
    if cmd == "vget":
        v = find_vip(*a[:3])
        return "missing" if v is None else " ".join(text(pick(v, k)) for k in a[3:])
    if cmd == "vips":
        return " ".join(sorted("%s/%s" % (ep(v["address"], v["port"]), v["proto"])
                               for v in l4ctl_json("show") or [])) or "none"
    if cmd in ("waitk", "holdk"):
        secs, want = float(a[0]), " ".join(a[4:])
        start = time.monotonic()
        while True:
            got = kstates(*a[1:4])
            el = time.monotonic() - start
            if cmd == "waitk" and got == want:
                return "ok %.1f" % el
            if cmd == "holdk" and got != want:
                return "changed after %.1f: %s" % (el, got)
            if el > secs:
                return "timeout " + got if cmd == "waitk" else "ok"
            # Each look starts l4ctl: under TCG that costs the agent CPU
            # time (when a change happened is the monitor's to tell).
            time.sleep(0.4)
    if cmd in ("get", "post", "head"):
        return http(cmd.upper(), a[0])
    if cmd == "waithttp":
        start = time.monotonic()
        while time.monotonic() - start < float(a[0]):
            if not http("GET", "/health", timeout=2).startswith("error"):
                return "ok %.1f" % (time.monotonic() - start)
            time.sleep(0.2)
        return "timeout"
    if cmd == "json":
        return show(eval_json(line.split(None, 1)[1]))
    if cmd == "waitjson":
        secs, path, expr = float(a[0]), a[1], line.split(None, 3)[3]
        start = time.monotonic()
        while True:
            st = http("GET", path)
            try:
                v = eval_json(expr)
            except Exception as e:  # noqa: BLE001
                v = "%s (status %s)" % (e, st)
            if v is True:
                return "ok %.1f" % (time.monotonic() - start)
            if time.monotonic() - start > secs:
                return "timeout " + show(v)
            time.sleep(0.4)
    if cmd == "has":
        return "yes" if line.split(None, 1)[1].encode() in LAST["body"] else "no"
    if cmd == "header":
        for k, v in LAST["headers"].items():
            if k.lower() == a[0].lower():
                return v
        return "missing"
    if cmd == "cmpbackends":
        end = time.monotonic() + 3
        while True:
            r = cmpbackends_once(*a[:4])
            if r.startswith("ok") or time.monotonic() > end:
                return r
            time.sleep(0.3)
    if cmd == "metrics":
        return metrics_fetch()
    if cmd == "metric":
        v = metric_sum(a[0], kv(a[1:]))
        return "missing" if v is None else str(v)
    if cmd == "waitmetric":
        secs, op, want, name = float(a[0]), a[1], float(a[2]), a[3]
        start = time.monotonic()
        while True:
            r = metrics_fetch()
            v = metric_sum(name, kv(a[4:])) if r.startswith("ok") else None
            if v is not None and OPS[op](v, want):
                return "ok %s" % v
            if time.monotonic() - start > secs:
                return "timeout %s" % (v if v is not None else r if not r.startswith("ok") else "missing")
            time.sleep(0.5)
    return "unknown command " + cmd


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            out = command(words, line.rstrip("\n"))
        except Exception as e:  # noqa: BLE001 - every failure is an answer
            out = "error %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
        print(str(out).replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
