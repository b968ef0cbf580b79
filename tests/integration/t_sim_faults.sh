#!/usr/bin/env bash
# upki-sim's switches and injected faults, with curl and openssl only:
# per-row errorFlg, ECDSA under the ECC profile, key and revocation rules,
# --accept-san, --allow-revoke-status4, --pem-cell quoted, session expiry by
# clock, the public listener, and every /_sim/fault mode.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
LRA=https://127.0.0.1:$PORT/upki-odcert/lra
SIMURL=https://127.0.0.1:$PUB
O_NAME="Example University"
DN_TAIL="O=$O_NAME,L=Nagoya,ST=Aichi,C=JP"

"$SIM" init "$D" >/dev/null 2>&1
check "init" test -s "$D/sim.conf"

start_sim() {   # start_sim NAME [serve options]
	local name=$1; shift
	start_bg "$name" "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
		--time-scale 0.001 --rate-limit-seconds 60 "$@"
	wait_port "$PORT" 10 && wait_port "$PUB" 10
}
RA=(--cert "$D/ra.pem" --key "$D/ra-key.pem" --cacert "$D/web-ca.pem")
JAR=$T/cookies
login() { curl -sS -o /dev/null -c "$JAR" "${RA[@]}" "$LRA/SSLLogin.do"; }
state() { curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/state"; }
fault() { curl -sS -o /dev/null --cacert "$D/web-ca.pem" -d "$1" "$SIMURL/_sim/fault"; }
advance() { curl -sS -o /dev/null --cacert "$D/web-ca.pem" -d "{\"advance\": $1}" "$SIMURL/_sim/clock"; }
csr() {   # csr NAME SUBJECT [openssl req options]
	local name=$1 subj=$2; shift 2
	openssl req -new -nodes -keyout "$T/$name.key" -out "$T/$name.csr" -subj "$subj" "$@" 2>/dev/null
}
rsa_csr() { csr "$1" "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/CN=$2" -newkey rsa:2048; }
row() {   # row CN CSRFILE [PROFILE] [SERIAL] [DNSNAMES]
	printf 'CN=%s,%s\t%s\t\t%s\t\t\t%s\t山田 太郎\t情報連携推進本部\ttaro@example.ac.jp\t%s\tnginx\t%s\t\t\r\n' \
		"$1" "$DN_TAIL" "${3:-3}" "${4:-}" "$(tr -d '\r\n' <"$2")" "$1" "${5:-}"
}
revoke_row() {   # revoke_row CN SERIAL REASON [COMMENT]
	printf 'CN=%s,%s\t\t\t%s\t%s\t%s\t\t\t\ttaro@example.ac.jp\t\t\t\t\t\r\n' "$1" "$DN_TAIL" "$2" "$3" "${4:-}"
}
upload() {   # upload KIND TSV [ERRORFLG]
	iconv -f UTF-8 -t CP932 <"$2" >"$2.sjis" || return 1
	curl -sS -b "$JAR" "${RA[@]}" -H 'Expect:' -F "applyType=$1" -F "errorFlg=${3:-1}" \
		-F "file=@$2.sjis;filename=app.tsv" "$LRA/SP1011.do" | iconv -f EUC-JP -t UTF-8
}
serial_of() { state | jget "[a for a in d['apps'] if a['dn'].startswith('CN=$1,') and a['type']!=3][-1]['serial']"; }
state_of() { state | jget "[a for a in d['apps'] if a['serial']=='$1'][0]['state']"; }
bulk() { curl -sS -b "$JAR" "${RA[@]}" "$LRA/syomeiDL_S.do"; }
pem_of() {   # pem_of BULKFILE SERIAL: the one-line PEM cell of that row, as PEM
	iconv -f CP932 -t UTF-8 <"$1" | grep -F "	$2	" | tr -d '\r' | awk -F'\t' '{print $14}' |
		sed 's/-----BEGIN CERTIFICATE-----/&\n/; s/-----END CERTIFICATE-----/\n&/' |
		awk 'NR==2 { while (length($0) > 64) { print substr($0, 1, 64); $0 = substr($0, 65) } } { print }'
}

check "sim starts" start_sim s1
login

# --- public listener -------------------------------------------------------------
check_eq "public listener refuses the lra pages (no client certificate)" 403 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$D/web-ca.pem" "$SIMURL/upki-odcert/lra/SSLLogin.do")"
check_eq "unknown one-time key: 404" 404 \
	"$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$D/web-ca.pem" "$SIMURL/upki-odcert/download/spDLSrv.do?key=00")"
