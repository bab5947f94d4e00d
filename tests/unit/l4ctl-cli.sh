#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Command line behaviour of l4ctl that needs no kernel module: help, input
# validation before anything is sent, exit statuses, and the message when
# the l4lb family is not registered. TAP output.
#
# usage: l4ctl-cli.sh [path/to/l4ctl]   (or L4CTL=path/to/l4ctl)

L4CTL=${1:-${L4CTL:-l4ctl}}
n=0
failed=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# run EXPECTED_STATUS ARGS...: keeps stdout/stderr in $out/$err
run() {
	want=$1; shift
	"$L4CTL" "$@" >"$out" 2>"$err"
	status=$?
	[ "$status" -eq "$want" ] && return 0
	echo "#   '$L4CTL $*' exited $status, expected $want"
	sed 's/^/#   stderr: /' "$err"
	return 1
}

# has FILE PATTERN: fixed-string match
has() {
	grep -qF -- "$2" "$1" && return 0
	echo "#   '$2' not found in:"
	sed 's/^/#   | /' "$1"
	return 1
}

result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

run 0 help && has "$out" "vip" && has "$out" "backend" && has "$out" "stats"
result $? "'l4ctl help' exits 0 and mentions vip, backend and stats"

run 0 vip help && has "$out" "vip add" && run 0 backend help &&
	has "$out" "backend set"
result $? "'l4ctl vip help' and 'l4ctl backend help' exit 0"

run 0 stats help && has "$out" "l4ctl stats" && run 0 st h &&
	has "$out" "l4ctl stats"
result $? "'l4ctl stats help' (and 'l4ctl st h') exits 0"

run 1 stats frob && has "$err" "'frob'" && has "$err" "l4ctl stats help" &&
	run 1 stats show now && has "$err" "'now'" && [ ! -s "$out" ]
result $? "'l4ctl stats' with an unknown argument: exit 1, nothing sent"

run 1 s && has "$err" "ambiguous" && has "$err" "show" && has "$err" "stats"
result $? "'l4ctl s' is ambiguous between show and stats"

run 0 -V && has "$out" "l4ctl"
result $? "'l4ctl -V' prints the version"

run 1 vip add 10.0.0.300:80 && has "$err" "'10.0.0.300:80'"
result $? "bad IPv4 address: exit 1, names the token"

run 1 vip add ::1:80 && has "$err" "'::1:80'" && has "$err" "brackets"
result $? "IPv6 without brackets: exit 1 with a hint"

run 1 backend add 10.0.0.10:80 10.0.1.1:0 && has "$err" "'10.0.1.1:0'"
result $? "port 0: exit 1, names the token"

run 1 vip add 10.0.0.10:80 foo bar && has "$err" "unknown keyword 'foo'" &&
	has "$err" "l4ctl vip help"
result $? "unknown keyword: exit 1 with a hint to 'l4ctl vip help'"

run 1 backend add 10.0.0.10:80 10.0.1.1:8080 weight 65536 &&
	has "$err" "'65536'"
result $? "weight 65536: exit 1, names the value"

run 1 backend set 10.0.0.10:80 10.0.1.1:8080 &&
	has "$err" "nothing to change" && has "$err" "weight"
result $? "'backend set' without anything to change: exit 1"

run 1 vip add 10.0.0.10:80 proto sctp && has "$err" "'sctp'"
result $? "bad proto: exit 1"

run 1 frobnicate && has "$err" "'frobnicate'"
result $? "unknown object: exit 1"

run 1 backend s 10.0.0.10:80 && has "$err" "ambiguous"
result $? "ambiguous abbreviation 'backend s': exit 1"

run 0 vip help && has "$out" "maglev-size" && has "$out" "syn-only" &&
	has "$out" "persist" && has "$out" "least-connections" &&
	run 0 backend help && has "$out" "drain | down | up" &&
	has "$out" "backup | primary" && has "$out" "maxconn"
result $? "help names the scheduling keywords and backend drain/down/up"

run 1 vip add 10.0.0.10:80 sched maglev maglev-size 100k &&
	has "$err" "invalid maglev-size '100k': expected a prime from 251 to 1048573, or default" &&
	has "$err" "l4ctl vip help" && [ ! -s "$out" ] &&
	run 1 vip set 10.0.0.10:80 maglev-size 250 && has "$err" "'250'" &&
	run 1 vip set 10.0.0.10:80 maglev-size 1048574 && has "$err" "'1048574'"
result $? "maglev-size not a number, or out of range: exit 1"

run 1 vip add 10.0.0.10:80 maxconn many &&
	has "$err" "invalid maxconn 'many': expected a number of flows at once, or none" &&
	run 1 backend add 10.0.0.10:80 10.0.1.1:8080 maxconn 4294967296 &&
	has "$err" "'4294967296'" && has "$err" "l4ctl backend help"
result $? "maxconn not a number: exit 1 (vip and backend)"

