#!/usr/bin/env bash
# upki_url by host name: the gateway looks the name up through its own
# resolver (the `resolver` key; never the system's name service), tries each
# address in turn, and checks UPKI's server certificate against the NAME, not
# the address. Two simulators share one PKI: sim A on 127.0.0.1 has a server
# certificate for upki.example.ac.jp, sim B on 127.0.0.3 (same port) has the
# simulator's default one (localhost, 127.0.0.1).
#  1. DNS answers the name with 127.0.0.2 (nothing listens there) and
#     127.0.0.1: a certificate is issued end to end through ACME, the refused
#     address is logged and the next one used.
#  2. A second gateway whose DNS first has no address for the name (a log line
#     naming the name and the DNS error, once, and retried within seconds),
#     then answers with 127.0.0.3 (sim B: the certificate is for another name,
#     refused in TLS with a log line naming the mismatch, the job retried, not
#     failed), then with 127.0.0.1: the job completes from one application.
. "$(dirname "$0")/lib.sh"

NAME=upki.example.ac.jp
SUBJ_TAIL="/C=JP/ST=Aichi/L=Nagoya/O=Example University"
A=$T/sim
B=$T/simb
"$SIM" init "$A" --institution-o "Example University" --st Aichi --l Nagoya \
	--domains example.ac.jp >/dev/null 2>&1
cp -a "$A" "$B"       # the same CAs and RA officer; B keeps the localhost certificate
openssl ecparam -name prime256v1 -genkey -noout -out "$A/web-key.pem" 2>/dev/null
openssl req -new -key "$A/web-key.pem" -subj "/C=JP/O=upki-sim/CN=$NAME" -out "$T/web.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
	"$NAME" >"$T/web.ext"
check "a server certificate for $NAME from the simulator's web root" \
	openssl x509 -req -in "$T/web.csr" -CA "$A/web-ca.pem" -CAkey "$A/ca/web-root-key.pem" \
	-CAcreateserial -days 2 -sha256 -extfile "$T/web.ext" -out "$A/web-cert.pem"

PORT=$(free_port); PUBA=$(free_port); PUBB=$(free_port)
start_bg sima "$SIM" serve "$A" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUBA" \
	--time-scale 0.01 --rate-limit-seconds 1 --rate-limit-burst 1000 --delay-min 10 --delay-max 30
start_bg simb "$SIM" serve "$B" --listen "127.0.0.3:$PORT" --public-listen "127.0.0.3:$PUBB" \
	--time-scale 0.01 --rate-limit-seconds 1 --delay-min 10 --delay-max 30
check "sim A starts on 127.0.0.1:$PORT" wait_port "$PORT" 10
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.3/$PORT") 2>/dev/null && break; sleep 0.1; done
check "sim B starts on 127.0.0.3:$PORT" bash -c "exec 3<>/dev/tcp/127.0.0.3/$PORT" 2>/dev/null

DNS1=$(free_port); MGMT1=$(free_port); DNS2=$(free_port); MGMT2=$(free_port)
start_bg dns1 pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 127.0.0.1 -dns01 "127.0.0.1:$DNS1" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$MGMT1"
start_bg dns2 pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 "" -dns01 "127.0.0.1:$DNS2" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$MGMT2"
check "DNS servers start" wait_port "$MGMT1" 10
check "... both" wait_port "$MGMT2" 10
set_a() {   # set_a MGMTPORT ADDR...: the A records of $NAME
	local m=$1 list
	shift
	list=$(printf '"%s",' "$@")
	curl -sS -o /dev/null -d "{\"host\":\"$NAME.\"}" "http://127.0.0.1:$m/clear-a"
	curl -sS -o /dev/null -w '%{http_code}' -d "{\"host\":\"$NAME.\",\"addresses\":[${list%,}]}" \
		"http://127.0.0.1:$m/add-a"
}
check_eq "DNS 1 answers $NAME with 127.0.0.2, 127.0.0.1" 200 "$(set_a "$MGMT1" 127.0.0.2 127.0.0.1)"
simstate() {   # simstate a|b: the counters of sim A or B (public listener, its own server name)
	if [ "$1" = a ]; then
		curl -sS --cacert "$A/web-ca.pem" --resolve "$NAME:$PUBA:127.0.0.1" "https://$NAME:$PUBA/_sim/state"
	else
		curl -sS --cacert "$B/web-ca.pem" --resolve "localhost:$PUBB:127.0.0.3" "https://localhost:$PUBB/_sim/state"
	fi
}

conf() {   # conf FILE DATADIR DNSPORT
	cat >"$1" <<CONF
listen = 127.0.0.1:$(free_port)
data_dir = $2
log_level = 3
resolver = 127.0.0.1:$3
http01_port = $H01
validation_allow_nets = 127.0.0.0/8
$(D=$A sim_gw_conf "$A/chain-rsa.pem" "https://$NAME:$PORT/upki-odcert/")
upki_server_software = Apache 2.4
upki_poll_interval = 1
upki_expected_delay = 1
upki_timeout = 5
upki_retry_base = 2
CONF
}

