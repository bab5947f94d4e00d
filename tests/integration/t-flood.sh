#!/bin/bash
# Floods do not take the service down (issue 7, item 1). With a table of
# conn_max=4096 flows shared by two VIPs, a flood of spoofed SYNs (then of
# UDP datagrams) from >= 40 000 distinct (address, port) pairs:
#  - >= 90 % of new connections from a real client succeed during the
#    flood, on the flooded VIP and on the other VIP (TCP and UDP);
#  - every connection established before the flood still works after it;
#  - from 5 s after the flood's end, 100 % of new connections succeed.
# The backends answer the flood as real servers do (SYN-ACKs, UDP replies)
# toward the spoofed sources, which the LB routes to the client side where
# they are dropped. Figures (percentages, evictions, recovery time) are
# printed as TAP diagnostics.
. "$(dirname "$0")/lib/hard.sh"

CONN_MAX=4096
PAIRS=${L4LB_FLOOD_PAIRS:-42000}
RATE=${L4LB_FLOOD_RATE:-2000}       # packets/s; under TCG the path may take fewer
VIPA=$VIP4 VIPB=10.0.0.11
SPOOF_NET=198.18.0.0/15
W=$(mktemp -d)

topo_setup
lb_accept_spoofed $SPOOF_NET
ip -n client route add $VIPB/32 via "$LB4"
l4lb_load conn_max=$CONN_MAX || { tap_fail "load l4lb.ko conn_max=$CONN_MAX"; tap_done; exit 1; }
serve_all
for i in 1 2 3; do serve_start be$i be$i 8053 udp; done
lbctl vip add $VIPA:80 proto tcp
lbctl vip add $VIPB:80 proto tcp
lbctl vip add $VIPB:53 proto udp
for i in 1 2 3; do
	lbctl backend add $VIPA:80 10.0.1.$i:$BE_PORT proto tcp
	lbctl backend add $VIPB:80 10.0.1.$i:$BE_PORT proto tcp
	lbctl backend add $VIPB:53 10.0.1.$i:8053 proto udp
done
tap_is "the lb netns' table holds conn_max=$CONN_MAX flows (l4ctl stats)" \
	"$(l4stats conn_max)" $CONN_MAX
tap_like "all three services answer before the flood" \
	"$(hellos 1 $VIPA 80) $(hellos 1 $VIPB 80) $(hellos 1 $VIPB 53 --udp)" "be[123] be[123] be[123]"
LB_MAC=$(lb_mac)

# flood_round NAME PROTO DST DPORT : one flood with the real client probing
# all three services meanwhile; asserts and prints the figures.
flood_round() {
	local name=$1 proto=$2 dst=$3 dport=$4 i ok total pct fl pr max=0 c
	local e0 e1 f0 f1 h svc rec after late late_ok errs
	local -a holds=()
	rm -f "$W"/start "$W"/done
	for i in a1 a2 b1 b2; do
		case $i in a*) hold_start "$name$i" $VIPA 80 5 ;; b*) hold_start "$name$i" $VIPB 80 5 ;; esac
		holds+=("$name$i")
	done
	read -r e0 f0 <<<"$(l4stats evictions drops_table_full)"
	ns_run client python3 "$L4LB_LIB/probe.py" \
		--service "A/tcp=$VIPA:80/tcp" --service "B/tcp=$VIPB:80/tcp" \
		--service "B/udp=$VIPB:53/udp" --start-file "$W/start" --done-file "$W/done" \
		--warmup 3 --after 8 --timeout 3 --out "$W/probe.json" >/dev/null 2>"$W/probe.err" &
	pr=$!
	ns_run client python3 "$L4LB_LIB/flood.py" --iface eth0 --dst-mac "$LB_MAC" \
		--dst "$dst" --dport "$dport" --proto "$proto" --pairs "$PAIRS" --rate "$RATE" \
		--net $SPOOF_NET --seed "$RANDOM" --start-file "$W/start" --done-file "$W/done" \
		>"$W/flood.json" 2>&1 &
	fl=$!
	# The table's fill while the flood runs (l4ctl costs ~0.3 s under TCG).
	while kill -0 $fl 2>/dev/null; do
		read -r c <<<"$(l4stats conns)"
		[[ $c =~ ^[0-9]+$ ]] && ((c > max)) && max=$c
		sleep 1
	done
	wait $fl
	wait $pr
	read -r e1 f1 <<<"$(l4stats evictions drops_table_full)"
	tap_diag "$name flood: $(cat "$W/flood.json")"
	python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))
