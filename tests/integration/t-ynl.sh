#!/bin/bash
# The family's YNL spec (Documentation/netlink/specs/l4lb.yaml) drives the
# kernel through the kernel's own ynl tool (tools/net/ynl/cli.py, cached on
# the host by tests/ynl-fetch, seen here over the read-only root): a VIP
# and a backend made with ynl show in `l4ctl -j vip show` / `backend show`
# as given, and carry traffic; ynl's dumps of VIPs, backends and flows and
# its net-get agree with l4ctl's views; refused requests come back with the
# kernel's extack message (a handler's, a policy's, the dump-only one);
# `--subscribe events` sees the changes l4ctl makes, in order, decoded.
. "$(dirname "$0")/lib/l4lb.sh"

YNL_DIR=${L4LB_YNL_DIR:-/var/cache/l4lb-ynl/linux-source-6.12}
SPEC=$L4LB_TOP/Documentation/netlink/specs/l4lb.yaml
W=$(mktemp -d)

if [[ ! -f $YNL_DIR/tools/net/ynl/cli.py ]]; then
	tap_fail "the kernel's ynl tool is in $YNL_DIR (run tests/ynl-fetch on the host)"
	tap_done
	exit 1
fi
topo_setup || { tap_fail "topology"; tap_done; exit 1; }
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_start be1 be1 $BE_PORT udp || { tap_fail "UDP server on be1"; tap_done; exit 1; }

# ynl ARGS... : cli.py in the LB's namespace, JSON out. The first run
# checks the spec against the kernel's schema (as lint does), the others
# save the time (seconds of Python under emulation).
SCHEMA=(--schema "$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml")
ynl() {
	ns_run lb "$SITE_PYTHON3" "$YNL_DIR/tools/net/ynl/cli.py" --spec "$SPEC" \
		"${SCHEMA[@]}" --output-json "$@"
	local rc=$?
	SCHEMA=(--no-schema)
	return $rc
}
# ynl (Linux 6.12) takes binary attributes as hex.
hexaddr() { python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).packed.hex())' "$1"; }
# py 'EXPR' FILE... : a Python expression over the JSON files j[0], j[1]...
py() {
	local expr=$1
	shift
	python3 -c '
import json, sys
j = [json.load(open(f)) for f in sys.argv[2:]]
P = {6: "tcp", 17: "udp"}
print(eval(sys.argv[1]))' "$expr" "$@" 2>&1
}

V4=$(hexaddr $VIP4) B4=$(hexaddr $BE4_1)
VIPKEY="{\"family\": 2, \"addr\": \"$V4\", \"port\": $VIP_PORT, \"proto\": 17}"

# 1. Configuration made with ynl, seen by l4ctl.
ynl --do vip-new --json "{\"vip\": {\"family\": 2, \"addr\": \"$V4\", \"port\": $VIP_PORT,
	\"proto\": 17, \"sched\": \"wrr\", \"mode\": \"dnat\", \"flags\": [\"no-reject\"],
	\"maxconn\": 1000, \"timeouts\": {\"udp\": 600, \"udp-unreplied\": 600}}}" >"$W/new.out" 2>&1
tap_is "ynl --do vip-new: a UDP VIP (sched, mode, flags, maxconn, timeouts)" \
	"$? $(cat "$W/new.out")" "0 null"
ynl --do backend-new --json "{\"vip\": $VIPKEY, \"backend\": {\"family\": 2,
	\"addr\": \"$B4\", \"port\": $BE_PORT, \"weight\": 5}}" >"$W/bnew.out" 2>&1
tap_is "ynl --do backend-new: its backend, weight 5" "$? $(cat "$W/bnew.out")" "0 null"
lbctl -j vip show >"$W/l4-vips.json"
tap_is "l4ctl -j vip show: the VIP as ynl made it" \
	"$(py '[(v["address"], v["port"], v["proto"], v["sched"], v["mode"], v["maxconn"], v["reject"]) for v in j[0]]' "$W/l4-vips.json")" \
	"[('$VIP4', $VIP_PORT, 'udp', 'wrr', 'dnat', 1000, False)]"
lbctl -j backend show $VIP4:$VIP_PORT proto udp >"$W/l4-bes.json"
tap_is "l4ctl -j backend show: the backend as ynl made it" \
	"$(py '[(b["address"], b["port"], b["weight"], b["state"]) for b in j[0]]' "$W/l4-bes.json")" \
	"[('$BE4_1', $BE_PORT, 5, 'up')]"
