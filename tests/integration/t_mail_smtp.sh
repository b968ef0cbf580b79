#!/usr/bin/env bash
# The mail receiver (issue 19 item 1) and upki-sim's SMTP delivery (item 4):
# after an acme_client.py issuance the simulator delivers its issuance mail to
# the gateway's mail_listen, which stores it before the 250 (upki-acme mail
# list / mail show); STARTTLS with the gateway's certificate; a client outside
# mail_relays gets 554 at connect; an unknown recipient 550; an oversize
# message 552 (by SIZE= and by DATA) and nothing stored; a gateway killed
# right after the 250 still has the message after a restart, and the
# simulator retries while the gateway is down; the faults mail_lost,
# mail_duplicate and mail_delay.
. "$(dirname "$0")/lib.sh"

MAIL_PORT=$(free_port)
cat >"$T/gw.extra" <<CONF
mail_listen = 127.0.0.1:$MAIL_PORT
mail_relays = 127.0.0.1/32
CONF
check "stack starts" stack_start --time-scale 0.01 --delay-min 100 --delay-max 150 \
	--rate-limit-seconds 1 --smtp-to "127.0.0.1:$MAIL_PORT" -v
check "the mail receiver listens" wait_port "$MAIL_PORT" 10
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json PYTHONPATH=tests/integration
export EAB_KID EAB_HMAC HTTP01_PORT MAIL_PORT T

