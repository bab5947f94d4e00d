#!/bin/bash
# Schedulers with real TCP clients from many source addresses (issue 9):
# the backend each connection reached (its server's name line) against
# what the scheduler must do, cross-checked with the per-backend counters
# of `l4ctl -j backend show`. rr: equal counts; wrr: counts in the weights'
# ratio, no bursts; lc and wlc: held connections keep new ones away, wlc
# by weight; sh: a source sticks to its backend (sh-port: a port spreads);
# maglev: weights, stable tuples, removing a backend moves only its flows,
# hash src, mid-stream TCP adopted after the LB lost its state (not with
# syn-only); p2c: weights, held connections; sh and maglev over IPv6; a
# scheduler change under traffic breaks no flow; with no backend to take
# it, a flow gets a RST or an ICMP port unreachable at once (a timeout
# with no-reject). Hashes are checked with the keys in other orders too,
# so that a sequence cannot pass for one. One client process does all the
# connections and most of the configuration (lib/schedcli.py): a process
# start costs ~0.3 s under TCG.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
for i in 1 2 3; do
	serve_start "be$i" "be$i" $BE_PORT && serve_start "be$i" "be$i" $BE_PORT v6 ||
		tap_fail "start the servers of be$i"
done

# More client addresses, on the LB's link (its answers reach them without
# routes): 40 IPv4, 10.0.0.100 - 10.0.0.139, and 18 IPv6, fd00::100 -
# fd00::111.
SRC=() SRC6=()
for i in $(seq 100 139); do SRC+=("10.0.0.$i"); done
for i in $(seq 0 17); do SRC6+=("$(printf 'fd00::%x' $((0x100 + i)))"); done
{
	printf 'addr add %s/24 dev eth0\n' "${SRC[@]}"
	printf 'addr add %s/64 dev eth0 nodad\n' "${SRC6[@]}"
} | ip -n client -batch - || tap_fail "add the client's source addresses"

# The client (lib/schedcli.py), up for the whole test: a command a line,
# an answer a line (see its header). ask CMD... sets ANS.
AGENT_DIR=$(mktemp -d)
mkfifo "$AGENT_DIR/in" "$AGENT_DIR/out"
L4CTL=$L4CTL ns_run client python3 "$L4LB_LIB/schedcli.py" \
	<"$AGENT_DIR/in" >"$AGENT_DIR/out" 2>"$AGENT_DIR/err" &
AGENT_PID=$!
exec {AW}<>"$AGENT_DIR/in" {AR}<>"$AGENT_DIR/out"
ask() {
	printf '%s\n' "$*" >&"$AW"
	IFS= read -r -t 120 ANS <&"$AR" || ANS="!no-answer"
}

V=$VIP4:$VIP_PORT
BE=("" "$BE4_1:$BE_PORT" "$BE4_2:$BE_PORT" "$BE4_3:$BE_PORT")

# l4 ARGS...: l4ctl ARGS in the lb namespace, by the client process (no
# nsenter: each process start costs ~0.3 s under TCG).
l4() {
	ask l4 "$@"
	[[ $ANS == ok ]] || { echo "l4ctl $*: $ANS" >&2; return 1; }
}

# svc SCHED "W1 W2 W3" [FLAG...]: a fresh TCP VIP $V (counters at 0) with
# be1..be3 of these weights, added in that order, over netlink (see
# schedcli.py). Closed flows stay counted as inactive for 10 min: lc, wlc
# and p2c weigh them.
svc() {
	ask svc "$V" tcp "$@"
	[[ $ANS == ok ]] || { echo "svc $*: $ANS" >&2; return 1; }
}

# tally NAMES: "be1=N be2=N be3=N" (names of other kinds counted too).
tally() {
	local -A cnt=([be1]=0 [be2]=0 [be3]=0)
	local x out=
	for x in $1; do cnt[$x]=$((${cnt[$x]:-0} + 1)); done
	for x in $(printf "%s\n" "${!cnt[@]}" | sort); do out+="$x=${cnt[$x]} "; done
	echo "${out% }"
}

