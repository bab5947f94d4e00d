#!/bin/bash
# make bench, inside the VM (tests/bench/run boots it): l4lb against plain
# routing, IPVS and nftables, measured side by side in this one VM run.
#
# Every measurement is printed as one line
#     L4LB-BENCH {"system": ..., "metric": ..., "round": N, "value": V, ...}
# (round 0 is the warm-up, discarded by tests/bench/analyze.py, which turns
# the lines into build/bench/results.json, the table and the plot).
#
# Parameters (environment; tests/bench/run and t-bench-smoke.sh set them):
#   L4LB_BENCH_ROUNDS     measured rounds after the warm-up (default 5)
#   L4LB_BENCH_SECONDS    length of one rate measurement (default 3)
#   L4LB_BENCH_FLOWS      flows in the table for memory / flat cost (default
#                         1000000); L4LB_BENCH_FLOWS_SMALL the first point
#                         (default 100000)
#   L4LB_BENCH_NL_VIPS / L4LB_BENCH_NL_BACKENDS   control-plane sizes
#                         (default 1000 / 10000)
#   L4LB_BENCH_PHASES     any of "rates memory control" (default all), or
#                         "profile" (see phase_profile)
#   L4LB_BENCH_SYSTEMS    only these rows of SYSTEM_TABLE (default all; plain
#                         routing is always measured), e.g. "l4lb-dnat" for
#                         more rounds of one comparison
#   L4LB_BENCH_PPS_ONLY   1: the rates phase measures the 64-byte pps only
#   L4LB_BENCH_RPS        1 (default): while pktgen sends, the LB's receive
#                         work is steered (RPS) to the vCPU pktgen does not
#                         use, so the forwarding is what is measured, not
#                         the generator sharing its CPU (and for the setup
#                         rate the backends' on pktgen's: see be_rps); for
#                         conn/s the LB's on one vCPU, the client's and
#                         servers' on the other (lb_cpu_split); 0: every
#                         vCPU for all
#   L4LB_BENCH_CRR_CONC   connections in flight for conn/s (default 32)
#   L4LB_BENCH_FLAT_REPS  pps measurements with the table empty, filled, and
#                         empty again (default 3 each)
#   L4LB_BENCH_WARMUP     1: a warm-up round 0 first (default), 0: none
#   L4LB_BENCH_SMOKE      1: the smoke run (t-bench-smoke.sh), which proves
#                         every piece works and measures nothing: latency
#                         and iperf3 only through plain routing and l4lb
#                         DNAT (the other systems: pps and conn/s), iperf3
#                         for 1 MB, the memory phase on IPv4 only (IPv6 is
#                         the same code with other pktgen addresses and
#                         l4lb's conn6 cache), a mode the module refuses
#                         found by its set-up instead of a probe
#                         connection, no settling waits
#
# Topology: tests/integration/lib/netns.sh (client -- lb -- be1..3 on a
# bridge). The VIP (10.0.0.10, fd00::10) is an address of the LB (on lo),
# as keepalived sets it up for IPVS. Services: UDP 9 (pktgen), UDP
# 1000-1015 (table fill), TCP 80 (crr), TCP 5201 (iperf3, one backend:
# its control and data connections must meet the same server).
# Only one system is configured at a time; l4lb.ko is loaded only while
# l4lb is measured (its hooks are registered in every netns once loaded).
set -u
BENCH_DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=../integration/lib/l4lb.sh
. "$BENCH_DIR/../integration/lib/l4lb.sh"

ROUNDS=${L4LB_BENCH_ROUNDS:-5}
DUR=${L4LB_BENCH_SECONDS:-3}
FLOWS=${L4LB_BENCH_FLOWS:-1000000}
FLOWS_SMALL=${L4LB_BENCH_FLOWS_SMALL:-100000}
NL_VIPS=${L4LB_BENCH_NL_VIPS:-1000}
NL_BACKENDS=${L4LB_BENCH_NL_BACKENDS:-10000}
PHASES=${L4LB_BENCH_PHASES:-rates memory control}
CRR_CONC=${L4LB_BENCH_CRR_CONC:-32}
FLAT_REPS=${L4LB_BENCH_FLAT_REPS:-3}
WARMUP=${L4LB_BENCH_WARMUP:-1}
SMOKE=${L4LB_BENCH_SMOKE:-0}
ONLY_SYSTEMS=${L4LB_BENCH_SYSTEMS:-}
PPS_ONLY=${L4LB_BENCH_PPS_ONLY:-0}
RPS=${L4LB_BENCH_RPS:-1}
((RPS && $(nproc) > 1)) || RPS=0
# With RPS, the two vCPUs' roles: pktgen's thread (kpktgend_$GEN_CPU) and,
# for conn/s, the client and the servers on one, the LB's receive work on
# the other.
GEN_CPU=0
LB_CPU=1
GEN_MASK=$(printf '%x' $((1 << GEN_CPU)))
LB_MASK=$(printf '%x' $((1 << LB_CPU)))
LB_TASKSET=()       # what runs l4lb's configuration: see sys_up
((RPS)) && LB_TASKSET=(taskset -c "$LB_CPU")
FULL_SYSTEMS=       # every metric through these; empty: every system
FAMILIES="4 6"      # of the memory phase
SETTLE=0.5          # pktgen running before a pps window opens
SETUP_TIMEOUT=2     # setup_pps: the unreplied UDP flows' timeout (s) and
SETUP_SETTLE=4      # new flows before the window: the table at its size
PPS_MIN=100         # fewer packets in a pps window: measured once more
# Instruction counting (L4LB_VM_ICOUNT) charges the whole guest: a packet
# lost at a backend's veth spares the backend its receive work, and the
# window reads high (l4lb DNAT 51.0 k against 47.4 k in one run). There a
# window with losses is measured again, this many times at most.
LOSSY_RETRIES=0
[[ -n ${L4LB_VM_ICOUNT:-} ]] && LOSSY_RETRIES=4
DRAIN_MAX=15        # after setup_pps: at most this long (s) for the table
DRAIN_SLACK=1000    # to hold no more than this above its size before it
FLAT_SYSTEMS="l4lb-dnat ipvs-nat nft-dnat"   # the flat-cost measurement
if ((SMOKE)); then
	FULL_SYSTEMS="plain l4lb-dnat" FAMILIES=4 SETTLE=0 FLAT_SYSTEMS="l4lb-dnat ipvs-nat"
	SETUP_SETTLE=0 DRAIN_MAX=5
fi
FILL_PORTS=16          # VIP ports 1000-1015 for the table fill
W=$(mktemp -d)

log() { echo "# bench: $*" >&2; }
# emit SYSTEM METRIC ROUND VALUE [EXTRA-JSON-MEMBERS]
emit() {
	echo "L4LB-BENCH {\"system\": \"$1\", \"metric\": \"$2\", \"round\": $3, \"value\": $4${5:+, $5}}"
}

# ------------------------------------------------------------ the systems

# wanted SYSTEM : whether L4LB_BENCH_SYSTEMS (empty: all) lists it
wanted() { [[ -z $ONLY_SYSTEMS || " $ONLY_SYSTEMS " == *" $1 "* ]]; }
#
# One row per system: NAME, what it is compared with (its counterpart), the
# l4lb mode it needs (rows whose mode the module refuses are skipped and
# reported as "unavailable"). A new mode is one row here plus, for a new
# counterpart, its sys_up/sys_down case below.
SYSTEM_TABLE="
plain      -         -
ipvs-nat   -         -
nft-dnat   -         -
l4lb-dnat  ipvs-nat  dnat
nft-masq   -         -
l4lb-snat  nft-masq  snat
ipvs-dr    -         -
l4lb-dsr   ipvs-dr   dsr
"
BE4=("$BE4_1" "$BE4_2" "$BE4_3")
BE6=("$BE6_1" "$BE6_2" "$BE6_3")

