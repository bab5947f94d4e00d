#!/usr/bin/env python3
"""make bench: turn the guest's measurements into the report.

    analyze.py CONSOLE_LOG OUT_DIR [--check] [--sched=HOST_LOG ...]

Reads the "L4LB-BENCH {json}" lines tests/bench/guest.sh printed (the VM's
console log), and those of SCHED_LOG (tests/unit/build/sched_bench's output:
scheduling cost per new flow, measured on the host), writes
OUT_DIR/results.json, prints the table (every system's
min / median / max per metric and its ratio to plain routing, paired round
by round, warm-up round 0 discarded), the per-flow memory, the flat-cost and
control-plane figures and the issue's goals (met or not, with the ratio),
and plots OUT_DIR/ratios.png with gnuplot (ratio to plain routing, min-max
bars). --check (the smoke test, t-bench-smoke.sh): exit 1 unless the
pipeline worked: every system measured, every figure present and a
number, traffic through every system (see check()).
"""
import json
import math
import os
import statistics
import subprocess
import sys

RATE_METRICS = [  # name, label, unit, higher is better
    ("udp_pps", "64-byte UDP pps, 1000 flows", "pkt/s", True),
    ("setup_pps", "new-flow setup rate, UDP, every packet a new flow", "flows/s", True),
    ("tcp_conn_rate", "new TCP conn/s (connection: close)", "conn/s", True),
    ("latency_p50_us", "request latency p50", "us", False),
    ("latency_p99_us", "request latency p99", "us", False),
    ("tcp_bulk_bps", "bulk TCP (iperf3, GSO on)", "bit/s", True),
]
MEM_SYSTEMS = ["l4lb-dnat", "ipvs-nat", "nft-dnat"]
# each l4lb mode and what it is compared with (tests/bench/guest.sh SYSTEM_TABLE)
COUNTERPARTS = [("l4lb-dnat", "ipvs-nat"), ("l4lb-dnat", "nft-dnat"),
                ("l4lb-snat", "nft-masq"), ("l4lb-dsr", "ipvs-dr")]


def load(path):
    recs = []
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("L4LB-BENCH {")
            if i < 0:
                continue
            try:
                recs.append(json.loads(line[i + len("L4LB-BENCH "):]))
            except ValueError:
                print("analyze: unreadable line: %s" % line.strip(), file=sys.stderr)
    return recs


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"min": min(vals), "median": statistics.median(vals), "max": max(vals),
            "n": len(vals), "samples": vals}


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e9:
        return "%.2fG" % (v / 1e9)
    if a >= 1e6:
        return "%.2fM" % (v / 1e6)
    if a >= 1e4:
        return "%.1fk" % (v / 1e3)
    if a >= 100:
        return "%.0f" % v
    return "%.3g" % v


