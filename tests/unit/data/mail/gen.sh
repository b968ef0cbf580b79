#!/bin/sh
# Regenerates the mail test vectors (new keys each time). test_mail_cms.c
# reads the capture time from the file `now` (certificates are valid around it).
#   openssl-*.eml  S/MIME mails signed by openssl cms (LF line ends, its own
#                  MIME shape) under ca.pem: RSA issuerAndSerialNumber, ECDSA
#                  with -keyid (subjectKeyIdentifier), -nocerts, a serverAuth-only
#                  signer
#   sim.eml        an issuance mail as upki-sim renders it (GET /_sim/mail.eml),
#                  with sim-ca.pem its trust anchor; made by SIM_EML=path
#                  (e.g. kept from tests/integration/t_mail_sign.sh) when given
# Needs openssl (3.x) and python3.
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
date -u +%s >now
cat >$T/ext <<'EOF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[signer]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[sanemail]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=emailProtection
subjectAltName=email:ca-support@ml.secom-sts.co.jp
[server]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
EOF
SUBJ="/C=JP/O=Test Mail (TEST)/CN=ca-support (TEST)/emailAddress=ca-support@ml.secom-sts.co.jp"
openssl req -x509 -newkey rsa:2048 -nodes -keyout $T/ca.key -out ca.pem -days 3650 \
  -subj "/C=JP/O=Test Mail (TEST)/CN=Test Mail Root (TEST)" -extensions ca -config $T/ext \
  2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout $T/other.key -out other-ca.pem -days 3650 \
  -subj "/C=JP/O=Stranger (TEST)/CN=Stranger Root (TEST)" -extensions ca -config $T/ext 2>/dev/null
# The same name as ca.pem with another key: names alone must not make a chain.
openssl req -x509 -newkey rsa:2048 -nodes -keyout $T/twin.key -out twin-ca.pem -days 3650 \
  -subj "/C=JP/O=Test Mail (TEST)/CN=Test Mail Root (TEST)" -extensions ca -config $T/ext \
  2>/dev/null
sign_cert() {   # sign_cert NAME KEYOPT EXT [SUBJECT]
  openssl req -new -newkey $2 -nodes -keyout $T/$1.key -subj "${4:-$SUBJ}" -out $T/$1.csr 2>/dev/null
  openssl x509 -req -in $T/$1.csr -CA ca.pem -CAkey $T/ca.key -days 3650 -extfile $T/ext \
    -extensions $3 -out $T/$1.pem 2>/dev/null
}
sign_cert rsa rsa:2048 signer
openssl ecparam -name prime256v1 -out $T/p256.param
sign_cert ec ec:$T/p256.param signer
sign_cert srv rsa:2048 server
# The sender only in subjectAltName; and a good mail certificate for someone else.
sign_cert san rsa:2048 sanemail "/C=JP/O=Test Mail (TEST)/CN=ca-support (TEST)"
sign_cert notfor rsa:2048 signer "/C=JP/O=Test Mail (TEST)/CN=someone/emailAddress=someone@example.ac.jp"

# The signed part: ISO-2022-JP text as UPKI writes it (CRLF inside the entity).
/usr/bin/python3 - "$T/part" <<'EOF'
import sys
body = ("山田 太郎 様\n\nサーバ証明書が発行されました。下記のURLから証明書を取得してください。\n"
        "申請ID: 202600000001\nシリアル番号: 1234567890123456789\n\n"
        "https://scia.secomtrust.net/upki-odcert/download/spDLSrv.do?key=0123456789abcdef0123456789abcdef\n\n"
        "国立情報学研究所 UPKI電子証明書発行サービス https://certs.nii.ac.jp/\n")
hdr = b"Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
open(sys.argv[1], "wb").write(hdr + body.encode("iso-2022-jp").replace(b"\n", b"\r\n"))
EOF
SUBJECT=$(/usr/bin/python3 -c 'import base64; print(base64.b64encode("[UPKI] サーバ証明書発行通知".encode("iso-2022-jp")).decode())')
# The same text as UTF-8 quoted-printable, after an HTML part, in multipart/alternative.
/usr/bin/python3 - "$T/part" "$T/alt" <<'EOF'
import quopri, sys
body = open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)[1].decode("iso-2022-jp")
qp = quopri.encodestring(body.encode("utf-8").replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
alt = (b"Content-Type: multipart/alternative; boundary=\"alt-1\"\r\n\r\n--alt-1\r\n"
       b"Content-Type: text/html; charset=UTF-8\r\n\r\n<p>see the text part</p>\r\n--alt-1\r\n"
       b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
       + qp + b"\r\n--alt-1--\r\n")
open(sys.argv[2], "wb").write(alt)
EOF
HDRS="From: \"UPKI\" <ca-support@ml.secom-sts.co.jp>
To: taro@example.ac.jp
Subject: =?ISO-2022-JP?B?$SUBJECT?=
Message-ID: <test-1@ml.secom-sts.co.jp>"
mail() {   # mail OUT [openssl cms options]
  out=$1; shift
  { printf '%s\n' "$HDRS"; openssl cms -sign -in ${IN:-$T/part} "$@"; } >$out
}
mail openssl-rsa.eml -signer $T/rsa.pem -inkey $T/rsa.key -md sha256
mail openssl-ec-keyid.eml -signer $T/ec.pem -inkey $T/ec.key -md sha256 -keyid
mail openssl-nocerts.eml -signer $T/rsa.pem -inkey $T/rsa.key -md sha256 -nocerts
mail openssl-server.eml -signer $T/srv.pem -inkey $T/srv.key -md sha256
mail openssl-san.eml -signer $T/san.pem -inkey $T/san.key -md sha256
IN=$T/alt mail openssl-alt.eml -signer $T/rsa.pem -inkey $T/rsa.key -md sha256
mail openssl-notfor.eml -signer $T/notfor.pem -inkey $T/notfor.key -md sha256
if [ -n "${SIM_EML:-}" ]; then
  cp "$SIM_EML" sim.eml
  cp "$(dirname "$SIM_EML")/sim/mail-ca.pem" sim-ca.pem
fi
