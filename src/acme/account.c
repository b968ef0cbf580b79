/*
 * Accounts (RFC 8555 §7.3): newAccount with External Account Binding,
 * account update and deactivation, the orders list.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme_int.h"
#include "platform.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"

#define ORDERS_PAGE 50

static int
account_json(struct acme *a, const struct rec_account *acct, char *buf, size_t sz)
{
	char url[256];
	struct json_w w;

	json_w_init(&w, buf, sz);
	json_w_obj_begin(&w);
	json_w_key(&w, "status");
	json_w_str(&w, rec_account_status_str(acct->status));
	json_w_key(&w, "contact");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < acct->n_contacts; i++)
		json_w_str(&w, acct->contacts[i]);
	json_w_arr_end(&w);
	acme_url(a, url, sizeof(url) - 8, "acct", acct->id);
	strcat(url, "/orders");
	json_w_key(&w, "orders");
	json_w_str(&w, url);
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

void
acme_account_reply(struct acme *a, struct http_req *req, int status, const struct rec_account *acct)
{
	char body[2048], loc[256];
	int n = account_json(a, acct, body, sizeof(body));

	if (n < 0) {
		acme_problem(req, ACME_E_INTERNAL, "account does not fit its buffer");
		return;
	}
	acme_url(a, loc, sizeof(loc), "acct", acct->id);
	acme_reply_json(req, status, loc, body, (size_t)n);
}

/*
 * Contacts: mailto: only (RFC 8555 §7.3: a server may restrict schemes), one
 * address each, no hfields, printable ASCII. Returns 0 or has answered.
 */
static int
parse_contacts(struct http_req *req, const struct json_doc *d, int arr, struct rec_account *acct)
{
	int n = json_arr_len(d, arr);

	if (n < 0) {
		acme_problem(req, ACME_E_MALFORMED, "\"contact\" must be an array of strings");
		return ERR_MALFORMED;
	}
	if (n > REC_CONTACT_N) {
		acme_problemf(req, ACME_E_CONTACT, "at most %d contacts", REC_CONTACT_N);
		return ERR_TOOBIG;
	}
	acct->n_contacts = 0;
	for (int i = 0, t = arr + 1; i < n; i++, t = json_next(d, t)) {
		char *c = acct->contacts[acct->n_contacts];
		const char *at, *addr;

		if (json_str(d, t, c, REC_CONTACT_MAX + 1, NULL) != 0) {
			acme_problem(req, ACME_E_CONTACT, "a contact is not a string or too long");
			return ERR_MALFORMED;
		}
		if (strncmp(c, STR_LIT("mailto:")) != 0) {
			acme_problem(req, ACME_E_CONTACT_SCHEME, "only mailto: contacts are accepted");
			return ERR_UNSUPPORTED;
		}
		addr = c + 7;
		at = strchr(addr, '@');
		if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
		    strpbrk(addr, ",?;<> \"\\") != NULL || strchr(at + 1, '.') == NULL) {
			acme_problemf(req, ACME_E_CONTACT,
			    "contact %d is not a single e-mail address (mailto:user@example.ac.jp)", i + 1);
			return ERR_MALFORMED;
		}
		for (const char *x = addr; *x; x++)
			if ((unsigned char)*x <= 0x20 || (unsigned char)*x >= 0x7f) {
				acme_problemf(req, ACME_E_CONTACT,
				    "contact %d has characters outside printable ASCII", i + 1);
				return ERR_MALFORMED;
			}
		acct->n_contacts++;
	}
	return 0;
}

struct new_acct {
	struct rec_account acct;
	const uint8_t *thumb;
	int found;                  /* existing account for this key */
	const char *eab_kid;        /* NULL: no binding */
	const unsigned char *eab_check_key;
	struct rec_eab eab;
	int only_existing;
	int eab_state;              /* result of the EAB check inside the txn */
	const char *eab_refusal;    /* why the key binds no account (static text) */
};

static int
find_fn(struct store_txn *t, void *arg)
{
	struct new_acct *n = arg;
	int rc = store_account_find_by_key(t, n->thumb, &n->acct);

	if (rc == 0)
		n->found = 1;
	else if (rc != ERR_NOTFOUND)
		return rc;
	return 0;
}

