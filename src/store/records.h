/*
 * records.h: the stored objects, their versioned encodings, and typed access
 * inside a store transaction (store.h) that keeps every index consistent.
 *
 * Structs have fixed-size members only: a get decodes (copies) the record out of
 * the map, so a struct stays valid after the transaction ends. Strings are C
 * strings in arrays of <LIMIT> + 1 bytes; byte fields carry their length.
 * Encodings start with a version byte (REC_VERSION, REC_EAB_VERSION for the
 * EAB key); a decoder reads every older version and refuses a
 * truncated or over-long record with ERR_MALFORMED and a newer version with
 * ERR_VERSION. Unused array entries (past n_*) are not stored and decode as zero.
 *
 * The typed puts are upserts: they read the previous version (if any) and move
 * the index entries that changed, all inside the caller's transaction. Ids
 * come from store_seq_next() and must be nonzero. Put many objects in one
 * store_write() call: one commit is one fsync.
 *
 * Errors: ERR_NOTFOUND (no such record), ERR_MALFORMED (stored bytes do not
 * decode; logged), ERR_RANGE (a field out of its range: id 0, empty key, status
 * out of its enum, string not terminated), ERR_EXISTS (an index slot owned by
 * another object), and the store.h codes.
 */
#ifndef UPKI_STORE_RECORDS_H
#define UPKI_STORE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "autoconf.h"
#include "store/store.h"

#define REC_VERSION 1           /* encoding version written by this build */
#define REC_EAB_VERSION 2       /* rec_eab: 2 added max_accounts, expires, n_accounts */
#define REC_AUTHZ_VERSION 2     /* rec_authz: 2 added the CAA check records (caa[]) */

#define REC_SHA256_LEN 32
#define REC_KID_MAX 64          /* EAB key id */
#define REC_HMAC_MAX 64         /* EAB MAC key bytes */
#define REC_EAB_NAME_MAX 64
#define REC_EAB_ALLOW_N 16      /* domain patterns per EAB key */
#define REC_PATTERN_MAX 128     /* "*.example.ac.jp", "www.example.ac.jp" */
#define REC_JWK_MAX 2048        /* canonical JSON text of the account public key */
#define REC_CONTACT_N 4
#define REC_CONTACT_MAX 256
#define REC_IDENT_N CONFIG_ACME_MAX_IDENTIFIERS
#define REC_IDENT_MAX 253       /* identifier value (a DNS name fits) */
#define REC_PROBLEM_TYPE_MAX 64
#define REC_PROBLEM_DETAIL_MAX 1024   /* = ISSUER_DETAIL_MAX: advice with an openssl command fits */
#define REC_CSR_MAX 4096
#define REC_CHALL_N 3
#define REC_TOKEN_MAX 44
#define REC_SERIAL_MAX 20       /* certificate serial bytes (RFC 5280) */
#define REC_SERIAL_DEC_MAX 64   /* the serial in decimal, as UPKI writes it */
#define REC_DER_MAX 4096
#define REC_CHAIN_MAX 128
#define REC_APP_ID_MAX 32       /* UPKI application id */
#define REC_DN_MAX 256          /* subject DN string */
#define REC_ERROR_MAX 512

/* Largest encoding of any record (the order grows with REC_IDENT_N). */
#define REC_ENC_MAX (8192 + REC_IDENT_N * 272)

/* Most records one store_sweep_expired() call changes. */
#define STORE_SWEEP_MAX 256

enum rec_ident_type { REC_IDENT_DNS = 1, REC_IDENT_IP = 2, REC_IDENT__MAX };

enum rec_account_status {
	REC_ACCOUNT_VALID, REC_ACCOUNT_DEACTIVATED, REC_ACCOUNT_REVOKED, REC_ACCOUNT__MAX
};

