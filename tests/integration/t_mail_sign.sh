#!/usr/bin/env bash
# Issue 19 items 2 and 4 (signing side): the simulator's issuance mail, as
# rendered by sim_mail_render (GET /_sim/mail.eml), is a real S/MIME message
# (openssl cms -verify, an independent check) and the gateway's own parser
# and verifier (upki-acme mail-check) take from it exactly the serial and the
# one-time URL. Each mail fault (mail_badsig, mail_otherkey, mail_otherhost),
# a tampered body, a forged From, an unsigned copy and a foreign trust anchor
# are refused with their own reason; LF line ends verify as CRLF.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
LRA=https://127.0.0.1:$PORT/upki-odcert/lra
SIMURL=https://127.0.0.1:$PUB
O_NAME="Example University"
"$SIM" init "$D" --institution-o "$O_NAME" --st Aichi --l Nagoya --domains example.ac.jp \
	>/dev/null 2>&1
check "init wrote the S/MIME signer and its anchor" test -s "$D/mail-signer.pem" -a -s "$D/mail-ca.pem"
check_match "the signer certificate is for S/MIME signing under mail-ca.pem" ": OK" \
	"$(openssl verify -CAfile "$D/mail-ca.pem" -untrusted "$D/ca/mail-ca.pem" -purpose smimesign \
		"$D/mail-signer.pem" 2>&1)"

start_bg sim "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
	--time-scale 0.01 --delay-min 10 --delay-max 20
check "sim starts" wait_port "$PUB" 10

# --- one issued certificate, through the LRA pages (as t_sim_basics) -----------
RA=(--cert "$D/ra.pem" --key "$D/ra-key.pem" --cacert "$D/web-ca.pem")
JAR=$T/cookies
curl -sS -o /dev/null -c "$JAR" "${RA[@]}" "$LRA/SSLLogin.do"
curl -sS -o /dev/null -b "$JAR" "${RA[@]}" -d forwardName=SP1011 "$LRA/MainMenu.do"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/www.key" -out "$T/www.csr" \
	-subj "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/CN=www.example.ac.jp" 2>/dev/null
printf 'CN=www.example.ac.jp,O=%s,L=Nagoya,ST=Aichi,C=JP\t3\t\t\t\t\t%s\t山田 太郎\t情報基盤センター\ttaro@example.ac.jp\twww.example.ac.jp\tnginx\twww.example.ac.jp\t\t\r\n' \
	"$O_NAME" "$(tr -d '\r\n' <"$T/www.csr")" | iconv -f UTF-8 -t CP932 >"$T/new.tsv"
res=$(curl -sS -b "$JAR" "${RA[@]}" -H 'Expect:' -F applyType=1 -F errorFlg=1 \
	-F "file=@$T/new.tsv;filename=app.tsv" "$LRA/SP1011.do" | iconv -f EUC-JP -t UTF-8)
check_match "the application is accepted" "ファイルのアップロード処理が完了しました。" "$res"
mail_json=""
for _ in $(seq 100); do
	mail_json=$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")
	case $mail_json in *'"kind":"issued"'*) break ;; esac
	sleep 0.1
done
MID=$(printf '%s' "$mail_json" | jget '[m for m in d if m["kind"]=="issued"][0]["id"]')
SERIAL=$(printf '%s' "$mail_json" | jget '[m for m in d if m["kind"]=="issued"][0]["serial"]')
MURL=$(printf '%s' "$mail_json" | jget '[m for m in d if m["kind"]=="issued"][0]["url"]')
check_match "an issuance mail with a decimal serial is in the outbox" "^[0-9]+$" "$SERIAL"

eml() {   # eml FILE: the rendered issuance mail (HTTP status printed)
	curl -sS --cacert "$D/web-ca.pem" -o "$1" -w '%{http_code}' "$SIMURL/_sim/mail.eml?id=$MID"
}
fault() {
	curl -sS --cacert "$D/web-ca.pem" -o /dev/null -d "{\"mode\":\"$1\"}" "$SIMURL/_sim/fault"
}
cms_verify() {   # cms_verify FILE: openssl's verdict on the S/MIME signature and chain
	openssl cms -verify -in "$1" -CAfile "$D/mail-ca.pem" -purpose smimesign -out /dev/null 2>&1
}

check_eq "GET /_sim/mail.eml renders the mail" 200 "$(eml "$T/good.eml")"
check_match "RFC 5322 headers: From, Subject in ISO-2022-JP encoded words" \
	"^From: ca-support@ml.secom-sts.co.jp.*Subject: =\?ISO-2022-JP\?B\?" \
	"$(tr -d '\r' <"$T/good.eml" | tr '\n' ' ')"
check_match "multipart/signed with protocol application/pkcs7-signature" \
	'multipart/signed; protocol="application/pkcs7-signature"' "$(cat "$T/good.eml")"
check "every line ends in CRLF" test "$(grep -c $'\r$' "$T/good.eml")" = "$(wc -l <"$T/good.eml")"
check "the text part is in ISO-2022-JP (ESC \$ B)" grep -q $'\x1b\$B' "$T/good.eml"
check_eq "no 8-bit byte anywhere in the mail" 0 "$(LC_ALL=C grep -c $'[\x80-\xff]' "$T/good.eml")"
check_match "openssl cms -verify: a real S/MIME signature chaining to mail-ca.pem" \
	"Verification successful" "$(cms_verify "$T/good.eml")"
