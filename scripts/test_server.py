#!/usr/bin/env python3
"""A real llama.cpp HTTP server on loopback for the remote-backend tests: the `xllamacpp` wheel runs
llama.cpp's own server (the code of llama-server) inside this process.

Usage: scripts/test_server.py MODEL.gguf PORT [CTX]
Prints "ready PORT" once /v1/models answers, then serves until stdin closes or it is killed.
"""
import sys
import time
import urllib.request

import xllamacpp


def main():
    model, port = sys.argv[1], int(sys.argv[2])
    ctx = int(sys.argv[3]) if len(sys.argv) > 3 else 2048
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.n_ctx = ctx
    params.cpuparams.n_threads = 2
    server = xllamacpp.Server(params)
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()
            break
        except Exception:
            if time.time() > deadline:
                sys.exit("test server: no answer on /v1/models within 120 s")
            time.sleep(0.2)
    print(f"ready {port}", flush=True)
    # Serve until the parent closes our stdin (or kills us).
    sys.stdin.read()
    del server


if __name__ == "__main__":
    main()