run 1 vip add 10.0.0.10:80 rate fast && has "$err" "invalid rate 'fast'" &&
	run 1 vip add 10.0.0.10:80 burst none && has "$err" "invalid burst 'none'" &&
	run 1 vip add 10.0.0.10:80 persist 604801 &&
	has "$err" "expected seconds from 1 to 604800, or none" &&
	run 1 vip add 10.0.0.10:80 hash dst && has "$err" "expected 5tuple or src"
result $? "rate, burst, persist and hash values checked: exit 1"

run 1 backend add 10.0.0.10:80 10.0.1.1:8080 state sideways &&
	has "$err" "invalid state 'sideways': expected up, drain or down" &&
	run 1 backend set 10.0.0.10:80 10.0.1.1:8080 state &&
	has "$err" "needs a value"
result $? "unknown backend state: exit 1"

run 1 vip set 10.0.0.10:80 syn-only no-syn-only &&
	has "$err" "'syn-only' and 'no-syn-only' contradict each other" &&
	run 1 backend set 10.0.0.10:80 10.0.1.1:8080 primary backup &&
	has "$err" "'primary' and 'backup' contradict each other"
result $? "a flag and its opposite together: exit 1"

run 1 backend drain 10.0.0.10:80 10.0.1.1:8080 weight 0 &&
	has "$err" "unknown keyword 'weight'" &&
	run 1 backend up 10.0.0.10:80 && has "$err" "missing backend address" &&
	run 1 vip add 10.0.0.10:80 state drain && has "$err" "unknown keyword 'state'"
result $? "backend drain/down/up take the pair only; vip takes no backend keyword"

run 1 vip add 10.0.0.10:80 mode snat snat-addr 10.0.1.1 snat-addr auto &&
	has "$err" "'snat-addr auto' cannot be combined with addresses" &&
	run 1 vip add 10.0.0.10:80 mode snat snat-addr auto snat-addr 10.0.1.1 &&
	has "$err" "'snat-addr auto' cannot be combined with addresses" &&
	run 1 vip add 10.0.0.10:80 mode snat $(for i in $(seq 1 17); do
		printf 'snat-addr 10.0.1.%d ' "$i"; done) &&
	has "$err" "at most 16 SNAT addresses"
result $? "snat-addr: auto with addresses, or more than 16: exit 1"

run 1 vip add && has "$err" "missing VIP address" &&
	run 1 vip set 10.0.0.10:80 && has "$err" "nothing to change: name at least one option" &&
	run 1 backend show && has "$err" "missing VIP address" &&
	run 1 backend add 10.0.0.10:80 && has "$err" "missing backend address"
result $? "missing addresses, vip set without a change: exit 1"

run 1 conn list frob 1 && has "$err" "unknown filter 'frob'" &&
	has "$err" "Try 'l4ctl conn help'." &&
	run 1 conn list vip && has "$err" "'vip' needs a value" &&
	run 1 conn list vip 10.0.0.10:80 vip 10.0.0.10:80 &&
	has "$err" "'vip' given twice" &&
	run 1 conn list state bogus && has "$err" "invalid state 'bogus'" &&
	run 1 conn flush proto sctp && has "$err" "invalid protocol 'sctp'" &&
	run 1 conn list state established proto udp &&
	has "$err" "state and protocol do not go together" &&
	run 1 conn list vip 10.0.0.10:80 client fd00::1 &&
	has "$err" "addresses of different families" &&
	run 1 conn list client 10.0.0.300 &&
	has "$err" "invalid client address '10.0.0.300'" &&
	run 1 conn list vip 10.0.0.10 && has "$err" "invalid VIP address '10.0.0.10'"
result $? "conn list/flush: bad filters refused before anything is sent"

run 1 conn get && has "$err" "missing client address" &&
	run 1 conn get 10.0.0.2:4000 && has "$err" "missing VIP address" &&
	run 1 conn get 10.0.0.2:4000 10.0.0.10:80 proto sctp &&
	has "$err" "invalid protocol 'sctp'" &&
	run 1 conn get 10.0.0.2:4000 10.0.0.10:80 frob && has "$err" "unexpected 'frob'" &&
	run 1 conn get 10.0.0.2:4000 "[fd00::10]:80" &&
	has "$err" "client and VIP addresses of different families" &&
	run 1 conn get 10.0.0.2 10.0.0.10:80 && has "$err" "invalid client address '10.0.0.2'"
result $? "conn get: bad tuples refused"

run 1 import-ipvsadm /etc/ipvsadm.rules &&
	has "$err" "unknown argument '/etc/ipvsadm.rules': import-ipvsadm reads stdin" &&
	run 1 monitor frob && has "$err" "unknown argument 'frob'" &&
	has "$err" "l4ctl monitor help" &&
	run 1 timeouts show now && has "$err" "unknown argument 'now'" &&
	run 1 show 10.0.0.10:80 frob && has "$err" "unknown keyword 'frob'" &&
	run 1 show 10.0.0.300 && has "$err" "invalid VIP '10.0.0.300'" &&
	run 0 show help && has "$out" "l4ctl show [ VIP [ proto PROTO ] ]"
