#!/bin/bash
# ICMP errors about tracked flows are translated, outer and inner headers
# and every checksum, in both directions, for IPv4 and IPv6 (issue 7,
# item 5); icmp_xlated counts them. Run with the VIP routed to the LB and
# with the VIP a local address of the LB:
#  - port unreachable from a UDP backend reaches the client's socket (whose
#    kernel only takes it when it quotes the client's own packet: VIP, port)
#    and comes from the VIP;
#  - time exceeded, emitted by the LB itself about a rewritten packet,
#    quotes the VIP;
#  - path MTU, backend side narrower: the "fragmentation needed" / "packet
#    too big" the LB emits toward the client comes from and quotes the VIP,
#    and a 512 KiB transfer in both directions completes;
#  - path MTU, client side narrower: the error the LB emits about a reply
#    reaches the backend translated (quoting the backend's own address and
#    port), and the transfer completes;
#  - a port unreachable from the client, about a reply, reaches the backend
#    translated.
. "$(dirname "$0")/lib/hard.sh"

l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
W=$(mktemp -d)
ERRPIDS=()

setup() {
	local i
	topo_setup "$@" || return 1
	# Full checksums from the endpoints (veth would otherwise pass
	# CHECKSUM_PARTIAL packets, whose checksum field only holds the seed):
	# the quoted packets' transport checksums can then be checked.
	for i in client be1 be2 be3; do ns_run $i ethtool -K eth0 tx off >/dev/null; done
	serve_all
	for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done
	for i in 1 2 3; do
		rm -f "$W/errs.be$i"
		nsenter --net=/run/netns/be$i -- python3 "$L4LB_LIB/icmperr.py" server \
			--port 8282 --out "$W/errs.be$i" --name be$i &
		ERRPIDS+=($!)
	done
	# Port 81: backends without a server (port unreachable); port 82: the
	# icmperr.py servers, which answer late and record the errors they get.
	for v in "$VIP4" "[$VIP6]"; do
		lbctl vip add "$v:81" proto udp && lbctl vip add "$v:82" proto udp
		for i in 1 2 3; do
			if [[ $v == "$VIP4" ]]; then be=10.0.1.$i; else be=[fd00:1::$i]; fi
			lbctl backend add "$v:81" "$be:8181" proto udp
			lbctl backend add "$v:82" "$be:8282" proto udp
		done
	done
	sleep 0.5
}

teardown() {
	kill "${ERRPIDS[@]}" 2>/dev/null
	wait "${ERRPIDS[@]}" 2>/dev/null
	ERRPIDS=()
	topo_teardown
}

# jfield JSON KEY : a field of a one-line JSON object (lists joined by ':').
jfield() {
	python3 -c '
import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print(":".join(map(str, v)) if isinstance(v, list) else v)' "$1" "$2" 2>/dev/null
}

# What the LB sends toward the backends, captured on its bridge (one
# capture process instead of one per backend: each costs seconds of TCG).
be_sniff_start() { sniff_start "$1" lb br0 --icmp; }
be_sniff_stop() { sniff_stop "$1"; }
# icmpcap_any FILES -- ARGS : icmpcap.py over several capture files merged.
icmpcap_any() {
	local files=() f
	while [[ $1 != -- ]]; do files+=("$1"); shift; done
	shift
	for f in "${files[@]}"; do cat "$f"; done >"$W/merged.cap"
	python3 "$L4LB_LIB/icmpcap.py" "$W/merged.cap" "$@"
}

