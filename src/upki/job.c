/*
 * UPKI jobs in the store: the policy check of a CSR, job creation and the join
 * rule, the upload of a batch with its "submitted" markers, what the answer
 * page does to each job, and the issued/rejected transitions that report to
 * the ACME core inside the same transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bearssl.h>

#include "autoconf.h"
#include "platform.h"
#include "store/records.h"
#include "store/store.h"
#include "upki/tsv_write.h"
#include "upki/upki_int.h"
#include "upki/upki_profile.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "util/timefmt.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define NAMES_MAX (X509_SAN_MAX + 1)

/* ---- names and DNs ---- */

struct nm {
	const char *p;
	size_t len;
};

static int
nm_cmp(const void *a, const void *b)
{
	const struct nm *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;

	for (size_t i = 0; i < n; i++) {
		unsigned char cx = (unsigned char)x->p[i], cy = (unsigned char)y->p[i];

		if (cx >= 'A' && cx <= 'Z')
			cx = (unsigned char)(cx - 'A' + 'a');
		if (cy >= 'A' && cy <= 'Z')
			cy = (unsigned char)(cy - 'A' + 'a');
		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

static void
nm_hash(struct nm *v, size_t n, uint8_t out[REC_SHA256_LEN])
{
	br_sha256_context h;

	qsort(v, n, sizeof(v[0]), nm_cmp);
	br_sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && nm_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		for (size_t k = 0; k < v[i].len; k++) {
			unsigned char ch = (unsigned char)v[i].p[k];

			if (ch >= 'A' && ch <= 'Z')
				ch = (unsigned char)(ch - 'A' + 'a');
			br_sha256_update(&h, &ch, 1);
		}
		br_sha256_update(&h, STR_LIT("\n"));
	}
	br_sha256_out(&h, out);
}

int
upki_names_hash(const char *const *names, size_t n, uint8_t out[REC_SHA256_LEN])
{
	struct nm v[NAMES_MAX];

	if (n == 0 || n > NAMES_MAX)
		return ERR_RANGE;
	for (size_t i = 0; i < n; i++) {
		v[i].p = names[i];
		v[i].len = strlen(names[i]);
	}
	nm_hash(v, n, out);
	return 0;
}

int
upki_cert_names_hash(const struct x509_cert *c, uint8_t out[REC_SHA256_LEN])
{
	struct nm v[NAMES_MAX];
	size_t n = 0;
	const struct x509_str *cn = &c->subject.attr[X509_NAME_CN];

	if (cn->p != NULL && cn->len > 0) {
		v[n].p = cn->p;
		v[n++].len = cn->len;
	}
	for (unsigned i = 0; i < c->ext.san.n_dns && n < NAMES_MAX; i++) {
		v[n].p = c->ext.san.dns[i].p;
		v[n++].len = c->ext.san.dns[i].len;
	}
	if (n == 0)
		return ERR_NOTFOUND;
	nm_hash(v, n, out);
	return 0;
}

int
upki_subject_dn(const struct config *cfg, const char *cn, char *out, size_t outsz, char *why,
    size_t whysz)
{
	struct upki_dn dn = {
		.cn = cn, .o = cfg->upki_org, .l = cfg->upki_locality, .st = cfg->upki_state,
		.c = UPKI_DN_COUNTRY,
	};
	struct upki_err e;
	int rc = upki_dn_format(out, outsz, &dn, &e);

	if (rc != 0 && why != NULL)
		snprintf(why, whysz, "%s", e.msg[0] ? e.msg : err_str(rc));
	return rc;
}

struct dn_part {
	char key[16];
	int rank;
	const char *v;
	size_t vlen;
};

static int
dn_rank(const char *k)
{
	static const char *const order[] = { "CN", "OU", "O", "L", "ST", "C", "EMAILADDRESS" };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(k, order[i]) == 0)
			return (int)i;
	return 100;
}

static int
dn_part_cmp(const void *a, const void *b)
{
	const struct dn_part *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->key, y->key);
}

int
upki_dn_canon(const char *dn, char *out, size_t outsz)
{
	struct dn_part parts[16];
	size_t np = 0, i = 0, n = strlen(dn), o = 0;

	while (i < n) {
		size_t start = i, end, ks, ke, vs, ve;
		const char *eq;
		struct dn_part *p;

		while (i < n && dn[i] != ',') {
			if (dn[i] == '\\' && i + 1 < n)
				i++;
			i++;
		}
		end = i;
		i++;                     /* past ',' */
		while (start < end && (dn[start] == ' ' || dn[start] == '\t'))
			start++;
		if (start == end)
			continue;
		eq = memchr(dn + start, '=', end - start);
		if (eq == NULL)
			return ERR_MALFORMED;
		if (np == sizeof(parts) / sizeof(parts[0]))
			return ERR_TOOBIG;
		ks = start;
		ke = (size_t)(eq - dn);
		while (ke > ks && (dn[ke - 1] == ' ' || dn[ke - 1] == '\t'))
			ke--;
		vs = (size_t)(eq - dn) + 1;
		while (vs < end && (dn[vs] == ' ' || dn[vs] == '\t'))
			vs++;
		ve = end;
		while (ve > vs && (dn[ve - 1] == ' ' || dn[ve - 1] == '\t') &&
		    !(ve >= 2 && dn[ve - 2] == '\\'))
			ve--;
		if (ke == ks || ke - ks >= sizeof(parts[0].key))
			return ERR_MALFORMED;
		p = &parts[np++];
		for (size_t k = 0; k < ke - ks; k++) {
			char ch = dn[ks + k];

			p->key[k] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
		}
		p->key[ke - ks] = '\0';
		if (strcmp(p->key, "S") == 0)
			strcpy(p->key, "ST");
		else if (strcmp(p->key, "E") == 0 || strcmp(p->key, "EMAIL") == 0)
			strcpy(p->key, "EMAILADDRESS");
		p->rank = dn_rank(p->key);
		p->v = dn + vs;
		p->vlen = ve > vs ? ve - vs : 0;
	}
	qsort(parts, np, sizeof(parts[0]), dn_part_cmp);
	for (size_t k = 0; k < np; k++) {
		size_t kl = strlen(parts[k].key);

		if (o + kl + parts[k].vlen + 3 > outsz)
			return ERR_TOOBIG;
		if (k > 0)
			out[o++] = ',';
		memcpy(out + o, parts[k].key, kl);
		o += kl;
		out[o++] = '=';
		memcpy(out + o, parts[k].v, parts[k].vlen);
		o += parts[k].vlen;
	}
	if (o >= outsz)
		return ERR_TOOBIG;
	out[o] = '\0';
	return 0;
}

