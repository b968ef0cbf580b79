/*
 * Received mail (records.h, "received mail"): one record per message in
 * STORE_DB_MAIL, its fields then the raw bytes, and the MAIL_BY_STATE index.
 * The raw bytes can be 256 KiB, more than any other record: the encoding is
 * made in a buffer of its own, and a decode points at them in the map.
 */
#include <stdlib.h>
#include <string.h>

#include "store/rec.h"
#include "store/records_int.h"
#include "store/store_int.h"
#include "util/err.h"
#include "util/log.h"

/* The fields before the raw bytes, encoded, at most this long. */
#define MAIL_META_MAX (sizeof(struct rec_mail) + 64 + REC_MAIL_RCPT_N * 4)

_Static_assert(REC_MAIL_RCPT_N <= 255, "a mail's recipient count is stored in one byte");

static void
mail_idx_key(uint8_t k[9], uint8_t state, uint64_t id)
{
	k[0] = state;
	store_be64_put(k + 1, id);
}

/* Fields of m, then the raw bytes as a length-prefixed field. */
static int
mail_encode(const struct rec_mail *m, const void *raw, size_t raw_len, uint8_t *buf, size_t cap,
	    size_t *len)
{
	struct rec_w w;

	if (m->state >= REC_MAIL__MAX || m->n_rcpt > REC_MAIL_RCPT_N || raw_len > REC_MAIL_RAW_MAX)
		return ERR_RANGE;
	rec_w_init(&w, buf, cap);
	rec_w_u8(&w, REC_MAIL_VERSION);
	rec_w_u64(&w, m->id);
	rec_w_i64(&w, m->received);
	rec_w_i64(&w, m->updated);
	rec_w_u8(&w, m->state);
	rec_w_u32(&w, m->flags);
	rec_w_str(&w, m->peer, sizeof(m->peer));
	rec_w_str(&w, m->helo, sizeof(m->helo));
	rec_w_str(&w, m->mail_from, sizeof(m->mail_from));
	rec_w_u8(&w, (uint8_t)m->n_rcpt);
	for (size_t i = 0; i < m->n_rcpt; i++)
		rec_w_str(&w, m->rcpt[i], sizeof(m->rcpt[i]));
	rec_w_str(&w, m->reason, sizeof(m->reason));
	rec_w_str(&w, m->serial, sizeof(m->serial));
	rec_w_str(&w, m->url, sizeof(m->url));
	rec_w_bytes(&w, raw, raw_len);
	return rec_w_finish(&w, len);
}

static int
mail_decode(struct rec_mail *m, const uint8_t *v, size_t vlen, const void **raw, size_t *raw_len)
{
	struct rec_r r;
	uint8_t ver = 0, n = 0;
	uint32_t rl = 0;

	memset(m, 0, sizeof(*m));
	rec_r_init(&r, v, vlen);
	rec_r_u8(&r, &ver);
	if (r.err == 0 && ver > REC_MAIL_VERSION)
		return ERR_VERSION;
	rec_r_u64(&r, &m->id);
	rec_r_i64(&r, &m->received);
	rec_r_i64(&r, &m->updated);
	rec_r_u8(&r, &m->state);
	rec_r_u32(&r, &m->flags);
	rec_r_str(&r, m->peer, sizeof(m->peer));
	rec_r_str(&r, m->helo, sizeof(m->helo));
	rec_r_str(&r, m->mail_from, sizeof(m->mail_from));
	rec_r_u8(&r, &n);
	if (n > REC_MAIL_RCPT_N)
		return rec_r_fail(&r);
	m->n_rcpt = n;
	for (size_t i = 0; i < n; i++)
		rec_r_str(&r, m->rcpt[i], sizeof(m->rcpt[i]));
	rec_r_str(&r, m->reason, sizeof(m->reason));
	rec_r_str(&r, m->serial, sizeof(m->serial));
	rec_r_str(&r, m->url, sizeof(m->url));
	rec_r_u32(&r, &rl);
	if (r.err != 0)
		return r.err;
	if (ver == 0 || m->state >= REC_MAIL__MAX || rl != r.len - r.off || rl > REC_MAIL_RAW_MAX)
		return ERR_MALFORMED;
	m->raw_len = rl;
	if (raw != NULL)
		*raw = r.p + r.off;
	if (raw_len != NULL)
		*raw_len = rl;
	return 0;
}

