#!/bin/bash
# DNAT's own forwarding and the routes cached per backend (kmod/forward.c,
# kmod/route.c). After a flow's first packet, its packets leave on the
# backend's cached route with no FIB lookup each (the fib_table_lookup
# tracepoint counts them), and as the stack would forward them: TTL
# decremented once, the FORWARD chain sees them and may drop them. What the
# stack would do more goes the stack's way: a PREROUTING hook after the
# LB's, reverse-path filtering, TTL 1 (time exceeded), policy rules. A route
# change reaches a flow at once: a blackhole route for the backend stops it
# (DNAT and DSR), its removal resumes it. Packets NFQUEUE gives back (in
# process context) go through both modes too.
. "$(dirname "$0")/lib/hard.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
ns_sysctl lb net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth-c.rp_filter=0
lbctl vip add $VIP4:9 proto udp &&
	lbctl backend add $VIP4:9 $BE4_1:9 proto udp &&
	lbctl vip add $VIP4:10 proto udp mode dsr &&
	lbctl backend add $VIP4:10 $BE4_2:10 proto udp
tap_is "a DNAT VIP (udp 9 -> be1) and a DSR VIP (udp 10 -> be2)" "$?" 0

# The backends count what arrives, by TTL, and drop it before IP.
for i in 1 2; do
	ns_run be$i nft -f - <<-EOF
		table netdev t {
			chain in {
				type filter hook ingress device eth0 priority 0;
				udp dport { 9, 10 } ip ttl 63 counter drop comment "ttl63"
				udp dport { 9, 10 } counter drop comment "other"
			}
		}
	EOF
done
got() { nft_count "be$1" netdev t in "${2:-ttl63}"; }

