/*
 * bulk.c: 「全証明書情報一括ダウンロード」, the bulk certificate TSV (UPKI.md §5,
 * §10): Shift_JIS, CRLF, a header row with the column names of
 * upki_bulk_cols[] (names[0], in that order), one row per certificate
 * application of the institution, newest first. The PEM cell is one line
 * (armor kept, base64 unwrapped) or, with --pem-cell quoted, a quoted cell
 * with CRLF line breaks. Downloads are limited by a token bucket per RA
 * officer certificate [X].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/b64.h"
#include "util/err.h"

#define BULK_MAX (15u << 20)   /* under the HTTP server's 16 MiB response limit */

int
sim_bulk_take_token(struct sim *s, const char *ra_fp)
{
	struct sim_bucket *b = NULL;
	int64_t now = sim_now_ms(s);
	double burst = s->opts.rate_burst > 0 ? s->opts.rate_burst : 1;

	if (s->opts.rate_limit_s <= 0)
		return 1;
	for (int i = 0; i < SIM_MAX_RA; i++)
		if (!strcmp(s->buckets[i].ra_fp, ra_fp))
			b = &s->buckets[i];
	if (b == NULL) {
		/* A new bucket starts full; past SIM_MAX_RA the oldest is reused. */
		b = &s->buckets[0];
		for (int i = 0; i < SIM_MAX_RA; i++)
			if (s->buckets[i].ra_fp[0] == '\0' || s->buckets[i].last_ms < b->last_ms) {
				b = &s->buckets[i];
				if (b->ra_fp[0] == '\0')
					break;
			}
		snprintf(b->ra_fp, sizeof(b->ra_fp), "%s", ra_fp);
		b->tokens = burst;
		b->last_ms = now;
	}
	if (now > b->last_ms) {
		b->tokens += (double)(now - b->last_ms) / (1000.0 * s->opts.rate_limit_s);
		if (b->tokens > burst)
			b->tokens = burst;
	}
	b->last_ms = now;
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

static int
pem_cell(struct buf *o, const struct sim_app *a, int quoted)
{
	size_t el = b64_enc_len(a->cert_len);
	char *b64 = malloc(el + 1);
	int rc = 0;

	if (b64 == NULL)
		return ERR_NOMEM;
	if (b64_encode(b64, el + 1, a->cert, a->cert_len) < 0) {
		free(b64);
		return ERR_TOOBIG;
	}
	if (!quoted) {
		rc |= buf_printf(o, "-----BEGIN CERTIFICATE-----%s-----END CERTIFICATE-----", b64);
	} else {
		rc |= buf_puts(o, "\"-----BEGIN CERTIFICATE-----\r\n");
		for (size_t i = 0; i < el; i += 64)
			rc |= buf_printf(o, "%.*s\r\n", (int)(el - i < 64 ? el - i : 64), b64 + i);
		rc |= buf_puts(o, "-----END CERTIFICATE-----\"");
	}
	free(b64);
	return rc;
}

static int
bulk_row(struct buf *o, const struct sim_app *a, int quoted)
{
	char applied[20], nb[20], na[20], rv[20];
	int rc = 0;

	sim_jst_format(a->applied_ms / 1000, applied);
	sim_jst_format(a->not_before, nb);
	sim_jst_format(a->not_after, na);
	sim_jst_format(a->revoked_s, rv);
	/* Columns in enum upki_bulk_col order. */
	rc |= buf_printf(o, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", a->id,
	    a->serial, a->dn, a->state, a->type, a->profile, a->dnsnames, a->admin_name,
	    a->admin_email, applied, a->cert ? nb : "", a->cert ? na : "",
	    a->revoked_s ? rv : "");
	if (a->cert != NULL)
		rc |= pem_cell(o, a, quoted);
	return rc | buf_puts(o, "\r\n");
}

int
sim_bulk_build(struct sim *s, struct buf *out)
{
	struct buf u;
	size_t n = 0, last_row = 0;
	int rc = 0, bad = sim_fault_take(s, SIM_F_BAD_ROW);

	buf_init(&u, BULK_MAX);
	for (int i = 0; i < UPKI_BCOL__MAX; i++)
		rc |= buf_printf(&u, "%s%s", i ? "\t" : "", upki_bulk_cols[i].names[0]);
	rc |= buf_puts(&u, "\r\n");
	if (bad)   /* four cells and a state nobody knows */
		rc |= buf_puts(&u, "999999999999\tnot-a-serial\tCN=broken\t状態不明\r\n");
	for (size_t i = s->n_apps; i-- > 0 && rc == 0;) {
		if (s->apps[i]->type == UPKI_APPLY_REVOKE)
			continue;
		last_row = u.len;
		rc |= bulk_row(&u, s->apps[i], s->opts.pem_quoted);
	}
	if (rc != 0) {
		rc = ERR_TOOBIG;
		goto out;
	}
	/* Cut in the middle of the last row (inside its PEM when there is one). */
	if (sim_fault_take(s, SIM_F_TRUNCATED_TSV))
	{
		u.len = last_row > 0 ? last_row + (u.len - last_row) * 2 / 3 : u.len / 2;
		while (u.len > 0 && (u.p[u.len] & 0xc0) == 0x80)
			u.len--;   /* not inside a UTF-8 character */
	}
	buf_init(out, BULK_MAX);
	if (sim_fault_take(s, SIM_F_WRONG_ENCODING)) {
		rc = buf_append(out, u.p, u.len);
		goto out;
	}
	if ((rc = sjis_from_utf8(NULL, 0, &n, (const char *)u.p, u.len, NULL)) != 0 ||
	    (rc = buf_reserve(out, n + 1)) != 0 ||
	    (rc = sjis_from_utf8((char *)out->p, n + 1, &n, (const char *)u.p, u.len, NULL)) != 0)
		goto out;
	out->len = n;
out:
	buf_free(&u);
	return rc;
}
