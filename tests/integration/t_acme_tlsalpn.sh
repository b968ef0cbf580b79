#!/usr/bin/env bash
# tls-alpn-01 (RFC 8737): lego --tls obtains a certificate through the gateway;
# then a TLS server of the test's own (Python ssl on loopback) shows crafted
# certificates and the gateway must refuse each with the right ACME type and a
# detail naming the address and what was wrong: wrong digest, non-critical
# acmeIdentifier, two SANs, no ALPN, nothing listening. Every challenge list
# offers tls-alpn-01 beside http-01; the gateway sends SNI and offers only
# acme-tls/1 (the test server prefers other protocols when offered).
. "$(dirname "$0")/lib.sh"

ALPN_PORT=$(free_port)
echo "tlsalpn01_port = $ALPN_PORT" >"$T/gw.extra"
check "UPKI simulator, DNS and gateway start" stack_start --time-scale 0.02 --delay-min 30 --delay-max 90 --rate-limit-seconds 1

# --- lego serving the challenge itself -----------------------------------------------
upki_csr www1.example.ac.jp "$T/c1"
LEGO_CA_CERTIFICATES=$CA timeout 180 lego --accept-tos --server "$URL/directory" --path "$T/lego" \
	--email admin@example.ac.jp --eab --kid="$EAB_KID" --hmac="$EAB_HMAC" \
	--tls --tls.port "127.0.0.1:$ALPN_PORT" --csr "$T/c1.csr" run >"$T/lego.out" 2>&1
crt=$T/lego/certificates/www1.example.ac.jp.crt
check "lego --tls obtains a certificate" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/lego.out"
check_match "the gateway validated it with tls-alpn-01" \
	"authz [0-9]+ \(www1.example.ac.jp\): tls-alpn-01 valid" "$(cat "$T/gw.out" "$T/gw.err")"
check_match "... at the configured port on loopback" \
	"tls-alpn-01 www1.example.ac.jp: valid certificate at 127.0.0.1:$ALPN_PORT" "$(cat "$T/gw.out" "$T/gw.err")"

# --- crafted answers -------------------------------------------------------------------
cat >"$T/alpntest.py" <<'PY'
# alpntest.py (written by t_acme_tlsalpn.sh): tls-alpn-01 answers of the test's own.
import datetime, socket, ssl, sys, threading
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

