#!/usr/bin/env bash
# CAA (RFC 8659, RFC 8657; CA/B BR 3.2.2.8) against a loopback DNS server of
# the test's own (caa_dns.py: CAA flags, NXDOMAIN per type, a query log).
# At validation each identifier's own CAA decides after the http-01 challenge
# passed: every case of RFC 8659 section 4 and RFC 8657, and a SERVFAIL. At
# finalize (caa_max_age = 0: every reused authorization is past the re-check
# age) a multi-name order whose names have different CAA sets: only the
# refused name is named, and each name is looked up exactly once per check.
. "$(dirname "$0")/lib.sh"

STACK_DNS_PORT=$(free_port)
ZONE=$T/zone.json
QLOG=$T/queries.log
echo '{}' >"$ZONE"
: >"$QLOG"
start_bg cdns /usr/bin/python3 "$ROOT/tests/integration/caa_dns.py" "$STACK_DNS_PORT" "$ZONE" "$QLOG"
check "CAA DNS server starts" wait_port "$STACK_DNS_PORT" 10
printf 'caa_max_age = 0\nupki_wildcards = yes\n' >"$T/gw.extra"
check "stack starts" stack_start --time-scale 0.01 --delay-min 30 --delay-max 60 --rate-limit-seconds 1
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json PYTHONPATH=tests/integration
export EAB_KID EAB_HMAC HTTP01_PORT ZONE QLOG
E=urn:ietf:params:acme:error

