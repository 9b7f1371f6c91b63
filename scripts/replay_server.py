#!/usr/bin/env python3
"""Replays recorded OpenAI-compatible server exchanges on loopback, for what no server on this
machine can produce: vLLM's and llama-cpp-python's prompt log-probabilities, SGLang's stream shape,
error bodies, and a server that misbehaves (truncated or malformed streams, a connection cut
mid-reply, an answer that never comes).

Usage: scripts/replay_server.py PORT [RECORDINGS_DIR]  (default Tests/Fixtures/remote)
Each recording NAME.json is served under http://127.0.0.1:PORT/NAME: a list of exchanges
{"path", "status", "body"} (or "sse": [data lines] for a stream, "sse_raw": text sent as it is,
"cut_after": bytes then close, "close": true for no answer at all, "hang": true), answered in order for requests to matching paths.
An exchange with "request": {key: value} answers only a request whose JSON body has those values (else
status 400 naming the first that differs; a null value expects the key absent), so a recording also
checks what the client sends. An exchange with "headers": {name: value} answers only a request with
those header values (else status 401, naming the header but never echoing what was sent: it may be a key).
A request for /v1/models starts the recording over. Prints "ready PORT" when listening.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORDINGS = {}
CURSORS = {}
LOCK = threading.Lock()


def next_exchange(name, path):
    with LOCK:
        exchanges = RECORDINGS[name]
        if path == "/v1/models":
            CURSORS[name] = 0
        i = CURSORS.get(name, 0)
        while i < len(exchanges) and exchanges[i]["path"] != path:
            i += 1
        if i == len(exchanges):
            return None
        CURSORS[name] = i + 1
        return exchanges[i]


def request_mismatch(expected, sent):
    """Why the request body `sent` is not the one the exchange expects, or None."""
    if not expected:
        return None
    try:
        body = json.loads(sent or b"{}")
    except ValueError:
        return "the request body is not JSON"
    for key, value in expected.items():
        if body.get(key) != value:
            return f"request {key} is {json.dumps(body.get(key))}, expected {json.dumps(value)}"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        parts = self.path.split("/", 2)
        name, path = (parts[1], "/" + parts[2]) if len(parts) > 2 else ("", self.path)
        if name not in RECORDINGS:
            self.send_json(404, {"error": {"message": f"no recording {name}"}})
            return
        ex = next_exchange(name, path)
        if ex is None:
            self.send_json(404, {"error": {"message": f"recording {name} has no more exchanges for {path}"}})
            return
        # Headers first, as a server checks its key before it reads the body.
        for header, value in (ex.get("headers") or {}).items():
            if self.headers.get(header) != value:
                self.send_json(401, {"error": {"message": f"recording {name}: the {header} header is missing or not the recorded one"}})
                return
        mismatch = request_mismatch(ex.get("request"), sent)
        if mismatch:
            self.send_json(400, {"error": {"message": f"recording {name}: {mismatch}"}})
            return
        if ex.get("close"):
            # No answer at all: the connection goes, as a stale keep-alive connection's does.
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if ex.get("hang"):
            time.sleep(3600)
            return
        status = ex.get("status", 200)
        if "sse" in ex or "sse_raw" in ex:
            raw = ex.get("sse_raw") or "".join(f"data: {line}\n\n" for line in ex["sse"])
            data = raw.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/event-stream")
            if "cut_after" in ex:
                # Promise more than is sent, then drop the connection: a server that died mid-reply.
                self.send_header("Content-Length", str(len(data) + 1000))
                self.end_headers()
                self.wfile.write(data[: ex["cut_after"]])
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_json(status, ex.get("body", {}))

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer


def main():
    port = int(sys.argv[1])
    folder = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "remote")
    for f in sorted(os.listdir(folder)):
        if f.endswith(".json"):
            with open(os.path.join(folder, f)) as fh:
                RECORDINGS[f[:-5]] = json.load(fh)["exchanges"]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"ready {port}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
