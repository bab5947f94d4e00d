# shellcheck shell=bash
# Helpers for the l4lb-agent tests (t-agent*.sh), on top of l4lb.sh: the
# agent in the LB's namespace, backends and a fake operator in python
# (agentsrv.py, agentop.py), queries from one long-lived process
# (agentq.py) and client connections from another (conns.py).
#
#   agent_start [ARGS...]    l4lb-agent ARGS in the LB's namespace, with
#                            only the variables of AGENT_ENV (+ PATH and the
#                            sanitizers'); waits for its HTTP port
#   agent_stop [SIGNAL]      signal it (TERM), wait: its exit status
#   be_start N [PORTS...]    agentsrv.py as backend N (netns beN), control
#                            directory $W/beN (PORTS default: --tcp 8080
#                            --udp 8080 --line 9000 --http 9001)
#   srv_start KEY N ARGS...  the same with ARGS, known as KEY
#   be_kill KEY              kill it (SIGKILL: no goodbye)
#   op_start                 agentop.py on 127.0.0.1:9100 in the LB's ns,
#                            control directory $W/op
#   put FILE TEXT            write FILE atomically (rename)
#   q CMD...                 one agentq.py command, its answer
#   c CMD...                 one conns.py command (client ns), its answer
. "$(dirname "${BASH_SOURCE[0]}")/l4lb.sh"

# L4LB_AGENT, L4LB_L4CTL: binaries built elsewhere (tests/vm/run passes
# L4LB_* variables into the guest).
AGENT=${L4LB_AGENT:-$L4LB_TOP/userspace/agent/l4lb-agent}
L4CTL=${L4LB_L4CTL:-$L4CTL}
W=$(mktemp -d)
AGENT_PORT=8083
AGENT_URL=http://127.0.0.1:$AGENT_PORT
AGENT_LOG=$W/agent.log
AGENT_PID=
AGENT_ENV=()
declare -gA BE_PID DRV_IN DRV_OUT
OP_PID=

