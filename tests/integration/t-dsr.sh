#!/bin/bash
# DSR mode (issue 8 item 2): the client's packets go to the backend's MAC
# with the IP header as sent (destination: the VIP, which each backend has
# on its loopback with arp_ignore=1/arp_announce=2, as for IPVS DR); the
# backends answer the client directly, never through the LB.
#
#   client ns           rtr ns (router)                lb ns
#   eth0 ----------- eth-c     br0 --+-- veth-lb ---- eth0 10.0.1.1, fd00:1::1
#   10.0.0.2        10.0.0.1   10.0.1.254            VIP 10.0.9.10, fd00:9::10 on lo
#   fd00::2         fd00::1    fd00:1::fe            default via rtr
#                   VIP routed via the LB
#                                    +-- veth-be1 --- be1 eth0 10.0.1.11, fd00:1::11
#                                    +-- veth-be2 --- be2 eth0 10.0.1.12, fd00:1::12
#                                         VIP on lo (/32, /128), replies from the
#                                         VIP via rtr (policy rule), others via the
#                                         LB (DNAT needs it: the mode change test)
#
# Checked, IPv4 and IPv6, TCP and UDP: the backends see the client's
# address as their peer and the VIP as their own address, flows spread
# over both backends, 4 MiB echoed intact (offloads on: GSO/TSO/GRO), 4 000-
# and 60 000-byte UDP datagrams arrive whole at one backend, the replies
# never pass the LB (its out counters stay 0); path MTU discovery with a
# smaller MTU toward the backends (the LB answers with ICMP; too_big
# counted); a client on the LB host is refused at once; an established
# DNAT flow survives `vip set ... mode dsr` while new flows go DSR; blind
# RSTs do not end a DSR flow, the client's own does; the flow table
# empties once the flows' (short) timeouts pass; DSR flows take one hash
# key each.
. "$(dirname "$0")/lib/hard.sh"

D_NS="client rtr lb be1 be2"
D_VIP4=10.0.9.10 D_VIP6=fd00:9::10
D_CLI4=10.0.0.2 D_CLI6=fd00::2
D_LB4=10.0.1.1 D_LB6=fd00:1::1
D_RTR4=10.0.1.254 D_RTR6=fd00:1::fe
PORT=80
PY=$(mktemp --suffix .py)
trap 'rm -rf "$PY" "$PY".be? "${OUT:-}"' EXIT

# The backends' server and the client's checks: one process per call
# (Python start-up is what costs under TCG).
cat >"$PY" <<'EOF'
import hashlib, os, select, socket, sys, threading

def line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return buf.decode().strip()

def serve(name, addrs):
    # TCP on the wildcard (DSR: the accepted socket's address is the VIP;
    # DNAT: the backend's own); UDP bound to each local address, so each
    # answer leaves from the address its datagram was sent to.
    socks = []
    for fam, wild in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        t.bind((wild, 80)); t.listen(64); socks.append(t)
    for a in addrs:
        u = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        u.bind((a, 80)); socks.append(u)
    def conn(c, peer, local):
        try:
            c.sendall(("%s %s %s\n" % (name, peer, local)).encode())
            while True:
                d = c.recv(1 << 16)
                if not d:
                    break
                c.sendall(d)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        c.close()
    print("ready", flush=True)
    while True:
        for s in select.select(socks, [], [])[0]:
            if s.type == socket.SOCK_STREAM:
                c, peer = s.accept()
                threading.Thread(target=conn, args=(c, peer[0], c.getsockname()[0]), daemon=True).start()
            else:
                d, peer = s.recvfrom(1 << 17)
                s.sendto(("%s %s %s %d %s" % (name, peer[0], s.getsockname()[0], len(d),
                          hashlib.sha256(d).hexdigest())).encode(), peer)

def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET

def hello(host, n, udp):
    for _ in range(n):
        try:
            if udp:
                s = socket.socket(fam(host), socket.SOCK_DGRAM); s.settimeout(3)
                s.sendto(b"hello", (host, 80))
                d, peer = s.recvfrom(4096)
                f = d.decode().split()
                print(" ".join(f[:3]) if peer[0] == host else "from-%s" % peer[0])
            else:
                s = socket.create_connection((host, 80), timeout=5)
                print(line(s))
            s.close()
        except OSError as e:
            print("error-%s" % type(e).__name__)
        sys.stdout.flush()

