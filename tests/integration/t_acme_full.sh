#!/usr/bin/env bash
# A full store is an answer, not a failure, and sweeping recovers: with a 1
# MiB map, one account's pending orders fill the store until new orders are
# refused with 503 serverInternal, a Retry-After and a detail that says why
# (one log line, not one per request); what was stored before stays
# readable; nothing is half-written (record counts do not move on a
# refusal). Then, with the same store_map_size, the gateway restarts with its
# clock past the orders' lifetime (UPKI_CLOCK_OFFSET) and sweep_retain_days =
# 0: the sweep marks them invalid and deletes them, new orders are taken
# again, and an order that was processing (waiting for UPKI) before the fill
# still ends valid with its certificate, from exactly one UPKI application.
. "$(dirname "$0")/lib.sh"

LIFE=$(sed -n 's/^#define CONFIG_ACME_ORDER_LIFETIME_S //p' "$O/include/autoconf.h")
cat >"$T/gw.extra" <<CONF
store_map_size = 1
limit_orders_per_hour = 0
limit_pending_orders = 0
limit_pending_authzs = 0
sweep_retain_days = 0
upki_max_wait = 2592000
CONF
# UPKI issues 1000 simulated (= real) seconds after the upload: the order stays
# processing until the test moves the simulator's clock.
check "stack starts with a 1 MiB store" stack_start --time-scale 1 --delay-min 1000 \
	--delay-max 1000 --rate-limit-seconds 1
export ACME_DIR=$URL/directory ACME_CA=$CA ACME_STATE=$T/state.json ACME_DB=$T/var/db \
	PYTHONPATH=$ROOT/tests/integration EAB_KID EAB_HMAC HTTP01_PORT SIMDIR SIM_PUBPORT

py proc <<'PY'
from acme_client import *
s = Session.from_env()
r, key = s.register("f", "ES256", os.environ["EAB_KID"], os.environ["EAB_HMAC"])
print("reg=%d" % r.status)
s.new_order("f", ["keep.example.ac.jp"], save_as="keep").expect(201)
srv = Http01(int(os.environ["HTTP01_PORT"]))
s.start_challenges("f", "keep", srv)
o, _ = s.wait_order("f", "keep")
srv.close()
csr = make_csr(Key.rsa(2048), cn="keep.example.ac.jp")
fin = s.post_as("f", s.order("keep")["obj"]["finalize"], {"csr": b64u(csr)})
print("finalize=%d %s" % (fin.status, fin.json().get("status")))
PY
check_eq "the account: 201" 201 "$(field reg)"
check_eq "an order is processing before the fill" "200 processing" "$(field finalize)"

py fill <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
first = None
refused = None
for i in range(5000):
    o = s.new_order("f", ["n%d.example.ac.jp" % i])
    if o.status != 201:
        refused = o
        break
    if first is None:
        first = o.location
print("orders_made=%d" % i)
if refused is not None:
    print("refused=%d %s" % (refused.status, refused.problem_type))
    print("retry_after=%s" % refused.header("retry-after"))
    print("detail=%s" % refused.problem.get("detail"))
    b = db_counts()
    again = s.new_order("f", ["again.example.ac.jp"])
    print("again=%d" % again.status)
    print("again_stored=%s" % ("unchanged" if db_counts() == b else "changed"))
    k2 = Key.ec()
    eab = a.eab(os.environ["EAB_KID"], os.environ["EAB_HMAC"], k2)
    print("new_account=%d" % a.new_account(k2, eab=eab).status)
    g = s.post_as("f", first, None)
    print("first_read=%d %s" % (g.status, g.json().get("status")))
    g = s.post_as("f", s.order("keep")["url"], None)
    print("keep_read=%d %s" % (g.status, g.json().get("status")))
print("orders_stored=%d" % db_counts().get("order", 0))
PY
check_match "some orders fit" "^[1-9][0-9]+$" "$(field orders_made)"
check_eq "then a new order is refused: 503 serverInternal" \
	"503 urn:ietf:params:acme:error:serverInternal" "$(field refused)"
check_match "... with an integer Retry-After" "^[1-9][0-9]*$" "$(field retry_after)"
check_match "... saying the storage is full" "storage is full" "$(field detail)"
check_eq "again refused" 503 "$(field again)"
check_eq "... nothing stored" unchanged "$(field again_stored)"
check_eq "a new account is refused too" 503 "$(field new_account)"
check_eq "the first order is still readable" "200 pending" "$(field first_read)"
check_eq "the processing order too" "200 processing" "$(field keep_read)"
check_eq "one log line for the high-water mark, not one per request" 1 \
	"$(grep -c 'above the [0-9]*% high-water mark' "$T/gw.err")"
FILLED=$(field orders_stored)

stop_pid "$PID_gw"
export UPKI_CLOCK_OFFSET=$((LIFE + 3600))
check "gateway starts $((LIFE + 3600)) s later, store_map_size unchanged" gateway_start gw2 "$T/gw.conf"
unset UPKI_CLOCK_OFFSET
orders() { /usr/bin/python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); from acme_client import db_counts; c = db_counts(); print(c.get('order', 0), c.get('order_by_end', 0), c.get('authz_by_end', 0))"; }
for _ in $(seq 300); do [ "$(orders)" = "1 0 0" ] && break; sleep 0.1; done
check_eq "the sweep deleted every expired order, nothing left in the end indexes" "1 0 0" "$(orders)"
check_match "... and said so" "sweep: [0-9]+ expired .* [1-9][0-9]* ended past sweep_retain_days \(0\) deleted" \
	"$(cat "$T/gw2.err")"
echo "# orders stored at the fill: $FILLED; orders, order_by_end, authz_by_end after the sweep: $(orders)"
grep 'sweep' "$T/gw2.err" | sed 's/^/# /'
grep 'high-water' "$T/gw2.err" | sed 's/^/# /'

py after "$FILLED" <<'PY'
import json, ssl, sys, time, urllib.request
from acme_client import *
s = Session.from_env()
# Room for half as many orders as filled the store, not just one more.
want = int(sys.argv[1]) // 2
made = 0
for i in range(want):
    if s.new_order("f", ["after%d.example.ac.jp" % i]).status != 201:
        break
    made += 1
print("after=%s" % ("all" if made == want else "%d of %d" % (made, want)))
# UPKI issues now: move the simulator's clock past the delay.
ctx = ssl.create_default_context(cafile=os.environ["SIMDIR"] + "/web-ca.pem")
req = urllib.request.Request("https://127.0.0.1:%s/_sim/clock" % os.environ["SIM_PUBPORT"],
                             data=json.dumps({"advance": 1100}).encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, context=ctx, timeout=10).read()
url = s.order("keep")["url"]
deadline = time.time() + 60
while True:
    g = s.post_as("f", url, None)
    st = g.json().get("status")
    if st != "processing" or time.time() > deadline:
        break
    time.sleep(0.5)
print("keep=%s" % st)
if st == "valid":
    c = s.post_as("f", g.json()["certificate"], None)
    print("cert=%d" % c.status)
    open(os.environ["ACME_STATE"] + ".pem", "wb").write(c.body)
PY
check_eq "the same map takes new orders again: half as many as filled it" all "$(field after)"
check_eq "the order processing before the fill ends valid" valid "$(field keep)"
check_eq "... with its certificate" 200 "$(field cert)"
check "... which verifies against the simulator's roots" \
	openssl verify -CAfile "$SIMDIR/roots.pem" -untrusted "$T/state.json.pem" "$T/state.json.pem"
check_eq "exactly one application reached UPKI" 1 \
	"$(sim_state | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["uploads"])')"
finish
