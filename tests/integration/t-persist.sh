#!/bin/bash
# Persistence (issue 9, item 4), as IPVS -p: on a VIP with `persist 5` and
# three rr backends, a client address keeps its backend for all its new
# flows (any source port) while that backend takes flows; several client
# addresses spread over the backends; a drained or deleted backend's
# clients move and stick to their new one; 5 s after a client's last new
# flow its binding is gone and rr schedules it anew. TCP and UDP, IPv4 and
# IPv6. Bindings are entries of the flow table: `l4ctl stats` conns counts
# them, per-VIP and per-backend flow counts do not; a full table gives them
# up before established flows; persist_hits counts the flows that used one.
. "$(dirname "$0")/lib/hard.sh"

PERSIST=5
CONN_MAX=1024
VIPB=10.0.0.11
SPOOF_NET=198.18.0.0/15

topo_setup
# Flows outlive the test, so that the table's count is exact; the table is
# small enough to fill.
l4lb_load conn_max=$CONN_MAX tcp_timeout_fin=600 tcp_timeout_close=600 \
	udp_timeout_unreplied=600 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
# The servers needed (TCP and UDP over IPv4, TCP over IPv6), started
# together: one after the other they take most of a minute under emulation.
for i in 1 2 3; do
	for opt in "" --udp --v6; do
		# shellcheck disable=SC2086 # no option is no word
		nsenter --net=/run/netns/be$i -- python3 "$TRAFFIC_PY" serve \
			--name be$i --port $BE_PORT $opt &
		_SERVE_PIDS+=($!)
	done
done
for ((t = 0; t < 300; t++)); do
	n=0
	for i in 1 2 3; do
		n=$((n + $(ss -N be$i -Hln "sport = :$BE_PORT" | wc -l)))
	done
	((n == 9)) && break
	sleep 0.1
done
tap_is "9 servers listen on the backends" "$n" 9
for i in 21 22 23 24 25 26 27 28; do
	ip -n client addr add 10.0.0.$i/24 dev eth0
done
for i in 21 22; do
	ip -n client addr add fd00::$i/64 dev eth0 nodad
done

HITS=0
check_hits() {
	tap_is "persist_hits: $1" "$(l4stats persist_hits)" $HITS
}

# counts VIP PROTO: persist_hits, conns (stats), the flows (active +
# inactive) of the VIP and of backends 10.0.1.1-3, in one python run (each
# costs a second or more under emulation).
counts() {
	{ lbctl -j stats && lbctl -j show; } | python3 -c '
import json, sys
text, dec, docs, i = sys.stdin.read(), json.JSONDecoder(), [], 0
while text[i:].strip():
    d, i = dec.raw_decode(text, len(text) - len(text[i:].lstrip()))
    docs.append(d)
stats, show = docs
def find(d, k):
    if isinstance(d, dict):
        if k in d:
            return d[k]
        d = list(d.values())
    for v in d if isinstance(d, list) else []:
        r = find(v, k)
        if r is not None:
            return r
flows = lambda o: o["stats"]["active_conns"] + o["stats"]["inactive_conns"]
v = [v for v in show if v["address"] == sys.argv[1] and v["port"] == 80 and
     v["proto"] == sys.argv[2]][0]
bes = {b["address"]: flows(b) for b in v["backends"]}
print(find(stats, "persist_hits"), find(stats, "conns"), flows(v),
      *(bes.get("10.0.1.%d" % i, "-") for i in (1, 2, 3)))' "$@"
}

# from SRC N VIP [opts]: N new flows from address SRC, backend names.
from() {
	local src=$1 n=$2 vip=$3
	shift 3
	hellos "$n" "$vip" 80 --src "$src" "$@"
}

