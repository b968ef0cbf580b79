/*
 * smime.c: the outbox mails as UPKI sends them (issue 19 item 4, signing side):
 * From ca-support@ml.secom-sts.co.jp, an RFC 2047 ISO-2022-JP Subject,
 * multipart/signed (RFC 1847, protocol="application/pkcs7-signature",
 * micalg=sha-256), an ISO-2022-JP text/plain part and a detached CMS
 * SignedData (RFC 5652) signed with the simulator's S/MIME key (pki.c:
 * mail-signer.pem under "SECOM Passport for Member PUB CA (SIM)" under
 * RootCA2 (SIM); mail-ca.pem is the trust anchor for the gateway's
 * upki_mail_ca). The part sent is byte for byte the part hashed.
 *
 * Faults (POST /_sim/fault): mail_badsig (one bit of the signature value
 * flipped), mail_otherkey (signed by a look-alike certificate of the stranger
 * CA), mail_otherhost (a genuine signature over a URL on another host).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "upki/sjis.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "x509/der.h"
#include "x509/pem.h"

#define OID(s) ((const unsigned char *)(s)), (sizeof(s) - 1)
#define OID_SIGNED_DATA "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
#define OID_DATA "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
#define OID_ATTR_CONTENT_TYPE "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03"
#define OID_ATTR_MESSAGE_DIGEST "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"
#define OID_ATTR_SIGNING_TIME "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"
#define OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define OID_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02"

#define SMIME_DER_MAX 12288
#define SMIME_PART_MAX 8192

int
sim_smime_load(struct sim *s)
{
	char p1[SIM_PATH_MAX + 32], p2[SIM_PATH_MAX + 32], *text = NULL, label[PEM_LABEL_MAX + 1];
	size_t len, pos = 0;
	int rc;

	memset(&s->smime, 0, sizeof(s->smime));
	snprintf(p1, sizeof(p1), "%s/mail-signer.pem", s->dir);
	if (access(p1, R_OK) != 0) {
		log_info("upki-sim: no %s (DIR made by an older init): mails are not signed", p1);
		return 0;
	}
	snprintf(p2, sizeof(p2), "%s/ca/mail-signer-key.pem", s->dir);
	if ((rc = sim_ca_load(&s->smime.signer, p1, p2)) != 0)
		return rc;
	snprintf(p1, sizeof(p1), "%s/ca/mail-other.pem", s->dir);
	snprintf(p2, sizeof(p2), "%s/ca/mail-other-key.pem", s->dir);
	if ((rc = sim_ca_load(&s->smime.other, p1, p2)) != 0)
		return rc;
	snprintf(p1, sizeof(p1), "%s/ca/mail-ca.pem", s->dir);
	if ((rc = file_read_all(p1, 16384, &text, &len)) != 0 ||
	    (rc = pem_decode(text, len, &pos, label, sizeof(label), s->smime.ca,
	    sizeof(s->smime.ca), &s->smime.ca_len)) != 0) {
		log_err("upki-sim: %s: %s", p1, err_str(rc));
		free(text);
		return rc;
	}
	free(text);
	s->smime.loaded = 1;
	return 0;
}

void
sim_smime_free(struct sim *s)
{
	sim_ca_free(&s->smime.signer);
	sim_ca_free(&s->smime.other);
	memset(&s->smime, 0, sizeof(s->smime));
}

unsigned
sim_mail_faults_take(struct sim *s)
{
	unsigned f = 0;

	if (sim_fault_take(s, SIM_F_MAIL_BADSIG))
		f |= SIM_MAIL_F_BADSIG;
	if (sim_fault_take(s, SIM_F_MAIL_OTHERKEY))
		f |= SIM_MAIL_F_OTHERKEY;
	if (sim_fault_take(s, SIM_F_MAIL_OTHERHOST))
		f |= SIM_MAIL_F_OTHERHOST;
	return f;
}

/* A bounded appender; the first overflow sticks. */
struct out {
	char *p;
	size_t cap, len;
	int err;
};

