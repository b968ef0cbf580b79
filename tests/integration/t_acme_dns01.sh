#!/usr/bin/env bash
# dns-01 (RFC 8555 §8.4) and wildcards against pebble-challtestsrv on
# loopback, with upki_wildcards on: every authorization of a name offers
# http-01, tls-alpn-01 and dns-01, a wildcard's only dns-01 (wildcard: true, value without
# "*."); our own client validates by TXT (one of several matching, a CNAME to
# another zone, a wildcard and its base name at one TXT name), fails with the
# right type and a detail that says what was seen (wrong TXT, no TXT,
# SERVFAIL); the EAB allow-list decides which keys may ask for a wildcard;
# a wildcard is issued through UPKI's dNSName column (the simulator with
# --accept-wildcards), never as the first name (the CN); lego (--dns exec) and
# certbot (--manual hooks) get certificates by dns-01.
# NXDOMAIN (challtestsrv never answers it) is in tests/unit/test_validate_dns01.c.
. "$(dirname "$0")/lib.sh"

echo "upki_wildcards = yes" >"$T/gw.extra"
check "UPKI simulator, DNS and gateway start" stack_start --time-scale 0.02 --delay-min 30 --delay-max 90 \
	--rate-limit-seconds 1 --accept-wildcards
"$BIN" -c "$T/gw.conf" eab new --name exact --allow w2.example.ac.jp >"$T/eab.exact"
"$BIN" -c "$T/gw.conf" eab new --name sub --allow '*.w3.example.ac.jp' >"$T/eab.sub"
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json ACME_DB=$T/var/db \
	ACME_HTTP01=$HTTP01_PORT PYTHONPATH=$ROOT/tests/integration DNS_MGMT EAB_KID EAB_HMAC
export EXACT_KID=$(awk '/^kid:/ {print $2}' "$T/eab.exact") EXACT_HMAC=$(awk '/^hmac:/ {print $2}' "$T/eab.exact")
export SUB_KID=$(awk '/^kid:/ {print $2}' "$T/eab.sub") SUB_HMAC=$(awk '/^hmac:/ {print $2}' "$T/eab.sub")
E=urn:ietf:params:acme:error

py dns01 <<'PY'
from acme_client import *
s = Session.from_env()
dns = ChallTestSrv(os.environ["DNS_MGMT"])
s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])[0].expect(201, location=True)

def run(tag, names, txt=None):
    s.new_order("a", names, save_as=tag).expect(201)
    azs = s.start_dns01("a", tag, dns, txt)
    r, last = s.wait_order("a", tag)
    print("%s_types=%s" % (tag, ";".join(",".join(c["type"] for c in az["challenges"]) for az in azs)))
    print("%s_values=%s" % (tag, ",".join(az["identifier"]["value"] for az in azs)))
    print("%s_wild=%s" % (tag, ",".join(str(az.get("wildcard", False)).lower() for az in azs)))
    print("%s=%s" % (tag, ",".join(z.json()["status"] for z in last)))
    print("%s_order=%s" % (tag, r.json()["status"]))
    for z in last:
        for c in z.json()["challenges"]:
            if c["type"] == "dns-01" and "error" in c:
                print("%s_etype=%s" % (tag, c["error"]["type"]))
                print("%s_edetail=%s" % (tag, c["error"]["detail"]))
            if c["type"] == "dns-01" and c["status"] == "valid":
                print("%s_validated=%s" % (tag, "yes" if c.get("validated") else "no"))

run("good", ["d1.example.ac.jp"])
run("several", ["d2.example.ac.jp"], lambda n, right: ["v=spf1 -all", right, "x" * 200])
run("wrong", ["d3.example.ac.jp"],
    lambda n, right: ["wrong-\"value\"", right[:-1] + ("B" if right[-1] == "A" else "A")])
run("notxt", ["d4.example.ac.jp"], lambda n, right: None)
dns.set_servfail("_acme-challenge.d5.example.ac.jp")
run("servfail", ["d5.example.ac.jp"], lambda n, right: None)
# A CNAME from _acme-challenge.d6 to a validation zone that holds the TXT.
def cname(n, right):
    dns.set_cname("_acme-challenge." + n, "d6.acme-dv.example.net")
    dns.set_txt("d6.acme-dv.example.net", right)
    return None
run("cname", ["d6.example.ac.jp"], cname)
# A wildcard and its base name: two authorizations for w.example.ac.jp, two TXT at one name.
run("wild", ["w.example.ac.jp", "*.w.example.ac.jp"])
r = s.new_order("a", ["w.example.ac.jp", "*.w.example.ac.jp"])
print("wild_again=%d %s" % (r.status, r.json()["status"]))   # the valid authorizations are reused