/* "/C=JP/ST=.../CN=..." for openssl -subj ('/' in a value escaped). */
static void
subj_arg(const struct config *cfg, const char *cn, char *out, size_t outsz)
{
	const char *keys[] = { "C", "ST", "L", "O", "CN" };
	const char *vals[] = { UPKI_DN_COUNTRY, cfg->upki_state, cfg->upki_locality, cfg->upki_org,
	    cn };
	size_t o = 0;

	for (size_t i = 0; i < 5 && o + 8 < outsz; i++) {
		o += (size_t)snprintf(out + o, outsz - o, "/%s=", keys[i]);
		for (const char *p = vals[i]; *p && o + 3 < outsz; p++) {
			if (*p == '/' || *p == '\\')
				out[o++] = '\\';
			out[o++] = *p;
		}
		out[o] = '\0';
	}
}

void
upki_csr_advice(const struct config *cfg, const char *cn, const char *what, char *out,
    size_t outsz)
{
	char subj[400];

	subj_arg(cfg, cn, subj, sizeof(subj));
	snprintf(out, outsz, "%s%sUPKI needs a new RSA 2048-bit key and a CSR with exactly this "
	    "subject%s. Make them with: openssl req -new -newkey rsa:2048 -nodes -keyout %s.key "
	    "-subj \"%s\" -out %s.csr and run certbot certonly --csr %s.csr ... (or lego --csr "
	    "%s.csr ... run)", what, what[0] ? " " : "",
	    cfg->upki_accept_san ? "" : " and no subjectAltName", cn, subj, cn, cn, cn);
}

