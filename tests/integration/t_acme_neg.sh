#!/usr/bin/env bash
# ACME (RFC 8555) negative tests over real HTTPS on loopback, with a positive
# control first: every refusal must carry the right HTTP status, the exact
# urn:ietf:params:acme:error type, Content-Type application/problem+json and a
# fresh Replay-Nonce, and must store nothing (LMDB record counts, read with
# mdb_stat, are compared before and after each refused request).
#
# The client is tests/integration/acme_client.py; each block below runs one
# inline Python snippet that prints key=value lines, which the checks read.
# Checks named "[server bug N]" fail today because of the server; see the
# comment above each one.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
DNSPORT=$(free_port)
MGMTPORT=$(free_port)
H01=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 3
resolver = 127.0.0.1:$DNSPORT
http01_port = $H01
validation_allow_nets = 127.0.0.0/8
eab_required = yes
CONF

# EAB keys: a, b, e, f for the positive accounts, c for deactivation, d for
# the EAB refusals (then used once correctly), g for the EAB race, x stays unused.
# All single-use, so that a second binding is a refusal (t_acme_eab tests keys
# that bind several accounts).
for k in a b c d e f g x; do
	"$BIN" -c "$T/gw.conf" eab new --name "$k" --allow '*.example.ac.jp' --single-use >"$T/eab.$k" 2>/dev/null ||
		notok "eab new $k"
done
eab_kid() { awk '/^kid:/{print $2}' "$T/eab.$1"; }
eab_hmac() { awk '/^hmac:/{print $2}' "$T/eab.$1"; }
eab_account() { "$BIN" -c "$T/gw.conf" eab list 2>/dev/null | awk -v k="$(eab_kid "$1")" '$1 == k {print $3}'; }

start_bg dns pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 127.0.0.1 -dns01 "127.0.0.1:$DNSPORT" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$MGMTPORT"
check "DNS test server (pebble-challtestsrv) starts" wait_port "$MGMTPORT" 10
check "gateway starts" gateway_start gw "$T/gw.conf"

export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db ACME_HTTP01=$H01 PYTHONPATH=$ROOT/tests/integration

# problem DESC TAG STATUS TYPE: the refusal as RFC 8555 §6.7 wants it, nothing stored.
problem() {
	local d=$1 t=$2
	check_eq "$d: HTTP $3" "$3" "$(field "${t}status")"
	check_eq "$d: type $4" "urn:ietf:params:acme:error:$4" "$(field "${t}type")"
	check_eq "$d: problem \"status\" member" "$3" "$(field "${t}pstatus")"
	check_eq "$d: Content-Type application/problem+json" application/problem+json "$(field "${t}ct")"
	check_eq "$d: Replay-Nonce on the error" yes "$(field "${t}nonce")"
	check_eq "$d: nothing stored" unchanged "$(field "${t}stored")"
}

# =============================================================================
# 14. Positive control: RSA-2048 account, full flow up to a ready order.
# =============================================================================
py positive-rsa "$(eab_kid a)" "$(eab_hmac a)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
h = a.request("HEAD", a.url("newNonce"))
report(h, tag="head.", cache=h.header("cache-control"), link=h.header("link"))
g = a.request("GET", a.url("newNonce"))
report(g, tag="get.", cache=g.header("cache-control"))
b = db_counts()
r, key = s.register("a", "RS256", sys.argv[1], sys.argv[2], contact=["mailto:admin@example.ac.jp"])
report(r, b, tag="new.", loc=r.location, acct_status=r.json().get("status"))
b = db_counts()
r2 = a.new_account(key, eab=a.eab(sys.argv[1], sys.argv[2], key))
report(r2, b, tag="again.", same_loc=r2.location == r.location)
r3 = a.new_account(key, only_existing=True)
report(r3, b, tag="only.", same_loc=r3.location == r.location)
r4 = s.post_as("a", r.location, None)
report(r4, tag="get_acct.", acct_status=r4.json().get("status"))
b = db_counts()
o = s.new_order("a", ["www.example.ac.jp", "Mail.Example.AC.JP", "www.example.ac.jp"], save_as="o1")
oj = o.json()
report(o, tag="order.", loc=(o.location or "").startswith(a.base() + "/acme/order/"),
       ostatus=oj["status"], idents=",".join(i["value"] for i in oj["identifiers"]),
       nauthz=len(oj["authorizations"]), added=counts_diff(b, db_counts()))
v, azs, srv = s.validate("a", "o1")
report(v, tag="ready.", ostatus=v.json()["status"],
       authz=",".join(z.json()["status"] for z in azs),
       chall=",".join(z.json()["challenges"][0]["status"] for z in azs),
       hosts=",".join(sorted(set(h.split(":")[0] for h, p in srv.seen))))
l = s.post_as("a", r.location + "/orders", None)
report(l, tag="list.", has_order=s.order("o1")["url"] in l.json()["orders"])
PY
check_eq "newNonce HEAD: 200" 200 "$(field head.status)"
check_eq "newNonce HEAD: Replay-Nonce" yes "$(field head.nonce)"
check_eq "newNonce HEAD: Cache-Control no-store" no-store "$(field head.cache)"
check_eq "newNonce GET: 204" 204 "$(field get.status)"
check_eq "newNonce GET: Replay-Nonce" yes "$(field get.nonce)"
check_eq "newNonce GET: Cache-Control no-store" no-store "$(field get.cache)"
check_eq "newNonce: Link rel=index" "<$URL/directory>;rel=\"index\"" "$(field head.link)"
check_eq "newAccount (RS256, EAB): 201" 201 "$(field new.status)"
check_match "newAccount: Location is an account URL" "^$URL/acme/acct/[0-9]+$" "$(field new.loc)"
check_eq "newAccount: account valid" valid "$(field new.acct_status)"
check_match "newAccount: stored one account" "^changed: account 0->1, account_by_eab 0->1, account_by_key 0->1(, meta [0-9]+->[0-9]+)?$" "$(field new.stored)"
check_eq "newAccount again, same key: 200" 200 "$(field again.status)"
check_eq "newAccount again: same Location" True "$(field again.same_loc)"
check_eq "newAccount again: nothing stored" unchanged "$(field again.stored)"
check_eq "onlyReturnExisting: 200" 200 "$(field only.status)"
check_eq "onlyReturnExisting: same Location" True "$(field only.same_loc)"
check_eq "POST-as-GET account: 200 valid" "200 valid" "$(field get_acct.status) $(field get_acct.acct_status)"
check_eq "newOrder: 201" 201 "$(field order.status)"
check_eq "newOrder: Location is an order URL" True "$(field order.loc)"
check_eq "newOrder: pending" pending "$(field order.ostatus)"
check_eq "newOrder: names lower-cased, duplicates collapsed" "www.example.ac.jp,mail.example.ac.jp" "$(field order.idents)"
check_eq "newOrder: one authorization per name" 2 "$(field order.nauthz)"
check_eq "http-01: challenges valid" "valid,valid" "$(field ready.chall)"
check_eq "http-01: authorizations valid" "valid,valid" "$(field ready.authz)"
check_eq "http-01: order ready" ready "$(field ready.ostatus)"
check_eq "http-01: validator asked for both names (via the test DNS)" "mail.example.ac.jp,www.example.ac.jp" "$(field ready.hosts)"
check_eq "account orders list names the order" True "$(field list.has_order)"