# The TCP/UDP services of the rate phase (VIP port = backend port).
# l4lb_config MODE [FILL] : nlbulk.py input for the services.
l4lb_config() {
	local mode=$1 fill=${2:-0} b p
	echo "vip $VIP4 9 udp $mode"
	echo "vip $VIP4 80 tcp $mode"
	echo "vip $VIP4 5201 tcp $mode"
	echo "backend $VIP4 5201 tcp $BE4_1 5201"
	for b in "${BE4[@]}"; do
		echo "backend $VIP4 9 udp $b 9"
		echo "backend $VIP4 80 tcp $b 80"
	done
	if ((fill)); then
		for ((p = 1000; p < 1000 + FILL_PORTS; p++)); do
			echo "vip $VIP4 $p udp $mode"
			echo "vip $VIP6 $p udp $mode"
			for b in 0 1 2; do
				echo "backend $VIP4 $p udp ${BE4[b]} $p"
				echo "backend $VIP6 $p udp ${BE6[b]} $p"
			done
		done
	fi
}

ipvs_config() {
	local flag=$1 fill=${2:-0} b p
	echo "-A -u $VIP4:9 -s rr"
	echo "-A -t $VIP4:80 -s rr"
	echo "-A -t $VIP4:5201 -s rr"
	echo "-a -t $VIP4:5201 -r $BE4_1:5201 $flag"
	for b in "${BE4[@]}"; do
		echo "-a -u $VIP4:9 -r $b:9 $flag"
		echo "-a -t $VIP4:80 -r $b:80 $flag"
	done
	if ((fill)); then
		for ((p = 1000; p < 1000 + FILL_PORTS; p++)); do
			echo "-A -u $VIP4:$p -s rr"
			echo "-A -u [$VIP6]:$p -s rr"
			for b in 0 1 2; do
				echo "-a -u $VIP4:$p -r ${BE4[b]}:$p $flag"
				echo "-a -u [$VIP6]:$p -r [${BE6[b]}]:$p $flag"
			done
		done
	fi
}

# nftables DNAT: round robin over the backends (numgen inc), ports kept.
nft_config() {
	local masq=$1 last=$((1000 + FILL_PORTS - 1))
	cat <<-EOF
		table inet bench {
			chain pre {
				type nat hook prerouting priority dstnat;
				ip daddr $VIP4 tcp dport 5201 dnat ip to $BE4_1
				ip daddr $VIP4 meta l4proto { tcp, udp } th dport { 9, 80, 1000-$last } dnat ip to numgen inc mod 3 map { 0 : $BE4_1, 1 : $BE4_2, 2 : $BE4_3 }
				ip6 daddr $VIP6 udp dport 1000-$last dnat ip6 to numgen inc mod 3 map { 0 : $BE6_1, 1 : $BE6_2, 2 : $BE6_3 }
			}
			chain post {
				type nat hook postrouting priority srcnat;
				$( ((masq)) && echo "oifname \"$LB_IF_BE\" masquerade" )
			}
		}
	EOF
}

L4LB_PARAMS=(udp_timeout_unreplied=3600 conn_max=1048576 netns_conn_max=1048576
	netns_vip_max=4096 netns_backend_max=65536)

# sys_up NAME [FILL] / sys_down NAME
sys_up() {
	local name=$1 fill=${2:-0} out
	case $name in
	plain) ;;
	ipvs-nat | ipvs-dr)
		local flag=-m
		[[ $name == ipvs-dr ]] && flag=-g
		ipvs_config $flag "$fill" | ns_run lb ipvsadm -R || return 1
		ns_run lb ipvsadm --set 900 120 3600
		;;
	nft-dnat | nft-masq)
		local masq=0
		[[ $name == nft-masq ]] && masq=1
		nft_config $masq | ns_run lb nft -f - || return 1
		;;
	l4lb-*)
		l4lb_load "${L4LB_PARAMS[@]}" || return 1
		# Configured from the LB's vCPU: the first VIP queues l4lb's GC
		# work item where the request runs, and there it stays, as
		# IPVS's flow timers fire where they were armed: the expiry
		# work is charged to the LB's vCPU, and the same one every run.
		# (So on the bench's 6.1 guest: per-CPU power-efficient work
		# queue, timers kept by the busy CPU that armed them; from 6.9
		# timer migration may move an unbound delayed work item.)
		out=$(l4lb_config "${name#l4lb-}" "$fill" | ns_run lb "${LB_TASKSET[@]}" python3 "$BENCH_DIR/nlbulk.py") || {
			log "$name: configuration refused: $out"
			l4lb_unload
			return 2
		}
		;;
	*) return 1 ;;
	esac
}

sys_down() {
	case $1 in
	ipvs-*) ns_run lb ipvsadm -C ;;
	nft-*) ns_run lb nft delete table inet bench ;;
	l4lb-*) l4lb_unload ;;
	esac
}

# ------------------------------------------------------------ topology

bench_topology() {
	topo_setup || return 1
	ip -n lb addr add $VIP4/32 dev lo
	ip -n lb addr add $VIP6/128 dev lo
	# Sources of the table fill (10.0.5.0/24, fd00:5::/64) are on the
	# client's side; no reverse-path filter in the LB.
	ip -n lb route add 10.0.5.0/24 via "$CLIENT4"
	ip -n lb route add fd00:5::/64 via "$CLIENT6"
	ns_sysctl lb net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth-c.rp_filter=0 net.ipv4.vs.conntrack=0 2>/dev/null ||
		ns_sysctl lb net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.eth-c.rp_filter=0
	LB_MAC=$(ip -n lb -br link show eth-c | awk '{print $3}')
	local i
	BE_PIDS=()
	for i in 1 2 3; do
		# The pktgen traffic ends at the backends' door: counted (the
		# interface's rx counter) and dropped before IP.
		ns_run be$i nft -f - <<-EOF || return 1
			table netdev bench {
				chain in {
					type filter hook ingress device eth0 priority 0;
					udp dport { 9, 1000-1015 } drop
					ip6 nexthdr udp udp dport 1000-1015 drop
				}
			}
		EOF
		# IPVS-DR: the VIP on the backends' lo, never answered by ARP.
		ns_sysctl be$i net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
		ip -n be$i addr add $VIP4/32 dev lo
		nsenter --net=/run/netns/be$i -- "$CRR" server 80 1 &
		BE_PIDS+=("$!")
	done
	# a process in the LB's namespace, whose /proc/PID/net fwd_sample reads
	nsenter --net=/run/netns/lb -- sleep infinity &
	LB_PID=$!
	nsenter --net=/run/netns/be1 -- iperf3 -s -p 5201 >/dev/null 2>&1 &
	IPERF_PID=$!
	# The LB accepts DR replies from the VIP (its own address) and the
	# client's TIME_WAIT-free port ranges are set per system.
	ns_sysctl lb net.ipv4.conf.all.accept_local=1 net.ipv4.conf.br0.accept_local=1
	# The LB's neighbour entries stay reachable for an hour once resolved.
	# Forwarded packets never confirm them: with the default 30 s, each
	# went stale and through a 5 s delay state (every packet sent through
	# neigh_resolve_output(), its header built afresh) in about one
	# window in five, whichever system was being measured, which lowered
	# that reading by 1 % (an instruction-count run shows it).
	for i in eth-c br0; do
		ns_sysctl lb "net.ipv4.neigh.$i.base_reachable_time_ms=3600000" \
			"net.ipv6.neigh.$i.base_reachable_time_ms=3600000" || return 1
	done
	# The backends answer nothing in the pps windows: their bridge
	# ports' FDB entries could age out (300 s) and br0 flood each packet
	# to all three, counted three times at the backends (perhaps the one
	# round of a run that read 1.4-2.1 times the others; not proven).
	# Pinned (static), as a switch port to a server is.
	local mac
	for i in 1 2 3; do
		mac=$(ip -n be$i -br link show eth0 | awk '{print $3}')
		bridge -n lb fdb replace "$mac" dev veth-be$i master static || return 1
	done
	# every server listening: crr on port 80 (0x50) in each backend, iperf3
	# on 5201 (0x1451) in be1 (both on IPv6 sockets, dual stack)
	local n=0 l p
	for ((i = 0; i < 200; i++)); do
		n=0
		for p in "${BE_PIDS[@]}"; do
			while read -r l; do
				[[ $l =~ ^[0-9]+:\ [0-9A-F]+:(0050|1451)\ [0-9A-F:]+\ 0A ]] && n=$((n + 1))
			done <"/proc/$p/net/tcp6"
		done
		((n >= 4)) && return 0
		sleep 0.05
	done
	log "servers not listening: $n of 4 sockets"
	return 1
}

