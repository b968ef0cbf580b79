/* Problem documents (RFC 7807 / RFC 8555 §6.7). */
#include <stdio.h>

#include "acme/acme_int.h"
#include "util/str.h"
#include "json/json.h"
#include "util/log.h"

void
acme_problem(struct http_req *req, int status, const char *type, const char *detail)
{
	char body[2048];
	char urn[128];
	struct json_w w;
	int n;

	snprintf(urn, sizeof(urn), ACME_ERR_PREFIX "%s", type);
	json_w_init(&w, body, sizeof(body));
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, urn);
	json_w_key(&w, "detail");
	json_w_str(&w, detail);
	json_w_key(&w, "status");
	json_w_int(&w, status);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	log_info("acme: %s: %s %s -> %d %s: %s", req->peer, req->method_str, req->path, status,
	    type, detail);
	if (n < 0) {
		http_reply(req, 500, "application/problem+json",
		    STR_LIT("{\"type\":\"" ACME_ERR_PREFIX "serverInternal\",\"status\":500}"));
		return;
	}
	http_reply(req, status, "application/problem+json", body, (size_t)n);
}
