#!/bin/bash
# Routing after rewrite (issue 7, item 4): a client on the load balancer
# itself (its packets reach PREROUTING through lo, carrying the route to
# the local VIP) connects to a VIP that is a local address and reaches a
# backend: TCP and UDP, IPv4 and IPv6, from the VIP's address and from
# another local address (as a health check of the VIP, run on the LB,
# would). Clients elsewhere keep working alongside.
. "$(dirname "$0")/lib/hard.sh"

topo_setup --vip-local
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done

lb_traffic() { ns_run lb python3 "$TRAFFIC_PY" "$@"; }

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 src=$LB4_BE; else vip=$VIP6 src=$LB6_BE; fi
	tap_like "IPv$fam: TCP from the LB netns to its local VIP reaches backends" \
		"$(lb_traffic hello "$vip" $VIP_PORT --count 3 --timeout 3 2>&1 | paste -sd ' ')" \
		"be[123] be[123] be[123]"
	tap_like "IPv$fam: UDP from the LB netns to its local VIP reaches backends (reply from the VIP)" \
		"$(lb_traffic hello "$vip" $VIP_PORT --udp --count 3 --timeout 3 --retries 3 2>&1 | paste -sd ' ')" \
		"be[123] be[123] be[123]"
	out=$(lb_traffic echo "$vip" $VIP_PORT --bytes 262144 --timeout 10 2>&1)
	tap_like "IPv$fam: 256 KiB echoed intact from the LB netns ($out)" "$out" "be[123] *"
	tap_like "IPv$fam: health-check-like probe from the LB's backend-side address ($src)" \
		"$(lb_traffic hello "$vip" $VIP_PORT --src "$src" --timeout 3 2>&1)" "be[123]"
	tap_like "IPv$fam: ... and over UDP" \
		"$(lb_traffic hello "$vip" $VIP_PORT --udp --src "$src" --timeout 3 --retries 3 2>&1)" "be[123]"
	tap_like "IPv$fam: a remote client still works alongside" \
		"$(hellos 3 "$vip" $VIP_PORT)" "be[123] be[123] be[123]"
done

# The flows of the local client went through l4lb (counted on the VIP).
tap_check "the local clients' flows are l4lb's (VIP counters)" \
	test "$(l4json vip "$VIP4" $VIP_PORT tcp conns)" -ge 5

tap_is "no receiver saw a bad checksum" \
	"$(($(csum_errors lb) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))" 0

topo_teardown
l4lb_unload
tap_done