# dev_sum FIELD GLOB PID... : field FIELD (1: rx packets, 11: tx drops) of
# the interfaces named GLOB in each PID's /proc/PID/net/dev, summed in
# DEV_SUM, with the number of interfaces read in DEV_N (a file that cannot
# be read adds none). Read in the measuring windows: no process start.
dev_sum() {
	local field=$1 glob=$2 p l f
	shift 2
	DEV_SUM=0 DEV_N=0
	for p; do
		while read -r l; do
			# shellcheck disable=SC2053 # GLOB is a pattern
			if [[ $l == $glob:* ]]; then
				read -r -a f <<<"${l#*:}"
				DEV_SUM=$((DEV_SUM + f[field])) DEV_N=$((DEV_N + 1))
			fi
		done 2>/dev/null <"/proc/$p/net/dev"
	done
}

# rx packets of the backends' eth0, summed (read through their server
# processes' /proc/PID/net).
be_rx() { dev_sum 1 eth0 "${BE_PIDS[@]}"; echo "$DEV_SUM"; }

now() { echo "${EPOCHREALTIME/./}"; }   # microseconds

# pktgen on the client's eth0: pg_setup "CMD" ... (after rem_device_all);
# pg_run "CMD" ...: the same, then started in the same process (one process
# start less: until stopped, or count packets sent).
pg_setup() {
	GEN_CPU=$GEN_CPU ns_run client bash -c '
		pg=/proc/net/pktgen
		echo rem_device_all >"$pg/kpktgend_$GEN_CPU" || exit 1
		echo "add_device eth0" >"$pg/kpktgend_$GEN_CPU" || exit 1
		for c; do echo "$c" >$pg/eth0 || { echo "pktgen: $c refused" >&2; exit 1; }; done
		[[ $PG_START == 1 ]] && echo start >$pg/pgctrl
		exit 0
	' pg_setup "clone_skb 0" "pkt_size 60" "delay 0" "burst 1" "flag UDPCSUM" "dst_mac $LB_MAC" "$@"
}
pg_run() { PG_START=1 pg_setup "$@"; }
pg_start() { ns_run client bash -c 'echo start >/proc/net/pktgen/pgctrl'; }
pg_stop() { ns_run client bash -c 'echo stop >/proc/net/pktgen/pgctrl'; }

# pg_flows_start SYSTEM [new] : pktgen sending 1000 UDP flows (64-byte
# frames) to the system's target, in the background (PG_PID), until
# pg_stop. Returns once pktgen's start (a process, slow on a loaded
# machine) is seen at the backends: more than the odd ARP request.
# "new": every packet a new flow instead (source addresses 10.0.5.1-251 x
# ports 1024-65535, both stepped per packet: 16 million tuples before one
# repeats), for the LB-bound setup rate.
pg_flows_start() {
	local d1=$VIP4 d2=$VIP4 c0 i src=("src_min $CLIENT4" "src_max $CLIENT4")
	local sport=("udp_src_min 10000" "udp_src_max 11000")
	if [[ $1 == plain ]]; then d1=$BE4_1 d2=$BE4_3; fi
	if [[ ${2:-} == new ]]; then
		src=("src_min 10.0.5.1" "src_max 10.0.5.251")
		sport=("udp_src_min 1024" "udp_src_max 65535")
	fi
	c0=$(be_rx)
	pg_run "count 0" "dst_min $d1" "dst_max $d2" "${src[@]}" \
		"udp_dst_min 9" "udp_dst_max 9" "${sport[@]}" &
	PG_PID=$!
	for ((i = 0; i < 200; i++)); do
		(($(be_rx) > c0 + 50)) && break
		kill -0 $PG_PID 2>/dev/null || { wait $PG_PID; return 1; }
		sleep 0.05
	done
}

# rps_set NS MASK DEV... : the CPUs that do the receive work of the
# namespace's interfaces; fails if one refused.
rps_set() {
	local ns=$1 mask=$2
	shift 2
	# ip netns exec: the netns' own /sys (nsenter would show the VM's)
	# shellcheck disable=SC2016 # expanded by that sh, from its arguments
	ns_exec "$ns" sh -c 'm=$1; shift; for i; do
		echo "$m" >/sys/class/net/$i/queues/rx-0/rps_cpus || exit 1; done' rps_set "$mask" "$@"
}

# lb_rps MASK : the CPUs that do the receive work of the LB's client-side
# interface ($LB_MASK: the vCPU pktgen does not run on; 0: the CPU the
# packet arrived on, the default). See L4LB_BENCH_RPS.
lb_rps() {
	((RPS)) || return 0
	rps_set lb "$1" eth-c ||
		{ log "RPS: could not steer eth-c's receive work to CPUs $1"; return 1; }
}

# be_rps MASK : the CPUs that do the backends' receive work (0: the CPU
# the packet was sent on, the LB's). For the setup rate, the generator's
# vCPU ($GEN_MASK): there the LB's vCPU has the backlog of its receive
# work to itself. Sharing it, a packet the LB had forwarded was dropped at
# the veth whenever pktgen had refilled the backlog meanwhile: about half
# of the new flows the LB made in the setup window, a share that varied
# from round to round, so the rate understated the LB's work by a varying
# amount. The pps windows keep them on the LB's vCPU: there the generator
# (also busy with them) would set the rate, not the LB.
be_rps() {
	local ns rc=0
	((RPS)) || return 0
	for ns in be1 be2 be3; do
		rps_set "$ns" "$1" eth0 ||
			{ log "RPS: could not steer $ns's receive work to CPUs $1"; rc=1; }
	done
	return $rc
}

# fwd_sample : what the LB has forwarded so far, read in this shell (a
# process started for it would cost the LB's vCPU, or be recorded by perf):
# packets the backends received (FWD_C, as be_rx), packets the LB's veths to
# them dropped (FWD_L: the receive backlog full, see pps_count; read through
# a process in the LB's namespace, LB_PID), and the time (FWD_T, us). Says
# so if it cannot read all three veths (then counts what it read). FWD_F:
# what the veths sent or dropped beyond what br0 sent, from the same read
# of the LB's counters: a flood's extra copies (see bench_topology), and
# the backends' own broadcasts the bridge passes between them.
fwd_sample() {
	local l f ports=0 br=0 n=0
	dev_sum 1 eth0 "${BE_PIDS[@]}"
	FWD_C=$DEV_SUM FWD_T=${EPOCHREALTIME/./}
	FWD_L=0
	while read -r l; do
		read -r -a f <<<"${l#*:}"
		case $l in
		veth-be*:*) FWD_L=$((FWD_L + f[11])) ports=$((ports + f[9] + f[11])) n=$((n + 1)) ;;
		br0:*) br=${f[9]} ;;
		esac
	done 2>/dev/null <"/proc/$LB_PID/net/dev"
	FWD_F=$((ports - br))
	((n == 3)) || log "lost packets: read $n of the 3 veths to the backends"
}

