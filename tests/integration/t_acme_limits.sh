#!/usr/bin/env bash
# Per-account limits: new orders per hour and failed validations per day
# (UPKI's ACME service blocks an account for the day after 20 failures), and
# open work: pending/ready orders and pending authorizations, counted by the
# store with every status change (so the counts survive a restart and follow
# deactivation and validation; an authorization reused by another order
# counts once). Over a limit an account gets 429 rateLimited with an integer
# Retry-After and a detail that says which limit, and stores nothing; other
# accounts go on.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
DNSPORT=$(free_port)
MGMTPORT=$(free_port)
H01=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 3
resolver = 127.0.0.1:$DNSPORT
http01_port = $H01
validation_allow_nets = 127.0.0.0/8
eab_required = no
limit_orders_per_hour = 3
limit_failed_validations_per_day = 2
CONF
start_bg dns pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 127.0.0.1 -dns01 "127.0.0.1:$DNSPORT" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$MGMTPORT"
check "DNS test server starts" wait_port "$MGMTPORT" 10
check "gateway starts" gateway_start gw "$T/gw.conf"
export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db ACME_HTTP01=$H01 PYTHONPATH=$ROOT/tests/integration
E=urn:ietf:params:acme:error

py orders <<'PY'
from acme_client import *
s = Session.from_env()
s.register("a", "ES256"); s.register("b", "ES256")
for i in range(3):
    print("a%d=%d" % (i, s.new_order("a", ["o%d.example.ac.jp" % i]).status))
b = db_counts()
r = s.new_order("a", ["o3.example.ac.jp"])
print("a3=%d %s" % (r.status, r.problem_type))
print("a3_retry=%s" % r.header("retry-after"))
print("a3_detail=%s" % r.problem.get("detail"))
print("a3_stored=%s" % ("unchanged" if db_counts() == b else "changed"))
print("b0=%d" % s.new_order("b", ["o0.example.ac.jp"]).status)
PY
for i in 0 1 2; do check_eq "order $((i + 1)) of the hour: 201" 201 "$(field a$i)"; done
check_eq "the fourth: 429 rateLimited" "429 $E:rateLimited" "$(field a3)"
check_match "... Retry-After in seconds, within the hour" "^[1-9][0-9]{0,3}$" "$(field a3_retry)"
check_match "... the detail names the limit" "3 new orders in the last hour" "$(field a3_detail)"
check_eq "... nothing stored" unchanged "$(field a3_stored)"
check_eq "another account still orders" 201 "$(field b0)"

# Nothing answers http-01 on $H01: every validation fails (connection refused).
py failures <<'PY'
from acme_client import *
s = Session.from_env()
s.register("c", "ES256"); s.register("d", "ES256")
class Nobody:
    answers = {}
spare = s.new_order("c", ["spare.example.ac.jp"], save_as="spare")
for i in range(2):
    o = s.new_order("c", ["f%d.example.ac.jp" % i], save_as="f%d" % i)
    s.start_challenges("c", "f%d" % i, Nobody(), body=lambda t, ka: None)
    r, azs = s.wait_order("c", "f%d" % i)
    print("f%d=%s" % (i, azs[0].json()["status"]))