enum rec_order_status {
	REC_ORDER_PENDING, REC_ORDER_READY, REC_ORDER_PROCESSING, REC_ORDER_VALID,
	REC_ORDER_INVALID, REC_ORDER__MAX
};

enum rec_authz_status {
	REC_AUTHZ_PENDING, REC_AUTHZ_VALID, REC_AUTHZ_INVALID, REC_AUTHZ_DEACTIVATED,
	REC_AUTHZ_EXPIRED, REC_AUTHZ_REVOKED, REC_AUTHZ__MAX
};

enum rec_chall_type { REC_CHALL_HTTP01, REC_CHALL_DNS01, REC_CHALL_TLSALPN01, REC_CHALL__MAX };

enum rec_chall_status {
	REC_CHALL_PENDING, REC_CHALL_PROCESSING, REC_CHALL_VALID, REC_CHALL_INVALID,
	REC_CHALL_STATUS__MAX
};

enum rec_cert_status { REC_CERT_VALID, REC_CERT_REVOKED, REC_CERT__MAX };

enum rec_job_kind { REC_JOB_NEW, REC_JOB_RENEW, REC_JOB_REVOKE, REC_JOB_KIND__MAX };

enum rec_job_state {
	REC_JOB_QUEUED, REC_JOB_SUBMITTED, REC_JOB_ISSUED, REC_JOB_REJECTED, REC_JOB_FAILED,
	REC_JOB__MAX
};

/* rec_eab.flags */
#define REC_EAB_F_DISABLED 0x1u
/* rec_cert.flags */
#define REC_CERT_F_RENEW_EARLY 0x1u /* operator asked for early renewal (ARI) */

struct rec_ident {
	uint8_t type;                           /* enum rec_ident_type */
	char value[REC_IDENT_MAX + 1];
};

struct rec_problem {
	char type[REC_PROBLEM_TYPE_MAX + 1];    /* "" = no error */
	char detail[REC_PROBLEM_DETAIL_MAX + 1];
};

/*
 * External Account Binding key issued by the operator. Key: kid. A key binds
 * up to max_accounts accounts (0 = any number, 1 = single use) until expires;
 * every account bound through it is in ACCOUNT_BY_EAB (its eab_kid, kept by
 * store_account_put). account_id and n_accounts are kept by the caller that
 * binds an account (the store does not count). A version-1 record decodes
 * with max_accounts = 0, expires = 0 and n_accounts = (account_id != 0).
 */
struct rec_eab {
	char kid[REC_KID_MAX + 1];
	uint8_t hmac[REC_HMAC_MAX];
	size_t hmac_len;
	char name[REC_EAB_NAME_MAX + 1];        /* operator's label for the holder */
	size_t n_allow;
	char allow[REC_EAB_ALLOW_N][REC_PATTERN_MAX + 1]; /* domain patterns allowed */
	int64_t created;
	uint64_t account_id;                    /* first account bound to it, 0 = unused */
	uint32_t flags;                         /* REC_EAB_F_* */
	uint32_t max_accounts;                  /* 0 = any number, 1 = single use */
	int64_t expires;                        /* unix seconds, 0 = never */
	uint32_t n_accounts;                    /* accounts bound so far */
};

struct rec_account {
	uint64_t id;
	uint8_t status;                         /* enum rec_account_status */
	char jwk[REC_JWK_MAX + 1];
	uint8_t thumbprint[REC_SHA256_LEN];     /* RFC 7638, indexed */
	size_t n_contacts;
	char contacts[REC_CONTACT_N][REC_CONTACT_MAX + 1];
	char eab_kid[REC_KID_MAX + 1];
	int64_t created;
	uint32_t orders;                        /* orders created so far */
};

