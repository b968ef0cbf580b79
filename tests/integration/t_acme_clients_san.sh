#!/usr/bin/env bash
# Stock clients with no special flags, against a UPKI profile that accepts
# SAN-bearing CSRs (simulator --accept-san, gateway upki_accept_san): certbot,
# lego, uacme and dehydrated each register with EAB, validate http-01,
# finalize and download a chain that openssl verify accepts.
. "$(dirname "$0")/lib.sh"

echo "upki_accept_san = yes" >"$T/gw.extra"
check "UPKI simulator (--accept-san), DNS and gateway start" stack_start --accept-san \
	--time-scale 0.02 --delay-min 30 --delay-max 90 --rate-limit-seconds 1
verify_chain() { openssl verify -CAfile "$SIMDIR/roots.pem" -untrusted "$2" "$1" >/dev/null 2>&1; }
eab_new() { "$BIN" -c "$T/gw.conf" eab new --name "$1" --allow '*.example.ac.jp' >"$T/eab.$1"; }
eab_kid() { awk '/^kid:/ {print $2}' "$T/eab.$1"; }
eab_hmac() { awk '/^hmac:/ {print $2}' "$T/eab.$1"; }

# A web root for the clients that write files (uacme, dehydrated).
WEB=$T/www
mkdir -p "$WEB/.well-known/acme-challenge"
start_bg web /usr/bin/python3 -m http.server "$HTTP01_PORT" --bind 127.0.0.1 --directory "$WEB"
wait_port "$HTTP01_PORT" 10

# --- uacme (its libcurl trusts only the system bundle: bind ours over it) --------------
eab_new uacme
cat /etc/ssl/certs/ca-certificates.crt "$CA" >"$T/bundle.pem"
cat >"$T/uacme-hook" <<HOOK
#!/bin/sh
# method type ident token key_auth
[ "\$2" = "http-01" ] || exit 1
case "\$1" in
begin) printf '%s' "\$5" >"$WEB/.well-known/acme-challenge/\$4" ;;
done|failed) rm -f "$WEB/.well-known/acme-challenge/\$4" ;;
esac
HOOK
chmod +x "$T/uacme-hook"
timeout 180 unshare -m sh -c "mount --bind '$T/bundle.pem' /etc/ssl/certs/ca-certificates.crt && \
	uacme -v -y -c '$T/uacme' -a '$URL/directory' -t RSA -b 2048 -e '$(eab_kid uacme):$(eab_hmac uacme)' new admin@example.ac.jp && \
	uacme -v -y -c '$T/uacme' -a '$URL/directory' -t RSA -b 2048 -h '$T/uacme-hook' issue www4.example.ac.jp" \
	>"$T/uacme.out" 2>&1
crt=$T/uacme/www4.example.ac.jp/cert.pem
check "uacme obtains a certificate" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/uacme.out"
check "uacme's chain verifies" verify_chain "$crt" "$crt"

# --- dehydrated ------------------------------------------------------------------------
eab_new dh
cat >"$T/dh.cfg" <<CFG
CA="$URL/directory"
CHALLENGETYPE="http-01"
BASEDIR="$T/dh"
WELLKNOWN="$WEB/.well-known/acme-challenge"
CURL_OPTS="--cacert $CA"
CONTACT_EMAIL="admin@example.ac.jp"
EAB_KID="$(eab_kid dh)"
EAB_HMAC_KEY="$(eab_hmac dh)"
KEY_ALGO=rsa
KEYSIZE=2048
CFG
mkdir -p "$T/dh"
timeout 60 dehydrated -f "$T/dh.cfg" --register --accept-terms >"$T/dh.out" 2>&1
timeout 180 dehydrated -f "$T/dh.cfg" --cron --domain www5.example.ac.jp >>"$T/dh.out" 2>&1
crt=$T/dh/certs/www5.example.ac.jp/cert.pem
check "dehydrated obtains a certificate" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/dh.out"
check "dehydrated's chain verifies" verify_chain "$crt" "$T/dh/certs/www5.example.ac.jp/chain.pem"

# --- stock certbot and lego ------------------------------------------------------------
kill "$PID_web"; wait "$PID_web" 2>/dev/null
REQUESTS_CA_BUNDLE=$CA timeout 180 certbot certonly --standalone -n --agree-tos --server "$URL/directory" \
	--config-dir "$T/cb/etc" --work-dir "$T/cb/work" --logs-dir "$T/cb/logs" \
	--preferred-challenges http-01 --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" \
	--eab-kid="$EAB_KID" --eab-hmac-key="$EAB_HMAC" --email admin@example.ac.jp --no-eff-email \
	--key-type rsa --rsa-key-size 2048 --cert-name t -d www6.example.ac.jp >"$T/certbot.out" 2>&1
crt=$T/cb/etc/live/t/cert.pem
check "stock certbot obtains a certificate" test -s "$crt"
[ -s "$crt" ] || grep -h "urn:ietf" "$T/cb/logs/letsencrypt.log" | tail -3
check "certbot's chain verifies" verify_chain "$crt" "$T/cb/etc/live/t/chain.pem"
eab_new lego
LEGO_CA_CERTIFICATES=$CA timeout 180 lego --accept-tos --server "$URL/directory" --path "$T/lego" \
	--email admin@example.ac.jp --eab --kid="$(eab_kid lego)" --hmac="$(eab_hmac lego)" --key-type rsa2048 \
	--http --http.port "127.0.0.1:$HTTP01_PORT" --domains www7.example.ac.jp run >"$T/lego.out" 2>&1
crt=$T/lego/certificates/www7.example.ac.jp.crt
check "stock lego obtains a certificate" test -s "$crt"
[ -s "$crt" ] || tail -20 "$T/lego.out"
check "lego's bundle verifies" verify_chain "$crt" "$crt"
finish