# A certificate from the RA CA that sim.conf does not list: TLS passes, the login is refused.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other-ra.key" \
	-subj "/C=JP/O=$O_NAME/CN=Other Officer" 2>/dev/null |
	openssl x509 -req -CA "$D/ra-ca.pem" -CAkey "$D/ca/ra-ca-key.pem" -CAcreateserial -days 30 \
	-out "$T/other-ra.pem" 2>/dev/null
chmod 600 "$T/other-ra.key"
page=$(curl -sS --cert "$T/other-ra.pem" --key "$T/other-ra.key" --cacert "$D/web-ca.pem" \
	"$LRA/SSLLogin.do" | iconv -f EUC-JP -t UTF-8)
check_match "an RA certificate not registered for the institution is refused" "登録されていません" "$page"
form=$(curl -sS -b "$JAR" "${RA[@]}" -F forwardName=SP1011 "$LRA/MainMenu.do" | iconv -f EUC-JP -t UTF-8)
check_match "the menu form posted as multipart also leads to SP1011" 'form name="SP1011"' "$form"

# --- errorFlg, ECDSA, key and form rules -------------------------------------------
rsa_csr a1 a1.example.ac.jp
csr bad "/C=JP/ST=Aichi/L=Nagoya/O=Wrong University/CN=bad.example.ac.jp" -newkey rsa:2048
{ row a1.example.ac.jp "$T/a1.csr"; row bad.example.ac.jp "$T/bad.csr" | sed "s/O=$O_NAME/O=Wrong University/"; } >"$T/two.tsv"
res=$(upload 1 "$T/two.tsv" 1)
check_match "errorFlg 1: an NG row aborts the whole file" "202:2,主体者DN," "$res"
check_eq "errorFlg 1: nothing applied" 0 "$(state | jget 'len(d["apps"])')"
res=$(upload 1 "$T/two.tsv" 2)
check_match "errorFlg 2: the good row is OK" "<td>1</td><td>OK</td>" "$res"
check_match "errorFlg 2: the bad row is NG" "<td>2</td><td>NG</td><td>202:2,主体者DN," "$res"
check_eq "errorFlg 2: one application" 1 "$(state | jget 'len(d["apps"])')"

csr ec1 "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/CN=ec1.example.ac.jp" -newkey ec -pkeyopt ec_paramgen_curve:P-256
row ec1.example.ac.jp "$T/ec1.csr" 3 >"$T/ec-rsaprof.tsv"
check_match "ECDSA key under the RSA profile: 214" "214:1,CSR," "$(upload 1 "$T/ec-rsaprof.tsv")"
row ec1.example.ac.jp "$T/ec1.csr" 4 >"$T/ec.tsv"
check_match "ECDSA key under the ECC profile is accepted" "ファイルのアップロード処理が完了しました。" "$(upload 1 "$T/ec.tsv")"
row ec2.example.ac.jp "$T/ec1.csr" 9 >"$T/prof.tsv"
check_match "unknown profile ID" "204:1,証明書プロファイルID," "$(upload 1 "$T/prof.tsv")"
csr big "/C=JP/ST=Aichi/L=Nagoya/O=$O_NAME/CN=big.example.ac.jp" -newkey rsa:3072
row big.example.ac.jp "$T/big.csr" >"$T/big.tsv"
check_match "RSA-3072 refused: 214" "214:1,CSR,鍵の種類または鍵長が正しくありません。" "$(upload 1 "$T/big.tsv")"
rsa_csr n9 n9.example.ac.jp
row n9.example.ac.jp "$T/n9.csr" 3 "" "a.example.jp,b.example.jp,c.example.jp,d.example.jp,e.example.jp,f.example.jp,g.example.jp,h.example.jp" >"$T/n9.tsv"
check_match "nine names with the CN: 221" "221:1,dNSName," "$(upload 1 "$T/n9.tsv")"
row n9.example.ac.jp "$T/n9.csr" 3 "" "www.example.com" >"$T/foreign.tsv"
check_match "a dNSName outside the domains: 222" "222:1,dNSName," "$(upload 1 "$T/foreign.tsv")"
row n9.example.ac.jp "$T/n9.csr" 3 "12" >"$T/reserved.tsv"
check_match "a serial in a 新規 row: reserved column" "106:1,シリアル番号," "$(upload 1 "$T/reserved.tsv")"
printf 'CN=n9.example.ac.jp,%s\t3\t\t\t\t\t%s\t\t情報連携推進本部\tnot-an-email\tn9.example.ac.jp\tnginx\t\t\t\r\n' \
	"$DN_TAIL" "$(tr -d '\r\n' <"$T/n9.csr")" >"$T/missing.tsv"
