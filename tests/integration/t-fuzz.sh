#!/bin/bash
# Netlink fuzzing (issue 7, item 11): 100 000 random, often malformed,
# messages to the l4lb genetlink family (lib/nlfuzz.py: random commands,
# flags, attributes, lengths and nesting) from the load balancer's netns.
# Afterwards the configuration is byte for byte what it was (counters
# excluded), so are the limits, traffic still flows to every backend, and
# the module unloads. The harness fails the run on any kernel splat.
. "$(dirname "$0")/lib/hard.sh"

COUNT=${L4LB_FUZZ_COUNT:-100000}
# nlfuzz counts the messages it builds; a few never reach the kernel (a
# datagram refused by sendmsg, messages skipped): ask for 1 % more.
ASK=$((COUNT + COUNT / 100))
W=$(mktemp -d)
topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done
lbctl backend set "$VIP4:$VIP_PORT" "$BE4_2:$BE_PORT" weight 7
lbctl vip add 10.0.0.20:443 proto tcp

# config : the configuration without its counters, and the limits.
config() {
	lbctl -j show | python3 -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k != "stats"}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
print(json.dumps(strip(json.load(sys.stdin)), sort_keys=True))'
	l4stats vips vip_max backends backend_max conn_max
}

before=$(config)
tap_like "the configuration to keep: 5 VIPs" "$(l4json count)" 5
t0=$(date +%s)
out=$(ns_run lb python3 "$L4LB_LIB/nlfuzz.py" --count "$ASK" 2>"$W/fuzz.err")
rc=$?
tap_diag "nlfuzz after $(($(date +%s) - t0)) s: $out" "$(grep -m1 'seed' "$W/fuzz.err")"
tap_check "nlfuzz ran $ASK messages, the kernel answered all along, its leftovers cleaned up" \
	test $rc = 0
[[ $rc != 0 ]] && tap_diag "$(tail -n 20 "$W/fuzz.err")"
sent=$(_json_keys sent <<<"$out")
tap_check "at least $COUNT messages reached the kernel (sent: $sent)" num_ge "$sent" "$COUNT"
after=$(config)
tap_is "the configuration and limits are byte for byte the same" "$after" "$before"

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	tap_is "IPv$fam TCP: traffic still reaches every backend" \
		"$(sorted_words "$(hellos 3 "$vip" $VIP_PORT)")" "be1 be2 be3"
	tap_is "IPv$fam UDP: traffic still reaches every backend" \
		"$(sorted_words "$(hellos 3 "$vip" $VIP_PORT --udp)")" "be1 be2 be3"
done
tap_check "the module unloads" l4lb_unload

topo_teardown
rm -rf "$W"
tap_done
