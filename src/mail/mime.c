#include <string.h>

#include "mail/mime.h"
#include "upki/sjis.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/str.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return b[n] == '\0';
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* The line at p[*pos..len): content [start, end) without its CRLF or LF. */
static int
line_next(const char *p, size_t len, size_t *pos, size_t *end)
{
	size_t i = *pos;

	while (i < len && p[i] != '\n') {
		if (p[i] == '\0' || (p[i] == '\r' && (i + 1 >= len || p[i + 1] != '\n')))
			return ERR_MALFORMED;
		i++;
	}
	*end = (i > *pos && p[i - 1] == '\r') ? i - 1 : i;
	if (*end - *pos > MAIL_LINE_MAX)
		return ERR_MALFORMED;
	*pos = i < len ? i + 1 : i;
	return 0;
}

/* ---- Content-Type and friends ---- */

/* Copy the token or quoted-string at s[*i..n) into out, lower-cased if asked. */
static int
param_value(const char *s, size_t n, size_t *i, char *out, size_t outsz, int lc)
{
	size_t o = 0, k = *i;

	if (k < n && s[k] == '"') {
		for (k++; k < n && s[k] != '"'; k++) {
			if (s[k] == '\\' && k + 1 < n)
				k++;
			if (o + 1 >= outsz)
				return ERR_TOOBIG;
			out[o++] = (char)(lc ? lower((unsigned char)s[k]) : s[k]);
		}
		if (k >= n)
			return ERR_MALFORMED;
		k++;
	} else {
		for (; k < n && s[k] != ';' && !is_wsp((unsigned char)s[k]) && s[k] != '\r' &&
		    s[k] != '\n'; k++) {
			/* Lenient on tspecials: mailers send boundary=----=_Part_1 unquoted. */
			if ((unsigned char)s[k] <= ' ' || (unsigned char)s[k] >= 0x7f || s[k] == '"')
				return ERR_MALFORMED;
			if (o + 1 >= outsz)
				return ERR_TOOBIG;
			out[o++] = (char)(lc ? lower((unsigned char)s[k]) : s[k]);
		}
		if (k == *i)
			return ERR_MALFORMED;
	}
	out[o] = '\0';
	*i = k;
	return 0;
}

static void
skip_ws(const char *s, size_t n, size_t *i)
{
	while (*i < n && (is_wsp((unsigned char)s[*i]) || s[*i] == '\r' || s[*i] == '\n'))
		(*i)++;
}

static int
content_type_parse(struct mail_entity *e, const struct mail_str *v)
{
	const char *s = v->p;
	size_t n = v->len, i = 0;
	char name[32], val[128];
	int rc;

	skip_ws(s, n, &i);
	if ((rc = param_value(s, n, &i, e->type, sizeof(e->type), 1)) != 0)
		return rc;
	if (strchr(e->type, '/') == NULL || e->type[0] == '/')
		return ERR_MALFORMED;
	for (;;) {
		size_t k;

		skip_ws(s, n, &i);
		if (i >= n)
			return 0;
		if (s[i] != ';')
			return ERR_MALFORMED;
		i++;
		skip_ws(s, n, &i);
		if (i >= n)
			return 0; /* a trailing ';' is common */
		for (k = 0; i < n && s[i] != '=' && !is_wsp((unsigned char)s[i]); i++) {
			if (k + 1 >= sizeof(name))
				return ERR_TOOBIG;
			name[k++] = (char)lower((unsigned char)s[i]);
		}
		name[k] = '\0';
		skip_ws(s, n, &i);
		if (k == 0 || i >= n || s[i] != '=')
			return ERR_MALFORMED;
		i++;
		skip_ws(s, n, &i);
		if ((rc = param_value(s, n, &i, val, sizeof(val), 0)) != 0)
			return rc;
#define PARAM(f, lc) if (!strcmp(name, #f)) { \
		if (e->f[0] != '\0') return ERR_MALFORMED; \
		if (strlen(val) >= sizeof(e->f)) return ERR_TOOBIG; \
		for (k = 0; val[k] != '\0'; k++) e->f[k] = (char)(lc ? lower((unsigned char)val[k]) : val[k]); \
		e->f[k] = '\0'; }
		PARAM(boundary, 0)
		PARAM(protocol, 1)
		PARAM(micalg, 1)
		PARAM(charset, 1)
#undef PARAM
	}
}