struct rec_order {
	uint64_t id;
	uint64_t account_id;
	uint8_t status;                         /* enum rec_order_status */
	int64_t expires;                        /* 0 = never (not swept) */
	size_t n_idents;
	struct rec_ident idents[REC_IDENT_N];
	uint64_t authz_ids[REC_IDENT_N];        /* authz_ids[i] covers idents[i] */
	int64_t not_before;                     /* requested, 0 = none */
	int64_t not_after;
	struct rec_problem error;
	uint64_t cert_id;                       /* 0 = none yet */
	uint64_t job_id;
	int64_t created;
	uint8_t csr[REC_CSR_MAX];               /* DER, kept for the UPKI job */
	size_t csr_len;
};

struct rec_chall {
	uint8_t type;                           /* enum rec_chall_type */
	uint8_t status;                         /* enum rec_chall_status */
	char token[REC_TOKEN_MAX + 1];
	int64_t validated;
	struct rec_problem error;
};

/* One CAA check of an authorization's identifier (validate/caa.c). */
#define REC_CAA_CHECKS_N 4      /* checks kept per authorization: the newest, oldest dropped */
#define REC_CAA_RECORDS_MAX 320 /* = VALIDATE_CAA_RECORDS_MAX: the relevant set as text */
enum rec_caa_result { REC_CAA_PERMITTED, REC_CAA_REFUSED, REC_CAA_FAILED, REC_CAA__MAX };
enum rec_caa_when { REC_CAA_AT_VALIDATION, REC_CAA_AT_FINALIZE, REC_CAA_WHEN__MAX };

struct rec_caa_check {
	int64_t at;                             /* unix seconds */
	uint8_t result;                         /* enum rec_caa_result (FAILED: lookup error) */
	uint8_t when;                           /* enum rec_caa_when */
	uint16_t lookups;                       /* DNS lookups the check made */
	char name[REC_IDENT_MAX + 1];           /* the identifier checked */
	char where[REC_IDENT_MAX + 1];          /* where the relevant set was; "" none */
	char records[REC_CAA_RECORDS_MAX + 1];  /* that set as text; "" none */
};

/*
 * An authorization. A version-1 record decodes with n_caa = 0 (its
 * caa_checked, if any, is kept).
 */
struct rec_authz {
	uint64_t id;
	uint64_t account_id;
	struct rec_ident ident;
	uint8_t wildcard;                       /* 0 or 1 */
	uint8_t status;                         /* enum rec_authz_status */
	int64_t expires;                        /* 0 = never (not swept) */
	size_t n_challs;
	struct rec_chall challs[REC_CHALL_N];
	int64_t caa_checked;                    /* last CAA check that passed, 0 = never */
	int64_t created;
	size_t n_caa;
	struct rec_caa_check caa[REC_CAA_CHECKS_N];  /* oldest first */
};

struct rec_cert {
	uint64_t id;
	uint64_t order_id;
	uint64_t account_id;
	uint8_t serial[REC_SERIAL_MAX];         /* indexed; 1..REC_SERIAL_MAX bytes */
	size_t serial_len;
	char serial_dec[REC_SERIAL_DEC_MAX + 1];
	int64_t not_before;
	int64_t not_after;                      /* indexed */
	uint8_t status;                         /* enum rec_cert_status */
	uint8_t reason;                         /* RFC 5280 CRLReason when revoked */
	int64_t revoked_at;
	uint8_t der[REC_DER_MAX];               /* leaf certificate */
	size_t der_len;
	char chain[REC_CHAIN_MAX + 1];          /* which intermediate set to bundle */
	uint64_t job_id;
	uint32_t flags;                         /* REC_CERT_F_* */
};

struct rec_job {
	uint64_t id;
	uint64_t order_id;
	uint8_t kind;                           /* enum rec_job_kind */
	uint8_t state;                          /* enum rec_job_state, indexed */
	uint32_t attempts;
	int64_t next_attempt;
	int64_t created;
	int64_t submitted_at;
	int64_t expected_at;                    /* when UPKI should have issued */
	char upki_app_id[REC_APP_ID_MAX + 1];
	char subject_dn[REC_DN_MAX + 1];
	char old_serial_dec[REC_SERIAL_DEC_MAX + 1]; /* renewal / revocation target */
	uint8_t spki_sha256[REC_SHA256_LEN];    /* with names_sha256: the join key */
	uint8_t names_sha256[REC_SHA256_LEN];
	char error[REC_ERROR_MAX + 1];
	uint64_t cert_id;
	uint8_t revoke_reason;
};

