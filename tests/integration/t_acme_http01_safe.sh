#!/usr/bin/env bash
# http-01 that cannot be turned against the campus (issue 14 items 4 and 5).
# DNS answers (pebble-challtestsrv on loopback) point names at denied
# addresses: 169.254.169.254, 127.0.0.1 (not in validation_allow_nets here),
# ::1 and one of the gateway's own listeners (an IPv4-mapped AAAA is not
# served by pebble-challtestsrv: that form is tested as a redirect literal,
# and in test_validate_netfilter). For each
# the challenge must fail with an error that names the address and why, and
# no connection may reach it: counting listeners on those loopback addresses
# and ports see no accept, and the gateway's own debug log shows no request
# on its second listener. Redirects: to a denied name and to a denied IP
# literal, to a port that is not allowed, more than 10 hops (and exactly 10,
# which passes), relative Locations, and an https hop (self-signed
# certificate, accepted: RFC 8555 §8.3). A wrong body is quoted as a short
# sanitized excerpt. Only 127.0.0.2 and 127.0.0.3 are allowed; every
# connection the test makes goes to loopback.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
DNSPORT=$(free_port)
MGMTPORT=$(free_port)
H01=$(free_port)
OTHER=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT, 127.0.0.3:$H01
data_dir = $T/var
log_level = 3
resolver = 127.0.0.1:$DNSPORT
http01_port = $H01
validation_allow_nets = 127.0.0.2/32, 127.0.0.3/32, 127.0.0.4/32
eab_required = no
limit_failed_validations_per_day = 0
CONF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=selfsigned \
	-keyout "$T/h01.key" -out "$T/h01.pem" 2>/dev/null || notok "self-signed certificate for the https hop"
start_bg dns pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 "" -dns01 "127.0.0.1:$DNSPORT" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$MGMTPORT"
check "DNS test server starts" wait_port "$MGMTPORT" 10
check "gateway starts" gateway_start gw "$T/gw.conf"
check "... and listens on 127.0.0.3:$H01 too" bash -c "exec 3<>/dev/tcp/127.0.0.3/$H01"
export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db ACME_HTTP01=$H01 PYTHONPATH=$ROOT/tests/integration:$T \
	MGMT=$MGMTPORT OTHER=$OTHER H01_CERT=$T/h01.pem H01_KEY=$T/h01.key
E=urn:ietf:params:acme:error

# What the snippets share: DNS records, counting listeners, the responder on
# 127.0.0.2 (plain HTTP and TLS on the same port), and "order, answer, wait".
cat >"$T/safe.py" <<'PYMOD'
import json, os, socket, ssl, threading, time, urllib.request
import http.server, socketserver
from acme_client import *

H01 = int(os.environ["ACME_HTTP01"])
PRE = "/.well-known/acme-challenge/"

def dns(kind, host, addrs):
    body = json.dumps({"host": host + ".", "addresses": addrs}).encode()
    req = urllib.request.Request("http://127.0.0.1:%s/add-%s" % (os.environ["MGMT"], kind), body)
    urllib.request.urlopen(req, timeout=5).read()