# ---- 1. a certificate end to end, upki_url by name --------------------------------
H01=$(free_port)
conf "$T/gw.conf" "$T/var" "$DNS1"
check "a name in upki_url without upki_connect: the gateway starts" gateway_start gw "$T/gw.conf"
"$BIN" -c "$T/gw.conf" eab new --name test --allow '*.example.ac.jp' >"$T/eab"
export ACME_DIR=https://127.0.0.1:$(sed -n 's/^listen = 127.0.0.1://p' "$T/gw.conf")/directory \
	ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json ACME_HTTP01=$H01 \
	EAB_KID=$(awk '/^kid:/ {print $2}' "$T/eab") EAB_HMAC=$(awk '/^hmac:/ {print $2}' "$T/eab") \
	PYTHONPATH=$ROOT/tests/integration
py issue <<'PY'
import os, time
from acme_client import *
s = Session.from_env()
r, _ = s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
print("register=%d" % r.status)
s.new_order("a", ["byname.example.ac.jp"], save_as="o").expect(201)
o, _, _ = s.validate("a", "o")
print("ready=%s" % o.json()["status"])
csr = make_csr(Key.rsa(2048), cn="byname.example.ac.jp")
s.post_as("a", s.order("o")["obj"]["finalize"], {"csr": b64u(csr)})
deadline = time.time() + 60
while True:
    o = s.post_as("a", s.order("o")["url"], None).json()
    if o["status"] not in ("processing", "ready") or time.time() > deadline:
        break
    time.sleep(0.3)
print("status=%s" % o["status"])
if o["status"] == "valid":
    c = s.post_as("a", o["certificate"], None)
    print("cert=%d %d" % (c.status, c.body.count(b"BEGIN CERTIFICATE")))
PY
check_eq "account registered" 201 "$(field register)"
check_eq "order ready after http-01" ready "$(field ready)"
check_eq "the order is valid: UPKI reached by name" valid "$(field status)"
check_match "... and the certificate downloads" "^200 [1-9]" "$(field cert)"
check_match "127.0.0.2 refused the connection: the next address of the name was tried" \
	"127\.0\.0\.2:$PORT\).*trying the next address of $NAME" "$(cat "$T/gw.err")"
check_match "... and sim A (127.0.0.1) has the application" "^1$" \
	"$(simstate a | jget "d['rows_ok']")"
stop_pid "$PID_gw"
out=$("$BIN" -c "$T/gw.conf" upki-test 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/    [upki-test] /'
check_match "upki-test by name: every check passes" "upki-test: all checks passed" "$out"

# ---- 2. no address, then the wrong server, then the right one ----------------------
conf "$T/gw2.conf" "$T/var2" "$DNS2"
out=$("$BIN" -c "$T/gw2.conf" upki-test 2>&1)
check_match "upki-test with no address for the name: fails, saying why" \
	"cannot look up $NAME \(upki_url\) through the resolver 127\.0\.0\.1:$DNS2: no such name.*upki-test: FAILED" \
	"$(echo $out)"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/j.key" -out "$T/j.csr" \
	-subj "$SUBJ_TAIL/CN=retry.example.ac.jp" 2>/dev/null
start_bg sub "$BIN" -c "$T/gw2.conf" upki-submit-csr --wait 90 "$T/j.csr"
waitlog() {   # waitlog REGEX N SECONDS: until the job's log has N lines matching REGEX
	for _ in $(seq $(( $3 * 10 ))); do
		[ "$(grep -Ec -- "$1" "$T/sub.err")" -ge "$2" ] && return 0
		kill -0 "$PID_sub" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
NX="cannot look up $NAME \(upki_url\) through the resolver 127\.0\.0\.1:$DNS2: no such name"
check "no address for the name: the upload is retried (twice within 15 s)" \
	waitlog "1 to retry.*$NX" 2 15
check_eq "... the DNS error is logged once (warning), with the name and the error" 1 \
	"$(grep -Ec "$NX.*a transient fault" "$T/sub.err")"
check_eq "... no UPKI application was made meanwhile" 1 \
	"$(simstate a | jget "d['rows_ok']")"
check_eq "DNS 2 now answers $NAME with 127.0.0.3 (sim B)" 200 "$(set_a "$MGMT2" 127.0.0.3)"
MISMATCH="TLS with $NAME:$PORT \(127\.0\.0\.3:$PORT\) failed \(certificate checked against the name $NAME\).*for another name"
check "the certificate of 127.0.0.3 is not for $NAME: refused in TLS, logged" \
	waitlog "$MISMATCH" 1 20
check_eq "... sim B saw no login" 0 "$(simstate b | jget "d['logins']")"
check_match "... the job is retried, not failed" "1 to retry.*$MISMATCH" "$(cat "$T/sub.err")"
check_eq "DNS 2 now answers $NAME with 127.0.0.1 (sim A)" 200 "$(set_a "$MGMT2" 127.0.0.1)"
for _ in $(seq 600); do kill -0 "$PID_sub" 2>/dev/null || break; sleep 0.1; done
wait "$PID_sub"; rc=$?
check_eq "the job completes once the name leads to UPKI (exit 0)" 0 "$rc"
check_match "... valid" "order [0-9]+: valid serial" "$(cat "$T/sub.out")"
check_eq "... from exactly one application at sim A" 1 \
	"$(simstate a | jget "len([a for a in d['apps'] if a['dn'].startswith('CN=retry.example.ac.jp,')])")"

# ---- a name and neither resolver nor upki_connect: refused at start ---------------
sed '/^resolver = /d' "$T/gw2.conf" >"$T/gw3.conf"
out=$("$BIN" -c "$T/gw3.conf" upki-test 2>&1)
check_match "upki_url by name without resolver: a clear config error" \
	"upki_url: the host $NAME is a name: set resolver" "$out"
finish