def echo(host, size):
    data = os.urandom(size)
    s = socket.create_connection((host, 80), timeout=60)
    who = line(s)
    got = []
    def rd():
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            got.append(d)
    t = threading.Thread(target=rd); t.start()
    s.sendall(data); s.shutdown(socket.SHUT_WR); t.join()
    ok = hashlib.sha256(b"".join(got)).digest() == hashlib.sha256(data).digest()
    print("%s %s" % (who.split()[0], "intact" if ok else "broken(%d bytes back)" % sum(map(len, got))))

def big(host, sizes, tries):
    for size in map(int, sizes.split(",")):
        s = socket.socket(fam(host), socket.SOCK_DGRAM); s.settimeout(2)
        data = os.urandom(size)
        for i in range(tries):
            s.sendto(data, (host, 80))
            try:
                d, peer = s.recvfrom(4096)
            except socket.timeout:
                continue
            f = d.decode().split()
            whole = f[3] == str(size) and f[4] == hashlib.sha256(data).hexdigest()
            print("%d %s %s try %d" % (size, f[0], "whole" if whole else "partial(%s bytes)" % f[3], i + 1))
            break
        else:
            print("%d lost" % size)
        s.close()
        sys.stdout.flush()

def local(host):
    try:
        socket.create_connection((host, 80), timeout=5)
        print("connected")
    except OSError as e:
        print(type(e).__name__)

cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "serve": serve(a[0], a[1:])
elif cmd == "hello": hello(a[0], int(a[1]), len(a) > 2)
elif cmd == "echo": echo(a[0], int(a[1]))
elif cmd == "big": big(a[0], a[1], int(a[2]))
elif cmd == "local": local(a[0])
EOF

dsr_teardown() {
	local ns
	for ns in $D_NS; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	return 0
}

dsr_setup() {
	local i ns
	dsr_teardown 2>/dev/null
	if [[ ${L4LB_IN_VM:-} == 1 ]]; then
		echo 1 >/proc/sys/net/core/devconf_inherit_init_net
		echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
	fi
	for ns in $D_NS; do
		ip netns add "$ns" || return 1
	done
	ns_sysctl rtr net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	# The LB forwards for DNAT (the mode change test).
	ns_sysctl lb net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	ip -n rtr -batch - <<-EOF || return 1
		link set lo up
		link add eth-c type veth peer name eth0 netns client
		addr add 10.0.0.1/24 dev eth-c
		addr add fd00::1/64 dev eth-c nodad
		link set eth-c up
		link add br0 type bridge
		addr add $D_RTR4/24 dev br0
		addr add $D_RTR6/64 dev br0 nodad
		link set br0 up
		link add veth-lb type veth peer name eth0 netns lb
		link add veth-be1 type veth peer name eth0 netns be1
		link add veth-be2 type veth peer name eth0 netns be2
		link set veth-lb master br0 up
		link set veth-be1 master br0 up
		link set veth-be2 master br0 up
	EOF
	ip -n client -batch - <<-EOF || return 1
		link set lo up
		addr add $D_CLI4/24 dev eth0
		addr add $D_CLI6/64 dev eth0 nodad
		link set eth0 up
	EOF
	ip -n lb -batch - <<-EOF || return 1
		link set lo up
		addr add $D_VIP4/32 dev lo
		addr add $D_VIP6/128 dev lo nodad
		addr add $D_LB4/24 dev eth0
		addr add $D_LB6/64 dev eth0 nodad
		link set eth0 up
	EOF
	for i in 1 2; do
		# No ARP answers or announcements for the VIP (IPVS DR's setup);
		# a /128 on lo is not answered to neighbour solicitations.
		ns_sysctl "be$i" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
		ip -n "be$i" -batch - <<-EOF || return 1
			link set lo up
			addr add $D_VIP4/32 dev lo
			addr add $D_VIP6/128 dev lo nodad
			addr add 10.0.1.1$i/24 dev eth0
			addr add fd00:1::1$i/64 dev eth0 nodad
			link set eth0 up
		EOF
	done
	for ns in $D_NS; do
		_ns_wait_up "$ns" || return 1
	done
	ip -n client -batch - <<-EOF || return 1
		route add default via 10.0.0.1
		route add default via fd00::1
	EOF
	ip -n rtr -batch - <<-EOF || return 1
		route add $D_VIP4/32 via $D_LB4
		route add $D_VIP6/128 via $D_LB6
	EOF
	ip -n lb -batch - <<-EOF || return 1
		route add default via $D_RTR4
		route add default via $D_RTR6
	EOF
	for i in 1 2; do
		# Replies from the VIP (DSR) straight to the router; the rest
		# (DNAT's, from the backend's own address) through the LB.
		ip -n "be$i" -batch - <<-EOF || return 1
			route add default via $D_LB4
			route add default via $D_LB6
			route add default via $D_RTR4 table 100
			route add default via $D_RTR6 table 100
			rule add from $D_VIP4 table 100
		EOF
		ip -n "be$i" -6 rule add from $D_VIP6 table 100 || return 1
	done
	# Offloads: veths have checksum offload, TSO and GSO on; GRO on the
	# LB's receiving side too (veth NAPI), so it sends aggregated skbs on.
	ns_run lb ethtool -K eth0 tx on sg on tso on gso on gro on >/dev/null 2>&1
	tap_diag "LB eth0: $(ns_run lb ethtool -k eth0 | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-receive-offload):' | paste -sd ' ')"
	return 0
}

