/*
 * Replay nonces (RFC 8555 §6.5) in bounded memory. A nonce is
 *   counter (8 bytes) || issued (4 bytes, monotonic seconds) || HMAC-SHA256 tag (10 bytes)
 * in base64url. The key is made at start, so nonces from before a restart are
 * refused (badNonce, and the client retries). One bit per outstanding counter
 * in a sliding window of CONFIG_ACME_NONCE_POOL counters makes each nonce
 * single-use; a nonce older than the window or the lifetime is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/acme_int.h"
#include "platform.h"
#include "util/b64.h"
#include "util/err.h"
#include "x509/digest.h"

#define NONCE_TAG 10
#define NONCE_RAW (8 + 4 + NONCE_TAG)

struct acme_nonces {
	unsigned char key[32];
	uint64_t next;                 /* counter of the next nonce */
	uint64_t origin_ms;
	unsigned char bits[(CONFIG_ACME_NONCE_POOL + 7) / 8];
};

static void
tag_of(const struct acme_nonces *n, const unsigned char *msg, unsigned char out[32])
{
	x509_hmac_sha256(n->key, sizeof(n->key), msg, 12, out);
}

static uint32_t
now_s(const struct acme_nonces *n)
{
	return (uint32_t)((platform_mono_ms() - n->origin_ms) / 1000u);
}

int
acme_nonces_new(struct acme_nonces **out)
{
	struct acme_nonces *n = calloc(1, sizeof(*n));
	int rc;

	if (n == NULL)
		return ERR_NOMEM;
	if ((rc = platform_random(n->key, sizeof(n->key))) != 0) {
		free(n);
		return rc;
	}
	n->next = 1;
	n->origin_ms = platform_mono_ms();
	*out = n;
	return 0;
}

void
acme_nonces_free(struct acme_nonces *n)
{
	if (n != NULL) {
		explicit_bzero(n->key, sizeof(n->key));
		free(n);
	}
}

int
acme_nonce_issue(struct acme_nonces *n, char out[ACME_NONCE_LEN + 1])
{
	unsigned char raw[NONCE_RAW], tag[32];
	uint64_t c = n->next++;
	uint32_t t = now_s(n);
	size_t slot = (size_t)(c % CONFIG_ACME_NONCE_POOL);

	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(c >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		raw[8 + i] = (unsigned char)(t >> (24 - 8 * i));
	tag_of(n, raw, tag);
	memcpy(raw + 12, tag, NONCE_TAG);
	n->bits[slot / 8] |= (unsigned char)(1u << (slot % 8));
	return b64url_encode(out, ACME_NONCE_LEN + 1, raw, sizeof(raw)) < 0 ? ERR_TOOBIG : 0;
}

int
acme_nonce_consume(struct acme_nonces *n, const char *nonce)
{
	unsigned char raw[NONCE_RAW + 2], tag[32];
	size_t len = 0, slot;
	uint64_t c = 0;
	uint32_t t = 0;
	unsigned diff = 0;

	if (strlen(nonce) != ACME_NONCE_LEN ||
	    b64url_decode(raw, sizeof(raw), nonce, ACME_NONCE_LEN, &len) != 0 || len != NONCE_RAW)
		return ERR_NOTFOUND;
	tag_of(n, raw, tag);
	for (int i = 0; i < NONCE_TAG; i++)
		diff |= (unsigned)(tag[i] ^ raw[12 + i]);
	if (diff != 0)
		return ERR_NOTFOUND;       /* not ours, or from before a restart */
	for (int i = 0; i < 8; i++)
		c = c << 8 | raw[i];
	for (int i = 0; i < 4; i++)
		t = t << 8 | raw[8 + i];
	if (c >= n->next || (n->next > CONFIG_ACME_NONCE_POOL && c < n->next - CONFIG_ACME_NONCE_POOL))
		return ERR_NOTFOUND;       /* pushed out of the window */
	if (now_s(n) - t > CONFIG_ACME_NONCE_LIFETIME_S)
		return ERR_TIMEOUT;
	slot = (size_t)(c % CONFIG_ACME_NONCE_POOL);
	if (!(n->bits[slot / 8] & (1u << (slot % 8))))
		return ERR_EXISTS;         /* used already */
	n->bits[slot / 8] &= (unsigned char)~(1u << (slot % 8));
	return 0;
}
