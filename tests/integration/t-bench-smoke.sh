#!/bin/bash
# make bench's smoke run (issue 12 item 7): tests/bench/guest.sh with tiny
# counts, every phase, then tests/bench/analyze.py --check: every system
# (plain routing, IPVS-NAT, nftables DNAT, l4lb DNAT, and the l4lb modes the
# module has) has every rate metric, memory per flow, flat cost, setup rate
# and control-plane figure, all positive; the table and the plot are made.
# The figures themselves mean nothing at these sizes.
. "$(dirname "$0")/lib/netns.sh"
TOP=$(readlink -f "$(dirname "$0")/../..")
out=$(mktemp -d)

L4LB_BENCH_ROUNDS=1 L4LB_BENCH_SECONDS=1 L4LB_BENCH_FLOWS=2000 L4LB_BENCH_FLOWS_SMALL=1000 \
	L4LB_BENCH_FLAT_REPS=1 L4LB_BENCH_WARMUP=0 L4LB_BENCH_NL_VIPS=20 L4LB_BENCH_NL_BACKENDS=100 \
	L4LB_BENCH_CRR_CONC=8 \
	bash "$TOP/tests/bench/guest.sh" >"$out/console.log" 2>"$out/stderr.log"
rc=$?
if ((rc == 0)); then
	tap_ok "tests/bench/guest.sh ran every phase ($(grep -c '^L4LB-BENCH ' "$out/console.log") measurements)"
else
	tap_fail "tests/bench/guest.sh ran every phase (status $rc)" "$(tail -n 30 "$out/stderr.log")"
fi
grep '^# bench: phase' "$out/stderr.log" | sed 's/^# //' | while read -r l; do tap_diag "$l"; done
report=$(python3 "$TOP/tests/bench/analyze.py" "$out/console.log" "$out/report" --check 2>&1)
rc=$?
if ((rc == 0)); then
	tap_ok "analyze.py --check: every system and metric present, values positive"
else
	tap_fail "analyze.py --check: every system and metric present, values positive" \
		"$(tail -n 30 <<<"$report")" "console:" "$(grep -v '^L4LB-BENCH' "$out/console.log" | tail -n 20)" \
		"$(grep '^L4LB-BENCH' "$out/console.log" | grep -E '"value": (0|0\.0|-?nan|-?inf)[,}]')"
fi
tap_check "results.json names the four systems" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(not {"plain", "ipvs-nat", "nft-dnat", "l4lb-dnat"} <= set(r["systems"]) or len(r["goals"]) < 7)' \
	"$out/report/results.json"
tap_check "the plot was written" test -s "$out/report/ratios.png"
rm -rf "$out"
tap_done
