#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tbprof's report (make bench with L4LB_BENCH_TBPROF=1; see plugin.c).

Usage: report.py CONSOLE_LOG SNAP_DIR [--top N] [--calls SYMBOL]

The guest (tests/bench/guest.sh, pps_count) marks each pps window's start
and end, then prints the kernel's text symbols (once) and the modules'
(each window: a module loaded again moves), and
    L4LB-TBPROF window PACKETS
The k-th window is the plugin's snapshot 2k+1 (snapshot 2k is what ran
before it). Each window is named by the L4LB-BENCH record that follows it
(a window measured again is left out). For every window: the
whole guest's instructions per packet, those of each module's functions,
and, per symbol, instructions and
calls (runs of the block at its first instruction) per packet, against
plain routing's window of the same metric and round. --calls prints one
symbol's calls in each window, in all.
"""
import argparse
import bisect
import collections
import json
import os
import re
import sys


def windows_of(log):
    kernel, modules, wins, in_modules = {}, {}, [], False
    for line in open(log, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("L4LB-TBPROF "):
            f = line[12:].split()
            if f[0] == "sym":
                # a line the console garbled is left out
                if len(f) not in (4, 5) or not re.fullmatch(r"[0-9a-f]{16}", f[1]):
                    continue
                if len(f) == 5:     # a module's: "[name]" follows
                    if not in_modules:
                        modules, in_modules = {}, True
                    modules[int(f[1], 16)] = f[3] + f[4]
                else:
                    kernel[int(f[1], 16)] = f[3]
                continue
            if f[0] == "window" and len(f) == 2 and f[1].isdigit():
                wins.append({"packets": int(f[1]), "modules": modules, "name": None})
            in_modules = False
            continue
        m = re.search(r"L4LB-BENCH (\{.*\})", line)
        if m:
            rec = json.loads(m.group(1))
            # the last window before a record is the one it reports
            if wins and wins[-1]["name"] is None:
                wins[-1]["name"] = (rec["system"], rec["metric"], rec["round"])
            for w in wins:
                if w["name"] is None:
                    w["name"] = "again"
    return kernel, wins


def profile(snap, symbols):
    addrs = sorted(symbols)
    names = [symbols[a] for a in addrs]
    ins, calls, total = collections.Counter(), collections.Counter(), 0
    for line in open(snap):
        start, n, runs = line.split()
        start, n, runs = int(start, 16), int(n), int(runs)
        total += n * runs
        if start < 1 << 63:
            ins["[user]"] += n * runs
            continue
        i = bisect.bisect_right(addrs, start) - 1
        name = names[i] if i >= 0 else "[?]"
        ins[name] += n * runs
        if i >= 0 and addrs[i] == start:
            calls[name] += runs
    return ins, calls, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("snaps")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--calls")
    a = ap.parse_args()
    kernel, wins = windows_of(a.log)
    if not wins:
        sys.exit("tbprof: no window in %s" % a.log)
    got = []
    for k, w in enumerate(wins):
        snap = os.path.join(a.snaps, "snap-%03d.txt" % (2 * k + 1))
        if not os.path.exists(snap):
            sys.exit("tbprof: %s missing: the guest marked %d windows" % (snap, len(wins)))
        symbols = dict(kernel)
        symbols.update(w["modules"])
        got.append((w, *profile(snap, symbols)))
    if a.calls:
        for k, (w, ins, calls, total) in enumerate(got):
            print("window %d: %s calls %d, instructions %d of %d" %
                  (k, a.calls, calls[a.calls], ins[a.calls], total))
        return
    plain = {}
    for w, ins, calls, total in got:
        if w["name"] not in (None, "again") and w["name"][0] == "plain":
            plain[w["name"][1:]] = (w, ins, calls, total)
    for w, ins, calls, total in got:
        if w["name"] in (None, "again"):
            continue
        sysname, metric, rnd = w["name"]
        p = max(w["packets"], 1)
        base = plain.get((metric, rnd)) if sysname != "plain" else None
        print("== %s %s round %d: %d packets, %.1f instructions per packet%s" %
              (sysname, metric, rnd, w["packets"], total / p,
               "; plain routing %+.1f" % (total / p - base[3] / max(base[0]["packets"], 1))
               if base else ""))
        # What each module's own functions take: l4lb's is the bound on
        # what making l4lb cheaper can still win against another system.
        mods = collections.Counter()
        for s, n in ins.items():
            m = re.search(r"\[([\w-]+)\]$", s)
            if m and m.group(1) != "user":
                mods[m.group(1)] += n / p
        print("   in modules: %s" % (", ".join("%s %.1f" % kv for kv in mods.most_common()
                                                if kv[1] >= 0.5) or "none"))
        bp = max(base[0]["packets"], 1) if base else 1
        keys = set(ins) | (set(base[1]) if base else set())
        diff = {s: ins[s] / p - (base[1][s] / bp if base else 0) for s in keys}
        order = sorted(keys, key=lambda s: -abs(diff[s]) if base else -ins[s])
        print("   %-44s %10s %10s %9s %7s" % ("symbol", "plain" if base else "", "instr/pkt",
                                            "diff" if base else "", "calls"))
        for s in order[:a.top]:
            print("   %-44s %10s %10.1f %9s %7.2f" %
                  (s[:44], "%.1f" % (base[1][s] / bp) if base else "", ins[s] / p,
                   "%+.1f" % diff[s] if base else "", calls[s] / p))


if __name__ == "__main__":
    main()