def analyze(recs):
    info = next((r for r in recs if r["metric"] == "info"), {})
    unavailable = sorted({r["system"] for r in recs if r["metric"] == "unavailable"})
    systems = []
    for r in recs:
        if r["metric"] in dict((m[0], 1) for m in RATE_METRICS) and r["system"] not in systems:
            systems.append(r["system"])
    # by[system][metric][round] = value
    by = {}
    for r in recs:
        if r["metric"] in ("info", "unavailable") or r["system"] in ("sched", "agent"):
            continue
        by.setdefault(r["system"], {}).setdefault(r["metric"], {})[r["round"]] = r
    res = {"vm": {k: v for k, v in info.items() if k not in ("system", "metric", "round", "value")},
           "systems": systems, "unavailable": unavailable, "rates": {}, "flat_cost": {},
           "setup_rate": {}, "memory": {}, "control": {}, "goals": [], "drain": {}}
    for s in systems:
        res["rates"][s] = {}
        for m, _, _, _ in RATE_METRICS:
            rounds = {k: v["value"] for k, v in by.get(s, {}).get(m, {}).items() if k > 0}
            plain = {k: v["value"] for k, v in by.get("plain", {}).get(m, {}).items() if k > 0}
            st = stats(list(rounds.values()))
            ratios = [rounds[k] / plain[k] for k in rounds if plain.get(k)]
            res["rates"][s][m] = {"value": st, "ratio_to_plain": stats(ratios)}
    for s in systems:
        d = {k: v for k, v in by.get(s, {}).get("drain_s", {}).items() if k > 0}
        if d:
            cut = [v.get("flows_left", 0) for v in d.values() if v.get("at_limit")]
            res["drain"][s] = {"seconds": stats([v["value"] for v in d.values()]),
                               "rounds": len(d), "rounds_at_limit": len(cut),
                               "flows_left_at_limit": [min(cut), max(cut)] if cut else None}
    res["instructions"] = instructions(res)
    res["vs_counterpart"] = {}
    for a, b in COUNTERPARTS:
        if a not in systems or b not in systems:
            continue
        for m, _, _, _ in RATE_METRICS:
            ra = {k: v["value"] for k, v in by[a].get(m, {}).items() if k > 0}
            rb = {k: v["value"] for k, v in by[b].get(m, {}).items() if k > 0}
            st = stats([ra[k] / rb[k] for k in ra if rb.get(k)])
            res["vs_counterpart"].setdefault("%s/%s" % (a, b), {})[m] = st
    for s in MEM_SYSTEMS:
        d = by.get(s, {})
        # the table empty before the fill (rounds 1..reps) and again
        # after it (reps+1..): the baseline is both, A B A
        empty = d.get("pps_1k_flows", {})
        reps = info.get("flat_reps", len(empty))
        base = stats([v["value"] for v in empty.values()])
        full = stats([v["value"] for v in d.get("pps_1k_flows_full", {}).values()])
        if base or full:
            res["flat_cost"][s] = {
                "pps_1k_flows": base, "pps_1k_flows_full": full,
                "pps_1k_flows_before": stats([v["value"] for k, v in empty.items() if k <= reps]),
                "pps_1k_flows_after": stats([v["value"] for k, v in empty.items() if k > reps]),
                "ratio": full["median"] / base["median"] if base and full and base["median"] else None}
        for fam in ("v4", "v6"):
            pts = sorted(d.get("setup_rate_" + fam, {}).values(), key=lambda r: r["round"])
            if pts:
                res["setup_rate"].setdefault(s, {})[fam] = [
                    {"step": p["round"], "rate": p["value"], "sent": p["sent"],
                     "delivered": p["delivered"]} for p in pts]
            pts = sorted((r for r in d.get("mem_" + fam, {}).values() if "cache" in r),
                         key=lambda r: r["flows"])
            if pts:
                res["memory"].setdefault(s, {})[fam] = [
                    {k: p[k] for k in p if k not in ("system", "metric", "round")} for p in pts]
    for s, d in by.items():
        for m in ("nl_add_vips", "nl_add_backends", "conn_dump"):
            if m in d:
                r = list(d[m].values())[0]
                res["control"].setdefault(s, {})[m] = {"seconds": r["value"], "count": r["count"],
                                                       "complete": r.get("complete", True)}
    res["scheduling"] = scheduling(recs)
    # l4lb-agent's health checks (issue 11): CPU share of one core
    res["agent_checks"] = [{k: r[k] for k in r if k not in ("system", "metric", "round")}
                           for r in recs if r["system"] == "agent" and r["metric"] == "check_cpu_pct"]
    goals(res)
    return res


MAGLEV_PAPER_MS = 1.8  # Eisenbud et al., NSDI 2016: M = 65537, 1000 backends


# The packet-rate metrics an instruction-count run turns into instructions.
ICOUNT_METRICS = ["udp_pps", "setup_pps"]


def instructions(res):
    """Instruction-count run (L4LB_VM_ICOUNT): a packet's instructions, the
    whole guest's (generator, LB, backends), from each median rate, and how
    many more than plain routing's; {} otherwise."""
    shift = res["vm"].get("icount")
    if shift is None:
        return {}
    out = {}
    for m in ICOUNT_METRICS:
        per = {}
        for s in res["systems"]:
            v = res["rates"][s][m]["value"]
            if v and v["median"]:
                per[s] = 1e9 / (v["median"] * 2 ** shift)
        base = per.get("plain")
        out[m] = {s: {"per_packet": n, "more_than_plain": n - base if base else None}
                  for s, n in per.items()}
    return out


