#!/usr/bin/env python3
"""Check `l4ctl -j` output against the documented keys (l4ctl-keys.json).

    jsonkeys.py COMMAND [FILE]   one JSON document (FILE or stdin), the output
                                 of COMMAND ("show", "conn get", ...)
    jsonkeys.py --lines COMMAND  one JSON document a line ("monitor")
    jsonkeys.py --used           after the checks: the keys (but those that
                                 may be left out) of each type met that no
                                 output had; the keys seen are in the file
                                 $JSONKEYS_SEEN

Prints one line per object that has a key too many or too few, with its
path, and exits 1 if there was one; prints nothing and exits 0 otherwise.
Every key seen is appended to $JSONKEYS_SEEN (when set), so that a test can
check that each documented key was met at least once.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = json.load(open(os.path.join(HERE, "l4ctl-keys.json")))
TYPES = SPEC["types"]
errors = []
seen = set()


def fields(name, own=False):
    """{key: (type, condition or None, optional, the type that lists it)}
    of type @name (@own: without those of the type it extends)."""
    t = TYPES[name]
    out = dict(fields(t["$extends"])) if "$extends" in t and not own else {}
    for k, v in t.items():
        if k == "$extends":
            continue
        cond, opt = None, False
        if "?" in k:
            k, cond = k.split("?", 1)
            opt = True
            cond = cond or None
        out[k] = (v, cond, opt, name)
    return out


def holds(cond, obj):
    for c in cond.split(","):
        if "!=" in c:
            f, v = c.split("!=", 1)
            if str(obj.get(f)) == v:
                return False
        else:
            f, v = c.split("=", 1)
            if str(obj.get(f)) != v:
                return False
    return True


def resolve(tname, obj):
    return tname.format(**obj) if "{" in tname else tname


def check_value(tname, val, path, parent):
    if tname == "":
        if isinstance(val, (dict, list)):
            errors.append("%s: a value expected, got %s" % (path, type(val).__name__))
        return
    if tname == "[]":
        if not isinstance(val, list) or any(isinstance(v, (dict, list)) for v in val):
            errors.append("%s: an array of values expected" % path)
        return
    if tname == "{}":
        if not isinstance(val, dict) or any(isinstance(v, (dict, list)) for v in val.values()):
            errors.append("%s: an object of values expected" % path)
        return
    if tname.startswith("["):
        if not isinstance(val, list):
            errors.append("%s: an array expected" % path)
            return
        for i, v in enumerate(val):
            check_object(tname[1:-1], v, "%s[%d]" % (path, i))
        return
    check_object(resolve(tname, parent), val, path)


def check_object(tname, obj, path):
    if not isinstance(obj, dict):
        errors.append("%s: an object (%s) expected" % (path, tname))
        return
    try:
        tname = resolve(tname, obj)
        want = fields(tname)
    except (KeyError, IndexError):
        errors.append("%s: no type %s in l4ctl-keys.json" % (path, tname))
        return
    extra = sorted(set(obj) - set(want))
    if extra:
        errors.append("%s (%s): undocumented keys %s" % (path, tname, " ".join(extra)))
    for k, (t, cond, opt, owner) in want.items():
        there = k in obj
        if cond is not None and there != holds(cond, obj):
            errors.append("%s (%s): key %s %s, but its condition '%s' is %s" %
                          (path, tname, k, "present" if there else "missing",
                           cond, "false" if there else "true"))
        elif not there and not opt:
            errors.append("%s (%s): missing key %s" % (path, tname, k))
        if there:
            seen.add("%s.%s" % (owner, k))
            check_value(t, obj[k], "%s.%s" % (path, k), obj)


def record():
    f = os.environ.get("JSONKEYS_SEEN")
    if f:
        with open(f, "a") as out:
            for k in sorted(seen):
                out.write(k + "\n")


def unused():
    """Keys of the types met (some key of theirs was seen) never seen."""
    f = os.environ.get("JSONKEYS_SEEN")
    met = set(open(f).read().split()) if f and os.path.exists(f) else set()
    types = {m.split(".", 1)[0] for m in met}
    return ["%s.%s" % (t, k) for t in sorted(types)
            for k, (_, cond, opt, _) in fields(t, True).items()
            if "%s.%s" % (t, k) not in met and (cond or not opt)]


def main(argv):
    if argv and argv[0] == "--used":
        missing = unused()
        for m in missing:
            print("never seen: " + m)
        return 1 if missing else 0
    lines = argv and argv[0] == "--lines"
    if lines:
        argv = argv[1:]
    cmd = argv[0]
    text = open(argv[1]).read() if len(argv) > 1 else sys.stdin.read()
    tname = SPEC["commands"][cmd]
    docs = [json.loads(l) for l in text.splitlines() if l.strip()] if lines \
        else [json.loads(text)]
    if not docs:
        errors.append("%s: no output" % cmd)
    for i, d in enumerate(docs):
        check_value(tname, d, cmd if not lines else "%s line %d" % (cmd, i + 1), d)
    record()
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
