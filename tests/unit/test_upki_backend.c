/*
 * The UPKI backend without a network: CSR policy (check), job creation and the
 * join rule, the upload answers (accepted, refused, transient, duplicates),
 * the bulk TSV matching (by key and names, never by row order), crash
 * recovery decisions, renewal serial lookup, chain selection, DN and names
 * canonical forms, and the endpoint configuration. CSRs and certificates are
 * made with openssl at test time in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acme/issuer.h"
#include "autoconf.h"
#include "store/records.h"
#include "store/store.h"
#include "upki/backend.h"
#include "upki/chain.h"
#include "upki/job.h"
#include "upki/poll.h"
#include "upki/result_page.h"
#include "upki/session.h"
#include "upki/sjis.h"
#include "upki/tsv_bulk.h"
#include "upki/upki_core.h"
#include "upki/upki_profile.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define SUBJ "/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=www.example.ac.jp"
#define DN "CN=www.example.ac.jp,O=Example University,L=Nagoya,ST=Aichi,C=JP"
#define T0 1800000000LL

static char dir[64];
static int64_t now_s = T0;

static int64_t
test_now(void)
{
	return now_s;
}

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n;

	cmd[0] = '(';
	va_start(ap, fmt);
	n = vsnprintf(cmd + 1, sizeof(cmd) - 40, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	strcat(cmd, ") >/dev/null 2>&1");
	return system(cmd);
}

static size_t
slurp(const char *name, char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* PEM file -> DER (first block). */
static size_t
load_der(const char *name, unsigned char *der, size_t cap)
{
	static char text[65536];
	char label[PEM_LABEL_MAX + 1];
	size_t n = slurp(name, text, sizeof(text)), pos = 0, len = 0;

	assert_int_equal(pem_decode(text, n, &pos, label, sizeof(label), der, cap, &len), 0);
	return len;
}

struct csr_file {
	unsigned char der[4096];
	size_t len;
	struct x509_csr c;
};

static void
load_csr(const char *name, struct csr_file *f)
{
	f->len = load_der(name, f->der, sizeof(f->der));
	assert_int_equal(x509_csr_parse(&f->c, f->der, f->len), 0);
}

static int
group_setup(void **state)
{
	(void)state;
	log_set_level(PLOG_ERR);
	snprintf(dir, sizeof(dir), "/tmp/upki-backend.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if (sh("cd %s && printf 'subjectAltName=DNS:www.example.ac.jp\\n' > san.ext && "
	    "printf 'basicConstraints=critical,CA:TRUE\\n' > ca.ext && "
	    "openssl req -new -newkey rsa:2048 -nodes -keyout good.key -subj '" SUBJ "' -out good.csr && "
	    "openssl req -new -newkey rsa:2048 -nodes -keyout other.key -subj '" SUBJ "' -out other.csr && "
	    "openssl req -new -key good.key -subj '" SUBJ "' -addext subjectAltName=DNS:www.example.ac.jp -out san.csr && "
	    "openssl req -new -key good.key -subj '/C=JP/ST=Aichi/L=Nagoya/O=Example University/OU=IT/CN=www.example.ac.jp' -out ou.csr && "
	    "openssl req -new -key good.key -subj '/C=JP/ST=Aichi/L=Nagoya/O=Other University/CN=www.example.ac.jp' -out wrongo.csr && "
	    "openssl req -new -newkey rsa:3072 -nodes -keyout big.key -subj '" SUBJ "' -out big.csr && "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -subj '" SUBJ "' -out ec.csr && "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ec384.key -subj '" SUBJ "' -out ec384.csr && "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -keyout ec521.key -subj '" SUBJ "' -out ec521.csr && "
	    "openssl req -new -key ec.key -subj / -addext subjectAltName=DNS:www.example.ac.jp -out certbot.csr",
	    dir) != 0)
		return -1;
	/* Issuing hierarchy: Root2 and TLS Root 2024 (self-signed), the cross certificate
	 * of TLS Root 2024 under Root2, G8 under TLS Root 2024, G7 under Root2. */
	if (sh("cd %s && E='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
	    "openssl req -x509 $E -keyout r2.key -subj /CN=Root2 -days 30 -out r2.pem && "
	    "openssl req -x509 $E -keyout t24.key -subj '/CN=TLS Root 2024' -days 30 -out t24.pem && "
	    "openssl req -new -key t24.key -subj '/CN=TLS Root 2024' -out t24x.csr && "
	    "openssl x509 -req -in t24x.csr -CA r2.pem -CAkey r2.key -set_serial 2 -days 30 -extfile ca.ext -out t24x.pem && "
	    "openssl req -new $E -keyout g8.key -subj /CN=G8 -out g8.csr && "
	    "openssl x509 -req -in g8.csr -CA t24.pem -CAkey t24.key -set_serial 3 -days 30 -extfile ca.ext -out g8.pem && "
	    "openssl req -new $E -keyout g7.key -subj /CN=G7 -out g7.csr && "
	    "openssl x509 -req -in g7.csr -CA r2.pem -CAkey r2.key -set_serial 4 -days 30 -extfile ca.ext -out g7.pem && "
	    "openssl x509 -req -in good.csr -CA g8.pem -CAkey g8.key -set_serial 123456789 -days 30 -extfile san.ext -out leaf.pem && "
	    "openssl x509 -req -in other.csr -CA g8.pem -CAkey g8.key -set_serial 987654321 -days 30 -extfile san.ext -out leaf-other.pem && "
	    "openssl x509 -req -in good.csr -CA g7.pem -CAkey g7.key -set_serial 555 -days 30 -extfile san.ext -out leaf7.pem && "
	    "cat g7.pem r2.pem t24.pem t24x.pem g8.pem > chains.pem", dir) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (dir[0] != '\0')
		sh("rm -rf %s", dir);
	return 0;
}

/* ---- a backend on a fresh store ---- */

struct issued_call {
	uint64_t order_id;
	int rc;
	uint64_t cert_id;
	char type[64];
	char detail[ISSUER_DETAIL_MAX];
};

