#!/bin/bash
# Concurrency (issue 7, item 11): traffic on both CPUs of the guest (TCP and
# UDP flows, IPv4 and IPv6, pinned with taskset, every exchange checked)
# while one netlink client (lib/nlchurn.py) adds, removes and re-weights
# VIPs and backends at >= 20 operations/s for 30 s; then the module is
# removed while traffic still flows. No flow to a backend that stayed may
# break (the churn never touches be1 and be2); the harness fails the run on
# any kernel splat.
. "$(dirname "$0")/lib/hard.sh"

CHURN_S=${L4LB_CHURN_SECONDS:-30}
W=$(mktemp -d)
topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done
KEEP=$BE4_1,$BE4_2,$BE6_1,$BE6_2

# streams CPU SECONDS OUT [--no-check] : 16 flows from one process on CPU.
streams() {
	local cpu=$1 secs=$2 out=$3 args=() i
	shift 3
	for i in 1 2 3 4 5; do
		args+=(--tcp "$VIP4:$VIP_PORT" --udp "[$VIP6]:$VIP_PORT")
	done
	for i in 1 2 3; do
		args+=(--udp "$VIP4:$VIP_PORT" --tcp "[$VIP6]:$VIP_PORT")
	done
	ns_run client taskset -c "$cpu" python3 "$L4LB_LIB/stream.py" "${args[@]}" \
		--duration "$secs" --out "$out" "$@" >/dev/null 2>&1
}

for i in 1 2 3 4; do hold_start "h$i" "$VIP4" $VIP_PORT 10; done
streams 0 $((CHURN_S + 12)) "$W/s0.json" &
s0=$!
streams 1 $((CHURN_S + 12)) "$W/s1.json" &
s1=$!
sleep 4 # the flows are open and exchanging
churn=$(ns_run lb python3 "$L4LB_LIB/nlchurn.py" --vip4 "$VIP4" --vip6 "$VIP6" --port $VIP_PORT \
	--proto4 tcp --proto6 udp --keep "$KEEP" --duration "$CHURN_S" --rate 40 --min-rate 20 \
	--net-get 2>"$W/churn.err")
crc=$?
wait $s0
wait $s1
tap_diag "churn: $churn"
[[ -s $W/churn.err ]] && tap_diag "$(head -n 20 "$W/churn.err")"
tap_check "nlchurn: $CHURN_S s of changes without an error, at >= 20 ops/s, configuration restored" \
	test $crc = 0
rate=$(_json_keys rate restored <<<"$churn")
tap_diag "churn rate (ops/s) and restored: $rate"

# verdict FILE : one line per flow "proto to backend ok broken why".
verdict() {
	python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["flows"]:
    print(f["proto"], f["to"], f["backend"], f["ok"], "broken" if f["broken"] else "intact",
          (f["why"] or "").replace(" ", "_"))' "$1"
}
for cpu in 0 1; do
	if [[ ! -s $W/s$cpu.json ]]; then
		tap_fail "CPU $cpu: the flows reported"
		continue
	fi
	kept_total=0 kept_bad=0 other=0 exch=0
	while read -r proto to be ok state why; do
		exch=$((exch + ok))
		if [[ $be == be[12] ]]; then
			kept_total=$((kept_total + 1))
			if [[ $state != intact ]]; then
				kept_bad=$((kept_bad + 1))
				tap_diag "CPU $cpu: $proto flow to $to on $be broke: ${why//_/ }"
			fi
		else
			other=$((other + 1))
			[[ $state != intact ]] && tap_diag "CPU $cpu: $proto flow to $to on ${be:-?} (not kept) broke: ${why//_/ }"
		fi
	done <<<"$(verdict "$W/s$cpu.json")"
	tap_diag "CPU $cpu: $kept_total flows on kept backends, $other others, $exch exchanges"
	tap_check "CPU $cpu: every flow to a kept backend stayed intact through the churn ($kept_bad of $kept_total broke)" \
		test "$kept_total" -ge 8 -a "$kept_bad" = 0
done
for i in 1 2 3 4; do
	name=$(hold_name h$i)
	state=$(hold_finish h$i)
	if [[ $name == be[12] ]]; then
		tap_is "a connection held across the churn on $name (kept) still works" "$state" intact
	else
		tap_diag "a connection held across the churn on ${name:-?}: $state"
	fi
done
tap_is "the configuration is back as it was: 4 VIPs" "$(l4json count)" 4

# rmmod while flows carry traffic on both CPUs.
streams 0 20 "$W/r0.json" --no-check &
s0=$!
streams 1 20 "$W/r1.json" --no-check &
s1=$!
sleep 6
tap_check "rmmod while traffic flows on both CPUs" l4lb_unload
wait $s0 $s1
tap_like "the module is gone" "$(cat /proc/modules)" "!(*l4lb *)"
tap_diag "exchanges before/after rmmod: $(_json_keys exchanges <<<"$(cat "$W/r0.json")") + $(_json_keys exchanges <<<"$(cat "$W/r1.json")")"

topo_teardown
rm -rf "$W"
tap_done
