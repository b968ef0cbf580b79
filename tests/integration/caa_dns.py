#!/usr/bin/env python3
"""The smallest DNS server t_acme_caa.sh needs (pebble-challtestsrv 2.4 cannot
set CAA flags, NXDOMAIN per type, or log queries): UDP on 127.0.0.1 only.

    caa_dns.py PORT ZONEFILE LOGFILE

ZONEFILE (JSON, read again for every query, so a test changes it on the fly):
    {"caa": {"name": [[flags, "tag", "value"], ...]},
     "rcode": {"name/TYPE": "SERVFAIL" | "NXDOMAIN" | "REFUSED"}}
A is 127.0.0.1 for every name, AAAA and other types are empty (NOERROR), CAA
is the list given for exactly that name (empty otherwise). Every query is
appended to LOGFILE as "name TYPE" (lower case) before it is answered.
A TCP socket listens on the same port only so that wait_port sees the server
up; it answers nothing (the answers are small: no truncation, no TCP retry).
"""
import json
import socket
import struct
import sys

TYPES = {1: "A", 28: "AAAA", 16: "TXT", 257: "CAA"}
RCODES = {"NOERROR": 0, "SERVFAIL": 2, "NXDOMAIN": 3, "REFUSED": 5}


def parse_question(msg):
    off, labels = 12, []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels).lower(), qtype, msg[12:off + 4]


def answer(msg, zone_path, log_path):
    qid, flags = struct.unpack("!HH", msg[:4])
    name, qtype, question = parse_question(msg)
    tname = TYPES.get(qtype, str(qtype))
    with open(log_path, "a") as f:
        f.write("%s %s\n" % (name, tname))
    try:
        with open(zone_path) as f:
            zone = json.load(f)
    except (OSError, ValueError):
        zone = {}
    rcode = RCODES[zone.get("rcode", {}).get("%s/%s" % (name, tname), "NOERROR")]
    rrs = []
    if rcode == 0 and qtype == 1:
        rrs.append((1, bytes([127, 0, 0, 1])))
    elif rcode == 0 and qtype == 16:
        for value in zone.get("txt", {}).get(name, []):
            v = value.encode()[:255]
            rrs.append((16, bytes([len(v)]) + v))
    elif rcode == 0 and qtype == 257:
        for fl, tag, value in zone.get("caa", {}).get(name, []):
            t, v = tag.encode(), value.encode()
            rrs.append((257, bytes([fl, len(t)]) + t + v))
    out = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1,
                      len(rrs), 0, 0) + question
    for typ, rdata in rrs:
        out += struct.pack("!HHHIH", 0xC00C, typ, 1, 60, len(rdata)) + rdata
    return out


def main():
    port, zone_path, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", port))
    t.listen(16)
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            s.sendto(answer(msg, zone_path, log_path), peer)
        except (IndexError, struct.error, KeyError):
            pass


if __name__ == "__main__":
    main()
