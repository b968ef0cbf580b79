/*
 * cache.h (tls/ only): the server's session cache. Owner: cache.c; uses
 * capture.h only.
 */
#ifndef UPKI_TLS_CACHE_H
#define UPKI_TLS_CACHE_H

#include <bearssl.h>

#define TLS_PEER_SESSIONS 64    /* resumable sessions whose client certificate is kept */

struct tls_peer_ent;

/*
 * BearSSL's LRU cache, plus (on listeners that require client certificates) the
 * client certificate of each session, so a resumed session keeps the identity
 * proven in its full handshake. A session whose certificate is not kept is not
 * resumed. The certificate is found through the engine's X.509 validator
 * (capture.h), so the cache needs nothing from the connection code.
 */
struct tls_sess_cache {
	const br_ssl_session_cache_class *vtable;
	br_ssl_session_cache_lru lru;
	struct tls_peer_ent *peers;     /* NULL: no client certificates to keep */
	unsigned next;
};

void tls_sess_cache_init(struct tls_sess_cache *c, unsigned char *mem, size_t len);
int tls_sess_cache_keep_peers(struct tls_sess_cache *c);
void tls_sess_cache_free(struct tls_sess_cache *c);

#endif