res=$(upload 1 "$T/missing.tsv")
check_match "empty 利用管理者氏名: 104" "104:1,利用管理者氏名,必須項目が入力されていません。" "$res"
check_match "bad e-mail: 231" "231:1,利用管理者E-mail," "$res"
printf 'CN=x.example.ac.jp,%s\t3\t\t\t\t\t\t\xff\xfe\t\t\t\t\t\t\t\r\n' "$DN_TAIL" >"$T/enc.sjis"
res=$(curl -sS -b "$JAR" "${RA[@]}" -H 'Expect:' -F applyType=1 -F errorFlg=1 \
	-F "file=@$T/enc.sjis;filename=app.tsv" "$LRA/SP1011.do" | iconv -f EUC-JP -t UTF-8)
check_match "bytes that are not cp932: 103" "103:1,書式," "$res"
check_eq "a form without applyType: 400" 400 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" \
	-F "file=@$T/ec.tsv" "$LRA/SP1011.do")"

# --- issuance by clock, ECC chain ---------------------------------------------------
advance 600
EC_SERIAL=$(serial_of ec1.example.ac.jp)
A1_SERIAL=$(serial_of a1.example.ac.jp)
check_match "ECDSA certificate issued" "^[0-9]+$" "$EC_SERIAL"
bulk >"$T/b1.tsv"
pem_of "$T/b1.tsv" "$EC_SERIAL" >"$T/ec1.pem"
check_match "ECDSA leaf verifies with roots.pem + chain-ecc.pem" "ec1.pem: OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$D/chain-ecc.pem" "$T/ec1.pem" 2>&1)"
check_match "ECDSA leaf issued by G7 ECC (SIM)" "NII Open Domain CA - G7 ECC \(SIM\)" \
	"$(openssl x509 -in "$T/ec1.pem" -noout -issuer)"
check_match "the issuing mail names the CN's row" "\"app_id\":\"[0-9]{12}\",\"serial\":\"$EC_SERIAL\"" \
	"$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")"

# --- revocation rules ---------------------------------------------------------------
revoke_row a1.example.ac.jp "$A1_SERIAL" 0 >"$T/r0.tsv"
check_match "reason 0 without a comment: 251" "251:1,失効理由コメント," "$(upload 3 "$T/r0.tsv")"
revoke_row a1.example.ac.jp "$A1_SERIAL" 2 >"$T/r2.tsv"
check_match "reason 2 is not offered: 252" "252:1,失効理由," "$(upload 3 "$T/r2.tsv")"
revoke_row a1.example.ac.jp 999 1 >"$T/r9.tsv"
check_match "unknown serial: 241" "241:1,シリアル番号," "$(upload 3 "$T/r9.tsv")"
revoke_row a1.example.ac.jp "$A1_SERIAL" 1 >"$T/r1.tsv"
check_match "state 4: 260 by default" "260:1,状態," "$(upload 3 "$T/r1.tsv")"
# After the one-time URL (state 5) revocation is accepted.
url=$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail" | jget "[m for m in d if m['serial']=='$A1_SERIAL'][0]['url']")
curl -sS -o /dev/null --cacert "$D/web-ca.pem" "$url"
check_eq "one-time URL used: state 5" 5 "$(state_of "$A1_SERIAL")"
check_match "download notice to the RA officer" '"kind":"downloaded","from":"ca-support@ml.secom-sts.co.jp","to":"ra@example.ac.jp"' \
	"$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")"
check_match "state 5: revocation accepted" "ファイルのアップロード処理が完了しました。" "$(upload 3 "$T/r1.tsv")"
check_match "a second revocation while one is pending: 260" "260:1,状態," "$(upload 3 "$T/r1.tsv")"
advance 600
check_eq "revoked: state 7" 7 "$(state_of "$A1_SERIAL")"
check_match "revocation mail" "サーバ証明書失効完了通知" "$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")"
rsa_csr a1r a1.example.ac.jp
row a1.example.ac.jp "$T/a1r.csr" 3 "$A1_SERIAL" >"$T/renew7.tsv"
check_match "renewal of a revoked certificate: 242" "242:1,シリアル番号," "$(upload 2 "$T/renew7.tsv")"