run_checks() {
	local topo=$1 fam vip cl un pu te pt j out port caps
	for fam in 4 6; do
		if [ $fam = 4 ]; then vip=$VIP4 cl=$CLIENT4 un=3/3 te=11/0 pt=3/4 pu=3/3
		else vip=$VIP6 cl=$CLIENT6 un=1/4 te=3/0 pt=2/0 pu=1/4; fi
		local T="$topo, IPv$fam"

		# --- port unreachable from a backend, toward the client
		sniff_start c client eth0 --icmp
		j=$(ns_run client python3 "$L4LB_LIB/icmperr.py" client "$vip" 81 --timeout 5)
		tap_is "$T: a backend's port unreachable reaches the client's socket, quoting VIP:81" \
			"$(jfield "$j" errno) $(jfield "$j" dest)" "111 $vip:81"
		tap_is "$T: ... and comes from the VIP" "$(jfield "$j" offender)" "$vip"
		out=$(icmpcap_any "$(sniff_stop c)" -- --type $un --outer-src "$vip" --inner-dst "$vip" --inner-dport 81)
		tap_check "$T: ... checksums and quoted headers right on the wire ($out)" test $? = 0

		# --- time exceeded, emitted by the LB about a rewritten packet
		sniff_start t client eth0 --icmp
		j=$(ns_run client python3 "$L4LB_LIB/icmperr.py" client "$vip" $VIP_PORT --ttl 1 --timeout 5)
		tap_is "$T: time exceeded emitted by the LB quotes the VIP (client's socket gets it)" \
			"$(jfield "$j" errno) $(jfield "$j" dest)" "113 $vip:$VIP_PORT"
		tap_diag "$T: time exceeded came from $(jfield "$j" offender)"
		out=$(icmpcap_any "$(sniff_stop t)" -- --type $te --inner-dst "$vip" --inner-dport $VIP_PORT)
		tap_check "$T: ... checksums and quoted headers right on the wire ($out)" test $? = 0

		# --- port unreachable from the client, about a reply, toward the backend
		be_sniff_start p
		port=$(ns_run client python3 "$L4LB_LIB/icmperr.py" fire "$vip" 82)
		sleep 2 # the backend answers after 0.5 s; the client's kernel refuses it
		caps=$(be_sniff_stop p)
		if cat "$W"/errs.be* 2>/dev/null | grep -q "\"dest\": \[\"$cl\", $port\]"; then
			tap_ok "$T: the client's port unreachable about a reply reaches the backend's socket"
		else
			tap_fail "$T: the client's port unreachable about a reply reaches the backend's socket" \
				"client port $port; errors the backends got: $(cat "$W"/errs.be* 2>/dev/null | paste -sd ' ')"
		fi
		# shellcheck disable=SC2086 # one file name per word
		out=$(icmpcap_any $caps -- --type $pu --outer-src "$cl" --inner-sport 8282 --inner-dst "$cl" --inner-dport "$port")
		tap_check "$T: ... translated on the wire: quotes the backend's port, checksums right ($out)" test $? = 0

		# --- path MTU, backend side narrower: the LB emits toward the client
		ip -n lb link set br0 mtu 1280
		ns_run client ip route flush cache
		sniff_start m client eth0 --icmp
		out=$(client_traffic echo "$vip" $VIP_PORT --bytes 524288 --timeout 60 2>&1)
		tap_like "$T: backend side MTU 1280: 512 KiB echoed intact both ways ($out)" "$out" "be? *"
		out=$(icmpcap_any "$(sniff_stop m)" -- --type $pt --outer-src "$vip" --inner-dst "$vip" \
			--inner-dport $VIP_PORT --inner-src "$cl" --mtu 1280)
		tap_check "$T: ... the LB's too-big errors come from and quote the VIP ($out)" test $? = 0
		ip -n lb link set br0 mtu 1500

		# --- path MTU, client side narrower: the LB emits about a reply, which
		# must reach the backend quoting the backend's own address and port.
		# The client advertises a 1500-byte MSS over its 1280-byte link, so the
		# backend's segments do not fit the LB's client-side link.
		ip -n lb link set eth-c mtu 1280
		ip -n client link set eth0 mtu 1280
		if [ $fam = 4 ]; then
			ip -n client route change "$VIP4/32" via "$LB4" advmss 1460
		else
			ip -n client route change "$VIP6/128" via "$LB6" advmss 1440
		fi
		be_sniff_start b
		out=$(client_traffic echo "$vip" $VIP_PORT --bytes 524288 --timeout 60 2>&1)
		tap_like "$T: client side MTU 1280: 512 KiB echoed intact both ways ($out)" "$out" "be? *"
		caps=$(be_sniff_stop b)
		# shellcheck disable=SC2086
		out=$(icmpcap_any $caps -- --type $pt --inner-sport $BE_PORT --inner-dst "$cl" --mtu 1280)
		tap_check "$T: ... the LB's too-big errors about replies reach the backend translated ($out)" \
			test $? = 0
		ip -n lb link set eth-c mtu 1500
		ip -n client link set eth0 mtu 1500
		ns_run client ip route flush cache
		ns_run client ip -6 route flush cache
		if [ $fam = 4 ]; then
			ip -n client route change "$VIP4/32" via "$LB4"
		else
			ip -n client route change "$VIP6/128" via "$LB6"
		fi
	done
}

for topo in routed local; do
	if [ $topo = local ]; then setup --vip-local; else setup; fi || {
		tap_fail "$topo: topology"
		continue
	}
	read -r x0 <<<"$(l4stats icmp_xlated)"
	run_checks "VIP $topo"
	read -r x1 <<<"$(l4stats icmp_xlated)"
	tap_check "VIP $topo: icmp_xlated counts the translated errors ($x0 -> $x1)" \
		eval "num_ge '$x0' 0 && num_ge '$x1' $((${x0/missing/0} + 8))"
	tap_is "VIP $topo: no receiver saw a bad checksum" \
		"$(($(csum_errors client) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))" 0
	teardown
done

l4lb_unload
rm -rf "$W"
tap_done
