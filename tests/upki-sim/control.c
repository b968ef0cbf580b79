/*
 * control.c: the test control endpoints [X], JSON in and out:
 *   GET  /_sim/state   counters, applications by state, every application, faults
 *   GET  /_sim/mail    the outbox (?since=N: mails with id > N)
 *   POST /_sim/clock   {"advance": seconds} or {"advance_ms": ms}: move sim time on
 *   POST /_sim/fault   {"mode": "...", "count": N, "seconds": S, "status": X, "step": P}
 *                      count: requests affected (default 1; 0 = until "none")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "sim.h"
#include "util/err.h"
#include "util/log.h"

#define CTL_JSON_TOKENS 32
#define CTL_APP_JSON 1024     /* bytes per application in /_sim/state, generous */
#define CTL_MAIL_JSON 3072

static void
ctl_send(struct http_req *req, struct json_w *w, char *buf)
{
	int n = json_w_finish(w);

	if (n < 0) {
		log_err("upki-sim: control JSON: %s", err_str(n));
		http_reply_status(req, 500);
	} else {
		http_reply(req, 200, "application/json", buf, (size_t)n);
	}
	free(buf);
}

static void
ctl_error(struct http_req *req, const char *msg)
{
	char out[160];
	int n = snprintf(out, sizeof(out), "{\"error\":\"%s\"}", msg);

	http_reply(req, 400, "application/json", out, (size_t)n);
}

static void
ctl_faults(struct json_w *w, const struct sim *s)
{
	json_w_key(w, "faults");
	json_w_obj_begin(w);
	for (int i = 0; i < SIM_F__MAX; i++) {
		json_w_key(w, sim_fault_name(i));
		json_w_int(w, s->faults.left[i]);
	}
	json_w_obj_end(w);
}

void
sim_control_state(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	size_t cap = 16384 + s->n_apps * CTL_APP_JSON;
	unsigned long by_state[16] = { 0 };
	unsigned long revoke_pending = 0;
	struct json_w w;
	char *buf = malloc(cap);

	if (buf == NULL) {
		http_reply_status(req, 503);
		return;
	}
	json_w_init(&w, buf, cap);
	json_w_obj_begin(&w);
#define C(name) json_w_key(&w, #name); json_w_int(&w, (int64_t)s->cnt.name)
	C(logins); C(uploads); C(rows_ok); C(rows_ng); C(bulk_downloads); C(rate_limited);
	C(downloads); C(issued); C(revoked); C(failed); C(faults_fired); C(requests);
#undef C
	json_w_key(&w, "mails");
	json_w_int(&w, (int64_t)s->n_mails);
	json_w_key(&w, "clock_offset_ms");
	json_w_int(&w, s->clock_offset_ms);
	json_w_key(&w, "now_ms");
	json_w_int(&w, sim_now_ms(s));
	json_w_key(&w, "time_scale_ppm");
	json_w_int(&w, (int64_t)(s->opts.time_scale * 1e6));
	for (size_t i = 0; i < s->n_apps; i++) {
		const struct sim_app *a = s->apps[i];
		if (a->type == 3)
			revoke_pending += a->state == SIM_ST_PROCESSING;
		else if (a->state >= 0 && a->state < 16)
			by_state[a->state]++;
	}
	json_w_key(&w, "applications");
	json_w_obj_begin(&w);
	for (int st = SIM_ST_PROCESSING; st <= SIM_ST_FAILED; st++) {
		char k[4];
		snprintf(k, sizeof(k), "%d", st);
		json_w_key(&w, k);
		json_w_int(&w, (int64_t)by_state[st]);
	}
	json_w_obj_end(&w);
	json_w_key(&w, "revocations_pending");
	json_w_int(&w, (int64_t)revoke_pending);
	ctl_faults(&w, s);
	sim_smtp_json(&w, s);
	json_w_key(&w, "apps");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < s->n_apps; i++) {
		const struct sim_app *a = s->apps[i];

		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_str(&w, a->id);
		json_w_key(&w, "type");
		json_w_int(&w, a->type);
		json_w_key(&w, "state");
		json_w_int(&w, a->state);
		json_w_key(&w, "dn");
		json_w_str(&w, a->dn);
		json_w_key(&w, "serial");
		json_w_str(&w, a->serial);
		json_w_key(&w, "ref_serial");
		json_w_str(&w, a->ref_serial);
		json_w_key(&w, "dnsnames");
		json_w_str(&w, a->dnsnames);
		json_w_key(&w, "profile");
		json_w_str(&w, a->profile);
		json_w_key(&w, "due_in_ms");
		json_w_int(&w, a->state == SIM_ST_PROCESSING ? a->due_ms - sim_now_ms(s) : 0);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	ctl_send(req, &w, buf);
}

