#!/bin/bash
# Drops by reason, exact (issue 10, item 7): each refused flow or dropped
# packet counted once, on its VIP and backend (`l4ctl -j show`) and in the
# namespace (`l4ctl -j stats`), the VIP's `drops` the sum of its reasons,
# and nothing else lost on the way:
#   - out of memory: flows are charged to the memory cgroup of whoever added
#     the namespace's first VIP; with its memory.max just above its use, each
#     new flow is either made (and reaches the backend) or a drops_nomem
#     (per VIP only: the namespace has no counter for it);
#   - NAT ports exhausted: SNAT with one address and 4 ports, 4 connections
#     held, then new flows -> drops_nat_ports;
#   - xmit: a DSR backend behind a gateway (not directly connected), and a
#     SNAT backend with no route (unreachable) -> drops_xmit, each packet;
#   - malformed headers to a VIP address -> drops_malformed, TCP mid-stream
#     with no flow -> drops_noflow (namespace counters only: no flow, no
#     VIP is charged);
#   - table full: conn_max=1024 filled with established connections (never
#     evicted), then new TCP and UDP flows -> drops_table_full.
# The held connections still carry bytes to their backend afterwards.
# Elsewhere: no backend, VIP and backend maxconn, rate in t-counters.sh;
# evictions (early drops) in t-flood.sh; Maglev's stateless forwarding of a
# full table in t-maglev-full.sh; the malformed corpus in t-malformed.sh.
# Not provoked: a neighbour that cannot be created (only when the kernel
# cannot allocate one) and a DNAT backend with no route (dropped by the
# stack's routing after the LB, which cannot know: IP InNoRoutes).
. "$(dirname "$0")/lib/hard.sh"

W=$(mktemp -d)
CG=/sys/fs/cgroup
CGD=$CG/l4lb-drops
trap 'rm -rf "$W"' EXIT
V=$VIP4
CONN_MAX=1024

topo_setup
# Spoofed sources (198.18.0.0/15) are routed nowhere: no reverse-path check.
lb_accept_spoofed
l4lb_load conn_max=$CONN_MAX gc_interval_ms=100 udp_timeout_unreplied=600 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_start be1 be1 $BE_PORT && serve_start be1 be1 $BE_PORT udp &&
	serve_start be2 be2 $BE_PORT || tap_fail "servers"
LB_MAC=$(lb_mac)
# The backends count what arrives from the spoofed sources, and stay
# silent to it (their answers would go nowhere).
for i in 1 2 3; do
	ns_run be$i nft -f - <<-'EOF'
		table inet drops {
			chain in {
				type filter hook input priority 0;
				ip saddr 198.18.0.0/15 counter drop comment "spoofed"
			}
		}
	EOF
done
spoofed() { nft_count "$1" inet drops in spoofed; }

# Python starts slowly under TCG: one long-lived helper per role, fed a
# command a line (as in t-maglev-full.sh): c = lib/conns.py (connections
# held, bytes exchanged), t = lib/drops.py (spoofed floods, malformed
# packets, the table's filling), h = lib/drops.py holder on be3 (never
# accepts: the kernel completes the handshakes), q = lib/ctlsrv.py (l4ctl).
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
drv_read() {
	local line
	read -r -t 120 line <&"${DRV_OUT[$1]}" ||
		line="no answer from $1: $(tail -n 3 "$W/$1.err" | paste -sd' ')"
	echo "$line"
}
drv() {
	local name=$1
	shift
	echo "$*" >&"${DRV_IN[$name]}"
	drv_read "$name"
}
c() { drv c "$@"; }
q() { drv q "$@"; }
cfg() {
	local r
	r=$(q run "$@")
	[[ $r == ok ]] || { tap_diag "l4ctl $*: $r"; return 1; }
}
drv_start c client "$L4LB_LIB/conns.py"
drv_start t client "$L4LB_LIB/drops.py" eth0 "$LB_MAC" "$V"
drv_start q lb "$L4LB_LIB/ctlsrv.py" "$L4CTL"
drv_start h be3 "$L4LB_LIB/drops.py" holder 9000
tap_is "a holder on be3:9000" "$(drv_read h)" ready