static void
prob_set(struct issuer_problem *prob, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
prob_set(struct issuer_problem *prob, const char *type, const char *fmt, ...)
{
	va_list ap;

	str_copy(prob->type, sizeof(prob->type), type);
	va_start(ap, fmt);
	vsnprintf(prob->detail, sizeof(prob->detail), fmt, ap);
	va_end(ap);
}

/* ---- check ---- */

static int
attr_is(const struct x509_str *a, const char *want)
{
	return a->p != NULL && a->len == strlen(want) && memcmp(a->p, want, a->len) == 0;
}

/* Append "the CSR's subject has K=V, UPKI needs K=W" style text. */
static void
what_add(char *what, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
what_add(char *what, size_t sz, const char *fmt, ...)
{
	size_t o = strlen(what);
	va_list ap;

	if (o + 4 >= sz)
		return;
	if (o > 0) {
		what[o - 1] = ';';       /* the previous sentence ended in '.' */
		what[o++] = ' ';
		what[o] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(what + o, sz - o, fmt, ap);
	va_end(ap);
}

static void
subject_check(const struct upki *u, const struct x509_csr *c, const char *cn, char *what,
    size_t wsz)
{
	const struct config *cfg = u->cfg;
	static const struct {
		int attr;
		const char *key;
	} want[] = {
		{ X509_NAME_C, "C" }, { X509_NAME_ST, "ST" }, { X509_NAME_L, "L" },
		{ X509_NAME_O, "O" }, { X509_NAME_CN, "CN" },
	};
	const char *vals[] = { UPKI_DN_COUNTRY, cfg->upki_state, cfg->upki_locality, cfg->upki_org,
	    cn };
	int empty = 1;

	for (int a = 0; a < X509_NAME__MAX; a++)
		if (c->subject.attr[a].p != NULL)
			empty = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct x509_str *a = &c->subject.attr[want[i].attr];

		if (a->p == NULL) {
			/* A SAN-accepting profile takes certbot's and lego's subjects as they are. */
			if (!u->cfg->upki_accept_san)
				what_add(what, wsz, "the CSR's subject has no %s.", want[i].key);
		} else if (!attr_is(a, vals[i])) {
			what_add(what, wsz, "the CSR's subject has %s=%.*s where UPKI needs %s=%s.",
			    want[i].key, (int)(a->len > 64 ? 64 : a->len), a->p, want[i].key, vals[i]);
		}
		if (strlen(what) > 400)
			break;
	}
	(void)empty;
	if (c->subject.attr[X509_NAME_OU].p != NULL)
		what_add(what, wsz, "the CSR's subject has an OU, which UPKI refuses.");
	if (c->subject.attr[X509_NAME_EMAIL].p != NULL)
		what_add(what, wsz, "the CSR's subject has an emailAddress, which UPKI refuses.");
	if (c->subject.n_other > 0 || c->subject.n_dup > 0)
		what_add(what, wsz, "the CSR's subject has attributes UPKI does not take.");
}

struct check_read {
	uint8_t spki[REC_SHA256_LEN], names[REC_SHA256_LEN];
	size_t pending;
	int reused;               /* the key was certified and that certificate is unusable */
	char serial[REC_SERIAL_DEC_MAX + 1];
	int64_t now;
};

static int
check_read_fn(struct store_txn *t, void *arg)
{
	struct check_read *cr = arg;
	static uint64_t ids[CONFIG_UPKI_MAX_JOBS];
	const unsigned states[] = { REC_JOB_QUEUED, REC_JOB_SUBMITTED, REC_JOB_FAILED };
	struct rec_job j;
	struct rec_cert c;
	int rc;

	cr->pending = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;

		rc = store_job_list_by_state(t, states[i], 0, ids, CONFIG_UPKI_MAX_JOBS, &n);
		if (rc != 0)
			return rc;
		cr->pending += n;
	}
	rc = store_job_find_by_key(t, cr->spki, cr->names, &j);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (j.state != REC_JOB_ISSUED)
		return 0;
	rc = store_cert_get(t, j.cert_id, &c);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (c.status == REC_CERT_REVOKED || c.not_after <= cr->now) {
		cr->reused = 1;
		str_copy(cr->serial, sizeof(cr->serial), c.serial_dec);
	}
	return 0;
}

int
upki_job_check(struct upki *u, const struct issuer_request *rq, struct issuer_problem *prob)
{
	const struct config *cfg = u->cfg;
	const struct x509_csr *c = rq->csr;
	const char *cn = rq->n_names > 0 ? rq->names[0] : "";
	char what[600] = "", advice[ISSUER_DETAIL_MAX], dn[REC_DN_MAX + 1], why[256];
	struct check_read cr;
	size_t listlen = 0;
	int rc;

	memset(prob, 0, sizeof(*prob));
	if (rq->n_names == 0 || c == NULL) {
		prob_set(prob, "badCSR", "the order names no host");
		return ERR_DENIED;
	}
	if (rq->n_names > UPKI_DNSNAMES_MAX) {
		prob_set(prob, "rejectedIdentifier", "UPKI certifies at most %d names in one "
		    "certificate; this order has %zu: split it", UPKI_DNSNAMES_MAX, rq->n_names);
		return ERR_DENIED;
	}
	for (size_t i = 0; i < rq->n_names; i++) {
		if (!UPKI_WILDCARD_OK && rq->names[i][0] == '*') {
			prob_set(prob, "rejectedIdentifier", "UPKI's TSV service issues no wildcard "
			    "certificates (%s)", rq->names[i]);
			return ERR_DENIED;
		}
		listlen += strlen(rq->names[i]) + (i > 0);
	}
	if (strlen(cn) > UPKI_FQDN_MAX) {
		prob_set(prob, "rejectedIdentifier", "%s is longer than %d characters, UPKI's limit "
		    "for the first name (the CN)", cn, UPKI_FQDN_MAX);
		return ERR_DENIED;
	}
	if (listlen > UPKI_DNSNAMES_LIST_MAX) {
		prob_set(prob, "rejectedIdentifier", "the names take %zu characters; UPKI takes at "
		    "most %d in one application", listlen, UPKI_DNSNAMES_LIST_MAX);
		return ERR_DENIED;
	}
	if (upki_subject_dn(cfg, cn, dn, sizeof(dn), why, sizeof(why)) != 0) {
		char other[REC_DN_MAX + 1];

		if (upki_subject_dn(cfg, "www.example.ac.jp", other, sizeof(other), NULL, 0) == 0)
			prob_set(prob, "rejectedIdentifier", "UPKI cannot certify %s: %s", cn, why);
		else
			prob_set(prob, "serverInternal", "the UPKI subject for %s cannot be written "
			    "(check upki_org, upki_state, upki_locality): %s", cn, why);
		return ERR_DENIED;
	}
	if (c->key.type == X509_KEY_RSA) {
		if (c->key.bits != 2048)
			what_add(what, sizeof(what), "the CSR's key is RSA-%u; UPKI takes RSA 2048-bit "
			    "keys.", c->key.bits);
	} else if (c->key.type == X509_KEY_EC) {
		if (cfg->upki_profile_ecc[0] == '\0')
			what_add(what, sizeof(what), "the CSR's key is ECDSA; this UPKI profile takes "
			    "RSA 2048-bit keys only.");
		else if (c->key.curve != BR_EC_secp256r1 && c->key.curve != BR_EC_secp384r1)
			what_add(what, sizeof(what), "the CSR's ECDSA curve is not P-256 or P-384.");
	} else {
		what_add(what, sizeof(what), "the CSR's key type is not accepted by UPKI.");
	}
	subject_check(u, c, cn, what, sizeof(what));
	if (c->ext.has_san && !cfg->upki_accept_san)
		what_add(what, sizeof(what), "the CSR has a subjectAltName extension, which UPKI "
		    "refuses (it takes the names from the application).");
	if (what[0] != '\0') {
		upki_csr_advice(cfg, cn, what, advice, sizeof(advice));
		prob_set(prob, "badCSR", "%s", advice);
		return ERR_DENIED;
	}
	memset(&cr, 0, sizeof(cr));
	cr.now = u->now();
	x509_spki_hash(c->key.spki.p, c->key.spki.len, cr.spki);
	if ((rc = upki_names_hash(rq->names, rq->n_names, cr.names)) != 0) {
		prob_set(prob, "badCSR", "too many names");
		return ERR_DENIED;
	}
	rc = store_read(u->store, check_read_fn, &cr);
	if (rc != 0 && rc != ERR_STATE) {
		prob_set(prob, "serverInternal", "cannot read the UPKI jobs: %s", err_str(rc));
		return ERR_DENIED;
	}
	if (cr.reused) {
		char w[200];

		snprintf(w, sizeof(w), "This key was certified before (serial %s) and that "
		    "certificate is revoked or expired; UPKI refuses a key it has seen.", cr.serial);
		upki_csr_advice(cfg, cn, w, advice, sizeof(advice));
		prob_set(prob, "badCSR", "%s", advice);
		return ERR_DENIED;
	}
	if (cr.pending >= CONFIG_UPKI_MAX_JOBS) {
		prob_set(prob, "rateLimited", "%zu UPKI applications are pending, the most this "
		    "gateway keeps: retry later", cr.pending);
		return ERR_DENIED;
	}
	return 0;
}

/* ---- submit and join ---- */

int
upki_join_add(struct store_txn *t, uint64_t job_id, uint64_t order_id)
{
	size_t n = 0;
	uint64_t ids[UPKI_JOIN_MAX];
	int rc = upki_join_list(t, job_id, ids, UPKI_JOIN_MAX, &n);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (ids[i] == order_id)
			return 0;
	if (n >= UPKI_JOIN_MAX)
		return ERR_TOOBIG;
	return store_join_add(t, job_id, order_id);
}

int
upki_join_list(struct store_txn *t, uint64_t job_id, uint64_t *ids, size_t max, size_t *n)
{
	return store_join_list(t, job_id, ids, max, n);
}

static int
join_clear(struct store_txn *t, uint64_t job_id, const uint64_t *ids, size_t n)
{
	(void)ids;
	(void)n;
	return store_join_clear(t, job_id);
}

int
upki_job_submit(struct upki *u, struct store_txn *t, const struct issuer_request *rq,
    uint64_t *job_id, int *already_issued, uint64_t *cert_id)
{
	struct rec_job j;
	struct rec_dn d;
	uint8_t spki[REC_SHA256_LEN], names[REC_SHA256_LEN];
	char why[256];
	int rc;

	*already_issued = 0;
	*cert_id = 0;
	if (rq->csr == NULL || rq->n_names == 0)
		return ERR_RANGE;
	x509_spki_hash(rq->csr->key.spki.p, rq->csr->key.spki.len, spki);
	if ((rc = upki_names_hash(rq->names, rq->n_names, names)) != 0)
		return rc;
	rc = store_job_find_by_key(t, spki, names, &j);
	if (rc == 0) {
		*job_id = j.id;
		if (j.state == REC_JOB_ISSUED) {
			*already_issued = 1;
			*cert_id = j.cert_id;
			log_info("upki: order %" PRIu64 " joins job %" PRIu64 ", already issued (cert %"
			    PRIu64 ")", rq->order_id, j.id, j.cert_id);
			return 0;
		}
		log_info("upki: order %" PRIu64 " joins job %" PRIu64 " (%s)", rq->order_id, j.id,
		    rec_job_state_str(j.state));
		if (j.order_id == rq->order_id)
			return 0;
		return upki_join_add(t, j.id, rq->order_id);
	}
	if (rc != ERR_NOTFOUND)
		return rc;
	memset(&j, 0, sizeof(j));
	if ((rc = upki_subject_dn(u->cfg, rq->names[0], j.subject_dn, sizeof(j.subject_dn), why,
	    sizeof(why))) != 0) {
		log_err("upki: order %" PRIu64 ": %s", rq->order_id, why);
		return rc;
	}
	if ((rc = store_seq_next(t, STORE_SEQ_JOB, &j.id)) != 0)
		return rc;
	j.order_id = rq->order_id;
	j.kind = REC_JOB_NEW;
	j.state = REC_JOB_QUEUED;
	j.created = u->now();
	memcpy(j.spki_sha256, spki, sizeof(spki));
	memcpy(j.names_sha256, names, sizeof(names));
	rc = store_dn_get(t, j.subject_dn, &d);
	if (rc == 0) {
		/* Ever issued: 更新 with the old serial; without one, the next bulk TSV finds it. */
		j.kind = REC_JOB_RENEW;
		str_copy(j.old_serial_dec, sizeof(j.old_serial_dec), d.last_serial_dec);
	} else if (rc != ERR_NOTFOUND) {
		return rc;
	}
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	*job_id = j.id;
	log_info("upki: job %" PRIu64 " queued for order %" PRIu64 ": %s %s%s%s",
	    j.id, rq->order_id, j.kind == REC_JOB_RENEW ? "renewal of" : "new", j.subject_dn,
	    j.old_serial_dec[0] ? " serial " : "", j.old_serial_dec);
	return 0;
}

/* ---- revoke ---- */

int
upki_job_revoke(struct upki *u, struct store_txn *t, const struct rec_cert *cert, int reason,
    struct issuer_problem *prob)
{
	static const int reasons[] = UPKI_REVOKE_REASONS;
	struct rec_job j, issued;
	struct x509_cert xc;
	int ok = 0, rc;

	memset(prob, 0, sizeof(*prob));
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i] == reason)
			ok = 1;
	if (!ok) {
		prob_set(prob, "badRevocationReason", "UPKI takes the revocation reasons 0 "
		    "(unspecified), 1 (keyCompromise), 3 (affiliationChanged), 4 (superseded) and 5 "
		    "(cessationOfOperation), not %d", reason);
		return ERR_DENIED;
	}
	if (!u->cfg->upki_revoke_status4) {
		prob_set(prob, "unauthorized", "UPKI refuses to revoke serial %s while its state is "
		    "4 (発行案内メール送信済み): the gateway took the certificate from the bulk list, "
		    "not through the one-time URL mailed to the administrator (UPKI error %d). Ask "
		    "the RA officer to revoke it in the UPKI support system, or download it once "
		    "through the mailed URL and ask the operator to set upki_revoke_status4 = yes",
		    cert->serial_dec, UPKI_E_REVOKE_STATE);
		return ERR_DENIED;
	}
	memset(&j, 0, sizeof(j));
	if (cert->job_id != 0 && store_job_get(t, cert->job_id, &issued) == 0)
		str_copy(j.subject_dn, sizeof(j.subject_dn), issued.subject_dn);
	if (j.subject_dn[0] == '\0') {
		if (x509_cert_parse(&xc, cert->der, cert->der_len) != 0 ||
		    x509_name_format(&xc.subject, j.subject_dn, sizeof(j.subject_dn)) < 0) {
			prob_set(prob, "serverInternal", "the stored certificate does not parse");
			return ERR_DENIED;
		}
	}
	if ((rc = store_seq_next(t, STORE_SEQ_JOB, &j.id)) != 0)
		return rc;
	j.kind = REC_JOB_REVOKE;
	j.state = REC_JOB_QUEUED;
	j.created = u->now();
	j.cert_id = cert->id;
	j.revoke_reason = (uint8_t)reason;
	str_copy(j.old_serial_dec, sizeof(j.old_serial_dec), cert->serial_dec);
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	log_info("upki: job %" PRIu64 " queued: revoke serial %s (reason %d)", j.id,
	    cert->serial_dec, reason);
	return 0;
}

