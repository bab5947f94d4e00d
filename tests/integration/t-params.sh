#!/bin/bash
# Module parameters do what they say: flows expire after their idle
# timeout (no per-entry timers: lookups and the GC honour the expiry), the
# table refuses flows past conn_max without evicting live ones, and
# out-of-range values refuse the load with a clear log line.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
serve_all

for bad in conn_max=5 gc_interval_ms=0 udp_timeout=0 tcp_timeout_established=99999999; do
	dmesg -C
	if l4lb_load "$bad" 2>/dev/null; then
		tap_fail "load with $bad is refused"
		l4lb_unload
	else
		tap_check "load with $bad is refused with a log line naming it" \
			eval "dmesg | grep -q 'l4lb: ${bad%%=*}=.* is out of range'"
	fi
done

tap_check "load with conn_max=1024 udp_timeout=2 gc_interval_ms=100" \
	l4lb_load conn_max=1024 udp_timeout=2 gc_interval_ms=100
tap_is "modinfo-style parameters are visible in sysfs" \
	"$(cat /sys/module/l4lb/parameters/udp_timeout)" 2
l4lb_service 4 udp

# From one process: two Python start-ups could take longer than the timeout.
same() { client_traffic hello "$VIP4" $VIP_PORT --udp --sport 40000 "$@"; }
tap_is "a UDP flow sticks to its backend while active" \
	"$(same --count 2 | paste -sd ' ')" "be1 be1"
sleep 3.5
tap_is "the GC reclaimed the idle flow" \
	"$(l4json vip "$VIP4" $VIP_PORT udp active_conns)" 0
tap_is "the same source port after the timeout is a new flow" "$(same)" be2

# 1100 new flows from distinct source ports into a 1024-flow table, with
# the default timeouts so that none expires during the test.
l4lb_unload
l4lb_load conn_max=1024
l4lb_service 4 udp
ns_run client python3 - "$VIP4" $VIP_PORT <<'PY'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
for i in range(1100):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 20000 + i))
        s.sendto(b"x", (host, port))
    if i % 50 == 49:
        time.sleep(0.05)  # stay under the receive backlog (1000 packets)
PY
tap_is "the table holds conn_max flows" \
	"$(l4json vip "$VIP4" $VIP_PORT udp active_conns)" 1024
tap_is "the flows past conn_max are counted as drops" \
	"$(l4json vip "$VIP4" $VIP_PORT udp drops)" 76
tap_like "a flow in the full table keeps working" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --udp --sport 20005 2>&1)" "be[123]"
tap_like "a new flow is refused while the table is full" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --udp --sport 30000 --timeout 1 --retries 1 2>&1)" \
	"!(be[123])"
tap_is "... and counted as a drop" \
	"$(l4json vip "$VIP4" $VIP_PORT udp drops)" 77

topo_teardown
l4lb_unload
tap_done
