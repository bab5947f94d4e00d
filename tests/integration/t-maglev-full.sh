#!/bin/bash
# A full flow table (issue 9 item 5): new flows of a Maglev VIP in a one-way
# mode (DSR) are still forwarded, without an entry, each packet scheduled
# again to the same backend (`stateless` in l4ctl stats).
#
# conn_max=1024, filled with 1024 established DNAT connections held open
# (never evicted): further DNAT connections are not served (drops_table_full).
# Then, the table still full: TCP connections to a Maglev DSR VIP (IPv4,
# IPv6) and a UDP conversation work end to end, bytes intact both ways,
# every packet of a flow on one backend (the LB's per-backend counters),
# flows spread over the backends; `stateless` counts exactly the packets
# the VIP forwarded, `drops_table_full` the failed creations (one each), the
# table and the VIP hold no entry for them. Controls: an rr DSR VIP, an sh
# DSR VIP (its table follows the order backends were added in: it names no
# home another LB would agree on) and a Maglev DNAT VIP (not one-way:
# replies need the entry) cannot open flows in the full table; nothing
# reaches their backends. Once the DNAT VIP is deleted and its
# flows reaped, Maglev DSR flows get entries again (stateless stops) and
# the rr DSR VIP serves.
#
# DSR topology as in t-dsr.sh, with three backends:
#
#   client 10.0.0.2 -- rtr (router) -- br0 --+-- lb 10.0.1.1 (VIPs 10.0.9.0/24,
#   fd00::2                                  |   fd00:9::/64 routed to it)
#                                            +-- be1..be3 10.0.1.11-13,
#                                                fd00:1::11-13; the DSR
#                                                VIPs on lo; replies from
#                                                them via rtr, the rest
#                                                (DNAT) via the LB
. "$(dirname "$0")/lib/hard.sh"

NS="client rtr lb be1 be2 be3"
CONN_MAX=1024
MAG=10.0.9.10 MAG6=fd00:9::10 # maglev, DSR (TCP, UDP; TCP over IPv6)
RR=10.0.9.11                  # rr, DSR
SH=10.0.9.12                  # sh, DSR
FILL=10.0.9.20                # rr, DNAT to the holders (port 9000)
MAGNAT=10.0.9.21              # maglev, DNAT
BES="10.0.1.11 10.0.1.12 10.0.1.13"
BES6="fd00:1::11 fd00:1::12 fd00:1::13"
W=$(mktemp -d)
PY=$W/mf.py
trap 'rm -rf "$W"' EXIT

# One process per backend (python start-up is what costs under TCG): the
# traffic.py protocol (name line, then an echo) over TCP on port 80, IPv4
# and IPv6, any address; over UDP on the Maglev VIP (a DSR answer must
# leave from the address asked); and a holder on port 9000 that never
# accepts (the kernel completes the handshakes: the table's filling). The
# client's filler: N connections to HOST:PORT, held until killed.
cat >"$PY" <<'EOF'
import errno, select, socket, sys, threading, time

def serve(name, udp_addr):
    greet = (name + "\n").encode()
    socks = []
    for fam, wild in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        t.bind((wild, 80)); t.listen(128); socks.append(t)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((udp_addr, 80)); socks.append(u)
    hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hold.bind(("0.0.0.0", 9000)); hold.listen(4096)
    def conn(c):
        try:
            c.sendall(greet)
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
            if s is u:
                d, peer = u.recvfrom(65535)
                u.sendto(greet + d, peer)
            else:
                c, _ = s.accept()
                threading.Thread(target=conn, args=(c,), daemon=True).start()

