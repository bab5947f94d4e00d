#!/usr/bin/env python3
"""Traffic helpers for the l4lb integration tests (stdlib only).

  traffic.py serve --name NAME --port P [--udp] [--v6] [--bind ADDR]
                   [--ready FILE]
      Backend server. TCP: for each connection send "NAME\\n", then echo every
      byte received until EOF, then close. UDP: answer each datagram with
      "NAME\\n" + the datagram. Serves connections one after another forever
      (each TCP connection in its own thread, so a stuck client cannot block
      the next one). --ready FILE: create FILE once the socket is bound
      (UDP) or listening (TCP), for the caller to wait on.

  traffic.py hello HOST PORT [--udp] [--sport P] [--src ADDR] [--timeout S]
                   [--retries N] [--count N] [--no-checksum] [--bytes N]
      Connect (or send one UDP datagram), read the name line, print the
      name, exit 0. Exit 1 on timeout/error. --count N: do it N times, each
      from a new socket (new source port unless --sport), one name per line;
      much cheaper than N processes (Python start-up is slow under TCG).
      UDP replies must come from HOST PORT. --no-checksum: send UDP over
      IPv4 with a zero checksum (SO_NO_CHECK). --src ADDR: send from this
      local address. --bytes N (UDP): N random payload bytes instead of
      "hello" (large datagrams are fragmented), echoed back intact.

  traffic.py echo HOST PORT --bytes N [--sport P] [--src ADDR] [--timeout S]
      TCP: send N random bytes while reading concurrently, shut down the
      write side, read to EOF; the reply must be NAME\\n + the same bytes.
      Prints "NAME <sha256 of the bytes>" and exits 0, else says what differed
      and exits 1.

HOST may be an IPv4 or a bare IPv6 address (no brackets).
"""

# Only cheap imports at the top: under TCG every module costs ~10-100 ms and
# the tests start this script dozens of times (hence no argparse either).
import os
import socket
import sys


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------- server


def serve_tcp_conn(conn, greeting):
    try:
        conn.sendall(greeting)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # client reset: nothing to do, next connection please
    finally:
        conn.close()


def serve(args):
    fam = socket.AF_INET6 if args.v6 else socket.AF_INET
    addr = args.bind or ("::" if args.v6 else "0.0.0.0")
    greeting = (args.name + "\n").encode()
    kind = socket.SOCK_DGRAM if args.udp else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, args.port))
    if not args.udp:
        s.listen(128)
    if args.ready:
        open(args.ready, "w").close()
    if args.udp:
        while True:
            data, peer = s.recvfrom(65535)
            try:
                s.sendto(greeting + data, peer)
            except OSError:
                pass
    while True:
        conn, _ = s.accept()
        import threading
        threading.Thread(target=serve_tcp_conn, args=(conn, greeting),
                         daemon=True).start()


# --------------------------------------------------------------------- client


def connect_tcp(args):
    fam = family_of(args.host)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    if args.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.sport or args.src:
        s.bind((args.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), args.sport))
    s.connect((args.host, args.port))
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf


def hello(args):
    for _ in range(args.count):
        if args.udp:
            hello_udp(args)
        else:
            hello_tcp(args)
    return 0


def hello_tcp(args):
    try:
        s = connect_tcp(args)
        line = read_line(s)
        if args.sport:
            # Abortive close (RST): a normal close would leave this 4-tuple
            # in TIME_WAIT for 60 s and the next --sport run could not reuse it.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        s.close()
    except OSError as e:
        die("hello %s %d: %s" % (args.host, args.port, e))
    if not line.endswith(b"\n"):
        die("hello %s %d: no name line (got %r)" % (args.host, args.port, line))
    print(line.decode(errors="replace").rstrip("\n"), flush=True)
    return 0


SO_NO_CHECK = 11  # <asm-generic/socket.h>; the socket module lacks it


def hello_udp(args):
    fam = family_of(args.host)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if args.sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.sport or args.src:
        s.bind((args.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), args.sport))
    if args.no_checksum:
        # Send without a UDP checksum (IPv4 allows it): NAT must keep it zero.
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
    s.settimeout(args.timeout / max(1, args.retries))
    payload = os.urandom(args.bytes) if args.bytes else b"hello"
    dest = socket.getaddrinfo(args.host, args.port, fam, socket.SOCK_DGRAM)[0][4]
    for _ in range(max(1, args.retries)):
        try:
            s.sendto(payload, dest)
            data, peer = s.recvfrom(65535 + 100)
        except socket.timeout:
            continue  # UDP may be lost (e.g. neighbour resolution): retry
        except OSError as e:
            die("hello --udp %s %d: %s" % (args.host, args.port, e))
        # The reply must come from where the request went (the VIP), not
        # from the backend: that is what un-NAT of replies is for.
        if peer[:2] != dest[:2]:
            die("hello --udp %s %d: reply from %s port %d" % (args.host, args.port, peer[0], peer[1]))
        name, sep, rest = data.partition(b"\n")
        if not sep or rest != payload:
            die("hello --udp %s %d: bad reply %r" % (args.host, args.port, data[:100]))
        s.close()
        print(name.decode(errors="replace"), flush=True)
        return 0
    die("hello --udp %s %d: no reply after %d tries" % (args.host, args.port, args.retries))


