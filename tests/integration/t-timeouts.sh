#!/bin/bash
# Per-VIP timeouts and the netns defaults, set at run time (issue 8 item 5),
# and one packet scheduling (ops) for UDP:
#  - a VIP with its own short udp-unreplied / tcp-fin expires its flows
#    while another VIP's, on the defaults, stay;
#  - changing the netns default (l4ctl timeouts set) changes the VIPs that
#    follow it, not one with its own value; vip set changes a live VIP, and
#    "default" makes it follow the namespace again; l4ctl shows all of it;
#  - invalid values are refused by l4ctl (exit 1) and by the kernel (raw
#    netlink), each with its message;
#  - ops: queries from ONE source port are spread over both backends and
#    leave no flow behind; two queries sent together both get their
#    answers; a port unreachable about an ops query is still translated;
#    the same queries to a VIP without ops keep one flow and one backend.
. "$(dirname "$0")/lib/hard.sh"

W=$(mktemp -d)
topo_setup
l4lb_load gc_interval_ms=100 || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all

V=$VIP4
# Emulation is slow (a Python start-up takes a second): short timeouts are
# 5 s, traffic to several VIPs goes from one process, and one l4ctl call
# reads the counters of several.
# 53: own udp-unreplied 5 s; 54: defaults; 80: own tcp-fin 5 s; 81: defaults;
# 58: defaults, used after they change; 55: ops; 56: no ops; 57: ops,
# backend port without a server.
ok=1
lbctl vip add $V:53 proto udp timeout udp-unreplied 5 || ok=0
lbctl vip add $V:54 proto udp || ok=0
lbctl vip add $V:80 proto tcp timeout tcp-fin 5 || ok=0
lbctl vip add $V:81 proto tcp || ok=0
lbctl vip add $V:55 proto udp ops || ok=0
lbctl vip add $V:56 proto udp || ok=0
lbctl vip add $V:57 proto udp ops || ok=0
lbctl vip add $V:58 proto udp || ok=0
for p in 53 54 55 56 58; do
	lbctl backend add $V:$p $BE4_1:$BE_PORT proto udp || ok=0
	lbctl backend add $V:$p $BE4_2:$BE_PORT proto udp || ok=0
done
for p in 80 81; do
	lbctl backend add $V:$p $BE4_1:$BE_PORT proto tcp || ok=0
done
lbctl backend add $V:57 $BE4_1:9999 proto udp || ok=0
tap_is "VIPs with their own timeouts, ops, and their backends added" $ok 1

# vip_field PORT PROTO EXPR: a Python expression over the VIP's JSON object
# v (e.g. v["timeouts"]["udp"]), or "missing".
vip_field() {
	lbctl -j vip show | python3 -c '
import json, sys
port, proto, expr = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for v in json.load(sys.stdin):
    if v["port"] == port and v["proto"] == proto:
        try:
            r = eval(expr, {"v": v})
            print(" ".join(map(str, r)) if isinstance(r, tuple) else r)
        except (KeyError, IndexError, TypeError):
            print("missing")
        break
else:
    print("missing")' "$@"
}
# flows PORT/PROTO...: the flows (active + inactive) of each VIP, one call.
flows() {
	lbctl -j vip show | python3 -c '
import json, sys
vips = {"%d/%s" % (v["port"], v["proto"]): v["stats"] for v in json.load(sys.stdin)}
print(" ".join(str(vips[k]["active_conns"] + vips[k]["inactive_conns"])
               if k in vips else "missing" for k in sys.argv[1:]))' "$@"
}

# talk PORT/PROTO...: one exchange with each VIP port (TCP: closed by both
# sides), from one process; prints the backends' names.
talk() {
	ns_run client python3 -c '
import socket, sys
names = []
for arg in sys.argv[2:]:
    port, proto = arg.split("/")
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(5)
    s.connect((sys.argv[1], int(port)))
    if proto == "udp":
        s.send(b"hello")
        names.append(s.recv(2048).split(b"\n")[0].decode())
    else:
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(2048)
            if not chunk:
                break
            data += chunk
        names.append(data.split(b"\n")[0].decode())
    s.close()
print(" ".join(names))' $V "$@" 2>&1
}

tap_is "l4ctl timeouts: the module parameters' values" \
	"$(lbctl timeouts)" \
	"tcp-unreplied 10 tcp-syn 60 tcp-established 900 tcp-fin 120 tcp-close 10 udp-unreplied 30 udp 300"
tap_is "vip show: own timeouts in force and listed, the rest the defaults" \
	"$(vip_field 53 udp 'v["timeouts"]["udp_unreplied"], v["timeouts"]["udp"], v["own_timeouts"], "tcp_fin" in v["timeouts"]')" \
	"5 300 ['udp_unreplied'] False"
