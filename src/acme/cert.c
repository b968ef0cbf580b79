/* Certificate download (RFC 8555 §7.4.2): leaf first, then the issuer's chain. */
#include <inttypes.h>
#include <string.h>

#include "acme/acme_int.h"
#include "acme/issuer.h"
#include "store/store.h"
#include "util/err.h"
#include "x509/pem.h"

struct cert_get {
	uint64_t id;
	uint64_t account_id;
	int owner;              /* the account ordered it, or an order of its joined it */
	struct rec_cert c;
};

#define CERT_OWNER_SCAN 1024   /* most recent orders of an account looked at */

static int
cert_get_fn(struct store_txn *t, void *arg)
{
	struct cert_get *g = arg;
	uint64_t ids[128], after = 0;
	size_t n = 0;
	int rc = store_cert_get(t, g->id, &g->c);

	if (rc != 0)
		return rc;
	if (g->c.account_id == g->account_id) {
		g->owner = 1;
		return 0;
	}
	/*
	 * Two accounts with the same key and names share one UPKI job and one
	 * certificate (issuer join): the second account owns it through its order.
	 */
	for (size_t seen = 0; seen < CERT_OWNER_SCAN; seen += n) {
		if ((rc = store_order_list_by_account(t, g->account_id, after, ids, 128, &n)) != 0 || n == 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			struct rec_order o;
			if (store_order_get(t, ids[i], &o) == 0 && o.cert_id == g->id) {
				g->owner = 1;
				return 0;
			}
		}
		after = ids[n - 1];
		if (n < 128)
			break;
	}
	return 0;
}

void
acme_cert_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	struct cert_get *g = arena_zalloc(&req->arena, sizeof(*g));
	const char *chain = NULL;
	size_t chain_len = 0, cap;
	char *body;
	int rc, n;

	if (p == NULL || g == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "cert", &g->id, NULL) != 0) {
		acme_problem(req, ACME_E_NOSUCH, "no such certificate");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (!p->post_as_get) {
		acme_problem(req, ACME_E_MALFORMED, "a certificate is read with POST-as-GET");
		return;
	}
	g->account_id = p->acct.id;
	rc = store_read(acme_store(a), cert_get_fn, g);
	if (rc == ERR_NOTFOUND || (rc == 0 && !g->owner)) {
		acme_problem(req, ACME_E_NOSUCH, "no such certificate for this account");
		return;
	}
	if (rc != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read the certificate");
		return;
	}
	if (a->issuer != NULL && a->issuer->ops->chain != NULL &&
	    a->issuer->ops->chain(a->issuer->ctx, &g->c, &chain, &chain_len) != 0) {
		acme_problem(req, ACME_E_INTERNAL, "the intermediate chain is not available");
		return;
	}
	cap = g->c.der_len * 2 + 128 + chain_len;
	body = arena_alloc(&req->arena, cap);
	if (body == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	n = pem_encode(body, cap, "CERTIFICATE", g->c.der, g->c.der_len);
	if (n < 0) {
		acme_problem(req, ACME_E_INTERNAL, "certificate does not fit its buffer");
		return;
	}
	if (chain_len > 0) {
		memcpy(body + n, chain, chain_len);
		n += (int)chain_len;
	}
	http_reply(req, 200, "application/pem-certificate-chain", body, (size_t)n);
}
