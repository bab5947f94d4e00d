#!/bin/bash
# SNAT (full NAT), one-armed, IPv4 and IPv6, TCP and UDP: the backends have
# no route back to the client (no default route at all), so only a source
# rewritten to the LB gets answers. Data crosses intact, the backend sees an
# LB address and a port from the configured range, ports are never shared
# and their exhaustion refuses new flows (counted) without touching the
# flows that hold them, several SNAT addresses multiply the range, the
# namespace's ephemeral range is left to the host's own connections, a
# mode change applies to new flows only, and path MTU discovery works
# through the translation.
. "$(dirname "$0")/lib/hard.sh"

topo_setup
# Closed flows free their port soon: a FIN'd connection waits 3 s.
l4lb_load tcp_timeout_fin=3 tcp_timeout_close=2 udp_timeout_unreplied=600 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for i in 1 2 3; do
	ip -n "be$i" -batch - <<-EOF
		route del default
		route del default
	EOF
done
# LB-owned addresses for explicit snat-addr, on the backends' segment.
ip -n lb -batch - <<-EOF
	addr add 10.0.1.250/24 dev br0
	addr add 10.0.1.251/24 dev br0
EOF

# peers NS PORT: the addresses:ports NS's TCP sockets on PORT talk to.
peers() {
	ns_run "$1" ss -Htn state established "sport = :$2" | awk '{print $4}' | sort | paste -sd ' '
}

# backend_saw NS ADDR: packets from ADDR (and from the client) that NS received.
count_sources() {
	local ns=$1
	ns_run "$ns" nft -f - <<-EOF
		table inet cnt {
			chain in {
				type filter hook input priority 0;
				ip saddr $CLIENT4 counter comment "client4"
				ip6 saddr $CLIENT6 counter comment "client6"
				ip saddr $LB4_BE counter comment "lb4"
				ip6 saddr $LB6_BE counter comment "lb6"
			}
		}
	EOF
}
for i in 1 2 3; do count_sources "be$i"; done

# snat_service FAMILY: the standard TCP and UDP services in mode snat.
snat_service() {
	local fam=$1 vipp b i proto
	if [ "$fam" = 4 ]; then vipp=$VIP4:$VIP_PORT; else vipp=[$VIP6]:$VIP_PORT; fi
	for proto in tcp udp; do
		lbctl vip add "$vipp" proto $proto mode snat || return 1
		for i in 1 2 3; do
			b=$(eval echo "\$BE${fam}_$i")
			[ "$fam" = 6 ] && b="[$b]"
			lbctl backend add "$vipp" "$b:$BE_PORT" proto $proto || return 1
		done
	done
}

# refused PORT: a TCP connection from the client to VIP4:PORT fails.
refused() {
	! ns_run client python3 "$TRAFFIC_PY" hello $VIP4 "$1" --timeout 2 >/dev/null 2>&1
}

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 vipp=$VIP4:$VIP_PORT; else vip=$VIP6 vipp=[$VIP6]:$VIP_PORT; fi
	tap_check "IPv$fam: TCP and UDP VIPs in mode snat, three backends" \
		snat_service $fam
	tap_is "IPv$fam: the VIP shows mode snat, auto address, default ports" \
		"$(lbctl -j vip show | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    if v["address"] == sys.argv[1] and v["proto"] == "tcp":
        print(v["mode"], v["snat_addrs"], v["snat_port_min"], v["snat_port_max"])' "$vip")" \
		"snat [] 1024 65535"
	got=$(hellos 6 "$vip" $VIP_PORT)
	tap_is "IPv$fam TCP: new flows go round robin to backends with no route to the client" \
		"$got" "be1 be2 be3 be1 be2 be3"
	got=$(hellos 3 "$vip" $VIP_PORT --udp)
	tap_is "IPv$fam UDP: replies come back through the LB" "$got" "be1 be2 be3"
	out=$(client_traffic echo "$vip" $VIP_PORT --bytes 2097152)
	tap_like "IPv$fam TCP: 2 MB echoed back intact ($out)" "$out" "be? *"
	tap_is "IPv$fam: the backends saw the LB's address, never the client's" \
		"$(nft_count be1 inet cnt in "client$fam")/$(num_ge "$(nft_count be1 inet cnt in "lb$fam")" 10 && echo lb)" \
		"0/lb"
	tap_check "IPv$fam: the LB counted the replies of the VIP (out)" \
		num_ge "$(l4json vip "$vip" $VIP_PORT tcp pkts_out)" 20
done

# --- iperf3 through SNAT: TCP both ways, UDP --------------------------------
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 be=$BE4_3; else vip=$VIP6 be="[$BE6_3]"; fi
	if [ $fam = 4 ]; then vipp=$VIP4:5201; else vipp="[$VIP6]:5201"; fi
	lbctl vip add "$vipp" proto tcp mode snat
	lbctl vip add "$vipp" proto udp mode snat
	lbctl backend add "$vipp" "$be:5201" proto tcp
	lbctl backend add "$vipp" "$be:5201" proto udp
