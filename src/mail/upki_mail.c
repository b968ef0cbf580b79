#include <stdio.h>
#include <string.h>

#include "mail/upki_mail.h"
#include "upki/sjis.h"
#include "util/err.h"
#include "util/str.h"
#include "x509/der.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
ncaseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
mail_upki_url_ok(const char *prefix, const char *url, size_t n)
{
	size_t pl = strlen(prefix), hp, hu, q = 0, i;
	const char *ph, *uh;

	if (pl < 9 || strncmp(prefix, STR_LIT("https://")) != 0 || n < 8 || !ncaseeq(url, STR_LIT("https://")))
		return 0;
	ph = prefix + 8;
	uh = url + 8;
	for (hp = 0; ph[hp] != '\0' && ph[hp] != '/'; hp++)
		;
	for (hu = 0; 8 + hu < n && uh[hu] != '/' && uh[hu] != '?' && uh[hu] != '#'; hu++)
		if (uh[hu] == '@' || uh[hu] == '\\')
			return 0;
	if (hp == 0 || hp != hu || !ncaseeq(ph, uh, hp))
		return 0;
	/* The path: the prefix's exactly, then a restricted rest. */
	if (n - 8 - hu < pl - 8 - hp || memcmp(uh + hu, ph + hp, pl - 8 - hp) != 0)
		return 0;
	for (i = 8 + hu; i < n; i++) {
		int c = (unsigned char)url[i];

		if (c == '?')
			q = 1;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/?=&+", c) != NULL || (c == '%' && q))
			continue;
		return 0;
	}
	if (memmem(url, n, STR_LIT("..")) != NULL || memmem(url + 8, n - 8, STR_LIT("//")) != NULL)
		return 0;
	return 1;
}

int
mail_upki_serial(const char *text, size_t n, char out[MAIL_SERIAL_MAX + 1])
{
	static const char *const labels[] = { "シリアル番号", "Serial Number", "serial number" };
	char got[MAIL_SERIAL_MAX + 1];
	int found = 0;

	for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
		size_t ll = strlen(labels[l]), at = 0;
		const char *p;

		while (at < n && (p = memmem(text + at, n - at, labels[l], ll)) != NULL) {
			size_t i = (size_t)(p - text) + ll, d0;

			at = i;
			while (i < n && (text[i] == ' ' || text[i] == '\t'))
				i++;
			if (i < n && text[i] == ':')
				i++;
			else if (n - i >= 3 && !memcmp(text + i, STR_LIT("\xef\xbc\x9a"))) /* U+FF1A */
				i += 3;
			else
				continue;
			while (i < n && (text[i] == ' ' || text[i] == '\t'))
				i++;
			d0 = i;
			while (i < n && text[i] >= '0' && text[i] <= '9')
				i++;
			if (i == d0 || (i < n && text[i] != '\n' && text[i] != ' ' && text[i] != '\t'))
				continue;
			while (d0 + 1 < i && text[d0] == '0')
				d0++;
			if (i - d0 > MAIL_SERIAL_MAX)
				return ERR_MALFORMED;
			memcpy(got, text + d0, i - d0);
			got[i - d0] = '\0';
			if (found && strcmp(got, out) != 0)
				return ERR_MALFORMED;
			memcpy(out, got, i - d0 + 1);
			found = 1;
		}
	}
	return found ? 0 : ERR_NOTFOUND;
}

/* The one URL of the download service in the text; *n_urls counts every URL seen. */
static int
url_find(const char *text, size_t n, const char *prefix, char *out, size_t outsz,
    unsigned *n_urls, char *first, size_t firstsz)
{
	size_t at = 0;
	int found = 0;

	*n_urls = 0;
	first[0] = '\0';
	while (at < n) {
		const char *p = memmem(text + at, n - at, STR_LIT("://"));
		size_t s, e;

		if (p == NULL)
			break;
		e = (size_t)(p - text);
		at = e + 3;
		s = e;
		while (s > 0 && ((text[s - 1] >= 'a' && text[s - 1] <= 'z') ||
		    (text[s - 1] >= 'A' && text[s - 1] <= 'Z')))
			s--;
		if (s == e)
			continue;
		while (e < n && (unsigned char)text[e] > ' ' && (unsigned char)text[e] < 0x7f &&
		    strchr("<>\"'()[]{}|\\^`", text[e]) == NULL)
			e++;
		while (e > s && (text[e - 1] == '.' || text[e - 1] == ','))
			e--;
		at = e;
		(*n_urls)++;
		if (first[0] == '\0')
			snprintf(first, firstsz, "%.*s", (int)(e - s > 200 ? 200 : e - s), text + s);
		if (!mail_upki_url_ok(prefix, text + s, e - s))
			continue;
		if (e - s >= outsz)
			return ERR_TOOBIG;
		if (found && (strlen(out) != e - s || memcmp(out, text + s, e - s) != 0))
			return ERR_EXISTS;
		memcpy(out, text + s, e - s);
		out[e - s] = '\0';
		found = 1;
	}
	return found ? 0 : ERR_NOTFOUND;
}

