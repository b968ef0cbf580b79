/* tsv_write.c: application TSV rows for the SP1011 upload, checked before writing. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "upki/sjis.h"
#include "upki/tsv_write.h"
#include "util/err.h"
#include "util/str.h"

#define CSR_PEM_INPUT_MAX 16384 /* far above any CSR UPKI takes */
#define DNSNAMES_INPUT_MAX 64   /* names passed in, before the UPKI count rule */

static const char *const tsv_kind_names[UPKI_APPLY__MAX] = {
	[UPKI_APPLY_NEW] = "新規 (new)",
	[UPKI_APPLY_RENEW] = "更新 (renewal)",
	[UPKI_APPLY_REVOKE] = "失効 (revocation)",
};

/* Fill e with "column N 名前 (name): <text>" (f == UPKI_F__MAX: no column). */
static int tsv_fail(struct upki_err *e, int rc, enum upki_field f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
tsv_fail(struct upki_err *e, int rc, enum upki_field f, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (e == NULL)
		return rc;
	e->column = 0;
	if (f < UPKI_F__MAX) {
		e->column = upki_fields[f].column;
		k = snprintf(e->msg, sizeof(e->msg), "column %u %s (%s): ", upki_fields[f].column,
		    upki_fields[f].name_ja, upki_fields[f].name_en);
		if (k < 0 || (size_t)k >= sizeof(e->msg))
			k = 0;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg + k, sizeof(e->msg) - (size_t)k, fmt, ap);
	va_end(ap);
	upki_utf8_trim(e->msg);
	return rc;
}

/* "U+9AD9 '髙'" for messages; the character itself only when printable. */
static const char *
tsv_char_desc(char *out, size_t outsz, uint32_t cp)
{
	char u[5];
	size_t k;

	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0xD800 && cp <= 0xDFFF)) {
		snprintf(out, outsz, "U+%04X", (unsigned)cp);
		return out;
	}
	k = upki_utf8_put(u, cp);
	u[k] = '\0';
	snprintf(out, outsz, "U+%04X '%s'", (unsigned)cp, u);
	return out;
}

/*
 * The checks every cell gets: valid UTF-8; no TAB, line break, other control
 * character or UPKI_TSV_FORBIDDEN character; ASCII only in 半角 columns;
 * nothing outside JIS X 0208; at most max units.
 */
static int
tsv_check_text(enum upki_field f, const char *s, size_t n, size_t max, struct upki_err *e)
{
	const struct upki_field_def *d = &upki_fields[f];
	size_t i = 0, nch = 0;
	char desc[32];

	while (i < n) {
		size_t at = i;
		uint32_t cp;

		if (upki_utf8_next(s, n, &i, &cp) < 0)
			return tsv_fail(e, ERR_MALFORMED, f, "is not valid UTF-8 (byte %zu)", at + 1);
		nch++;
		if (cp == '\t')
			return tsv_fail(e, ERR_MALFORMED, f,
			    "contains a TAB (character %zu); a TSV cell cannot hold one", nch);
		if (cp == '\r' || cp == '\n')
			return tsv_fail(e, ERR_MALFORMED, f,
			    "contains a line break (character %zu); a TSV cell cannot hold one", nch);
		if (cp < 0x20 || cp == 0x7F)
			return tsv_fail(e, ERR_MALFORMED, f,
			    "contains the control character %s (character %zu)",
			    tsv_char_desc(desc, sizeof(desc), cp), nch);
		if (cp < 0x80 && strchr(UPKI_TSV_FORBIDDEN, (int)cp) != NULL)
			return tsv_fail(e, ERR_MALFORMED, f,
			    "contains %s (character %zu), which UPKI refuses in TSV cells",
			    cp == '"' ? "a double quote" : tsv_char_desc(desc, sizeof(desc), cp), nch);
		if (d->unit == UPKI_UNIT_BYTES && cp >= 0x80)
			return tsv_fail(e, ERR_UNSUPPORTED, f,
			    "character %zu (%s) is not 半角 (ASCII); this column takes ASCII only", nch,
			    tsv_char_desc(desc, sizeof(desc), cp));
		if (!jis_ucs_encodable(cp))
			return tsv_fail(e, ERR_UNSUPPORTED, f,
			    "character %zu (%s) is outside JIS X 0208; UPKI accepts only JIS X 0208 "
			    "characters (Shift_JIS)", nch, tsv_char_desc(desc, sizeof(desc), cp));
	}
	if (nch > max)
		return tsv_fail(e, ERR_TOOBIG, f, "is %zu %s long; UPKI allows at most %zu", nch,
		    d->unit == UPKI_UNIT_BYTES ? "characters (半角)" : "characters", max);
	return 0;
}

