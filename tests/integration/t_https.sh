#!/usr/bin/env bash
# Foundation: HTTPS on the reactor with the bootstrap certificate, the
# directory, every HTTP limit, garbage TLS, and a restart that keeps the key.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
# test configuration
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 3
http_max_conns = 20
http_max_conns_per_addr = 8
http_idle_timeout = 2
http_request_timeout = 2
CONF

# --- configuration errors are refused with file:line ---------------------------
printf 'listen = 127.0.0.1:1\nbogus_key = 1\n' >"$T/bad.conf"
out=$("$BIN" -t -c "$T/bad.conf" 2>&1); rc=$?
check_eq "unknown key refused with exit 2" 2 "$rc"
check_match "unknown key names file:line" "bad.conf:2: unknown key 'bogus_key'" "$out"
printf 'http_max_conns = lots\n' >"$T/bad2.conf"
out=$("$BIN" -t -c "$T/bad2.conf" 2>&1)
check_match "bad value names file:line" "bad2.conf:1: http_max_conns: 'lots' is not a whole number" "$out"
printf 'listen = localhost:443\n' >"$T/bad3.conf"
out=$("$BIN" -t -c "$T/bad3.conf" 2>&1)
check_match "names in listen are refused (no lookups)" "bad3.conf:1: listen: 'localhost:443' is not a numeric" "$out"
out=$("$BIN" -t -c "$T/missing.conf" 2>&1); rc=$?
check_match "missing config file refused" "missing.conf: No such file" "$out"
out=$("$BIN" -t -c "$T/gw.conf" 2>&1)
check_match "valid config passes -t" "is valid" "$out"

# --- start with the bootstrap key ----------------------------------------------
check "gateway starts and listens" gateway_start gw "$T/gw.conf"
CA=$T/var/tls/ca.pem
check "bootstrap CA certificate written" test -s "$CA"
check_eq "server key mode is 0600" 600 "$(stat -c %a "$T/var/tls/key.pem")"

hs=$(openssl s_client -connect 127.0.0.1:$PORT -tls1_2 -CAfile "$CA" -verify_return_error \
	-servername localhost </dev/null 2>&1)
check_match "TLS 1.2 handshake verifies against the bootstrap CA" "Verify return code: 0 \(ok\)" "$hs"
check_match "ECDHE-ECDSA with AEAD negotiated" "Cipher is ECDHE-ECDSA-(AES128-GCM-SHA256|CHACHA20-POLY1305|AES256-GCM-SHA384)" "$hs"
hs13=$(openssl s_client -connect 127.0.0.1:$PORT -tls1_3 </dev/null 2>&1)
check_match "TLS 1.3-only client is refused" "alert|errno|error" "$hs13"
ipsan=$(openssl s_client -connect 127.0.0.1:$PORT -CAfile "$CA" </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName 2>/dev/null)
check_match "certificate names localhost and 127.0.0.1" "DNS:localhost.*IP Address:127.0.0.1" "$(echo $ipsan)"

dir=$(curl -sS --cacert "$CA" "$URL/directory")
check_match "directory has newNonce" "\"newNonce\":\"$URL/acme/new-nonce\"" "$dir"
check "directory is valid JSON with all RFC 8555 resources" /usr/bin/python3 -c '
import json,sys
d=json.loads(sys.argv[1])
for k in ("newNonce","newAccount","newOrder","revokeCert","keyChange"):
    assert d[k].startswith("https://"), k
assert d["meta"]["externalAccountRequired"] is True
' "$dir"
hdr=$(curl -sS -D - -o /dev/null --cacert "$CA" "$URL/directory")
check_match "directory Content-Type is application/json" "Content-Type: application/json" "$hdr"
check_match "index Link header" "Link: <$URL/directory>;rel=\"index\"" "$hdr"
check_eq "healthz answers 200" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/healthz")"
check_eq "unknown path answers 404" 404 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/nope")"
check_eq "wrong method answers 405" 405 "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE --cacert "$CA" "$URL/directory")"
nr=$(curl -sS -D - --cacert "$CA" -X POST -H 'Content-Type: application/jose+json' -d '{}' "$URL/acme/new-order")
check_match "a POST that is not a JWS gets a problem document" "application/problem\+json" "$nr"
check_match "... of type malformed" "urn:ietf:params:acme:error:malformed" "$nr"
check_match "... with a Replay-Nonce" "Replay-Nonce: [A-Za-z0-9_-]{30}" "$nr"

