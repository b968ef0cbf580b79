/*
 * lra.c: the support system's web application (UPKI.md §5, §10):
 *   GET  /upki-odcert/lra/SSLLogin.do      client certificate -> JSESSIONID, frameset
 *   GET  /upki-odcert/lra/MainMenu.do      form MainMenuForm
 *   POST /upki-odcert/lra/MainMenu.do      forwardName=SP1011 -> the upload form
 *   POST /upki-odcert/lra/SP1011.do        multipart upload -> result page
 *   GET  /upki-odcert/lra/syomeiDL_S.do    bulk certificate TSV (rate-limited)
 *   GET  /upki-odcert/download/spDLSrv.do  the mail's one-time URL (public listener)
 * Without a live session the lra pages redirect to SSLLogin.do [X].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"
#include "upki/upki_profile.h"
#include "util/err.h"
#include "util/log.h"
#include "x509/pem.h"
#include "util/str.h"

#define LRA_LOGIN "/upki-odcert/lra/SSLLogin.do"
#define LRA_FIELD_MAX 64

/* The registered RA certificate presented on this connection, or 0. */
static int
lra_ra(struct sim *s, const struct http_req *req, char fp[SIM_FP_LEN + 1])
{
	if (req->peer_cert == NULL || req->peer_cert_len == 0)
		return 0;
	sim_fingerprint(req->peer_cert, req->peer_cert_len, fp);
	for (int i = 0; i < s->inst.n_ra; i++)
		if (!strcmp(s->inst.ra_fp[i], fp))
			return 1;
	return 0;
}

static struct sim_session *
session_find(struct sim *s, struct http_req *req, const char *fp)
{
	const char *cookie = http_req_header(req, "cookie");
	int64_t now = sim_now_ms(s);
	char id[40];

	if (cookie == NULL || form_cookie_get(cookie, "JSESSIONID", id, sizeof(id)) != 0)
		return NULL;
	for (int i = 0; i < SIM_MAX_SESSIONS; i++) {
		struct sim_session *ss = &s->sessions[i];

		if (ss->id[0] == '\0' || strcmp(ss->id, id) != 0)
			continue;
		if (strcmp(ss->ra_fp, fp) != 0)
			return NULL;    /* another officer's session */
		if (now - ss->last_ms > (int64_t)sim_profile.session_idle_s * 1000 ||
		    sim_fault_take(s, SIM_F_SESSION_LOSS)) {
			memset(ss, 0, sizeof(*ss));
			return NULL;
		}
		ss->last_ms = now;
		return ss;
	}
	return NULL;
}

static struct sim_session *
session_new(struct sim *s, const char *fp)
{
	struct sim_session *ss = &s->sessions[0];
	unsigned char r[16];

	for (int i = 0; i < SIM_MAX_SESSIONS; i++) {
		if (s->sessions[i].id[0] == '\0') {
			ss = &s->sessions[i];
			break;
		}
		if (s->sessions[i].last_ms < ss->last_ms)
			ss = &s->sessions[i];
	}
	sim_rng_bytes(&s->rng, r, sizeof(r));
	for (int i = 0; i < 16; i++)
		snprintf(ss->id + 2 * i, 3, "%02X", r[i]);
	snprintf(ss->ra_fp, sizeof(ss->ra_fp), "%s", fp);
	ss->last_ms = sim_now_ms(s);
	return ss;
}

static void
lra_redirect_login(struct http_req *req)
{
	http_resp_header(req, "Location", LRA_LOGIN);
	page_simple(req, 302, sim_profile.title_system, "セッションが無効です。再度ログインしてください。");
}

/* A registered officer with a live session, or an answer already sent. */
static int
lra_session(struct sim *s, struct http_req *req, char fp[SIM_FP_LEN + 1])
{
	if (!lra_ra(s, req, fp)) {
		page_simple(req, 403, sim_profile.title_system, req->peer_cert ?
		    sim_profile.text_unknown_ra : sim_profile.text_no_client_cert);
		return 0;
	}
	if (session_find(s, req, fp) == NULL) {
		lra_redirect_login(req);
		return 0;
	}
	return 1;
}

static void
h_login(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	struct sim_session *ss;
	char fp[SIM_FP_LEN + 1];

	if (sim_fault_intercept(s, req, h_login))
		return;
	if (!lra_ra(s, req, fp)) {
		page_simple(req, 403, sim_profile.title_system, req->peer_cert ?
		    sim_profile.text_unknown_ra : sim_profile.text_no_client_cert);
		return;
	}
	ss = session_new(s, fp);
	s->cnt.logins++;
	http_resp_headerf(req, "Set-Cookie", "JSESSIONID=%s; Path=/upki-odcert; Secure; HttpOnly",
	    ss->id);
	page_login(req);
}

