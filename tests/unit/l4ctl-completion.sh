#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of l4ctl (etc/bash-completion/l4ctl), sourced and
# driven as bash drives it (COMP_WORDS, COMP_CWORD -> COMPREPLY). VIPs come
# from a stand-in l4ctl printing `-j vip show` output. TAP output.
#
# usage: l4ctl-completion.sh [path/to/completion]
HERE=$(dirname "$(readlink -f "$0")")
COMPLETION=${1:-$HERE/../../etc/bash-completion/l4ctl}
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

COMP_WORDBREAKS=${COMP_WORDBREAKS:-$' \t\n"\'><=;|&(:'}
# compopt only works inside a real completion; a no-op here.
compopt() { :; }
# shellcheck source=../../etc/bash-completion/l4ctl
. "$COMPLETION" || { echo "not ok 1 - source $COMPLETION"; echo "1..1"; exit 1; }

# The stand-in: two VIPs (one IPv6, with nested objects) for `-j vip show`,
# nothing in a netns other than "lb"; it logs its arguments.
cat >"$tmp/l4ctl" <<'EOS'
#!/bin/sh
echo "$*" >>"${0%/*}/args"
case "$*" in
"-n other -j vip show") echo '[]' ;;
*"-j vip show") echo '[{"address":"10.0.0.10","port":80,"proto":"tcp","sched":"rr","stats":{"conns":0}},{"address":"fd00::10","port":443,"proto":"udp","mode":"snat","snat_addrs":["fd00:1::fe"],"timeouts":{"udp":30},"stats":{"conns":0}}]' ;;
esac
EOS
chmod +x "$tmp/l4ctl"

# complete WORD... : COMPREPLY for the command line WORD... (the last word
# is the one being completed), sorted, on one line.
complete_line() {
	COMP_WORDS=("$tmp/l4ctl" "$@")
	COMP_CWORD=$#
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_l4ctl l4ctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' '
}

# is DESC WANT WORD... : the completion of WORD... is WANT.
is() {
	local desc=$1 want=$2 got
	shift 2
	got=$(complete_line "$@")
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		echo "#   l4ctl $*<TAB>"
		echo "#   got:  '$got'"
		echo "#   want: '$want'"
		failed=$((failed + 1))
	fi
}

is "the objects" "backend conn flush help import-ipvsadm info monitor save show stats timeouts vip" ""
is "objects by prefix" "save show stats" s
is "global options" "--netns" --n
is "vip's commands" "add del help list replace set show" vip ""
is "backend's commands by prefix" "del down drain" backend d
is "conn's commands" "flush get help list" conn ""
is "timeouts' commands" "help set show" timeouts ""
is "monitor's words" "flows help timestamp" monitor ""
is "monitor: the word not given yet" "flows" monitor timestamp ""
is "monitor: nothing after both" "" monitor flows timestamp ""
is "an abbreviated object (b = backend)" "up" b u
is "a VIP from l4ctl -j vip show" "10.0.0.10:80 [fd00::10]:443" vip del ""
# bash splits COMP_WORDS at ':' too; the completion goes by COMP_LINE and
# gives what follows the last ':'.
colon() {
	COMP_LINE="$tmp/l4ctl vip set 10.0.0.10:"
	COMP_POINT=${#COMP_LINE}
	COMP_WORDS=("$tmp/l4ctl" vip set 10.0.0.10 :)
	COMP_CWORD=4
	COMPREPLY=()
	_l4ctl l4ctl ":" "10.0.0.10"
	echo "${COMPREPLY[*]}"
}
n=$((n + 1))
got=$(colon)
if [ "$got" = 80 ]; then
	echo "ok $n - a VIP after its ':' (COMP_WORDBREAKS)"
else
	echo "not ok $n - a VIP after its ':' (COMP_WORDBREAKS): got '$got', want '80'"
	failed=$((failed + 1))
fi
is "a VIP by prefix" "[fd00::10]:443" backend add "["
is "-n NETNS reaches l4ctl" "" -n other vip set ""
is "vip keywords by prefix" "maglev-size maxconn mode" vip add 10.0.0.10:80 m
is "vip keywords: no-*" "no-expire-down no-ops no-reject no-sh-port no-syn-only" vip set 10.0.0.10:80 sched rr no-
is "sched's values" "lc least-connections" vip add 10.0.0.10:80 sched l
is "mode's values" "dnat dsr snat tunnel" vip add 10.0.0.10:80 mode ""
is "proto's values" "tcp udp" vip del 10.0.0.10:80 proto ""
is "a VIP's own timeout names" "tcp-close tcp-established tcp-fin tcp-syn tcp-unreplied" vip set 10.0.0.10:80 timeout tcp-
is "a VIP's own timeout value" "default" vip set 10.0.0.10:80 timeout udp ""
is "a backend: nothing to offer" "" backend add 10.0.0.10:80 ""
is "backend keywords" "backup maxconn primary proto state weight" backend add 10.0.0.10:80 10.0.1.1:8080 ""
is "backend state values" "down drain up" backend set 10.0.0.10:80 10.0.1.1:8080 state ""
is "conn filters" "backend client proto state vip" conn list ""
is "conn state values by prefix" "close close_wait conversation" conn flush state c
is "conn vip filter: the VIPs" "10.0.0.10:80 [fd00::10]:443" conn list vip ""
is "show: the VIPs" "10.0.0.10:80 [fd00::10]:443" show ""
is "show VIP: proto" "proto" show 10.0.0.10:80 ""
is "show VIP proto: its values" "tcp udp" show 10.0.0.10 proto ""
is "vip show: the VIPs" "10.0.0.10:80 [fd00::10]:443" vip show ""
is "vip list VIP: proto" "proto" vip list "[fd00::10]:443" ""
is "stats' commands" "help rate show zero" stats ""
is "stats zero: a VIP to name" "vip" stats zero ""
is "stats zero vip: the VIPs" "10.0.0.10:80 [fd00::10]:443" stats zero vip ""
is "stats zero vip VIP: proto, backend" "backend proto" stats zero vip 10.0.0.10:80 ""
is "stats zero: a backend: nothing to offer" "" stats zero vip 10.0.0.10:80 backend ""
is "timeouts set: the names" "udp udp-unreplied" timeouts set u
is "timeouts set: a value after a name" "" timeouts set udp ""
is "timeouts set: the next name" "tcp-fin" timeouts set udp 30 tcp-f
n=$((n + 1))
if grep -qx -- "-n other -j vip show" "$tmp/args"; then
	echo "ok $n - the VIPs were asked for with -n NETNS"
else
	echo "not ok $n - the VIPs were asked for with -n NETNS"
	sed 's/^/#   /' "$tmp/args"
	failed=$((failed + 1))
fi

echo "1..$n"
[ "$failed" -eq 0 ]