/* "This DN was issued before" (UPKI new vs renewal). Key: dn. */
struct rec_dn {
	char dn[REC_DN_MAX + 1];
	char last_serial_dec[REC_SERIAL_DEC_MAX + 1];
	uint32_t flags;                         /* owned by upki/ */
	int64_t updated;
};

/*
 * Codecs. encode writes at most cap bytes into buf and sets *len (ERR_TOOBIG if
 * cap is short, ERR_RANGE for a field out of range); REC_ENC_MAX always fits.
 * decode fills *out completely (zeroing it first) from len bytes at buf.
 */
int rec_eab_encode(const struct rec_eab *r, void *buf, size_t cap, size_t *len);
int rec_eab_decode(struct rec_eab *out, const void *buf, size_t len);
int rec_account_encode(const struct rec_account *r, void *buf, size_t cap, size_t *len);
int rec_account_decode(struct rec_account *out, const void *buf, size_t len);
int rec_order_encode(const struct rec_order *r, void *buf, size_t cap, size_t *len);
int rec_order_decode(struct rec_order *out, const void *buf, size_t len);
int rec_authz_encode(const struct rec_authz *r, void *buf, size_t cap, size_t *len);
int rec_authz_decode(struct rec_authz *out, const void *buf, size_t len);
int rec_cert_encode(const struct rec_cert *r, void *buf, size_t cap, size_t *len);
int rec_cert_decode(struct rec_cert *out, const void *buf, size_t len);
int rec_job_encode(const struct rec_job *r, void *buf, size_t cap, size_t *len);
int rec_job_decode(struct rec_job *out, const void *buf, size_t len);
int rec_dn_encode(const struct rec_dn *r, void *buf, size_t cap, size_t *len);
int rec_dn_decode(struct rec_dn *out, const void *buf, size_t len);

/* RFC 8555 status words ("pending", ...); "?" when out of range. Static storage. */
const char *rec_account_status_str(unsigned status);
const char *rec_order_status_str(unsigned status);
const char *rec_authz_status_str(unsigned status);
const char *rec_chall_status_str(unsigned status);
const char *rec_chall_type_str(unsigned type);  /* "http-01", "dns-01", "tls-alpn-01" */
const char *rec_job_state_str(unsigned state);

/* EAB keys. put flags: STORE_NOOVERWRITE to create (ERR_EXISTS if the kid is taken). */
int store_eab_get(struct store_txn *t, const char *kid, struct rec_eab *out);
int store_eab_put(struct store_txn *t, const struct rec_eab *r, unsigned flags);
int store_eab_del(struct store_txn *t, const char *kid);
/* Up to max kids after `after` ("" or NULL: from the first), in byte order. */
int store_eab_list(struct store_txn *t, const char *after, char (*kids)[REC_KID_MAX + 1],
		   size_t max, size_t *n);

/* Accounts. put keeps ACCOUNT_BY_KEY (key rollover moves it; ERR_EXISTS if the
 * new key belongs to another account) and ACCOUNT_BY_EAB (a changed eab_kid
 * moves the entry; "" = none). */
int store_account_get(struct store_txn *t, uint64_t id, struct rec_account *out);
int store_account_put(struct store_txn *t, const struct rec_account *r);
int store_account_find_by_key(struct store_txn *t, const uint8_t thumbprint[REC_SHA256_LEN],
			      struct rec_account *out);

/* Ids of the accounts whose eab_kid is kid, greater than after_id, ascending,
 * at most max. A kid that is not 1..REC_KID_MAX bytes gives ERR_RANGE. */
