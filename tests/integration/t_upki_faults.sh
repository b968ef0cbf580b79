#!/usr/bin/env bash
# UPKI connection faults at each step of a job, one at a time: the simulator
# resets the connection before acting (reset), acts and then resets before
# answering (drop_answer: the gateway cannot know whether its upload arrived),
# answers 500 (5xx), or answers after the gateway's timeout (slow). Each job
# still ends issued, from exactly one UPKI application, and retries start
# within seconds: upki_retry_base (the wait after refusals) is set far above
# the --wait bound, so a fault handled by the long wait fails the case.
. "$(dirname "$0")/lib.sh"

D=$T/sim
PORT=$(free_port)
PUB=$(free_port)
SIMURL=https://127.0.0.1:$PUB
SUBJ_TAIL="/C=JP/ST=Aichi/L=Nagoya/O=Example University"

"$SIM" init "$D" >/dev/null 2>&1
start_bg sim "$SIM" serve "$D" --listen "127.0.0.1:$PORT" --public-listen "127.0.0.1:$PUB" \
	--time-scale 0.01 --rate-limit-seconds 1 --delay-min 10 --delay-max 30
check "sim starts" wait_port "$PORT" 10
check "... its public listener too" wait_port "$PUB" 10
fault() { sim_post /_sim/fault "$1"; }

cat >"$T/gw.conf" <<CONF
listen = 127.0.0.1:$(free_port)
data_dir = $T/var
log_level = 2
$(sim_gw_conf "$D/chain-rsa.pem")
upki_poll_interval = 1
upki_expected_delay = 1
upki_timeout = 2
upki_retry_base = 600
CONF

check_match "an unknown step is refused by the simulator" "step must be" \
	"$(fault '{"mode":"reset","step":"nowhere"}')"

report=""
for step in login menu upload bulk; do
	for mode in reset drop_answer 5xx slow; do
		cn=$mode-$step.example.ac.jp
		cn=${cn//_/-}
		openssl req -new -newkey rsa:2048 -nodes -keyout "$T/$cn.key" -out "$T/$cn.csr" \
			-subj "$SUBJ_TAIL/CN=$cn" 2>/dev/null
		before=$(sim_get /_sim/state | jget "d['faults_fired']")
		fault "{\"mode\":\"$mode\",\"count\":1,\"step\":\"$step\",\"seconds\":3}" >/dev/null
		start=$(date +%s%N)
		out=$("$BIN" -c "$T/gw.conf" upki-submit-csr --wait 30 "$T/$cn.csr" 2>"$T/$cn.log"); rc=$?
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		printf '%s\n' "$out" >"$T/$cn.out"
		fault '{"mode":"none"}' >/dev/null
		check_eq "$mode at $step: the fault fired" $((before + 1)) "$(sim_get /_sim/state | jget "d['faults_fired']")"
		check_eq "$mode at $step: issued (exit 0)" 0 "$rc"
		check_match "... valid" "order [0-9]+: valid serial" "$out"
		check_eq "... from exactly one application" 1 "$(sim_apps "$cn")"
		report="$report $mode@$step=${ms}ms"
	done
done
check_match "a reset before any answer at login is sent again at once" \
	"GET .*SSLLogin.do: .* before any answer .*sending it again on a new connection" \
	"$(cat "$T/reset-login.example.ac.jp.log")"
check_match "a lost upload answer is settled by the bulk TSV, not by uploading again" \
	"upload outcome unknown" "$(cat "$T/drop-answer-upload.example.ac.jp.log")"
check_match "... one upload in all" "uploads: 1," "$(cat "$T/drop-answer-upload.example.ac.jp.out")"
check_match "a reset before UPKI acted on the upload: uploaded again after the bulk TSV showed no trace" \
	"no trace of its upload" "$(cat "$T/reset-upload.example.ac.jp.log")"
if grep -q "no trace of its upload" "$T/drop-answer-upload.example.ac.jp.log"; then
	notok "... but the gateway uploaded it again"
else
	ok "... and it was not uploaded again"
fi
echo "# time from submission to certificate:$report"
finish
