# shellcheck shell=bash
# l4lb-specific helpers for the integration tests (in the guest), on top of
# netns.sh (topology, TAP, traffic servers).

L4LB_TOP=$(readlink -f "$(dirname "${BASH_SOURCE[0]}")/../../..")
L4CTL=${L4CTL:-$L4LB_TOP/userspace/l4ctl/l4ctl}
L4LB_LIB=$L4LB_TOP/tests/integration/lib
# shellcheck source=netns.sh
. "$L4LB_LIB/netns.sh"

# The sanitizers of the test build must not make l4ctl fail on exit paths
# that are expected (usage errors); leaks are still reported.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# l4lb_load [PARAM=VALUE...]: the module built for this kernel, or with
# L4LB_MODPROBE=1 the one installed for it (DKMS, make install).
l4lb_load() {
	if [ "${L4LB_MODPROBE:-0}" = 1 ]; then
		modprobe l4lb "$@"
	else
		# Built into some kernels (the debug kernel): then there is
		# nothing to load, and insmod says so if something is missing.
		# nf_reject is absent from the debug kernel (l4lb then drops
		# what it would reject).
		modprobe -qa nf_defrag_ipv4 nf_defrag_ipv6 nf_reject_ipv4 \
			nf_reject_ipv6 || :
		insmod "${L4LB_BUILD:?}/l4lb.ko" "$@"
	fi
}

l4lb_unload() {
	rmmod l4lb
}

# l4lb_unload_busy SECONDS: rmmod while a netlink client polls (the agent).
# A dump holds the module for as long as it runs, so rmmod may say "in use"
# for that moment; it is tried again, every 0.2 s, up to SECONDS. A
# reference that is never put still fails. L4LB_UNLOAD_TRIES says how many
# it took.
l4lb_unload_busy() {
	local end=$((SECONDS + ${1:?})) err
	L4LB_UNLOAD_TRIES=0
	while :; do
		L4LB_UNLOAD_TRIES=$((L4LB_UNLOAD_TRIES + 1))
		err=$(rmmod l4lb 2>&1) && return 0
		if [[ $err != *"in use"* ]] || ((SECONDS >= end)); then
			printf '%s\n' "$err" >&2
			return 1
		fi
		sleep 0.2
	done
}

l4lb_loaded() {
	grep -q '^l4lb ' /proc/modules
}

# l4ctl in the load balancer's namespace.
lbctl() {
	ns_run lb "$L4CTL" "$@"
}

# traffic.py in the client namespace: hello / echo ...
client_traffic() {
	ns_run client python3 "$TRAFFIC_PY" "$@"
}

# TCP and UDP servers, IPv4 and IPv6, on each backend: be1, be2, be3.
serve_all() {
	local i
	for i in 1 2 3; do
		serve_start "be$i" "be$i" $BE_PORT &&
			serve_start "be$i" "be$i" $BE_PORT udp &&
			serve_start "be$i" "be$i" $BE_PORT v6 &&
			serve_start "be$i" "be$i" $BE_PORT udp v6 || return 1
	done
}

# A query over `l4ctl -j show`: see l4json.py.
l4json() {
	lbctl -j show | python3 "$L4LB_LIB/l4json.py" "$@"
}

# hellos N HOST PORT [traffic.py options]: N new flows (each from a new
# source port), the backends' names in order on one line.
hellos() {
	local n=$1
	shift
	client_traffic hello "$@" --count "$n" 2>&1 | paste -sd ' '
}

# The standard service: VIP port 80 -> the three backends on port 8080.
VIP_PORT=80
BE_PORT=8080

# l4lb_service FAMILY(4|6) PROTO: VIP and three backends.
l4lb_service() {
	local fam=$1 proto=$2 vip be i
	if [ "$fam" = 4 ]; then
		vip=$VIP4:$VIP_PORT
	else
		vip=[$VIP6]:$VIP_PORT
	fi
	lbctl vip add "$vip" proto "$proto" || return 1
	for i in 1 2 3; do
		if [ "$fam" = 4 ]; then
			be=$(eval echo "\$BE4_$i"):$BE_PORT
		else
			be=[$(eval echo "\$BE6_$i")]:$BE_PORT
		fi
		lbctl backend add "$vip" "$be" proto "$proto" || return 1
	done
}

# Connections held open across a change on the load balancer, by handle:
#   hold_start ID HOST PORT [TIMEOUT]  connect from the client namespace
#   hold_name ID                       the backend it reached
#   hold_finish ID                     exchange data now: "intact" or "broken"
declare -gA HOLD_FD HOLD_PID
HOLD_DIR=$(mktemp -d)

hold_start() {
	local id=$1 fd i
	shift
	mkfifo "$HOLD_DIR/$id.in"
	ns_run client python3 "$L4LB_LIB/hold.py" "$@" \
		<"$HOLD_DIR/$id.in" >"$HOLD_DIR/$id.out" 2>&1 &
	HOLD_PID[$id]=$!
	exec {fd}>"$HOLD_DIR/$id.in"
	HOLD_FD[$id]=$fd
	for ((i = 0; i < 100; i++)); do
		[ -s "$HOLD_DIR/$id.out" ] && break
		sleep 0.1
	done
}

hold_name() {
	head -n 1 "$HOLD_DIR/$1.out"
}

hold_finish() {
	local id=$1 i
	echo go >&"${HOLD_FD[$id]}"
	# Often called in $(...), where the job is no child to wait for.
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l <"$HOLD_DIR/$id.out")" -ge 2 ] && break
		sleep 0.1
	done
	sed -n 2p "$HOLD_DIR/$id.out"
}
