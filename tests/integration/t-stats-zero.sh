#!/bin/bash
# Issue 10, items 1 and 2: the namespace's flow table lookups, hits and
# misses, exact after known UDP exchanges; `l4ctl stats zero` of the whole
# namespace, of one VIP (another VIP's counters and the namespace's stay),
# of one backend, with counting going on from 0 and the gauges kept; zero
# of an unknown VIP or backend refused with the kernel's message and
# nothing changed; the monitor's stats_zero event; `l4ctl stats -r`: exactly
# 0 when idle, and rate x interval = what was sent when a known exchange
# falls inside the interval.
. "$(dirname "$0")/lib/l4lb.sh"

W=$(mktemp -d)
topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }
serve_all
V=$VIP4

# nst KEY... : the namespace's counters (l4ctl -j stats), on one line.
nst() {
	lbctl -j stats | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(str(o.get(k, "missing")) for k in sys.argv[1:]))
' "$@"
}

# st PORT { - | BACKEND:PORT } KEY... : counters of the UDP VIP $V:PORT (-)
# or of one of its backends, from one dump, on one line.
st() {
	local port=$1 be=$2
	shift 2
	lbctl -j show | python3 -c '
import json, sys
vip, port, be, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
o = None
for v in json.load(sys.stdin):
    if v["address"] == vip and v["port"] == port and v["proto"] == "udp":
        if be == "-":
            o = v
        else:
            a, p = be.rsplit(":", 1)
            o = next((b for b in v.get("backends", [])
                      if b["address"] == a and b["port"] == int(p)), None)
print(" ".join(str(o["stats"].get(k, "missing")) if o else "missing"
               for k in keys))
' "$V" "$port" "$be" "$@"
}

# q PORT SPORT N : N UDP queries "hello" (5 bytes) to $V:PORT, all from
# client port SPORT (one flow), each answered "beN\nhello"; no retry, so a
# lost datagram shows as a failure rather than as an extra packet.
q() {
	client_traffic hello $V "$1" --udp --sport "$2" --count "$3" \
		--retries 1 --timeout 5 2>&1 | paste -sd ' '
}

A=$BE4_3:$BE_PORT B=$BE4_2:$BE_PORT
lbctl vip add $V:53 proto udp &&
	lbctl backend add $V:53 $A proto udp &&
	lbctl vip add $V:54 proto udp &&
	lbctl backend add $V:54 $B proto udp
tap_check "two UDP VIPs, one backend each" test $? = 0
tap_is "no packet yet: lookups, hits, misses 0" "$(nst lookups hits misses)" "0 0 0"

# ---- lookups: each packet through the hooks once, either way
tap_is "5 queries to :53 from one client port" "$(q 53 40001 5)" \
	"be3 be3 be3 be3 be3"
# 5 client packets (the first opens the flow: a miss) and 5 replies.
tap_is "... lookups 10 = hits 9 + misses 1" "$(nst lookups hits misses)" "10 9 1"
tap_is "... the VIP: 1 flow, 5 packets each way, 33 and 37 bytes each" \
	"$(st 53 - conns pkts_in pkts_out bytes_in bytes_out)" "1 5 5 165 185"
tap_is "3 queries to :54 from another port" "$(q 54 40002 3)" "be2 be2 be2"
tap_is "... lookups 16 = hits 14 + misses 2" "$(nst lookups hits misses)" "16 14 2"

# ---- zero one VIP: that VIP and its backend; not the other, not the netns
lbctl stats zero vip $V:53 proto udp
tap_check "stats zero vip $V:53 proto udp" test $? = 0
tap_is "... :53 counters 0, its flow still active (a gauge)" \
	"$(st 53 - conns pkts_in pkts_out bytes_in bytes_out active_conns)" "0 0 0 0 0 1"
tap_is "... and its backend's" \
	"$(st 53 $A conns pkts_in pkts_out bytes_in bytes_out active_conns)" "0 0 0 0 0 1"
tap_is "... :54 unchanged" "$(st 54 - conns pkts_in pkts_out bytes_in bytes_out)" \
	"1 3 3 99 111"