static int
eab_get_fn(struct store_txn *t, void *arg)
{
	struct new_acct *n = arg;

	return store_eab_get(t, n->eab_kid, &n->eab);
}

const char *
acme_eab_binding_refusal(const struct rec_eab *eab, int64_t now)
{
	if (eab->flags & REC_EAB_F_DISABLED)
		return "externalAccountBinding: this key id is disabled";
	if (eab->expires != 0 && now >= eab->expires)
		return "externalAccountBinding: this key id has expired: ask the operator for a new one";
	if (eab->max_accounts != 0 && eab->n_accounts >= eab->max_accounts)
		return eab->max_accounts == 1 ?
		    "externalAccountBinding: this key id is already bound to an account" :
		    "externalAccountBinding: this key id has bound all the accounts it may";
	return NULL;
}

static int
create_fn(struct store_txn *t, void *arg)
{
	struct new_acct *n = arg;
	struct rec_account existing;
	int rc;

	/* Another request may have made it meanwhile: the key index decides. */
	rc = store_account_find_by_key(t, n->thumb, &existing);
	if (rc == 0) {
		n->acct = existing;
		n->found = 1;
		return 0;
	}
	if (rc != ERR_NOTFOUND)
		return rc;
	if (n->eab_kid != NULL) {
		/* Checked again here: concurrent requests must not bind more than allowed. */
		if ((rc = store_eab_get(t, n->eab_kid, &n->eab)) != 0)
			return rc;
		if ((n->eab_refusal = acme_eab_binding_refusal(&n->eab, n->acct.created)) != NULL) {
			n->eab_state = ERR_EXISTS;
			return ERR_EXISTS;     /* abort: nothing stored */
		}
	}
	if ((rc = store_seq_next(t, STORE_SEQ_ACCOUNT, &n->acct.id)) != 0)
		return rc;
	if ((rc = store_account_put(t, &n->acct)) != 0)
		return rc;
	if (n->eab_kid != NULL) {
		if (n->eab.account_id == 0)
			n->eab.account_id = n->acct.id;
		n->eab.n_accounts++;
		if ((rc = store_eab_put(t, &n->eab, 0)) != 0)
			return rc;
	}
	return 0;
}