static int
cte_parse(struct mail_entity *e, const struct mail_str *v)
{
	static const struct { const char *name; int cte; } ctes[] = {
		{ "7bit", MAIL_CTE_7BIT }, { "8bit", MAIL_CTE_8BIT }, { "binary", MAIL_CTE_BINARY },
		{ "quoted-printable", MAIL_CTE_QP }, { "base64", MAIL_CTE_BASE64 },
	};
	const char *s = v->p;
	size_t n = v->len;

	while (n > 0 && (is_wsp((unsigned char)*s) || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n > 0 && (is_wsp((unsigned char)s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < sizeof(ctes) / sizeof(ctes[0]); i++)
		if (ieq(s, n, ctes[i].name)) {
			e->cte = ctes[i].cte;
			return 0;
		}
	return ERR_UNSUPPORTED;
}

int
mail_entity_parse(struct mail_entity *e, const char *p, size_t len)
{
	size_t pos = 0, end, start;
	struct mail_str v;
	int rc;

	memset(e, 0, sizeof(*e));
	if (len > MAIL_MSG_MAX)
		return ERR_TOOBIG;
	e->raw.p = p;
	e->raw.len = len;
	for (;;) {
		if (pos >= len) {
			e->body.p = p + len;
			break;
		}
		start = pos;
		if ((rc = line_next(p, len, &pos, &end)) != 0)
			return rc;
		if (end == start) {
			e->body.p = p + pos;
			e->body.len = len - pos;
			break;
		}
		if (is_wsp((unsigned char)p[start])) {
			if (e->n_hdr == 0)
				return ERR_MALFORMED;
			e->value[e->n_hdr - 1].len = (size_t)(p + end - e->value[e->n_hdr - 1].p);
			continue;
		}
		{
			size_t c = start;

			while (c < end && p[c] != ':') {
				if ((unsigned char)p[c] <= ' ' || (unsigned char)p[c] >= 0x7f)
					return ERR_MALFORMED;
				c++;
			}
			if (c == end || c == start)
				return ERR_MALFORMED;
			if (e->n_hdr == MAIL_HDR_MAX)
				return ERR_TOOBIG;
			e->name[e->n_hdr].p = p + start;
			e->name[e->n_hdr].len = c - start;
			e->value[e->n_hdr].p = p + c + 1;
			e->value[e->n_hdr].len = end - c - 1;
			e->n_hdr++;
		}
	}
	/* The body's lines obey the same rules. */
	for (size_t b = (size_t)(e->body.p - p); b < len;)
		if ((rc = line_next(p, len, &b, &end)) != 0)
			return rc;
	strcpy(e->type, "text/plain");
	rc = mail_header_get(e, "Content-Type", &v);
	if (rc == 0) {
		e->type[0] = '\0';
		rc = content_type_parse(e, &v);
	}
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	rc = mail_header_get(e, "Content-Transfer-Encoding", &v);
	if (rc == 0)
		rc = cte_parse(e, &v);
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	return 0;
}

int
mail_header_get(const struct mail_entity *e, const char *name, struct mail_str *v)
{
	int found = 0;

	for (unsigned i = 0; i < e->n_hdr; i++)
		if (ieq(e->name[i].p, e->name[i].len, name)) {
			if (found)
				return ERR_MALFORMED;
			*v = e->value[i];
			found = 1;
		}
	return found ? 0 : ERR_NOTFOUND;
}

/* ---- decoders ---- */

int
mail_b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen)
{
	unsigned acc = 0, bits = 0, pad = 0, q = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i], v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			q++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			return ERR_MALFORMED;
		q++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return ERR_TOOBIG;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (q % 4 != 0 || pad > 2 || (pad > 0 && bits != 2 * pad) || acc != 0)
		return ERR_MALFORMED;
	*outlen = o;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
mail_qp_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen)
{
	size_t pos = 0, o = 0;

	while (pos < n) {
		size_t start = pos, end, next;
		int rc, had_nl;

		if ((rc = line_next(in, n, &pos, &end)) != 0)
			return rc;
		next = pos;
		had_nl = next > end && in[next - 1] == '\n';
		while (end > start && is_wsp((unsigned char)in[end - 1]))
			end--; /* RFC 2045 §6.7 rule 3: trailing white space is not data */
		for (size_t i = start; i < end; i++) {
			int c = (unsigned char)in[i];

			if (c == '=') {
				int h, l;

				if (i + 1 == end) {
					had_nl = 0; /* soft line break */
					break;
				}
				if (i + 2 >= end || (h = hexval((unsigned char)in[i + 1])) < 0 ||
				    (l = hexval((unsigned char)in[i + 2])) < 0)
					return ERR_MALFORMED;
				c = h * 16 + l;
				i += 2;
			} else if (c >= 0x80 || (c < ' ' && c != '\t')) {
				return ERR_MALFORMED;
			}
			if (o >= outsz)
				return ERR_TOOBIG;
			out[o++] = (unsigned char)c;
		}
		if (had_nl) {
			if (outsz - o < 2)
				return ERR_TOOBIG;
			out[o++] = '\r';
			out[o++] = '\n';
		}
	}
	*outlen = o;
	return 0;
}

/* Append cp as UTF-8. */
static int
put_cp(char *out, size_t outsz, size_t *o, uint32_t cp)
{
	char u[4];
	size_t k = upki_utf8_put(u, cp);

	if (outsz - *o < k + 1)
		return ERR_TOOBIG;
	memcpy(out + *o, u, k);
	*o += k;
	return 0;
}

static int
iso2022jp_to_utf8(const unsigned char *s, size_t n, char *out, size_t outsz, size_t *outlen)
{
	enum { M_ASCII, M_0208, M_KANA } mode = M_ASCII;
	size_t i = 0, o = 0;
	int rc;

	while (i < n) {
		unsigned c = s[i];
		uint32_t cp;

		if (c == 0x1b) {
			if (n - i < 3)
				return ERR_MALFORMED;
			if (s[i + 1] == '(' && (s[i + 2] == 'B' || s[i + 2] == 'J'))
				mode = M_ASCII;
			else if (s[i + 1] == '$' && (s[i + 2] == 'B' || s[i + 2] == '@'))
				mode = M_0208;
			else if (s[i + 1] == '(' && s[i + 2] == 'I')
				mode = M_KANA;
			else
				return ERR_MALFORMED;
			i += 3;
			continue;
		}
		if (c >= 0x80 || c == 0x0e || c == 0x0f)
			return ERR_MALFORMED;
		if (mode == M_ASCII || c == '\r' || c == '\n') {
			/* A line break inside a JIS run is against RFC 1468 but seen: it ends the run. */
			if (c == '\r' || c == '\n')
				mode = M_ASCII;
			cp = c;
			i++;
		} else if (mode == M_KANA) {
			if (c < 0x21 || c > 0x5f)
				return ERR_MALFORMED;
			cp = 0xFF61 + (c - 0x21);
			i++;
		} else {
			unsigned char euc[2];
			size_t k = 0;

			if (n - i < 2 || c < 0x21 || c > 0x7e || s[i + 1] < 0x21 || s[i + 1] > 0x7e)
				return ERR_MALFORMED;
			euc[0] = (unsigned char)(c | 0x80);
			euc[1] = (unsigned char)(s[i + 1] | 0x80);
			if ((cp = eucjp_decode_next(euc, 2, &k)) == JIS_INVALID)
				return ERR_MALFORMED;
			i += 2;
		}
		if ((rc = put_cp(out, outsz, &o, cp)) != 0)
			return rc;
	}
	if (outsz - o < 1)
		return ERR_TOOBIG;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
mail_charset_to_utf8(const char *charset, const unsigned char *in, size_t n, char *out,
    size_t outsz, size_t *outlen)
{
	size_t cl = strlen(charset);

	if (cl == 0 || ieq(charset, cl, "us-ascii")) {
		for (size_t i = 0; i < n; i++)
			if (in[i] >= 0x80)
				return ERR_MALFORMED;
	} else if (ieq(charset, cl, "iso-2022-jp")) {
		return iso2022jp_to_utf8(in, n, out, outsz, outlen);
	} else if (ieq(charset, cl, "shift_jis") || ieq(charset, cl, "windows-31j") ||
	    ieq(charset, cl, "cp932")) {
		return sjis_to_utf8(out, outsz, outlen, in, n, 0, NULL);
	} else if (ieq(charset, cl, "euc-jp")) {
		return eucjp_to_utf8(out, outsz, outlen, in, n, 0, NULL);
	} else if (!ieq(charset, cl, "utf-8")) {
		return ERR_UNSUPPORTED;
	}
	if (upki_utf8_check((const char *)in, n, NULL, NULL) != 0)
		return ERR_MALFORMED;
	if (outsz < n + 1)
		return ERR_TOOBIG;
	memcpy(out, in, n);
	out[n] = '\0';
	*outlen = n;
	return 0;
}

int
mail_body_decode(const struct mail_entity *e, unsigned char *out, size_t outsz, size_t *outlen)
{
	const char *b = e->body.p;
	size_t n = e->body.len;

	switch (e->cte) {
	case MAIL_CTE_BASE64:
		return mail_b64_decode(b, n, out, outsz, outlen);
	case MAIL_CTE_QP:
		return mail_qp_decode(b, n, out, outsz, outlen);
	case MAIL_CTE_7BIT:
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)b[i] >= 0x80)
				return ERR_MALFORMED;
		break;
	default:
		break;
	}
	if (n > outsz)
		return ERR_TOOBIG;
	memcpy(out, b, n);
	*outlen = n;
	return 0;
}

