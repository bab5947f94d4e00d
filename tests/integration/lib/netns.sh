# shellcheck shell=bash
# Library for l4lb integration tests, sourced by test scripts that run as root
# inside the test VM (tests/vm/run). It provides:
#
#   TAP output     tap_ok, tap_fail, tap_check, tap_is, tap_like, tap_diag,
#                  tap_done
#   topology       topo_setup [--vip-local], topo_teardown
#   namespaces     ns_run NS CMD... (network namespace only: fast)
#                  ns_exec NS CMD... (ip netns exec: also remounts /sys)
#                  ns_sysctl NS KEY=VALUE...
#   traffic        serve_start NS NAME PORT [udp] [v6], serve_stop_all,
#                  traffic ARGS... (= python3 traffic.py ARGS...),
#                  ns_traffic NS ARGS... (the same, run in NS)
#
# Topology built by topo_setup (DNAT mode: the LB is the backends' gateway):
#
#   client ns                 lb ns                          be1/be2/be3 ns
#   eth0 ------------------ eth-c          br0 --+-- veth-be1 ---- eth0
#   10.0.0.2/24            10.0.0.1/24  10.0.1.254/24 +-- veth-be2 ---- eth0
#   fd00::2/64             fd00::1/64   fd00:1::fe/64 +-- veth-be3 ---- eth0
#   default via LB                                     10.0.1.N/24, fd00:1::N/64
#   VIP 10.0.0.10, fd00::10 routed via LB             default via 10.0.1.254,
#   (--vip-local: VIP also assigned to eth-c)                 fd00:1::fe
#
# Variables exported (addresses without prefix length):
#   NS_CLIENT NS_LB NS_BE1 NS_BE2 NS_BE3 NS_ALL   namespace names
#   CLIENT4 LB4 LB4_BE VIP4 BE4_1 BE4_2 BE4_3     IPv4
#   CLIENT6 LB6 LB6_BE VIP6 BE6_1 BE6_2 BE6_3     IPv6
#   LB_IF_CLIENT LB_IF_BE                         LB's interfaces (eth-c, br0)
#   TRAFFIC_PY                                    path of traffic.py

L4LB_TEST_LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
export TRAFFIC_PY=$L4LB_TEST_LIB_DIR/traffic.py

# python3 here is `python3 -S`: the tests' Python uses the standard library
# only, and site's start-up (the .pth files of dist-packages) costs a third
# of a second per run under TCG, where the suite starts Python thousands of
# times. A function for this shell, a wrapper in PATH for the programs run
# through ns_run, nsenter, taskset... SITE_PYTHON3 is the real one, with
# dist-packages (the kernel's ynl needs PyYAML).
if [ -z "${SITE_PYTHON3:-}" ]; then
	SITE_PYTHON3=$(command -v python3)
	export SITE_PYTHON3
	mkdir -p /tmp/l4lb-python
	printf '#!/bin/sh\nexec %s -S "$@"\n' "$SITE_PYTHON3" >/tmp/l4lb-python/python3
	chmod +x /tmp/l4lb-python/python3
	export PATH=/tmp/l4lb-python:$PATH
fi
python3() { "$SITE_PYTHON3" -S "$@"; }

# ----------------------------------------------------------------------- TAP

TAP_N=0
TAP_FAILED=0

