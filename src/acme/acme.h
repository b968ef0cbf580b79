/*
 * acme.h: the ACME server (RFC 8555) as a set of HTTP routes. One file per
 * resource under src/acme/; this header is what main.c sees.
 */
#ifndef UPKI_ACME_H
#define UPKI_ACME_H

#include <stddef.h>

struct app;
struct acme;
struct http_route;
struct http_req;

/* Resource paths, relative to the base URL. */
#define ACME_PATH_DIRECTORY "/directory"
#define ACME_PATH_NEW_NONCE "/acme/new-nonce"
#define ACME_PATH_NEW_ACCOUNT "/acme/new-account"
#define ACME_PATH_NEW_ORDER "/acme/new-order"
#define ACME_PATH_REVOKE_CERT "/acme/revoke-cert"
#define ACME_PATH_KEY_CHANGE "/acme/key-change"
#define ACME_PATH_RENEWAL_INFO "/acme/renewal-info"
#define ACME_PATH_HEALTHZ "/healthz"

int acme_new(struct acme **out, struct app *app);
void acme_free(struct acme *a);

struct store;
/* "eab new|list ..." command line; returns the process exit code. */
int acme_eab_cmd(struct store *store, int argc, char **argv);

struct validator;
struct issuer;

/* Hand the challenge validator and the issuer backend to the ACME core (not owned). */
void acme_set_validator(struct acme *a, struct validator *v);
void acme_set_issuer(struct acme *a, struct issuer *is);

/*
 * After a restart: start again every validation that was under way (challenges
 * left "processing"). Bounded scan; returns the number resumed or an error.
 */
int acme_resume(struct acme *a);

/* The route table for the ACME listener; valid while a lives. */
const struct http_route *acme_routes(const struct acme *a, size_t *n);

/* http_server_cfg hooks: server-made errors as problem documents, with a nonce. */
int acme_error_body(void *arg, int status, const char *why, char *buf, size_t sz, const char **ctype);
int acme_error_headers(void *arg, char *buf, size_t sz);

/* Called for every response of the ACME listener (adds Replay-Nonce, Link). */
void acme_before_reply(struct http_req *req, int status, void *arg);

#endif