/* A field of a posted form, urlencoded or multipart (browsers send either). */
static int
lra_form_value(struct http_req *req, const char *name, char *out, size_t outsz)
{
	const char *ct = http_req_header(req, "content-type");
	struct form_part parts[FORM_MAX_PARTS];
	const struct form_part *p;
	int n;

	if (ct == NULL || strncasecmp(ct, STR_LIT("multipart/")) != 0)
		return form_urlencoded_get((const char *)req->body, req->body_len, name, out, outsz);
	if (form_multipart_parse(ct, req->body, req->body_len, parts, FORM_MAX_PARTS, &n) != 0 ||
	    (p = form_part_find(parts, n, name)) == NULL)
		return ERR_NOTFOUND;
	if (p->len >= outsz)
		return ERR_TOOBIG;
	memcpy(out, p->data, p->len);
	out[p->len] = '\0';
	return 0;
}

static void
h_menu(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	char fp[SIM_FP_LEN + 1], fwd[LRA_FIELD_MAX];

	if (sim_fault_intercept(s, req, h_menu))
		return;
	if (!lra_session(s, req, fp))
		return;
	if (req->method == HTTP_POST && lra_form_value(req, "forwardName", fwd, sizeof(fwd)) == 0 &&
	    !strcmp(fwd, "SP1011")) {
		page_sp1011(req);
		return;
	}
	page_menu(req);
}

static int
parse_small(const struct form_part *p, int lo, int hi, int dflt)
{
	int v = 0;

	if (p == NULL)
		return dflt;
	if (p->len != 1 || p->data[0] < '0' || p->data[0] > '9')
		return -1;
	v = p->data[0] - '0';
	return v >= lo && v <= hi ? v : -1;
}

static void
h_upload(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	struct form_part parts[FORM_MAX_PARTS];
	const struct form_part *file;
	struct sim_row *rows = NULL;
	struct sim_row_result *res = NULL;
	char fp[SIM_FP_LEN + 1];
	unsigned n = 0, n_ok = 0;
	int nparts, type, eflg, rc;

	if (sim_fault_intercept(s, req, h_upload))
		return;
	if (!lra_session(s, req, fp))
		return;
	rc = form_multipart_parse(http_req_header(req, "content-type"), req->body, req->body_len,
	    parts, FORM_MAX_PARTS, &nparts);
	type = parse_small(form_part_find(parts, nparts, "applyType"), 1, 3, -1);
	eflg = parse_small(form_part_find(parts, nparts, "errorFlg"), 1, 2, 1);
	file = form_part_find(parts, nparts, "file");
	if (rc != 0 || type < 0 || eflg < 0 || file == NULL) {
		log_info("upki-sim: %s: upload refused: form incomplete (%s)", req->peer,
		    rc ? err_str(rc) : "applyType, errorFlg or file");
		page_simple(req, 400, UPKI_TEXT_ERROR_TITLE, "入力内容が正しくありません。");
		return;
	}
	rows = calloc(SIM_MAX_UPLOAD_ROWS, sizeof(*rows));
	res = calloc(SIM_MAX_UPLOAD_ROWS, sizeof(*res));
	if (rows == NULL || res == NULL) {
		http_reply_status(req, 503);
		goto out;
	}
	s->cnt.uploads++;
	rc = sim_tsv_check(s, type, file->data, file->len, rows, res, &n);
	if (rc == SIM_E_ROWS || rc < 0) {
		memset(&res[0], 0, sizeof(res[0]));
		res[0].row = 1;
		res[0].n_err = 1;
		res[0].codes[0] = SIM_E_ROWS;
		n = 1;
	}
	for (unsigned i = 0; i < n; i++)
		n_ok += res[i].ok ? 1 : 0;
	if (s->n_apps + n_ok > SIM_MAX_APPS) {
		for (unsigned i = 0; i < n; i++) {
			res[i].ok = 0;
			res[i].n_err = 1;
			res[i].codes[0] = SIM_E_ROWS;
			res[i].fields[0] = NULL;
		}
		n_ok = 0;
	}
	s->cnt.rows_ok += n_ok;
	s->cnt.rows_ng += n - n_ok;
	/* errorFlg 1: any NG row aborts the whole file; 2: OK rows go ahead [X]. */
	if (n_ok == n || eflg == 2)
		for (unsigned i = 0; i < n; i++)
			if (res[i].ok)
				sim_app_accept(s, &rows[i], fp);
	log_info("upki-sim: upload kind %d: %u rows, %u OK, errorFlg %d", type, n, n_ok, eflg);
	sim_state_save_meta(s);
	page_result(req, s, res, n, n_ok == n);
out:
	free(rows);
	free(res);
}

static void
lra_busy(struct sim *s, struct http_req *req)
{
	int st = s->faults.busy_status ? s->faults.busy_status : 200;

	page_simple(req, st, "エラー", UPKI_TEXT_BUSY);
}

