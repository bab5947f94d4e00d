#!/bin/bash
# The per-VIP and per-backend counters of issue 10, exact after known
# traffic: TCP outcomes (established, failed: each flow once), RSTs from the
# backend, SYN retransmissions, drops by reason (no backend, VIP and backend
# maxconn, rate), the handshake latency of DNAT, and packets and bytes of a
# UDP exchange of known sizes. Text output: the success rate.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
# A fast GC: an unanswered flow is reaped soon after its timeout.
l4lb_load gc_interval_ms=100 udp_timeout_unreplied=600 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
V=$VIP4

# st PORT PROTO { - | BACKEND:PORT } KEY... : counters of the VIP $V:PORT
# (-) or of one of its backends, from one dump, on one line.
st() {
	local port=$1 proto=$2 be=$3
	shift 3
	lbctl -j show | python3 -c '
import json, sys
vip, port, proto, be, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
o = None
for v in json.load(sys.stdin):
    if v["address"] == vip and v["port"] == port and v["proto"] == proto:
        if be == "-":
            o = v
        else:
            a, p = be.rsplit(":", 1)
            o = next((b for b in v.get("backends", [])
                      if b["address"] == a and b["port"] == int(p)), None)
print(" ".join(str(o["stats"].get(k, "missing")) if o else "missing"
               for k in keys))
' "$V" "$port" "$proto" "$be" "$@"
}

# wait_eq WANT SECONDS CMD... : run CMD until it prints WANT, for up to
# SECONDS; prints what it printed last.
wait_eq() {
	local want=$1 secs=$2 got i
	shift 2
	for ((i = 0; i < secs * 4; i++)); do
		got=$("$@")
		[ "$got" = "$want" ] && break
		sleep 0.25
	done
	echo "$got"
}

ok=1
lbctl vip add $V:80 proto tcp &&
	lbctl backend add $V:80 $BE4_1:$BE_PORT &&
	lbctl backend add $V:80 $BE4_2:$BE_PORT &&
	lbctl vip add $V:81 proto tcp timeout tcp-close 1 &&
	lbctl backend add $V:81 $BE4_1:9 &&
	lbctl vip add $V:82 proto tcp timeout tcp-unreplied 2 &&
	lbctl backend add $V:82 $BE4_2:8081 &&
	lbctl vip add $V:83 proto tcp &&
	lbctl vip add $V:84 proto tcp maxconn 1 &&
	lbctl backend add $V:84 $BE4_1:$BE_PORT &&
	lbctl vip add $V:85 proto tcp rate 1 burst 1 &&
	lbctl backend add $V:85 $BE4_1:$BE_PORT &&
	lbctl vip add $V:86 proto tcp &&
	lbctl backend add $V:86 $BE4_1:$BE_PORT maxconn 1 &&
	lbctl vip add $V:53 proto udp &&
	lbctl backend add $V:53 $BE4_3:$BE_PORT proto udp || ok=0
tap_check "VIPs for each case" test $ok = 1

# ---- connections that complete
tap_is "4 TCP connections through the VIP, round robin" \
	"$(hellos 4 $V 80)" "be1 be2 be1 be2"
tap_is "the VIP: conns 4, established 4, failed 0, no drop" \
	"$(st 80 tcp - conns established failed drops)" "4 4 0 0"
for be in $BE4_1 $BE4_2; do
	read -r c e f h us <<<"$(st 80 tcp $be:$BE_PORT conns established failed handshakes handshake_us)"
	tap_is "backend $be: conns 2, established 2, failed 0, 2 handshakes" \
		"$c $e $f $h" "2 2 0 2"
	tap_check "backend $be: a mean handshake latency ($us us)" \
		test "$us" -gt 0
done
tap_is "the VIP measures no handshake of its own" \
	"$(st 80 tcp - handshakes)" 0
tap_like "text: the success rate" \
	"$(lbctl vip show | grep -A3 "^vip $V:80 " | grep established)" \
	"  established 4 failed 0 success 100.0% rsts_client *"

# ---- the backend's port is closed: it answers the SYN with a RST
out=$(client_traffic hello $V 81 --timeout 5 2>&1)
tap_like "a connection to a closed backend port is refused" "$out" "*refused*"
tap_is "... conns 1, established 0, failed 1, rsts_backend 1, rsts_client 0" \
	"$(st 81 tcp - conns established failed rsts_backend rsts_client)" \
	"1 0 1 1 0"
