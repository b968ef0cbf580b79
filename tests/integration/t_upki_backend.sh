#!/usr/bin/env bash
# The gateway's UPKI backend against upki-sim over real HTTPS with the RA
# officer's client certificate, driven without ACME clients through the
# test-only "upki-submit-csr" command: upki-test (good and wrong credentials),
# issuance with the chain an ACME client gets, join and renewal, a crash right
# after the upload (exactly one certificate), a crash before it, every sim
# fault survived, UPKI's own refusals, and revocation.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
SIMURL=https://127.0.0.1:$PUB
SUBJ_TAIL="/C=JP/ST=Aichi/L=Nagoya/O=Example University"

"$SIM" init "$D" >/dev/null 2>&1
check "sim init" test -s "$D/ra.pem"

start_sim() {   # start_sim NAME [serve options]
	local name=$1; shift
	start_bg "$name" "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
		--time-scale 0.01 --rate-limit-seconds 1 --delay-min 100 --delay-max 300 "$@"
	wait_port "$PORT" 10 && wait_port "$PUB" 10
}
fault() { sim_post /_sim/fault "$1" >/dev/null; }
csr() {   # csr NAME CN [openssl req options]: RSA 2048 key and CSR with the institution's DN
	local name=$1 cn=$2; shift 2
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$name.key" -out "$T/$name.csr" \
		-subj "$SUBJ_TAIL/CN=$cn" "$@" 2>/dev/null
}

conf() {   # conf FILE DATADIR [extra lines]
	local f=$1 data=$2; shift 2
	cat >"$f" <<CONF
listen = 127.0.0.1:$(free_port)
data_dir = $data
log_level = 2
$(sim_gw_conf "$T/chains.pem")
upki_server_software = nginx 1.24
upki_poll_interval = 1
upki_expected_delay = 2
upki_retry_base = 1
upki_resubmit_grace = 8
CONF
	for l in "$@"; do echo "$l" >>"$f"; done
}
cat "$D/chain-ecc.pem" "$D/roots-all.pem" "$D/chain-rsa.pem" >"$T/chains.pem"
conf "$T/gw.conf" "$T/var"
sub() { "$BIN" -c "$T/gw.conf" upki-submit-csr "$@"; }

check "sim starts" start_sim sim1

# --- upki-test --------------------------------------------------------------------
out=$("$BIN" -c "$T/gw.conf" upki-test 2>&1); rc=$?
if printf '%s' "$out" | grep -q "unknown command"; then
	notok "upki-acme has no upki-test / upki-submit-csr commands: main.c must call upki_test_cmd and upki_submit_csr_cmd"
	finish
fi
check_eq "upki-test with ra.pem exits 0" 0 "$rc"
check_match "... server certificate trusted" "TLS: server certificate trusted" "$out"
check_match "... client certificate accepted" "TLS: client certificate accepted" "$out"
check_match "... bulk TSV parsed" "bulk TSV parsed: 0 certificates listed \(states:" "$out"
sed "s#$D/ra.pem#$D/wrong-ra.pem#; s#$D/ra-key.pem#$D/wrong-ra-key.pem#" "$T/gw.conf" >"$T/wrong.conf"
out=$("$BIN" -c "$T/wrong.conf" upki-test 2>&1); rc=$?
check_eq "upki-test with wrong-ra.pem exits 1" 1 "$rc"
check_match "... says the client certificate was refused" "TLS: client certificate refused.*wrong-ra.pem" "$out"
check_match "... and that the server was trusted" "TLS: server certificate trusted" "$out"
sed "s#^upki_ca = .*#upki_ca = $D/roots.pem#" "$T/gw.conf" >"$T/wrongca.conf"
out=$("$BIN" -c "$T/wrongca.conf" upki-test 2>&1); rc=$?
check_eq "upki-test with the wrong trust anchor exits 1" 1 "$rc"
check_match "... server certificate NOT trusted, with the BearSSL error" \
	"TLS: server certificate NOT trusted \(BearSSL error 62: BR_ERR_X509_NOT_TRUSTED" "$out"