tap_like "vip show (text): the VIP's own timeout as typed" \
	"$(lbctl vip show | grep "^vip $V:80 ")" "* timeout tcp-fin 5"

# --- own short timeouts expire while the defaults hold -------------------
tap_is "one exchange each with udp 53/54, tcp 80/81" \
	"$(talk 53/udp 54/udp 80/tcp 81/tcp)" "be1 be1 be1 be1"
tap_is "one flow each" "$(flows 53/udp 54/udp 80/tcp 81/tcp)" "1 1 1 1"
sleep 6
tap_is "after 6 s: the flows of the VIPs with 5 s timeouts are gone, the others stay" \
	"$(flows 53/udp 54/udp 80/tcp 81/tcp)" "0 1 0 1"

# --- the netns default changes the VIPs following it ----------------------
tap_check "vip set on a live VIP: udp-unreplied 60 for udp 53" \
	lbctl vip set $V:53 proto udp timeout udp-unreplied 60
tap_check "l4ctl timeouts set udp-unreplied 5 (the netns default)" \
	lbctl timeouts set udp-unreplied 5
tap_is "-j timeouts shows the new default" \
	"$(lbctl -j timeouts | python3 -c 'import json,sys; print(json.load(sys.stdin)["udp_unreplied"])')" 5
tap_is "vip show: udp 54 follows the default (5), udp 53 keeps its own (60)" \
	"$(vip_field 54 udp 'v["timeouts"]["udp_unreplied"]') $(vip_field 53 udp 'v["timeouts"]["udp_unreplied"]')" \
	"5 60"
# 54's flow, made before the change, keeps its 30 s expiry until its next
# packet; 58 has none yet.
out=$(talk 53/udp 58/udp)
tap_is "a new flow each on udp 53 (own 60 s) and udp 58 (default, now 5 s)" \
	"$(flows 53/udp 58/udp)" "1 1"
sleep 6
tap_is "after 6 s: 58's flow is gone, 53's stays" "$(flows 53/udp 58/udp)" "1 0"

tap_check "vip set udp 53 timeout udp-unreplied default: follows the default again" \
	lbctl vip set $V:53 proto udp timeout udp-unreplied default
tap_is "vip show: udp 53 now at the default (5), no own timeout" \
	"$(vip_field 53 udp 'v["timeouts"]["udp_unreplied"], v["own_timeouts"]')" "5 []"
tap_check "l4ctl timeouts set udp-unreplied 600 tcp-fin 300" \
	lbctl timeouts set udp-unreplied 600 tcp-fin 300
tap_is "both follow: udp 53 and 54 at 600, tcp 81 at tcp-fin 300, tcp 80 keeps 5" \
	"$(vip_field 53 udp 'v["timeouts"]["udp_unreplied"]') $(vip_field 54 udp 'v["timeouts"]["udp_unreplied"]') $(vip_field 81 tcp 'v["timeouts"]["tcp_fin"]') $(vip_field 80 tcp 'v["timeouts"]["tcp_fin"]')" \
	"600 600 300 5"

# --- invalid values ------------------------------------------------------
out=$(lbctl vip set $V:53 proto udp timeout udp 0 2>&1); st=$?
tap_is "l4ctl refuses timeout udp 0 for a VIP (exit 1, says why)" \
	"$st: $out" "1: l4ctl: invalid timeout udp '0': expected seconds from 1 to 86400, or default"
out=$(lbctl timeouts set tcp-established 604801 2>&1); st=$?
tap_is "l4ctl refuses a default out of range (exit 1, says why)" \
	"$st: $out" "1: l4ctl: invalid timeout tcp-established '604801': expected seconds from 1 to 604800"