check_match "its signed text, decoded by openssl and iconv, carries the serial" \
	"シリアル番号: $SERIAL" \
	"$(openssl cms -verify -in "$T/good.eml" -CAfile "$D/mail-ca.pem" 2>/dev/null | iconv -f ISO-2022-JP -t UTF-8)"

cat >"$T/gw.conf" <<EOF
data_dir = $T/gw
upki_mail_ca = $D/mail-ca.pem
upki_download_url = https://127.0.0.1:$PUB/upki-odcert/download/
EOF
mc() { "$BIN" -c "$T/gw.conf" mail-check "$@" 2>&1; }
out=$(mc "$T/good.eml"); rc=$?
check_eq "mail-check: the simulator's mail is proven (exit 0)" 0 "$rc"
check "mail-check takes the serial and the one-time URL" \
	grep -qxF "$T/good.eml: ok serial=$SERIAL url=$MURL" <<<"$out"
check_match "mail-check decodes the subject and names the signer" \
	"subject=\[UPKI\] サーバ証明書発行通知 signer=emailAddress=ca-support@ml.secom-sts.co.jp,CN=UPKI ca-support \(SIM\)" "$out"

tr -d '\r' <"$T/good.eml" >"$T/lf.eml"
check_match "LF line ends: the signed part is hashed as CRLF" "lf.eml: ok serial=$SERIAL" "$(mc "$T/lf.eml")"

# --- faults of the simulator --------------------------------------------------------
fault mail_badsig
eml "$T/badsig.eml" >/dev/null
check "mail_badsig: openssl refuses the signature" test -n "$(cms_verify "$T/badsig.eml" | grep -v 'Verification successful')"
check_match "mail_badsig: refused as badsig" "badsig.eml: refused badsig: " "$(mc "$T/badsig.eml")"
fault mail_otherkey
eml "$T/otherkey.eml" >/dev/null
check_match "mail_otherkey: openssl refuses the chain" "[Vv]erif.*(fail|error)" "$(cms_verify "$T/otherkey.eml")"
check_match "mail_otherkey: refused as untrusted (stranger CA)" \
	"otherkey.eml: refused untrusted: .*CN=UPKI ca-support \(SIM\)" "$(mc "$T/otherkey.eml")"
fault mail_otherhost
eml "$T/otherhost.eml" >/dev/null
check_match "mail_otherhost: the signature itself is genuine" "Verification successful" \
	"$(cms_verify "$T/otherhost.eml")"
check_match "mail_otherhost: refused as url_foreign, the URL is not followed" \
	"otherhost.eml: refused url_foreign: .*https://upki-sim-other.invalid/upki-odcert/download/" \
	"$(mc "$T/otherhost.eml")"
eml "$T/again.eml" >/dev/null
check_match "each fault hits one mail: the next one is proven" "again.eml: ok serial=$SERIAL" \
	"$(mc "$T/again.eml")"
st=$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/state")
check_eq "the mail faults are listed and used up" "0 0 0" \
	"$(printf '%s' "$st" | jget '" ".join(str(d["faults"][k]) for k in ("mail_badsig","mail_otherkey","mail_otherhost"))')"

# --- forgeries made here --------------------------------------------------------------
key=$(printf '%s' "$MURL" | sed 's/.*key=//')
sed "s/$key/$(printf '%s' "$key" | tr 0-9a-f a-f0-9)/" "$T/good.eml" >"$T/tampered.eml"
check_match "a changed key in the signed text: refused as digest" "tampered.eml: refused digest: " \
	"$(mc "$T/tampered.eml")"
sed 's/^From: .*/From: ca-support@ml.secom-sts.co.jp.evil.example\r/' "$T/good.eml" >"$T/from.eml"
check_match "a From other than upki_mail_from: refused as from" \
	"from.eml: refused from: .*ca-support@ml.secom-sts.co.jp.evil.example" "$(mc "$T/from.eml")"
printf 'From: ca-support@ml.secom-sts.co.jp\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nシリアル番号: 1\r\n%s\r\n' \
	"$MURL" >"$T/unsigned.eml"
check_match "an unsigned mail: refused as unsigned" "unsigned.eml: refused unsigned: " "$(mc "$T/unsigned.eml")"
out=$(mc "$T/good.eml" "$T/badsig.eml"); rc=$?
check_eq "one refused mail among several: exit 1" 1 "$rc"
sed -i "s|^upki_mail_ca = .*|upki_mail_ca = $D/web-ca.pem|" "$T/gw.conf"
check_match "another trust anchor: the genuine mail is untrusted" "good.eml: refused untrusted: " \
	"$(mc "$T/good.eml")"
echo "upki_mail_from = someone@example.ac.jp" >>"$T/gw.conf"
sed -i "s|^upki_mail_ca = .*|upki_mail_ca = $D/mail-ca.pem|" "$T/gw.conf"
check_match "another upki_mail_from: refused as from" "good.eml: refused from: " "$(mc "$T/good.eml")"
sed -i '/^upki_mail_ca/d' "$T/gw.conf"
mc "$T/good.eml" >/dev/null; rc=$?
check_eq "no upki_mail_ca: a configuration error (exit 2)" 2 "$rc"
finish