# same N NAMES: the N names are one backend's, repeated; prints it.
same() {
	local n=$1 first
	shift
	first=${1:-none}
	[[ $first == be[123] && $# == "$n" ]] || return 1
	for w; do [[ $w == "$first" ]] || return 1; done
	echo "$first"
}

# succ NAME: the backend rr takes after NAME.
succ() { echo "be$((${1#be} % 3 + 1))"; }

lbctl vip add $VIP4:80 proto tcp persist $PERSIST
for i in 1 2 3; do lbctl backend add $VIP4:80 10.0.1.$i:$BE_PORT; done

# One client address: one backend for all its connections. Each step that
# needs a binding made by the one before follows it at once: a binding
# lasts 5 s, which a slow emulated machine spends quickly.
got=$(from "$CLIENT4" 6 $VIP4)
B=$(same 6 $got)
tap_check "IPv4 TCP: one client address, 6 connections, one backend ($got)" \
	test -n "$B"
HITS=$((HITS + 5))
# Its backend drained: the client moves, and sticks to the new one, also
# once the first is up again.
lbctl backend set $VIP4:80 10.0.1.${B#be}:$BE_PORT state drain
got=$(from "$CLIENT4" 4 $VIP4)
C=$(same 4 $got)
lbctl backend set $VIP4:80 10.0.1.${B#be}:$BE_PORT state up
got2=$(from "$CLIENT4" 2 $VIP4)
tap_check "drained $B: the client's next 4 connections go to one other backend ($got)" \
	test -n "$C" -a "$C" != "$B"
tap_is "$B up again: the client stays on $C" "$got2" "$C $C"
HITS=$((HITS + 3 + 2))
read -r hits conns vf f1 f2 f3 <<<"$(counts $VIP4 tcp)"
tap_is "persist_hits: all connections but the first and the first after the drain" \
	"$hits" $HITS
tap_is "l4ctl stats conns counts the 12 flows and the binding" "$conns" 13
want=
for i in 1 2 3; do
	case be$i in "$B" | "$C") want+=" 6" ;; *) want+=" 0" ;; esac
done
tap_is "the VIP counts 12 flows, $B and $C 6 each: not the binding" \
	"$vf $f1 $f2 $f3" "12$want"

# Several client addresses: each sticks, together they spread (their first
# flows are consecutive rr picks: two addresses per backend).
firsts=() bad=
for i in 21 22 23 24 25 26; do
	got=$(from 10.0.0.$i 3 $VIP4)
	b=$(same 3 $got) || bad+=" 10.0.0.$i: $got;"
	firsts+=("$b")
done
HITS=$((HITS + 12))
tap_is "IPv4 TCP: 6 more client addresses each keep one backend" "${bad:-none}" none
tap_is "IPv4 TCP: they spread over the backends, two each" \
	"$(sorted_words "${firsts[@]}")" "be1 be1 be2 be2 be3 be3"
check_hits "every connection but each address's first"

# Idle for longer than persist: the bindings expire and are reaped.
sleep $((PERSIST + 2))
tap_is "after $PERSIST s idle the bindings are gone: conns counts the 30 flows" \
	"$(l4stats conns)" 30
# rr's next pick, seen from fresh addresses, must not be C: then the client
# gets it, and not C, only if its binding is gone.
X=$(from 10.0.0.27 1 $VIP4)
if [ "$(succ "$X")" = "$C" ]; then
	X=$(from 10.0.0.28 1 $VIP4)
fi
got=$(from "$CLIENT4" 1 $VIP4)
tap_is "after $PERSIST s idle, rr schedules the client anew ($C -> $(succ "$X"))" \
	"$got" "$(succ "$X")"
check_hits "none after the bindings expired"

# UDP: the same.
lbctl vip add $VIP4:80 proto udp persist $PERSIST
for i in 1 2 3; do lbctl backend add $VIP4:80 10.0.1.$i:$BE_PORT proto udp; done
got=$(from "$CLIENT4" 4 $VIP4 --udp)
U1=$(same 4 $got)
tap_check "IPv4 UDP: 4 flows from one address (new ports), one backend ($got)" \
	test -n "$U1"
got=$(from 10.0.0.21 3 $VIP4 --udp)
U2=$(same 3 $got)
tap_check "IPv4 UDP: another address sticks to the next backend ($got)" \
	test -n "$U2" -a "$U2" = "$(succ "$U1")"
HITS=$((HITS + 5))
read -r hits conns vf f1 f2 f3 <<<"$(counts $VIP4 udp)"
tap_is "persist_hits: UDP flows that used a binding" "$hits" $HITS
want=
for i in 1 2 3; do
	case be$i in "$U1") want+=" 4" ;; "$U2") want+=" 3" ;; *) want+=" 0" ;; esac