def scheduling(recs):
    """tests/unit/sched_bench's figures (system "sched"), or None."""
    sched = [r for r in recs if r["system"] == "sched"]
    if not sched:
        return None
    info = next((r for r in sched if r["metric"] == "sched_info"), {})
    out = {"cpu": info.get("cpu"), "cpus": info.get("cpus"), "note": info.get("note"),
           "pick_ns": {}, "build_us": {}, "maglev_build_ms": None}
    for r in sched:
        if r["metric"] in ("sched_pick_ns", "sched_build_us"):
            key = "pick_ns" if r["metric"] == "sched_pick_ns" else "build_us"
            out[key].setdefault(r["sched"], {})[str(r["backends"])] = r["value"]
        elif r["metric"] == "maglev_build_ms":
            out["maglev_build_ms"] = {"size": r["size"], "backends": r["backends"],
                                      "value": r["value"], "paper_ms": MAGLEV_PAPER_MS}
    return out


def med(res, s, m, key="value"):
    try:
        return res["rates"][s][m][key]["median"]
    except (KeyError, TypeError):
        return None


def pair_med(res, pair, m):
    """The median of the paired rounds' ratios of PAIR ("a/b") for M, or None."""
    try:
        return res["vs_counterpart"][pair][m]["median"]
    except (KeyError, TypeError):
        return None


def goal(res, text, ratio, target, why=""):
    # Unrounded: rounded here and again when printed, 1.1746 showed as
    # 1.18 beside the table's 1.17.
    res["goals"].append({"goal": text, "target": target, "ratio": ratio,
                         "met": None if ratio is None else ratio >= target,
                         "note": why})


def goals(res):
    r = pair_med(res, "l4lb-dnat/ipvs-nat", "udp_pps")
    goal(res, "64-byte UDP pps, l4lb DNAT / IPVS-NAT (paired rounds)", r, 1.3)
    goal(res, "64-byte UDP pps, l4lb DNAT / plain routing",
         med(res, "l4lb-dnat", "udp_pps", "ratio_to_plain"), 1.0)
    goal(res, "64-byte UDP pps, l4lb DSR / plain routing",
         med(res, "l4lb-dsr", "udp_pps", "ratio_to_plain"), 1.1,
         "" if "l4lb-dsr" in res["systems"] else "not measured in this run")
    r = pair_med(res, "l4lb-dnat/ipvs-nat", "setup_pps")
    goal(res, "LB-bound new-flow setup rate (UDP), l4lb DNAT / IPVS-NAT (paired rounds)", r, 1.5)
    # the fill of the memory phase: pktgen and the LB share a vCPU there
    sr = res["setup_rate"]
    try:
        a = sr["l4lb-dnat"]["v4"][-1]["rate"]
        b = sr["ipvs-nat"]["v4"][-1]["rate"]
        r = a / b if b else None
    except (KeyError, IndexError):
        r = None
    goal(res, "new-flow setup rate while the table fills (UDP, v4), l4lb / IPVS-NAT", r, 1.5,
         "one vCPU for the generator and the LB: bound by both")
    goal(res, "real-client new TCP conn/s, l4lb DNAT / plain routing",
         med(res, "l4lb-dnat", "tcp_conn_rate", "ratio_to_plain"), 0.95)
    try:
        m = res["memory"]["l4lb-dnat"]["v4"][-1]
        bpf = m["value"]
        goal(res, "bytes per IPv4 flow (slab + bucket share) at %d flows: %.1f B; 128 / that" %
             (m["flows"], bpf), 128.0 / bpf if bpf > 0 else None, 1.0)
    except (KeyError, IndexError):
        goal(res, "bytes per IPv4 flow <= 128", None, 1.0, "not measured")
    fc = res["flat_cost"].get("l4lb-dnat", {})
    goal(res, "pps of 1000 flows with %s flows in the table / with 1000" %
         res["vm"].get("flows", "?"), fc.get("ratio"), 0.9)


