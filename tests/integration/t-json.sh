#!/bin/bash
# The JSON contract of l4ctl (issue 10, items 6 and 7): the output of every
# `l4ctl -j` command - show, vip list, backend list, stats, stats rate,
# timeouts, info, conn list, conn get, and monitor's events (flows too) - has exactly the keys that
# lib/l4ctl-keys.json lists (and l4ctl.8 documents): none missing, none
# more, with VIPs of each mode, a real flow and every kind of event; each
# key the list requires is met at least once; -p prints the same documents.
. "$(dirname "$0")/lib/l4lb.sh"

W=$(mktemp -d)
export JSONKEYS_SEEN=$W/seen
KEYS="python3 $L4LB_LIB/jsonkeys.py"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all

# The monitor first, with timestamps: each event below is a line of it.
# nsenter execs l4ctl: $! is the monitor itself, which gets the signal.
nsenter --net=/run/netns/lb -- "$L4CTL" -j monitor timestamp flows \
	>"$W/mon.json" 2>"$W/mon.err" &
mon=$!
for i in $(seq 1 60); do
	lbctl timeouts set udp 301 >/dev/null
	grep -q '"timeouts_set"' "$W/mon.json" && break
	sleep 0.25
done
tap_like "the monitor listens" "$(cat "$W/mon.json")" '*"timeouts_set"*'

V=$VIP4:$VIP_PORT
# A VIP of each mode, a backup, own timeouts, limits: each key shows.
l4lb_service 4 tcp && l4lb_service 6 udp &&
	lbctl vip add $VIP4:81 mode snat snat-ports 20000-20099 &&
	lbctl backend add $VIP4:81 "$BE4_1:$BE_PORT" &&
	lbctl vip add $VIP4:82 mode tunnel encap gue encap-port 5555 \
		timeout tcp-syn 7 sched maglev &&
	lbctl vip add $VIP4:83 mode tunnel &&
	lbctl vip add $VIP4:84 mode dsr proto udp ops &&
	lbctl backend add $VIP4:82 "$BE4_2:$BE_PORT" weight 2 maxconn 5 backup &&
	lbctl vip set $VIP4:82 rate 100 burst 10 persist 60 &&
	lbctl backend set $VIP4:82 "$BE4_2:$BE_PORT" state drain &&
	lbctl backend del $VIP4:82 "$BE4_2:$BE_PORT" &&
	lbctl vip del $VIP4:84 proto udp ||
	{ tap_fail "configure the VIPs"; tap_done; exit 1; }

# A flow for conn list and conn get.
hold_start t1 "$VIP4" $VIP_PORT
sleep 1
hold_name t1 >/dev/null

# keys NAME ARGS...: `l4ctl -j ARGS` has exactly the keys of NAME.
keys() {
	local name=$1 out
	shift
	out=$(lbctl -j "$@")
	tap_is "'l4ctl -j $*': exactly the keys of '$name'" \
		"$($KEYS "$name" <<<"$out" 2>&1)" ""
}
keys show show
keys "vip list" vip list
keys "backend list" backend list "$V"
keys "backend list" backend list "[$VIP6]:$VIP_PORT" proto udp
keys stats stats
keys "stats rate" stats rate 0.2
keys timeouts timeouts
keys info info
keys "conn list" conn list
client=$(lbctl -j conn list vip "$V" | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]["client"]
print("%s:%d" % (c["address"], c["port"]))')
keys "conn get" conn get "$client" "$V"
tap_is "the flow is intact" "$(hold_finish t1)" "intact"
# Its end as an event, and counters zeroed: of the namespace, a VIP, a backend.
lbctl conn flush >/dev/null &&
	lbctl stats zero &&
	lbctl stats zero vip "$V" &&
	lbctl stats zero vip "$V" backend "$BE4_1:$BE_PORT" ||
	tap_fail "conn flush, stats zero"

tap_is "'-j -p show' is the same document as '-j show'" \
	"$(lbctl -j -p show | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
	"$(lbctl -j show | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')"

# Wait for the last event, then end the monitor.
for i in $(seq 1 40); do
	grep -q '"stats_zero".*"backend"' "$W/mon.json" && break
	sleep 0.25
done
kill -INT $mon
wait $mon
tap_is "the monitor ends on SIGINT (exit 0), nothing on stderr" \
	"$? $(cat "$W/mon.err")" "0 "
tap_is "monitor: every kind of event" \
	"$(python3 -c '
import json, sys
print(" ".join(sorted({json.loads(l)["event"] for l in open(sys.argv[1])})))' "$W/mon.json")" \
	"backend_add backend_del backend_set flow_end flow_new stats_zero timeouts_set vip_add vip_del vip_set"
tap_is "'l4ctl -j monitor timestamp': each event has exactly the keys of its kind" \
	"$($KEYS --lines monitor "$W/mon.json" 2>&1)" ""

tap_is "every key the list requires was met" "$($KEYS --used 2>&1)" ""

topo_teardown
l4lb_unload
rm -rf "$W"
tap_done