# serve : the server on each backend; waits until each is ready.
SERVE_PIDS=()
serve() {
	local i j
	for i in 1 2; do
		nsenter --net=/run/netns/be$i -- python3 "$PY" serve be$i \
			$D_VIP4 $D_VIP6 10.0.1.1$i fd00:1::1$i >"$PY.be$i" 2>&1 &
		SERVE_PIDS+=($!)
	done
	for i in 1 2; do
		for ((j = 0; j < 400; j++)); do
			grep -q ready "$PY.be$i" && break
			sleep 0.05
		done
		grep -q ready "$PY.be$i" || { cat "$PY.be$i" >&2; return 1; }
	done
}

cli() { ns_run client python3 "$PY" "$@"; }

vip_of() { if [ "$1" = 4 ]; then echo $D_VIP4; else echo $D_VIP6; fi; }
cli_of() { if [ "$1" = 4 ]; then echo $D_CLI4; else echo $D_CLI6; fi; }
vipaddr() { if [ "$1" = 4 ]; then echo "$D_VIP4:$PORT"; else echo "[$D_VIP6]:$PORT"; fi; }

if ! dsr_setup; then
	tap_fail "DSR topology"
	tap_done
	exit 1
fi
# Short timeouts: the table must empty within the test.
l4lb_load gc_interval_ms=200 tcp_timeout_unreplied=3 tcp_timeout_fin=4 \
	tcp_timeout_close=2 tcp_timeout_established=60 udp_timeout_unreplied=3 \
	udp_timeout=3 || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve || { tap_fail "servers on the backends"; tap_done; exit 1; }
tap_diag "setup: $SECONDS s"

ok=1
for fam in 4 6; do
	for proto in tcp udp; do
		v=$(vipaddr $fam)
		lbctl vip add "$v" proto $proto mode dsr || ok=0
		if [ $fam = 4 ]; then
			lbctl backend add "$v" 10.0.1.11:$PORT proto $proto || ok=0
			lbctl backend add "$v" 10.0.1.12:$PORT proto $proto || ok=0
		else
			lbctl backend add "$v" "[fd00:1::11]:$PORT" proto $proto || ok=0
			lbctl backend add "$v" "[fd00:1::12]:$PORT" proto $proto || ok=0
		fi
	done
done
tap_is "four DSR VIPs with two backends each" "$ok" 1
tap_is "l4ctl shows the mode" "$(l4json vip $D_VIP4 $PORT tcp mode) $(l4json vip $D_VIP6 $PORT udp mode)" "dsr dsr"

# par ID CMD... : a client command in the background, its output into
# $OUT/ID; par_wait waits for them (not for the servers): the guest has
# two CPUs.
OUT=$(mktemp -d)
PAR=()
par() {
	local id=$1
	shift
	cli "$@" >"$OUT/$id" 2>&1 &
	PAR+=($!)
}
par_wait() {
	wait "${PAR[@]}"
	PAR=()
}
t0=$SECONDS

# --- who answers: peer and local address as the backends see them
for fam in 4 6; do
	for proto in tcp udp; do
		par hello$fam$proto hello "$(vip_of $fam)" 6 ${proto/tcp/}
	done
