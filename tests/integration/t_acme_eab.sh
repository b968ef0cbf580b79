#!/usr/bin/env bash
# EAB keys as a campus uses them (RFC 8555 §7.3.4): a key binds any number of
# accounts unless made --single-use or --max-accounts N, every binding is
# listed by "eab show"; the same account key registering again gets its own
# account back (200, same Location) with or without EAB; a disabled key binds
# no account and its accounts get no new orders until it is enabled again; an
# expired key binds no new account while its accounts go on. Every refusal is
# a problem document and stores nothing.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 3
eab_required = yes
CONF
G() { "$BIN" -c "$T/gw.conf" "$@"; }
mk() { local n=$1; shift; G eab new --name "$n" --allow '*.example.ac.jp' "$@" >"$T/eab.$n" 2>/dev/null || notok "eab new $n $*"; }
kid() { awk '/^kid:/{print $2}' "$T/eab.$1"; }
hmac() { awk '/^hmac:/{print $2}' "$T/eab.$1"; }
line() { G eab list 2>/dev/null | awk -v k="$(kid "$1")" '$1 == k'; }

mk multi
mk two --max-accounts 2
mk one --single-use
check_match "eab list: a plain key binds any number" "accounts=0/any	usable	expires=never" "$(line multi)"
check_match "eab list: --max-accounts 2" "accounts=0/2	usable" "$(line two)"
check_match "eab list: --single-use" "accounts=0/1	usable" "$(line one)"
check "eab new refuses --single-use with --max-accounts" \
	sh -c "! '$BIN' -c '$T/gw.conf' eab new --name z --allow '*.example.ac.jp' --single-use --max-accounts 3 2>/dev/null"
check "eab new refuses a malformed --expires" \
	sh -c "! '$BIN' -c '$T/gw.conf' eab new --name z --allow '*.example.ac.jp' --expires 3w 2>/dev/null"
check "eab show of an unknown key id fails" sh -c "! '$BIN' -c '$T/gw.conf' eab show nosuchkid 2>/dev/null"

check "gateway starts" gateway_start gw "$T/gw.conf"
export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db PYTHONPATH=$ROOT/tests/integration

# --- one key, many accounts; the same account key gets its account back -----------------
py multi "$(kid multi)" "$(hmac multi)" <<'PY'
import sys
from acme_client import *
k, h = sys.argv[1:3]
a = ACME(os.environ["ACME_DIR"], os.environ["ACME_CA"])
locs = []
for i, alg in enumerate(["RS256", "ES256", "ES256"]):
    key = Key.generate(alg)
    r = a.new_account(key, eab=a.eab(k, h, key))
    print("new%d=%d" % (i, r.status)); locs.append(r.location)
    if i == 0:
        first = key
print("distinct=%d" % len(set(locs)))
b = db_counts()
r = a.new_account(first, eab=a.eab(k, h, first))
print("again_eab=%d same=%s" % (r.status, r.location == locs[0]))
print("again_eab_stored=%s" % ("unchanged" if db_counts() == b else "changed"))
r = a.new_account(first)
print("again_plain=%d same2=%s" % (r.status, r.location == locs[0]))
print("acct1=%s" % locs[0].rsplit("/", 1)[1])
PY
for i in 0 1 2; do check_eq "account $((i + 1)) through the same key: 201" 201 "$(field new$i)"; done
check_eq "... three accounts" 3 "$(field distinct)"
check_eq "the same account key with EAB again: 200" "200 same=True" "$(field again_eab)"
check_eq "... nothing stored" unchanged "$(field again_eab_stored)"
check_eq "the same account key without EAB: 200, the same account" "200 same2=True" "$(field again_plain)"
check_match "eab list counts the bindings" "account=$(field acct1)	accounts=3/any	usable" "$(line multi)"
show=$(G eab show "$(kid multi)" 2>/dev/null)
check_eq "eab show lists every account bound" 3 "$(printf '%s\n' "$show" | grep -c '^account [0-9]*	valid')"

# --- --max-accounts 2 and --single-use -------------------------------------------------
py limits "$(kid two)" "$(hmac two)" "$(kid one)" "$(hmac one)" <<'PY'
import sys
from acme_client import *
k2, h2, k1, h1 = sys.argv[1:5]
a = ACME(os.environ["ACME_DIR"], os.environ["ACME_CA"])
for i in range(3):
    key = Key.ec(); b = db_counts()
    r = a.new_account(key, eab=a.eab(k2, h2, key))
    print("two%d=%d %s %s" % (i, r.status, r.problem_type or "-",
          "unchanged" if db_counts() == b else "changed"))
    if r.status != 201: print("two_detail=%s" % r.problem.get("detail"))
