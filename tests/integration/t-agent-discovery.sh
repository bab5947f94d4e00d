#!/bin/bash
# l4lb-agent discovery by DNS and by BACKENDS_FILE, four VIPs from one INI
# file (`-c FILE`), the environment on top:
#   dns   10.0.0.10:90  DNS_NAME web.test (A records, TTL 1 s) from
#                       dnsmasq on 127.0.0.1:5353 of the LB's netns
#   srv   10.0.0.10:91  DNS_SRV _web._tcp.test (ports and weights), wrr
#   file  10.0.0.10:92  BACKENDS_FILE (a list)
#   file6 [fd00::10]:92 BACKENDS_FILE ({"instances": [...]}, IPv6)
# - each VIP gets its backends, up; new flows reach them (IPv4, IPv6);
# - dnsmasq's hosts file changed + SIGHUP: the agent follows (new one up,
#   old one drained then removed); the name gone (NXDOMAIN) or dnsmasq
#   dead: the backends stay, errors are counted;
# - the file rewritten (by rename and in place) is followed; a malformed
#   one changes nothing and is counted; SIGHUP leaves all as it is;
# - /health and /backends with several VIPs (?vip=NAME), env over file;
# - --check-config accepts the file and names its VIPs, refuses a bad one;
# - a VIP the agent does not own is never touched;
# - rmmod under the running agent: /health says kernel false, 503; the
#   module back, the agent creates its VIPs and backends again.
. "$(dirname "$0")/lib/agent.sh"
agent_require

DNS_PID=
dns_cleanup() { [[ -n $DNS_PID ]] && kill "$DNS_PID" 2>/dev/null; agent_cleanup; }
trap dns_cleanup EXIT
topo_setup || { tap_fail "topology"; tap_done; exit 1; }
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
ok=1
for i in 1 2 3; do be_start $i --tcp 8080 || ok=0; done
agent_helpers_start
tap_is "backends and helpers start" $ok 1

B1=10.0.1.1:8080 B2=10.0.1.2:8080 B3=10.0.1.3:8080
B61='[fd00:1::1]:8080' B62='[fd00:1::2]:8080'

# dnsmasq: only what it is told (no resolv.conf, no /etc/hosts, no
# upstream: "test" is local, an unknown name is NXDOMAIN), TTL 1 s. It
# runs as root: the test's directory is not readable by nobody.
dns_start() {
	nsenter --net=/run/netns/lb -- dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --port=5353 --listen-address=127.0.0.1 \
		--bind-interfaces --no-resolv --no-hosts --local=/test/ \
		--addn-hosts="$W/hosts" --local-ttl=1 --user=root \
		--pid-file="$W/dnsmasq.pid" --log-facility="$W/dnsmasq.log" \
		--srv-host=_web._tcp.test,web1.test,8080,0,3 \
		--srv-host=_web._tcp.test,web2.test,8080,0,1 &
	DNS_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -n $(ss -N lb -Hlun 'sport = :5353') ]] && return 0
		sleep 0.1
	done
	return 1
}
put "$W/hosts" "10.0.1.1 web.test web1.test
10.0.1.2 web.test web2.test"
dns_start
tap_is "dnsmasq serves web.test on 127.0.0.1:5353" $? 0

put "$W/backends.json" '[{"id":"f1","address":"10.0.1.1","port":8080},{"id":"f2","address":"10.0.1.2:8080"}]'
put "$W/backends6.json" '{"instances":[{"id":"v6-1","address":"[fd00:1::1]:8080"},{"id":"v6-2","address":"fd00:1::2","port":8080,"state":"running"}]}'

cat >"$W/agent.conf" <<EOF
; the agent's discovery tests
HEALTH_PORT = $AGENT_PORT
ENVIRONMENT = from-file

[global]
LOG_LEVEL = debug
STATS_INTERVAL = 1s

[defaults]
CHECK_INTERVAL = 1s
CHECK_JITTER = 0
CHECK_RISE = 1
CHECK_FALL = 1
DRAIN_GRACE = 2s
PASSIVE = no
BACKEND_PORT = 8080

