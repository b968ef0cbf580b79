/*
 * sim.h: upki-sim, a stand-in for NII's UPKI certificate issuance support
 * system (UPKI.md §10), shared between the files of tests/upki-sim/ only.
 *
 * One file per role:
 *   main.c      arguments, the init and serve commands, wiring and teardown
 *   profile.c   every choice invented for the simulator [X] (one table)
 *   conf.c      sim.conf: the institution record
 *   pki.c       keys, the test CA hierarchy (init), issuing CAs (serve)
 *   persist.c   atomic files and the key=value record format; state on disk
 *   form.c      multipart/form-data, urlencoded forms, cookies
 *   pages.c     EUC-JP HTML pages
 *   tsv_check.c the upload TSV: our own parser and every validation rule
 *   tsv_dn.c    its subject DN and CSR columns (tsv.h: what the two share)
 *   issue.c     the application life cycle: accept, issue, mails, states
 *   bulk.c      the bulk certificate TSV and its rate limit
 *   lra.c       HTTP handlers of /upki-odcert/... (login, menu, upload, ...)
 *   control.c   HTTP handlers of /_sim/... (state, mail, clock, fault)
 *   fault.c     injected faults
 *   smime.c     the outbox mails as UPKI sends them: RFC 5322, S/MIME-signed
 *   smtp_out.c  delivery of the outbox by SMTP (--smtp-to)
 *
 * Clock: every time the simulator keeps is "sim time" = the real wall clock
 * plus an offset that POST /_sim/clock advances. Issuance delays are drawn in
 * simulated seconds and multiplied by time_scale to give the real wait.
 */
#ifndef UPKI_SIM_H
#define UPKI_SIM_H

#include "util/file.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <bearssl.h>

#include "http/http.h"
#include "util/buf.h"
#include "x509/x509.h"

/* ---- limits (everything the simulator holds is bounded) ---- */
#define SIM_MAX_APPS 4096          /* applications kept (all kinds) */
#define SIM_MAX_MAILS 1024         /* outbox; the oldest mail is dropped beyond */
#define SIM_MAX_SESSIONS 64        /* the least recently used is dropped beyond */
#define SIM_MAX_RA 8               /* RA officer certificates of the institution */
#define SIM_MAX_DOMAINS 16
#define SIM_MAX_PROFILES 8
#define SIM_MAX_CAA 32
#define SIM_MAX_UPLOAD_ROWS 200    /* rows in one uploaded TSV */
#define SIM_MAX_ROW_ERRORS 8       /* errors reported per row */
#define SIM_MAX_BODY (1u << 20)    /* request body (the upload) */
#define SIM_MAX_SLOW 32            /* requests held back by the "slow" fault at once */
#define SIM_PATH_MAX 512
#define SIM_DN_MAX 250             /* UPKI_DN_MAX */
#define SIM_FQDN_MAX 64            /* UPKI_FQDN_MAX */
#define SIM_DNSLIST_MAX 250        /* UPKI_DNSNAMES_LIST_MAX */
#define SIM_TEXT_MAX 400           /* UTF-8 bytes of a 全角 field (128 chars x 3) */
#define SIM_EMAIL_MAX 78
#define SIM_SERIAL_MAX 48          /* decimal digits */
#define SIM_ID_LEN 12              /* 申請ID digits */
#define SIM_FP_LEN 64              /* hex SHA-256 of a certificate */
#define SIM_SPKI_MAX 1024
#define SIM_CERT_MAX 4096

/* ---- the [X] table (profile.c) ---- */

/* Extra error codes the simulator needs and upki_profile.h does not define. */
enum sim_code {
	SIM_E_REQUIRED = 104,   /* a required cell is empty */
	SIM_E_LENGTH = 105,     /* a cell over its length limit */
	SIM_E_RESERVED = 106,   /* a reserved (must be empty) cell holds something */
	SIM_E_PROFILE = 204,    /* unknown certificate profile ID */
	SIM_E_FQDN = 208,       /* column 11 differs from the CN */
	SIM_E_ROWS = 109,       /* too many rows, or an empty file */
};

