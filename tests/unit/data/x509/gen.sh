#!/bin/sh
# Regenerates the x509 test vectors (new keys each time: test_x509_*.c hard-codes
# values read from these files, so re-running means updating those expectations).
# Needs openssl (3.x) and, for the certbot-shaped CSRs, certbot's Python packages.
set -eu
PY=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
openssl genrsa -out $T/rsa2048.key 2048 2>/dev/null
openssl genrsa -out $T/rsa4096.key 4096 2>/dev/null
openssl genrsa -out $T/rsa1024.key 1024 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out $T/p256.key
openssl ecparam -name secp384r1 -genkey -noout -out $T/p384.key
openssl ecparam -name secp521r1 -genkey -noout -out $T/p521.key

UPKI="/C=JP/ST=Aichi/L=Nagoya/O=Nagoya University/CN=www.example.ac.jp"
# openssl req -subj ...: CN only, full UPKI subject, no SAN
openssl req -new -key $T/rsa2048.key -sha256 -subj "$UPKI" -out csr_rsa2048_cn.pem
# lego shape: CN = first name, SAN = all names
openssl req -new -key $T/p256.key -sha256 -subj "/CN=a.example.ac.jp" \
  -addext "subjectAltName=DNS:a.example.ac.jp,DNS:b.example.ac.jp" -out csr_p256_lego.pem
openssl req -new -key $T/p384.key -sha384 -subj "/CN=p384.example.ac.jp" \
  -addext "subjectAltName=DNS:p384.example.ac.jp" -out csr_p384.pem
openssl req -new -key $T/p521.key -sha512 -subj "/CN=p521.example.ac.jp" \
  -addext "subjectAltName=DNS:p521.example.ac.jp" -out csr_p521.pem
openssl req -new -key $T/rsa4096.key -sha512 -subj "/CN=rsa4096.example.ac.jp" -out csr_rsa4096.pem
openssl req -new -key $T/rsa1024.key -sha256 -subj "/CN=weak.example.ac.jp" -out csr_rsa1024.pem
openssl req -new -key $T/rsa2048.key -sha1 -subj "/CN=sha1.example.ac.jp" -out csr_sha1.pem
openssl req -new -key $T/rsa2048.key -sha256 -sigopt rsa_padding_mode:pss \
  -subj "/CN=pss.example.ac.jp" -out csr_pss.pem
# OU, emailAddress, extra requested extensions, SHA-384 over RSA
openssl req -new -key $T/rsa2048.key -sha384 \
  -subj "/C=JP/ST=Aichi/L=Nagoya/O=Nagoya University/OU=Information Technology Center/CN=ou.example.ac.jp/emailAddress=admin@example.ac.jp" \
  -addext "subjectAltName=DNS:ou.example.ac.jp" -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
  -addext "basicConstraints=CA:FALSE" -out csr_ou.pem
# challengePassword attribute (tolerated, flagged)
cat > $T/chal.cnf <<'CNF'
[req]
prompt = no
distinguished_name = dn
attributes = attrs
[dn]
CN = chal.example.ac.jp
[attrs]
challengePassword = secret123
CNF
openssl req -new -key $T/p256.key -sha256 -config $T/chal.cnf -out csr_challenge.pem
# UTF-8 subject with characters RFC 4514 escapes
openssl req -new -key $T/p256.key -sha256 -utf8 \
  -subj "/C=JP/O=名古屋大学/OU=Example\, Inc.\+x/CN=#utf8.example.ac.jp " -out csr_utf8.pem
# BMPString subject (unsupported)
cat > $T/bmp.cnf <<'CNF'
[req]
prompt = no
distinguished_name = dn
string_mask = default
utf8 = yes
[dn]
O = 名古屋大学
CN = bmp.example.ac.jp
CNF
openssl req -new -key $T/p256.key -sha256 -config $T/bmp.cnf -out csr_bmp.pem
# multi-valued RDN (unsupported)
openssl req -new -key $T/p256.key -sha256 -multivalue-rdn -subj "/CN=mv.example.ac.jp+O=Multi" -out csr_multirdn.pem
# corrupted signature: flip a bit in the last byte of the signature
openssl req -in csr_p256_lego.pem -outform DER -out $T/lego.der
"$PY" - "$T/lego.der" csr_badsig.der <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-1] ^= 0x01
open(sys.argv[2], 'wb').write(b)
PY
# certbot's own CSR code (certbot 2.x: SAN only, empty subject)
"$PY" - $T <<'PY'
import sys, ipaddress
from certbot import crypto_util as cu
from acme import crypto_util as ac
t = sys.argv[1]
k = cu.make_key(bits=2048, key_type='rsa')
open('csr_certbot_rsa2048.pem', 'wb').write(ac.make_csr(k, ['www.example.ac.jp', 'example.ac.jp']))
k = cu.make_key(key_type='ecdsa', elliptic_curve='secp256r1')
open('csr_certbot_p256_staple.pem', 'wb').write(ac.make_csr(k, ['staple.example.ac.jp'], must_staple=True))
open('csr_certbot_ip.pem', 'wb').write(ac.make_csr(k, ['ip.example.ac.jp'],
    ipaddrs=[ipaddress.ip_address('192.0.2.1'), ipaddress.ip_address('2001:db8::1')]))
PY

# Certificates: an RSA CA (GeneralizedTime notAfter) and a P-256 leaf it signs.
cat > $T/ca.ext <<'CNF'
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
cat > $T/leaf.ext <<'CNF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.ac.jp,DNS:example.ac.jp,IP:192.0.2.10
crlDistributionPoints = URI:http://crl.example.ac.jp/ca.crl
authorityInfoAccess = OCSP;URI:http://ocsp.example.ac.jp/
certificatePolicies = 1.3.6.1.4.1.53827.1.1.4
CNF
openssl req -new -key $T/rsa2048.key -subj "/C=JP/O=Example Test CA/CN=Example Test RSA CA" -out $T/ca.csr
openssl x509 -req -in $T/ca.csr -signkey $T/rsa2048.key -sha256 -days 9500 \
  -set_serial 0x3a -extfile $T/ca.ext -out cert_ca_rsa.pem 2>/dev/null
openssl req -new -key $T/p256.key -subj "$UPKI" -out $T/leaf.csr
openssl x509 -req -in $T/leaf.csr -CA cert_ca_rsa.pem -CAkey $T/rsa2048.key -sha256 -days 397 \
  -set_serial 0x00f1e2d3c4b5a69788796a5b4c3d2e1f -extfile $T/leaf.ext -out cert_leaf_p256.pem 2>/dev/null
cat cert_leaf_p256.pem cert_ca_rsa.pem > cert_chain.pem
for f in csr_*.pem; do openssl req -in $f -noout -verify >/dev/null 2>&1 || echo "note: $f does not verify with openssl"; done
