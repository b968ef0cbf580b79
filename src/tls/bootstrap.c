/*
 * The gateway's own TLS identity when none is configured: a local root CA and
 * a server certificate it signs for the configured names (every ACME client
 * can trust one PEM file, ca.pem). Keys are ECDSA P-256, made on first start,
 * stored with mode 0600 and reused; certificates are re-made with the same keys
 * when they near expiry or the names change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"
#include "tls/pem_load.h"
#include "tls/server_int.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "x509/pem.h"
#include "x509/x509.h"

#define BOOT_CA_DAYS 3650
#define BOOT_RENEW_BEFORE (30 * 86400)
#define BOOT_NAMES_MAX 16
#define BOOT_DER_MAX 4096


struct boot_names {
	char dns[BOOT_NAMES_MAX][254];
	struct x509_str dns_str[BOOT_NAMES_MAX];
	size_t n_dns;
	unsigned char ip[BOOT_NAMES_MAX][16];
	struct x509_bytes ip_b[BOOT_NAMES_MAX];
	size_t n_ip;
};

static int
names_parse(struct boot_names *bn, const char *names)
{
	char tmp[1024], *save = NULL, *tok;

	memset(bn, 0, sizeof(*bn));
	if (strlen(names) >= sizeof(tmp))
		return ERR_TOOBIG;
	strcpy(tmp, names);
	for (tok = strtok_r(tmp, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (bn->n_dns + bn->n_ip == BOOT_NAMES_MAX)
			return ERR_TOOBIG;
		if (inet_pton(AF_INET, tok, bn->ip[bn->n_ip]) == 1) {
			bn->ip_b[bn->n_ip].p = bn->ip[bn->n_ip];
			bn->ip_b[bn->n_ip].len = 4;
			bn->n_ip++;
		} else if (inet_pton(AF_INET6, tok, bn->ip[bn->n_ip]) == 1) {
			bn->ip_b[bn->n_ip].p = bn->ip[bn->n_ip];
			bn->ip_b[bn->n_ip].len = 16;
			bn->n_ip++;
		} else {
			if (strlen(tok) > 253)
				return ERR_MALFORMED;
			strcpy(bn->dns[bn->n_dns], tok);
			bn->dns_str[bn->n_dns].p = bn->dns[bn->n_dns];
			bn->dns_str[bn->n_dns].len = strlen(tok);
			bn->n_dns++;
		}
	}
	return bn->n_dns + bn->n_ip > 0 ? 0 : ERR_MALFORMED;
}

/* Same names as the certificate's SAN, in any order? */
static int
names_match(const struct boot_names *bn, const struct x509_cert *c)
{
	const struct x509_san *s = &c->ext.san;

	if (!c->ext.has_san || s->n_dns != bn->n_dns || s->n_ip != bn->n_ip)
		return 0;
	for (size_t i = 0; i < bn->n_dns; i++) {
		int found = 0;
		for (unsigned j = 0; j < s->n_dns; j++)
			if (s->dns[j].len == bn->dns_str[i].len &&
			    memcmp(s->dns[j].p, bn->dns[i], s->dns[j].len) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	for (size_t i = 0; i < bn->n_ip; i++) {
		int found = 0;
		for (unsigned j = 0; j < s->n_ip; j++)
			if (s->ip[j].len == bn->ip_b[i].len && memcmp(s->ip[j].p, bn->ip[i], s->ip[j].len) == 0)
				found = 1;
		if (!found)
			return 0;
	}
	return 1;
}

static int
ec_sign(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen, unsigned char *sig,
    size_t sigsz, size_t *siglen)
{
	const br_ec_private_key *sk = ctx;
	size_t n;

	(void)hashlen;
	if (sig_alg != X509_SIG_ECDSA_SHA256 || sigsz < 80)
		return ERR_UNSUPPORTED;
	n = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), &br_sha256_vtable, hash, sk, sig);
	if (n == 0)
		return ERR_TLS;
	*siglen = n;
	return 0;
}

