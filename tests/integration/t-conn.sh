#!/bin/bash
# The flow table as l4ctl lists it (issue 10, item 3): with real TCP and
# UDP flows (DNAT IPv4 and IPv6, one SNAT VIP), `conn list` shows exactly
# them with the right client, VIP, backend, state and protocol, and the
# SNAT flow's reply tuple; filters narrow in the kernel; `conn get` finds
# one flow by its client and VIP; `conn flush vip X` ends that VIP's flows
# only (the next packet of a flushed TCP flow is dropped as noflow). A dump
# of 100 000 flows is complete with no duplicates and agrees with
# `l4ctl -j stats`, also while flows are being added.
. "$(dirname "$0")/lib/hard.sh"

FLOWS=${L4LB_CONN_FLOWS:-100000}
SPOOF_NET=198.18.0.0/15

topo_setup
lb_accept_spoofed $SPOOF_NET
l4lb_load netns_conn_max=262144 udp_timeout=600 udp_timeout_unreplied=600 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
LB_MAC=$(lb_mac)

l4lb_service 4 tcp && l4lb_service 4 udp && l4lb_service 6 tcp &&
	lbctl vip add $VIP4:81 proto tcp mode snat snat-ports 20000-20099 &&
	lbctl backend add $VIP4:81 $BE4_1:$BE_PORT proto tcp ||
	{ tap_fail "configure the VIPs"; tap_done; exit 1; }

