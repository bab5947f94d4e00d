#!/bin/bash
# l4lb's flows are marked untracked: conntrack, when something in the load
# balancer's namespace uses it, keeps no second copy of their state (and
# its table cannot be filled by them). Other traffic is tracked as usual.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
l4lb_service 4 tcp
l4lb_service 6 udp

# A ruleset that needs conntrack: this registers its hooks in lb.
ns_run lb nft -f - <<'NFT'
table inet probe {
	chain pre {
		type filter hook prerouting priority 0;
		ct state untracked counter
		ct state new counter
	}
}
NFT
# packets STATE: what the rule "ct state STATE counter" counted.
packets() {
	ns_run lb nft list chain inet probe pre | awk -v state="$1" '
		$1 == "ct" && $3 == state {
			for (i = 4; i < NF; i++) if ($i == "packets") print $(i + 1)
		}'
}

hellos 3 "$VIP4" $VIP_PORT >/dev/null
hellos 3 "$VIP6" $VIP_PORT --udp >/dev/null
tap_like "l4lb's packets are seen untracked" "$(packets untracked)" "[1-9]*"
tap_is "no l4lb flow became a conntrack entry" "$(packets new)" 0

client_traffic hello "$BE4_1" $BE_PORT >/dev/null
tap_is "traffic not for a VIP is tracked as usual" "$(packets new)" 1

topo_teardown
l4lb_unload
tap_done
