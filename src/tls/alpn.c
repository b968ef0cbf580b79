/*
 * The tls-alpn-01 validation client (RFC 8737): a client connection that
 * offers only "acme-tls/1" and checks no chain. Its X.509 "validator" takes the
 * end-entity certificate's public key (the handshake needs it) and keeps a
 * copy of that certificate for the caller; whether the certificate answers the
 * challenge is decided outside tls/ (x509_acme_tlsalpn_check).
 *
 * Memory: one allocation per connection, freed by tls_conn_free() as soon as
 * the check ends. The record buffer is TLS_ALPN_BUFSIZE rather than
 * BR_SSL_BUFSIZE_MONO: BearSSL then asks for a smaller maximum fragment
 * length (RFC 6066), and servers that ignore it (Go's, so lego's) still send
 * each handshake message in its own record, which for a self-signed
 * certificate is far below the limit.
 */
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "tls/conn_int.h"
#include "tls/engine.h"
#include "tls/tls.h"
#include "util/err.h"

struct alpn_x509 {
	const br_x509_class *vtable;
	br_x509_decoder_context dec;   /* the end-entity certificate's public key */
	unsigned idx;                  /* certificates seen in the chain so far */
	int overflow;                  /* the end-entity certificate did not fit ee[] */
	size_t ee_len;
	unsigned char ee[TLS_ALPN_CERT_MAX];
};

struct tls_conn_alpn {
	struct tls_conn h;
	br_ssl_client_context cc;
	struct alpn_x509 x;
	unsigned char buf[TLS_ALPN_BUFSIZE];
};

static const char *alpn_names[] = { TLS_ALPN_ACME };

static void
alpn_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	(void)server_name;   /* RFC 8737: the name is checked in the certificate, not here */
	x->idx = 0;
	x->ee_len = 0;
	x->overflow = 0;
	br_x509_decoder_init(&x->dec, NULL, NULL);
}

static void
alpn_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	if (x->idx == 0 && length > sizeof(x->ee))
		x->overflow = 1;
}

static void
alpn_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	if (x->idx != 0 || x->overflow)
		return;
	if (len > sizeof(x->ee) - x->ee_len) {
		x->overflow = 1;
		return;
	}
	memcpy(x->ee + x->ee_len, buf, len);
	x->ee_len += len;
	br_x509_decoder_push(&x->dec, buf, len);
}

static void
alpn_end_cert(const br_x509_class **ctx)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	x->idx++;
}

static unsigned
alpn_end_chain(const br_x509_class **ctx)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	if (x->idx == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (x->overflow)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	return (unsigned)br_x509_decoder_last_error(&x->dec);
}

static const br_x509_pkey *
alpn_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct alpn_x509 *x = (struct alpn_x509 *)(void *)ctx;

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&x->dec);
}

static const br_x509_class alpn_x509_vtable = {
	sizeof(struct alpn_x509), alpn_start_chain, alpn_start_cert, alpn_append,
	alpn_end_cert, alpn_end_chain, alpn_get_pkey
};

int
tls_conn_new_alpn(struct tls_conn **out, const char *server_name)
{
	struct tls_conn_alpn *c = NULL;
	unsigned char seed[32];
	int rc = ERR_TOOBIG;

	if (server_name == NULL || strlen(server_name) >= sizeof(c->h.name))
		goto out;
	rc = ERR_NOMEM;
	if ((c = malloc(sizeof(*c))) == NULL)
		goto out;
	memset(&c->h, 0, sizeof(c->h));
	strcpy(c->h.name, server_name);
	br_ssl_client_zero(&c->cc);
	tls_engine_setup(&c->cc.eng, -1);
	br_ssl_engine_set_default_rsavrfy(&c->cc.eng);
	br_ssl_engine_set_default_ecdsa(&c->cc.eng);
	c->x.vtable = &alpn_x509_vtable;
	c->x.idx = 0;
	c->x.ee_len = 0;
	c->x.overflow = 0;
	br_ssl_engine_set_x509(&c->cc.eng, &c->x.vtable);
	br_ssl_engine_set_protocol_names(&c->cc.eng, alpn_names, 1);
	br_ssl_engine_set_buffer(&c->cc.eng, c->buf, sizeof(c->buf), 0);
	c->h.eng = &c->cc.eng;
	if (platform_random(seed, sizeof(seed)) == 0)
		br_ssl_engine_inject_entropy(c->h.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	rc = ERR_TLS;
	if (!br_ssl_client_reset(&c->cc, server_name, 0))
		goto out;
	*out = &c->h;
	c = NULL;
	rc = 0;
out:
	free(c);
	return rc;
}

const char *
tls_conn_alpn_selected(const struct tls_conn *c)
{
	return br_ssl_engine_get_selected_protocol(c->eng);
}

const unsigned char *
tls_conn_alpn_cert(const struct tls_conn *c, size_t *len)
{
	const struct tls_conn_alpn *a = (const struct tls_conn_alpn *)(const void *)c;

	*len = 0;
	if (c->eng->x509ctx != &a->x.vtable || a->x.vtable != &alpn_x509_vtable ||
	    a->x.overflow || a->x.ee_len == 0)
		return NULL;
	*len = a->x.ee_len;
	return a->x.ee;
}

int
tls_conn_alpn_cert_too_big(const struct tls_conn *c)
{
	const struct tls_conn_alpn *a = (const struct tls_conn_alpn *)(const void *)c;

	return c->eng->x509ctx == &a->x.vtable && a->x.vtable == &alpn_x509_vtable &&
	    a->x.overflow;
}

size_t
tls_conn_alpn_size(void)
{
	return sizeof(struct tls_conn_alpn);
}