struct sim_profile {
	const char *mail_from;
	const char *subj_issued;
	const char *subj_revoked;
	const char *subj_downloaded;
	const char *subj_failed;
	const char *title_system;       /* page title of the frameset */
	const char *text_invalid_url;   /* one-time URL used twice or unknown */
	const char *text_no_client_cert;
	const char *text_unknown_ra;
	const char *text_server_error;  /* the 5xx fault's page */
	const char *bulk_filename;
	int default_validity_days;
	const char *default_profiles_rsa;
	const char *default_profiles_ecc;
	int app_id_base_year;           /* 申請ID = year * 10^8 + sequence */
	int default_delay_min, default_delay_max;
	int default_rate_limit_s;
	int session_idle_s;
	int state_failed;               /* 状態 of an application that failed after acceptance */
};
extern const struct sim_profile sim_profile;

/* Message and 項目名 of code (upki_codes, then the sim's own); NULL if unknown. */
int sim_code_text(int code, const char **field, const char **message);

/* ---- institution record (conf.c) ---- */

struct sim_caa {
	char name[254];       /* owner name, lower case */
	char tag[16];         /* issue, issuewild, iodef */
	char value[128];      /* without quotes */
};

struct sim_inst {
	char o[65], st[65], l[65];
	char domains[SIM_MAX_DOMAINS][254];
	int n_domains;
	char profiles_rsa[SIM_MAX_PROFILES][4];
	int n_profiles_rsa;
	char profiles_ecc[SIM_MAX_PROFILES][4];
	int n_profiles_ecc;
	struct sim_caa caa[SIM_MAX_CAA];
	int n_caa;
	char ra_fp[SIM_MAX_RA][SIM_FP_LEN + 1];  /* registered RA officer certificates */
	int n_ra;
	char ra_email[SIM_EMAIL_MAX + 1];
	int validity_days;
};

/* Read DIR/sim.conf. 0, or ERR_CONFIG/-errno with the reason logged as file:line. */
int sim_conf_load(struct sim_inst *inst, const char *path);
/* Write it (atomically). */
int sim_conf_save(const struct sim_inst *inst, const char *path);
/* Fill defaults for init: O, ST, L, comma-separated domains. */
int sim_conf_defaults(struct sim_inst *inst, const char *o, const char *st, const char *l,
    const char *domains);
/* 1 when name (lower case) is a domain of the institution or under one. */
int sim_inst_domain_ok(const struct sim_inst *inst, const char *name);
/* 1 when the CAA records of the stub map let secomtrust.net issue for name. */
int sim_inst_caa_ok(const struct sim_inst *inst, const char *name);
/* 0 when profile is an RSA profile, 1 when ECC, -1 when unknown. */
int sim_inst_profile_kind(const struct sim_inst *inst, const char *profile);

/* ---- keys and CAs (pki.c) ---- */

struct sim_key {
	int type;                  /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC; 0 = none */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *mem;        /* owned storage of the components */
	br_rsa_public_key rsa_pub; /* only after generation (points into mem) */
	br_ec_public_key ec_pub;
	unsigned char spki[SIM_SPKI_MAX];  /* only after generation */
	size_t spki_len;
};

/* An issuing CA loaded for serve: certificate, its parsed form and key. */
struct sim_ca {
	struct sim_key key;
	unsigned char cert[SIM_CERT_MAX];
	size_t cert_len;
	struct x509_cert parsed;   /* points into cert */
	unsigned char ski[X509_SKI_LEN];
	int sig_alg;
};

/* Deterministic-free randomness: a DRBG seeded from platform_random. */
int sim_rng_init(br_hmac_drbg_context *rng);
void sim_rng_bytes(br_hmac_drbg_context *rng, void *out, size_t n);

int sim_key_load(struct sim_key *k, const char *path);
void sim_key_free(struct sim_key *k);
/* x509_sign_fn for a struct sim_key. */
int sim_key_sign(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen);

/* Create the whole test PKI and the TLS/RA credentials under dir. */
int sim_pki_init(const char *dir, const struct sim_inst *inst, br_hmac_drbg_context *rng,
    char ra_fp[SIM_FP_LEN + 1]);

int sim_ca_load(struct sim_ca *ca, const char *cert_path, const char *key_path);
void sim_ca_free(struct sim_ca *ca);