def print_report(res):
    out = []
    p = out.append
    vm = res["vm"]
    p("make bench: kernel %s, %s vCPUs (TCG), %s rounds of %s s after a warm-up; ratios are to plain "
      "routing, paired round by round (median [min-max])" % (vm.get("kernel"), vm.get("cpus"),
                                                           vm.get("rounds"), vm.get("seconds")))
    if vm.get("icount") is not None:
        p("instruction counting (L4LB_VM_ICOUNT=%s): guest time is 2^%s ns per instruction run, on one "
          "vCPU; a rate is per 1e9 / 2^%s instructions of the whole guest, not per host second, and "
          "nearly repeats from run to run" % (vm["icount"], vm["icount"], vm["icount"]))
    if res["unavailable"]:
        p("not measured (l4lb mode missing in this module): " + ", ".join(res["unavailable"]))
    for m, label, unit, hib in RATE_METRICS:
        p("")
        p("%s (%s, %s is better)" % (label, unit, "higher" if hib else "lower"))
        p("  %-10s %9s %9s %9s   %s" % ("system", "min", "median", "max", "ratio to plain"))
        for s in res["systems"]:
            v, r = res["rates"][s][m]["value"], res["rates"][s][m]["ratio_to_plain"]
            if not v:
                p("  %-10s  no data" % s)
                continue
            p("  %-10s %9s %9s %9s   %s" % (s, fmt(v["min"]), fmt(v["median"]), fmt(v["max"]),
                                           "%.2f [%.2f-%.2f]" % (r["median"], r["min"], r["max"]) if r else "-"))
    if res["instructions"]:
        p("")
        p("instructions per packet (whole guest: generator, LB, backends; from the median rate), "
          "and more than plain routing")
        p("  %-10s %s" % ("system", " ".join("%-24s" % m for m in ICOUNT_METRICS)))
        for s in res["systems"]:
            cells = []
            for m in ICOUNT_METRICS:
                d = res["instructions"][m].get(s)
                cells.append("%-24s" % ("-" if not d else "%6.0f (%+5.0f)" % (
                    d["per_packet"], d["more_than_plain"]) if d["more_than_plain"] is not None
                    else "%6.0f" % d["per_packet"]))
            p("  %-10s %s" % (s, " ".join(cells)))
    if res["vs_counterpart"]:
        p("")
        p("l4lb against its counterpart, paired round by round: median [min-max]")
        p("  %-22s %s" % ("", " ".join("%-20s" % m for m, _, _, _ in RATE_METRICS)))
        for pair, d in res["vs_counterpart"].items():
            p("  %-22s %s" % (pair, " ".join(
                "%-20s" % ("%.2f [%.2f-%.2f]" % (d[m]["median"], d[m]["min"], d[m]["max"]) if d.get(m) else "-")
                for m, _, _, _ in RATE_METRICS)))
    if res["drain"]:
        p("")
        p("after the new-flow setup window: seconds until the table is back to its size before it "
          "(a round the limit cut short counts as the limit)")
        p("  %-10s %9s %9s %9s   %s" % ("system", "min", "median", "max", "rounds at the limit: flows left"))
        for s, d in res["drain"].items():
            v, cut = d["seconds"], d["flows_left_at_limit"]
            p("  %-10s %9s %9s %9s   %d of %d%s" % (
                s, fmt(v["min"]), fmt(v["median"]), fmt(v["max"]), d["rounds_at_limit"], d["rounds"],
                ": %s-%s" % (fmt(cut[0]), fmt(cut[1])) if cut else ""))
    p("")
    p("memory per flow (bytes: slab growth per flow added + bucket array share; from /proc/slabinfo,"
      " the table sizes, and /proc/meminfo Slab growth)")
    p("  %-10s %-4s %9s %-13s %6s %8s %8s %8s %9s" % ("system", "fam", "flows", "cache", "obj",
                                                    "slab/fl", "bkt/fl", "total", "meminfo"))
    for s, fams in res["memory"].items():
        for fam, pts in fams.items():
            for q in pts:
                p("  %-10s %-4s %9d %-13s %6d %8.1f %8.1f %8.1f %9.1f" % (
                    s, fam, q["flows"], q["cache"], q["object_size"], q["slab_per_flow"],
                    q["bucket_per_flow"], q["value"], q["meminfo_slab_per_flow"]))
    p("")
    p("flat cost: pps of 1000 active flows, the table empty (before / after the fill: median of both) -> filled")
    for s, d in res["flat_cost"].items():
        b, f = d["pps_1k_flows"], d["pps_1k_flows_full"]
        b0, b1 = d.get("pps_1k_flows_before"), d.get("pps_1k_flows_after")
        p("  %-10s %9s / %9s: %9s -> %9s   ratio %s" % (
            s, fmt(b0 and b0["median"]), fmt(b1 and b1["median"]), fmt(b and b["median"]),
            fmt(f and f["median"]), "%.2f" % d["ratio"] if d["ratio"] else "-"))
    p("new-flow setup rate while the table fills (new flows/s delivered; first point, then the rest)")
    for s, fams in res["setup_rate"].items():
        p("  %-10s %s" % (s, "  ".join("%s: %s" % (fam, " / ".join(fmt(x["rate"]) for x in pts))
                                      for fam, pts in fams.items())))
    p("control plane (seconds; l4lb: raw netlink, one request at a time; IPVS: ipvsadm --restore, "
      "its start-up subtracted)")
    for s, d in res["control"].items():
        p("  %-10s %s" % (s, "  ".join("%s %d in %.3f s" % (m[7:] if m.startswith("nl_add_") else m,
                                                          v["count"], v["seconds"])
                                      for m, v in d.items())))
    dumps = {s: d["conn_dump"] for s, d in res["control"].items() if "conn_dump" in d}
    if not dumps:
        p("  full dump of the conn table: not measured")
    for s, v in dumps.items():
        p("  full dump of the conn table, %-10s %d flows in %.2f s (%.0f flows/s)%s" % (
            s, v["count"], v["seconds"], v["count"] / v["seconds"] if v["seconds"] > 0 else 0,
            "" if v.get("complete", True) else ", cut off there (L4LB_BENCH_DUMP_TIMEOUT)"))
    print_scheduling(p, res.get("scheduling"))
    p("")
    if not res.get("agent_checks"):
        p("l4lb-agent health checks: not measured (tests/unit/build/agent_check_bench did not run)")
    for a in res.get("agent_checks", []):
        p("l4lb-agent health checks (issue 11, on the host): %d backends, %s every %d ms: "
          "%.1f %% of one core (%s), %.0f us per check; goal < 10 %%" % (
              a["backends"], a["check"], a["interval_ms"], a["value"],
              "met" if a["value"] < 10 else "NOT met", a["us_per_check"]))
    p("")
    p("goals (issue 12)")
    for g in res["goals"]:
        state = "not measured" if g["met"] is None else ("met" if g["met"] else "NOT met")
        p("  %-78s %-12s ratio %s (goal >= %s)%s" % (
            g["goal"], state, "-" if g["ratio"] is None else "%.2f" % g["ratio"], g["target"],
            " - " + g["note"] if g["note"] else ""))
    return "\n".join(out)


