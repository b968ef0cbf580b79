#!/usr/bin/python3
"""Full http-01 issuances against an ACME server, for CPU figures.

usage: issuance.py DIRECTORY CAFILE HTTP01_PORT N CONCURRENCY CSRSTYLE [EAB_KID EAB_HMAC]
CSRSTYLE: "upki" (CN-only UPKI subject) or "san" (SAN + CN).
One account; N orders for distinct names, CONCURRENCY at a time; each gets a
new RSA-2048 key (UPKI refuses a key it has seen). Prints issued/failed counts
and the wall time; the caller measures the server's CPU time around this run.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from acme_client import ACME, Key, Http01, make_csr, b64u  # noqa: E402

directory, ca, port, n, conc, style = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
eab = sys.argv[7:9] if len(sys.argv) >= 9 else None
acme = ACME(directory, ca, timeout=60, keepalive=True)
_post = acme.post


def post_retry(*a, **kw):
    """One retry on badNonce with the fresh nonce, as real clients do."""
    r = _post(*a, **kw)
    if r.status == 400 and b"badNonce" in r.body:
        r = _post(*a, **kw)
    return r


acme.post = post_retry
key = Key.rsa(2048)
r = acme.new_account(key, eab=acme.eab(eab[0], eab[1], key) if eab else None)
if r.status not in (200, 201):
    sys.exit("newAccount: %s" % r.describe())
kid = r.location
lock = threading.Lock()
srv = Http01(port)
keys = [Key.rsa(2048) for _ in range(n)]     # made before timing starts
done = {"ok": 0, "fail": 0}
fin_to_cert = []                             # seconds from the finalize POST to "valid"


def issue(i):
    name = "b%d-%d.example.ac.jp" % (os.getpid(), i)
    try:
        o = acme.post(acme.url("newOrder"), {"identifiers": [{"type": "dns", "value": name}]}, key, kid=kid)
        o.expect(201, location=True)
        ourl, obj = o.location, o.json()
        for az_url in obj["authorizations"]:
            az = acme.post(az_url, None, key, kid=kid).json()
            ch = [c for c in az["challenges"] if c["type"] == "http-01"][0]
            with lock:
                srv.answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
            acme.post(ch["url"], {}, key, kid=kid)
            for _ in range(600):
                az = acme.post(az_url, None, key, kid=kid).json()
                if az["status"] != "pending":
                    break
                time.sleep(0.1)
        csr = make_csr(keys[i], cn=name, sans=(name,) if style == "san" else ())
        st = None
        t_fin = None
        for _ in range(1200):
            o = acme.post(ourl, None, key, kid=kid).json()
            st = o["status"]
            if st == "ready":
                t_fin = time.time()
                acme.post(obj["finalize"], {"csr": b64u(csr)}, key, kid=kid)
            elif st in ("valid", "invalid"):
                break
            time.sleep(0.1)
        if st == "valid":
            acme.post(o["certificate"], None, key, kid=kid)
            with lock:
                done["ok"] += 1
                if t_fin is not None:
                    fin_to_cert.append(time.time() - t_fin)
        else:
            with lock:
                done["fail"] += 1
    except Exception as e:  # a failed issuance is counted, not fatal
        sys.stderr.write("issuance %d: %s\n" % (i, e))
        with lock:
            done["fail"] += 1


t0 = time.time()
idx = list(range(n))
threads = []
for c in range(conc):
    def worker(c=c):
        for i in idx[c::conc]:
            issue(i)
    t = threading.Thread(target=worker)
    t.start()
    threads.append(t)
for t in threads:
    t.join()
print("issued=%d failed=%d wall=%.1fs" % (done["ok"], done["fail"], time.time() - t0))
if fin_to_cert:
    v = sorted(fin_to_cert)
    print("finalize_to_cert p50=%.2fs p95=%.2fs max=%.2fs" %
          (v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.95))], v[-1]))
srv.close()