# lb_cpu_split on|off : for conn/s, the LB namespace's receive work (both
# directions) on LB_CPU, the client's and the backends' and their crr
# processes (pinned; CPU_SPLIT tells crr_run) on GEN_CPU, as with an LB on
# its own machine: the client's and servers' stacks bound the rate, and
# what the LB adds shows where its vCPU cannot keep up. off: every packet
# where it arrived, every process anywhere; it undoes all it can, and
# fails if anything stayed.
CPU_SPLIT=0
lb_cpu_split() {
	local lb=0 other=0 cpus=0-$(($(nproc) - 1)) p rc=0
	((RPS)) || return 0
	[[ $1 == on ]] && lb=$LB_MASK other=$GEN_MASK cpus=$GEN_CPU
	CPU_SPLIT=0
	rps_set lb "$lb" eth-c veth-be1 veth-be2 veth-be3 || rc=1
	rps_set client "$other" eth0 || rc=1
	be_rps "$other" || rc=1
	for p in "${BE_PIDS[@]}"; do
		taskset -p -c "$cpus" "$p" >/dev/null || rc=1
	done
	if ((rc)); then
		log "lb_cpu_split $1: could not steer every interface or server"
		return 1
	fi
	[[ $1 == on ]] && CPU_SPLIT=1
	return 0
}

# pg_window SYSTEM MODE SETTLE CMD... : pg_flows_start SYSTEM MODE, then
# CMD in this shell (it can set the caller's variables) SETTLE seconds
# after the packets arrive, then pktgen stopped. Fails only if pktgen did
# not start (nothing left to stop): the caller cleans up as it needs.
pg_window() {
	pg_flows_start "$1" "$2" || return 1
	sleep "$3"
	shift 3
	"$@"
	pg_stop
	wait "$PG_PID"
	return 0
}

# wq_on_lb on|off : unbound work items (the VM's, not a namespace's) on
# the LB's vCPU only, or back where they may run. l4lb frees expired flows
# from one (after a grace period); on the generator's vCPU, which has time
# to spare, that work would cost the LB nothing, while IPVS frees its
# flows on the LB's vCPU (RCU callbacks of its timers).
WQ_MASK=/sys/devices/virtual/workqueue/cpumask
WQ_MASK_ALL=$(cat "$WQ_MASK" 2>/dev/null)
wq_on_lb() {
	((RPS)) || return 0
	if [[ $1 == on ]]; then echo "$LB_MASK" >"$WQ_MASK"; else echo "$WQ_MASK_ALL" >"$WQ_MASK"; fi ||
		{ log "could not set the unbound work items' CPUs ($1)"; return 1; }
}

# pps_count : the backends' packets, those lost on the way to them, and
# the time DUR takes, into the caller's c0 c1 l0 l1 t0 t1 (and the ports'
# extra frames, f0 f1: see fwd_sample; pps_run's locals). Lost: the
# backends' receive work is done on the CPU that sent the packet, and
# shares its backlog (netdev_max_backlog) with what RPS queues there:
# while pktgen outruns the LB, a packet the LB has forwarded
# finds it full now and then, the more often the longer the LB takes per
# packet (in one run: plain routing lost 3 % of what it forwarded, l4lb
# DNAT 11 %, IPVS-NAT 23 %). The LB did forward them, as it would to
# backends of their own: they count.
pps_count() {
	fwd_sample
	c0=$FWD_C l0=$FWD_L t0=$FWD_T f0=$FWD_F
	tbprof_mark
	sleep "$DUR"
	tbprof_mark
	fwd_sample
	c1=$FWD_C l1=$FWD_L t1=$FWD_T f1=$FWD_F
	tbprof_window $((c1 - c0 + l1 - l0))
}

# The exact profile (L4LB_BENCH_TBPROF=1, tests/bench/tbprof/): QEMU's
# plugin counts the blocks the guest runs and writes them out at each run
# of TBPROF_MARK (tests/bench/run builds both), at a pps window's start
# and end. After the window: the symbols that name the blocks (the
# kernel's once, the modules' each time: l4lb.ko is loaded afresh for each
# system) and the window's packets, for report.py. On stderr: pps_count
# runs where stdout is read.
TBPROF_MARK=${L4LB_BENCH_TBPROF_MARK:-}
tbprof_mark() { [[ -z $TBPROF_MARK ]] || "$TBPROF_MARK"; }
tbprof_window() {
	[[ -n $TBPROF_MARK ]] || return 0
	if [[ ! -e $W/tbprof-kernel ]]; then
		: >"$W/tbprof-kernel"
		awk '$2 ~ /^[tT]$/ && NF == 3 { print "L4LB-TBPROF sym " $0 }' /proc/kallsyms >&2
	fi
	awk '$2 ~ /^[tT]$/ && NF == 4 { print "L4LB-TBPROF sym " $0 }' /proc/kallsyms >&2
	echo "L4LB-TBPROF window $1" >&2
}

# pps_run SYSTEM [new]: forwarded pps of 1000 UDP flows (64-byte frames)
# to the system's target (new: of new flows, see pg_flows_start), counted
# at the backends (see pps_count); prints the rate, the packets that
# reached the backends, those lost on the way, and the bridge ports'
# extra frames (fwd_sample's FWD_F). The window opens SETTLE (new:
# SETUP_SETTLE) after pktgen's packets arrive.
pps_run() {
	local c0 c1 l0 l1 t0 t1 f0 f1 settle=$SETTLE new=0
	[[ ${2:-} == new ]] && settle=$SETUP_SETTLE new=1
	lb_rps "$LB_MASK" || return 1
	if ((new)); then be_rps "$GEN_MASK" || { lb_rps 0; be_rps 0; return 1; }; fi
	pg_window "$1" "${2:-}" "$settle" pps_count ||
		{ lb_rps 0; ((!new)) || be_rps 0; return 1; }
	lb_rps 0
	if ((new)); then be_rps 0 || return 1; fi
	awk -v c="$((c1 - c0))" -v l="$((l1 - l0))" -v t="$((t1 - t0))" -v f="$((f1 - f0))" \
		'BEGIN { printf "%.1f %d %d %d\n", (c + l) * 1e6 / t, c, l, f }'
}

# pps SYSTEM METRIC ROUND : pps_run, emitted with the packets counted. A
# window in which nothing arrived is measured once more (a starved machine
# can miss one), marked "retried"; so is, in the instruction-count run, one
# with packets lost at the backends (LOSSY_RETRIES).
pps() {
	local out v n lost flooded retried=0 rc=0 tries=0
	# Here, not in pps_run's subshell, whose exit would not stop the run.
	if [[ ${4:-} == new ]]; then wq_on_lb on || return 1; fi
	out=$(pps_run "$1" "${4:-}") || rc=1
	read -r v n lost flooded <<<"$out"
	# A broken system still lets the odd ARP request through to the
	# backends' counters, a working one thousands of packets.
	if ((!rc && n < PPS_MIN)); then
		log "$1 $2: $n packets in the window; once more"
		out=$(pps_run "$1" "${4:-}") || rc=1
		read -r v n lost flooded <<<"$out"
		retried=1
	fi
	while ((!rc && lost > 0 && tries < LOSSY_RETRIES)); do
		log "$1 $2: $lost packets lost at the backends (instruction counting); once more"
		out=$(pps_run "$1" "${4:-}") || rc=1
		read -r v n lost flooded <<<"$out"
		retried=1 tries=$((tries + 1))
	done
	if [[ ${4:-} == new ]]; then wq_on_lb off || exit 1; fi
	((rc)) && return 1
	# Copies br0 flooded to every backend would count as forwarded, two
	# more per packet (the FDB is pinned: see bench_topology). Recorded;
	# other frames on the ports add up to a few thousand a window.
	((flooded > n / 2)) && log "$1 $2: the bridge ports sent $flooded frames more than br0 (a flood?)"
	emit "$1" "$2" "$3" "$v" "\"delivered\": $n, \"lost_at_backends\": ${lost:-0}, \"retried\": $retried, \"flooded\": ${flooded:-0}"
}

