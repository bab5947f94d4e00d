#!/bin/bash
# make bench's smoke run (issue 12 item 7): tests/bench/guest.sh in its
# smoke mode (L4LB_BENCH_SMOKE=1: tiny counts, every phase, every system of
# its table set up and torn down), then tests/bench/analyze.py --check: every
# system measured (or its l4lb mode refused by the module), every figure
# present and a number, packets and connections through every system, flows
# in every table, every control-plane object made; the table and the plot
# are written. It proves the pipeline works; the figures mean nothing.
. "$(dirname "$0")/lib/netns.sh"
TOP=$(readlink -f "$(dirname "$0")/../..")
out=$(mktemp -d)

L4LB_BENCH_SMOKE=1 L4LB_BENCH_ROUNDS=1 L4LB_BENCH_SECONDS=0.3 L4LB_BENCH_FLOWS=2000 \
	L4LB_BENCH_FLOWS_SMALL=1000 L4LB_BENCH_FLAT_REPS=1 L4LB_BENCH_WARMUP=0 \
	L4LB_BENCH_NL_VIPS=20 L4LB_BENCH_NL_BACKENDS=100 L4LB_BENCH_CRR_CONC=8 \
	bash "$TOP/tests/bench/guest.sh" >"$out/console.log" 2>"$out/stderr.log"
rc=$?
if ((rc == 0)); then
	tap_ok "tests/bench/guest.sh ran every phase ($(grep -c '^L4LB-BENCH ' "$out/console.log") measurements)"
else
	tap_fail "tests/bench/guest.sh ran every phase (status $rc)" "$(tail -n 30 "$out/stderr.log")"
fi
grep '^# bench: phase\|once more\|not measured\|set-up failed\|no figure\|refused\|not listening\|only [0-9]* of' \
	"$out/stderr.log" | sed 's/^# //' | while read -r l; do tap_diag "$l"; done
report=$(python3 "$TOP/tests/bench/analyze.py" "$out/console.log" "$out/report" --check 2>&1)
rc=$?
if ((rc == 0)); then
	tap_ok "analyze.py --check: every system measured, every figure there, traffic through each"
else
	tap_fail "analyze.py --check: every system measured, every figure there, traffic through each" \
		"why:" "$(grep -v '^analyze: check failed' <<<"$report" | grep '^analyze:')" \
		"$(grep '^analyze: check failed' <<<"$report")" \
		"the guest's log:" "$(tail -n 15 "$out/stderr.log")" \
		"its measurements:" "$(grep '^L4LB-BENCH' "$out/console.log" | cut -c12-200)"
fi
tap_check "results.json names the four systems and the eight goals" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not {"plain", "ipvs-nat", "nft-dnat", "l4lb-dnat"} <= set(r["systems"]) or len(r["goals"]) < 8)' \
	"$out/report/results.json"
tap_check "the plot was written" test -s "$out/report/ratios.png"
# The same log as an instruction-count run's (L4LB_VM_ICOUNT=1): each
# system's instructions per packet are 1e9 / (2 x its median rate), and
# its difference is to plain routing's; a timed run has none.
sed 's/"icount": null/"icount": 1/' "$out/console.log" >"$out/icount.log"
tap_check "an instruction-count run's instructions per packet: 1e9 / (2 x the median rate), less plain routing's" \
	python3 -c '
import json, subprocess, sys
timed, log, analyze, outdir = sys.argv[1:]
subprocess.run([sys.executable, analyze, log, outdir], check=True, stdout=subprocess.DEVNULL)
r = json.load(open(outdir + "/results.json"))
assert json.load(open(timed))["instructions"] == {}, "a timed run has instruction counts"
ins = r["instructions"]["udp_pps"]
med = {s: r["rates"][s]["udp_pps"]["value"]["median"] for s in ins}
assert {"plain", "l4lb-dnat"} <= set(ins), ins
for s, d in ins.items():
    assert abs(d["per_packet"] - 1e9 / (2 * med[s])) < 1e-6 * d["per_packet"], (s, d, med[s])
    assert abs(d["more_than_plain"] - (d["per_packet"] - ins["plain"]["per_packet"])) < 1e-6, (s, d)
' "$out/report/results.json" "$out/icount.log" "$TOP/tests/bench/analyze.py" "$out/icount"
rm -rf "$out"
tap_done
