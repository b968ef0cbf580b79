/* Server key, chain, session cache and optional client-certificate policy. */
#include <stdlib.h>
#include <string.h>

#include "tls/cache.h"
#include "tls/engine.h"
#include "tls/server_int.h"
#include "util/err.h"
#include "util/log.h"

#define TLS_SESSION_CACHE_BYTES (32 * 1024)   /* about 320 sessions */

struct tls_server {
	struct tls_key key;
	struct tls_certs chain;
	struct tls_sess_cache cache;
	unsigned char cache_mem[TLS_SESSION_CACHE_BYTES];
	struct tls_anchors client_cas;     /* n > 0: client certificate required */
};


static int
server_new(struct tls_server **out)
{
	struct tls_server *ts = calloc(1, sizeof(*ts));

	if (ts == NULL)
		return ERR_NOMEM;
	tls_sess_cache_init(&ts->cache, ts->cache_mem, sizeof(ts->cache_mem));
	*out = ts;
	return 0;
}

int
tls_server_load(struct tls_server **out, const char *key_path, const char *chain_path)
{
	struct tls_server *ts = NULL;
	int rc;

	if ((rc = server_new(&ts)) != 0)
		goto out;
	if ((rc = tls_key_load(&ts->key, key_path, 1)) != 0)
		goto out;
	if ((rc = tls_certs_load(&ts->chain, chain_path)) != 0)
		goto out;
	*out = ts;
	ts = NULL;
out:
	tls_server_free(ts);
	return rc;
}


int
tls_server_from_parts(struct tls_server **out, struct tls_key *key, struct tls_certs *chain)
{
	struct tls_server *ts = NULL;
	int rc;

	if ((rc = server_new(&ts)) != 0)
		return rc;
	ts->key = *key;
	ts->chain = *chain;
	memset(key, 0, sizeof(*key));
	memset(chain, 0, sizeof(*chain));
	*out = ts;
	return 0;
}

int
tls_server_require_client_cert(struct tls_server *ts, const char *ca_pem_path)
{
	int rc;

	tls_anchors_free(&ts->client_cas);
	if ((rc = tls_anchors_load(&ts->client_cas, ca_pem_path)) != 0)
		return rc;
	return tls_sess_cache_keep_peers(&ts->cache);
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	tls_key_free(&ts->key);
	tls_certs_free(&ts->chain);
	tls_anchors_free(&ts->client_cas);
	tls_sess_cache_free(&ts->cache);
	free(ts);
}

const unsigned char *
tls_server_leaf(const struct tls_server *ts, size_t *len)
{
	*len = ts->chain.cert[0].data_len;
	return ts->chain.cert[0].data;
}

int
tls_server_leaf_sha256(const struct tls_server *ts, unsigned char out[32])
{
	br_sha256_context h;

	br_sha256_init(&h);
	br_sha256_update(&h, ts->chain.cert[0].data, ts->chain.cert[0].data_len);
	br_sha256_out(&h, out);
	return 0;
}

const struct tls_anchors *
tls_server_client_cas(const struct tls_server *ts)
{
	return &ts->client_cas;
}

int
tls_server_setup_conn(struct tls_server *ts, br_ssl_server_context *sc, unsigned char *buf,
    size_t buflen)
{
	br_ssl_server_zero(sc);
	tls_engine_setup(&sc->eng, ts->key.type == BR_KEYTYPE_RSA);
	if (ts->key.type == BR_KEYTYPE_RSA) {
		br_ssl_server_set_single_rsa(sc, ts->chain.cert, ts->chain.n, &ts->key.rsa,
		    BR_KEYTYPE_SIGN, br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
	} else {
		/* The issuer key type only matters for ECDH_* suites, which we do not offer. */
		br_ssl_server_set_single_ec(sc, ts->chain.cert, ts->chain.n, &ts->key.ec,
		    BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
		    br_ecdsa_sign_asn1_get_default());
	}
	br_ssl_server_set_cache(sc, &ts->cache.vtable);
	br_ssl_engine_set_buffer(&sc->eng, buf, buflen, 0);
	return 0;
}
