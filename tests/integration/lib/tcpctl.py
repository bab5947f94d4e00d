#!/usr/bin/env python3
"""One real TCP connection, driven line by line from stdin, plus segments
forged for it (a RST with a chosen sequence number, as an off-path attacker
or the client itself would send it).

    tcpctl.py HOST PORT --iface IF --dst-mac MAC [--timeout S]

Commands (one a line on stdin; one answer line each on stdout):
  connect          connect, answer the backend's name line
  seq              "SND_NXT RCV_NXT" of the socket (read with TCP_REPAIR)
  rst DELTA [ack]  send a RST from the client's address and port with
                   seq = SND_NXT + DELTA (mod 2^32), as a raw frame on IF to
                   MAC; "ack": RST|ACK acknowledging RCV_NXT. Answers "sent"
  echo             send 4 KiB, read them back: "intact" or "broken: why"
  quit
Speaks to the traffic.py server protocol (name line, then echo).
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkt  # noqa: E402

TCP_REPAIR, TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ = 19, 20, 21
TCP_RECV_QUEUE, TCP_SEND_QUEUE = 1, 2


def seqs(s):
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
        snd = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xFFFFFFFF
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE)
        rcv = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ) & 0xFFFFFFFF
    finally:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
    return snd, rcv


def main(argv):
    host, port = argv[0], int(argv[1])
    opts = {"--timeout": "5"}
    rest = argv[2:]
    while rest:
        k = rest.pop(0)
        opts[k] = rest.pop(0)
    timeout = float(opts["--timeout"])
    link = pkt.Link(opts["--iface"], opts["--dst-mac"])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = None

    def answer(text):
        print(text, flush=True)

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "connect":
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect((host, port))
                buf = b""
                while not buf.endswith(b"\n"):
                    c = s.recv(1)
                    if not c:
                        break
                    buf += c
                answer(buf.decode(errors="replace").strip() or "closed")
            elif cmd[0] == "seq":
                answer("%d %d" % seqs(s))
            elif cmd[0] == "rst":
                snd, rcv = seqs(s)
                local = s.getsockname()
                flags = pkt.RST | (pkt.ACK if "ack" in cmd[2:] else 0)
                seg = pkt.tcp(local[0], host, local[1], port, flags=flags,
                              seq=snd + int(cmd[1]), ack=rcv if flags & pkt.ACK else 0, win=0)
                proto = pkt.IPPROTO_TCP
                ip = (pkt.ipv6(local[0], host, proto, seg) if fam == socket.AF_INET6
                      else pkt.ipv4(local[0], host, proto, seg))
                link.send_ip(ip)
                answer("sent")
            elif cmd[0] == "echo":
                data = os.urandom(4096)
                s.sendall(data)
                got = b""
                while len(got) < len(data):
                    c = s.recv(65536)
                    if not c:
                        raise OSError("connection closed")
                    got += c
                answer("intact" if got == data else "broken: different bytes")
            elif cmd[0] == "quit":
                break
            else:
                answer("error: unknown command")
        except OSError as e:
            answer("broken: %s" % (e or type(e).__name__))
    if s:
        s.close()


if __name__ == "__main__":
    main(sys.argv[1:])
