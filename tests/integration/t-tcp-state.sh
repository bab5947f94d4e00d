#!/bin/bash
# TCP state that an attacker cannot steer (issue 7, item 8):
#  - a client's ACK alone does not make a flow established: the backend's
#    reply does (counted as active only then);
#  - a mid-stream segment (no SYN) to a VIP with no flow is dropped and
#    counted (drops_noflow), not forwarded;
#  - a RST far outside the window (blind, seq + 2^31) does not close an
#    established flow, which keeps working after tcp_timeout_close; a RST
#    in the window does close it;
#  - a SYN reusing the tuple of a flow closed by RST or in TIME_WAIT is
#    scheduled afresh (rr: the next backend), never onto a drained (weight 0)
#    or deleted backend.
. "$(dirname "$0")/lib/hard.sh"

topo_setup
# tcp_timeout_close=3: a flow wrongly closed by a blind RST expires within
# the test; the port-reuse checks reconnect well within 3 s (one process).
l4lb_load tcp_timeout_close=3 gc_interval_ms=200 ||
	{ tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
l4lb_service 4 tcp
l4lb_service 6 tcp
# VIP port 81: a backend that never answers (nobody has 10.0.1.99).
lbctl vip add "$VIP4:81" && lbctl backend add "$VIP4:81" 10.0.1.99:8080
lbctl vip add "[$VIP6]:81" && lbctl backend add "[$VIP6]:81" "[fd00:1::99]:8080"
# Graceful closes leave no TIME_WAIT socket on the client (the LB's flow
# still goes through TIME_WAIT), so a port can be reused at once.
ns_sysctl client net.ipv4.tcp_max_tw_buckets=0
LB_MAC=$(lb_mac)

# What passes through the LB after l4lb (forward hook) and reaches the
# backends (resets excluded: the client's own stack answers SYN-ACKs of forged
# SYNs with one), for the source ports the forged segments use (45000-45099).
ns_run lb nft -f - <<'EOF'
table inet probe {
	chain fw {
		type filter hook forward priority 0;
		tcp sport 45000-45099 counter comment "forwarded"
	}
}
EOF
for i in 1 2 3; do
	ns_run be$i nft -f - <<-'EOF'
		table inet probe {
			chain pre {
				type filter hook prerouting priority -300;
				tcp sport 45000-45099 tcp flags & rst == 0 counter comment "in"
			}
		}
	EOF
done
at_backends() {
	local n=0 i c
	for i in 1 2 3; do
		c=$(nft_count be$i inet probe pre in)
		n=$((n + ${c/missing/0}))
	done
	echo $n
}

# forge FAMILY DPORT SPORT FLAGS... : send raw segments from the client to
# the VIP (each FLAGS word: S, A, PA, F, SA, ... with 2 data bytes for P).
forge() {
	local fam=$1 dport=$2 sport=$3
	shift 3
	ns_run client python3 - "$fam" "$dport" "$sport" "$LB_MAC" "$@" <<-'EOF'
		import sys, pkt
		fam, dport, sport, mac = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
		src, dst = ("10.0.0.2", "10.0.0.10") if fam == "4" else ("fd00::2", "fd00::10")
		link = pkt.Link("eth0", mac)
		seq = 0x10000000
		for word in sys.argv[5:]:
		    flags = 0
		    for ch, bit in (("S", pkt.SYN), ("A", pkt.ACK), ("F", pkt.FIN), ("R", pkt.RST), ("P", pkt.PSH)):
		        if ch in word:
		            flags |= bit
		    data = b"hi" if "P" in word else b""
		    seg = pkt.tcp(src, dst, sport, dport, flags=flags, seq=seq,
		                  ack=0x20000000 if flags & pkt.ACK else 0, payload=data)
		    ip = pkt.ipv4(src, dst, 6, seg) if fam == "4" else pkt.ipv6(src, dst, 6, seg)
		    link.send_ip(ip)
		    seq += 1 if flags & (pkt.SYN | pkt.FIN) else len(data)
	EOF
}

# ------------------------------------------------ ACK alone does not establish
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; sport=45101; else vip=$VIP6; sport=45102; fi
	forge $fam 81 $sport S A PA
	sleep 0.3
	got="$(l4json vip "$vip" 81 tcp active_conns) $(l4json vip "$vip" 81 tcp inactive_conns)"
	tap_is "IPv$fam: SYN then the client's ACKs, no backend reply: the flow is not established (active inactive)" \
		"$got" "0 1"
done

# ------------------------------------------------ mid-stream, no flow: dropped
read -r nf0 <<<"$(l4stats drops_noflow)"
forge 4 80 45010 PA
forge 4 80 45011 FA
forge 4 80 45012 A
forge 6 80 45013 PA
forge 6 80 45014 A
sleep 0.5
read -r nf1 <<<"$(l4stats drops_noflow)"
tap_is "mid-stream segments to a VIP without a flow are not forwarded (LB forward hook)" \
	"$(nft_count lb inet probe fw forwarded)" 0
tap_is "... and reach no backend" "$(at_backends)" 0
if num_ge "$nf0" 0 && num_ge "$nf1" $((nf0 + 5)); then
	tap_ok "... and are counted: drops_noflow $nf0 -> $nf1"
else
	tap_fail "... and are counted in drops_noflow" "before '$nf0', after '$nf1' (wanted +5)"
fi
tap_is "a SYN still opens a flow: the backends got the forged SYN" \
	"$(forge 4 80 45020 S; sleep 0.3; at_backends)" 1

# -------------------------------------------------------- blind and real RSTs
# tcpctl.py drives one real connection and forges RSTs for it.
for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; else vip=$VIP6; fi
	coproc TC { ns_run client python3 "$L4LB_LIB/tcpctl.py" "$vip" $VIP_PORT \
		--iface eth0 --dst-mac "$LB_MAC" 2>&1; }
	tcx() {
		local line
		echo "$*" >&"${TC[1]}"
		read -r -t 20 line <&"${TC[0]}" || line="no answer"
		echo "$line"
	}
	name=$(tcx connect)
	tap_like "IPv$fam: a connection through the VIP" "$name" "be[123]"
	tcx echo >/dev/null
	a0=$(l4json vip "$vip" $VIP_PORT tcp active_conns)
	tcx rst 2147483648 >/dev/null
	tcx rst 3000000000 ack >/dev/null
	sleep 0.3
	tap_is "IPv$fam: blind RSTs (seq + 2^31, + 3e9): the flow stays active" \
		"$(l4json vip "$vip" $VIP_PORT tcp active_conns)" "$a0"
	sleep 4 # > tcp_timeout_close: a flow wrongly closed would be gone now
	tap_is "IPv$fam: ... and still works after tcp_timeout_close" "$(tcx echo)" intact
	tcx rst 0 >/dev/null
	sleep 0.3
	tap_is "IPv$fam: a RST in the window closes it (one active flow fewer)" \
		"$(l4json vip "$vip" $VIP_PORT tcp active_conns)" "$((a0 - 1))"
	tap_like "IPv$fam: ... the backend got it: the connection is reset" "$(tcx echo)" "broken*"
	echo quit >&"${TC[1]}"
	wait "$TC_PID" 2>/dev/null
done

# --------------------------------------------- a reused tuple is rescheduled
# never_on DESC GOT FIRST N : GOT is N backend names, none of them FIRST.
never_on() {
	local desc=$1 got=$2 first=$3 n=$4 w k=0 bad=0
	for w in $got; do
		k=$((k + 1))
		[[ $w == be[123] && $w != "$first" ]] || bad=1
	done
	if ((!bad && k == n)); then
		tap_ok "$desc ($got)"
	else
		tap_fail "$desc" "got: '$got'"
	fi
}

# reuse HOST PORT SPORT N MODE: N connections one after the other from the
# same source port, in one process (well within tcp_timeout_close); MODE
# rst: abortive close (the LB's flow -> CLOSE), fin: graceful close, the
# client first (the LB's flow -> TIME_WAIT). Prints the backends' names.
reuse() {
	ns_run client python3 - "$@" <<-'EOF' 2>&1 | paste -sd ' '
		import socket, struct, sys
		host, port, sport, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
		fam = socket.AF_INET6 if ":" in host else socket.AF_INET
		for _ in range(n):
		    s = socket.socket(fam, socket.SOCK_STREAM)
		    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		    s.settimeout(5)
		    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
		    try:
		        s.connect((host, port))
		        name = b""
		        while not name.endswith(b"\n"):
		            c = s.recv(1)
		            if not c:
		                break
		            name += c
		        print(name.decode().strip() or "closed", flush=True)
		        if mode == "rst":
		            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		        else:
		            s.shutdown(socket.SHUT_WR)
		            while s.recv(4096):
		                pass
		    except OSError as e:
		        print("error:%s" % e, flush=True)
		    s.close()
	EOF
}

for fam in 4 6; do
	if [ $fam = 4 ]; then vip=$VIP4; p=46000; be_1=$BE4_1; be_2=$BE4_2; be_3=$BE4_3
	else vip=$VIP6; p=46100; be_1=[$BE6_1]; be_2=[$BE6_2]; be_3=[$BE6_3]; fi
	lvip=$vip
	[ $fam = 6 ] && lvip=[$vip]
	for mode in rst fin; do
		got=$(reuse "$vip" $VIP_PORT $p 2 $mode)
		p=$((p + 1))
		read -r first second <<<"$got"
		if [[ $first == be[123] && $second == be[123] && $first != "$second" ]]; then
			tap_ok "IPv$fam: a SYN reusing a tuple closed by ${mode^^} goes to the next backend ($got)"
		else
			tap_fail "IPv$fam: a SYN reusing a tuple closed by ${mode^^} goes to the next backend" \
				"got: '$got' (the same backend twice: the old flow was reopened)"
		fi
	done

	# Drained: the flow's backend gets weight 0 between the two connections.
	first=$(reuse "$vip" $VIP_PORT $p 1 rst)
	case $first in be1) be=$be_1 ;; be2) be=$be_2 ;; be3) be=$be_3 ;; *) be= ;; esac
	if [[ -z $be ]]; then
		tap_fail "IPv$fam: drain check: first connection" "got '$first'"
		continue
	fi
	lbctl backend set "$lvip:$VIP_PORT" "$be:$BE_PORT" weight 0
	never_on "IPv$fam: a SYN reusing the tuple of a flow of a drained backend ($first) never goes there" \
		"$(reuse "$vip" $VIP_PORT $p 4 rst)" "$first" 4
	lbctl backend set "$lvip:$VIP_PORT" "$be:$BE_PORT" weight 1
	p=$((p + 1))
	first=$(reuse "$vip" $VIP_PORT $p 1 fin)
	case $first in be1) be=$be_1 ;; be2) be=$be_2 ;; be3) be=$be_3 ;; *) be= ;; esac
	[[ -n $be ]] && lbctl backend del "$lvip:$VIP_PORT" "$be:$BE_PORT"
	never_on "IPv$fam: a SYN reusing a TIME_WAIT tuple of a deleted backend ($first) never goes there" \
		"$(reuse "$vip" $VIP_PORT $p 4 rst)" "$first" 4
	[[ -n $be ]] && lbctl backend add "$lvip:$VIP_PORT" "$be:$BE_PORT"
done

tap_is "no receiver saw a bad checksum" \
	"$(($(csum_errors client) + $(csum_errors be1) + $(csum_errors be2) + $(csum_errors be3)))" 0

topo_teardown
l4lb_unload
tap_done