py positive-es256 "$(eab_kid b)" "$(eab_hmac b)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
b = db_counts()
r, key = s.register("b", "ES256", sys.argv[1], sys.argv[2])
report(r, b, tag="new.", loc=r.location)
r2 = a.new_account(key)
report(r2, tag="again.", same_loc=r2.location == r.location)
r3 = a.new_account(key, only_existing=True)
report(r3, tag="only.", same_loc=r3.location == r.location)
s.new_order("b", ["cn.example.ac.jp"], save_as="o2").expect(201, location=True)
v, azs, srv = s.validate("b", "o2")
report(v, tag="ready.", ostatus=v.json()["status"], authz=azs[0].json()["status"],
       chall=azs[0].json()["challenges"][0]["status"])
PY
check_eq "newAccount (ES256, EAB): 201" 201 "$(field new.status)"
check_match "newAccount ES256: stored one account" "^changed: account 1->2, account_by_eab 1->2, account_by_key 1->2$" "$(field new.stored)"
check_eq "newAccount again (ES256, no EAB needed for a known key): 200, same Location" "200 True" "$(field again.status) $(field again.same_loc)"
check_eq "onlyReturnExisting (ES256): 200, same Location" "200 True" "$(field only.status) $(field only.same_loc)"
check_eq "ES256 account: http-01 challenge, authz, order" "valid valid ready" \
	"$(field ready.chall) $(field ready.authz) $(field ready.ostatus)"

py positive-more "$(eab_kid e)" "$(eab_hmac e)" "$(eab_kid f)" "$(eab_hmac f)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
for tag, alg, k, h in (("rs4096.", "RS4096", sys.argv[1], sys.argv[2]),
                       ("es384.", "ES384", sys.argv[3], sys.argv[4])):
    r, key = s.register(tag, alg, k, h)
    r2 = s.new_order(tag, ["%s%s" % (tag, "example.ac.jp")])
    report(r, tag=tag, order=r2.status)
PY
check_eq "newAccount with an RSA-4096 key (dehydrated's default): 201, newOrder 201" "201 201" "$(field rs4096.status) $(field rs4096.order)"
check_eq "newAccount with a P-384 key (ES384): 201, newOrder 201" "201 201" "$(field es384.status) $(field es384.order)"

# =============================================================================
# 1. Nonces
# =============================================================================
py nonce <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
key, kid = s.account("a")
url = a.url("newOrder")
body = a.jws(url, {"identifiers": [{"type": "dns", "value": "n1.example.ac.jp"}]}, key, kid=kid)
first = a.post_raw(url, body)
report(first, tag="first.")
b = db_counts()
rep = a.post_raw(url, body)                          # the same JWS again
report(rep, b, tag="replay.")
retry = a.post(url, {"identifiers": [{"type": "dns", "value": "n1.example.ac.jp"}]}, key,
               kid=kid, nonce=rep.nonce)             # the nonce from the error
report(retry, tag="retry.")
b = db_counts()
report(s.post_as("a", url, {"identifiers": [{"type": "dns", "value": "n2.example.ac.jp"}]},
                 nonce=b64u(os.urandom(22))), b, tag="unknown.")
b = db_counts()
report(s.post_as("a", url, {"identifiers": [{"type": "dns", "value": "n2.example.ac.jp"}]},
                 nonce=False), b, tag="missing.")
b = db_counts()
report(s.post_as("a", url, {"identifiers": [{"type": "dns", "value": "n2.example.ac.jp"}]},
                 nonce="not a nonce!"), b, tag="garbage.")
b = db_counts()
report(s.post_as("a", url, {"identifiers": [{"type": "dns", "value": "n2.example.ac.jp"}]},
                 header={"nonce": 12345}), b, tag="number.")
PY
check_eq "first use of a nonce: 201" 201 "$(field first.status)"
problem "replayed nonce (same JWS twice)" replay. 400 badNonce
check_eq "retry with the nonce from the badNonce answer: 201" 201 "$(field retry.status)"
problem "unknown nonce" unknown. 400 badNonce
problem "no nonce in the protected header" missing. 400 badNonce
problem "nonce that is not base64url" garbage. 400 badNonce
# RFC 8555 §6.5.2 asks for badNonce for any nonce the server cannot use; a
# non-string member is a malformed header before it is a nonce: malformed.
problem "nonce that is a number" number. 400 malformed

# =============================================================================
# 2-6. The JWS: url, jwk/kid, unknown kid, algorithms, signatures
# =============================================================================
py jws <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
key, kid = s.account("a")
bkey, bkid = s.account("b")
url = a.url("newOrder")
pl = {"identifiers": [{"type": "dns", "value": "j1.example.ac.jp"}]}
def probe(tag, **kw):
    b = db_counts()
    report(a.post(url, kw.pop("payload", pl), kw.pop("k", key), **kw), b, tag=tag)
# 2: url
b = db_counts()
report(a.post_raw(url, a.jws(a.url("newAccount"), pl, key, kid=kid)), b, tag="url_other.")
b = db_counts()
report(a.post_raw(url, a.jws("https://acme.example.org/acme/new-order", pl, key, kid=kid)), b,
       tag="url_host.")
b = db_counts()
report(a.post_raw(url, a.jws(url, pl, key, kid=kid, header={"url": None})), b, tag="url_none.")
# 3: jwk and kid
probe("both.", kid=kid, header={"jwk": key.jwk()})
probe("neither.", kid=kid, header={"kid": None})
# 4: unknown kid
probe("kid_unknown.", kid=a.base() + "/acme/acct/999999")
probe("kid_foreign.", kid="https://acme.example.org/acme/acct/1")
# 5: algorithms
probe("alg_none.", kid=kid, alg="none", signature=b"")
probe("alg_hs256.", kid=kid, alg="HS256",
      signature=hmac.new(b"k" * 32, b"x", hashlib.sha256).digest())
probe("alg_missing.", kid=kid, header={"alg": None})
# 6: signatures
probe("sig_flip.", kid=kid, mutate_sig=flip)
probe("sig_short.", kid=kid, mutate_sig=lambda x: x[:-1])
probe("sig_other_key.", kid=kid, sign_key=Key.rsa(2048))
probe("es256_rsa_kid.", kid=kid, alg="ES256", sign_key=Key.ec())   # a is RSA
probe("rs256_ec_kid.", k=bkey, kid=bkid, alg="RS256", sign_key=Key.rsa(2048))   # b is P-256
nurl = a.url("newAccount")
rk, ek = Key.rsa(2048), Key.ec()
b = db_counts()
report(a.post_raw(nurl, a.jws(nurl, {"termsOfServiceAgreed": True}, rk, alg="ES256", sign_key=ek)),
       b, tag="es256_rsa_jwk.")