[vip dns]
VIP = 10.0.0.10
PORT = 90
DNS_NAME = web.test
DNS_SERVER = 127.0.0.1:5353
DNS_INTERVAL = 1s

[vip srv]
VIP = 10.0.0.10
PORT = 91
LB_ALGORITHM = wrr
DNS_SRV = _web._tcp.test
DNS_SERVER = 127.0.0.1:5353

[vip file]
VIP = 10.0.0.10
PORT = 92
BACKENDS_FILE = $W/backends.json

[vip file6]
VIP = fd00::10
PORT = 92
BACKENDS_FILE = $W/backends6.json
EOF

out=$(ns_run lb env -i "$AGENT" -c "$W/agent.conf" --check-config 2>&1)
rc=$?
tap_is "--check-config accepts the file (status 0)" $rc 0
ok=1
for n in dns srv file file6; do grep -qw -- "$n" <<<"$out" || ok=0; done
tap_is "... and names its four VIPs" $ok 1 || tap_diag "$out"
sed 's/^PORT = 91$/PORT = ninety-one/' "$W/agent.conf" >"$W/bad.conf"
bad=$(ns_run lb env -i "$AGENT" -c "$W/bad.conf" --check-config 2>&1)
rc=$?
tap_is "--check-config refuses a bad PORT (status 1)" $rc 1
[[ $bad == *bad.conf* && ( $bad == *PORT* || $bad == *ninety-one* ) ]]
tap_is "... naming the file and the key or value ($bad)" $? 0

# Someone else's VIP in the same netns.
lbctl vip add 10.0.0.10:99 sched wrr && lbctl backend add 10.0.0.10:99 $B3 weight 7 ||
	tap_fail "add a foreign VIP"

AGENT_ENV=(ENVIRONMENT=from-env)
agent_start -c "$W/agent.conf"
tap_is "the agent starts with -c FILE" $? 0

got=$(q waitk 20 10.0.0.10 90 tcp $B1=up $B2=up)
tap_like "dns: web.test's two A records are backends, up ($got)" "$got" "ok*"
got=$(q waitk 20 10.0.0.10 91 tcp $B1=up $B2=up)
tap_like "srv: the SRV targets are backends, up ($got)" "$got" "ok*"
tap_is "... with the SRV weights (3, 1), wrr" \
	"$(q kget 10.0.0.10 91 tcp $B1 weight) $(q kget 10.0.0.10 91 tcp $B2 weight) $(q vget 10.0.0.10 91 tcp sched)" "3 1 wrr"
got=$(q waitk 20 10.0.0.10 92 tcp $B1=up $B2=up)
tap_like "file: the file's two backends, up ($got)" "$got" "ok*"
got=$(q waitk 20 fd00::10 92 tcp $B61=up $B62=up)
tap_like "file6: two IPv6 backends, up ($got)" "$got" "ok*"

read -ra names <<<"$(c hellos 4 10.0.0.10 90)"
tap_is "dns VIP: new flows reach be1 and be2 (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be2 "${names[@]}")" "2 2"
read -ra names <<<"$(c hellos 8 10.0.0.10 91)"
tap_is "srv VIP (wrr 3:1): 8 new flows, 6 to be1 and 2 to be2 (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be2 "${names[@]}")" "6 2"
read -ra names <<<"$(c hellos 4 fd00::10 92)"
tap_is "file6 VIP: new IPv6 flows reach be1 and be2 (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be2 "${names[@]}")" "2 2"

tap_is "/health: four VIPs, environment from the env over the file's" \
	"$(q get /health) $(q json 'j["status"], j["environment"], j["algorithm"], sorted(v["name"] for v in j["vips"])')" \
	'200 healthy from-env mixed ["dns","file","file6","srv"]'
tap_is "/health: the IPv6 VIP's address" \
	"$(q json '[v["vip"] for v in j["vips"] if v["name"] == "file6"]')" '["[fd00::10]:92"]'
