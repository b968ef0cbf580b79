/* acme_int.h: shared by the files of src/acme/ only. */
#ifndef UPKI_ACME_INT_H
#define UPKI_ACME_INT_H

#include "autoconf.h"

#include "acme/problem.h"
#include "acme/acme.h"
#include "app.h"
#include "http/http.h"

#include "jose/jws.h"
#include "json/json.h"
#include "store/records.h"

#define ACME_MAX_ROUTES 32
#define ACME_NONCE_LEN 30              /* base64url of 22 bytes */
#define ACME_MAX_TOKENS 256            /* JSON tokens per request payload */

struct acme_nonces;
struct validator;
struct issuer;
struct issuer_problem;

struct event;

/* Per-account limits kept in memory (limits.c). */
enum acme_limit {
	ACME_LIMIT_ORDERS,     /* new orders per hour: limit_orders_per_hour */
	ACME_LIMIT_FAILED,     /* failed validations per day: limit_failed_validations_per_day */
	ACME_LIMIT__MAX
};
#define ACME_LIMIT_SLOTS 1024  /* accounts tracked per limit (16 bytes each) */

struct acme_window {
	uint64_t account_id;       /* 0: free */
	int64_t start;             /* window start, unix seconds */
	uint32_t count;
};

struct acme_vslot {
	uint64_t account_id;
	unsigned n;                /* its validations running; 0: free */
};
#define ACME_VALIDATION_RETRY_S 3   /* Retry-After when the pool or a share is full */

struct acme {
	struct app *app;
	const char *base_url;          /* no trailing slash */
	size_t base_len;
	struct acme_nonces *nonces;
	struct validator *validator;   /* NULL: challenges cannot be validated */
	struct issuer *issuer;         /* NULL: finalize answers serverInternal */
	struct http_route routes[ACME_MAX_ROUTES];
	size_t nroutes;
	struct event *sweep_ev;        /* sweep.c */
	uint64_t swept_run, swept_total;
	uint64_t deleted_run;
	size_t sweep_batch;            /* records per sweep batch; 0 = STORE_SWEEP_MAX */
	struct store_eab_walk eab_walk; /* sweep.c: where the account_by_eab walk is */
	size_t eab_unreadable_pass, eab_unreadable_said;
	struct acme_window limits[ACME_LIMIT__MAX][ACME_LIMIT_SLOTS];   /* limits.c */
	struct acme_vslot vslots[CONFIG_ACME_MAX_VALIDATIONS];          /* validations per account */
	unsigned v_inflight;
};

/*
 * Per-account limits (limits.c): check answers 0, or ERR_RATELIMIT with
 * *retry_after the seconds until the window frees; count records one event.
 */
int acme_limit_check(struct acme *a, enum acme_limit kind, uint64_t acct, int64_t now,
    unsigned *retry_after);
void acme_limit_count(struct acme *a, enum acme_limit kind, uint64_t acct, int64_t now);
/*
 * For a new order (order = 1) or a challenge start (0): 1 when a limit
 * refused it (the rateLimited problem with Retry-After is answered), else 0.
 */
int acme_limits_refuse(struct acme *a, struct http_req *req, uint64_t acct, int64_t now,
    int order);

/*
 * Open work per account (limits.c), counted by the store in the transaction
 * that changes it (store_account_pending): limit_pending_orders pending or
 * ready orders, limit_pending_authzs pending authorizations. pending_check
 * runs inside newOrder's transaction once its new authorizations are put and
 * before the order is: 0, or ERR_RATELIMIT (abort) with pl->hit set;
 * pending_refuse answers that (429 rateLimited, Retry-After, one log line).
 */
#define ACME_PENDING_RETRY_S 300
struct acme_pending_limit {
	int max_orders, max_authzs;     /* from the config; 0 = off */
	int hit;                        /* 0, 1 = orders, 2 = authorizations */
	struct store_pending have;      /* the account's counts when hit */
};
void acme_pending_init(struct acme *a, struct acme_pending_limit *pl);
int acme_pending_check(struct store_txn *t, uint64_t acct, struct acme_pending_limit *pl);
void acme_pending_refuse(struct http_req *req, uint64_t acct, const struct acme_pending_limit *pl);

/*
 * The validation pool (limits.c): at most CONFIG_ACME_MAX_VALIDATIONS run at
 * once and CONFIG_ACME_VALIDATIONS_PER_ACCOUNT of them for one account, so
 * one account cannot fill it. admit: 0, or ERR_RATELIMIT with why and a
 * Retry-After; took/gave count a validation started/ended.
 */
int acme_validation_admit(struct acme *a, uint64_t acct, unsigned *retry_after, char *why,
    size_t whysz);
void acme_validation_took(struct acme *a, uint64_t acct);
void acme_validation_gave(struct acme *a, uint64_t acct);

/*
 * Expiry and deletion on a schedule (sweep.c): start arms a reactor timer
 * (nothing without an event base or a store); once runs one bounded batch at
 * now: *swept the records it marked expired, *deleted the ended ones it
 * handled past sweep_retain_days (together STORE_SWEEP_MAX: more are due).
 */
int acme_sweep_start(struct acme *a);
void acme_sweep_stop(struct acme *a);
int acme_sweep_once(struct acme *a, int64_t now, size_t *swept, size_t *deleted);

