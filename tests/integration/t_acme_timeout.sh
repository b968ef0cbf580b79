#!/usr/bin/env bash
# UPKI slower than the client: the simulator issues 120 s after the upload,
# longer than certbot (90 s) and lego (30 s) wait by default. Each client gives
# up, is run again with the SAME CSR, and gets the certificate of the first
# job: the rerun's order joins the UPKI job already running, so there is
# exactly one UPKI application per name. Both clients run at once, so the
# test takes about as long as one issuance.
. "$(dirname "$0")/lib.sh"

check "UPKI simulator (issuing 120 s after the upload), DNS and gateway start" \
	stack_start --time-scale 1 --delay-min 120 --delay-max 120 --rate-limit-seconds 1
apps_for() { sim_state | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(len([a for a in d['apps'] if a['dn'].startswith('CN=$1,') and a['type']!=3]))"; }
"$BIN" -c "$T/gw.conf" eab new --name lego --allow '*.example.ac.jp' >"$T/eab.lego"
LKID=$(awk '/^kid:/ {print $2}' "$T/eab.lego")
LHMAC=$(awk '/^hmac:/ {print $2}' "$T/eab.lego")
upki_csr cb.example.ac.jp "$T/cb"
upki_csr lg.example.ac.jp "$T/lg"

certbot_runs() {   # at most 3 runs of 90 s
	local i
	for i in 1 2 3; do
		REQUESTS_CA_BUNDLE=$CA timeout 200 certbot certonly --standalone -n --agree-tos \
			--server "$URL/directory" --config-dir "$T/cbd/etc" --work-dir "$T/cbd/work" \
			--logs-dir "$T/cbd/logs" --preferred-challenges http-01 --http-01-address 127.0.0.1 \
			--http-01-port "$HTTP01_PORT" --eab-kid="$EAB_KID" --eab-hmac-key="$EAB_HMAC" \
			--email admin@example.ac.jp --no-eff-email --csr "$T/cb.csr" --cert-path "$T/cb.crt" \
			--chain-path "$T/cb.chain" --fullchain-path "$T/cb.full" >"$T/certbot.$i.out" 2>&1 &&
			{ echo "$i" >"$T/certbot.runs"; return 0; }
	done
	echo "gave up" >"$T/certbot.runs"
}
lego_runs() {   # at most 6 runs of 30 s; lego takes the HTTP-01 port only while it runs
	local i
	for i in 1 2 3 4 5 6; do
		LEGO_CA_CERTIFICATES=$CA timeout 100 lego --accept-tos --server "$URL/directory" \
			--path "$T/lego" --email admin@example.ac.jp --eab --kid="$LKID" --hmac="$LHMAC" \
			--http --http.port "127.0.0.1:$LEGO_PORT" --csr "$T/lg.csr" run >"$T/lego.$i.out" 2>&1 &&
			{ echo "$i" >"$T/lego.runs"; return 0; }
	done
	echo "gave up" >"$T/lego.runs"
}
# The two clients cannot share the http-01 port at once: certbot starts when
# lego's name is validated and lego has let the port go. Reruns need no
# validation (the valid authorizations are reused), so they never take it.
LEGO_PORT=$HTTP01_PORT
start=$(date +%s)
lego_runs &
lp=$!
for _ in $(seq 600); do grep -q "(lg.example.ac.jp): http-01 valid" "$T/gw.err" && break; sleep 0.1; done
check_match "lego's name validated" "http-01 valid" "$(grep "(lg.example.ac.jp)" "$T/gw.err")"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$HTTP01_PORT") 2>/dev/null || break; sleep 0.1; done
certbot_runs &
cp=$!
wait "$lp" "$cp"
echo "# wall time for both: $(( $(date +%s) - start )) s"

check_match "lego gave up at least once, then got it (runs)" "^[2-6]$" "$(cat "$T/lego.runs")"
check "lego's certificate is there" test -s "$T/lego/certificates/lg.example.ac.jp.crt"
check_match "certbot gave up at least once, then got it (runs)" "^[23]$" "$(cat "$T/certbot.runs")"
check "certbot's certificate is there" test -s "$T/cb.crt"
check_match "certbot's first run timed out" "TimeoutError|Timeout|timed out" "$(cat "$T/certbot.1.out" "$T"/cbd/logs/letsencrypt.log 2>/dev/null)"
check_eq "one UPKI application for lego's name" 1 "$(apps_for lg.example.ac.jp)"
check_eq "one UPKI application for certbot's name" 1 "$(apps_for cb.example.ac.jp)"
check_eq "each certificate has its CSR's key" \
	"$(openssl req -noout -pubkey -in "$T/cb.csr" | sha256sum) $(openssl req -noout -pubkey -in "$T/lg.csr" | sha256sum)" \
	"$(openssl x509 -noout -pubkey -in "$T/cb.crt" 2>/dev/null | sha256sum) $(openssl x509 -noout -pubkey -in "$T/lego/certificates/lg.example.ac.jp.crt" 2>/dev/null | sha256sum)"
finish