# --- sessions ---------------------------------------------------------------------
advance 1801
check_eq "session idle 30 minutes: redirect to SSLLogin.do" 302 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
login
check_eq "new login works" 200 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
fault '{"mode":"session_loss"}'
check_eq "session_loss fault: redirect" 302 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
login

# --- faults -----------------------------------------------------------------------
fault '{"mode":"maintenance"}'
out=$(curl -sS -w '\n%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do" | iconv -f EUC-JP -t UTF-8)
check_match "maintenance: 503 with the maintenance text" "メンテナンス中.*503" "$(echo $out)"
check_eq "maintenance count 1: the next request is served" 200 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
fault '{"mode":"5xx","count":2,"status":502}'
check_eq "5xx fault (1)" 502 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
check_eq "5xx fault (2)" 502 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
check_eq "5xx fault used up" 200 "$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
fault '{"mode":"reset"}'
curl -sS -o /dev/null -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do" 2>/dev/null; rc=$?
check "reset: connection closed without an answer (curl rc $rc)" test "$rc" = 52 -o "$rc" = 56 -o "$rc" = 35
fault '{"mode":"slow","seconds":2}'
t0=$(date +%s.%N)
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")
t1=$(date +%s.%N)
check_eq "slow: still answered" 200 "$code"
check "slow: answered after about 2 s" /usr/bin/python3 -c "import sys; sys.exit(0 if 1.8 <= $t1 - $t0 <= 5 else 1)"

# idle_close: a keep-alive connection left idle is closed by the server (the
# listener's own idle timeout is 60 s); the gateway sends Connection: close.
before=$(state | jget "d['faults_fired']")
fault '{"mode":"idle_close","seconds":1}'
out=$(/usr/bin/python3 - "$D" "$PORT" <<'PY'
import socket, ssl, sys, time
d, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=d + "/web-ca.pem")
ctx.load_cert_chain(d + "/ra.pem", d + "/ra-key.pem")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.settimeout(10)
s.sendall(b"GET /upki-odcert/lra/MainMenu.do HTTP/1.1\r\nHost: localhost\r\n\r\n")
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, body = buf.split(b"\r\n\r\n", 1)
n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
while n and len(body) < n[0]:
    body += s.recv(4096)
print("answered=%s" % head.split(b" ")[1].decode())
print("keepalive=%s" % ("close" if b"connection: close" in head.lower() else "kept"))
t0 = time.time()
try:
    while s.recv(4096):
        pass
    print("closed_after=%.1f" % (time.time() - t0))
except socket.timeout:
    print("closed_after=open")
except (ssl.SSLError, OSError):
    print("closed_after=%.1f" % (time.time() - t0))
PY
)
check_match "idle_close: the request is answered on a kept-alive connection" \
	"answered=[23][0-9][0-9].*keepalive=kept" "$(echo $out)"
check_match "idle_close: the server closes the idle connection after about 1 s" \
	"closed_after=(0\.[5-9]|[1-4]\.[0-9])" "$out"
check_eq "idle_close: counted as a fault fired" $((before + 1)) "$(state | jget "d['faults_fired']")"
fault '{"mode":"idle_close","seconds":1}'
fault '{"mode":"slow","seconds":2}'
check_eq "idle_close: a request held by slow is not idle (answered after 2 s, not cut at 1 s)" 200 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/MainMenu.do")"
fault '{"mode":"none"}'

fault '{"mode":"rate_limit_breach","status":429}'
out=$(curl -sS -w '\n%{http_code}' -b "$JAR" "${RA[@]}" "$LRA/syomeiDL_S.do" | iconv -f EUC-JP -t UTF-8)
check_match "rate_limit_breach: busy page with the chosen status" "只今混み合っております.*429" "$(echo $out)"
fault '{"mode":"none"}'
advance 60
fault '{"mode":"truncated_tsv"}'
bulk >"$T/trunc.tsv"
check "truncated_tsv: the file ends inside a row" test "$(tail -c 2 "$T/trunc.tsv" | od -An -c | tr -d ' ')" != '\r\n'
advance 60
fault '{"mode":"bad_row"}'
bulk >"$T/badrow.tsv"
check_match "bad_row: a malformed row after the header" "^999999999999	not-a-serial" \
	"$(iconv -f CP932 -t UTF-8 <"$T/badrow.tsv" | sed -n 2p)"
