#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# l4ctl.8's JSON KEYS section documents the keys of every 'l4ctl -j' output
# that tests/integration/lib/l4ctl-keys.json lists (the list t-json.sh
# checks the real output against): a line "TYPE: KEY KEY? ..." per type
# of the list (continued on lines that start with blanks), a '?' where a
# key may be left out. TAP output.
#
# usage: l4ctl-keys-doc.sh [l4ctl.8] [l4ctl-keys.json]
HERE=$(dirname "$(readlink -f "$0")")
MAN=${1:-$HERE/../../userspace/l4ctl/l4ctl.8}
LIST=${2:-$HERE/../integration/lib/l4ctl-keys.json}
python3 - "$MAN" "$LIST" <<'PY'
import json, re, sys
man = open(sys.argv[1]).read()
spec = json.load(open(sys.argv[2]))
types = spec["types"]

def keys(t):
    ks = keys(types[t]["$extends"]) if "$extends" in types[t] else []
    for k in types[t]:
        if k != "$extends":
            ks.append(k.split("?")[0] + ("?" if "?" in k else ""))
    return ks

sec = man.split(".SS JSON KEYS", 1)
if len(sec) < 2:
    print("not ok 1 - l4ctl.8 has a JSON KEYS section")
    print("1..1")
    sys.exit(1)
body = sec[1].split("\n.S", 1)[0]
doc = {}
last = None
for line in body.splitlines():
    line = line.replace("\\-", "-")
    m = re.match(r"^([a-z_]+): (.*)$", line)
    if m and m.group(1) != "commands":
        last = m.group(1)
        doc[last] = m.group(2).split()
    elif last and re.match(r"^  +[a-z_?]", line):	# a continuation
        doc[last] += line.split()
    else:
        last = None
n = failed = 0
for t in types:
    # a type that only renames another (event_vip_add) is named in prose
    if set(types[t]) == {"$extends"}:
        continue
    n += 1
    want = keys(t)
    if doc.get(t) == want:
        print("ok %d - l4ctl.8 documents the keys of %s" % (n, t))
    else:
        failed += 1
        print("not ok %d - l4ctl.8 documents the keys of %s" % (n, t))
        print("#   l4ctl-keys.json: %s: %s" % (t, " ".join(want)))
        print("#   l4ctl.8:         %s: %s" % (t, " ".join(doc.get(t, ["(none)"]))))
for t in sorted(set(doc) - set(types)):
    n += 1
    failed += 1
    print("not ok %d - l4ctl.8 type %s is in l4ctl-keys.json" % (n, t))
cmds = dict(re.findall(r"^  ([a-z ]+) = (\S+)$", body.replace("\\-", "-"), re.M))
n += 1
if cmds == spec["commands"]:
    print("ok %d - l4ctl.8 names the type of each command's output" % n)
else:
    failed += 1
    print("not ok %d - l4ctl.8 names the type of each command's output" % n)
    print("#   want: %s" % spec["commands"])
    print("#   got:  %s" % cmds)
print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
