#!/usr/bin/python3
"""Open N TLS 1.2 connections, send one keep-alive request on each, then hold
them idle until killed. Touches READY_FILE when all are open.

usage: hold_tls.py HOST PORT CAFILE N READY_FILE
"""
import socket
import ssl
import sys
import time

host, port, ca, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
conns = []
req = ("GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, port)).encode()
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=10))
    s.sendall(req)
    got = b""
    while b"\r\n\r\nok\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection %d closed early" % i)
        got += chunk
    conns.append(s)
open(ready, "w").close()
while True:
    time.sleep(60)
