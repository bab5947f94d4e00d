#!/bin/bash
# Backend and VIP controls (issue 9), through l4ctl, with real clients from
# several source addresses and real backends (be1 = A, be2 = B, round
# robin): drain and down (established flows go on, new ones go elsewhere),
# down with expire-down (the flow is reset at its next packet), weight 0,
# backend maxconn (a full backend is skipped; all full: RST), backup
# backends, RST / ICMP port unreachable when nothing can take a flow (IPv4,
# IPv6) or silence with no-reject, VIP maxconn (RST) and rate limit (silent
# drops), each counted. Then 10 s of backend state, weight, maxconn and
# backup changes under traffic on every CPU: no established flow may break,
# every refused connection is answered at once, the counts come back to 0,
# each VIP's counters are its backends' sum, and the kernel stays quiet.
. "$(dirname "$0")/lib/l4lb.sh"

W=$(mktemp -d)
dmesg_start=$(dmesg | wc -l)
topo_setup
# Closed flows leave the table (and maxconn counts) a second after their
# end; UDP flows a few seconds after their last datagram.
l4lb_load tcp_timeout_fin=1 tcp_timeout_close=1 udp_timeout=4 \
	udp_timeout_unreplied=4 gc_interval_ms=100 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
# More client addresses; and no ICMP rate limit on the LB: each refused
# UDP flow must get its port unreachable.
ip -n client -batch - <<EOF
$(for i in 3 4 5 6 7 8 9; do echo "addr add 10.0.0.$i/24 dev eth0"; echo "addr add fd00::$i/64 dev eth0 nodad"; done)
EOF
ns_sysctl lb net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
SRC4=10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6
SRC6=fd00::3,fd00::4,fd00::5,fd00::6

V4=$VIP4:$VIP_PORT V6=[$VIP6]:$VIP_PORT
A=$BE4_1:$BE_PORT B=$BE4_2:$BE_PORT
A6=[$BE6_1]:$BE_PORT B6=[$BE6_2]:$BE_PORT

# --------------------------------------------------------------- helpers