b = db_counts()
report(a.post_raw(nurl, a.jws(nurl, {"termsOfServiceAgreed": True}, Key.rsa(1024))), b,
       tag="rsa1024.")
b = db_counts()
report(a.post_raw(nurl, a.jws(nurl, {"termsOfServiceAgreed": True}, ek, header={"jwk": {"kty": "oct", "k": "AAAA"}})),
       b, tag="jwk_oct.")
# The same RSA key with a leading zero octet in "n"; a P-256 point off the curve.
j = key.jwk(); j["n"] = b64u(b"\x00" + b64u_dec(j["n"]))
b = db_counts()
report(a.post_raw(nurl, a.jws(nurl, {"onlyReturnExisting": True}, key, header={"jwk": j})), b, tag="jwk_zero.")
j = bkey.jwk(); y = bytearray(b64u_dec(j["y"])); y[-1] ^= 1; j["y"] = b64u(bytes(y))
b = db_counts()
report(a.post_raw(nurl, a.jws(nurl, {"onlyReturnExisting": True}, bkey, header={"jwk": j})), b, tag="jwk_offcurve.")
# Which signer each resource wants: newAccount jwk, everything else kid.
b = db_counts()
report(a.post(nurl, {"termsOfServiceAgreed": True}, key, kid=kid), b, tag="newacct_kid.")
probe("neworder_jwk.")
# The header and the payload: extensions, duplicates, shapes.
probe("crit.", kid=kid, header={"crit": ["exp"], "exp": 1})
probe("b64.", kid=kid, header={"b64": False, "crit": ["b64"]})
def dup_url(prot):     # "url" twice: first a wrong one, then the right one
    t = compact_json(prot).decode()
    return ('{"url":"%s/acme/new-account",' % a.base() + t[1:]).encode()
def dup_escaped(prot): # "url" and "\u0075rl": the same name once unescaped
    t = compact_json(prot).decode()
    return ('{"\\u0075rl":"%s/acme/new-account",' % a.base() + t[1:]).encode()
probe("dup_url.", kid=kid, raw_protected=dup_url)
probe("dup_esc.", kid=kid, raw_protected=dup_escaped)
probe("dup_payload.", kid=kid, payload='{"identifiers":[{"type":"dns","value":"www.example.com"}],'
      '"identifiers":[{"type":"dns","value":"j2.example.ac.jp"}]}')
probe("payload_array.", kid=kid, payload="[]")
probe("payload_null.", kid=kid, payload="null")
probe("payload_notjson.", kid=kid, payload="{identifiers")
PY
problem "url of another resource" url_other. 401 unauthorized
problem "url on another host" url_host. 401 unauthorized
problem "no url in the protected header" url_none. 400 malformed
problem "jwk and kid together" both. 400 malformed
problem "neither jwk nor kid" neither. 400 malformed
problem "kid of no account" kid_unknown. 400 accountDoesNotExist
problem "kid on another server" kid_foreign. 400 accountDoesNotExist
problem "alg none" alg_none. 400 badSignatureAlgorithm
check_match "alg none: the problem lists the accepted algorithms" "^(.*,)?RS256(,.*)?$" "$(field alg_none.algorithms)"
check_match "alg none: ... ES256 among them" "^(.*,)?ES256(,.*)?$" "$(field alg_none.algorithms)"
problem "HS256 on an account request" alg_hs256. 400 badSignatureAlgorithm
check_match "HS256: the problem lists the accepted algorithms" "RS256" "$(field alg_hs256.algorithms)"
problem "no alg" alg_missing. 400 malformed
problem "signature with one byte flipped" sig_flip. 400 malformed
problem "signature one byte short" sig_short. 400 malformed
problem "signature by another RSA key" sig_other_key. 400 malformed
problem "ES256 with an RSA account (kid)" es256_rsa_kid. 400 badSignatureAlgorithm
problem "RS256 with a P-256 account (kid)" rs256_ec_kid. 400 badSignatureAlgorithm
problem "ES256 signature with an RSA jwk (newAccount)" es256_rsa_jwk. 400 badSignatureAlgorithm
problem "RSA-1024 account key" rsa1024. 400 badPublicKey
problem "jwk of kty oct" jwk_oct. 400 badPublicKey
problem "RSA jwk with a leading zero octet in n" jwk_zero. 400 badPublicKey
problem "EC jwk with a point off the curve" jwk_offcurve. 400 badPublicKey
problem "newAccount signed with kid" newacct_kid. 400 malformed
problem "newOrder signed with jwk" neworder_jwk. 400 malformed
problem "crit header (unknown extension)" crit. 400 malformed
problem "b64:false (unencoded payload)" b64. 400 malformed
problem "url twice in the protected header" dup_url. 400 malformed
problem "url twice, once escaped (\\u0075rl)" dup_esc. 400 malformed
problem "a member twice in the payload" dup_payload. 400 malformed
problem "payload that is an array" payload_array. 400 malformed
problem "payload that is null" payload_null. 400 malformed
problem "payload that is not JSON" payload_notjson. 400 malformed

# =============================================================================
# 7. External Account Binding
# =============================================================================
check_eq "EAB key d unbound before the tests" account=0 "$(eab_account d)"
py eab "$(eab_kid d)" "$(eab_hmac d)" "$(eab_kid a)" "$(eab_hmac a)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
dk, dh, ak, ah = sys.argv[1:5]
def probe(tag, key, eab, **kw):
    b = db_counts()
    report(a.new_account(key, eab=eab, **kw), b, tag=tag)
    b = db_counts()
    report(a.new_account(key, only_existing=True), b, tag=tag + "exists.")
