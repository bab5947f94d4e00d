#!/bin/bash
# Fragmented UDP datagrams to a VIP (issue 8 item 4), IPv4 and IPv6: 4 000
# and 60 000 bytes, each delivered whole to one backend and its echo back
# whole to the client, content checked. The LB sees each datagram once,
# reassembled in its hook by the kernel's defrag (one packet in each
# direction in its counters), and the stack fragments it again on the way
# out (the backend and the client reassemble: their ReasmOKs grow); nothing
# is dropped as an unreassembled fragment. Nothing reassembles them before
# the LB's hook: a chain ahead of it sees the fragments.
#
# Table-driven over forwarding modes: one line per mode in MODES below.
# DSR and tunnel need another topology (backends on the LB's segment with
# the VIP on lo; decapsulating backends): their own test files cover their
# fragments.
. "$(dirname "$0")/lib/hard.sh"

# MODE: the words given to 'vip add' for it.
MODES=(
	"dnat:mode dnat"
	"snat:mode snat"
)

topo_setup
l4lb_load udp_timeout_unreplied=600 || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all

# reasm NS FAMILY: datagrams NS reassembled so far.
reasm() {
	if [ "$2" = 4 ]; then
		ns_run "$1" awk '/^Ip:/ { if (h) { for (i = 1; i <= NF; i++) if (k[i] == "ReasmOKs") print $i } else { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } }' /proc/net/snmp
	else
		ns_run "$1" awk '$1 == "Ip6ReasmOKs" { print $2 }' /proc/net/snmp6
	fi
}

# Fragments as they arrive, before the LB's hook (see the end).
ns_run lb nft -f - <<'NFT' || tap_fail "frag_probe ruleset"
table ip frag_probe {
	chain pre {
		type filter hook prerouting priority raw;
		ip frag-off & 0x3fff != 0 counter
	}
}
table ip6 frag_probe {
	chain pre {
		type filter hook prerouting priority raw;
		exthdr frag exists counter
	}
}
NFT

port=1000
for line in "${MODES[@]}"; do
	mode=${line%%:*}
	read -ra words <<<"${line#*:}"
	for fam in 4 6; do
		port=$((port + 1))
		if [ $fam = 4 ]; then vip=$VIP4 key=$VIP4:$port; else vip=$VIP6 key=[$VIP6]:$port; fi
		if ! err=$(lbctl vip add "$key" proto udp "${words[@]}" 2>&1); then
			tap_ok "$mode IPv$fam # SKIP vip add ${words[*]}: $err"
			continue
		fi
		ok=1
		for i in 1 2 3; do
			be=$(eval echo "\$BE${fam}_$i")
			[ $fam = 6 ] && be="[$be]"
			lbctl backend add "$key" "$be:$BE_PORT" proto udp || ok=0
		done
		[ $ok = 1 ] || { tap_fail "$mode IPv$fam: backends added"; continue; }
		noflow0=$(l4stats drops_noflow)
		b0=$(reasm be1 $fam)/$(reasm be2 $fam) c0=$(reasm client $fam)
		got=$(client_traffic hello "$vip" $port --udp --bytes 4000 --timeout 10 --retries 3 2>&1 &&
			client_traffic hello "$vip" $port --udp --bytes 60000 --timeout 10 --retries 3 2>&1)
		tap_is "$mode IPv$fam: 4 000 and 60 000 bytes echoed back intact, from the VIP, by one backend each" \
			"$(echo $got)" "be1 be2"
		# VIP pkts_in pkts_out bytes_in, then pkts_in of each backend.
		read -r pin pout bytes be_in <<<"$(lbctl -j show | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    if v["port"] == int(sys.argv[1]) and v["proto"] == "udp":
        s = v["stats"]
        print(s["pkts_in"], s["pkts_out"], s["bytes_in"],
              ",".join(str(b["stats"]["pkts_in"]) for b in v["backends"]))' $port)"
		tap_is "$mode IPv$fam: the LB saw each datagram whole, once each way" \
			"$pin $pout $be_in" "2 2 1,1,0"
		tap_check "$mode IPv$fam: bytes in cover both datagrams ($bytes)" test "$bytes" -ge 64000
		b1=$(reasm be1 $fam)/$(reasm be2 $fam) c1=$(reasm client $fam)
		tap_check "$mode IPv$fam: fragmented again on the way out: be1, be2 and the client reassembled (be $b0 -> $b1, client $c0 -> $c1)" \
			test "${b1%/*}" -gt "${b0%/*}" -a "${b1#*/}" -gt "${b0#*/}" -a "$c1" -ge $((c0 + 2))
		tap_is "$mode IPv$fam: no fragment dropped" "$(l4stats drops_noflow)" "$noflow0"
	done
done

# Reassembly is the LB's hooks' own (kmod/defrag.c), not nf_defrag's hooks
# (one more call for every packet, in front of everything): the chains
# before the LB's hook saw the fragments as they came.
for fam in ip ip6; do
	seen=$(ns_run lb nft list chain $fam frag_probe pre | awk '/counter/ { print $(NF - 2) }')
	tap_check "$fam: a prerouting chain before the LB's hook (priority raw) saw fragments (${seen:-none})" \
		test "${seen:-0}" -gt 0
done

topo_teardown
l4lb_unload
tap_done
