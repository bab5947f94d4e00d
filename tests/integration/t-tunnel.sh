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
# address, flows spread over both backends, 256 KiB echoed intact with
# every offload on, the LB counts nothing "out", FOU/GUE outer source ports
# are constant per flow and differ across flows, 4 000 and 60 000-byte UDP
# datagrams arrive whole, path MTU (the LB's own link, then a narrower
# router->backend link: the LB, with no tunnel device of its own, learns it
# from the router's error about its outer packet and answers the client
# with the reduced MTU; forged errors about flows it does not have are not
# believed), the table empties after the flows' timeouts, FOU/GUE without
# encap-port refused.
#
# Time (TCG, on a shared host): one client process for the whole test,
# running each phase's flows at once; set-up steps in parallel where they do
# not depend on each other; transfers no larger than the checks need; and
# the checks in bash itself, not in a process each.
. "$(dirname "$0")/lib/hard.sh"

T0=$EPOCHSECONDS
T4_CL=10.0.0.2 T4_LB=10.0.0.1 T4_RT=10.0.0.254 T4_RTB=10.0.2.254
T6_CL=fd00::2 T6_LB=fd00::1 T6_RT=fd00::fe T6_RTB=fd00:2::fe
T4_VIP=10.0.9.10 T6_VIP=fd00:9::10
T4_BE=(10.0.2.1 10.0.2.2) T6_BE=(fd00:2::1 fd00:2::2)
declare -A VIP=([4]=$T4_VIP [6]=$T6_VIP) CL=([4]=$T4_CL [6]=$T6_CL)
FOU_PORT=5555 GUE_PORT=5556
# VIP ports: 80 IPIP/IP6IP6, 81 FOU, 82 GUE.
declare -A ENCAP_OF=([80]=ipip [81]=fou [82]=gue)
NSS="client lb rt be1 be2"
W=$(mktemp -d)
PIDS=()

cleanup() {
	local p
	exec 3>&-
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in $NSS; do [[ -e /run/netns/$p ]] && ip netns del "$p"; done
	l4lb_loaded && l4lb_unload
	rm -rf "$W"
}
trap cleanup EXIT

took() { echo "# $1: $((EPOCHSECONDS - T0)) s so far"; }

# nap SECONDS: sleep without a process (read times out on an idle FIFO).
mkfifo "$W/nap"
nap() { read -rt "$1" <>"$W/nap" || :; }

# The backends need the decapsulating devices; the LB needs none of these.
modprobe -qa ipip ip6_tunnel fou fou6 2>/dev/null
if [[ ${L4LB_IN_VM:-} == 1 ]]; then
	echo 1 >/proc/sys/net/core/devconf_inherit_init_net
	echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
	echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
fi

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

# The client: one process for the whole test (Python start-up is what costs
# under TCG), fed batches of jobs on stdin. "ID KIND ARGS..." lines, then
# "RUN NAME TIMEOUT" runs them all at once, writes "ID RESULT" lines (sorted
# by ID; "ID FAIL why" on failure, "TIME ID seconds" per job) to DIR/NAME.out
# and creates DIR/NAME.done. Kinds:
#   tcp HOST PORT N    N connections one after another: each greeting
#   udp HOST PORT N    N datagrams, each from a new socket: each greeting
#   echo HOST PORT N   N random bytes over TCP, echoed intact: "GREETING sha"
#   dgram HOST PORT N  one UDP datagram of N random bytes, echoed intact
#   srcports CAP FOU GUE   in a capture of the LB's FOU/GUE packets, "FLOWS
#                      MOST-SOURCE-PORTS-OF-A-FLOW SOURCE-PORTS"
#   forge SRC LB CL VIP BE...  "fragmentation needed" (MTU 600) / "packet too
#                      big" (1280) from SRC to the LB about an IPIP / IP6IP6
#                      packet of the LB to each BE around a TCP SYN CL port
#                      9 -> VIP port 80 (not an ephemeral port: no such flow)
cat >"$W/cli.py" <<'EOF'
import hashlib, os, socket, struct, sys, threading, time
DIR, RETRIES = sys.argv[1], 5
out, lock = [], threading.Lock()

def say(jid, line):
    with lock:
        out.append("%s %s" % (jid, line))

def dest(host, port, kind):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, socket.getaddrinfo(host, int(port), fam, kind)[0][4]

