#!/bin/bash
# Source port reuse (issue 8 item 6): a client cycling through 20 source
# ports at a high rate, each connection closed actively by the client (both
# FINs seen: TIME_WAIT on the LB), against a DNAT VIP, IPv4 and IPv6. Every
# connection must get a fresh, correct flow at once: no SYN sent twice (no
# stall waiting for a retransmission: none took a second), no RST, data
# intact, and the LB scheduled each one afresh (round robin over the three
# backends, one flow created per connection, the table holding at most one
# flow per port).
#
# The client netns keeps no TIME_WAIT itself (tcp_max_tw_buckets=0: the
# socket is closed right after its last ACK), so it can reuse a port at
# once, as a busy client or a NAT in front of many clients does; the LB
# still sees the full close.
. "$(dirname "$0")/lib/hard.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
ns_sysctl client net.ipv4.tcp_max_tw_buckets=0

# Every RST and every connection-opening SYN crossing the LB, counted.
ns_run lb nft -f - <<'EOF'
table inet reuse {
	chain fw {
		type filter hook forward priority 0; policy accept;
		tcp flags & rst == rst counter comment "rst"
		tcp flags & (syn | ack) == syn counter comment "syn"
	}
}
EOF

# reuse HOST PORT FIRST_SPORT NPORTS COUNT: COUNT connections, source ports
# FIRST_SPORT.. in turn; prints "ok N BACKENDS SLOWEST_CONNECTION
# SLOWEST_CONNECT" (seconds: a whole exchange, and connect() alone, where a
# SYN the LB did not forward would cost its 1 s retransmission) or what
# failed.
reuse() {
	ns_run client python3 - "$@" <<'EOF'
import os, socket, sys, time
host, port, first, nports, count = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
names, worst, worst_connect = {}, 0.0, 0.0
for i in range(count):
    sport = first + i % nports
    payload = os.urandom(1000)
    t0 = time.monotonic()
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    try:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
        s.connect((host, port))
        worst_connect = max(worst_connect, time.monotonic() - t0)
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)      # the client's FIN goes first
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        sys.exit("connection %d from port %d: %s" % (i, sport, e))
    s.close()
    worst = max(worst, time.monotonic() - t0)
    name, sep, rest = data.partition(b"\n")
    if not sep or rest != payload:
        sys.exit("connection %d from port %d: data not intact (%d bytes)" % (i, sport, len(data)))
    names[name.decode()] = names.get(name.decode(), 0) + 1
print("ok %d %s %.3f %.3f" % (count, ",".join("%s=%d" % kv for kv in sorted(names.items())),
                             worst, worst_connect))
EOF
}

n4=240 n6=120
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4 n=$n4 first=42000; else vip=$VIP6 n=$n6 first=43000; fi
	tap_check "IPv$fam: a TCP VIP with three backends" l4lb_service $fam tcp
	# One connection to each backend first: neighbour resolution is not
	# what the timings below are about.
	hellos 3 "$vip" $VIP_PORT >/dev/null
	rst0=$(nft_count lb inet reuse fw rst) syn0=$(nft_count lb inet reuse fw syn)
	out=$(reuse "$vip" $VIP_PORT $first 20 $n 2>&1)
	per=$((n / 3))
	tap_like "IPv$fam: $n connections from 20 source ports, each intact ($out)" \
		"$out" "ok $n be1=$per,be2=$per,be3=$per *"
	worst=${out##* }
	tap_check "IPv$fam: no connect() took a second or more, no SYN retransmitted (slowest: ${worst}s)" \
		python3 -c "import sys; sys.exit(not float('$worst') < 1.0)"
	tap_is "IPv$fam: one SYN per connection crossed the LB, no RST" \
		"$(($(nft_count lb inet reuse fw syn) - syn0)) $(($(nft_count lb inet reuse fw rst) - rst0))" \
		"$n 0"
	tap_is "IPv$fam: the LB made a flow per connection, $per per backend" \
		"$(l4json vip "$vip" $VIP_PORT tcp conns) $(l4json backend "$vip" $VIP_PORT tcp "$(eval echo "\$BE${fam}_1")" $BE_PORT conns) $(l4json vip "$vip" $VIP_PORT tcp drops)" \
		"$((n + 3)) $((per + 1)) 0"
	tap_is "IPv$fam: at most one flow per source port left (closing), none active" \
		"$(l4json vip "$vip" $VIP_PORT tcp active_conns) $(($(l4json vip "$vip" $VIP_PORT tcp inactive_conns) <= 23))" \
		"0 1"
done
tap_is "no packet of these flows dropped as mid-stream without a flow" \
	"$(l4stats drops_noflow drops_malformed)" "0 0"

topo_teardown
l4lb_unload
tap_done