done
ns_run be3 iperf3 -s -D -p 5201 --pidfile /tmp/iperf3-be3.pid
sleep 1
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	# TCP both ways over IPv4; TCP and UDP over IPv6 (CI time).
	modes=("" -R)
	[ $fam = 6 ] && modes=("" "-u -b 5M")
	for mode in "${modes[@]}"; do
		# shellcheck disable=SC2086 # mode is split on purpose
		got=$(ns_run client iperf3 -c "$vip" -p 5201 -t 1 -J $mode 2>&1 | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except ValueError:
    print("no JSON"); sys.exit()
if "error" in r:
    print(r["error"]); sys.exit()
e = r["end"]
s = e.get("sum_received") or e.get("sum")
lost = e.get("sum", {}).get("lost_percent", 0)
print("ok" if s["bytes"] > 0 and lost < 50 else "bytes %d lost %s%%" % (s["bytes"], lost))')
		tap_is "iperf3 IPv$fam ${mode:-TCP} through SNAT" "$got" ok
	done
done
kill "$(cat /tmp/iperf3-be3.pid)" 2>/dev/null

# --- Port ranges: 4 ports, one backend, one address --------------------------
V2=$VIP4:81
lbctl vip add $V2 mode snat snat-addr 10.0.1.250 snat-ports 20000-20003
lbctl backend add $V2 $BE4_1:$BE_PORT
for k in 1 2 3 4; do hold_start "p$k" $VIP4 81 3; done
names=$(for k in 1 2 3 4; do hold_name "p$k"; done | paste -sd ' ')
tap_is "4-port range: four connections held" "$names" "be1 be1 be1 be1"
tap_is "4-port range: the backend sees 10.0.1.250 on ports 20000-20003" \
	"$(peers be1 $BE_PORT)" \
	"10.0.1.250:20000 10.0.1.250:20001 10.0.1.250:20002 10.0.1.250:20003"
drops0=$(l4stats drops_nat_ports)
tap_check "4-port range: a fifth connection is refused" refused 81
tap_check "4-port range: the refusal is counted as drops_nat_ports ($drops0 -> $(l4stats drops_nat_ports))" \
	num_ge "$(l4stats drops_nat_ports)" $((drops0 + 1))
res=$(for k in 1 2 3 4; do hold_finish "p$k"; done | paste -sd ' ')
tap_is "4-port range: the four held connections are intact" "$res" "intact intact intact intact"

# A second address doubles the range; flows keep theirs.
tap_check "vip set: a second SNAT address" \
	lbctl vip set $V2 snat-addr 10.0.1.250 snat-addr 10.0.1.251
sleep 4	# the finished connections' ports free up after tcp_timeout_fin
for k in 1 2 3 4 5 6 7 8; do hold_start "q$k" $VIP4 81 3; done
names=$(for k in 1 2 3 4 5 6 7 8; do hold_name "q$k"; done | sort | uniq -c | awk '{print $1}')
tap_is "two addresses: eight connections held" "$names" "8"
tap_is "two addresses: four ports on each" \
	"$(peers be1 $BE_PORT | tr ' ' '\n' | cut -d: -f1 | sort | uniq -c | awk '{print $2"x"$1}' | paste -sd ' ')" \
	"10.0.1.250x4 10.0.1.251x4"
for k in 1 2 3 4 5 6 7 8; do hold_finish "q$k" >/dev/null; done

# The ephemeral range is left to the LB host's own connections.
sleep 4
ns_sysctl lb "net.ipv4.ip_local_port_range=20000 20001"
lbctl vip set $V2 snat-addr 10.0.1.250
for k in 1 2; do hold_start "r$k" $VIP4 81 3; done
tap_is "ephemeral range 20000-20001: SNAT uses only 20002 and 20003" \
	"$(peers be1 $BE_PORT)" "10.0.1.250:20002 10.0.1.250:20003"
tap_check "ephemeral range 20000-20001: a third connection is refused" refused 81
for k in 1 2; do hold_finish "r$k" >/dev/null; done
ns_sysctl lb "net.ipv4.ip_local_port_range=32768 60999"

# --- Mode change under traffic: new flows only --------------------------------
V3=$VIP4:82
lbctl vip add $V3 mode dnat
lbctl backend add $V3 $BE4_2:$BE_PORT
# DNAT needs the backend's route back through the LB.
ip -n be2 route add default via $LB4_BE
hold_start m1 $VIP4 82 5
tap_check "mode change: vip set mode snat is accepted" lbctl vip set $V3 mode snat
hold_start m2 $VIP4 82 5
tap_is "mode change: the old flow stays DNAT (the client's address), the new one is SNAT (the LB's)" \
	"$(peers be2 $BE_PORT | tr ' ' '\n' | cut -d: -f1 | sort | paste -sd ' ')" "$CLIENT4 $LB4_BE"
tap_is "mode change: the DNAT flow and the SNAT flow both stay intact" \
	"$(hold_finish m1) $(hold_finish m2)" "intact intact"
ip -n be2 route del default

# --- Path MTU: the LB's backend side is narrower than the client's -------------
ip -n lb link set br0 mtu 1400
xl0=$(l4stats icmp_xlated)
out=$(client_traffic echo $VIP4 $VIP_PORT --bytes 524288 --timeout 20)
tap_like "PMTU IPv4: 512 KiB through a 1400-byte link intact ($out)" "$out" "be? *"
out=$(client_traffic echo $VIP6 $VIP_PORT --bytes 524288 --timeout 20)
tap_like "PMTU IPv6: 512 KiB through a 1400-byte link intact ($out)" "$out" "be? *"
tap_check "PMTU: the LB's 'fragmentation needed' reached the client translated ($xl0 -> $(l4stats icmp_xlated))" \
	num_ge "$(l4stats icmp_xlated)" $((xl0 + 2))
ip -n lb link set br0 mtu 1500

# --- The table empties once the flows are over -------------------------------
# UDP flows are over only by their timeouts (minutes): their VIPs go, which
# ends them; the TCP flows end by their FINs and tcp_timeout_fin.
for v in $VIP4:$VIP_PORT "[$VIP6]:$VIP_PORT" $VIP4:5201 "[$VIP6]:5201"; do
	lbctl vip del "$v" proto udp
done
for ((i = 0; i < 60; i++)); do
	[ "$(l4stats conns)" = 0 ] && break
	sleep 1
done
tap_is "the flow table is empty after the timeouts" "$(l4stats conns)" 0

topo_teardown
l4lb_unload
tap_done
