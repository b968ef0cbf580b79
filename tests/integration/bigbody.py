#!/usr/bin/python3
"""Send a request whose body is over the server's limit, in chunks, while the
server answers early; then read the answer as a client that keeps sending would.

usage: bigbody.py HOST PORT CAFILE|plain PATH BODY_BYTES ROUNDS [head]
Prints one line per round: the HTTP status read back ("none" when the
connection broke before an answer could be read), and a word on how the
sending ended ("sent" or the error). With 'head', the request is a header
block of BODY_BYTES instead (to reach the header limit) and no body follows.
"""
import socket
import ssl
import sys

host, port, ca, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
size, rounds = int(sys.argv[5]), int(sys.argv[6])
head_mode = len(sys.argv) > 7 and sys.argv[7] == "head"
CHUNK = 16384

for _ in range(rounds):
    raw = socket.create_connection((host, port), timeout=10)
    if ca != "plain":
        ctx = ssl.create_default_context(cafile=ca)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False
        s = ctx.wrap_socket(raw)
    else:
        s = raw
    if head_mode:
        first = ("POST %s HTTP/1.1\r\nHost: a\r\nX-Big: " % path).encode()
        rest = b"a" * size + b"\r\n\r\n"
    else:
        first = ("POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/jose+json\r\n"
                 "Content-Length: %d\r\n\r\n" % (path, size)).encode()
        rest = b"{" * size
    how = "sent"
    try:
        s.sendall(first)
        for off in range(0, len(rest), CHUNK):
            s.sendall(rest[off:off + CHUNK])
    except (OSError, ssl.SSLError) as e:
        how = type(e).__name__
    got = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except (OSError, ssl.SSLError):
        pass
    status = got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.1 ") else "none"
    print(status, how)
    try:
        s.close()
    except OSError:
        pass