def fill(host, port, n):
    # Batches of 64 (the backends' SYN queues), up to 3 tries in all.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n + 64)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    held, why = [], {}
    for _ in range(3 * n // 64 + 3):
        if len(held) >= n:
            break
        batch = {}
        for _ in range(min(64, n - len(held))):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((host, port))
            if rc in (0, errno.EINPROGRESS):
                batch[s.fileno()] = s
            else:
                why[rc] = why.get(rc, 0) + 1
                s.close()
        p = select.poll()
        for fd in batch:
            p.register(fd, select.POLLOUT)
        end = time.monotonic() + 10
        while batch and time.monotonic() < end:
            for fd, _ in p.poll(1000):
                s = batch.pop(fd)
                p.unregister(fd)
                rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if rc == 0:
                    held.append(s)
                else:
                    why[rc] = why.get(rc, 0) + 1
                    s.close()
        if batch:
            why["timeout"] = why.get("timeout", 0) + len(batch)
        for s in batch.values():
            s.close()
    print("held=%d failed=%d%s" % (len(held), sum(why.values()), "".join(
        " %s:%d" % (errno.errorcode.get(k, k), v) for k, v in why.items())), flush=True)
    while True:
        time.sleep(3600)

if sys.argv[1] == "serve":
    serve(sys.argv[2], sys.argv[3])
else:
    fill(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
EOF

mf_teardown() {
	local ns
	for ns in $NS; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	return 0
}

mf_setup() {
	local i ns
	mf_teardown 2>/dev/null
	if [[ ${L4LB_IN_VM:-} == 1 ]]; then
		echo 1 >/proc/sys/net/core/devconf_inherit_init_net
		echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
	fi
	for ns in $NS; do
		ip netns add "$ns" || return 1
	done
	ns_sysctl rtr net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	ns_sysctl lb net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	ip -n rtr -batch - <<-EOF || return 1
		link set lo up
		link add eth-c type veth peer name eth0 netns client
		addr add 10.0.0.1/24 dev eth-c
		addr add fd00::1/64 dev eth-c nodad
		link set eth-c up
		link add br0 type bridge
		addr add 10.0.1.254/24 dev br0
		addr add fd00:1::fe/64 dev br0 nodad
		link set br0 up
		link add veth-lb type veth peer name eth0 netns lb
		link set veth-lb master br0 up
		$(for i in 1 2 3; do
			echo "link add veth-be$i type veth peer name eth0 netns be$i"
			echo "link set veth-be$i master br0 up"
		done)
	EOF
	ip -n client -batch - <<-EOF || return 1
		link set lo up
		addr add 10.0.0.2/24 dev eth0
		addr add fd00::2/64 dev eth0 nodad
		link set eth0 up
	EOF
	ip -n lb -batch - <<-EOF || return 1
		link set lo up
		$(for a in $MAG $RR $SH $FILL $MAGNAT; do echo "addr add $a/32 dev lo"; done)
		addr add $MAG6/128 dev lo nodad
		addr add 10.0.1.1/24 dev eth0
		addr add fd00:1::1/64 dev eth0 nodad
		link set eth0 up
	EOF
	for i in 1 2 3; do
		ns_sysctl "be$i" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.default.arp_ignore=1 net.ipv4.conf.default.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
		ip -n "be$i" -batch - <<-EOF || return 1
			link set lo up
			$(for a in $MAG $RR $SH; do echo "addr add $a/32 dev lo"; done)
			addr add $MAG6/128 dev lo nodad
			addr add 10.0.1.1$i/24 dev eth0
			addr add fd00:1::1$i/64 dev eth0 nodad
			link set eth0 up
		EOF
	done
	for ns in $NS; do
		_ns_wait_up "$ns" || return 1
	done
	ip -n client -batch - <<-EOF || return 1
		route add default via 10.0.0.1
		route add default via fd00::1
	EOF
	ip -n rtr -batch - <<-EOF || return 1
		route add 10.0.9.0/24 via 10.0.1.1
		route add fd00:9::/64 via fd00:1::1
	EOF
	ip -n lb -batch - <<-EOF || return 1
		route add default via 10.0.1.254
		route add default via fd00:1::fe
	EOF
	for i in 1 2 3; do
		# Replies from the DSR VIPs straight to the router; DNAT's,
		# from the backend's own address, through the LB.
		ip -n "be$i" -batch - <<-EOF || return 1
			route add default via 10.0.1.1
			route add default via fd00:1::1
			route add default via 10.0.1.254 table 100
			route add default via fd00:1::fe table 100
			rule add from 10.0.9.0/24 table 100
		EOF
		ip -n "be$i" -6 rule add from fd00:9::/64 table 100 || return 1
	done
}

# drv_start NAME NS SCRIPT [ARGS] ; drv NAME COMMAND... : a long-lived
# python helper fed one command a line, one answer line each (as in
# t-backend-ctl.sh): c = lib/conns.py (the client), q = lib/ctlsrv.py.
declare -A DRV_IN DRV_OUT
DRV_PIDS=()
drv_start() {
	local name=$1 ns=$2 in out
	shift 2
	mkfifo "$W/$name.in" "$W/$name.out"
	nsenter --net="/run/netns/$ns" -- python3 "$@" \
		<"$W/$name.in" >"$W/$name.out" 2>"$W/$name.err" &
	DRV_PIDS+=($!)
	exec {in}<>"$W/$name.in" {out}<>"$W/$name.out"
	DRV_IN[$name]=$in DRV_OUT[$name]=$out
}
drv() {
	local name=$1 line
	shift
	echo "$*" >&"${DRV_IN[$name]}"
	if ! read -r -t 120 line <&"${DRV_OUT[$name]}"; then
		line="no answer from $name: $(tail -n 3 "$W/$name.err" | paste -sd' ')"
	fi
	echo "$line"
}
c() { drv c "$@"; }
q() { drv q "$@"; }
cfg() {
	local r
	r=$(q run "$@")
	[[ $r == ok ]] || { tap_fail "l4ctl $*" "$r"; return 1; }
}
# be_stat VIP:PORT PROTO KEY [ADDRS] : KEY of each backend, space separated
be_stat() {
	local b out=
	for b in ${4:-$BES}; do
		out+="$(q backend "$2" "$1" "$b" "$3") "
	done
	echo "${out% }"
}
# sum "A B C"
sum() { local s=0 v; for v in $1; do s=$((s + v)); done; echo $s; }
# moved "A B C" "D E F" : which positions grew, as "0 1 0" (1 = grew)
moved() {
	local -a a b
	local i out=
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	for i in "${!a[@]}"; do out+="$((b[i] > a[i])) "; done
	echo "${out% }"
}

# only NAME : what moved shows when only backend NAME grew ("0 1 0" for be2)
only() {
	case $1 in
	be1) echo "1 0 0" ;; be2) echo "0 1 0" ;; be3) echo "0 0 1" ;;
	*) echo "no backend answered" ;;
	esac
}

