#!/usr/bin/env bash
# Stock ACME clients through the gateway against the UPKI simulator in its
# strict default (real UPKI rules: CN-only CSR with the institution's subject):
# certbot --csr and lego --csr get a chain that openssl verify accepts, both
# registering with the same EAB key; a stock SAN-only CSR gets badCSR whose
# detail tells the user what to run.
. "$(dirname "$0")/lib.sh"

check "UPKI simulator, DNS and gateway start" stack_start --time-scale 0.02 --delay-min 30 --delay-max 90 --rate-limit-seconds 1
verify_chain() {   # verify_chain LEAF CHAIN
	openssl verify -CAfile "$SIMDIR/roots.pem" -untrusted "$2" "$1" >/dev/null 2>&1
}
eab_new() { "$BIN" -c "$T/gw.conf" eab new --name "$1" --allow '*.example.ac.jp' >"$T/eab.$1"; }
eab_kid() { awk '/^kid:/ {print $2}' "$T/eab.$1"; }
eab_hmac() { awk '/^hmac:/ {print $2}' "$T/eab.$1"; }

# --- certbot with a UPKI-shaped CSR ------------------------------------------------
upki_csr www1.example.ac.jp "$T/c1"
REQUESTS_CA_BUNDLE=$CA timeout 180 certbot certonly --standalone -n --agree-tos --server "$URL/directory" \
	--config-dir "$T/cb/etc" --work-dir "$T/cb/work" --logs-dir "$T/cb/logs" \
	--preferred-challenges http-01 --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
	--eab-kid "$EAB_KID" --eab-hmac-key "$EAB_HMAC" --email admin@example.ac.jp --no-eff-email \
	--csr "$T/c1.csr" --cert-path "$T/c1.crt" --chain-path "$T/c1.chain" --fullchain-path "$T/c1.full" \
	>"$T/certbot1.out" 2>&1
check "certbot --csr obtains a certificate" test -s "$T/c1.crt"
[ -s "$T/c1.crt" ] || { tail -20 "$T/certbot1.out"; grep -h "urn:ietf" "$T/cb/logs/letsencrypt.log" | tail -3; }
check "certbot's chain verifies against the simulator's roots" verify_chain "$T/c1.crt" "$T/c1.chain"
check_match "leaf subject is the UPKI DN" "CN ?= ?www1.example.ac.jp" "$(openssl x509 -noout -subject -in "$T/c1.crt" 2>/dev/null)"
check_eq "leaf key is the CSR's key" "$(openssl req -noout -pubkey -in "$T/c1.csr" | sha256sum)" \
	"$(openssl x509 -noout -pubkey -in "$T/c1.crt" 2>/dev/null | sha256sum)"
check_match "chain holds the G8 intermediate and the cross certificate" \
	"G8 RSA.*SECOM TLS RSA Root CA 2024|SECOM TLS RSA Root CA 2024.*G8 RSA" \
	"$(openssl crl2pkcs7 -nocrl -certfile "$T/c1.chain" | openssl pkcs7 -print_certs -noout 2>/dev/null | tr '\n' ' ')"

# --- stock certbot: a SAN-only CSR is refused with advice ----------------------------
eab_new stock
REQUESTS_CA_BUNDLE=$CA timeout 180 certbot certonly --standalone -n --agree-tos --server "$URL/directory" \
	--config-dir "$T/cb2/etc" --work-dir "$T/cb2/work" --logs-dir "$T/cb2/logs" \
	--preferred-challenges http-01 --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
	--eab-kid "$(eab_kid stock)" --eab-hmac-key "$(eab_hmac stock)" --email admin@example.ac.jp --no-eff-email \
	--key-type rsa --rsa-key-size 2048 --cert-name s -d www2.example.ac.jp >"$T/certbot2.out" 2>&1
log2=$(grep -h "urn:ietf:params:acme:error" "$T/cb2/logs/letsencrypt.log" 2>/dev/null | tail -3)
[ -n "$log2" ] || { diag "certbot output:"; sed 's/^/# /' "$T/certbot2.out" | tail -15; }
check_match "stock certbot gets badCSR" "urn:ietf:params:acme:error:badCSR" "$log2"
check_match "... whose detail carries the openssl command with the institution's DN" \
	"openssl req .*-subj.*/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=www2.example.ac.jp" "$log2"

# --- lego with a UPKI-shaped CSR, through the EAB key certbot registered with -----------
upki_csr www3.example.ac.jp "$T/c3"
LEGO_CA_CERTIFICATES=$CA timeout 180 lego --accept-tos --server "$URL/directory" --path "$T/lego" \
	--email admin@example.ac.jp --eab --kid="$EAB_KID" --hmac="$EAB_HMAC" \
	--http --http.port "127.0.0.1:$HTTP01_PORT" --csr "$T/c3.csr" run >"$T/lego.out" 2>&1
crt=$T/lego/certificates/www3.example.ac.jp.crt
check "lego --csr obtains a certificate" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/lego.out"
check "lego's bundle verifies against the simulator's roots" verify_chain "$crt" "$crt"
check_eq "certbot's and lego's accounts are both bound through the one EAB key" 2 \
	"$("$BIN" -c "$T/gw.conf" eab show "$EAB_KID" 2>/dev/null | grep -c '^account [0-9]*	valid')"
finish
