/* The one TLS policy: TLS 1.2 only, ECDHE with AES-GCM or ChaCha20-Poly1305. */
#include "tls/engine.h"

static const uint16_t suites_ec[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
};

static const uint16_t suites_rsa[] = {
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

static const uint16_t suites_all[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

/* rsa_key: 1 server with an RSA key, 0 server with an EC key, -1 client. */
void
tls_engine_setup(br_ssl_engine_context *eng, int rsa_key)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	if (rsa_key < 0)
		br_ssl_engine_set_suites(eng, suites_all, sizeof(suites_all) / sizeof(suites_all[0]));
	else if (rsa_key)
		br_ssl_engine_set_suites(eng, suites_rsa, sizeof(suites_rsa) / sizeof(suites_rsa[0]));
	else
		br_ssl_engine_set_suites(eng, suites_ec, sizeof(suites_ec) / sizeof(suites_ec[0]));
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	br_ssl_engine_set_ec(eng, br_ec_get_default());
}
