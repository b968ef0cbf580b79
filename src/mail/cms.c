#include <string.h>

#include "mail/cms.h"
#include "util/err.h"
#include "util/str.h"
#include "x509/der.h"
#include "x509/digest.h"
#include "x509/pem.h"

/* OBJECT IDENTIFIER content octets (RFC 5652, RFC 5754, RFC 8017, RFC 5758). */
#define OID(s) ((const unsigned char *)(s)), (sizeof(s) - 1)
#define OID_SIGNED_DATA "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
#define OID_DATA "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
#define OID_ATTR_CONTENT_TYPE "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03"
#define OID_ATTR_MESSAGE_DIGEST "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"
#define OID_ATTR_SIGNING_TIME "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"
#define OID_SHA256 "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define OID_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define OID_RSA_SHA256 "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02"

static const struct {
	const char *name, *text;
} why_tab[MAIL_WHY__MAX] = {
	[MAIL_WHY_OK] = { "ok", "signature, chain, sender and contents verified" },
	[MAIL_WHY_MIME] = { "mime", "not a well-formed MIME message" },
	[MAIL_WHY_TOOBIG] = { "toobig", "the message is over a size or count limit" },
	[MAIL_WHY_UNSIGNED] = { "unsigned",
	    "not an S/MIME signed mail (multipart/signed, application/pkcs7-signature)" },
	[MAIL_WHY_CMS] = { "cms", "the signature part is not a well-formed CMS SignedData" },
	[MAIL_WHY_CMS_UNSUPPORTED] = { "cms_unsupported",
	    "the signature uses a form not accepted (content inside, several signers, "
	    "an algorithm other than SHA-256 with RSA or ECDSA)" },
	[MAIL_WHY_NO_SIGNED_ATTRS] = { "no_signed_attrs",
	    "the signature has no signed content-type and message-digest attributes" },
	[MAIL_WHY_CONTENT_TYPE] = { "content_type", "the signed content type is not id-data" },
	[MAIL_WHY_DIGEST] = { "digest",
	    "the message digest does not match the signed part: the mail was altered" },
	[MAIL_WHY_SIGNER_MISSING] = { "signer_missing",
	    "the signer's certificate is not in the message" },
	[MAIL_WHY_SIGNATURE] = { "badsig", "the signature does not verify with the signer's key" },
	[MAIL_WHY_UNTRUSTED] = { "untrusted",
	    "the signer's certificate does not chain to a trust anchor of upki_mail_ca" },
	[MAIL_WHY_EXPIRED] = { "expired",
	    "a certificate of the signer's chain is expired or not yet valid" },
	[MAIL_WHY_USAGE] = { "usage",
	    "the signer's certificate is not for signing mail (key usage, extended key usage "
	    "or an unknown critical extension)" },
	[MAIL_WHY_FROM] = { "from", "the From address is not upki_mail_from" },
	[MAIL_WHY_NO_SERIAL] = { "no_serial", "no decimal serial number in the mail" },
	[MAIL_WHY_NO_URL] = { "no_url", "no one-time download URL in the mail" },
	[MAIL_WHY_URL_FOREIGN] = { "url_foreign",
	    "the download URL is not under the configured UPKI download service" },
};

const char *
mail_why_name(int why)
{
	return why >= 0 && why < MAIL_WHY__MAX ? why_tab[why].name : "unknown";
}

const char *
mail_why_str(int why)
{
	return why >= 0 && why < MAIL_WHY__MAX ? why_tab[why].text : "unknown reason";
}

int
mail_anchors_add_pem(struct mail_anchors *a, const char *pem, size_t len)
{
	char label[PEM_LABEL_MAX + 1];
	size_t pos = 0, n;
	unsigned found = 0;
	int rc;

	for (;;) {
		rc = pem_decode(pem, len, &pos, label, sizeof(label), a->der + a->used,
		    sizeof(a->der) - a->used, &n);
		if (rc == ERR_NOTFOUND)
			break;
		if (rc != 0)
			return rc;
		if (strcmp(label, "CERTIFICATE") != 0)
			continue;
		if (a->n == MAIL_ANCHORS_MAX)
			return ERR_TOOBIG;
		if ((rc = x509_cert_parse(&a->cert[a->n], a->der + a->used, n)) != 0)
			return rc;
		a->used += n;
		a->n++;
		found++;
	}
	return found > 0 ? 0 : ERR_NOTFOUND;
}

