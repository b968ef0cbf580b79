/*
 * ACME Renewal Information (ARI, RFC 9773): GET <renewalInfo>/<certID> with
 * certID = base64url(AKI keyIdentifier) "." base64url(serial DER value).
 * The window starts at two thirds of the lifetime (UPKI takes minutes to issue,
 * so there is room) and is moved into the past when the certificate was revoked
 * or an operator asked for early renewal.
 */
#include <stdio.h>
#include <string.h>

#include "acme/acme_int.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/timefmt.h"
#include "x509/x509.h"

#define ARI_RETRY_AFTER_S 21600

struct ari {
	unsigned char serial[REC_SERIAL_MAX + 1];
	size_t serial_len;
	struct rec_cert c;
};

static int
ari_fn(struct store_txn *t, void *arg)
{
	struct ari *r = arg;

	return store_cert_find_by_serial(t, r->serial, r->serial_len, &r->c);
}

void
acme_renewal_info(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct ari *r = arena_zalloc(&req->arena, sizeof(*r));
	struct x509_cert *x = arena_zalloc(&req->arena, sizeof(*x));
	const char *id = req->path + strlen(ACME_PATH_RENEWAL_INFO "/");
	const char *dot = strchr(id, '.');
	unsigned char aki[64];
	size_t aki_len = 0;
	char start[TIMEFMT_RFC3339_LEN], end[TIMEFMT_RFC3339_LEN], body[256];
	int64_t s, e, now = platform_wall_s(), life;
	struct json_w w;
	int n, rc;

	if (r == NULL || x == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (dot == NULL || b64url_decode(aki, sizeof(aki), id, (size_t)(dot - id), &aki_len) != 0 ||
	    b64url_decode(r->serial, sizeof(r->serial), dot + 1, strlen(dot + 1), &r->serial_len) != 0 ||
	    aki_len == 0 || r->serial_len == 0) {
		acme_problem(req, ACME_E_MALFORMED, "the certificate identifier is not base64url(AKI).base64url(serial)");
		return;
	}
	/* The serial is a DER INTEGER value: drop a sign byte to get the magnitude we index. */
	if (r->serial_len > 1 && r->serial[0] == 0) {
		memmove(r->serial, r->serial + 1, r->serial_len - 1);
		r->serial_len--;
	}
	rc = r->serial_len > REC_SERIAL_MAX ? ERR_NOTFOUND : store_read(acme_store(a), ari_fn, r);
	if (rc == 0 && (x509_cert_parse(x, r->c.der, r->c.der_len) != 0 || x->ext.aki.p == NULL ||
	    x->ext.aki.len != aki_len || memcmp(x->ext.aki.p, aki, aki_len) != 0))
		rc = ERR_NOTFOUND;
	if (rc == ERR_NOTFOUND) {
		acme_problem(req, ACME_E_NOSUCH, "this server did not issue that certificate");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read certificates");
		return;
	}
	life = r->c.not_after - r->c.not_before;
	if (r->c.status == REC_CERT_REVOKED || (r->c.flags & REC_CERT_F_RENEW_EARLY)) {
		s = now - 2 * 86400;
		e = now - 86400;
	} else {
		s = r->c.not_before + life * 2 / 3;
		e = r->c.not_before + life * 5 / 6;
	}
	timefmt_rfc3339(start, sizeof(start), s);
	timefmt_rfc3339(end, sizeof(end), e);
	json_w_init(&w, body, sizeof(body));
	json_w_obj_begin(&w);
	json_w_key(&w, "suggestedWindow");
	json_w_obj_begin(&w);
	json_w_key(&w, "start");
	json_w_str(&w, start);
	json_w_key(&w, "end");
	json_w_str(&w, end);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	http_resp_headerf(req, "Retry-After", "%d", ARI_RETRY_AFTER_S);
	http_reply(req, 200, "application/json", body, n > 0 ? (size_t)n : 0);
}