result $? "import-ipvsadm, monitor, timeouts show, show: bad arguments refused"

bf=$(mktemp)
{ printf 'vip add 10.0.0.1:80'; for i in $(seq 1 130); do printf ' x'; done; echo; } >"$bf"
run 1 -b "$bf" && has "$err" "l4ctl: line 1: more than 128 words" &&
	run 1 -b / && has "$err" "reading the batch: Is a directory"
result $? "-b: a line of too many words, a file that cannot be read"
rm -f "$bf"

# Only meaningful where the l4lb family is not registered (CI, dev hosts).

run 0 timeouts help && has "$out" "l4ctl timeouts set" && run 0 help &&
	has "$out" "timeouts" && run 0 vip help && has "$out" "timeout TIMEOUT"
result $? "'l4ctl timeouts help' exits 0; help and vip help name the timeouts"

run 1 timeouts set udp 0 && has "$err" "from 1 to 86400" &&
	run 1 timeouts set udp default && run 1 timeouts set tcp-close 3601 &&
	run 1 timeouts set udp && run 1 timeouts set && has "$err" "nothing to change" &&
	run 1 timeouts set bogus 5 && has "$err" "unknown timeout 'bogus'"
result $? "'l4ctl timeouts set' with bad values: exit 1, nothing sent"

run 1 vip add 10.0.0.1:53 proto udp timeout udp 86401 && has "$err" "or default" &&
	run 1 vip add 10.0.0.1:53 timeout bogus 5 && has "$err" "unknown timeout" &&
	run 1 vip set 10.0.0.1:53 timeout && run 1 vip set 10.0.0.1:53 timeout udp 5 udp 6 &&
	has "$err" "given twice"
result $? "'timeout NAME SECONDS' of vip add / vip set checked before sending"
# batch: usage errors need no kernel; each names its line
bf=$(mktemp)
printf '# restore\n\nvip add bogus\nvip add 10.0.0.1:80 frob 1\n' >"$bf"
run 1 -b "$bf" && has "$err" "l4ctl: line 3: invalid VIP address 'bogus'" &&
	! grep -q "line 4" "$err" &&
	run 1 -force -b "$bf" && has "$err" "line 3:" &&
	has "$err" "l4ctl: line 4: unknown keyword 'frob'" &&
	run 1 -b - <"$bf" && has "$err" "line 3:" &&
	run 1 -b /nonexistent/batch && has "$err" "cannot open '/nonexistent/batch'" &&
	run 1 -b "$bf" vip show && has "$err" "-b takes no command"
result $? "'l4ctl -b FILE': stops at the first bad line and names it; -force goes on; - is stdin"
rm -f "$bf"

printf -- '-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 2\n' |
	"$L4CTL" import-ipvsadm >"$out" 2>"$err" &&
	has "$out" "vip add 10.0.0.1:80 proto tcp sched wrr mode dnat" &&
	has "$out" "backend add 10.0.0.1:80 10.0.1.1:80 proto tcp weight 2" &&
	printf 'garbage\n' | { "$L4CTL" import-ipvsadm >"$out" 2>"$err"; [ $? -eq 1 ]; } &&
	has "$err" "line 1: not an 'ipvsadm -S -n' line"
result $? "'l4ctl import-ipvsadm' maps ipvsadm -S -n output, refuses garbage"

run 1 -n no-such-netns-l4ctl vip show &&
	has "$err" "l4ctl: network namespace \"no-such-netns-l4ctl\" does not exist (ip netns list shows those there are)" &&
	run 1 -n ../x vip show && has "$err" "invalid network namespace name"
result $? "'l4ctl -n NETNS': a missing namespace is refused"

run 0 -V && has "$out" "l4ctl " && has "$out" "l4lb module" &&
	run 1 save now && run 1 flush all && run 1 info x &&
	run 0 vip help && has "$out" "vip replace" &&
	run 0 backend help && has "$out" "backend replace"
result $? "'l4ctl -V' names both versions; save/flush/info take no argument; replace in help"

if "$L4CTL" -j vip show >/dev/null 2>&1; then
	n=$((n + 1))
	echo "ok $n - # SKIP the l4lb module is loaded here"
else
	run 2 -j vip show &&
		has "$err" "l4ctl: the l4lb module is not loaded (modprobe l4lb)" &&
		[ ! -s "$out" ]
	result $? "module not loaded: exit 2, clear message, nothing on stdout"

	run 2 -j stats && has "$err" "the l4lb module is not loaded" &&
		[ ! -s "$out" ] && run 2 sta && run 2 stats show
	result $? "'l4ctl [-j] stats' without the module: exit 2, nothing on stdout"

	run 2 monitor && has "$err" "l4ctl: the l4lb module is not loaded (modprobe l4lb)" &&
		[ ! -s "$out" ]
	result $? "'l4ctl monitor' without the module: exit 2, the same message"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