# flood N SEED NET PORT [PROTO] : N packets from N spoofed (address, port)
# pairs (the same pairs for the same SEED and NET) to $V:PORT.
flood() {
	local r
	r=$(drv t flood "$1" "$2" "$3" "$4" "${5:-tcp}")
	[[ $r == "sent=$1" ]] || tap_diag "flood $*: $r"
}

# vst PORT PROTO { - | BACKEND:PORT } KEY... : counters of the VIP $V:PORT
# or of one of its backends; KEY "reasons" is the sum of its drops_*.
REASONS="drops_no_backend drops_limit drops_rate drops_table_full drops_nomem drops_nat_ports drops_xmit"
vst() {
	local port=$1 proto=$2 be=$3 k sum out='' i=0 _
	local -a keys=() vals
	shift 3
	for k in "$@"; do
		# shellcheck disable=SC2206 # the reasons, one word each
		if [[ $k == reasons ]]; then keys+=($REASONS); else keys+=("$k"); fi
	done
	if [[ $be == - ]]; then
		read -ra vals <<<"$(q vip "$V" "$port" "$proto" "${keys[@]}")"
	else
		read -ra vals <<<"$(q backend "$proto" "$V:$port" "${be%:*}" "${keys[@]}")"
	fi
	for k in "$@"; do
		if [[ $k == reasons ]]; then
			sum=0
			for _ in $REASONS; do sum=$((sum + vals[i])); i=$((i + 1)); done
			out+="$sum "
		else
			out+="${vals[i]} "
			i=$((i + 1))
		fi
	done
	echo "${out% }"
}
# gstat KEY... : the namespace's counters (l4ctl -j stats).
gstat() { q stats "$@"; }

# The namespace's drop counters.
GKEYS="drops_table_full drops_nomem drops_nat_ports drops_xmit drops_no_backend drops_rate drops_limit drops_malformed drops_noflow evictions"
# gmark ; gcheck DESC KEY=N... : since gmark, each KEY rose by exactly N,
# every other drop counter of the namespace not at all.
gmark() { G0=$(gstat $GKEYS); }
gcheck() {
	local desc=$1 k kv got='' want='' i=0
	local -a g0 g1
	declare -A d=()
	shift
	for kv in "$@"; do d[${kv%=*}]=${kv#*=}; done
	read -ra g0 <<<"$G0"
	read -ra g1 <<<"$(gstat $GKEYS)"
	for k in $GKEYS; do
		got+="$k+$((g1[i] - g0[i])) " want+="$k+${d[$k]:-0} "
		i=$((i + 1))
	done
	tap_is "$desc" "${got% }" "${want% }"
}

# wait_conns N : the table holds N flows (the GC reaps what was flushed).
wait_conns() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(gstat conns)
		[[ $n == "$1" ]] && break
		sleep 0.1
	done
	echo "$n"
}

# ---- out of memory: the first VIP added from a memory cgroup of its own
ok=1
if [[ $(stat -fc %T $CG) != cgroup2fs ]]; then
	mount -t cgroup2 none $CG || ok=0
fi
grep -qw memory $CG/cgroup.controllers 2>/dev/null || ok=0
if ((ok)); then
	echo +memory >$CG/cgroup.subtree_control && mkdir -p $CGD || ok=0
fi
tap_check "cgroup v2 with the memory controller" test $ok = 1 ||
	tap_diag "controllers: $(cat $CG/cgroup.controllers 2>&1)"
(echo $BASHPID >$CGD/cgroup.procs && lbctl vip add $V:53 proto udp)
tap_check "the namespace's first VIP, added from $CGD" test $? = 0
ok=1
cfg backend add $V:53 $BE4_1:$BE_PORT proto udp &&
	cfg vip add "[$VIP6]:53" proto udp &&
	cfg vip add $V:80 proto tcp &&
	cfg backend add $V:80 $BE4_2:$BE_PORT &&
	cfg vip add $V:81 proto tcp mode snat snat-addr 10.0.1.250 snat-ports 20000-20003 &&
	cfg backend add $V:81 $BE4_1:$BE_PORT &&
	cfg vip add $V:82 proto tcp &&
	cfg backend add $V:82 $BE4_3:9000 &&
	cfg vip add $V:90 proto udp mode dsr &&
	cfg backend add $V:90 10.0.7.1:90 proto udp &&
	cfg vip add $V:91 proto udp mode snat &&
	cfg backend add $V:91 10.0.8.1:$BE_PORT proto udp || ok=0