int store_account_list_by_eab(struct store_txn *t, const char *kid, uint64_t after_id,
			      uint64_t *ids, size_t max, size_t *n);

/*
 * A bounded walk over ACCOUNT_BY_EAB that removes what no account put can:
 * an entry whose account record is gone, or whose account is bound through
 * another kid (the account was rewritten while its previous version did not
 * decode, so the put could not move the entry), or a malformed key. An entry
 * whose account does not decode is kept (the record may be restored; `eab
 * show` marks it) and counted in unreadable. Each call checks at most
 * min(max, 64) entries after key (klen 0: from the first),
 * moves key on, and sets wrapped when it reached the end (the next call
 * starts again at the first). Needs a write transaction.
 */
struct store_eab_walk {
	uint8_t key[1 + REC_KID_MAX + 8];
	size_t klen;
	size_t checked, dropped, unreadable;    /* by the last call */
	int wrapped;
};
int store_eab_idx_walk(struct store_txn *t, struct store_eab_walk *w, size_t max);

/*
 * Orders. put keeps ORDER_BY_ACCOUNT, ORDER_BY_EXPIRY (pending/ready only),
 * ORDER_BY_END (invalid only), AUTHZ_BY_ORDER (each authz_ids[i] -> this
 * order) and the account's pending count (pending/ready orders). del removes
 * the order and all of that (ERR_NOTFOUND if absent, ERR_MALFORMED if it does
 * not decode: then nothing is removed); it does not touch the authorizations.
 */
int store_order_get(struct store_txn *t, uint64_t id, struct rec_order *out);
int store_order_put(struct store_txn *t, const struct rec_order *r);
int store_order_del(struct store_txn *t, uint64_t id);
/* Ids of the account's orders greater than after_id, ascending, at most max. */
int store_order_list_by_account(struct store_txn *t, uint64_t account_id, uint64_t after_id,
				uint64_t *ids, size_t max, size_t *n);

/*
 * Authorizations. put keeps AUTHZ_BY_EXPIRY (pending/valid only),
 * AUTHZ_BY_END (any other status), the account's pending count (pending
 * authzs) and AUTHZ_BY_ACCOUNT_NAME: a pending or valid authz becomes the one
 * found for (account, identifier, wildcard); any other status removes it from
 * there if it was the one. del removes the authz (challenges included) and
 * its index entries, as store_order_del; the caller checks store_authz_refs.
 */
int store_authz_get(struct store_txn *t, uint64_t id, struct rec_authz *out);
int store_authz_put(struct store_txn *t, const struct rec_authz *r);
int store_authz_del(struct store_txn *t, uint64_t id);
/* Ids of the orders that refer to authz_id (AUTHZ_BY_ORDER), ascending, at
 * most max (order_ids may be NULL to count only). */
int store_authz_refs(struct store_txn *t, uint64_t authz_id, uint64_t *order_ids, size_t max,
		     size_t *n);

/*
 * What an account has open, counted by the puts in the same transaction as
 * each status change: pending or ready orders, pending authorizations (each
 * once, however many orders refer to it). Both 0 for an unknown account.
 */
struct store_pending {
	uint32_t orders;
	uint32_t authzs;
};
int store_account_pending(struct store_txn *t, uint64_t account_id, struct store_pending *out);
/* The latest pending or valid authz of the account for ident (the caller checks
 * status and expiry before reuse). ERR_NOTFOUND if none. */
int store_authz_find(struct store_txn *t, uint64_t account_id, const struct rec_ident *ident,
		     int wildcard, struct rec_authz *out);

/* Certificates. put keeps CERT_BY_SERIAL (ERR_EXISTS if the serial belongs to
 * another certificate) and CERT_BY_EXPIRY. */