done
tap_is "the UDP VIP counts 7 flows, $U1 4 and $U2 3" "$vf $f1 $f2 $f3" "7$want"

# IPv6, and a deleted backend.
lbctl vip add "[$VIP6]:80" proto tcp persist $PERSIST
for i in 1 2 3; do lbctl backend add "[$VIP6]:80" "[fd00:1::$i]:$BE_PORT"; done
got=$(from "$CLIENT6" 4 $VIP6)
S1=$(same 4 $got)
lbctl backend del "[$VIP6]:80" "[fd00:1::${S1#be}]:$BE_PORT"
got2=$(from "$CLIENT6" 3 $VIP6)
S2=$(same 3 $got2)
tap_check "IPv6 TCP: one client address, 4 connections, one backend ($got)" \
	test -n "$S1"
tap_check "deleted $S1: the client's next connections go to one other backend ($got2)" \
	test -n "$S2" -a "$S2" != "$S1"
got=$(from fd00::21 2 $VIP6)
tap_like "IPv6 TCP: another address sticks to one backend ($got)" "$got" "be[123] be[123]"
tap_check "... the one after $S2 of the two left" test "$(same 2 $got)" != "$S2"
HITS=$((HITS + 3 + 2 + 1))
check_hits "IPv6 flows that used a binding"

# A full table gives bindings up before established flows. With a long
# persist, the binding can only go by eviction; the flood (spoofed SYNs to
# another VIP) leaves no room for a new one either: a binding takes no
# flow's place.
lbctl vip set $VIP4:80 proto tcp persist 600
lbctl vip add $VIPB:80 proto tcp
lbctl backend add $VIPB:80 10.0.1.1:$BE_PORT
lb_accept_spoofed $SPOOF_NET
ip -n client route add $VIPB/32 via "$LB4"
hold_start h1 $VIP4 80 30
hold_start h2 $VIP4 80 30
h1=$(hold_name h1) h2=$(hold_name h2)
tap_is "two connections held open from the bound client, on one backend" \
	"$h2" "$h1"
HITS=$((HITS + 1))
check_hits "the second held connection used the binding"
read -r e0 f0 <<<"$(l4stats evictions drops_table_full)"
ns_run client python3 "$L4LB_LIB/flood.py" --iface eth0 --dst-mac "$(lb_mac)" \
	--dst $VIPB --dport 80 --proto tcp --pairs 3000 --net $SPOOF_NET \
	--seed 7 --rate 1000 >/dev/null
read -r e1 f1 c1 <<<"$(l4stats evictions drops_table_full conns)"
tap_check "the flood filled the table and evicted entries (evictions $e0 -> $e1, conns $c1)" \
	test "$e1" -gt "$e0" -a "$c1" -ge $((CONN_MAX * 95 / 100)) -a "$c1" -le $CONN_MAX
tap_is "no new flow was refused (drops_table_full)" "$f1" "$f0"
tap_is "held connection 1 still works" "$(hold_finish h1)" intact
tap_is "held connection 2 still works" "$(hold_finish h2)" intact
got=$(from "$CLIENT4" 1 $VIP4)
tap_like "the client's next connection was served ($got)" "$got" "be[123]"
check_hits "none: the binding was evicted"

topo_teardown
l4lb_unload
tap_done
