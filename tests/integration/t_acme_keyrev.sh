#!/usr/bin/env bash
# keyChange (RFC 8555 §7.3.5) and revokeCert (§7.6) through the gateway, with
# the UPKI simulator accepting revocations in state 4; ARI shows the change.
. "$(dirname "$0")/lib.sh"

echo "upki_revoke_status4 = yes" >"$T/gw.extra"
check "stack starts" stack_start --time-scale 0.01 --delay-min 30 --delay-max 60 --rate-limit-seconds 1 \
	--allow-revoke-status4
"$BIN" -c "$T/gw.conf" eab new --name b --allow '*.example.ac.jp' >"$T/eab.b"
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json PYTHONPATH=tests/integration
export EAB_KID EAB_HMAC HTTP01_PORT EAB_KID_B=$(awk '/^kid:/{print $2}' "$T/eab.b") EAB_HMAC_B=$(awk '/^hmac:/{print $2}' "$T/eab.b")
out=$(timeout 240 /usr/bin/python3 - <<'PY'
import base64, os, time
from acme_client import Session, Key, make_csr, b64u, Http01
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
s = Session.from_env()
acme = s.acme
ra, old = s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
kid = ra.location
new = Key.rsa(2048)
url = acme.url("keyChange")
inner = acme.jws(url, {"account": kid, "oldKey": old.jwk()}, new, nonce=False)
r = acme.post(url, inner, old, kid=kid)
print("keychange=%d" % r.status)
r = acme.post(kid, None, new, kid=kid)
print("newkey=%d" % r.status)
r = acme.post(kid, None, old, kid=kid)
print("oldkey=%d %s" % (r.status, (r.problem or {}).get("type")))
s.state["accounts"]["a"]["pem"] = new.pem(); s.save()
rb, bkey = s.register("b", "ES256", os.environ["EAB_KID_B"], os.environ["EAB_HMAC_B"])
inner = acme.jws(url, {"account": rb.location, "oldKey": bkey.jwk()}, new, nonce=False)
r = acme.post(url, inner, bkey, kid=rb.location)
print("conflict=%d loc=%s" % (r.status, r.location == kid))
srv = Http01(int(os.environ["HTTP01_PORT"]))
certs = []
for n, name in enumerate(["rev1.example.ac.jp", "rev2.example.ac.jp", "rev3.example.ac.jp"]):
    s.new_order("a", [name], save_as="o%d" % n).expect(201)
    s.start_challenges("a", "o%d" % n, srv)
    s.wait_order("a", "o%d" % n)
    ck = Key.rsa(2048)
    s.post_as("a", s.order("o%d" % n)["obj"]["finalize"], {"csr": b64u(make_csr(ck, cn=name))})
    for _ in range(120):
        o = s.post_as("a", s.order("o%d" % n)["url"], None).json()
        if o["status"] != "processing":
            break
        time.sleep(0.5)
    pem = s.post_as("a", o["certificate"], None).body
    cert = x509.load_pem_x509_certificate(pem)
    certs.append((cert, ck))
print("issued=%d" % len(certs))
rv = acme.url("revokeCert")
der = certs[0][0].public_bytes(__import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.DER)
r = s.post_as("b", rv, {"certificate": b64u(der)})
print("other=%d %s" % (r.status, (r.problem or {}).get("type")))
r = s.post_as("a", rv, {"certificate": b64u(der), "reason": 7})
print("badreason=%d %s" % (r.status, (r.problem or {}).get("type")))
r = s.post_as("a", rv, {"certificate": b64u(der), "reason": 4})
print("revoke=%d" % r.status)
der2 = certs[1][0].public_bytes(__import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.DER)
r = acme.post(rv, {"certificate": b64u(der2)}, certs[1][1])
print("bykey=%d" % r.status)
# RFC 8555 §7.6: an account with valid authorizations for all the names may revoke.
der3 = certs[2][0].public_bytes(__import__("cryptography.hazmat.primitives.serialization", fromlist=["x"]).Encoding.DER)
r = s.post_as("b", rv, {"certificate": b64u(der3)})
print("b_noauthz=%d" % r.status)
s.new_order("b", ["rev3.example.ac.jp"], save_as="b3").expect(201)
s.start_challenges("b", "b3", srv)
s.wait_order("b", "b3")
r = s.post_as("b", rv, {"certificate": b64u(der3)})
print("b_authz=%d" % r.status)
# ARI: the window of a revoked certificate moves into the past.
c = certs[0][0]
aki = c.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value.key_identifier
sn = c.serial_number.to_bytes((c.serial_number.bit_length() + 8) // 8, "big")
ari = acme.directory()["renewalInfo"] + "/" + b64u(aki) + "." + b64u(sn)
past = False
for _ in range(60):
    r = acme.request("GET", ari)
    if r.status == 200:
        st = r.json()["suggestedWindow"]["start"]
        if time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) > st:
            past = True
            break
    time.sleep(0.5)
print("ari=%d past=%s" % (r.status, past))
srv.close()
PY
)
echo "$out" | sed 's/^/# /'
check_match "keyChange succeeds" "^keychange=200" "$out"
check_match "the new key signs for the account" "^newkey=200" "$out"
check_match "the old key no longer does" "^oldkey=400 urn:ietf:params:acme:error:(malformed|badSignatureAlgorithm|unauthorized)" "$out"
check_match "a key in use by another account: 409 with its Location" "^conflict=409 loc=True" "$out"
check_match "three certificates issued" "^issued=3" "$out"
check_match "another account may not revoke: unauthorized" "^other=403 urn:ietf:params:acme:error:unauthorized" "$out"
check_match "reason 7 is badRevocationReason" "^badreason=400 urn:ietf:params:acme:error:badRevocationReason" "$out"
check_match "the owning account revokes" "^revoke=200" "$out"
check_match "the certificate's key revokes" "^bykey=200" "$out"
check_match "an account without authorizations for the names may not revoke" "^b_noauthz=403" "$out"
check_match "an account with valid authorizations for all the names may" "^b_authz=200" "$out"
check_match "ARI moves the revoked certificate's window into the past" "^ari=200 past=True" "$out"
finish