# keep-alive: two requests on one connection
ka=$(curl -sS -v --cacert "$CA" "$URL/healthz" "$URL/directory" 2>&1)
check_match "keep-alive reuses the connection" "Re-using existing connection|Reusing existing connection" "$ka"

# --- limits ---------------------------------------------------------------------
big=$(head -c 9000 /dev/zero | tr '\0' a)
check_eq "header block over the limit: 431" 431 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H "X-Big: $big" "$URL/directory")"
# The limit exactly: a header block of HTTP_MAX_HEADER_BYTES is read, one byte more is 431.
HMAX=$(sed -n 's/^#define CONFIG_HTTP_MAX_HEADER_BYTES //p' "$O/include/autoconf.h")
hreq() {   # hreq TOTAL: a GET /directory whose header block is TOTAL bytes, CRLFs included
	local head='GET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Pad: '
	local plain=${head//\\r\\n/xx}   # each \r\n escape stands for two bytes
	local fixed=$(( ${#plain} + 4 ))
	printf '%s%s\\r\\n\\r\\n' "$head" "$(head -c $(( $1 - fixed )) /dev/zero | tr '\0' a)"
}
check_eq "a header block of exactly the limit ($HMAX bytes) is read: 200" 200 \
	"$(/usr/bin/python3 "$ROOT/tests/integration/rawtls.py" 127.0.0.1 "$PORT" "$CA" "$(hreq "$HMAX")" status)"
check_eq "one byte over the limit: 431" 431 \
	"$(/usr/bin/python3 "$ROOT/tests/integration/rawtls.py" 127.0.0.1 "$PORT" "$CA" "$(hreq $((HMAX + 1)))" status)"
head -c 70000 /dev/zero >"$T/big.body"
check_eq "body over the limit: 413" 413 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/jose+json' --data-binary @"$T/big.body" "$URL/acme/new-order")"
# Lingering close: a client still sending its body (or header block) when the
# answer comes must be able to finish sending and read it: 5 rounds each, no retries.
out=$(/usr/bin/python3 tests/integration/bigbody.py 127.0.0.1 $PORT "$CA" /acme/new-order 2000000 5)
check_eq "2 MB body over TLS, answered early: every round sends it all and reads 413" \
	"$(printf '413 sent\n%.0s' 1 2 3 4 5)" "$out"
out=$(/usr/bin/python3 tests/integration/bigbody.py 127.0.0.1 $PORT "$CA" /acme/new-order 1000000 3 head)
check_eq "1 MB header block over TLS: every round sends it all and reads 431" \
	"$(printf '431 sent\n%.0s' 1 2 3)" "$out"
out=$(/usr/bin/python3 tests/integration/bigbody.py 127.0.0.1 $PORT plain /acme/new-order 1000000 3)
check_eq "plain HTTP with a 1 MB body on the TLS port: every round sends it all and reads 400" \
	"$(printf '400 sent\n%.0s' 1 2 3)" "$out"
out=$(/usr/bin/python3 - "$PORT" "$CA" <<'PY'
# A client that never stops sending is cut off once the linger bound is hit
# (HTTP_LINGER_MAX_BYTES, 4 MiB by default), long before 256 MiB.
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2]); ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15))
s.sendall(b"POST /acme/new-order HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999\r\n\r\n")
sent, chunk, t0 = 0, b"x" * 65536, time.monotonic()
try:
    while sent < (256 << 20):
        s.sendall(chunk)
        sent += len(chunk)
    print("never cut off")
except (OSError, ssl.SSLError):
    print("cut off" if sent < (64 << 20) else "cut off late (%d bytes)" % sent)
PY
)
check_eq "a client that never stops sending is cut off at the linger bound" "cut off" "$out"
out=$(/usr/bin/python3 - "$PORT" "$CA" <<'PY'
# A request over the body limit, then nothing more: the server must answer,
# close its side (close_notify, then FIN) and close when the client does.
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2]); ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
s.sendall(b"POST /acme/new-order HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n")
got = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    got += c
print(got.split(b"\r\n")[0].decode(), "close_notify")
PY
)
check_eq "413 ends with close_notify before the server closes" "HTTP/1.1 413 Content Too Large close_notify" "$out"
check_eq "chunked request body: 411" 411 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Transfer-Encoding: chunked' --data-binary @"$T/gw.conf" "$URL/acme/new-order")"
check_eq "malformed request line: 400" 400 "$(/usr/bin/python3 tests/integration/rawtls.py 127.0.0.1 $PORT "$CA" 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n' status)"
check_eq "HTTP/2 preface refused: 505 or 400" ok "$(/usr/bin/python3 tests/integration/rawtls.py 127.0.0.1 $PORT "$CA" 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' status | grep -qE '^(400|505)$' && echo ok)"
out=$(/usr/bin/python3 tests/integration/rawtls.py 127.0.0.1 $PORT "$CA" 'GET /directory HTTP/1.1\r\nHost: a\r\n' wait 4)
check_match "incomplete request: 408 after the request timeout" "^HTTP/1.1 408" "$out"
t0=$(date +%s.%N)
out=$(/usr/bin/python3 tests/integration/rawtls.py 127.0.0.1 $PORT "$CA" '' wait 6)
t1=$(date +%s.%N)
check_match "idle connection closed silently" "^closed after" "$out"
check "idle close within 1.5-4 s" /usr/bin/python3 -c "import sys; d=$t1-$t0; sys.exit(0 if 1.5 <= d <= 4.5 else 1)"
out=$(/usr/bin/python3 tests/integration/conns.py 127.0.0.1 $PORT '127.0.0.1*9,127.0.0.2*1' 1)
check_match "the 9th connection from 127.0.0.1 is refused (8 per address)" "127.0.0.1 held=8 refused=1" "$out"
check_match "... while 127.0.0.2 still gets in" "127.0.0.2 held=1 refused=0" "$out"
check_match "per-address refusal logged" "127.0.0.1: connections per address limit reached \(8\)" "$(cat "$T/gw.err")"
out=$(/usr/bin/python3 tests/integration/conns.py 127.0.0.1 $PORT '127.0.0.1*5,127.0.0.2*5,127.0.0.3*5,127.0.0.4*5,127.0.0.5*5' 5)
check_match "connections over the global limit (20) are closed, the first 20 stay" "^held=20 refused=5" "$out"
check_match "... the global limit holds for an address with none open" "127.0.0.5 held=0 refused=5" "$out"
check_eq "server still serves after the connection flood" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/healthz")"
head -c 5000 /dev/urandom >"$T/garbage"
/usr/bin/python3 - "$PORT" "$T/garbage" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\x16\x03\x01\x02\x00" + open(sys.argv[2], "rb").read())
try:
    s.recv(100)