sys.exit(0 if f["distinct"] >= 40000 and f["sent"] >= 40000 else 1)' "$W/flood.json" 2>/dev/null
	tap_check "$name flood: >= 40000 distinct spoofed (address, port) pairs sent" test $? = 0
	tap_check "$name flood filled the table (max conns seen: $max of $CONN_MAX)" \
		test "$max" -ge $((CONN_MAX * 95 / 100))
	tap_diag "$name flood: evictions $e0 -> $e1, drops_table_full $f0 -> $f1"
	if num_ge "$e1" 1 && num_ge "$e0" 0 && ((e1 > e0)); then
		tap_ok "$name flood: unreplied entries were evicted (evictions +$((e1 - e0)))"
	else
		tap_fail "$name flood: unreplied entries were evicted (evictions grew)" \
			"evictions $e0 -> $e1"
	fi
	if [[ ! -s $W/probe.json ]]; then
		tap_fail "$name flood: the probing client produced results" "$(cat "$W/probe.err")"
		return
	fi
	for svc in A/tcp B/tcp B/udp; do
		read -r ok total rec after late late_ok errs <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))[sys.argv[2]]
late = [ok for t, ok in r["after"] if t >= 5.0]
print(r["during"][0], r["during"][1], r["recovery"], len(r["after"]), len(late), sum(late),
      "|".join(r["errors"]).replace(" ", "_") or "-")' "$W/probe.json" "$svc")"
		pct=$((total ? ok * 100 / total : 0))
		tap_diag "$name flood, $svc: during the flood $ok/$total = $pct % succeeded;" \
			"after it: $after attempts, recovery ${rec}s, from 5 s on $late_ok/$late; errors: ${errs//_/ }"
		tap_check "$name flood, $svc: enough attempts during the flood ($total >= 10)" \
			test "$total" -ge 10
		tap_check "$name flood, $svc: >= 90 % of new connections succeed during the flood ($pct %)" \
			test $((ok * 100)) -ge $((total * 90))
		tap_check "$name flood, $svc: every connection from 5 s after the flood on succeeds ($late_ok/$late)" \
			test "$late" -ge 3 -a "$late_ok" = "$late"
		tap_check "$name flood, $svc: recovered within 5 s (${rec}s)" \
			python3 -c 'import sys; r = float(sys.argv[1]); sys.exit(0 if 0 <= r <= 5 else 1)' "$rec"
	done
	for h in "${holds[@]}"; do
		tap_is "$name flood: connection $h established before the flood still works" \
			"$(hold_finish "$h")" intact
	done
}

flood_round SYN tcp $VIPA 80
flood_round UDP udp $VIPB 53

# Each new flow the full table refused is counted once on its VIP too.
read -r full <<<"$(l4stats drops_table_full)"
tap_is "the VIPs' drops_table_full add up to drops_table_full ($full)" \
	"$(lbctl -j show | python3 -c '
import json, sys
print(sum(v["stats"]["drops_table_full"] for v in json.load(sys.stdin)))')" "$full"

read -r vips conns <<<"$(l4stats vips conns)"
tap_diag "after both floods: vips $vips, conns $conns; per VIP:" \
	"$(lbctl show | grep -E '^vip|^  conns')"
for i in 1 2 3; do
	tap_diag "be$i UDP: $(ns_run be$i awk '/^Udp:/ && n++ { print "InDatagrams " $2 ", RcvbufErrors " $6 }' /proc/net/snmp)"
done

topo_teardown
l4lb_unload
rm -rf "$W"
tap_done
