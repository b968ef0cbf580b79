#!/usr/bin/env bash
# An order that is "processing" (waiting for UPKI) survives a crash of the
# gateway: kill -9, restart, and the order completes with a certificate.
# Also: Retry-After on processing, and a re-POST of finalize returns the order.
. "$(dirname "$0")/lib.sh"

# UPKI issues 5-6 s after the upload: time enough to crash the gateway in between.
check "stack starts" stack_start --time-scale 0.05 --delay-min 100 --delay-max 120 --rate-limit-seconds 1
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json PYTHONPATH=tests/integration
export EAB_KID EAB_HMAC HTTP01_PORT
out=$(timeout 120 /usr/bin/python3 - <<'PY'
import os, time
from acme_client import Session, Key, make_csr, b64u, Http01
s = Session.from_env()
r, key = s.register("a", "RS256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
print("register=%d" % r.status)
s.new_order("a", ["crash.example.ac.jp"], save_as="o").expect(201)
srv = Http01(int(os.environ["HTTP01_PORT"]))
s.start_challenges("a", "o", srv)
o, _ = s.wait_order("a", "o")
print("ready=%s" % o.json()["status"])
csrkey = Key.rsa(2048)
csr = make_csr(csrkey, cn="crash.example.ac.jp")
fin = s.post_as("a", s.order("o")["obj"]["finalize"], {"csr": b64u(csr)})
print("finalize=%d %s" % (fin.status, fin.json().get("status")))
print("retry_after=%s" % fin.header("Retry-After"))
again = s.post_as("a", s.order("o")["obj"]["finalize"], {"csr": b64u(csr)})
print("refinalize=%d %s" % (again.status, again.json().get("status")))
srv.close()
PY
)
echo "$out" | sed 's/^/# /'
check_match "account registered" "^register=201" "$out"
check_match "order ready after http-01" "^ready=ready" "$out"
check_match "finalize answers processing" "^finalize=200 processing" "$out"
check_match "Retry-After is a positive integer" "^retry_after=[1-9][0-9]*$" "$out"
check_match "re-POST of finalize returns the order, not an error" "^refinalize=200 (processing|valid)" "$out"
kill -9 "$PID_gw"
wait "$PID_gw" 2>/dev/null
check "gateway restarts after kill -9" gateway_start gw2 "$T/gw.conf"
out=$(timeout 120 /usr/bin/python3 - <<'PY'
import time, subprocess
from acme_client import Session
s = Session.from_env()
url = s.order("o")["url"]
deadline = time.time() + 90
while True:
    o = s.post_as("a", url, None)
    st = o.json().get("status")
    if st != "processing" or time.time() > deadline:
        break
    time.sleep(float(o.header("Retry-After") or 1))
print("status=%s" % st)
if st == "valid":
    c = s.post_as("a", o.json()["certificate"], None)
    print("cert=%d %s" % (c.status, c.header("Content-Type")))
    open(__import__("os").environ["ACME_STATE"] + ".pem", "wb").write(c.body)
PY
)
echo "$out" | sed 's/^/# /'
check_match "the order completes after the restart" "^status=valid" "$out"
check_match "certificate served as application/pem-certificate-chain" "^cert=200 application/pem-certificate-chain" "$out"
check "downloaded chain verifies against the simulator's roots" \
	openssl verify -CAfile "$SIMDIR/roots.pem" -untrusted "$T/state.json.pem" "$T/state.json.pem"
st=$(sim_state)
check_eq "exactly one application reached UPKI" 1 "$(printf '%s' "$st" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["uploads"])' 2>/dev/null)"
finish
