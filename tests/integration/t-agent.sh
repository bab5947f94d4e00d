#!/bin/bash
# l4lb-agent configured by the environment only (one VIP, "default"),
# backends from a fake operator (lib/agentop.py), real backends
# (lib/agentsrv.py) checked over TCP:
# - the operator's instances become the VIP's backends, up, and new flows
#   through the VIP reach them; ETag/304 is used; an added instance joins,
#   a draining one is drained, a stopped one drained then removed after
#   DRAIN_GRACE;
# - the operator failing (500, garbage, an empty list, an invalid entry,
#   hanging) changes nothing in the kernel and counts discovery errors;
# - /health, /backends, /metrics, / match the kernel; POST is 405, an
#   unknown path 404; every backend down: /health 503, the kernel keeps the
#   last healthy one (ALL_DOWN=keep);
# - SIGTERM and kill -9 of the agent, and a start while the operator fails,
#   break no established flow and change nothing in the kernel (watched by
#   `l4ctl -j monitor`); a VIP the agent does not own is never touched.
. "$(dirname "$0")/lib/agent.sh"
agent_require

trap agent_cleanup EXIT
topo_setup || { tap_fail "topology"; tap_done; exit 1; }
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
ok=1
for i in 1 2 3; do be_start $i || ok=0; done
op_start || ok=0
agent_helpers_start
tap_is "backends, fake operator and helpers start" $ok 1

V="10.0.0.10 80 tcp"
B1=10.0.1.1:8080 B2=10.0.1.2:8080 B3=10.0.1.3:8080

# A VIP of someone else's, in the same netns: never touched.
lbctl vip add 10.0.0.10:99 sched wrr &&
	lbctl backend add 10.0.0.10:99 $B3 weight 7 ||
	tap_fail "add a foreign VIP"