static int
tsv_is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
tsv_check_digits(enum upki_field f, const char *s, size_t n, struct upki_err *e)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return tsv_fail(e, ERR_MALFORMED, f,
			    "must be decimal digits only (半角数字); found '%c' at character %zu", s[i],
			    i + 1);
	return 0;
}

/*
 * Why s is not a host name UPKI takes, or NULL. s is ASCII (checked before).
 * wild: a leading "*." is allowed (the dNSName column only: whether UPKI
 * issues wildcards is the policy of upki_job_check(), upki_wildcards).
 */
static const char *
tsv_hostname_why(const char *s, size_t n, int wild)
{
	size_t label = 0, labels = 0;

	if (n == 0)
		return "is empty";
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		if (!wild)
			return "is a wildcard name; UPKI takes those in the dNSName column only";
		s += 2, n -= 2;
	}
	if (s[n - 1] == '.')
		return "ends with a dot; give the name without it";
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0)
				return "has an empty label (two dots in a row or a leading dot)";
			if (label > 63)
				return "has a label longer than 63 characters";
			if (s[i - label] == '-' || s[i - 1] == '-')
				return "has a label that starts or ends with '-'";
			label = 0;
			labels++;
			continue;
		}
		if (!tsv_is_alnum((unsigned char)s[i]) && s[i] != '-')
			return "may contain only letters, digits, '-' and '.'";
		label++;
	}
	if (labels < 2)
		return "is not a fully qualified domain name";
	return NULL;
}

static int
tsv_check_email(const char *s, size_t n, struct upki_err *e)
{
	size_t at = n, i;

	for (i = 0; i < n; i++) {
		if (!tsv_is_alnum((unsigned char)s[i]) && strchr(UPKI_EMAIL_PUNCT, s[i]) == NULL)
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_ADMIN_EMAIL,
			    "'%c' at character %zu is not allowed: UPKI takes A-Z a-z 0-9 and "
			    "\"%s\" only", s[i], i + 1, UPKI_EMAIL_PUNCT);
		if (s[i] == '@') {
			if (at != n)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_ADMIN_EMAIL,
				    "has more than one '@'");
			at = i;
		}
	}
	if (at == n || at == 0 || at + 1 == n)
		return tsv_fail(e, ERR_MALFORMED, UPKI_F_ADMIN_EMAIL,
		    "is not an e-mail address (local@domain)");
	if (tsv_hostname_why(s + at + 1, n - at - 1, 0) != NULL)
		return tsv_fail(e, ERR_MALFORMED, UPKI_F_ADMIN_EMAIL,
		    "has a domain part that is not a valid domain name");
	return 0;
}

/* Append s to out[*len..cap), escaping ',' as RFC 4514 "\," when esc is set. */
static void
tsv_dn_add(char *out, size_t cap, size_t *len, const char *s, int esc)
{
	size_t o = *len;

	for (; *s != '\0' && o + 2 < cap; s++) {
		if (esc && *s == ',')
			out[o++] = '\\';
		out[o++] = *s;
	}
	*len = o;
}