tap_diag() { local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

# tap_fail DESC [DETAILS...] : each DETAILS line is printed as a # comment.
tap_fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	(($#)) && tap_diag "$@"
	return 0
}

# tap_check DESC CMD ARGS... : ok if CMD succeeds; its output is shown only
# on failure. Returns CMD's status so callers can chain on it.
tap_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if ((rc == 0)); then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "exit status: $rc" ${out:+"$out"}
	fi
	return $rc
}

# tap_is DESC GOT EXPECTED
tap_is() {
	if [[ $2 == "$3" ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:      '$2'" "expected: '$3'"
		return 1
	fi
}

# tap_like DESC STRING PATTERN : ok if STRING matches the glob PATTERN.
tap_like() {
	# shellcheck disable=SC2053 # PATTERN is a glob on purpose
	if [[ $2 == $3 ]]; then
		tap_ok "$1"
	else
		tap_fail "$1" "got:      '$2'" "pattern:  '$3'"
		return 1
	fi
}

# tap_done : print the plan; non-zero if anything failed (use as the last
# command of a test: `tap_done; exit $?` or just `tap_done` under set -e
# handling).
tap_done() {
	echo "1..$TAP_N"
	if ((TAP_FAILED > 0)); then
		tap_diag "$TAP_FAILED of $TAP_N tests failed"
		return 1
	fi
	return 0
}

# ----------------------------------------------------------------- addresses

export NS_CLIENT=client NS_LB=lb NS_BE1=be1 NS_BE2=be2 NS_BE3=be3
export NS_ALL="client lb be1 be2 be3"
export LB_IF_CLIENT=eth-c LB_IF_BE=br0
export CLIENT4=10.0.0.2 LB4=10.0.0.1 VIP4=10.0.0.10 LB4_BE=10.0.1.254
export BE4_1=10.0.1.1 BE4_2=10.0.1.2 BE4_3=10.0.1.3
export CLIENT6=fd00::2 LB6=fd00::1 VIP6=fd00::10 LB6_BE=fd00:1::fe
export BE6_1=fd00:1::1 BE6_2=fd00:1::2 BE6_3=fd00:1::3

# ---------------------------------------------------------------- namespaces

# ns_run NS CMD... : run CMD in NS's network namespace only. Cheaper than
# `ip netns exec` (no new mount namespace, no /sys remount) and enough for
# sockets and /proc/sys/net; use ns_exec when CMD reads /sys/class/net.
ns_run() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

ns_exec() { ip netns exec "$@"; }

# ns_sysctl NS KEY=VALUE... : one process for all keys (process start-up is
# what costs under TCG). Writes /proc/sys directly, whose net/ part shows
# the namespace of the writer.
ns_sysctl() {
	local ns=$1
	shift
	ns_run "$ns" bash -c '
		for kv; do
			key=${kv%%=*}
			echo "${kv#*=}" >"/proc/sys/${key//.//}" || exit 1
		done' ns_sysctl "$@" || { echo "ns_sysctl $ns $* failed" >&2; return 1; }
}

# _ns_wait_up NS : wait (max ~5 s) until every link of NS but lo is
# operationally UP. Carrier alone is not enough: until the kernel's
# linkwatch marks the link up, its queue discards packets.
_ns_wait_up() {
	local ns=$1 i
	# Only the links set up: a new namespace also gets the fallback
	# devices of tunnel modules an earlier test loaded (tunl0, ip6tnl0),
	# which stay down.
	for ((i = 0; i < 100; i++)); do
		ip -n "$ns" -o link show | grep -v ': lo:' | grep -E '[<,]UP[,>]' |
			grep -qv 'state UP' || return 0
		sleep 0.05
	done
	echo "links of $ns did not come up:" >&2
	ip -n "$ns" -br link >&2
	return 1
}

# ------------------------------------------------------------------ topology

# topo_setup [--vip-local] : build the topology drawn at the top of this file.
# Default: the client routes the VIPs via the LB (the VIP lives nowhere).
# --vip-local: additionally assign the VIPs to the LB's client-side interface.
#
# Each namespace is configured by one `ip -batch` (a process start costs
# ~0.1 s under TCG; this keeps the whole setup around a second or two).
topo_setup() {
	local vip_local=0 i ns
	while (($#)); do
		case $1 in
		--vip-local) vip_local=1 ;;
		*) echo "topo_setup: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	topo_teardown 2>/dev/null

	# No IPv6 duplicate address detection: addresses would stay "tentative"
	# (unusable) for a second or two. New namespaces copy these settings
	# from the VM's initial namespace (devconf_inherit_init_net=1), which
	# we can write without starting any process. Addresses also get
	# "nodad" below, for runs outside the VM.
	if [[ ${L4LB_IN_VM:-} == 1 ]]; then
		echo 1 >/proc/sys/net/core/devconf_inherit_init_net
		echo 0 >/proc/sys/net/ipv6/conf/all/accept_dad
		echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad
	fi
	for ns in $NS_ALL; do
		ip netns add "$ns" || return 1
	done

	# The LB routes between client and backends.
	ns_sysctl lb net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1

	# Links, created from the LB's side: client <-> lb, and a bridge with one
	# veth port per backend.
	ip -n lb -batch - <<-EOF || return 1
		link set lo up
		link add eth-c type veth peer name eth0 netns client
		addr add $LB4/24 dev eth-c
		addr add $LB6/64 dev eth-c nodad
		link set eth-c up
		link add br0 type bridge
		addr add $LB4_BE/24 dev br0
		addr add $LB6_BE/64 dev br0 nodad
		link set br0 up
		link add veth-be1 type veth peer name eth0 netns be1
		link add veth-be2 type veth peer name eth0 netns be2
		link add veth-be3 type veth peer name eth0 netns be3
		link set veth-be1 master br0 up
		link set veth-be2 master br0 up
		link set veth-be3 master br0 up
	EOF
	ip -n client -batch - <<-EOF || return 1
		link set lo up
		addr add $CLIENT4/24 dev eth0
		addr add $CLIENT6/64 dev eth0 nodad
		link set eth0 up
	EOF
	for i in 1 2 3; do
		ip -n "be$i" -batch - <<-EOF || return 1
			link set lo up
			addr add 10.0.1.$i/24 dev eth0
			addr add fd00:1::$i/64 dev eth0 nodad
			link set eth0 up
		EOF
	done

	for ns in $NS_ALL; do
		_ns_wait_up "$ns" || return 1
	done

	# Routes need the links up (IPv6 refuses a gateway on a down link).
	# Backends: the LB is the gateway, so replies to the client go back
	# through it (required for DNAT mode).
	for i in 1 2 3; do
		ip -n "be$i" -batch - <<-EOF || return 1
			route add default via $LB4_BE
			route add default via $LB6_BE
		EOF
	done
	# Client: everything (backend subnets, VIPs) via the LB; the VIP routes
	# are explicit because the VIP is inside the client's on-link subnet.
	ip -n client -batch - <<-EOF || return 1
		route add default via $LB4
		route add default via $LB6
		route add $VIP4/32 via $LB4
		route add $VIP6/128 via $LB6
	EOF
	if ((vip_local)); then
		ip -n lb -batch - <<-EOF || return 1
			addr add $VIP4/32 dev eth-c
			addr add $VIP6/128 dev eth-c nodad
		EOF
	fi
	return 0
}

# topo_teardown : stop servers and delete the namespaces (which deletes the
# veths and the bridge inside them). Safe to call more than once.
topo_teardown() {
	local ns
	serve_stop_all
	for ns in $NS_ALL; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns"
	done
	return 0
}

# ------------------------------------------------------------------- traffic

traffic() { python3 "$TRAFFIC_PY" "$@"; }

# ns_traffic NS ARGS... : traffic.py ARGS... run in NS (e.g. the client).
ns_traffic() {
	local ns=$1
	shift
	ns_run "$ns" python3 "$TRAFFIC_PY" "$@"
}

_SERVE_PIDS=()

# serve_start NS NAME PORT [udp] [v6] : start a traffic.py server in NS in
# the background; return once the socket is bound/listening (max ~10 s).
# The server says so by creating a file: polling ss(8) instead cost 0.8 s
# a call under TCG, several calls a server, a dozen servers a test file.
_SERVE_N=0
serve_start() {
	local ns=$1 name=$2 port=$3 opt args=() pid i ready
	shift 3
	for opt in "$@"; do
		case $opt in
		udp) args+=(--udp) ;;
		v6) args+=(--v6) ;;
		*) echo "serve_start: unknown option $opt" >&2; return 2 ;;
		esac
	done
	_SERVE_N=$((_SERVE_N + 1))
	ready=/tmp/l4lb-serve.$$.$_SERVE_N
	rm -f "$ready"
	# nsenter itself, not the ns_run function: $! must be the server's own
	# PID, or serve_stop_all would only kill a subshell.
	nsenter --net="/run/netns/$ns" -- python3 "$TRAFFIC_PY" serve --name "$name" --port "$port" \
		--ready "$ready" "${args[@]}" &
	pid=$!
	_SERVE_PIDS+=("$pid")
	for ((i = 0; i < 200; i++)); do
		if [[ -e $ready ]]; then
			rm -f "$ready"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { echo "serve_start: server $name died" >&2; return 1; }
		nap 0.05
	done
	echo "serve_start: $name did not listen on port $port in $ns" >&2
	return 1
}

# nap SECONDS : sleep without starting a process (read's timeout on a FIFO
# nobody writes to): each sleep(1) is an exec, a tenth of a second of CPU
# under TCG, and the tests poll a lot. `sleep N` in a test calls nap.
_nap_open() {
	local f=/tmp/l4lb-nap.$BASHPID
	rm -f "$f"
	mkfifo "$f" 2>/dev/null && exec {_NAP_FD}<>"$f"
	rm -f "$f"
}
nap() {
	[[ -n ${_NAP_FD:-} ]] || _nap_open
	if [[ -n ${_NAP_FD:-} ]]; then
		read -rt "$1" -u "$_NAP_FD" _
	else
		command sleep "$1"
	fi
	return 0
}
sleep() {
	if [[ $# == 1 && $1 =~ ^[0-9]*\.?[0-9]+$ ]]; then
		nap "$1"
	else
		command sleep "$@"
	fi
}
_nap_open

serve_stop_all() {
	local pid
	for pid in "${_SERVE_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${_SERVE_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	_SERVE_PIDS=()
	return 0
}
