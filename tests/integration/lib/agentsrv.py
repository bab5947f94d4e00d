#!/usr/bin/env python3
"""A backend for the l4lb-agent tests: one process serving several ports,
whose health-check answers the test switches by writing small files.

  agentsrv.py --name NAME --ctl DIR [--tcp PORT]... [--udp PORT]...
              [--line PORT]... [--http PORT[:SUB]]...

  --tcp PORT    data: the traffic.py protocol (send "NAME\\n", then echo
                every byte until EOF), IPv4 and IPv6 on one socket, so
                conns.py / hold.py / traffic.py hello name the backend.
  --udp PORT    a datagram starting with "PING" is answered with DIR/reply
                (default "+PONG\\r\\n"); any other with "NAME\\n" + the datagram.
  --line PORT   send/expect checks: read one line (up to "\\n", 5 s), answer
                DIR/reply (default "+PONG\\r\\n") and close. A reply file
                holding exactly "CLOSE" closes without answering.
  --http PORT[:SUB]
                HTTP/1.0: every request is answered with the status in
                DIR/SUB/status (default SUB "", i.e. DIR/status; default
                200) and the body "NAME PATH\\n".

Each answer reads its file anew: the test changes one with an atomic
rename and the next check sees it. Every request is counted, one line
"PORT KIND" appended to DIR/requests.log. Once every socket is bound
"ready" is printed on stdout.
"""
import os
import socket
import sys
import threading

NAME = "?"
CTL = "."
LOG_LOCK = threading.Lock()


def ctl_read(rel, default):
    try:
        with open(os.path.join(CTL, rel), "rb") as f:
            return f.read()
    except OSError:
        return default


def log(port, kind):
    with LOG_LOCK:
        with open(os.path.join(CTL, "requests.log"), "a") as f:
            f.write("%d %s\n" % (port, kind))


def listener(port, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    return s


def spawn(fn, *args):
    threading.Thread(target=fn, args=args, daemon=True).start()


def accept_loop(s, handler, port):
    while True:
        try:
            conn, _ = s.accept()
        except OSError:
            continue
        spawn(handler, conn, port)


def tcp_conn(conn, port):
    try:
        conn.sendall((NAME + "\n").encode())
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def read_line(conn, limit=4096):
    buf = b""
    while b"\n" not in buf and len(buf) < limit:
        c = conn.recv(limit)
        if not c:
            break
        buf += c
    return buf


def line_conn(conn, port):
    try:
        conn.settimeout(5)
        line = read_line(conn)
        log(port, "line " + line.decode(errors="replace").strip())
        reply = ctl_read("reply", b"+PONG\r\n")
        if reply.strip() != b"CLOSE":
            conn.sendall(reply)
    except OSError:
        pass
    finally:
        conn.close()


def http_conn(conn, port, sub):
    try:
        conn.settimeout(5)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            c = conn.recv(65536)
            if not c:
                break
            req += c
        first = req.split(b"\r\n", 1)[0].decode(errors="replace").split()
        path = first[1] if len(first) > 1 else "/"
        log(port, "http " + " ".join(first[:2]))
        try:
            status = int(ctl_read(os.path.join(sub, "status"), b"200").strip() or 200)
        except ValueError:
            status = 200
        body = ("%s %s\n" % (NAME, path)).encode()
        head = ("HTTP/1.0 %d X\r\nContent-Type: text/plain\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n" % (status, len(body)))
        conn.sendall(head.encode() + body)
    except OSError:
        pass
    finally:
        conn.close()


def udp_loop(s, port):
    while True:
        try:
            data, peer = s.recvfrom(65535)
        except OSError:
            continue
        if data.startswith(b"PING"):
            log(port, "udp ping")
            reply = ctl_read("reply", b"+PONG\r\n")
        else:
            reply = (NAME + "\n").encode() + data
        try:
            s.sendto(reply, peer)
        except OSError:
            pass


def main(argv):
    global NAME, CTL
    socks = []
    i = 0
    while i < len(argv):
        opt, val = argv[i], argv[i + 1]
        i += 2
        if opt == "--name":
            NAME = val
        elif opt == "--ctl":
            CTL = val
        elif opt == "--tcp":
            socks.append((accept_loop, listener(int(val)), tcp_conn, int(val)))
        elif opt == "--line":
            socks.append((accept_loop, listener(int(val)), line_conn, int(val)))
        elif opt == "--http":
            port, _, sub = val.partition(":")
            port = int(port)
            handler = (lambda sub: lambda c, p: http_conn(c, p, sub))(sub)
            socks.append((accept_loop, listener(port), handler, port))
        elif opt == "--udp":
            socks.append((udp_loop, listener(int(val), socket.SOCK_DGRAM), int(val)))
        else:
            raise SystemExit("agentsrv.py: unknown option " + opt)
    os.makedirs(CTL, exist_ok=True)
    for fn, *args in socks:
        spawn(fn, *args)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