struct fx {
	struct config cfg;
	struct store *store;
	struct upki *u;
	struct issued_call calls[16];
	int ncalls;
	char sdir[128];
};

static int
cap_issued(void *arg, struct store_txn *t, uint64_t order_id, int rc, const struct rec_cert *c,
    const struct issuer_problem *prob)
{
	struct fx *f = arg;
	struct issued_call *k = &f->calls[f->ncalls < 16 ? f->ncalls++ : 15];

	(void)t;
	memset(k, 0, sizeof(*k));
	k->order_id = order_id;
	k->rc = rc;
	k->cert_id = c ? c->id : 0;
	if (prob) {
		snprintf(k->type, sizeof(k->type), "%s", prob->type);
		snprintf(k->detail, sizeof(k->detail), "%s", prob->detail);
	}
	return 0;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static int seq;

	if (f == NULL)
		return -1;
	config_defaults(&f->cfg);
	snprintf(f->cfg.upki_org, sizeof(f->cfg.upki_org), "Example University");
	snprintf(f->cfg.upki_state, sizeof(f->cfg.upki_state), "Aichi");
	snprintf(f->cfg.upki_locality, sizeof(f->cfg.upki_locality), "Nagoya");
	snprintf(f->cfg.upki_admin_name, sizeof(f->cfg.upki_admin_name), "Yamada Taro");
	snprintf(f->cfg.upki_admin_dept, sizeof(f->cfg.upki_admin_dept), "ICT");
	snprintf(f->cfg.upki_admin_email, sizeof(f->cfg.upki_admin_email), "taro@example.ac.jp");
	f->cfg.upki_expected_delay_s = 300;
	f->cfg.upki_resubmit_grace_s = 600;
	f->cfg.upki_retry_base_s = 60;
	f->cfg.upki_max_attempts = 3;
	snprintf(f->sdir, sizeof(f->sdir), "%s/db%d", dir, seq++);
	if (store_open(&f->store, f->sdir, STORE_OPEN_NOSYNC) != 0 ||
	    upki_core_new(&f->u, NULL, f->store, &f->cfg) != 0)
		return -1;
	f->u->now = test_now;
	f->u->is.ev.issued = cap_issued;
	f->u->is.ev.arg = f;
	now_s = T0;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	upki_core_free(f->u);
	store_close(f->store);
	sh("rm -rf %s", f->sdir);
	free(f);
	return 0;
}

static void
fill_rq(struct issuer_request *rq, struct csr_file *cf, const char *const *names, size_t n,
    uint64_t order_id)
{
	memset(rq, 0, sizeof(*rq));
	rq->order_id = order_id;
	rq->csr_der = cf->der;
	rq->csr_len = cf->len;
	rq->csr = &cf->c;
	rq->names = names;
	rq->n_names = n;
}

struct sub {
	struct fx *f;
	const struct issuer_request *rq;
	struct csr_file *cf;
	uint64_t job_id, cert_id;
	int already;
};

/* An order (processing, with its CSR) and the backend's submit, in one transaction. */
static int
sub_fn(struct store_txn *t, void *arg)
{
	struct sub *s = arg;
	static struct rec_order o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.id = s->rq->order_id;
	o.status = REC_ORDER_PROCESSING;
	o.n_idents = s->rq->n_names;
	for (size_t i = 0; i < s->rq->n_names; i++) {
		o.idents[i].type = REC_IDENT_DNS;
		snprintf(o.idents[i].value, sizeof(o.idents[i].value), "%s", s->rq->names[i]);
	}
	memcpy(o.csr, s->cf->der, s->cf->len);
	o.csr_len = s->cf->len;
	rc = s->f->u->is.ops->submit(s->f->u, t, s->rq, &s->job_id, &s->already, &s->cert_id);
	if (rc != 0)
		return rc;
	o.job_id = s->job_id;
	return store_order_put(t, &o);
}

static uint64_t
submit_names(struct fx *f, const char *file, uint64_t order_id, int *already,
    const char *const *names, size_t n)
{
	static struct csr_file cf;
	struct issuer_request rq;
	struct sub s;

	load_csr(file, &cf);
	fill_rq(&rq, &cf, names, n, order_id);
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.rq = &rq;
	s.cf = &cf;
	assert_int_equal(store_write(f->store, sub_fn, &s), 0);
	if (already != NULL)
		*already = s.already;
	return s.job_id;
}

static uint64_t
submit_csr(struct fx *f, const char *file, uint64_t order_id, int *already)
{
	const char *names[] = { "www.example.ac.jp" };

	return submit_names(f, file, order_id, already, names, 1);
}

struct jobio {
	uint64_t id;
	struct rec_job j;
	uint64_t ids[64];
	size_t n;
	struct rec_dn d;
	struct rec_cert c;
	int rc;
};

static int
job_get_fn(struct store_txn *t, void *arg)
{
	struct jobio *io = arg;

	return store_job_get(t, io->id, &io->j);
}

static int
job_put_fn(struct store_txn *t, void *arg)
{
	struct jobio *io = arg;

	return store_job_put(t, &io->j);
}

static struct rec_job
job_get(struct fx *f, uint64_t id)
{
	struct jobio io;

	memset(&io, 0, sizeof(io));
	io.id = id;
	assert_int_equal(store_read(f->store, job_get_fn, &io), 0);
	return io.j;
}

static void
job_put(struct fx *f, const struct rec_job *j)
{
	struct jobio io;

	memset(&io, 0, sizeof(io));
	io.j = *j;
	assert_int_equal(store_write(f->store, job_put_fn, &io), 0);
}

static int
join_fn(struct store_txn *t, void *arg)
{
	struct jobio *io = arg;

	return upki_join_list(t, io->id, io->ids, 64, &io->n);
}

static int
misc_fn(struct store_txn *t, void *arg)
{
	struct jobio *io = arg;

	io->rc = store_dn_get(t, DN, &io->d);
	if (io->j.cert_id != 0)
		return store_cert_get(t, io->j.cert_id, &io->c);
	return 0;
}

/* ---- check ---- */