int store_cert_get(struct store_txn *t, uint64_t id, struct rec_cert *out);
int store_cert_put(struct store_txn *t, const struct rec_cert *r);
int store_cert_find_by_serial(struct store_txn *t, const uint8_t *serial, size_t len,
			      struct rec_cert *out);

/* A position in CERT_BY_EXPIRY. */
struct store_expiry {
	int64_t not_after;
	uint64_t cert_id;
};

/*
 * Certificates by notAfter (then id), strictly after position `after` (NULL:
 * from the start) and with notAfter < until, at most max. Pass the last entry
 * back as `after` for the next page.
 */
int store_cert_list_by_expiry(struct store_txn *t, const struct store_expiry *after,
			      int64_t until, struct store_expiry *out, size_t max, size_t *n);

/*
 * UPKI jobs. put keeps JOB_BY_STATE (a state change moves the entry) and
 * JOB_BY_KEY: a new/renew job that is queued, submitted or issued owns its
 * (spki, names) slot; rejected or failed releases it if it owned it.
 */
int store_job_get(struct store_txn *t, uint64_t id, struct rec_job *out);
int store_job_put(struct store_txn *t, const struct rec_job *r);
int store_job_find_by_key(struct store_txn *t, const uint8_t spki[REC_SHA256_LEN],
			  const uint8_t names[REC_SHA256_LEN], struct rec_job *out);
/* Ids of jobs in state greater than after_id, ascending, at most max. */
int store_job_list_by_state(struct store_txn *t, unsigned state, uint64_t after_id,
			    uint64_t *ids, size_t max, size_t *n);

/* Subject DNs ever issued. */
int store_dn_get(struct store_txn *t, const char *dn, struct rec_dn *out);
int store_dn_put(struct store_txn *t, const struct rec_dn *r);

/*
 * Orders joining a UPKI job (besides the job's own order_id): the job's
 * certificate answers each of them. add is idempotent (0 if already there) and
 * refuses an order beyond STORE_JOIN_MAX per job with ERR_TOOBIG; list gives
 * the order ids of job_id, ascending, at most max; clear drops every entry of
 * job_id. Ids must be nonzero (ERR_RANGE).
 */
#define STORE_JOIN_MAX 256
int store_join_add(struct store_txn *t, uint64_t job_id, uint64_t order_id);
int store_join_list(struct store_txn *t, uint64_t job_id, uint64_t *ids, size_t max, size_t *n);
int store_join_clear(struct store_txn *t, uint64_t job_id);

/*
 * Ids in an id-keyed database (ACCOUNT, ORDER, AUTHZ, CERT, JOB) greater than
 * after_id, ascending, at most max (admin listings). ERR_RANGE for other dbs.
 */
int store_id_list(struct store_txn *t, enum store_db db, uint64_t after_id, uint64_t *ids,
		  size_t max, size_t *n);

/*
 * Expire what is due at now: pending/ready orders with 0 < expires <= now become
 * invalid, pending/valid authzs become expired. At most min(max,
 * STORE_SWEEP_MAX) records change per call; *swept gets how many (call again
 * while it equals max). Needs a write transaction.
 */
int store_sweep_expired(struct store_txn *t, int64_t now, size_t max, size_t *swept);

/* ---- received mail (records_mail.c) ---------------------------------------------- */

#define REC_MAIL_VERSION 1
#define REC_MAIL_ADDR_MAX 254      /* an SMTP path without <> */
#define REC_MAIL_HELO_MAX 255
#define REC_MAIL_PEER_MAX 63       /* "addr:port" */
#define REC_MAIL_RCPT_N CONFIG_MAIL_MAX_RCPTS
#define REC_MAIL_REASON_MAX 256
#define REC_MAIL_URL_MAX 512
#define REC_MAIL_RAW_MAX CONFIG_MAIL_MAX_MSG_BYTES