mail_count() { "$BIN" -c "$T/gw.conf" mail list 2>/dev/null | sed -n 's/^\([0-9]*\) message(s)$/\1/p'; }
wait_mails() {   # wait_mails N [seconds]: until the store holds N messages
	local n=$(( ${2:-60} * 10 ))
	for _ in $(seq "$n"); do [ "$(mail_count)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
fault() { curl -sS -o /dev/null --cacert "$SIMDIR/web-ca.pem" -d "$1" "https://127.0.0.1:$SIM_PUBPORT/_sim/fault"; }

# issue NAME...: one certificate per name through ACME; prints serial=... lines.
issue() {
	timeout 180 /usr/bin/python3 - "$@" <<'PY'
import os, sys, time
from acme_client import Session, Key, make_csr, b64u, Http01
s = Session.from_env()
if s.state["vals"].get("acct") is None:
    s.register("a", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
    s.set("acct", 1)
srv = Http01(int(os.environ["HTTP01_PORT"]))
for name in sys.argv[1:]:
    s.new_order("a", [name], save_as=name).expect(201)
    s.start_challenges("a", name, srv)
    s.wait_order("a", name)
    csr = make_csr(Key.rsa(2048), cn=name)
    fin = s.post_as("a", s.order(name)["obj"]["finalize"], {"csr": b64u(csr)})
    t0 = time.time()
    while fin.json().get("status") == "processing" and time.time() - t0 < 120:
        time.sleep(0.5)
        fin = s.post_as("a", s.order(name)["url"], None)
    print("order %s=%s" % (name, fin.json().get("status")))
srv.close()
PY
}

# ---- 1. the issuance mail arrives and is stored ----
t0=$(date +%s.%N)
out=$(issue one.example.ac.jp)
echo "$out" | sed 's/^/# /'
check_match "the certificate is issued through ACME" "^order one.example.ac.jp=valid" "$out"
check "the simulator's issuance mail is stored by the gateway" wait_mails 1 30
diag "issuance (finalize) to mail stored: $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s (includes the ACME order)"
serial=$(sim_state | jget "[a['serial'] for a in d['apps'] if a['dn'].startswith('CN=one.')][0]")
list=$("$BIN" -c "$T/gw.conf" mail list)
echo "$list" | sed 's/^/# /'
check_match "listed: new, from UPKI's sender to upki_admin_email, from 127.0.0.1" \
	"^mail 1 new .* from <ca-support@ml.secom-sts.co.jp> to <admin@example.ac.jp> peer 127\.0\.0\.1:" "$list"
"$BIN" -c "$T/gw.conf" mail show 1 >"$T/mail1.eml"
# What the pickup step will take from it: proven by the S/MIME checks (mail-check).
{ cat "$T/gw.conf"
  echo "upki_mail_ca = $SIMDIR/mail-ca.pem"
  echo "upki_download_url = https://127.0.0.1:$SIM_PUBPORT/upki-odcert/download/"
} >"$T/check.conf"
body=$("$BIN" -c "$T/check.conf" mail-check "$T/mail1.eml" 2>&1)
check_match "the stored message is UPKI's signed mail, with the serial" "ok serial=$serial " "$body"
check_match "... the one-time URL" "url=https://127\.0\.0\.1:$SIM_PUBPORT/upki-odcert/download/spDLSrv\.do\?key=" "$body"
subject=$(/usr/bin/python3 - "$T/mail1.eml" <<'PY'
import email, sys
from email import policy
raw = open(sys.argv[1], "rb").read()
print(email.message_from_bytes(raw.split(b"\r\n", 1)[1], policy=policy.default)["subject"])
PY
)
check_match "... and the subject" "^\[UPKI\] " "$subject"
check_eq "one log line for the stored message" 1 "$(grep -c 'mail: 127.0.0.1:[0-9]*: stored mail 1 from' "$T/gw.err")"
check_eq "the simulator counts one delivery" 1 "$(sim_state | jget "d['smtp']['sent']")"

# ---- 2. what the receiver refuses ----
out=$(/usr/bin/python3 - <<'PY'
import os, smtplib, socket, ssl
port = int(os.environ["MAIL_PORT"])
c = socket.socket()
c.bind(("127.0.0.2", 0))
c.connect(("127.0.0.1", port))
c.settimeout(10)
print("relay=%s" % c.recv(512).decode().strip())
print("relay_closed=%s" % (c.recv(512) == b""))
c.close()
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
code, ehlo = s.ehlo()
print("ehlo=%d %s" % (code, ehlo.decode().replace("\n", " ")))
s.mail("x@example.jp")
print("rcpt_other=%d" % s.rcpt("root@example.ac.jp")[0])
s.rset()
print("size_param=%d" % s.mail("x@example.jp", ["SIZE=300000"])[0])
s.rset()
s.mail("x@example.jp")
s.rcpt("admin@example.ac.jp")
print("big_data=%d" % s.data(b"Subject: big\r\n\r\n" + (b"a" * 998 + b"\r\n") * 300)[0])
s.mail("x@example.jp")
s.rcpt("admin@example.ac.jp")
print("long_line=%d" % s.data(b"Subject: long\r\n\r\n" + b"b" * 1200 + b"\r\n")[0])
s.ehlo()
s.starttls(context=ssl.create_default_context(cafile=os.environ["T"] + "/var/tls/ca.pem"))
code, ehlo = s.ehlo()
print("tls_ehlo=%d %s" % (code, ehlo.decode().replace("\n", " ")))
s.sendmail("x@example.jp", ["admin@example.ac.jp"], b"Subject: over tls\r\n\r\nhello\r\n.dot\r\n")
print("tls=sent")
s.quit()
PY
)
echo "$out" | sed 's/^/# /'
check_match "a client outside mail_relays gets 554 at connect" "^relay=554 " "$out"
check_match "... and is closed" "^relay_closed=True" "$out"
check_match "EHLO advertises 8BITMIME, SIZE and STARTTLS" "^ehlo=250 .*8BITMIME SIZE 262144 STARTTLS" "$out"
check_match "another recipient gets 550" "^rcpt_other=550" "$out"
check_match "MAIL with SIZE= over the limit gets 552" "^size_param=552" "$out"
check_match "a message over the limit gets 552 after DATA" "^big_data=552" "$out"
check_match "a line over 1000 octets gets 500" "^long_line=500" "$out"
check_match "after STARTTLS, EHLO no longer offers it" "^tls_ehlo=250 " "$out"
check "... and STARTTLS is not offered twice" sh -c "! printf '%s' \"\$1\" | grep -q '^tls_ehlo=.*STARTTLS'" _ "$out"
check_match "a message over TLS is taken" "^tls=sent" "$out"
check_match "refusals stored nothing; the TLS message is mail 2, marked tls" \
	"^mail 2 new .* from <x@example.jp> .* tls$" "$("$BIN" -c "$T/gw.conf" mail list)"
check_eq "two messages in all" 2 "$(mail_count)"
check_match "the relay refusal is logged" "127\.0\.0\.2:[0-9]*: not in mail_relays: refused \(554\)" "$(cat "$T/gw.err")"
"$BIN" -c "$T/gw.conf" mail show 2 >"$T/mail2.eml"
check_match "dot-unstuffed as stored" "^\.dot" "$(tr -d '\r' <"$T/mail2.eml")"

# ---- 2b. raw clients: pipelined commands, a smuggling attempt, the connection limit ----
out=$(/usr/bin/python3 - <<'PY'
import os, socket, time
port = int(os.environ["MAIL_PORT"])
def conn():
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = c.makefile("rb")
    return c, f
def reply(f):
    lines = []
    while True:
        l = f.readline()
        if not l:
            return "EOF"
        lines.append(l.decode().rstrip("\r\n"))
        if len(l) < 4 or l[3:4] != b"-":
            return lines[-1]
c, f = conn()
print("greet=%s" % reply(f))
c.sendall(b"EHLO pipe\r\nMAIL FROM:<p@example.jp>\r\nRCPT TO:<admin@example.ac.jp>\r\nDATA\r\n")
print("pipelined=%s" % " | ".join(reply(f)[:3] for _ in range(4)))
c.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\n")
print("pipelined_end=%s | %s" % (reply(f)[:3], reply(f)[:3]))
# A bare-LF "end of data" followed by a second message: nothing of it is stored.
c.sendall(b"MAIL FROM:<p@example.jp>\r\nRCPT TO:<admin@example.ac.jp>\r\nDATA\r\n")
reply(f); reply(f); reply(f)
c.sendall(b"Subject: first\r\n\r\nx\n.\nMAIL FROM:<evil@example.jp>\r\n\r\n.\r\n")
print("smuggle=%s" % reply(f))
c.close()
# Plain text pipelined after STARTTLS must not be taken as a command inside TLS
# (CVE-2011-0411): the first answer in TLS is the one to the EHLO sent in TLS.
import ssl
c, f = conn()
reply(f)
c.sendall(b"EHLO inject\r\n")
reply(f)
c.sendall(b"STARTTLS\r\nVRFY injected\r\n")
print("starttls=%s" % reply(f)[:3])
ctx = ssl.create_default_context(cafile=os.environ["T"] + "/var/tls/ca.pem")
t = ctx.wrap_socket(c, server_hostname="127.0.0.1")
tf = t.makefile("rb")
t.sendall(b"EHLO intls\r\n")
first = tf.readline().decode().strip()
print("first_in_tls=%s" % first)
t.close()
held = []
for i in range(16):
    h, hf = conn()
    held.append((h, hf))
    reply(hf)
x, xf = conn()
print("seventeenth=%s" % reply(xf))
x.close()
for h, hf in held:
    h.close()
PY
)
echo "$out" | sed 's/^/# /'
check_match "pipelined commands are answered in order" "^pipelined=250 \| 250 \| 250 \| 354" "$out"
check_match "... and so is the message" "^pipelined_end=250 \| 250" "$out"
check_match "a message with a bare LF is refused (no smuggling)" "^smuggle=500 5\.5\.2 bare LF" "$out"
check_match "the 17th connection gets 421" "^seventeenth=421 " "$out"
check_match "STARTTLS with a command pipelined after it: 220" "^starttls=220" "$out"
check_match "... and the pipelined plain text is dropped, not run inside TLS" "^first_in_tls=250-.* greets intls" "$out"
check_eq "the pipelined message is mail 3; nothing smuggled" 3 "$(mail_count)"
check "... no message from evil@" sh -c "! '$BIN' -c '$T/gw.conf' mail list | grep -q evil"

# ---- 3. killed right after the 250: the message is still there ----
out=$(PID=$PID_gw /usr/bin/python3 - <<'PY'
import os, signal, smtplib
s = smtplib.SMTP("127.0.0.1", int(os.environ["MAIL_PORT"]), timeout=10)
s.ehlo()
s.mail("ca-support@ml.secom-sts.co.jp")
s.rcpt("admin@example.ac.jp")
code, text = s.data(b"Subject: kill-after-250 marker\r\n\r\nbody\r\n")
os.kill(int(os.environ["PID"]), signal.SIGKILL)
print("data=%d %s" % (code, text.decode()))
PY
)
echo "$out" | sed 's/^/# /'
check_match "250 for the message, then kill -9" "^data=250 2.0.0 stored as mail 4" "$out"
wait "$PID_gw" 2>/dev/null
check "gateway restarts" gateway_start gw2 "$T/gw.conf"
check "the message is there after the restart" wait_mails 4 5
"$BIN" -c "$T/gw.conf" mail show 4 >"$T/mail3.eml"
check_match "... with its bytes" "kill-after-250 marker" "$(cat "$T/mail3.eml")"

# ---- 4. the simulator retries while the gateway is down ----
# upki-submit-csr (a second gateway store, the same simulator) makes UPKI
# issue, and so mail, while the receiver is stopped.
stop_pid "$PID_gw2"
sed -e "s#^data_dir = .*#data_dir = $T/var2#" -e "s#^listen = .*#listen = 127.0.0.1:$(free_port)#" \
	-e '/^mail_/d' "$T/gw.conf" >"$T/gw2.conf"
upki_csr down.example.ac.jp "$T/down"
out=$("$BIN" -c "$T/gw2.conf" upki-submit-csr --wait 60 "$T/down.csr" 2>"$T/submit.err")
echo "$out" | sed 's/^/# /'
check_match "a certificate issued while the receiver is down" "valid serial" "$out"
retried=no
for _ in $(seq 100); do
	[ "$(sim_state | jget "d['smtp']['retries']")" -ge 1 ] && { retried=yes; break; }
	sleep 0.1
done
check_eq "the simulator retries the delivery" yes "$retried"
check "gateway restarts again" gateway_start gw3 "$T/gw.conf"
check "the mail arrives after the restart" wait_mails 5 40

# ---- 5. faults: lost, duplicate, delay ----
fault '{"mode":"mail_lost","count":1}'
fault '{"mode":"mail_duplicate","count":1}'
fault '{"mode":"mail_delay","count":1,"seconds":2}'
out=$(issue lost.example.ac.jp twice.example.ac.jp plain.example.ac.jp)
echo "$out" | sed 's/^/# /'
check_eq "three more certificates" 3 "$(printf '%s\n' "$out" | grep -c '=valid$')"
check "lost: 0, duplicate: 2, plain: 1 more messages (8 in all)" wait_mails 8 30
st=$(sim_state)
check_eq "the simulator lost one mail" 1 "$(echo "$st" | jget "d['smtp']['lost']")"
check_eq "... sent one twice" 1 "$(echo "$st" | jget "d['smtp']['duplicated']")"
check_eq "... held one back" 1 "$(echo "$st" | jget "d['smtp']['delayed']")"
check_eq "... and made 5 deliveries in all" 5 "$(echo "$st" | jget "d['smtp']['sent']")"
ids=$(for i in 6 7 8; do "$BIN" -c "$T/gw.conf" mail show $i | tr -d '\r' | sed -n 's/^Message-ID: //p'; done)
check_eq "two of the three new messages are the same mail" 2 "$(printf '%s\n' "$ids" | sort | uniq -c | awk '{print $1}' | sort -n | tail -1)"
check_eq "the delay is logged by the simulator" 1 \
	"$(grep -c 'held back 2000 ms (fault mail_delay)' "$T/sim.err")"

# ---- 6. a full store answers 452 (try later) and keeps what it has ----
MAIL2=$(free_port)
sed -e "s#^data_dir = .*#data_dir = $T/var4#" -e "s#^listen = .*#listen = 127.0.0.1:$(free_port)#" \
	-e "s#^mail_listen = .*#mail_listen = 127.0.0.1:$MAIL2#" "$T/gw.conf" >"$T/gw4.conf"
printf 'store_map_size = 1\nmail_cmd_timeout = 2\n' >>"$T/gw4.conf"
check "a gateway with a 1 MiB store starts" gateway_start gw4 "$T/gw4.conf"
check "its mail receiver listens" wait_port "$MAIL2" 10
out=$(MAIL2=$MAIL2 /usr/bin/python3 - <<'PY'
import os, smtplib
s = smtplib.SMTP("127.0.0.1", int(os.environ["MAIL2"]), timeout=10)
s.ehlo()
for i in range(12):
    s.mail("x@example.jp")
    s.rcpt("admin@example.ac.jp")
    code, text = s.data(("Subject: fill %d\r\n\r\n" % i).encode() + (b"z" * 998 + b"\r\n") * 250)
    print("msg%d=%d %s" % (i, code, text.decode()))
    if code != 250:
        break
s.quit()
PY
)
echo "$out" | sed 's/^/# /'
check_match "a message the store has no room for gets 452 4.3.1" "=452 4\.3\.1 " "$out"
stored=$(printf '%s\n' "$out" | grep -c '=250 ')
check_match "some fit before" "^[1-9]" "$stored"
check_eq "every message answered 250 is listed" "$stored" \
	"$("$BIN" -c "$T/gw4.conf" mail list | sed -n 's/^\([0-9]*\) message(s)$/\1/p')"
check_match "the refusal is logged" "not stored: .*try again later" "$(cat "$T/gw4.err")"

# ---- 7. a silent client is closed after mail_cmd_timeout (2 s here) ----
out=$(MAIL2=$MAIL2 timeout 30 /usr/bin/python3 - <<'PY'
import os, socket, time
c = socket.create_connection(("127.0.0.1", int(os.environ["MAIL2"])), timeout=20)
f = c.makefile("rb")
t0 = time.time()
print("greet=%s" % f.readline().decode().strip()[:3])
c.sendall(b"EHLO quiet\r\n")
while f.readline()[3:4] == b"-":
    pass
print("after=%s" % f.readline().decode().strip())
print("eof=%s" % (f.readline() == b""))
print("waited=%.1f" % (time.time() - t0))
PY
)
echo "$out" | sed 's/^/# /'
check_match "a silent client gets 421 after the command timeout" "^after=421 4\.4\.2 timeout" "$out"
check_match "... and is closed" "^eof=True" "$out"
finish