static void
check_one(struct fx *f, const char *file, const char *const *names, size_t n, int want_rc,
    const char *want_type, const char *want_text)
{
	struct csr_file cf;
	struct issuer_request rq;
	struct issuer_problem prob;
	int rc;

	load_csr(file, &cf);
	fill_rq(&rq, &cf, names, n, 1);
	rc = f->u->is.ops->check(f->u, &rq, &prob);
	if (rc != want_rc)
		fail_msg("%s: check() = %d, want %d (%s: %s)", file, rc, want_rc, prob.type,
		    prob.detail);
	if (want_type != NULL && strcmp(prob.type, want_type) != 0)
		fail_msg("%s: type '%s', want '%s' (%s)", file, prob.type, want_type, prob.detail);
	if (want_text != NULL && strstr(prob.detail, want_text) == NULL)
		fail_msg("%s: detail lacks '%s': %s", file, want_text, prob.detail);
	assert_true(strlen(prob.detail) < ISSUER_DETAIL_MAX);
}

static void
test_check_rules(void **state)
{
	struct fx *f = *state;
	const char *one[] = { "www.example.ac.jp" };
	const char *two[] = { "www.example.ac.jp", "alt.example.ac.jp" };
	const char *nine[] = { "www.example.ac.jp", "a.example.ac.jp", "b.example.ac.jp",
	    "c.example.ac.jp", "d.example.ac.jp", "e.example.ac.jp", "f.example.ac.jp",
	    "g.example.ac.jp", "h.example.ac.jp" };
	const char *wild[] = { "www.example.ac.jp", "*.example.ac.jp" };
	const char *other_cn[] = { "mail.example.ac.jp" };

	check_one(f, "good.csr", one, 1, 0, NULL, NULL);
	/* UPKI takes the other names from the application, not from the CSR. */
	check_one(f, "good.csr", two, 2, 0, NULL, NULL);
	check_one(f, "san.csr", one, 1, ERR_DENIED, "badCSR", "subjectAltName extension");
	check_one(f, "san.csr", one, 1, ERR_DENIED, "badCSR",
	    "openssl req -new -newkey rsa:2048 -nodes -keyout www.example.ac.jp.key -subj "
	    "\"/C=JP/ST=Aichi/L=Nagoya/O=Example University/CN=www.example.ac.jp\" "
	    "-out www.example.ac.jp.csr");
	check_one(f, "san.csr", one, 1, ERR_DENIED, "badCSR", "certbot certonly --csr "
	    "www.example.ac.jp.csr");
	check_one(f, "san.csr", one, 1, ERR_DENIED, "badCSR", "lego --csr");
	check_one(f, "ou.csr", one, 1, ERR_DENIED, "badCSR", "OU");
	check_one(f, "wrongo.csr", one, 1, ERR_DENIED, "badCSR",
	    "O=Other University where UPKI needs O=Example University");
	check_one(f, "big.csr", one, 1, ERR_DENIED, "badCSR", "RSA-3072");
	check_one(f, "ec.csr", one, 1, ERR_DENIED, "badCSR", "ECDSA");
	check_one(f, "certbot.csr", one, 1, ERR_DENIED, "badCSR", "no C");
	check_one(f, "good.csr", other_cn, 1, ERR_DENIED, "badCSR",
	    "CN=www.example.ac.jp where UPKI needs CN=mail.example.ac.jp");
	check_one(f, "good.csr", nine, 9, ERR_DENIED, "rejectedIdentifier", "at most 8");
	check_one(f, "good.csr", wild, 2, ERR_DENIED, "rejectedIdentifier", "wildcard");

	/* A profile that accepts SAN-bearing CSRs, and ECDSA under its own profile ID. */
	f->cfg.upki_accept_san = 1;
	snprintf(f->cfg.upki_profile_ecc, sizeof(f->cfg.upki_profile_ecc), "4");
	check_one(f, "san.csr", one, 1, 0, NULL, NULL);
	check_one(f, "certbot.csr", one, 1, 0, NULL, NULL);
	check_one(f, "ec.csr", one, 1, 0, NULL, NULL);
	check_one(f, "ec384.csr", one, 1, 0, NULL, NULL);
	check_one(f, "ec521.csr", one, 1, ERR_DENIED, "badCSR", "not P-256 or P-384");
	check_one(f, "wrongo.csr", one, 1, ERR_DENIED, "badCSR", "O=Other University");
}

/* ---- submit and join ---- */

static void
test_submit_join(void **state)
{
	struct fx *f = *state;
	struct jobio io;
	struct rec_job j;
	uint64_t a, b, c;
	int already = -1;

	a = submit_csr(f, "good.csr", 11, &already);
	assert_int_equal(already, 0);
	j = job_get(f, a);
	assert_int_equal(j.state, REC_JOB_QUEUED);
	assert_int_equal(j.kind, REC_JOB_NEW);
	assert_int_equal(j.order_id, 11);
	assert_string_equal(j.subject_dn, DN);
	/* Same key and names from another order: the same job, the order joins it. */
	b = submit_csr(f, "good.csr", 12, &already);
	assert_int_equal(b, a);
	assert_int_equal(already, 0);
	memset(&io, 0, sizeof(io));
	io.id = a;
	assert_int_equal(store_read(f->store, join_fn, &io), 0);
	assert_int_equal(io.n, 1);
	assert_int_equal(io.ids[0], 12);
	/* Another key: a job of its own (the DN was never issued: new). */
	c = submit_csr(f, "other.csr", 13, &already);
	assert_int_not_equal(c, a);
	assert_int_equal(job_get(f, c).kind, REC_JOB_NEW);
}

/* ---- upload answers ---- */