# drain SYSTEM ROUND BASE : after the setup window, wait until the flow
# table holds no more than BASE + DRAIN_SLACK flows again (at most
# DRAIN_MAX s), emitted as drain_s (to one poll, about a second: each
# count starts a tool), with the flows still left and whether the limit
# cut the wait short. IPVS's flows leave on their own timers as they
# expire; l4lb's GC walk reaps the rest a pass a second once no new flow
# reaps ahead of it, and conntrack's lags a flood further. The rows
# measured next see a table at rest, but for one the limit cut short
# (BASE empty: a system without a table).
drain() {
	local sys=$1 r=$2 base=$3 t0 t1 n
	[[ -n $base ]] || return 0
	[[ $base =~ ^[0-9]+$ ]] || { log "$sys: no flow count before the window"; return 0; }
	t0=$(date +%s%N)
	while :; do
		t1=$(date +%s%N)
		n=$(table_count "$sys")
		[[ $n =~ ^[0-9]+$ ]] || { log "$sys: no flow count"; return 0; }
		((n <= base + DRAIN_SLACK || t1 - t0 >= DRAIN_MAX * 1000000000)) && break
		sleep 0.5
	done
	emit "$sys" drain_s "$r" "$(awk -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", t / 1e9 }')" \
		"\"flows_left\": $((n > base ? n - base : 0)), \"at_limit\": $((n > base + DRAIN_SLACK))"
}

# crr_run TARGET ARGS... : crr client's JSON line; a run that completed no
# connection (crr waits 5 s more for one) is run once more.
crr_run() {
	local out cpu=()
	# the client on the vCPU the servers are on (lb_cpu_split)
	((CPU_SPLIT)) && cpu=(taskset -c "$GEN_CPU")
	out=$(ns_run client "${cpu[@]}" "$CRR" client "$1" 80 "${@:2}")
	if [[ $(_json_get conns <<<"$out") == 0 ]]; then
		log "crr $*: no connection completed; once more"
		out=$(ns_run client "${cpu[@]}" "$CRR" client "$1" 80 "${@:2}")
	fi
	echo "$out"
}

# Client port ranges, one per system: TIME_WAIT sockets of one system never
# meet the next one's connections.
port_range() {
	local i=0 row
	while read -r row _; do
		[[ -n $row ]] || continue
		[[ $row == "$1" ]] && break
		i=$((i + 1))
	done <<<"$SYSTEM_TABLE"
	ns_sysctl client "net.ipv4.ip_local_port_range=$((10000 + i * 6000)) $((15999 + i * 6000))"
}

# plain routing: the client spreads its connections over the three backends
# itself, as the load balancers do
target_of() { if [[ $1 == plain ]]; then echo "$BE4_1,$BE4_2,$BE4_3"; else echo "$VIP4"; fi; }

# measure SYSTEM ROUND: every rate metric of one system, in one round
# (the smoke run: pps and conn/s only, but for FULL_SYSTEMS).
measure() {
	local sys=$1 r=$2 v out tgt len i base
	tgt=$(target_of "$sys")
	pps "$sys" udp_pps "$r"
	# LB-bound new-flow setup rate: with RPS the generator outruns the
	# LB, whose vCPU creates flows as fast as it can (plain routing: the
	# same packets routed, the rate a flow table is measured against).
	# At a steady table: the flows expire as fast as they come (after
	# SETUP_TIMEOUT), so what a table costs while it grows from empty
	# (l4lb's rhashtable doubles; IPVS's and conntrack's are fixed) is
	# left out, and what it costs to expire flows is in (l4lb's new flows
	# reap expired ones; what a GC walk leaves to after the window: see
	# drain).
	if setup_timeout "$sys" "$SETUP_TIMEOUT"; then
		base=$(table_count "$sys")
		pps "$sys" setup_pps "$r" new
		# no row follows in a pps-only run (the next system's set-up
		# starts from fresh tables)
		((PPS_ONLY)) || drain "$sys" "$r" "$base"
	else
		log "$sys: setup_pps not measured: its UDP timeout could not be set"
	fi
	((PPS_ONLY)) && return 0
	port_range "$sys"
	if lb_cpu_split on; then
		out=$(crr_run "$tgt" -c "$CRR_CONC" -d "$DUR")
		v=$(_json_get rate <<<"$out")
		emit "$sys" tcp_conn_rate "$r" "$v" "\"errors\": $(_json_get errors <<<"$out"), \"conns\": $(_json_get conns <<<"$out")"
	else
		log "$sys: conn/s not measured"
	fi
	lb_cpu_split off || exit 1
	[[ -z $FULL_SYSTEMS || " $FULL_SYSTEMS " == *" $sys "* ]] || return 0
	out=$(crr_run "$tgt" -c 1 -d "$DUR")
	emit "$sys" latency_p50_us "$r" "$(_json_get p50_us <<<"$out")" "\"conns\": $(_json_get conns <<<"$out")"
	emit "$sys" latency_p99_us "$r" "$(_json_get p99_us <<<"$out")" "\"conns\": $(_json_get conns <<<"$out")"
	len=(-t "$(((${DUR%.*} + 0) > 0 ? ${DUR%.*} : 1))")
	((SMOKE)) && len=(-n 1M)
	for i in 1 2; do
		v=$(ns_run client iperf3 -c "${tgt%%,*}" -p 5201 "${len[@]}" -f k 2>/dev/null |
			awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Kbits/sec") v = $i * 1000 } END { if (v) print v }')
		[[ -n $v ]] && break
		log "$sys: iperf3 gave no figure (try $i of 2)"
	done
	[[ -n $v ]] && emit "$sys" tcp_bulk_bps "$r" "$v"
}

# _json_get KEY < ONE-LINE-JSON : a number member (no process start: each
# costs ~0.3 s under emulation)
_json_get() {
	local l
	read -r l
	if [[ $l =~ \"$1\":\ *([-0-9.e+]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# ------------------------------------------------------------ phase: rates

# works SYSTEM : set it up and see one TCP connection through it (once
# per system); WHY says why not: "mode refused" when the module refused
# the configuration.
declare -A WORKS=()
works() {
	local out rc
	if [[ -z ${WORKS[$1]:-} ]]; then
		sys_up "$1" 2>/dev/null
		rc=$?
		if ((rc == 0)); then
			out=$(ns_run client "$CRR" client "$VIP4" 80 -c 1 -d 0.1)
			sys_down "$1"
			if [[ $(_json_get conns <<<"$out") -gt 0 ]]; then
				WORKS[$1]=ok
			else
				WORKS[$1]="no connection through $1"
			fi
		elif ((rc == 2)); then
			WORKS[$1]="mode refused"
		else
			WORKS[$1]="$1 set-up failed"
		fi
	fi
	WHY=${WORKS[$1]}
	[[ $WHY == ok ]]
}

phase_rates() {
	local systems=() row mode r i n sys need
	while read -r row _ mode; do
		[[ -n $row ]] || continue
		# plain routing always: every ratio is to it
		[[ $row == plain ]] || wanted "$row" || continue
		# Rows of an l4lb mode other than DNAT, and their counterparts,
		# are measured when that mode carries a connection in this module.
		need=$mode
		[[ $mode == - ]] && need=$(awk -v c="$row" '$2 == c { print $3 }' <<<"$SYSTEM_TABLE")
		# The smoke run sees a refused mode at its set-up (below).
		if [[ -n $need && $need != dnat ]] && ((!SMOKE)); then
			if ! works "l4lb-$need" || { [[ $row != l4lb-* ]] && ! works "$row"; }; then
				log "$row: not measured (l4lb mode $need, or $row, does not carry a connection here: $WHY)"
				emit "$row" unavailable 0 0 "\"why\": \"$WHY\""
				continue
			fi
		fi
		systems+=("$row")
	done <<<"$SYSTEM_TABLE"
	log "systems: ${systems[*]}"
	n=${#systems[@]}
	for ((r = 1 - WARMUP; r <= ROUNDS; r++)); do
		log "round $r of $ROUNDS (0 = warm-up)"
		for ((i = 0; i < n; i++)); do
			sys=${systems[(i + r + n) % n]}
			sys_up "$sys"
			case $? in
			0) ;;
			2) log "$sys: not measured: the module refused the mode"
				emit "$sys" unavailable 0 0 '"why": "mode refused"'
				continue ;;
			*) log "$sys: set-up failed"
				continue ;;
			esac
			measure "$sys" "$r"
			sys_down "$sys"
			# the new flows of setup_pps gone before the next system
			# (l4lb's go with the module)
			fresh_tables "$sys"
		done
	done
}

# ------------------------------------------------------------ phase: memory

slab_bytes() {    # CACHE : bytes of its slabs, objects, object size
	awk -v c="$1" -v pg="$(getconf PAGESIZE)" '$1 == c {
		printf "%d %d %d\n", $3 / $5 * $6 * pg, $2, $4; f = 1 }
		END { if (!f) print "0 0 0" }' /proc/slabinfo
}
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

# table_count SYSTEM : flows in its table
table_count() {
	case $1 in
	l4lb-*) l4stats_conns ;;
	ipvs-*) slab_bytes ip_vs_conn | awk '{print $2}' ;;
	nft-*) ns_run lb cat /proc/sys/net/netfilter/nf_conntrack_count ;;
	esac
}
l4stats_conns() { ns_run lb "$L4CTL" -j stats | python3 -c 'import json,sys
d = json.load(sys.stdin)
def f(x, k):
    if isinstance(x, dict):
        if k in x: return x[k]
        x = list(x.values())
    if isinstance(x, list):
        for v in x:
            r = f(v, k)
            if r is not None: return r
print(*(f(d, k) for k in sys.argv[1:]))' "${@:-conns}"; }

# buckets SYSTEM : hash buckets of its flow table (8 bytes each)
buckets() {
	case $1 in
	l4lb-*) l4stats_conns buckets ;;
	ipvs-*) ns_run lb cat /proc/net/ip_vs | sed -n 's/.*size=\([0-9]*\).*/\1/p' ;;
	nft-*) cat /proc/sys/net/netfilter/nf_conntrack_buckets ;;
	esac
}
cache_of() {
	case $1 in
	l4lb-*) if [[ $2 == 4 ]]; then echo l4lb_conn4; else echo l4lb_conn6; fi ;;
	ipvs-*) echo ip_vs_conn ;;
	nft-*) echo nf_conntrack ;;
	esac
}