k = Key.rsa(2048)
probe("missing.", k, None)
probe("mac_flip.", k, a.eab(dk, dh, k, mutate_sig=flip))
probe("mac_otherkey.", k, a.eab(dk, b64u(b"\x01" * 32), k))
probe("kid_unknown.", k, a.eab("AAAAAAAAAAAAAAAA", dh, k))
probe("kid_long.", k, a.eab("A" * 300, dh, k))
probe("other_payload.", k, a.eab(dk, dh, k, payload_key=Key.rsa(2048)))
probe("other_url.", k, a.eab(dk, dh, k, url=a.url("newOrder")))
probe("alg_rs.", k, a.eab(dk, dh, k, alg="RS256"))
probe("nonce_inside.", k, a.eab(dk, dh, k, header={"nonce": a.new_nonce()}))
probe("reused.", k, a.eab(ak, ah, k))           # key a is bound to account a
b = db_counts()
r, _ = s.register("d", "ES256", dk, dh)           # now correctly, with a fresh key
report(r, b, tag="good.")
k2 = Key.ec()
probe("reused_d.", k2, a.eab(dk, dh, k2))
PY
problem "no EAB when required" missing. 400 externalAccountRequired
problem "EAB with a flipped MAC" mac_flip. 401 unauthorized
problem "EAB MAC with another HMAC key" mac_otherkey. 401 unauthorized
problem "EAB with an unknown key id" kid_unknown. 401 unauthorized
problem "EAB with a 300-character key id" kid_long. 401 unauthorized
problem "EAB over another account key" other_payload. 400 malformed
problem "EAB with another url" other_url. 400 malformed
problem "EAB with alg RS256" alg_rs. 400 malformed
problem "EAB with a nonce" nonce_inside. 400 malformed
problem "EAB key id already bound (new account key)" reused. 401 unauthorized
for t in missing mac_flip mac_otherkey kid_unknown kid_long other_payload other_url alg_rs nonce_inside reused; do
	check_eq "after '$t': no account for the key (onlyReturnExisting -> accountDoesNotExist)" \
		"400 urn:ietf:params:acme:error:accountDoesNotExist" "$(field $t.exists.status) $(field $t.exists.type)"
done
check_eq "EAB key d still usable after the refusals: 201" 201 "$(field good.status)"
check_match "... and it stored one account" "^changed: account ([0-9]+)->[0-9]+, account_by_eab [0-9]+->[0-9]+, account_by_key [0-9]+->[0-9]+$" "$(field good.stored)"
problem "EAB key d reused after it was bound" reused_d. 401 unauthorized
check_match "eab list: key d now bound" "^account=[1-9]" "$(eab_account d)"
py eab-race "$(eab_kid g)" "$(eab_hmac g)" <<'PY'
import sys, threading
from acme_client import *
gk, gh = sys.argv[1:3]
b = db_counts()
go = threading.Barrier(6)
res = []
def one():
    a = ACME(os.environ["ACME_DIR"], os.environ["ACME_CA"])
    k = Key.ec()
    body = a.jws(a.url("newAccount"), {"termsOfServiceAgreed": True,
                                       "externalAccountBinding": a.eab(gk, gh, k)}, k)
    go.wait()
    res.append(a.post_raw(a.url("newAccount"), body).status)
ts = [threading.Thread(target=one) for _ in range(6)]
[t.start() for t in ts]; [t.join() for t in ts]
print("statuses=%s" % ",".join(str(x) for x in sorted(res)))
print("accounts_added=%d" % (db_counts()["account"] - b["account"]))
PY
check_eq "one EAB key, six account keys at once: one 201, five 401" "201,401,401,401,401,401" "$(field statuses)"
check_eq "... and one account stored" 1 "$(field accounts_added)"
check_eq "eab list: key x never bound" account=0 "$(eab_account x)"

# =============================================================================
# 8. newOrder identifiers
# =============================================================================
py idents <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
url = a.url("newOrder")
def probe(tag, payload):
    b = db_counts()
    report(s.post_as("a", url, payload), b, tag=tag)
def dns(*names):
    return {"identifiers": [{"type": "dns", "value": n} for n in names]}
probe("allow.", dns("www.example.ac.jp", "www.example.com", "evilexample.ac.jp"))
probe("apex.", dns("example.ac.jp"))
probe("ip.", {"identifiers": [{"type": "ip", "value": "192.0.2.1"}]})
probe("ip_mixed.", {"identifiers": [{"type": "dns", "value": "www.example.ac.jp"},
                                    {"type": "ip", "value": "192.0.2.1"}]})
probe("dotdot.", dns("a..b.example.ac.jp"))
probe("dash.", dns("-x.example.ac.jp"))
probe("long.", dns("a" * 290 + ".example.ac.jp"))
probe("label64.", dns("a" * 64 + ".example.ac.jp"))
probe("under.", dns("a_b.example.ac.jp"))
probe("trail.", dns("www.example.ac.jp."))
probe("wild.", dns("*.example.ac.jp"))
probe("nine.", dns(*["h%d.example.ac.jp" % i for i in range(9)]))
probe("empty.", {"identifiers": []})
probe("noident.", {})
probe("notobj.", {"identifiers": ["www.example.ac.jp"]})
probe("notafter.", dict(dns("www.example.ac.jp"), notAfter="2030-01-01T00:00:00Z"))
b = db_counts()
r = s.post_as("a", url, dns(*["h%d.example.ac.jp" % i for i in range(8)]))
report(r, b, tag="eight.", n=len(r.json().get("identifiers", [])) if r.status == 201 else 0)
PY
problem "names outside the EAB allow-list" allow. 403 rejectedIdentifier
check_eq "allow-list: one subproblem per refused name" 2 "$(field allow.nsub)"
check_eq "allow-list: the subproblems name the refused names" "evilexample.ac.jp,www.example.com" "$(field allow.sub_values)"
check_eq "allow-list: subproblems are rejectedIdentifier" "urn:ietf:params:acme:error:rejectedIdentifier" "$(field allow.sub_types)"
problem "the apex of a *.domain pattern" apex. 403 rejectedIdentifier
problem "identifier type ip" ip. 400 unsupportedIdentifier
problem "a dns and an ip identifier" ip_mixed. 400 unsupportedIdentifier
problem "name with an empty label" dotdot. 403 rejectedIdentifier
check_eq "empty label: subproblem names it" "a..b.example.ac.jp" "$(field dotdot.sub_values)"
problem "label starting with '-'" dash. 403 rejectedIdentifier
check_eq "leading '-': subproblem names it" "-x.example.ac.jp" "$(field dash.sub_values)"
problem "a 304-character name (over the identifier buffer)" long. 400 malformed
problem "a 64-character label" label64. 403 rejectedIdentifier
problem "an underscore in a name" under. 403 rejectedIdentifier
problem "a trailing dot" trail. 403 rejectedIdentifier
problem "a wildcard (upki_wildcards is off by default)" wild. 403 rejectedIdentifier
check_match "wildcard: the detail says why and names the setting" "UPKI.*wildcard.*upki_wildcards is off" "$(field wild.detail)"
problem "9 identifiers" nine. 403 rejectedIdentifier
check_match "9 identifiers: the detail names the limit" "8" "$(field nine.detail)"
problem "empty identifiers" empty. 400 malformed
problem "no identifiers member" noident. 400 malformed
problem "identifier that is not an object" notobj. 400 malformed
problem "notAfter" notafter. 400 malformed
check_eq "8 identifiers (the limit): 201 with 8 names" "201 8" "$(field eight.status) $(field eight.n)"