py validation <<'PY'
import json, os
from acme_client import *
s = Session.from_env()
s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
s.register("b", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
me, other = s.account("a")[1], s.account("b")[1]
print("caaIdentities=%s" % ",".join(s.acme.directory()["meta"]["caaIdentities"]))
caa = {
    "ok.example.ac.jp": [[0, "issue", "secomtrust.net"]],
    "other.example.ac.jp": [[0, "issue", "letsencrypt.org"]],
    "two.example.ac.jp": [[0, "issue", "letsencrypt.org"], [0, "issue", "SecomTrust.NET"]],
    "noca.example.ac.jp": [[0, "issue", ";"]],
    "malformed.example.ac.jp": [[0, "issue", "secomtrust.net."]],
    "crit.example.ac.jp": [[128, "tbs", "x"], [0, "issue", "secomtrust.net"]],
    "noncrit.example.ac.jp": [[0, "tbs", "x"], [0, "issue", "secomtrust.net"]],
    "iodef.example.ac.jp": [[0, "iodef", "mailto:caa@example.ac.jp"]],
    "wildonly.example.ac.jp": [[0, "issuewild", ";"]],
    "parent.example.ac.jp": [[0, "issue", "letsencrypt.org"]],
    "acct.example.ac.jp": [[0, "issue", "secomtrust.net; accounturi=" + me]],
    "acctother.example.ac.jp": [[0, "issue", "secomtrust.net; accounturi=" + other]],
    "methods.example.ac.jp": [[0, "issue", "secomtrust.net; validationmethods=dns-01"]],
    "methodsok.example.ac.jp": [[0, "issue", "secomtrust.net; validationmethods=dns-01,http-01"]],
}
rcode = {"servfail.example.ac.jp/CAA": "SERVFAIL", "a.gone.example.ac.jp/CAA": "NXDOMAIN",
         "gone.example.ac.jp/CAA": "NXDOMAIN"}
json.dump({"caa": caa, "rcode": rcode}, open(os.environ["ZONE"], "w"))
srv = Http01(int(os.environ["HTTP01_PORT"]))
cases = ["ok", "other", "two", "noca", "malformed", "crit", "noncrit", "iodef", "wildonly",
         "sub.parent", "none", "a.gone", "acct", "acctother", "methods", "methodsok", "servfail"]
for c in cases:
    n = c + ".example.ac.jp"
    s.new_order("a", [n], save_as=c).expect(201)
for c in cases:
    s.start_challenges("a", c, srv)
for c in cases:
    _, azs = s.wait_order("a", c)
    az = azs[0].json()
    ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    err = ch.get("error", {})
    print("%s=%s %s" % (c, az["status"], err.get("type", "-")))
    print("%s_detail=%s" % (c, err.get("detail", "")))
srv.close()
PY
check_eq "directory: caaIdentities is caa_identities' default" secomtrust.net "$(field caaIdentities)"
check_eq "issue for us: valid" "valid -" "$(field ok)"
check_eq "issue for another CA: invalid, caa" "invalid $E:caa" "$(field other)"
check_match "... the detail names the identifier and the records" \
	'other\.example\.ac\.jp.*0 issue \\?"letsencrypt\.org' "$(field other_detail)"
check_eq "one of two issue records ours (case differs): valid" "valid -" "$(field two)"
check_eq "issue \";\" (no CA): invalid, caa" "invalid $E:caa" "$(field noca)"
check_eq "malformed issue value authorizes no CA: invalid" "invalid $E:caa" "$(field malformed)"
check_match "... says so" "malformed" "$(field malformed_detail)"
check_eq "critical unknown tag: invalid, caa" "invalid $E:caa" "$(field crit)"
check_match "... names the tag" "128 tbs" "$(field crit_detail)"
check_eq "unknown tag, not critical: ignored, valid" "valid -" "$(field noncrit)"
check_eq "iodef only: no restriction, valid" "valid -" "$(field iodef)"
check_eq "issuewild does not restrict a plain name: valid" "valid -" "$(field wildonly)"
check_eq "climb: the parent's CAA refuses sub.parent: invalid" "invalid $E:caa" "$(field sub.parent)"
check_match "... found at the parent" "records at parent\.example\.ac\.jp" "$(field sub.parent_detail)"
check_eq "no CAA up to the TLD: valid" "valid -" "$(field none)"
check_eq "NXDOMAIN on the way up: the climb goes on, valid" "valid -" "$(field a.gone)"
check_eq "accounturi of this account: valid" "valid -" "$(field acct)"
check_eq "accounturi of another account: invalid, caa" "invalid $E:caa" "$(field acctother)"
check_match "... says accounturi" "another ACME account" "$(field acctother_detail)"
check_eq "validationmethods=dns-01 refuses http-01" "invalid $E:caa" "$(field methods)"
check_match "... says so" "validation method http-01" "$(field methods_detail)"
check_eq "validationmethods listing http-01: valid" "valid -" "$(field methodsok)"
check_eq "SERVFAIL on CAA is not 'no CAA': invalid, dns" "invalid $E:dns" "$(field servfail)"
check_match "... says the lookup failed" "servfail\.example\.ac\.jp.*failed" "$(field servfail_detail)"
check_eq "the CAA of a name is looked up once per check" 1 \
	"$(grep -c '^none\.example\.ac\.jp CAA$' "$QLOG")"
check "... its climb reaches the TLD" grep -q '^jp CAA$' "$QLOG"
check "... and never asks the root" test "$(grep -c '^ CAA$' "$QLOG")" = 0

# issue vs issuewild for a wildcard order (dns-01: the TXT records come from the zone file too)
py wild <<'PY'
import json, os
from acme_client import *
s = Session.from_env()
class Zone:
    def set_txt(self, host, value):
        zone = json.load(open(os.environ["ZONE"]))
        zone.setdefault("txt", {}).setdefault(host.lower(), []).append(value)
        json.dump(zone, open(os.environ["ZONE"], "w"))
zone = json.load(open(os.environ["ZONE"]))
zone["caa"]["w1.example.ac.jp"] = [[0, "issue", "secomtrust.net"], [0, "issuewild", "letsencrypt.org"]]
zone["caa"]["w2.example.ac.jp"] = [[0, "issue", "letsencrypt.org"], [0, "issuewild", "secomtrust.net"]]
json.dump(zone, open(os.environ["ZONE"], "w"))
for w in ("w1", "w2"):
    n = w + ".example.ac.jp"
    s.new_order("a", [n, "*." + n], save_as=w).expect(201)
    s.start_dns01("a", w, Zone())
    _, azs = s.wait_order("a", w)
    for az in (x.json() for x in azs):
        kind = "wild" if az.get("wildcard") else "base"
        ch = [x for x in az["challenges"] if x["type"] == "dns-01"][0]
        print("%s_%s=%s %s" % (w, kind, az["status"], ch.get("error", {}).get("type", "-")))
        print("%s_%s_detail=%s" % (w, kind, ch.get("error", {}).get("detail", "")))
PY
check_eq "issuewild for another CA: the plain name (issue: us) is valid" "valid -" "$(field w1_base)"
check_eq "... the wildcard (issuewild: another CA) is refused: caa" "invalid $E:caa" "$(field w1_wild)"
check_match "... naming the wildcard and issuewild" '\*\.w1\.example\.ac\.jp.*issuewild' "$(field w1_wild_detail)"
check_eq "issue for another CA, issuewild for us: the plain name is refused" "invalid $E:caa" "$(field w2_base)"
check_eq "... the wildcard is valid (issuewild decides for it)" "valid -" "$(field w2_wild)"

py multi <<'PY'
import json, os
from acme_client import *
s = Session.from_env()
zone = json.load(open(os.environ["ZONE"]))
names = ["m1.example.ac.jp", "m2.example.ac.jp", "m3.example.ac.jp"]
zone["caa"]["m1.example.ac.jp"] = [[0, "issue", "secomtrust.net"]]
zone["caa"]["m2.example.ac.jp"] = [[0, "issue", "secomtrust.net"]]
zone["caa"]["m3.example.ac.jp"] = [[0, "issue", "secomtrust.net; validationmethods=http-01"]]
json.dump(zone, open(os.environ["ZONE"], "w"))
s.new_order("a", names, save_as="A").expect(201)
srv = Http01(int(os.environ["HTTP01_PORT"]))
s.start_challenges("a", "A", srv)
o, _ = s.wait_order("a", "A")
srv.close()
print("A=%s" % o.json()["status"])
# m2's owner now allows another CA only; the authorizations are reused
zone["caa"]["m2.example.ac.jp"] = [[0, "issue", "letsencrypt.org"]]
json.dump(zone, open(os.environ["ZONE"], "w"))
s.new_order("a", names, save_as="B").expect(201)
print("reused=%s" % (s.order("B")["obj"]["authorizations"] == s.order("A")["obj"]["authorizations"]))
print("B_before=%s" % s.post_as("a", s.order("B")["url"], None).json()["status"])
open(os.environ["QLOG"], "w").close()
csr = make_csr(Key.rsa(2048), cn=names[0])
r = s.post_as("a", s.order("B")["obj"]["finalize"], {"csr": b64u(csr)})
p = r.problem or {}
print("finB=%d %s" % (r.status, p.get("type")))
print("finB_detail=%s" % p.get("detail"))
subs = p.get("subproblems", [])
print("subs=%s" % ",".join(sorted(x["identifier"]["value"] for x in subs)))
print("subs_type=%s" % ",".join(x["type"] for x in subs))
print("subs_detail=%s" % " | ".join(x["detail"] for x in subs))
print("B_after=%s" % s.post_as("a", s.order("B")["url"], None).json()["status"])
print("qB=%s" % ",".join(open(os.environ["QLOG"]).read().split("\n")))
# m2 allows us again: a third order with the same authorizations goes through
zone["caa"]["m2.example.ac.jp"] = [[0, "issue", "secomtrust.net"]]
json.dump(zone, open(os.environ["ZONE"], "w"))
s.new_order("a", names, save_as="C").expect(201)
open(os.environ["QLOG"], "w").close()
r = s.post_as("a", s.order("C")["obj"]["finalize"], {"csr": b64u(csr)})
print("finC=%d %s" % (r.status, r.json().get("status") if r.status == 200 else r.problem_type))
print("qC=%s" % ",".join(open(os.environ["QLOG"]).read().split("\n")))
PY
check_eq "multi-name order validated" ready "$(field A)"
check_eq "the next order reuses its authorizations" True "$(field reused)"
check_eq "... and is ready" ready "$(field B_before)"
check_eq "finalize with one name refused by CAA now: 403 caa" "403 $E:caa" "$(field finB)"
check_eq "... one subproblem, naming only the refused name" m2.example.ac.jp "$(field subs)"
check_eq "... of type caa" "$E:caa" "$(field subs_type)"
check_match "... with the records seen" 'letsencrypt\.org' "$(field subs_detail)"
check_match "... the problem's detail names m2 only" ": m2\.example\.ac\.jp$" "$(field finB_detail)"
check_eq "... the order is invalid" invalid "$(field B_after)"
qb=$(field qB)
for n in m1 m2 m3; do
	check_eq "re-check at finalize: $n looked up exactly once" 1 \
		"$(printf '%s' "$qb" | tr ',' '\n' | grep -c "^$n\.example\.ac\.jp CAA$")"
done
check_eq "... and nothing else was looked up" 3 "$(printf '%s' "$qb" | tr ',' '\n' | grep -c .)"
check_match "finalize once m2 allows us again: accepted" "^200 (processing|valid)$" "$(field finC)"
qc=$(field qC)
for n in m1 m2 m3; do
	check_eq "... $n looked up exactly once again" 1 \
		"$(printf '%s' "$qc" | tr ',' '\n' | grep -c "^$n\.example\.ac\.jp CAA$")"
done
finish