/* Put m with raw under its id (fresh or replacing). */
static int
mail_put(struct store_txn *t, const struct rec_mail *m, const void *raw, size_t raw_len)
{
	size_t cap = MAIL_META_MAX + raw_len, len = 0;
	uint8_t *buf = malloc(cap), k[8];
	int rc;

	if (buf == NULL)
		return ERR_NOMEM;
	rc = mail_encode(m, raw, raw_len, buf, cap, &len);
	if (rc == 0) {
		store_be64_put(k, m->id);
		rc = store_put(t, STORE_DB_MAIL, k, sizeof(k), buf, len, 0);
	}
	free(buf);
	return rc;
}

int
store_mail_add(struct store_txn *t, struct rec_mail *m, const void *raw, size_t raw_len)
{
	uint8_t k[9];
	int rc;

	if (raw_len > REC_MAIL_RAW_MAX)
		return ERR_TOOBIG;
	if ((rc = store_seq_next(t, STORE_SEQ_MAIL, &m->id)) != 0)
		return rc;
	m->state = REC_MAIL_NEW;
	m->raw_len = raw_len;
	if ((rc = mail_put(t, m, raw, raw_len)) != 0)
		return rc;
	mail_idx_key(k, m->state, m->id);
	return store_put(t, STORE_DB_MAIL_BY_STATE, k, sizeof(k), "", 0, 0);
}

int
store_mail_get(struct store_txn *t, uint64_t id, struct rec_mail *out, const void **raw,
	       size_t *raw_len)
{
	const void *v = NULL;
	size_t vlen = 0;
	uint8_t k[8];
	int rc;

	if (id == 0)
		return ERR_NOTFOUND;
	store_be64_put(k, id);
	rc = store_get(t, STORE_DB_MAIL, k, sizeof(k), &v, &vlen);
	if (rc != 0)
		return rc;
	return rec_bad(mail_decode(out, v, vlen, raw, raw_len), STORE_DB_MAIL, id, NULL);
}

int
store_mail_update(struct store_txn *t, const struct rec_mail *m)
{
	struct rec_mail old;
	const void *raw = NULL;
	size_t raw_len = 0;
	uint8_t k[9], *copy = NULL;
	int rc;

	if (m->state >= REC_MAIL__MAX)
		return ERR_RANGE;
	rc = store_mail_get(t, m->id, &old, &raw, &raw_len);
	if (rc != 0)
		return rc;
	/* The bytes point into the map, which the put below may change: copy first. */
	copy = malloc(raw_len ? raw_len : 1);
	if (copy == NULL)
		return ERR_NOMEM;
	memcpy(copy, raw, raw_len);
	rc = mail_put(t, m, copy, raw_len);
	free(copy);
	if (rc != 0 || old.state == m->state)
		return rc;
	mail_idx_key(k, old.state, m->id);
	if ((rc = rec_idx_del_quiet(t, STORE_DB_MAIL_BY_STATE, k, sizeof(k))) != 0)
		return rc;
	mail_idx_key(k, m->state, m->id);
	return store_put(t, STORE_DB_MAIL_BY_STATE, k, sizeof(k), "", 0, 0);
}

struct mail_first {
	uint64_t id;
	size_t klen;
};

static int
mail_first_cb(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct mail_first *f = arg;

	(void)v;
	(void)vl;
	if (kl != f->klen)
		return 0;   /* not one of ours: skip */
	f->id = store_be64_get((const uint8_t *)k + kl - 8);
	return 1;
}

int
store_mail_next(struct store_txn *t, int state, uint64_t after_id, struct rec_mail *out)
{
	struct mail_first f = { 0, 0 };
	uint8_t start[9], end[9];
	int rc;

	if (after_id == UINT64_MAX)
		return ERR_NOTFOUND;
	if (state >= 0) {
		if (state >= REC_MAIL__MAX)
			return ERR_RANGE;
		f.klen = 9;
		mail_idx_key(start, (uint8_t)state, after_id + 1);
		mail_idx_key(end, (uint8_t)(state + 1), 0);
		rc = store_scan_range(t, STORE_DB_MAIL_BY_STATE, start, sizeof(start), end,
				      sizeof(end), mail_first_cb, &f, 1 << 20);
	} else {
		f.klen = 8;
		store_be64_put(start, after_id + 1);
		rc = store_scan_range(t, STORE_DB_MAIL, start, 8, NULL, 0, mail_first_cb, &f,
				      1 << 20);
	}
	if (rc < 0)
		return rc;
	if (f.id == 0)
		return ERR_NOTFOUND;
	return store_mail_get(t, f.id, out, NULL, NULL);
}