if ! mf_setup; then
	tap_fail "topology"
	tap_done
	exit 1
fi
l4lb_load conn_max=$CONN_MAX gc_interval_ms=200 ||
	{ tap_fail "load l4lb.ko conn_max=$CONN_MAX"; tap_done; exit 1; }
for i in 1 2 3; do
	nsenter --net=/run/netns/be$i -- python3 "$PY" serve be$i $MAG >"$W/be$i" 2>&1 &
	DRV_PIDS+=($!)
done
drv_start q lb "$L4LB_LIB/ctlsrv.py" "$L4CTL"
drv_start c client "$L4LB_LIB/conns.py"
for ((t = 0; t < 300; t++)); do
	n=$(cat "$W"/be? | grep -c ready)
	((n == 3)) && break
	sleep 0.1
done
tap_is "a server on each backend" "$n" 3

ok=1
vip() { # ADDR:PORT PROTO SCHED MODE PORT-OF-BACKENDS [ADDRS]
	local b
	cfg vip add "$1" proto "$2" sched "$3" mode "$4" || ok=0
	for b in ${6:-$BES}; do
		[[ $b == *:* ]] && b="[$b]"
		cfg backend add "$1" "$b:$5" proto "$2" || ok=0
	done
}
vip $FILL:80 tcp rr dnat 9000
vip $MAG:80 tcp maglev dsr 80
vip "[$MAG6]:80" tcp maglev dsr 80 "$BES6"
vip $MAG:80 udp maglev dsr 80
vip $RR:80 tcp rr dsr 80
vip $SH:80 tcp sh dsr 80
vip $MAGNAT:80 tcp maglev dnat 80
tap_is "7 VIPs of 3 backends each" "$ok" 1
tap_is "conn_max is $CONN_MAX" "$(q stats conn_max conns)" "$CONN_MAX 0"
tap_diag "setup: $SECONDS s"

