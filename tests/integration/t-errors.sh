#!/bin/bash
# Bad input never changes the configuration and always gets a clear error:
# from l4ctl's own checks (exit 1, nothing sent), from the kernel through
# l4ctl (exit 2 with the extack message), and from raw netlink requests that
# l4ctl would never send (missing and wrong-typed attributes).
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
l4lb_service 4 tcp
l4lb_service 6 udp
V=$VIP4:$VIP_PORT
# Scheduling settings that are not the defaults (issue 9), so that a refused
# request that reset one would show in the comparison at the end.
tap_check "VIP and backend settings of issue 9 accepted" \
	lbctl vip set "$V" maglev-size 251 maxconn 1000 rate 100 burst 200 \
	persist 60 expire-down syn-only no-reject
tap_check "backend state, maxconn and backup accepted" \
	lbctl backend set "$V" "$BE4_2:$BE_PORT" state drain maxconn 5 backup
sched_vals() {
	local k
	for k in maglev_size maxconn rate burst persist expire_down syn_only reject; do
		l4json vip "$VIP4" "$VIP_PORT" tcp "$k"
	done
	for k in state maxconn backup; do
		l4json backend "$VIP4" "$VIP_PORT" tcp "$BE4_2" "$BE_PORT" "$k"
	done
}
tap_is "... and shown" "$(sched_vals | paste -sd' ')" \
	"251 1000 100 200 60 True True False drain 5 True"
before=$(lbctl -j show)

# expect_err DESC STATUS MESSAGE l4ctl-args...: fails with STATUS and MESSAGE.
expect_err() {
	local desc=$1 status=$2 msg=$3 out rc
	shift 3
	out=$(lbctl "$@" 2>&1)
	rc=$?
	if [ $rc = "$status" ] && [[ $out == *"$msg"* ]]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "exit $rc, wanted $status with '$msg'; got: $out"
	fi
}

expect_err "malformed IPv4 address" 1 "10.0.0.300" vip add 10.0.0.300:80
expect_err "missing port" 1 "10.0.0.11" vip add 10.0.0.11
expect_err "port out of range" 1 "65536" vip add 10.0.0.11:65536
expect_err "IPv6 without brackets" 1 "bracket" vip add fd00::11:80
expect_err "unknown keyword" 1 "unknown keyword 'frobnicate'" vip add 10.0.0.11:80 frobnicate 1
expect_err "bad protocol" 1 "sctp" vip add 10.0.0.11:80 proto sctp
expect_err "weight out of range" 1 "70000" backend add "$V" 10.0.1.9:80 weight 70000
expect_err "unknown object" 1 "frob" frob show
expect_err "duplicate VIP" 2 "VIP already exists" vip add "$V"
expect_err "duplicate backend" 2 "backend already exists" backend add "$V" "$BE4_1:$BE_PORT"
expect_err "delete a VIP that does not exist" 2 "VIP not found" vip del 10.0.0.99:80
expect_err "same address, other protocol, is another VIP" 2 "VIP not found" vip del "$V" proto udp
expect_err "delete a backend that does not exist" 2 "backend not found" backend del "$V" 10.0.1.99:80
expect_err "set a backend of a missing VIP" 2 "VIP not found" backend set 10.0.0.99:80 10.0.1.1:80 weight 2
expect_err "IPv6 backend for an IPv4 VIP" 2 "address families differ" backend add "$V" "[fd00:1::9]:80"
expect_err "unknown scheduler" 2 "unknown scheduler" vip add 10.0.0.11:80 sched nope
expect_err "GUE without the backends' port" 2 "need an encap port" vip add 10.0.0.11:80 mode tunnel encap gue
expect_err "one packet scheduling on TCP" 2 "for UDP VIPs only" vip add 10.0.0.11:80 ops
expect_err "an empty SNAT port range" 1 "3000-2000" vip add 10.0.0.11:80 mode snat snat-ports 3000-2000
expect_err "an SNAT address of the other family" 2 "does not match the VIP's family" vip add 10.0.0.11:80 mode snat snat-addr fd00::1
expect_err "vip set of a VIP that does not exist" 2 "VIP not found" vip set 10.0.0.99:80 mode snat
expect_err "vip set without a change" 1 "nothing to change" vip set "$V"
expect_err "unknown mode" 1 "dnat, snat, dsr or tunnel" vip add 10.0.0.11:80 mode nat