# specs N [FIRST [SPORT]]: N connection specs, source addresses from
# SRC[FIRST] on, cycling; with SPORT, that source port for all.
specs() {
	local n=$1 first=${2:-0} sport=${3:-} i list=()
	for ((i = 0; i < n; i++)); do
		list+=("${SRC[(first + i) % ${#SRC[@]}]}${sport:+/$sport}")
	done
	echo "${list[*]}"
}

# be_counts_match DESC TALLY: the per-backend conns counters of $V are TALLY.
be_counts_match() {
	ask be "$V" tcp conns
	tap_is "$1: the backends counted what the clients saw" "$ANS" "$2"
}

# same_per_key DESC KEYS NAMES: each key (a word of KEYS) always came with
# the same name (the word at the same position of NAMES), and no error.
same_per_key() {
	local -a k n
	local -A seen
	local i bad=
	read -r -a k <<<"$2"
	read -r -a n <<<"$3"
	for i in "${!k[@]}"; do
		if [[ ${n[i]} == !* ]]; then
			bad+="${k[i]}: ${n[i]}; "
		elif [[ -n ${seen[${k[i]}]:-} && ${seen[${k[i]}]} != "${n[i]}" ]]; then
			bad+="${k[i]}: ${seen[${k[i]}]} and ${n[i]}; "
		fi
		seen[${k[i]}]=${n[i]}
	done
	if [[ ${#k[@]} -eq ${#n[@]} && -z $bad ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "${bad:-${#k[@]} keys, ${#n[@]} names: $3}"
	fi
}

# section NAME: a comment line with the time so far (this file has a
# budget: tests/run FILE_SECONDS).
section() { tap_diag "$1 (at ${SECONDS} s)"; }

# reverse WORDS: the words in reverse order.
reverse() {
	local -a w
	local i out=
	read -r -a w <<<"$1"
	for ((i = ${#w[@]} - 1; i >= 0; i--)); do out+="${w[i]} "; done
	echo "${out% }"
}

# permute STEP WORDS: word i * STEP mod N at position i (STEP prime to
# N): another order, so that a sequence (rr) cannot pass for a hash.
permute() {
	local -a w
	local i out=
	read -r -a w <<<"$2"
	for ((i = 0; i < ${#w[@]}; i++)); do
		out+="${w[i * $1 % ${#w[@]}]} "
	done
	echo "${out% }"
}

# distinct NAMES: how many different names.
distinct() { tr ' ' '\n' <<<"$1" | sort -u | grep -c .; }

# --------------------------------------------------------------------- rr
section "rr"
if svc rr "1 1 1"; then
	ask conn "$VIP4" $VIP_PORT "$(specs 12)"
	tap_is "rr: 12 connections from 12 addresses: 4 on each backend ($ANS)" \
		"$(tally "$ANS")" "be1=4 be2=4 be3=4"
	be_counts_match rr "be1=4 be2=4 be3=4"
else
	tap_fail "rr: VIP and backends"
fi

# -------------------------------------------------------------------- wrr
section "wrr"
# Smooth weighted round robin: over 12 picks exactly 6/4/2, and no run of
# the heaviest (in any window of k picks, a backend at most its share of
# k, rounded down, + 1).
if svc wrr "3 2 1"; then
	ask conn "$VIP4" $VIP_PORT "$(specs 12)"
	picks=$ANS
	tap_is "wrr 3:2:1: 12 connections split 6/4/2 ($picks)" \
		"$(tally "$picks")" "be1=6 be2=4 be3=2"
	ask smooth "$picks" / be1=3 be2=2 be3=1
	tap_is "wrr 3:2:1: smooth, no burst to one backend" "$ANS" ok
	be_counts_match wrr "$(tally "$picks")"
else
	tap_fail "wrr: VIP and backends"
fi

# ------------------------------------------------------------- lc and wlc
section "lc, wlc"
# hold_on_be1 ID N: N connections held open on be1 (the others drained
# while they open). Answers their names.
hold_on_be1() {
	local held
	ask state "$V" tcp "${BE[2]}" drain
	ask state "$V" tcp "${BE[3]}" drain
	ask hold "$1" "$VIP4" $VIP_PORT "$(specs "$2" 20)"
	held=$ANS
	ask state "$V" tcp "${BE[2]}" up
	ask state "$V" tcp "${BE[3]}" up
	ANS=$held
}

if svc lc "1 1 1" && hold_on_be1 lc 3; then
	tap_is "lc: 3 connections held on be1 (be2, be3 drained)" "$ANS" "be1 be1 be1"
	ask conn "$VIP4" $VIP_PORT "$(specs 10)"
	got=$(tally "$ANS")
	tap_like "lc: 10 new connections avoid loaded be1, 5 and 5 on the others ($ANS)" \
		"$got" "be1=0 be2=[456] be3=[456]"
	ask be "$V" tcp active_conns
	tap_like "lc: be1 counts the 3 held connections active" "$ANS" "be1=3 *"
	n2=${got#*be2=} n2=${n2%% *}
	be_counts_match lc "be1=3 be2=$n2 be3=$((10 - n2))"
	ask finish lc 10
	tap_is "lc: the held connections carry on" "$ANS" "intact intact intact"
else
	tap_fail "lc: VIP, backends and held connections ($ANS)"
fi

# wlc: be2 weighs 2. With be1 loaded, new flows split 2:1 between be2 and
# be3 (IPVS: active * 256 + inactive over the weight; ties to either).
if svc wlc "1 2 1" && hold_on_be1 wlc 2; then
	tap_is "wlc: 2 connections held on be1" "$ANS" "be1 be1"
	ask conn "$VIP4" $VIP_PORT "$(specs 12)"
	got=$(tally "$ANS")
	tap_like "wlc 1:2:1, be1 loaded: 12 new connections 8/4 on be2/be3 (+-1) ($ANS)" \
		"$got" "be1=0 be2=[789] be3=[345]"
	n2=${got#*be2=} n2=${n2%% *}
	be_counts_match wlc "be1=2 be2=$n2 be3=$((12 - n2))"
	ask finish wlc 10
	tap_is "wlc: the held connections carry on" "$ANS" "intact intact"
else
	tap_fail "wlc: VIP, backends and held connections ($ANS)"
fi

# --------------------------------------------------------------------- sh
section "sh"
if svc sh "1 1 1"; then
	# 18 addresses, 3 connections each (any source port), in three
	# orders
	keys="$(specs 18) $(reverse "$(specs 18)") $(permute 5 "$(specs 18)")"
	ask conn "$VIP4" $VIP_PORT "$keys"
	picks=$ANS
	same_per_key "sh: each of 18 addresses always reached one backend (3 connections each)" \
		"$keys" "$picks"
	tap_is "sh: the addresses spread over all 3 backends ($(tally "$picks"))" \
		"$(distinct "$picks")" 3
	be_counts_match sh "$(tally "$picks")"

	# sh-port: one address, 24 ports (twice each): a port sticks, the
	# ports spread.
	l4 vip set "$V" proto tcp sh-port || tap_fail "sh: vip set sh-port"
	keys='' conns=''
	for p in $(seq 42000 42023); do conns+="${SRC[0]}/$p "; keys+="$p "; done
	ask conn "$VIP4" $VIP_PORT "$conns $(reverse "$conns")"
	picks=$ANS
	same_per_key "sh-port: one address, each of 24 source ports sticks to its backend" \
		"$keys $(reverse "$keys")" "$picks"
	tap_is "sh-port: one address's ports spread over all 3 backends ($(tally "$picks"))" \
		"$(distinct "$picks")" 3
else
	tap_fail "sh: VIP and backends"
fi

# ----------------------------------------------------------------- maglev
section "maglev"
# 90 fixed tuples: 18 addresses x source ports 43000-43004.
tuples=''
for p in 43000 43001 43002 43003 43004; do tuples+="$(specs 18 0 $p) "; done
if svc maglev "4 1 1"; then
	ask conn "$VIP4" $VIP_PORT "$tuples"
	pass_a=$ANS
	ask spread "$(tally "$pass_a")" / be1=4 be2=1 be3=1 / sigma 4
	tap_like "maglev 4:1:1: 90 flows by weight, each backend within 4 sigma of its share ($(tally "$pass_a"); $ANS)" \
		"$ANS" "ok *"
	# Again in reverse order: a hash, not a sequence.
	ask conn "$VIP4" $VIP_PORT "$(reverse "$tuples")"
	pass_b=$(reverse "$ANS")
	tap_is "maglev: the same 90 tuples again, in reverse order: each reaches the same backend" \
		"$pass_b" "$pass_a"
	be_counts_match maglev "$(tally "$pass_a $pass_b")"
	# hash 5tuple (the default): one address's ports do not all agree.
	spread_ports=0
	read -r -a a <<<"$pass_a"
	for ((s = 0; s < 18; s++)); do
		for ((j = 1; j < 5; j++)); do
			[[ ${a[s + 18 * j]} != "${a[s]}" ]] && spread_ports=$((spread_ports + 1)) && break
		done
	done
	tap_check "maglev hash 5tuple: the ports of $spread_ports of 18 addresses went to more than one backend" \
		test $spread_ports -gt 0

	# Without be3, only be3's flows move. Maglev may move a few others
	# (its table is rebuilt; with 65537 slots, well under 1%): at most
	# 2 of the ~75 tuples of be1 and be2 may.
	l4 backend del "$V" "${BE[3]}" || tap_fail "maglev: delete be3"
	ask conn "$VIP4" $VIP_PORT "$tuples"
	pass_c=$ANS
	read -r -a c <<<"$pass_c"
	kept=0 moved=0 was3=0 bad=''
	for i in "${!a[@]}"; do
		if [[ ${a[i]} == be3 ]]; then
			was3=$((was3 + 1))
			[[ ${c[i]} == be[12] ]] || bad+="tuple $i: ${c[i]}; "
		elif [[ ${c[i]} == "${a[i]}" ]]; then
			kept=$((kept + 1))
		else
			moved=$((moved + 1))
		fi
	done
	tap_is "maglev, be3 deleted: its $was3 flows went to be1 and be2" "$bad" ""
	tap_check "maglev, be3 deleted: the flows of be1 and be2 kept their backend ($kept kept, $moved moved)" \
		test $moved -le 2 -a $((kept + moved + was3)) -eq 90

	# hash src: an address's every port to one backend.
	l4 backend set "$V" "${BE[1]}" weight 1 &&
		l4 backend add "$V" "${BE[3]}" &&
		l4 vip set "$V" proto tcp hash src || tap_fail "maglev: hash src"
	conns="$(specs 18 0 44000) $(reverse "$(specs 18 0 44001)")"
	conns+=" $(permute 5 "$(specs 18 0 44002)")"
	keys="$(specs 18) $(reverse "$(specs 18)") $(permute 5 "$(specs 18)")"
	ask conn "$VIP4" $VIP_PORT "$conns"
	picks=$ANS
	same_per_key "maglev hash src: each of 18 addresses reached one backend from 3 ports" \
		"$keys" "$picks"
	tap_is "maglev hash src: the addresses spread over all 3 backends ($(tally "$picks"))" \
		"$(distinct "$picks")" 3
else
	tap_fail "maglev: VIP and backends"
fi

section "maglev adoption"
# Mid-stream TCP: the LB loses its flows (VIP deleted and added again with
# the same backends: the same table); the clients' next segments are
# adopted, to the backend the table names, which is where they were.
if svc maglev "1 1 1"; then
	ask hold adopt "$VIP4" $VIP_PORT "$(specs 4 30)"
	held=$ANS
	tap_like "maglev: 4 connections open ($held)" "$held" "be? be? be? be?"
	ask stats adopted
	adopted0=$ANS
	svc maglev "1 1 1" || tap_fail "maglev: VIP deleted and added again"
	ask finish adopt 10
	tap_is "maglev: after the LB lost their flows, the 4 connections carry on" \
		"$ANS" "intact intact intact intact"
	ask stats adopted
	tap_is "maglev: the 4 connections were adopted (stats adopted)" \
		"$ANS" $((adopted0 + 4))
	be_counts_match "maglev adoption" "$(tally "$held")"
else
	tap_fail "maglev adoption: VIP and backends"
fi

# syn-only: the same loss ends them (only a SYN opens a flow).
if svc maglev "1 1 1" && l4 vip set "$V" proto tcp syn-only; then
	ask hold synonly "$VIP4" $VIP_PORT "$(specs 2 34)"
	tap_like "maglev syn-only: 2 connections open ($ANS)" "$ANS" "be? be?"
	ask stats adopted drops_noflow
	read -r adopted0 noflow0 <<<"$ANS"
	svc maglev "1 1 1" syn-only || tap_fail "maglev syn-only: VIP deleted and added again"
	ask finish synonly 3
	tap_is "maglev syn-only: after the LB lost their flows, the connections stall" \
		"$ANS" "broken broken"
	ask stats adopted drops_noflow
	read -r adopted1 noflow1 <<<"$ANS"
	tap_check "maglev syn-only: none adopted, their segments dropped (drops_noflow $noflow0 -> $noflow1)" \
		test "$adopted1" = "$adopted0" -a "$noflow1" -ge $((noflow0 + 2))
else
	tap_fail "maglev syn-only: VIP and backends"
fi

# -------------------------------------------------------------------- p2c
section "p2c"
if svc p2c "3 2 1"; then
	ask conn "$VIP4" $VIP_PORT "$(specs 60)"
	picks=$ANS
	ask spread "$(tally "$picks")" / be1=3 be2=2 be3=1 / rel 0.25 3
	tap_like "p2c 3:2:1: 60 connections roughly by weight ($(tally "$picks"); $ANS)" \
		"$ANS" "ok *"
	be_counts_match p2c "$(tally "$picks")"
else
	tap_fail "p2c: VIP and backends"
fi
if svc p2c "1 1 1" && hold_on_be1 p2c 6; then
	tap_is "p2c: 6 connections held on be1" "$ANS" "be1 be1 be1 be1 be1 be1"
	ask conn "$VIP4" $VIP_PORT "$(specs 30)"
	got=$(tally "$ANS")
	read -r n1 n2 n3 <<<"${got//be?=/}"
	# be1 wins only when drawn twice: 1/9 of the picks with two
	# independent draws (at most 8 of 30: 99.8%), fewer when the second
	# draw avoids the first.
	tap_check "p2c, be1 loaded: it gets fewer of 30 new connections than the others, at most 8 ($got)" \
		test "$n1" -le 8 -a "$n1" -lt "$n2" -a "$n1" -lt "$n3"
	be_counts_match p2c "be1=$((n1 + 6)) be2=$n2 be3=$n3"
	ask finish p2c 10
else
	tap_fail "p2c: VIP, backends and held connections ($ANS)"
fi

# ------------------------------------------------------------------- IPv6
# The hashes of IPv6 addresses: sh and maglev over 18 client addresses.
section "IPv6"
V6=[$VIP6]:$VIP_PORT
keys6="${SRC6[*]}"
tuples6="$(printf '%s/45000 ' "${SRC6[@]}")$(printf '%s/45001 ' "${SRC6[@]}")"
tuples6=${tuples6% }
for sched in sh maglev; do
	ask svc "$V6" tcp $sched 1 1 1
	if [[ $ANS != ok ]]; then
		tap_fail "IPv6 $sched: VIP and backends ($ANS)"
		continue
	fi
	if [[ $sched == sh ]]; then
		keys="$keys6 $(reverse "$keys6")" what="18 addresses (any port)"
	else
		keys="$tuples6 $(reverse "$tuples6")" what="36 tuples (18 addresses x 2 ports)"
	fi
	ask conn "$VIP6" $VIP_PORT "$keys"
	picks=$ANS
	same_per_key "IPv6 $sched: each of $what reached one backend, in two orders" \
		"$keys" "$picks"
	tap_is "IPv6 $sched: the flows spread over all 3 backends ($(tally "$picks"))" \
		"$(distinct "$picks")" 3
	ask be "$V6" tcp conns
	tap_is "IPv6 $sched: the backends counted what the clients saw" "$ANS" "$(tally "$picks")"
done
l4 vip del "$V6" proto tcp || tap_fail "IPv6: delete the VIP"

# ----------------------------------------- a scheduler change under traffic
section "scheduler change"
# Three transfers run while the VIP goes rr -> wrr -> sh -> maglev -> lc
# -> rr; new flows follow each, the transfers end intact.
if svc rr "3 2 1"; then
	ask stream chg "$VIP4" $VIP_PORT "$(specs 3 36)"
	tap_is "sched change: 3 transfers running, rr: one per backend" \
		"$ANS" "be1 be2 be3"
	l4 vip set "$V" proto tcp sched wrr || tap_fail "vip set sched wrr"
	ask vip "$V" tcp sched
	tap_is "sched change: the VIP shows wrr" "$ANS" wrr
	ask conn "$VIP4" $VIP_PORT "$(specs 6)"
	tap_is "sched change: rr -> wrr under traffic: 6 new connections 3/2/1 ($ANS)" \
		"$(tally "$ANS")" "be1=3 be2=2 be3=1"
	l4 vip set "$V" proto tcp sched sh || tap_fail "vip set sched sh"
	keys="$(specs 6) $(reverse "$(specs 6)")"
	ask conn "$VIP4" $VIP_PORT "$keys"
	same_per_key "sched change: -> sh: each address sticks to a backend" \
		"$keys" "$ANS"
	for s in maglev lc rr; do
		l4 vip set "$V" proto tcp sched $s || tap_fail "vip set sched $s"
	done
	ask conn "$VIP4" $VIP_PORT "$(specs 3)"
	tap_is "sched change: -> maglev -> lc -> rr: 3 new connections, one per backend ($ANS)" \
		"$(tally "$ANS")" "be1=1 be2=1 be3=1"
	ask stop chg
	tap_like "sched change: the 3 transfers completed intact ($ANS)" \
		"$ANS" "intact:* intact:* intact:*"
else
	tap_fail "sched change: VIP and backends"
fi

# ------------------------------------------------------------- no backend
section "no backend"
# Port 81: be1 drained, be2 down, be3 weight 0, TCP and UDP; IPv6 with a
# backend down. A flow gets a RST / port unreachable at once.
V81=$VIP4:81 V81_6=[$VIP6]:81
ok=1
for proto in tcp udp; do
	l4 vip add "$V81" proto $proto &&
		l4 backend add "$V81" "${BE[1]}" proto $proto state drain &&
		l4 backend add "$V81" "${BE[2]}" proto $proto state down &&
		l4 backend add "$V81" "${BE[3]}" proto $proto weight 0 &&
		l4 vip add "$V81_6" proto $proto &&
		l4 backend add "$V81_6" "[$BE6_1]:$BE_PORT" proto $proto state down || ok=0
done
tap_is "no backend: VIPs whose backends are drained, down, weight 0" $ok 1
ask stats rejects drops_no_backend
read -r rej0 nob0 <<<"$ANS"
res='' took=''
for host in "$VIP4" "$VIP6"; do
	for proto in tcp udp; do
		ask $proto "$host" 81 5
		res+="${ANS% *} " took+="${ANS##* } "
	done
done
tap_is "no backend: TCP connection refused (RST), UDP port unreachable, IPv4 and IPv6 (in ${took% })" \
	"$res" "refused refused refused refused "
ask stats rejects drops_no_backend
read -r rej1 nob1 <<<"$ANS"
tap_is "no backend: 4 rejects, 4 drops_no_backend counted" \
	"$((rej1 - rej0)) $((nob1 - nob0))" "4 4"

l4 vip set "$V81" proto tcp no-reject && l4 vip set "$V81" proto udp no-reject ||
	tap_fail "no backend: vip set no-reject"
ask tcp "$VIP4" 81 1.5
res=${ANS% *}
ask udp "$VIP4" 81 1
tap_is "no-reject: TCP connect and UDP query time out" "$res ${ANS% *}" "timeout timeout"
ask stats rejects drops_no_backend
read -r rej2 nob2 <<<"$ANS"
tap_check "no-reject: nothing sent back (rejects $rej1 -> $rej2), the drops counted (drops_no_backend $nob1 -> $nob2)" \
	test "$rej2" = "$rej1" -a "$nob2" -ge $((nob1 + 2))

echo quit >&"$AW"
wait "$AGENT_PID"
[[ -s $AGENT_DIR/err ]] && tap_diag "client errors:" "$(cat "$AGENT_DIR/err")"
rm -rf "$AGENT_DIR"
topo_teardown
l4lb_unload
tap_done
