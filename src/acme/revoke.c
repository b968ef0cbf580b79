/* Certificate revocation (RFC 8555 §7.6), handed to the issuer backend. */
#include <inttypes.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/issuer.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "x509/x509.h"

/* The magnitude of a big-endian integer (leading zero bytes skipped). */
static const unsigned char *
mag(const unsigned char *p, size_t *n)
{
	while (*n > 1 && p[0] == 0) {
		p++;
		(*n)--;
	}
	return p;
}

static int
same_key(const struct jwk *k, const struct x509_pubkey *pk)
{
	if (k->kty == JWK_RSA && pk->type == X509_KEY_RSA) {
		size_t n1 = k->rsa.nlen, n2 = pk->nlen, e1 = k->rsa.elen, e2 = pk->elen;
		const unsigned char *a = mag(k->rsa.n, &n1), *b = mag(pk->n, &n2);
		const unsigned char *c = mag(k->rsa.e, &e1), *d = mag(pk->e, &e2);
		return n1 == n2 && e1 == e2 && memcmp(a, b, n1) == 0 && memcmp(c, d, e1) == 0;
	}
	if (k->kty == JWK_EC && pk->type == X509_KEY_EC)
		return k->ec.crv == pk->curve && k->ec.qlen == pk->pointlen &&
		    memcmp(k->ec.q, pk->point, k->ec.qlen) == 0;
	return 0;
}

struct authz_all {
	uint64_t account_id;
	const struct x509_cert *x;
	int64_t now;
	int ok;
};

/* RFC 8555 §7.6: an account holding valid authorizations for every name of the certificate. */
static int
authz_all_fn(struct store_txn *t, void *arg)
{
	struct authz_all *aa = arg;
	const struct x509_san *san = &aa->x->ext.san;

	aa->ok = san->n_dns > 0 && san->n_ip == 0;
	for (unsigned i = 0; aa->ok && i < san->n_dns; i++) {
		struct rec_ident id;
		struct rec_authz az;
		size_t n = san->dns[i].len;

		if (n > REC_IDENT_MAX) {
			aa->ok = 0;
			break;
		}
		id.type = REC_IDENT_DNS;
		for (size_t k = 0; k < n; k++) {
			char ch = san->dns[i].p[k];
			id.value[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		}
		id.value[n] = '\0';
		if (store_authz_find(t, aa->account_id, &id, 0, &az) != 0 ||
		    az.status != REC_AUTHZ_VALID || (az.expires != 0 && az.expires <= aa->now))
			aa->ok = 0;
	}
	return 0;
}

struct rv {
	struct acme *a;
	const struct x509_cert *x;
	struct rec_cert c;
	int reason;
	struct issuer_problem prob;
	int stage;               /* 0: look up only, 1: revoke */
};

static int
rv_fn(struct store_txn *t, void *arg)
{
	struct rv *r = arg;
	struct issuer *is = r->a->issuer;
	int rc = store_cert_find_by_serial(t, r->x->serial.p, r->x->serial.len, &r->c);

	if (rc != 0)
		return rc;
	if (r->c.der_len != r->x->der.len || memcmp(r->c.der, r->x->der.p, r->c.der_len) != 0)
		return ERR_NOTFOUND;
	if (r->stage == 0)
		return 0;
	if (r->c.status == REC_CERT_REVOKED)
		return ERR_STATE;
	return is->ops->revoke(is->ctx, t, &r->c, r->reason, &r->prob);
}

void
acme_revoke_cert(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct x509_cert *x = arena_zalloc(&req->arena, sizeof(*x));
	unsigned char *der = arena_alloc(&req->arena, REC_DER_MAX);
	struct rv *r = arena_zalloc(&req->arena, sizeof(*r));
	char *b64;
	size_t b64len = 0, derlen = 0;
	int64_t reason = 0;
	int t, rc;

	b64 = arena_alloc(&req->arena, REC_DER_MAX * 2);
	if (p == NULL || x == NULL || der == NULL || r == NULL || b64 == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_ANY, p) != 0)
		return;
	if (p->post_as_get || (t = json_obj_get(&p->doc, 0, "certificate")) < 0 ||
	    json_str(&p->doc, t, b64, REC_DER_MAX * 2, &b64len) != 0 ||
	    b64url_decode(der, REC_DER_MAX, b64, b64len, &derlen) != 0 ||
	    x509_cert_parse(x, der, derlen) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "revokeCert needs {\"certificate\": base64url DER}");
		return;
	}
	if ((t = json_obj_get(&p->doc, 0, "reason")) >= 0 &&
	    (json_int(&p->doc, t, &reason) != 0 || !(reason == 0 || reason == 1 || reason == 3 ||
	    reason == 4 || reason == 5))) {
		acme_problem(req, ACME_E_BAD_REASON,
		    "reason must be 0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged), "
		    "4 (superseded) or 5 (cessationOfOperation)");
		return;
	}
	r->a = a;
	r->x = x;
	r->reason = (int)reason;
	rc = store_read(acme_store(a), rv_fn, r);
	if (rc == ERR_NOTFOUND) {
		acme_problem(req, ACME_E_NOSUCH, "this server did not issue that certificate");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read certificates");
		return;
	}
	if (p->has_acct ? r->c.account_id != p->acct.id : !same_key(&p->key, &x->key)) {
		struct authz_all aa = { p->has_acct ? p->acct.id : 0, x, platform_wall_s(), 0 };

		if (!p->has_acct || store_read(acme_store(a), authz_all_fn, &aa) != 0 || !aa.ok) {
			acme_problem(req, ACME_E_FORBIDDEN, "sign with the account that ordered the "
			    "certificate, an account with valid authorizations for all its names, or "
			    "the certificate's key");
			return;
		}
	}
	if (r->c.status == REC_CERT_REVOKED) {
		acme_problem(req, ACME_E_REVOKED, "the certificate is already revoked");
		return;
	}
	if (a->issuer == NULL || a->issuer->ops->revoke == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "no issuer backend is configured");
		return;
	}
	r->stage = 1;
	rc = store_write(acme_store(a), rv_fn, r);
	if (rc == ERR_STATE) {
		acme_problem(req, ACME_E_REVOKED, "the certificate is already revoked");
		return;
	}
	if (rc != 0) {
		acme_problem_typed(req, r->prob.type, rc == ERR_DENIED ? ACME_E_FORBIDDEN :
		    ACME_E_INTERNAL, r->prob.detail[0] ? r->prob.detail : "cannot revoke the certificate");
		return;
	}
	log_info("acme: %s: revocation of certificate %" PRIu64 " (serial %s) requested, reason %d",
	    req->peer, r->c.id, r->c.serial_dec, r->reason);
	if (a->issuer->ops->kick != NULL)
		a->issuer->ops->kick(a->issuer->ctx);
	http_reply(req, 200, NULL, NULL, 0);
}