/* The result page of upki_profile.h, EUC-JP, parsed into r. rows: "OK" or an error line. */
static void
make_page(struct upki_sess_result *r, const char *const *rows, int n)
{
	static char html[16384], enc[32768];
	size_t o = 0, elen = 0;
	int all_ok = 1;

	for (int i = 0; i < n; i++)
		if (strcmp(rows[i], "OK") != 0)
			all_ok = 0;
	o += (size_t)snprintf(html + o, sizeof(html) - o, "<html><head><meta http-equiv="
	    "\"Content-Type\" content=\"text/html; charset=EUC-JP\"><title>%s</title></head><body>"
	    "<p>%s</p><table border=\"1\"><tr><th>SEQ</th><th>処理結果</th><th>エラー内容</th>"
	    "</tr>", all_ok ? UPKI_TEXT_RESULT_TITLE : UPKI_TEXT_ERROR_TITLE,
	    all_ok ? UPKI_TEXT_UPLOAD_DONE : UPKI_TEXT_UPLOAD_FAILED);
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(html + o, sizeof(html) - o, "<tr><td>%d</td><td>%s</td><td>%s"
		    "</td></tr>", i + 1, strcmp(rows[i], "OK") ? "NG" : "OK",
		    strcmp(rows[i], "OK") ? rows[i] : "");
	o += (size_t)snprintf(html + o, sizeof(html) - o, "</table></body></html>");
	assert_int_equal(eucjp_from_utf8(enc, sizeof(enc), &elen, html, o, NULL), 0);
	memset(r, 0, sizeof(*r));
	r->rc = upki_result_parse(&r->page, enc, elen);
	r->page_parsed = 1;
	upki_result_detail(&r->page, r->why, sizeof(r->why));
}

static struct upki_batch *
prepare(struct fx *f, int kind, const uint64_t *ids, size_t n, size_t want_rows)
{
	struct upki_batch *b = NULL;
	const void *tsv = NULL;
	size_t len = 0;

	assert_int_equal(upki_upload_prepare(f->u, kind, ids, n, &b, &tsv, &len), 0);
	assert_int_equal(upki_upload_rows(b), want_rows);
	assert_true(len > 100);
	assert_memory_equal(tsv, "CN=", 3);
	for (size_t i = 0; i < n; i++) {
		struct rec_job j = job_get(f, ids[i]);

		/* The marker is committed before anything is sent. */
		assert_int_equal(j.state, REC_JOB_SUBMITTED);
		assert_int_equal(j.expected_at, 0);
		assert_int_equal(j.submitted_at, now_s);
		assert_int_equal(j.next_attempt, now_s + f->cfg.upki_resubmit_grace_s);
	}
	return b;
}

static void
test_upload_accept_and_refuse(void **state)
{
	struct fx *f = *state;
	uint64_t ids[2];
	struct upki_sess_result res;
	const char *rows[] = { "OK", "218:2,CSR,この公開鍵はすでに使用されています。" };
	struct rec_job j;

	ids[0] = submit_csr(f, "good.csr", 21, NULL);
	ids[1] = submit_csr(f, "other.csr", 22, NULL);
	make_page(&res, rows, 2);
	assert_int_equal(res.rc, ERR_REJECTED);
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, ids, 2, 2), &res), 0);
	j = job_get(f, ids[0]);
	assert_int_equal(j.state, REC_JOB_SUBMITTED);
	assert_int_equal(j.expected_at, T0 + f->cfg.upki_expected_delay_s);
	j = job_get(f, ids[1]);
	assert_int_equal(j.state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(f->calls[0].order_id, 22);
	assert_int_equal(f->calls[0].rc, ERR_REJECTED);
	assert_string_equal(f->calls[0].type, "badCSR");
	assert_non_null(strstr(f->calls[0].detail, "218"));
	assert_non_null(strstr(f->calls[0].detail, "この公開鍵はすでに使用されています"));
	assert_non_null(strstr(f->calls[0].detail, "openssl req -new -newkey rsa:2048"));
}

static void
test_upload_transient_backoff(void **state)
{
	struct fx *f = *state;
	uint64_t id = submit_csr(f, "good.csr", 31, NULL);
	struct upki_sess_result res;
	struct rec_job j;

	memset(&res, 0, sizeof(res));
	res.rc = ERR_AGAIN;
	res.maintenance = 1;
	snprintf(res.why, sizeof(res.why), "UPKI answered HTTP 503 (maintenance)");
	for (int attempt = 1; attempt <= 3; attempt++) {
		assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &res), 0);
		j = job_get(f, id);
		assert_int_equal(j.attempts, attempt);
		if (attempt < 3) {
			assert_int_equal(j.state, REC_JOB_FAILED);
			/* 60, 120: doubled each time */
			assert_int_equal(j.next_attempt, now_s + 60 * (1 << (attempt - 1)));
			assert_non_null(strstr(j.error, "maintenance"));
			now_s = j.next_attempt;
		}
	}
	assert_int_equal(j.state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_string_equal(f->calls[0].type, "serverInternal");
	assert_non_null(strstr(f->calls[0].detail, "UPKI unreachable since 2027-01-15T08:00:00Z"));
	assert_non_null(strstr(f->calls[0].detail, "3 attempts"));
}

/* A fault in transit (the upload never reached UPKI in full) is tried again within seconds. */
static void
test_upload_fault_retried_fast(void **state)
{
	struct fx *f = *state;
	uint64_t id = submit_csr(f, "good.csr", 32, NULL);
	static const int faults[] = { -EPIPE, -ECONNRESET, ERR_CLOSED, ERR_TIMEOUT, ERR_AGAIN };
	struct upki_sess_result res;
	struct rec_job j;

	f->cfg.upki_max_attempts = 10;
	for (int attempt = 1; attempt <= 5; attempt++) {
		memset(&res, 0, sizeof(res));
		res.rc = faults[attempt - 1];
		snprintf(res.why, sizeof(res.why), "POST 127.0.0.1:1/SP1011.do: %s", err_str(res.rc));
		assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &res), 0);
		j = job_get(f, id);
		assert_int_equal(j.state, REC_JOB_FAILED);
		assert_int_equal(j.next_attempt,
		    now_s + (int64_t)CONFIG_UPKI_RETRY_FAST_S * (1 << (attempt - 1)));
		now_s = j.next_attempt;
	}
	/* A refusal of the RA officer's certificate waits from upki_retry_base. */
	memset(&res, 0, sizeof(res));
	res.rc = ERR_DENIED;
	snprintf(res.why, sizeof(res.why), "UPKI refused the RA officer certificate (HTTP 403)");
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &res), 0);
	j = job_get(f, id);
	assert_int_equal(j.next_attempt, now_s + (int64_t)f->cfg.upki_retry_base_s * (1 << 5));
	assert_int_equal(f->ncalls, 0);
}

