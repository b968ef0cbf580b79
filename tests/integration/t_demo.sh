#!/usr/bin/env bash
# `make run`'s launcher on free ports: it prints the directory, an EAB key and
# a certbot recipe; the recipe, run as printed, obtains a certificate.
. "$(dirname "$0")/lib.sh"

export VAR=$T/var GW_PORT=$(free_port) SIM_PORT=$(free_port) DNS_PORT=$(free_port) HTTP01_PORT=$(free_port)
export NAME=demo.example.ac.jp O BIN SIM
start_bg demo platform/host/run-demo
check "the demo's gateway listens" wait_port "$GW_PORT" 30
for _ in $(seq 50); do grep -q "Stop with Ctrl-C" "$T/demo.out" && break; sleep 0.1; done
out=$(cat "$T/demo.out")
check_match "prints the directory URL" "ACME directory at https://127.0.0.1:$GW_PORT/directory" "$out"
check_match "prints an EAB key" "EAB key id: +[A-Za-z0-9_-]+" "$out"
# Run the printed openssl and certbot commands as they are, their /tmp scratch paths moved into $T.
recipe=$(printf '%s\n' "$out" | sed -n '/^  openssl req/,/^  # lego/p' | grep -v "^  # lego" | sed "s|/tmp/$NAME|$T/$NAME|g; s|/tmp/cb|$T/cb|g")
(cd "$T" && bash -c "$recipe") >"$T/recipe.out" 2>&1
check "the printed certbot recipe obtains a certificate" test -s "$T/$NAME.crt"
[ -s "$T/$NAME.crt" ] || tail -15 "$T/recipe.out"
check "... that verifies against the simulator's roots" \
	openssl verify -CAfile "$VAR/upki-sim/roots.pem" -untrusted "$VAR/upki-chain.pem" "$T/$NAME.crt"
kill "$PID_demo"
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null || break; sleep 0.1; done
check "stopping the demo stops its gateway" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$GW_PORT) 2>/dev/null"
check "... and its simulator" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$SIM_PORT) 2>/dev/null"
finish
