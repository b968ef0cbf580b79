/*
 * tsv_check.c: the uploaded application TSV, parsed by our own code (not the
 * gateway's writer, so writer bugs show up) and checked row by row as
 * UPKI.md §10 lists: format (101-103), DN (201-207), CSR (211-218), names
 * (221-223), e-mail (231), serials (241/242), revocation (251/252/260), and
 * the simulator's own codes for empty, long and reserved cells. The DN and
 * CSR rules are in tsv_dn.c. Column
 * positions and limits come from upki_fields[] (src/upki/upki_profile.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim.h"
#include "tsv.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/err.h"
#include "x509/pem.h"
#include "util/str.h"

static const char tsv_reserved_name[] = "予約項目"; /* [X] 項目名 of reserved columns */

void
tsv_row_err(struct sim_row_result *r, int code, const char *field)
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
tsv_cellv(const struct tsv_ctx *c, int col)
{
	return col >= 1 && col <= c->ncols ? c->cell[col - 1] : "";
}

const char *
tsv_fcell(const struct tsv_ctx *c, enum upki_field f)
{
	return tsv_cellv(c, upki_fields[f].column);
}

static size_t
tsv_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
tsv_is_ascii(const char *s)
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
int
tsv_field_basic(struct tsv_ctx *c, struct sim_row_result *r, enum upki_field f)
{
	const struct upki_field_def *d = &upki_fields[f];
	const char *v = tsv_fcell(c, f);

	if (v[0] == '\0') {
		if (d->required & UPKI_APPLY_BIT(c->type))
			tsv_row_err(r, SIM_E_REQUIRED, d->name_ja);
		return -1;
	}
	if (d->unit == UPKI_UNIT_BYTES && !tsv_is_ascii(v)) {
		tsv_row_err(r, UPKI_E_ENCODING, d->name_ja);
		return -1;
	}
	if ((d->unit == UPKI_UNIT_BYTES ? strlen(v) : tsv_utf8_chars(v)) > d->max) {
		tsv_row_err(r, SIM_E_LENGTH, d->name_ja);
		return -1;
	}
	return 0;
}

/* ---- other columns ---- */