# --- fill the table with established DNAT connections
t0=$SECONDS
drv_start f client "$PY" fill $FILL 80 $CONN_MAX
read -r -t 200 got <&"${DRV_OUT[f]}" || got="no answer: $(tail -n 3 "$W/f.err" | paste -sd' ')"
tap_is "$CONN_MAX DNAT connections established and held" "$got" "held=$CONN_MAX failed=0"
tap_diag "fill: $((SECONDS - t0)) s"
read -r conns f0 <<<"$(q stats conns drops_table_full)"
tap_is "the table holds conn_max flows" "$conns" $CONN_MAX
got=$(c burst 4 $FILL 80 timeout=2)
read -r conns f1 <<<"$(q stats conns drops_table_full)"
tap_is "the table is full: 4 more DNAT connections are not served" "$got" \
	"ok=0 refused=0 timeout=4 other=0"
tap_check "... counted in drops_table_full ($f0 -> $f1)" test "$f1" -ge $((f0 + 4))
tap_is "... the table still holds conn_max flows" "$conns" $CONN_MAX

# --- Maglev DSR in the full table: new flows forwarded without an entry
t0=$SECONDS
read -r s0 f0 e0 <<<"$(q stats stateless drops_table_full evictions)"
p0=$(be_stat $MAG:80 tcp pkts_in)
got=$(c hellos 12 $MAG 80 timeout=5)
sleep 0.5 # their last ACKs
tap_like "Maglev DSR, table full: 12 new connections served ($got)" "$got" \
	"$(printf 'be[123] %.0s' {1..11})be[123]"
tap_check "... spread over the backends" test "$(tr ' ' '\n' <<<"$got" | sort -u | wc -l)" -ge 2
p1=$(be_stat $MAG:80 tcp pkts_in)
name=$(c open m1 $MAG 80)
tap_like "a connection to the Maglev DSR VIP ($name)" "$name" "be[123]"
tap_is "... 100 KB echoed intact both ways" "$(c xfer m1 102400)" intact
tap_is "... and 100 KB more" "$(c xfer m1 102400)" intact
c close m1 >/dev/null
sleep 0.5
p2=$(be_stat $MAG:80 tcp pkts_in)
tap_is "... every packet of it went to $name, the backend that answered (pkts_in $p1 -> $p2)" \
	"$(moved "$p1" "$p2")" "$(only "$name")"
read -r s1 f1 e1 conns <<<"$(q stats stateless drops_table_full evictions conns)"
vin=$(q vip $MAG 80 tcp pkts_in)
tap_diag "stateless $s0 -> $s1, drops_table_full $f0 -> $f1, VIP pkts_in $vin, backends $p0 -> $p2"
tap_is "stateless counts every packet the VIP forwarded (pkts_in $vin)" \
	$((s1 - s0)) "$vin"
tap_is "... the backends' packets too" "$(sum "$p2")" "$vin"
tap_check "... at least 3 per connection (SYN, ACK, FIN) and the echoes' ($((s1 - s0)))" \
	test $((s1 - s0)) -ge $((13 * 3 + 2 * 102400 / 65536))
tap_is "drops_table_full: one failed creation per stateless packet" $((f1 - f0)) $((s1 - s0))
tap_is "nothing evicted" "$e1" "$e0"
tap_is "the table holds conn_max flows, none of the VIP's" \
	"$conns $(q vip $MAG 80 tcp conns active_conns inactive_conns)" "$CONN_MAX 0 0 0"
tap_diag "Maglev DSR IPv4: $((SECONDS - t0)) s"

