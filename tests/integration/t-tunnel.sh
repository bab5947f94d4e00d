#!/bin/bash
# Tunnel mode (issue 8 item 3): DSR over IP to backends in another subnet,
# behind a router. IPIP / IP6IP6, FOU and GUE, IPv4 and IPv6, TCP and UDP.
#
#   client 10.0.0.2 ---+                        +--- be1 10.0.2.1 (VIP on lo,
#                      | br-f (rt) 10.0.0.254   |    ipip/ip6tnl + fou decap)
#   lb 10.0.0.1 -------+          rt ---- br-b 10.0.2.254
#   (VIP on lo)                                 +--- be2 10.0.2.2
#
# The client routes the VIP to the LB; the LB reaches the backends through
# the router, encapsulated; the backends answer the client through the
# router, never through the LB. Checked: the backend sees the client's
# address, flows spread over both backends, 2 MiB echoed intact with every
# offload on, the LB counts nothing "out", FOU/GUE outer source ports are
# constant per flow and differ across flows, 4 000 and 60 000-byte UDP
# datagrams arrive whole, path MTU (the LB's own link, then a narrower
# router->backend link: the LB learns it from the router's error and
# answers the client with the reduced MTU), the table empties after the
# flows' timeouts, FOU/GUE without encap-port refused.
. "$(dirname "$0")/lib/hard.sh"

T4_CL=10.0.0.2 T4_LB=10.0.0.1 T4_RT=10.0.0.254 T4_RTB=10.0.2.254
T6_CL=fd00::2 T6_LB=fd00::1 T6_RT=fd00::fe T6_RTB=fd00:2::fe
T4_VIP=10.0.9.10 T6_VIP=fd00:9::10
T4_BE=(10.0.2.1 10.0.2.2) T6_BE=(fd00:2::1 fd00:2::2)
FOU_PORT=5555 GUE_PORT=5556
# VIP ports: 80 IPIP/IP6IP6, 81 FOU, 82 GUE.
declare -A ENCAP_OF=([80]=ipip [81]=fou [82]=gue)
NSS="client lb rt be1 be2"
W=$(mktemp -d)
SRV_PIDS=()

cleanup() {
	local p
	for p in "${SRV_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in $NSS; do [[ -e /run/netns/$p ]] && ip netns del "$p"; done
	l4lb_loaded && l4lb_unload
	rm -rf "$W"
}
trap cleanup EXIT

modprobe -qa ipip ip6_tunnel fou fou6 2>/dev/null
if [[ ${L4LB_IN_VM:-} == 1 ]]; then
	echo 1 >/proc/sys/net/core/devconf_inherit_init_net
	echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
	echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
fi

# Every Ethernet link of the topology operationally up (until then a veth
# queue discards packets).
links_up() {
	local ns
	for ns in client lb be1 be2; do
		ip -n $ns -br link show dev eth0 | grep -q ' UP ' || return 1
	done
	[ "$(ip -n rt -br link show type veth | grep -c ' UP ')" = 4 ]
}

