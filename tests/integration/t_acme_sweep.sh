#!/usr/bin/env bash
# Expiry on a schedule: orders and authorizations whose time has passed are
# marked (invalid, expired) by the gateway's sweep timer without anyone asking
# for them, so their expiry indexes empty. 300 pending orders are made, then
# the gateway restarts with its wall clock moved past their lifetime
# (UPKI_CLOCK_OFFSET) and a sweep interval of an hour: the first sweep runs at
# start and goes on batch after batch (each at most STORE_SWEEP_MAX records)
# until nothing is due, so every one is marked within seconds, not hours.
# Nothing is deleted before sweep_retain_days (default 30) have passed; a
# restart later than that deletes every one of those orders with its
# authorization and challenge (and every index entry of them), and keeps the
# account. Last, an EAB key's account_by_eab entries that no account put can
# remove (an account record that no longer decodes, an entry whose account is
# gone): `eab show` marks them instead of failing, and the sweep removes the
# dangling one and says once that the other names an unreadable account.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
LIFE=$(sed -n 's/^#define CONFIG_ACME_ORDER_LIFETIME_S //p' "$O/include/autoconf.h")
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 2
eab_required = no
sweep_interval = 3600
CONF
check "gateway starts" gateway_start gw "$T/gw.conf"
export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db PYTHONPATH=$ROOT/tests/integration
counts() { /usr/bin/python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); from acme_client import db_counts; c = db_counts(); print(c.get('order_by_expiry', 0), c.get('authz_by_expiry', 0))"; }

py make <<'PY'
from acme_client import *
s = Session.from_env()
r, key = s.register("s", "ES256")
made = 0
for i in range(300):
    o = s.new_order("s", ["sw%d.example.ac.jp" % i], save_as="o%d" % i)
    made += o.status == 201
print("made=%d" % made)
PY
check_eq "300 pending orders" 300 "$(field made)"
check_eq "... each in the expiry indexes (orders, authorizations)" "300 300" "$(counts)"
stop_pid "$PID_gw"
export UPKI_CLOCK_OFFSET=$((LIFE + 3600))
check "gateway starts $((LIFE + 3600)) s later" gateway_start gw2 "$T/gw.conf"
unset UPKI_CLOCK_OFFSET
for _ in $(seq 100); do [ "$(counts)" = "0 0" ] && break; sleep 0.1; done
check_eq "the sweep emptied both expiry indexes with nobody asking" "0 0" "$(counts)"
check_match "... and said so once, for the whole run" "sweep: 600 expired" "$(cat "$T/gw2.err")"
py read <<'PY'
from acme_client import *
s = Session.from_env()
o = s.post_as("s", s.order("o7")["url"], None)
j = o.json()
print("order=%d %s" % (o.status, j.get("status")))
az = s.post_as("s", j["authorizations"][0], None)
print("authz=%d %s" % (az.status, az.json().get("status")))
PY
check_eq "an order past its lifetime reads invalid" "200 invalid" "$(field order)"
check_eq "... its authorization expired" "200 expired" "$(field authz)"
check_eq "nothing deleted before sweep_retain_days: 300 orders, 300 authorizations" "300 300" \
	"$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); from acme_client import db_counts; c = db_counts(); print(c.get('order', 0), c.get('authz', 0))")"
stop_pid "$PID_gw2"
export UPKI_CLOCK_OFFSET=$((LIFE + 30 * 86400 + 7200))
check "gateway starts 30 days after that" gateway_start gw3 "$T/gw.conf"
unset UPKI_CLOCK_OFFSET
left() { /usr/bin/python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); from acme_client import db_counts; c = db_counts(); print(' '.join('%s=%d' % (d, c.get(d, 0)) for d in ('order', 'authz', 'order_by_account', 'authz_by_order', 'order_by_end', 'authz_by_end', 'authz_by_account_name', 'account_pending', 'account')))"; }
want="order=0 authz=0 order_by_account=0 authz_by_order=0 order_by_end=0 authz_by_end=0 authz_by_account_name=0 account_pending=0 account=1"
for _ in $(seq 100); do [ "$(left)" = "$want" ] && break; sleep 0.1; done
check_eq "then every order and authorization is deleted, no index entry left, the account kept" \
	"$want" "$(left)"