def greeting(s):
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            raise OSError("no greeting (got %r)" % buf)
        buf += c
    return buf[:-1].decode()

def tcp(jid, tmo, host, port, n):
    fam, d = dest(host, port, socket.SOCK_STREAM)
    for _ in range(int(n)):
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(tmo)
            s.connect(d)
            say(jid, greeting(s))

def udp_one(tmo, fam, d, payload):
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(tmo / RETRIES)
        for _ in range(RETRIES):
            s.sendto(payload, d)
            try:
                data, peer = s.recvfrom(65535 + 100)
            except socket.timeout:
                continue
            if peer[:2] != d[:2]:
                raise OSError("reply from %s" % (peer,))
            name, _, rest = data.partition(b"\n")
            if rest != payload:
                raise OSError("reply differs: %d bytes for %d" % (len(rest), len(payload)))
            return name.decode()
    raise OSError("no reply after %d tries" % RETRIES)

def udp(jid, tmo, host, port, n):
    fam, d = dest(host, port, socket.SOCK_DGRAM)
    for _ in range(int(n)):
        say(jid, udp_one(tmo, fam, d, b"hello"))

def dgram(jid, tmo, host, port, n):
    fam, d = dest(host, port, socket.SOCK_DGRAM)
    say(jid, udp_one(tmo, fam, d, os.urandom(int(n))))

def echo(jid, tmo, host, port, n):
    fam, d = dest(host, port, socket.SOCK_STREAM)
    payload = os.urandom(int(n))
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(tmo)
        s.connect(d)
        err = []
        def sender():
            try:
                s.sendall(payload)
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        name = greeting(s)
        chunks = []
        while True:
            c = s.recv(262144)
            if not c:
                break
            chunks.append(c)
        t.join(tmo)
        if err:
            raise err[0]
        body = b"".join(chunks)
        if body != payload:
            raise OSError("%s: sent %s bytes, got %d back, not the same" % (name, n, len(body)))
        say(jid, "%s %s" % (name, hashlib.sha256(payload).hexdigest()[:16]))

def srcports(jid, tmo, cap, fou, gue):
    import pkt
    fou, gue = int(fou), int(gue)
    flows = {}
    for frame, _, _, _ in pkt.read_records(cap):
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
    say(jid, "%d %d %d" % (len(flows), per_flow,
                           len(set().union(*flows.values())) if flows else 0))

def forge(jid, tmo, src, lb, cl, vip, *bes):
    import pkt
    v6 = ":" in lb
    syn = pkt.tcp(cl, vip, 9, 80, flags=pkt.SYN, seq=1)
    with socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                       socket.IPPROTO_RAW) as s:
        for be in bes:
            if v6:
                outer = pkt.ipv6(lb, be, 41, pkt.ipv6(cl, vip, 6, syn))
                err = pkt.ipv6(src, lb, 58, pkt.icmp6(src, lb, 2, 0, outer,
                                                       rest=struct.pack("!I", 1280)))
            else:
                outer = pkt.ipv4(lb, be, 4, pkt.ipv4(cl, vip, 6, syn))
                err = pkt.ipv4(src, lb, 1, pkt.icmp4(3, 4, outer,
                                                     rest=struct.pack("!HH", 0, 600)))
            s.sendto(err, (lb, 0))
    say(jid, "sent %d" % len(bes))

def run(jid, tmo, kind, *args):
    t = time.monotonic()
    try:
        globals()[kind](jid, tmo, *args)
    except Exception as e:
        say(jid, "FAIL %s %s: %s" % (kind, " ".join(args), e))
    say("TIME", "%s %.1f" % (jid, time.monotonic() - t))

