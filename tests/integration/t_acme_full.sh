#!/usr/bin/env bash
# A full store is an answer, not a failure: with a 1 MiB map, new orders are
# refused once the store passes its high-water mark, with 503 serverInternal,
# a Retry-After and a detail that says why (one log line, not one per
# request); what was stored before stays readable; nothing is half-written
# (record counts do not move on a refusal); a restart with a larger
# store_map_size takes new orders again.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 2
eab_required = no
store_map_size = 1
limit_orders_per_hour = 0
limit_pending_orders = 0
limit_pending_authzs = 0
CONF
check "gateway starts with a 1 MiB store" gateway_start gw "$T/gw.conf"
export ACME_DIR=$URL/directory ACME_CA=$T/var/tls/ca.pem ACME_STATE=$T/state.json \
	ACME_DB=$T/var/db PYTHONPATH=$ROOT/tests/integration

py fill <<'PY'
from acme_client import *
s = Session.from_env(); a = s.acme
r, key = s.register("f", "ES256")
print("reg=%d" % r.status)
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
    print("new_account=%d" % a.new_account(k2).status)
    g = s.post_as("f", first, None)
    print("first_read=%d %s" % (g.status, g.json().get("status")))
PY
check_eq "the first account: 201" 201 "$(field reg)"
check_match "some orders fit" "^[1-9][0-9]+$" "$(field orders_made)"
check_eq "then a new order is refused: 503 serverInternal" \
	"503 urn:ietf:params:acme:error:serverInternal" "$(field refused)"
check_match "... with an integer Retry-After" "^[1-9][0-9]*$" "$(field retry_after)"
check_match "... saying the storage is full" "storage is full" "$(field detail)"
check_eq "again refused" 503 "$(field again)"
check_eq "... nothing stored" unchanged "$(field again_stored)"
check_eq "a new account is refused too" 503 "$(field new_account)"
check_eq "the first order is still readable" "200 pending" "$(field first_read)"
check_eq "one log line for the high-water mark, not one per request" 1 \
	"$(grep -c 'above the [0-9]*% high-water mark' "$T/gw.err")"
stop_pid "$PID_gw"
sed -i 's/^store_map_size = 1$/store_map_size = 8/' "$T/gw.conf"
check "gateway starts again with 8 MiB" gateway_start gw "$T/gw.conf"
py after <<'PY'
from acme_client import *
s = Session.from_env()
o = s.new_order("f", ["after.example.ac.jp"])
print("after=%d" % o.status)
PY
check_eq "a larger map takes new orders again" 201 "$(field after)"
finish
