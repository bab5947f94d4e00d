#!/bin/bash
# Configuration events (issue 10, item 4): `l4ctl -j monitor` in a netns
# prints each change another process makes there (VIP add/set/del, backend
# add/set/del, default timeouts set) exactly once, in order, with the keys
# and values `vip show` / `backend show` / `timeouts show` use; a refused
# change sends nothing; the text monitor prints one line per change with a
# timestamp; a monitor in another netns sees none of them; SIGINT ends a
# monitor cleanly; without CAP_NET_ADMIN the events group cannot be joined.
. "$(dirname "$0")/lib/l4lb.sh"

W=$(mktemp -d)
NS=mon-lb NSX=mon-other
ip netns del $NS 2>/dev/null
ip netns del $NSX 2>/dev/null
ip netns add $NS && ip netns add $NSX ||
	{ tap_fail "create the namespaces"; tap_done; exit 1; }
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }

ctl() { local ns=$1; shift; ns_run "$ns" "$L4CTL" "$@"; }

# nsenter execs l4ctl: $! is the monitor itself, which gets the signal.
nsenter --net=/run/netns/$NS -- "$L4CTL" -j monitor >"$W/lb.json" 2>"$W/lb.err" &
mon_json=$!
nsenter --net=/run/netns/$NS -- "$L4CTL" monitor timestamp >"$W/lb.txt" 2>"$W/lb.txt.err" &
mon_text=$!
nsenter --net=/run/netns/$NSX -- "$L4CTL" -j monitor >"$W/x.json" 2>"$W/x.err" &
mon_x=$!

# No readiness signal: change something harmless until each monitor shows
# it. What a monitor printed until then is left out of the checks below.
ready() {	# NS FILE SECONDS PATTERN
	local i
	for i in $(seq 1 60); do
		ctl "$1" timeouts set udp "$3" >/dev/null
		grep -q -- "$4" "$2" && return 0
		sleep 0.25
	done
	return 1
}
ready $NS "$W/lb.json" 301 '"timeouts_set"' &&
	ready $NS "$W/lb.txt" 301 'timeouts set' &&
	ready $NSX "$W/x.json" 302 '"timeouts_set"'