static void
test_upload_dn_exists_becomes_renewal(void **state)
{
	struct fx *f = *state;
	uint64_t id = submit_csr(f, "good.csr", 41, NULL);
	const char *rows[] = { "212:1,主体者DN,指定したDNはすでに存在しています。" };
	struct upki_sess_result res;
	struct rec_job j;

	make_page(&res, rows, 1);
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &res), 0);
	j = job_get(f, id);
	assert_int_equal(j.state, REC_JOB_QUEUED);
	assert_int_equal(j.kind, REC_JOB_RENEW);
	assert_string_equal(j.old_serial_dec, "");
	assert_int_equal(f->ncalls, 0);
}

static void
test_upload_duplicate_on_retry_waits(void **state)
{
	struct fx *f = *state;
	uint64_t id = submit_csr(f, "good.csr", 51, NULL);
	const char *rows[] = { "218:1,CSR,この公開鍵はすでに使用されています。" };
	struct upki_sess_result res, lost;
	struct upki_poll *p = NULL;
	struct rec_job j;
	static const char tsv[] = "\xEF\xBB\xBF発行・更新申請-申請ID\t発行・更新申請-シリアル番号\t"
	    "主体者DN\t状態\t証明書(PEM形式)\r\n";

	/* The first upload's answer is lost: it may have arrived. */
	memset(&lost, 0, sizeof(lost));
	lost.rc = ERR_CLOSED;
	snprintf(lost.why, sizeof(lost.why), "connection closed by peer");
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &lost), 0);
	assert_int_equal(job_get(f, id).state, REC_JOB_FAILED);
	now_s += 120;
	/* The retry is refused as a known key: keep waiting, do not fail the order. */
	make_page(&res, rows, 1);
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &id, 1, 1), &res), 0);
	j = job_get(f, id);
	assert_int_equal(j.state, REC_JOB_SUBMITTED);
	assert_int_not_equal(j.expected_at, 0);
	assert_non_null(strstr(j.error, "218"));
	assert_int_equal(f->ncalls, 0);
	/* No trace of it in the list after the grace period: now the order fails. */
	now_s += f->cfg.upki_resubmit_grace_s + 1;
	assert_int_equal(upki_poll_begin(f->u, &p, now_s), 0);
	assert_int_equal(upki_poll_feed(p, tsv, strlen(tsv)), 0);
	assert_int_equal(upki_poll_end(p, 1), 0);
	assert_int_equal(job_get(f, id).state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_string_equal(f->calls[0].type, "badCSR");
}

/* ---- bulk TSV matching ---- */

struct tsvb {
	char buf[65536];
	size_t len;
};

static void
tsv_header(struct tsvb *t)
{
	t->len = 0;
	t->len += (size_t)snprintf(t->buf, sizeof(t->buf), "\xEF\xBB\xBF");
	for (int c = 0; c < UPKI_BCOL__MAX; c++)
		t->len += (size_t)snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s%s",
		    c ? "\t" : "", upki_bulk_cols[c].names[0]);
	t->len += (size_t)snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "\r\n");
}

/* One row; pem_file NULL: no certificate yet. */
static void
tsv_row(struct tsvb *t, const char *app_id, const char *serial, const char *dn, int st,
    int kind, int64_t applied, const char *pem_file)
{
	char pem[8192] = "", one[8192], date[24];
	size_t k = 0;

	if (pem_file != NULL) {
		slurp(pem_file, pem, sizeof(pem));
		for (char *p = pem; *p; p++)
			if (*p != '\n' && *p != '\r')
				one[k++] = *p;
	}
	one[k] = '\0';
	upki_jst_format(date, sizeof(date), applied);
	t->len += (size_t)snprintf(t->buf + t->len, sizeof(t->buf) - t->len,
	    "%s\t%s\t%s\t%d\t%d\t3\twww.example.ac.jp\tYamada\ttaro@example.ac.jp\t%s\t\t\t\t%s\r\n",
	    app_id, serial, dn, st, kind, date, one);
}

static int
poll_run(struct fx *f, const struct tsvb *t)
{
	struct upki_poll *p = NULL;
	int rc;

	assert_int_equal(upki_poll_begin(f->u, &p, now_s), 0);
	/* In odd pieces, as the network delivers it. */
	for (size_t o = 0; o < t->len; o += 777) {
		rc = upki_poll_feed(p, t->buf + o, t->len - o < 777 ? t->len - o : 777);
		assert_int_equal(rc, 0);
	}
	return upki_poll_end(p, 1);
}

static void
confirm(struct fx *f, uint64_t id)
{
	struct rec_job j = job_get(f, id);

	j.state = REC_JOB_SUBMITTED;
	j.attempts = 1;
	j.submitted_at = now_s;
	j.expected_at = now_s + 300;
	j.next_attempt = 0;
	job_put(f, &j);
}