/* Public point and SPKI of an EC private key. */
static int
ec_spki(const br_ec_private_key *sk, unsigned char *spki, size_t spkisz, size_t *spkilen)
{
	unsigned char pub[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key pk;

	if (br_ec_compute_pub(br_ec_get_default(), &pk, pub, sk) == 0)
		return ERR_BADKEY;
	return x509_spki_build_ec(spki, spkisz, spkilen, pk.curve, pk.q, pk.qlen);
}

static int
key_make(struct tls_key *k, const char *path)
{
	br_hmac_drbg_context rng;
	unsigned char seed[48], kbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pub[BR_EC_KBUF_PUB_MAX_SIZE];
	unsigned char der[256];
	char pem[512];
	br_ec_private_key sk;
	br_ec_public_key pk;
	size_t dlen;
	int rc, n;

	if ((rc = platform_random(seed, sizeof(seed))) != 0)
		return rc;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	if (br_ec_keygen(&rng.vtable, br_ec_get_default(), &sk, kbuf, BR_EC_secp256r1) == 0 ||
	    br_ec_compute_pub(br_ec_get_default(), &pk, pub, &sk) == 0)
		return ERR_TLS;
	dlen = br_encode_ec_raw_der(der, &sk, &pk);
	n = pem_encode(pem, sizeof(pem), "EC PRIVATE KEY", der, dlen);
	explicit_bzero(kbuf, sizeof(kbuf));
	explicit_bzero(der, sizeof(der));
	explicit_bzero(seed, sizeof(seed));
	if (n < 0)
		return n;
	rc = file_write_atomic(path, pem, (size_t)n, 0600);
	if (rc == 0)
		rc = tls_key_parse_pem(k, (const unsigned char *)pem, (size_t)n);
	explicit_bzero(pem, sizeof(pem));
	if (rc == 0)
		log_info("%s: new ECDSA P-256 key", path);
	return rc;
}

static int
key_get(struct tls_key *k, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 && errno == ENOENT)
		return key_make(k, path);
	if (tls_key_load(k, path, 1) != 0)
		return ERR_BADKEY;
	if (k->type != BR_KEYTYPE_EC) {
		log_err("%s: the bootstrap key must be an EC key", path);
		tls_key_free(k);
		return ERR_BADKEY;
	}
	return 0;
}

/* Load path as one certificate if it is usable: key matches, not expiring, names. */
static int
cert_usable(const char *path, unsigned char *der, size_t *len, const unsigned char *spki,
    size_t spkilen, const struct boot_names *bn, const unsigned char *issuer_der, size_t ilen)
{
	struct tls_certs c;
	struct x509_cert x;
	int ok = 0;

	if (access(path, F_OK) != 0 || tls_certs_load(&c, path) != 0)
		return 0;
	if (c.cert[0].data_len <= BOOT_DER_MAX &&
	    x509_cert_parse(&x, c.cert[0].data, c.cert[0].data_len) == 0 &&
	    x.key.spki.len == spkilen && memcmp(x.key.spki.p, spki, spkilen) == 0 &&
	    x.not_after > platform_wall_s() + BOOT_RENEW_BEFORE &&
	    (bn == NULL || names_match(bn, &x)) &&
	    (issuer_der == NULL || (x.issuer.der_len == ilen && memcmp(x.issuer.der, issuer_der, ilen) == 0))) {
		memcpy(der, c.cert[0].data, c.cert[0].data_len);
		*len = c.cert[0].data_len;
		ok = 1;
	}
	tls_certs_free(&c);
	return ok;
}

static int
cert_store(const char *path, const unsigned char *der, size_t len)
{
	char pem[BOOT_DER_MAX * 2];
	int n = pem_encode(pem, sizeof(pem), "CERTIFICATE", der, len);

	if (n < 0)
		return n;
	return file_write_atomic(path, pem, (size_t)n, 0644);
}

static void
serial_make(unsigned char serial[16])
{
	platform_random(serial, 16);
	serial[0] &= 0x7f;
	serial[0] |= 0x01;    /* positive, never zero */
}