# The allow-list: an exact name does not permit its wildcard; *.w3 permits *.w3 and *.x.w3 only.
s.register("exact", "ES256", os.environ["EXACT_KID"], os.environ["EXACT_HMAC"])[0].expect(201)
s.register("sub", "ES256", os.environ["SUB_KID"], os.environ["SUB_HMAC"])[0].expect(201)
report(s.new_order("exact", ["w2.example.ac.jp", "*.w2.example.ac.jp"]), tag="ex_wild.")
report(s.new_order("exact", ["w2.example.ac.jp"]), tag="ex_name.")
report(s.new_order("sub", ["h.w3.example.ac.jp", "*.w3.example.ac.jp"]), tag="sub_wild.")
report(s.new_order("sub", ["h.x.w3.example.ac.jp", "*.x.w3.example.ac.jp"]), tag="sub_deep.")
report(s.new_order("sub", ["h.w3.example.ac.jp", "*.example.ac.jp"]), tag="sub_up.")
report(s.new_order("sub", ["w3.example.ac.jp"]), tag="sub_apex.")
PY
check_eq "a name's authorization offers http-01, tls-alpn-01 and dns-01" "http-01,tls-alpn-01,dns-01" "$(field good_types)"
check_eq "dns-01 with the right TXT: valid" valid "$(field good)"
check_eq "... the order becomes ready" ready "$(field good_order)"
check_eq "... the challenge carries 'validated'" yes "$(field good_validated)"
check_eq "one of three TXT records matches: valid" valid "$(field several)"
check_eq "wrong TXT records: invalid" invalid "$(field wrong)"
check_eq "... incorrectResponse" "$E:incorrectResponse" "$(field wrong_etype)"
check_match "... the detail says where, how many, and the first value (sanitized)" \
	'TXT records at _acme-challenge\.d3\.example\.ac\.jp: 2, none matches [A-Za-z0-9_-]{43}; first: "wrong-\?value\?"' \
	"$(field wrong_edetail)"
check_eq "no TXT record: invalid" invalid "$(field notxt)"
check_eq "... unauthorized" "$E:unauthorized" "$(field notxt_etype)"
check_eq "... saying so" "no TXT record at _acme-challenge.d4.example.ac.jp" "$(field notxt_edetail)"
check_eq "SERVFAIL: invalid" invalid "$(field servfail)"
check_eq "... dns" "$E:dns" "$(field servfail_etype)"
check_match "... after 3 tries" "SERVFAIL.*_acme-challenge\.d5\.example\.ac\.jp \(3 tries\)" "$(field servfail_edetail)"
check_eq "a CNAME to another zone holding the TXT: valid" valid "$(field cname)"
check_eq "the base name: all three; the wildcard: dns-01 only" "http-01,tls-alpn-01,dns-01;dns-01" "$(field wild_types)"
check_eq "wildcard: the authorization's value has no '*.'" "w.example.ac.jp,w.example.ac.jp" "$(field wild_values)"
check_eq "wildcard: 'wildcard: true' on the wildcard's authorization only" "false,true" "$(field wild_wild)"
check_eq "wildcard and base name, two TXT at one name: both valid" "valid,valid" "$(field wild)"
check_eq "... the order is ready" ready "$(field wild_order)"
check_eq "a second wildcard order reuses the valid authorization" "201 ready" "$(field wild_again)"
check_eq "allow-list 'w2.example.ac.jp' refuses '*.w2.example.ac.jp'" "403 $E:rejectedIdentifier" \
	"$(field ex_wild.status) $(field ex_wild.type)"
check_match "... saying the name is not in the key's list" "not in the list" "$(field ex_wild.detail)"
check_eq "... naming the wildcard only" "*.w2.example.ac.jp" "$(field ex_wild.sub_values)"
check_eq "... and takes the name itself" 201 "$(field ex_name.status)"
check_eq "allow-list '*.w3.example.ac.jp' takes '*.w3.example.ac.jp'" 201 "$(field sub_wild.status)"
check_eq "... and '*.x.w3.example.ac.jp'" 201 "$(field sub_deep.status)"
check_eq "... not '*.example.ac.jp'" "403 $E:rejectedIdentifier *.example.ac.jp" \
	"$(field sub_up.status) $(field sub_up.type) $(field sub_up.sub_values)"
check_eq "... nor 'w3.example.ac.jp'" 403 "$(field sub_apex.status)"
check_match "the gateway logs each result with its method" "authz [0-9]+ \(\*\.w\.example\.ac\.jp\): dns-01 valid" \
	"$(cat "$T/gw.err" "$T/gw.out" 2>/dev/null)"

# --- a wildcard certificate through UPKI: the host name first (CN), the wildcard in column 13
py wildcert <<'PY'
from acme_client import *
s = Session.from_env()
dns = ChallTestSrv(os.environ["DNS_MGMT"])
report(s.new_order("a", ["*.w8.example.ac.jp", "w8.example.ac.jp"]), tag="first.")
names = ["w9.example.ac.jp", "*.w9.example.ac.jp"]
s.new_order("a", names, save_as="w9").expect(201)
s.start_dns01("a", "w9", dns)
o, _ = s.wait_order("a", "w9")
print("ready=%s" % o.json()["status"])
fin = s.post_as("a", s.order("w9")["obj"]["finalize"], {"csr": b64u(make_csr(Key.rsa(2048), cn=names[0]))})
print("finalize=%d" % fin.status)
for _ in range(240):
    o = s.post_as("a", s.order("w9")["url"], None).json()
    if o["status"] != "processing":
        break
    time.sleep(0.5)
