/*
 * tsv_check.c: the uploaded application TSV, parsed by our own code (not the
 * gateway's writer, so writer bugs show up) and checked row by row as
 * UPKI.md §10 lists: format (101-103), DN (201-207), CSR (211-218), names
 * (221-223), e-mail (231), serials (241/242), revocation (251/252/260), and
 * the simulator's own codes for empty, long and reserved cells. Column
 * positions and limits come from upki_fields[] (src/upki/upki_profile.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/err.h"
#include "x509/pem.h"
#include "util/str.h"

#define TSV_MIN_COLS 13          /* [X] accept 13-15 */
#define TSV_MAX_COLS UPKI_TSV_COLUMNS
#define TSV_RAW_CELL_MAX 4096    /* Shift_JIS bytes of one cell */
#define TSV_CELL_MAX (TSV_RAW_CELL_MAX * 3 / 2 + 1)
#define TSV_CSR_DER_MAX 4096

static const char tsv_reserved_name[] = "予約項目"; /* [X] 項目名 of reserved columns */

struct tsv_ctx {
	struct sim *s;
	int type;
	char cell[TSV_MAX_COLS][TSV_CELL_MAX];
	int ncols;
	struct sim_row *rows;     /* rows accepted so far in this file (ok ones) */
	struct sim_row_result *res;
	unsigned n;
};

static void
row_err(struct sim_row_result *r, int code, const char *field)
{
	r->ok = 0;
	if (r->n_err == SIM_MAX_ROW_ERRORS)
		return;
	for (int i = 0; i < r->n_err; i++)
		if (r->codes[i] == code && r->fields[i] == field)
			return;
	r->codes[r->n_err] = code;
	r->fields[r->n_err] = field;
	r->n_err++;
}

static const char *
cellv(const struct tsv_ctx *c, int col)
{
	return col >= 1 && col <= c->ncols ? c->cell[col - 1] : "";
}

static const char *
fcell(const struct tsv_ctx *c, enum upki_field f)
{
	return cellv(c, upki_fields[f].column);
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * Presence and length of field f for this kind; 0 when the value can be
 * checked further, -1 when an error was recorded or the value is empty.
 */
static int
field_basic(struct tsv_ctx *c, struct sim_row_result *r, enum upki_field f)
{
	const struct upki_field_def *d = &upki_fields[f];
	const char *v = fcell(c, f);

	if (v[0] == '\0') {
		if (d->required & UPKI_APPLY_BIT(c->type))
			row_err(r, SIM_E_REQUIRED, d->name_ja);
		return -1;
	}
	if (d->unit == UPKI_UNIT_BYTES && !is_ascii(v)) {
		row_err(r, UPKI_E_ENCODING, d->name_ja);
		return -1;
	}
	if ((d->unit == UPKI_UNIT_BYTES ? strlen(v) : utf8_chars(v)) > d->max) {
		row_err(r, SIM_E_LENGTH, d->name_ja);
		return -1;
	}
	return 0;
}

/* ---- subject DN ---- */

static int
dn_attr_index(const char *t, size_t n)
{
	static const struct { const char *name; int idx; } types[] = {
		{ "CN", X509_NAME_CN }, { "OU", X509_NAME_OU }, { "O", X509_NAME_O },
		{ "L", X509_NAME_L }, { "ST", X509_NAME_ST }, { "S", X509_NAME_ST },
		{ "C", X509_NAME_C }, { "E", X509_NAME_EMAIL },
		{ "emailAddress", X509_NAME_EMAIL },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n && strncasecmp(t, types[i].name, n) == 0)
			return types[i].idx;
	return -1;
}

int
sim_dn_parse(const char *dn, char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1])
{
	const char *p = dn;

	memset(attrs, 0, X509_NAME__MAX * sizeof(attrs[0]));
	if (*p == '\0')
		return ERR_MALFORMED;
	for (int turn = 0; turn < X509_NAME_RDN_MAX; turn++) {
		const char *eq;
		char val[X509_NAME_VALUE_MAX + 1];
		size_t o = 0;
		int idx;

		while (*p == ' ')
			p++;
		eq = strchr(p, '=');
		if (eq == NULL || eq == p)
			return ERR_MALFORMED;
		idx = dn_attr_index(p, (size_t)(eq - p));
		if (idx < 0 || attrs[idx][0] != '\0')
			return ERR_MALFORMED;
		for (p = eq + 1; *p && *p != ','; p++) {
			char ch = *p;

			if (ch == '\\') {
				if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
					char hex[3] = { p[1], p[2], 0 };
					ch = (char)strtol(hex, NULL, 16);
					p += 2;
				} else if (p[1] != '\0') {
					ch = *++p;
				} else {
					return ERR_MALFORMED;
				}
			} else if (ch == '+' || ch == '"' || ch == ';' || ch == '<' || ch == '>') {
				return ERR_MALFORMED;   /* multi-valued RDNs and quoting: not UPKI */
			}
			if (o == X509_NAME_VALUE_MAX || ch == '\0')
				return ERR_MALFORMED;
			val[o++] = ch;
		}
		if (o == 0)
			return ERR_MALFORMED;
		val[o] = '\0';
		memcpy(attrs[idx], val, o + 1);
		if (*p == '\0')
			return 0;
		p++;
	}
	return ERR_MALFORMED;
}

