#!/usr/bin/env python3
"""Hold one TCP connection open across a change on the load balancer.

    hold.py HOST PORT [--timeout S]

Connects, prints the backend's name line, then waits for a line on stdin.
On it, sends 64 KiB, reads the echo and prints "intact" when the backend
sent back the same bytes, else "broken" (also on timeout or reset). Speaks
to the traffic.py server protocol: NAME line, then an echo of all input.
"""
import os
import socket
import sys

from traffic import read_line  # this script's directory is on sys.path


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--timeout" else 5.0
    sock = socket.create_connection((host, port), timeout=timeout)
    print(read_line(sock).decode().strip(), flush=True)
    sys.stdin.readline()
    payload = os.urandom(65536)
    try:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        print("intact" if got == payload else "broken", flush=True)
    except OSError:
        print("broken", flush=True)


if __name__ == "__main__":
    main()
