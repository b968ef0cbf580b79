#!/usr/bin/env bash
# upki-sim on its own, driven with curl and openssl only: the RA officer's
# mutual-TLS login, the SP1011 upload (cp932 TSV) with its EUC-JP result page
# and error codes, issuance after the simulated delay, the Shift_JIS bulk TSV
# whose PEM verifies against the sim roots through the cross certificate, the
# rate limit, renewal, refused revocation in state 4, and a restart.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
LRA=https://127.0.0.1:$PORT/upki-odcert/lra
SIMURL=https://127.0.0.1:$PUB
O_NAME="Example University"
DN_TAIL="O=$O_NAME,L=Nagoya,ST=Aichi,C=JP"

# --- init -----------------------------------------------------------------------
out=$("$SIM" init "$D" --institution-o "$O_NAME" --st Aichi --l Nagoya \
	--domains example.ac.jp,example.jp 2>&1)
check_match "init creates the test PKI" "created" "$out"
for f in web-ca.pem ra.pem ra-key.pem wrong-ra.pem wrong-ra-key.pem chain-rsa.pem chain-ecc.pem \
	roots.pem sim.conf; do
	check "init wrote $f" test -s "$D/$f"
done
check_eq "RA key is mode 0600" 600 "$(stat -c %a "$D/ra-key.pem")"
check_eq "wrong RA key is mode 0600" 600 "$(stat -c %a "$D/wrong-ra-key.pem")"
check_match "chain-rsa.pem is G8 then the cross certificate" \
	"G8 RSA \(SIM\).*issuer=.*TLS RSA Root CA 2024 \(SIM\).*subject=.*TLS RSA Root CA 2024 \(SIM\).*issuer=.*RootCA2 \(SIM\)" \
	"$(openssl crl2pkcs7 -nocrl -certfile "$D/chain-rsa.pem" | openssl pkcs7 -print_certs -noout | tr '\n' ' ')"
check_match "G8 chains to RootCA2 through the cross certificate" "OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$D/chain-rsa.pem" "$D/chain-rsa.pem" 2>&1)"
check_match "G7 ECC chains to ECC RootCA1" ": OK" \
	"$(openssl verify -CAfile "$D/roots.pem" "$D/chain-ecc.pem" 2>&1)"
check_match "sim.conf records the institution" "^o = Example University" "$(cat "$D/sim.conf")"
out=$("$SIM" init "$D" 2>&1); rc=$?
check "init refuses an existing directory" test "$rc" -ne 0

# --- serve ------------------------------------------------------------------------
start_sim() {
	start_bg "$1" "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
		--time-scale 0.01 --rate-limit-seconds 600 --delay-min 250 --delay-max 350
	wait_port "$PORT" 10 && wait_port "$PUB" 10
}
check "sim starts" start_sim sim1

RA=(--cert "$D/ra.pem" --key "$D/ra-key.pem" --cacert "$D/web-ca.pem")
JAR=$T/cookies
hdr=$(curl -sS -D - -o "$T/login.html" -c "$JAR" "${RA[@]}" "$LRA/SSLLogin.do")
check_match "login with the RA certificate sets JSESSIONID" "Set-Cookie: JSESSIONID=[0-9A-F]{32}" "$hdr"
check_match "login page is a frameset with frame hidari" 'frame name="hidari"' \
	"$(iconv -f EUC-JP -t UTF-8 <"$T/login.html")"
curl -sS -o /dev/null --cert "$D/wrong-ra.pem" --key "$D/wrong-ra-key.pem" --cacert "$D/web-ca.pem" \
	"$LRA/SSLLogin.do" 2>/dev/null; rc=$?
check "login with a certificate from another CA fails in TLS (curl rc $rc)" test "$rc" = 35 -o "$rc" = 56
curl -sS -o /dev/null --cacert "$D/web-ca.pem" "$LRA/SSLLogin.do" 2>/dev/null; rc=$?
check "login without a client certificate fails in TLS (curl rc $rc)" test "$rc" = 35 -o "$rc" = 56
check_eq "no session: the menu redirects to SSLLogin.do" 302 \
	"$(curl -sS -o /dev/null -w '%{http_code}' "${RA[@]}" "$LRA/MainMenu.do")"