print("status=%s" % o["status"])
if o["status"] == "valid":
    open(os.environ["ACME_STATE"] + ".w9.pem", "wb").write(s.post_as("a", o["certificate"], None).body)
PY
check_eq "a wildcard as the first name (the CN): 403 rejectedIdentifier" "403 $E:rejectedIdentifier" \
	"$(field first.status) $(field first.type)"
check_match "... saying why and what to do" "first name.*CN.*list a host name first" "$(field first.detail)"
check_eq "host name + wildcard: ready after dns-01" ready "$(field ready)"
check_eq "... finalized with a CN-only CSR" 200 "$(field finalize)"
check_eq "... the order becomes valid" valid "$(field status)"
san=$(openssl x509 -noout -ext subjectAltName -in "$T/state.json.w9.pem" 2>/dev/null | tr -d ' \n')
check_match "... the certificate names the host and the wildcard" \
	"DNS:w9\.example\.ac\.jp,DNS:\*\.w9\.example\.ac\.jp" "$san"
check_match "... the UPKI application carried the wildcard in its dNSName column" \
	"w9\.example\.ac\.jp,\*\.w9\.example\.ac\.jp" "$(sim_state)"

# --- lego --dns exec: the hook script calls the challtestsrv API -------------------------
cat >"$T/lego-hook.sh" <<HOOK
#!/bin/sh
# lego exec provider: \$1 present|cleanup, \$2 FQDN with the final dot, \$3 the TXT value.
case "\$1" in
present) curl -s -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" http://127.0.0.1:$DNS_MGMT/set-txt ;;
cleanup) curl -s -d "{\"host\":\"\$2\"}" http://127.0.0.1:$DNS_MGMT/clear-txt ;;
esac
HOOK
chmod +x "$T/lego-hook.sh"
upki_csr l1.example.ac.jp "$T/l1"
EXEC_PATH=$T/lego-hook.sh EXEC_SEQUENCE_INTERVAL=1 EXEC_PROPAGATION_TIMEOUT=30 EXEC_POLLING_INTERVAL=1 \
LEGO_CA_CERTIFICATES=$CA timeout 180 lego --accept-tos --server "$URL/directory" --path "$T/lego" \
	--email admin@example.ac.jp --eab --kid="$EAB_KID" --hmac="$EAB_HMAC" \
	--dns exec --dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp --csr "$T/l1.csr" run >"$T/lego.out" 2>&1
crt=$T/lego/certificates/l1.example.ac.jp.crt
check "lego --dns exec obtains a certificate by dns-01" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/lego.out"
check_match "... validated by dns-01 (gateway log)" "\(l1\.example\.ac\.jp\): dns-01 valid" "$(cat "$T/gw.err" "$T/gw.out" 2>/dev/null)"

# --- certbot --manual with hooks ---------------------------------------------------------
cat >"$T/cb-auth.sh" <<HOOK
#!/bin/sh
curl -s -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" http://127.0.0.1:$DNS_MGMT/set-txt
HOOK
cat >"$T/cb-clean.sh" <<HOOK
#!/bin/sh
curl -s -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" http://127.0.0.1:$DNS_MGMT/clear-txt
HOOK
chmod +x "$T/cb-auth.sh" "$T/cb-clean.sh"
upki_csr c1.example.ac.jp "$T/c1"
REQUESTS_CA_BUNDLE=$CA timeout 180 certbot certonly --manual -n --agree-tos --server "$URL/directory" \
	--config-dir "$T/cb/etc" --work-dir "$T/cb/work" --logs-dir "$T/cb/logs" \
	--preferred-challenges dns --manual-auth-hook "$T/cb-auth.sh" --manual-cleanup-hook "$T/cb-clean.sh" \
	--eab-kid="$EAB_KID" --eab-hmac-key="$EAB_HMAC" --email admin@example.ac.jp --no-eff-email \
	--csr "$T/c1.csr" --cert-path "$T/c1.crt" --chain-path "$T/c1.chain" --fullchain-path "$T/c1.full" \
	>"$T/certbot.out" 2>&1
check "certbot --manual --preferred-challenges dns obtains a certificate" test -s "$T/c1.crt"
[ -s "$T/c1.crt" ] || { tail -20 "$T/certbot.out"; grep -h "urn:ietf" "$T/cb/logs/letsencrypt.log" | tail -3; }
check_match "... validated by dns-01 (gateway log)" "\(c1\.example\.ac\.jp\): dns-01 valid" "$(cat "$T/gw.err" "$T/gw.out" 2>/dev/null)"
finish
