#!/bin/bash
# Malformed input (issue 7, item 11): raw packets to the VIPs with truncated
# or lying TCP/UDP headers, TCP data offsets below 5 or past the packet,
# IPv4 options, bad IPv4 header lengths and total lengths, IPv6 extension
# header chains (hop-by-hop, destination options, routing, several, one
# running past the packet), fragments (first or non-first alone, complete
# sets), IPv6 UDP with a zero checksum, malformed ICMP errors about a flow.
# No kernel splat (the harness fails the run on one); nothing malformed is
# forwarded that was not in the packet as sent: every packet a backend
# receives from the client is one of the cases, correctly rewritten
# (addresses, ports, TTL, checksums; options, extension headers, payload
# untouched); the well-formed controls do arrive; the service is still
# correct afterwards. See lib/malformed.py for the cases.
. "$(dirname "$0")/lib/hard.sh"

W=$(mktemp -d)
topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done
LB_MAC=$(lb_mac)

# The client's own stack stays quiet about the answers to forged packets
# (resets for SYN-ACKs, port unreachables for UDP replies): whatever
# reaches a backend from the client is then one of the cases.
ns_run client nft -f - <<'NFT'
table inet quiet {
	chain out {
		type filter hook output priority 0;
		tcp sport 47000-47999 tcp flags rst drop
		icmp type destination-unreachable drop
		icmpv6 type destination-unreachable drop
	}
}
NFT

# UDP flows for the ICMP cases to quote (client port 47900/47901 -> VIP:80).
tap_like "a UDP flow for the ICMP cases (IPv4)" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --udp --sport 47900 2>&1)" "be[123]"
tap_like "a UDP flow for the ICMP cases (IPv6)" \
	"$(client_traffic hello "$VIP6" $VIP_PORT --udp --sport 47901 2>&1)" "be[123]"

read -r inv0 nf0 <<<"$(l4stats drops_malformed drops_noflow)"
for i in 1 2 3; do sniff_start be$i be$i eth0 --incoming; done
ns_run client python3 "$L4LB_LIB/malformed.py" send --iface eth0 --dst-mac "$LB_MAC" \
	--manifest "$W/manifest.json" --flow4 47900 --flow6 47901 >"$W/sent.txt" 2>&1
tap_check "the malformed packets were sent" test -s "$W/manifest.json" ||
	tap_diag "$(cat "$W/sent.txt")"
sleep 2
caps=()
for i in 1 2 3; do
	caps+=(--capture "10.0.1.$i,fd00:1::$i=$(sniff_stop be$i)")
done
out=$(python3 "$L4LB_LIB/malformed.py" check --manifest "$W/manifest.json" "${caps[@]}" 2>&1)
rc=$?
tap_diag "$out"
tap_check "every packet the backends got from the client is a case, correctly rewritten; controls arrived" \
	test $rc = 0
read -r inv1 nf1 <<<"$(l4stats drops_malformed drops_noflow)"
tap_diag "drops_malformed $inv0 -> $inv1, drops_noflow $nf0 -> $nf1"
tap_check "IPv6 UDP with a zero checksum (and other malformed headers) counted in drops_malformed ($inv0 -> $inv1)" \
	eval "num_ge '$inv0' 0 && num_ge '$inv1' $((${inv0/missing/0} + 1))"

# The service is still right.
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	tap_is "IPv$fam: TCP still balanced over the three backends" \
		"$(sorted_words "$(hellos 3 "$vip" $VIP_PORT)")" "be1 be2 be3"
	tap_is "IPv$fam: UDP still balanced over the three backends" \
		"$(sorted_words "$(hellos 3 "$vip" $VIP_PORT --udp)")" "be1 be2 be3"
	out=$(client_traffic echo "$vip" $VIP_PORT --bytes 65536 2>&1)
	tap_like "IPv$fam: 64 KiB echoed intact ($out)" "$out" "be? *"
done
tap_is "no receiver saw a bad checksum" \
	"$(($(csum_errors client) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))" 0

topo_teardown
l4lb_unload
rm -rf "$W"
tap_done
