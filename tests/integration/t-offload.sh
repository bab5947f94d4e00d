#!/bin/bash
# Offloads (issue 7, item 11): the rewrite of CHECKSUM_PARTIAL and GSO/GRO
# skbs. Every veth of the topology with TX checksum offload, scatter-gather,
# TSO, GSO and GRO on (veth GRO: NAPI on the LB's receiving side, so the LB
# rewrites aggregated skbs), then:
#  - 16 MiB through the VIP in each direction (echo), compared byte for
#    byte, TCP over IPv4 and IPv6;
#  - large UDP datagrams (60 000 bytes: fragmented, reassembled by the LB's
#    defrag, rewritten, fragmented again) and UDP GSO (one send of 16
#    segments) in both directions, intact;
# once with offloads on everywhere (the receivers trust the checksums), and
# once with TX checksumming off on the LB's outgoing interfaces, so that the
# LB's stack completes each checksum from what the rewrite left (software
# GSO, skb_checksum_help) and the receivers verify it: no checksum error.
. "$(dirname "$0")/lib/hard.sh"

MIB16=16777216
topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done

LB_IFS="eth-c br0 veth-be1 veth-be2 veth-be3"
# offload on|off-egress : set the features of every interface.
offload() {
	local mode=$1 ns ifc tx
	for ns in client be1 be2 be3; do
		ns_run $ns ethtool -K eth0 tx on sg on tso on gso on gro on >/dev/null 2>&1
	done
	tx=on
	[ "$mode" = off-egress ] && tx=off
	for ifc in $LB_IFS; do
		ns_run lb ethtool -K "$ifc" tx $tx sg on tso on gso on gro on >/dev/null 2>&1
	done
}

# features NS IF : the offload flags that matter, on one line.
features() {
	ns_run "$1" ethtool -k "$2" | awk -F': ' '
		$1 ~ /^(tx-checksumming|generic-segmentation-offload|generic-receive-offload)$/ {
			split($2, v, " "); printf "%s%s=%s", sep, $1, v[1]; sep = " " }
		END { print "" }'
}

# udp_gso VIP : one sendmsg of 16 segments of 1200 bytes (UDP_SEGMENT) to
# the VIP; every segment comes back (each is a datagram to the server),
# intact. Prints "N/16 intact".
udp_gso() {
	ns_run client python3 - "$1" $VIP_PORT <<-'EOF'
		import os, socket, sys
		host, port = sys.argv[1], int(sys.argv[2])
		fam = socket.AF_INET6 if ":" in host else socket.AF_INET
		s = socket.socket(fam, socket.SOCK_DGRAM)
		s.setsockopt(socket.IPPROTO_UDP, 103, 1200)  # UDP_SEGMENT
		s.settimeout(5)
		segs = [bytes([i]) * 8 + os.urandom(1192) for i in range(16)]
		s.sendto(b"".join(segs), (host, port))
		got = set()
		try:
		    while len(got) < 16:
		        data, peer = s.recvfrom(65535)
		        name, _, body = data.partition(b"\n")
		        if peer[:2] == (host, port) and body in segs:
		            got.add(body)
		except socket.timeout:
		    pass
		print("%d/16 intact" % len(got))
	EOF
}

for mode in on off-egress; do
	offload $mode
	if [ $mode = on ]; then
		want="tx-checksumming=on generic-segmentation-offload=on generic-receive-offload=on"
		M="offloads on everywhere"
	else
		want="tx-checksumming=off generic-segmentation-offload=on generic-receive-offload=on"
		M="LB egress checksumming off"
	fi
	for ifc in eth-c veth-be1; do
		tap_is "$M: $ifc's offloads" "$(features lb $ifc)" "$want"
	done
	[ $mode = on ] && tap_like "$M: TSO on the LB's interfaces" \
		"$(ns_run lb ethtool -k eth-c | grep '^tcp-segmentation-offload:')" "*: on*"
	e0=$(($(csum_errors client) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))
	for fam in 4 6; do
		if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
		b0=$(l4json vip "$vip" $VIP_PORT tcp bytes_in) o0=$(l4json vip "$vip" $VIP_PORT tcp bytes_out)
		t0=$(date +%s.%N)
		out=$(client_traffic echo "$vip" $VIP_PORT --bytes $MIB16 --timeout 300 2>&1)
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		b1=$(l4json vip "$vip" $VIP_PORT tcp bytes_in) o1=$(l4json vip "$vip" $VIP_PORT tcp bytes_out)
		tap_like "$M, IPv$fam TCP: 16 MiB each way through the VIP, byte for byte ($out)" "$out" "be? *"
		tap_diag "$M, IPv$fam TCP: ${secs}s; VIP bytes_in +$((b1 - b0)), bytes_out +$((o1 - o0))"
		tap_check "$M, IPv$fam TCP: the VIP counted >= 16 MiB each way" \
			test $((b1 - b0)) -ge $MIB16 -a $((o1 - o0)) -ge $MIB16
		tap_is "$M, IPv$fam UDP: 60000-byte datagrams there and back, intact" \
			"$(hellos 3 "$vip" $VIP_PORT --udp --bytes 60000 --timeout 10 --retries 3 |
				tr ' ' '\n' | grep -c '^be[123]$')" 3
		tap_is "$M, IPv$fam UDP GSO: 16 segments of one send, each answered intact" \
			"$(udp_gso "$vip")" "16/16 intact"
	done
	e1=$(($(csum_errors client) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))
	tap_is "$M: no receiver saw a bad checksum" "$((e1 - e0))" 0
done

topo_teardown
l4lb_unload
tap_done
