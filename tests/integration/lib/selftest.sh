#!/bin/bash
# Self-test of the integration plumbing, WITHOUT any load balancer: builds the
# netns topology and checks plain routed client -> backend traffic over IPv4
# and IPv6, TCP and UDP. Run inside the VM:
#   tests/vm/run tests/integration/lib/selftest.sh
set -u
# shellcheck source=tests/integration/lib/netns.sh
. "$(dirname "$(readlink -f "$0")")/netns.sh"

[[ ${L4LB_IN_VM:-} == 1 ]] || tap_diag "warning: not inside the test VM (tests/vm/run)"
trap topo_teardown EXIT

PORT=8080
start=$(date +%s.%N)

tap_check "topology builds" topo_setup
tap_check "lb forwards IPv4" test "$(ns_run lb cat /proc/sys/net/ipv4/ip_forward)" = 1
tap_check "client pings backend 1 (v4)" ns_run client ping -c1 -W2 -q $BE4_1
tap_check "client pings backend 3 (v6)" ns_run client ping -6 -c1 -W2 -q $BE6_3
tap_check "client pings lb (v6)" ns_run client ping -6 -c1 -W2 -q $LB6

for i in 1 2 3; do
	serve_start be$i be$i $PORT || tap_fail "server be$i v4 tcp"
	serve_start be$i be$i $PORT v6 || tap_fail "server be$i v6 tcp"
	serve_start be$i be$i $PORT udp || tap_fail "server be$i v4 udp"
	serve_start be$i be$i $PORT udp v6 || tap_fail "server be$i v6 udp"
done

for i in 1 2 3; do
	v4=BE4_$i v6=BE6_$i
	tap_is "tcp hello v4 be$i" "$(ns_traffic client hello ${!v4} $PORT)" be$i
	tap_is "tcp hello v6 be$i" "$(ns_traffic client hello ${!v6} $PORT)" be$i
	tap_is "udp hello v4 be$i" "$(ns_traffic client hello --udp ${!v4} $PORT)" be$i
	tap_is "udp hello v6 be$i" "$(ns_traffic client hello --udp ${!v6} $PORT)" be$i
done

out=$(ns_traffic client echo $BE4_2 $PORT --bytes 1048576 2>&1)
tap_check "tcp echo 1 MiB v4" test "${out%% *}" = be2 || tap_diag "$out"
out=$(ns_traffic client echo $BE6_1 $PORT --bytes 1048576 2>&1)
tap_check "tcp echo 1 MiB v6" test "${out%% *}" = be1 || tap_diag "$out"

# Many sequential connections to one server, with a fixed source port too.
tap_is "20 sequential connections" "$(ns_traffic client hello --count 20 $BE4_3 $PORT | sort | uniq -c | xargs)" "20 be3"
tap_is "10 sequential udp exchanges v6" "$(ns_traffic client hello --udp --count 10 $BE6_1 $PORT | sort | uniq -c | xargs)" "10 be1"
tap_is "hello with --sport" "$(ns_traffic client hello --sport 40000 $BE6_2 $PORT)" be2
tap_is "hello with the same --sport again" "$(ns_traffic client hello --sport 40000 $BE6_2 $PORT)" be2

# A closed port must fail cleanly, not hang.
if ns_traffic client hello --timeout 3 $BE4_1 9 2>/dev/null; then
	tap_fail "closed port is refused"
else
	tap_ok "closed port is refused"
fi

# The --vip-local variant puts the VIP on the LB itself.
topo_teardown
tap_check "topology builds with --vip-local" topo_setup --vip-local
tap_check "VIP v4 answers ping on lb" ns_run client ping -c1 -W2 -q $VIP4
tap_check "VIP v6 answers ping on lb" ns_run client ping -6 -c1 -W2 -q $VIP6
tap_check "ip netns exec sees the namespace's interfaces" sh -c "ip netns exec lb ls /sys/class/net | grep -qx br0"

tap_diag "selftest took $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
tap_done
