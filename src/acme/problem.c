/* Problem documents (RFC 7807 / RFC 8555 §6.7) from the one table (problem.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/problem.h"
#include "http/http.h"
#include "json/json.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define RETRY_AGAIN_S 30        /* ERR_AGAIN, ERR_TIMEOUT: a transient fault */
#define RETRY_FULL_S 600        /* ERR_FULL: until sweeping frees room */
#define RETRY_RATE_S 60         /* rateLimited when the caller names no time */
#define RETRY_CLOCK_S 3600      /* the clock is before the build date */

/* The canonical row of each type comes first: acme_problem_row_typed picks it. */
static const struct acme_problem_row rows[] = {
	/* ACME-specific codes (enum acme_err) */
	{ACME_E_INTERNAL, "serverInternal", 500, 0, "internal error"},
	{ACME_E_MALFORMED, "malformed", 400, 0, "malformed request"},
	{ACME_E_NOSUCH, "malformed", 404, 0, "no such resource"},
	{ACME_E_MEDIA, "malformed", 415, 0, "Content-Type must be application/jose+json"},
	{ACME_E_CONFLICT, "malformed", 409, 0, "conflicts with an existing resource"},
	{ACME_E_CONTACT, "invalidContact", 400, 0, "invalid contact"},
	{ACME_E_CONTACT_SCHEME, "unsupportedContact", 400, 0, "only mailto: contacts are accepted"},
	{ACME_E_NO_ACCOUNT, "accountDoesNotExist", 400, 0, "no account exists for this key"},
	{ACME_E_EAB_REQUIRED, "externalAccountRequired", 400, 0,
	    "this server requires External Account Binding"},
	{ACME_E_UNAUTHORIZED, "unauthorized", 401, 0, "unauthorized"},
	{ACME_E_FORBIDDEN, "unauthorized", 403, 0, "forbidden"},
	{ACME_E_BAD_KEY, "badPublicKey", 400, 0, "unusable public key"},
	{ACME_E_BAD_CSR, "badCSR", 400, 0, "the CSR is unacceptable"},
	{ACME_E_NOT_READY, "orderNotReady", 403, 0, "the order is not ready"},
	{ACME_E_IDENT_UNSUPPORTED, "unsupportedIdentifier", 400, 0, "unsupported identifier"},
	{ACME_E_IDENT_REJECTED, "rejectedIdentifier", 403, 0, "this server will not issue for the identifier"},
	{ACME_E_BAD_NONCE, "badNonce", 400, 0, "bad nonce: get a new one"},
	{ACME_E_BAD_REASON, "badRevocationReason", 400, 0, "revocation reason not allowed"},
	{ACME_E_REVOKED, "alreadyRevoked", 400, 0, "the certificate is already revoked"},
	{ACME_E_RATELIMITED, "rateLimited", 429, RETRY_RATE_S, "rate limited: try again later"},
	{ACME_E_CAA, "caa", 403, 0, "CAA records forbid issuance"},
	{ACME_E_CLOCK, "serverInternal", 503, RETRY_CLOCK_S,
	    "the server clock is not set (before the build date): no certificates until it is"},
	{ACME_E_BAD_ALG, "badSignatureAlgorithm", 400, 0, "unsupported JWS algorithm"},
	{ACME_E_DNS, "dns", 400, 0, "the DNS lookup failed"},
	{ACME_E_CONNECTION, "connection", 400, 0, "could not connect to the validation target"},
	{ACME_E_INCORRECT, "incorrectResponse", 400, 0, "the response does not match the challenge"},
	{ACME_E_TLS, "tls", 400, 0, "the TLS handshake with the validation target failed"},
	/* project codes (enum err_code, util/err.h) */
	{ERR_NOMEM, "serverInternal", 500, 0, "out of memory"},
	{ERR_TOOBIG, "malformed", 400, 0, "over a configured limit"},
	{ERR_MALFORMED, "malformed", 400, 0, "malformed input"},
	{ERR_NOTFOUND, "malformed", 404, 0, "no such resource"},
	{ERR_EXISTS, "malformed", 409, 0, "already exists"},
	{ERR_BADSIG, "malformed", 400, 0, "signature does not verify"},
	{ERR_UNSUPPORTED, "malformed", 400, 0, "not supported"},
	{ERR_BADKEY, "badPublicKey", 400, 0, "unusable key"},
	{ERR_CONFIG, "serverInternal", 500, 0, "configuration error"},
	{ERR_VERSION, "serverInternal", 500, 0, "stored data written by a newer version"},
	{ERR_STORE, "serverInternal", 500, 0, "storage failure"},
	{ERR_TLS, "serverInternal", 500, 0, "TLS failure"},
	{ERR_PROTOCOL, "serverInternal", 500, 0, "upstream protocol violation"},
	{ERR_TIMEOUT, "serverInternal", 503, RETRY_AGAIN_S, "timed out: try again later"},
	{ERR_STATE, "malformed", 400, 0, "not allowed in the current state"},
	{ERR_DENIED, "unauthorized", 403, 0, "denied"},
	{ERR_RANGE, "malformed", 400, 0, "value out of range"},
	{ERR_AGAIN, "serverInternal", 503, RETRY_AGAIN_S, "temporarily unavailable: try again later"},
	{ERR_CLOSED, "serverInternal", 500, 0, "connection closed by peer"},
	{ERR_RATELIMIT, "rateLimited", 429, RETRY_RATE_S, "rate limited: try again later"},
	{ERR_REJECTED, "rejectedIdentifier", 403, 0, "rejected by upstream"},
	{ERR_FULL, "serverInternal", 503, RETRY_FULL_S,
	    "storage full: no new work until expired objects are swept"},
};

