/*
 * The UPKI web-application session, driven like the RA officer's browser:
 * GET SSLLogin.do (mutual TLS) for the session cookie, GET MainMenu.do, POST
 * forwardName=SP1011 for the upload form, multipart POST SP1011.do, and GET of
 * the bulk TSV. One exchange per connection (http/client.c); a step machine
 * moves through the steps; being sent back to the login page logs in again,
 * a bounded number of times. A host name in upki_url is looked up through
 * the gateway's own resolver (validate/resolver.h) before connecting; the
 * answer is kept a bounded time (addrs.h) and its addresses tried in turn.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/client.h"
#include "platform.h"
#include "tls/tls.h"
#include "upki/addrs.h"
#include "upki/result_page.h"
#include "upki/session.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/resolver.h"

enum sess_step { ST_IDLE, ST_LOGIN, ST_MENU_GET, ST_MENU_POST, ST_UPLOAD, ST_BULK };

enum sess_op { OP_NONE, OP_LOGIN, OP_UPLOAD, OP_BULK };

#define SESS_BOUNDARY_LEN 32
#define SESS_CAPTURE_NON200 (64u * 1024)  /* body kept from an error answer */

struct upki_sess {
	struct event_base *base;
	const struct upki_endpoint *ep;
	struct tls_client *tls;
	unsigned timeout_ms, bulk_timeout_ms;
	char cookie[UPKI_COOKIE_MAX];     /* "NAME=value; NAME2=value2" or "" */
	enum sess_op op;
	enum sess_step step;
	int starting;                     /* inside upki_sess_*(): do not call done */
	int start_rc;
	unsigned op_relogins;             /* sent back to the login page in this operation */
	unsigned op_resends;              /* requests sent again after a connection fault */
	unsigned long logins;
	struct http_client *hc;
	upki_sess_done_fn done;
	upki_sess_data_fn data;
	void *arg;
	int apply_type;
	struct buf tsv;                   /* upload: the TSV bytes (a copy) */
	struct buf body;                  /* request body of the current step */
	char target[300];
	char hdr_cookie[UPKI_COOKIE_MAX + 16];
	char hdr_ctype[128];
	const char *hdrs[6];
	/* the answer being read */
	int status;
	int stream;                       /* bulk body goes to data */
	int cookie_set;                   /* this answer set a cookie */
	int redirect;                     /* 3xx */
	struct buf page;                  /* captured body */
	struct upki_sess_result res;
	/* upki_url's host name (ep->by_name) */
	struct resolver *dns;
	struct upki_addrs addrs;
	int dns_last_rc;                  /* the last lookup's error, logged once */
	const char *method;
	char peer[360];                   /* for logs: where the request goes */
};

static void sess_send(struct upki_sess *s);
static void sess_dial(struct upki_sess *s);
static void sess_http_start(struct upki_sess *s, const struct sockaddr *addr, socklen_t addrlen);