tap_is "... the same on the backend, and no handshake measured" \
	"$(st 81 tcp $BE4_1:9 conns established failed rsts_backend handshakes)" \
	"1 0 1 1 0"
# The flow in CLOSE expires after 1 s: counted once, not again.
tap_is "... the flow goes: still failed 1" \
	"$(wait_eq "0 1" 10 st 81 tcp - inactive_conns failed)" "0 1"
tap_is "text: success 0.0%" \
	"$(lbctl vip show | grep -A3 "^vip $V:81 " | grep -o 'success [^ ]*')" \
	"success 0.0%"

# ---- the backend drops the SYN: the client sends it again, then gives up
ns_run be2 nft -f - <<-EOF
	table inet counters {
		chain in {
			type filter hook input priority 0;
			tcp dport 8081 drop
		}
	}
EOF
# SYN at 0 s, again at 1 s; the client gives up at 2.5 s, before the next.
out=$(client_traffic hello $V 82 --timeout 2.5 2>&1)
tap_like "a connection to a backend that drops SYNs times out" "$out" "*timed out*"
read -r c r <<<"$(st 82 tcp - conns syn_retrans)"
tap_is "... one flow" "$c" 1
tap_check "... the client's SYN retransmissions counted ($r)" test "$r" -ge 1
tap_is "... failed 1 once the unreplied flow expired (tcp-unreplied 2)" \
	"$(wait_eq "0 0 1" 15 st 82 tcp - inactive_conns established failed)" \
	"0 0 1"
tap_is "... on the backend too" \
	"$(st 82 tcp $BE4_2:8081 conns failed handshakes)" "1 1 0"
ns_run be2 nft delete table inet counters

# ---- drops by reason, each refused SYN once
out=$(client_traffic hello $V 83 --timeout 5 2>&1)
tap_like "a VIP with no backend refuses (RST)" "$out" "*refused*"
tap_is "... drops_no_backend 1, drops 1, conns 0" \
	"$(st 83 tcp - drops_no_backend drops conns)" "1 1 0"

# The first flow stays (TIME_WAIT) and holds the maxconn.
out=$(client_traffic hello $V 84 --count 2 --timeout 5 2>&1 | paste -sd ' ')
tap_like "VIP maxconn 1: the second connection is refused" "$out" "be1 *refused*"
tap_is "... drops_limit 1, drops 1, drops_no_backend 0, conns 1" \
	"$(st 84 tcp - drops_limit drops drops_no_backend conns)" "1 1 0 1"

out=$(client_traffic hello $V 86 --count 2 --timeout 5 2>&1 | paste -sd ' ')
tap_like "backend maxconn 1: the second connection is refused" "$out" "be1 *refused*"
tap_is "... a drop for a limit, not for no backend" \
	"$(st 86 tcp - drops_limit drops_no_backend drops)" "1 0 1"

# Rate 1/s, burst 1: the second SYN within the second is dropped silently;
# the client gives up before its retransmission (1 s).
out=$(client_traffic hello $V 85 --count 2 --timeout 0.5 2>&1 | paste -sd ' ')
tap_like "rate 1 burst 1: the second connection at once times out" "$out" "be1 *timed out*"
tap_is "... drops_rate 1, drops 1, conns 1" \
	"$(st 85 tcp - drops_rate drops conns)" "1 1 1"

# ---- UDP: 3 flows of 100 bytes, answered with the backend's name line
# too (4 more bytes); IPv4 + UDP headers: 28 bytes.
tap_is "3 UDP queries of 100 bytes" \
	"$(hellos 3 $V 53 --udp --bytes 100 --retries 1 --timeout 10)" "be3 be3 be3"
tap_is "the VIP: conns 3, 3 packets and 384 bytes in, 3 and 396 out" \
	"$(st 53 udp - conns pkts_in pkts_out bytes_in bytes_out)" \
	"3 3 3 384 396"
tap_is "the backend: the same" \
	"$(st 53 udp $BE4_3:$BE_PORT conns pkts_in pkts_out bytes_in bytes_out)" \
	"3 3 3 384 396"
tap_is "UDP has no TCP outcome" \
	"$(st 53 udp - established failed drops)" "0 0 0"

topo_teardown
l4lb_unload
tap_done