int
tls_server_bootstrap(struct tls_server **out, const char *dir, const char *names)
{
	struct tls_key cakey, key;
	struct tls_certs chain;
	struct boot_names bn;
	unsigned char ca_der[BOOT_DER_MAX], leaf_der[BOOT_DER_MAX], ca_spki[128], spki[128];
	unsigned char serial[16], ski[X509_SKI_LEN];
	size_t ca_len = 0, leaf_len = 0, ca_spki_len, spki_len;
	char path[4200];
	struct x509_cert ca;
	int64_t now = platform_wall_s();
	int rc;

	memset(&cakey, 0, sizeof(cakey));
	memset(&key, 0, sizeof(key));
	memset(&chain, 0, sizeof(chain));
	if ((rc = names_parse(&bn, names)) != 0) {
		log_err("tls_names: '%s' is not a list of names and addresses", names);
		goto out;
	}
	if ((rc = platform_mkdir_p(dir, 0700)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/ca-key.pem", dir);
	if ((rc = key_get(&cakey, path)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if ((rc = key_get(&key, path)) != 0)
		goto out;
	if ((rc = ec_spki(&cakey.ec, ca_spki, sizeof(ca_spki), &ca_spki_len)) != 0 ||
	    (rc = ec_spki(&key.ec, spki, sizeof(spki), &spki_len)) != 0)
		goto out;

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	if (!cert_usable(path, ca_der, &ca_len, ca_spki, ca_spki_len, NULL, NULL, 0)) {
		struct x509_tbs t;
		char cn[64];
		struct x509_pubkey pk;

		memset(&t, 0, sizeof(t));
		serial_make(serial);
		snprintf(cn, sizeof(cn), "upki-acme local root %02x%02x", serial[1], serial[2]);
		t.serial = serial;
		t.serial_len = sizeof(serial);
		t.subject.attr[X509_NAME_O].p = "upki-acme";
		t.subject.attr[X509_NAME_O].len = 9;
		t.subject.attr[X509_NAME_CN].p = cn;
		t.subject.attr[X509_NAME_CN].len = strlen(cn);
		t.issuer = t.subject;
		t.not_before = now - 3600;
		t.not_after = now + (int64_t)BOOT_CA_DAYS * 86400;
		t.spki = ca_spki;
		t.spki_len = ca_spki_len;
		t.basic_constraints = 1;
		t.ca = 1;
		t.path_len = 0;
		t.key_usage = X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN;
		t.ski = 1;
		if (x509_pubkey_parse(&pk, ca_spki, ca_spki_len) == 0) {
			x509_pubkey_ski(&pk, ski);
			t.aki = ski;
			t.aki_len = sizeof(ski);
		}
		if ((rc = x509_cert_write(ca_der, sizeof(ca_der), &ca_len, &t, X509_SIG_ECDSA_SHA256,
		    ec_sign, &cakey.ec)) != 0 || (rc = cert_store(path, ca_der, ca_len)) != 0)
			goto out;
		log_info("%s: new local root certificate (clients trust this file)", path);
	}
	if ((rc = x509_cert_parse(&ca, ca_der, ca_len)) != 0)
		goto out;

	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	if (!cert_usable(path, leaf_der, &leaf_len, spki, spki_len, &bn, ca.subject.der,
	    ca.subject.der_len)) {
		struct x509_tbs t;
		int64_t na = now + (int64_t)CONFIG_TLS_CERT_DAYS * 86400;

		memset(&t, 0, sizeof(t));
		serial_make(serial);
		t.serial = serial;
		t.serial_len = sizeof(serial);
		t.issuer_der = ca.subject.der;
		t.issuer_der_len = ca.subject.der_len;
		if (bn.n_dns > 0) {
			t.subject.attr[X509_NAME_CN] = bn.dns_str[0];
		} else {
			t.subject.attr[X509_NAME_CN].p = "upki-acme";
			t.subject.attr[X509_NAME_CN].len = 9;
		}
		t.not_before = now - 3600;
		t.not_after = na < ca.not_after ? na : ca.not_after;
		t.spki = spki;
		t.spki_len = spki_len;
		t.dns = bn.dns_str;
		t.n_dns = bn.n_dns;
		t.ip = bn.ip_b;
		t.n_ip = bn.n_ip;
		t.basic_constraints = 1;
		t.ca = 0;
		t.path_len = -1;
		t.key_usage = X509_KU_DIGITAL_SIGNATURE;
		t.eku = X509_EKU_SERVER_AUTH;
		t.ski = 1;
		t.aki = ca.ext.ski.p;
		t.aki_len = ca.ext.ski.len;
		if ((rc = x509_cert_write(leaf_der, sizeof(leaf_der), &leaf_len, &t,
		    X509_SIG_ECDSA_SHA256, ec_sign, &cakey.ec)) != 0 ||
		    (rc = cert_store(path, leaf_der, leaf_len)) != 0)
			goto out;
		log_info("%s: new server certificate for %s", path, names);
	}
	chain.cert[0].data = malloc(leaf_len);
	if (chain.cert[0].data == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	memcpy(chain.cert[0].data, leaf_der, leaf_len);
	chain.cert[0].data_len = leaf_len;
	chain.n = 1;
	rc = tls_server_from_parts(out, &key, &chain);
out:
	if (rc != 0)
		log_err("%s: cannot set up the bootstrap TLS key and certificate: %s", dir, err_str(rc));
	tls_certs_free(&chain);
	tls_key_free(&key);
	tls_key_free(&cakey);
	return rc;
}