# fill_setup SYSTEM FAMILY STEP N : pktgen set to send N new UDP flows
# (source ports x the 16 VIP ports, an odd number of source ports so the
# pairs never repeat), from source address 10.0.5.STEP / fd00:5::STEP.
fill_setup() {
	local fam=$2 step=$3 n=$4 p src dst
	p=$(((n + FILL_PORTS - 1) / FILL_PORTS))
	((p % 2)) || p=$((p + 1))
	((p <= 64000)) || { log "fill: $n flows is more than 16 x 64000"; return 1; }
	if [[ $fam == 4 ]]; then
		src=("src_min 10.0.5.$step" "src_max 10.0.5.$step")
		dst=("dst_min $VIP4" "dst_max $VIP4")
	else
		src=("src6 fd00:5::$step")
		dst=("dst6 $VIP6")
	fi
	pg_setup "count $n" "${dst[@]}" "${src[@]}" "udp_dst_min 1000" \
		"udp_dst_max $((1000 + FILL_PORTS))" "udp_src_min 1024" "udp_src_max $((1024 + p))"
}

# fill SYSTEM FAMILY STEP N : the N new flows of fill_setup sent; emits the
# setup rate.
fill() {
	local sys=$1 fam=$2 step=$3 n=$4 t0 t1 c0 c1
	fill_setup "$@" || return 1
	c0=$(be_rx) t0=$(now)
	pg_start
	c1=$(be_rx) t1=$(now)
	if (((c1 - c0) < n)); then
		log "$sys IPv$fam fill: only $((c1 - c0)) of $n packets reached the backends"
		[[ $sys == l4lb-* ]] && ns_run lb "$L4CTL" stats >&2
	fi
	# delivered new flows per second while the table fills
	emit "$sys" "setup_rate_v$fam" "$step" "$(awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.1f", c * 1e6 / t }')" \
		"\"sent\": $n, \"delivered\": $((c1 - c0))"
}

# mem_point SYSTEM FAMILY BASE_SLAB_KB : per-flow memory now
mem_point() {
	local sys=$1 fam=$2 cnt cache bytes objs osize b slab
	sleep 0.3
	if [[ $sys == l4lb-* ]]; then   # one l4ctl and one python for both
		read -r cnt b <<<"$(l4stats_conns conns buckets)"
	else
		cnt=$(table_count "$sys")
		b=$(buckets "$sys")
	fi
	cache=$(cache_of "$sys" "$fam")
	read -r bytes objs osize <<<"$(slab_bytes "$cache")"
	slab=$(meminfo_kb Slab)
	if ((cnt - BASE_CNT <= 0)); then
		log "$sys IPv$fam: no flow was added to the table"
		emit "$sys" "mem_v$fam" 0 0 "\"flows\": $cnt, \"flows_added\": 0"
		return
	fi
	# per flow: the cache's (and all slab's) growth over the flows added
	# since mem_base, plus the bucket array's share of every flow in it
	emit "$sys" "mem_v$fam" "$((cnt - BASE_CNT))" "$(awk -v s="$((bytes - BASE_BYTES))" -v n="$((cnt - BASE_CNT))" -v b="$b" -v t="$cnt" 'BEGIN { printf "%.1f", s / n + b * 8 / t }')" \
		"\"flows\": $cnt, \"flows_added\": $((cnt - BASE_CNT)), \"cache\": \"$cache\", \"object_size\": $osize, \"objects\": $objs, \"slab_per_flow\": $(awk -v s="$((bytes - BASE_BYTES))" -v n="$((cnt - BASE_CNT))" 'BEGIN { printf "%.1f", s / n }'), \"buckets\": $b, \"bucket_per_flow\": $(awk -v b="$b" -v n="$cnt" 'BEGIN { printf "%.1f", b * 8 / n }'), \"meminfo_slab_per_flow\": $(awk -v a="$slab" -v z="$BASE_SLAB" -v n="$((cnt - BASE_CNT))" 'BEGIN { printf "%.1f", (a - z) * 1024 / n }')"
}
# mem_base SYSTEM FAMILY : what mem_point measures from
mem_base() {
	BASE_CNT=$(table_count "$1")
	read -r BASE_BYTES _ <<<"$(slab_bytes "$(cache_of "$1" "$2")")"
	BASE_SLAB=$(meminfo_kb Slab)
}

