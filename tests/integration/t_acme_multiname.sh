#!/usr/bin/env bash
# UPKI's shape for several names: the CSR carries only CN = the first name, the
# other names travel in the application (TSV column 13). A two-name order
# finalized with such a CSR gets one certificate with both names.
. "$(dirname "$0")/lib.sh"

check "stack starts" stack_start --time-scale 0.01 --delay-min 30 --delay-max 60 --rate-limit-seconds 1
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json PYTHONPATH=tests/integration
export EAB_KID EAB_HMAC HTTP01_PORT
out=$(timeout 120 /usr/bin/python3 - <<'PY'
import os, time
from acme_client import Session, Key, make_csr, b64u, Http01
s = Session.from_env()
s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
names = ["web.example.ac.jp", "mail.example.ac.jp"]
s.new_order("a", names, save_as="o").expect(201)
srv = Http01(int(os.environ["HTTP01_PORT"]))
s.start_challenges("a", "o", srv)
o, _ = s.wait_order("a", "o")
print("ready=%s" % o.json()["status"])
wrong = make_csr(Key.rsa(2048), cn="other.example.ac.jp")
r = s.post_as("a", s.order("o")["obj"]["finalize"], {"csr": b64u(wrong)})
print("wrongcn=%d %s" % (r.status, (r.problem or {}).get("type")))
csr = make_csr(Key.rsa(2048), cn=names[0])
fin = s.post_as("a", s.order("o")["obj"]["finalize"], {"csr": b64u(csr)})
print("finalize=%d %s" % (fin.status, fin.json().get("status")))
url = s.order("o")["url"]
for _ in range(120):
    o = s.post_as("a", url, None).json()
    if o["status"] != "processing":
        break
    time.sleep(0.5)
print("status=%s" % o["status"])
if o["status"] == "valid":
    c = s.post_as("a", o["certificate"], None)
    open(os.environ["ACME_STATE"] + ".pem", "wb").write(c.body)
srv.close()
PY
)
echo "$out" | sed 's/^/# /'
check_match "order ready" "^ready=ready" "$out"
check_match "a CN that is not an order name is badCSR" "^wrongcn=400 urn:ietf:params:acme:error:badCSR" "$out"
check_match "CN-only CSR for a two-name order is accepted" "^finalize=200 (processing|valid)" "$out"
check_match "order becomes valid" "^status=valid" "$out"
san=$(openssl x509 -noout -ext subjectAltName -in "$T/state.json.pem" 2>/dev/null | tr -d ' \n')
check_match "certificate names both identifiers" "DNS:web.example.ac.jp.*DNS:mail.example.ac.jp|DNS:mail.example.ac.jp.*DNS:web.example.ac.jp" "$san"
check "chain verifies" openssl verify -CAfile "$SIMDIR/roots.pem" -untrusted "$T/state.json.pem" "$T/state.json.pem"
finish