# =============================================================================
# 9. Body limit and Content-Type
# =============================================================================
py body <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
key, kid = s.account("a")
url = a.url("newOrder")
pl = {"identifiers": [{"type": "dns", "value": "www.example.ac.jp"}], "pad": "x" * 70000}
b = db_counts()
report(a.post(url, pl, key, kid=kid), b, tag="big.")
pl = {"identifiers": [{"type": "dns", "value": "ct.example.ac.jp"}]}
for tag, ct in (("json.", "application/json"), ("none.", None), ("form.", "application/x-www-form-urlencoded")):
    b = db_counts()
    report(a.post(url, pl, key, kid=kid, ctype=ct), b, tag=tag)
b = db_counts()
report(a.post_raw(url, b'{"protected":"e30","payload":"","signature":""}'), b, tag="notjws.")
b = db_counts()
report(a.post_raw(url, b"not json at all"), b, tag="garbage.")
body = a.jws(url, pl, key, kid=kid)
body["header"] = {"alg": "none"}
b = db_counts()
report(a.post_raw(url, body), b, tag="unprot.")
PY
check_eq "body over http_max_body_bytes: 413" 413 "$(field big.status)"
check_eq "body over the limit: nothing stored" unchanged "$(field big.stored)"
# [server bug 3] RFC 8555 §6.7 and §6.5 (SHOULD): errors carry a problem
# document and a Replay-Nonce. The HTTP layer answers 413 (and 405 below)
# in text/plain before the ACME routes, without a nonce for 413.
check_eq "[server bug 3] body over the limit: problem document" "application/problem+json urn:ietf:params:acme:error:malformed" "$(field big.ct) $(field big.type)"
check_eq "[server bug 3] body over the limit: Replay-Nonce" yes "$(field big.nonce)"
problem "Content-Type application/json" json. 415 malformed
problem "no Content-Type" none. 415 malformed
problem "form Content-Type" form. 415 malformed
problem "JWS with an empty protected header" notjws. 400 malformed
problem "body that is not JSON" garbage. 400 malformed
problem "JWS with an unprotected header" unprot. 400 malformed

# =============================================================================
# 10. POST-as-GET rules
# =============================================================================
ORDER1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["orders"]["o1"]["url"])' "$T/state.json")
hdr=$(curl -sS -D - -o /dev/null --cacert "$ACME_CA" "$ORDER1")
check_match "GET on an order URL: 405" "^HTTP/1.1 405" "$hdr"
check_match "GET on an order URL: Allow: POST" "Allow: POST" "$hdr"
check_match "GET on an order URL: Replay-Nonce" "Replay-Nonce: [A-Za-z0-9_-]{16,}" "$hdr"
check_match "[server bug 3] GET on an order URL: problem document" "Content-Type: application/problem\+json" "$hdr"
py pag <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
_, kid = s.account("a")
o = s.order("o1")
def probe(tag, url, payload):
    b = db_counts()
    report(s.post_as("a", url, payload), b, tag=tag)
probe("order.", o["url"], {})
probe("order_status.", o["url"], {"status": "valid"})
probe("orders.", kid + "/orders", {})
probe("neworder.", a.url("newOrder"), None)
probe("newacct.", a.url("newAccount"), None)
probe("cert.", a.base() + "/acme/cert/1", {})
probe("authz.", o["obj"]["authorizations"][0], {"status": "valid"})
probe("acct_status.", kid, {"status": "valid"})
b = db_counts()
report(s.post_as("a", o["url"], None), b, tag="get.", ostatus=s.acme.log[-1].json()["status"])
PY
problem "POST {} to an order" order. 400 malformed
problem "POST {\"status\":\"valid\"} to an order" order_status. 400 malformed
problem "POST {} to the orders list" orders. 400 malformed
problem "POST-as-GET to newOrder" neworder. 400 malformed
check_match "POST-as-GET to newAccount: malformed" "error:malformed$" "$(field newacct.type)"
problem "POST {} to a certificate" cert. 400 malformed
problem "authorization set to valid by the client" authz. 400 malformed
problem "account status set to valid by the client" acct_status. 400 malformed
check_eq "order still ready after all that" "200 ready" "$(field get.status) $(field get.ostatus)"

# =============================================================================
# 12. Another account's resources
# =============================================================================
py cross <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
_, akid = s.account("a")
o = s.order("o1")
az = o["obj"]["authorizations"][0]
def probe(tag, url, payload):
    b = db_counts()
    report(s.post_as("b", url, payload), b, tag=tag)
probe("order.", o["url"], None)
probe("authz.", az, None)
probe("authz_deact.", az, {"status": "deactivated"})
probe("chall.", az.replace("/authz/", "/chall/") + "/0", {})
probe("finalize.", o["obj"]["finalize"], {"csr": b64u(make_csr(Key.ec(), sans=["www.example.ac.jp", "mail.example.ac.jp"]))})
probe("cert.", a.base() + "/acme/cert/1", None)
probe("acct.", akid, None)
probe("acct_deact.", akid, {"status": "deactivated"})
probe("orders.", akid + "/orders", None)
probe("order_none.", a.base() + "/acme/order/999999", None)
nch = len(s.post_as("a", az, None).json()["challenges"])   # the first index past the end
for i, t in ((nch, "n"), (9, "9")):
    b = db_counts()
    report(s.post_as("a", az.replace("/authz/", "/chall/") + "/%d" % i, {}), b, tag="chall%s." % t)
b = db_counts()
report(s.post_as("a", o["url"], None), b, tag="still.", ostatus=a.log[-1].json()["status"])
report(s.post_as("a", akid, None), tag="astill.", astatus=a.log[-1].json()["status"])
PY
problem "another account's order" order. 404 malformed
problem "another account's authorization" authz. 404 malformed
problem "deactivating another account's authorization" authz_deact. 404 malformed
problem "another account's challenge" chall. 404 malformed
problem "finalizing another account's order" finalize. 404 malformed
problem "a certificate that is not this account's (none exists)" cert. 404 malformed
problem "another account's account URL" acct. 401 unauthorized
problem "deactivating another account" acct_deact. 401 unauthorized
problem "another account's orders list" orders. 401 unauthorized
problem "an order that does not exist" order_none. 404 malformed
problem "a challenge index the authorization does not have (one past its last)" challn. 404 malformed
problem "a challenge index out of range (9)" chall9. 404 malformed
check_eq "the owner's order is untouched (still ready)" "200 ready" "$(field still.status) $(field still.ostatus)"
check_eq "the owner's account is untouched (still valid)" "200 valid" "$(field astill.status) $(field astill.astatus)"

# =============================================================================
# 13. Finalize: order state and the CSR rules checked before the issuer
# =============================================================================
py finalize <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
ok_key = Key.ec()
names = ["www.example.ac.jp", "mail.example.ac.jp"]
# A pending order first.
p = s.new_order("a", ["pend.example.ac.jp"], save_as="pend").expect(201, location=True)
b = db_counts()
report(s.post_as("a", p.json()["finalize"], {"csr": b64u(make_csr(ok_key, sans=["pend.example.ac.jp"]))}),
       b, tag="notready.")
