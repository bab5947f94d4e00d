#!/usr/bin/env python3
"""Accept the packets of one NFQUEUE queue (no libnetfilter_queue needed).

    nfq.py --queue N --count C [--ready FILE] [--timeout S]

Binds queue N for IPv4, gives each of the first C packets the verdict
NF_ACCEPT, then prints how many it accepted and exits (also after
--timeout seconds, default 30, without them all). The kernel hands each
accepted packet to the hooks after the queueing one in process context
(nf_reinject()), not in the receive softirq: the path that test exercises.
--ready FILE is created once the queue is bound.
"""
import os
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * (-n % 4)


def message(msg, queue, attrs, seq):
    # nfgenmsg: family, version, resource id (the queue, big endian)
    body = struct.pack("=BBH", socket.AF_INET, 0, socket.htons(queue))
    body += b"".join(attrs)
    kind = NFNL_SUBSYS_QUEUE << 8 | msg
    return struct.pack("=IHHII", 16 + len(body), kind,
                       NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body


def attrs_of(data):
    out, off = {}, 0
    while off + 4 <= len(data):
        n, kind = struct.unpack_from("=HH", data, off)
        if n < 4:
            break
        out[kind & 0x3fff] = data[off + 4:off + n]
        off += (n + 3) & ~3
    return out


def request(sock, msg, queue, attrs, seq):
    sock.send(message(msg, queue, attrs, seq))
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            n, kind, _, rseq, _ = struct.unpack_from("=IHHII", data, off)
            if kind == NLMSG_ERROR and rseq == seq:
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err:
                    sys.exit("nfq.py: config: %s" % os.strerror(-err))
                return
            off += (n + 3) & ~3


def main(argv):
    opts = {"queue": "0", "count": "1", "timeout": "30", "ready": None}
    while argv:
        a = argv.pop(0)
        if a[2:] in opts:
            opts[a[2:]] = argv.pop(0)
        else:
            sys.exit("nfq.py: unknown argument %s" % a)
    queue, want = int(opts["queue"]), int(opts["count"])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    request(sock, NFQNL_MSG_CONFIG, queue,
            [attr(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND,
                                            socket.htons(socket.AF_INET)))], 1)
    request(sock, NFQNL_MSG_CONFIG, queue,
            [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))], 2)
    if opts["ready"]:
        open(opts["ready"], "w").close()
    end = time.monotonic() + float(opts["timeout"])
    accepted, seq = 0, 3
    while accepted < want and time.monotonic() < end:
        sock.settimeout(max(end - time.monotonic(), 0.01))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        off = 0
        while off + 16 <= len(data):
            n, kind, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if kind == (NFNL_SUBSYS_QUEUE << 8 | NFQNL_MSG_PACKET):
                hdr = attrs_of(data[off + 20:off + n]).get(NFQA_PACKET_HDR)
                if hdr:
                    pid = struct.unpack_from("!I", hdr)[0]
                    verdict = attr(NFQA_VERDICT_HDR,
                                   struct.pack("!II", NF_ACCEPT, pid))
                    # No ACK wanted per verdict: sent and done.
                    msg = message(NFQNL_MSG_VERDICT, queue, [verdict], seq)
                    msg = msg[:6] + struct.pack("=H", NLM_F_REQUEST) + msg[8:]
                    sock.send(msg)
                    seq += 1
                    accepted += 1
            off += (n + 3) & ~3
    print(accepted)


if __name__ == "__main__":
    main(sys.argv[1:])