# IPv6 and UDP
s0=$s1
p0=$(be_stat "[$MAG6]:80" tcp pkts_in "$BES6")
name=$(c open m6 $MAG6 80)
tap_like "IPv6: a connection to the Maglev DSR VIP ($name)" "$name" "be[123]"
tap_is "... 100 KB echoed intact" "$(c xfer m6 102400)" intact
c close m6 >/dev/null
sleep 0.5
p1=$(be_stat "[$MAG6]:80" tcp pkts_in "$BES6")
tap_is "... every packet of it went to $name (pkts_in $p0 -> $p1)" "$(moved "$p0" "$p1")" "$(only "$name")"
s1=$(q stats stateless)
tap_is "... each forwarded statelessly" $((s1 - s0)) $(($(sum "$p1") - $(sum "$p0")))
s0=$s1
p0=$(be_stat $MAG:80 udp pkts_in)
name=$(c open u1 $MAG 80 udp)
tap_like "UDP: a conversation with the Maglev DSR VIP ($name)" "$name" "be[123]"
tap_is "... 16 datagrams of 1 KiB more, each answered by $name" "$(c xfer u1 16384)" intact
p1=$(be_stat $MAG:80 udp pkts_in)
tap_is "... all to $name (pkts_in $p0 -> $p1)" "$(moved "$p0" "$p1")" "$(only "$name")"
read -r s1 conns <<<"$(q stats stateless conns)"
tap_check "... each forwarded statelessly (stateless +$((s1 - s0)))" \
	test $((s1 - s0)) -ge 17 -a $((s1 - s0)) = $(($(sum "$p1") - $(sum "$p0")))
tap_is "... no entry made (conns; the UDP VIP's)" \
	"$conns $(q vip $MAG 80 udp conns)" "$CONN_MAX 0"
c close u1 >/dev/null

# --- controls: no home backend, or not one-way: refused in the full table
t0=$SECONDS
s0=$(q stats stateless)
got=$(c burst 3 $SH 80 timeout=2)
tap_is "sh DSR, table full: 3 new connections not served" "$got" \
	"ok=0 refused=0 timeout=3 other=0"
tap_is "... nothing reached its backends (pkts_in)" "$(be_stat $SH:80 tcp pkts_in)" "0 0 0"
got=$(c burst 3 $RR 80 timeout=2)
tap_is "rr DSR, table full: 3 new connections not served" "$got" \
	"ok=0 refused=0 timeout=3 other=0"
tap_is "... nothing reached its backends (pkts_in)" "$(be_stat $RR:80 tcp pkts_in)" "0 0 0"
tap_check "... its SYNs dropped and counted (VIP drops)" test "$(q vip $RR 80 tcp drops)" -ge 3
got=$(c burst 3 $MAGNAT 80 timeout=2)
tap_is "Maglev DNAT, table full: 3 new connections not served" "$got" \
	"ok=0 refused=0 timeout=3 other=0"
tap_is "... nothing reached its backends (pkts_in)" "$(be_stat $MAGNAT:80 tcp pkts_in)" "0 0 0"
tap_check "... its SYNs dropped and counted (VIP drops)" test "$(q vip $MAGNAT 80 tcp drops)" -ge 3
tap_is "... none of them forwarded anything statelessly" "$(q stats stateless)" "$s0"
tap_diag "controls: $((SECONDS - t0)) s"

# --- room again: the DNAT VIP's flows are reaped with it
t0=$SECONDS
cfg vip del $FILL:80 proto tcp
for ((t = 0; t < 100; t++)); do
	conns=$(q stats conns)
	((conns == 0)) && break
	sleep 0.2
done
tap_is "the deleted DNAT VIP's flows are reaped" "$conns" 0
tap_diag "reaped in $((SECONDS - t0)) s"
s0=$(q stats stateless)
name=$(c open m2 $MAG 80)
tap_like "Maglev DSR, room in the table: a connection ($name)" "$name" "be[123]"
tap_is "... 100 KB echoed intact" "$(c xfer m2 102400)" intact
tap_is "... with an entry (conns; the VIP's conns, active)" \
	"$(q stats conns) $(q vip $MAG 80 tcp conns active_conns)" "1 1 1"
tap_is "... nothing forwarded statelessly" "$(q stats stateless)" "$s0"
c close m2 >/dev/null
got=$(c hellos 3 $RR 80 timeout=5)
tap_like "rr DSR serves again ($got)" "$got" "be[123] be[123] be[123]"

for pid in "${DRV_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
wait 2>/dev/null
mf_teardown
l4lb_unload
tap_done
