#!/bin/bash
# Configuration round trip (issue 10 item 5): `l4ctl save` prints the
# namespace's configuration as l4ctl commands; `l4ctl flush` clears it;
# `l4ctl -b FILE` restores it identically (`l4ctl -j show` without the
# counters). A batch stops at its first failing line (earlier lines
# applied, later ones not) unless -force; `replace` is idempotent; `-n lb`
# reaches the namespace from outside; info and -V name the module version.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
TMP=$(mktemp -d)

# -j show without the counters: every "stats" object dropped, VIPs sorted
# (backends keep their order: sh and maglev tables follow it).
shown() {
	lbctl -j show | python3 -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k != "stats"}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
vips = strip(json.load(sys.stdin))
vips.sort(key=lambda v: (v["address"], v["port"], v["proto"]))
print(json.dumps(vips, sort_keys=True))'
}

V4=$VIP4:80
V6=[$VIP6]:80
cat >"$TMP/config" <<CONF
# several VIPs: every mode, several schedulers and options
timeouts set tcp-syn 45 udp 77
vip add $V4 sched maglev maglev-size 251 hash src syn-only mode dnat maxconn 1000 rate 500 burst 900 persist 60 no-reject expire-down timeout tcp-established 900
backend add $V4 $BE4_1:8080 weight 3
backend add $V4 $BE4_2:8080 weight 1 state drain maxconn 10
backend add $V4 $BE4_3:8080 weight 2 backup
vip add $VIP4:53 proto udp sched wrr mode snat snat-ports 2000-3000 snat-addr 10.0.1.254 ops timeout udp 5
backend add $VIP4:53 $BE4_1:53 proto udp weight 5 state down
backend add $VIP4:53 $BE4_2:53 proto udp
vip add $VIP4:443 sched sh sh-port mode dsr
backend add $VIP4:443 $BE4_3:443 weight 7 maxconn 99
vip add $V6 sched lc mode tunnel encap gue encap-port 6080
backend add $V6 [$BE6_1]:8080 weight 4
backend add $V6 [$BE6_2]:8080 backup
vip add $VIP4:8000 mode tunnel
CONF
tap_check "the configuration is applied by a batch" lbctl -b "$TMP/config"
before=$(shown)
tap_like "... as JSON without counters" "$before" \
	"*\"maglev_size\": 251*\"backup\": true*\"encap\": \"gue\"*"
tap_like "... 5 VIPs, 8 backends" "$(lbctl -j show | python3 -c 'import json,sys; v=json.load(sys.stdin); print(len(v), sum(len(x["backends"]) for x in v))')" "5 8"

lbctl save >"$TMP/saved"
tap_check "l4ctl save" test -s "$TMP/saved"
tap_like "save writes the namespace timeouts that differ" "$(cat "$TMP/saved")" \
	"*timeouts set tcp-syn 45 udp 77*"
tap_like "save writes the VIP options" "$(cat "$TMP/saved")" \
	"*vip add $V4 proto tcp sched maglev mode dnat hash src maglev-size 251 syn-only maxconn 1000 rate 500 burst 900 persist 60 no-reject expire-down timeout tcp-established 900*"
tap_like "save writes the backend options" "$(cat "$TMP/saved")" \
	"*backend add $V4 $BE4_2:8080 proto tcp weight 1 state drain maxconn 10*"

tap_check "l4ctl flush" lbctl flush
tap_is "flush leaves no VIP" "$(lbctl -j show)" "[]"
# back to the module's timeouts, so that the restore has them to set
tap_check "timeouts back to the defaults" lbctl timeouts set \
	tcp-syn "$(cat /sys/module/l4lb/parameters/tcp_timeout_syn)" \
	udp "$(cat /sys/module/l4lb/parameters/udp_timeout)"
tap_check "l4ctl -b restores the saved file" lbctl -b "$TMP/saved"
after=$(shown)
if [ "$after" = "$before" ]; then
	tap_ok "save -> flush -> -b: the identical configuration"
else
	tap_fail "save -> flush -> -b: the identical configuration" \
		"before: $before" "after:  $after"