int
upki_dn_format(char *out, size_t outsz, const struct upki_dn *dn, struct upki_err *e)
{
	static const char *const order[] = UPKI_DN_ORDER;
	char tmp[8 * (4 + 2 * UPKI_DN_VALUE_MAX)], desc[32];
	size_t len = 0;

	if (e != NULL) {
		e->column = 0;
		e->msg[0] = '\0';
	}
	for (size_t p = 0; p < sizeof(order) / sizeof(order[0]); p++) {
		const char *key = order[p], *v;
		size_t n, i = 0, nch = 0;

		if (strcmp(key, "CN") == 0)
			v = dn->cn;
		else if (strcmp(key, "O") == 0)
			v = dn->o;
		else if (strcmp(key, "L") == 0)
			v = dn->l;
		else if (strcmp(key, "ST") == 0)
			v = dn->st;
		else
			v = dn->c == NULL || dn->c[0] == '\0' ? UPKI_DN_COUNTRY : dn->c;
		if (v == NULL || v[0] == '\0')
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_DN,
			    "%s is empty; UPKI requires CN, O, L, ST and C", key);
		n = strlen(v);
		while (i < n) {
			size_t at = i;
			uint32_t cp;

			if (upki_utf8_next(v, n, &i, &cp) < 0)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_DN,
				    "%s is not valid UTF-8 (byte %zu)", key, at + 1);
			nch++;
			if (cp == '\t' || cp == '\r' || cp == '\n')
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_DN,
				    "%s contains a %s (character %zu)", key,
				    cp == '\t' ? "TAB" : "line break", nch);
			if (cp >= 0x80 || cp == 0 || (!tsv_is_alnum((int)cp) &&
			    strchr(UPKI_DN_PUNCT, (int)cp) == NULL))
				return tsv_fail(e, cp >= 0x80 ? ERR_UNSUPPORTED : ERR_MALFORMED,
				    UPKI_F_DN, "%s: character %zu (%s) is not allowed; UPKI takes "
				    "A-Z a-z 0-9 and \"%s\" only", key, nch,
				    tsv_char_desc(desc, sizeof(desc), cp), UPKI_DN_PUNCT);
		}
		if (nch > UPKI_DN_VALUE_MAX)
			return tsv_fail(e, ERR_TOOBIG, UPKI_F_DN,
			    "%s is %zu characters long; UPKI allows at most %d", key, nch,
			    UPKI_DN_VALUE_MAX);
		if (v[0] == ' ' || v[n - 1] == ' ')
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_DN,
			    "%s starts or ends with a space", key);
		if (strcmp(key, "C") == 0 && strcmp(v, UPKI_DN_COUNTRY) != 0)
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_DN, "C must be %s",
			    UPKI_DN_COUNTRY);
		if (p > 0)
			tsv_dn_add(tmp, sizeof(tmp), &len, UPKI_DN_SEP, 0);
		tsv_dn_add(tmp, sizeof(tmp), &len, key, 0);
		tsv_dn_add(tmp, sizeof(tmp), &len, "=", 0);
		tsv_dn_add(tmp, sizeof(tmp), &len, v, 1);
	}
	if (len > UPKI_DN_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_DN,
		    "is %zu characters (半角) long; UPKI allows at most %d", len, UPKI_DN_MAX);
	if (outsz <= len)
		return tsv_fail(e, ERR_NOMEM, UPKI_F__MAX, "DN buffer too small");
	memcpy(out, tmp, len);
	out[len] = '\0';
	return 0;
}

/* The CN of a DN as UPKI lists it ("CN=a.example.jp,O=..."), unescaped. */
static int
tsv_dn_cn(const char *dn, char *out, size_t outsz)
{
	size_t n = strlen(dn), o = 0;

	for (size_t i = 0; i + 3 <= n; i++) {
		if ((i == 0 || (dn[i - 1] == ',' && (i < 2 || dn[i - 2] != '\\'))) &&
		    strncmp(dn + i, STR_LIT("CN=")) == 0) {
			for (i += 3; i < n && dn[i] != ','; i++) {
				if (dn[i] == '\\' && i + 1 < n)
					i++;
				if (o + 1 >= outsz)
					return ERR_TOOBIG;
				out[o++] = dn[i];
			}
			out[o] = '\0';
			return 0;
		}
	}
	return ERR_NOTFOUND;
}

static int
tsv_is_b64(int c)
{
	return tsv_is_alnum(c) || c == '+' || c == '/' || c == '=';
}

/* Put text into out[*o..outsz) while counting every byte in *o. */
static void
tsv_put(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, (*o)++)
		if (*o + 1 < outsz)
			out[*o] = s[i];
}