tap_is "/backends: an object, one list per VIP" \
	"$(q get /backends) $(q json 'sorted(j), [len(j[k]) for k in sorted(j)]')" \
	'200 ["dns","file","file6","srv"] [2,2,2,2]'
tap_is "/backends?vip=file6 matches the kernel" \
	"$(q cmpbackends '/backends?vip=file6' fd00::10 92 tcp)" "ok 2"
tap_is "/backends?vip=srv matches the kernel (weights)" \
	"$(q cmpbackends '/backends?vip=srv' 10.0.0.10 91 tcp)" "ok 2"
tap_is "/backends?vip=nope: 404" "$(q get '/backends?vip=nope')" 404

# ------------------------------------------------------------------ DNS
put "$W/hosts" "10.0.1.2 web.test web2.test
10.0.1.3 web.test
10.0.1.1 web1.test"
kill -HUP "$DNS_PID"
got=$(q waitk 15 10.0.0.10 90 tcp $B2=up $B3=up)
tap_like "dns: the name now points to be2, be3: the VIP follows ($got)" "$got" "ok*"
read -ra names <<<"$(c hellos 4 10.0.0.10 90)"
tap_is "... new flows reach be2 and be3 (${names[*]})" \
	"$(count_words be2 "${names[@]}") $(count_words be3 "${names[@]}")" "2 2"

q metrics >/dev/null
e0=$(q metric l4lb_agent_discovery_errors_total vip=dns)
[[ $e0 =~ ^[0-9]+$ ]] || e0=0
put "$W/hosts" "10.0.1.1 web1.test
10.0.1.2 web2.test"
kill -HUP "$DNS_PID"
got=$(q waitmetric 10 '>' "$e0" l4lb_agent_discovery_errors_total vip=dns)
tap_like "dns: the name gone (NXDOMAIN): an error counted ($got)" "$got" "ok*"
tap_is "... the VIP keeps its backends" "$(q holdk 3 10.0.0.10 90 tcp $B2=up $B3=up)" ok
tap_is "... /metrics: discovery_ok 0 for it" "$(q metric l4lb_agent_discovery_ok vip=dns)" 0

kill "$DNS_PID"
wait "$DNS_PID" 2>/dev/null
DNS_PID=
q metrics >/dev/null
e0=$(q metric l4lb_agent_discovery_errors_total vip=dns)
[[ $e0 =~ ^[0-9]+$ ]] || e0=0
got=$(q waitmetric 15 '>' "$e0" l4lb_agent_discovery_errors_total vip=dns)
tap_like "dnsmasq dead: errors counted ($got)" "$got" "ok*"
tap_is "... the VIPs keep their backends (dns, srv)" \
	"$(q kstates 10.0.0.10 90 tcp) | $(q kstates 10.0.0.10 91 tcp)" "$B2=up $B3=up | $B1=up $B2=up"
put "$W/hosts" "10.0.1.1 web.test web1.test
10.0.1.2 web2.test"
dns_start
tap_is "dnsmasq back" $? 0
got=$(q waitk 20 10.0.0.10 90 tcp $B1=up)
tap_like "... the VIP follows the name again: be1 only ($got)" "$got" "ok*"

# ------------------------------------------------------------ the file
# By rename (an editor's save), a weight and the port in the address.
put "$W/backends.json" '{"instances":[{"id":"f2","address":"10.0.1.2:8080"},{"id":"f3","address":"10.0.1.3:8080","weight":3}]}'
got=$(q waitk 10 10.0.0.10 92 tcp $B1=drain $B2=up $B3=up)
tap_like "file replaced: be1 drained, be3 added ($got)" "$got" "ok*"
tap_is "... be3 with its weight 3" "$(q kget 10.0.0.10 92 tcp $B3 weight)" 3
got=$(q waitk 10 10.0.0.10 92 tcp $B2=up $B3=up)
tap_like "... be1 removed after DRAIN_GRACE ($got)" "$got" "ok*"
# In place (truncated and written), with a draining instance.
printf '%s\n' '[{"id":"f1","address":"10.0.1.1:8080"},{"id":"f2","address":"10.0.1.2:8080","state":"draining"},{"id":"f3","address":"10.0.1.3:8080","weight":3}]' >"$W/backends.json"
got=$(q waitk 10 10.0.0.10 92 tcp $B1=up $B2=drain $B3=up)
tap_like "file rewritten in place: be1 back, be2 draining ($got)" "$got" "ok*"