def echo(args):
    import hashlib
    import threading
    payload = os.urandom(args.bytes)
    try:
        s = connect_tcp(args)
    except OSError as e:
        die("echo %s %d: %s" % (args.host, args.port, e))
    send_error = []

    # Send from a thread while the main thread reads: the server echoes as
    # it receives, so sending everything first would deadlock once both
    # sides' socket buffers are full.
    def sender():
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            send_error.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    chunks = []
    try:
        while True:
            data = s.recv(262144)
            if not data:
                break
            chunks.append(data)
    except OSError as e:
        die("echo %s %d: receive failed after %d bytes: %s"
            % (args.host, args.port, sum(map(len, chunks)), e))
    t.join(args.timeout)
    s.close()
    if send_error:
        die("echo %s %d: send failed: %s" % (args.host, args.port, send_error[0]))
    reply = b"".join(chunks)
    name, sep, body = reply.partition(b"\n")
    if not sep:
        die("echo: no name line in %d-byte reply" % len(reply))
    if body != payload:
        first = next((i for i, (a, b) in enumerate(zip(body, payload)) if a != b),
                     min(len(body), len(payload)))
        die("echo %s %d: reply from %s differs: sent %d bytes, got %d back, "
            "first difference at offset %d"
            % (args.host, args.port, name.decode(errors="replace"), len(payload),
               len(body), first))
    print("%s %s" % (name.decode(errors="replace"), hashlib.sha256(payload).hexdigest()))
    return 0


class Args:
    """Parsed command line: attributes named after the long options."""


# Per command: positional names, and options as {name: type} where type
# bool means a flag without a value.
COMMANDS = {
    "serve": ([], {"name": str, "port": int, "udp": bool, "v6": bool, "bind": str,
                   "ready": str}),
    "hello": (["host", "port"], {"udp": bool, "sport": int, "timeout": float,
                                 "retries": int, "count": int,
                                 "no-checksum": bool, "src": str, "bytes": int}),
    "echo": (["host", "port"], {"bytes": int, "sport": int, "timeout": float,
                                "src": str}),
}
DEFAULTS = {"udp": False, "v6": False, "bind": None, "ready": None, "sport": 0,
            "timeout": 10.0, "retries": 5, "count": 1, "no_checksum": False,
            "src": None, "bytes": None}
REQUIRED = {"serve": ["name", "port"], "echo": ["bytes"]}


def usage(msg=None):
    if msg:
        print("traffic.py: " + msg, file=sys.stderr)
    print(__doc__, file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    if not argv or argv[0] not in COMMANDS:
        usage()
    cmd, rest = argv[0], argv[1:]
    positional, options = COMMANDS[cmd]
    args = Args()
    args.cmd = cmd
    for k, v in DEFAULTS.items():
        setattr(args, k, v)
    pos = []
    while rest:
        a = rest.pop(0)
        if a in ("-h", "--help"):
            usage()
        if not a.startswith("--"):
            pos.append(a)
            continue
        name, eq, value = a[2:].partition("=")
        kind = options.get(name)
        if kind is None:
            usage("%s: unknown option %s" % (cmd, a))
        if kind is bool:
            setattr(args, name.replace("-", "_"), True)
            continue
        if not eq:
            if not rest:
                usage("%s: %s needs a value" % (cmd, a))
            value = rest.pop(0)
        try:
            setattr(args, name, kind(value))
        except ValueError:
            usage("%s: bad value for %s: %s" % (cmd, a, value))
    if len(pos) != len(positional):
        usage("%s: expected arguments: %s" % (cmd, " ".join(positional) or "none"))
    for name, value in zip(positional, pos):
        setattr(args, name, int(value) if name == "port" else value)
    for name in REQUIRED.get(cmd, []):
        if getattr(args, name, None) is None:
            usage("%s: --%s is required" % (cmd, name))
    return args


def main():
    args = parse_args(sys.argv[1:])
    return {"serve": serve, "hello": hello, "echo": echo}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