enum rec_mail_state {
	REC_MAIL_NEW,        /* stored by the SMTP receiver, not looked at yet */
	REC_MAIL_PARSED,     /* verified and taken in (serial, url set) */
	REC_MAIL_REJECTED,   /* kept for the operator; reason says why */
	REC_MAIL__MAX
};

#define REC_MAIL_F_TLS 0x1u /* received over STARTTLS */

/*
 * One message as the SMTP receiver took it: the envelope, the peer, and the
 * raw bytes (dot-unstuffed, CRLF lines, at most REC_MAIL_RAW_MAX), which the
 * record carries after its fields. Indexed by state (MAIL_BY_STATE) so that
 * the pickup step finds the new ones with store_mail_next(). serial, url and
 * reason are for the step that parses the message.
 */
struct rec_mail {
	uint64_t id;
	int64_t received;                      /* unix seconds */
	int64_t updated;                       /* last state change, unix seconds */
	uint8_t state;                         /* enum rec_mail_state */
	uint32_t flags;                        /* REC_MAIL_F_* */
	char peer[REC_MAIL_PEER_MAX + 1];
	char helo[REC_MAIL_HELO_MAX + 1];
	char mail_from[REC_MAIL_ADDR_MAX + 1]; /* "" for the null reverse-path */
	size_t n_rcpt;
	char rcpt[REC_MAIL_RCPT_N][REC_MAIL_ADDR_MAX + 1];
	char reason[REC_MAIL_REASON_MAX + 1];  /* why rejected (or a note); "" */
	char serial[REC_SERIAL_DEC_MAX + 1];   /* decimal serial taken from the mail; "" */
	char url[REC_MAIL_URL_MAX + 1];        /* the one-time download URL; "" */
	size_t raw_len;                        /* bytes of the raw message */
};

/*
 * Store a new message: m->id gets the next mail id, state is REC_MAIL_NEW
 * whatever m says, and raw (raw_len <= REC_MAIL_RAW_MAX, else ERR_TOOBIG) is
 * kept with it. The caller commits: the SMTP receiver answers 250 only after
 * that. ERR_FULL is the store's "no room".
 */
int store_mail_add(struct store_txn *t, struct rec_mail *m, const void *raw, size_t raw_len);

/*
 * The message id. raw/raw_len (either may be NULL) point at its bytes in the
 * map, valid until the transaction ends. ERR_NOTFOUND, ERR_MALFORMED.
 */
int store_mail_get(struct store_txn *t, uint64_t id, struct rec_mail *out, const void **raw,
		   size_t *raw_len);

/*
 * Rewrite the fields of message m->id (state, reason, serial, url, updated,
 * ...) and move its state index entry; the raw bytes stay as stored.
 */
int store_mail_update(struct store_txn *t, const struct rec_mail *m);

/*
 * The first message with id > after_id, in id order: in state state, or in
 * any state for state < 0. ERR_NOTFOUND when there is none. The pickup step
 * walks the new ones with store_mail_next(t, REC_MAIL_NEW, last, &m).
 */
int store_mail_next(struct store_txn *t, int state, uint64_t after_id, struct rec_mail *out);
/*
 * Delete what ended at least retain_s seconds ago (its expires <= now -
 * retain_s): invalid orders that never reached UPKI (job_id 0), then
 * authorizations that are no longer pending or valid and that no order
 * refers to (an order's deletion takes its authorizations with it when it
 * was their last reference). Pending, ready, processing and valid orders,
 * certificates, jobs, accounts and EAB keys are never deleted. At most
 * min(max, STORE_SWEEP_MAX) orders and authorizations from the end indexes,
 * plus the authorizations of those orders (REC_IDENT_N each); *deleted gets
 * how many index entries were handled (call again while it equals max).
 * Needs a write transaction (store_write_reclaim: deletes need pages too).
 */
int store_sweep_delete(struct store_txn *t, int64_t now, int64_t retain_s, size_t max,
		       size_t *deleted);

#endif