class Counter:
    """Accepts on (addr, port) and counts; closes at once."""
    def __init__(self, addr, port):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.n = 0
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((addr, port))
        self.s.listen(16)
        threading.Thread(target=self.loop, daemon=True).start()
    def loop(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.n += 1
            c.close()

class Responder:
    """127.0.0.2:H01: routes[path] = (status, headers, body); TLS when the client starts with it."""
    def __init__(self, port):
        self.routes, self.seen = {}, []
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["H01_CERT"], os.environ["H01_KEY"])
        outer = self
        class H(http.server.BaseHTTPRequestHandler):
            def setup(self):
                self.tls = self.request.recv(1, socket.MSG_PEEK) == b"\x16"
                if self.tls:
                    self.request = ctx.wrap_socket(self.request, server_side=True)
                http.server.BaseHTTPRequestHandler.setup(self)
            def do_GET(self):
                outer.seen.append((self.path, self.tls, self.headers.get("Host")))
                st, hdr, body = outer.routes.get(self.path, (404, {}, b""))
                body = body.encode() if isinstance(body, str) else body
                self.send_response(st)
                for k, v in hdr.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *a):
                pass
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.srv = socketserver.ThreadingTCPServer(("127.0.0.2", port), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
    def redirect(self, path, to, status=302):
        self.routes[path] = (status, {"Location": to}, b"")
    def answer(self, path, body):
        self.routes[path] = (200, {"Content-Type": "text/plain"}, body)

class Refuser:
    """TLS on (addr, port) that wants a client certificate: the handshake ends in an alert."""
    def __init__(self, addr, port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.environ["H01_CERT"], os.environ["H01_KEY"])
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.ctx.load_verify_locations(os.environ["H01_CERT"])
        self.n = 0
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((addr, port))
        self.s.listen(16)
        threading.Thread(target=self.loop, daemon=True).start()
    def loop(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.n += 1
            keep = c.dup()    # as most servers do: the alert is sent, the peer closes first
            try:
                self.ctx.wrap_socket(c, server_side=True).close()
            except (OSError, ssl.SSLError):
                c.close()
            keep.settimeout(5)
            try:
                while keep.recv(4096):
                    pass
            except OSError:
                pass
            keep.close()

s = Session.from_env()
if "v" not in s.state["accounts"]:
    s.register("v", "ES256")
KEY, _ = s.account("v")

def prepare(name):
    """A new order for name; returns (token, key authorization, challenge url, authz url)."""
    o = s.new_order("v", [name], save_as=name).expect(201)
    az_url = o.json()["authorizations"][0]
    az = s.post_as("v", az_url, None).expect(200)
    ch = [c for c in az.json()["challenges"] if c["type"] == "http-01"][0]
    return ch["token"], ch["token"] + "." + KEY.thumbprint(), ch["url"], az_url

def run(cases, timeout=40):
    """cases: name -> challenge url; POST {} to each, wait; print name_status, name_type, name_detail."""
    for name, (ch_url, _) in cases.items():
        s.post_as("v", ch_url, {}).expect(200)
    deadline = time.time() + timeout
    for name, (ch_url, az_url) in cases.items():
        while True:
            az = s.post_as("v", az_url, None).json()
            if az["status"] != "pending" or time.time() > deadline:
                break
            time.sleep(0.2)
        ch = s.post_as("v", ch_url, None).json()
        tag = name.split(".")[0]
        err = ch.get("error") or {}
        print("%s_status=%s" % (tag, ch["status"]))
        print("%s_type=%s" % (tag, err.get("type", "")))
        print("%s_detail=%s" % (tag, err.get("detail", "").replace("\n", " ")))
PYMOD

# =============================================================================
# First hop: names that resolve to denied addresses. Nothing may connect.
# =============================================================================
py direct <<'PY'
from safe import *
lo4, lo6 = Counter("127.0.0.1", H01), Counter("::1", H01)
resp = Responder(H01)
cases = {}
dns("a", "ok.example.ac.jp", ["127.0.0.2"])
dns("a", "ll.example.ac.jp", ["169.254.169.254"])
dns("a", "lo.example.ac.jp", ["127.0.0.1"])
dns("aaaa", "v6.example.ac.jp", ["::1"])
dns("a", "gw.example.ac.jp", ["127.0.0.3"])
dns("a", "two.example.ac.jp", ["127.0.0.1", "127.0.0.2"])
for n in ("ok", "ll", "lo", "v6", "gw", "two", "bad", "nf"):
    name = n + ".example.ac.jp"
    tok, ka, ch, az = prepare(name)
    cases[name] = (ch, az)
    if n in ("ok", "two"):
        resp.answer(PRE + tok, ka + "\n")
    if n == "bad":
        dns("a", name, ["127.0.0.2"])
        resp.answer(PRE + tok, "<script>alert(1)</script>\x1b[31m" + "A" * 200)
    if n == "nf":
        dns("a", name, ["127.0.0.2"])
run(cases)
print("lo4_accepts=%d" % lo4.n)
print("lo6_accepts=%d" % lo6.n)
print("served=%d" % len(resp.seen))
PY
check_eq "positive control: an allowed address validates" valid "$(field ok_status)"
check_eq "link-local 169.254.169.254: invalid" invalid "$(field ll_status)"
check_eq "... type connection" "$E:connection" "$(field ll_type)"
check_match "... the error names the address and the net" \
	"169\.254\.169\.254:$H01.*not contacted: 169\.254\.169\.254 is in the denied net 169\.254\.0\.0/16 \(link-local\)" \
	"$(field ll_detail)"
check_eq "127.0.0.1 without an allow line: invalid" invalid "$(field lo_status)"
check_match "... loopback named" "127\.0\.0\.1:$H01.*denied net 127\.0\.0\.0/8 \(loopback\)" "$(field lo_detail)"
check_eq "::1: invalid" invalid "$(field v6_status)"
check_match "... named" "\[::1\]:$H01.*::1/128 \(loopback\)" "$(field v6_detail)"
check_eq "the gateway's own listener 127.0.0.3:$H01 (although 127.0.0.3 is allowed): invalid" \
	invalid "$(field gw_status)"
check_match "... named as the gateway's own" "127\.0\.0\.3 port $H01 is one of this gateway's own listeners" \
	"$(field gw_detail)"
check_eq "a name with a denied and an allowed address validates through the allowed one" valid \
	"$(field two_status)"
check_eq "no connection reached 127.0.0.1:$H01" 0 "$(field lo4_accepts)"
check_eq "no connection reached [::1]:$H01" 0 "$(field lo6_accepts)"
# A plain GET on the gateway's TLS listener is logged (debug) as a TLS failure or a request line.
GWPAT=": TLS: \|: GET /\.well-known\|plain HTTP request sent to the HTTPS port"
gwlines() { grep -c "$GWPAT" "$T/gw.err"; }
check_eq "no request reached the gateway's listener on 127.0.0.3:$H01 (its debug log)" 0 "$(gwlines)"
check_eq "each denial logged with the address" 5 "$(grep -c 'not connecting to ' "$T/gw.err")"
check_eq "wrong body: incorrectResponse" "$E:incorrectResponse" "$(field bad_type)"
check_match "... names address and status, quotes a short excerpt" \
	"127\.0\.0\.2:$H01\) answered HTTP 200 with 230 bytes starting \"\?script\?alert\?1\?\?/script\?\?\?31mAA\"\.\.\. instead of the key authorization" \
	"$(field bad_detail)"
EXCERPT=$(field bad_detail | sed -n 's/.* bytes starting "\([^"]*\)"\.\.\. instead .*/\1/p')
check_match "... 32 body bytes at most, no markup or escape bytes" '^[A-Za-z0-9?/]{32}$' "$EXCERPT"
check_eq "404: unauthorized" "$E:unauthorized" "$(field nf_type)"
check_match "... names URL, address and status" \
	"^http://nf\.example\.ac\.jp:$H01/\.well-known/acme-challenge/[A-Za-z0-9_-]+ \(127\.0\.0\.2:$H01\) answered HTTP 404" \
	"$(field nf_detail)"

# The log check above can fail: the same GET on the gateway's second listener is logged.
/usr/bin/python3 - "$H01" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.3", int(sys.argv[1])), timeout=5)
c.sendall(b"GET /.well-known/acme-challenge/x HTTP/1.1\r\nHost: gw.example.ac.jp\r\n\r\n")
c.recv(4096)
PY
n=0; for _ in $(seq 50); do n=$(gwlines); [ "$n" -gt 0 ] && break; sleep 0.1; done
check "control: such a request on 127.0.0.3:$H01 does show in the gateway's log" [ "$n" -gt 0 ]
grep "$GWPAT" "$T/gw.err" | sed 's/^/# /'

# =============================================================================
# Redirects (RFC 8555 §8.3).
# =============================================================================
py redirects <<'PY'
from safe import *
lo4 = Counter("127.0.0.1", H01)
other = Counter("127.0.0.2", int(os.environ["OTHER"]))
resp = Responder(H01)
cases = {}
dns("a", "lo.example.ac.jp", ["127.0.0.1"])
refuser = Refuser("127.0.0.4", H01)
dns("a", "alert.example.ac.jp", ["127.0.0.4"])
for n in ("rdeny", "rip", "rmap", "rport", "rftp", "r11", "r10", "rrel", "rabs", "rtls", "ralert"):
    name = n + ".example.ac.jp"
    dns("a", name, ["127.0.0.2"])
    tok, ka, ch, az = prepare(name)
    cases[name] = (ch, az)
    p = PRE + tok
    if n == "rdeny":
        resp.redirect(p, "http://lo.example.ac.jp:%d%s" % (H01, p))
    elif n == "rip":
        resp.redirect(p, "http://169.254.169.254/latest/meta-data/")
    elif n == "rmap":
        resp.redirect(p, "http://[::ffff:127.0.0.1]:%d%s" % (H01, p))
    elif n == "rport":
        resp.redirect(p, "http://%s:%s%s" % (name, os.environ["OTHER"], p))
    elif n == "rftp":
        resp.redirect(p, "ftp://%s%s" % (name, p))
    elif n in ("r11", "r10"):
        hops = 11 if n == "r11" else 10
        for i in range(hops):
            resp.redirect(p + ("" if i == 0 else "?hop=%d" % i), p + "?hop=%d" % (i + 1), 301 + i % 2)
        resp.answer(p + "?hop=%d" % hops, ka)
    elif n == "rrel":
        resp.redirect(p, "sub/" + tok + "?x=1#frag", 307)
        resp.answer(PRE + "sub/" + tok + "?x=1", ka)
    elif n == "rabs":
        resp.redirect(p, "/elsewhere/" + tok, 308)
        resp.answer("/elsewhere/" + tok, ka)
    elif n == "ralert":
        resp.redirect(p, "https://alert.example.ac.jp:%d/x" % H01)
    elif n == "rtls":
        resp.redirect(p, "https://%s:%d/tls/%s" % (name, H01, tok))
        resp.answer("/tls/" + tok, ka)
run(cases)
print("lo4_accepts=%d" % lo4.n)
print("other_accepts=%d" % other.n)
print("tls_hops=%d" % len([x for x in resp.seen if x[1]]))
print("refuser_accepts=%d" % refuser.n)
print("tls_host=%s" % ";".join(x[2] for x in resp.seen if x[1]))
PY
check_eq "redirect to a name of a denied address: invalid" invalid "$(field rdeny_status)"
check_match "... names it" "lo\.example\.ac\.jp:$H01.*127\.0\.0\.1:$H01, which is not contacted.*loopback" \
	"$(field rdeny_detail)"
check_eq "redirect to the IP literal 169.254.169.254: invalid" invalid "$(field rip_status)"
check_match "... names it" "169\.254\.169\.254:80, which is not contacted.*link-local" "$(field rip_detail)"
check_eq "redirect to the IPv4-mapped literal [::ffff:127.0.0.1]: invalid" invalid "$(field rmap_status)"
check_match "... seen as the IPv4 loopback" "127\.0\.0\.1 is in the denied net 127\.0\.0\.0/8 \(loopback\)" \
	"$(field rmap_detail)"
check_eq "no connection reached 127.0.0.1:$H01" 0 "$(field lo4_accepts)"
check_eq "redirect to a port that is not allowed: invalid" invalid "$(field rport_status)"
check_match "... says so, with the status" "answered HTTP 302 with a redirect that is not followed: redirects to port $OTHER are not followed" \
	"$(field rport_detail)"
check_eq "... and nothing connected to that port" 0 "$(field other_accepts)"
check_match "redirect to ftp://: not followed" "only http:// and https:// redirects are followed" \
	"$(field rftp_detail)"
check_eq "11 redirects: invalid" invalid "$(field r11_status)"
check_match "... more than 10" "more than 10 redirects" "$(field r11_detail)"
check_eq "exactly 10 redirects: valid" valid "$(field r10_status)"
check_eq "relative Location (fragment dropped, query kept): valid" valid "$(field rrel_status)"
check_eq "absolute-path Location: valid" valid "$(field rabs_status)"
check_eq "https hop with a self-signed certificate: valid" valid "$(field rtls_status)"
check_eq "... one TLS request was served" 1 "$(field tls_hops)"
check_eq "... with the name and port in Host" "rtls.example.ac.jp:$H01" "$(field tls_host)"
check_eq "https hop whose server ends the handshake with an alert: invalid" invalid "$(field ralert_status)"
check_match "... the error names the address and the TLS alert" \
	"https://alert\.example\.ac\.jp:$H01/x from 127\.0\.0\.4:$H01: .*alert [0-9]+" "$(field ralert_detail)"
check_match "... tried a bounded number of times (3 rounds)" "^[1-3]$" "$(field refuser_accepts)"

# =============================================================================
# Item 5: validation starts only with the client's POST {} to the challenge.
# =============================================================================
py start <<'PY'
from safe import *
resp = Responder(H01)
dns("a", "late.example.ac.jp", ["127.0.0.2"])
dns("a", "ctl.example.ac.jp", ["127.0.0.2"])
tok, ka, ch, az = prepare("late.example.ac.jp")
resp.answer(PRE + tok, ka)
for i in range(3):
    s.post_as("v", az, None).expect(200)
    s.post_as("v", ch, None).expect(200)    # POST-as-GET: reads, does not start
# A validation started after those reads has run to its end: a started "late" would have too.
ctok, cka, cch, caz = prepare("ctl.example.ac.jp")
resp.answer(PRE + ctok, cka)
run({"ctl.example.ac.jp": (cch, caz)})
print("before_post=%d" % len([x for x in resp.seen if tok in x[0]]))
print("before_status=%s" % s.post_as("v", ch, None).json()["status"])
run({"late.example.ac.jp": (ch, az)})
print("after_post=%d" % len([x for x in resp.seen if tok in x[0]]))
PY
check_eq "control validation: valid" valid "$(field ctl_status)"
check_eq "reading the authorization and the challenge starts nothing" 0 "$(field before_post)"
check_eq "... the challenge stays pending" pending "$(field before_status)"
check_eq "POST {} starts it: valid" valid "$(field late_status)"
check_eq "... after exactly one request" 1 "$(field after_post)"

# =============================================================================
# Item 5: a valid authorization is reused only within its lifetime (Kconfig
# ACME_AUTHZ_LIFETIME_S, 30 days, and with at least an hour left), and an
# order whose reused authorization expires before finalize becomes invalid.
# The gateway's wall clock is moved with UPKI_CLOCK_OFFSET (platform/host).
# =============================================================================
LIFE=2592000
py reuse0 <<'PY'
from safe import *
resp = Responder(H01)
dns("a", "reuse.example.ac.jp", ["127.0.0.2"])
tok, ka, ch, az = prepare("reuse.example.ac.jp")
resp.answer(PRE + tok, ka)
run({"reuse.example.ac.jp": (ch, az)})
o = s.new_order("v", ["reuse.example.ac.jp"]).expect(201)
print("first_authz=%s" % az)
print("same_now=%s %s" % (o.json()["authorizations"][0] == az, o.json()["status"]))
PY
AZ1=$(field first_authz)
check_eq "validated" valid "$(field reuse_status)"
check_eq "a new order at once reuses the valid authorization and is ready" "True ready" "$(field same_now)"

# restart_at OFFSET: the gateway again, its wall clock OFFSET seconds ahead.
restart_at() {
	stop_pid "$PID_gw"
	UPKI_CLOCK_OFFSET=$1 gateway_start gw "$T/gw.conf"
}
order_at() {   # order_at TAG: a new order for reuse.example.ac.jp; prints TAG_same, TAG_status
	py "$1" "$AZ1" "$1" <<'PY'
import sys
from safe import *
o = s.new_order("v", ["reuse.example.ac.jp"], save_as=sys.argv[2]).expect(201)
print("%s_same=%s" % (sys.argv[2], o.json()["authorizations"][0] == sys.argv[1]))
print("%s_status=%s" % (sys.argv[2], o.json()["status"]))
PY
}
check "gateway restarts 2 h before the authorization expires" restart_at $((LIFE - 7200))
order_at late2h
check_eq "... reused" True "$(field late2h_same)"
check_eq "... order ready" ready "$(field late2h_status)"
check "gateway restarts 30 min before it expires" restart_at $((LIFE - 1800))
order_at late30m
check_eq "... not reused with less than an hour left" False "$(field late30m_same)"
check_eq "... a new pending authorization" pending "$(field late30m_status)"
check "gateway restarts 1 min after it expired" restart_at $((LIFE + 60))
py expired "$AZ1" <<'PY'
import sys
from safe import *
o = s.post_as("v", s.order("late2h")["url"], None).expect(200).json()
print("o_status=%s" % o["status"])
print("o_detail=%s" % (o.get("error") or {}).get("detail", ""))
print("az_status=%s" % s.post_as("v", sys.argv[1], None).expect(200).json()["status"])
n = s.new_order("v", ["reuse.example.ac.jp"]).expect(201).json()
print("new_same=%s %s" % (n["authorizations"][0] == sys.argv[1], n["status"]))
PY
check_eq "the order that reused it is invalid now, before finalize" invalid "$(field o_status)"
check_match "... saying its authorization expired" "authorization for reuse\.example\.ac\.jp is expired" \
	"$(field o_detail)"
check_eq "the authorization reads as expired" expired "$(field az_status)"
check_eq "a new order gets a new pending authorization" "False pending" "$(field new_same)"
finish