done
par_wait
for fam in 4 6; do
	vip=$(vip_of $fam) cli=$(cli_of $fam)
	for proto in tcp udp; do
		out=$(cat "$OUT/hello$fam$proto")
		tap_diag "IPv$fam $proto: $(echo "$out" | paste -sd ';')"
		tap_is "IPv$fam $proto: 6 flows answered, each seeing the client as its peer and the VIP as its own address" \
			"$(echo "$out" | awk -v p="$cli" -v l="$vip" '$2 == p && $3 == l' | wc -l)" 6
		tap_is "IPv$fam $proto: spread over both backends" \
			"$(echo "$out" | awk '{print $1}' | sort -u | paste -sd ' ')" "be1 be2"
	done
done

# --- bytes intact with offloads on, both directions
tap_diag "flows of 4 VIPs: $((SECONDS - t0)) s"
t0=$SECONDS
par echo4 echo $D_VIP4 4194304
par echo6 echo $D_VIP6 4194304
par_wait
for fam in 4 6; do
	out=$(cat "$OUT/echo$fam")
	tap_like "IPv$fam TCP: 4 MiB echoed byte for byte ($out)" "$out" "be? intact"
done
tap_diag "4 MiB echoes: $((SECONDS - t0)) s"

# --- UDP datagrams defrag reassembled: sent on whole (fragmented again)
t0=$SECONDS
par big4 big $D_VIP4 4000,60000 3
par big6 big $D_VIP6 4000,60000 3
par_wait
for fam in 4 6; do
	for size in 4000 60000; do
		out=$(grep "^$size " "$OUT/big$fam")
		tap_like "IPv$fam UDP: a $size-byte datagram arrives whole at one backend ($out)" \
			"$out" "$size be? whole try *"
	done
done

# --- the replies bypass the LB; the client side went through it
for fam in 4 6; do
	for proto in tcp udp; do
		vip=$(vip_of $fam)
		tap_is "IPv$fam $proto: the LB saw no reply (pkts_out, bytes_out)" \
			"$(l4json vip "$vip" $PORT $proto pkts_out) $(l4json vip "$vip" $PORT $proto bytes_out)" "0 0"
		tap_check "IPv$fam $proto: the LB sent the client's packets on" \
			num_ge "$(l4json vip "$vip" $PORT $proto pkts_in)" 6
	done
done
tap_is "nothing dropped on the way to the backends" "$(l4stats drops_xmit too_big)" "0 0"

tap_diag "UDP datagrams: $((SECONDS - t0)) s"

# --- path MTU discovery: a smaller MTU toward the backends (locked: a
# forwarding IPv6 hop, the LB included, honours only a locked route MTU,
# as ip6_forward() does)
t0=$SECONDS
ip -n lb -batch - <<-EOF
	route replace 10.0.1.0/24 dev eth0 proto kernel scope link src $D_LB4 mtu lock 1400
	route replace fd00:1::/64 dev eth0 proto kernel metric 256 mtu lock 1400
EOF
for fam in 4 6; do
	tb0=$(l4stats too_big)
	out=$(cli echo "$(vip_of $fam)" 1048576)
	tb1=$(l4stats too_big)
	tap_like "IPv$fam PMTU 1400: 1 MiB echoed intact ($out)" "$out" "be? intact"
	tap_check "IPv$fam PMTU 1400: the LB answered oversize packets (too_big $tb0 -> $tb1)" \
		test "$tb1" -gt "$tb0"
done
# IPv6: the first 1500-byte fragments are too big (routers do not
# fragment): the client learns 1400 and its next try gets through.
par big4 big $D_VIP4 4000 4
par big6 big $D_VIP6 4000 4
par_wait
for fam in 4 6; do
	out=$(cat "$OUT/big$fam")
	tap_like "IPv$fam PMTU 1400: a 4000-byte UDP datagram arrives whole ($out)" "$out" "4000 be? whole try *"
done
ip -n lb -batch - <<-EOF
	route replace 10.0.1.0/24 dev eth0 proto kernel scope link src $D_LB4
	route replace fd00:1::/64 dev eth0 proto kernel metric 256
EOF

tap_diag "PMTU: $((SECONDS - t0)) s"
t0=$SECONDS

# --- a client on the LB host: refused at once
x0=$(l4stats drops_xmit)
tap_is "a client on the LB host is refused (IPv4)" \
	"$(ns_run lb python3 "$PY" local $D_VIP4)" ConnectionRefusedError
