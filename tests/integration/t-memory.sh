#!/bin/bash
# Memory per flow, read from the kernel: the slab of the flow entries and
# the flow tables' share of hash buckets, with 50 000 IPv4 flows in the
# table. The issue's goal is <= 128 bytes per IPv4 flow, both keys and the
# table's share included (IPVS: 341, conntrack: 255 measured on these VMs).
# The guest boots with slab_nomerge, so l4lb_conn4 is a slab of its own.
. "$(dirname "$0")/lib/hard.sh"

FLOWS=50000

topo_setup
serve_all
lb_accept_spoofed
# A long timeout for flows that are not conversations: none may expire
# while they are counted.
l4lb_load udp_timeout_unreplied=3600 || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
l4lb_service 4 udp

slab() { awk -v c="$1" '$1 == c { print $3, $4, $5, $6 }' /proc/slabinfo; }
read -r objs0 _ <<<"$(slab l4lb_conn4)"
tap_is "the IPv4 flow cache has no objects before" "$objs0" 0

out=$(ns_run client python3 "$L4LB_LIB/flood.py" --iface eth0 \
	--dst-mac "$(lb_mac)" --dst "$VIP4" --dport $VIP_PORT --proto udp \
	--pairs $FLOWS 2>&1)
tap_diag "sender: $out"
for ((i = 0; i < 100; i++)); do
	[ "$(l4stats conns)" -ge $FLOWS ] && break
	sleep 0.2
done
read -r conns buckets <<<"$(l4stats conns buckets)"
tap_is "$FLOWS flows in the table" "$conns" $FLOWS

# num_objs objsize objperslab pagesperslab
read -r num objsize perslab pages <<<"$(slab l4lb_conn4)"
page=$(getconf PAGESIZE)
read -r per_slab per_bucket total <<<"$(awk -v n="$num" -v per="$perslab" \
	-v pg="$pages" -v ps="$page" -v b="$buckets" -v f="$conns" 'BEGIN {
	s = n / per * pg * ps / f; h = b * 8 / f
	printf "%.1f %.1f %.1f\n", s, h, s + h }')"
tap_diag "IPv4 flow: object $objsize B, slab $per_slab B/flow, hash buckets $buckets ($per_bucket B/flow): $total B per flow"
tap_check "an IPv4 flow entry is 80 bytes" test "$objsize" -eq 80
tap_check "an IPv4 flow costs <= 128 bytes with its share of the table ($total)" \
	awk -v t="$total" 'BEGIN { exit !(t <= 128) }'
read -r _ objsize6 _ <<<"$(slab l4lb_conn6)"
tap_diag "IPv6 flow: object $objsize6 B"
tap_check "an IPv6 flow entry is 128 bytes" test "$objsize6" -eq 128

topo_teardown
l4lb_unload
read -r objs1 _ <<<"$(slab l4lb_conn4)"
tap_is "no flow object is left after rmmod" "${objs1:-0}" 0
tap_done