# conns [FILTER...]: `l4ctl -j conn list FILTER` as one line per flow:
# proto state client vip backend reply_src reply_dst flags
conns() {
	lbctl -j conn list "$@" | python3 -c '
import json, sys
def ep(e):
    return ("[%s]:%d" if ":" in e["address"] else "%s:%d") % (e["address"], e["port"])
for c in json.load(sys.stdin):
    flags = ",".join(k for k in ("replied", "oneway", "ops", "adopted") if c[k]) or "-"
    print(c["proto"], c["state"], ep(c["client"]), ep(c["vip"]), ep(c["backend"]),
          ep(c["reply"]["src"]), ep(c["reply"]["dst"]), c["mode"], flags)'
}
be_addr() { eval echo "\$BE$1_${2#be}"; }
# tap_re DESC GOT REGEX: GOT matches the extended regular expression.
tap_re() {
	if [[ $2 =~ $3 ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:      '$2'" "regex:    '$3'"
	fi
}

# ------------------------------------------------------------ real flows
hold_start t1 "$VIP4" $VIP_PORT
hold_start t2 "$VIP4" $VIP_PORT
hold_start t6 "$VIP6" $VIP_PORT
hold_start s1 "$VIP4" 81
udp_out=$(hellos 2 "$VIP4" $VIP_PORT --udp)
tap_like "two UDP flows answered" "$udp_out" "be[123] be[123]"

list=$(conns)
tap_diag "conn list:" "$list"
tap_is "conn list shows exactly the 6 flows" "$(wc -l <<<"$list")" 6
tap_is "... as many as the table holds" "$(l4stats conns)" 6
b1=$(be_addr 4 "$(hold_name t1)") b2=$(be_addr 4 "$(hold_name t2)")
b6=$(be_addr 6 "$(hold_name t6)")
for id in t1 t2; do
	b=$(be_addr 4 "$(hold_name $id)")
	tap_re "TCP flow $id: client, VIP, its backend, ESTABLISHED, DNAT, reply from the backend to the client" \
		"$(grep "^tcp .* $VIP4:$VIP_PORT $b:$BE_PORT " <<<"$list")" \
		"^tcp ESTABLISHED $CLIENT4:[0-9]+ $VIP4:$VIP_PORT $b:$BE_PORT $b:$BE_PORT $CLIENT4:[0-9]+ dnat replied$"
done
tap_re "IPv6 TCP flow" "$(grep "^tcp .* \[$VIP6\]" <<<"$list")" \
	"^tcp ESTABLISHED \[$CLIENT6\]:[0-9]+ \[$VIP6\]:$VIP_PORT \[$b6\]:$BE_PORT \[$b6\]:$BE_PORT \[$CLIENT6\]:[0-9]+ dnat replied$"
tap_re "SNAT flow: the backend sees the LB's address and a port of the range" \
	"$(grep " $VIP4:81 " <<<"$list")" \
	"^tcp ESTABLISHED $CLIENT4:[0-9]+ $VIP4:81 $BE4_1:$BE_PORT $BE4_1:$BE_PORT $LB4_BE:200[0-9][0-9] snat replied$"
tap_is "UDP flows: ANSWERED, DNAT" \
	"$(grep -cE "^udp ANSWERED $CLIENT4:[0-9]+ $VIP4:$VIP_PORT 10\.0\.1\.[123]:$BE_PORT .* dnat replied$" <<<"$list")" 2
text=$(lbctl conn list)
tap_diag "text:" "$text"
tap_is "text: one line per flow" "$(wc -l <<<"$text")" 6
tap_re "text: the SNAT flow shows its reply tuple" "$(grep "$VIP4:81" <<<"$text")" \
	"^tcp ESTABLISHED +[0-9]+ $CLIENT4:[0-9]+ -> $VIP4:81 backend $BE4_1:$BE_PORT snat reply $BE4_1:$BE_PORT -> $LB4_BE:200[0-9][0-9] replied$"
tap_check "text: a DNAT flow shows none" eval "! grep '$VIP4:$VIP_PORT ' <<<'$text' | grep -q reply"

# ---------------------------------------------------------------- filters
# tconns [FILTER...]: the text listing, fields: proto state expires client
# -> vip backend BACKEND mode ...
tconns() { lbctl conn list "$@"; }
tap_is "filter vip (TCP)" "$(tconns vip $VIP4:$VIP_PORT | awk '{print $1, $6}' | sort | uniq -c | awk '{print $1, $2, $3}')" "2 tcp $VIP4:$VIP_PORT"
tap_is "filter vip proto udp" "$(tconns vip $VIP4:$VIP_PORT proto udp | awk '{print $1, $6}' | sort | uniq -c | awk '{print $1, $2, $3}')" "2 udp $VIP4:$VIP_PORT"
tap_is "filter proto udp" "$(tconns proto udp | grep -c '^udp ')" 2
tap_is "filter proto tcp" "$(tconns proto tcp | grep -c '^tcp ')" 4
tap_is "filter state established" "$(tconns state established | grep -c '^tcp ESTABLISHED ')" 4
tap_is "filter state answered" "$(tconns state answered | grep -c '^udp ANSWERED ')" 2
tap_is "filter state syn_sent: none" "$(tconns state syn_sent | wc -w)" 0
tap_is "filter client (IPv4)" "$(tconns client $CLIENT4 | grep -c " $CLIENT4:")" 5
tap_is "filter client (IPv6)" "$(tconns client "$CLIENT6" | grep -c "\[$CLIENT6\]:")" 1
cl1=$(grep "^tcp .* $VIP4:$VIP_PORT $b1:$BE_PORT " <<<"$list" | awk '{print $3}')
tap_is "filter client ADDR:PORT" "$(tconns client "$cl1" | awk '{print $4, $8}')" "$cl1 $b1:$BE_PORT"
nb=$(grep -c " $b1:$BE_PORT $b1" <<<"$list")
tap_is "filter backend $b1" "$(tconns backend $b1 | grep -c " backend $b1:$BE_PORT ")" "$nb"
tap_is "filter backend $b1:$BE_PORT vip $VIP4:$VIP_PORT" \
	"$(tconns backend $b1:$BE_PORT vip $VIP4:$VIP_PORT | awk '{print $1, $8}')" "tcp $b1:$BE_PORT"
tap_is "filter backend with another port: none" "$(tconns backend $b1:1 | wc -w)" 0
tap_check "a state of the wrong protocol is refused" eval "! lbctl conn list state answered proto tcp 2>/dev/null"

# -------------------------------------------------------------------- get
cl2=$(conns backend $b2 vip $VIP4:$VIP_PORT | awk '{print $3}')
got=$(lbctl -j conn get "$cl2" $VIP4:$VIP_PORT | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(c["proto"], c["state"], c["client"]["port"], c["backend"]["address"])')
tap_is "conn get CLIENT VIP finds that flow" "$got" "tcp ESTABLISHED ${cl2##*:} $b2"
tap_check "conn get of no flow fails" eval "! lbctl conn get $CLIENT4:1 $VIP4:$VIP_PORT 2>/dev/null"

# ------------------------------------------------------------------ flush
read -r nf0 <<<"$(l4stats drops_noflow)"
tap_check "conn flush vip $VIP4:$VIP_PORT" lbctl conn flush vip $VIP4:$VIP_PORT
after=$(conns)
tap_is "the VIP's TCP flows are gone" "$(grep -c "^tcp .* $VIP4:$VIP_PORT " <<<"$after")" 0
tap_is "the other flows stay (UDP of the same address, IPv6, SNAT)" "$(wc -l <<<"$after")" 4
tap_is "the flushed flow's next packets are dropped: t1 broken" "$(hold_finish t1)" broken
read -r nf1 <<<"$(l4stats drops_noflow)"
tap_check "... counted as noflow ($nf0 -> $nf1)" eval "num_ge '$nf1' $((nf0 + 1))"
tap_is "a flow of another VIP goes on: SNAT intact" "$(hold_finish s1)" intact
tap_is "the IPv6 flow goes on" "$(hold_finish t6)" intact
hold_finish t2 >/dev/null
tap_check "conn flush (all)" lbctl conn flush
tap_is "the table is empty" "$(l4stats conns)" 0

# ------------------------------------------------------------- big dumps
# flows SEED N: N spoofed UDP flows to the UDP VIP.
flows() {
	ns_run client python3 "$L4LB_LIB/flood.py" --iface eth0 --dst-mac "$LB_MAC" \
		--dst "$VIP4" --dport $VIP_PORT --proto udp --net $SPOOF_NET --seed "$1" \
		--pairs "$2" ${3:+--rate "$3"}
}
# dump: "LINES DUPLICATES SECONDS" of a text `conn list`
dump() {
	local t0 t1 out
	out=$(mktemp)
	t0=$(date +%s.%N)
	lbctl conn list >"$out"
	t1=$(date +%s.%N)
	echo "$(wc -l <"$out") $(awk '{print $1, $4, $6}' "$out" | sort | uniq -d | wc -l)" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	rm -f "$out"
}
# The backends drop the flood unanswered: replies would only cost time.
for i in 1 2 3; do
	ns_run be$i nft -f - <<-EOF
		table inet probe {
			chain pre {
				type filter hook prerouting priority -300;
				ip saddr $SPOOF_NET drop
			}
		}
	EOF
done
out=$(flows 21 "$FLOWS")
tap_diag "$FLOWS flows: $out"
read -r c0 <<<"$(l4stats conns)"
read -r n dup secs <<<"$(dump)"
read -r c1 <<<"$(l4stats conns)"
tap_diag "conn list of $n flows took ${secs}s (l4ctl included)"
tap_check "the table holds the flows (conns $c0, >= 99 % of $FLOWS)" \
	eval "num_ge '$c0' $((FLOWS * 99 / 100))"
tap_is "the dump is complete: as many as stats conns" "$n" "$c0"
tap_is "... and conns did not move" "$c1" "$c0"
tap_is "... with no duplicates" "$dup" 0

# While 20 000 more flows come in: between before and after, no duplicates.
read -r cb <<<"$(l4stats conns)"
flows 22 20000 3000 >/dev/null &
fpid=$!
# Start dumping once the first new flows are in (3000 a second: ~7 s).
for ((i = 0; i < 100; i++)); do
	read -r c0 <<<"$(l4stats conns)"
	num_ge "$c0" $((cb + 1)) && break
	sleep 0.2
done
read -r n dup secs <<<"$(dump)"
read -r c1 <<<"$(l4stats conns)"
wait $fpid
tap_diag "during the adds: conns $c0 -> $c1, dump $n flows in ${secs}s"
tap_check "the dump during adds holds between $c0 and $c1 flows ($n)" \
	eval "num_ge '$n' '$c0' && num_ge '$c1' '$n'"
tap_is "... with no duplicates" "$dup" 0
tap_check "flows were added during the dump ($c0 -> $c1)" eval "num_ge '$c1' $((c0 + 1))"
tap_check "... and the dump saw some of them ($n > $cb)" eval "num_ge '$n' $((cb + 1))"
tap_check "vip-filtered flush of the UDP VIP" lbctl conn flush vip $VIP4:$VIP_PORT proto udp
tap_is "... empties the table" "$(l4stats conns)" 0

tap_done