void
acme_new_account(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = NULL;
	struct new_acct *n = NULL;
	uint8_t thumb[JWK_THUMB_LEN];
	struct json_w w;
	int t, rc, only = 0;

	p = arena_zalloc(&req->arena, sizeof(*p));
	n = arena_zalloc(&req->arena, sizeof(*n));
	if (p == NULL || n == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_JWK, p) != 0)
		return;
	if (p->post_as_get) {
		acme_problem(req, ACME_E_MALFORMED, "newAccount needs a payload");
		return;
	}
	if ((t = json_obj_get(&p->doc, 0, "onlyReturnExisting")) >= 0 &&
	    json_bool(&p->doc, t, &only) != 0) {
		acme_problem(req, ACME_E_MALFORMED, "\"onlyReturnExisting\" must be a boolean");
		return;
	}
	if ((t = json_obj_get(&p->doc, 0, "termsOfServiceAgreed")) >= 0) {
		int agreed;
		if (json_bool(&p->doc, t, &agreed) != 0) {
			acme_problem(req, ACME_E_MALFORMED, "\"termsOfServiceAgreed\" must be a boolean");
			return;
		}
	}
	jwk_thumbprint(&p->key, thumb);
	n->thumb = thumb;
	if ((rc = store_read(acme_store(a), find_fn, n)) != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot read accounts");
		return;
	}
	if (n->found) {
		if (n->acct.status != REC_ACCOUNT_VALID) {
			acme_problemf(req, ACME_E_UNAUTHORIZED, "the account for this key is %s",
			    rec_account_status_str(n->acct.status));
			return;
		}
		acme_account_reply(a, req, 200, &n->acct);
		return;
	}
	if (only) {
		acme_problem(req, ACME_E_NO_ACCOUNT, "no account exists for this key");
		return;
	}
	memset(&n->acct, 0, sizeof(n->acct));
	if ((t = json_obj_get(&p->doc, 0, "contact")) >= 0 &&
	    parse_contacts(req, &p->doc, t, &n->acct) != 0)
		return;
	t = json_obj_get(&p->doc, 0, "externalAccountBinding");
	if (t < 0 && a->app->cfg->eab_required) {
		acme_problem(req, ACME_E_EAB_REQUIRED,
		    "this server requires External Account Binding: ask the operator for a key id and HMAC key");
		return;
	}
	if (t >= 0) {
		struct jws *eab = arena_zalloc(&req->arena, sizeof(*eab));
		struct json_tok *tok = arena_alloc(&req->arena, sizeof(*tok) * 64);
		unsigned char *buf = arena_alloc(&req->arena, req->body_len + 1);

		if (eab == NULL || tok == NULL || buf == NULL) {
			acme_problem(req, ACME_E_INTERNAL, "out of memory");
			return;
		}
		rc = jws_eab_parse(eab, &p->doc, t, p->url, &p->key, tok, 64, buf, req->body_len + 1);
		if (rc != 0) {
			acme_problemf(req, ACME_E_MALFORMED, "externalAccountBinding: %s",
			    eab->detail ? eab->detail : "not a valid JWS over the account key");
			return;
		}
		n->eab_kid = eab->kid;
		rc = strlen(eab->kid) > REC_KID_MAX ? ERR_NOTFOUND :
		    store_read(acme_store(a), eab_get_fn, n);
		if (rc == ERR_NOTFOUND) {
			acme_problem(req, ACME_E_UNAUTHORIZED, "externalAccountBinding: unknown key id");
			return;
		}
		if (rc != 0) {
			acme_problem(req, ACME_E_INTERNAL, "cannot read EAB keys");
			return;
		}
		if (jws_verify_hmac(eab, n->eab.hmac, n->eab.hmac_len) != 0) {
			acme_problem(req, ACME_E_UNAUTHORIZED,
			    "externalAccountBinding: the MAC does not verify with this key id's HMAC key");
			return;
		}
		if ((n->eab_refusal = acme_eab_binding_refusal(&n->eab, platform_wall_s())) != NULL) {
			log_info("acme: %s: new account refused: EAB key %s: %s", req->peer, eab->kid,
			    n->eab_refusal + strlen("externalAccountBinding: "));
			acme_problem(req, ACME_E_UNAUTHORIZED, n->eab_refusal);
			return;
		}
		memcpy(n->acct.eab_kid, eab->kid, strlen(eab->kid) + 1);
	}
	n->acct.status = REC_ACCOUNT_VALID;
	json_w_init(&w, n->acct.jwk, sizeof(n->acct.jwk));
	jwk_write(&p->key, &w);
	if (json_w_finish(&w) < 0) {
		acme_problem(req, ACME_E_BAD_KEY, "the key does not fit the account record");
		return;
	}
	memcpy(n->acct.thumbprint, thumb, sizeof(thumb));
	n->acct.created = platform_wall_s();
	if (acme_room(a, req) != 0)
		return;
	rc = store_write(acme_store(a), create_fn, n);
	if (rc == ERR_EXISTS && n->eab_state == ERR_EXISTS) {
		acme_problem(req, ACME_E_UNAUTHORIZED, n->eab_refusal);
		return;
	}
	if (rc != 0) {
		acme_store_failed(req, rc, "cannot store the account");
		return;
	}
	if (!n->found)
		log_info("acme: %s: new account %" PRIu64 " (EAB %s)", req->peer, n->acct.id,
		    n->acct.eab_kid[0] ? n->acct.eab_kid : "none");
	acme_account_reply(a, req, n->found ? 200 : 201, &n->acct);
}

static int
acct_load_fn(struct store_txn *t, void *arg)
{
	struct rec_account *out = arg;

	return store_account_get(t, out->id, out);
}

int
acme_account_load(struct acme *a, uint64_t id, struct rec_account *out)
{
	out->id = id;
	return store_read(acme_store(a), acct_load_fn, out);
}

