/* tsv_dn.c: the upload TSV's subject DN and CSR columns (UPKI.md §10, 201-218). */
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
int
tsv_host_ok(const char *h, size_t max)
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

void
tsv_lower_copy(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < dstsz && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

void
tsv_check_dn(struct tsv_ctx *c, struct sim_row_result *r, struct sim_app *a,
    char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1])
{
	const char *f = upki_fields[UPKI_F_DN].name_ja;
	const struct sim_inst *in = &c->s->inst;
	char cn[SIM_FQDN_MAX + 1];

	if (tsv_field_basic(c, r, UPKI_F_DN) != 0)
		return;
	if (sim_dn_parse(tsv_fcell(c, UPKI_F_DN), attrs) != 0) {
		tsv_row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	if (attrs[X509_NAME_OU][0] != '\0')
		tsv_row_err(r, UPKI_E_DN_OU, f);
	if (attrs[X509_NAME_CN][0] == '\0' || attrs[X509_NAME_C][0] == '\0' ||
	    attrs[X509_NAME_EMAIL][0] != '\0') {
		tsv_row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (i != X509_NAME_CN && attrs[i][0] != '\0' && !dn_value_ok(attrs[i]))
			tsv_row_err(r, UPKI_E_DN_SYNTAX, f);
	if (strcmp(attrs[X509_NAME_C], UPKI_DN_COUNTRY) != 0 || strcmp(attrs[X509_NAME_O], in->o) ||
	    strcmp(attrs[X509_NAME_L], in->l) || strcmp(attrs[X509_NAME_ST], in->st))
		tsv_row_err(r, UPKI_E_DN_INSTITUTION, f);
	if (!tsv_host_ok(attrs[X509_NAME_CN], UPKI_FQDN_MAX)) {
		tsv_row_err(r, UPKI_E_DN_SYNTAX, f);
		return;
	}
	tsv_lower_copy(cn, sizeof(cn), attrs[X509_NAME_CN]);
	if (!sim_inst_domain_ok(in, cn))
		tsv_row_err(r, UPKI_E_DN_DOMAIN, f);
	if (sim_dn_format(attrs, a->dn, sizeof(a->dn)) != 0 || strlen(a->dn) > UPKI_DN_MAX)
		tsv_row_err(r, SIM_E_LENGTH, f);
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

void
tsv_check_csr(struct tsv_ctx *c, struct sim_row_result *r, struct sim_row *row,
    char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1], int profile_kind)
{
	const char *f = upki_fields[UPKI_F_CSR].name_ja;
	struct sim_app *a = &row->app;
	unsigned char der[TSV_CSR_DER_MAX];
	struct x509_csr csr;
	br_sha256_context h;
	size_t len;
	int rc, empty_subject = 1, cn_only = 1, full = 1;

	if (tsv_field_basic(c, r, UPKI_F_CSR) != 0)
		return;
	if (csr_decode(tsv_fcell(c, UPKI_F_CSR), der, sizeof(der), &len) != 0 ||
	    x509_csr_parse(&csr, der, len) != 0) {
		tsv_row_err(r, UPKI_E_CSR_SYNTAX, f);
		return;
	}
	rc = x509_csr_verify(&csr);
	if (rc == ERR_BADSIG || rc == ERR_MALFORMED) {
		tsv_row_err(r, UPKI_E_CSR_SYNTAX, f);
		return;
	}
	/* Key type and size [D: RSA 2048]; ECDSA only under an ECC profile [X]. */
	if (rc != 0 ||
	    (csr.key.type == X509_KEY_RSA && (csr.key.bits != 2048 || profile_kind == 1)) ||
	    (csr.key.type == X509_KEY_EC && ((csr.key.curve != BR_EC_secp256r1 &&
	    csr.key.curve != BR_EC_secp384r1) || profile_kind == 0)) ||
	    (csr.key.type != X509_KEY_RSA && csr.key.type != X509_KEY_EC))
		tsv_row_err(r, UPKI_E_CSR_KEY, f);
	if (csr.ext.has_san && !c->s->opts.accept_san)
		tsv_row_err(r, UPKI_E_CSR_SAN, f);
	if (csr.subject.attr[X509_NAME_OU].p != NULL)
		tsv_row_err(r, UPKI_E_DN_OU, f);
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
		tsv_row_err(r, UPKI_E_CSR_SUBJECT, f);
	if (csr.key.spki.len > sizeof(row->spki_buf)) {
		tsv_row_err(r, UPKI_E_CSR_KEY, f);
		return;
	}
	memcpy(row->spki_buf, csr.key.spki.p, csr.key.spki.len);
	a->spki = row->spki_buf;
	a->spki_len = csr.key.spki.len;
	br_sha256_init(&h);
	br_sha256_update(&h, csr.key.spki.p, csr.key.spki.len);
	br_sha256_out(&h, a->key_hash);
	if (key_hash_seen(c, a->key_hash))
		tsv_row_err(r, UPKI_E_CSR_KEY_REUSED, f);
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
				tsv_row_err(r, UPKI_E_DNSNAME_DOMAIN, upki_fields[UPKI_F_DNSNAMES].name_ja);
		}
		if (csr.ext.san.n_ip || csr.ext.san.n_other)
			tsv_row_err(r, UPKI_E_DNSNAME_DOMAIN, upki_fields[UPKI_F_DNSNAMES].name_ja);
	}
}