/* The CSR PEM on one line (UPKI_CSR_KEEP_ARMOR, UPKI_CSR_LINE_JOIN). */
static int
tsv_csr_join(const char *pem, char *out, size_t outsz, size_t *outlen, struct upki_err *e)
{
	static const char *const labels[] = {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"};
	const char *label = NULL, *p = pem, *end;
	size_t n = strlen(pem), o = 0, body = 0, lines = 0, lineno = 0;
	int state = 0, pad = 0; /* 0 before BEGIN, 1 body, 2 after END */
	char armor[64];

	if (n > CSR_PEM_INPUT_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_CSR, "is %zu bytes long; far over the limit",
		    n);
	end = pem + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *ls = p, *le;

		le = nl != NULL ? nl : end;
		p = nl != NULL ? nl + 1 : end;
		lineno++;
		while (ls < le && (*ls == ' ' || *ls == '\t'))
			ls++;
		while (le > ls && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (le == ls)
			continue;
		if (state == 0) {
			for (size_t k = 0; k < sizeof(labels) / sizeof(labels[0]); k++) {
				snprintf(armor, sizeof(armor), "-----BEGIN %s-----", labels[k]);
				if ((size_t)(le - ls) == strlen(armor) && memcmp(ls, armor, strlen(armor)) == 0)
					label = labels[k];
			}
			if (label == NULL)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "is not a PEM certificate request (no \"-----BEGIN CERTIFICATE "
				    "REQUEST-----\" line)");
			if (UPKI_CSR_KEEP_ARMOR)
				tsv_put(out, outsz, &o, ls, (size_t)(le - ls));
			state = 1;
			continue;
		}
		if (state == 2)
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
			    "has text after the END line (line %zu)", lineno);
		if (*ls == '-') {
			snprintf(armor, sizeof(armor), "-----END %s-----", label);
			if ((size_t)(le - ls) != strlen(armor) || memcmp(ls, armor, strlen(armor)) != 0)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "has a wrong END line (line %zu)", lineno);
			if (body == 0 || body % 4 != 0)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "has a base64 body of %zu characters, not a multiple of 4", body);
			if (UPKI_CSR_KEEP_ARMOR || lines > 0)
				tsv_put(out, outsz, &o, UPKI_CSR_LINE_JOIN, strlen(UPKI_CSR_LINE_JOIN));
			if (UPKI_CSR_KEEP_ARMOR)
				tsv_put(out, outsz, &o, ls, (size_t)(le - ls));
			state = 2;
			continue;
		}
		for (const char *c = ls; c < le; c++) {
			if (*c == '\t')
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "contains a TAB (line %zu); a TSV cell cannot hold one", lineno);
			if (!tsv_is_b64((unsigned char)*c))
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "line %zu has a character that is not base64 (byte 0x%02X)", lineno,
				    (unsigned char)*c);
			if (pad && *c != '=')
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "has base64 text after the '=' padding (line %zu)", lineno);
			if (*c == '=' && ++pad > 2)
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR,
				    "has more than two '=' padding characters");
		}
		if (UPKI_CSR_KEEP_ARMOR || lines > 0)
			tsv_put(out, outsz, &o, UPKI_CSR_LINE_JOIN, strlen(UPKI_CSR_LINE_JOIN));
		tsv_put(out, outsz, &o, ls, (size_t)(le - ls));
		body += (size_t)(le - ls);
		lines++;
	}
	if (state != 2)
		return tsv_fail(e, ERR_MALFORMED, UPKI_F_CSR, state == 0 ?
		    "is empty or not a PEM certificate request" :
		    "has no \"-----END CERTIFICATE REQUEST-----\" line");
	if (o > UPKI_CSR_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_CSR,
		    "is %zu characters long on one line; UPKI allows at most %d", o, UPKI_CSR_MAX);
	if (o >= outsz)
		return tsv_fail(e, ERR_NOMEM, UPKI_F__MAX, "CSR buffer too small");
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static int
tsv_name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* Column 13: the CN first (UPKI_DNSNAMES_HAS_CN), then the other names. */
static int
tsv_dnsnames(const struct upki_app *a, const char *cn, char *out, size_t outsz, size_t *outlen,
    struct upki_err *e)
{
	size_t o = 0, count = 0, seplen = strlen(UPKI_DNSNAMES_SEP);
	const char *why;
	int rc;

