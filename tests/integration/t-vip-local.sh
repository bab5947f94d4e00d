#!/bin/bash
# The VIP is an address of the load balancer itself (as IPVS requires and
# keepalived sets up): replies leave with a local address as their source,
# which the routing code must not take for a martian.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup --vip-local
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	l4lb_service $fam tcp && l4lb_service $fam udp
	tap_is "IPv$fam local VIP: TCP flows round robin" \
		"$(hellos 3 "$vip" $VIP_PORT)" "be1 be2 be3"
	tap_is "IPv$fam local VIP: UDP flows round robin" \
		"$(hellos 3 "$vip" $VIP_PORT --udp)" "be1 be2 be3"
	out=$(client_traffic echo "$vip" $VIP_PORT --bytes 262144)
	tap_check "IPv$fam local VIP: 256 KiB echoed intact ($out)" \
		test "${out%% *}" = be1
done

topo_teardown
l4lb_unload
tap_done
