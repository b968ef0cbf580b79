/* The ACME module: its context and its route table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/issuer.h"
#include "json/json.h"
#include "util/config.h"
#include "util/err.h"

static void
route_add(struct acme *a, unsigned methods, const char *path, int prefix, http_handler_fn fn)
{
	struct http_route *r = &a->routes[a->nroutes++];

	r->methods = methods;
	r->path = path;
	r->prefix = prefix;
	r->fn = fn;
	r->arg = a;
}

int
acme_new(struct acme **out, struct app *app)
{
	struct acme *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return ERR_NOMEM;
	a->app = app;
	a->base_url = app->cfg->base_url;
	a->base_len = strlen(a->base_url);
	if (acme_nonces_new(&a->nonces) != 0) {
		free(a);
		return ERR_NOMEM;
	}
	route_add(a, HTTP_GET | HTTP_HEAD, ACME_PATH_DIRECTORY, 0, acme_directory_get);
	route_add(a, HTTP_GET | HTTP_HEAD, ACME_PATH_HEALTHZ, 0, acme_healthz_get);
	route_add(a, HTTP_GET | HTTP_HEAD, ACME_PATH_NEW_NONCE, 0, acme_new_nonce);
	route_add(a, HTTP_POST, ACME_PATH_NEW_ACCOUNT, 0, acme_new_account);
	route_add(a, HTTP_POST, "/acme/acct/", 1, acme_account_post);
	route_add(a, HTTP_POST, ACME_PATH_NEW_ORDER, 0, acme_new_order);
	route_add(a, HTTP_POST, "/acme/order/", 1, acme_order_post);
	route_add(a, HTTP_POST, "/acme/authz/", 1, acme_authz_post);
	route_add(a, HTTP_POST, "/acme/chall/", 1, acme_chall_post);
	route_add(a, HTTP_POST, "/acme/finalize/", 1, acme_finalize_post);
	route_add(a, HTTP_POST, "/acme/cert/", 1, acme_cert_post);
	route_add(a, HTTP_POST, ACME_PATH_REVOKE_CERT, 0, acme_revoke_cert);
	route_add(a, HTTP_POST, ACME_PATH_KEY_CHANGE, 0, acme_key_change);
	route_add(a, HTTP_GET | HTTP_HEAD, ACME_PATH_RENEWAL_INFO "/", 1, acme_renewal_info);
	if (acme_sweep_start(a) != 0) {
		acme_nonces_free(a->nonces);
		free(a);
		return ERR_NOMEM;
	}
	*out = a;
	return 0;
}

void
acme_free(struct acme *a)
{
	if (a == NULL)
		return;
	acme_sweep_stop(a);
	acme_nonces_free(a->nonces);
	free(a);
}

/* newNonce (RFC 8555 §7.2): HEAD answers 200, GET 204; the nonce is added for every response. */
void
acme_new_nonce(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, req->method == HTTP_HEAD ? 200 : 204, NULL, NULL, 0);
}

void
acme_set_validator(struct acme *a, struct validator *v)
{
	a->validator = v;
}

void
acme_set_issuer(struct acme *a, struct issuer *is)
{
	a->issuer = is;
	is->ev.issued = acme_issued;
	is->ev.arg = a;
}

const struct http_route *
acme_routes(const struct acme *a, size_t *n)
{
	*n = a->nroutes;
	return a->routes;
}

void
acme_before_reply(struct http_req *req, int status, void *arg)
{
	struct acme *a = arg;
	char link[600];

	char nonce[ACME_NONCE_LEN + 1];

	(void)status;
	if (acme_nonce_issue(a->nonces, nonce) == 0)
		http_resp_header(req, "Replay-Nonce", nonce);
	snprintf(link, sizeof(link), "<%s%s>;rel=\"index\"", a->base_url, ACME_PATH_DIRECTORY);
	http_resp_header(req, "Link", link);
	http_resp_header(req, "Cache-Control", "no-store");
}

int
acme_error_body(void *arg, int status, const char *why, char *buf, size_t sz, const char **ctype)
{
	struct json_w w;
	char detail[300];

	(void)arg;
	snprintf(detail, sizeof(detail), "%s (HTTP %d)", why, status);
	json_w_init(&w, buf, sz);
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, ACME_ERR_PREFIX "malformed");   /* HTTP-level errors: ACME_E_MALFORMED's type */
	json_w_key(&w, "detail");
	json_w_str(&w, detail);
	json_w_key(&w, "status");
	json_w_int(&w, status);
	json_w_obj_end(&w);
	*ctype = "application/problem+json";
	return json_w_finish(&w);
}

int
acme_error_headers(void *arg, char *buf, size_t sz)
{
	struct acme *a = arg;
	char nonce[ACME_NONCE_LEN + 1];
	int n;

	if (acme_nonce_issue(a->nonces, nonce) != 0)
		return 0;
	n = snprintf(buf, sz, "Replay-Nonce: %s\r\nLink: <%s%s>;rel=\"index\"\r\n"
	    "Cache-Control: no-store\r\n", nonce, a->base_url, ACME_PATH_DIRECTORY);
	return n < 0 || (size_t)n >= sz ? 0 : n;
}
