# Shared helpers for integration tests. Every server a test needs is started
# here on loopback and stopped by PID when the script exits.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
O=${O:-build/host}
BIN=${BIN:-$O/upki-acme}
SIM=${SIM:-$O/upki-sim}
T=$(mktemp -d /tmp/upki-test.XXXXXX)
PIDS=()
NFAIL=0

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; NFAIL=$((NFAIL + 1)); }
check() {   # check "description" command...
	local d=$1; shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
check_eq() {   # check_eq "description" expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
check_match() {   # check_match "description" regex text
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else notok "$1: '$2' not in: $(printf '%s' "$3" | head -c 600)"; fi
}
diag() { echo "# $*"; }

# A free TCP port on 127.0.0.1 (asks the kernel, then releases it).
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_bg NAME cmd...: start a server, record its PID (the server's own).
start_bg() {
	local name=$1; shift
	(exec "$@" >"$T/$name.out" 2>"$T/$name.err") &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
}

# wait_port PORT [seconds]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	local port=$1 n=$(( ${2:-10} * 10 ))
	for _ in $(seq "$n"); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# gateway_start NAME CONFIG: run upki-acme in the foreground with CONFIG.
gateway_start() {
	local name=$1 cfg=$2 port
	port=$(sed -n 's/^listen *= *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$cfg" | head -1)
	start_bg "$name" "$BIN" -f -c "$cfg"
	wait_port "$port" 10
}

stop_pid() {   # stop_pid PID: SIGTERM and wait for it (at most 10 s)
	kill "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	return 1
}

finish() {
	[ "$NFAIL" -eq 0 ]
	exit $?
}

# stack_start [sim serve options...]: the UPKI simulator, a DNS server that
# answers every name with 127.0.0.1 (unless STACK_DNS_PORT names the test's
# own, already running), and the gateway configured for both.
# Sets GW_PORT URL CA SIMDIR HTTP01_PORT EAB_KID EAB_HMAC and PID_gw/PID_sim/PID_dns,
# and DNS_PORT / DNS_MGMT (the DNS server and its management API: /set-txt ...;
# DNS_MGMT is empty with STACK_DNS_PORT).
# Extra gateway config lines can be put in $T/gw.extra before calling.
stack_start() {
	local simport dnsport
	SIMDIR=$T/sim
	[ -f "$SIMDIR/sim.conf" ] || "$SIM" init "$SIMDIR" --institution-o "Example University" \
		--st Aichi --l Nagoya --domains example.ac.jp >/dev/null || return 1
	simport=$(free_port); dnsport=${STACK_DNS_PORT:-$(free_port)}; GW_PORT=$(free_port); HTTP01_PORT=$(free_port)
	SIM_PUBPORT=$(free_port)
	start_bg sim "$SIM" serve "$SIMDIR" --listen "127.0.0.1:$simport" --public-listen "127.0.0.1:$SIM_PUBPORT" "$@"
	DNS_PORT=$dnsport; DNS_MGMT=""
	# STACK_DNS_PORT: the test runs its own DNS server there (t_acme_caa.sh)
	[ -n "${STACK_DNS_PORT:-}" ] || { DNS_MGMT=$(free_port); start_bg dns pebble-challtestsrv -defaultIPv6 "" -defaultIPv4 127.0.0.1 -dns01 "127.0.0.1:$dnsport" \
		-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$DNS_MGMT"; }
	cat "$SIMDIR/chain-rsa.pem" "$SIMDIR/chain-ecc.pem" >"$T/upki-chain.pem"
	cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$GW_PORT
data_dir = $T/var
log_level = 3
resolver = 127.0.0.1:$dnsport
http01_port = $HTTP01_PORT
validation_allow_nets = 127.0.0.0/8
upki_url = https://localhost:$simport/upki-odcert/
upki_connect = 127.0.0.1:$simport
upki_ca = $SIMDIR/web-ca.pem
upki_client_cert = $SIMDIR/ra.pem
upki_client_key = $SIMDIR/ra-key.pem
upki_chain = $T/upki-chain.pem
upki_org = Example University
upki_state = Aichi
upki_locality = Nagoya
upki_admin_name = Test Admin
upki_admin_dept = Information Technology Center
upki_admin_email = admin@example.ac.jp
upki_server_software = Apache 2.4
upki_poll_interval = 1
upki_expected_delay = 1
CONF
	[ -f "$T/gw.extra" ] && cat "$T/gw.extra" >>"$T/gw.conf"
	"$BIN" -c "$T/gw.conf" eab new --name test --allow '*.example.ac.jp' >"$T/eab" || return 1
	EAB_KID=$(awk '/^kid:/ {print $2}' "$T/eab")
	EAB_HMAC=$(awk '/^hmac:/ {print $2}' "$T/eab")
	wait_port "$simport" 10 && wait_port "$dnsport" 10 || return 1
	gateway_start gw "$T/gw.conf" || return 1
	URL=https://127.0.0.1:$GW_PORT
	CA=$T/var/tls/ca.pem
}

# The UPKI tests that run the simulator without the rest of the stack set
# D (its directory), PORT (its RA listener) and SIMURL (its public listener).
# sim_get PATH / sim_post PATH BODY: its control API; jget EXPR: EXPR of the
# JSON on stdin (d), printed; sim_apps CN: applications made for CN (not
# revocations).
sim_get() { curl -sS --cacert "$D/web-ca.pem" "$SIMURL$1"; }
sim_post() { curl -sS --cacert "$D/web-ca.pem" -d "$2" "$SIMURL$1"; }
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
sim_apps() { sim_get /_sim/state | jget "len([a for a in d['apps'] if a['dn'].startswith('CN=$1,') and a['type']!=3])"; }

# sim_gw_conf CHAIN [URL]: the gateway's UPKI lines for that simulator, with
# CHAIN as upki_chain, URL as upki_url (default https://127.0.0.1:$PORT/upki-odcert)
# and Example University's institution record.
sim_gw_conf() {
	cat <<CONF
upki_url = ${2:-https://127.0.0.1:$PORT/upki-odcert}
upki_ca = $D/web-ca.pem
upki_client_cert = $D/ra.pem
upki_client_key = $D/ra-key.pem
upki_chain = $1
upki_org = Example University
upki_state = Aichi
upki_locality = Nagoya
upki_admin_name = Yamada Taro
upki_admin_dept = ICT Center
upki_admin_email = taro@example.ac.jp
CONF
}

# sim_state: the simulator's counters (JSON) from its public listener.
sim_state() {
	curl -s --cacert "$SIMDIR/web-ca.pem" "https://127.0.0.1:$SIM_PUBPORT/_sim/state"
}

# upki_csr NAME OUTPREFIX: a new RSA-2048 key and a UPKI-shaped CSR (CN only, no SAN).
upki_csr() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$2.key" \
		-subj "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=$1" -out "$2.csr" 2>/dev/null
}

# py NAME [args...] <<'PY' ... PY: run an acme_client.py snippet (stdin); its
# key=value lines go to OUT (read them with field KEY) and to the log, and the
# snippet must run to its end.
OUT=""
py() {
	local name=$1 rc
	shift
	OUT=$(/usr/bin/python3 - "$@")
	rc=$?
	printf '%s\n' "$OUT" | sed "s/^/    [$name] /"
	check_eq "$name: client snippet ran to the end" 0 "$rc"
}
field() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -1; }