static void
check_email(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	const char *v = tsv_fcell(c, UPKI_F_ADMIN_EMAIL), *at;

	if (tsv_field_basic(c, r, UPKI_F_ADMIN_EMAIL) != 0)
		return;
	at = strchr(v, '@');
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(UPKI_EMAIL_PUNCT, *p) == NULL)
			at = NULL;
	if (at == NULL || at == v || strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || v[strlen(v) - 1] == '.') {
		tsv_row_err(r, UPKI_E_EMAIL, upki_fields[UPKI_F_ADMIN_EMAIL].name_ja);
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
	tsv_lower_copy(cn, sizeof(cn), a->cn);
	memcpy(list[n++], cn, strlen(cn) + 1);
	if (tsv_field_basic(c, r, UPKI_F_DNSNAMES) == 0) {
		p = tsv_fcell(c, UPKI_F_DNSNAMES);
		for (int turn = 0; turn < 256 && *p; turn++) {
			size_t l = strcspn(p, UPKI_DNSNAMES_SEP);
			char name[256];
			int dup = 0, wild;

			if (l == 0 || l >= sizeof(name)) {
				bad = 1;
			} else {
				memcpy(name, p, l);
				name[l] = '\0';
				tsv_lower_copy(name, sizeof(name), name);
				/* A wildcard only here (the CN is in the DN, whose characters exclude '*'). */
				wild = c->s->opts.accept_wildcards && name[0] == '*' && name[1] == '.';
				if (!tsv_host_ok(name + (wild ? 2 : 0), 253) ||
				    !sim_inst_domain_ok(&c->s->inst, name))
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
		tsv_row_err(r, UPKI_E_DNSNAME_DOMAIN, f);
	if (over)
		tsv_row_err(r, UPKI_E_DNSNAME_COUNT, f);
	for (size_t k = 0; k < n; k++)
		if (!sim_inst_caa_ok(&c->s->inst, list[k]))
			tsv_row_err(r, UPKI_E_CAA, f);
	for (size_t k = 0; k < n; k++) {
		int w = snprintf(a->dnsnames + o, sizeof(a->dnsnames) - o, "%s%s", k ? "," : "",
		    list[k]);
		if (w < 0 || (size_t)w >= sizeof(a->dnsnames) - o) {
			tsv_row_err(r, SIM_E_LENGTH, f);
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
			tsv_row_err(r, SIM_E_RESERVED, name);
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

	if (tsv_field_basic(c, r, UPKI_F_SERIAL) != 0)
		return;
	if (serial_norm(tsv_fcell(c, UPKI_F_SERIAL), a->ref_serial, sizeof(a->ref_serial)) != 0 ||
	    (old = sim_app_by_serial(c->s, a->ref_serial)) == NULL ||
	    (a->dn[0] != '\0' && strcmp(old->dn, a->dn) != 0)) {
		tsv_row_err(r, UPKI_E_SERIAL_UNKNOWN, f);
		return;
	}
	if (c->type == UPKI_APPLY_RENEW) {
		if ((old->state != SIM_ST_MAILED && old->state != SIM_ST_DOWNLOADED) ||
		    pending_for(c, UPKI_APPLY_RENEW, a->ref_serial))
			tsv_row_err(r, UPKI_E_SERIAL_STATE, f);
		return;
	}
	/* 失効: refused while 状態 is 4 (Nagoya §4.8 [D]) unless switched off. */
	if ((old->state == SIM_ST_MAILED && !c->s->opts.allow_revoke_status4) ||
	    (old->state != SIM_ST_MAILED && old->state != SIM_ST_DOWNLOADED &&
	    old->state != SIM_ST_RENEWED) || pending_for(c, UPKI_APPLY_REVOKE, a->ref_serial))
		tsv_row_err(r, UPKI_E_REVOKE_STATE, "状態");
}

static void
check_revoke(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a)
{
	static const int reasons[] = UPKI_REVOKE_REASONS;
	const char *v = tsv_fcell(c, UPKI_F_REASON);
	int ok = 0;

	if (tsv_field_basic(c, r, UPKI_F_REASON) == 0) {
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (strlen(v) == 1 && v[0] - '0' == reasons[i])
				ok = 1;
		if (!ok)
			tsv_row_err(r, UPKI_E_REVOKE_REASON, upki_fields[UPKI_F_REASON].name_ja);
		a->reason = ok ? v[0] - '0' : -1;
	}
	if (tsv_field_basic(c, r, UPKI_F_COMMENT) == 0)
		snprintf(a->comment, sizeof(a->comment), "%s", tsv_fcell(c, UPKI_F_COMMENT));
	else if (ok && a->reason == UPKI_REVOKE_COMMENT_REQUIRED_FOR &&
	    tsv_fcell(c, UPKI_F_COMMENT)[0] == '\0')
		tsv_row_err(r, UPKI_E_REVOKE_COMMENT, upki_fields[UPKI_F_COMMENT].name_ja);
}

static void
check_text(struct tsv_ctx *c, struct sim_row_result *r, enum upki_field f, char *dst,
    size_t dstsz)
{
	if (tsv_field_basic(c, r, f) == 0)
		snprintf(dst, dstsz, "%s", tsv_fcell(c, f));
}

/* ---- rows ---- */

/* Split, decode and screen one line; 0 when its cells can be checked. */
static int
row_cells(struct tsv_ctx *c, struct sim_row_result *r, const unsigned char *line, size_t len)
{
	const unsigned char *p = line, *end = line + len;

	if (memchr(line, '"', len) != NULL) {
		tsv_row_err(r, UPKI_E_QUOTED, NULL);
		return -1;
	}
	c->ncols = 0;
	for (;;) {
		const unsigned char *tab = memchr(p, '\t', (size_t)(end - p));
		const unsigned char *ce = tab ? tab : end;
		char *out;
		size_t n = 0, pos = 0;

		if (c->ncols == TSV_MAX_COLS) {
			tsv_row_err(r, UPKI_E_COLUMNS, NULL);
			return -1;
		}
		out = c->cell[c->ncols++];
		if ((size_t)(ce - p) > TSV_RAW_CELL_MAX) {
			tsv_row_err(r, SIM_E_LENGTH, NULL);
			return -1;
		}
		if (sjis_to_utf8(out, TSV_CELL_MAX, &n, p, (size_t)(ce - p), 0, NULL) != 0) {
			tsv_row_err(r, UPKI_E_ENCODING, NULL);
			return -1;
		}
		/* Only ASCII and JIS X 0208, no control characters. */
		while (pos < n) {
			uint32_t cp;
			if (upki_utf8_next(out, n, &pos, &cp) != 0 || cp < 0x20 || cp == 0x7f ||
			    !jis_ucs_encodable(cp)) {
				tsv_row_err(r, UPKI_E_ENCODING, NULL);
				return -1;
			}
		}
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (c->ncols < TSV_MIN_COLS) {
		tsv_row_err(r, UPKI_E_COLUMNS, NULL);
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
	tsv_check_dn(c, r, a, attrs);
	if (c->type == UPKI_APPLY_NEW && a->dn[0] != '\0' && dn_issued(c, a->dn))
		tsv_row_err(r, UPKI_E_DN_EXISTS, upki_fields[UPKI_F_DN].name_ja);
	check_email(c, r, a);
	if (c->type == UPKI_APPLY_REVOKE) {
		check_serial(c, r, a);
		check_revoke(c, r, a);
		return;
	}
	if (tsv_field_basic(c, r, UPKI_F_PROFILE) == 0) {
		kind = sim_inst_profile_kind(&c->s->inst, tsv_fcell(c, UPKI_F_PROFILE));
		if (kind < 0)
			tsv_row_err(r, SIM_E_PROFILE, upki_fields[UPKI_F_PROFILE].name_ja);
		snprintf(a->profile, sizeof(a->profile), "%s", tsv_fcell(c, UPKI_F_PROFILE));
	}
	check_text(c, r, UPKI_F_ADMIN_NAME, a->admin_name, sizeof(a->admin_name));
	check_text(c, r, UPKI_F_ADMIN_ORG, a->admin_org, sizeof(a->admin_org));
	check_text(c, r, UPKI_F_SOFTWARE, a->software, sizeof(a->software));
	if (tsv_field_basic(c, r, UPKI_F_FQDN) == 0 && a->cn[0] != '\0' &&
	    strcasecmp(tsv_fcell(c, UPKI_F_FQDN), a->cn) != 0)
		tsv_row_err(r, SIM_E_FQDN, upki_fields[UPKI_F_FQDN].name_ja);
	check_dnsnames(c, r, a);
	tsv_check_csr(c, r, row, attrs, kind);
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
			snprintf(r->name, sizeof(r->name), "%s", tsv_fcell(c, UPKI_F_ADMIN_NAME));
			snprintf(r->org, sizeof(r->org), "%s", tsv_fcell(c, UPKI_F_ADMIN_ORG));
			if (tsv_is_ascii(tsv_fcell(c, UPKI_F_ADMIN_EMAIL)))
				snprintf(r->email, sizeof(r->email), "%s", tsv_fcell(c, UPKI_F_ADMIN_EMAIL));
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
