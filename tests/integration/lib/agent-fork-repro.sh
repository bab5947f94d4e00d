#!/bin/bash
# Reproduces an l4lb-agent abort on the host (no kernel module needed):
# HTTP checks and exec checks side by side, every 100 ms on 20 backends,
# end within seconds in "Code should not be reached at
# src/libsystemd/sd-event/sd-event.c:4117, function process_epoll()".
# Either kind alone, or TCP + exec checks, run for minutes. See
# t-agent-health.sh's "side by side" check for the same in the VM.
#
#   tests/integration/lib/agent-fork-repro.sh [AGENT] [MODE] [SECONDS]
#   MODE: both (default) | http | exec | tcpexec
# Needs root (a network namespace of its own, "agentrepro").
set -u
lib=$(dirname "$(readlink -f "$0")")
agent=${1:-$lib/../../../userspace/agent/l4lb-agent}
mode=${2:-both} secs=${3:-30}
w=$(mktemp -d)
ns=agentrepro
ip netns add $ns || exit 2
ip -n $ns link set lo up
args=() bes=""
for p in $(seq 20000 20019); do args+=(--http "$p"); bes+=",127.0.0.1:$p"; done
bes=${bes#,}
nsenter --net=/run/netns/$ns python3 "$lib/agentsrv.py" --name x --ctl "$w/ctl" "${args[@]}" >"$w/srv.out" 2>&1 &
sp=$!
sleep 1
vip() {	# NAME PORT CHECK
	printf '[vip %s]\nVIP = 10.9.0.1\nPORT = %s\nBACKENDS = %s\nCHECK = %s\nCHECK_INTERVAL = 100ms\n' \
		"$1" "$2" "$bes" "$3"
}
{
	printf '[global]\nHEALTH_PORT = 18084\nLOG_LEVEL = info\n'
	printf '[defaults]\nPASSIVE = no\nFLAP_WINDOW = 1s\nCHECK_EXEC = true\n'
	case $mode in
	both) vip http 80 http; vip exec 81 exec ;;
	http) vip http 80 http ;;
	exec) vip exec 81 exec ;;
	tcpexec) vip tcp 80 tcp; vip exec 81 exec ;;
	esac
} >"$w/agent.conf"
nsenter --net=/run/netns/$ns env -i "$agent" -c "$w/agent.conf" >"$w/agent.log" 2>&1 &
ap=$!
for ((i = 0; i < secs; i++)); do
	kill -0 $ap 2>/dev/null || break
	sleep 1
done
rc=0
if kill -0 $ap 2>/dev/null; then
	echo "$mode: the agent runs after $secs s"
	kill $ap
else
	echo "$mode: the agent died after $i s:"
	tail -n 3 "$w/agent.log"
	rc=1
fi
wait $ap 2>/dev/null
kill $sp
wait $sp 2>/dev/null
ip netns del $ns
rm -rf "$w"
exit $rc