cp "$D/ra-key.pem" "$T/loose-key.pem"; chmod 644 "$T/loose-key.pem"
sed "s#$D/ra-key.pem#$T/loose-key.pem#" "$T/gw.conf" >"$T/loose.conf"
out=$("$BIN" -c "$T/loose.conf" upki-test 2>&1)
check_match "a group-readable RA key is refused" "mode 0600" "$out"
check_eq "no download was refused by the rate limit so far" 0 "$(sim_get /_sim/state | jget 'd["rate_limited"]')"

# --- issuance, chain, join, renewal --------------------------------------------------
csr www www.example.ac.jp
mkdir -p "$T/out"
out=$(sub --wait 60 --out "$T/out" "$T/www.csr" 2>"$T/www.log"); rc=$?
check_eq "one CSR: issued (exit 0)" 0 "$rc"
check_match "... order valid with a decimal serial" "order 1: valid serial [0-9]+" "$out"
SERIAL1=$(printf '%s' "$out" | sed -n 's/^order 1: valid serial \([0-9]*\).*/\1/p')
check_match "log counts bulk downloads" "upki: bulk download 1: [0-9]+ rows" "$(cat "$T/www.log")"
check_match "leaf + chain verify against the sim roots (G8 + cross certificate)" "OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$T/out/order-1.pem" "$T/out/order-1.pem" 2>&1)"
check_eq "served chain: leaf, G8, cross certificate" 3 "$(grep -c 'BEGIN CERTIFICATE' "$T/out/order-1.pem")"
check_eq "no self-signed root is served (upki_chain holds them too)" 0 \
	"$(openssl crl2pkcs7 -nocrl -certfile "$T/out/order-1.pem" | openssl pkcs7 -print_certs -noout |
	awk '/^subject=/ { s = substr($0, 9) } /^issuer=/ { if (substr($0, 8) == s) n++ } END { print n + 0 }')"
check_match "the second certificate is the cross certificate" \
	"subject=.*TLS RSA Root CA 2024 \(SIM\) *issuer=.*RootCA2 \(SIM\)" \
	"$(openssl crl2pkcs7 -nocrl -certfile "$T/out/order-1.pem" | openssl pkcs7 -print_certs -noout | tr '\n' ' ')"
check "the issued key is the CSR's" test "$(openssl x509 -in "$T/out/order-1.pem" -noout -pubkey | sha256sum)" = \
	"$(openssl req -in "$T/www.csr" -noout -pubkey | sha256sum)"
out=$(sub --wait 30 "$T/www.csr" 2>/dev/null)
check_match "the same CSR again joins the issued job" "order 2: www.example.ac.jp .*already issued" "$out"
check_match "... and gets the same certificate" "order 2: valid serial $SERIAL1" "$out"
check_eq "UPKI saw one application for it" 1 "$(sim_apps www.example.ac.jp)"
csr www2 www.example.ac.jp
out=$(sub --wait 60 "$T/www2.csr" 2>"$T/renew.log")
check_match "a new key for the same DN is issued" "order 3: valid serial" "$out"
check_match "... as a renewal (更新) of the old serial" "renewal of CN=www.example.ac.jp.* serial $SERIAL1" \
	"$(cat "$T/renew.log")"
check_eq "sim: a type 2 application naming the old serial" "2 $SERIAL1" \
	"$(sim_get /_sim/state | jget "' '.join([str(a['type'])+' '+a['ref_serial'] for a in d['apps'] if a['type']==2])")"
check_eq "sim: the old certificate is 更新済み (6)" 6 \
	"$(sim_get /_sim/state | jget "[a for a in d['apps'] if a['serial']=='$SERIAL1'][0]['state']")"

# A gateway that never saw the DN (fresh store): UPKI's 212 leads to a renewal.
conf "$T/gw2.conf" "$T/var2"
csr www3 www.example.ac.jp
out=$("$BIN" -c "$T/gw2.conf" upki-submit-csr --wait 60 "$T/www3.csr" 2>"$T/212.log")
check_match "unknown history: 212 then renewal, issued" "order 1: valid serial" "$out"
check_match "... the log shows the 212 and the serial found in the bulk TSV" \
	"212 .*renewing.*job 1: renewing CN=www.example.ac.jp" "$(tr '\n' ' ' <"$T/212.log")"