for i in range(2):
    key = Key.ec(); b = db_counts()
    r = a.new_account(key, eab=a.eab(k1, h1, key))
    print("one%d=%d %s %s" % (i, r.status, r.problem_type or "-",
          "unchanged" if db_counts() == b else "changed"))
    if r.status != 201: print("one_detail=%s" % r.problem.get("detail"))
PY
E=urn:ietf:params:acme:error
check_eq "--max-accounts 2: first account" "201 - changed" "$(field two0)"
check_eq "... second account" "201 - changed" "$(field two1)"
check_eq "... third refused, nothing stored" "401 ${E}:unauthorized unchanged" "$(field two2)"
check_match "... saying why" "bound all the accounts it may" "$(field two_detail)"
check_eq "--single-use: first account" "201 - changed" "$(field one0)"
check_eq "... second refused, nothing stored" "401 ${E}:unauthorized unchanged" "$(field one1)"
check_match "... saying why" "already bound to an account" "$(field one_detail)"

# --- disable / enable ------------------------------------------------------------------
py before-disable "$(kid multi)" "$(hmac multi)" <<'PY'
import sys
from acme_client import *
s = Session.from_env()
r, key = s.register("m", "ES256", sys.argv[1], sys.argv[2])
print("reg=%d" % r.status)
o = s.new_order("m", ["www.example.ac.jp"])
print("order=%d" % o.status)
PY
check_eq "an account of the key orders: 201" "201" "$(field order)"
check_match "eab disable" "disabled$" "$(G eab disable "$(kid multi)" 2>/dev/null)"
check_match "eab list says disabled" "	disabled	" "$(line multi)"
py disabled "$(kid multi)" "$(hmac multi)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
key = Key.ec(); b = db_counts()
r = a.new_account(key, eab=a.eab(sys.argv[1], sys.argv[2], key))
print("new=%d %s %s" % (r.status, r.problem_type, "unchanged" if db_counts() == b else "changed"))
b = db_counts()
key2, kid2 = s.account("m")
r = a.post(a.url("newOrder"), {"identifiers": [{"type": "dns", "value": "mail.example.ac.jp"}]}, key2, kid=kid2)
print("order=%d %s %s" % (r.status, r.problem_type, "unchanged" if db_counts() == b else "changed"))
print("order_detail=%s" % r.problem.get("detail"))
PY
check_eq "a disabled key binds no new account" "401 ${E}:unauthorized unchanged" "$(field new)"
check_eq "an account of a disabled key gets no new order" "403 ${E}:unauthorized unchanged" "$(field order)"
check_match "... saying why" "External Account Binding key .* is disabled" "$(field order_detail)"
check_match "eab enable" "enabled$" "$(G eab enable "$(kid multi)" 2>/dev/null)"
py enabled <<'PY'
from acme_client import *
s = Session.from_env()
o = s.new_order("m", ["mail.example.ac.jp"])
print("order=%d" % o.status)
PY
check_eq "enabled again: the account orders" 201 "$(field order)"

# --- expiry: no new account after it; accounts already bound go on ---------------------
# (ten seconds: the account is bound at once, well before; then the test waits for the end)
mk soon --expires 10
check_match "eab list: --expires gives a date" "expires=20[0-9-]+T[0-9:]+Z" "$(line soon)"
py soon-bind "$(kid soon)" "$(hmac soon)" <<'PY'
import sys
from acme_client import *
s = Session.from_env()
r, key = s.register("e", "ES256", sys.argv[1], sys.argv[2])
print("reg=%d" % r.status)
PY
check_eq "a key before its expiry binds an account" 201 "$(field reg)"
for _ in $(seq 150); do line soon | grep -q "	expired	" && break; sleep 0.1; done
check_match "eab list says expired" "	expired	" "$(line soon)"
py soon-after "$(kid soon)" "$(hmac soon)" <<'PY'
import sys
from acme_client import *
s = Session.from_env(); a = s.acme
key = Key.ec(); b = db_counts()
r = a.new_account(key, eab=a.eab(sys.argv[1], sys.argv[2], key))
print("new=%d %s %s" % (r.status, r.problem_type, "unchanged" if db_counts() == b else "changed"))
print("detail=%s" % r.problem.get("detail"))
o = s.new_order("e", ["expired-key.example.ac.jp"])
print("order=%d" % o.status)
PY
check_eq "an expired key binds no new account" "401 ${E}:unauthorized unchanged" "$(field new)"
check_match "... saying why" "expired" "$(field detail)"
check_eq "the account bound before the expiry still orders" 201 "$(field order)"
finish