int
upki_sess_new(struct upki_sess **out, struct event_base *base, const struct upki_endpoint *ep,
    struct tls_client *tls, unsigned timeout_s, unsigned bulk_timeout_s)
{
	struct upki_sess *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return ERR_NOMEM;
	s->base = base;
	s->ep = ep;
	s->tls = tls;
	s->timeout_ms = timeout_s * 1000u;
	s->bulk_timeout_ms = bulk_timeout_s * 1000u;
	buf_init(&s->tsv, (size_t)UPKI_UPLOAD_ROWS_MAX * 8192);
	buf_init(&s->body, (size_t)UPKI_UPLOAD_ROWS_MAX * 8192 + 4096);
	buf_init(&s->page, UPKI_PAGE_MAX);
	str_copy(s->peer, sizeof(s->peer), ep->addr_text);
	if (ep->by_name) {
		int rc = resolver_new(&s->dns, base, (const struct sockaddr *)&ep->dns, ep->dnslen,
		    2000, 2);

		if (rc != 0) {
			log_err("upki: cannot make the resolver for %s: %s", ep->sni, err_str(rc));
			upki_sess_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

void
upki_sess_free(struct upki_sess *s)
{
	if (s == NULL)
		return;
	if (s->hc != NULL)
		http_client_cancel(s->hc);
	resolver_free(s->dns);
	buf_free(&s->tsv);
	buf_free(&s->body);
	buf_free(&s->page);
	free(s);
}

int
upki_sess_busy(const struct upki_sess *s)
{
	return s->op != OP_NONE;
}

unsigned long
upki_sess_logins(const struct upki_sess *s)
{
	return s->logins;
}

void
upki_sess_reset(struct upki_sess *s)
{
	s->cookie[0] = '\0';
}

/* ---- the step machine ---- */

static void
sess_finish(struct upki_sess *s, int rc)
{
	upki_sess_done_fn done = s->done;
	void *arg = s->arg;
	struct upki_sess_result *r = &s->res;

	r->rc = rc;
	s->op = OP_NONE;
	s->step = ST_IDLE;
	s->done = NULL;
	s->data = NULL;
	if (s->starting) {
		s->start_rc = rc != 0 ? rc : ERR_STATE;
		return;
	}
	if (rc != 0 && rc != ERR_REJECTED)
		log_debug("upki: %s: %s", s->peer, r->why);
	done(arg, r);
}

static void
sess_failf(struct upki_sess *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
sess_failf(struct upki_sess *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->res.why, sizeof(s->res.why), fmt, ap);
	va_end(ap);
	sess_finish(s, rc);
}

static int
sess_page_has(const struct upki_sess *s, const char *needle)
{
	return s->page.len > 0 && memmem(s->page.p, s->page.len, needle, strlen(needle)) != NULL;
}

/* The page holds text (UTF-8 given) in EUC-JP. */
static int
sess_page_has_text(const struct upki_sess *s, const char *utf8)
{
	char enc[256];
	size_t n = 0;

	if (eucjp_from_utf8(enc, sizeof(enc), &n, utf8, strlen(utf8), NULL) != 0 || n == 0)
		return 0;
	return s->page.len > 0 && memmem(s->page.p, s->page.len, enc, n) != NULL;
}

/* Set-Cookie: keep NAME=value of each cookie (attributes dropped). */
static void
sess_take_cookies(struct upki_sess *s, const struct http_client_resp *resp)
{
	const char *vals[8];
	int n = http_client_resp_headers(resp, "set-cookie", vals, 8);
	char jar[UPKI_COOKIE_MAX];
	size_t o = 0;

	if (n <= 0)
		return;
	if (n > 8)
		n = 8;
	jar[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *v = vals[i], *semi = strchr(v, ';');
		size_t len = semi ? (size_t)(semi - v) : strlen(v);
		const char *eq = memchr(v, '=', len);

		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (eq == NULL || eq == v || len == 0)
			continue;
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)v[k] < 0x21 || v[k] == 0x7f || v[k] == ',')
				goto skip;
		if (o + len + 3 >= sizeof(jar))
			break;
		if (o > 0) {
			jar[o++] = ';';
			jar[o++] = ' ';
		}
		memcpy(jar + o, v, len);
		o += len;
		jar[o] = '\0';
skip:
		;
	}
	if (o > 0) {
		memcpy(s->cookie, jar, o + 1);
		s->cookie_set = 1;
	}
}

static int
sess_head_cb(void *arg, const struct http_client_resp *resp)
{
	struct upki_sess *s = arg;

	s->status = resp->status;
	s->redirect = resp->status >= 300 && resp->status < 400;
	sess_take_cookies(s, resp);
	s->stream = s->step == ST_BULK && resp->status == 200;
	buf_reset(&s->page);
	return 0;
}

static int
sess_body_cb(void *arg, const unsigned char *p, size_t n)
{
	struct upki_sess *s = arg;

	if (s->stream)
		return s->data(s->arg, p, n);
	if (s->step == ST_BULK && s->page.len + n > SESS_CAPTURE_NON200)
		return 0;      /* enough of an error page to explain it */
	if (buf_append(&s->page, p, n) != 0)
		return ERR_TOOBIG;
	return 0;
}

static void
sess_page_why(struct upki_sess *s, const char *prefix)
{
	char text[300];

	upki_html_text(s->page.p, s->page.len, text, sizeof(text));
	snprintf(s->res.why, sizeof(s->res.why), "%s%s%s", prefix, text[0] ? ": " : "", text);
}

/* Back to the login page: log in again and redo the operation, a few times. */
static void
sess_relogin(struct upki_sess *s)
{
	s->cookie[0] = '\0';
	if (++s->op_relogins > UPKI_LOGIN_MAX) {
		sess_failf(s, ERR_STATE, "UPKI sent us back to the login page %u times in a row",
		    s->op_relogins);
		return;
	}
	s->step = ST_LOGIN;
	sess_send(s);
}

static int
sess_looks_like_login(const struct upki_sess *s)
{
	return sess_page_has(s, "<frameset") || sess_page_has(s, "<FRAMESET") ||
	    sess_page_has(s, "SSLLogin.do");
}

static void
sess_first_step(struct upki_sess *s)
{
	switch (s->op) {
	case OP_UPLOAD:
		s->step = ST_MENU_GET;
		break;
	case OP_BULK:
		s->step = ST_BULK;
		break;
	default:
		sess_finish(s, 0);
		return;
	}
	sess_send(s);
}

int
upki_sess_conn_fault(int rc)
{
	return rc == ERR_CLOSED || rc == -EPIPE || rc == -ECONNRESET || rc == -ECONNABORTED;
}

static const char *
sess_step_method(const struct upki_sess *s)
{
	return s->step == ST_UPLOAD || s->step == ST_MENU_POST ? "POST" : "GET";
}

/*
 * A connection that failed before any byte of the answer: send the request
 * again at once on a new connection if the server cannot have acted on it:
 * it never had the whole request, or the step changes nothing at UPKI (login,
 * menu, the bulk download). An upload UPKI had in full is never sent again
 * here (its outcome is unknown: the caller settles it). 1: sent again.
 */
static int
sess_resend(struct upki_sess *s, int rc, const struct http_client_resp *resp)
{
	if (!upki_sess_conn_fault(rc) || resp->answered || s->stream)
		return 0;
	if (s->step == ST_UPLOAD && resp->sent)
		return 0;
	if (s->op_resends >= UPKI_RESEND_MAX)
		return 0;
	s->op_resends++;
	s->res.resent++;
	log_info("upki: %s %s%s: %s before any answer (%s): sending it again on a new connection",
	    sess_step_method(s), s->peer, s->target, err_str(rc),
	    resp->sent ? "the request was sent in full; this step changes nothing at UPKI" :
	    "the request was not sent in full");
	sess_send(s);
	return 1;
}

/* The connection was never made (nothing sent, nothing heard): another address may do. */
static int
sess_connect_failed(int rc, const struct http_client_resp *resp)
{
	if (resp->sent || resp->answered)
		return 0;
	switch (rc) {
	case -ECONNREFUSED:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ENETDOWN:
	case -ETIMEDOUT:
	case -EADDRNOTAVAIL:
	case ERR_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

/* upki_url's host has another address not tried in this operation: 1, sent there. */
static int
sess_next_addr(struct upki_sess *s, int rc, const struct http_client_resp *resp)
{
	char was[sizeof(s->peer)];

	if (!s->ep->by_name || !sess_connect_failed(rc, resp))
		return 0;
	str_copy(was, sizeof(was), s->peer);
	if (!upki_addrs_next(&s->addrs))
		return 0;      /* every address failed: forgotten, the next operation asks DNS */
	log_info("upki: %s %s%s: %s: trying the next address of %s", sess_step_method(s), was,
	    s->target, err_str(rc), s->ep->sni);
	sess_dial(s);
	return 1;
}

static void
sess_done_cb(void *arg, int rc, const struct http_client_resp *resp)
{
	struct upki_sess *s = arg;
	struct upki_sess_result *r = &s->res;
	char text[300];

	s->hc = NULL;
	r->status = resp->status;
	if (rc != 0) {
		if (sess_resend(s, rc, resp) || sess_next_addr(s, rc, resp))
			return;
		if (rc == ERR_TLS)
			upki_addrs_forget(&s->addrs);   /* a DNS change may be the fix: ask again */
		r->tls_error = resp->tls_error;
		if (s->step == ST_UPLOAD && resp->sent)
			r->outcome_unknown = 1;
		if (rc == ERR_TLS)
			sess_failf(s, rc, "TLS with %s failed%s%s%s: BearSSL error %d: %s", s->peer,
			    s->ep->sni[0] ? " (certificate checked against the name " : "", s->ep->sni,
			    s->ep->sni[0] ? ")" : "", resp->tls_error, tls_error_name(resp->tls_error));
		else if (s->stream)
			sess_failf(s, rc, "the bulk TSV download from %s ended early: %s",
			    s->peer, err_str(rc));
		else
			sess_failf(s, rc, "%s %s%s: %s%s", sess_step_method(s), s->peer,
			    s->target, err_str(rc), r->outcome_unknown ? " after UPKI had the whole "
			    "upload, without a complete answer: its outcome is unknown" : "");
		return;
	}
	if (s->redirect) {
		if (s->step == ST_LOGIN && s->cookie_set)
			goto logged_in;
		if (s->step == ST_LOGIN) {
			sess_failf(s, ERR_PROTOCOL, "the login page redirected to %s and set no session "
			    "cookie", http_client_resp_header(resp, "location") ?
			    http_client_resp_header(resp, "location") : "(nowhere)");
			return;
		}
		log_info("upki: session lost (HTTP %d to %s): logging in again", resp->status,
		    s->target);
		sess_relogin(s);
		return;
	}
	if (resp->status == 401 || resp->status == 403) {
		upki_html_text(s->page.p, s->page.len, text, sizeof(text));
		sess_failf(s, ERR_DENIED, "UPKI refused the RA officer certificate (HTTP %d)%s%s",
		    resp->status, text[0] ? ": " : "", text);
		return;
	}
	if (resp->status >= 500) {
		upki_html_text(s->page.p, s->page.len, text, sizeof(text));
		r->maintenance = sess_page_has_text(s, UPKI_TEXT_MAINTENANCE_KEY);
		sess_failf(s, ERR_AGAIN, "UPKI answered HTTP %d%s%s%s", resp->status,
		    sess_page_has_text(s, UPKI_TEXT_MAINTENANCE_KEY) ? " (maintenance)" : "",
		    text[0] ? ": " : "", text);
		return;
	}
	if (resp->status != 200) {
		upki_html_text(s->page.p, s->page.len, text, sizeof(text));
		sess_failf(s, ERR_PROTOCOL, "UPKI answered HTTP %d to %s%s%s", resp->status,
		    s->target, text[0] ? ": " : "", text);
		return;
	}
	switch (s->step) {
	case ST_LOGIN:
		if (!s->cookie_set && s->cookie[0] == '\0') {
			sess_page_why(s, "UPKI's login page set no session cookie");
			sess_finish(s, ERR_PROTOCOL);
			return;
		}
logged_in:
		s->logins++;
		log_debug("upki: logged in to %s", s->peer);
		sess_first_step(s);
		return;
	case ST_MENU_GET:
		if (sess_page_has_text(s, UPKI_TEXT_BUSY_KEY)) {
			sess_page_why(s, "UPKI is busy");
			sess_finish(s, ERR_RATELIMIT);
			return;
		}
		if (!sess_page_has(s, "forwardName") && sess_looks_like_login(s)) {
			sess_relogin(s);
			return;
		}
		s->step = ST_MENU_POST;
		sess_send(s);
		return;
	case ST_MENU_POST:
		if (sess_page_has(s, UPKI_FORM_UPLOAD ".do") || sess_page_has(s, "name=\"file\"")) {
			s->step = ST_UPLOAD;
			sess_send(s);
			return;
		}
		if (sess_page_has_text(s, UPKI_TEXT_BUSY_KEY)) {
			sess_page_why(s, "UPKI is busy");
			sess_finish(s, ERR_RATELIMIT);
		} else if (sess_page_has_text(s, UPKI_TEXT_MAINTENANCE_KEY)) {
			r->maintenance = 1;
			sess_page_why(s, "UPKI is under maintenance");
			sess_finish(s, ERR_AGAIN);
		} else if (sess_looks_like_login(s)) {
			sess_relogin(s);
		} else {
			sess_page_why(s, "the menu did not lead to the upload form " UPKI_FORM_UPLOAD);
			sess_finish(s, ERR_PROTOCOL);
		}
		return;
	case ST_UPLOAD:
		rc = upki_result_parse(&r->page, s->page.p, s->page.len);
		r->page_parsed = 1;
		if (rc == ERR_PROTOCOL && sess_looks_like_login(s)) {
			r->page_parsed = 0;
			sess_relogin(s);
			return;
		}
		upki_result_detail(&r->page, r->why, sizeof(r->why));
		sess_finish(s, rc);
		return;
	case ST_BULK:
		sess_finish(s, 0);
		return;
	default:
		sess_failf(s, ERR_STATE, "internal: answer in step %d", (int)s->step);
		return;
	}
}

static int
sess_multipart(struct upki_sess *s)
{
	char boundary[SESS_BOUNDARY_LEN + 1];
	unsigned char rnd[SESS_BOUNDARY_LEN / 2];
	int rc = 0;

	for (int tries = 0;; tries++) {
		if (tries == 4)
			return ERR_STATE;
		if ((rc = platform_random(rnd, sizeof(rnd))) != 0)
			return rc;
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(boundary + 2 * i, 3, "%02x", rnd[i]);
		if (memmem(s->tsv.p, s->tsv.len, boundary, SESS_BOUNDARY_LEN) == NULL)
			break;
	}
	snprintf(s->hdr_ctype, sizeof(s->hdr_ctype),
	    "Content-Type: multipart/form-data; boundary=----upki%s", boundary);
	buf_reset(&s->body);
	rc |= buf_printf(&s->body, "------upki%s\r\nContent-Disposition: form-data; "
	    "name=\"applyType\"\r\n\r\n%d\r\n", boundary, s->apply_type);
	rc |= buf_printf(&s->body, "------upki%s\r\nContent-Disposition: form-data; "
	    "name=\"errorFlg\"\r\n\r\n%s\r\n", boundary, UPKI_ERRORFLG_PER_ROW);
	rc |= buf_printf(&s->body, "------upki%s\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"upki-acme.tsv\"\r\nContent-Type: application/octet-stream\r\n\r\n", boundary);
	rc |= buf_append(&s->body, s->tsv.p, s->tsv.len);
	rc |= buf_printf(&s->body, "\r\n------upki%s--\r\n", boundary);
	return rc != 0 ? ERR_TOOBIG : 0;
}

static void
sess_send(struct upki_sess *s)
{
	const char *method = "GET", *path = "";
	int n = 0, rc;

	buf_reset(&s->body);
	s->hdr_ctype[0] = '\0';
	switch (s->step) {
	case ST_LOGIN:
		path = UPKI_PATH_LOGIN;
		break;
	case ST_MENU_GET:
		path = UPKI_PATH_MENU;
		break;
	case ST_MENU_POST:
		method = "POST";
		path = UPKI_PATH_MENU;
		snprintf(s->hdr_ctype, sizeof(s->hdr_ctype),
		    "Content-Type: application/x-www-form-urlencoded");
		if (buf_puts(&s->body, "forwardName=" UPKI_FORM_UPLOAD) != 0) {
			sess_failf(s, ERR_NOMEM, "out of memory");
			return;
		}
		break;
	case ST_UPLOAD:
		method = "POST";
		path = UPKI_PATH_UPLOAD;
		if ((rc = sess_multipart(s)) != 0) {
			sess_failf(s, rc, "cannot build the upload: %s", err_str(rc));
			return;
		}
		break;
	case ST_BULK:
		path = UPKI_PATH_BULK;
		break;
	default:
		sess_failf(s, ERR_STATE, "internal: send in step %d", (int)s->step);
		return;
	}
	snprintf(s->target, sizeof(s->target), "%s%s", s->ep->base, path);
	s->hdrs[n++] = "User-Agent: upki-acme";
	s->hdrs[n++] = "Accept: */*";
	if (s->cookie[0] != '\0' && s->step != ST_LOGIN) {
		snprintf(s->hdr_cookie, sizeof(s->hdr_cookie), "Cookie: %s", s->cookie);
		s->hdrs[n++] = s->hdr_cookie;
	}
	if (s->hdr_ctype[0] != '\0')
		s->hdrs[n++] = s->hdr_ctype;
	s->hdrs[n] = NULL;
	s->status = 0;
	s->stream = 0;
	s->cookie_set = 0;
	s->redirect = 0;
	buf_reset(&s->page);
	s->method = method;
	sess_dial(s);
}

static void
sess_http_start(struct upki_sess *s, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_client_req rq;
	const char *method = s->method;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.addr = addr;
	rq.addrlen = addrlen;
	rq.tls = s->tls;
	rq.sni = s->ep->sni[0] ? s->ep->sni : NULL;
	rq.method = method;
	rq.host = s->ep->host;
	rq.target = s->target;
	rq.headers = s->hdrs;
	rq.body = s->body.len ? s->body.p : NULL;
	rq.body_len = s->body.len;
	rq.timeout_ms = s->step == ST_BULK ? s->bulk_timeout_ms : s->timeout_ms;
	rq.max_body_bytes = s->step == ST_BULK ? (uint64_t)CONFIG_UPKI_MAX_BULK_BYTES << 20 : 0;
	rq.on_head = sess_head_cb;
	rq.on_body = sess_body_cb;
	rq.on_done = sess_done_cb;
	rq.arg = s;
	rc = http_client_start(s->base, &rq, &s->hc);
	if (rc != 0) {
		s->hc = NULL;
		sess_failf(s, rc, "cannot start %s %s: %s", method, s->target, err_str(rc));
	}
}

static void
sess_dns_cb(void *arg, int rc, const struct sockaddr_storage *addrs, int n)
{
	struct upki_sess *s = arg;
	char a[64];

	if (rc == 0 && upki_addrs_set(&s->addrs, addrs, n, s->ep->port, platform_mono_ms(),
	    UPKI_DNS_CACHE_S) == 0)
		rc = ERR_NOTFOUND;
	if (rc != 0) {
		s->res.dns_failed = 1;
		snprintf(s->res.why, sizeof(s->res.why), "cannot look up %s (upki_url) through the "
		    "resolver %s: %s", s->ep->sni, s->ep->dns_text, upki_dns_err_text(rc));
		if (rc != s->dns_last_rc)
			log_warn("upki: %s: a transient fault, trying again soon", s->res.why);
		s->dns_last_rc = rc;
		sess_finish(s, rc);
		return;
	}
	if (s->dns_last_rc != 0)
		log_info("upki: %s can be looked up again", s->ep->sni);
	s->dns_last_rc = 0;
	log_debug("upki: %s is %s (%d address(es)), kept %d s", s->ep->sni,
	    upki_addr_text(&s->addrs.v[0], a, sizeof(a)), s->addrs.n, UPKI_DNS_CACHE_S);
	sess_dial(s);
}

/* Connect for the request sess_send() built: to the kept address, or after a lookup. */
static void
sess_dial(struct upki_sess *s)
{
	const struct sockaddr_storage *sa;
	socklen_t len;
	char a[64];
	int rc;

	if (!s->ep->by_name) {
		sess_http_start(s, (const struct sockaddr *)&s->ep->addr, s->ep->addrlen);
		return;
	}
	sa = upki_addrs_current(&s->addrs, platform_mono_ms(), &len);
	if (sa != NULL) {
		snprintf(s->peer, sizeof(s->peer), "%s (%s)", s->ep->host,
		    upki_addr_text(sa, a, sizeof(a)));
		sess_http_start(s, (const struct sockaddr *)sa, len);
		return;
	}
	snprintf(s->peer, sizeof(s->peer), "%s", s->ep->host);
	if ((rc = resolver_addrs(s->dns, s->ep->sni, sess_dns_cb, s)) != 0) {
		s->res.dns_failed = 1;
		sess_failf(s, rc, "cannot look up %s (upki_url) through the resolver %s: %s",
		    s->ep->sni, s->ep->dns_text, upki_dns_err_text(rc));
	}
}

static int
sess_begin(struct upki_sess *s, enum sess_op op, upki_sess_done_fn done, void *arg)
{
	if (s->op != OP_NONE)
		return ERR_STATE;
	memset(&s->res, 0, sizeof(s->res));
	s->op = op;
	s->done = done;
	s->arg = arg;
	s->op_relogins = 0;
	s->op_resends = 0;
	upki_addrs_op_start(&s->addrs);
	return 0;
}

/*
 * The first step runs from a zero timer in the client (connect failures are
 * reported through on_done), so done is never called from inside these.
 */
static int
sess_go(struct upki_sess *s)
{
	s->starting = 1;
	s->start_rc = 0;
	if (s->op == OP_LOGIN || s->cookie[0] == '\0') {
		s->step = ST_LOGIN;
		sess_send(s);
	} else {
		sess_first_step(s);
	}
	s->starting = 0;
	if (s->start_rc != 0)
		log_warn("upki: %s", s->res.why);
	return s->start_rc;
}

int
upki_sess_login(struct upki_sess *s, upki_sess_done_fn done, void *arg)
{
	int rc = sess_begin(s, OP_LOGIN, done, arg);

	return rc != 0 ? rc : sess_go(s);
}

int
upki_sess_upload(struct upki_sess *s, int apply_type, const void *tsv, size_t len,
    upki_sess_done_fn done, void *arg)
{
	int rc;

	if (s->op != OP_NONE)
		return ERR_STATE;
	buf_reset(&s->tsv);
	if ((rc = buf_append(&s->tsv, tsv, len)) != 0)
		return rc;
	if ((rc = sess_begin(s, OP_UPLOAD, done, arg)) != 0)
		return rc;
	s->apply_type = apply_type;
	return sess_go(s);
}

int
upki_sess_bulk(struct upki_sess *s, upki_sess_data_fn data, upki_sess_done_fn done, void *arg)
{
	int rc = sess_begin(s, OP_BULK, done, arg);

	if (rc != 0)
		return rc;
	s->data = data;
	return sess_go(s);
}