# conn_dump SYSTEM : list every flow of the full table once, timed
# (issue 12 item 4): l4ctl's netlink dump against IPVS's /proc listing, each
# cut after DUMP_TIMEOUT seconds (IPVS's listing starts again from the top
# of the table at each read: a million entries take it hours); a cut one is
# reported with the flows it listed and "complete": false.
DUMP_TIMEOUT=${L4LB_BENCH_DUMP_TIMEOUT:-300}
conn_dump() {
	local t0 t1 n rc
	case $1 in
	l4lb-*) t0=$(now)
		n=$(ns_run lb timeout "$DUMP_TIMEOUT" "$L4CTL" conn list | wc -l; exit "${PIPESTATUS[0]}")
		rc=$? t1=$(now) ;;
	ipvs-*) t0=$(now)
		n=$(ns_run lb timeout "$DUMP_TIMEOUT" ipvsadm -Lcn | grep -c '^UDP'; exit "${PIPESTATUS[0]}")
		rc=$? t1=$(now) ;;
	*) return 0 ;;
	esac
	local complete=true
	((rc == 124)) && complete=false
	emit "$1" conn_dump 1 "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')" \
		"\"count\": $n, \"complete\": $complete"
}

# setup_timeout SYSTEM SECONDS : the timeout of the LB's unreplied UDP flows
setup_timeout() {
	case $1 in
	ipvs-*) ns_run lb ipvsadm --set 900 120 "$2" ;;
	nft-*) ns_sysctl lb "net.netfilter.nf_conntrack_udp_timeout=$2" ;;
	l4lb-*) ns_run lb "$L4CTL" timeouts set udp-unreplied "$2" ;;
	esac
}

# fresh_tables SYSTEM : the system's flow table empty, as at boot: IPVS and
# conntrack by module reload, l4lb by its own (sys_down unloads it). While
# IPVS holds nf_conntrack (the rates phase), conntrack's table is resized
# and flushed in place. Also between the IPVS rows: IPVS gives a re-added
# service its old backends back with their flows, which would go on in
# the mode they were made in (IPVS-NAT's flows through IPVS-DR).
fresh_tables() {
	case $1 in
	ipvs-*) modprobe -r ip_vs_rr ip_vs 2>/dev/null; modprobe ip_vs conn_tab_bits=20 ;;
	nft-*) modprobe -r nft_chain_nat nf_conntrack_netlink nf_nat nf_conntrack 2>/dev/null
		modprobe nf_conntrack hashsize=262144
		echo 262144 >/sys/module/nf_conntrack/parameters/hashsize
		echo $((FLOWS * 2 + 100000)) >/proc/sys/net/netfilter/nf_conntrack_max
		ns_sysctl lb net.netfilter.nf_conntrack_udp_timeout=3600
		(($(ns_run lb cat /proc/sys/net/netfilter/nf_conntrack_count) == 0)) || ct_flush ;;
	esac
}

# ct_flush : the LB's conntrack table emptied (ctnetlink's flush, as
# "conntrack -F": IPCTNL_MSG_CT_DELETE without a tuple)
ct_flush() {
	modprobe nf_conntrack_netlink || return 1
	ns_run lb python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
# nlmsghdr: len, type (CTNETLINK << 8 | CT_DELETE), REQUEST | ACK, seq, pid;
# nfgenmsg: any family, version 0, res_id 0
s.send(struct.pack("=LHHLLBBH", 20, 1 << 8 | 2, 1 | 4, 1, 0, 0, 0, 0))
err = struct.unpack_from("=i", s.recv(4096), 16)[0]
sys.exit("conntrack flush: error %d" % err if err else 0)
' || { log "conntrack flush failed"; return 1; }
}

# flat_pps SYSTEM METRIC FIRST-ROUND : FLAT_REPS pps readings of the 1000
# active flows
flat_pps() {
	local r
	for ((r = 0; r < FLAT_REPS; r++)); do
		pps "$1" "$2" $(($3 + r))
	done
}

phase_memory() {
	local sys fam flat
	for sys in l4lb-dnat ipvs-nat nft-dnat; do
		wanted "$sys" || continue
		for fam in $FAMILIES; do
			log "memory: $sys IPv$fam: $FLOWS_SMALL then $FLOWS flows"
			flat=0
			[[ $fam == 4 && " $FLAT_SYSTEMS " == *" $sys "* ]] && flat=1
			fresh_tables "$sys"
			sys_up "$sys" 1 || { log "$sys: set-up failed"; continue; }
			[[ $sys == nft-* ]] && ns_sysctl lb net.netfilter.nf_conntrack_udp_timeout=3600
			# flat cost: 1000 active flows, the table otherwise empty
			((flat)) && flat_pps "$sys" pps_1k_flows 1
			sleep 0.3
			mem_base "$sys" "$fam"
			fill "$sys" "$fam" 1 "$FLOWS_SMALL"
			mem_point "$sys" "$fam"
			fill "$sys" "$fam" 2 $((FLOWS - FLOWS_SMALL))
			mem_point "$sys" "$fam"
			[[ $fam == 4 ]] && conn_dump "$sys"
			((flat)) && flat_pps "$sys" pps_1k_flows_full 1
			sys_down "$sys"
			# ... and with the table empty again after it (A B A), so
			# that the host's load drifting during the fill moves both
			# sides of the ratio alike
			if ((flat)); then
				fresh_tables "$sys"
				if sys_up "$sys" 1; then
					flat_pps "$sys" pps_1k_flows $((FLAT_REPS + 1))
					sys_down "$sys"
				fi
			fi
		done
	done
	modprobe -r ip_vs_rr ip_vs 2>/dev/null
}

# ------------------------------------------------------------ phase: profile

# Where the CPU time goes (issue 12 item 6), not part of the default run:
# L4LB_BENCH_PHASES=profile. perf's cpu-clock samples on every CPU (no
# hardware counters under TCG) while pktgen sends, for each system of
# PROFILE_SYSTEMS: "pps", its 1000 flows (the table warm), and, but for
# plain routing, "setup", every packet a new flow (as setup_pps). Both with
# the LB's receive work on the vCPU pktgen does not use. Printed as
#     L4LB-PERF SYSTEM WHAT [by module]: <a line of perf report>
# (tests/bench/run writes them to build/bench/perf.txt).
PROFILE_SYSTEMS=${L4LB_BENCH_PROFILE_SYSTEMS:-plain ipvs-nat l4lb-dnat}
PROFILE_LINES=${L4LB_BENCH_PROFILE_LINES:-45}
PERF_RATE=0
perf_report() {     # SYSTEM WHAT : the last recording, by module and by symbol
	echo "L4LB-PERF $1 $2 rate: $PERF_RATE packets/s while recorded"
	perf report -q -i "$W/perf.data" --no-children --sort dso --stdio 2>/dev/null |
		grep -v '^$' | head -n 8 | sed "s/^/L4LB-PERF $1 $2 by module: /"
	perf report -q -i "$W/perf.data" --no-children --sort sym --stdio 2>/dev/null |
		grep -v '^$' | head -n "$PROFILE_LINES" | sed "s/^/L4LB-PERF $1 $2: /"
	# The LB's vCPU alone (RPS sends its receive work there): the
	# generator's share of the whole hides what the LB itself costs.
	((RPS)) || return 0
	perf report -q -i "$W/perf.data" --cpu "$LB_CPU" --no-children --sort sym --stdio 2>/dev/null |
		grep -v '^$' | head -n "$PROFILE_LINES" | sed "s/^/L4LB-PERF $1 $2 on the LB's vCPU: /"
}
perf_rec() {        # CMD... : recorded system-wide while CMD runs
	perf record -q -a -e cpu-clock -F 1999 -o "$W/perf.data" -- "$@" >/dev/null 2>&1
}
# perf_window : perf_rec for DUR seconds, and the rate forwarded meanwhile
# (at the backends plus lost on the way, as pps_count) in PERF_RATE,
# counted over the first 80 % of the recording: from when perf starts its
# workload (it records by then) on, by fwd_sample (nothing started in the
# window that perf would record too). A share of the LB's vCPU divided by
# the rate is a time per packet; perf's own cost under TCG moves the rate
# by more than the systems differ (README), so compare shares within a run.
perf_window() {
	local c0 c1 l0 l1 t0 t1 pid i go=$W/perf-go span
	span=$(awk -v d="$DUR" 'BEGIN { print d * 0.8 }')
	rm -f "$go"
	perf_rec sh -c ': >"$1"; exec sleep "$2"' perf-window "$go" "$DUR" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		[[ -e $go ]] && break
		sleep 0.05
	done
	fwd_sample
	c0=$FWD_C l0=$FWD_L t0=$FWD_T
	sleep "$span"
	fwd_sample
	c1=$FWD_C l1=$FWD_L t1=$FWD_T
	wait "$pid"
	[[ -e $go ]] || log "perf did not start its workload"
	PERF_RATE=$(((c1 - c0 + l1 - l0) * 1000000 / (t1 - t0)))
}
phase_profile() {
	local sys
	command -v perf >/dev/null || { log "profile: no perf (linux-perf)"; return 1; }
	for sys in $PROFILE_SYSTEMS; do
		wanted "$sys" || continue
		log "profile: $sys"
		sys_up "$sys" 1 || { log "$sys: set-up failed"; continue; }
		lb_rps "$LB_MASK" || { sys_down "$sys"; continue; }
		pg_window "$sys" "" 1 perf_window ||
			{ log "$sys: pktgen did not start"; lb_rps 0; sys_down "$sys"; continue; }
		lb_rps 0
		perf_report "$sys" pps
		if [[ $sys != plain ]]; then
			# every packet a new flow, the LB on its own vCPU, the
			# table steady (as setup_pps)
			setup_timeout "$sys" "$SETUP_TIMEOUT"
			lb_rps "$LB_MASK" || { sys_down "$sys"; continue; }
			be_rps "$GEN_MASK" || { lb_rps 0; be_rps 0; sys_down "$sys"; continue; }
			wq_on_lb on || { lb_rps 0; be_rps 0; sys_down "$sys"; continue; }
			pg_window "$sys" new "$SETUP_SETTLE" perf_window ||
				{ wq_on_lb off || exit 1; lb_rps 0; be_rps 0; sys_down "$sys"; continue; }
			wq_on_lb off || exit 1
			lb_rps 0
			be_rps 0 || exit 1
			perf_report "$sys" setup
		fi
		sys_down "$sys"
		fresh_tables "$sys"
	done
}