	if (a->n_dnsnames > DNSNAMES_INPUT_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_DNSNAMES,
		    "has %zu names; UPKI allows at most %d including the CN", a->n_dnsnames,
		    UPKI_DNSNAMES_MAX);
	if (UPKI_DNSNAMES_HAS_CN && cn[0] != '\0') {
		tsv_put(out, outsz, &o, cn, strlen(cn));
		count++;
	}
	for (size_t i = 0; i < a->n_dnsnames; i++) {
		const char *name = a->dnsnames[i];
		size_t n;

		if (name == NULL || name[0] == '\0')
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_DNSNAMES, "name %zu is empty", i + 1);
		n = strlen(name);
		rc = tsv_check_text(UPKI_F_DNSNAMES, name, n, UPKI_FQDN_MAX, e);
		if (rc < 0)
			return rc;
		why = tsv_hostname_why(name, n, 1);
		if (why != NULL)
			return tsv_fail(e, ERR_MALFORMED, UPKI_F_DNSNAMES, "\"%s\" %s", name, why);
		if (UPKI_DNSNAMES_HAS_CN && tsv_name_eq(name, cn))
			continue;
		for (size_t k = 0; k < i; k++)
			if (tsv_name_eq(name, a->dnsnames[k]))
				return tsv_fail(e, ERR_MALFORMED, UPKI_F_DNSNAMES,
				    "\"%s\" is listed twice", name);
		if (count > 0)
			tsv_put(out, outsz, &o, UPKI_DNSNAMES_SEP, seplen);
		tsv_put(out, outsz, &o, name, n);
		count++;
	}
	if (count > UPKI_DNSNAMES_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_DNSNAMES,
		    "has %zu names including the CN; UPKI allows at most %d", count,
		    UPKI_DNSNAMES_MAX);
	if (o > UPKI_DNSNAMES_LIST_MAX)
		return tsv_fail(e, ERR_TOOBIG, UPKI_F_DNSNAMES,
		    "is %zu characters (半角) long; UPKI allows at most %d", o,
		    UPKI_DNSNAMES_LIST_MAX);
	if (o >= outsz)
		return tsv_fail(e, ERR_NOMEM, UPKI_F__MAX, "dNSName buffer too small");
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static int
tsv_reason_ok(int reason)
{
	static const int reasons[] = UPKI_REVOKE_REASONS;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i] == reason)
			return 1;
	return 0;
}

/* Scratch of one row: built cells live here until the row is written. */
struct tsv_row {
	char dn[UPKI_DN_MAX + 1];
	char cn[UPKI_DN_MAX + 1];
	char csr[UPKI_CSR_MAX + 1];
	char dns[UPKI_DNSNAMES_LIST_MAX + 1];
	char reason[16];
	const char *val[UPKI_TSV_COLUMNS];
	size_t len[UPKI_TSV_COLUMNS];
};

static const char *
tsv_str(const char *s)
{
	return s != NULL ? s : "";
}

