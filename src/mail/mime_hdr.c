/*
 * mime_hdr.c: header field text (RFC 5322 unfolding, RFC 2047 encoded words)
 * and the one address of a From field; the rest of the MIME reader is in
 * mime.c (both declared in mime.h).
 */
#include <string.h>

#include "mail/mime.h"
#include "upki/sjis.h"
#include "util/err.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ---- header text ---- */

/* Decode one encoded word's text (B or Q) into out. */
static int
ew_decode(int enc, const char *t, size_t n, unsigned char *out, size_t outsz, size_t *outlen)
{
	size_t o = 0;

	if (enc == 'b')
		return mail_b64_decode(t, n, out, outsz, outlen);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)t[i], h, l;

		if (c == '_') {
			c = ' ';
		} else if (c == '=') {
			if (n - i < 3 || (h = hexval((unsigned char)t[i + 1])) < 0 ||
			    (l = hexval((unsigned char)t[i + 2])) < 0)
				return ERR_MALFORMED;
			c = h * 16 + l;
			i += 2;
		} else if (c <= ' ' || c >= 0x7f) {
			return ERR_MALFORMED;
		}
		if (o >= outsz)
			return ERR_TOOBIG;
		out[o++] = (unsigned char)c;
	}
	*outlen = o;
	return 0;
}

/*
 * An encoded word at s[i..n): "=?cs?E?text?=". Sets the charset (lang suffix
 * cut), encoding, text range and end. 0 when it is one, -1 when not.
 */
static int
ew_find(const char *s, size_t n, size_t i, char *cs, size_t cssz, int *enc, size_t *t0,
    size_t *t1, size_t *end)
{
	size_t k = i + 2, c0;

	if (n - i < 8 || s[i] != '=' || s[i + 1] != '?')
		return -1;
	for (c0 = k; k < n && s[k] != '?'; k++)
		if ((unsigned char)s[k] <= ' ' || (unsigned char)s[k] >= 0x7f)
			return -1;
	if (k == c0 || k - c0 >= cssz || n - k < 4 || s[k + 2] != '?')
		return -1;
	memcpy(cs, s + c0, k - c0);
	cs[k - c0] = '\0';
	if (strchr(cs, '*') != NULL)
		*strchr(cs, '*') = '\0';
	*enc = lower((unsigned char)s[k + 1]);
	if (*enc != 'b' && *enc != 'q')
		return -1;
	*t0 = k + 3;
	for (k = *t0; k + 1 < n && !(s[k] == '?' && s[k + 1] == '='); k++)
		if ((unsigned char)s[k] <= ' ' || (unsigned char)s[k] >= 0x7f)
			return -1;
	if (k + 1 >= n)
		return -1;
	*t1 = k;
	*end = k + 2;
	return 0;
}