q metrics >/dev/null
e0=$(q metric l4lb_agent_discovery_errors_total vip=file)
[[ $e0 =~ ^[0-9]+$ ]] || e0=0
printf '[{"id":"f1","address":"10.0.1.1:8080"},{"id":' >"$W/backends.json"
got=$(q waitmetric 10 '>' "$e0" l4lb_agent_discovery_errors_total vip=file)
tap_like "a malformed file: an error counted ($got)" "$got" "ok*"
tap_is "... the VIP keeps its backends" "$(q holdk 3 10.0.0.10 92 tcp $B1=up $B2=drain $B3=up)" ok
put "$W/backends.json" '[{"id":"f1","address":"10.0.1.1:8080"},{"id":"f3","address":"10.0.1.3:8080"}]'
got=$(q waitk 10 10.0.0.10 92 tcp $B1=up $B3=up)
tap_like "... fixed: followed again, be2 removed ($got)" "$got" "ok*"
tap_is "... be3's weight back to the default" "$(q kget 10.0.0.10 92 tcp $B3 weight)" 1

kill -HUP "$AGENT_PID"
sleep 2
tap_check "SIGHUP: the agent goes on" kill -0 "$AGENT_PID"
tap_is "... /health 200" "$(q get /health)" 200
tap_is "... nothing changes" \
	"$(q kstates 10.0.0.10 90 tcp) | $(q kstates 10.0.0.10 92 tcp) | $(q kstates fd00::10 92 tcp)" \
	"$B1=up | $B1=up $B3=up | $B61=up $B62=up"

tap_is "the foreign VIP is untouched" \
	"$(q vget 10.0.0.10 99 tcp sched) $(q kstates 10.0.0.10 99 tcp) $(q kget 10.0.0.10 99 tcp $B3 weight)" \
	"wrr $B3=up 7"

# ------------------------------------------------- the module goes away
# The agent keeps running without the l4lb family, says so, and puts its
# VIPs back once the module is there again.
l4lb_unload_busy 10
tap_is "rmmod l4lb while the agent runs (tries: $L4LB_UNLOAD_TRIES)" $? 0
got=$(q waitjson 15 /health 'j["kernel"] is False')
tap_like "... /health: kernel false ($got)" "$got" "ok*"
tap_is "... 503 unhealthy" "$(q get /health) $(q json 'j["status"]')" "503 unhealthy"
q metrics >/dev/null
tap_is "... /metrics: l4lb_agent_kernel_up 0" "$(q metric l4lb_agent_kernel_up)" 0
l4lb_load
tap_is "insmod again" $? 0
got=$(q waitk 20 10.0.0.10 92 tcp $B1=up $B3=up)
tap_like "... the agent creates its VIPs again, with their backends ($got)" "$got" "ok*"
tap_is "... all four" "$(q vips)" "10.0.0.10:90/tcp 10.0.0.10:91/tcp 10.0.0.10:92/tcp [fd00::10]:92/tcp"
got=$(q waitjson 15 /health 'j["kernel"] is True and j["status"] == "healthy"')
tap_like "... /health: kernel true, healthy ($got)" "$got" "ok*"
read -ra names <<<"$(c hellos 4 10.0.0.10 92)"
tap_is "... new flows go through (${names[*]})" \
	"$(count_words be1 "${names[@]}") $(count_words be3 "${names[@]}")" "2 2"

agent_stop TERM
rc=$AGENT_RC
tap_is "SIGTERM: status 0" "$rc" 0
agent_sanitizer_check

dns_cleanup
DNS_PID=
trap - EXIT
topo_teardown
l4lb_unload
tap_done
