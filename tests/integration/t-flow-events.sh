#!/bin/bash
# Flow events (issue 10, item 4): `l4ctl -j monitor flows`, run beside the
# traffic, prints one "flow_new" per flow created through a VIP (K TCP
# connections, M UDP exchanges: exactly K+M, with the tuples `conn list`
# shows) and one "flow_end" per flow flushed (reason flushed) or expired
# (reason expired); a monitor without `flows` prints none of them. With
# flow_events_rate=20, a flood of new flows is told at most at that rate,
# and the events shown plus the suppressed ones (the events' "suppressed"
# fields, and the net counter flow_events_suppressed) are exactly the flows
# created. Without CAP_NET_ADMIN the flows group cannot be joined. The
# module unloads while a listener is attached and flows are being created
# from two senders: no oops, no warning (KASAN clean on the debug kernel).
. "$(dirname "$0")/lib/hard.sh"

W=$(mktemp -d)
K=5 M=4
RATE=20 FLOOD=400
SPOOF_NET=198.18.0.0/15

topo_setup
lb_accept_spoofed $SPOOF_NET
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
LB_MAC=$(lb_mac)
dmesg_bad() { dmesg | grep -cE 'BUG:|WARNING:|KASAN|Oops|general protection|refcount_t'; }
bad_before=$(dmesg_bad)

# The UDP flows expire 10 s after their exchange (see the expiry check):
# time enough to list them first on a slow TCG guest.
lbctl timeouts set udp-unreplied 10 &&
	l4lb_service 4 tcp && l4lb_service 4 udp ||
	{ tap_fail "configure the VIPs"; tap_done; exit 1; }