o = s.new_order("c", ["f9.example.ac.jp"])
print("order_after=%d %s" % (o.status, o.problem_type))
print("order_retry=%s" % o.header("retry-after"))
print("order_detail=%s" % o.problem.get("detail"))
# an authorization made before the failures: its challenge start is refused too
az = s.post_as("c", s.order("spare")["obj"]["authorizations"][0], None).json()
ch = [c for c in az["challenges"] if c["type"] == "http-01"][0]
r = s.post_as("c", ch["url"], {})
print("chall_after=%d %s" % (r.status, r.problem_type))
PY
check_eq "first failed validation" invalid "$(field f0)"
check_eq "second failed validation" invalid "$(field f1)"
check_eq "then the account's new orders: 429 rateLimited" "429 $E:rateLimited" "$(field order_after)"
check_match "... for the rest of the day" "^[0-9]+$" "$(field order_retry)"
check_match "... saying why" "failed 2 validations today" "$(field order_detail)"
check_eq "... and its challenge starts: 429 rateLimited" "429 $E:rateLimited" "$(field chall_after)"
py other <<'PY'
from acme_client import *
s = Session.from_env()
o = s.new_order("d", ["d0.example.ac.jp"], save_as="d0")
print("d_order=%d" % o.status)
az = s.post_as("d", o.json()["authorizations"][0], None).json()
ch = [c for c in az["challenges"] if c["type"] == "http-01"][0]
print("d_chall=%d" % s.post_as("d", ch["url"], {}).status)
PY
check_eq "another account orders" 201 "$(field d_order)"
check_eq "... and starts its challenge" 200 "$(field d_chall)"

# --- the validation pool: one account's share (Kconfig ACME_VALIDATIONS_PER_ACCOUNT) ---
SHARE=$(sed -n 's/^#define CONFIG_ACME_VALIDATIONS_PER_ACCOUNT //p' "$O/include/autoconf.h")
py share "$SHARE" <<'PY'
import socket, sys, threading
from acme_client import *
share = int(sys.argv[1])
s = Session.from_env()
# An http-01 server that accepts and never answers: validations stay running.
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(os.environ["ACME_HTTP01"]))); ls.listen(256)
held = []
def hold():
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            return
        held.append(c)
threading.Thread(target=hold, daemon=True).start()
s.register("e", "ES256"); s.register("g", "ES256")
chs = []
for k in range(3):
    o = s.new_order("e", ["p%d-%d.example.ac.jp" % (k, i) for i in range(8)], save_as="e%d" % k)
    for az in o.json()["authorizations"]:
        j = s.post_as("e", az, None).json()
        chs.append([c for c in j["challenges"] if c["type"] == "http-01"][0]["url"])
codes = [s.post_as("e", u, {}).status for u in chs[:share]]
print("within_share=%s" % ",".join(sorted(set(str(c) for c in codes))))
b = db_counts()
r = s.post_as("e", chs[share], {})
print("over_share=%d %s" % (r.status, r.problem_type))
print("over_retry=%s" % r.header("retry-after"))
print("over_stored=%s" % ("unchanged" if db_counts() == b else "changed"))
print("over_detail=%s" % r.problem.get("detail"))
o = s.new_order("g", ["other-account.example.ac.jp"], save_as="g0")
j = s.post_as("g", o.json()["authorizations"][0], None).json()
u = [c for c in j["challenges"] if c["type"] == "http-01"][0]["url"]
r = s.post_as("g", u, {})
print("other=%d %s" % (r.status, r.json().get("status")))
again = s.post_as("e", chs[share], None).json()
print("refused_chall_status=%s" % again["status"])
PY
check_eq "an account's validations within its share start" 200 "$(field within_share)"
check_eq "the next one over its share: 429 rateLimited" "429 $E:rateLimited" "$(field over_share)"
check_match "... with a short Retry-After" "^[1-9]$" "$(field over_retry)"
check_eq "... nothing stored" unchanged "$(field over_stored)"
check_match "... saying why" "its share" "$(field over_detail)"
check_eq "... and that challenge stays pending (the client answers it again)" pending "$(field refused_chall_status)"
check_eq "another account's challenge starts meanwhile (not refused, not invalid)" "200 processing" "$(field other)"

# --- open work: limit_pending_orders, limit_pending_authzs (a new gateway config) ---
stop_pid "$PID_gw"
sed -e 's/^limit_orders_per_hour = .*/limit_orders_per_hour = 0/' "$T/gw.conf" >"$T/gw2.conf"
printf 'limit_pending_orders = 3\nlimit_pending_authzs = 3\n' >>"$T/gw2.conf"
check "gateway starts with pending limits 3 and 3" gateway_start gwp "$T/gw2.conf"
py pending <<'PY'
from acme_client import *
s = Session.from_env()
s.register("h", "ES256"); s.register("j", "ES256")
print("h=%s" % ",".join(str(s.new_order("h", ["h%d.example.ac.jp" % i], save_as="h%d" % i).status)
                       for i in range(3)))
