#!/usr/bin/env python3
# A scripted HTTP server on 127.0.0.1 for manifest-gen's fault tests.
# Usage: fault-server.py ROOT PORTFILE. Serves ROOT/NAME at /MODE/NAME:
#   ok       the file, honouring "Range: bytes=N-" (206)
#   404      always 404
#   500once  500 on the first request of a path, then as ok
#   stall    first request: headers and half the body, then silence;
#            later ones as ok
#   short    always claims the full Content-Length, sends half, closes
#   wrong    the right length, other bytes
#   hold     as ok after 0.3 s; the most requests it ever held at once
#            is kept in ROOT/hold.max
# Every request is logged to ROOT/requests.log as "METHOD PATH RANGE".
# Licence: GPL-2.0-only.
import http.server
import os
import sys
import threading
import time

ROOT, PORTFILE = sys.argv[1], sys.argv[2]
seen = set()
lock = threading.Lock()
held = [0, 0]  # now, most


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        rng = self.headers.get("Range", "")
        with lock:
            with open(os.path.join(ROOT, "requests.log"), "a") as f:
                f.write("GET %s %s\n" % (self.path, rng or "-"))
            first = self.path not in seen
            seen.add(self.path)
        parts = self.path.split("/", 2)
        if len(parts) != 3:
            return self.fail(400)
        mode, name = parts[1], parts[2]
        path = os.path.join(ROOT, name)
        if mode == "404" or "/" in name or not os.path.isfile(path):
            return self.fail(404)
        with open(path, "rb") as f:
            data = f.read()
        if mode == "500once" and first:
            return self.fail(500)
        if mode == "hold":
            with lock:
                held[0] += 1
                held[1] = max(held)
                with open(os.path.join(ROOT, "hold.max"), "w") as f:
                    f.write("%d\n" % held[1])
            time.sleep(0.3)
            with lock:
                held[0] -= 1
        if mode == "wrong":
            data = bytes(b ^ 0x55 for b in data)
        start = 0
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self.fail(416)
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if mode == "short" or (mode == "stall" and first):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if mode == "stall":
                # silence until the client gives up (at most 20 s)
                end = time.time() + 20
                while time.time() < end:
                    time.sleep(0.1)
            self.close_connection = True
            return
        self.wfile.write(body)

    def fail(self, code):
        body = b"error %d\n" % code
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