tap_is "... the namespace's unchanged" "$(nst lookups hits misses)" "16 14 2"
tap_is "2 more queries on the :53 flow" "$(q 53 40001 2)" "be3 be3"
tap_is "... :53 counts from 0: no new flow, 2 packets each way, 66 and 74 bytes" \
	"$(st 53 - conns pkts_in pkts_out bytes_in bytes_out)" "0 2 2 66 74"
tap_is "... its backend the same" \
	"$(st 53 $A conns pkts_in pkts_out bytes_in bytes_out)" "0 2 2 66 74"
tap_is "... lookups 20 = hits 18 + misses 2" "$(nst lookups hits misses)" "20 18 2"

# ---- zero one backend, with the monitor listening
nsenter --net=/run/netns/lb -- "$L4CTL" -j monitor >"$W/mon.json" 2>"$W/mon.err" &
mon=$!
# No readiness signal: zero until the monitor shows it (nothing flows meanwhile).
for i in $(seq 1 40); do
	lbctl stats zero vip $V:54 proto udp backend $B
	grep -q '"stats_zero"' "$W/mon.json" && break
	sleep 0.25
done
tap_like "monitor: the backend zeroed" "$(head -n 1 "$W/mon.json")" \
	"{\"event\":\"stats_zero\",\"vip\":{\"address\":\"$V\",\"port\":54,\"proto\":\"udp\"},\"backend\":{\"address\":\"$BE4_2\",\"port\":$BE_PORT}}"
skip=$(wc -l <"$W/mon.json")
tap_is "... the backend of :54 at 0" "$(st 54 $B conns pkts_in pkts_out)" "0 0 0"
tap_is "... its VIP not" "$(st 54 - conns pkts_in pkts_out)" "1 3 3"

# ---- refused: unknown VIP, unknown backend; nothing changes
out=$(lbctl stats zero vip 10.0.0.99:53 proto udp 2>&1)
tap_is "stats zero of an unknown VIP fails (exit 2)" "$?" 2
tap_like "... with the kernel's message" "$out" "*VIP not found*"
out=$(lbctl stats zero vip $V:53 proto udp backend 10.0.1.9:$BE_PORT 2>&1)
tap_is "stats zero of an unknown backend fails (exit 2)" "$?" 2
tap_like "... with the kernel's message" "$out" "*backend not found*"
out=$(lbctl stats zero vip $V:53 2>&1)
tap_like "... the VIP :53 is UDP: 'proto tcp' (the default) names none" "$out" "*VIP not found*"
tap_is "... :53 unchanged" "$(st 53 - pkts_in pkts_out)" "2 2"
tap_is "... the namespace unchanged" "$(nst lookups hits misses)" "20 18 2"

# ---- zero everything
lbctl stats zero
tap_check "stats zero" test $? = 0
tap_is "... the namespace's counters 0" \
	"$(nst lookups hits misses evictions drops_noflow icmp_xlated)" "0 0 0 0 0 0"
tap_is "... the table fill stays (2 flows)" "$(nst conns)" 2
tap_is "... :53 at 0, its flow active" "$(st 53 - pkts_in pkts_out active_conns)" "0 0 1"
tap_is "... :54 at 0, its flow active" "$(st 54 - conns pkts_in pkts_out active_conns)" "0 0 0 1"
tap_is "1 query on the :54 flow" "$(q 54 40002 1)" be2
tap_is "... lookups 2 = hits 2 + misses 0" "$(nst lookups hits misses)" "2 2 0"
tap_is "... :54 1 packet each way" "$(st 54 - pkts_in pkts_out)" "1 1"
sleep 0.5
kill "$mon"
wait "$mon" 2>/dev/null
tap_is "monitor: the refused zeroings sent nothing, the namespace's one event" \
	"$(tail -n +$((skip + 1)) "$W/mon.json")" '{"event":"stats_zero"}'