/* Hex SHA-256 of der (certificate fingerprints for the RA mapping). */
void sim_fingerprint(const unsigned char *der, size_t len, char out[SIM_FP_LEN + 1]);

/* ---- applications ---- */

enum sim_state {
	SIM_ST_PROCESSING = 3,  /* 発行処理中 [X] */
	SIM_ST_MAILED = 4,      /* 発行案内メール送信済み */
	SIM_ST_DOWNLOADED = 5,  /* ダウンロード済み */
	SIM_ST_RENEWED = 6,     /* 更新済み */
	SIM_ST_REVOKED = 7,     /* 失効済み (for kind 3: done) */
	SIM_ST_FAILED = 8,      /* sim_profile.state_failed */
};

struct sim_app {
	char id[SIM_ID_LEN + 1];
	int type;                      /* 1 新規, 2 更新, 3 失効 */
	int state;                     /* enum sim_state */
	char profile[4];
	char dn[SIM_DN_MAX + 1];       /* canonical "CN=..,O=..,L=..,ST=..,C=JP" */
	char cn[SIM_FQDN_MAX + 1];
	char dnsnames[SIM_DNSLIST_MAX + 1]; /* "cn,other,..." */
	char admin_name[SIM_TEXT_MAX], admin_org[SIM_TEXT_MAX];
	char admin_email[SIM_EMAIL_MAX + 1];
	char software[SIM_TEXT_MAX];
	char ref_serial[SIM_SERIAL_MAX + 1]; /* 更新: old certificate; 失効: target */
	int reason;
	char comment[SIM_TEXT_MAX];
	char serial[SIM_SERIAL_MAX + 1];     /* issued certificate, decimal */
	char dl_key[33];                     /* one-time download key; "" once used */
	char ra_fp[SIM_FP_LEN + 1];
	int64_t applied_ms, due_ms, done_ms; /* sim time */
	int64_t not_before, not_after, revoked_s; /* Unix seconds (real) */
	int fail;                            /* issuance will fail (fault) */
	unsigned char key_hash[32];          /* SHA-256 of the SPKI (kinds 1, 2) */
	unsigned char *spki;                 /* malloc'ed; kinds 1, 2 */
	size_t spki_len;
	unsigned char *cert;                 /* malloc'ed once issued */
	size_t cert_len;
};

struct sim_mail {
	unsigned long id;
	int64_t at_ms;
	char kind[16];                 /* issued, revoked, downloaded, failed */
	char to[SIM_EMAIL_MAX + 1];
	char subject[128];
	char app_id[SIM_ID_LEN + 1];
	char serial[SIM_SERIAL_MAX + 1];
	char url[256];
	char body[2048];               /* UTF-8 */
};

struct sim_counters {
	unsigned long logins, uploads, rows_ok, rows_ng, bulk_downloads, rate_limited,
	    downloads, issued, revoked, failed, faults_fired, requests;
};

/* ---- faults (fault.c) ---- */

enum sim_fault_mode {
	SIM_F_MAINTENANCE,   /* 503 + maintenance page */
	SIM_F_5XX,           /* 500 (or "status") + error page */
	SIM_F_RESET,         /* connection closed without an answer */
	SIM_F_SLOW,          /* answer after "seconds" */
	SIM_F_TRUNCATED_TSV, /* bulk TSV cut in the middle of its last row */
	SIM_F_BAD_ROW,       /* bulk TSV with a malformed row first */
	SIM_F_WRONG_ENCODING, /* bulk TSV in UTF-8 (no BOM) */
	SIM_F_REJECT_NEXT,   /* the next accepted application fails at issuance */
	SIM_F_RATE_LIMIT,    /* bulk download answered busy ("rate_limit_breach") */
	SIM_F_SESSION_LOSS,  /* the session is gone at the next request */
	SIM_F_DROP_ANSWER,   /* the request takes effect, then the connection is reset unanswered */
	SIM_F_MAIL_BADSIG,   /* the next rendered mail: its signature value broken */
	SIM_F_MAIL_OTHERKEY, /* the next rendered mail: signed by a stranger CA's key */
	SIM_F_MAIL_OTHERHOST, /* the next rendered mail: its URL on another host, signed */
	SIM_F_MAIL_DELAY,    /* the next mail is delivered by SMTP after "seconds" */
	SIM_F_MAIL_LOST,     /* the next mail is never delivered by SMTP */
	SIM_F_MAIL_DUPLICATE, /* the next mail is delivered by SMTP twice */
	SIM_F_IDLE_CLOSE,    /* a keep-alive connection idle for "seconds" (default 2) is closed */
	SIM_F__MAX
};