tap_is "the VIP made with ynl carries traffic" "$(hellos 1 "$VIP4" $VIP_PORT --udp)" "be1"

# 2. Configuration made with l4ctl, seen by ynl: the dumps agree with l4ctl.
lbctl vip add "[$VIP6]:443" proto tcp sched maglev &&
	lbctl backend add "[$VIP6]:443" "[$BE6_2]:8443" proto tcp weight 2 state drain
tap_is "l4ctl adds an IPv6 VIP and a draining backend" $? 0
ynl --dump vip-get >"$W/ynl-vips.json" 2>&1
lbctl -j vip show >"$W/l4-vips.json"
vipq='sorted((v["address"], v["port"], v["proto"], v["sched"], v["mode"]) for v in VIPS)'
tap_is "ynl --dump vip-get agrees with l4ctl -j vip show" \
	"$(py "${vipq//VIPS/[dict(x[\"vip\"], proto=P[x[\"vip\"][\"proto\"]], address=x[\"vip\"][\"addr\"]) for x in j[0]]}" "$W/ynl-vips.json")" \
	"$(py "${vipq//VIPS/j[0]}" "$W/l4-vips.json")"
tap_is "ynl decodes the VIP's flags, timeouts and counters" \
	"$(py '[(x["vip"]["flags"], x["vip"]["timeouts"], x["vip"]["maxconn"], x["vip"]["stats"]["conns"]) for x in j[0] if x["vip"]["proto"] == 17]' "$W/ynl-vips.json")" \
	"[(['no-reject'], {'udp-unreplied': 600, 'udp': 600}, 1000, 1)]"
V6=$(hexaddr $VIP6)
ynl --dump backend-get --json "{\"vip\": {\"family\": 10, \"addr\": \"$V6\", \"port\": 443, \"proto\": 6}}" \
	>"$W/ynl-bes.json" 2>&1
lbctl -j backend show "[$VIP6]:443" proto tcp >"$W/l4-bes.json"
tap_is "ynl --dump backend-get agrees with l4ctl -j backend show" \
	"$(py '[(x["backend"]["addr"], x["backend"]["port"], x["backend"]["weight"], x["backend"]["state"]) for x in j[0]]' "$W/ynl-bes.json")" \
	"$(py '[(b["address"], b["port"], b["weight"], b["state"]) for b in j[0]]' "$W/l4-bes.json")"
ynl --do net-get >"$W/net.json" 2>&1
lbctl -j timeouts show >"$W/l4-to.json" 2>&1
tap_is "ynl --do net-get: 2 VIPs, 2 backends, 1 flow, the default timeouts as l4ctl shows them" \
	"$(py '(j[0]["net"]["vips"], j[0]["net"]["backends"], j[0]["net"]["conns"], j[0]["net"]["timeouts"]["tcp-established"] == j[1]["tcp_established"] and j[0]["net"]["timeouts"]["udp"] == j[1]["udp"])' "$W/net.json" "$W/l4-to.json")" \
	"(2, 2, 1, True)"
ynl --dump conn-get >"$W/conns.json" 2>&1
lbctl -j conn list >"$W/l4-conns.json"
got=$(py '[(c["conn"]["orig"]["src"], c["conn"]["orig"]["dst"], c["conn"]["orig"]["dport"], c["conn"]["backend-addr"], c["conn"]["backend-port"], c["conn"]["mode"], sorted(c["conn"]["flags"])) for c in j[0]]' "$W/conns.json")
tap_is "ynl --dump conn-get: the flow" "$got" \
	"[('$CLIENT4', '$VIP4', $VIP_PORT, '$BE4_1', $BE_PORT, 'dnat', ['replied'])]"
tap_is "... as l4ctl -j conn list shows it" \
	"$(py '[(c["client"]["address"], c["vip"]["address"], c["vip"]["port"], c["backend"]["address"], c["backend"]["port"], c["mode"], ["replied"] if c["replied"] else []) for c in j[0]]' "$W/l4-conns.json")" \
	"$got"
ynl --dump conn-get --json '{"conn": {"family": 2, "proto": 6}}' >"$W/conns-tcp.json" 2>&1
tap_is "ynl --dump conn-get with a filter (TCP): none" "$(cat "$W/conns-tcp.json")" "[]"
ynl --do stats-zero --json "{\"vip\": $VIPKEY}" >"$W/zero.out" 2>&1
tap_is "ynl --do stats-zero of the UDP VIP" "$? $(cat "$W/zero.out")" "0 null"
lbctl -j vip show >"$W/l4-vips.json"
tap_is "... l4ctl: its counters 0, its flow still active (a gauge)" \
	"$(py '[(v["stats"]["conns"], v["stats"]["pkts_in"], v["stats"]["active_conns"]) for v in j[0] if v["proto"] == "udp"]' "$W/l4-vips.json")" \
	"[(0, 0, 1)]"

# 3. Refusals carry the kernel's extack message.
out=$(ynl --do vip-new --json "{\"vip\": {\"family\": 2, \"addr\": \"$V4\", \"port\": 81, \"proto\": 1}}" 2>&1)
rc=$?
tap_like "a refused vip-new (proto 1): the handler's extack message" \
	"$rc $out" "1 *rotocol not supported*protocol must be TCP or UDP*"
out=$(ynl --do backend-set --json "{\"vip\": $VIPKEY, \"backend\": {\"family\": 2,
	\"addr\": \"$B4\", \"port\": $BE_PORT, \"weight\": 70000}}" 2>&1)
rc=$?
tap_like "a refused backend-set (weight 70000): the policy's, at .backend.weight" \
	"$rc $out" "1 *Numerical result out of range*bad-attr*backend.weight*"
out=$(ynl --do vip-get 2>&1)
rc=$?
tap_like "vip-get as a do: refused, send it as a dump" "$rc $out" "1 *send it as a dump*"

# 4. Events: ynl subscribed to "events" sees what l4ctl changes. cli.py
# joins the group, then sleeps, then prints what came: the changes are made
# once it sleeps (nsenter execs python: $! is cli.py).
nsenter --net=/run/netns/lb -- "$SITE_PYTHON3" "$YNL_DIR/tools/net/ynl/cli.py" --spec "$SPEC" \
	--no-schema --output-json --subscribe events --sleep 25 >"$W/events.json" 2>"$W/events.err" &
sub=$!
sleeping=0
for i in $(seq 1 240); do
	if grep -q nanosleep "/proc/$sub/wchan" 2>/dev/null ||
		grep -qE '^(35|230) ' "/proc/$sub/syscall" 2>/dev/null; then
		sleeping=1
		break
	fi
	kill -0 $sub 2>/dev/null || break
	sleep 0.25
done
tap_is "ynl --subscribe events: subscribed (cli.py sleeps)" $sleeping 1
lbctl backend set $VIP4:$VIP_PORT $BE4_1:$BE_PORT proto udp weight 7 &&
	lbctl vip set $VIP4:$VIP_PORT proto udp sched rr &&
	lbctl timeouts set udp 301 &&
	lbctl backend del "[$VIP6]:443" "[$BE6_2]:8443" proto tcp &&
	lbctl stats zero vip $VIP4:$VIP_PORT proto udp
tap_is "l4ctl makes five changes" $? 0
wait $sub
tap_is "ynl --subscribe ends cleanly" "$? $(cat "$W/events.err")" "0 "
tap_is "ynl sees the five events, in order, decoded" \
	"$(py '[(e["name"], e["msg"].get("vip", {}).get("sched"), e["msg"].get("backend", {}).get("weight"), e["msg"].get("net", {}).get("timeouts", {}).get("udp")) for e in j[0]]' "$W/events.json")" \
	"[('backend-set-ntf', None, 7, None), ('vip-set-ntf', 'rr', None, None), ('net-set-ntf', None, None, 301), ('backend-del-ntf', None, 2, None), ('stats-zero-ntf', 'rr', None, None)]"

# 5. Deletion with ynl.
ynl --do vip-del --json "{\"vip\": $VIPKEY}" >"$W/del.out" 2>&1
tap_is "ynl --do vip-del" "$? $(cat "$W/del.out")" "0 null"
lbctl -j vip show >"$W/l4-vips.json"
tap_is "l4ctl -j vip show: only the IPv6 VIP is left" \
	"$(py '[(v["address"], v["port"], len(v.get("backends", []))) for v in j[0]]' "$W/l4-vips.json")" \
	"[('$VIP6', 443, 0)]"

serve_stop_all 2>/dev/null
rm -rf "$W"
tap_done