# send COUNT [TTL [VIP-PORT [SOURCE-PORT]]] : COUNT datagrams of one flow
# (from source port 40000 + VIP port by default) from the client.
send() {
	ns_run client python3 -c '
import socket, sys
n, ttl, port, sport = (int(a) for a in sys.argv[1:5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
s.bind(("", sport or 40000 + port))
s.connect((sys.argv[5], port))  # its route cached: no lookup per send
for _ in range(n):
    s.send(b"x" * 16)
' "$1" "${2:-64}" "${3:-9}" "${4:-0}" "$VIP4"
}

# FIB lookups (the fib_table_lookup tracepoint), from lookups_start on: the
# stack routes each packet it forwards with one at least.
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs tracefs $T
echo 1 >$T/events/fib/fib_table_lookup/enable
lookups_start() { echo >$T/trace; }
lookups() { grep -c 'fib_table_lookup:' $T/trace; }
# A few are others' (ARP); a routed flow takes one per packet at least.
FEW=30

lookups_start
send 200
d=$(lookups)
tap_is "200 datagrams of one flow reach be1, TTL decremented once" "$(got 1)/$(got 1 other)" 200/0
tap_check "... with no route lookup per packet ($d lookups)" test $d -lt $FEW
tap_is "... counted by l4lb" "$(l4json backend $VIP4 9 udp $BE4_1 9 pkts_in)" 200

ns_run lb nft -f - <<'EOF'
table inet fw {
	chain f {
		type filter hook forward priority 0;
		udp dport 9 counter comment "seen"
	}
}
EOF
lookups_start
send 100
d=$(lookups)
tap_is "a FORWARD chain sees each of 100 more" "$(nft_count lb inet fw f seen)" 100
tap_is "... and be1 got them" "$(got 1)" 300
tap_check "... still with no lookup per packet ($d)" test $d -lt $FEW
ns_run lb nft add rule inet fw f udp dport 9 drop
send 50
tap_is "a FORWARD drop rule stops the flow" "$(got 1)/$(nft_count lb inet fw f seen)" 300/150
ns_run lb nft delete table inet fw

ns_run lb nft -f - <<'EOF'
table inet pre {
	chain pre {
		type filter hook prerouting priority 0;
		udp dport 9 counter comment "pre"
	}
}
EOF
lookups_start
send 100
d=$(lookups)
tap_is "a PREROUTING chain after the LB's hook sees each of 100 more" \
	"$(nft_count lb inet pre pre pre)/$(got 1)" 100/400
tap_check "... the stack routing each ($d lookups)" test $d -ge 100
ns_run lb nft delete table inet pre

ns_sysctl lb net.ipv4.conf.eth-c.rp_filter=1
lookups_start
send 100
d=$(lookups)
tap_is "reverse-path filter on: 100 more reach be1" "$(got 1)" 500
tap_check "... the stack checking each ($d lookups)" test $d -ge 100
ns_sysctl lb net.ipv4.conf.eth-c.rp_filter=0

# The LB's ICMP time exceeded messages (its netns' /proc/net/snmp).
time_exceeded() {
	ns_run lb awk '$1 == "Icmp:" {
		if (c) print $c
		else for (i = 2; i <= NF; i++) if ($i == "OutTimeExcds") c = i
	}' /proc/net/snmp
}
t0=$(time_exceeded)
send 5 1
t=$(($(time_exceeded) - t0))
tap_is "TTL 1: not forwarded (nothing arrived, whatever its TTL)" "$(got 1)/$(got 1 other)" 500/0
# (ICMP errors are rate limited: some may be held back)
tap_check "... the client told: time exceeded ($t sent)" test $t -ge 1

lookups_start
send 50 64 10
d=$(lookups)
tap_is "DSR: 50 datagrams of one flow reach be2, TTL decremented once" "$(got 2)/$(got 2 other)" 50/0
tap_check "... with no route lookup per packet ($d lookups)" test $d -lt $FEW

ns_run lb ip route add blackhole $BE4_1/32
ns_run lb ip route add blackhole $BE4_2/32
send 50
send 50 64 10
tap_is "a blackhole route for the backends stops both cached flows (DNAT, DSR)" "$(got 1)/$(got 2)" 500/50
ns_run lb ip route del blackhole $BE4_1/32
ns_run lb ip route del blackhole $BE4_2/32
lookups_start
send 50
send 50 64 10
d=$(lookups)
tap_is "... removed: both flows resume" "$(got 1)/$(got 2)" 550/100
tap_check "... on routes cached again ($d lookups)" test $d -lt $FEW

# A route with two next hops: the stack spreads flows over them, which one
# route cached for every flow to the backend would not.
ns_run lb ip route add $BE4_1/32 nexthop dev br0 nexthop dev br0
tap_is "a multipath route to be1 (two next hops)" "$?" 0
lookups_start
send 100
d=$(lookups)
tap_is "... 100 more reach be1" "$(got 1)" 650
tap_check "... routed by the stack, per flow ($d lookups)" test $d -ge 100
ns_run lb ip route del $BE4_1/32

# Policy rules: routes by source; every packet goes the stack's way.
ns_run lb ip route add blackhole $BE4_1/32 table 100
ns_run lb ip rule add from $CLIENT4 lookup 100
send 50
tap_is "a rule sending the client's packets to a blackhole holds" "$(got 1)" 650
ns_run lb ip rule del from $CLIENT4 lookup 100
send 50
tap_is "... deleted: the flow resumes" "$(got 1)" 700
# A mark set by a PREROUTING chain after the LB's hook routes a new flow's
# first packet too (it is not routed before the chain has run).
ns_run lb nft -f - <<'EOF'
table ip mangle {
	chain pre {
		type filter hook prerouting priority mangle;
		udp dport 9 meta mark set 7
	}
}
EOF
ns_run lb ip rule add fwmark 7 lookup 100
send 20 64 9 41000
tap_is "a new flow marked by a later PREROUTING chain: its rule holds" "$(got 1)" 700
ns_run lb ip rule del fwmark 7 lookup 100
ns_run lb nft delete table ip mangle
send 20 64 9 41000
tap_is "... both deleted: the flow goes through" "$(got 1)" 720

# A packet NFQUEUE gives back comes to the LB's hook in process context,
# BHs on (nf_reinject()): the hook turns them off for its per-CPU state
# (counters; DSR's neighbour for fragments). t-dnat.sh has the debug
# kernel's DEBUG_PREEMPT check that.
ns_run lb nft -f - <<'EOF'
table ip q {
	chain pre {
		type filter hook prerouting priority raw;
		udp dport { 9, 10 } queue num 0
	}
}
EOF
q=$(mktemp -u)
nsenter --net=/run/netns/lb -- python3 "$L4LB_LIB/nfq.py" --queue 0 \
	--count 60 --ready "$q.ready" >"$q.out" &
qpid=$!
for ((i = 0; i < 200; i++)); do [[ -e $q.ready ]] && break; sleep 0.05; done
in1() { l4json backend $VIP4 9 udp $BE4_1 9 pkts_in; }
in2() { l4json backend $VIP4 10 udp $BE4_2 10 pkts_in; }
b1=$(got 1) b2=$(got 2) p1=$(in1) p2=$(in2)
send 30 64 9 42000
send 30 64 10 42000
wait $qpid
tap_is "NFQUEUE before the LB's hook: the queue gives back 60 datagrams" \
	"$(cat "$q.out")" 60
tap_is "... 30 reach be1 (DNAT), 30 be2 (DSR), TTL decremented once" \
	"$(($(got 1) - b1))/$(($(got 2) - b2))" 30/30
tap_is "... counted by l4lb" "$(($(in1) - p1))/$(($(in2) - p2))" 30/30
ns_run lb nft delete table ip q
rm -f "$q.ready" "$q.out"

echo 0 >$T/events/fib/fib_table_lookup/enable
topo_teardown
l4lb_unload
tap_done
