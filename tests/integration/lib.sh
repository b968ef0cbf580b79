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