setup() {
	local ns i
	for ns in $NSS; do
		ip netns add "$ns" || return 1
		# Replies from the VIP cross the router, and decapsulated packets
		# arrive on tunnel devices: no reverse path filter anywhere.
		ns_sysctl "$ns" net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 || return 1
	done
	ns_sysctl rt net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	ip -n rt -batch - <<-EOF || return 1
		link set lo up
		link add br-f type bridge
		link add br-b type bridge
		addr add $T4_RT/24 dev br-f
		addr add $T6_RT/64 dev br-f nodad
		addr add $T4_RTB/24 dev br-b
		addr add $T6_RTB/64 dev br-b nodad
		link set br-f up
		link set br-b up
		link add veth-c type veth peer name eth0 netns client
		link add veth-lb type veth peer name eth0 netns lb
		link add veth-b1 type veth peer name eth0 netns be1
		link add veth-b2 type veth peer name eth0 netns be2
		link set veth-c master br-f up
		link set veth-lb master br-f up
		link set veth-b1 master br-b up
		link set veth-b2 master br-b up
	EOF
	ip -n client -batch - <<-EOF || return 1
		link set lo up
		addr add $T4_CL/24 dev eth0
		addr add $T6_CL/64 dev eth0 nodad
		link set eth0 up
	EOF
	# The LB: the VIPs are its own addresses. Its external tunnel devices
	# only let the kernel take the routers' "fragmentation needed" /
	# "packet too big" about its encapsulated packets (path MTU to the
	# backends); l4lb itself needs none.
	ip -n lb -batch - <<-EOF || return 1
		link set lo up
		addr add $T4_VIP/32 dev lo
		addr add $T6_VIP/128 dev lo nodad
		addr add $T4_LB/24 dev eth0
		addr add $T6_LB/64 dev eth0 nodad
		link set eth0 up
		link add tnl4 type ipip external
		link add tnl6 type ip6tnl external
		link set tnl4 up
		link set tnl6 up
	EOF
	for i in 1 2; do
		ip -n be$i -batch - <<-EOF || return 1
			link set lo up
			addr add $T4_VIP/32 dev lo
			addr add $T6_VIP/128 dev lo nodad
			addr add ${T4_BE[i - 1]}/24 dev eth0
			addr add ${T6_BE[i - 1]}/64 dev eth0 nodad
			link set eth0 up
			link add tnl4 type ipip external
			link add tnl6 type ip6tnl external
			link set tnl4 up
			link set tnl6 up
		EOF
		ns_run be$i ip fou add port $FOU_PORT ipproto 4 &&
			ns_run be$i ip fou add port $GUE_PORT gue &&
			ns_run be$i ip -6 fou add port $FOU_PORT ipproto 41 &&
			ns_run be$i ip -6 fou add port $GUE_PORT gue || return 1
	done
	# (Not _ns_wait_up: tunnel devices never say UP.)
	for ((i = 0; i < 200; i++)); do
		links_up && break
		sleep 0.05
	done
	links_up || { echo "links did not come up" >&2; return 1; }
	ip -n client -batch - <<-EOF || return 1
		route add default via $T4_RT
		route add default via $T6_RT
		route add $T4_VIP/32 via $T4_LB
		route add $T6_VIP/128 via $T6_LB
	EOF
	ip -n lb -batch - <<-EOF || return 1
		route add default via $T4_RT
		route add default via $T6_RT
	EOF
	for i in 1 2; do
		ip -n be$i -batch - <<-EOF || return 1
			route add default via $T4_RTB
			route add default via $T6_RTB
		EOF
	done
	# Every offload on, GRO too (veth NAPI: the LB encapsulates GRO skbs).
	for ns in client lb be1 be2; do
		ns_run $ns ethtool -K eth0 tx on sg on tso on gso on gro on >/dev/null 2>&1
	done
	for i in c lb b1 b2; do
		ns_run rt ethtool -K veth-$i tx on sg on tso on gso on gro on >/dev/null 2>&1
	done
	return 0
}

# The backends' server: every VIP port, TCP and UDP, IPv4 and IPv6. Its
# greeting is "NAME CLIENT-ADDRESS": who answered, and whom it saw.
cat >"$W/srv.py" <<'EOF'
import socket, sys, threading
name, addrs, ports, ready = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(","), sys.argv[4]

def hello(peer):
    return ("%s %s\n" % (name, peer[0])).encode()

def tcp_conn(c, peer):
    try:
        c.sendall(hello(peer))
        while True:
            d = c.recv(262144)
            if not d:
                break
            c.sendall(d)
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        c.close()

def tcp_srv(s):
    while True:
        c, peer = s.accept()
        threading.Thread(target=tcp_conn, args=(c, peer), daemon=True).start()

def udp_srv(s):
    while True:
        d, peer = s.recvfrom(65535)
        try:
            s.sendto(hello(peer) + d, peer)
        except OSError:
            pass

for a in addrs:
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    for p in ports:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(fam, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a, int(p)))
            if kind == socket.SOCK_STREAM:
                s.listen(128)
            threading.Thread(target=tcp_srv if kind == socket.SOCK_STREAM else udp_srv,
                             args=(s,), daemon=True).start()
open(ready, "w").close()
threading.Event().wait()
EOF

start_servers() {
	local i j
	for i in 1 2; do
		nsenter --net=/run/netns/be$i -- python3 "$W/srv.py" be$i \
			"$T4_VIP,$T6_VIP" 80,81,82 "$W/ready.be$i" &
		SRV_PIDS+=($!)
	done
	for i in 1 2; do
		for ((j = 0; j < 200; j++)); do
			[[ -e $W/ready.be$i ]] && break
			sleep 0.05
		done
		[[ -e $W/ready.be$i ]] || return 1
	done
}

# vips: 12 VIPs (2 families x 3 encapsulations x TCP/UDP), both backends.
vips() {
	local fam proto port vip be args
	for fam in 4 6; do
		for proto in tcp udp; do
			for port in 80 81 82; do
				if [ $fam = 4 ]; then vip=$T4_VIP:$port; else vip=[$T6_VIP]:$port; fi
				args=(mode tunnel encap "${ENCAP_OF[$port]}")
				[ $port = 81 ] && args+=(encap-port $FOU_PORT)
				[ $port = 82 ] && args+=(encap-port $GUE_PORT)
				lbctl vip add "$vip" proto $proto "${args[@]}" || return 1
				for be in 0 1; do
					if [ $fam = 4 ]; then
						lbctl backend add "$vip" "${T4_BE[be]}:$port" proto $proto
					else
						lbctl backend add "$vip" "[${T6_BE[be]}]:$port" proto $proto
					fi || return 1
				done
			done
		done
	done
}