static void
h_bulk(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	char fp[SIM_FP_LEN + 1];
	struct buf out;
	int rc;

	if (sim_fault_intercept(s, req, h_bulk))
		return;
	if (!lra_session(s, req, fp))
		return;
	if (sim_fault_take(s, SIM_F_RATE_LIMIT)) {
		lra_busy(s, req);
		return;
	}
	if (!sim_bulk_take_token(s, fp)) {
		s->cnt.rate_limited++;
		sim_state_save_meta(s);
		log_info("upki-sim: %s: bulk download over the rate limit", req->peer);
		lra_busy(s, req);
		return;
	}
	memset(&out, 0, sizeof(out));
	if ((rc = sim_bulk_build(s, &out)) != 0) {
		log_err("upki-sim: bulk TSV: %s", err_str(rc));
		buf_free(&out);
		http_reply_status(req, 500);
		return;
	}
	s->cnt.bulk_downloads++;
	sim_state_save_meta(s);
	http_resp_headerf(req, "Content-Disposition", "attachment; filename=\"%s\"",
	    sim_profile.bulk_filename);
	http_reply(req, 200, "application/octet-stream", out.p, out.len);
	buf_free(&out);
}

static void
h_download(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	struct sim_app *a;
	char key[40], *pem;
	size_t pl;
	int n;

	if (sim_fault_intercept(s, req, h_download))
		return;
	if (req->query == NULL ||
	    form_urlencoded_get(req->query, strlen(req->query), "key", key, sizeof(key)) != 0 ||
	    (a = sim_app_by_dlkey(s, key)) == NULL || a->cert == NULL) {
		page_simple(req, 404, sim_profile.title_system, sim_profile.text_invalid_url);
		return;
	}
	pl = pem_enc_len("CERTIFICATE", a->cert_len);
	if ((pem = arena_alloc(&req->arena, pl + 1)) == NULL ||
	    (n = pem_encode(pem, pl + 1, "CERTIFICATE", a->cert, a->cert_len)) < 0) {
		http_reply_status(req, 500);
		return;
	}
	sim_app_downloaded(s, a);
	http_resp_headerf(req, "Content-Disposition", "attachment; filename=\"%s.cer\"", a->serial);
	http_reply(req, 200, "application/x-x509-ca-cert", pem, (size_t)n);
}

static void
h_no_cert(struct http_req *req, void *arg)
{
	(void)arg;
	page_simple(req, 403, sim_profile.title_system, sim_profile.text_no_client_cert);
}

static void
h_not_found(struct http_req *req, void *arg)
{
	(void)arg;
	page_simple(req, 404, sim_profile.title_system, "ページが見つかりません。");
}

static struct http_route lra_routes[] = {
	{ HTTP_GET | HTTP_HEAD, LRA_LOGIN, 0, h_login, NULL },
	{ HTTP_GET | HTTP_POST, "/upki-odcert/lra/MainMenu.do", 0, h_menu, NULL },
	{ HTTP_POST, "/upki-odcert/lra/SP1011.do", 0, h_upload, NULL },
	{ HTTP_GET | HTTP_POST, "/upki-odcert/lra/syomeiDL_S.do", 0, h_bulk, NULL },
	{ HTTP_GET, "/_sim/state", 0, sim_control_state, NULL },
	{ HTTP_GET, "/_sim/mail", 0, sim_control_mail, NULL },
	{ HTTP_GET, "/_sim/mail.eml", 0, sim_control_mail_eml, NULL },
	{ HTTP_POST, "/_sim/clock", 0, sim_control_clock, NULL },
	{ HTTP_POST, "/_sim/fault", 0, sim_control_fault, NULL },
	{ HTTP_GET | HTTP_POST, "/", 1, h_not_found, NULL },
};

static struct http_route pub_routes[] = {
	{ HTTP_GET, "/upki-odcert/download/spDLSrv.do", 0, h_download, NULL },
	{ HTTP_GET | HTTP_POST, "/upki-odcert/lra/", 1, h_no_cert, NULL },
	{ HTTP_GET, "/_sim/state", 0, sim_control_state, NULL },
	{ HTTP_GET, "/_sim/mail", 0, sim_control_mail, NULL },
	{ HTTP_GET, "/_sim/mail.eml", 0, sim_control_mail_eml, NULL },
	{ HTTP_POST, "/_sim/clock", 0, sim_control_clock, NULL },
	{ HTTP_POST, "/_sim/fault", 0, sim_control_fault, NULL },
	{ HTTP_GET | HTTP_POST, "/", 1, h_not_found, NULL },
};

const struct http_route *
sim_lra_routes(struct sim *s, size_t *n)
{
	for (size_t i = 0; i < sizeof(lra_routes) / sizeof(lra_routes[0]); i++)
		lra_routes[i].arg = s;
	*n = sizeof(lra_routes) / sizeof(lra_routes[0]);
	return lra_routes;
}

const struct http_route *
sim_pub_routes(struct sim *s, size_t *n)
{
	for (size_t i = 0; i < sizeof(pub_routes) / sizeof(pub_routes[0]); i++)
		pub_routes[i].arg = s;
	*n = sizeof(pub_routes) / sizeof(pub_routes[0]);
	return pub_routes;
}