/* The text of field f for a, built where needed; checks of the builders. */
static int
tsv_value(const struct upki_app *a, enum upki_field f, struct tsv_row *r, const char **s,
    size_t *n, struct upki_err *e)
{
	int rc;

	*s = "";
	*n = 0;
	switch (f) {
	case UPKI_F_DN:
		if (a->dn_raw != NULL && a->dn_raw[0] != '\0') {
			*s = a->dn_raw;
			*n = strlen(a->dn_raw);
			return 0;
		}
		rc = upki_dn_format(r->dn, sizeof(r->dn), &a->dn, e);
		if (rc < 0)
			return rc;
		*s = r->dn;
		break;
	case UPKI_F_PROFILE:
		*s = tsv_str(a->profile_id);
		break;
	case UPKI_F_SERIAL:
		*s = tsv_str(a->serial);
		break;
	case UPKI_F_REASON:
		if (!tsv_reason_ok(a->reason))
			return tsv_fail(e, ERR_RANGE, f,
			    "%d is not a reason UPKI takes (0, 1, 3, 4 or 5)", a->reason);
		snprintf(r->reason, sizeof(r->reason), "%d", a->reason);
		*s = r->reason;
		break;
	case UPKI_F_COMMENT:
		*s = tsv_str(a->comment);
		break;
	case UPKI_F_CSR:
		if (a->csr_pem == NULL || a->csr_pem[0] == '\0')
			return 0;
		rc = tsv_csr_join(a->csr_pem, r->csr, sizeof(r->csr), n, e);
		*s = r->csr;
		return rc;
	case UPKI_F_ADMIN_NAME:
		*s = tsv_str(a->admin_name);
		break;
	case UPKI_F_ADMIN_ORG:
		*s = tsv_str(a->admin_org);
		break;
	case UPKI_F_ADMIN_EMAIL:
		*s = tsv_str(a->admin_email);
		break;
	case UPKI_F_FQDN:
		r->cn[0] = '\0';
		if (a->dn.cn != NULL && a->dn.cn[0] != '\0') {
			if (strlen(a->dn.cn) >= sizeof(r->cn))
				return tsv_fail(e, ERR_TOOBIG, f, "is far too long");
			memcpy(r->cn, a->dn.cn, strlen(a->dn.cn) + 1);
		} else if (a->dn_raw != NULL && tsv_dn_cn(a->dn_raw, r->cn, sizeof(r->cn)) < 0) {
			return tsv_fail(e, ERR_MALFORMED, f, "the subject DN has no CN");
		}
		*s = r->cn;
		break;
	case UPKI_F_SOFTWARE:
		*s = tsv_str(a->software);
		break;
	case UPKI_F_DNSNAMES:
		*s = r->dns;
		return tsv_dnsnames(a, r->cn, r->dns, sizeof(r->dns), n, e);
	default:
		return tsv_fail(e, ERR_STATE, UPKI_F__MAX, "unknown field %d", (int)f);
	}
	*n = strlen(*s);
	return 0;
}

static int
tsv_check_field(enum upki_field f, const char *s, size_t n, struct upki_err *e)
{
	const char *why;
	int rc = tsv_check_text(f, s, n, upki_fields[f].max, e);

	if (rc < 0)
		return rc;
	switch (f) {
	case UPKI_F_PROFILE:
	case UPKI_F_SERIAL:
		return tsv_check_digits(f, s, n, e);
	case UPKI_F_ADMIN_EMAIL:
		return tsv_check_email(s, n, e);
	case UPKI_F_FQDN:
		why = tsv_hostname_why(s, n, 0);
		if (why != NULL)
			return tsv_fail(e, ERR_MALFORMED, f, "\"%.*s\" %s", (int)n, s, why);
		return 0;
	default:
		return 0;
	}
}

void
upki_tsv_init(struct upki_tsv *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->rows = 0;
}