# Scheduling (issue 9): what l4ctl checks itself (exit 1), what it leaves
# to the kernel (exit 2, its message).
B1=$BE4_1:$BE_PORT
expect_err "maglev size not a prime" 2 "Maglev table size must be a prime from 251 to 1048573" vip set "$V" maglev-size 65536
expect_err "maglev size not a prime, new VIP" 2 "must be a prime" vip add 10.0.0.11:80 sched maglev maglev-size 1000
expect_err "maglev size too small" 1 "expected a prime from 251 to 1048573, or default" vip set "$V" maglev-size 241
expect_err "maglev size too big" 1 "expected a prime from 251 to 1048573, or default" vip set "$V" maglev-size 1048583
expect_err "maglev size not a number" 1 "invalid maglev-size 'big'" vip set "$V" maglev-size big
expect_err "burst without a rate, new VIP" 2 "a burst needs a rate limit" vip add 10.0.0.11:80 burst 10
expect_err "burst without a rate" 2 "a burst needs a rate limit" vip set "[$VIP6]:$VIP_PORT" proto udp burst 10
expect_err "burst with the rate removed" 2 "a burst needs a rate limit" vip set "$V" rate none burst 10
expect_err "persist above a week" 1 "expected seconds from 1 to 604800, or none" vip set "$V" persist 604801
expect_err "maxconn not a number" 1 "invalid maxconn '1e3'" vip set "$V" maxconn 1e3
expect_err "unknown hash" 1 "expected 5tuple or src" vip set "$V" hash dst
expect_err "a valid change with a refused one: neither" 2 "a burst needs a rate limit" vip set "[$VIP6]:$VIP_PORT" proto udp mode snat maxconn 5 timeout udp 5 burst 10
expect_err "flags of a VIP that does not exist" 2 "VIP not found" vip set 10.0.0.99:80 syn-only
expect_err "unknown backend state" 1 "invalid state 'sideways': expected up, drain or down" backend set "$V" "$B1" state sideways
expect_err "backend maxconn not a number" 1 "invalid maxconn 'many'" backend add "$V" 10.0.1.9:80 maxconn many
expect_err "backend set with nothing to change" 1 "nothing to change" backend set "$V" "$B1"
expect_err "backend drain of a backend that does not exist" 2 "backend not found" backend drain "$V" 10.0.1.99:80
expect_err "backend down of a VIP that does not exist" 2 "VIP not found" backend down 10.0.0.99:80 "$B1"
expect_err "backup of a VIP that does not exist" 2 "VIP not found" backend set 10.0.0.99:80 "$B1" backup
expect_err "backup of a backend that does not exist" 2 "backend not found" backend set "$V" 10.0.1.99:80 primary

# raw CASE ERRNO MESSAGE: what the kernel answers a hand-made request.
raw() {
	local out
	out=$(ns_run lb python3 "$L4LB_LIB/rawnl.py" "$1" 2>&1)
	if [[ $out == "errno=$2 msg="*"$3"* ]]; then
		tap_ok "raw netlink $1: $2 '$3'"
	else
		tap_fail "raw netlink $1" "wanted errno=$2 with '$3'; got: $out"
	fi
}

