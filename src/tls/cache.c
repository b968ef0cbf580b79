/* Server session cache that keeps each session's client certificate. */
#include <stdlib.h>
#include <string.h>

#include "tls/cache.h"
#include "tls/capture.h"
#include "util/err.h"

struct tls_peer_ent {
	unsigned char id[32];
	size_t len;                     /* 0: slot empty */
	unsigned char der[TLS_PEER_CERT_MAX];
};

static void
cache_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
    const br_ssl_session_parameters *params)
{
	struct tls_sess_cache *c = (struct tls_sess_cache *)ctx;
	struct x509_capture *cap;
	struct tls_peer_ent *e;

	if (c->peers != NULL) {
		cap = tls_capture_of_engine(&sc->eng);
		if (cap == NULL)
			return;
		e = &c->peers[c->next++ % TLS_PEER_SESSIONS];
		e->len = tls_capture_get(cap, e->der, sizeof(e->der));
		if (e->len == 0)
			return;            /* no certificate: not resumable */
		memcpy(e->id, params->session_id, sizeof(e->id));
	}
	c->lru.vtable->save(&c->lru.vtable, sc, params);
}

static int
cache_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
    br_ssl_session_parameters *params)
{
	struct tls_sess_cache *c = (struct tls_sess_cache *)ctx;
	struct x509_capture *cap;

	if (c->peers == NULL)
		return c->lru.vtable->load(&c->lru.vtable, sc, params);
	cap = tls_capture_of_engine(&sc->eng);
	for (unsigned i = 0; cap != NULL && i < TLS_PEER_SESSIONS; i++) {
		struct tls_peer_ent *e = &c->peers[i];
		if (e->len == 0 || memcmp(e->id, params->session_id, sizeof(e->id)) != 0)
			continue;
		if (!c->lru.vtable->load(&c->lru.vtable, sc, params))
			return 0;
		tls_capture_set(cap, e->der, e->len);
		return 1;
	}
	return 0;
}

static const br_ssl_session_cache_class cache_vtable = {
	sizeof(struct tls_sess_cache), cache_save, cache_load
};

void
tls_sess_cache_init(struct tls_sess_cache *c, unsigned char *mem, size_t len)
{
	c->vtable = &cache_vtable;
	br_ssl_session_cache_lru_init(&c->lru, mem, len);
	c->peers = NULL;
	c->next = 0;
}

int
tls_sess_cache_keep_peers(struct tls_sess_cache *c)
{
	if (c->peers == NULL) {
		c->peers = calloc(TLS_PEER_SESSIONS, sizeof(*c->peers));
		if (c->peers == NULL)
			return ERR_NOMEM;
	}
	return 0;
}

void
tls_sess_cache_free(struct tls_sess_cache *c)
{
	free(c->peers);
	c->peers = NULL;
}