/* ---- issued and rejected ---- */

static int
job_pending(const struct rec_job *j)
{
	return j->state == REC_JOB_QUEUED || j->state == REC_JOB_SUBMITTED ||
	    j->state == REC_JOB_FAILED;
}

static int
job_report(struct upki *u, struct store_txn *t, const struct rec_job *j, int rc,
    const struct rec_cert *c, const struct issuer_problem *prob)
{
	uint64_t ids[UPKI_JOIN_MAX];
	size_t n = 0;
	int e;

	if (j->kind == REC_JOB_REVOKE)
		return 0;
	if ((e = upki_join_list(t, j->id, ids, UPKI_JOIN_MAX, &n)) != 0)
		return e;
	if (u->is.ev.issued != NULL) {
		if (j->order_id != 0 &&
		    (e = u->is.ev.issued(u->is.ev.arg, t, j->order_id, rc, c, prob)) != 0)
			return e;
		for (size_t i = 0; i < n; i++)
			if ((e = u->is.ev.issued(u->is.ev.arg, t, ids[i], rc, c, prob)) != 0)
				return e;
	}
	return join_clear(t, j->id, ids, n);
}

int
upki_job_issue(struct upki *u, struct store_txn *t, uint64_t job_id, const unsigned char *der,
    size_t der_len, const char *app_id, int64_t now, struct rec_cert *cert_out)
{
	static struct rec_cert c;
	struct rec_job j;
	struct rec_order o;
	struct rec_dn d;
	struct x509_cert xc;
	const struct x509_str *icn;
	int rc;

	if ((rc = store_job_get(t, job_id, &j)) != 0)
		return rc;
	if (!job_pending(&j) || j.kind == REC_JOB_REVOKE)
		return 0;
	if (der_len > REC_DER_MAX || x509_cert_parse(&xc, der, der_len) != 0 ||
	    xc.serial.len == 0 || xc.serial.len > REC_SERIAL_MAX)
		return ERR_MALFORMED;
	memset(&c, 0, sizeof(c));
	rc = store_cert_find_by_serial(t, xc.serial.p, xc.serial.len, &c);
	if (rc == ERR_NOTFOUND) {
		memset(&c, 0, sizeof(c));
		if ((rc = store_seq_next(t, STORE_SEQ_CERT, &c.id)) != 0)
			return rc;
		c.order_id = j.order_id;
		if (j.order_id != 0 && store_order_get(t, j.order_id, &o) == 0)
			c.account_id = o.account_id;
		memcpy(c.serial, xc.serial.p, xc.serial.len);
		c.serial_len = xc.serial.len;
		if (x509_serial_dec(xc.serial.p, xc.serial.len, c.serial_dec,
		    sizeof(c.serial_dec)) < 0)
			return ERR_RANGE;
		c.not_before = xc.not_before;
		c.not_after = xc.not_after;
		c.status = REC_CERT_VALID;
		memcpy(c.der, der, der_len);
		c.der_len = der_len;
		icn = &xc.issuer.attr[X509_NAME_CN];
		if (icn->p != NULL)
			snprintf(c.chain, sizeof(c.chain), "%.*s",
			    (int)(icn->len < REC_CHAIN_MAX ? icn->len : REC_CHAIN_MAX), icn->p);
		c.job_id = j.id;
		if ((rc = store_cert_put(t, &c)) != 0)
			return rc;
	} else if (rc != 0) {
		return rc;
	}
	j.state = REC_JOB_ISSUED;
	j.cert_id = c.id;
	j.error[0] = '\0';
	if (app_id != NULL && app_id[0] != '\0')
		str_copy(j.upki_app_id, sizeof(j.upki_app_id), app_id);
	if ((rc = store_job_put(t, &j)) != 0)
		return rc;
	memset(&d, 0, sizeof(d));
	if ((rc = store_dn_get(t, j.subject_dn, &d)) != 0 && rc != ERR_NOTFOUND)
		return rc;
	str_copy(d.dn, sizeof(d.dn), j.subject_dn);
	str_copy(d.last_serial_dec, sizeof(d.last_serial_dec), c.serial_dec);
	d.updated = now;
	if ((rc = store_dn_put(t, &d)) != 0)
		return rc;
	if ((rc = job_report(u, t, &j, 0, &c, NULL)) != 0)
		return rc;
	if (cert_out != NULL)
		*cert_out = c;
	log_info("upki: job %" PRIu64 " issued: serial %s for %s (application %s)", j.id,
	    c.serial_dec, j.subject_dn, j.upki_app_id[0] ? j.upki_app_id : "?");
	return 0;
}