# --- kill -9 right after the upload, before the answer is recorded -------------------------
csr crash crash.example.ac.jp
out=$(UPKI_TEST_CRASH_AFTER_UPLOAD=1 sub --wait 30 "$T/crash.csr" 2>"$T/crash1.log"); rc=$?
check_eq "the gateway dies after the upload (exit 137)" 137 "$rc"
check_match "... after UPKI accepted it" "exiting after the upload \(success\)" "$(cat "$T/crash1.log")"
check_eq "UPKI has the application" 1 "$(sim_apps crash.example.ac.jp)"
out=$(sub --wait 60 2>"$T/crash2.log"); rc=$?
check_eq "after restart the job completes (exit 0)" 0 "$rc"
check_match "... the order is valid" "order [0-9]+: valid serial" "$out"
check_match "... found through the bulk TSV, no second upload" "uploads: 0" "$out"
check_eq "exactly one application at UPKI" 1 "$(sim_apps crash.example.ac.jp)"
check_eq "exactly one certificate issued for it" 1 \
	"$(sim_get /_sim/state | jget "len([a for a in d['apps'] if a['dn'].startswith('CN=crash.example.ac.jp,') and a['serial']])")"

# --- crash before the upload: the marker is there, UPKI never saw it -----------------------
csr crashb crashb.example.ac.jp
UPKI_TEST_CRASH_BEFORE_UPLOAD=1 sub --wait 30 "$T/crashb.csr" >/dev/null 2>&1; rc=$?
check_eq "the gateway dies before the upload (exit 137)" 137 "$rc"
check_eq "UPKI has no application" 0 "$(sim_apps crashb.example.ac.jp)"
out=$(sub --wait 60 2>"$T/crashb.log"); rc=$?
check_eq "after restart and the grace period the job completes" 0 "$rc"
check_match "... uploaded again once" "no trace of its upload.*uploading again" "$(cat "$T/crashb.log")"
check_eq "exactly one application at UPKI" 1 "$(sim_apps crashb.example.ac.jp)"

# --- faults: each job ends issued or rejected with a clear error, never stuck --------------
for m in 5xx reset maintenance session_loss rate_limit_breach truncated_tsv bad_row wrong_encoding; do
	cn=f-$(echo "$m" | tr _ -).example.ac.jp
	csr "f-$m" "$cn"
	fault "{\"mode\":\"$m\",\"count\":2}"
	out=$(sub --wait 90 "$T/f-$m.csr" 2>"$T/f-$m.log"); rc=$?
	check_eq "fault $m (x2) survived: issued" 0 "$rc"
	check_eq "... one application at UPKI" 1 "$(sim_apps "$cn")"
	fault '{"mode":"none"}'
done
check_match "5xx: retried with back-off" "to retry, 0 unknown: UPKI answered HTTP 500" "$(cat "$T/f-5xx.log")"
check_match "session loss: logged in again" "session lost .* logging in again" "$(cat "$T/f-session_loss.log")"
check_match "busy page: backed off" "bulk download failed \(rate limited\).*backing off" "$(cat "$T/f-rate_limit_breach.log")"
csr slow f-slow.example.ac.jp
fault '{"mode":"slow","count":1,"seconds":3}'
out=$(sub --wait 60 "$T/slow.csr" 2>/dev/null); rc=$?
check_eq "fault slow (3 s answer) survived" 0 "$rc"
csr rej f-reject.example.ac.jp
fault '{"mode":"reject_next","count":1}'
out=$(sub --wait 60 "$T/rej.csr" 2>/dev/null); rc=$?
check_eq "issuance failing at UPKI ends the order (exit 1, not stuck)" 1 "$rc"
check_match "... invalid with UPKI's state in the detail" "invalid: serverInternal: UPKI could not issue the certificate: application [0-9]+ is in state 8" "$out"
# UPKI down for longer than the attempts allow: rejected, not stuck.
cat "$T/gw.conf" >"$T/gw3.conf"; echo "upki_max_attempts = 2" >>"$T/gw3.conf"
csr down f-down.example.ac.jp
fault '{"mode":"maintenance","count":0}'
out=$("$BIN" -c "$T/gw3.conf" upki-submit-csr --wait 60 "$T/down.csr" 2>/dev/null); rc=$?
fault '{"mode":"none"}'
check_eq "UPKI in maintenance throughout: the order fails (exit 1)" 1 "$rc"
check_match "... with 'UPKI unreachable since'" "invalid: serverInternal: UPKI unreachable since [0-9T:-]+Z \(2 attempts\)" "$out"