static void
ap_bytes(struct out *o, const void *p, size_t n)
{
	if (o->err || o->cap - o->len < n + 1) {
		o->err = ERR_TOOBIG;
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
ap(struct out *o, const char *fmt, ...)
{
	va_list va;
	int n;

	if (o->err)
		return;
	va_start(va, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, va);
	va_end(va);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->err = ERR_TOOBIG;
	else
		o->len += (size_t)n;
}

/* UTF-8 to ISO-2022-JP (RFC 1468), each LF as CRLF when crlf; ends in ASCII. A
 * character outside JIS X 0208 becomes U+3013. */
static void
ap_jis(struct out *o, const char *s, size_t n, int crlf)
{
	int jis = 0;
	size_t pos = 0;

	while (pos < n && !o->err) {
		size_t at = pos, k;
		uint32_t cp;
		char euc[4];

		if (upki_utf8_next(s, n, &pos, &cp) != 0) {
			o->err = ERR_MALFORMED;
			return;
		}
		if (cp < 0x80) {
			if (jis)
				ap_bytes(o, STR_LIT("\x1b(B"));
			jis = 0;
			if (cp == '\n' && crlf)
				ap_bytes(o, STR_LIT("\r\n"));
			else
				ap_bytes(o, s + at, 1);
			continue;
		}
		if (eucjp_from_utf8(euc, sizeof(euc), &k, s + at, pos - at, NULL) != 0 || k != 2) {
			/* Outside JIS X 0208 (a cp932 extension from the TSV): the geta mark
			 * U+3013, as Japanese mailers write what ISO-2022-JP cannot carry. */
			euc[0] = (char)0xa2;
			euc[1] = (char)0xae;
		}
		if (!jis)
			ap_bytes(o, STR_LIT("\x1b$B"));
		jis = 1;
		euc[0] = (char)(euc[0] & 0x7f);
		euc[1] = (char)(euc[1] & 0x7f);
		ap_bytes(o, euc, 2);
	}
	if (jis)
		ap_bytes(o, STR_LIT("\x1b(B"));
}

/* Subject as RFC 2047 encoded words of at most 8 characters each (< 75 columns). */
static void
ap_subject(struct out *o, const char *subj)
{
	size_t n = strlen(subj), pos = 0;

	ap(o, "Subject:");
	while (pos < n && !o->err) {
		char jis[64], b64[128];
		struct out j = { jis, sizeof(jis), 0, 0 };
		size_t start = pos;
		uint32_t cp;

		for (int c = 0; c < 8 && pos < n; c++)
			if (upki_utf8_next(subj, n, &pos, &cp) != 0) {
				o->err = ERR_MALFORMED;
				return;
			}
		ap_jis(&j, subj + start, pos - start, 0);
		if (j.err || b64_encode(b64, sizeof(b64), jis, j.len) < 0) {
			o->err = ERR_TOOBIG;
			return;
		}
		/* Folded: CRLF, then the space that starts the next word. */
		ap(o, "%s =?ISO-2022-JP?B?%s?=", start == 0 ? "" : "\r\n", b64);
	}
	ap(o, "\r\n");
}

/* One Attribute { type, SET { value } } written after the value already in w. */
static void
attr_close(struct der_writer *w, size_t mark, const char *oid, size_t oidlen)
{
	der_write_wrap(w, DER_SET, mark);
	der_write_oid(w, (const unsigned char *)oid, oidlen);
	der_write_wrap(w, DER_SEQUENCE, mark);
}

struct blob {
	unsigned char b[160];
	size_t n;
};

static int
blob_cmp(const void *a, const void *b)
{
	const struct blob *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->b, y->b, n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* The signed attributes as the SET OF the signature covers (DER: sorted). */
static int
signed_attrs(unsigned char *out, size_t outsz, size_t *outlen, const unsigned char md[32],
    int64_t t)
{
	struct blob a[3];
	struct der_writer w;
	size_t m;

	for (int i = 0; i < 3; i++) {
		der_writer_init(&w, a[i].b, sizeof(a[i].b));
		m = der_writer_mark(&w);
		if (i == 0) {
			der_write_oid(&w, OID(OID_DATA));
			attr_close(&w, m, OID_ATTR_CONTENT_TYPE, sizeof(OID_ATTR_CONTENT_TYPE) - 1);
		} else if (i == 1) {
			der_write_time(&w, t);
			attr_close(&w, m, OID_ATTR_SIGNING_TIME, sizeof(OID_ATTR_SIGNING_TIME) - 1);
		} else {
			der_write_octets(&w, md, 32);
			attr_close(&w, m, OID_ATTR_MESSAGE_DIGEST,
			    sizeof(OID_ATTR_MESSAGE_DIGEST) - 1);
		}
		if (der_writer_error(&w) != 0)
			return der_writer_error(&w);
		a[i].n = w.len;
		memmove(a[i].b, der_writer_data(&w), w.len);
	}
	qsort(a, 3, sizeof(a[0]), blob_cmp);
	der_writer_init(&w, out, outsz);
	for (int i = 2; i >= 0; i--)
		der_write_bytes(&w, a[i].b, a[i].n);
	der_write_wrap(&w, DER_SET, 0);
	if (der_writer_error(&w) != 0)
		return der_writer_error(&w);
	*outlen = w.len;
	memmove(out, der_writer_data(&w), w.len);
	return 0;
}

/* The detached SignedData over part[0..n) into der. */
static int
cms_sign(const struct sim *s, const char *part, size_t n, int64_t t, unsigned faults,
    unsigned char *der, size_t dersz, size_t *derlen)
{
	const struct sim_ca *k = (faults & SIM_MAIL_F_OTHERKEY) ? &s->smime.other : &s->smime.signer;
	int ec = k->key.type == BR_KEYTYPE_EC;
	unsigned char md[32], attrs[512], h[32], sig[X509_SIG_MAX];
	size_t attrs_len = 0, siglen = 0, m_si;
	br_sha256_context sh;
	struct der_writer w;
	int rc;

	br_sha256_init(&sh);
	br_sha256_update(&sh, part, n);
	br_sha256_out(&sh, md);
	if ((rc = signed_attrs(attrs, sizeof(attrs), &attrs_len, md, t)) != 0)
		return rc;
	br_sha256_init(&sh);
	br_sha256_update(&sh, attrs, attrs_len);
	br_sha256_out(&sh, h);
	rc = sim_key_sign((void *)&k->key, ec ? X509_SIG_ECDSA_SHA256 : X509_SIG_RSA_SHA256, h,
	    sizeof(h), sig, sizeof(sig), &siglen);
	if (rc != 0)
		return rc;
	if (faults & SIM_MAIL_F_BADSIG)
		sig[siglen / 2] ^= 0x01;

	der_writer_init(&w, der, dersz);
	/* SignerInfo, last element first. */
	m_si = der_writer_mark(&w);
	der_write_octets(&w, sig, siglen);
	{
		size_t m = der_writer_mark(&w);

		if (ec) {
			der_write_oid(&w, OID(OID_ECDSA_SHA256));
		} else {
			der_write_null(&w);
			der_write_oid(&w, OID(OID_RSA));
		}
		der_write_wrap(&w, DER_SEQUENCE, m);
	}
	der_write_bytes(&w, attrs + 1, attrs_len - 1);
	der_write_bytes(&w, STR_LIT("\xa0")); /* [0] IMPLICIT: same length octets as the SET */
	{
		size_t m = der_writer_mark(&w);

		der_write_oid(&w, OID(OID_SHA256));
		der_write_wrap(&w, DER_SEQUENCE, m);
		m = der_writer_mark(&w);
		der_write_uint(&w, k->parsed.serial.p, k->parsed.serial.len);
		der_write_bytes(&w, k->parsed.issuer.der, k->parsed.issuer.der_len);
		der_write_wrap(&w, DER_SEQUENCE, m);
	}
	der_write_small(&w, 1);
	der_write_wrap(&w, DER_SEQUENCE, m_si);
	der_write_wrap(&w, DER_SET, m_si);
	/* certificates [0] IMPLICIT: the signer and, for the real signer, its CA. */
	{
		size_t m = der_writer_mark(&w);

		if (!(faults & SIM_MAIL_F_OTHERKEY))
			der_write_bytes(&w, s->smime.ca, s->smime.ca_len);
		der_write_bytes(&w, k->cert, k->cert_len);
		der_write_wrap(&w, DER_CTX_CONS(0), m);
		/* encapContentInfo without eContent: detached. */
		m = der_writer_mark(&w);
		der_write_oid(&w, OID(OID_DATA));
		der_write_wrap(&w, DER_SEQUENCE, m);
		m = der_writer_mark(&w);
		der_write_oid(&w, OID(OID_SHA256));
		der_write_wrap(&w, DER_SEQUENCE, m);
		der_write_wrap(&w, DER_SET, m);
	}
	der_write_small(&w, 1);
	der_write_wrap(&w, DER_SEQUENCE, 0);
	der_write_wrap(&w, DER_CTX_CONS(0), 0);
	der_write_oid(&w, OID(OID_SIGNED_DATA));
	der_write_wrap(&w, DER_SEQUENCE, 0);
	if ((rc = der_writer_error(&w)) != 0)
		return rc;
	*derlen = w.len;
	memmove(der, der_writer_data(&w), w.len);
	return 0;
}

/* m's body with its URL moved to another host (mail_otherhost). */
static void
body_text(const struct sim_mail *m, unsigned faults, char *out, size_t outsz)
{
	const char *u = m->url[0] ? strstr(m->body, m->url) : NULL;
	const char *path;

	if (!(faults & SIM_MAIL_F_OTHERHOST) || u == NULL ||
	    (path = strstr(m->url, "/upki-odcert/")) == NULL) {
		snprintf(out, outsz, "%s", m->body);
		return;
	}
	snprintf(out, outsz, "%.*shttps://%s%s%s", (int)(u - m->body), m->body, SIM_MAIL_OTHER_HOST,
	    path, u + strlen(m->url));
}

int
sim_mail_render(const struct sim *s, const struct sim_mail *m, unsigned faults, char *out,
    size_t cap, size_t *len)
{
	struct out o = { out, cap, 0, 0 };
	char body[sizeof(m->body) + 64], part[SMIME_PART_MAX], date[64], bnd[48];
	char b64[SMIME_DER_MAX * 4 / 3 + 8];
	struct out po = { part, sizeof(part), 0, 0 };
	unsigned char der[SMIME_DER_MAX];
	size_t derlen, bl;
	time_t jst = (time_t)(m->at_ms / 1000) + 9 * 3600;
	struct tm tm;
	int rc;

	if (!s->smime.loaded)
		return ERR_STATE;
	body_text(m, faults, body, sizeof(body));
	ap(&po, "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n");
	ap_jis(&po, body, strlen(body), 1);
	if (po.err)
		return po.err;
	if ((rc = cms_sign(s, part, po.len, m->at_ms / 1000, faults, der, sizeof(der),
	    &derlen)) != 0)
		return rc;
	if ((rc = b64_encode(b64, sizeof(b64), der, derlen)) < 0)
		return rc;
	bl = (size_t)rc;
	gmtime_r(&jst, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0900", &tm);
	snprintf(bnd, sizeof(bnd), "----=_UPKI_SIM_%lu", m->id);

	ap(&o, "From: %s\r\nTo: %s\r\n", sim_profile.mail_from, m->to);
	ap_subject(&o, m->subject);
	ap(&o, "Date: %s\r\nMessage-ID: <upki-sim.%lu.%s@ml.secom-sts.co.jp>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
	    "\tmicalg=sha-256; boundary=\"%s\"\r\n\r\n"
	    "This is an S/MIME signed message\r\n\r\n--%s\r\n", date, m->id, m->app_id, bnd, bnd);
	ap_bytes(&o, part, po.len);
	ap(&o, "\r\n--%s\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n", bnd);
	for (size_t i = 0; i < bl; i += 76) {
		ap_bytes(&o, b64 + i, bl - i < 76 ? bl - i : 76);
		ap(&o, "\r\n");
	}
	ap(&o, "\r\n--%s--\r\n", bnd);
	if (o.err)
		return o.err;
	*len = o.len;
	return 0;
}

void
sim_control_mail_eml(struct http_req *req, void *arg)
{
	struct sim *s = arg;
	const struct sim_mail *m = NULL;
	char v[24], *buf = NULL;
	unsigned long id;
	size_t len;
	int rc;

	if (req->query == NULL ||
	    form_urlencoded_get(req->query, strlen(req->query), "id", v, sizeof(v)) != 0) {
		http_reply(req, 400, "text/plain", STR_LIT("id=N is required\n"));
		return;
	}
	id = strtoul(v, NULL, 10);
	for (size_t i = 0; i < s->n_mails; i++)
		if (s->mails[i]->id == id)
			m = s->mails[i];
	if (m == NULL) {
		http_reply(req, 404, "text/plain", STR_LIT("no such mail\n"));
		return;
	}
	if ((buf = malloc(SIM_MAIL_RENDER_MAX)) == NULL) {
		http_reply_status(req, 503);
		return;
	}
	rc = sim_mail_render(s, m, sim_mail_faults_take(s), buf, SIM_MAIL_RENDER_MAX, &len);
	if (rc != 0) {
		log_err("upki-sim: mail %lu: %s", id, err_str(rc));
		http_reply(req, 500, "text/plain", STR_LIT("mail not rendered\n"));
	} else {
		http_reply(req, 200, "message/rfc822", buf, len);
	}
	free(buf);
}
