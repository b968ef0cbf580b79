#!/usr/bin/python3
"""Open N plain TCP connections and count how many the server keeps open.

usage: conns.py HOST PORT N   ->  "held=H refused=R"
A connection counts as refused when the server closes it within one second.
"""
import select
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    socks.append(s)
    time.sleep(0.01)
time.sleep(1.0)
refused = 0
for s in socks:
    r, _, _ = select.select([s], [], [], 0)
    if r:
        try:
            if s.recv(1) == b"":
                refused += 1
        except ConnectionResetError:
            refused += 1
print("held=%d refused=%d" % (n - refused, refused))
for s in socks:
    s.close()