put() {
	printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# drv_start NAME NS CMD... : a line-command process (agentq.py, conns.py).
drv_start() {
	local name=$1 ns=$2 in out
	shift 2
	mkfifo "$W/$name.in" "$W/$name.out"
	ns_run "$ns" "$@" <"$W/$name.in" >"$W/$name.out" 2>"$W/$name.err" &
	exec {in}<>"$W/$name.in" {out}<>"$W/$name.out"
	DRV_IN[$name]=$in DRV_OUT[$name]=$out
}

drv() {
	local name=$1 line
	shift
	echo "$*" >&"${DRV_IN[$name]}"
	if ! read -r -t 180 line <&"${DRV_OUT[$name]}"; then
		line="no answer from $name: $(tail -n 3 "$W/$name.err" | paste -sd' ')"
	fi
	echo "$line"
}

q() { drv q "$@"; }
c() { drv c "$@"; }

agent_helpers_start() {
	drv_start q lb python3 "$L4LB_LIB/agentq.py" "$L4CTL" "$AGENT_URL"
	drv_start c client python3 "$L4LB_LIB/conns.py"
}

# _wait_ready FILE PID : until FILE says "ready" (max ~20 s).
_wait_ready() {
	local i
	for ((i = 0; i < 200; i++)); do
		[[ $(<"$1") == *ready* ]] 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# srv_start KEY N ARGS... : agentsrv.py ARGS as backend N (netns beN,
# control directory $W/beN), known as KEY to be_kill.
srv_start() {
	local key=$1 n=$2 pid
	shift 2
	mkdir -p "$W/be$n"
	: >"$W/be$n/$key.out"
	nsenter --net="/run/netns/be$n" -- python3 "$L4LB_LIB/agentsrv.py" \
		--name "be$n" --ctl "$W/be$n" "$@" >"$W/be$n/$key.out" 2>&1 &
	pid=$!
	BE_PID[$key]=$pid
	_wait_ready "$W/be$n/$key.out" "$pid" ||
		{ echo "backend be$n ($key) did not start: $(<"$W/be$n/$key.out")" >&2; return 1; }
}

be_start() {
	local n=$1
	shift
	(($#)) || set -- --tcp 8080 --udp 8080 --line 9000 --http 9001
	srv_start "$n" "$n" "$@"
}

be_kill() {
	local pid=${BE_PID[$1]}
	[[ -n $pid ]] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	BE_PID[$1]=
	return 0
}

op_start() {
	mkdir -p "$W/op"
	: >"$W/op/out"
	nsenter --net=/run/netns/lb -- python3 "$L4LB_LIB/agentop.py" \
		--port 9100 --dir "$W/op" >"$W/op/out" 2>&1 &
	OP_PID=$!
	_wait_ready "$W/op/out" "$OP_PID" || { echo "the fake operator did not start: $(<"$W/op/out")" >&2; return 1; }
}

# Not in $(...) (nor tap_check): AGENT_PID must be set in this shell.
agent_start() {
	local r
	if [[ -n $AGENT_PID ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "agent_start: an agent runs already ($AGENT_PID)" >&2
		return 1
	fi
	echo "# ---- agent_start $* (${AGENT_ENV[*]})" >>"$AGENT_LOG"
	# env -i: nothing of the test's environment leaks in (an L4LB_* or a
	# CONFIG_FILE would change what is tested).
	nsenter --net=/run/netns/lb -- env -i PATH="$PATH" \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
		"${AGENT_ENV[@]}" "$AGENT" "$@" >>"$AGENT_LOG" 2>&1 &
	AGENT_PID=$!
	r=$(q waithttp 30)
	if [[ $r != ok* ]]; then
		echo "the agent did not answer on $AGENT_URL ($r); its log:" >&2
		tail -n 20 "$AGENT_LOG" >&2
		return 1
	fi
}

# agent_stop [SIGNAL] : signal the agent (TERM), wait for it; its exit
# status in AGENT_RC (killed by signal N: 128+N). Not in $(...): the agent
# is a child of this shell, not of a subshell.
AGENT_RC=
agent_stop() {
	local sig=${1:-TERM} i
	AGENT_RC=255
	[[ -n $AGENT_PID ]] || { echo "agent_stop: no agent running" >&2; return 1; }
	kill -"$sig" "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$AGENT_PID" 2>/dev/null; then
		echo "agent did not exit on SIG$sig in 15 s" >&2
		kill -KILL "$AGENT_PID"
	fi
	wait "$AGENT_PID"
	AGENT_RC=$?
	AGENT_PID=
}

# agent_log_has PATTERN : grep -E in the agent's log.
agent_log_has() { grep -qE -- "$1" "$AGENT_LOG"; }

# The agent is there (make -C userspace built it); else every test of the
# file is one skip.
agent_require() {
	if [[ ! -x $AGENT ]]; then
		echo "ok 1 - l4lb-agent # SKIP $AGENT is not built"
		echo "1..1"
		exit 0
	fi
}

agent_cleanup() {
	local n
	[[ -n $AGENT_PID ]] && agent_stop KILL
	for n in "${!BE_PID[@]}"; do be_kill "$n"; done
	[[ -n $OP_PID ]] && kill "$OP_PID" 2>/dev/null
	mon_stop
	[[ -n ${DRV_IN[q]:-} ]] && echo quit >&"${DRV_IN[q]}"
	[[ -n ${DRV_IN[c]:-} ]] && echo quit >&"${DRV_IN[c]}"
	if [[ $TAP_FAILED -gt 0 ]]; then
		tap_diag "agent log (last 300 lines, skipped checks left out):"
		grep -v 'check still running, skipped' "$AGENT_LOG" | tail -n 300 | sed 's/^/# /'
	fi
}

# count_words WORD LIST... : how many of LIST are WORD.
count_words() {
	local w=$1 n=0 x
	shift
	for x in "$@"; do [[ $x == "$w" ]] && n=$((n + 1)); done
	echo $n
}


# agent_sanitizer_check : a TAP line: no ASan/LSan/UBSan report in the log.
agent_sanitizer_check() {
	local re='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
	if grep -qE "$re" "$AGENT_LOG"; then
		tap_fail "no sanitizer report in the agent's log" \
			"$(grep -E -A8 "$re" "$AGENT_LOG" | head -n 30)"
	else
		tap_ok "no sanitizer report in the agent's log"
	fi
}

# Configuration events of the LB's netns (`l4ctl -j monitor timestamp`):
#   mon_start      start it; returns once it is seen to listen
#   mon_stop       stop it
#   mon_events VIP-ADDR PORT [BACKEND-ADDR:PORT]
#                  the events since mon_start about that VIP (and backend),
#                  one compact JSON a line
#   mon_when AFTER VIP-ADDR PORT BACKEND STATE
#                  seconds from AFTER ($EPOCHREALTIME) to the event that set
#                  BACKEND to STATE (the kernel's change, timed by the
#                  monitor: no polling delay), or "none"
MON_PID= MON_MARK=0
mon_start() {
	local i
	: >"$W/mon.json"
	nsenter --net=/run/netns/lb -- "$L4CTL" -j monitor timestamp >"$W/mon.json" 2>&1 &
	MON_PID=$!
	# A marker VIP, added and deleted until the monitor shows it.
	for ((i = 0; i < 50; i++)); do
		ns_run lb "$L4CTL" vip add 10.255.255.254:1 2>/dev/null
		ns_run lb "$L4CTL" vip del 10.255.255.254:1 2>/dev/null
		grep -q '"vip_del"' "$W/mon.json" && break
		sleep 0.2
	done
	MON_MARK=$(wc -l <"$W/mon.json")
}

mon_stop() {
	[[ -n $MON_PID ]] || return 0
	kill -INT "$MON_PID" 2>/dev/null
	wait "$MON_PID" 2>/dev/null
	MON_PID=
}

mon_events() { python3 "$L4LB_LIB/agentmon.py" "$W/mon.json" "$MON_MARK" events "$@"; }
mon_when() { python3 "$L4LB_LIB/agentmon.py" "$W/mon.json" "$MON_MARK" when "$@"; }