int
sim_dn_format(char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1], char *out, size_t outsz)
{
	static const struct { const char *name; int idx; } order[] = {
		{ "CN", X509_NAME_CN }, { "OU", X509_NAME_OU }, { "O", X509_NAME_O },
		{ "L", X509_NAME_L }, { "ST", X509_NAME_ST }, { "C", X509_NAME_C },
	};
	size_t o = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *v = attrs[order[i].idx];
		int n;

		if (v[0] == '\0')
			continue;
		n = snprintf(out + o, outsz - o, "%s%s=", o ? "," : "", order[i].name);
		if (n < 0 || (size_t)n >= outsz - o)
			return ERR_TOOBIG;
		o += (size_t)n;
		for (; *v; v++) {
			int esc = strchr(",\\+\"<>;", *v) != NULL;
			if (o + 2 + (size_t)esc >= outsz)
				return ERR_TOOBIG;
			if (esc)
				out[o++] = '\\';
			out[o++] = *v;
		}
		out[o] = '\0';
	}
	return o == 0 ? ERR_MALFORMED : 0;
}

static int
dn_value_ok(const char *v)
{
	if (strlen(v) > UPKI_DN_VALUE_MAX || v[0] == ' ' || v[strlen(v) - 1] == ' ')
		return 0;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && strchr(UPKI_DN_PUNCT, *v) == NULL)
			return 0;
	return 1;
}