struct sim_faults {
	long left[SIM_F__MAX];         /* requests still affected; -1 = until "none" */
	int status_5xx;                /* 500 by default */
	int busy_status;               /* 200 by default (429/503 possible) */
	unsigned slow_ms;
	unsigned mail_delay_ms;        /* mail_delay: 5000 by default */
	unsigned idle_ms;              /* idle_close: 0 means 2000 */
	unsigned n_slow;               /* requests held right now */
	char step[SIM_F__MAX][12];     /* request-level faults: only this step ("" any) */
};

/* A step name of /_sim/fault ("login", "menu", "upload", "bulk", "download"): 0, or -1. */
int sim_fault_step_ok(const char *step);

const char *sim_fault_name(int mode);
int sim_fault_parse(const char *name);

/* ---- the running simulator ---- */

struct sim_opts {
	char listen[80];         /* mTLS listener, "127.0.0.1:PORT" */
	char public_listen[80];  /* listener without client certificates */
	double time_scale;
	int delay_min, delay_max; /* simulated seconds */
	int rate_limit_s;
	int rate_burst;
	int accept_san;
	int accept_wildcards;    /* "*.domain" in the dNSName column [X]: unknown for real UPKI */
	int allow_revoke_status4;
	int pem_quoted;
	int log_level;
	char smtp_to[80];        /* deliver the outbox by SMTP here; "" = no */
};

struct sim_session {
	char id[33];             /* "" = free */
	char ra_fp[SIM_FP_LEN + 1];
	int64_t last_ms;
};

struct sim_bucket {
	char ra_fp[SIM_FP_LEN + 1];
	double tokens;
	int64_t last_ms;
};

struct event_base;
struct event;
struct tls_server;

/* The S/MIME signer of the outbox mails and the stranger's look-alike (smime.c). */
struct sim_smime {
	int loaded;
	struct sim_ca signer;                 /* ca/mail-signer-key.pem, mail-signer.pem */
	struct sim_ca other;                  /* ca/mail-other*.pem (mail_otherkey) */
	unsigned char ca[SIM_CERT_MAX];       /* ca/mail-ca.pem, sent with the signer */
	size_t ca_len;
};

struct sim {
	char dir[SIM_PATH_MAX];
	struct sim_opts opts;
	struct sim_inst inst;
	struct sim_ca ca_rsa;    /* NII Open Domain CA - G8 RSA (SIM) */
	struct sim_ca ca_ecc;    /* NII Open Domain CA - G7 ECC (SIM) */
	struct sim_smime smime;
	br_hmac_drbg_context rng;

	struct sim_app *apps[SIM_MAX_APPS]; /* in application order */
	size_t n_apps;
	struct sim_mail *mails[SIM_MAX_MAILS];
	size_t n_mails;
	unsigned long mail_seq;
	unsigned long app_seq;
	int64_t clock_offset_ms;
	struct sim_counters cnt;

	struct sim_session sessions[SIM_MAX_SESSIONS];
	struct sim_bucket buckets[SIM_MAX_RA];
	struct sim_faults faults;

	struct event_base *base;
	struct event *issue_timer;
	struct tls_server *tls_lra, *tls_pub;
	struct http_server *srv_lra, *srv_pub;
	int lra_port, pub_port;
	char public_url[128];    /* https://127.0.0.1:PUBPORT */
	void *slow_list;         /* fault.c's held requests */
	struct smtp_out *smtp;   /* smtp_out.c's queue; NULL without --smtp-to */
};

/* "1.2.3.4:PORT" or "[v6]:PORT" (main.c). 0 or ERR_MALFORMED. */
int sim_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len, int *port);

/* ---- SMTP delivery (smtp_out.c) ---- */