def print_scheduling(p, sc):
    p("")
    if not sc:
        p("scheduling cost per new flow: not measured (tests/unit/build/sched_bench did not run)")
        return
    sizes = sorted({int(n) for d in sc["pick_ns"].values() for n in d})
    p("scheduling cost per new flow (issue 9): on the host, not in the VM: %s; CPU %s, one thread"
      % (sc["note"], sc["cpu"]))
    p("  %-8s %s   %s" % ("", "%-*s" % (10 * len(sizes), "ns per pick, backends:"),
                         "->build() us, backends:"))
    p("  %-8s %s   %s" % ("sched", "".join("%10d" % n for n in sizes),
                         "".join("%10d" % n for n in sizes)))
    for name, d in sc["pick_ns"].items():
        b = sc["build_us"].get(name, {})
        p("  %-8s %s   %s" % (name, "".join("%10s" % fmt(d.get(str(n))) for n in sizes),
                             "".join("%10s" % fmt(b.get(str(n))) for n in sizes) if b else
                             "%10s" % "-"))
    m = sc.get("maglev_build_ms")
    if m:
        p("  Maglev table build, M = %d, %d backends: %.2f ms (the Maglev paper: %.1f ms on its hardware)"
          % (m["size"], m["backends"], m["value"], m["paper_ms"]))