int
mail_text_utf8(const struct mail_entity *e, unsigned char *scratch, size_t scratchsz,
    char *out, size_t outsz, size_t *outlen)
{
	size_t n, m, o = 0;
	int rc;

	if (strncmp(e->type, STR_LIT("text/")) != 0)
		return ERR_UNSUPPORTED;
	if ((rc = mail_body_decode(e, scratch, scratchsz, &n)) != 0)
		return rc;
	if ((rc = mail_charset_to_utf8(e->charset, scratch, n, out, outsz, &m)) != 0)
		return rc;
	for (size_t i = 0; i < m; i++)
		if (!(out[i] == '\r' && i + 1 < m && out[i + 1] == '\n'))
			out[o++] = out[i];
	out[o] = '\0';
	*outlen = o;
	return 0;
}

/* ---- multipart/signed ---- */

/* The line [start, end) is "--boundary" (close = 1 when followed by "--"), else -1. */
static int
boundary_line(const char *p, size_t start, size_t end, const char *b, size_t bl, int *close)
{
	size_t i;

	if (end - start < bl + 2 || p[start] != '-' || p[start + 1] != '-' ||
	    memcmp(p + start + 2, b, bl) != 0)
		return -1;
	i = start + 2 + bl;
	*close = 0;
	if (end - i >= 2 && p[i] == '-' && p[i + 1] == '-') {
		*close = 1;
		i += 2;
	}
	for (; i < end; i++)
		if (!is_wsp((unsigned char)p[i]))
			return -1; /* transport padding only (RFC 2046 §5.1.1) */
	return 0;
}