# --- UPKI's own refusals reach the order with UPKI's words --------------------------------
csr caa caa-blocked.example.ac.jp
out=$(sub --wait 60 "$T/caa.csr" 2>/dev/null)
check_match "CAA refusal (223) maps to caa" "invalid: caa: UPKI refused the application: 223 dNSName" "$out"
openssl req -new -key "$T/www.key" -subj "$SUBJ_TAIL/CN=reuse.example.ac.jp" -out "$T/reuse.csr" 2>/dev/null
out=$(sub --wait 60 "$T/reuse.csr" 2>/dev/null)
check_match "a reused key (218) is badCSR with the openssl recipe" \
	"invalid: badCSR: UPKI refused the application: 218 CSR: .*openssl req -new -newkey rsa:2048 -nodes -keyout reuse.example.ac.jp.key" "$out"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/san.key" -subj "$SUBJ_TAIL/CN=san.example.ac.jp" \
	-addext "subjectAltName=DNS:san.example.ac.jp" -out "$T/san.csr" 2>/dev/null
out=$(sub --wait 10 "$T/san.csr" 2>/dev/null)
check_match "a SAN-bearing CSR is refused before anything is stored" "refused: badCSR: .*subjectAltName" "$out"

# --- revocation -------------------------------------------------------------------
out=$(sub --wait 10 --revoke "$SERIAL1" 2>/dev/null)
check_match "revocation refused at once while UPKI refuses state 4" "refused: unauthorized: .*state is 4.*260" "$out"
echo "upki_revoke_status4 = yes" >>"$T/gw.conf"
S2=$(sim_get /_sim/state | jget "[a for a in d['apps'] if a['dn'].startswith('CN=crash.example.ac.jp,')][0]['serial']")
out=$(sub --wait 30 --revoke "$S2:0" 2>/dev/null); rc=$?
check_eq "UPKI still in 'refuse state 4' mode: exit 1" 1 "$rc"
check_match "... its 260 is explained" "rejected: UPKI refused the application: 260 .*state 4" "$out"
stop_pid "$PID_sim1"
check "sim restarts with --allow-revoke-status4" start_sim sim2 --allow-revoke-status4
S3=$(sim_get /_sim/state | jget "[a for a in d['apps'] if a['dn'].startswith('CN=crashb.example.ac.jp,')][0]['serial']")
out=$(sub --wait 30 --revoke "$S3:1" 2>/dev/null); rc=$?
check_eq "revocation accepted (exit 0)" 0 "$rc"
check_match "... by UPKI" "revoke $S3: accepted by UPKI" "$out"
curl -sS -o /dev/null --cacert "$D/web-ca.pem" -d '{"advance": 600}' "$SIMURL/_sim/clock"
check_eq "sim: the certificate is revoked (7)" 7 "$(sim_get /_sim/state | jget "[a for a in d['apps'] if a['serial']=='$S3'][0]['state']")"

# --- a SAN-accepting profile: stock-client CSRs (ECDSA, empty subject) --------------------
stop_pid "$PID_sim2"
check "sim restarts with --accept-san" start_sim sim3 --accept-san
conf "$T/san.conf" "$T/var" "upki_accept_san = yes" "upki_profile_ecc = 4"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/cb.key" -subj / \
	-addext "subjectAltName=DNS:cb.example.ac.jp,DNS:cb2.example.jp" -out "$T/cb.csr" 2>/dev/null
cat "$D/chain-ecc.pem" "$D/chain-rsa.pem" >"$T/chains.pem"
out=$("$BIN" -c "$T/san.conf" upki-submit-csr --wait 60 --out "$T/out" "$T/cb.csr" 2>/dev/null); rc=$?
check_eq "certbot-style ECDSA CSR with SANs and an empty subject: issued" 0 "$rc"
ORD=$(printf '%s' "$out" | sed -n 's/^order \([0-9]*\): valid.*/\1/p')
check_match "... chain G7 ECC verifies" "OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$T/out/order-$ORD.pem" "$T/out/order-$ORD.pem" 2>&1)"
check_match "... with both names" "DNS:cb.example.ac.jp, DNS:cb2.example.jp" \
	"$(openssl x509 -in "$T/out/order-$ORD.pem" -noout -ext subjectAltName 2>/dev/null | tr '\n' ' ')"
stop_pid "$PID_sim3"
finish
