#!/usr/bin/env python3
"""A fake operator for the l4lb-agent tests: serves the instance list the
test writes, misbehaving on request.

  agentop.py --port P --dir DIR [--bind ADDR]

Every GET (any path) reads DIR/mode (default "ok") anew:
  ok       200 with DIR/instances.json as it is, an ETag (a hash of the
           body) and, when If-None-Match names that ETag, 304 instead
  500      500 Internal Server Error
  garbage  200 with a body that is not JSON
  empty    200 with "[]"
  hang     accept, read the request, answer nothing for 60 s
Each request appends one line to DIR/requests.log:
  "PATH if-none-match=VALUE|- STATUS" (STATUS "hang" when it hung).
Prints "ready" once listening. Threads: a hanging answer blocks nothing.
"""
import hashlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = "."
LOCK = threading.Lock()


def read(name, default=b""):
    try:
        with open(os.path.join(DIR, name), "rb") as f:
            return f.read()
    except OSError:
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        with LOCK:
            with open(os.path.join(DIR, "requests.log"), "a") as f:
                f.write("%s if-none-match=%s %s\n" % (self.path, inm.replace(" ", ""), status))

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status != 304:
            self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)
        self.record(status)

    def do_GET(self):
        mode = read("mode", b"ok").strip().decode() or "ok"
        if mode == "500":
            self.answer(500, b'{"error":"boom"}')
        elif mode == "garbage":
            self.answer(200, b'{"instances": [ {"id": "x", "address": <<<not json')
        elif mode == "empty":
            self.answer(200, b"[]")
        elif mode == "hang":
            self.record("hang")
            time.sleep(60)
            self.close_connection = True
        else:
            body = read("instances.json", b"[]")
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                self.answer(304, b"", [("ETag", etag)])
            else:
                self.answer(200, body, [("ETag", etag)])


def main(argv):
    global DIR
    opts = dict(zip(argv[::2], argv[1::2]))
    DIR = opts["--dir"]
    os.makedirs(DIR, exist_ok=True)
    srv = ThreadingHTTPServer((opts.get("--bind", "127.0.0.1"), int(opts["--port"])), Handler)
    srv.daemon_threads = True
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
