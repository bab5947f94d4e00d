#!/bin/bash
# Dumps tell the truth: a configuration change between two parts of a dump
# marks the parts after it NLM_F_DUMP_INTR (the caller dumps again), and a
# dump without changes lists every object once. l4ctl reruns interrupted
# dumps.
. "$(dirname "$0")/lib/l4lb.sh"

topo_setup
l4lb_load || { tap_fail "load l4lb.ko"; tap_done; exit 1; }

out=$(ns_run lb python3 - "$L4LB_LIB" <<'PY' 2>&1
import json, socket, struct, sys
sys.path.insert(0, sys.argv[1])
import rawnl as r

NLM_F_DUMP_INTR = 0x10
NLMSG_DONE = 3

def sock():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, r.NETLINK_GENERIC)
    s.setsockopt(r.SOL_NETLINK, r.NETLINK_EXT_ACK, 1)
    return s

ctl, dumper = sock(), sock()
fam = r.family_id(ctl)
seq = 100

def request(s, cmd, flags, attrs):
    global seq
    seq += 1
    body = struct.pack("=BBH", r.CMD[cmd], 1, 0) + attrs
    s.send(struct.pack("=IHHII", 16 + len(body), fam,
                       r.NLM_F_REQUEST | flags, seq, 0) + body)

def ack(s):
    data = s.recv(65536)
    length, kind = struct.unpack_from("=IH", data)
    assert kind == r.NLMSG_ERROR, kind
    return struct.unpack_from("=i", data, 16)[0]

def add_vip(i):
    addr = bytes([198, 51, 100 + i // 250, 1 + i % 250])
    request(ctl, "VIP_NEW", r.NLM_F_ACK, r.vip(addr=addr, port=80))
    return ack(ctl)

def dump(change_after_first=False):
    """(VIP keys, interrupted?) of one VIP dump."""
    request(dumper, "VIP_GET", r.NLM_F_DUMP, b"")
    keys, intr, parts = [], False, 0
    while True:
        data = dumper.recv(65536)
        parts += 1
        off = 0
        while off + 16 <= len(data):
            length, kind, flags = struct.unpack_from("=IHH", data, off)
            intr |= bool(flags & NLM_F_DUMP_INTR)
            if kind == NLMSG_DONE:
                return keys, intr, parts
            keys.append(data[off + 20:off + length])
            off += (length + 3) & ~3
        if change_after_first and parts == 1:
            assert add_vip(999) == 0

errs = [add_vip(i) for i in range(400)]
keys, intr, parts = dump()
res = {"add_errors": sum(1 for e in errs if e), "quiet_count": len(keys),
       "quiet_unique": len(set(keys)), "quiet_intr": intr, "parts": parts}
keys, intr, parts = dump(change_after_first=True)
res.update(changed_intr=intr, changed_parts=parts)
keys, intr, parts = dump()
res.update(after_count=len(set(keys)), after_intr=intr)
print(json.dumps(res))
PY
)
tap_diag "$out"
get() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$1'])" "$(tail -n1 <<<"$out")"; }
tap_is "400 VIPs added" "$(get add_errors)" 0
tap_check "the dump spans several parts ($(get parts))" test "$(get parts)" -gt 2
tap_is "a dump without changes lists each VIP once" "$(get quiet_count) $(get quiet_unique)" "400 400"
tap_is "... and is not marked interrupted" "$(get quiet_intr)" False
tap_is "a VIP added between two parts marks the dump interrupted" "$(get changed_intr)" True
tap_is "the next dump lists all 401, uninterrupted" "$(get after_count) $(get after_intr)" "401 False"

# l4ctl reruns an interrupted dump: under a steady stream of changes its
# listing is still one consistent snapshot (every VIP once).
ns_run lb python3 - "$L4LB_LIB" <<'PY' &
import socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
import rawnl as r
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, r.NETLINK_GENERIC)
fam = r.family_id(s)
end = time.time() + 20
i = 0
while time.time() < end:
    cmd = "VIP_NEW" if i % 2 == 0 else "VIP_DEL"
    body = struct.pack("=BBH", r.CMD[cmd], 1, 0) + r.vip(addr=bytes([203, 0, 113, 7]), port=80)
    s.send(struct.pack("=IHHII", 16 + len(body), fam, r.NLM_F_REQUEST | r.NLM_F_ACK, i, 0) + body)
    s.recv(65536)
    i += 1
    # A few changes a second: under emulation a 400-VIP dump takes long
    # enough that faster churn interrupts every one of l4ctl's 5 tries.
    time.sleep(0.3)
PY
churn=$!
bad=0
for i in 1 2 3 4 5; do
	n=$(lbctl -j vip show 2>&1 | python3 -c '
import json, sys
raw = sys.stdin.read()
try:
    v = json.loads(raw)
except ValueError:
    print("not JSON: " + raw.strip()[:200])
    sys.exit()
keys = [(x["address"], x["port"], x["proto"]) for x in v]
print(len(keys) if len(keys) == len(set(keys)) else "dup")')
	case $n in 401 | 402) ;; *) bad=$((bad + 1)); tap_diag "listing $i: $n" ;; esac
done
tap_is "l4ctl listings during churn are consistent snapshots" "$bad" 0
wait $churn

topo_teardown
l4lb_unload
tap_done