advance 60
fault '{"mode":"wrong_encoding"}'
bulk >"$T/utf8.tsv"
check_match "wrong_encoding: the bulk TSV comes in UTF-8" "^発行・更新申請-申請ID" "$(head -1 "$T/utf8.tsv")"
check_match "rate limit: a second download within 60 s is busy" "只今混み合っております" "$(bulk | iconv -f EUC-JP -t UTF-8)"
check_eq "rate_limited counted" 1 "$(state | jget 'd["rate_limited"]')"

rsa_csr rj rj.example.ac.jp
row rj.example.ac.jp "$T/rj.csr" >"$T/rj.tsv"
fault '{"mode":"reject_next"}'
check_match "reject_next: the upload itself is accepted" "ファイルのアップロード処理が完了しました。" "$(upload 1 "$T/rj.tsv")"
advance 600
check_eq "reject_next: the application fails (state 8)" 8 \
	"$(state | jget "[a for a in d['apps'] if a['dn'].startswith('CN=rj.')][0]['state']")"
check_match "failure mail" "サーバ証明書発行エラー通知" "$(curl -sS --cacert "$D/web-ca.pem" "$SIMURL/_sim/mail")"
rsa_csr rj2 rj.example.ac.jp
row rj.example.ac.jp "$T/rj2.csr" >"$T/rj2.tsv"
check_match "a failed DN was never issued: 新規 again is accepted" "ファイルのアップロード処理が完了しました。" "$(upload 1 "$T/rj2.tsv")"
check "SIGTERM stops the sim" stop_pid "$PID_s1"

# --- switches: --accept-san, --allow-revoke-status4, --pem-cell quoted -----------------
check "sim restarts with the switches" start_sim s2 --accept-san --allow-revoke-status4 --pem-cell quoted
login
csr stock "/" -newkey rsa:2048 -addext "subjectAltName=DNS:stock.example.ac.jp,DNS:alt.example.jp"
row stock.example.ac.jp "$T/stock.csr" 3 "" "alt.example.jp" >"$T/stock.tsv"
check_match "--accept-san: SAN-only CSR with an empty subject accepted" "ファイルのアップロード処理が完了しました。" \
	"$(upload 1 "$T/stock.tsv")"
csr stock2 "/CN=stock2.example.ac.jp" -newkey rsa:2048 -addext "subjectAltName=DNS:stock2.example.ac.jp,DNS:other.example.jp"
row stock2.example.ac.jp "$T/stock2.csr" 3 "" "" >"$T/stock2.tsv"
check_match "--accept-san: a CSR name missing from the TSV: 222" "222:1,dNSName," "$(upload 1 "$T/stock2.tsv")"
advance 600
ST_SERIAL=$(serial_of stock.example.ac.jp)
bulk >"$T/q.tsv"
iconv -f CP932 -t UTF-8 <"$T/q.tsv" >"$T/q.utf8"
check_match "--pem-cell quoted: a quoted multi-line PEM cell" '	"-----BEGIN CERTIFICATE-----' "$(cat "$T/q.utf8")"
/usr/bin/python3 - "$T/q.utf8" "$ST_SERIAL" "$T/stock.pem" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline=""), delimiter="\t"))
for r in rows[1:]:
    if len(r) > 13 and r[1] == sys.argv[2]:
        open(sys.argv[3], "w").write(r[13].replace("\r\n", "\n") + "\n")
PY
check_match "the quoted PEM verifies" "stock.pem: OK" \
	"$(openssl verify -CAfile "$D/roots.pem" -untrusted "$D/chain-rsa.pem" "$T/stock.pem" 2>&1)"
check_match "subject from the TSV, SAN from column 13" "Subject: C *= *JP, ST *= *Aichi, L *= *Nagoya, O *= *Example University, CN *= *stock.example.ac.jp.*DNS:stock.example.ac.jp, DNS:alt.example.jp" \
	"$(openssl x509 -in "$T/stock.pem" -noout -text | tr '\n' ' ')"
revoke_row stock.example.ac.jp "$ST_SERIAL" 4 >"$T/rs.tsv"
check_match "--allow-revoke-status4: revocation in state 4 accepted" "ファイルのアップロード処理が完了しました。" \
	"$(upload 3 "$T/rs.tsv")"
advance 600
check_eq "revoked from state 4" 7 "$(state_of "$ST_SERIAL")"
check_match "applications and DN history kept across the restart" "212:1,主体者DN" "$(upload 1 "$T/ec.tsv")"
stop_pid "$PID_s2"
finish
