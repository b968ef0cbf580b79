#!/usr/bin/python3
"""Open plain TCP connections from loopback source addresses and count how
many the server keeps open.

usage: conns.py HOST PORT SPEC EXPECT_REFUSED
SPEC is SRC*N[,SRC*N...]: N connections from source address SRC (all in
127.0.0.0/8), opened in that order; a bare number N means 127.0.0.1*N.
A connection counts as refused when the server closes it. The script waits
until EXPECT_REFUSED connections are closed (at most 1.5 s, under the idle
timeout of the tests that use it), then prints "held=H refused=R" and one
"SRC held=H refused=R" line per source address.
"""
import select
import socket
import sys
import time

host, port, spec, expect = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
plan = []
for part in spec.split(","):
    src, _, n = part.rpartition("*")
    plan.append((src or "127.0.0.1", int(n)))
socks = []   # (src, socket)
for src, n in plan:
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=5, source_address=(src, 0))
        socks.append((src, s))
closed = set()
deadline = time.monotonic() + 1.5
while len(closed) < expect and time.monotonic() < deadline:
    live = [s for _, s in socks if s.fileno() not in closed]
    r, _, _ = select.select(live, [], [], 0.05)
    for s in r:
        try:
            if s.recv(1) == b"":
                closed.add(s.fileno())
        except ConnectionResetError:
            closed.add(s.fileno())
# Anything else already closed counts too (no waiting for it).
for _, s in socks:
    if s.fileno() not in closed and select.select([s], [], [], 0)[0]:
        try:
            if s.recv(1) == b"":
                closed.add(s.fileno())
        except ConnectionResetError:
            closed.add(s.fileno())
refused = len(closed)
print("held=%d refused=%d" % (len(socks) - refused, refused))
for src, _ in plan:
    mine = [s for x, s in socks if x == src]
    r = sum(1 for s in mine if s.fileno() in closed)
    print("%s held=%d refused=%d" % (src, len(mine) - r, r))
for _, s in socks:
    s.close()