def plot(res, out_dir):
    systems = [s for s in res["systems"] if s != "plain"]
    # Phases without the rates (memory, profile alone): nothing to plot.
    if not any(r["ratio_to_plain"] for s in systems
               for r in res["rates"].get(s, {}).values()):
        print("analyze: no ratio to plain routing in this run: no plot", file=sys.stderr)
        return None
    data = os.path.join(out_dir, "ratios.dat")
    with open(data, "w") as f:
        f.write("# metric " + " ".join("%s %s_min %s_max" % (s, s, s) for s in systems) + "\n")
        for m, label, _, _ in RATE_METRICS:
            row = ['"%s"' % label.split(",")[0].replace("(", "").replace(")", "")]
            for s in systems:
                r = res["rates"][s][m]["ratio_to_plain"]
                row += ["%.4f %.4f %.4f" % (r["median"], r["min"], r["max"]) if r else "NaN NaN NaN"]
            f.write(" ".join(row) + "\n")
    png = os.path.join(out_dir, "ratios.png")
    cols = ", ".join("'%s' using %d:%d:%d:xtic(1) title '%s'" % (data, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, s)
                     if i == 0 else "'' using %d:%d:%d title '%s'" % (2 + 3 * i, 3 + 3 * i, 4 + 3 * i, s)
                     for i, s in enumerate(systems))
    script = """
set terminal pngcairo size 1200,600 font ',10'
set output '%s'
set title 'make bench: ratio to plain routing (median, min-max bars; %s rounds, kernel %s, TCG)'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set key top right
set ylabel 'ratio to plain routing (latency: lower is better)'
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
set xtics rotate by -15
plot %s
""" % (png, res["vm"].get("rounds"), res["vm"].get("kernel"), cols)
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("analyze: gnuplot failed: %s" % e, file=sys.stderr)
        return None
    return png