menu=$(curl -sS -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do" | iconv -f EUC-JP -t UTF-8)
check_match "menu holds form MainMenuForm" 'form name="MainMenuForm"' "$menu"
form=$(curl -sS -b "$JAR" "${RA[@]}" -d forwardName=SP1011 "$LRA/MainMenu.do" | iconv -f EUC-JP -t UTF-8)
check_match "forwardName=SP1011 gives the upload form" 'form name="SP1011".*SP1011.do' "$(echo $form)"

# --- applications ---------------------------------------------------------------
# csr NAME CN [openssl req options...]: key and CSR for CN with the institution's DN.
csr() {
	local name=$1 cn=$2; shift 2
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$name.key" -out "$T/$name.csr" \
		-subj "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/CN=$cn" "$@" 2>/dev/null
}
# row DN CSRFILE [SERIAL] [DNSNAMES]: one 15-column row (UTF-8; converted to cp932 on upload).
row() {
	local dn=$1 csrf=$2 serial=${3:-} names=${4:-} cn
	cn=$(printf '%s' "$dn" | sed 's/^CN=\([^,]*\),.*/\1/')
	printf '%s\t3\t\t%s\t\t\t%s\t山田 太郎\t情報連携推進本部\ttaro@example.ac.jp\t%s\tnginx 1.24\t%s\t\t\r\n' \
		"$dn" "$serial" "$(tr -d '\r\n' <"$csrf")" "$cn" "$names"
}
# upload KIND TSVFILE [ERRORFLG]: the result page, decoded from EUC-JP.
upload() {
	iconv -f UTF-8 -t CP932 <"$2" >"$2.sjis" || return 1
	curl -sS -b "$JAR" "${RA[@]}" -H 'Expect:' -F "applyType=$1" -F "errorFlg=${3:-1}" \
		-F "file=@$2.sjis;filename=app.tsv" "$LRA/SP1011.do" | iconv -f EUC-JP -t UTF-8
}
state() { curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/state"; }

csr www www.example.ac.jp
row "CN=www.example.ac.jp,$DN_TAIL" "$T/www.csr" "" "www.example.ac.jp,web.example.jp" >"$T/new.tsv"
res=$(upload 1 "$T/new.tsv")
check_match "新規 upload is accepted" "ファイルのアップロード処理が完了しました。" "$res"
check_match "result table row 1 is OK with the admin's name" "<td>1</td><td>OK</td><td></td><td>Example University</td><td>情報連携推進本部</td><td>山田 太郎</td>" "$res"
check_eq "the application is processing (state 3)" 1 "$(state | jget 'd["applications"]["3"]')"
res=$(upload 1 "$T/new.tsv")
check_match "the same DN again: 212" "212:1,主体者DN,指定したDNはすでに存在しています。" "$res"
check_match "refused upload has the error sentence" "発行処理が以下のエラーにより正常終了しませんでした。" "$res"
check_match "the same key again: 218" "218:1,CSR,この公開鍵はすでに使用されています。" "$res"

csr san san.example.ac.jp -addext "subjectAltName=DNS:san.example.ac.jp"
row "CN=san.example.ac.jp,$DN_TAIL" "$T/san.csr" >"$T/san.tsv"
check_match "CSR with subjectAltName: 216" "216:1,CSR,CSRにsubjectAltNameを含めることはできません。" \
	"$(upload 1 "$T/san.tsv")"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/ou.key" -out "$T/ou.csr" \
	-subj "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/OU=IT/CN=ou.example.ac.jp" 2>/dev/null
row "CN=ou.example.ac.jp,OU=IT,$DN_TAIL" "$T/ou.csr" >"$T/ou.tsv"
check_match "DN with OU: 205" "205:1,主体者DN,OUは指定できません。" "$(upload 1 "$T/ou.tsv")"
csr other other.example.com
row "CN=other.example.com,$DN_TAIL" "$T/other.csr" >"$T/other.tsv"
check_match "CN outside the institution's domains: 207" "207:1,主体者DN," "$(upload 1 "$T/other.tsv")"
csr mism mism.example.ac.jp
row "CN=mism2.example.ac.jp,$DN_TAIL" "$T/mism.csr" >"$T/mism.tsv"
check_match "CSR subject differs from column 1: 213" "213:1,CSR," "$(upload 1 "$T/mism.tsv")"
csr caa caa-blocked.example.ac.jp
row "CN=caa-blocked.example.ac.jp,$DN_TAIL" "$T/caa.csr" >"$T/caa.tsv"
check_match "CAA without secomtrust.net: 223" "223:1,dNSName," "$(upload 1 "$T/caa.tsv")"
printf 'CN="quoted.example.ac.jp",%s\t3\r\n' "$DN_TAIL" >"$T/quoted.tsv"
check_match "a quoted cell: 101" "101:1,書式," "$(upload 1 "$T/quoted.tsv")"
printf 'CN=short.example.ac.jp,%s\t3\t\r\n' "$DN_TAIL" >"$T/short.tsv"
check_match "too few columns: 102" "102:1,書式," "$(upload 1 "$T/short.tsv")"

check_eq "uploads counted" 9 "$(state | jget 'd["uploads"]')"

# --- issuance after the delay (250-350 s x 0.01) ------------------------------------
for _ in $(seq 80); do
	[ "$(state | jget 'd["applications"]["4"]')" = 1 ] && break
	sleep 0.1
done
st=$(state)
check_eq "issued: state 4" 1 "$(echo "$st" | jget 'd["applications"]["4"]')"
SERIAL=$(echo "$st" | jget '[a for a in d["apps"] if a["state"]==4][0]["serial"]')
check_match "serial is decimal" "^[0-9]{1,20}$" "$SERIAL"
mail=$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")
check_match "issuance mail to the 利用管理者" '"to":"taro@example.ac.jp","subject":"\[UPKI\] サーバ証明書発行通知"' "$mail"
check_match "mail carries the decimal serial and the one-time URL" "\"serial\":\"$SERIAL\",\"url\":\"https://127.0.0.1:$PUB/upki-odcert/download/spDLSrv.do\?key=[0-9a-f]{32}\"" "$mail"

curl -sS -b "$JAR" "${RA[@]}" -o "$T/bulk1.tsv" "$LRA/syomeiDL_S.do"
iconv -f CP932 -t UTF-8 <"$T/bulk1.tsv" >"$T/bulk1.utf8"; rc=$?
check_eq "bulk TSV is valid cp932" 0 "$rc"
check_match "bulk TSV header row" "^発行・更新申請-申請ID	発行・更新申請-シリアル番号	主体者DN	状態	.*証明書\(PEM形式\)" "$(head -1 "$T/bulk1.utf8")"
check "bulk TSV lines end in CRLF" grep -q $'\r$' "$T/bulk1.tsv"
line=$(grep -F "	$SERIAL	" "$T/bulk1.utf8")
check_match "bulk row: serial, DN, state 4" "^[0-9]{12}	$SERIAL	CN=www.example.ac.jp,O=Example University,L=Nagoya,ST=Aichi,C=JP	4	1	3	www.example.ac.jp,web.example.jp	" "$line"
printf '%s' "$line" | tr -d '\r' | awk -F'\t' '{print $14}' | \
	sed 's/-----BEGIN CERTIFICATE-----/&\n/; s/-----END CERTIFICATE-----/\n&/' >"$T/leaf.b64"
{ head -1 "$T/leaf.b64"; sed -n 2p "$T/leaf.b64" | fold -w 64; tail -1 "$T/leaf.b64"; } >"$T/leaf.pem"
check_match "PEM cell is one line with header and footer" "^-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=]+-----END CERTIFICATE-----$" \
	"$(printf '%s' "$line" | tr -d '\r' | awk -F'\t' '{print $14}')"
check_match "leaf verifies: roots.pem + chain-rsa.pem (cross certificate)" "leaf.pem: OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$D/chain-rsa.pem" "$T/leaf.pem" 2>&1)"
txt=$(openssl x509 -in "$T/leaf.pem" -noout -text 2>&1)
check_match "leaf issuer is G8 RSA (SIM)" "Issuer: C *= *JP, O *= *\"SECOM Trust Systems CO.,LTD.\", CN *= *NII Open Domain CA - G8 RSA \(SIM\)" "$txt"
check_match "leaf subject C, ST, L, O, CN" "Subject: C *= *JP, ST *= *Aichi, L *= *Nagoya, O *= *Example University, CN *= *www.example.ac.jp" "$txt"
check_match "leaf SAN: CN first" "DNS:www.example.ac.jp, DNS:web.example.jp" "$txt"
check_match "leaf EKU serverAuth" "TLS Web Server Authentication" "$txt"
check_match "leaf has SKI and AKI" "Subject Key Identifier.*Authority Key Identifier" "$(echo $txt)"
days=$(( ( $(date -d "$(openssl x509 -in "$T/leaf.pem" -noout -enddate | cut -d= -f2)" +%s) - \
	$(date -d "$(openssl x509 -in "$T/leaf.pem" -noout -startdate | cut -d= -f2)" +%s) ) / 86400 ))
check_eq "validity 198 days" 198 "$days"
check_eq "leaf serial matches the decimal serial" "$SERIAL" \
	"$(/usr/bin/python3 -c "print(int('$(openssl x509 -in "$T/leaf.pem" -noout -serial | cut -d= -f2)',16))")"
check "key of the leaf is the CSR's" test "$(openssl x509 -in "$T/leaf.pem" -noout -pubkey | sha256sum)" = \
	"$(openssl req -in "$T/www.csr" -noout -pubkey | sha256sum)"

# --- rate limit -------------------------------------------------------------------
busy=$(curl -sS -b "$JAR" "${RA[@]}" "$LRA/syomeiDL_S.do" | iconv -f EUC-JP -t UTF-8)
check_match "second bulk download within the rate limit: busy page" "只今混み合っております。しばらく時間をおいてから再度実行してください。" "$busy"
st=$(state)
check_eq "rate_limited counted" 1 "$(echo "$st" | jget 'd["rate_limited"]')"
check_eq "bulk_downloads counted" 1 "$(echo "$st" | jget 'd["bulk_downloads"]')"

# --- revocation in state 4 is refused, renewal marks the old certificate 6 -------------
printf 'CN=www.example.ac.jp,%s\t\t\t%s\t1\t\t\t\t\ttaro@example.ac.jp\t\t\t\t\t\r\n' \
	"$DN_TAIL" "$SERIAL" >"$T/revoke.tsv"
check_match "revocation of a state-4 certificate: 260" "260:1,状態," "$(upload 3 "$T/revoke.tsv")"
csr www2 www.example.ac.jp
row "CN=www.example.ac.jp,$DN_TAIL" "$T/www2.csr" "$SERIAL" "www.example.ac.jp,web.example.jp" >"$T/renew.tsv"
row "CN=www.example.ac.jp,$DN_TAIL" "$T/www2.csr" "12345" >"$T/renew-bad.tsv"
check_match "renewal of an unknown serial: 241" "241:1,シリアル番号," "$(upload 2 "$T/renew-bad.tsv")"
check_match "renewal (更新) accepted" "ファイルのアップロード処理が完了しました。" "$(upload 2 "$T/renew.tsv")"
curl -sS --cacert "$D/web-ca.pem" -d '{"advance": 600}' "$SIMURL/_sim/clock" >/dev/null
st=$(state)
check_eq "old certificate marked 6 (更新済み)" 6 "$(echo "$st" | jget "[a for a in d['apps'] if a['serial']=='$SERIAL'][0]['state']")"
check_eq "new certificate in state 4" 1 "$(echo "$st" | jget 'd["applications"]["4"]')"

# --- the one-time URL: state 5, second use refused ----------------------------------------
url=$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail" | jget '[m for m in d if m["kind"]=="issued"][-1]["url"]')
check_match "one-time URL returns the PEM" "BEGIN CERTIFICATE" "$(curl -sS --cacert "$D/web-ca.pem" "$url")"
check_eq "one-time URL works once" 404 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$D/web-ca.pem" "$url")"
check_eq "downloaded certificate in state 5" 1 "$(state | jget 'd["applications"]["5"]')"

# --- restart keeps everything ------------------------------------------------------
before=$(state | jget '[(a["id"],a["state"],a["serial"]) for a in d["apps"]]')
check "SIGTERM stops the sim" stop_pid "$PID_sim1"
check "sim restarts" start_sim sim2
after=$(state | jget '[(a["id"],a["state"],a["serial"]) for a in d["apps"]]')
check_eq "applications survive the restart" "$before" "$after"
check_eq "counters survive the restart" 1 "$(state | jget 'd["rate_limited"]')"
curl -sS -c "$JAR" "${RA[@]}" -o /dev/null "$LRA/SSLLogin.do"
res=$(upload 1 "$T/new.tsv")
check_match "DN history survives the restart (212)" "212:1,主体者DN" "$res"
stop_pid "$PID_sim2"
finish