fin = s.order("o1")["obj"]["finalize"]
def probe(tag, csr):
    b = db_counts()
    report(s.post_as("a", fin, {"csr": csr if isinstance(csr, str) else b64u(csr)}), b, tag=tag)
probe("extra.", make_csr(ok_key, sans=names + ["extra.example.ac.jp"]))
probe("missing.", make_csr(ok_key, sans=names[:1]))
probe("cn_extra.", make_csr(ok_key, cn="other.example.ac.jp", sans=names))
probe("rsa1024.", make_csr(Key.rsa(1024), sans=names))
probe("rsae3.", make_csr(Key(rsa.generate_private_key(public_exponent=3, key_size=2048)), sans=names))
good = make_csr(ok_key, sans=names)
probe("badsig.", flip(good))
probe("nohost.", make_csr(ok_key, sans=()))
probe("ipsan.", make_csr(ok_key, sans=names, ips=["192.0.2.1"]))
probe("sha1.", make_csr(Key.rsa(2048), sans=names, digest=hashes.SHA1()))
probe("b64garbage.", "!!!not base64!!!")
while True:                  # a CSR whose base64 needs padding
    padded = make_csr(ok_key, sans=names)
    if len(padded) % 3:
        break
probe("b64pad.", base64.urlsafe_b64encode(padded).decode())   # RFC 8555 §6.1: "=" MUST be rejected
probe("notder.", b"\x30\x03\x02\x01\x00")
probe("truncated.", good[:-20])
b = db_counts()
report(s.post_as("a", fin, {}), b, tag="nocsr.")
b = db_counts()
report(s.post_as("a", fin, None), b, tag="pag.")
b = db_counts()
report(s.post_as("a", s.order("o1")["url"], None), b, tag="still.", ostatus=a.log[-1].json()["status"])
# Acceptable CSRs pass every check before the issuer: SANs with an EC key here,
# the UPKI shape (CN only, RSA-2048) on the ES256 account's order.
b = db_counts()
report(s.post_as("a", fin, {"csr": b64u(good)}), b, tag="okcsr.")
b = db_counts()
report(s.post_as("b", s.order("o2")["obj"]["finalize"],
                 {"csr": b64u(make_csr(Key.rsa(2048), cn="cn.example.ac.jp"))}), b, tag="cnonly.")
PY
problem "finalize a pending order" notready. 403 orderNotReady
problem "CSR with a name not in the order" extra. 400 badCSR
check_match "... the detail names the extra name" "not in the order: extra\.example\.ac\.jp" "$(field extra.detail)"
problem "CSR missing a name of the order" missing. 400 badCSR
check_match "... the detail names the missing name" "missing from the CSR: mail\.example\.ac\.jp" "$(field missing.detail)"
problem "CSR with a CN not in the order" cn_extra. 400 badCSR
check_match "... the detail names the CN" "other\.example\.ac\.jp" "$(field cn_extra.detail)"
problem "CSR with an RSA-1024 key" rsa1024. 400 badCSR
check_match "... the detail says 2048 bits" "1024 bits.*2048" "$(field rsa1024.detail)"
problem "CSR with an RSA key of exponent 3 (CA/B BR 6.1.6)" rsae3. 400 badCSR
check_match "... the detail names the exponent rule" "exponent is below 2\\^16\\+1" "$(field rsae3.detail)"
problem "CSR with a corrupted signature" badsig. 400 badCSR
check_match "... the detail says the signature" "signature" "$(field badsig.detail)"
problem "CSR naming no host" nohost. 400 badCSR
check_match "... the detail says where to put the name" "CN|subjectAltName" "$(field nohost.detail)"
problem "CSR signed with SHA-1" sha1. 400 badCSR
check_match "... the detail says which signatures are accepted" "SHA-256" "$(field sha1.detail)"
problem "CSR with an IP address SAN" ipsan. 400 badCSR
check_match "... the detail says DNS names only" "DNS names only" "$(field ipsan.detail)"
problem "csr that is not base64url" b64garbage. 400 badCSR
problem "csr in padded base64" b64pad. 400 badCSR
problem "csr that is not a PKCS#10 request" notder. 400 badCSR
problem "csr cut short" truncated. 400 badCSR
problem "finalize without csr" nocsr. 400 malformed
problem "finalize with POST-as-GET" pag. 400 malformed
check_eq "the order is still ready after the refused CSRs" "200 ready" "$(field still.status) $(field still.ostatus)"
# This gateway has no issuer backend (no upki_url): a CSR that passes every
# check reaches the issuer step and is answered 500 serverInternal "no issuer
# backend is configured" (and nothing is stored); any other answer means a
# check refused it.
problem "an acceptable SAN CSR (P-256) passes the CSR checks" okcsr. 500 serverInternal
check_eq "... and is refused only for want of an issuer" "no issuer backend is configured" "$(field okcsr.detail)"
problem "a CN-only RSA-2048 CSR (UPKI shape) passes the CSR checks" cnonly. 500 serverInternal
check_eq "... and is refused only for want of an issuer" "no issuer backend is configured" "$(field cnonly.detail)"

# =============================================================================
# 15. http-01 validation failures: the challenge, the authorization and the
#     order become invalid with a problem, and stay readable.
# =============================================================================
py validation <<'PY'
import types
from acme_client import *
s = Session.from_env(); a = s.acme
cases = [("wrong.", "wrong.example.ac.jp", lambda t, ka: "not-the-key-authorization"),
         ("nofile.", "nofile.example.ac.jp", lambda t, ka: None),
         ("binary.", "binary.example.ac.jp", lambda t, ka: b"\xff\xfe\xfd\x80" + ka.encode()),
         ("cut.", "cut.example.ac.jp", lambda t, ka: "a" + "\u00e9" * 60)]
srv = Http01(int(os.environ["ACME_HTTP01"]))
try:
    for tag, name, body in cases:
        s.new_order("b", [name], save_as=tag).expect(201, location=True)
        s.start_challenges("b", tag, srv, body)
    for tag, name, body in cases:
        o, azs = s.wait_order("b", tag)
        az = azs[0]
        try:
            aj = az.json(); ch = aj["challenges"][0]
            report(az, tag=tag + "authz.", astatus=aj["status"], cstatus=ch["status"],
                   ctype=ch.get("error", {}).get("type"), cdetail=ch.get("error", {}).get("detail"))
        except ValueError as e:
            report(az, tag=tag + "authz.", astatus="unreadable: %s" % e)
        try:
            oj = o.json()
            report(o, tag=tag + "order.", ostatus=oj["status"], otype=oj.get("error", {}).get("type"))
        except ValueError as e:
            report(o, tag=tag + "order.", ostatus="unreadable: %s" % e)
        b = db_counts()
        report(s.post_as("b", s.order(tag)["obj"]["finalize"],
                         {"csr": b64u(make_csr(Key.ec(), sans=[name]))}), b, tag=tag + "fin.")
