#!/usr/bin/env bash
# valgrind: a start, a few requests of every kind the server has, a SIGTERM:
# no invalid accesses, no leaks.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$PORT
data_dir = $T/var
log_level = 3
http_request_timeout = 3
CONF
"$BIN" -c "$T/gw.conf" eab new --name vg --allow '*.example.ac.jp' >"$T/eab" || notok "eab new"
start_bg gw valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --track-fds=no "$BIN" -f -c "$T/gw.conf"
check "gateway starts under valgrind" wait_port "$PORT" 60
CA=$T/var/tls/ca.pem
check_eq "directory" 200 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" "$URL/directory")"
check_eq "newNonce HEAD" 200 "$(curl -sS -o /dev/null -w '%{http_code}' -I --cacert "$CA" "$URL/acme/new-nonce")"
check_eq "bad JWS" 400 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/jose+json' -d '{"protected":"x"}' "$URL/acme/new-order")"
check_eq "over-long header" 431 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H "X-A: $(head -c 9000 /dev/zero | tr '\0' a)" "$URL/directory")"
KID=$(awk '/^kid:/{print $2}' "$T/eab"); H=$(awk '/^hmac:/{print $2}' "$T/eab")
REQUESTS_CA_BUNDLE=$CA timeout 120 certbot register -n --agree-tos --server "$URL/directory" \
	--config-dir "$T/cb/etc" --work-dir "$T/cb/work" --logs-dir "$T/cb/logs" \
	--eab-kid="$KID" --eab-hmac-key="$H" -m admin@example.ac.jp --no-eff-email >"$T/cb.out" 2>&1
check_match "certbot registers through the valgrind'd gateway" "Account registered" "$(cat "$T/cb.out")"
/usr/bin/python3 tests/integration/rawtls.py 127.0.0.1 "$PORT" "$CA" 'GET /directory HTTP/1.1\r\nHost: a\r\n' wait 5 >/dev/null
(exec 3<>"/dev/tcp/127.0.0.1/$PORT"; sleep 0.5) 2>/dev/null   # a connection left open at shutdown
kill "$PID_gw"
wait "$PID_gw" 2>/dev/null; rc=$?
log=$(cat "$T/gw.err")
check_eq "valgrind exit status (99 = errors found)" 0 "$rc"
check_match "no errors" "ERROR SUMMARY: 0 errors" "$log"
check_match "no definite leaks" "definitely lost: 0 bytes|All heap blocks were freed" "$log"
[ "$NFAIL" -eq 0 ] || grep -E "==[0-9]+== " "$T/gw.err" | head -60
finish