int
mail_multipart_split(const struct mail_entity *e, struct mail_str *parts, unsigned max,
    unsigned *n)
{
	const char *p = e->body.p;
	size_t len = e->body.len, pos = 0, bl = strlen(e->boundary), part_start = 0;
	unsigned np = 0;
	int open = 0, closed = 0;

	*n = 0;
	if (strncmp(e->type, STR_LIT("multipart/")) != 0)
		return ERR_UNSUPPORTED;
	if (bl == 0 || bl > 70)
		return ERR_MALFORMED;
	while (pos < len && !closed) {
		size_t start = pos, end;
		int close, rc;

		if ((rc = line_next(p, len, &pos, &end)) != 0)
			return rc;
		if (boundary_line(p, start, end, e->boundary, bl, &close) != 0)
			continue;
		if (open) {
			/* The line break before the delimiter belongs to it (RFC 2046 §5.1.1). */
			size_t cend = start;

			if (np == max)
				return ERR_TOOBIG;
			if (cend > part_start && p[cend - 1] == '\n')
				cend--;
			if (cend > part_start && p[cend - 1] == '\r')
				cend--;
			parts[np].p = p + part_start;
			parts[np].len = cend - part_start;
			np++;
		} else if (close) {
			return ERR_MALFORMED;
		}
		open = 1;
		closed = close;
		part_start = pos;
	}
	if (!closed || np == 0)
		return ERR_MALFORMED;
	*n = np;
	return 0;
}

int
mail_signed_split(const struct mail_entity *e, struct mail_signed *s)
{
	struct mail_str parts[2];
	unsigned n;
	int rc;

	memset(s, 0, sizeof(*s));
	if (strcmp(e->type, "multipart/signed") != 0)
		return ERR_UNSUPPORTED;
	if (strcmp(e->protocol, "application/pkcs7-signature") != 0 &&
	    strcmp(e->protocol, "application/x-pkcs7-signature") != 0)
		return ERR_UNSUPPORTED;
	rc = mail_multipart_split(e, parts, 2, &n);
	if (rc == ERR_TOOBIG || (rc == 0 && n != 2))
		rc = ERR_MALFORMED;
	if (rc != 0)
		return rc;
	s->content = parts[0];
	s->sig = parts[1];
	return 0;
}