# 10.0.7.0/24 behind a gateway (be1), 10.0.8.1 unreachable; 10.0.1.250
# the SNAT address.
ip -n lb -batch - <<-EOF || ok=0
	route add 10.0.7.0/24 via $BE4_1
	route add unreachable 10.0.8.1/32
	addr add 10.0.1.250/24 dev br0
EOF
tap_is "the VIPs: :53 udp (nomem), :81 snat (ports), :90 dsr, :91 snat (xmit), :80 :82 tcp" "$ok" 1

# The per-CPU charge caches would hide the limit: drained by a memory.high
# below use (no OOM killer on that path), then the limit 4 pages above use.
# Objects of the l4ctl that exited, freed late, may still leave pages in a
# cache: at most the cgroup's whole use, so 800 flows of 80 bytes are more
# than (use + 4 pages) can ever hold.
sleep 1
echo 0 >$CGD/memory.high
echo max >$CGD/memory.high
sleep 0.5
cur=$(cat $CGD/memory.current)
echo $((cur + 4 * 4096)) >$CGD/memory.max
SENT=800
tap_diag "memory cgroup: current $cur, max $(cat $CGD/memory.max), room for $(((cur + 4 * 4096) / 80)) flows at most"
gmark
flood $SENT 1 198.18.0.0/24 53 udp
sleep 1
read -r made nomem drops sum <<<"$(vst 53 udp - conns drops_nomem drops reasons)"
got=$(spoofed be1)
tap_diag "$SENT new UDP flows: $made made, $nomem drops_nomem; be1 got $got; memory.events: $(paste -sd' ' $CGD/memory.events)"
tap_check "some flows refused for memory ($nomem), some made ($made)" \
	eval "num_ge '$nomem' 1 && num_ge '$made' 1"
tap_is "made + drops_nomem = the $SENT flows sent" $((made + nomem)) $SENT
tap_is "... each flow made reached the backend once" "$got" "$made"
tap_is "... on the backend too" "$(vst 53 udp $BE4_1:$BE_PORT conns drops_nomem)" "$made $nomem"
tap_is "... the VIP's drops are drops_nomem" "$drops $sum" "$nomem $nomem"
gcheck "... namespace: drops_nomem +$nomem, nothing else" drops_nomem=$nomem
echo max >$CGD/memory.max
cfg conn flush proto udp
tap_is "flows flushed" "$(wait_conns 0)" 0

tap_diag "at $SECONDS s"
# ---- NAT ports: 4 ports for one backend, held by 4 connections
ok=1
for i in 1 2 3 4; do
	[[ $(c open s$i $V 81) == be1 ]] || ok=0
done
tap_is "4 connections through SNAT (4 ports) to be1" "$ok" 1
gmark
flood 5 2 198.18.2.0/24 81
tap_is "5 more flows: drops_nat_ports 5, drops 5, conns still 4" \
	"$(vst 81 tcp - drops_nat_ports drops reasons conns)" "5 5 5 4"
tap_is "... on the backend" "$(vst 81 tcp $BE4_1:$BE_PORT drops_nat_ports drops)" "5 5"
gcheck "... namespace: drops_nat_ports +5, nothing else" drops_nat_ports=5
tap_is "... none reached the backend" "$(spoofed be1)" "$made"

tap_diag "at $SECONDS s"
# ---- xmit: DSR to a backend behind a gateway; each packet of each flow
gmark
flood 3 3 198.18.3.0/24 90 udp
flood 3 3 198.18.3.0/24 90 udp
tap_is "DSR, backend not directly connected: 3 flows of 2 packets, drops_xmit 6, 3 flows" \
	"$(vst 90 udp - drops_xmit drops reasons conns pkts_in)" "6 6 6 3 0"
tap_is "... on the backend" "$(vst 90 udp 10.0.7.1:90 drops_xmit conns)" "6 3"
gcheck "... namespace: drops_xmit +6, nothing else" drops_xmit=6
# SNAT (address auto) with no route to the backend: no flow made.
gmark
flood 4 4 198.18.4.0/24 91 udp
tap_is "SNAT, backend unreachable: 4 flows refused, drops_xmit 4, no flow" \
	"$(vst 91 udp - drops_xmit drops reasons conns)" "4 4 4 0"