/* Nonce pool (nonce.c). consume: 0, or ERR_NOTFOUND/ERR_TIMEOUT/ERR_EXISTS = badNonce. */
int acme_nonces_new(struct acme_nonces **out);
void acme_nonces_free(struct acme_nonces *n);
int acme_nonce_issue(struct acme_nonces *n, char out[ACME_NONCE_LEN + 1]);
int acme_nonce_consume(struct acme_nonces *n, const char *nonce);

/* What a request must be signed with (request.c). */
enum acme_signer {
	ACME_SIGNER_KID,       /* an existing account: "kid" */
	ACME_SIGNER_JWK,       /* a key in the request: "jwk" (newAccount) */
	ACME_SIGNER_ANY,       /* either (revokeCert: account or certificate key) */
};

/*
 * A verified ACME POST. Everything points into the request's arena or into
 * this struct; valid until the reply is sent.
 */
struct acme_post {
	struct jws jws;
	struct jwk key;                /* the key that verified the signature */
	struct rec_account acct;       /* when signed with kid */
	int has_acct;
	struct json_doc doc;           /* payload, unless post_as_get */
	struct json_tok tok[ACME_MAX_TOKENS];
	int post_as_get;
	char url[JWS_URL_MAX];         /* base_url + path: what "url" had to be */
};

/*
 * Check Content-Type, parse the JWS, check url, verify the signature (kid:
 * account looked up and must be valid), consume the nonce, parse the payload
 * as a JSON object. On failure the problem document has been sent and a
 * negative code is returned: the caller just returns.
 */
int acme_post_verify(struct acme *a, struct http_req *req, enum acme_signer signer,
    struct acme_post *p);

/* "<base>/acme/acct/<id>" etc. into out; 0 or ERR_TOOBIG. */
int acme_url(const struct acme *a, char *out, size_t outsz, const char *kind, uint64_t id);

/* Parse the id from a path "/acme/<kind>/<id>[/rest]"; 0, or ERR_NOTFOUND. */
int acme_path_id(const char *path, const char *kind, uint64_t *id, const char **rest);

/* Problem documents: acme/problem.h (acme_problem, the code -> problem table). */

/* Send a JSON body with status, and a Location header when location != NULL. */
void acme_reply_json(struct http_req *req, int status, const char *location,
    const char *json, size_t len);

/* The store of the running app. */
struct store *acme_store(const struct acme *a);

/*
 * Room in the store for new work (accounts, orders, challenges started,
 * finalize): 0, or the ERR_FULL problem has been answered (503, Retry-After)
 * and the caller stops. Reads and work in progress do not ask.
 */
int acme_room(struct acme *a, struct http_req *req);
/* Answer a store_write() failure: ERR_FULL as 503 with Retry-After (the
 * storage is full), anything else as serverInternal with the detail what. */
void acme_store_failed(struct http_req *req, int rc, const char *what);

void acme_directory_get(struct http_req *req, void *arg);
void acme_healthz_get(struct http_req *req, void *arg);
void acme_new_nonce(struct http_req *req, void *arg);
void acme_new_account(struct http_req *req, void *arg);
void acme_account_post(struct http_req *req, void *arg);
void acme_new_order(struct http_req *req, void *arg);
void acme_order_post(struct http_req *req, void *arg);
void acme_authz_post(struct http_req *req, void *arg);
void acme_chall_post(struct http_req *req, void *arg);
void acme_finalize_post(struct http_req *req, void *arg);
void acme_cert_post(struct http_req *req, void *arg);
void acme_key_change(struct http_req *req, void *arg);
void acme_revoke_cert(struct http_req *req, void *arg);
void acme_renewal_info(struct http_req *req, void *arg);

/* Identifiers (ident.c): lower-case and check a DNS name; ERR_MALFORMED or ERR_UNSUPPORTED with why. */
int acme_ident_normalize(char *name, const char **why);
/*
 * 1 if the EAB key's allow-list covers name. A pattern "host.d" allows exactly
 * that name (no wildcard: not "*.host.d"); "*.d" allows every name strictly
 * below d at any depth ("a.d", "a.b.d", not "d" itself) and so every wildcard
 * whose names all lie below d ("*.d", "*.a.d"; not "*.parent-of-d"). Whether
 * wildcards are taken at all is upki_wildcards (order.c).
 */
int acme_ident_allowed(const struct rec_eab *eab, const char *name);

/*
 * Why an EAB key binds no new account at now (unix seconds): disabled,
 * expired, or all of its max_accounts used; NULL when it may.
 */
const char *acme_eab_binding_refusal(const struct rec_eab *eab, int64_t now);

/* Orders as the client sees them: acme/order_view.h. */

/* issuer_events.issued (finalize.c). */
int acme_issued(void *arg, struct store_txn *t, uint64_t order_id, int rc,
    const struct rec_cert *cert, const struct issuer_problem *prob);

/* Accounts (account.c). */
void acme_account_reply(struct acme *a, struct http_req *req, int status,
    const struct rec_account *acct);
int acme_account_load(struct acme *a, uint64_t id, struct rec_account *out);

struct validate_caa_result;
/*
 * Keep the record of a CAA check in az (authz.c): appended, the oldest dropped
 * when REC_CAA_CHECKS_N are kept; a permitting check also sets caa_checked.
 * when: enum rec_caa_when.
 */
void acme_authz_caa_note(struct rec_authz *az, const struct validate_caa_result *r, int when,
    int64_t now);

/* Start validating challenge chall of az (authz.c). */
int acme_validation_start(struct acme *a, const struct rec_authz *az, size_t chall);

#endif
