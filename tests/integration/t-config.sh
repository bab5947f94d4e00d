#!/bin/bash
# Configuration changes under traffic: deleting or draining a backend stops
# new flows to it while its open flows carry on; deleting the VIP stops the
# rewriting; traffic not addressed to a VIP passes untouched.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
l4lb_service 4 tcp
V=$VIP4:$VIP_PORT

# Flows open on be2 before it goes away.
hold_start a "$VIP4" $VIP_PORT
tap_is "a held connection reaches be1" "$(hold_name a)" be1
hold_start b "$VIP4" $VIP_PORT
tap_is "a held connection reaches be2" "$(hold_name b)" be2
tap_is "an open connection counts as active, not inactive" \
	"$(l4json backend "$VIP4" $VIP_PORT tcp "$BE4_1" $BE_PORT active_conns)/$(l4json backend "$VIP4" $VIP_PORT tcp "$BE4_1" $BE_PORT inactive_conns)" \
	1/0

tap_check "backend del" lbctl backend del "$V" "$BE4_2:$BE_PORT"
tap_is "the deleted backend is gone from the dump" \
	"$(l4json backend "$VIP4" $VIP_PORT tcp "$BE4_2" $BE_PORT conns)" missing
got=$(hellos 4 "$VIP4" $VIP_PORT)
tap_like "no new flow goes to the deleted backend" "$got" "be[13] be[13] be[13] be[13]"
tap_like "... and both remaining backends get flows" "$got" "*be1*"
tap_like "... both of them" "$got" "*be3*"
tap_is "the flow already on the deleted backend carries on" "$(hold_finish b)" intact

tap_check "backend set weight 0" lbctl backend set "$V" "$BE4_1:$BE_PORT" weight 0
tap_is "weight is shown" \
	"$(l4json backend "$VIP4" $VIP_PORT tcp "$BE4_1" $BE_PORT weight)" 0
tap_is "a drained backend gets no new flows" "$(hellos 3 "$VIP4" $VIP_PORT)" \
	"be3 be3 be3"
tap_is "the flow already on the drained backend carries on" "$(hold_finish a)" intact
tap_check "backend set weight 5" lbctl backend set "$V" "$BE4_1:$BE_PORT" weight 5
tap_like "an undrained backend takes flows again" "$(hellos 4 "$VIP4" $VIP_PORT)" "*be1*"

conns_before=$(l4json vip "$VIP4" $VIP_PORT tcp conns)
tap_is "traffic straight to a backend passes untouched" \
	"$(client_traffic hello "$BE4_3" $BE_PORT)" be3
tap_is "... and is not counted by the VIP" \
	"$(l4json vip "$VIP4" $VIP_PORT tcp conns)" "$conns_before"

hold_start c "$VIP4" $VIP_PORT --timeout 2
tap_check "a held connection before the VIP goes ($(hold_name c))" \
	test -n "$(hold_name c)"
tap_check "vip del" lbctl vip del "$V"
tap_is "the VIP is gone from the dump" "$(l4json count)" 0
tap_like "new flows to a deleted VIP are not rewritten" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --timeout 2 2>&1)" "*hello*"
tap_is "an open flow of a deleted VIP is not rewritten either" "$(hold_finish c)" broken

topo_teardown
l4lb_unload
tap_done