int
upki_tsv_append(struct upki_tsv *w, const struct upki_app *a, struct upki_err *e)
{
	struct tsv_row r;
	size_t total = (UPKI_TSV_COLUMNS - 1) + strlen(UPKI_TSV_EOL), o;
	unsigned bit;
	int rc;

	if (e != NULL) {
		e->column = 0;
		e->msg[0] = '\0';
	}
	if ((int)a->type < UPKI_APPLY_NEW || a->type >= UPKI_APPLY__MAX)
		return tsv_fail(e, ERR_RANGE, UPKI_F__MAX, "unknown application kind %d",
		    (int)a->type);
	bit = UPKI_APPLY_BIT(a->type);
	memset(r.val, 0, sizeof(r.val));
	memset(r.len, 0, sizeof(r.len));
	r.cn[0] = '\0';
	for (int f = 0; f < UPKI_F__MAX; f++) {
		const struct upki_field_def *d = &upki_fields[f];
		const char *s;
		size_t n, k;

		if (!(d->used & bit))
			continue;
		rc = tsv_value(a, (enum upki_field)f, &r, &s, &n, e);
		if (rc < 0)
			return rc;
		if (n == 0) {
			if (d->required & bit)
				return tsv_fail(e, ERR_MALFORMED, (enum upki_field)f,
				    "is required for %s applications", tsv_kind_names[a->type]);
			continue;
		}
		rc = tsv_check_field((enum upki_field)f, s, n, e);
		if (rc < 0)
			return rc;
		rc = sjis_from_utf8(NULL, 0, &k, s, n, NULL);
		if (rc < 0)
			return tsv_fail(e, rc, (enum upki_field)f, "cannot be encoded in Shift_JIS");
		r.val[d->column - 1] = s;
		r.len[d->column - 1] = n;
		total += k;
	}
	if (a->type == UPKI_APPLY_REVOKE && a->reason == UPKI_REVOKE_COMMENT_REQUIRED_FOR &&
	    r.len[upki_fields[UPKI_F_COMMENT].column - 1] == 0)
		return tsv_fail(e, ERR_MALFORMED, UPKI_F_COMMENT,
		    "is required when 失効理由 (revocation reason) is %d",
		    UPKI_REVOKE_COMMENT_REQUIRED_FOR);
	if (w->cap - w->len < total)
		return tsv_fail(e, ERR_NOMEM, UPKI_F__MAX,
		    "the TSV buffer is full (%zu of %zu bytes used, the row needs %zu)", w->len,
		    w->cap, total);
	o = w->len;
	for (int c = 0; c < UPKI_TSV_COLUMNS; c++) {
		size_t k = 0;

		if (c > 0)
			w->buf[o++] = UPKI_TSV_SEP;
		if (r.len[c] == 0)
			continue;
		/* Measured above; the converter's NUL lands where the next TAB or
		 * the CRLF goes, so it always fits. */
		rc = sjis_from_utf8(w->buf + o, w->cap - o, &k, r.val[c], r.len[c], NULL);
		if (rc < 0)
			return tsv_fail(e, rc, UPKI_F__MAX, "internal: encoding failed after checks");
		o += k;
	}
	memcpy(w->buf + o, UPKI_TSV_EOL, strlen(UPKI_TSV_EOL));
	o += strlen(UPKI_TSV_EOL);
	w->len = o;
	w->rows++;
	return 0;
}

int
upki_tsv_row(char *out, size_t outsz, size_t *outlen, const struct upki_app *a,
    struct upki_err *e)
{
	struct upki_tsv w;
	int rc;

	upki_tsv_init(&w, out, outsz);
	rc = upki_tsv_append(&w, a, e);
	if (rc == 0 && outlen != NULL)
		*outlen = w.len;
	return rc;
}

int
upki_serial_to_decimal(char *out, size_t outsz, const unsigned char *be, size_t n)
{
	unsigned char num[32];
	char digits[80];
	size_t nd = 0, start = 0;

	if (n > sizeof(num))
		return ERR_TOOBIG;
	memcpy(num, be, n);
	while (start < n && num[start] == 0)
		start++;
	while (start < n) {
		unsigned rem = 0;

		for (size_t i = start; i < n; i++) {
			unsigned cur = rem * 256 + num[i];

			num[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
		}
		digits[nd++] = (char)('0' + rem);
		while (start < n && num[start] == 0)
			start++;
	}
	if (nd == 0)
		digits[nd++] = '0';
	if (outsz < nd + 1)
		return ERR_TOOBIG;
	for (size_t i = 0; i < nd; i++)
		out[i] = digits[nd - 1 - i];
	out[nd] = '\0';
	return 0;
}

int
upki_serial_from_decimal(unsigned char *out, size_t outsz, size_t *outlen, const char *dec,
    size_t n)
{
	unsigned char num[32];
	size_t len;

	if (n == 0 || n > UPKI_SERIAL_DIGITS_MAX)
		return ERR_MALFORMED;
	memset(num, 0, sizeof(num));
	for (size_t i = 0; i < n; i++) {
		unsigned carry;

		if (dec[i] < '0' || dec[i] > '9')
			return ERR_MALFORMED;
		carry = (unsigned)(dec[i] - '0');
		/* num is little-endian here: num[0] is the lowest byte. */
		for (size_t k = 0; k < sizeof(num); k++) {
			unsigned cur = num[k] * 10u + carry;

			num[k] = (unsigned char)cur;
			carry = cur >> 8;
		}
		if (carry != 0)
			return ERR_TOOBIG;
	}
	for (len = sizeof(num); len > 1 && num[len - 1] == 0; len--)
		;
	if (outsz < len)
		return ERR_TOOBIG;
	for (size_t i = 0; i < len; i++)
		out[i] = num[len - 1 - i];
	*outlen = len;
	return 0;
}