void
sim_control_mail(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	size_t cap = 1024 + s->n_mails * CTL_MAIL_JSON;
	unsigned long since = 0;
	struct json_w w;
	char *buf, v[24];

	if (req->query != NULL &&
	    form_urlencoded_get(req->query, strlen(req->query), "since", v, sizeof(v)) == 0)
		since = strtoul(v, NULL, 10);
	if ((buf = malloc(cap)) == NULL) {
		http_reply_status(req, 503);
		return;
	}
	json_w_init(&w, buf, cap);
	json_w_arr_begin(&w);
	for (size_t i = 0; i < s->n_mails; i++) {
		const struct sim_mail *m = s->mails[i];

		if (m->id <= since)
			continue;
		json_w_obj_begin(&w);
		json_w_key(&w, "id");
		json_w_int(&w, (int64_t)m->id);
		json_w_key(&w, "at_ms");
		json_w_int(&w, m->at_ms);
		json_w_key(&w, "kind");
		json_w_str(&w, m->kind);
		json_w_key(&w, "from");
		json_w_str(&w, sim_profile.mail_from);
		json_w_key(&w, "to");
		json_w_str(&w, m->to);
		json_w_key(&w, "subject");
		json_w_str(&w, m->subject);
		json_w_key(&w, "app_id");
		json_w_str(&w, m->app_id);
		json_w_key(&w, "serial");
		json_w_str(&w, m->serial);
		json_w_key(&w, "url");
		json_w_str(&w, m->url);
		json_w_key(&w, "body");
		json_w_str(&w, m->body);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	ctl_send(req, &w, buf);
}

static int
ctl_parse(struct http_req *req, struct json_doc *d, struct json_tok *tok)
{
	if (json_parse(d, (const char *)req->body, req->body_len, tok, CTL_JSON_TOKENS) != 0 ||
	    json_type(d, 0) != JSON_OBJECT) {
		ctl_error(req, "a JSON object is expected");
		return -1;
	}
	return 0;
}

void
sim_control_clock(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	struct json_tok tok[CTL_JSON_TOKENS];
	struct json_doc d;
	int64_t sec = 0, ms = 0;
	char out[128];
	int n;

	if (ctl_parse(req, &d, tok) != 0)
		return;
	json_obj_get_int(&d, 0, "advance", &sec);
	json_obj_get_int(&d, 0, "advance_ms", &ms);
	if (sec < 0 || ms < 0 || sec > 10LL * 365 * 86400 || ms > 10LL * 365 * 86400 * 1000) {
		ctl_error(req, "advance out of range");
		return;
	}
	s->clock_offset_ms += sec * 1000 + ms;
	log_info("upki-sim: clock advanced by %lld ms (offset %lld ms)", (long long)(sec * 1000 + ms),
	    (long long)s->clock_offset_ms);
	sim_state_save_meta(s);
	sim_issue_run(s);
	n = snprintf(out, sizeof(out), "{\"clock_offset_ms\":%lld,\"now_ms\":%lld}",
	    (long long)s->clock_offset_ms, (long long)sim_now_ms(s));
	http_reply(req, 200, "application/json", out, (size_t)n);
}

void
sim_control_fault(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	struct json_tok tok[CTL_JSON_TOKENS];
	struct json_doc d;
	struct json_w w;
	char mode[32], step[16] = "", *buf;
	int64_t count = 1, secs = -1, status = 0;
	int m;

	if (ctl_parse(req, &d, tok) != 0)
		return;
	if (json_obj_get_str(&d, 0, "mode", mode, sizeof(mode)) != 0) {
		ctl_error(req, "mode is required");
		return;
	}
	json_obj_get_int(&d, 0, "count", &count);
	json_obj_get_int(&d, 0, "seconds", &secs);
	json_obj_get_int(&d, 0, "status", &status);
	m = json_obj_get_str(&d, 0, "step", step, sizeof(step));
	if (m == ERR_NOTFOUND)
		step[0] = '\0';
	if ((m != 0 && m != ERR_NOTFOUND) || sim_fault_step_ok(step) != 0) {
		ctl_error(req, "step must be login, menu, upload, bulk or download");
		return;
	}
	if (!strcmp(mode, "none")) {
		memset(s->faults.left, 0, sizeof(s->faults.left));
		memset(s->faults.step, 0, sizeof(s->faults.step));
		s->faults.status_5xx = 0;
		s->faults.busy_status = 0;
		s->faults.slow_ms = 0;
		s->faults.mail_delay_ms = 0;
		s->faults.idle_ms = 0;
	} else if ((m = sim_fault_parse(mode)) >= 0 && count >= 0 && count <= 1000000) {
		s->faults.left[m] = count == 0 ? -1 : (long)count;
		snprintf(s->faults.step[m], sizeof(s->faults.step[m]), "%s", step);
		if (m == SIM_F_SLOW && secs >= 0 && secs <= 3600)
			s->faults.slow_ms = (unsigned)secs * 1000;
		if (m == SIM_F_MAIL_DELAY && secs >= 0 && secs <= 3600)
			s->faults.mail_delay_ms = (unsigned)secs * 1000;
		if (m == SIM_F_IDLE_CLOSE && secs >= 1 && secs <= 3600)
			s->faults.idle_ms = (unsigned)secs * 1000;
		if (m == SIM_F_5XX && status >= 500 && status <= 599)
			s->faults.status_5xx = (int)status;
		if (m == SIM_F_RATE_LIMIT && (status == 200 || status == 429 || status == 503))
			s->faults.busy_status = (int)status;
	} else {
		ctl_error(req, "unknown mode or bad count");
		return;
	}
	log_info("upki-sim: fault %s set (count %lld)", mode, (long long)count);
	if ((buf = malloc(2048)) == NULL) {
		http_reply_status(req, 503);
		return;
	}
	json_w_init(&w, buf, 2048);
	json_w_obj_begin(&w);
	ctl_faults(&w, s);
	json_w_obj_end(&w);
	ctl_send(req, &w, buf);
}
