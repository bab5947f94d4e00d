#!/usr/bin/env python3
"""Capture the frames of one interface into a file (no tcpdump needed).

    sniff.py --iface IF --out FILE [--ready FILE] [--snap BYTES]
             [--duration S] [--incoming] [--icmp]

Runs until SIGTERM/SIGINT (or --duration seconds), then writes FILE: the
records pkt.read_records() reads (frame, packet type, the kernel's
checksum status, original length). --ready FILE is created once the socket
captures, so the caller knows nothing sent afterwards is missed.
--incoming: only frames received (not the ones the interface sent).
--icmp: only ICMP and ICMPv6 (a kernel filter: a fast transfer alongside
does not drown the capture).
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402


def main(argv):
    opts = {"snap": "65535", "duration": "0"}
    flags = set()
    while argv:
        a = argv.pop(0)
        if a in ("--incoming", "--icmp"):
            flags.add(a[2:])
        elif a in ("--iface", "--out", "--ready", "--snap", "--duration"):
            opts[a[2:]] = argv.pop(0)
        else:
            sys.exit("sniff.py: unknown argument %s" % a)
    cap = pkt.Capture(opts["iface"], int(opts["snap"]),
                      pkt.BPF_ICMP_ONLY if "icmp" in flags else None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if "ready" in opts:
        open(opts["ready"], "w").close()
    end = time.monotonic() + float(opts["duration"]) if float(opts["duration"]) else None
    records = []
    while not stop and (end is None or time.monotonic() < end):
        try:
            r = cap.recv(0.2)
        except InterruptedError:
            continue
        if r is None:
            continue
        if "incoming" in flags and r[1] == pkt.PACKET_OUTGOING:
            continue
        records.append(r)
    # Drain what is already queued (sent before the stop request).
    while True:
        r = cap.recv(0.05)
        if r is None:
            break
        if "incoming" in flags and r[1] == pkt.PACKET_OUTGOING:
            continue
        records.append(r)
    with open(opts["out"] + ".tmp", "wb") as f:
        for r in records:
            pkt.write_record(f, *r)
    os.rename(opts["out"] + ".tmp", opts["out"])


if __name__ == "__main__":
    main(sys.argv[1:])
