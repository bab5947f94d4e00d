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
raw backend-set-no-weight EINVAL "missing backend weight"
raw backend-get-no-vip EINVAL "missing VIP"
raw vip-del-sched EINVAL "Unsupported attribute"
raw vip-get-attr EINVAL "Unsupported attribute"
raw backend-del-weight EINVAL "Unsupported attribute"
raw backend-get-backend EINVAL "Unsupported attribute"
raw net-get-attr EINVAL "Unsupported attribute"
# Refused by the genetlink core before l4lb sees it: no message to give.
raw unknown-command EOPNOTSUPP ""

# Without CAP_NET_ADMIN nothing is changed nor shown.
unpriv() {
	ip netns exec lb setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$L4CTL" "$@" 2>&1
}
tap_like "an unprivileged user cannot add a VIP" \
	"$(unpriv vip add 10.0.0.12:80)" "*Operation not permitted*"
tap_like "an unprivileged user cannot dump the configuration" \
	"$(unpriv show)" "*Operation not permitted*"

after=$(lbctl -j show)
tap_is "after every rejected request the configuration is unchanged" \
	"$after" "$before"

topo_teardown
l4lb_unload
tap_done