# mon_start NAME ARGS...: `l4ctl monitor ARGS` in the LB's netns into
# $W/NAME.json (-j but for NAME txt); nsenter execs l4ctl, so $! is the
# monitor itself.
declare -A MON
mon_start() {
	local name=$1 j=-j
	shift
	[ "$name" = txt ] && j=
	nsenter --net=/run/netns/lb -- "$L4CTL" $j monitor "$@" \
		>"$W/$name.json" 2>"$W/$name.err" &
	MON[$name]=$!
}
mon_stop() {
	local name=$1 i
	kill -INT "${MON[$name]}"
	for i in $(seq 1 40); do
		kill -0 "${MON[$name]}" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "${MON[$name]}" 2>/dev/null
	wait "${MON[$name]}"
}
# No readiness signal: change a timeout until each monitor shows it.
mon_ready() {	# SECONDS FILE...
	local secs=$1 i f n
	shift
	for i in $(seq 1 60); do
		lbctl timeouts set udp "$secs" >/dev/null
		n=0
		for f; do grep -qE "\"udp\":$secs|udp $secs" "$f" && n=$((n + 1)); done
		((n == $#)) && return 0
		sleep 0.25
	done
	return 1
}
# flows FILE [EVENT]: the flow events of FILE, one line each:
# event proto client vip backend reason suppressed
flows() {
	python3 -c '
import json, sys
want = sys.argv[2] if len(sys.argv) > 2 else None
def ep(e):
    return "%s:%d" % (e["address"], e["port"])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if not e["event"].startswith("flow_") or (want and e["event"] != want):
        continue
    print(e["event"], e["proto"], ep(e["client"]), ep(e["vip"]), ep(e["backend"]),
          e.get("reason", "-"), e["suppressed"])' "$@"
}
# conns PROTO: the flows `conn list` shows, as flows() prints a new one.
conns() {
	lbctl -j conn list proto "$1" | python3 -c '
import json, sys
def ep(e):
    return "%s:%d" % (e["address"], e["port"])
for c in json.load(sys.stdin):
    print("flow_new", c["proto"], ep(c["client"]), ep(c["vip"]), ep(c["backend"]), "- 0")' |
		sort
}
# wait_count N REGEX FILE [SECONDS]: until N lines of FILE match (20 s at
# most); grep, not python: python starts slowly under TCG.
wait_count() {
	local i
	for i in $(seq 1 $((${4:-20} * 4))); do
		(($(grep -cE -- "$2" "$3") >= $1)) && return 0
		sleep 0.25
	done
	return 1
}
netstat_suppressed() {
	lbctl -j stats | python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if "flow_events_suppressed" in o:
            return o["flow_events_suppressed"]
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
print(find(json.load(sys.stdin)))'
}

# ------------------------------------------------- K TCP + M UDP flows
mon_start flows flows
mon_start conf
mon_start txt flows
mon_ready 301 "$W/flows.json" "$W/conf.json" "$W/txt.json"
tap_check "the monitors report a change" test $? = 0

udp_names=$(hellos $M "$VIP4" $VIP_PORT --udp)
udp_conns=$(conns udp)
tcp_names=$(hellos $K "$VIP4" $VIP_PORT)
tcp_conns=$(conns tcp)
tap_like "$M UDP exchanges answered" "$udp_names" "be[123]*"
tap_is "$M UDP flows listed" "$(wc -l <<<"$udp_conns")" $M
tap_is "$K TCP flows listed" "$(wc -l <<<"$tcp_conns")" $K

wait_count $((K + M)) '"flow_new"' "$W/flows.json"
new=$(flows "$W/flows.json" flow_new)
tap_is "exactly K+M = $((K + M)) new-flow events" "$(wc -l <<<"$new")" $((K + M))
tap_is "UDP: the new events are the flows conn list shows (client, VIP, backend)" \
	"$(grep ' udp ' <<<"$new" | sort)" "$udp_conns"
tap_is "TCP: the new events are the flows conn list shows" \
	"$(grep ' tcp ' <<<"$new" | sort)" "$tcp_conns"
# The order of the events is that of the flows: each hello's backend.
be_of() { sed -E 's/be([123])/10.0.1.\1:8080/'; }
tap_is "new events in the order of the flows (their backends)" \
	"$(awk '{print $5}' <<<"$new" | paste -sd ' ')" \
	"$(echo $udp_names $tcp_names | tr ' ' '\n' | be_of | paste -sd ' ')"

# Flush the TCP flows: one end event each, "flushed".
lbctl conn flush proto tcp
tap_is "flush: conn list has no TCP flow left" "$(conns tcp)" ""
wait_count $K '"flow_end"' "$W/flows.json"
ends=$(flows "$W/flows.json" flow_end | grep ' tcp ' | sort)
tap_is "flush: one end event per TCP flow, reason flushed" "$ends" \
	"$(sed 's/^flow_new \(.*\) - 0$/flow_end \1 flushed 0/' <<<"$tcp_conns")"

# The UDP flows expire (udp-unreplied 10 s, GC every second).
wait_count $((K + M)) '"flow_end"' "$W/flows.json" 40
ends=$(flows "$W/flows.json" flow_end | grep ' udp ' | sort)
tap_is "expiry: one end event per UDP flow, reason expired" "$ends" \
	"$(sed 's/^flow_new \(.*\) - 0$/flow_end \1 expired 0/' <<<"$udp_conns")"
tap_is "expiry: conn list has no UDP flow left" "$(conns udp)" ""

mon_ready 302 "$W/flows.json" "$W/conf.json" "$W/txt.json"
mon_stop flows; rc1=$?
mon_stop conf; rc2=$?
mon_stop txt; rc3=$?
tap_is "the monitors end cleanly on SIGINT, no errors" \
	"$rc1 $rc2 $rc3 $(cat "$W/flows.err" "$W/conf.err" "$W/txt.err")" "0 0 0 "
tap_is "nothing more: K+M new and K+M end events" \
	"$(flows "$W/flows.json" | wc -l)" $((2 * (K + M)))
tap_is "a monitor without 'flows' prints no flow event" \
	"$(grep -c '"flow_' "$W/conf.json")" 0
# The last markers only: the monitors subscribe at different moments, so
# the first round's early markers may reach one and not the other.
marks302() { grep -c '"timeouts_set".*"udp":302' "$1"; }
tap_is "... but the configuration events (the markers)" \
	"$(marks302 "$W/conf.json") $(($(marks302 "$W/conf.json") > 0))" \
	"$(marks302 "$W/flows.json") 1"
tap_is "below the rate nothing is suppressed (net counter)" \
	"$(netstat_suppressed)" 0

# Text: one line per event, as the JSON monitor's.
tap_is "text: as many new and end lines as JSON events" \
	"$(grep -c '^flow new ' "$W/txt.json") $(grep -c '^flow end ' "$W/txt.json")" \
	"$((K + M)) $((K + M))"
tap_like "text: a TCP flow's new line" "$(grep -m1 '^flow new tcp' "$W/txt.json")" \
	"flow new tcp 10.0.0.2:* -> 10.0.0.10:80 backend 10.0.1.[123]:8080 dnat"
tap_like "text: an end line with its reason" "$(grep -m1 '^flow end tcp' "$W/txt.json")" \
	"flow end tcp 10.0.0.2:* -> 10.0.0.10:80 backend 10.0.1.[123]:8080 dnat* (flushed)"
tap_like "text: an expired one" "$(grep -m1 '^flow end udp' "$W/txt.json")" \
	"flow end udp 10.0.0.2:* -> 10.0.0.10:80 backend 10.0.1.[123]:8080 dnat* (expired)"

# ------------------------------------------------- unprivileged listener
# Straight to the group, as a user without CAP_NET_ADMIN: the kernel says
# no (l4ctl would stop at the events group first).
cat >"$W/join.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
s.bind((0, 0))
name = b"l4lb\0"
attr = struct.pack("=HH", 4 + len(name), 2) + name + b"\0" * (-len(name) % 4)
msg = struct.pack("=BBH", 3, 1, 0) + attr
s.send(struct.pack("=IHHII", 16 + len(msg), 0x10, 1, 1, 0) + msg)
data = s.recv(65536)
off, groups = 20, {}
while off + 4 <= len(data):
    ln, kind = struct.unpack_from("=HH", data, off)
    if kind & 0x7fff == 7:	# CTRL_ATTR_MCAST_GROUPS
        g = off + 4
        while g < off + ln:
            gl = struct.unpack_from("=H", data, g)[0]
            a, gname, gid = g + 4, None, None
            while a < g + gl:
                al, ak = struct.unpack_from("=HH", data, a)
                if ak == 1:
                    gname = data[a + 4:a + al - 1].decode()
                elif ak == 2:
                    gid = struct.unpack_from("=I", data, a + 4)[0]
                a += (al + 3) & ~3
            groups[gname] = gid
            g += (gl + 3) & ~3
    off += (ln + 3) & ~3
try:
    s.setsockopt(270, 1, groups[sys.argv[1]])
    print("joined")
except OSError as e:
    print("errno=%d" % e.errno)
EOF
chmod 755 "$W" && chmod 644 "$W/join.py"
tap_is "root joins the flows group" "$(ns_run lb python3 "$W/join.py" flows)" joined
tap_is "a user without CAP_NET_ADMIN cannot join it (EPERM)" \
	"$(ns_run lb setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all python3 "$W/join.py" flows)" "errno=1"
out=$(ns_run lb timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all "$L4CTL" monitor flows 2>&1 </dev/null)
tap_is "... nor run 'l4ctl monitor flows' (exit status 2)" $? 2
tap_like "... which says it needs CAP_NET_ADMIN" "$out" "*CAP_NET_ADMIN*"

# ------------------------------------------------- a flood over the rate
# Reloaded with a low rate; UDP flows that outlive the test.
l4lb_unload
l4lb_load flow_events_rate=$RATE udp_timeout_unreplied=600 ||
	{ tap_fail "reload l4lb.ko"; tap_done; exit 1; }
l4lb_service 4 udp || tap_fail "configure the UDP VIP again"
t_start=$(date +%s.%N)
mon_start flood flows
for i in $(seq 1 60); do	# joined once a flow shows
	hellos 1 "$VIP4" $VIP_PORT --udp >/dev/null
	grep -q flow_new "$W/flood.json" && break
	sleep 0.25
done
sleep 1.5	# the bucket full again
ns_exec client python3 "$L4LB_LIB/flood.py" --iface eth0 --dst-mac "$LB_MAC" \
	--dst "$VIP4" --dport $VIP_PORT --proto udp --pairs $FLOOD \
	--start-file "$W/start" --done-file "$W/done" >"$W/flood.out"
sleep 1.5
# One more flow once the bucket has room: it tells the last suppressed.
before=$(grep -c flow_new "$W/flood.json")
hellos 1 "$VIP4" $VIP_PORT --udp >/dev/null
wait_count $((before + 1)) flow_new "$W/flood.json"
t_end=$(date +%s.%N)
conns_created=$(l4json vip "$VIP4" $VIP_PORT udp conns)
read -r shown supp_sum <<<"$(flows "$W/flood.json" flow_new |
	awk '{n++; s += $NF} END {print n + 0, s + 0}')"
net_supp=$(netstat_suppressed)
secs=$(python3 -c "print($(cat "$W/done") - $(cat "$W/start"))")
tap_diag "flood: $FLOOD flows in ${secs}s; events shown $shown, suppressed $supp_sum (net $net_supp), flows $conns_created"
tap_check "the flood was suppressed in part" test "$net_supp" -gt 0
# The flood's own flows (their clients in $SPOOF_NET), created between
# its start and its end: a full bucket (RATE), then RATE a second (and
# half a second more for the packets still queued when the sender ended).
flood_shown=$(flows "$W/flood.json" flow_new | grep -c ' 198\.1[89]\.')
limit=$(python3 -c "print(int($RATE * (1 + $secs + 0.5)) + 1)")
tap_check "flood events shown ($flood_shown) within the bucket ($limit)" \
	test "$flood_shown" -ge 1 -a "$flood_shown" -le "$limit"
# All of them, while the monitor listened.
limit=$(python3 -c "print(int($RATE * (1 + $t_end - $t_start)) + 1)")
tap_check "all events shown ($shown) within the bucket ($limit)" \
	test "$shown" -le "$limit"
tap_is "the events' suppressed fields add up to the net counter" "$supp_sum" "$net_supp"
tap_is "shown + suppressed = the flows created" "$((shown + net_supp))" "$conns_created"
tap_check "the flows created: the flood's and the probes'" \
	test "$conns_created" -ge $((FLOOD + 2))

# ------------------------------------------------- unload under load
# The flood's monitor still listens.
floods=()
for s in 11 12; do
	ns_exec client python3 "$L4LB_LIB/flood.py" --iface eth0 --dst-mac "$LB_MAC" \
		--dst "$VIP4" --dport $VIP_PORT --proto udp --pairs 30000 --seed $s \
		>/dev/null 2>&1 &
	floods+=($!)
done
sleep 2
l4lb_unload; rc=$?
tap_is "rmmod with a listener attached and flows being created" $rc 0
tap_check "... while the floods still ran" kill -0 "${floods[@]}"
wait "${floods[@]}"
mon_stop flood
tap_check "the module is gone" test "$(l4lb_loaded && echo yes)" = ""
tap_is "no oops, warning or KASAN report" "$(dmesg_bad)" "$bad_before"

topo_teardown
rm -rf "$W"
tap_done
