#!/bin/bash
# Checksums after rewriting. Packets from senders that offload (the default
# on veth, every other test) are CHECKSUM_PARTIAL and nobody verifies them
# on the way; here offload is off, so every packet carries a full checksum
# that the receiver verifies in software after l4lb rewrote it. UDP over
# IPv4 without a checksum must stay without: a zero turned into anything
# else is a bad checksum to the receiver.
. "$(dirname "$0")/lib/l4lb.sh"

# Checksum errors seen by a namespace's TCP, UDP and UDPv6.
csum_errors() {
	ns_run "$1" cat /proc/net/snmp /proc/net/snmp6 | awk '
		/^(Tcp|Udp):/ {
			if (!seen[$1]++) { for (i = 2; i <= NF; i++) col[$1, $i] = i }
			else { n += $(col[$1, "InCsumErrors"]) }
		}
		$1 == "Udp6InCsumErrors" { n += $2 }
		END { print n + 0 }'
}

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
for fam in 4 6; do l4lb_service $fam tcp && l4lb_service $fam udp; done
for ns in client be1 be2 be3; do
	ns_run $ns ethtool -K eth0 tx off >/dev/null
done
tap_like "transmit checksum offload is off on the client" \
	"$(ns_run client ethtool -k eth0)" "*tx-checksumming: off*"

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	out=$(client_traffic echo "$vip" $VIP_PORT --bytes 1048576 2>&1)
	tap_like "IPv$fam TCP, full checksums: 1 MB echoed intact" "$out" "be? *"
	tap_is "IPv$fam UDP, full checksums: replies from every backend" \
		"$(hellos 3 "$vip" $VIP_PORT --udp)" "be1 be2 be3"
done

tap_like "IPv4 UDP with a zero checksum reaches a backend and returns" \
	"$(hellos 3 "$VIP4" $VIP_PORT --udp --no-checksum)" "be? be? be?"

errors=0
for ns in client be1 be2 be3; do
	errors=$((errors + $(csum_errors $ns)))
done
tap_is "no receiver saw a bad checksum" "$errors" 0

topo_teardown
l4lb_unload
tap_done