int
upki_job_reject(struct upki *u, struct store_txn *t, struct rec_job *j, const char *type,
    const char *detail, int64_t now)
{
	struct issuer_problem prob;
	int rc;

	(void)now;
	j->state = REC_JOB_REJECTED;
	str_copy(j->error, sizeof(j->error), detail);
	if ((rc = store_job_put(t, j)) != 0)
		return rc;
	str_copy(prob.type, sizeof(prob.type), type);
	str_copy(prob.detail, sizeof(prob.detail), detail);
	if (j->kind == REC_JOB_REVOKE)
		log_err("upki: job %" PRIu64 " (revoke serial %s) refused: %s", j->id,
		    j->old_serial_dec, detail);
	else
		log_warn("upki: job %" PRIu64 " rejected (%s): %s", j->id, type, detail);
	return job_report(u, t, j, ERR_REJECTED, NULL, &prob);
}

/* ---- upload of a batch ---- */

struct upki_batch {
	struct upki *u;
	int kind;
	size_t n;
	uint64_t ids[UPKI_UPLOAD_ROWS_MAX];
	struct upki_tsv w;
	char *tsv;
	size_t cap;
	int64_t now;
	const struct upki_sess_result *res;
	unsigned accepted, refused, retried, unknown;
};

/*
 * A fault of the connection or a passing server error (the request may simply
 * be tried again): retried within seconds, backing off from
 * CONFIG_UPKI_RETRY_FAST_S. Refusals, rate limits and TLS or login trouble
 * wait from upki_retry_base.
 */