vip_of() { if [ "$1" = 4 ]; then echo $T4_VIP; else echo $T6_VIP; fi; }
cl_of() { if [ "$1" = 4 ]; then echo $T4_CL; else echo $T6_CL; fi; }

# A sum over every VIP of `l4ctl -j show`: KEY.
vips_sum() {
	lbctl -j show | python3 -c '
import json, sys
print(sum(v.get("stats", {}).get(sys.argv[1], 0) for v in json.load(sys.stdin)))' "$1"
}

l4lb_load tcp_timeout_unreplied=3 tcp_timeout_syn=3 tcp_timeout_established=4 \
	tcp_timeout_fin=3 tcp_timeout_close=2 udp_timeout_unreplied=3 udp_timeout=3 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
tap_check "topology: client, LB, router, two backends in another subnet" setup || { tap_done; exit 1; }
# Not through tap_check: its $(...) would wait for the servers.
if start_servers >"$W/srv.log" 2>&1; then
	tap_ok "backends serve TCP and UDP on the VIPs"
else
	tap_fail "backends serve TCP and UDP on the VIPs" "$(cat "$W/srv.log")"
	tap_done
	exit 1
fi
tap_check "12 tunnel VIPs (IPIP, FOU, GUE; IPv4, IPv6; TCP, UDP)" vips || { tap_done; exit 1; }

# FOU/GUE need the port: refused with the kernel's explanation.
out=$(lbctl vip add $T4_VIP:90 proto tcp mode tunnel encap fou 2>&1)
rc=$?
tap_like "vip add: FOU without encap-port refused (exit $rc: $out)" "$rc $out" "2 *encap port*"
out=$(lbctl vip set $T4_VIP:80 proto tcp encap gue 2>&1)
rc=$?
tap_like "vip set: GUE without encap-port refused (exit $rc: $out)" "$rc $out" "2 *encap port*"
tap_like "the refused set changed nothing" \
	"$(lbctl -j show | python3 -c '
import json, sys
v = [v for v in json.load(sys.stdin) if v["port"] == 80 and v["proto"] == "tcp" and "." in v["address"]][0]
print(v.get("mode"), v.get("encap"))')" "tunnel ipip"

# Capture what the LB sends, for the FOU/GUE source ports.
sniff_start lbout lb eth0 || tap_fail "capture on the LB"

# Hellos: 6 flows per VIP, each answered by a backend that saw the client
# (the 12 clients at once: process start-up is what costs under TCG).
for fam in 4 6; do
	for port in 80 81 82; do
		for proto in tcp udp; do
			u=()
			[ $proto = udp ] && u=(--udp --retries 3)
			client_traffic hello "$(vip_of $fam)" $port "${u[@]}" --count 6 \
				>"$W/hello.$fam.$port.$proto" 2>&1 &
		done
	done
done
wait_clients() {
	local p
	for p in $(jobs -p); do
		[[ " ${SRV_PIDS[*]} ${_SNIFF_PID[*]} " == *" $p "* ]] || wait "$p"
	done
}
wait_clients
for fam in 4 6; do
	cl=$(cl_of $fam)
	for port in 80 81 82; do
		for proto in tcp udp; do
			M="IPv$fam $proto ${ENCAP_OF[$port]}"
			got=$(cat "$W/hello.$fam.$port.$proto")
			n_ok=$(grep -c "^be[12] $cl\$" <<<"$got")
			tap_is "$M: 6 flows answered, each backend saw the client $cl" "$n_ok" 6 ||
				tap_diag "$got"
			tap_is "$M: both backends used" \
				"$(grep -o '^be[12]' <<<"$got" | sort -u | paste -sd ' ')" "be1 be2"
		done
	done
done

# Bytes intact with offloads on (the client's TSO, the LB's GRO).
for fam in 4 6; do
	vip=$(vip_of $fam)
	for port in 80 81 82; do
		M="IPv$fam TCP ${ENCAP_OF[$port]}"
		out=$(client_traffic echo "$vip" $port --bytes 2097152 --timeout 60 2>&1)
		tap_like "$M: 2 MiB echoed byte for byte ($out)" "$out" "be[12] $(cl_of $fam) *"
	done