CHEAP_METRICS = ("udp_pps", "setup_pps", "tcp_conn_rate")  # no tool start of their own


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check(res, recs, out_dir):
    """The smoke test's check: the pipeline works, whatever the figures.

    Every system of the guest's table was measured (or its l4lb mode was
    refused by the module), every metric the run asked for is there and a
    number, and what only a broken system makes zero is positive: packets
    and connections delivered through each system over the whole run, a
    drain time after the setup window from each system with a table,
    flows added to each table, the control-plane objects made. Single
    samples may be zero on a starved machine (the guest retries a zero
    once) and are not judged. Returns the list of failures.
    """
    bad = []
    info = next((r for r in recs if r["metric"] == "info"), None)
    if not info:
        return ["no vm info record: the guest did not start its phases"]
    table = info.get("systems") or ["plain", "ipvs-nat", "nft-dnat", "l4lb-dnat"]
    full = info.get("full_systems") or table
    fams = ["v%s" % f for f in info.get("families", [4, 6])]
    flat = info.get("flat_systems", MEM_SYSTEMS)
    # pps windows: a broken system still lets the odd ARP request through
    # to the backends' counters, a working one thousands of packets
    pmin = info.get("pps_min", 100)
    unavail = {r["system"]: r.get("why", "?") for r in recs if r["metric"] == "unavailable"}
    for s in table:
        if s in unavail:
            if unavail[s] != "mode refused":
                bad.append("system %s not measured: %s" % (s, unavail[s]))
        elif s not in res["systems"]:
            bad.append("system %s: no rate measurement at all" % s)
    for s in ("plain", "l4lb-dnat"):
        if s not in res["systems"]:
            bad.append("system %s missing" % s)
    by = {}
    for r in recs:
        by.setdefault(r["system"], {}).setdefault(r["metric"], []).append(r)
    for s in res["systems"]:
        want = [m for m, _, _, _ in RATE_METRICS if s in full or m in CHEAP_METRICS]
        for m in want:
            v = res["rates"][s][m]["value"]
            if not v or not all(num(x) for x in v["samples"]):
                bad.append("%s %s: missing or not a number: %s" % (s, m, v and v["samples"]))
        d = by.get(s, {})
        for m in ("udp_pps", "setup_pps"):
            pk = sum(r.get("delivered", 0) for r in d.get(m, []))
            if pk < pmin:
                bad.append("%s %s: UDP does not pass: %s packets reached the backends (%d wanted)" %
                           (s, m, pk, pmin))
        # every system with a flow table was waited for after the window
        if s != "plain" and d.get("setup_pps") and \
                not any(num(r["value"]) and r["value"] >= 0 for r in d.get("drain_s", [])):
            bad.append("%s: no drain_s after the setup window" % s)
        cn = sum(r.get("conns", 0) for m in ("tcp_conn_rate", "latency_p50_us") for r in d.get(m, []))
        if cn <= 0:
            bad.append("%s: no TCP connection completed (conn/s and latency runs)" % s)
        if s in full and not any(num(r["value"]) and r["value"] > 0 for r in d.get("tcp_bulk_bps", [])):
            bad.append("%s: iperf3 moved no data" % s)
    for s in MEM_SYSTEMS:
        d = by.get(s, {})
        for fam in fams:
            pts = res["memory"].get(s, {}).get(fam, [])
            if len(pts) < 2 or not all(num(q["value"]) and q["flows_added"] > 0 for q in pts):
                bad.append("memory %s %s: two points with flows added wanted: %s" % (s, fam, pts))
            sr = res["setup_rate"].get(s, {}).get(fam, [])
            if len(sr) < 2 or not all(num(x["rate"]) for x in sr) or \
                    2 * sum(x["delivered"] for x in sr) < sum(x["sent"] for x in sr):
                bad.append("setup rate %s %s: two fills, half their packets delivered wanted: %s" % (s, fam, sr))
        if s not in flat:
            continue
        fc = res["flat_cost"].get(s)
        if not fc or not fc["pps_1k_flows"] or not fc["pps_1k_flows_full"]:
            bad.append("flat cost %s: missing: %s" % (s, fc))
        elif any(sum(r.get("delivered", 0) for r in d.get(m, [])) < pmin
                 for m in ("pps_1k_flows", "pps_1k_flows_full")):
            bad.append("flat cost %s: UDP does not pass: %s" % (s, [(r["metric"], r.get("delivered"))
                       for m in ("pps_1k_flows", "pps_1k_flows_full") for r in d.get(m, [])]))
    for s in ("l4lb-dnat", "ipvs-nat"):
        for m, n in (("nl_add_vips", "nl_vips"), ("nl_add_backends", "nl_backends")):
            v = res["control"].get(s, {}).get(m)
            # IPVS's figure has ipvsadm's start-up subtracted: a few
            # objects can come out at or below zero.
            if not v or not num(v["seconds"]) or (s == "l4lb-dnat" and v["seconds"] <= 0) \
                    or v["count"] <= 0 or v["count"] != info.get(n, v["count"]):
                bad.append("control %s %s: %s (%s wanted)" % (s, m, v, info.get(n)))
    if res["memory"].get("l4lb-dnat", {}).get("v4"):
        v = res["control"].get("l4lb-dnat", {}).get("conn_dump")
        if not v or v["count"] <= 0:
            bad.append("conn dump l4lb-dnat: %s" % v)
    if len(res["goals"]) < 8:
        bad.append("goals: %d of 8" % len(res["goals"]))
    for f in ("results.json", "ratios.png"):
        p = os.path.join(out_dir, f)
        if not os.path.isfile(p) or os.path.getsize(p) == 0:
            bad.append("%s not written" % f)
    return bad


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    recs = load(args[0])
    for a in sys.argv[1:]:
        if a.startswith("--sched=") and os.path.isfile(a[len("--sched="):]):
            recs += load(a[len("--sched="):])
    if not recs:
        sys.exit("analyze: no L4LB-BENCH lines in %s" % args[0])
    os.makedirs(args[1], exist_ok=True)
    res = analyze(recs)
    with open(os.path.join(args[1], "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    text = print_report(res)
    print(text)
    with open(os.path.join(args[1], "results.txt"), "w") as f:
        f.write(text + "\n")
    if "--no-plot" not in sys.argv:
        png = plot(res, args[1])
        print("\nresults: %s, plot: %s" % (os.path.join(args[1], "results.json"), png))
    if "--check" in sys.argv:
        bad = check(res, recs, args[1])
        for b in bad:
            print("analyze: check failed: %s" % b)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