static int
fault_is_fast(const struct upki_sess_result *res)
{
	if (res->maintenance)
		return 0;
	switch (res->rc) {
	case ERR_CLOSED:
	case ERR_TIMEOUT:
	case ERR_AGAIN:
	case -EPIPE:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

static int64_t
backoff_s(const struct config *cfg, uint32_t attempts, int fast)
{
	int64_t s = fast ? CONFIG_UPKI_RETRY_FAST_S : cfg->upki_retry_base_s;

	for (uint32_t i = 1; i < attempts && s < UPKI_BACKOFF_MAX_S; i++)
		s *= 2;
	return s > UPKI_BACKOFF_MAX_S ? UPKI_BACKOFF_MAX_S : s;
}

static enum upki_apply_type
kind_apply(int kind)
{
	return kind == REC_JOB_RENEW ? UPKI_APPLY_RENEW :
	    kind == REC_JOB_REVOKE ? UPKI_APPLY_REVOKE : UPKI_APPLY_NEW;
}

/* One row for j (order o for new/renew). 0, or ERR_REJECTED with why filled. */
static int
batch_row(struct upki_batch *b, const struct rec_job *j, const struct rec_order *o, char *why,
    size_t whysz)
{
	const struct config *cfg = b->u->cfg;
	struct upki_app a;
	struct upki_err e;
	struct x509_csr csr;
	char csr_pem[REC_CSR_MAX * 2];
	const char *names[REC_IDENT_N];
	char cn[REC_IDENT_MAX + 1] = "";
	int rc;

	memset(&a, 0, sizeof(a));
	a.type = kind_apply(j->kind);
	a.admin_email = cfg->upki_admin_email;
	if (j->kind == REC_JOB_REVOKE) {
		a.dn_raw = j->subject_dn;
		a.serial = j->old_serial_dec;
		a.reason = j->revoke_reason;
		a.comment = j->revoke_reason == UPKI_REVOKE_COMMENT_REQUIRED_FOR ?
		    "revoked through ACME (upki-acme)" : NULL;
	} else {
		if (o->n_idents == 0 || o->csr_len == 0) {
			snprintf(why, whysz, "order %" PRIu64 " holds no CSR", o->id);
			return ERR_REJECTED;
		}
		for (size_t i = 0; i < o->n_idents && i < REC_IDENT_N; i++)
			names[i] = o->idents[i].value;
		str_copy(cn, sizeof(cn), o->idents[0].value);
		rc = pem_encode(csr_pem, sizeof(csr_pem), "CERTIFICATE REQUEST", o->csr, o->csr_len);
		if (rc < 0 || x509_csr_parse(&csr, o->csr, o->csr_len) != 0) {
			snprintf(why, whysz, "the stored CSR of order %" PRIu64 " is unusable", o->id);
			return ERR_REJECTED;
		}
		a.dn.cn = cn;
		a.dn.o = cfg->upki_org;
		a.dn.l = cfg->upki_locality;
		a.dn.st = cfg->upki_state;
		a.dn.c = UPKI_DN_COUNTRY;
		a.profile_id = csr.key.type == X509_KEY_EC && cfg->upki_profile_ecc[0] ?
		    cfg->upki_profile_ecc : cfg->upki_profile;
		a.csr_pem = csr_pem;
		a.admin_name = cfg->upki_admin_name;
		a.admin_org = cfg->upki_admin_dept;
		a.software = cfg->upki_server_software[0] ? cfg->upki_server_software : "unknown";
		a.dnsnames = names;
		a.n_dnsnames = o->n_idents;
		a.serial = j->kind == REC_JOB_RENEW ? j->old_serial_dec : NULL;
	}
	rc = upki_tsv_append(&b->w, &a, &e);
	if (rc != 0) {
		snprintf(why, whysz, "the UPKI application cannot be written: %s%s%s",
		    e.column > 0 ? "column " : "", e.column > 0 ? "" : "", e.msg[0] ? e.msg :
		    err_str(rc));
		return rc == ERR_NOMEM ? ERR_NOMEM : ERR_REJECTED;
	}
	return 0;
}

struct build_arg {
	struct upki_batch *b;
	const uint64_t *ids;
	size_t n;
};

/* Build the TSV and commit the markers (state submitted, outcome unknown) in one go. */
static int
batch_build_fn(struct store_txn *t, void *arg)
{
	struct build_arg *ba = arg;
	struct upki_batch *b = ba->b;
	struct upki *u = b->u;
	static struct rec_order o;
	struct rec_job j;
	char why[400];
	int rc;

	b->n = 0;
	upki_tsv_init(&b->w, b->tsv, b->cap);
	for (size_t i = 0; i < ba->n && b->n < UPKI_UPLOAD_ROWS_MAX; i++) {
		if ((rc = store_job_get(t, ba->ids[i], &j)) != 0)
			return rc;
		if (!job_pending(&j) || j.kind != b->kind)
			continue;
		memset(&o, 0, sizeof(o));
		if (j.kind != REC_JOB_REVOKE && (rc = store_order_get(t, j.order_id, &o)) != 0) {
			if (rc != ERR_NOTFOUND)
				return rc;
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", "the order is gone",
			    b->now)) != 0)
				return rc;
			continue;
		}
		rc = batch_row(b, &j, &o, why, sizeof(why));
		if (rc == ERR_NOMEM)
			break;        /* the buffer is full: the rest waits for the next upload */
		if (rc != 0) {
			if ((rc = upki_job_reject(u, t, &j, "serverInternal", why, b->now)) != 0)
				return rc;
			continue;
		}
		j.state = REC_JOB_SUBMITTED;
		j.submitted_at = b->now;
		j.expected_at = 0;
		j.attempts++;
		j.next_attempt = b->now + u->cfg->upki_resubmit_grace_s;
		j.upki_app_id[0] = '\0';
		if ((rc = store_job_put(t, &j)) != 0)
			return rc;
		b->ids[b->n++] = j.id;
	}
	return 0;
}

/* Codes of the error lines about row (1-based); lines naming no valid row count for all. */
static int
row_codes(const struct upki_result *r, int row, int nrows, int *codes, int max)
{
	int n = 0;

	for (int k = 0; k < r->n_errors && n < max; k++)
		if (r->errors[k].row == row || r->errors[k].row < 1 || r->errors[k].row > nrows)
			codes[n++] = r->errors[k].code;
	return n;
}

