#!/bin/bash
# Module and namespace lifecycles with flows open: rmmod, reload and
# re-configure; a netns with its own configuration, independent of the
# others, destroyed while it has flows. The harness fails the run on any
# kernel WARN/Oops, including "Objects remaining" when a cache leaks.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
l4lb_service 4 tcp
l4lb_service 4 udp
l4lb_service 6 tcp
# Scheduler tables and persistence bindings (conn-table templates) must go
# with the module and with a namespace, too.
tap_check "the IPv6 TCP VIP takes maglev and persistence" \
	lbctl vip set "[$VIP6]:$VIP_PORT" sched maglev persist 60

# Per netns: another namespace sees none of lb's configuration.
ip netns add lb2
tap_is "another network namespace has its own, empty, configuration" \
	"$(ip netns exec lb2 "$L4CTL" -j show)" "[]"
tap_check "another namespace can configure the same VIP" \
	ip netns exec lb2 "$L4CTL" vip add "$VIP4:$VIP_PORT"
tap_is "... without touching lb's" "$(l4json count)" 3

# A namespace destroyed with flows in its table: veth pair into lb2.
ip link add c2 netns client type veth peer name l2 netns lb2
ip -n client addr add 10.9.0.2/24 dev c2
ip -n lb2 addr add 10.9.0.1/24 dev l2
ip -n client link set c2 up
ip -n lb2 link set l2 up
ip -n lb2 link set lo up
ip -n client route add 10.9.9.9/32 via 10.9.0.1
ip netns exec lb2 "$L4CTL" vip add 10.9.9.9:53 proto udp sched wrr persist 30
ip netns exec lb2 "$L4CTL" backend add 10.9.9.9:53 10.9.0.2:53 proto udp
client_traffic hello 10.9.9.9 53 --udp --timeout 1 --retries 1 >/dev/null 2>&1
tap_is "lb2 has a flow" \
	"$(ip netns exec lb2 "$L4CTL" -j show | python3 "$L4LB_LIB/l4json.py" vip 10.9.9.9 53 udp active_conns)" 1
tap_check "a namespace with VIPs and flows is destroyed" ip netns del lb2
sleep 1

tap_is "traffic flows before rmmod" "$(hellos 3 "$VIP4" $VIP_PORT)" "be1 be2 be3"
got=$(hellos 3 "$VIP6" $VIP_PORT)
tap_like "IPv6, maglev + persist: one client, one backend ($got)" "$got" \
	"@(be1 be1 be1|be2 be2 be2|be3 be3 be3)"
hold_start a "$VIP4" $VIP_PORT 2
client_traffic hello "$VIP4" $VIP_PORT --udp >/dev/null
tap_check "rmmod with TCP and UDP flows open" l4lb_unload
tap_like "the module is gone" "$(cat /proc/modules)" "!(*l4lb *)"
tap_like "l4ctl says the module is not loaded" "$(lbctl show 2>&1)" "*not loaded*"
tap_is "the held flow is no longer rewritten" "$(hold_finish a)" broken

tap_check "the module loads again" l4lb_load
tap_is "the configuration starts empty" "$(lbctl -j show)" "[]"
tap_check "the same configuration can be added again" \
	eval "l4lb_service 4 tcp && l4lb_service 6 tcp"
tap_is "traffic flows after the reload" "$(hellos 3 "$VIP4" $VIP_PORT)" "be1 be2 be3"
tap_is "IPv6 traffic flows after the reload" "$(hellos 3 "$VIP6" $VIP_PORT)" "be1 be2 be3"

topo_teardown
l4lb_unload
tap_done