def make_cert(path, sans, digest, critical=True, acme_id=True, pad=0):
    k = ec.generate_private_key(ec.SECP256R1())
    n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme tls-alpn-01 test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in sans]), critical=False))
    if acme_id:
        b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.5.5.7.1.31"),
                                                       b"\x04\x20" + digest), critical=critical)
    if pad:
        b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                                                       b"\x04\x82" + pad.to_bytes(2, "big") + b"p" * pad), critical=False)
    c = b.sign(k, hashes.SHA256())
    with open(path + ".crt", "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(path + ".key", "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    return path + ".crt", path + ".key"

class Server:
    """One TLS listener on 127.0.0.1:port: handshakes, records SNI and ALPN, closes."""
    def __init__(self, port, crt, keyf, alpn):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(crt, keyf)
        if alpn:
            self.ctx.set_alpn_protocols(alpn)
        self.sni, self.alpn, self.stop = [], [], False
        self.ctx.sni_callback = lambda so, name, c: self.sni.append(name)
        self.sock = socket.create_server(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()
    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            c.settimeout(5)
            try:
                t = self.ctx.wrap_socket(c, server_side=True)
                self.alpn.append(t.selected_alpn_protocol())
                t.recv(10)          # the gateway sends nothing and closes
                t.close()
            except (ssl.SSLError, OSError):
                self.alpn.append("handshake failed")
                c.close()
    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()


if __name__ == "__main__":
    # alpntest.py PORT: listen and never answer; alpntest.py PORT CRT KEY: serve acme-tls/1.
    port = int(sys.argv[1])
    if len(sys.argv) == 2:
        sock, held = socket.create_server(("127.0.0.1", port)), []
        while True:
            held.append(sock.accept()[0])
            print("accepted", flush=True)
    srv = Server(port, sys.argv[2], sys.argv[3], ["acme-tls/1"])
    srv.t.join()
PY
export DNS_MGMT ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json ACME_DB=$T/var/db \
	PYTHONPATH=$ROOT/tests/integration:$T
py crafted "$EAB_KID" "$EAB_HMAC" "$ALPN_PORT" "$T" <<'PY'
import hashlib, sys, time
from acme_client import *
from alpntest import make_cert, Server

port, tmp = int(sys.argv[3]), sys.argv[4]
s = Session.from_env()
s.register("a", "ES256", sys.argv[1], sys.argv[2])
key, _ = s.account("a")

def case(tag, name, sans=None, alpn=("h2", "http/1.1", "acme-tls/1"), wrong=False, **kw):
    o = s.new_order("a", [name], save_as=tag)
    az_url = o.json()["authorizations"][0]
    az = s.post_as("a", az_url, None).json()
    types = [c["type"] for c in az["challenges"]]
    ch = [c for c in az["challenges"] if c["type"] == "tls-alpn-01"][0]
    ka = ch["token"] + "." + key.thumbprint()
    digest = hashlib.sha256((ka + "x" if wrong else ka).encode()).digest()
    srv = None
    if sans is not None:
        crt, keyf = make_cert(tmp + "/" + tag, sans, digest, **kw)
        srv = Server(port, crt, keyf, list(alpn) if alpn else None)
    try:
        s.post_as("a", ch["url"], {}).expect(200)
        deadline = time.time() + 20
        while True:
            az = s.post_as("a", az_url, None).json()
            if az["status"] != "pending" or time.time() > deadline:
                break
            time.sleep(0.2)
    finally:
        if srv:
            srv.close()
    ch = [c for c in az["challenges"] if c["type"] == "tls-alpn-01"][0]
    err = ch.get("error", {})
    print("%s.types=%s" % (tag, ",".join(types)))
    print("%s.authz=%s" % (tag, az["status"]))
    print("%s.chall=%s" % (tag, ch["status"]))
    print("%s.type=%s" % (tag, err.get("type", "")))
    print("%s.detail=%s" % (tag, err.get("detail", "")))
    if srv:
        print("%s.sni=%s" % (tag, ",".join(srv.sni)))
        print("%s.alpn=%s" % (tag, ",".join(str(a) for a in srv.alpn)))

case("good", "good.example.ac.jp", ["good.example.ac.jp"])
case("digest", "digest.example.ac.jp", ["digest.example.ac.jp"], wrong=True)
case("noncrit", "noncrit.example.ac.jp", ["noncrit.example.ac.jp"], critical=False)
case("noid", "noid.example.ac.jp", ["noid.example.ac.jp"], acme_id=False)
case("twosan", "twosan.example.ac.jp", ["twosan.example.ac.jp", "other.example.ac.jp"])
case("wrongname", "wrongname.example.ac.jp", ["www.example.ac.jp"])
case("noalpn", "noalpn.example.ac.jp", ["noalpn.example.ac.jp"], alpn=None)
case("big", "big.example.ac.jp", ["big.example.ac.jp"], pad=5000)
case("refused", "refused.example.ac.jp")
# a name whose address is denied (link-local): no connection is made at all
ChallTestSrv(int(os.environ["DNS_MGMT"]))._post("/add-a", {"host": "denied.example.ac.jp.",
                                                          "addresses": ["169.254.169.254"]})
case("denied", "denied.example.ac.jp")
PY
A="127\.0\.0\.1:$ALPN_PORT"
check_eq "challenges offered: http-01, tls-alpn-01 and dns-01" "http-01,tls-alpn-01,dns-01" "$(field good.types)"
check_eq "a correct certificate: challenge valid" valid "$(field good.chall)"
check_eq "... authorization valid" valid "$(field good.authz)"
check_eq "... SNI is the name" good.example.ac.jp "$(field good.sni)"
check_eq "... only acme-tls/1 offered (the server prefers h2 and http/1.1)" acme-tls/1 "$(field good.alpn)"
check_eq "wrong digest: invalid" "invalid invalid" "$(field digest.authz) $(field digest.chall)"
check_eq "wrong digest: incorrectResponse" urn:ietf:params:acme:error:incorrectResponse "$(field digest.type)"
check_match "wrong digest: detail names the address and the digest" \
	"at $A for digest.example.ac.jp: .*acmeIdentifier \([0-9a-f]{64}\) is not the SHA-256 digest" "$(field digest.detail)"
check_eq "non-critical acmeIdentifier: incorrectResponse" urn:ietf:params:acme:error:incorrectResponse "$(field noncrit.type)"
check_match "non-critical acmeIdentifier: detail" "at $A .*acmeIdentifier extension is not marked critical" "$(field noncrit.detail)"
check_eq "no acmeIdentifier: incorrectResponse" urn:ietf:params:acme:error:incorrectResponse "$(field noid.type)"
check_match "no acmeIdentifier: detail" "at $A .*no acmeIdentifier extension" "$(field noid.detail)"
check_eq "two SANs: incorrectResponse" urn:ietf:params:acme:error:incorrectResponse "$(field twosan.type)"
check_match "two SANs: detail" "at $A .*subjectAltName has 2 entries .*not exactly one dNSName" "$(field twosan.detail)"
check_eq "another name: incorrectResponse" urn:ietf:params:acme:error:incorrectResponse "$(field wrongname.type)"
check_match "another name: detail" "at $A .*certificate is for www.example.ac.jp, not wrongname.example.ac.jp" "$(field wrongname.detail)"
check_eq "no ALPN from the server: invalid" invalid "$(field noalpn.chall)"
check_eq "no ALPN from the server: tls" urn:ietf:params:acme:error:tls "$(field noalpn.type)"
check_match "no ALPN from the server: detail" "at $A for noalpn.example.ac.jp: the server did not select the ALPN protocol acme-tls/1" "$(field noalpn.detail)"
check_eq "a certificate over 4 KiB: tls" urn:ietf:params:acme:error:tls "$(field big.type)"
check_match "a certificate over 4 KiB: detail" "at $A for big.example.ac.jp: TLS handshake failed: BR_ERR_X509_LIMIT_EXCEEDED.* \\(its certificate is over 4096 bytes\\)" "$(field big.detail)"
check_eq "nothing listening: connection" urn:ietf:params:acme:error:connection "$(field refused.type)"
check_match "nothing listening: detail names the address" "cannot connect to $A: Connection refused" "$(field refused.detail)"
check_eq "an address in a denied net: connection" urn:ietf:params:acme:error:connection "$(field denied.type)"
check_match "... the detail says why it was not contacted" "169\.254\.169\.254.* denied net 169\.254\.0\.0/16" "$(field denied.detail)"
check "... and the gateway logs that it did not connect" \
	grep -q "tls-alpn-01 denied.example.ac.jp: not connecting to 169.254.169.254" "$T/gw.err"
check "the gateway is still running" kill -0 "$PID_gw"

# --- a validation in flight at shutdown: dropped cleanly, resumed at the next start ---------
start_bg silent /usr/bin/python3 "$T/alpntest.py" "$ALPN_PORT"
check "a listener that never answers starts" wait_port "$ALPN_PORT" 10
py inflight "$T" "$T/silent.out" <<'PY'
import hashlib, os, sys, time
from acme_client import *
from alpntest import make_cert
s = Session.from_env()
key, _ = s.account("a")
o = s.new_order("a", ["resume.example.ac.jp"], save_as="resume")
az_url = o.json()["authorizations"][0]
ch = [c for c in s.post_as("a", az_url, None).json()["challenges"] if c["type"] == "tls-alpn-01"][0]
make_cert(sys.argv[1] + "/resume", ["resume.example.ac.jp"],
          hashlib.sha256((ch["token"] + "." + key.thumbprint()).encode()).digest())
s.post_as("a", ch["url"], {}).expect(200)
deadline = time.time() + 10   # until the gateway has connected (its ClientHello goes unanswered)
while time.time() < deadline and "accepted" not in open(sys.argv[2]).read():
    time.sleep(0.1)
ch = [c for c in s.post_as("a", az_url, None).json()["challenges"] if c["type"] == "tls-alpn-01"][0]
print("status=%s" % ch["status"])
s.set("resume_az", az_url)
PY
check_eq "a handshake with a silent server: still processing" processing "$(field status)"
check "the gateway stops on SIGTERM with that validation running" stop_pid "$PID_gw"
stop_pid "$PID_silent"
start_bg good /usr/bin/python3 "$T/alpntest.py" "$ALPN_PORT" "$T/resume.crt" "$T/resume.key"
check "a server with the right certificate starts" wait_port "$ALPN_PORT" 10
check "the gateway starts again" gateway_start gw2 "$T/gw.conf"
py resumed <<'PY'
import time
from acme_client import *
s = Session.from_env()
deadline = time.time() + 20
while True:
    az = s.post_as("a", s.get("resume_az"), None).json()
    if az["status"] != "pending" or time.time() > deadline:
        break
    time.sleep(0.2)
print("authz=%s" % az["status"])
PY
check_eq "the resumed tls-alpn-01 validation succeeds" valid "$(field authz)"
check_match "... and the gateway said it resumed it" "resumed 1 validations after restart" \
	"$(cat "$T/gw2.out" "$T/gw2.err")"
finish