fi
tap_like "... the namespace timeouts too" "$(lbctl timeouts)" "*tcp-syn 45*"
lbctl save >"$TMP/saved2"
tap_check "a second save is the same file" cmp "$TMP/saved" "$TMP/saved2"
tap_check "save from stdin (-b -)" sh -c "'$L4CTL' -n lb flush && '$L4CTL' -n lb -b - <'$TMP/saved'"
tap_is "... the same configuration again" "$(shown)" "$before"

# A batch stops at its first error, naming the line.
lbctl flush
printf '# comment\nvip add %s\n\nvip add %s sched nosuch\nvip add %s\n' \
	"$VIP4:1" "$VIP4:2" "$VIP4:3" >"$TMP/bad"
out=$(lbctl -b "$TMP/bad" 2>&1)
rc=$?
tap_is "a failing batch exits 2" "$rc" 2
tap_like "... naming line 4 and the kernel's reason" "$out" "l4ctl: line 4: *sched*"
tap_is "... earlier lines applied, later ones not" \
	"$(lbctl -j vip show | python3 -c 'import json,sys; print(sorted(v["port"] for v in json.load(sys.stdin)))')" \
	"[1]"
lbctl flush
out=$(lbctl -force -b "$TMP/bad" 2>&1)
rc=$?
tap_is "-force: still exits 2" "$rc" 2
tap_like "... names line 4" "$out" "l4ctl: line 4: *"
tap_is "... and goes on to the end" \
	"$(lbctl -j vip show | python3 -c 'import json,sys; print(sorted(v["port"] for v in json.load(sys.stdin)))')" \
	"[1, 3]"

# Adding what exists fails clearly; replace is idempotent.
out=$(lbctl vip add "$VIP4:1" 2>&1)
tap_like "adding an existing VIP fails with the kernel's message" "$out" \
	"*File exists: VIP already exists*"
tap_check "vip replace (exists)" lbctl vip replace "$VIP4:1" sched wrr
tap_check "vip replace (new)" lbctl vip replace "$VIP4:4" sched wrr mode dnat
tap_check "backend replace (new)" lbctl backend replace "$VIP4:4" "$BE4_1:8080" weight 3
once=$(shown)
tap_check "vip replace again" lbctl vip replace "$VIP4:4" sched wrr mode dnat
tap_check "backend replace again" lbctl backend replace "$VIP4:4" "$BE4_1:8080" weight 3
tap_check "vip replace with nothing to change" lbctl vip replace "$VIP4:4"
tap_is "replace twice: the same configuration" "$(shown)" "$once"
tap_like "replace changed the existing VIP's scheduler" "$once" \
	"*\"port\": 1, \"proto\": \"tcp\"*\"sched\": \"wrr\"*"
lbctl backend replace "$VIP4:4" "$BE4_1:8080" weight 5
tap_is "backend replace sets what it names" \
	"$(l4json backend "$VIP4" 4 tcp "$BE4_1" 8080 weight)" 5
out=$(lbctl backend add "$VIP4:4" "$BE4_1:8080" 2>&1)
tap_like "adding an existing backend still fails" "$out" "*already exists*"

# -n: from the host namespace, which has no VIP of its own.
tap_is "the host namespace has no VIP" "$("$L4CTL" -j vip show)" "[]"
tap_is "-n lb shows the namespace's VIPs" "$("$L4CTL" -n lb -j show)" "$(lbctl -j show)"
tap_check "-n lb changes it" "$L4CTL" -n lb vip add "$VIP4:5"
tap_like "... there, not here" "$(lbctl vip show)/$("$L4CTL" vip show)" \
	"*$VIP4:5*/"

# info and -V
ver=$(cat /sys/module/l4lb/version)
tap_like "info names the module version" "$(lbctl info)" "module l4lb $ver *"
tap_is "info -j: version, conn_max, a parameter, a timeout" \
	"$(lbctl -j info | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["module_version"], i["conn_max"] > 0, i["parameters"]["udp_timeout"], i["timeouts"]["tcp_syn"])')" \
	"$ver True $(cat /sys/module/l4lb/parameters/udp_timeout) 45"
tap_like "-V: both versions, which match" "$("$L4CTL" -V)" \
	"l4ctl $ver *l4lb module $ver: matches l4ctl"

lbctl flush
rm -rf "$TMP"
topo_teardown
l4lb_unload
tap_done