jobs = []
for line in iter(sys.stdin.readline, ""):
    w = line.split()
    if not w:
        continue
    if w[0] != "RUN":
        jobs.append(w)
        continue
    threads = [threading.Thread(target=run, args=(j[0], float(w[2]), *j[1:])) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(os.path.join(DIR, w[1] + ".out"), "w") as f:
        f.write("".join(l + "\n" for l in sorted(out)))
    open(os.path.join(DIR, w[1] + ".done"), "w").close()
    jobs, out[:] = [], []
EOF

# phase NAME TIMEOUT JOBS: run the jobs in the client, wait for them; then
# R[ID] holds the lines of job ID.
declare -A R
phase() {
	local i id rest slow=- slow_t=-1 t0=$EPOCHREALTIME
	printf '%sRUN %s %s\n' "$3" "$1" "$2" >&3
	for ((i = 0; i < ($2 * 3 + 30) * 10; i++)); do
		[[ -e $W/$1.done ]] && break
		nap 0.1
	done
	R=()
	while read -r id rest; do
		R[$id]+=$rest$'\n'
	done <"$W/$1.out"
	# "ID SECONDS" (tenths) per job: the slowest, to see where time goes.
	while read -r id rest; do
		[[ $id ]] && ((10#${rest/./} > slow_t)) && slow="$id $rest s" slow_t=$((10#${rest/./}))
	done <<<"${R[TIME]}"
	t0=${t0%.*}
	echo "# $1: $((${EPOCHREALTIME%.*} - t0)) s, the slowest job: $slow"
}

# stats: S[KEY] from `l4ctl stats` (its text: no Python start-up).
declare -A S
stats() {
	local w i
	S=()
	lbctl stats >"$W/stats" || return
	while read -ra w; do
		for ((i = 0; i + 1 < ${#w[@]}; i += 2)); do
			S[${w[i]}]=${w[i + 1]%%/*}
		done
	done <"$W/stats"
}

# tap_ge DESC VALUE MIN: ok if VALUE is a number >= MIN.
tap_ge() {
	if [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3)); then
		tap_ok "$1"
	else
		tap_fail "$1" "got: '$2', expected at least $3"
	fi
}

# Every Ethernet link of the topology operationally up (until then a veth
# queue discards packets).
links_up() {
	local ns
	for ns in client lb be1 be2; do
		ip -n $ns -br link show dev eth0 | grep -q ' UP ' || return 1
	done
	[ "$(ip -n rt -br link show type veth | grep -c ' UP ')" = 4 ]
}

# A namespace, without the reverse path filter: replies from the VIP cross
# the router, and decapsulated packets arrive on tunnel devices.
mkns() {
	ip netns add "$1" && ns_sysctl "$1" net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 "${@:2}"
}

# The topology; the backends' servers and the capture on the LB start as
# soon as their namespace is ready, in the background.
setup() {
	local ns i p
	# The first alone: it may set up /run/netns, which is not safe to race.
	mkns rt net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	p=()
	for ns in client lb be1 be2; do
		mkns "$ns" &
		p+=($!)
	done
	for i in "${p[@]}"; do wait "$i" || return 1; done
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
			fou add port $FOU_PORT ipproto 4
			fou add port $GUE_PORT gue
		EOF
		ip -n be$i -6 -batch - <<-EOF || return 1
			fou add port $FOU_PORT ipproto 41
			fou add port $GUE_PORT gue
		EOF
		nsenter --net=/run/netns/be$i -- python3 "$W/srv.py" be$i \
			"$T4_VIP,$T6_VIP" 80,81,82 "$W/ready.be$i" >"$W/srv.be$i.log" 2>&1 &
		PIDS+=($!)
	done
	ip -n client -batch - <<-EOF || return 1
		link set lo up
		addr add $T4_CL/24 dev eth0
		addr add $T6_CL/64 dev eth0 nodad
		link set eth0 up
	EOF
	# The LB: the VIPs are its own addresses. No tunnel device, no fou
	# port: l4lb encapsulates, and takes the routers' "fragmentation
	# needed" / "packet too big" about its outer packets itself.
	ip -n lb -batch - <<-EOF || return 1
		link set lo up
		addr add $T4_VIP/32 dev lo
		addr add $T6_VIP/128 dev lo nodad
		addr add $T4_LB/24 dev eth0
		addr add $T6_LB/64 dev eth0 nodad
		link set eth0 up
	EOF
	# What the LB sends, for the FOU/GUE source ports (the hellos only).
	nsenter --net=/run/netns/lb -- python3 "$L4LB_LIB/sniff.py" --iface eth0 \
		--snap 160 --out "$W/lbout.cap" --ready "$W/lbout.ready" &
	SNIFF_PID=$!
	PIDS+=($!)
	# The client process, in the background from now on.
	mkfifo "$W/cli.in" || return 1
	nsenter --net=/run/netns/client -- python3 "$W/cli.py" "$W" <"$W/cli.in" \
		>"$W/cli.log" 2>&1 &
	PIDS+=($!)
	exec 3>"$W/cli.in"
	# (Not _ns_wait_up: tunnel devices never say UP.)
	for ((i = 0; i < 200; i++)); do
		links_up && break
		nap 0.05
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
	p=()
	for ns in client lb be1 be2; do
		ns_run $ns ethtool -K eth0 tx on sg on tso on gso on gro on >/dev/null 2>&1 &
		p+=($!)
	done
	for i in c lb b1 b2; do
		ns_run rt ethtool -K veth-$i tx on sg on tso on gso on gro on >/dev/null 2>&1 &
		p+=($!)
	done
	wait "${p[@]}"
	return 0
}

# wait_file FILE: until it exists (20 s at most).
wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ -e $1 ]] && return 0
		nap 0.1
	done
	return 1
}

# vips: 12 VIPs (2 families x 3 encapsulations x TCP/UDP), both backends;
# each VIP with its backends by one shell in the LB's namespace, all at once.
vips() {
	local fam proto port vip be args script=
	for fam in 4 6; do
		for proto in tcp udp; do
			for port in 80 81 82; do
				if [ $fam = 4 ]; then vip=$T4_VIP:$port; else vip=[$T6_VIP]:$port; fi
				args="mode tunnel encap ${ENCAP_OF[$port]}"
				[ $port = 81 ] && args+=" encap-port $FOU_PORT"
				[ $port = 82 ] && args+=" encap-port $GUE_PORT"
				script+="{ \$L vip add '$vip' proto $proto $args"
				for be in 0 1; do
					if [ $fam = 4 ]; then
						script+=" && \$L backend add '$vip' ${T4_BE[be]}:$port proto $proto"
					else
						script+=" && \$L backend add '$vip' '[${T6_BE[be]}]:$port' proto $proto"
					fi
				done
				script+=" || echo FAILED $vip $proto; } &"$'\n'
			done
		done
	done
	script+="wait"
	ns_run lb env L="$L4CTL" bash -c "$script" >"$W/vips.log" 2>&1
	! grep -q FAILED "$W/vips.log" || { cat "$W/vips.log"; return 1; }
}

# Sums over every VIP of `l4ctl vip show` (a counters line after each
# "vip" line): "PKTS_IN PKTS_OUT".
vips_sum() {
	local w i v=0 in=0 out=0
	lbctl vip show >"$W/vips" || return
	while read -ra w; do
		if [[ ${w[0]} == vip ]]; then
			v=1
			continue
		fi
		((v)) || continue
		for ((i = 0; i + 1 < ${#w[@]}; i++)); do
			[[ ${w[i]} == pkts_in ]] && in=$((in + w[i + 1]))
			[[ ${w[i]} == pkts_out ]] && out=$((out + w[i + 1]))
		done
		v=0
	done <"$W/vips"
	echo "$in $out"
}

l4lb_load tcp_timeout_unreplied=3 tcp_timeout_syn=3 tcp_timeout_established=4 \
	tcp_timeout_fin=3 tcp_timeout_close=2 udp_timeout_unreplied=3 udp_timeout=3 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
took "modules"
# Not through tap_check: its $(...) would wait for the servers.
if setup >"$W/setup.log" 2>&1; then
	tap_ok "topology: client, LB, router, two backends in another subnet"
else
	tap_fail "topology: client, LB, router, two backends in another subnet" "$(cat "$W/setup.log")"
	tap_done
	exit 1
fi
took "topology"
tap_check "12 tunnel VIPs (IPIP, FOU, GUE; IPv4, IPv6; TCP, UDP)" vips || { tap_done; exit 1; }
took "VIPs"
if wait_file "$W/ready.be1" && wait_file "$W/ready.be2"; then
	tap_ok "backends serve TCP and UDP on the VIPs"
else
	tap_fail "backends serve TCP and UDP on the VIPs" "$(cat "$W"/srv.*.log)"
	tap_done
	exit 1
fi
took "servers"

# FOU/GUE need the port: refused with the kernel's explanation.
out=$(lbctl vip add $T4_VIP:90 proto tcp mode tunnel encap fou 2>&1)
rc=$?
tap_like "vip add: FOU without encap-port refused (exit $rc: $out)" "$rc $out" "2 *encap port*"
out=$(lbctl vip set $T4_VIP:80 proto tcp encap gue 2>&1)
rc=$?
tap_like "vip set: GUE without encap-port refused (exit $rc: $out)" "$rc $out" "2 *encap port*"
tap_like "the refused set changed nothing" \
	"$(lbctl vip show | grep "^vip $T4_VIP:80 proto tcp ")" "* mode tunnel encap ipip*"
took "refusals"
wait_file "$W/lbout.ready" || tap_fail "capture on the LB"
took "setup"

# Hellos: 6 flows per VIP, each answered by a backend that saw the client.
jobs=
for fam in 4 6; do
	for port in 80 81 82; do
		for proto in tcp udp; do
			jobs+="h.$fam.$port.$proto $proto ${VIP[$fam]} $port 6"$'\n'
		done
	done
done
phase hello 10 "$jobs"
kill -TERM "$SNIFF_PID"
for fam in 4 6; do
	cl=${CL[$fam]}
	for port in 80 81 82; do
		for proto in tcp udp; do
			M="IPv$fam $proto ${ENCAP_OF[$port]}"
			n_ok=0 be1=0 be2=0
			while read -r be saw; do
				[[ $be == be[12] && $saw == "$cl" ]] && n_ok=$((n_ok + 1))
				[[ $be == be1 ]] && be1=1
				[[ $be == be2 ]] && be2=1
			done <<<"${R[h.$fam.$port.$proto]}"
			tap_is "$M: 6 flows answered, each backend saw the client $cl" "$n_ok" 6 ||
				tap_diag "${R[h.$fam.$port.$proto]}"
			tap_is "$M: both backends used" "$be1 $be2" "1 1"
		done
	done
done
wait "$SNIFF_PID"
took "hellos"

# Bytes intact with offloads on (the client's TSO, the LB's GRO), every
# encapsulation and family at once. Alongside: the FOU/GUE source ports
# of the hellos; and "fragmentation needed" / "packet too big" forged from
# the client (as the router), valid but about tunnel flows the LB does not
# have, to a backend and to another host: the LB must not believe them
# (checked before the real ones, below).
jobs="x.ports srcports $W/lbout.cap $FOU_PORT $GUE_PORT
x.forge4 forge $T4_RTB $T4_LB $T4_CL $T4_VIP ${T4_BE[0]} 10.0.2.200
x.forge6 forge $T6_RTB $T6_LB $T6_CL $T6_VIP ${T6_BE[0]} fd00:2::200
"
for fam in 4 6; do
	for port in 80 81 82; do
		jobs+="e.$fam.$port echo ${VIP[$fam]} $port 262144"$'\n'
	done
done
phase echo 60 "$jobs"
for fam in 4 6; do
	for port in 80 81 82; do
		g=${R[e.$fam.$port]%$'\n'}
		tap_like "IPv$fam TCP ${ENCAP_OF[$port]}: 256 KiB echoed byte for byte ($g)" \
			"$g" "be[12] ${CL[$fam]} *"
	done
done
# Every encapsulation's too-big went to the client; GUE's, the largest
# headers (IP, UDP, GUE), leaves the least.
tap_like "IPv4: the client learned the MTU left inside the GUE tunnel (1468)" \
	"$(ip -n client route get $T4_VIP)" "*mtu 1468*"
tap_like "IPv6: the client learned the MTU left inside the GUE tunnel (1448)" \
	"$(ip -n client route get $T6_VIP)" "*mtu 1448*"
stats
tb1=${S[too_big]}
tap_ge "too_big counted those ($tb1)" "$tb1" 1

read -r nflows per_flow nsports <<<"${R[x.ports]}"
tap_ge "FOU/GUE: flows seen in the capture ($nflows)" "$nflows" 24
tap_is "FOU/GUE: one outer source port per flow" "$per_flow" 1
tap_ge "FOU/GUE: outer source ports differ across flows ($nsports for $nflows flows)" \
	"$nsports" $((nflows * 3 / 4))
forged="${R[x.forge4]%$'\n'}, ${R[x.forge6]%$'\n'}"
took "echoes"

# Fragmented UDP datagrams: reassembled before the hook, encapsulated, the
# outer packet fragmented, reassembled and decapsulated by the backend.
# (After the transfers: the client knows the MTU by then, so its fragments
# fit the tunnels.)
jobs=
for fam in 4 6; do
	for port in 80 81 82; do
		for size in 4000 60000; do
			jobs+="f.$fam.$port.$size dgram ${VIP[$fam]} $port $size"$'\n'
		done
	done
done
phase frag 15 "$jobs"
for fam in 4 6; do
	for port in 80 81 82; do
		for size in 4000 60000; do
			g=${R[f.$fam.$port.$size]%$'\n'}
			tap_like "IPv$fam UDP ${ENCAP_OF[$port]}: a $size-byte datagram whole at one backend ($g)" \
				"$g" "be[12] ${CL[$fam]}"
		done
	done
done
took "fragments"

read -r pin pout <<<"$(vips_sum)"
tap_is "replies bypass the LB: nothing counted out" "$pout" 0
tap_ge "the VIPs counted the client's packets in ($pin)" "$pin" 200
stats
tap_is "no transmit failures" "${S[drops_xmit]}" 0

# The forged errors: they reached the LB's stack (nothing else sends it
# any), nothing learned, nothing counted.
ns_run lb cat /proc/net/snmp /proc/net/snmp6 >"$W/snmp"
h=() unreach=none toobig=none
while read -ra w; do
	if [[ ${w[0]} == Icmp: && ${w[1]} == InMsgs ]]; then
		h=("${w[@]}")
	elif [[ ${w[0]} == Icmp: ]]; then
		for i in "${!h[@]}"; do
			[[ ${h[i]} == InDestUnreachs ]] && unreach=${w[i]}
		done
	elif [[ ${w[0]} == Icmp6InPktTooBigs ]]; then
		toobig=${w[1]}
	fi
done <"$W/snmp"
tap_is "forged errors ($forged) reached the LB's stack" "$unreach $toobig" "2 2"
tap_is "forged errors not believed" "${S[tunnel_pmtu]}" 0
routes=$(ip -n lb -batch - <<-EOF
	route get ${T4_BE[0]}
	route get 10.0.2.200
	route get ${T6_BE[0]}
	route get fd00:2::200
	EOF
)
if [[ $routes == *mtu* ]]; then
	tap_fail "forged errors lowered no path MTU" "$routes"
else
	tap_ok "forged errors lowered no path MTU"
fi

# Path MTU: the router->backend links narrower. The router's errors about
# the outer packets teach the LB (itself: no tunnel device on it); the LB
# answers the client with the MTU left inside the tunnel. (IPv6: 1300 leaves
# less than 1280 inside, so the LB fragments the outer packets instead.)
for i in 1 2; do
	ip -n rt link set veth-b$i mtu 1300
	ip -n be$i link set eth0 mtu 1300
done
jobs=
for fam in 4 6; do
	for port in 80 81 82; do
		jobs+="p.$fam.$port echo ${VIP[$fam]} $port 131072"$'\n'
	done
done
phase pmtu 30 "$jobs"
for fam in 4 6; do
	for port in 80 81 82; do
		g=${R[p.$fam.$port]%$'\n'}
		tap_like "narrow backend links, IPv$fam TCP ${ENCAP_OF[$port]}: 128 KiB echoed byte for byte ($g)" \
			"$g" "be[12] ${CL[$fam]} *"
	done
done
stats
tap_ge "too_big counted the narrower path ($tb1 -> ${S[too_big]})" "${S[too_big]}" $((tb1 + 1))
tap_ge "tunnel_pmtu counted the routers' errors, IPv4 and IPv6 (${S[tunnel_pmtu]})" \
	"${S[tunnel_pmtu]}" 2
# (At least one backend per family: each got a flow of each family.)
tap_like "IPv4: the LB learned the path MTU to the backends" \
	"$(ip -n lb -batch - <<<"route get ${T4_BE[0]}"$'\n'"route get ${T4_BE[1]}")" "*mtu 1300*"
tap_like "IPv6: the LB learned the path MTU to the backends" \
	"$(ip -n lb -batch - <<<"route get ${T6_BE[0]}"$'\n'"route get ${T6_BE[1]}")" "*mtu 1300*"
took "path MTU"

# Every flow ended: the table empties once their timeouts pass.
for ((i = 0; i < 40; i++)); do
	stats
	[ "${S[conns]}" = 0 ] && break
	nap 0.5
done
tap_is "the flow table emptied after the timeouts" "${S[conns]}" 0
took "end"

tap_done