# ---- rates
# ratekeys FILE PORT : from `l4ctl -j stats -r` output, rate x interval of
# the namespace's lookups and of :PORT's packets and bytes, to 0.01.
ratekeys() {
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
port = int(sys.argv[2])
t = o["interval_s"]
v = next(v for v in o["vips"] if v["port"] == port and v["proto"] == "udp")
vals = [o["lookups_per_s"], o["hits_per_s"], o["misses_per_s"],
        v["conns_per_s"], v["pkts_in_per_s"], v["pkts_out_per_s"],
        v["bytes_in_per_s"], v["bytes_out_per_s"]]
print(" ".join("%.2f" % (r * t) for r in vals))
' "$@"
}
lbctl -j stats -r 1 >"$W/idle.json"
tap_check "idle: stats -r 1" test $? = 0
tap_is "... every rate exactly 0" "$(ratekeys "$W/idle.json" 53)" \
	"0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00"
tap_is "... over a second at least (the time between the readings)" \
	"$(python3 -c 'import json,sys; print(1 <= json.load(open(sys.argv[1]))["interval_s"] < 10)' "$W/idle.json")" True

# A 10 s window: l4ctl takes its first reading, then sleeps; once it
# sleeps (its syscall is clock_nanosleep, 230 on x86-64) a client started
# beforehand (Python starts slowly under TCG) sends 4 queries on a new flow
# to :53: all inside the window, whatever the speed of the VM.
mkfifo "$W/go"
ns_run client python3 -c '
import runpy, sys
sys.stdin.readline()
sys.argv = [sys.argv[1], "hello", sys.argv[2], "53", "--udp", "--sport", "40003",
            "--count", "4", "--retries", "1", "--timeout", "5"]
runpy.run_path(sys.argv[0], run_name="__main__")
' "$TRAFFIC_PY" "$V" <"$W/go" >"$W/q.out" 2>&1 &
client=$!
exec {go}>"$W/go"
before=$(nst lookups)
nsenter --net=/run/netns/lb -- "$L4CTL" -j stats -r 10 >"$W/rate.json" 2>&1 &
rate=$!
for i in $(seq 1 200); do
	[ "$(cut -d' ' -f1 /proc/$rate/syscall 2>/dev/null)" = 230 ] && break
	sleep 0.05
done
tap_is "stats -r 10: asleep after its first reading" \
	"$(cut -d' ' -f1 /proc/$rate/syscall 2>/dev/null)" 230
echo go >&$go
exec {go}>&-
wait "$client"
tap_is "4 queries during the interval" "$(paste -sd ' ' "$W/q.out")" "be3 be3 be3 be3"
wait "$rate"
tap_check "stats -r 10" test $? = 0
tap_is "... nothing else went through meanwhile: lookups +8" \
	"$(($(nst lookups) - before))" 8
# 8 lookups (1 miss), 1 flow, 4 packets of 33 bytes in, 4 of 37 out.
tap_is "... rate x interval = the counts: lookups 8 hits 7 misses 1, 1 flow, 4 and 4 packets, 132 and 148 bytes" \
	"$(ratekeys "$W/rate.json" 53)" "8.00 7.00 1.00 1.00 4.00 4.00 132.00 148.00"
tap_is "... :54 idle: 0" "$(ratekeys "$W/rate.json" 54 | cut -d' ' -f4-)" \
	"0.00 0.00 0.00 0.00 0.00"
tap_is "... the backend's rates too" \
	"$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
v = next(v for v in o["vips"] if v["port"] == 53)
b = v["backends"][0]
print(b["address"], "%.2f" % (b["pkts_in_per_s"] * o["interval_s"]), sorted(b))
' "$W/rate.json")" \
	"$BE4_3 4.00 ['address', 'bytes_in_per_s', 'bytes_out_per_s', 'conns_per_s', 'drops_per_s', 'pkts_in_per_s', 'pkts_out_per_s', 'port']"
out=$(lbctl stats rate 0.5 2>&1)
tap_like "text: stats rate 0.5" "$out" "interval *s lookups/s 0.0 hits/s 0.0 misses/s 0.0
vip $V:53 proto udp conns/s 0.0 pkts_in/s 0.0 pkts_out/s 0.0 bytes_in/s 0.0 bytes_out/s 0.0 drops/s 0.0
  backend $A conns/s 0.0 *"

topo_teardown
l4lb_unload
tap_done