b = db_counts()
r = s.new_order("h", ["h3.example.ac.jp"])
print("h3=%d %s" % (r.status, r.problem_type))
print("h3_retry=%s" % r.header("retry-after"))
print("h3_detail=%s" % r.problem.get("detail"))
print("h3_stored=%s" % ("unchanged" if db_counts() == b else "changed"))
print("j0=%d" % s.new_order("j", ["x1.example.ac.jp", "x2.example.ac.jp"], save_as="j0").status)
r = s.new_order("j", ["x3.example.ac.jp", "x4.example.ac.jp"])
print("j1=%d %s" % (r.status, r.problem_type))
print("j1_detail=%s" % r.problem.get("detail"))
PY
check_eq "three pending orders: 201" "201,201,201" "$(field h)"
check_eq "the fourth: 429 rateLimited" "429 $E:rateLimited" "$(field h3)"
check_match "... with an integer Retry-After" "^[1-9][0-9]*$" "$(field h3_retry)"
check_match "... the detail names the limit" "3 pending or ready orders, its limit is 3" "$(field h3_detail)"
check_eq "... nothing stored" unchanged "$(field h3_stored)"
check_eq "another account orders two names" 201 "$(field j0)"
check_eq "... two more would be 4 pending authorizations: 429" "429 $E:rateLimited" "$(field j1)"
check_match "... saying so" "4 pending authorizations, its limit is 3" "$(field j1_detail)"
stop_pid "$PID_gwp"
check "gateway restarts" gateway_start gwp2 "$T/gw2.conf"
py pending2 <<'PY'
from acme_client import *
s = Session.from_env()
print("h_restart=%d" % s.new_order("h", ["h3.example.ac.jp"]).status)
# Deactivating the authorization of h0 makes h0 invalid (when read): room for one.
az = s.order("h0")["obj"]["authorizations"][0]
print("deact=%d %s" % ((lambda r: (r.status, r.json().get("status")))(
    s.post_as("h", az, {"status": "deactivated"}))))
print("h0=%s" % s.post_as("h", s.order("h0")["url"], None).json().get("status"))
print("h_after=%d" % s.new_order("h", ["h3.example.ac.jp"]).status)
print("h_full_again=%d" % s.new_order("h", ["h4.example.ac.jp"]).status)
# j validates x1 and x2: no longer pending; an order reusing them counts only x3, x4.
srv = Http01(int(os.environ["ACME_HTTP01"]))
s.start_challenges("j", "j0", srv)
r, azs = s.wait_order("j", "j0")
srv.close()
print("j0_authz=%s" % ",".join(a.json()["status"] for a in azs))
names = ["x%d.example.ac.jp" % i for i in (1, 2, 3, 4)]
print("j_reuse=%d" % s.new_order("j", names).status)
print("j_over=%d" % s.new_order("j", ["x5.example.ac.jp", "x6.example.ac.jp"]).status)
PY
check_eq "the counts survive a restart: still 429" 429 "$(field h_restart)"
check_eq "an authorization deactivated" "200 deactivated" "$(field deact)"
check_eq "... its order reads invalid" invalid "$(field h0)"
check_eq "... and no longer counts: a new order is taken" 201 "$(field h_after)"
check_eq "... one, not more" 429 "$(field h_full_again)"
check_eq "validated authorizations are not pending" "valid,valid" "$(field j0_authz)"
check_eq "an order reusing them counts only its new ones (2 of 3)" 201 "$(field j_reuse)"
check_eq "two more would be 4: 429" 429 "$(field j_over)"
finish