static void
row_detail(const struct upki_result *r, int row, int nrows, char *out, size_t outsz)
{
	size_t o = 0;

	o += (size_t)snprintf(out, outsz, "UPKI refused the application");
	for (int k = 0; k < r->n_errors && o + 8 < outsz; k++) {
		const struct upki_result_error *e = &r->errors[k];

		if (e->row != row && e->row >= 1 && e->row <= nrows)
			continue;
		o += (size_t)snprintf(out + o, outsz - o, "%s %d %s: %s", o > 30 ? ";" : ":",
		    e->code, e->field, e->message);
	}
	if (o >= outsz)
		out[outsz - 1] = '\0';
}

static int
row_listed_ok(const struct upki_result *r, int row)
{
	for (int k = 0; k < r->n_rows; k++)
		if (r->rows[k].seq == row)
			return r->rows[k].ok ? 1 : -1;
	return 0;
}

static int
all_codes_in(const int *codes, int n, int a, int b)
{
	for (int i = 0; i < n; i++)
		if (codes[i] != a && codes[i] != b)
			return 0;
	return n > 0;
}

static int
batch_refused(struct upki_batch *b, struct store_txn *t, struct rec_job *j, int row)
{
	struct upki *u = b->u;
	const struct upki_result *r = &b->res->page;
	int codes[UPKI_RESULT_MAX_ERRORS], nc, nrows = (int)b->n;
	char detail[ISSUER_DETAIL_MAX], what[600];
	const char *type;

	nc = row_codes(r, row, nrows, codes, UPKI_RESULT_MAX_ERRORS);
	row_detail(r, row, nrows, what, sizeof(what));
	if (j->attempts > 1 && all_codes_in(codes, nc, UPKI_E_CSR_KEY_REUSED, UPKI_E_DN_EXISTS)) {
		/* An earlier upload may have arrived: wait for its certificate. */
		j->expected_at = b->now + u->cfg->upki_expected_delay_s;
		j->next_attempt = b->now + u->cfg->upki_resubmit_grace_s;
		str_copy(j->error, sizeof(j->error), what);
		log_info("upki: job %" PRIu64 ": UPKI knows this application already (attempt %"
		    PRIu32 "): waiting for its certificate", j->id, j->attempts);
		b->accepted++;
		return store_job_put(t, j);
	}
	if (j->attempts < (uint32_t)u->cfg->upki_max_attempts &&
	    ((j->kind == REC_JOB_NEW && all_codes_in(codes, nc, UPKI_E_DN_EXISTS, UPKI_E_DN_EXISTS)) ||
	    (j->kind == REC_JOB_RENEW &&
	    all_codes_in(codes, nc, UPKI_E_SERIAL_UNKNOWN, UPKI_E_SERIAL_STATE)))) {
		/* 更新 needed, or the old serial is stale: the next bulk TSV names the serial. */
		j->kind = REC_JOB_RENEW;
		j->old_serial_dec[0] = '\0';
		j->state = REC_JOB_QUEUED;
		j->next_attempt = 0;
		j->expected_at = 0;
		str_copy(j->error, sizeof(j->error), what);
		log_info("upki: job %" PRIu64 ": %s: renewing; the bulk TSV will name the serial",
		    j->id, what);
		b->retried++;
		return store_job_put(t, j);
	}
	b->refused++;
	type = nc > 0 ? upki_err_to_acme(codes[0]) : "serverInternal";
	if (j->kind == REC_JOB_REVOKE && nc > 0 && codes[0] == UPKI_E_REVOKE_STATE) {
		snprintf(detail, sizeof(detail), "%s (UPKI revokes no certificate in state 4, "
		    "発行案内メール送信済み, i.e. taken from the bulk list: the RA officer revokes it, "
		    "or the administrator downloads it once through the mailed URL first)", what);
	} else if (strcmp(type, "badCSR") == 0) {
		char cn[REC_IDENT_MAX + 1] = "";
		const char *eq = strstr(j->subject_dn, "CN=");

		if (eq != NULL) {
			size_t k = 0;

			for (eq += 3; *eq && *eq != ',' && k + 1 < sizeof(cn); eq++)
				cn[k++] = *eq;
			cn[k] = '\0';
		}
		upki_csr_advice(u->cfg, cn, what, detail, sizeof(detail));
	} else {
		str_copy(detail, sizeof(detail), what);
	}
	return upki_job_reject(u, t, j, type, detail, b->now);
}

static int
batch_transient(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	struct upki *u = b->u;
	char since[TIMEFMT_RFC3339_LEN], detail[ISSUER_DETAIL_MAX];

	if (j->attempts >= (uint32_t)u->cfg->upki_max_attempts) {
		timefmt_rfc3339(since, sizeof(since), j->created);
		snprintf(detail, sizeof(detail), "UPKI unreachable since %s (%" PRIu32 " attempts): "
		    "%s", since, j->attempts, b->res->why);
		b->refused++;
		return upki_job_reject(u, t, j, "serverInternal", detail, b->now);
	}
	j->state = REC_JOB_FAILED;
	j->next_attempt = b->now + backoff_s(u->cfg, j->attempts, fault_is_fast(b->res));
	str_copy(j->error, sizeof(j->error), b->res->why);
	b->retried++;
	return store_job_put(t, j);
}

/*
 * UPKI had the whole upload but no answer came: the job stays submitted with
 * its outcome unknown, and the next complete bulk TSV settles it (the
 * application listed: confirmed; no trace: uploaded again, see poll.c).
 */
static int
batch_unknown(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	b->unknown++;
	j->expected_at = 0;
	j->next_attempt = b->now;
	j->error[0] = '\0';
	log_info("upki: job %" PRIu64 ": upload outcome unknown (%s): the next bulk TSV tells "
	    "whether UPKI has it", j->id, b->res->why);
	return store_job_put(t, j);
}