/* LDH host name, two labels at least, no wildcard [I]. */
static int
host_ok(const char *h, size_t max)
{
	size_t n = strlen(h), label = 0;
	int labels = 1;

	if (n == 0 || n > max || h[0] == '.' || h[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];

		if (ch == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-')
			return 0;
		if (ch == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return labels >= 2 && h[n - 1] != '-';
}

static void
lower_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < dstsz && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void
check_dn(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a,
    char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1])
{
	const char *f = upki_fields[UPKI_F_DN].name_ja;
	const struct sim_inst *in = &c->s->inst;
	char cn[SIM_FQDN_MAX + 1];

	if (field_basic(c, r, UPKI_F_DN) != 0)
		return;
	if (sim_dn_parse(fcell(c, UPKI_F_DN), attrs) != 0) {
		row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	if (attrs[X509_NAME_OU][0] != '\0')
		row_err(r, UPKI_E_DN_OU, f);
	if (attrs[X509_NAME_CN][0] == '\0' || attrs[X509_NAME_C][0] == '\0' ||
	    attrs[X509_NAME_EMAIL][0] != '\0') {
		row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (i != X509_NAME_CN && attrs[i][0] != '\0' && !dn_value_ok(attrs[i]))
			row_err(r, UPKI_E_DN_SYNTAX, f);
	if (strcmp(attrs[X509_NAME_C], UPKI_DN_COUNTRY) != 0 || strcmp(attrs[X509_NAME_O], in->o) ||
	    strcmp(attrs[X509_NAME_L], in->l) || strcmp(attrs[X509_NAME_ST], in->st))
		row_err(r, UPKI_E_DN_INSTITUTION, f);
	if (!host_ok(attrs[X509_NAME_CN], UPKI_FQDN_MAX)) {
		row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	lower_copy(cn, sizeof(cn), attrs[X509_NAME_CN]);
	if (!sim_inst_domain_ok(in, cn))
		row_err(r, UPKI_E_DN_DOMAIN, f);
	if (sim_dn_format(attrs, a->dn, sizeof(a->dn)) != 0 || strlen(a->dn) > UPKI_DN_MAX)
		row_err(r, SIM_E_LENGTH, f);
	snprintf(a->cn, sizeof(a->cn), "%s", attrs[X509_NAME_CN]);
}

/* ---- CSR ---- */

/*
 * The CSR cell: PEM on one line (armor kept or not, base64 unwrapped), with
 * literal "\n" joins tolerated [I].
 */
static int
csr_decode(const char *v, unsigned char *der, size_t dersz, size_t *derlen)
{
	const char *b = v, *e = v + strlen(v), *beg = strstr(v, "-----BEGIN ");
	char tmp[TSV_CELL_MAX];
	size_t o = 0;

	if (beg != NULL) {
		const char *lab = beg + 11, *lend = strstr(lab, "-----");
		const char *end;

		if (lend == NULL)
			return ERR_MALFORMED;
		if (!((lend - lab == 19 && !strncmp(lab, STR_LIT("CERTIFICATE REQUEST"))) ||
		    (lend - lab == 23 && !strncmp(lab, STR_LIT("NEW CERTIFICATE REQUEST")))))
			return ERR_MALFORMED;
		b = lend + 5;
		end = strstr(b, "-----END ");
		if (end == NULL || strncmp(end + 9, lab, (size_t)(lend - lab)) != 0 ||
		    strncmp(end + 9 + (lend - lab), STR_LIT("-----")) != 0)
			return ERR_MALFORMED;
		e = end;
	}
	for (const char *p = b; p < e; p++) {
		if (p[0] == '\\' && p + 1 < e && (p[1] == 'n' || p[1] == 'r')) {
			p++;
			continue;
		}
		if (o + 1 >= sizeof(tmp))
			return ERR_TOOBIG;
		tmp[o++] = *p;
	}
	return sim_b64_decode(tmp, o, der, dersz, derlen);
}

static int
key_hash_seen(struct tsv_ctx *c, const unsigned char h[32])
{
	for (size_t i = 0; i < c->s->n_apps; i++) {
		const struct sim_app *a = c->s->apps[i];
		if (a->type != UPKI_APPLY_REVOKE && memcmp(a->key_hash, h, 32) == 0)
			return 1;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->res[i].ok && memcmp(c->rows[i].app.key_hash, h, 32) == 0)
			return 1;
	return 0;
}

static int
str_eq_n(const struct x509_str *s, const char *v)
{
	size_t n = strlen(v);

	if (s->p == NULL)
		return n == 0;
	return s->len == n && memcmp(s->p, v, n) == 0;
}

static void
check_csr(struct tsv_ctx *c, struct sim_row_result *r, struct sim_row *row,
    char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1], int profile_kind)
{
	const char *f = upki_fields[UPKI_F_CSR].name_ja;
	struct sim_app *a = &row->app;
	unsigned char der[TSV_CSR_DER_MAX];
	struct x509_csr csr;
	br_sha256_context h;
	size_t len;
	int rc, empty_subject = 1, cn_only = 1, full = 1;

	if (field_basic(c, r, UPKI_F_CSR) != 0)
		return;
	if (csr_decode(fcell(c, UPKI_F_CSR), der, sizeof(der), &len) != 0 ||
	    x509_csr_parse(&csr, der, len) != 0) {
		row_err(r, UPKI_E_CSR_SYNTAX, f);
		return;
	}
	rc = x509_csr_verify(&csr);
	if (rc == ERR_BADSIG || rc == ERR_MALFORMED) {
		row_err(r, UPKI_E_CSR_SYNTAX, f);
		return;
	}
	/* Key type and size [D: RSA 2048]; ECDSA only under an ECC profile [X]. */
	if (rc != 0 ||
	    (csr.key.type == X509_KEY_RSA && (csr.key.bits != 2048 || profile_kind == 1)) ||
	    (csr.key.type == X509_KEY_EC && ((csr.key.curve != BR_EC_secp256r1 &&
	    csr.key.curve != BR_EC_secp384r1) || profile_kind == 0)) ||
	    (csr.key.type != X509_KEY_RSA && csr.key.type != X509_KEY_EC))
		row_err(r, UPKI_E_CSR_KEY, f);
	if (csr.ext.has_san && !c->s->opts.accept_san)
		row_err(r, UPKI_E_CSR_SAN, f);
	if (csr.subject.attr[X509_NAME_OU].p != NULL)
		row_err(r, UPKI_E_DN_OU, f);
	/* Subject = column 1 exactly; with --accept-san also empty or CN only. */
	for (int i = 0; i < X509_NAME__MAX; i++) {
		if (csr.subject.attr[i].p != NULL)
			empty_subject = 0;
		if (!str_eq_n(&csr.subject.attr[i], attrs[i]))
			full = 0;
		if (i != X509_NAME_CN && csr.subject.attr[i].p != NULL)
			cn_only = 0;
	}
	if (csr.subject.n_other || csr.subject.n_dup) {
		full = cn_only = 0;
		empty_subject = 0;
	}
	cn_only = cn_only && str_eq_n(&csr.subject.attr[X509_NAME_CN], attrs[X509_NAME_CN]);
	if (attrs[X509_NAME_CN][0] != '\0' &&
	    !(full || (c->s->opts.accept_san && (empty_subject || cn_only))))
		row_err(r, UPKI_E_CSR_SUBJECT, f);
	if (csr.key.spki.len > sizeof(row->spki_buf)) {
		row_err(r, UPKI_E_CSR_KEY, f);
		return;
	}
	memcpy(row->spki_buf, csr.key.spki.p, csr.key.spki.len);
	a->spki = row->spki_buf;
	a->spki_len = csr.key.spki.len;
	br_sha256_init(&h);
	br_sha256_update(&h, csr.key.spki.p, csr.key.spki.len);
	br_sha256_out(&h, a->key_hash);
	if (key_hash_seen(c, a->key_hash))
		row_err(r, UPKI_E_CSR_KEY_REUSED, f);
	/* With --accept-san the CSR's names must be a subset of column 13. */
	if (csr.ext.has_san && c->s->opts.accept_san) {
		for (unsigned i = 0; i < csr.ext.san.n_dns; i++) {
			char name[256], *p = a->dnsnames;
			size_t nl;
			int found = 0;

			nl = csr.ext.san.dns[i].len < 255 ? csr.ext.san.dns[i].len : 255;
			for (size_t k = 0; k < nl; k++)
				name[k] = (char)tolower((unsigned char)csr.ext.san.dns[i].p[k]);
			name[nl] = '\0';
			while (*p) {
				size_t l = strcspn(p, ",");
				if (l == nl && strncmp(p, name, l) == 0)
					found = 1;
				p += l + (p[l] == ',');
			}
			if (!found)
				row_err(r, UPKI_E_DNSNAME_DOMAIN, upki_fields[UPKI_F_DNSNAMES].name_ja);
		}
		if (csr.ext.san.n_ip || csr.ext.san.n_other)
			row_err(r, UPKI_E_DNSNAME_DOMAIN, upki_fields[UPKI_F_DNSNAMES].name_ja);
	}
}

/* ---- other columns ---- */

static void
check_email(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	const char *v = fcell(c, UPKI_F_ADMIN_EMAIL), *at;

	if (field_basic(c, r, UPKI_F_ADMIN_EMAIL) != 0)
		return;
	at = strchr(v, '@');
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(UPKI_EMAIL_PUNCT, *p) == NULL)
			at = NULL;
	if (at == NULL || at == v || strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || v[strlen(v) - 1] == '.') {
		row_err(r, UPKI_E_EMAIL, upki_fields[UPKI_F_ADMIN_EMAIL].name_ja);
		return;
	}
	snprintf(a->admin_email, sizeof(a->admin_email), "%s", v);
}

/* Column 13: ','-separated [I], the CN first [I], at most 8 with the CN [X]. */
static void
check_dnsnames(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	const char *f = upki_fields[UPKI_F_DNSNAMES].name_ja, *p;
	char list[UPKI_DNSNAMES_MAX][256];
	char cn[SIM_FQDN_MAX + 1];
	size_t n = 0, o = 0;
	int bad = 0, over = 0;

	if (a->cn[0] == '\0')
		return;
	lower_copy(cn, sizeof(cn), a->cn);
	memcpy(list[n++], cn, strlen(cn) + 1);
	if (field_basic(c, r, UPKI_F_DNSNAMES) == 0) {
		p = fcell(c, UPKI_F_DNSNAMES);
		for (int turn = 0; turn < 256 && *p; turn++) {
			size_t l = strcspn(p, UPKI_DNSNAMES_SEP);
			char name[256];
			int dup = 0;

			if (l == 0 || l >= sizeof(name)) {
				bad = 1;
			} else {
				memcpy(name, p, l);
				name[l] = '\0';
				lower_copy(name, sizeof(name), name);
				if (!host_ok(name, 253) || !sim_inst_domain_ok(&c->s->inst, name))
					bad = 1;
				for (size_t k = 0; k < n; k++)
					if (!strcmp(list[k], name))
						dup = 1;
				if (!dup && !bad) {
					if (n == UPKI_DNSNAMES_MAX)
						over = 1;
					else
						memcpy(list[n++], name, l + 1);
				}
			}
			p += l;
			if (*p)
				p++;
			if (*p == '\0' && p[-1] == ',')
				bad = 1;
		}
	}
	if (bad)
		row_err(r, UPKI_E_DNSNAME_DOMAIN, f);
	if (over)
		row_err(r, UPKI_E_DNSNAME_COUNT, f);
	for (size_t k = 0; k < n; k++)
		if (!sim_inst_caa_ok(&c->s->inst, list[k]))
			row_err(r, UPKI_E_CAA, f);
	for (size_t k = 0; k < n; k++) {
		int w = snprintf(a->dnsnames + o, sizeof(a->dnsnames) - o, "%s%s", k ? "," : "",
		    list[k]);
		if (w < 0 || (size_t)w >= sizeof(a->dnsnames) - o) {
			row_err(r, SIM_E_LENGTH, f);
			break;
		}
		o += (size_t)w;
	}
}

/* Columns that no field of this kind uses must be empty. */
static void
check_reserved(struct tsv_ctx *c, struct sim_row_result *r)
{
	for (int col = 1; col <= c->ncols; col++) {
		const char *name = tsv_reserved_name;
		int used = 0;

		for (int f = 0; f < UPKI_F__MAX; f++)
			if (upki_fields[f].column == col) {
				name = upki_fields[f].name_ja;
				used = (upki_fields[f].used & UPKI_APPLY_BIT(c->type)) != 0;
			}
		if (!used && c->cell[col - 1][0] != '\0')
			row_err(r, SIM_E_RESERVED, name);
	}
}

static int
serial_norm(const char *v, char *out, size_t outsz)
{
	size_t n = strlen(v);

	if (n == 0 || n > UPKI_SERIAL_DIGITS_MAX || strspn(v, "0123456789") != n)
		return ERR_MALFORMED;
	while (n > 1 && *v == '0') {
		v++;
		n--;
	}
	if (n >= outsz)
		return ERR_TOOBIG;
	memcpy(out, v, n + 1);
	return 0;
}

static int
dn_issued(struct tsv_ctx *c, const char *dn)
{
	for (size_t i = 0; i < c->s->n_apps; i++) {
		const struct sim_app *a = c->s->apps[i];
		if (a->type != UPKI_APPLY_REVOKE && a->state != sim_profile.state_failed &&
		    !strcmp(a->dn, dn))
			return 1;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->res[i].ok && !strcmp(c->rows[i].app.dn, dn))
			return 1;
	return 0;
}

/* An application of kind type pending for serial (in the state or this file). */
static int
pending_for(struct tsv_ctx *c, int type, const char *serial)
{
	for (size_t i = 0; i < c->s->n_apps; i++) {
		const struct sim_app *a = c->s->apps[i];
		if (a->type == type && a->state == SIM_ST_PROCESSING &&
		    !strcmp(a->ref_serial, serial))
			return 1;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (c->res[i].ok && c->rows[i].app.type == type &&
		    !strcmp(c->rows[i].app.ref_serial, serial))
			return 1;
	return 0;
}

static void
check_serial(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	const char *f = upki_fields[UPKI_F_SERIAL].name_ja;
	const struct sim_app *old;

	if (field_basic(c, r, UPKI_F_SERIAL) != 0)
		return;
	if (serial_norm(fcell(c, UPKI_F_SERIAL), a->ref_serial, sizeof(a->ref_serial)) != 0 ||
	    (old = sim_app_by_serial(c->s, a->ref_serial)) == NULL ||
	    (a->dn[0] != '\0' && strcmp(old->dn, a->dn) != 0)) {
		row_err(r, UPKI_E_SERIAL_UNKNOWN, f);
		return;
	}
	if (c->type == UPKI_APPLY_RENEW) {
		if ((old->state != SIM_ST_MAILED && old->state != SIM_ST_DOWNLOADED) ||
		    pending_for(c, UPKI_APPLY_RENEW, a->ref_serial))
			row_err(r, UPKI_E_SERIAL_STATE, f);
		return;
	}
	/* 失効: refused while 状態 is 4 (Nagoya §4.8 [D]) unless switched off. */
	if ((old->state == SIM_ST_MAILED && !c->s->opts.allow_revoke_status4) ||
	    (old->state != SIM_ST_MAILED && old->state != SIM_ST_DOWNLOADED &&
	    old->state != SIM_ST_RENEWED) || pending_for(c, UPKI_APPLY_REVOKE, a->ref_serial))
		row_err(r, UPKI_E_REVOKE_STATE, "状態");
}

static void
check_revoke(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	static const int reasons[] = UPKI_REVOKE_REASONS;
	const char *v = fcell(c, UPKI_F_REASON);
	int ok = 0;

	if (field_basic(c, r, UPKI_F_REASON) == 0) {
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (strlen(v) == 1 && v[0] - '0' == reasons[i])
				ok = 1;
		if (!ok)
			row_err(r, UPKI_E_REVOKE_REASON, upki_fields[UPKI_F_REASON].name_ja);
		a->reason = ok ? v[0] - '0' : -1;
	}
	if (field_basic(c, r, UPKI_F_COMMENT) == 0)
		snprintf(a->comment, sizeof(a->comment), "%s", fcell(c, UPKI_F_COMMENT));
	else if (ok && a->reason == UPKI_REVOKE_COMMENT_REQUIRED_FOR &&
	    fcell(c, UPKI_F_COMMENT)[0] == '\0')
		row_err(r, UPKI_E_REVOKE_COMMENT, upki_fields[UPKI_F_COMMENT].name_ja);
}

static void
check_text(struct tsv_ctx *c, struct sim_row_result *r, enum upki_field f, char *dst,
    size_t dstsz)
{
	if (field_basic(c, r, f) == 0)
		snprintf(dst, dstsz, "%s", fcell(c, f));
}

/* ---- rows ---- */

/* Split, decode and screen one line; 0 when its cells can be checked. */
static int
row_cells(struct tsv_ctx *c, struct sim_row_result *r, const unsigned char *line, size_t len)
{
	const unsigned char *p = line, *end = line + len;

	if (memchr(line, '"', len) != NULL) {
		row_err(r, UPKI_E_QUOTED, NULL);
		return -1;
	}
	c->ncols = 0;
	for (;;) {
		const unsigned char *tab = memchr(p, '\t', (size_t)(end - p));
		const unsigned char *ce = tab ? tab : end;
		char *out;
		size_t n = 0, pos = 0;

		if (c->ncols == TSV_MAX_COLS) {
			row_err(r, UPKI_E_COLUMNS, NULL);
			return -1;
		}
		out = c->cell[c->ncols++];
		if ((size_t)(ce - p) > TSV_RAW_CELL_MAX) {
			row_err(r, SIM_E_LENGTH, NULL);
			return -1;
		}
		if (sjis_to_utf8(out, TSV_CELL_MAX, &n, p, (size_t)(ce - p), 0, NULL) != 0) {
			row_err(r, UPKI_E_ENCODING, NULL);
			return -1;
		}
		/* Only ASCII and JIS X 0208, no control characters. */
		while (pos < n) {
			uint32_t cp;
			if (upki_utf8_next(out, n, &pos, &cp) != 0 || cp < 0x20 || cp == 0x7f ||
			    !jis_ucs_encodable(cp)) {
				row_err(r, UPKI_E_ENCODING, NULL);
				return -1;
			}
		}
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (c->ncols < TSV_MIN_COLS) {
		row_err(r, UPKI_E_COLUMNS, NULL);
		return -1;
	}
	return 0;
}

static void
check_row(struct tsv_ctx *c, struct sim_row *row, struct sim_row_result *r)
{
	char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1];
	struct sim_app *a = &row->app;
	int kind = -1;

	memset(attrs, 0, sizeof(attrs));
	a->type = c->type;
	check_reserved(c, r);
	check_dn(c, r, a, attrs);
	if (c->type == UPKI_APPLY_NEW && a->dn[0] != '\0' && dn_issued(c, a->dn))
		row_err(r, UPKI_E_DN_EXISTS, upki_fields[UPKI_F_DN].name_ja);
	check_email(c, r, a);
	if (c->type == UPKI_APPLY_REVOKE) {
		check_serial(c, r, a);
		check_revoke(c, r, a);
		return;
	}
	if (field_basic(c, r, UPKI_F_PROFILE) == 0) {
		kind = sim_inst_profile_kind(&c->s->inst, fcell(c, UPKI_F_PROFILE));
		if (kind < 0)
			row_err(r, SIM_E_PROFILE, upki_fields[UPKI_F_PROFILE].name_ja);
		snprintf(a->profile, sizeof(a->profile), "%s", fcell(c, UPKI_F_PROFILE));
	}
	check_text(c, r, UPKI_F_ADMIN_NAME, a->admin_name, sizeof(a->admin_name));
	check_text(c, r, UPKI_F_ADMIN_ORG, a->admin_org, sizeof(a->admin_org));
	check_text(c, r, UPKI_F_SOFTWARE, a->software, sizeof(a->software));
	if (field_basic(c, r, UPKI_F_FQDN) == 0 && a->cn[0] != '\0' &&
	    strcasecmp(fcell(c, UPKI_F_FQDN), a->cn) != 0)
		row_err(r, SIM_E_FQDN, upki_fields[UPKI_F_FQDN].name_ja);
	check_dnsnames(c, r, a);
	check_csr(c, r, row, attrs, kind);
	if (c->type == UPKI_APPLY_RENEW)
		check_serial(c, r, a);
}

int
sim_tsv_check(struct sim *s, int type, const unsigned char *data, size_t len,
    struct sim_row *rows, struct sim_row_result *res, unsigned *n)
{
	struct tsv_ctx *c;
	const unsigned char *p = data, *end = data + len;
	unsigned line = 0;
	int rc = 0;

	*n = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_NOMEM;
	c->s = s;
	c->type = type;
	c->rows = rows;
	c->res = res;
	while (p < end) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		const unsigned char *le = nl ? nl : end;
		struct sim_row_result *r;
		struct sim_row *row;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {          /* blank line: skipped */
			p = nl ? nl + 1 : end;
			continue;
		}
		if (c->n == SIM_MAX_UPLOAD_ROWS) {
			rc = SIM_E_ROWS;
			goto out;
		}
		r = &res[c->n];
		row = &rows[c->n];
		memset(r, 0, sizeof(*r));
		memset(row, 0, sizeof(*row));
		r->row = line;
		r->ok = 1;
		if (row_cells(c, r, p, (size_t)(le - p)) == 0) {
			check_row(c, row, r);
			snprintf(r->name, sizeof(r->name), "%s", fcell(c, UPKI_F_ADMIN_NAME));
			snprintf(r->org, sizeof(r->org), "%s", fcell(c, UPKI_F_ADMIN_ORG));
			if (is_ascii(fcell(c, UPKI_F_ADMIN_EMAIL)))
				snprintf(r->email, sizeof(r->email), "%s", fcell(c, UPKI_F_ADMIN_EMAIL));
		}
		c->n++;
		p = nl ? nl + 1 : end;
	}
	if (c->n == 0)
		rc = SIM_E_ROWS;
out:
	*n = c->n;
	free(c);
	return rc;
}