struct json_w;
/* Deliver every mail added from now on to "ADDR:PORT" (to NULL or "": off). */
int sim_smtp_start(struct sim *s, const char *to);
/* Queue m for delivery (takes the mail_* faults); nothing without sim_smtp_start. */
void sim_smtp_queue(struct sim *s, const struct sim_mail *m);
/* "smtp": {sent, retries, lost, dropped, duplicated, delayed, queued} for /_sim/state. */
void sim_smtp_json(struct json_w *w, const struct sim *s);
void sim_smtp_free(struct sim *s);

/* Sim time in milliseconds (wall clock + offset). */
int64_t sim_now_ms(const struct sim *s);

/* ---- persistence (persist.c; whole files through src/util/file.h) ---- */

/* Standard base64 (white space skipped, '=' padding optional); 0, ERR_MALFORMED, ERR_TOOBIG. */
int sim_b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen);

int sim_state_load(struct sim *s);      /* apps, mails, counters, clock offset */
int sim_state_save_app(struct sim *s, const struct sim_app *a);
int sim_state_save_mail(struct sim *s, const struct sim_mail *m);
int sim_state_remove_mail(struct sim *s, unsigned long id);
int sim_state_save_meta(struct sim *s); /* counters, sequences, clock offset */
void sim_app_free(struct sim_app *a);

/* ---- forms (form.c) ---- */

#define FORM_MAX_PARTS 16

struct form_part {
	char name[64];
	char filename[256];
	int has_filename;
	const unsigned char *data; /* points into the body */
	size_t len;
};

/* Parse a multipart/form-data body; ERR_MALFORMED, ERR_TOOBIG (> max parts). */
int form_multipart_parse(const char *content_type, const unsigned char *body, size_t len,
    struct form_part *parts, int max, int *nparts);
const struct form_part *form_part_find(const struct form_part *parts, int n, const char *name);
/* Value of key in "a=b&c=d" (percent- and '+'-decoded) into out; ERR_NOTFOUND, ERR_TOOBIG. */
int form_urlencoded_get(const char *s, size_t len, const char *key, char *out, size_t outsz);
/* Value of cookie name in a Cookie header. */
int form_cookie_get(const char *hdr, const char *name, char *out, size_t outsz);

/* ---- pages (pages.c): UTF-8 built, sent as EUC-JP ---- */

/* Append s to b with HTML escaping. */
int page_escape(struct buf *b, const char *s);
/* Convert the UTF-8 page in b to EUC-JP and reply with status. */
void page_send(struct http_req *req, int status, struct buf *b);
/* One-sentence pages: busy, maintenance, errors. */
void page_simple(struct http_req *req, int status, const char *title, const char *text);
void page_login(struct http_req *req);
void page_menu(struct http_req *req);
void page_sp1011(struct http_req *req);

/* One row of the upload result. */
struct sim_row_result {
	unsigned row;
	int ok;
	int n_err;
	int codes[SIM_MAX_ROW_ERRORS];
	const char *fields[SIM_MAX_ROW_ERRORS]; /* 項目名 (static strings) */
	char name[SIM_TEXT_MAX], org[SIM_TEXT_MAX], email[SIM_EMAIL_MAX + 1];
};
void page_result(struct http_req *req, const struct sim *s, const struct sim_row_result *rows,
    unsigned n, int all_ok);

/* ---- upload TSV (tsv_check.c) ---- */

/* A checked row, ready to become an application. */
struct sim_row {
	struct sim_app app;            /* spki points into spki_buf below */
	unsigned char spki_buf[SIM_SPKI_MAX];
};

/*
 * Split and check the uploaded TSV of kind type. rows[] (at most
 * SIM_MAX_UPLOAD_ROWS) and res[] get one entry per data line; *n their count.
 * Rows are checked against the simulator's state and against the rows before
 * them in the same file. Returns 0 (see res[].ok), or SIM_E_ROWS for a file
 * with no rows or too many.
 */
int sim_tsv_check(struct sim *s, int type, const unsigned char *data, size_t len,
    struct sim_row *rows, struct sim_row_result *res, unsigned *n);

/* Parse "CN=a,O=b,..." into attributes (x509_name indexes); 0 or ERR_MALFORMED. */
int sim_dn_parse(const char *dn, char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1]);
/* Canonical form of parsed attributes, UPKI order CN,OU,O,L,ST,C. */
int sim_dn_format(char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1], char *out,
    size_t outsz);