tap_is "a client on the LB host is refused (IPv6)" \
	"$(ns_run lb python3 "$PY" local $D_VIP6)" ConnectionRefusedError
tap_check "... and counted (drops_xmit)" test "$(l4stats drops_xmit)" -gt "$x0"

# --- mode change under traffic: DNAT flows stay DNAT, new flows go DSR
for fam in 4 6; do
	vip=$(vip_of $fam) v=$(vipaddr $fam)
	lbctl vip set "$v" proto tcp mode dnat
	hold_start h$fam "$vip" $PORT --timeout 20
	first=$(hold_name h$fam)
	if [ $fam = 4 ]; then own="10.0.1.1?"; else own="fd00:1::1?"; fi
	tap_like "IPv$fam: a DNAT flow reaches a backend at its own address ($first)" \
		"$first" "be? $(cli_of $fam) $own"
	lbctl vip set "$v" proto tcp mode dsr
	out=$(cli hello "$vip" 4)
	tap_is "IPv$fam: after vip set mode dsr, new flows are DSR (the VIP is the backend's address)" \
		"$(echo "$out" | awk -v l="$vip" '$3 == l' | wc -l)" 4
	tap_is "IPv$fam: the DNAT flow opened before goes on intact" "$(hold_finish h$fam)" intact
done

tap_diag "local client, mode change: $((SECONDS - t0)) s"
t0=$SECONDS

# --- one-way TCP state: a blind RST does not end a flow, the client's does
# (the LB checks RSTs against the client's window, known from its SYN on)
RTR_MAC=$(ip -n rtr -br link show eth-c | awk '{print $3}')
for fam in 4 6; do
	vip=$(vip_of $fam)
	coproc TC { ns_run client python3 "$L4LB_LIB/tcpctl.py" "$vip" $PORT \
		--iface eth0 --dst-mac "$RTR_MAC" 2>&1; }
	tcx() {
		local line
		echo "$*" >&"${TC[1]}"
		read -r -t 20 line <&"${TC[0]}" || line="no answer"
		echo "$line"
	}
	tap_like "IPv$fam: a DSR connection" "$(tcx connect)" "be? $(cli_of $fam) $vip"
	tcx echo >/dev/null
	a0=$(l4json vip "$vip" $PORT tcp active_conns)
	tcx rst 2147483648 >/dev/null
	tcx rst 3000000000 ack >/dev/null
	sleep 0.3
	tap_is "IPv$fam: blind RSTs (seq + 2^31, + 3e9): the DSR flow stays established" \
		"$(l4json vip "$vip" $PORT tcp active_conns)" "$a0"
	sleep 2.5 # > tcp_timeout_close: a flow wrongly closed would be gone now
	tap_is "IPv$fam: ... and still works after tcp_timeout_close" "$(tcx echo)" intact
	tcx rst 0 >/dev/null
	sleep 0.3
	tap_is "IPv$fam: the client's own RST ends the DSR flow (one active flow fewer)" \
		"$(l4json vip "$vip" $PORT tcp active_conns)" "$((a0 - 1))"
	echo quit >&"${TC[1]}"
	wait "$TC_PID" 2>/dev/null
done
tap_diag "one-way TCP state: $((SECONDS - t0)) s"
t0=$SECONDS

# --- the table empties once the flows' timeouts pass
for ((i = 0; i < 100; i++)); do
	n=$(l4stats conns)
	[ "$n" = 0 ] && break
	sleep 0.2
done
tap_is "the flow table is empty after the timeouts" "$n" 0
tap_diag "table empty after $((SECONDS - t0)) s"

# --- a one-way flow is hashed under its client tuple only (conn.h): 2000
# of them fit the IPv4 table's 4096 buckets, where two keys each (4000,
# above 3/4 of 4096) would grow it to 8192
lbctl timeouts set udp-unreplied 60 >/dev/null
ip netns exec client python3 - "$D_VIP4" "$PORT" <<'EOF'
import socket, sys
for port in range(20000, 22000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    s.close()
EOF
sleep 0.5 # a resize the inserts asked for has run
read -r n b <<<"$(l4stats conns buckets)"
tap_is "2000 one-way UDP flows in the table" "$n" 2000
tap_check "... in fewer than 8192 hash buckets ($b): one key each" test "$b" -lt 8192

for pid in "${SERVE_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
dsr_teardown
l4lb_unload
tap_done