int
mail_header_text(const struct mail_str *v, char *out, size_t outsz, size_t *outlen)
{
	char unf[MAIL_HDR_TEXT_MAX], cs[32], run_cs[32] = "";
	unsigned char run[MAIL_HDR_TEXT_MAX];
	size_t n = 0, o = 0, rl = 0, i, k;
	int rc;

	if (outsz == 0)
		return ERR_TOOBIG;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] == '\r' || v->p[i] == '\n')
			continue;
		if (n + 1 >= sizeof(unf))
			return ERR_TOOBIG;
		unf[n++] = v->p[i];
	}
	i = 0;
	while (i < n && is_wsp((unsigned char)unf[i]))
		i++;
	while (i < n) {
		size_t t0, t1, end, dl;
		int enc;

		if (ew_find(unf, n, i, cs, sizeof(cs), &enc, &t0, &t1, &end) == 0) {
			/* White space between two encoded words is dropped (RFC 2047 §6.2). */
			if (rl == 0 || strcmp(cs, run_cs) != 0) {
				if (rl > 0) {
					if ((rc = mail_charset_to_utf8(run_cs, run, rl, out + o,
					    outsz - o, &dl)) != 0)
						return rc;
					o += dl;
					rl = 0;
				}
				memcpy(run_cs, cs, sizeof(cs));
			}
			if ((rc = ew_decode(enc, unf + t0, t1 - t0, run + rl, sizeof(run) - rl,
			    &dl)) != 0)
				return rc;
			rl += dl;
			i = end;
			k = i;
			while (k < n && is_wsp((unsigned char)unf[k]))
				k++;
			if (k < n && ew_find(unf, n, k, cs, sizeof(cs), &enc, &t0, &t1, &end) == 0) {
				i = k;
				continue;
			}
			continue;
		}
		if (rl > 0) {
			if ((rc = mail_charset_to_utf8(run_cs, run, rl, out + o, outsz - o,
			    &dl)) != 0)
				return rc;
			o += dl;
			rl = 0;
		}
		if ((unsigned char)unf[i] < ' ' && unf[i] != '\t')
			return ERR_MALFORMED;
		if (o + 2 > outsz)
			return ERR_TOOBIG;
		out[o++] = unf[i] == '\t' ? ' ' : unf[i];
		i++;
	}
	if (rl > 0) {
		size_t dl;

		if ((rc = mail_charset_to_utf8(run_cs, run, rl, out + o, outsz - o, &dl)) != 0)
			return rc;
		o += dl;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (o >= outsz)
		return ERR_TOOBIG;
	out[o] = '\0';
	if (upki_utf8_check(out, o, NULL, NULL) != 0)
		return ERR_MALFORMED;
	if (o >= MAIL_HDR_TEXT_MAX)
		return ERR_TOOBIG;
	*outlen = o;
	return 0;
}

/* ---- addresses ---- */

static int
addr_char_ok(int c, int domain)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.')
		return 1;
	return !domain && c != 0 && strchr("!#$%&'*+/=?^_`{|}~", c) != NULL;
}

int
mail_addr_get(const struct mail_str *v, char *out, size_t outsz)
{
	const char *s = v->p;
	size_t n = v->len, a0 = 0, a1 = 0, o = 0, at = 0;
	int depth = 0, quoted = 0, angle = 0, have_angle = 0, nat = 0;
	char bare[MAIL_ADDR_MAX + 1];
	size_t bl = 0;
	unsigned words = 0;
	int gap = 1;

	/* One pass: quoted strings and comments skipped; the addr-spec is the <...>
	 * part, or else everything outside comments and white space. */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (angle) {
			if (c == '>') {
				angle = 0;
				a1 = i;
			}
			continue;
		}
		switch (c) {
		case '"': quoted = 1; break;
		case '(': if (++depth > 8) return ERR_MALFORMED; break;
		case '<':
			if (have_angle)
				return ERR_MALFORMED;
			have_angle = angle = 1;
			a0 = i + 1;
			break;
		case ',': case ';': case ':': case '>': return ERR_MALFORMED;
		case ' ': case '\t': case '\r': case '\n': gap = 1; break;
		default:
			if (bl + 1 >= sizeof(bare))
				return ERR_MALFORMED;
			if (gap)
				words++;
			gap = 0;
			bare[bl++] = c;
		}
		if (c == '"' || c == '(')
			gap = 1;
	}
	if (quoted || depth > 0 || angle)
		return ERR_MALFORMED;
	if (!have_angle && words > 1)
		return ERR_MALFORMED; /* "a b@c": a display name needs <...> */
	if (have_angle) {
		s += a0;
		n = a1 - a0;
	} else {
		s = bare;
		n = bl;
	}
	if (n == 0 || n > MAIL_ADDR_MAX || n + 1 > outsz)
		return ERR_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '@') {
			nat++;
			at = i;
		} else if (!addr_char_ok(c, nat > 0)) {
			return ERR_MALFORMED;
		}
		out[o++] = (char)(nat > 0 ? lower(c) : c);
	}
	out[o] = '\0';
	if (nat != 1 || at == 0 || at + 1 == n || out[at + 1] == '.' || out[n - 1] == '.' ||
	    strstr(out, "..") != NULL)
		return ERR_MALFORMED;
	return 0;
}
