#!/bin/bash
# Module parameters do what they say: flows expire after their idle
# timeout (no per-entry timers: lookups and the GC honour the expiry), a
# full table makes room by evicting flows that are not conversations but
# refuses new flows rather than evict live ones, and out-of-range values
# refuse the load with a clear log line.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
serve_all

for bad in conn_max=5 gc_interval_ms=0 udp_timeout=0 tcp_timeout_established=99999999 \
	netns_conn_max=5 netns_vip_max=0 tcp_timeout_unreplied=0 udp_timeout_unreplied=100000; do
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

# conn_max applies in every namespace: "lb" is not the initial one, so its
# limit is min(conn_max, netns_conn_max).
l4lb_unload
l4lb_load conn_max=1024
l4lb_service 4 udp
tap_is "the namespace's limit is conn_max" "$(lbctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["conn_max"])')" 1024

# udpflows FIRST COUNT ROUNDS: COUNT flows from source ports FIRST..., each
# ROUNDS datagrams, waiting for every answer: 1 round is a query and its
# answer (evictable), 2 rounds a conversation (kept).
udpflows() {
	ns_run client python3 - "$VIP4" $VIP_PORT "$@" <<'PY'
import socket, sys
host, port, first, count, rounds = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:6])
ok = 0
# 50 at a time: under the receive backlog and the open-files limit.
for b in range(first, first + count, 50):
    socks = []
    for p in range(b, min(b + 50, first + count)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", p))
        s.settimeout(3)
        socks.append(s)
    for r in range(rounds):
        for s in socks:
            s.sendto(b"x", (host, port))
        for s in socks:
            try:
                s.recv(100)
                ok += r == rounds - 1
            except OSError:
                pass
    for s in socks:
        s.close()
print(ok)
PY
}
stat() { lbctl -j stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

tap_is "1024 conversations fill the table" "$(udpflows 20000 1024 2)" 1024
tap_is "the table holds conn_max flows" "$(stat conns)" 1024
tap_like "a conversation in the full table keeps working" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --udp --sport 20005 2>&1)" "be[123]"
# A conversation can be faked blind: when nothing else may go, the idlest
# one makes room.
tap_like "a new flow gets in by evicting the idlest conversation" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --udp --sport 30000 2>&1)" "be[123]"
tap_is "... counted as an early drop" "$(stat evictions)" 1
tap_is "the table still holds conn_max flows" "$(stat conns)" 1024

# Established TCP connections are never evicted: a table full of them
# refuses new flows.
l4lb_unload
l4lb_load conn_max=1024
l4lb_service 4 tcp
held=$(mktemp)
ns_run client bash -c 'ulimit -n 4096; exec python3 - "$@"' - "$VIP4" $VIP_PORT "$held" <<'PY' &
import socket, sys, time
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(1024):
    s = socket.create_connection((host, port), timeout=5)
    s.recv(100)                 # traffic.py's servers greet with their name
    socks.append(s)
with open(out, "w") as f:
    f.write("%d\n" % len(socks))
time.sleep(120)
PY
holder=$!
for ((i = 0; i < 600; i++)); do
	[ -s "$held" ] && break
	sleep 0.2
done
tap_is "1024 established connections fill the table" "$(cat "$held")" 1024
tap_is "the table holds conn_max flows" "$(stat conns)" 1024
tap_like "a new connection is refused: no flow may be evicted" \
	"$(client_traffic hello "$VIP4" $VIP_PORT --timeout 2 --retries 1 2>&1)" \
	"!(be[123])"
tap_check "... and counted as a full-table drop" test "$(stat drops_table_full)" -ge 1
tap_is "no established connection was evicted" "$(stat evictions)" 0
kill $holder 2>/dev/null
wait $holder 2>/dev/null
rm -f "$held"

# Single exchanges may go: 1100 of them into the same 1024-flow table.
l4lb_unload
l4lb_load conn_max=1024
l4lb_service 4 udp
tap_is "1100 query/answer flows all get through" "$(udpflows 20000 1100 1)" 1100
tap_is "the table holds conn_max flows" "$(stat conns)" 1024
tap_is "76 older ones were evicted for the newer" "$(stat evictions)" 76
tap_is "no flow was refused" "$(l4json vip "$VIP4" $VIP_PORT udp drops)" 0

topo_teardown
l4lb_unload
tap_done