finally:
    srv.close()
# Nothing listens on the http-01 port now: a connection problem.
s.new_order("b", ["refused.example.ac.jp"], save_as="refused.").expect(201, location=True)
s.start_challenges("b", "refused.", types.SimpleNamespace(answers={}))
o, azs = s.wait_order("b", "refused.", timeout=30)
ch = azs[0].json()["challenges"][0]
report(azs[0], tag="refused.authz.", astatus=azs[0].json()["status"], cstatus=ch["status"],
       ctype=ch.get("error", {}).get("type"))
# A new order for a name whose authorization failed gets a fresh one.
r = s.new_order("b", ["wrong.example.ac.jp"], save_as="again")
report(r, tag="again.", ostatus=r.json().get("status"),
       fresh=r.json()["authorizations"][0] != s.order("wrong.")["obj"]["authorizations"][0])
PY
check_eq "wrong key authorization: challenge invalid, authz invalid" "invalid invalid" "$(field wrong.authz.cstatus) $(field wrong.authz.astatus)"
check_eq "wrong key authorization: incorrectResponse" "urn:ietf:params:acme:error:incorrectResponse" "$(field wrong.authz.ctype)"
check_eq "wrong key authorization: order invalid" invalid "$(field wrong.order.ostatus)"
check_eq "wrong key authorization: the order carries the error" "urn:ietf:params:acme:error:incorrectResponse" "$(field wrong.order.otype)"
problem "finalize after a failed validation" wrong.fin. 403 orderNotReady
check_eq "token not served (404): challenge invalid, authz invalid" "invalid invalid" "$(field nofile.authz.cstatus) $(field nofile.authz.astatus)"
check_eq "token not served: unauthorized" "urn:ietf:params:acme:error:unauthorized" "$(field nofile.authz.ctype)"
check_eq "token not served: order invalid" invalid "$(field nofile.order.ostatus)"
# The validator quotes what it got into the error detail: bytes that are not
# printable ASCII must not break the JSON of the authorization or the order.
check_eq "non-UTF-8 answer: the authorization stays readable (200)" 200 "$(field binary.authz.status)"
check_eq "non-UTF-8 answer: challenge invalid, incorrectResponse" "invalid urn:ietf:params:acme:error:incorrectResponse" "$(field binary.authz.cstatus) $(field binary.authz.ctype)"
check_eq "non-UTF-8 answer: the order stays readable, invalid" "200 invalid" "$(field binary.order.status) $(field binary.order.ostatus)"
check_eq "UTF-8 answer cut inside a character: authorization readable (200)" 200 "$(field cut.authz.status)"
check_eq "UTF-8 answer cut inside a character: order readable, invalid" "200 invalid" "$(field cut.order.status) $(field cut.order.ostatus)"
check_eq "nothing listening on the http-01 port: challenge invalid" "invalid invalid" "$(field refused.authz.cstatus) $(field refused.authz.astatus)"
check_eq "nothing listening: connection problem" "urn:ietf:params:acme:error:connection" "$(field refused.authz.ctype)"
check_eq "new order after a failed authorization: pending with a fresh authorization" "201 pending True" \
	"$(field again.status) $(field again.ostatus) $(field again.fresh)"

# =============================================================================
# 16. A deactivated authorization is no longer enough to issue (RFC 8555 §7.5.2)
# =============================================================================
py authz-deact <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
s.new_order("a", ["deauth.example.ac.jp"], save_as="deauth").expect(201, location=True)
o, azs, _ = s.validate("a", "deauth")
report(o, tag="ready.", ostatus=o.json()["status"])
az = s.order("deauth")["obj"]["authorizations"][0]
r = s.post_as("a", az, {"status": "deactivated"})
report(r, tag="deact.", astatus=r.json().get("status") if r.status == 200 else "")
b = db_counts()
report(s.post_as("a", az, {"status": "deactivated"}), b, tag="twice.")
o = s.post_as("a", s.order("deauth")["url"], None)
report(o, tag="order.", ostatus=o.json().get("status") if o.status == 200 else "")
b = db_counts()
report(s.post_as("a", s.order("deauth")["obj"]["finalize"],
                 {"csr": b64u(make_csr(Key.ec(), sans=["deauth.example.ac.jp"]))}), b, tag="fin.")
r = s.new_order("a", ["deauth.example.ac.jp"])
report(r, tag="new.", ostatus=r.json().get("status"), fresh=r.json()["authorizations"][0] != az)
PY
check_eq "order ready before the deactivation" ready "$(field ready.ostatus)"
check_eq "authorization deactivated: 200 deactivated" "200 deactivated" "$(field deact.status) $(field deact.astatus)"
problem "deactivating it again" twice. 400 malformed
# [server bug 2] acme_order_refresh() never looks at the authorizations of a
# "ready" order again, so the order stays ready and finalize goes on to the
# issuer with a deactivated authorization.
check_eq "[server bug 2] the order is no longer ready (invalid)" "200 invalid" "$(field order.status) $(field order.ostatus)"
problem "[server bug 2] finalize with a deactivated authorization" fin. 403 orderNotReady
check_eq "a new order for the name gets a fresh pending authorization" "201 pending True" \
	"$(field new.status) $(field new.ostatus) $(field new.fresh)"

# =============================================================================
# 17. Contacts and newAccount members
# =============================================================================
py contacts "$(eab_kid x)" "$(eab_hmac x)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
xk, xh = sys.argv[1:3]
def probe(tag, contact=None, **payload_extra):
    k = Key.ec()
    payload = {"termsOfServiceAgreed": True, "externalAccountBinding": a.eab(xk, xh, k)}
    if contact is not None:
        payload["contact"] = contact
    payload.update(payload_extra)
    b = db_counts()
    report(a.post(a.url("newAccount"), payload, k), b, tag=tag)
probe("tel.", ["tel:+81-52-000-0000"])
probe("hfield.", ["mailto:admin@example.ac.jp?subject=hi"])
probe("two.", ["mailto:a@example.ac.jp,b@example.ac.jp"])
probe("noat.", ["mailto:admin"])
probe("notarr.", "mailto:admin@example.ac.jp")
probe("ctrl.", ["mailto:ad\u0001min@example.ac.jp"])
probe("ore.", None, onlyReturnExisting="yes")
probe("tos.", None, termsOfServiceAgreed="yes")
_, kid = s.account("a")
b = db_counts()
report(s.post_as("a", kid, {"contact": ["tel:+81"]}), b, tag="upd.")
r = s.post_as("a", kid, None)
report(r, tag="after.", contact=",".join(r.json().get("contact", [])))
PY
problem "tel: contact" tel. 400 unsupportedContact
problem "mailto: with hfields" hfield. 400 invalidContact
problem "mailto: with two addresses" two. 400 invalidContact
problem "mailto: without @" noat. 400 invalidContact
problem "contact that is not an array" notarr. 400 malformed
problem "contact with a control character" ctrl. 400 invalidContact
problem "onlyReturnExisting that is not a boolean" ore. 400 malformed
problem "termsOfServiceAgreed that is not a boolean" tos. 400 malformed
problem "account update with a tel: contact" upd. 400 unsupportedContact
check_eq "the account's contact is unchanged after the refused update" "mailto:admin@example.ac.jp" "$(field after.contact)"
check_eq "EAB key x is still unbound after the refused accounts" account=0 "$(eab_account x)"