/* ---- life cycle (issue.c) ---- */

/* Take an accepted row: allocate the application, persist it, arm the timer. */
int sim_app_accept(struct sim *s, const struct sim_row *row, const char *ra_fp);
/* Process every application that is due, re-arm the timer. */
void sim_issue_run(struct sim *s);
void sim_issue_arm(struct sim *s);
/* Find an issued certificate (kinds 1, 2) by decimal serial. */
struct sim_app *sim_app_by_serial(struct sim *s, const char *serial);
struct sim_app *sim_app_by_dlkey(struct sim *s, const char *key);
/* The one-time URL was used: state 4 -> 5, notice to the RA officer. */
int sim_app_downloaded(struct sim *s, struct sim_app *a);
/* Queue a mail (persisted); oldest dropped beyond SIM_MAX_MAILS. */
int sim_mail_add(struct sim *s, struct sim_mail *m);

/* ---- bulk TSV (bulk.c) ---- */

/* 1 when ra_fp may download now (takes a token), 0 when over the rate limit. */
int sim_bulk_take_token(struct sim *s, const char *ra_fp);
/* Build the bulk TSV of every certificate application, newest first. */
int sim_bulk_build(struct sim *s, struct buf *out);

/* ---- HTTP ---- */

/* Routes of the client-certificate listener and the public listener. */
const struct http_route *sim_lra_routes(struct sim *s, size_t *n);
const struct http_route *sim_pub_routes(struct sim *s, size_t *n);

/*
 * Run the injected faults for a request to /upki-odcert/...: 1 when the fault
 * answered (or dropped, or deferred) the request, 0 to go on. For "slow" the
 * handler fn(req, s) is called later.
 */
int sim_fault_intercept(struct sim *s, struct http_req *req, http_handler_fn fn);
/* Take one request's worth of a fault (1 when it applies now). */
int sim_fault_take(struct sim *s, int mode);
/* Free held requests' timers (shutdown). */
void sim_fault_free(struct sim *s);

void sim_control_state(struct http_req *req, void *arg);
void sim_control_mail(struct http_req *req, void *arg);
void sim_control_clock(struct http_req *req, void *arg);
void sim_control_fault(struct http_req *req, void *arg);

/* ---- S/MIME mails (smime.c) ---- */

/* faults of sim_mail_render(), as taken by sim_mail_faults_take(). */
#define SIM_MAIL_F_BADSIG 1u     /* flip a bit of the signature value */
#define SIM_MAIL_F_OTHERKEY 2u   /* sign with the stranger CA's key */
#define SIM_MAIL_F_OTHERHOST 4u  /* the URL (body and signed) on SIM_MAIL_OTHER_HOST */
#define SIM_MAIL_OTHER_HOST "upki-sim-other.invalid"
#define SIM_MAIL_RENDER_MAX 32768 /* a rendered mail is smaller than this */

/* Load the S/MIME keys of an init'ed DIR; an older DIR without them: loaded = 0. */
int sim_smime_load(struct sim *s);
void sim_smime_free(struct sim *s);
/* Take one mail's worth of the mail_* faults: SIM_MAIL_F_* bits. */
unsigned sim_mail_faults_take(struct sim *s);
/*
 * Render m as UPKI mails it: RFC 5322 headers (Subject in RFC 2047 ISO-2022-JP),
 * multipart/signed (RFC 1847, protocol application/pkcs7-signature), an
 * ISO-2022-JP text part and a detached CMS SignedData (RFC 5652, RSA SHA-256,
 * signer + its CA certificate), CRLF line ends, into out[0..cap) (NUL-terminated;
 * *len without the NUL). 0; ERR_TOOBIG; ERR_STATE when no key is loaded.
 */
int sim_mail_render(const struct sim *s, const struct sim_mail *m, unsigned faults,
    char *out, size_t cap, size_t *len);
/* GET /_sim/mail.eml?id=N: mail N rendered (faults taken), message/rfc822. */
void sim_control_mail_eml(struct http_req *req, void *arg);

/* Date "YYYY/MM/DD HH:MM:SS" in JST. */
void sim_jst_format(int64_t unix_s, char out[20]);

#endif