static int
addr_eq(const char *a, size_t n, const char *b)
{
	return n == strlen(b) && ncaseeq(a, b, n);
}

/* The rfc822Name entries of c's subjectAltName: 1 when one is addr. */
static int
san_has_email(const struct x509_cert *c, const char *addr)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	struct der d, tbs, exts, seq;

	der_init(&d, c->tbs.p, c->tbs.len);
	if (der_read_enter(&d, DER_SEQUENCE, &tbs) != 0)
		return 0;
	if (der_peek(&tbs) == DER_CTX_CONS(0) && der_read_skip(&tbs) != 0)
		return 0;
	for (int i = 0; i < 6; i++) /* serial, signature, issuer, validity, subject, key */
		if (der_read_skip(&tbs) != 0)
			return 0;
	while (tbs.len > 0 && der_peek(&tbs) != DER_CTX_CONS(3))
		if (der_read_skip(&tbs) != 0)
			return 0;
	if (der_read_enter(&tbs, DER_CTX_CONS(3), &exts) != 0 ||
	    der_read_enter(&exts, DER_SEQUENCE, &seq) != 0)
		return 0;
	while (seq.len > 0) {
		struct der ext, oid, names;
		const unsigned char *v;
		size_t vl;

		if (der_read_enter(&seq, DER_SEQUENCE, &ext) != 0 || der_read_oid(&ext, &oid) != 0)
			return 0;
		if (!der_oid_eq(&oid, san_oid, sizeof(san_oid)))
			continue;
		if (der_peek(&ext) == DER_BOOLEAN && der_read_skip(&ext) != 0)
			return 0;
		if (der_read_octets(&ext, &v, &vl) != 0)
			return 0;
		der_init(&d, v, vl);
		if (der_read_enter(&d, DER_SEQUENCE, &names) != 0)
			return 0;
		while (names.len > 0) {
			unsigned tag;
			struct der gn;

			if (der_read_tlv(&names, &tag, &gn) != 0)
				return 0;
			if (tag == DER_CTX(1) && addr_eq((const char *)gn.p, gn.len, addr))
				return 1;
		}
		return 0;
	}
	return 0;
}

/*
 * The signer's certificate names the sender (RFC 8550 §3): its subject
 * emailAddress or a subjectAltName rfc822Name. Without it, any certificate
 * the anchor ever issued, to anyone, could sign a mail "from" UPKI.
 */
static int
signer_is(const struct x509_cert *c, const char *addr)
{
	const struct x509_str *e = &c->subject.attr[X509_NAME_EMAIL];

	return (e->p != NULL && addr_eq(e->p, e->len, addr)) || san_has_email(c, addr);
}

static int
refuse(struct mail_upki *out, int why, int rc, const char *detail)
{
	out->why = why;
	out->serial[0] = '\0';
	out->url[0] = '\0';
	if (detail != NULL && detail[0] != '\0')
		snprintf(out->reason, sizeof(out->reason), "%s: %s (%s)", mail_why_name(why),
		    mail_why_str(why), detail);
	else
		snprintf(out->reason, sizeof(out->reason), "%s: %s", mail_why_name(why),
		    mail_why_str(why));
	return rc;
}

static int
parse_why(int rc)
{
	return rc == ERR_TOOBIG ? MAIL_WHY_TOOBIG : MAIL_WHY_MIME;
}