static int
acct_put_fn(struct store_txn *t, void *arg)
{
	return store_account_put(t, arg);
}

struct orders_list {
	uint64_t acct;
	uint64_t after;
	uint64_t ids[ORDERS_PAGE + 1];
	size_t n;
};

static int
orders_fn(struct store_txn *t, void *arg)
{
	struct orders_list *l = arg;

	return store_order_list_by_account(t, l->acct, l->after, l->ids, ORDERS_PAGE + 1, &l->n);
}

static void
orders_list(struct acme *a, struct http_req *req, const struct rec_account *acct)
{
	struct orders_list l;
	char *body, url[256];
	struct json_w w;
	size_t cap = 512 + ORDERS_PAGE * 200;
	int n;

	memset(&l, 0, sizeof(l));
	l.acct = acct->id;
	if (req->query != NULL && strncmp(req->query, STR_LIT("cursor=")) == 0)
		l.after = strtoull(req->query + 7, NULL, 10);
	if (store_read(acme_store(a), orders_fn, &l) != 0) {
		acme_problem(req, ACME_E_INTERNAL, "cannot list orders");
		return;
	}
	body = arena_alloc(&req->arena, cap);
	if (body == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	json_w_init(&w, body, cap);
	json_w_obj_begin(&w);
	json_w_key(&w, "orders");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < l.n && i < ORDERS_PAGE; i++) {
		acme_url(a, url, sizeof(url), "order", l.ids[i]);
		json_w_str(&w, url);
	}
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	if (l.n > ORDERS_PAGE) {
		char next[300];
		acme_url(a, url, sizeof(url), "acct", acct->id);
		snprintf(next, sizeof(next), "<%s/orders?cursor=%" PRIu64 ">;rel=\"next\"", url,
		    l.ids[ORDERS_PAGE - 1]);
		http_resp_header(req, "Link", next);
	}
	if (n < 0) {
		acme_problem(req, ACME_E_INTERNAL, "orders list does not fit its buffer");
		return;
	}
	acme_reply_json(req, 200, NULL, body, (size_t)n);
}

/* POST /acme/acct/<id> and /acme/acct/<id>/orders */
void
acme_account_post(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	struct acme_post *p = arena_zalloc(&req->arena, sizeof(*p));
	const char *rest = NULL;
	uint64_t id;
	int t, rc;

	if (p == NULL) {
		acme_problem(req, ACME_E_INTERNAL, "out of memory");
		return;
	}
	if (acme_path_id(req->path, "acct", &id, &rest) != 0 ||
	    (*rest != '\0' && strcmp(rest, "/orders") != 0)) {
		acme_problem(req, ACME_E_NOSUCH, "no such resource");
		return;
	}
	if (acme_post_verify(a, req, ACME_SIGNER_KID, p) != 0)
		return;
	if (p->acct.id != id) {
		acme_problem(req, ACME_E_UNAUTHORIZED, "the request is signed by another account");
		return;
	}
	if (*rest != '\0') {
		if (!p->post_as_get) {
			acme_problem(req, ACME_E_MALFORMED, "the orders list is read with POST-as-GET");
			return;
		}
		orders_list(a, req, &p->acct);
		return;
	}
	if (p->post_as_get) {
		acme_account_reply(a, req, 200, &p->acct);
		return;
	}
	if ((t = json_obj_get(&p->doc, 0, "contact")) >= 0 &&
	    parse_contacts(req, &p->doc, t, &p->acct) != 0)
		return;
	if ((t = json_obj_get(&p->doc, 0, "status")) >= 0) {
		if (!json_str_eq(&p->doc, t, "deactivated")) {
			acme_problem(req, ACME_E_MALFORMED, "a client may only set \"status\" to \"deactivated\"");
			return;
		}
		p->acct.status = REC_ACCOUNT_DEACTIVATED;
		log_info("acme: %s: account %" PRIu64 " deactivated", req->peer, id);
	}
	if ((rc = store_write(acme_store(a), acct_put_fn, &p->acct)) != 0) {
		acme_store_failed(req, rc, "cannot store the account");
		return;
	}
	acme_account_reply(a, req, 200, &p->acct);
}
