/* Outbound TLS: trust anchors and an optional client certificate (UPKI RA officer). */
#include <stdlib.h>
#include <string.h>

#include "tls/client_int.h"
#include "tls/engine.h"
#include "tls/pem_load.h"
#include "util/err.h"
#include "util/log.h"

struct tls_client {
	struct tls_anchors cas;
	struct tls_certs chain;      /* n == 0: no client certificate */
	struct tls_key key;
	br_ssl_session_parameters sess;   /* the last session, for resumption */
	char sess_name[256];
	int have_sess;
	int insecure;                /* tls_client_new_insecure(): no certificate checks */
};

int
tls_client_insecure(const struct tls_client *tc)
{
	return tc->insecure;
}

int
tls_client_new_insecure(struct tls_client **out)
{
	struct tls_client *tc = calloc(1, sizeof(*tc));

	if (tc == NULL)
		return ERR_NOMEM;
	tc->insecure = 1;
	*out = tc;
	return 0;
}

const br_ssl_session_parameters *
tls_client_session(const struct tls_client *tc, const char *name)
{
	return tc->have_sess && strcmp(tc->sess_name, name) == 0 ? &tc->sess : NULL;
}

void
tls_client_session_save(struct tls_client *tc, const char *name, const br_ssl_session_parameters *p)
{
	if (strlen(name) >= sizeof(tc->sess_name))
		return;
	tc->sess = *p;
	strcpy(tc->sess_name, name);
	tc->have_sess = 1;
}

void
tls_client_session_forget(struct tls_client *tc)
{
	explicit_bzero(&tc->sess, sizeof(tc->sess));
	tc->have_sess = 0;
}


int
tls_client_new(struct tls_client **out, const char *ca_pem_path, const char *cert_path,
    const char *key_path)
{
	struct tls_client *tc = calloc(1, sizeof(*tc));
	int rc;

	if (tc == NULL)
		return ERR_NOMEM;
	if ((rc = tls_anchors_load(&tc->cas, ca_pem_path)) != 0)
		goto out;
	if (cert_path != NULL && cert_path[0] != '\0') {
		if ((rc = tls_certs_load(&tc->chain, cert_path)) != 0)
			goto out;
		if ((rc = tls_key_load(&tc->key, key_path, 1)) != 0)
			goto out;
	}
	*out = tc;
	tc = NULL;
out:
	tls_client_free(tc);
	return rc;
}

void
tls_client_free(struct tls_client *tc)
{
	if (tc == NULL)
		return;
	tls_anchors_free(&tc->cas);
	tls_certs_free(&tc->chain);
	tls_key_free(&tc->key);
	tls_client_session_forget(tc);
	free(tc);
}

int
tls_client_setup_conn(struct tls_client *tc, br_ssl_client_context *cc,
    br_x509_minimal_context *xc, unsigned char *buf, size_t buflen)
{
	br_ssl_client_zero(cc);
	tls_engine_setup(&cc->eng, -1);
	br_ssl_client_set_default_rsapub(cc);
	br_ssl_engine_set_default_rsavrfy(&cc->eng);
	br_ssl_engine_set_default_ecdsa(&cc->eng);
	br_x509_minimal_init(xc, &br_sha256_vtable, tc->cas.ta, tc->cas.n);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
	br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
	if (tc->chain.n > 0 && tc->key.type == BR_KEYTYPE_RSA) {
		br_ssl_client_set_single_rsa(cc, tc->chain.cert, tc->chain.n, &tc->key.rsa,
		    br_rsa_pkcs1_sign_get_default());
	} else if (tc->chain.n > 0 && tc->key.type == BR_KEYTYPE_EC) {
		br_ssl_client_set_single_ec(cc, tc->chain.cert, tc->chain.n, &tc->key.ec,
		    BR_KEYTYPE_SIGN, 0, br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	}
	br_ssl_engine_set_buffer(&cc->eng, buf, buflen, 0);
	return 0;
}