/* SEQUENCE { OID, optional NULL }: the OID in *oid. */
static int
alg_read(struct der *d, struct der *oid)
{
	struct der seq;
	int rc;

	if ((rc = der_read_enter(d, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_oid(&seq, oid)) != 0)
		return rc;
	if (seq.len > 0 && (rc = der_read_null(&seq)) != 0)
		return rc;
	return der_read_end(&seq);
}

/* Signer identifier: issuer Name DER + serial, or a subject key identifier. */
struct sid {
	const unsigned char *issuer, *serial, *ski;
	size_t issuer_len, serial_len, ski_len;
};

static int
attrs_read(struct mail_cms *c, struct der *set, int *why)
{
	int have_ct = 0, have_md = 0, have_st = 0, rc;

	while (set->len > 0) {
		struct der attr, oid, vals;

		if ((rc = der_read_enter(set, DER_SEQUENCE, &attr)) != 0 ||
		    (rc = der_read_oid(&attr, &oid)) != 0 ||
		    (rc = der_read_enter(&attr, DER_SET, &vals)) != 0 || (rc = der_read_end(&attr)) != 0)
			return rc;
		if (der_oid_eq(&oid, OID(OID_ATTR_CONTENT_TYPE))) {
			struct der ct;

			if (have_ct++ || (rc = der_read_oid(&vals, &ct)) != 0 ||
			    (rc = der_read_end(&vals)) != 0)
				return rc != 0 ? rc : ERR_MALFORMED;
			if (!der_oid_eq(&ct, OID(OID_DATA))) {
				*why = MAIL_WHY_CONTENT_TYPE;
				return ERR_DENIED;
			}
		} else if (der_oid_eq(&oid, OID(OID_ATTR_MESSAGE_DIGEST))) {
			if (have_md++ || (rc = der_read_octets(&vals, &c->digest.p,
			    &c->digest.len)) != 0 || (rc = der_read_end(&vals)) != 0)
				return rc != 0 ? rc : ERR_MALFORMED;
		} else if (der_oid_eq(&oid, OID(OID_ATTR_SIGNING_TIME))) {
			if (have_st++ || (rc = der_read_time(&vals, &c->signing_time)) != 0 ||
			    (rc = der_read_end(&vals)) != 0)
				return rc != 0 ? rc : ERR_MALFORMED;
		}
	}
	if (!have_ct || !have_md) {
		*why = MAIL_WHY_NO_SIGNED_ATTRS;
		return ERR_DENIED;
	}
	return 0;
}

static int
signer_info_read(struct mail_cms *c, struct der *si, struct sid *sid, struct x509_bytes *sig,
    int *why)
{
	struct der oid, set;
	const unsigned char *raw;
	size_t rawlen;
	uint32_t ver;
	int rc;

	if ((rc = der_read_small(si, 5, &ver)) != 0)
		return rc;
	if (der_peek(si) == DER_SEQUENCE) {
		struct der ias;

		if ((rc = der_read_enter(si, DER_SEQUENCE, &ias)) != 0 ||
		    (rc = der_read_raw(&ias, &sid->issuer, &sid->issuer_len)) != 0 ||
		    (rc = der_read_uint(&ias, &sid->serial, &sid->serial_len)) != 0 ||
		    (rc = der_read_end(&ias)) != 0)
			return rc;
	} else {
		struct der ski;

		if ((rc = der_read_expect(si, DER_CTX(0), &ski)) != 0)
			return rc;
		sid->ski = ski.p;
		sid->ski_len = ski.len;
		if (ski.len == 0)
			return ERR_MALFORMED;
	}
	if ((rc = alg_read(si, &oid)) != 0)
		return rc;
	if (!der_oid_eq(&oid, OID(OID_SHA256))) {
		*why = MAIL_WHY_CMS_UNSUPPORTED;
		return ERR_UNSUPPORTED;
	}
	if (der_peek(si) != DER_CTX_CONS(0)) {
		*why = MAIL_WHY_NO_SIGNED_ATTRS;
		return ERR_DENIED;
	}
	{
		struct der tmp = *si;

		if ((rc = der_read_raw(&tmp, &raw, &rawlen)) != 0)
			return rc;
	}
	if ((rc = der_read_enter(si, DER_CTX_CONS(0), &set)) != 0)
		return rc;
	if (rawlen > sizeof(c->attrs)) {
		*why = MAIL_WHY_TOOBIG;
		return ERR_TOOBIG;
	}
	/* The signature covers the attributes with their SET OF tag (RFC 5652 §5.4). */
	memcpy(c->attrs, raw, rawlen);
	c->attrs[0] = DER_SET;
	c->attrs_len = rawlen;
	if ((rc = attrs_read(c, &set, why)) != 0)
		return rc;
	if ((rc = alg_read(si, &oid)) != 0)
		return rc;
	if (der_oid_eq(&oid, OID(OID_RSA)) || der_oid_eq(&oid, OID(OID_RSA_SHA256)))
		c->sig_alg = X509_SIG_RSA_SHA256;
	else if (der_oid_eq(&oid, OID(OID_ECDSA_SHA256)))
		c->sig_alg = X509_SIG_ECDSA_SHA256;
	else {
		*why = MAIL_WHY_CMS_UNSUPPORTED;
		return ERR_UNSUPPORTED;
	}
	if ((rc = der_read_octets(si, &sig->p, &sig->len)) != 0)
		return rc;
	if (der_peek(si) == DER_CTX_CONS(1) && (rc = der_read_skip(si)) != 0)
		return rc;
	return der_read_end(si);
}

/* Parse the SignedData; certificates into c->cert[]. */
static int
signed_data_read(struct mail_cms *c, const unsigned char *der, size_t len, struct sid *sid,
    struct x509_bytes *sig, int *why)
{
	struct der d, ci, wrap, sd, encap, oid, sis, si;
	uint32_t ver;
	int rc;

	der_init(&d, der, len);
	if ((rc = der_read_enter(&d, DER_SEQUENCE, &ci)) != 0 || (rc = der_read_end(&d)) != 0 ||
	    (rc = der_read_oid(&ci, &oid)) != 0)
		return rc;
	if (!der_oid_eq(&oid, OID(OID_SIGNED_DATA))) {
		*why = MAIL_WHY_CMS_UNSUPPORTED;
		return ERR_UNSUPPORTED;
	}
	if ((rc = der_read_enter(&ci, DER_CTX_CONS(0), &wrap)) != 0 || (rc = der_read_end(&ci)) != 0 ||
	    (rc = der_read_enter(&wrap, DER_SEQUENCE, &sd)) != 0 || (rc = der_read_end(&wrap)) != 0 ||
	    (rc = der_read_small(&sd, 5, &ver)) != 0 ||
	    (rc = der_read_expect(&sd, DER_SET, NULL)) != 0 ||
	    (rc = der_read_enter(&sd, DER_SEQUENCE, &encap)) != 0 ||
	    (rc = der_read_oid(&encap, &oid)) != 0)
		return rc;
	if (!der_oid_eq(&oid, OID(OID_DATA))) {
		*why = MAIL_WHY_CONTENT_TYPE;
		return ERR_DENIED;
	}
	if (encap.len > 0) {
		*why = MAIL_WHY_CMS_UNSUPPORTED; /* content inside: not a detached signature */
		return ERR_UNSUPPORTED;
	}
	if (der_peek(&sd) == DER_CTX_CONS(0)) {
		struct der certs;

		if ((rc = der_read_enter(&sd, DER_CTX_CONS(0), &certs)) != 0)
			return rc;
		while (certs.len > 0) {
			const unsigned char *p;
			size_t n;

			if (der_peek(&certs) != DER_SEQUENCE) {
				if ((rc = der_read_skip(&certs)) != 0)
					return rc;
				continue; /* attribute certificates and others: not ours */
			}
			if ((rc = der_read_raw(&certs, &p, &n)) != 0)
				return rc;
			if (c->n_cert == MAIL_CMS_CERTS_MAX) {
				*why = MAIL_WHY_TOOBIG;
				return ERR_TOOBIG;
			}
			if ((rc = x509_cert_parse(&c->cert[c->n_cert], p, n)) != 0)
				return rc;
			c->n_cert++;
		}
	}
	if (der_peek(&sd) == DER_CTX_CONS(1) && (rc = der_read_skip(&sd)) != 0)
		return rc;
	if ((rc = der_read_enter(&sd, DER_SET, &sis)) != 0 || (rc = der_read_end(&sd)) != 0 ||
	    (rc = der_read_enter(&sis, DER_SEQUENCE, &si)) != 0)
		return rc;
	if (sis.len > 0) {
		*why = MAIL_WHY_CMS_UNSUPPORTED; /* one signer only: no choice to make */
		return ERR_UNSUPPORTED;
	}
	return signer_info_read(c, &si, sid, sig, why);
}

static int
bytes_eq(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int
signer_find(const struct mail_cms *c, const struct sid *sid)
{
	for (unsigned i = 0; i < c->n_cert; i++) {
		const struct x509_cert *x = &c->cert[i];

		if (sid->issuer != NULL) {
			if (bytes_eq(x->issuer.der, x->issuer.der_len, sid->issuer, sid->issuer_len) &&
			    bytes_eq(x->serial.p, x->serial.len, sid->serial, sid->serial_len))
				return (int)i;
		} else {
			unsigned char ski[X509_SKI_LEN];

			if (x->ext.ski.p != NULL &&
			    bytes_eq(x->ext.ski.p, x->ext.ski.len, sid->ski, sid->ski_len))
				return (int)i;
			x509_pubkey_ski(&x->key, ski);
			if (bytes_eq(ski, sizeof(ski), sid->ski, sid->ski_len))
				return (int)i;
		}
	}
	return -1;
}

static int
cert_time_ok(const struct x509_cert *x, int64_t now)
{
	return now >= x->not_before && now <= x->not_after;
}

/* x is issued by y: names chain and y's key verifies x's signature. */
static int
issued_by(const struct x509_cert *x, const struct x509_cert *y)
{
	return bytes_eq(x->issuer.der, x->issuer.der_len, y->subject.der, y->subject.der_len) &&
	    x509_cert_verify_sig(x, &y->key) == 0;
}

/* From the signer up to an anchor, through certificates of the message. */
static int
chain_check(struct mail_cms *c, const struct mail_anchors *a, int64_t now, int *why)
{
	unsigned char used[MAIL_CMS_CERTS_MAX] = { 0 };
	const struct x509_cert *cur = &c->cert[c->signer];

	used[c->signer] = 1;
	for (unsigned depth = 0; depth <= MAIL_CHAIN_MAX; depth++) {
		int next = -1;

		c->chain_len = depth + 1;
		if (!cert_time_ok(cur, now)) {
			*why = MAIL_WHY_EXPIRED;
			return ERR_DENIED;
		}
		if (cur->ext.other_critical) {
			*why = MAIL_WHY_USAGE;
			return ERR_DENIED;
		}
		for (unsigned i = 0; i < a->n; i++)
			if (bytes_eq(cur->der.p, cur->der.len, a->cert[i].der.p, a->cert[i].der.len) ||
			    issued_by(cur, &a->cert[i]))
				return 0;
		for (unsigned i = 0; i < c->n_cert && next < 0; i++) {
			const struct x509_cert *y = &c->cert[i];

			if (used[i] || !y->ext.has_bc || !y->ext.ca ||
			    (y->ext.has_ku && !(y->ext.ku & X509_KU_KEY_CERT_SIGN)) ||
			    (y->ext.path_len >= 0 && (unsigned)y->ext.path_len < depth))
				continue;
			if (issued_by(cur, y))
				next = (int)i;
		}
		if (next < 0)
			break;
		used[next] = 1;
		cur = &c->cert[next];
	}
	*why = MAIL_WHY_UNTRUSTED;
	return ERR_DENIED;
}

/* SHA-256 of the content with every bare LF taken as CRLF. */
static void
content_digest(const char *p, size_t n, unsigned char out[X509_SHA256_LEN])
{
	struct x509_sha256 h;
	size_t start = 0;

	x509_sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		x509_sha256_update(&h, p + start, i - start);
		x509_sha256_update(&h, STR_LIT("\r\n"));
		start = i + 1;
	}
	x509_sha256_update(&h, p + start, n - start);
	x509_sha256_out(&h, out);
}

int
mail_cms_verify(struct mail_cms *c, const unsigned char *der, size_t len,
    const char *content, size_t clen, const struct mail_anchors *anchors, int64_t now, int *why)
{
	struct sid sid;
	struct x509_bytes sig;
	unsigned char md[X509_SHA256_LEN];
	const struct x509_cert *sc;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&sid, 0, sizeof(sid));
	c->signer = -1;
	*why = MAIL_WHY_CMS;
	if (len > MAIL_CMS_MAX) {
		*why = MAIL_WHY_TOOBIG;
		rc = ERR_TOOBIG;
		goto out;
	}
	if ((rc = signed_data_read(c, der, len, &sid, &sig, why)) != 0)
		goto out;
	content_digest(content, clen, md);
	if (!bytes_eq(md, sizeof(md), c->digest.p, c->digest.len)) {
		*why = MAIL_WHY_DIGEST;
		rc = ERR_BADSIG;
		goto out;
	}
	if ((c->signer = signer_find(c, &sid)) < 0) {
		*why = MAIL_WHY_SIGNER_MISSING;
		rc = ERR_DENIED;
		goto out;
	}
	sc = &c->cert[c->signer];
	rc = x509_sig_verify(c->sig_alg, &sc->key, c->attrs, c->attrs_len, sig.p, sig.len);
	if (rc != 0) {
		*why = rc == ERR_BADSIG ? MAIL_WHY_SIGNATURE : MAIL_WHY_CMS_UNSUPPORTED;
		goto out;
	}
	if ((sc->ext.has_ku && !(sc->ext.ku & (X509_KU_DIGITAL_SIGNATURE |
	    X509_KU_NON_REPUDIATION))) ||
	    (sc->ext.has_eku && !(sc->ext.eku & (X509_EKU_EMAIL_PROTECTION | X509_EKU_ANY)))) {
		*why = MAIL_WHY_USAGE;
		rc = ERR_DENIED;
		goto out;
	}
	if ((rc = chain_check(c, anchors, now, why)) != 0)
		goto out;
	*why = MAIL_WHY_OK;
	rc = 0;
out:
	if (rc == ERR_TOOBIG && *why == MAIL_WHY_CMS)
		*why = MAIL_WHY_TOOBIG;
	return rc;
}