check_match "... in batches, said once for the run" "sweep: 0 expired order\(s\) and authorization\(s\) marked, 300 ended past sweep_retain_days \(30\)" \
	"$(cat "$T/gw3.err")"
py gone <<'PY'
from acme_client import *
s = Session.from_env()
o = s.post_as("s", s.order("o7")["url"], None)
print("gone=%d %s" % (o.status, o.problem_type))
print("new=%d" % s.new_order("s", ["again.example.ac.jp"]).status)
PY
check_eq "a deleted order is gone: 404 malformed" "404 urn:ietf:params:acme:error:malformed" "$(field gone)"
check_eq "the account orders again" 201 "$(field new)"

# --- account_by_eab entries of accounts that are gone or do not decode ---
"$BIN" -c "$T/gw.conf" eab new --name campus --allow '*.example.ac.jp' >"$T/eab" 2>/dev/null
KID=$(awk '/^kid:/ {print $2}' "$T/eab")
HMAC=$(awk '/^hmac:/ {print $2}' "$T/eab")
py bind "$KID" "$HMAC" <<'PY'
import sys
from acme_client import *
s = Session.from_env()
for n in ("e1", "e2"):
    r, _ = s.register(n, "ES256", sys.argv[1], sys.argv[2])
    print("%s=%d %s" % (n, r.status, r.location.rsplit("/", 1)[1]))
PY
check_match "two accounts bound through the key" "^201 [0-9]+$" "$(field e2)"
E2=$(field e2 | cut -d' ' -f2)
stop_pid "$PID_gw3"
be64() { printf '%016x' "$1" | sed 's/../\\&/g'; }
kidhex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../\\&/g'; }
# Account E2's record no longer decodes; an entry names account 999, which does not exist.
printf '%s\n\\01bad\n' "$(be64 "$E2")" | mdb_load -T -s account "$T/var/db" 2>"$T/load.err"
printf '%s%s%s\n\n' "$(printf '\\%02x' "${#KID}")" "$(kidhex "$KID")" "$(be64 999)" |
	mdb_load -T -s account_by_eab "$T/var/db" 2>>"$T/load.err"
check_eq "the test broke the store as meant (mdb_load)" "" "$(cat "$T/load.err")"
show=$("$BIN" -c "$T/gw.conf" eab show "$KID" 2>/dev/null); rc=$?
echo "$show" | sed 's/^/# /'
check_eq "eab show lists the key despite them" 0 "$rc"
check_match "... the good account" "account [0-9]+	valid" "$show"
check_match "... the account whose record does not decode" "account $E2	unreadable" "$show"
check_match "... the entry with no account" "account 999	missing" "$show"
check "gateway starts" gateway_start gw4 "$T/gw.conf"
for _ in $(seq 100); do grep -q 'account_by_eab entr' "$T/gw4.err" && break; sleep 0.1; done
check_match "the sweep removes the entry with no account" "1 account_by_eab entry removed" "$(cat "$T/gw4.err")"
for _ in $(seq 100); do grep -q 'do not decode\|does not decode: .eab' "$T/gw4.err" && break; sleep 0.1; done
check_match "... and says once that one names an unreadable account" \
	"1 account_by_eab entry name accounts whose record does not decode" "$(cat "$T/gw4.err")"
show=$("$BIN" -c "$T/gw.conf" eab show "$KID" 2>/dev/null)
check_eq "eab show: no more missing entry" 0 "$(printf '%s\n' "$show" | grep -c missing)"
check_match "... the unreadable one is still shown" "account $E2	unreadable" "$show"
finish
