#!/usr/bin/python3
"""Send raw bytes over TLS 1.2 and report what comes back.

usage: rawtls.py HOST PORT CAFILE DATA (status | wait SECONDS)
DATA takes \\r and \\n escapes. 'status' prints the HTTP status code of the
answer; 'wait' prints the first line of whatever arrives, or "closed after N s".
"""
import socket
import ssl
import sys
import time

host, port, ca, data, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
data = data.encode().decode("unicode_escape").encode("latin-1")
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.check_hostname = False
limit = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
t0 = time.time()
with socket.create_connection((host, port), timeout=limit) as raw:
    with ctx.wrap_socket(raw) as s:
        if data:
            s.sendall(data)
        got = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
                if mode == "status" and b"\r\n" in got:
                    break
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            pass
dt = time.time() - t0
if mode == "status":
    print(got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else "none")
elif got:
    print(got.split(b"\r\n")[0].decode("latin-1"))
else:
    print("closed after %.1f s" % dt)
