/* acme_int.h: shared by the files of src/acme/ only. */
#ifndef UPKI_ACME_INT_H
#define UPKI_ACME_INT_H

#include "acme/acme.h"
#include "app.h"
#include "http/http.h"

#define ACME_MAX_ROUTES 32

struct acme {
	struct app *app;
	const char *base_url;          /* no trailing slash */
	struct http_route routes[ACME_MAX_ROUTES];
	size_t nroutes;
};

/* Problem types (RFC 8555 §6.7), without the "urn:ietf:params:acme:error:" prefix. */
#define ACME_ERR_PREFIX "urn:ietf:params:acme:error:"

/*
 * Answer with an application/problem+json document: type is the short ACME
 * error name ("malformed", "badNonce", ...), detail a human sentence.
 */
void acme_problem(struct http_req *req, int status, const char *type, const char *detail);

void acme_directory_get(struct http_req *req, void *arg);
void acme_healthz_get(struct http_req *req, void *arg);
void acme_not_implemented(struct http_req *req, void *arg);

#endif