const struct acme_problem_row *
acme_problem_table(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

const struct acme_problem_row *
acme_problem_row(int code)
{
	const struct acme_problem_row *r = &rows[0];   /* ACME_E_INTERNAL */

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].code == code) {
			r = &rows[i];
			break;
		}
	}
	return r;
}

const struct acme_problem_row *
acme_problem_row_typed(const char *type, int code)
{
	const struct acme_problem_row *r = acme_problem_row(code);

	if (type == NULL || type[0] == '\0' || strcmp(r->type, type) == 0)
		goto out;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (strcmp(rows[i].type, type) == 0) {
			r = &rows[i];
			break;
		}
	}
out:
	return r;
}

static void
problem_send(struct http_req *req, const struct acme_problem_row *r, unsigned retry_after,
    const char *detail)
{
	char body[2048];
	char urn[128];
	struct json_w w;
	int n;

	if (detail == NULL || detail[0] == '\0')
		detail = r->detail;
	if (retry_after == 0)
		retry_after = r->retry_after;
	snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", r->type);
	json_w_init(&w, body, sizeof(body));
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, urn);
	json_w_key(&w, "detail");
	json_w_str(&w, detail);
	json_w_key(&w, "status");
	json_w_int(&w, r->status);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	log_info("acme: %s: %s %s -> %d %s: %s", req->peer, req->method_str, req->path, r->status,
	    r->type, detail);
	if (retry_after != 0)
		http_resp_headerf(req, "Retry-After", "%u", retry_after);
	if (n < 0) {
		http_reply(req, 500, "application/problem+json",
		    STR_LIT("{\"type\":\"" ACME_ERR_PREFIX "serverInternal\",\"status\":500}"));
		return;
	}
	http_reply(req, r->status, "application/problem+json", body, (size_t)n);
}

void
acme_problem(struct http_req *req, int code, const char *detail)
{
	problem_send(req, acme_problem_row(code), 0, detail);
}

void
acme_problemf(struct http_req *req, int code, const char *fmt, ...)
{
	char detail[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	problem_send(req, acme_problem_row(code), 0, detail);
}

void
acme_problem_retry(struct http_req *req, int code, unsigned retry_after, const char *detail)
{
	problem_send(req, acme_problem_row(code), retry_after, detail);
}

void
acme_problem_sub(struct http_req *req, int code, const char *detail,
    const struct acme_subproblem *sub, size_t n)
{
	const struct acme_problem_row *r = acme_problem_row(code);
	size_t cap = 1024 + n * 1024;
	char *body = arena_alloc(&req->arena, cap);
	char urn[128];
	struct json_w w;
	int len;

	if (body == NULL || n == 0) {
		problem_send(req, r, 0, detail);
		return;
	}
	if (detail == NULL || detail[0] == '\0')
		detail = r->detail;
	snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", r->type);
	json_w_init(&w, body, cap);
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, urn);
	json_w_key(&w, "detail");
	json_w_str(&w, detail);
	json_w_key(&w, "status");
	json_w_int(&w, r->status);
	json_w_key(&w, "subproblems");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < n; i++) {
		snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", acme_problem_row(sub[i].code)->type);
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, urn);
		json_w_key(&w, "detail");
		json_w_strn(&w, sub[i].detail, strnlen(sub[i].detail, 900));
		json_w_key(&w, "identifier");
		json_w_obj_begin(&w);
		json_w_key(&w, "type");
		json_w_str(&w, "dns");
		json_w_key(&w, "value");
		json_w_str(&w, sub[i].ident);
		json_w_obj_end(&w);
		json_w_obj_end(&w);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	if ((len = json_w_finish(&w)) < 0) {
		problem_send(req, r, 0, detail);
		return;
	}
	log_info("acme: %s: %s %s -> %d %s: %s (%zu subproblem%s)", req->peer, req->method_str,
	    req->path, r->status, r->type, detail, n, n == 1 ? "" : "s");
	http_reply(req, r->status, "application/problem+json", body, (size_t)len);
}

void
acme_problem_typed(struct http_req *req, const char *type, int code, const char *detail)
{
	problem_send(req, acme_problem_row_typed(type, code), 0, detail);
}