raw vip-new-empty EINVAL "missing VIP"
raw vip-new-no-port EINVAL "missing VIP port"
raw vip-new-port-zero ERANGE "integer out of range"
raw vip-new-port-wrong-type EINVAL "invalid attribute length"
raw vip-new-addr-len EINVAL "address length does not match its family"
raw vip-new-family EAFNOSUPPORT "address family must be AF_INET or AF_INET6"
raw vip-new-proto EPROTONOSUPPORT "protocol must be TCP or UDP"
raw vip-new-unknown-attr EINVAL "Unknown attribute type"
raw vip-new-unknown-nested-attr EINVAL "Unknown attribute type"
raw vip-new-stats EINVAL "Unsupported attribute"
raw vip-new-sched ENOENT "unknown scheduler"
raw vip-new-sched-long EINVAL "Attribute failed policy validation"
raw vip-new-snat-family EINVAL "SNAT address length does not match"
raw vip-new-snat-dup EINVAL "duplicate SNAT address"
raw vip-new-snat-ports EINVAL "SNAT port range is empty"
raw vip-new-gue-no-port EINVAL "need an encap port"
raw vip-new-ops-tcp EINVAL "for UDP VIPs only"
raw vip-new-flags-unknown EINVAL "reserved bit set"
raw vip-set-missing ENOENT "VIP not found"
raw vip-new-mode-range ERANGE "integer out of range"
raw vip-new-not-nested EINVAL "NLA_F_NESTED is missing"
raw vip-get-no-dump EOPNOTSUPP "send it as a dump"
raw backend-new-no-backend EINVAL "missing backend"
raw backend-new-family EINVAL "address families differ"
raw backend-new-weight ERANGE "integer out of range"
raw backend-new-no-port EINVAL "missing backend port"
raw backend-set-no-weight EINVAL "nothing to change: give a weight, state, maxconn or flags"
raw backend-get-no-vip EINVAL "missing VIP"
raw vip-del-sched EINVAL "Unsupported attribute"
raw vip-get-attr EINVAL "Unsupported attribute"
raw backend-del-weight EINVAL "Unsupported attribute"
raw backend-get-backend EINVAL "Unsupported attribute"
raw net-get-attr EINVAL "Unsupported attribute"
# Refused by the genetlink core before l4lb sees it: no message to give.
raw unknown-command EOPNOTSUPP ""
# Scheduling (issue 9).
raw vip-new-maglev-not-prime EINVAL "Maglev table size must be a prime from 251 to 1048573"
raw vip-set-maglev-not-prime EINVAL "Maglev table size must be a prime from 251 to 1048573"
raw vip-set-maglev-small EINVAL "Maglev table size must be a prime from 251 to 1048573"
raw vip-set-maglev-big ERANGE "integer out of range"
raw vip-new-burst-no-rate EINVAL "a burst needs a rate limit"
raw vip-set-burst-no-rate EINVAL "a burst needs a rate limit"
raw vip-set-burst-rate-none EINVAL "a burst needs a rate limit"
raw vip-new-persist-max ERANGE "integer out of range"
raw vip-set-persist-max ERANGE "integer out of range"
raw vip-set-flags-unknown EINVAL "reserved bit set"
raw vip-set-maxconn-wrong-type EINVAL "invalid attribute length"
raw vip-set-partial EINVAL "Maglev table size must be a prime"
raw backend-new-state-range ERANGE "integer out of range"
raw backend-set-state-range ERANGE "integer out of range"
raw backend-set-state-wrong-type EINVAL "invalid attribute length"
raw backend-new-flags-unknown EINVAL "reserved bit set"
raw backend-set-flags-unknown EINVAL "reserved bit set"
raw backend-set-nothing EINVAL "nothing to change: give a weight, state, maxconn or flags"
raw backend-set-missing ENOENT "backend not found"

# Without CAP_NET_ADMIN nothing is changed nor shown.
unpriv() {
	ip netns exec lb setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$L4CTL" "$@" 2>&1
}
perm="l4ctl: permission denied (Operation not permitted): l4lb needs CAP_NET_ADMIN in the user namespace that owns the network namespace: run as root (e.g. with sudo)"
tap_is "an unprivileged user cannot add a VIP: permission denied, with the hint" \
	"$(unpriv vip add 10.0.0.12:80; echo "exit $?")" "$perm
exit 2"
tap_is "an unprivileged user cannot dump the configuration" \
	"$(unpriv -j show; echo "exit $?")" "$perm
exit 2"
tap_is "an unprivileged user cannot enter a named netns with -n" \
	"$(unpriv -n lb show; echo "exit $?")" \
	"l4ctl: setting the network namespace \"lb\" failed: Operation not permitted
exit 1"

# show VIP[:PORT] [proto P]: that VIP alone; one not there is an error.
tap_is "show VIP:PORT lists that VIP, with its backends" \
	"$(lbctl -j show "$V" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[0]["address"], d[0]["port"], d[0]["proto"], len(d[0]["backends"]))')" \
	"1 $VIP4 $VIP_PORT tcp 3"
tap_is "show ADDR (every port) and show [ADDR6] proto udp" \
	"$(lbctl show "$VIP4" | grep -c '^vip ') $(lbctl show "[$VIP6]" proto udp | grep -c '^vip ')" "1 1"
expect_err "show of a VIP that does not exist: exit 2, not an empty list" 2 "no VIP $VIP4:81" show "$VIP4:81"
expect_err "show of a VIP with the other protocol" 2 "no VIP $V proto udp" show "$V" proto udp
expect_err "vip show of an address without a VIP" 2 "no VIP 10.0.0.99" vip show 10.0.0.99
expect_err "show of a malformed VIP" 1 "invalid VIP '10.0.0.300'" show 10.0.0.300

after=$(lbctl -j show)
tap_is "after every rejected request the configuration is unchanged" \
	"$after" "$before"

topo_teardown
l4lb_unload
tap_done