static int
batch_accept(struct upki_batch *b, struct store_txn *t, struct rec_job *j)
{
	b->accepted++;
	j->error[0] = '\0';
	if (j->kind == REC_JOB_REVOKE) {
		struct rec_cert c;
		int rc;

		j->state = REC_JOB_ISSUED;
		log_info("upki: job %" PRIu64 ": UPKI accepted the revocation of serial %s", j->id,
		    j->old_serial_dec);
		/* The CA has the revocation: the certificate shows revoked (ACME, ARI) from now on. */
		if (j->cert_id != 0 && store_cert_get(t, j->cert_id, &c) == 0 &&
		    c.status != REC_CERT_REVOKED) {
			c.status = REC_CERT_REVOKED;
			c.reason = j->revoke_reason;
			c.revoked_at = b->now;
			if ((rc = store_cert_put(t, &c)) != 0)
				return rc;
		}
	} else {
		j->expected_at = j->submitted_at + b->u->cfg->upki_expected_delay_s;
		j->next_attempt = 0;
	}
	return store_job_put(t, j);
}

static int
batch_apply_fn(struct store_txn *t, void *arg)
{
	struct upki_batch *b = arg;
	const struct upki_sess_result *res = b->res;
	struct rec_job j;
	int codes[1], rc;

	b->accepted = b->refused = b->retried = b->unknown = 0;
	for (size_t i = 0; i < b->n; i++) {
		int row = (int)i + 1, listed;

		if ((rc = store_job_get(t, b->ids[i], &j)) != 0)
			return rc;
		if (j.state != REC_JOB_SUBMITTED)
			continue;
		if (res->rc == 0) {
			rc = batch_accept(b, t, &j);
		} else if (res->rc == ERR_REJECTED && res->page_parsed) {
			listed = row_listed_ok(&res->page, row);
			if (row_codes(&res->page, row, (int)b->n, codes, 1) > 0 || listed < 0)
				rc = batch_refused(b, t, &j, row);
			else if (listed > 0)
				rc = batch_accept(b, t, &j);
			else
				rc = 0;   /* not listed: outcome unknown, the bulk TSV will tell */
		} else if (res->outcome_unknown) {
			rc = batch_unknown(b, t, &j);
		} else {
			rc = batch_transient(b, t, &j);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
upki_upload_free(struct upki_batch *b)
{
	free(b ? b->tsv : NULL);
	free(b);
}

static void
batch_free(struct upki_batch *b)
{
	if (b == NULL)
		return;
	free(b->tsv);
	free(b);
}

int
upki_upload_finish(struct upki_batch *b, const struct upki_sess_result *res)
{
	struct upki *u = b->u;
	int rc;

	b->res = res;
	b->now = u->now();
	if (res->rc != 0 && res->rc != ERR_REJECTED)
		u->st.upload_failures++;
	rc = store_write(u->store, batch_apply_fn, b);
	if (rc != 0)
		log_err("upki: cannot record the upload result: %s", err_str(rc));
	else
		log_info("upki: upload of %zu %s application(s): %u accepted, %u refused, %u to retry, "
		    "%u unknown%s%s", b->n, b->kind == REC_JOB_RENEW ? "renewal" :
		    b->kind == REC_JOB_REVOKE ? "revocation" : "new", b->accepted, b->refused,
		    b->retried, b->unknown, res->rc != 0 ? ": " : "", res->rc != 0 ? res->why : "");
	batch_free(b);
	return rc;
}

static void
upload_done_cb(void *arg, const struct upki_sess_result *res)
{
	struct upki_batch *b = arg;
	struct upki *u = b->u;

	if (u->crash_after) {
		log_warn("upki: UPKI_TEST_CRASH_AFTER_UPLOAD: exiting after the upload (%s)",
		    err_str(res->rc));
		_exit(137);
	}
	u->busy = 0;
	u->batch = NULL;
	if (res->rc == ERR_DENIED || res->rc == ERR_TLS)
		upki_sess_reset(u->sess);
	upki_upload_finish(b, res);
	upki_sched_soon(u);
}

int
upki_upload_prepare(struct upki *u, int kind, const uint64_t *ids, size_t n,
    struct upki_batch **out, const void **tsv, size_t *len)
{
	struct upki_batch *b = calloc(1, sizeof(*b));
	struct build_arg ba;
	int rc;

	*out = NULL;
	if (b == NULL)
		return ERR_NOMEM;
	b->u = u;
	b->kind = kind;
	b->cap = (size_t)UPKI_UPLOAD_ROWS_MAX * 4096;
	b->tsv = malloc(b->cap);
	if (b->tsv == NULL) {
		batch_free(b);
		return ERR_NOMEM;
	}
	b->now = u->now();
	ba.b = b;
	ba.ids = ids;
	ba.n = n;
	if ((rc = store_write(u->store, batch_build_fn, &ba)) != 0) {
		batch_free(b);
		return rc;
	}
	if (b->n == 0) {
		batch_free(b);
		return 1;
	}
	*out = b;
	*tsv = b->w.buf;
	*len = b->w.len;
	return 0;
}

size_t
upki_upload_rows(const struct upki_batch *b)
{
	return b->n;
}

int
upki_upload_start(struct upki *u, int kind, const uint64_t *ids, size_t n)
{
	struct upki_batch *b = NULL;
	const void *tsv = NULL;
	size_t len = 0;
	int rc = upki_upload_prepare(u, kind, ids, n, &b, &tsv, &len);

	if (rc != 0)
		return rc;
	if (u->crash_before) {
		log_warn("upki: UPKI_TEST_CRASH_BEFORE_UPLOAD: exiting before the upload");
		_exit(137);
	}
	log_info("upki: uploading %zu %s application(s) (%zu bytes)", b->n,
	    kind == REC_JOB_RENEW ? "renewal" : kind == REC_JOB_REVOKE ? "revocation" : "new", len);
	u->st.uploads++;
	rc = upki_sess_upload(u->sess, kind_apply(kind), tsv, len, upload_done_cb, b);
	if (rc != 0) {
		/* Nothing was sent: the jobs wait for their back-off, not for the grace period. */
		static struct upki_sess_result res;

		memset(&res, 0, sizeof(res));
		res.rc = rc;
		snprintf(res.why, sizeof(res.why), "cannot start the upload: %s", err_str(rc));
		upki_upload_finish(b, &res);
		return rc;
	}
	u->busy = 1;
	u->batch = b;
	return 0;
}