tap_check "the monitors report a change in their own netns" test $? = 0
# A last marker each, waited for: every event before it is printed too.
marker() {	# NS SECONDS FILE...
	local ns=$1 secs=$2 i f n
	shift 2
	ctl "$ns" timeouts set udp "$secs"
	for i in $(seq 1 40); do
		n=0
		for f; do grep -q "$secs" "$f" && n=$((n + 1)); done
		(( n == $# )) && return 0
		sleep 0.25
	done
	return 1
}
marker $NS 303 "$W/lb.json" "$W/lb.txt" && marker $NSX 304 "$W/x.json"
tap_check "the monitors report the markers" test $? = 0
skip_json=$(wc -l <"$W/lb.json") skip_text=$(wc -l <"$W/lb.txt")
skip_x=$(wc -l <"$W/x.json")

V=10.0.0.10:80 B=10.0.1.1:8080
ok=1
ctl $NS vip add $V sched rr || ok=0
# Refused (it exists): no event.
ctl $NS vip add $V 2>/dev/null && ok=0
ctl $NS backend add $V $B weight 3 || ok=0
ctl $NS backend set $V $B state drain || ok=0
ctl $NS backend set $V $B weight 1 || ok=0
ctl $NS vip set $V sched wrr || ok=0
ctl $NS backend del $V $B || ok=0
ctl $NS vip del $V || ok=0
ctl $NS timeouts set tcp-established 1234 || ok=0
tap_is "the changes are made (and the duplicate VIP refused)" $ok 1

# Events are sent before the change's ack: they are in the monitors'
# sockets already; wait until the last one is printed.
for i in $(seq 1 40); do
	grep -q '"tcp_established":1234' "$W/lb.json" &&
		grep -q 'tcp-established 1234' "$W/lb.txt" && break
	sleep 0.25
done
sleep 0.5
kill -INT $mon_json $mon_text
kill -TERM $mon_x
# A monitor that does not end fails the test rather than hanging it.
for i in $(seq 1 40); do
	kill -0 $mon_json $mon_text $mon_x 2>/dev/null || break
	sleep 0.25
done
kill -KILL $mon_json $mon_text $mon_x 2>/dev/null
wait $mon_json; rc_json=$?
wait $mon_text; rc_text=$?
wait $mon_x; rc_x=$?
tap_is "SIGINT, SIGTERM end the monitors cleanly (exit statuses)" \
	"$rc_json $rc_text $rc_x" "0 0 0"
tap_is "the monitors printed no errors" \
	"$(cat "$W/lb.err" "$W/lb.txt.err" "$W/x.err")" ""

got=$(tail -n +$((skip_json + 1)) "$W/lb.json" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    ev = e["event"]
    if ev.startswith("vip_"):
        print(ev, e["address"], e["port"], e["proto"], e.get("sched"),
              e.get("mode"))
    elif ev.startswith("backend_"):
        v = e["vip"]
        print(ev, v["address"], v["port"], v["proto"], e["address"],
              e["port"], e["weight"], e["state"], e["maxconn"], e["backup"])
    else:
        print(ev, e["timeouts"]["tcp_established"], e["timeouts"]["udp"])
' 2>&1)
expected="vip_add 10.0.0.10 80 tcp rr dnat
backend_add 10.0.0.10 80 tcp 10.0.1.1 8080 3 up 0 False
backend_set 10.0.0.10 80 tcp 10.0.1.1 8080 3 drain 0 False
backend_set 10.0.0.10 80 tcp 10.0.1.1 8080 1 drain 0 False
vip_set 10.0.0.10 80 tcp wrr dnat
backend_del 10.0.0.10 80 tcp 10.0.1.1 8080 1 drain 0 False
vip_del 10.0.0.10 80 tcp wrr dnat
timeouts_set 1234 303"
tap_is "JSON: each change once, in order, with its values" "$got" "$expected"

got=$(tail -n +$((skip_text + 1)) "$W/lb.txt" |
	sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z //')
tap_like "text: each line starts with a UTC timestamp" \
	"$(tail -n 1 "$W/lb.txt")" "20[0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z timeouts set *"
expected="vip add 10.0.0.10:80 proto tcp sched rr mode dnat
backend add 10.0.0.10:80 tcp 10.0.1.1:8080 weight 3
backend set 10.0.0.10:80 tcp 10.0.1.1:8080 weight 3 state drain
backend set 10.0.0.10:80 tcp 10.0.1.1:8080 weight 1 state drain
vip set 10.0.0.10:80 proto tcp sched wrr mode dnat
backend del 10.0.0.10:80 tcp 10.0.1.1:8080 weight 1 state drain
vip del 10.0.0.10:80 proto tcp sched wrr mode dnat"
tap_is "text: one line per change, as typed" \
	"$(sed -n 1,7p <<<"$got" | sed -E 's/ (hash|reject|timeout).*//')" "$expected"
tap_like "text: the timeouts line has the new default" \
	"$(sed -n 8p <<<"$got")" "timeouts set *tcp-established 1234 * udp 303"
tap_is "text: nothing more" "$(wc -l <<<"$got")" 8

tap_is "a monitor in another netns sees none of these changes" \
	"$(tail -n +$((skip_x + 1)) "$W/x.json")" ""

# Without CAP_NET_ADMIN over the netns, joining is refused.
out=$(ns_run $NS timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all "$L4CTL" monitor 2>&1 </dev/null)
rc=$?
tap_is "an unprivileged user cannot monitor (exit status 2)" $rc 2
tap_like "... the group needs CAP_NET_ADMIN" "$out" \
	"*cannot join the l4lb events group: Operation not permitted*CAP_NET_ADMIN*"

ip netns del $NS
ip netns del $NSX
l4lb_unload
rm -rf "$W"
tap_done