except Exception:
    pass
s.close()
PY
check_eq "garbage ClientHello does not disturb the server" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/healthz")"
plain=$(curl -s -D - "http://127.0.0.1:$PORT/directory" 2>/dev/null)
check_match "plain HTTP on the TLS port gets a plain 400 saying so" "^HTTP/1.1 400 .*plain HTTP request sent to the HTTPS port" "$(echo $plain)"
check_eq "server still serves after plain HTTP" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/healthz")"

# --- restart keeps the key --------------------------------------------------------
pub1=$(openssl s_client -connect 127.0.0.1:$PORT -CAfile "$CA" </dev/null 2>/dev/null | openssl x509 -noout -pubkey | sha256sum)
keysum1=$(sha256sum <"$T/var/tls/key.pem")
check "SIGTERM stops the gateway" stop_pid "$PID_gw"
check "gateway restarts" gateway_start gw2 "$T/gw.conf"
pub2=$(openssl s_client -connect 127.0.0.1:$PORT -CAfile "$CA" -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -pubkey | sha256sum)
check_eq "restart serves the same public key" "$pub1" "$pub2"
check_eq "restart keeps the key file" "$keysum1" "$(sha256sum <"$T/var/tls/key.pem")"
check_eq "restart still verifies with the same CA file" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/healthz")"
stop_pid "$PID_gw2"
check_match "shutdown logged" "shutting down" "$(cat "$T/gw2.err")"
finish