# Every process start costs under TCG (python's most), so the test keeps a
# few long-lived ones and talks to them a line at a time:
#   drv_start NAME NS CPU|"" SCRIPT [ARGS] ; drv NAME COMMAND... : the answer
# c, d0, d1...: clients (lib/conns.py) in the client namespace; q: l4ctl
# and queries over its JSON (lib/ctlsrv.py) in the LB's.
declare -A DRV_IN DRV_OUT
drv_start() {
	local name=$1 ns=$2 cpu=$3 in out pin=()
	shift 3
	mkfifo "$W/$name.in" "$W/$name.out"
	[[ -n $cpu ]] && pin=(taskset -c "$cpu")
	ns_run "$ns" "${pin[@]}" python3 "$@" \
		<"$W/$name.in" >"$W/$name.out" 2>"$W/$name.err" &
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
drv_start q lb "" "$L4LB_LIB/ctlsrv.py" "$L4CTL"
drv_start c client "" "$L4LB_LIB/conns.py"

# ctl ARGS... : l4ctl ARGS in the LB's namespace; its error on stderr.
ctl() {
	local r
	r=$(drv q run "$@")
	[[ $r == ok ]] && return 0
	echo "l4ctl $*: $r" >&2
	return 1
}
# cfg ARGS... : the same, a change the test needs: a failure is one.
cfg() { ctl "$@" || tap_fail "l4ctl $*"; }

# The backends' servers, all started at once (be3 is not used here).
for i in 1 2; do
	for opts in "" "--udp" "--v6" "--udp --v6"; do
		# shellcheck disable=SC2086 # options
		nsenter --net="/run/netns/be$i" -- python3 "$TRAFFIC_PY" serve \
			--name "be$i" --port $BE_PORT $opts &
		_SERVE_PIDS+=($!)
	done
done
for ((i = 0; i < 300; i++)); do
	n=0
	for ns in be1 be2; do
		n=$((n + $(ss -N $ns -Hln -tu "sport = :$BE_PORT" | wc -l)))
	done
	((n == 8)) && break
	sleep 0.1
done
tap_is "8 backend servers listening (TCP, UDP; IPv4, IPv6; be1, be2)" "$n" 8

for vip in "$V4" "$V6"; do
	for proto in tcp udp; do
		ctl vip add "$vip" proto $proto || { tap_fail "add $vip $proto"; tap_done; exit 1; }
		for be in 1 2; do
			if [[ $vip == "$V4" ]]; then b=$(eval echo "\$BE4_$be"):$BE_PORT; else b=[$(eval echo "\$BE6_$be")]:$BE_PORT; fi
			ctl backend add "$vip" "$b" proto $proto || { tap_fail "add $b"; tap_done; exit 1; }
		done
	done
done

# open_on ID NAME HOST PORT [src=...] : a connection held as ID, on the
# backend NAME (new flows go round robin: at most one try per backend).
open_on() {
	local id=$1 want=$2 got i
	shift 2
	for i in 1 2 3; do
		got=$(drv c open "$id" "$@")
		[[ $got == "$want" ]] && return 0
		drv c close "$id" >/dev/null
	done
	echo "open_on $id: wanted $want, got $got" >&2
	return 1
}

# count WORD LIST... : how many of LIST are WORD.
count() {
	local w=$1 n=0 x
	shift
	for x in "$@"; do [[ $x == "$w" ]] && n=$((n + 1)); done
	echo $n
}

# be_get PROTO VIP BACKEND-ADDR KEY... : the backend's values in
# `l4ctl -j backend show VIP` (stats included), space separated.
be_get() { drv q backend "$@"; }

# Counters of the namespace (`l4ctl -j stats`): snap, then deltas prints
# what changed since as "key=N ...".
CNT="drops_no_backend drops_limit drops_rate rejects down_expired"
snap() { read -r -a SNAP <<<"$(drv q stats $CNT)"; }
deltas() {
	local now k i=0 res=()
	read -r -a now <<<"$(drv q stats $CNT)"
	for k in $CNT; do
		res+=("$k=$((now[i] - SNAP[i]))")
		i=$((i + 1))
	done
	echo "${res[*]}"
}

# wait_flows VIP-ADDR PORT PROTO MAX : until the VIP has at most MAX flows,
# active or inactive (at most ~10 s).
wait_flows() {
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(drv q flows "$1" "$2" "$3")
		((n <= $4)) && return 0
		sleep 0.2
	done
	echo "$1 $2 $3: $n flows, not <= $4" >&2
	return 1
}

# ------------------------------------------------------------ round robin

got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "IPv4 TCP: two backends, new flows from 4 addresses go round robin" \
	"$(count be1 $got)/$(count be2 $got)" "2/2"

# ------------------------------------------------------------------ drain

open_on L be1 "$VIP4" $VIP_PORT src=10.0.0.3 && open_on M be2 "$VIP4" $VIP_PORT
drv c stream L pause=0.02 >/dev/null
in0=$(be_get tcp "$V4" "$BE4_1" bytes_in)
tap_check "drain A (be1)" ctl backend set "$V4" "$A" proto tcp state drain
got=$(drv c hellos 6 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "drained: 6 new flows all go to B" "$got" "be2 be2 be2 be2 be2 be2"
tap_is "backend show: A is drain, its one connection active" \
	"$(be_get tcp "$V4" "$BE4_1" state active_conns)" "drain 1"
sleep 1
out=$(drv c stop L)
tap_like "A's connection kept streaming after the drain, every byte echoed ($out)" "$out" "intact [1-9]*"
tap_is "... and 1 MB more crosses it intact" "$(drv c xfer L 1048576)" intact
in1=$(be_get tcp "$V4" "$BE4_1" bytes_in)
tap_check "... counted on A ($((in1 - in0)) bytes in since the drain)" test $((in1 - in0)) -gt 1048576
drv c closeall >/dev/null
cfg backend set "$V4" "$A" proto tcp state up

# ------------------------------------------------------------------- down

open_on L be1 "$VIP4" $VIP_PORT src=10.0.0.4
tap_check "down A (be1), the VIP without expire-down" ctl backend set "$V4" "$A" proto tcp state down
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "down: new flows all go to B" "$got" "be2 be2 be2 be2"
tap_is "down: A's established connection goes on, intact" "$(drv c xfer L 262144)" intact
tap_is "backend show: A is down, one connection active" \
	"$(be_get tcp "$V4" "$BE4_1" state active_conns)" "down 1"
tap_check "vip set expire-down" ctl vip set "$V4" proto tcp expire-down
snap
tap_is "expire-down: A's connection is reset at its next packet" \
	"$(drv c xfer L 65536)" "broken ECONNRESET"
tap_is "... counted: down_expired 1, one RST sent" "$(deltas)" \
	"drops_no_backend=0 drops_limit=0 drops_rate=0 rejects=1 down_expired=1"
tap_is "... and gone from A's count" "$(be_get tcp "$V4" "$BE4_1" active_conns inactive_conns)" "0 0"
drv c close L >/dev/null
cfg backend set "$V4" "$A" proto tcp state up
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "up again: A takes new flows again" "$(count be1 $got)/$(count be2 $got)" "2/2"
cfg vip set "$V4" proto tcp no-expire-down

# --------------------------------------------------------------- weight 0

cfg backend set "$V4" "$A" proto tcp weight 0
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "weight 0 on A: new flows all go to B" "$got" "be2 be2 be2 be2"
cfg backend set "$V4" "$A" proto tcp weight 1

# ---------------------------------------------------------------- maxconn

# Closed flows count until they leave the table (as IPVS counts them).
wait_flows "$VIP4" $VIP_PORT tcp 0

tap_check "maxconn 2 on A" ctl backend set "$V4" "$A" proto tcp maxconn 2
got=""
for i in 1 2 3 4; do got+=" $(drv c open m$i "$VIP4" $VIP_PORT src=10.0.0.$((i + 2)))"; done
tap_is "4 connections held: 2 on A, 2 on B" "$(count be1 $got)/$(count be2 $got)" "2/2"
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "A full: new flows all go to B" "$got" "be2 be2 be2 be2"
tap_is "backend show: A maxconn 2, 2 active" "$(be_get tcp "$V4" "$BE4_1" maxconn active_conns)" "2 2"
cfg backend set "$V4" "$B" proto tcp maxconn 2
snap
tap_is "A and B full: the connection is refused (RST)" \
	"$(drv c hellos 1 "$VIP4" $VIP_PORT src=10.0.0.7)" ECONNREFUSED
tap_is "... counted as a limit (every backend full): drops_limit 1, rejects 1" "$(deltas)" \
	"drops_no_backend=0 drops_limit=1 drops_rate=0 rejects=1 down_expired=0"
tap_is "the held connections still work" \
	"$(for i in 1 2 3 4; do drv c xfer m$i 65536; done | paste -sd' ')" "intact intact intact intact"
drv c closeall >/dev/null
cfg backend set "$V4" "$A" proto tcp maxconn none
cfg backend set "$V4" "$B" proto tcp maxconn none

# ----------------------------------------------------------------- backup

tap_check "B backup" ctl backend set "$V4" "$B" proto tcp backup
tap_is "backend show: B backup" "$(be_get tcp "$V4" "$BE4_2" backup)" true
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "A primary, B backup: new flows all go to A" "$got" "be1 be1 be1 be1"
cfg backend set "$V4" "$A" proto tcp state down
open_on K be2 "$VIP4" $VIP_PORT src=10.0.0.5
got=$(drv c hellos 3 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "A down: the backup B takes new flows" "$got" "be2 be2 be2"
cfg backend set "$V4" "$A" proto tcp state up
got=$(drv c hellos 4 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "A up again: new flows all go back to A" "$got" "be1 be1 be1 be1"
tap_is "... and B's established connection goes on, intact" "$(drv c xfer K 262144)" intact
cfg backend set "$V4" "$A" proto tcp weight 0
got=$(drv c hellos 3 "$VIP4" $VIP_PORT src=$SRC4)
tap_is "A at weight 0: the backup B takes new flows" "$got" "be2 be2 be2"
cfg backend set "$V4" "$A" proto tcp weight 1
drv c closeall >/dev/null
cfg backend set "$V4" "$B" proto tcp primary

# ------------------------------------------------------- nothing can serve

cfg backend set "$V4" "$A" proto tcp state drain
cfg backend set "$V4" "$B" proto tcp state down
cfg vip set "$V4" proto tcp no-reject
snap
tap_is "IPv4 TCP, no backend, no-reject: the SYN is dropped silently (timeout)" \
	"$(drv c hellos 1 "$VIP4" $VIP_PORT timeout=0.7)" timeout
tap_is "... counted as drops_no_backend, no RST" "$(deltas)" \
	"drops_no_backend=1 drops_limit=0 drops_rate=0 rejects=0 down_expired=0"
cfg vip set "$V4" proto tcp reject
snap
tap_is "IPv4 TCP, no backend: refused at once (RST)" \
	"$(drv c hellos 1 "$VIP4" $VIP_PORT src=10.0.0.6)" ECONNREFUSED
tap_is "... counted" "$(deltas)" \
	"drops_no_backend=1 drops_limit=0 drops_rate=0 rejects=1 down_expired=0"
cfg backend set "$V4" "$A" proto tcp state up
cfg backend set "$V4" "$B" proto tcp state up

got=$(drv c hellos 2 "$VIP4" $VIP_PORT src=$SRC4 udp)
tap_is "IPv4 UDP: both backends answer" "$(count be1 $got)/$(count be2 $got)" 1/1
cfg backend set "$V4" "$A" proto udp state down
cfg backend set "$V4" "$B" proto udp state drain
snap
tap_is "IPv4 UDP, no backend: ICMP port unreachable (connected socket: ECONNREFUSED)" \
	"$(drv c hellos 1 "$VIP4" $VIP_PORT src=10.0.0.8 udp timeout=3)" ECONNREFUSED
tap_is "... counted" "$(deltas)" \
	"drops_no_backend=1 drops_limit=0 drops_rate=0 rejects=1 down_expired=0"
cfg backend set "$V4" "$A" proto udp state up
cfg backend set "$V4" "$B" proto udp state up

cfg backend set "$V6" "$A6" proto tcp state down
cfg backend set "$V6" "$B6" proto tcp weight 0
snap
tap_is "IPv6 TCP, no backend: refused at once (RST)" \
	"$(drv c hellos 1 "$VIP6" $VIP_PORT src=fd00::7)" ECONNREFUSED
cfg backend set "$V6" "$A6" proto udp state drain
cfg backend set "$V6" "$B6" proto udp state down
tap_is "IPv6 UDP, no backend: ICMPv6 port unreachable (ECONNREFUSED)" \
	"$(drv c hellos 1 "$VIP6" $VIP_PORT src=fd00::7 udp timeout=3)" ECONNREFUSED
tap_is "... both counted" "$(deltas)" \
	"drops_no_backend=2 drops_limit=0 drops_rate=0 rejects=2 down_expired=0"
cfg backend set "$V6" "$A6" proto tcp state up
cfg backend set "$V6" "$B6" proto tcp weight 1
cfg backend set "$V6" "$A6" proto udp state up
cfg backend set "$V6" "$B6" proto udp state up
got=$(drv c hellos 2 "$VIP6" $VIP_PORT src=$SRC6)
tap_is "IPv6 TCP: both backends take flows again" "$(count be1 $got)/$(count be2 $got)" 1/1

# ------------------------------------------------------------ VIP maxconn

tap_check "no flow left on the IPv4 TCP VIP" wait_flows "$VIP4" $VIP_PORT tcp 0
tap_check "VIP maxconn 3" ctl vip set "$V4" proto tcp maxconn 3
got=""
for i in 1 2 3; do got+=" $(drv c open v$i "$VIP4" $VIP_PORT src=10.0.0.$((i + 2)))"; done
tap_is "3 connections held" "$(($(count be1 $got) + $(count be2 $got)))" 3
snap
tap_is "the 4th is refused (RST)" "$(drv c hellos 1 "$VIP4" $VIP_PORT src=10.0.0.6)" ECONNREFUSED
tap_is "... counted: drops_limit 1, rejects 1" "$(deltas)" \
	"drops_no_backend=0 drops_limit=1 drops_rate=0 rejects=1 down_expired=0"
drv c close v1 >/dev/null
tap_check "one closed: its flow leaves the table" wait_flows "$VIP4" $VIP_PORT tcp 2
got=$(drv c open v4 "$VIP4" $VIP_PORT src=10.0.0.6)
tap_like "... and a new connection is accepted ($got)" "$got" "be[12]"
tap_is "the held ones still work" \
	"$(for i in 2 3 4; do drv c xfer v$i 65536; done | paste -sd' ')" "intact intact intact"
drv c closeall >/dev/null
cfg vip set "$V4" proto tcp maxconn none

# ------------------------------------------------------------- rate limit

tap_check "VIP rate 5 burst 5" ctl vip set "$V4" proto tcp rate 5 burst 5
snap
# Each attempt gets 0.6 s: less than the client's 1 s SYN retransmission,
# so each refused attempt is one dropped SYN.
out=$(drv c burst 20 "$VIP4" $VIP_PORT timeout=0.6)
ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$out")
tap_check "20 connections at once: 5 to 7 succeed ($out)" test "${ok:-0}" -ge 5 -a "${ok:-0}" -le 7
tap_like "... the others time out: no RST, nothing else" "$out" "ok=* refused=0 timeout=$((20 - ${ok:-0})) other=0"
tap_is "... counted: drops_rate $((20 - ${ok:-0})), no rejects" "$(deltas)" \
	"drops_no_backend=0 drops_limit=0 drops_rate=$((20 - ${ok:-0})) rejects=0 down_expired=0"
sleep 1.2
tap_is "a second later, 5 more at once all succeed" \
	"$(drv c burst 5 "$VIP4" $VIP_PORT timeout=0.9)" "ok=5 refused=0 timeout=0 other=0"
cfg vip set "$V4" proto tcp rate none

# ------------------------------------------------------------ concurrency

ncpu=$(nproc)
streams=()
for ((cpu = 0; cpu < ncpu; cpu++)); do
	d=d$cpu
	drv_start $d client $cpu "$L4LB_LIB/conns.py"
	for i in 1 2 3; do
		a=10.0.0.$((2 + (cpu * 3 + i) % 8))
		r=$(drv $d open t$i "$VIP4" $VIP_PORT src=$a)
		[[ $r == be[12] ]] || tap_diag "$d: TCP from $a: $r"
		streams+=("$d t$i")
	done
	r=$(drv $d open t6 "$VIP6" $VIP_PORT src=fd00::$((3 + cpu % 6)))
	[[ $r == be[12] ]] || tap_diag "$d: IPv6 TCP: $r"
	r=$(drv $d open u4 "$VIP4" $VIP_PORT src=10.0.0.$((3 + cpu % 6)) udp)
	[[ $r == be[12] ]] || tap_diag "$d: UDP: $r"
	r=$(drv $d open u6 "$VIP6" $VIP_PORT src=fd00::$((3 + cpu % 6)) udp)
	[[ $r == be[12] ]] || tap_diag "$d: IPv6 UDP: $r"
	streams+=("$d t6" "$d u4" "$d u6")
done
for s in "${streams[@]}"; do
	# shellcheck disable=SC2086 # "driver id"
	set -- $s
	drv "$1" stream "$2" >/dev/null
done
for ((cpu = 0; cpu < ncpu; cpu++)); do
	if ((cpu % 2)); then
		drv d$cpu hammer h "$VIP6" $VIP_PORT src=$SRC6 >/dev/null
	else
		drv d$cpu hammer h "$VIP4" $VIP_PORT src=$SRC4 >/dev/null
	fi
done
targets=()
for p in tcp udp; do targets+=("$V4|$p|$A" "$V4|$p|$B" "$V6|$p|$A6" "$V6|$p|$B6"); done
churn=$(drv q churn 10 "${targets[@]}")
tap_like "10 s of state, weight, maxconn and backup changes, none refused ($churn)" \
	"$churn" "ops=* errors=0"
bad=0 total=0
for s in "${streams[@]}"; do
	# shellcheck disable=SC2086
	set -- $s
	r=$(drv "$1" stop "$2")
	total=$((total + 1))
	[[ $r == "intact "[1-9]* ]] || { bad=$((bad + 1)); tap_diag "$1 $2: $r"; }
done
tap_is "every established flow ($total, TCP and UDP, IPv4 and IPv6, on $ncpu CPUs) went on intact" "$bad" 0
for ((cpu = 0; cpu < ncpu; cpu++)); do
	r=$(drv d$cpu stop h)
	tap_like "CPU $cpu: new flows during the changes were accepted or refused at once ($r)" \
		"$r" "ok=[1-9]* refused=* timeout=0 other=0"
	drv d$cpu closeall >/dev/null
done
drv c closeall >/dev/null

# Every flow ends: the counts come back to 0, and each VIP's counters are
# the sum of its backends'.
for ((i = 0; i < 50; i++)); do
	r=$(drv q empty)
	[[ $r == ok ]] && break
	sleep 0.3
done
tap_is "all flows ended: every VIP's and backend's active and inactive counts back to 0, VIP counters = sum of its backends'" "$r" ok
tap_is "the flow table is empty" "$(drv q stats conns)" 0

new=$(dmesg | tail -n +$((dmesg_start + 1)) | grep -E 'WARNING|BUG|KASAN|Oops|UBSAN|general protection|RCU stall' | head -n 5)
tap_is "the kernel logged no warning" "$new" ""

for name in "${!DRV_IN[@]}"; do echo quit >&"${DRV_IN[$name]}"; done
topo_teardown
l4lb_unload
rm -rf "$W"
tap_diag "$SECONDS s"
tap_done