# =============================================================================
# 11. Account deactivation (last: it uses account c only)
# =============================================================================
py deact "$(eab_kid c)" "$(eab_hmac c)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
r, key = s.register("c", "ES256", sys.argv[1], sys.argv[2])
r.expect(201, location=True)
s.new_order("c", ["deact.example.ac.jp"], save_as="oc").expect(201, location=True)
_, kid = s.account("c")
r = s.post_as("c", kid, {"status": "deactivated"})
report(r, tag="deact.", astatus=r.json().get("status") if r.status == 200 else "")
def probe(tag, url, payload):
    b = db_counts()
    report(s.post_as("c", url, payload), b, tag=tag)
probe("get.", kid, None)
probe("neworder.", a.url("newOrder"), {"identifiers": [{"type": "dns", "value": "d2.example.ac.jp"}]})
probe("order.", s.order("oc")["url"], None)
probe("authz.", s.order("oc")["obj"]["authorizations"][0], None)
probe("reactivate.", kid, {"status": "valid"})
b = db_counts()
report(a.new_account(key, only_existing=True), b, tag="only.")
b = db_counts()
report(a.new_account(key), b, tag="newacct.")
PY
check_eq "deactivation: 200, status deactivated" "200 deactivated" "$(field deact.status) $(field deact.astatus)"
problem "deactivated account: POST-as-GET of the account" get. 401 unauthorized
problem "deactivated account: newOrder" neworder. 401 unauthorized
problem "deactivated account: its order" order. 401 unauthorized
problem "deactivated account: its authorization" authz. 401 unauthorized
problem "deactivated account: setting status back to valid" reactivate. 401 unauthorized
# [server bug 1] RFC 8555 §7.3.6: requests from a deactivated account get 401
# unauthorized; newAccount signed with its key answers 200 with the account
# object today (Boulder answers 401 "the account ... is deactivated").
problem "[server bug 1] deactivated key: newAccount onlyReturnExisting" only. 401 unauthorized
problem "[server bug 1] deactivated key: newAccount" newacct. 401 unauthorized

# =============================================================================
# 18. The nonce window (CONFIG_ACME_NONCE_POOL outstanding nonces)
# =============================================================================
POOL=$(sed -n 's/^#define CONFIG_ACME_NONCE_POOL \([0-9]*\).*/\1/p' "$O/include/autoconf.h")
py nonce-window "${POOL:-8192}" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
pool = int(sys.argv[1])
_, kid = s.account("a")
old = a.new_nonce()
a.burn_nonces(pool - 1)                 # old is now the oldest nonce in the window
report(s.post_as("a", kid, None, nonce=old), tag="edge.")
old = a.new_nonce()
a.burn_nonces(pool)                     # one more: old has left the window
b = db_counts()
report(s.post_as("a", a.url("newOrder"), {"identifiers": [{"type": "dns", "value": "w.example.ac.jp"}]},
                 nonce=old), b, tag="out.")
print("saved=%s" % a.new_nonce())       # used after the restart below
PY
check_eq "the oldest nonce still in the window is accepted" 200 "$(field edge.status)"
problem "a nonce pushed out of the window" out. 400 badNonce
SAVED=$(field saved)

# =============================================================================
# 19. Restart: nonces from before are refused, accounts and orders persist
# =============================================================================
check "SIGTERM stops the gateway" stop_pid "$PID_gw"
check "gateway restarts" gateway_start gw2 "$T/gw.conf"
py restart "$SAVED" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
_, kid = s.account("a")
b = db_counts()
r = s.post_as("a", a.url("newOrder"), {"identifiers": [{"type": "dns", "value": "r.example.ac.jp"}]},
              nonce=sys.argv[1])
report(r, b, tag="old.")
r2 = s.post_as("a", a.url("newOrder"), {"identifiers": [{"type": "dns", "value": "r.example.ac.jp"}]},
               nonce=r.nonce)
report(r2, tag="retry.")
report(s.post_as("a", kid, None), tag="acct.", astatus=a.log[-1].json().get("status"))
_, ckid = s.account("c")
b = db_counts()
report(s.post_as("c", ckid, None), b, tag="deact.")
PY
problem "a nonce from before the restart" old. 400 badNonce
check_eq "retry with the nonce from that answer: 201" 201 "$(field retry.status)"
check_eq "account a still valid after the restart" "200 valid" "$(field acct.status) $(field acct.astatus)"
problem "account c still deactivated after the restart" deact. 401 unauthorized

check "gateway still running" kill -0 "$PID_gw2"

# =============================================================================
# 20. A wall clock before the build date (faked with UPKI_CLOCK_OFFSET, read
#     by platform/host/host.c): finalize is refused with 503 serverInternal
#     and a Retry-After, nothing stored, a log line; the order stays ready.
# =============================================================================
check "SIGTERM stops the gateway (2)" stop_pid "$PID_gw2"
export UPKI_CLOCK_OFFSET=-410000000      # about 13 years back: before 2026
check "gateway starts with its clock 13 years back" gateway_start gw3 "$T/gw.conf"
unset UPKI_CLOCK_OFFSET
py clock <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
names = ["www.example.ac.jp", "mail.example.ac.jp"]
b = db_counts()
r = s.post_as("a", s.order("o1")["obj"]["finalize"], {"csr": b64u(make_csr(Key.rsa(2048), sans=names))})
report(r, b, tag="clock.", retry=r.header("Retry-After"))
report(s.post_as("a", s.order("o1")["url"], None), tag="clockstill.", ostatus=a.log[-1].json()["status"])
PY
problem "finalize while the clock is before the build date" clock. 503 serverInternal
check_eq "... with Retry-After in seconds" 3600 "$(field clock.retry)"
check_match "... the detail says the clock is not set" "clock is not set" "$(field clock.detail)"
check_eq "... and the order is still ready" "200 ready" "$(field clockstill.status) $(field clockstill.ostatus)"
check_match "the gateway logs the refused finalize" "finalize refused: the wall clock" "$(cat "$T/gw3.err")"
check_match "the gateway warns at start that its clock is shifted" "UPKI_CLOCK_OFFSET" "$(cat "$T/gw3.err")"
check "gateway still running (3)" kill -0 "$PID_gw3"
finish