gcheck "... namespace: drops_xmit +4, nothing else" drops_xmit=4

tap_diag "at $SECONDS s"
# ---- malformed, and TCP mid-stream without a flow: namespace counters
gmark
drv t bad "$V" "$VIP6" >/dev/null
sleep 0.5
gcheck "6 malformed packets, 3 TCP segments of no flow: drops_malformed +6, drops_noflow +3, nothing else" \
	drops_malformed=6 drops_noflow=3
tap_is "... none made a flow or reached a backend" \
	"$(vst 80 tcp - conns drops) $(vst 53 udp - conns) $(spoofed be2)" "0 0 $made 0"

tap_diag "at $SECONDS s"
# ---- table full: 1024 flows that may not be evicted (all established)
cfg conn flush proto udp
tap_is "UDP flows flushed: the 4 SNAT connections are left" "$(wait_conns 4)" 4
ok=1
for i in 1 2; do
	[[ $(c open h$i $V 80) == be2 ]] || ok=0
done
tap_is "2 connections held to be2 through :80" "$ok" 1
tap_is "the table holds the 6 held connections" "$(wait_conns 6)" 6
tap_is "$((CONN_MAX - 6)) more connections established and held (:82, be3's holder)" \
	"$(drv t fill $V 82 $((CONN_MAX - 6)))" "held=$((CONN_MAX - 6)) failed=0"
read -r conns cmax <<<"$(gstat conns conn_max)"
tap_is "the table is full: conns = conn_max" "$conns $cmax" "$CONN_MAX $CONN_MAX"
gmark
flood 5 5 198.18.6.0/24 82
flood 3 6 198.18.7.0/24 80
flood 2 7 198.18.8.0/24 53 udp
tap_is "5 SYNs to :82: drops_table_full 5, conns unchanged" \
	"$(vst 82 tcp - drops_table_full drops reasons conns)" "5 5 5 $((CONN_MAX - 6))"
tap_is "3 SYNs to :80: drops_table_full 3, conns unchanged" \
	"$(vst 80 tcp - drops_table_full drops reasons conns)" "3 3 3 2"
tap_is "2 UDP flows to :53: drops_table_full 2 (beside its drops_nomem)" \
	"$(vst 53 udp - drops_table_full drops reasons)" "2 $((nomem + 2)) $((nomem + 2))"
tap_is "... on the backends" \
	"$(vst 82 tcp $BE4_3:9000 drops_table_full) $(vst 80 tcp $BE4_2:$BE_PORT drops_table_full)" "5 3"
gcheck "... namespace: drops_table_full +10, nothing else (no eviction)" \
	drops_table_full=10
tap_is "... none reached a backend" "$(spoofed be1) $(spoofed be2) $(spoofed be3)" "$made 0 0"
tap_is "... the table still holds conn_max flows" "$(gstat conns)" $CONN_MAX

tap_diag "at $SECONDS s"
# ---- the held connections still carry bytes, to the same backend
ok=1
p0=$(vst 80 tcp $BE4_2:$BE_PORT pkts_in)
for id in h1 h2 s1 s2 s3 s4; do
	r=$(c xfer $id 65536)
	[[ $r == intact ]] || { ok=0; tap_diag "$id: $r"; }
done
tap_is "the 6 held connections: 64 KiB each echoed intact" "$ok" 1
p1=$(vst 80 tcp $BE4_2:$BE_PORT pkts_in)
tap_check "... :80's through be2 (pkts_in $p0 -> $p1)" test "$p1" -gt "$p0"

tap_diag "at $SECONDS s"
# ---- the whole run: the namespace counted all and only what was caused,
# each the sum of the VIPs' counts
G0=$(for k in $GKEYS; do printf '0 '; done)
gcheck "the namespace's drops over the test: the sums of the VIPs'" \
	drops_table_full=$((5 + 3 + 2)) drops_nomem=$nomem drops_nat_ports=5 drops_xmit=$((6 + 4)) \
	drops_malformed=6 drops_noflow=3

for pid in "${DRV_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
wait "${DRV_PIDS[@]}" 2>/dev/null
topo_teardown
l4lb_unload
rmdir $CGD 2>/dev/null
tap_done
