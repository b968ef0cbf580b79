#!/bin/sh
# Regenerates the tls-alpn-01 certificates of test_x509_acmeid.c (and the seeds of
# tests/fuzz/corpus/tlsalpn_cert/): self-signed, as an ACME client serves them,
# each wrong in one way. Name www.example.ac.jp, key authorization
# "alpn-test-token.alpn-test-thumbprint". Needs openssl 3.x.
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
KA=alpn-test-token.alpn-test-thumbprint
D=$(printf '%s' "$KA" | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
BAD=$(printf '%s' "other" | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
N=www.example.ac.jp
openssl ecparam -name prime256v1 -genkey -noout -out $T/p256.key
openssl genrsa -out $T/rsa.key 2048 2>/dev/null
mk() {   # mk FILE KEY EXT... : a self-signed certificate, DER
	f=$1 k=$2; shift 2
	set -- $(for e in "$@"; do printf -- '-addext\n%s\n' "$e"; done)
	openssl req -x509 -new -key $T/$k.key -sha256 -days 7 -subj "/CN=acme tls-alpn-01" \
	  -config /dev/null "$@" -outform DER -out "$f"
}
ID="1.3.6.1.5.5.7.1.31=critical,DER:0420$D"
mk ok.der p256 "subjectAltName=DNS:$N" "$ID"
mk ok_rsa.der rsa "subjectAltName=DNS:$N" "$ID"
mk upper.der p256 "subjectAltName=DNS:WWW.Example.AC.JP" "$ID"
mk noncritical.der p256 "subjectAltName=DNS:$N" "1.3.6.1.5.5.7.1.31=DER:0420$D"
mk wrongdigest.der p256 "subjectAltName=DNS:$N" "1.3.6.1.5.5.7.1.31=critical,DER:0420$BAD"
mk twosan.der p256 "subjectAltName=DNS:$N,DNS:other.example.ac.jp" "$ID"
mk ipsan.der p256 "subjectAltName=DNS:$N,IP:127.0.0.1" "$ID"
mk wrongname.der p256 "subjectAltName=DNS:www2.example.ac.jp" "$ID"
mk nosan.der p256 "$ID"
mk noid.der p256 "subjectAltName=DNS:$N"
mk shortid.der p256 "subjectAltName=DNS:$N" "1.3.6.1.5.5.7.1.31=critical,DER:041f$(echo $D | cut -c3-)"
mk utf8id.der p256 "subjectAltName=DNS:$N" "1.3.6.1.5.5.7.1.31=critical,DER:0c20$D"
