#!/usr/bin/env python3
"""A local Alertmanager webhook receiver for the end-to-end alert test.

Binds 127.0.0.1 on a free port, prints `webhook listening on http://127.0.0.1:PORT` and appends
each POST as one JSON line {"received_at": unix seconds, "path": ..., "body": ...} to the file
given as the first argument. Standard library only; stops on SIGTERM.
"""
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with open(OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps({"received_at": time.time(), "path": self.path, "body": body}) + "\n")
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"webhook listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