# rawnl CMD ATTRS-EXPR: send a hand-made request, print "errno=... msg=...".
rawnl() {
	ns_run lb python3 -c '
import sys, rawnl as r
T = 14  # L4LB_VIP_ATTR_TIMEOUTS
cases = {
    "vip-udp-86401": (9, r.vip(r.nest(T, r.u32(8, 86401)), port=53, proto=r.UDP)),
    "vip-close-3601": (9, r.vip(r.nest(T, r.u32(6, 3601)), port=80)),
    "vip-timeout-pad": (9, r.vip(r.nest(T, r.u32(1, 5)), port=80)),
    "net-zero": (10, r.nest(3, r.nest(10, r.u32(7, 0)))),
    "net-empty": (10, r.nest(3, r.nest(10))),
    "net-none": (10, b""),
    "net-est-604801": (10, r.nest(3, r.nest(10, r.u32(4, 604801)))),
}
cmd, attrs = cases[sys.argv[1]]
r.CASES["x"] = (cmd, 0, attrs)
sys.argv[1] = "x"
sys.exit(r.main())' "$1" 2>&1
}
tap_like "kernel: a VIP timeout above its range is refused" "$(rawnl vip-udp-86401)" "errno=ERANGE msg=*range*"
tap_like "kernel: tcp-close above 3600 is refused" "$(rawnl vip-close-3601)" "errno=ERANGE msg=*range*"
tap_like "kernel: an attribute that is no timeout is refused" "$(rawnl vip-timeout-pad)" "errno=E* msg=?*"
tap_is "kernel: a default of 0 is refused" "$(rawnl net-zero)" "errno=ERANGE msg=a default timeout cannot be 0"
tap_is "kernel: NET_SET without timeouts is refused" "$(rawnl net-empty) / $(rawnl net-none)" \
	"errno=EINVAL msg=no timeout given / errno=EINVAL msg=missing network namespace settings"
tap_like "kernel: a default above its range is refused" "$(rawnl net-est-604801)" "errno=ERANGE msg=*range*"
tap_is "nothing changed by the refused requests" \
	"$(lbctl timeouts) / $(vip_field 80 tcp 'v["timeouts"]["tcp_close"], v["own_timeouts"]')" \
	"tcp-unreplied 10 tcp-syn 60 tcp-established 900 tcp-fin 300 tcp-close 10 udp-unreplied 600 udp 300 / 10 ['tcp_fin']"

# --- one packet scheduling -------------------------------------------------
got=$(hellos 6 $V 55 --udp --sport 45555)
tap_is "ops: 6 queries from one source port go to both backends in turn" \
	"$got" "be1 be2 be1 be2 be1 be2"
tap_is "ops: 6 flows counted, none left in the table after the answers" \
	"$(vip_field 55 udp 'v["stats"]["conns"], v["stats"]["active_conns"], v["stats"]["pkts_in"], v["stats"]["pkts_out"]')" \
	"6 0 6 6"
got=$(hellos 6 $V 56 --udp --sport 45556)
tap_is "no ops: the same queries stay on one backend" "$got" "be1 be1 be1 be1 be1 be1"
tap_is "no ops: one flow, alive" \
	"$(vip_field 56 udp 'v["stats"]["conns"], v["stats"]["active_conns"]')" "1 1"

# A resolver's A and AAAA: two queries sent together from one socket. The
# backends' UDP servers are stopped meanwhile, so both queries are surely
# in flight together (serve_all started be1's UDP server second, be2's
# sixth).
kill -STOP "${_SERVE_PIDS[1]}" "${_SERVE_PIDS[5]}"
ns_run client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(30)
s.bind(("0.0.0.0", 45557))
s.connect((sys.argv[1], 55))
s.send(b"q1")
s.send(b"q2")
got = sorted(s.recv(2048).decode().split("\n")[1] for _ in range(2))
print(" ".join(got))' $V >"$W/pair.out" 2>&1 &
pair=$!
# python3's start takes seconds on a busy TCG host: wait for the flow
for i in $(seq 1 40); do
	inflight=$(vip_field 55 udp 'v["stats"]["conns"], v["stats"]["active_conns"]')
	[[ $inflight == "7 1" ]] && break
	sleep 0.5
done
sleep 0.5
inflight=$(vip_field 55 udp 'v["stats"]["conns"], v["stats"]["active_conns"]')
kill -CONT "${_SERVE_PIDS[1]}" "${_SERVE_PIDS[5]}"
wait $pair
tap_is "ops: two queries sent together share one flow while unanswered" "$inflight" "7 1"
tap_is "ops: both get their answer from the VIP" "$(cat "$W/pair.out")" "q1 q2"
tap_is "ops: and their flow ended with the second answer" \
	"$(vip_field 55 udp 'v["stats"]["conns"], v["stats"]["active_conns"]')" "7 0"

x0=$(l4stats icmp_xlated)
out=$(ns_run client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((sys.argv[1], 57))
s.send(b"query")
try:
    s.recv(2048)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")' $V 2>&1)
tap_is "ops: a port unreachable from the backend reaches the client translated" \
	"$out" refused
tap_is "ops: counted as translated, the unanswered flow stays (udp-unreplied)" \
	"$(($(l4stats icmp_xlated) - x0)) $(vip_field 57 udp 'v["stats"]["active_conns"]')" "1 1"

topo_teardown
l4lb_unload
tap_done
