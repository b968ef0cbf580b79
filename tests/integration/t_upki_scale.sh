#!/usr/bin/env bash
# Fifty UPKI jobs at once (UPKI_SCALE_JOBS=N for more): one upload carries
# them all (50 rows per upload), and the bulk TSV is downloaded about once per
# rate-limit interval while they wait (one download serves every pending job),
# never once per job and never over the limit. The sim writes its PEM cells
# quoted over several lines here, to exercise that path.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
SIMURL=https://127.0.0.1:$PUB
N=${UPKI_SCALE_JOBS:-50}
INTERVAL=1

"$SIM" init "$D" >/dev/null 2>&1
start_bg sim "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
	--time-scale 0.01 --rate-limit-seconds "$INTERVAL" --pem-cell quoted
check "sim starts (issuance 60-600 simulated s = 0.6-6 s, one download per ${INTERVAL} s)" \
	wait_port "$PORT" 10

cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$(free_port)
data_dir = $T/var
log_level = 2
$(sim_gw_conf "$D/chain-rsa.pem")
upki_poll_interval = $INTERVAL
upki_expected_delay = 1
CONF

mkdir -p "$T/csr"
(	# a subshell: its wait must not wait for the sim
	for i in $(seq "$N"); do
		openssl req -new -newkey rsa:2048 -nodes -keyout "$T/csr/h$i.key" -out "$T/csr/h$i.csr" \
			-subj "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=h$i.example.ac.jp" 2>/dev/null &
	done
	wait
)
check_eq "$N CSRs made" "$N" "$(ls "$T/csr"/*.csr | wc -l)"

start=$(date +%s.%N)
out=$("$BIN" -c "$T/gw.conf" upki-submit-csr --wait 120 "$T"/csr/*.csr 2>"$T/gw.log"); rc=$?
end=$(date +%s.%N)
if printf '%s' "$out$(cat "$T/gw.log")" | grep -q "unknown command"; then
	notok "upki-acme has no upki-submit-csr command: main.c must call upki_submit_csr_cmd"
	finish
fi
check_eq "all jobs done (exit 0)" 0 "$rc"
check_eq "$N orders valid" "$N" "$(printf '%s\n' "$out" | grep -c ': valid serial ')"
B=$(printf '%s' "$out" | sed -n 's/.*bulk downloads: \([0-9]*\),.*/\1/p')
U=$(printf '%s' "$out" | sed -n 's/.*uploads: \([0-9]*\),.*/\1/p')
W=$(/usr/bin/python3 -c "print(round($end - $start, 1))")
st=$(sim_get /_sim/state)
SB=$(echo "$st" | jget 'd["bulk_downloads"]')
RL=$(echo "$st" | jget 'd["rate_limited"]')
LAST=$(echo "$st" | jget 'max(a["due_in_ms"] for a in d["apps"])')
diag "$N jobs: ${W}s wall, $B bulk downloads (sim counted $SB, refused $RL), $U upload(s)"
UW=$(( (N + 49) / 50 ))   # UPKI_UPLOAD_ROWS_MAX rows per upload
check_eq "$UW upload(s) carried all $N applications" "$UW" "$U"
check_eq "sim: $N rows accepted in $UW upload(s)" "$UW $N" "$(echo "$st" | jget 'str(d["uploads"])+" "+str(d["rows_ok"])')"
check_eq "the gateway and the sim count the same downloads" "$B" "$SB"
check_eq "no download over the rate limit" 0 "$RL"
check "bulk downloads ($B) <= wall time / interval + 2 ($W s / $INTERVAL s)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if $B <= $W / $INTERVAL + 2 else 1)"
check "bulk downloads ($B) far fewer than jobs ($N): at most one per 5 jobs" test "$B" -le $((N / 5))
check_eq "log lines count every download" "$B" "$(grep -c 'upki: bulk download [0-9]*:' "$T/gw.log")"
check_match "a log line names rows and completed jobs" "upki: bulk download [0-9]+: $N rows, [0-9]+ jobs completed" \
	"$(cat "$T/gw.log")"
finish