static void
test_poll_issues_by_key_not_order(void **state)
{
	struct fx *f = *state;
	static struct tsvb t;
	struct jobio io;
	uint64_t id = submit_csr(f, "good.csr", 61, NULL);

	assert_int_equal(submit_csr(f, "good.csr", 62, NULL), id);   /* joins */
	confirm(f, id);
	now_s += 400;
	tsv_header(&t);
	/* Same DN, another key (listed first); another DN; then ours. */
	tsv_row(&t, "202600000007", "987654321", DN, 4, 1, T0 + 10, "leaf-other.pem");
	tsv_row(&t, "202600000008", "555", "CN=mail.example.ac.jp,O=Example University,L=Nagoya,"
	    "ST=Aichi,C=JP", 4, 1, T0 + 10, "leaf7.pem");
	tsv_row(&t, "202600000009", "123456789", "C=JP, ST=Aichi, L=Nagoya, O=Example University, "
	    "CN=www.example.ac.jp", 4, 1, T0 + 20, "leaf.pem");
	assert_int_equal(poll_run(f, &t), 0);
	memset(&io, 0, sizeof(io));
	io.j = job_get(f, id);
	assert_int_equal(io.j.state, REC_JOB_ISSUED);
	assert_string_equal(io.j.upki_app_id, "202600000009");
	assert_int_equal(store_read(f->store, misc_fn, &io), 0);
	assert_string_equal(io.c.serial_dec, "123456789");
	assert_string_equal(io.c.chain, "G8");
	assert_int_equal(io.c.order_id, 61);
	assert_int_equal(io.rc, 0);
	assert_string_equal(io.d.last_serial_dec, "123456789");
	/* Both orders of the job, in the same commit. */
	assert_int_equal(f->ncalls, 2);
	assert_int_equal(f->calls[0].order_id, 61);
	assert_int_equal(f->calls[1].order_id, 62);
	assert_int_equal(f->calls[0].rc, 0);
	assert_int_equal(f->calls[1].cert_id, io.c.id);
	io.id = id;
	assert_int_equal(store_read(f->store, join_fn, &io), 0);
	assert_int_equal(io.n, 0);
	/* A client that comes back with the same CSR gets the certificate at once. */
	{
		int already = 0;

		assert_int_equal(submit_csr(f, "good.csr", 63, &already), id);
		assert_int_equal(already, 1);
	}
	/* The DN is known now: a new key for it is a renewal of the last serial. */
	{
		uint64_t r = submit_csr(f, "other.csr", 64, NULL);
		struct rec_job j = job_get(f, r);

		assert_int_equal(j.kind, REC_JOB_RENEW);
		assert_string_equal(j.old_serial_dec, "123456789");
	}
}

static void
test_poll_key_with_other_names(void **state)
{
	struct fx *f = *state;
	static struct tsvb t;
	const char *names[] = { "www.example.ac.jp", "alt.example.ac.jp" };
	uint64_t id = submit_names(f, "good.csr", 66, NULL, names, 2);

	confirm(f, id);
	tsv_header(&t);
	tsv_row(&t, "202600000011", "123456789", DN, 4, 1, T0 + 10, "leaf.pem");
	assert_int_equal(poll_run(f, &t), 0);
	/* The certificate carries the key but not alt.example.ac.jp: not this order's. */
	assert_int_equal(job_get(f, id).state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(f->calls[0].rc, ERR_REJECTED);
	assert_non_null(strstr(f->calls[0].detail, "other names (serial 123456789"));
}

/*
 * UPKI had the whole upload and the answer was lost: nothing is uploaded again
 * until a bulk TSV read after it shows no trace of the application; one that
 * lists it confirms the job.
 */
static void
test_upload_outcome_unknown(void **state)
{
	struct fx *f = *state;
	static struct tsvb t;
	uint64_t arrived = submit_csr(f, "good.csr", 33, NULL);
	uint64_t lost = submit_csr(f, "other.csr", 34, NULL);
	struct upki_sess_result res;
	struct rec_job j;
	int64_t t_fail;

	memset(&res, 0, sizeof(res));
	res.rc = ERR_TIMEOUT;
	res.outcome_unknown = 1;
	snprintf(res.why, sizeof(res.why), "POST 127.0.0.1:1/SP1011.do: timed out");
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &arrived, 1, 1), &res), 0);
	assert_int_equal(upki_upload_finish(prepare(f, REC_JOB_NEW, &lost, 1, 1), &res), 0);
	t_fail = now_s;
	for (int k = 0; k < 2; k++) {
		j = job_get(f, k ? lost : arrived);
		assert_int_equal(j.state, REC_JOB_SUBMITTED);     /* not queued for a blind upload */
		assert_int_equal(j.attempts, 1);
		assert_int_equal(j.expected_at, 0);
		assert_int_equal(j.next_attempt, t_fail);         /* the next bulk TSV settles it */
		assert_string_equal(j.error, "");
	}
	j = job_get(f, lost);
	j.subject_dn[3] = 'X';     /* another DN: not in the list below */
	job_put(f, &j);
	now_s += 60;
	tsv_header(&t);
	tsv_row(&t, "202600000200", "", DN, 3, 1, T0 + 5, NULL);
	assert_int_equal(poll_run(f, &t), 0);
	j = job_get(f, arrived);
	assert_int_equal(j.state, REC_JOB_SUBMITTED);
	assert_string_equal(j.upki_app_id, "202600000200");
	assert_int_equal(j.attempts, 1);
	j = job_get(f, lost);
	assert_int_equal(j.state, REC_JOB_QUEUED);              /* no trace: uploaded again */
	assert_int_equal(j.attempts, 1);
	assert_int_equal(f->ncalls, 0);
}

