#!/bin/bash
# DNAT through a VIP for IPv4 and IPv6, TCP and UDP: new flows reach the
# backends in round-robin order, 1 MB crosses intact both ways, and the
# per-VIP and per-backend counters match the traffic sent. Queries that
# NFQUEUE gives back (in process context) go through too.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
# UDP flows of one query and its answer time out after 30 s by default;
# the counters below are read well after the queries under emulation.
l4lb_load udp_timeout_unreplied=600 || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	tap_check "IPv$fam: add a TCP and a UDP VIP with three backends" \
		eval "l4lb_service $fam tcp && l4lb_service $fam udp"

	got=$(hellos 6 "$vip" $VIP_PORT)
	tap_is "IPv$fam TCP: new flows go round robin" "$got" \
		"be1 be2 be3 be1 be2 be3"
	got=$(hellos 6 "$vip" $VIP_PORT --udp)
	tap_is "IPv$fam UDP: new flows go round robin" "$got" \
		"be1 be2 be3 be1 be2 be3"

	out=$(client_traffic echo "$vip" $VIP_PORT --bytes 1048576)
	tap_check "IPv$fam TCP: 1 MB echoed back intact through the VIP ($out)" \
		test "${out%% *}" = be1

	for i in 1 2 3; do
		be=$(eval echo "\$BE${fam}_$i")
		want=2
		[ $i = 1 ] && want=3
		tap_is "IPv$fam TCP: be$i counted $want connections" \
			"$(l4json backend "$vip" $VIP_PORT tcp "$be" $BE_PORT conns)" $want
		tap_is "IPv$fam UDP: be$i counted 2 flows, 2 datagrams each way" \
			"$(l4json backend "$vip" $VIP_PORT udp "$be" $BE_PORT conns)/$(l4json backend "$vip" $VIP_PORT udp "$be" $BE_PORT pkts_in)/$(l4json backend "$vip" $VIP_PORT udp "$be" $BE_PORT pkts_out)" \
			"2/2/2"
	done
	tap_is "IPv$fam TCP: the VIP counted 7 connections" \
		"$(l4json vip "$vip" $VIP_PORT tcp conns)" 7
	# Closed flows stay (inactive) until their timeout: 120 s after FINs,
	# 10 s after a RST, so some may be gone already.
	tap_like "IPv$fam TCP: closed connections count as inactive, none active" \
		"$(l4json vip "$vip" $VIP_PORT tcp active_conns)/$(l4json vip "$vip" $VIP_PORT tcp inactive_conns)" \
		"0/[1-7]"
	tap_is "IPv$fam UDP: live flows count as active" \
		"$(l4json vip "$vip" $VIP_PORT udp active_conns)/$(l4json vip "$vip" $VIP_PORT udp inactive_conns)" \
		6/0
	in=$(l4json backend "$vip" $VIP_PORT tcp "$(eval echo "\$BE${fam}_1")" $BE_PORT bytes_in)
	outb=$(l4json backend "$vip" $VIP_PORT tcp "$(eval echo "\$BE${fam}_1")" $BE_PORT bytes_out)
	tap_check "IPv$fam TCP: be1 counted the 1 MB both ways (in $in, out $outb)" \
		test "$in" -gt 1048576 -a "$outb" -gt 1048576
done

# A query NFQUEUE gives back comes to the LB's hook in process context, BHs
# on (nf_reinject()), not in the receive softirq: the hook turns BHs off
# for its per-CPU state, which the debug kernel's DEBUG_PREEMPT checks.
ns_run lb nft -f - <<EOF
table ip q {
	chain pre {
		type filter hook prerouting priority raw;
		ip daddr $VIP4 udp dport $VIP_PORT queue num 0
	}
}
EOF
q=$(mktemp -u)
nsenter --net=/run/netns/lb -- python3 "$L4LB_LIB/nfq.py" --queue 0 \
	--count 3 --timeout 120 --ready "$q.ready" >"$q.out" &
qpid=$!
for ((i = 0; i < 600; i++)); do [[ -e $q.ready ]] && break; sleep 0.05; done
before=$(l4json vip $VIP4 $VIP_PORT udp pkts_in)
got=$(hellos 3 "$VIP4" $VIP_PORT --udp)
wait $qpid
tap_like "IPv4 UDP through NFQUEUE: 3 queries given back, 3 backends answered" \
	"$(cat "$q.out"): $got" "3: be[123] be[123] be[123]"
tap_is "... counted by l4lb" \
	"$(($(l4json vip $VIP4 $VIP_PORT udp pkts_in) - before))" 3
ns_run lb nft delete table ip q
rm -f "$q.ready" "$q.out"

topo_teardown
l4lb_unload
tap_done
