#!/usr/bin/env bash
# Poll scheduling when UPKI is slower than expected: the back-off grows by how
# overdue a job was at the last bulk download, so polls keep coming (1, 3, 5,
# 9, 17 s ...) and a certificate issued after 8 s is picked up soon after. The
# old rule measured "overdue" at every wake-up and postponed the next poll for
# ever (up to 16 intervals).
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
"$SIM" init "$D" >/dev/null 2>&1
# 400 simulated seconds x 0.02 = 8 s from upload to issuance.
start_bg sim "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$(free_port)" \
	--time-scale 0.02 --delay-min 400 --delay-max 400 --rate-limit-seconds 1
check "sim starts" wait_port "$PORT" 10
cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$(free_port)
data_dir = $T/var
log_level = 2
$(sim_gw_conf "$D/chain-rsa.pem")
upki_poll_interval = 2
upki_expected_delay = 1
CONF
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/r.csr" \
	-subj "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=sched.example.ac.jp" 2>/dev/null
start=$(date +%s.%N)
out=$("$BIN" -c "$T/gw.conf" upki-submit-csr --wait 60 "$T/r.csr" 2>"$T/gw.log")
end=$(date +%s.%N)
diag "$(printf '%s' "$out" | tail -1)"
check_match "the job is issued" "1 valid" "$out"
check "picked up within 20 s of the upload (issued at 8 s)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if $end - $start < 20 else 1)"
n=$(grep -c 'upki: bulk download [0-9]*:' "$T/gw.log")
check "polls kept coming while overdue (>= 3 downloads, got $n)" test "$n" -ge 3
finish
