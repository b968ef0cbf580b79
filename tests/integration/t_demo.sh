#!/usr/bin/env bash
# `make run`'s launcher on free ports: it prints the directory, an EAB key per
# client and recipes (key + CSR, certbot --csr, lego --csr, dehydrated --signcsr, check). Every recipe
# runs as printed, in two orders, each client twice (the second run is a
# renewal with a new key), then again on the state of the first demo after a
# restart. A client that gives up while UPKI works is run again with the same
# CSR, as the demo says: that rerun must not make a second UPKI application.
. "$(dirname "$0")/lib.sh"

export VAR=$T/var GW_PORT=$(free_port) SIM_PORT=$(free_port) DNS_PORT=$(free_port) HTTP01_PORT=$(free_port) \
	MAIL_PORT=$(free_port) TLSALPN01_PORT=$(free_port)
export NAME=demo.example.ac.jp O BIN SIM

start_demo() {   # -> out (the launcher's text)
	start_bg demo platform/host/run-demo
	check "the demo's gateway listens" wait_port "$GW_PORT" 30
	for _ in $(seq 100); do grep -q "Stop with Ctrl-C" "$T/demo.out" && break; sleep 0.1; done
	out=$(cat "$T/demo.out")
}
stop_demo() {
	kill "$PID_demo"
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null || break; sleep 0.1; done
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SIM_PORT") 2>/dev/null || break; sleep 0.1; done
}
# block HEADER: the printed lines from "  # HEADER" (or the openssl line) to the next blank
# line, with the demo's /tmp scratch paths moved into $T.
block() {
	local b
	if [ "$1" = key ]; then
		b=$(printf '%s\n' "$out" | sed -n '/^  openssl req/,/^$/p')
	else
		b=$(printf '%s\n' "$out" | sed -n "/^  # $1\$/,/^\$/p")
	fi
	printf '%s\n' "$b" | sed "s#/tmp/\($NAME\|cb\|lego\|dh\)#$T/tmp/\1#g"
}
uploads() {
	curl -s --cacert "$VAR/upki-sim/web-ca.pem" "https://127.0.0.1:$((SIM_PORT + 1))/_sim/state" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["uploads"])' 2>/dev/null
}
# issue ROUND CLIENT: a new key and CSR, the client's recipe (run again with the same CSR
# when it gave up, as printed), then the check recipe.
issue() {
	local round=$1 client=$2 before after tries=0
	rm -f "$T/tmp/$NAME.crt"
	(cd "$T" && bash -c "$(block key)") >"$T/key-$round-$client.out" 2>&1
	before=$(uploads)
	while [ $tries -lt 2 ]; do
		tries=$((tries + 1))
		(cd "$T" && bash -c "$(block "$client")") >"$T/$client-$round-$tries.out" 2>&1 && break
	done
	after=$(uploads)
	echo "# $client round $round: $tries run(s), uploads $before -> $after"
	check "round $round: the printed $client recipe obtains a certificate" test -s "$T/tmp/$NAME.crt"
	[ -s "$T/tmp/$NAME.crt" ] || tail -20 "$T/$client-$round-$tries.out"
	check "round $round: ... which the printed check accepts" bash -c "cd '$T' && $(block check)"
	check "round $round: ... from exactly one UPKI application" test "$((after - before))" -eq 1
}

mkdir -p "$T/tmp"
start_demo
check_match "prints the directory URL" "ACME directory at https://127.0.0.1:$GW_PORT/directory" "$out"
check_match "prints an EAB key for each client" "EAB key id: +[A-Za-z0-9_-]+ \(certbot\), [A-Za-z0-9_-]+ \(lego\), [A-Za-z0-9_-]+ \(dehydrated\)" "$out"
check "every printed EAB value is passed as --flag=value" bash -c \
	"! printf '%s\n' \"\$1\" | grep -E -- '--(eab-kid|eab-hmac-key|kid|hmac) '" _ "$out"
issue 1 certbot
issue 1 lego
issue 1 dehydrated
issue 2 dehydrated
issue 2 lego
issue 2 certbot
mails=0
for _ in $(seq 100); do
	mails=$("$BIN" -c "$VAR/demo.conf" mail list 2>/dev/null | sed -n 's/^\([0-9]*\) message(s)$/\1/p')
	[ "${mails:-0}" -ge 6 ] && break
	sleep 0.1
done
check_eq "the demo's gateway received UPKI's issuance mail for each of the 6 certificates" 6 "$mails"
stop_demo
check "stopping the demo stops its gateway" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$GW_PORT) 2>/dev/null"
check "... and its simulator" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$SIM_PORT) 2>/dev/null"

# Again on the first demo's state: the same keys, accounts and client directories.
start_demo
issue 3 certbot
issue 3 lego
issue 3 dehydrated
stop_demo
finish