static void
test_poll_crash_recovery(void **state)
{
	struct fx *f = *state;
	static struct tsvb t;
	uint64_t arrived, lost;
	struct rec_job j;

	arrived = submit_csr(f, "good.csr", 71, NULL);
	lost = submit_csr(f, "other.csr", 72, NULL);
	/* Both marked "submitted, outcome unknown" (the process died during the upload). */
	for (int k = 0; k < 2; k++) {
		j = job_get(f, k ? lost : arrived);
		j.state = REC_JOB_SUBMITTED;
		j.attempts = 1;
		j.submitted_at = now_s;
		j.next_attempt = now_s + f->cfg.upki_resubmit_grace_s;
		job_put(f, &j);
	}
	/* Same DN for both: one application since the jobs exist, still processing. */
	now_s += 60;
	tsv_header(&t);
	tsv_row(&t, "202600000100", "", DN, 3, 1, T0 + 5, NULL);
	tsv_row(&t, "202600000001", "42", DN, 5, 1, T0 - 86400, NULL);  /* older: not ours */
	assert_int_equal(poll_run(f, &t), 0);
	/* Two candidates for one application: ambiguous, neither is bound. */
	assert_string_equal(job_get(f, arrived).upki_app_id, "");
	assert_string_equal(job_get(f, lost).upki_app_id, "");
	/* With one candidate left the application is bound and the job confirmed. */
	j = job_get(f, lost);
	j.subject_dn[3] = 'X';     /* move it to another DN */
	job_put(f, &j);
	assert_int_equal(poll_run(f, &t), 0);
	j = job_get(f, arrived);
	assert_int_equal(j.state, REC_JOB_SUBMITTED);
	assert_string_equal(j.upki_app_id, "202600000100");
	assert_int_equal(j.expected_at, j.submitted_at + f->cfg.upki_expected_delay_s);
	/* The other left no trace: after the grace period it is uploaded again. */
	now_s = T0 + f->cfg.upki_resubmit_grace_s + 1;
	assert_int_equal(poll_run(f, &t), 0);
	j = job_get(f, lost);
	assert_int_equal(j.state, REC_JOB_QUEUED);
	assert_int_equal(j.attempts, 1);
	/* The application fails at UPKI: the order learns it. */
	tsv_header(&t);
	tsv_row(&t, "202600000100", "", DN, 8, 1, T0 + 5, NULL);
	assert_int_equal(poll_run(f, &t), 0);
	assert_int_equal(job_get(f, arrived).state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(f->calls[0].order_id, 71);
	assert_non_null(strstr(f->calls[0].detail, "202600000100"));
}

static void
test_poll_renewal_lookup_and_max_wait(void **state)
{
	struct fx *f = *state;
	static struct tsvb t;
	uint64_t r, w;
	struct rec_job j;

	r = submit_csr(f, "good.csr", 81, NULL);
	j = job_get(f, r);
	j.kind = REC_JOB_RENEW;       /* after a 212: the serial comes from the list */
	j.attempts = 1;
	job_put(f, &j);
	w = submit_csr(f, "other.csr", 82, NULL);
	confirm(f, w);
	tsv_header(&t);
	tsv_row(&t, "202600000003", "333", DN, 6, 1, T0 - 3000, NULL);
	tsv_row(&t, "202600000005", "555", DN, 5, 2, T0 - 1000, NULL);
	tsv_row(&t, "202600000004", "444", DN, 7, 2, T0 - 2000, NULL);
	assert_int_equal(poll_run(f, &t), 0);
	j = job_get(f, r);
	assert_int_equal(j.state, REC_JOB_QUEUED);
	assert_string_equal(j.old_serial_dec, "555");
	assert_int_equal(job_get(f, w).state, REC_JOB_SUBMITTED);
	/* Never stuck: past upki_max_wait the job is given up with a clear error. */
	now_s = T0 + f->cfg.upki_max_wait_s + 1;
	assert_int_equal(poll_run(f, &t), 0);
	assert_int_equal(job_get(f, w).state, REC_JOB_REJECTED);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(f->calls[0].order_id, 82);
	assert_non_null(strstr(f->calls[0].detail, "has not issued"));
}

static void
test_poll_refuses_html(void **state)
{
	struct fx *f = *state;
	struct upki_poll *p = NULL;
	char page[512];
	size_t n = 0;
	uint64_t id = submit_csr(f, "good.csr", 91, NULL);
	const char *busy = "<html><head><title>エラー</title></head><body><p>"
	    UPKI_TEXT_BUSY "</p></body></html>";

	confirm(f, id);
	assert_int_equal(eucjp_from_utf8(page, sizeof(page), &n, busy, strlen(busy), NULL), 0);
	assert_int_equal(upki_poll_begin(f->u, &p, now_s), 0);
	assert_int_equal(upki_poll_feed(p, page, n), ERR_RATELIMIT);
	assert_int_equal(upki_poll_end(p, 1), ERR_RATELIMIT);
	assert_int_equal(job_get(f, id).state, REC_JOB_SUBMITTED);
}

static void
test_retry_after(void **state)
{
	struct fx *f = *state;
	uint64_t id = submit_csr(f, "good.csr", 95, NULL);
	unsigned s;

	s = f->u->is.ops->retry_after(f->u, id);
	assert_int_equal(s, 300);
	confirm(f, id);
	now_s += 299;
	assert_int_equal(f->u->is.ops->retry_after(f->u, id), 3);
	now_s += 1000;
	assert_true(f->u->is.ops->retry_after(f->u, id) >= 1);
	assert_true(f->u->is.ops->retry_after(f->u, 999999) >= 1);
}

/* ---- revoke ---- */

static int
revoke_fn(struct store_txn *t, void *arg)
{
	void **a = arg;
	struct fx *f = a[0];

	return f->u->is.ops->revoke(f->u, t, a[1], *(int *)a[2], a[3]);
}

static void
test_revoke(void **state)
{
	struct fx *f = *state;
	static struct rec_cert c;
	struct issuer_problem prob;
	int reason = 4;
	void *a[4] = { f, &c, &reason, &prob };

	memset(&c, 0, sizeof(c));
	c.id = 5;
	snprintf(c.serial_dec, sizeof(c.serial_dec), "123456789");
	c.der_len = load_der("leaf.pem", c.der, sizeof(c.der));
	/* UPKI refuses revocation in state 4 unless the operator says it does not. */
	assert_int_equal(store_write(f->store, revoke_fn, a), ERR_DENIED);
	assert_string_equal(prob.type, "unauthorized");
	assert_non_null(strstr(prob.detail, "260"));
	assert_non_null(strstr(prob.detail, "RA officer"));
	f->cfg.upki_revoke_status4 = 1;
	reason = 2;
	assert_int_equal(store_write(f->store, revoke_fn, a), ERR_DENIED);
	assert_string_equal(prob.type, "badRevocationReason");
	reason = 0;
	assert_int_equal(store_write(f->store, revoke_fn, a), 0);
	{
		struct rec_job j = job_get(f, 1);
		uint64_t id = 1;
		struct upki_batch *b = NULL;
		const void *tsv = NULL;
		size_t len = 0;

		assert_int_equal(j.kind, REC_JOB_REVOKE);
		assert_string_equal(j.old_serial_dec, "123456789");
		assert_string_equal(j.subject_dn, DN);
		assert_int_equal(upki_upload_prepare(f->u, REC_JOB_REVOKE, &id, 1, &b, &tsv, &len), 0);
		assert_non_null(memmem(tsv, len, "\t123456789\t0\t", 13));
		upki_upload_free(b);
	}
}

/* ---- chains ---- */

static void
test_chain_selection(void **state)
{
	struct upki_chains *c = NULL;
	static unsigned char leaf[4096], g8[4096], t24x[4096], g7[4096];
	static char want[16384];
	size_t ll, l8, lx, l7, len = 0;
	const char *pem = NULL;
	char path[256], name[64];
	int n;

	(void)state;
	snprintf(path, sizeof(path), "%s/chains.pem", dir);
	assert_int_equal(upki_chains_load(&c, path), 0);
	assert_int_equal(upki_chains_count(c), 5);
	l8 = load_der("g8.pem", g8, sizeof(g8));
	lx = load_der("t24x.pem", t24x, sizeof(t24x));
	l7 = load_der("g7.pem", g7, sizeof(g7));
	/* G8 leaf: G8, then the cross certificate (not the self-signed TLS Root 2024). */
	ll = load_der("leaf.pem", leaf, sizeof(leaf));
	assert_int_equal(upki_chains_find(c, leaf, ll, &pem, &len, name, sizeof(name)), 0);
	assert_string_equal(name, "G8");
	n = pem_encode(want, sizeof(want), "CERTIFICATE", g8, l8);
	n += pem_encode(want + n, sizeof(want) - (size_t)n, "CERTIFICATE", t24x, lx);
	assert_int_equal(len, (size_t)n);
	assert_memory_equal(pem, want, len);
	/* G7 leaf: G7 alone (its issuer Root2 is a self-signed root). */
	ll = load_der("leaf7.pem", leaf, sizeof(leaf));
	assert_int_equal(upki_chains_find(c, leaf, ll, &pem, &len, NULL, 0), 0);
	n = pem_encode(want, sizeof(want), "CERTIFICATE", g7, l7);
	assert_int_equal(len, (size_t)n);
	assert_memory_equal(pem, want, len);
	/* A leaf of an unknown issuer: nothing to bundle. */
	ll = load_der("g8.pem", leaf, sizeof(leaf));
	assert_int_equal(upki_chains_find(c, t24x, lx, &pem, &len, NULL, 0), 0);
	assert_int_equal(len, 0);
	upki_chains_free(c);
	/* No file configured: an empty set. */
	assert_int_equal(upki_chains_load(&c, ""), 0);
	assert_int_equal(upki_chains_find(c, leaf, ll, &pem, &len, NULL, 0), 0);
	assert_int_equal(len, 0);
	upki_chains_free(c);
}

/* ---- canonical forms and the endpoint ---- */

static void
test_dn_and_names(void **state)
{
	char a[256], b[256];
	uint8_t h1[32], h2[32];
	const char *n1[] = { "www.example.ac.jp", "b.example.ac.jp", "a.example.ac.jp" };
	const char *n2[] = { "A.example.ac.jp", "www.example.ac.jp", "b.example.ac.jp", "b.example.ac.jp" };
	const char *n3[] = { "www.example.ac.jp", "b.example.ac.jp" };

	(void)state;
	assert_int_equal(upki_dn_canon("C=JP, ST=Aichi,L=Nagoya , O=Example University,"
	    "cn=www.example.ac.jp", a, sizeof(a)), 0);
	assert_int_equal(upki_dn_canon(DN, b, sizeof(b)), 0);
	assert_string_equal(a, b);
	assert_string_equal(b, DN);
	assert_int_equal(upki_dn_canon("CN=x,O=A\\, Inc.,C=JP", a, sizeof(a)), 0);
	assert_string_equal(a, "CN=x,O=A\\, Inc.,C=JP");
	assert_int_equal(upki_dn_canon("CN=x,O=B,C=JP", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(upki_dn_canon("garbage", a, sizeof(a)), ERR_MALFORMED);
	assert_int_equal(upki_names_hash(n1, 3, h1), 0);
	assert_int_equal(upki_names_hash(n2, 4, h2), 0);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(upki_names_hash(n3, 2, h2), 0);
	assert_memory_not_equal(h1, h2, 32);
}

static void
test_endpoint(void **state)
{
	struct config cfg;
	struct upki_endpoint ep;
	char err[512];

	(void)state;
	config_defaults(&cfg);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://127.0.0.1:15100/upki-odcert/");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "127.0.0.1:15100");
	assert_string_equal(ep.sni, "");
	assert_string_equal(ep.base, "/upki-odcert");
	assert_string_equal(ep.addr_text, "127.0.0.1:15100");
	snprintf(cfg.upki_url, sizeof(cfg.upki_url),
	    "https://scia.secomtrust.net/upki-odcert/lra/SSLLogin.do");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "upki_connect"));      /* or resolver: test_upki_addrs.c */
	assert_int_equal(config_set(&cfg, "upki_connect", "192.0.2.7", err, sizeof(err)), 0);
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "scia.secomtrust.net");
	assert_string_equal(ep.sni, "scia.secomtrust.net");
	assert_string_equal(ep.base, "/upki-odcert");
	assert_string_equal(ep.addr_text, "192.0.2.7:443");
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://[::1]:8443");
	cfg.has_upki_connect = 0;
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "[::1]:8443");
	assert_string_equal(ep.base, "/upki-odcert");
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "http://127.0.0.1/");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	assert_int_equal(config_set(&cfg, "upki_connect", "scia:443", err, sizeof(err)), ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_submit_join, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_accept_and_refuse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_transient_backoff, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_fault_retried_fast, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_outcome_unknown, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_dn_exists_becomes_renewal, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_upload_duplicate_on_retry_waits, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_poll_issues_by_key_not_order, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_poll_key_with_other_names, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_poll_crash_recovery, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_poll_renewal_lookup_and_max_wait, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_poll_refuses_html, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retry_after, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_revoke, fx_setup, fx_teardown),
		cmocka_unit_test(test_chain_selection),
		cmocka_unit_test(test_dn_and_names),
		cmocka_unit_test(test_endpoint),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
