# shellcheck shell=bash
# Helpers for the hardening tests (floods, user namespaces, VIP deletion,
# TCP state, ICMP, malformed input, offload, churn, fuzzing), on top of
# l4lb.sh. Raw packets are built by pkt.py (PYTHONPATH points at this
# directory, so inline `python3 -` scripts can `import pkt`).
#
#   l4stats KEY...             `l4ctl -j stats` of the lb netns: the values
#                              of KEY..., space separated ("missing" if absent)
#   l4stats_in NS KEY...       the same in another netns
#   lb_mac                     MAC of the LB's client-side interface (eth-c)
#   sniff_start ID NS IF [--incoming] / sniff_stop ID   capture to a file;
#                              sniff_stop prints the file's path
#   nft_count NS FAMILY TABLE CHAIN COMMENT   packets counted by the rule
#                              that carries that comment
#   csum_errors NS             checksum errors seen by NS's TCP/UDP/UDPv6
#   diag_json                  pretty one-line JSON for tap_diag
# shellcheck source=l4lb.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/l4lb.sh"

export PYTHONPATH=$L4LB_LIB${PYTHONPATH:+:$PYTHONPATH}

# _json_keys KEY... : read a JSON document on stdin, print the value of each
# KEY found anywhere in it (the first match, depth first), space separated.
_json_keys() {
	python3 -c '
import json, sys
def find(doc, key):
    if isinstance(doc, dict):
        if key in doc:
            return doc[key]
        doc = list(doc.values())
    if isinstance(doc, list):
        for v in doc:
            r = find(v, key)
            if r is not None:
                return r
    return None
try:
    doc = json.load(sys.stdin)
except ValueError:
    doc = None
print(" ".join(str(v) if v is not None else "missing"
               for v in (find(doc, k) for k in sys.argv[1:])))' "$@"
}

l4stats_in() {
	local ns=$1
	shift
	ns_run "$ns" "$L4CTL" -j stats 2>/dev/null | _json_keys "$@"
}

l4stats() { l4stats_in lb "$@"; }

lb_mac() { ip -n lb -br link show eth-c | awk '{print $3}'; }

# lb_accept_spoofed [NET] : the LB takes packets from any source (no
# reverse-path filter), and, with NET (spoofed sources, e.g. $SPOOF_NET),
# routes NET toward the client side: replies to spoofed sources leave that
# way, where the client (not a router) drops them, as the Internet would
# lose them.
lb_accept_spoofed() {
	ns_sysctl lb net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		"net.ipv4.conf.$LB_IF_CLIENT.rp_filter=0" "net.ipv4.conf.$LB_IF_BE.rp_filter=0" || return 1
	[[ -z ${1:-} ]] || ip -n lb route add "$1" via "$CLIENT4"
}

declare -gA _SNIFF_PID _SNIFF_OUT
SNIFF_DIR=$(mktemp -d)

sniff_start() {
	local id=$1 ns=$2 ifc=$3 i
	shift 3
	rm -f "$SNIFF_DIR/$id".*
	# Not through the ns_run function: $! must be python's own PID.
	nsenter --net="/run/netns/$ns" -- python3 "$L4LB_LIB/sniff.py" --iface "$ifc" \
		--out "$SNIFF_DIR/$id.cap" --ready "$SNIFF_DIR/$id.ready" "$@" &
	_SNIFF_PID[$id]=$!
	_SNIFF_OUT[$id]=$SNIFF_DIR/$id.cap
	for ((i = 0; i < 200; i++)); do
		[[ -e $SNIFF_DIR/$id.ready ]] && return 0
		sleep 0.05
	done
	echo "sniff_start: capture $id on $ns/$ifc did not start" >&2
	return 1
}

sniff_stop() {
	local id=$1 i
	kill -TERM "${_SNIFF_PID[$id]}" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		[[ -e ${_SNIFF_OUT[$id]} ]] && break
		sleep 0.05
	done
	wait "${_SNIFF_PID[$id]}" 2>/dev/null
	echo "${_SNIFF_OUT[$id]}"
}

nft_count() {
	local ns=$1 family=$2 table=$3 chain=$4 comment=$5
	ns_run "$ns" nft list chain "$family" "$table" "$chain" | awk -v c="\"$comment\"" '
		index($0, "comment " c) {
			for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); found = 1 }
		}
		END { if (!found) print "missing" }'
}

csum_errors() {
	ns_run "$1" cat /proc/net/snmp /proc/net/snmp6 | awk '
		/^(Tcp|Udp):/ {
			if (!seen[$1]++) { for (i = 2; i <= NF; i++) col[$1, $i] = i }
			else { n += $(col[$1, "InCsumErrors"]) }
		}
		$1 == "Udp6InCsumErrors" { n += $2 }
		END { print n + 0 }'
}

# num_ge A B : A and B are integers and A >= B (false for "missing").
num_ge() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] && (($1 >= $2)); }

# sorted_words WORDS... : the words, sorted, on one line ("be2 be1 be3" ->
# "be1 be2 be3": three flows went to three different backends).
# shellcheck disable=SC2048,SC2086 # split on purpose
sorted_words() { printf '%s\n' $* | sort | paste -sd ' '; }