# ------------------------------------------------------------ phase: control

phase_control() {
	local i v b out t0 t1 n_per=$(((NL_BACKENDS + NL_VIPS - 1) / NL_VIPS))
	log "control: $NL_VIPS VIPs, $NL_BACKENDS backends"
	l4lb_load "${L4LB_PARAMS[@]}" || return 1
	# VIPs 10.20.x.y:80, backends 10.21.x.y:80 (never contacted)
	out=$(python3 - "$NL_VIPS" "$NL_BACKENDS" "$n_per" <<-'EOF' | ns_run lb python3 "$BENCH_DIR/nlbulk.py"
		import sys
		nv, nb, per = map(int, sys.argv[1:])
		for i in range(nv):
		    print("vip 10.20.%d.%d 80 tcp" % (i // 250, i % 250 + 1))
		for j in range(nb):
		    i = j % nv
		    print("backend 10.20.%d.%d 80 tcp 10.21.%d.%d 80" % (i // 250, i % 250 + 1, j // 250, j % 250 + 1))
	EOF
	)
	log "l4lb: $out"
	emit l4lb-dnat nl_add_vips 1 "$(_json_get vip_seconds <<<"$out")" "\"count\": $(_json_get vips <<<"$out")"
	emit l4lb-dnat nl_add_backends 1 "$(_json_get backend_seconds <<<"$out")" "\"count\": $(_json_get backends <<<"$out")"
	l4lb_unload
	# IPVS, the same objects with one ipvsadm --restore
	python3 - "$NL_VIPS" "$NL_BACKENDS" >"$W/ipvs.rules" <<-'EOF'
		import sys
		nv, nb = map(int, sys.argv[1:])
		for i in range(nv):
		    print("-A -t 10.20.%d.%d:80 -s rr" % (i // 250, i % 250 + 1))
		for j in range(nb):
		    i = j % nv
		    print("-a -t 10.20.%d.%d:80 -r 10.21.%d.%d:80 -m" % (i // 250, i % 250 + 1, j // 250, j % 250 + 1))
	EOF
	modprobe -a ip_vs ip_vs_rr
	# ipvsadm's own start-up, subtracted below (nlbulk.py times requests only)
	t0=$(now)
	ns_run lb ipvsadm -R </dev/null
	t1=$(now)
	IPVSADM0=$((t1 - t0))
	head -n "$NL_VIPS" "$W/ipvs.rules" >"$W/ipvs.vips"
	tail -n +"$((NL_VIPS + 1))" "$W/ipvs.rules" >"$W/ipvs.bes"
	t0=$(now)
	ns_run lb ipvsadm -R <"$W/ipvs.vips"
	t1=$(now)
	ns_run lb ipvsadm -R <"$W/ipvs.bes"
	v=$(now)
	emit ipvs-nat nl_add_vips 1 "$(awk -v a="$t0" -v b="$t1" -v z="$IPVSADM0" 'BEGIN { printf "%.4f", (b - a - z) / 1e6 }')" "\"count\": $(ns_run lb ipvsadm -Ln | grep -c '^TCP')"
	emit ipvs-nat nl_add_backends 1 "$(awk -v a="$t1" -v b="$v" -v z="$IPVSADM0" 'BEGIN { printf "%.4f", (b - a - z) / 1e6 }')" "\"count\": $(ns_run lb ipvsadm -Ln | grep -c -- '->.*Masq')"
	ns_run lb ipvsadm -C
}

# ------------------------------------------------------------ main

CRR=$W/crr
# (-O0 in the smoke run: half gcc's time under emulation)
gcc "$( ((SMOKE)) && echo -O0 || echo -O2)" -o "$CRR" "$BENCH_DIR/crr.c" || { log "cannot build crr"; exit 1; }
modprobe pktgen || { log "no pktgen module"; exit 1; }
modprobe -a ip_vs ip_vs_rr nft_chain_nat || exit 1
# IPVS's and conntrack's tables sized for the flows of setup_pps and the
# memory phase, from the start: every round measures the same tables
bench_topology || { log "topology set-up failed"; exit 1; }
fresh_tables ipvs-nat
fresh_tables nft-dnat
# json_list WORD... : a JSON list of strings
json_list() { local a; printf '['; for a; do printf '%s"%s"' "${sep-}" "$a"; local sep=', '; done; printf ']'; }
# shellcheck disable=SC2046,SC2086 # lists of words
emit vm info 0 0 "\"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"rounds\": $ROUNDS, \"seconds\": $DUR, \"flows\": $FLOWS, \"flows_small\": $FLOWS_SMALL, \"smoke\": $SMOKE, \"systems\": $(json_list $(awk '{print $1}' <<<"$SYSTEM_TABLE")), \"full_systems\": $(json_list $FULL_SYSTEMS), \"families\": [${FAMILIES// /, }], \"flat_systems\": $(json_list $FLAT_SYSTEMS), \"flat_reps\": $FLAT_REPS, \"pps_min\": $PPS_MIN, \"rps\": $RPS, \"nl_vips\": $NL_VIPS, \"nl_backends\": $NL_BACKENDS, \"phases\": $(json_list $PHASES), \"icount\": ${L4LB_VM_ICOUNT:-null}"
start=$SECONDS
for ph in $PHASES; do
	t=$SECONDS
	"phase_$ph"
	log "phase $ph took $((SECONDS - t)) s"
done
log "all phases took $((SECONDS - start)) s"
kill "${BE_PIDS[@]}" "$IPERF_PID" "$LB_PID" 2>/dev/null
topo_teardown
grep -q '^l4lb ' /proc/modules && l4lb_unload
rm -rf "$W"
exit 0
