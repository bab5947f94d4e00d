#!/usr/bin/env python3
"""The senders of t-drops.sh, one long-lived process each (python starts
slowly under TCG), one command a line on stdin, one answer line each.

  drops.py holder PORT
      A TCP listener on PORT that never accepts: the kernel completes the
      handshakes and holds the connections. Prints "ready".

  drops.py IFACE DST_MAC VIP4
      fill HOST PORT N         N TCP connections established and held (until
                               quit): "held=N failed=N"
      flood N SEED NET PORT PROTO
                               lib/flood.py's packets to VIP4:PORT, one
                               from each of N spoofed (address, port) pairs
                               of NET, the same pairs for the same SEED and
                               NET: "sent=N"
      bad V4 V6                6 malformed packets to the VIP addresses,
                               then 3 TCP segments (no SYN) of no flow to
                               V4:80: "sent=9"
      quit
"""
import errno
import resource
import select
import socket
import sys
import time

import flood  # this script's directory is on sys.path
import pkt

held = []


def fill(host, port, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n + 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    ok = failed = 0
    # Batches of 64: the backend's SYN queue.
    while ok + failed < n:
        batch = {}
        for _ in range(min(64, n - ok - failed)):
            s = socket.socket()
            s.setblocking(False)
            if s.connect_ex((host, port)) in (0, errno.EINPROGRESS):
                batch[s.fileno()] = s
            else:
                failed += 1
                s.close()
        p = select.poll()
        for fd in batch:
            p.register(fd, select.POLLOUT)
        end = time.monotonic() + 20
        while batch and time.monotonic() < end:
            for fd, _ in p.poll(1000):
                s = batch.pop(fd)
                p.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    held.append(s)
                    ok += 1
                else:
                    failed += 1
                    s.close()
        failed += len(batch)
        for s in batch.values():
            s.close()
    return "held=%d failed=%d" % (ok, failed)


def send(link, vip, n, seed, net, port, proto):
    o = {"dst": vip, "dport": port, "proto": proto, "pairs": n, "seed": seed,
         "net": net}
    sent = 0
    for f in flood.frames(o, link):
        link.send_frame(f)
        sent += 1
    return "sent=%d" % sent


def bad(link, v4, v6):
    src, src6 = "198.18.5.1", "2001:db8::1"

    def t4(seg):
        link.send_ip(pkt.ipv4(src, v4, pkt.IPPROTO_TCP, seg))

    def u4(seg):
        link.send_ip(pkt.ipv4(src, v4, pkt.IPPROTO_UDP, seg))

    t4(pkt.tcp(src, v4, 40001, 80, doff=4))                # data offset < 5
    t4(pkt.tcp(src, v4, 40002, 80, doff=15)[:20])          # header past the end
    t4(pkt.tcp(src, v4, 40003, 80)[:12])                   # truncated header
    u4(pkt.udp(src, v4, 40004, 53, b"hello", length=4))    # length < header
    u4(pkt.udp(src, v4, 40005, 53, b"hello", length=200))  # length > packet
    link.send_ip(pkt.ipv6(src6, v6, pkt.IPPROTO_UDP,       # IPv6, no checksum
                          pkt.udp(src6, v6, 40006, 53, b"hello", csum=0)))
    t4(pkt.tcp(src, v4, 40007, 80, flags=pkt.ACK))
    t4(pkt.tcp(src, v4, 40008, 80, flags=pkt.ACK | pkt.FIN))
    t4(pkt.tcp(src, v4, 40009, 80, flags=pkt.ACK, payload=b"data"))
    return "sent=9"


def holder(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def main():
    if sys.argv[1] == "holder":
        holder(int(sys.argv[2]))
    link = pkt.Link(sys.argv[1], sys.argv[2])
    vip = sys.argv[3]
    for line in sys.stdin:
        w = line.split()
        try:
            if w[0] == "fill":
                out = fill(w[1], int(w[2]), int(w[3]))
            elif w[0] == "flood":
                out = send(link, vip, int(w[1]), int(w[2]), w[3], int(w[4]), w[5])
            elif w[0] == "bad":
                out = bad(link, w[1], w[2])
            elif w[0] == "quit":
                break
            else:
                out = "unknown command %s" % w[0]
        except (OSError, ValueError, IndexError) as e:
            out = "error %s" % e
        print(out, flush=True)


if __name__ == "__main__":
    main()