foreign=$(lbctl -j show | python3 -c '
import json, sys
print([v for v in json.load(sys.stdin) if v["port"] == 99][0]["backends"][0]["weight"])')

inst() {	# ID ADDRESS [STATE [WEIGHT]] -> one JSON instance
	printf '{"id":"%s","address":"%s"%s%s}' "$1" "$2" \
		"${3:+,\"state\":\"$3\"}" "${4:+,\"weight\":$4}"
}
# The port once in the address, once as "port": both forms are read.
I1='{"id":"inst-1","address":"10.0.1.1","port":8080,"state":"running"}'
I2=$(inst inst-2 10.0.1.2:8080)
put "$W/op/instances.json" "[$I1,$I2]"

AGENT_ENV=(VIP=10.0.0.10 PORT=80 OPERATOR_URL=http://127.0.0.1:9100
	OPERATOR_INTERVAL=1s OPERATOR_TIMEOUT=1s BACKEND_PORT=8080
	CHECK_INTERVAL=1s CHECK_JITTER=0 CHECK_RISE=2 CHECK_FALL=2
	DRAIN_GRACE=3s PASSIVE=no HEALTH_PORT=$AGENT_PORT HEALTH_ADDR=127.0.0.1
	ENVIRONMENT=vm-test LOG_LEVEL=debug STATS_INTERVAL=1s)
agent_start
tap_is "the agent starts and answers on 127.0.0.1:$AGENT_PORT" $? 0

# ------------------------------------------------------------ discovery
got=$(q waitk 20 $V $B1=up $B2=up)
tap_like "the operator's two instances are the VIP's backends, up ($got)" "$got" "ok*"
tap_is "the agent created the VIP: rr (round-robin), dnat" "$(q vget $V sched mode)" "rr dnat"
tap_like "the agent asked for OPERATOR_URL + /instances" \
	"$(head -n 1 "$W/op/requests.log")" "/instances if-none-match=* *"

read -ra names <<<"$(c hellos 6 10.0.0.10 80)"
tap_is "6 new flows through the VIP: 3 reach be1, 3 be2 (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be2 "${names[@]}")" "3 3"

# Polled every second: by now If-None-Match was sent and 304 answered.
sleep 2
tap_check "the agent sends the ETag back, the operator answers 304" \
	grep -qE '^/instances if-none-match="[0-9a-f]+" 304$' "$W/op/requests.log"

put "$W/op/instances.json" "[$I1,$I2,$(inst inst-3 $B3 running 2)]"
got=$(q waitk 15 $V $B1=up $B2=up $B3=up)
tap_like "an instance the operator adds is a backend, up ($got)" "$got" "ok*"
tap_is "... with the weight it gives" "$(q kget $V $B3 weight)" 2
read -ra names <<<"$(c hellos 6 10.0.0.10 80)"
tap_is "... new flows reach it: be1 be2 be3 twice each (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be2 "${names[@]}") $(count_words be3 "${names[@]}")" "2 2 2"

put "$W/op/instances.json" "[$I1,$I2,$(inst inst-3 $B3 draining 2)]"
got=$(q waitk 10 $V $B1=up $B2=up $B3=drain)
tap_like "an instance the operator says is draining is drained in the kernel ($got)" "$got" "ok*"
read -ra names <<<"$(c hellos 4 10.0.0.10 80)"
tap_is "... no new flow reaches it (${names[*]})" "$(count_words be3 "${names[@]}")/${#names[@]}" "0/4"

put "$W/op/instances.json" "[$I1,$I2,$(inst inst-3 $B3 running 2)]"
q waitk 10 $V $B1=up $B2=up $B3=up >/dev/null
put "$W/op/instances.json" "[$I1,$I2,$(inst inst-3 $B3 stopped 2)]"
got=$(q waitk 10 $V $B1=up $B2=up $B3=drain)
tap_like "a stopped instance is first drained ($got)" "$got" "ok*"
got=$(q waitk 15 $V $B1=up $B2=up)
tap_like "... and removed from the kernel after DRAIN_GRACE (3 s) ($got)" "$got" "ok*"
t=${got#ok }
tap_check "... not before (${t:-?} s after it was drained)" awk -v t="${t:-0}" 'BEGIN { exit !(t >= 1.5) }'

# ------------------------------------------------------ operator failures
q metrics >/dev/null
tap_is "/metrics: the operator source is ok" \
	"$(q metric l4lb_agent_discovery_ok source=operator)" 1
for mode in 500 garbage empty badentry hang; do
	q metrics >/dev/null
	e0=$(q metric l4lb_agent_discovery_errors_total source=operator)
	[[ $e0 =~ ^[0-9]+$ ]] || e0=0
	if [[ $mode == badentry ]]; then
		put "$W/op/instances.json" "[$I1,$I2,$(inst inst-9 not-an-address)]"
	else
		put "$W/op/mode" "$mode"
	fi
	got=$(q waitmetric 15 '>=' $((e0 + 2)) l4lb_agent_discovery_errors_total source=operator)
	tap_like "operator $mode: discovery errors counted in /metrics (from $e0: $got)" "$got" "ok*"
	tap_is "... discovery_ok is 0" "$(q metric l4lb_agent_discovery_ok source=operator)" 0
	tap_is "... the VIP keeps its backends, up" "$(q kstates $V)" "$B1=up $B2=up"
	tap_is "... /health still 200" "$(q get /health)" 200
	put "$W/op/mode" ok
	put "$W/op/instances.json" "[$I1,$I2]"
done
got=$(q waitmetric 10 '==' 1 l4lb_agent_discovery_ok source=operator)
tap_like "the operator answers again: discovery_ok 1 ($got)" "$got" "ok*"
tap_is "... the same backends" "$(q kstates $V)" "$B1=up $B2=up"

# ------------------------------------------------------------------ HTTP
# Two connections held open: the kernel counts them active, /backends
# and /metrics show the kernel's numbers.
h1=$(c open h1 10.0.0.10 80) h2=$(c open h2 10.0.0.10 80)
tap_like "two connections held open through the VIP ($h1, $h2)" "$h1 $h2" "be[12] be[12]"

tap_is "GET /health: 200" "$(q get /health)" 200
tap_like "... Content-Type JSON" "$(q header Content-Type)" "application/json*"
tap_is "... status, type, algorithm, totals, environment, kernel" \
	"$(q json 'j["status"], j["type"], j["algorithm"], j["total_backends"], j["healthy_backends"], j["environment"], j["kernel"]')" \
	"healthy L4 round-robin 2 2 vm-test true"
tap_is "... the VIP: name, address, proto, algorithm, totals, status" \
	"$(q json 'len(j["vips"]), j["vips"][0]["name"], j["vips"][0]["vip"], j["vips"][0]["proto"], j["vips"][0]["algorithm"], j["vips"][0]["total_backends"], j["vips"][0]["healthy_backends"], j["vips"][0]["status"]')" \
	"1 default 10.0.0.10:80 tcp round-robin 2 2 healthy"

got=$(q cmpbackends /backends $V)
tap_is "GET /backends matches the kernel's backends (state, weight, connections)" "$got" "ok 2"
tap_is "... ids, addresses, healthy, state" \
	"$(q json 'sorted([e["id"], e["address"], e["healthy"], e["state"]] for e in j)')" \
	'[["inst-1","10.0.1.1:8080",true,"up"],["inst-2","10.0.1.2:8080",true,"up"]]'
tap_is "... connections: the two held ones" "$(q json 'sum(e["connections"] for e in j)')" 2
tap_is "... each was checked (last_check set, no last_error)" \
	"$(q json 'all(e["last_check"] for e in j), [e["last_error"] or "" for e in j]')" 'true ["",""]'
tap_is "GET /backends?vip=default: the same list" \
	"$(q get '/backends?vip=default') $(q json 'sorted(e["address"] for e in j)')" \
	'200 ["10.0.1.1:8080","10.0.1.2:8080"]'
tap_is "GET /backends?vip=nope: 404" "$(q get '/backends?vip=nope')" 404

got=$(q metrics)
tap_like "GET /metrics: Prometheus text, every sample typed ($got)" "$got" "ok*"
tap_is "... l4lb_agent_kernel_up 1" "$(q metric l4lb_agent_kernel_up)" 1
tap_is "... l4lb_backend_up 1 for both" \
	"$(q metric l4lb_backend_up backend=$B1) $(q metric l4lb_backend_up backend=$B2)" "1 1"
tap_is "... l4lb_backend_weight" "$(q metric l4lb_backend_weight backend=$B1)" 1
tap_like "... checks counted ok" "$(q metric l4lb_agent_checks_total result=ok)" "[1-9]*"
tap_like "... check duration histogram" "$(q metric l4lb_agent_check_duration_seconds_count)" "[1-9]*"
kconns=$(q vget $V conns) kact=$(q vget $V active_conns)
got=$(q waitmetric 5 '==' "$kconns" l4lb_vip_flows_total)
tap_is "... l4lb_vip_flows_total is the kernel's count ($kconns)" "$got" "ok $kconns"
tap_is "... l4lb_vip_active_flows is the kernel's ($kact)" "$(q metric l4lb_vip_active_flows)" "$kact"
for b in $B1 $B2; do
	k=$(q kget $V $b active_conns)
	tap_is "... l4lb_backend_active_flows $b is the kernel's ($k)" \
		"$(q metric l4lb_backend_active_flows backend=$b)" "$k"
done
c closeall >/dev/null

tap_is "POST /health: 405" "$(q post /health)" 405
tap_is "HEAD /health: 200" "$(q head /health)" 200
tap_is "GET /nope: 404" "$(q get /nope)" 404
tap_like "GET /: 200, HTML" "$(q get /) $(q header Content-Type)" "200 text/html*"
tap_is "... a row per backend, refreshing, with a sparkline" \
	"$(q has "data-backend=\"$B1\"") $(q has "data-backend=\"$B2\"") $(q has 'http-equiv="refresh"') $(q has '<svg')" \
	"yes yes yes yes"

# ---------------------------------------------------------- all down
be_kill 1
be_kill 2
got=$(q waitjson 15 /health 'j["healthy_backends"] == 0')
tap_like "every backend's server killed: /health counts none healthy ($got)" "$got" "ok*"
tap_is "... /health: 503 unhealthy" "$(q get /health) $(q json 'j["status"]')" "503 unhealthy"
ks=$(q kstates $V)
tap_like "... ALL_DOWN=keep: the kernel keeps the last healthy one up ($ks)" "$ks" "*=up*"
tap_is "... /backends: none healthy" "$(q get /backends) $(q json '[e["healthy"] for e in j]')" "200 [false,false]"
tap_is "... /backends still matches the kernel" "$(q cmpbackends /backends $V)" "ok 2"
be_start 1 && be_start 2
got=$(q waitk 15 $V $B1=up $B2=up)
tap_like "servers back: both up again ($got)" "$got" "ok*"
got=$(q waitjson 10 /health 'j["status"] == "healthy"')
tap_like "... /health healthy" "$got" "ok*"
# Settled before the monitor starts: the kernel shows both up as soon as
# be1 is, while be2 is still held up by ALL_DOWN=keep; the agent then
# sets be2 down and up again (its own rise), which the monitor below
# would count against the restarts.
got=$(q waitjson 15 /backends 'len(j) == 2 and all(e["healthy"] for e in j)')
tap_like "... the agent sees both healthy ($got)" "$got" "ok*"
got=$(q waitk 10 $V $B1=up $B2=up)
tap_like "... and the kernel has both up ($got)" "$got" "ok*"

# --------------------------------------------------------------- restart
# `l4ctl -j monitor` sees every change of the kernel's configuration: the
# restarts must make none to this VIP. A marker VIP shows it listens.
mon_start

s1=$(c open s1 10.0.0.10 80)
tap_is "a long-lived connection streams through the VIP ($s1)" \
	"$(c stream s1 pause=0.05)" streaming
before=$(q kstates $V)
w_before=$(q kget $V $B1 weight)/$(q kget $V $B2 weight)

agent_stop TERM
rc=$AGENT_RC
tap_is "SIGTERM: the agent exits with status 0" "$rc" 0
tap_like "... its HTTP port is closed" "$(q get /health)" "error*"
tap_is "... the kernel keeps the VIP and its backends" "$(q kstates $V)" "$before"
sleep 1
agent_start
tap_is "agent started again" $? 0
got=$(q holdk 4 $V $before)
tap_is "... adopts the backends: nothing changes for 4 s" "$got" ok

agent_stop KILL
rc=$AGENT_RC
tap_is "kill -9 of the agent" "$rc" 137
tap_is "... the kernel keeps the VIP and its backends" "$(q kstates $V)" "$before"
put "$W/op/mode" 500
agent_start
tap_is "agent started while the operator fails" $? 0
got=$(q waitmetric 10 '>=' 1 l4lb_agent_discovery_errors_total source=operator)
tap_like "... the operator's failure is counted ($got)" "$got" "ok*"
got=$(q holdk 3 $V $before)
tap_is "... fail static: the adopted backends stay up" "$got" ok
put "$W/op/mode" ok
got=$(q waitmetric 10 '==' 1 l4lb_agent_discovery_ok source=operator)
tap_like "... the operator answers again ($got)" "$got" "ok*"
tap_is "... still the same backends" "$(q kstates $V)" "$before"
tap_is "... same weights" "$(q kget $V $B1 weight)/$(q kget $V $B2 weight)" "$w_before"

got=$(c stop s1)
tap_like "the long-lived connection kept exchanging data across both restarts ($got)" "$got" "intact *"
n=${got#intact }
tap_check "... many exchanges ($n)" test "${n:-0}" -ge 20

mon_stop
events=$(mon_events 10.0.0.10 80)
tap_is "the restarts deleted nothing (no vip_del / backend_del for the VIP)" \
	"$(grep -cE '"event":"(vip|backend)_del"' <<<"$events")" 0
tap_is "... and changed nothing: no configuration event for the VIP at all" "$events" ""

tap_is "the foreign VIP is untouched (sched, backend weight)" \
	"$(q vget 10.0.0.10 99 tcp sched) $(q kstates 10.0.0.10 99 tcp) $(q kget 10.0.0.10 99 tcp $B3 weight)" \
	"wrr $B3=up $foreign"

agent_stop TERM
rc=$AGENT_RC
tap_is "SIGTERM at the end: status 0 (no sanitizer report)" "$rc" 0
agent_sanitizer_check

agent_cleanup
trap - EXIT
topo_teardown
l4lb_unload
tap_done