int
mail_upki_check(struct mail_upki_work *w, const struct mail_upki_policy *pol,
    const char *msg, size_t len, struct mail_upki *out)
{
	struct mail_str v;
	char detail[256];
	size_t n, tl;
	unsigned n_urls;
	int why, rc;

	memset(out, 0, sizeof(*out));
	if (len > MAIL_MSG_MAX)
		return refuse(out, MAIL_WHY_TOOBIG, ERR_TOOBIG, "message over MAIL_MSG_MAX");
	if ((rc = mail_entity_parse(&w->top, msg, len)) != 0)
		return refuse(out, parse_why(rc), rc, "message headers");
	if (mail_header_get(&w->top, "Subject", &v) == 0 &&
	    (rc = mail_header_text(&v, out->subject, sizeof(out->subject), &n)) != 0)
		return refuse(out, parse_why(rc), rc, "Subject");
	if (mail_header_get(&w->top, "Message-ID", &v) == 0 &&
	    mail_header_text(&v, out->message_id, sizeof(out->message_id), &n) != 0)
		out->message_id[0] = '\0';
	rc = mail_header_get(&w->top, "From", &v);
	if (rc == 0)
		rc = mail_addr_get(&v, out->from, sizeof(out->from));
	if (rc != 0)
		return refuse(out, MAIL_WHY_FROM, ERR_DENIED, "no single From address");
	if ((rc = mail_signed_split(&w->top, &w->parts)) != 0)
		return refuse(out, rc == ERR_UNSUPPORTED ? MAIL_WHY_UNSIGNED : MAIL_WHY_MIME,
		    rc == ERR_UNSUPPORTED ? ERR_DENIED : rc, w->top.type);
	if ((rc = mail_entity_parse(&w->sig, w->parts.sig.p, w->parts.sig.len)) != 0)
		return refuse(out, parse_why(rc), rc, "signature part");
	if (strcmp(w->sig.type, "application/pkcs7-signature") != 0 &&
	    strcmp(w->sig.type, "application/x-pkcs7-signature") != 0)
		return refuse(out, MAIL_WHY_UNSIGNED, ERR_DENIED, w->sig.type);
	if ((rc = mail_body_decode(&w->sig, w->der, sizeof(w->der), &n)) != 0)
		return refuse(out, rc == ERR_TOOBIG ? MAIL_WHY_TOOBIG : MAIL_WHY_CMS, rc,
		    "signature part encoding");
	rc = mail_cms_verify(&w->cms, w->der, n, w->parts.content.p, w->parts.content.len,
	    pol->anchors, pol->now, &why);
	if (w->cms.signer >= 0) {
		const struct x509_cert *sc = &w->cms.cert[w->cms.signer];

		if (x509_name_format(&sc->subject, out->signer, sizeof(out->signer)) < 0)
			out->signer[0] = '\0';
	}
	out->signing_time = w->cms.signing_time;
	if (rc != 0)
		return refuse(out, why, rc == ERR_MALFORMED ? ERR_MALFORMED : ERR_DENIED,
		    out->signer);
	if (!addr_eq(out->from, strlen(out->from), pol->from)) {
		snprintf(detail, sizeof(detail), "%s", out->from);
		return refuse(out, MAIL_WHY_FROM, ERR_DENIED, detail);
	}
	if (!signer_is(&w->cms.cert[w->cms.signer], pol->from)) {
		/* Cut, not truncated by snprintf: the signer DN is up to 511 bytes. */
		snprintf(detail, sizeof(detail), "the signer's certificate is not for %.*s: %.*s",
		    upki_utf8_clip(pol->from, 80), pol->from, upki_utf8_clip(out->signer, 120),
		    out->signer);
		return refuse(out, MAIL_WHY_FROM, ERR_DENIED, detail);
	}
	/* The signed part: text/plain, or the first text/plain of a multipart one. */
	if ((rc = mail_entity_parse(&w->content, w->parts.content.p, w->parts.content.len)) != 0)
		return refuse(out, parse_why(rc), rc, "signed part");
	if (strncmp(w->content.type, STR_LIT("multipart/")) == 0) {
		struct mail_str sub[MAIL_PARTS_MAX];
		unsigned ns, i;

		if ((rc = mail_multipart_split(&w->content, sub, MAIL_PARTS_MAX, &ns)) != 0)
			return refuse(out, parse_why(rc), rc, "signed multipart part");
		for (i = 0; i < ns; i++) {
			if ((rc = mail_entity_parse(&w->sub, sub[i].p, sub[i].len)) != 0)
				return refuse(out, parse_why(rc), rc, "signed multipart part");
			if (strcmp(w->sub.type, "text/plain") == 0)
				break;
		}
		if (i == ns)
			return refuse(out, MAIL_WHY_MIME, ERR_MALFORMED, "no text/plain part signed");
		w->content = w->sub;
	}
	rc = mail_text_utf8(&w->content, w->scratch, sizeof(w->scratch), w->text,
	    sizeof(w->text), &tl);
	if (rc != 0) {
		snprintf(detail, sizeof(detail), "signed part %s; charset %s", w->content.type,
		    w->content.charset[0] ? w->content.charset : "us-ascii");
		return refuse(out, rc == ERR_TOOBIG ? MAIL_WHY_TOOBIG : MAIL_WHY_MIME, rc, detail);
	}
	if ((rc = mail_upki_serial(w->text, tl, out->serial)) != 0)
		return refuse(out, MAIL_WHY_NO_SERIAL, ERR_DENIED,
		    rc == ERR_MALFORMED ? "two serials, or one too long" : NULL);
	rc = url_find(w->text, tl, pol->download_url, out->url, sizeof(out->url), &n_urls,
	    detail, sizeof(detail));
	if (rc == ERR_NOTFOUND && n_urls > 0)
		return refuse(out, MAIL_WHY_URL_FOREIGN, ERR_DENIED, detail);
	if (rc == ERR_EXISTS)
		return refuse(out, MAIL_WHY_NO_URL, ERR_DENIED, "two different download URLs");
	if (rc != 0)
		return refuse(out, MAIL_WHY_NO_URL, ERR_DENIED, NULL);
	out->why = MAIL_WHY_OK;
	snprintf(out->reason, sizeof(out->reason), "%s: %s", mail_why_name(MAIL_WHY_OK),
	    mail_why_str(MAIL_WHY_OK));
	return 0;
}