done
# The last transfers went through GUE, the largest headers (IP, UDP, GUE).
tap_like "IPv4: the client learned the MTU left inside the GUE tunnel (1468)" \
	"$(ns_run client ip -4 route get $T4_VIP)" "*mtu 1468*"
tap_like "IPv6: the client learned the MTU left inside the GUE tunnel (1448)" \
	"$(ns_run client ip -6 route get $T6_VIP)" "*mtu 1448*"
tb1=$(l4stats too_big)
tap_check "too_big counted those ($tb1)" num_ge "$tb1" 1

cap=$(sniff_stop lbout)
# FOU/GUE: per inner flow one outer source port; across flows, many.
ports=$(python3 - "$cap" $FOU_PORT $GUE_PORT <<-'EOF'
	import struct, sys
	import pkt
	fou, gue = int(sys.argv[2]), int(sys.argv[3])
	flows = {}
	for frame, _, _, _ in pkt.read_records(sys.argv[1]):
	    ip = pkt.frame_ip(frame)
	    if ip is None:
	        continue
	    p = pkt.parse_ip(ip)
	    if p.proto != 17 or p.is_fragment or p.l4 is None:
	        continue
	    sport, dport = pkt.ports(ip, p)
	    if dport not in (fou, gue):
	        continue
	    inner = ip[p.l4 + (8 if dport == fou else 12):]
	    q = pkt.parse_ip(inner)
	    if q.l4 is None or q.is_fragment:
	        continue
	    key = (dport, q.src, q.dst, q.proto) + tuple(pkt.ports(inner, q))
	    flows.setdefault(key, set()).add(sport)
	per_flow = max((len(s) for s in flows.values()), default=0)
	print(len(flows), per_flow, len(set().union(*flows.values())) if flows else 0)
	EOF
)
read -r nflows per_flow nsports <<<"$ports"
tap_check "FOU/GUE: flows seen in the capture ($nflows)" num_ge "$nflows" 24
tap_is "FOU/GUE: one outer source port per flow" "$per_flow" 1
tap_check "FOU/GUE: outer source ports differ across flows ($nsports for $nflows flows)" \
	num_ge "$nsports" $((nflows * 3 / 4))

# Fragmented UDP datagrams: reassembled before the hook, encapsulated, the
# outer packet fragmented, reassembled and decapsulated by the backend.
for fam in 4 6; do
	for port in 80 81 82; do
		for size in 4000 60000; do
			client_traffic hello "$(vip_of $fam)" $port --udp --bytes $size --timeout 10 \
				--retries 3 >"$W/frag.$fam.$port.$size" 2>&1 &
		done
	done
done
wait_clients
for fam in 4 6; do
	for port in 80 81 82; do
		for size in 4000 60000; do
			got=$(cat "$W/frag.$fam.$port.$size")
			tap_like "IPv$fam UDP ${ENCAP_OF[$port]}: a $size-byte datagram whole at one backend ($got)" \
				"$got" "be[12] $(cl_of $fam)"
		done
	done
done

tap_is "replies bypass the LB: nothing counted out" "$(vips_sum pkts_out)" 0
tap_check "the VIPs counted the client's packets in" num_ge "$(vips_sum pkts_in)" 1000
tap_is "no transmit failures" "$(l4stats xmit_drops)" 0

# Path MTU: the router->backend links narrower. The router's errors about
# the outer packets teach the LB; the LB answers the client with the MTU
# left inside the tunnel.
for i in 1 2; do
	ns_run rt ip link set veth-b$i mtu 1300
	ns_run be$i ip link set eth0 mtu 1300
done
for fam in 4 6; do
	vip=$(vip_of $fam)
	for port in 80 81 82; do
		M="narrow backend links, IPv$fam TCP ${ENCAP_OF[$port]}"
		out=$(client_traffic echo "$vip" $port --bytes 1048576 --timeout 30 2>&1)
		tap_like "$M: 1 MiB echoed byte for byte ($out)" "$out" "be[12] $(cl_of $fam) *"
	done
done
tb2=$(l4stats too_big)
tap_check "too_big counted the narrower path ($tb1 -> $tb2)" num_ge "$tb2" $((tb1 + 1))
tap_like "the LB learned the path MTU to the backends" \
	"$(ns_run lb ip -4 route get ${T4_BE[0]}; ns_run lb ip -4 route get ${T4_BE[1]})" "*mtu 1300*"

# Every flow ended: the table empties once their timeouts pass.
for ((i = 0; i < 40; i++)); do
	c=$(l4stats conns)
	[ "$c" = 0 ] && break
	sleep 0.5
done
tap_is "the flow table emptied after the timeouts" "$c" 0

tap_done
