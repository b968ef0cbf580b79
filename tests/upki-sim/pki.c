/*
 * pki.c: the simulator's keys and certificates. `init` builds a hierarchy that
 * mirrors UPKI's (UPKI.md §6, names with " (SIM)"):
 *
 *   Security Communication RootCA2 (SIM)            RSA, self-signed
 *     └ SECOM TLS RSA Root CA 2024 (SIM)            RSA, cross certificate
 *         └ NII Open Domain CA - G8 RSA (SIM)       RSA leaves
 *   SECOM TLS RSA Root CA 2024 (SIM)                the same key, self-signed
 *   Security Communication ECC RootCA1 (SIM)        P-384, self-signed
 *     └ NII Open Domain CA - G7 ECC (SIM)           ECDSA leaves
 *
 * plus a separate web root for the simulator's HTTPS certificate, an RA
 * officer CA with the RA officer's client certificate, and a stranger CA with
 * a look-alike "wrong" RA certificate. RSA keys are 2048 bits for speed (the
 * real G8 is RSA-4096/SHA-384). Private keys never leave this file and issue.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "sim.h"
#include "util/err.h"
#include "util/log.h"
#include "x509/pem.h"

#define PKI_RSA_BITS 2048
#define PKI_DAY 86400
#define PKI_YEAR (365 * PKI_DAY)
#define PKI_PEM_MAX 16384

/* ---- randomness ---- */

int
sim_rng_init(br_hmac_drbg_context *rng)
{
	unsigned char seed[48];
	int rc;

	if ((rc = platform_random(seed, sizeof(seed))) != 0)
		return rc;
	br_hmac_drbg_init(rng, &br_sha256_vtable, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	return 0;
}

void
sim_rng_bytes(br_hmac_drbg_context *rng, void *out, size_t n)
{
	br_hmac_drbg_generate(rng, out, n);
}

void
sim_fingerprint(const unsigned char *der, size_t len, char out[SIM_FP_LEN + 1])
{
	br_sha256_context h;
	unsigned char d[32];

	br_sha256_init(&h);
	br_sha256_update(&h, der, len);
	br_sha256_out(&h, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- keys ---- */

void
sim_key_free(struct sim_key *k)
{
	if (k->mem != NULL) {
		explicit_bzero(k->mem, k->type == BR_KEYTYPE_RSA ?
		    BR_RSA_KBUF_PRIV_SIZE(k->rsa.n_bitlen) : BR_EC_KBUF_PRIV_MAX_SIZE);
		free(k->mem);
	}
	memset(k, 0, sizeof(*k));
}

static int
key_gen_rsa(struct sim_key *k, br_hmac_drbg_context *rng)
{
	size_t priv = BR_RSA_KBUF_PRIV_SIZE(PKI_RSA_BITS), pub = BR_RSA_KBUF_PUB_SIZE(PKI_RSA_BITS);
	br_rsa_keygen kg = br_rsa_keygen_get_default();

	memset(k, 0, sizeof(*k));
	if ((k->mem = malloc(priv + pub)) == NULL)
		return ERR_NOMEM;
	k->type = BR_KEYTYPE_RSA;
	if (!kg(&rng->vtable, &k->rsa, k->mem, &k->rsa_pub, k->mem + priv, PKI_RSA_BITS, 65537))
		return ERR_BADKEY;
	return x509_spki_build_rsa(k->spki, sizeof(k->spki), &k->spki_len, k->rsa_pub.n,
	    k->rsa_pub.nlen, k->rsa_pub.e, k->rsa_pub.elen);
}

static int
key_gen_ec(struct sim_key *k, br_hmac_drbg_context *rng, int curve)
{
	const br_ec_impl *ec = br_ec_get_default();

	memset(k, 0, sizeof(*k));
	if ((k->mem = malloc(BR_EC_KBUF_PRIV_MAX_SIZE + BR_EC_KBUF_PUB_MAX_SIZE)) == NULL)
		return ERR_NOMEM;
	k->type = BR_KEYTYPE_EC;
	if (br_ec_keygen(&rng->vtable, ec, &k->ec, k->mem, curve) == 0 ||
	    br_ec_compute_pub(ec, &k->ec_pub, k->mem + BR_EC_KBUF_PRIV_MAX_SIZE, &k->ec) == 0)
		return ERR_BADKEY;
	return x509_spki_build_ec(k->spki, sizeof(k->spki), &k->spki_len, curve, k->ec_pub.q,
	    k->ec_pub.qlen);
}

static int
pem_write(const char *path, const char *label, const unsigned char *der, size_t len,
    unsigned mode)
{
	char *pem;
	size_t n = pem_enc_len(label, len);
	int rc;

	if ((pem = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	rc = pem_encode(pem, n + 1, label, der, len);
	if (rc >= 0)
		rc = file_write_atomic(path, pem, (size_t)rc, mode);
	free(pem);
	if (rc != 0)
		log_err("%s: %s", path, err_str(rc));
	return rc;
}

/* A generated key as "RSA PRIVATE KEY" or "EC PRIVATE KEY", mode 0600. */
static int
key_write(const struct sim_key *k, const char *path)
{
	unsigned char der[4096], d[PKI_RSA_BITS / 8];
	size_t len;

	if (k->type == BR_KEYTYPE_RSA) {
		uint32_t e = br_rsa_compute_pubexp_get_default()(&k->rsa);
		size_t dlen = br_rsa_compute_privexp_get_default()(d, &k->rsa, e);

		if (e == 0 || dlen == 0)
			return ERR_BADKEY;
		len = br_encode_rsa_raw_der(NULL, &k->rsa, &k->rsa_pub, d, dlen);
		if (len == 0 || len > sizeof(der))
			return ERR_TOOBIG;
		br_encode_rsa_raw_der(der, &k->rsa, &k->rsa_pub, d, dlen);
		explicit_bzero(d, sizeof(d));
		return pem_write(path, "RSA PRIVATE KEY", der, len, 0600);
	}
	len = br_encode_ec_raw_der(NULL, &k->ec, &k->ec_pub);
	if (len == 0 || len > sizeof(der))
		return ERR_TOOBIG;
	br_encode_ec_raw_der(der, &k->ec, &k->ec_pub);
	return pem_write(path, "EC PRIVATE KEY", der, len, 0600);
}

/* The first PEM block of path (any label) into der. */
static int
pem_read_first(const char *path, char *label, size_t labelsz, unsigned char *der, size_t dersz,
    size_t *derlen)
{
	char *text = NULL;
	size_t len, pos = 0;
	int rc;

	if ((rc = file_read_all(path, PKI_PEM_MAX, &text, &len)) != 0)
		return rc;
	rc = pem_decode(text, len, &pos, label, labelsz, der, dersz, derlen);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

int
sim_key_load(struct sim_key *k, const char *path)
{
	br_skey_decoder_context dc;
	unsigned char der[4096];
	char label[PEM_LABEL_MAX + 1];
	size_t len;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = pem_read_first(path, label, sizeof(label), der, sizeof(der), &len)) != 0)
		goto out;
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	if (br_skey_decoder_last_error(&dc) != 0) {
		rc = ERR_BADKEY;
		goto out;
	}
	if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&dc);
		size_t tot = sk->plen + sk->qlen + sk->dplen + sk->dqlen + sk->iqlen;
		unsigned char *p;

		if ((k->mem = malloc(BR_RSA_KBUF_PRIV_SIZE(sk->n_bitlen) > tot ?
		    BR_RSA_KBUF_PRIV_SIZE(sk->n_bitlen) : tot)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		p = k->mem;
		k->type = BR_KEYTYPE_RSA;
		k->rsa.n_bitlen = sk->n_bitlen;
#define CP(f) memcpy(p, sk->f, sk->f##len); k->rsa.f = p; k->rsa.f##len = sk->f##len; p += sk->f##len
		CP(p); CP(q); CP(dp); CP(dq); CP(iq);
#undef CP
	} else if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_EC) {
		const br_ec_private_key *sk = br_skey_decoder_get_ec(&dc);

		if (sk->xlen > BR_EC_KBUF_PRIV_MAX_SIZE ||
		    (k->mem = malloc(BR_EC_KBUF_PRIV_MAX_SIZE)) == NULL) {
			rc = sk->xlen > BR_EC_KBUF_PRIV_MAX_SIZE ? ERR_BADKEY : ERR_NOMEM;
			goto out;
		}
		memcpy(k->mem, sk->x, sk->xlen);
		k->type = BR_KEYTYPE_EC;
		k->ec.curve = sk->curve;
		k->ec.x = k->mem;
		k->ec.xlen = sk->xlen;
	} else {
		rc = ERR_UNSUPPORTED;
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(der, sizeof(der));
	explicit_bzero(&dc, sizeof(dc));
	if (rc != 0) {
		log_err("%s: private key: %s", path, err_str(rc));
		sim_key_free(k);
	}
	return rc;
}

int
sim_key_sign(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen)
{
	struct sim_key *k = ctx;
	const br_hash_class *hc;
	const unsigned char *oid;

	switch (sig_alg) {
	case X509_SIG_RSA_SHA256: case X509_SIG_ECDSA_SHA256:
		hc = &br_sha256_vtable;
		oid = BR_HASH_OID_SHA256;
		break;
	case X509_SIG_RSA_SHA384: case X509_SIG_ECDSA_SHA384:
		hc = &br_sha384_vtable;
		oid = BR_HASH_OID_SHA384;
		break;
	case X509_SIG_RSA_SHA512: case X509_SIG_ECDSA_SHA512:
		hc = &br_sha512_vtable;
		oid = BR_HASH_OID_SHA512;
		break;
	default:
		return ERR_UNSUPPORTED;
	}
	if (hashlen != ((hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK))
		return ERR_RANGE;
	if (k->type == BR_KEYTYPE_RSA) {
		size_t n = (k->rsa.n_bitlen + 7) / 8;

		if (sig_alg > X509_SIG_RSA_SHA512)
			return ERR_BADKEY;
		if (n > sigsz)
			return ERR_TOOBIG;
		if (!br_rsa_pkcs1_sign_get_default()(oid, hash, hashlen, &k->rsa, sig))
			return ERR_BADKEY;
		*siglen = n;
		return 0;
	}
	if (k->type == BR_KEYTYPE_EC) {
		unsigned char tmp[160];
		size_t n;

		if (sig_alg < X509_SIG_ECDSA_SHA256 || sig_alg > X509_SIG_ECDSA_SHA512)
			return ERR_BADKEY;
		n = br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), hc, hash, &k->ec, tmp);
		if (n == 0)
			return ERR_BADKEY;
		if (n > sigsz)
			return ERR_TOOBIG;
		memcpy(sig, tmp, n);
		*siglen = n;
		return 0;
	}
	return ERR_BADKEY;
}

static int
key_sig_alg(const struct sim_key *k)
{
	if (k->type == BR_KEYTYPE_RSA)
		return X509_SIG_RSA_SHA256;
	switch (k->ec.curve) {
	case BR_EC_secp256r1: return X509_SIG_ECDSA_SHA256;
	case BR_EC_secp384r1: return X509_SIG_ECDSA_SHA384;
	case BR_EC_secp521r1: return X509_SIG_ECDSA_SHA512;
	default: return X509_SIG_NONE;
	}
}

/* ---- the test hierarchy (init) ---- */

/* A key with its certificate, as init builds them. */
struct pki_ent {
	struct sim_key key;
	unsigned char cert[SIM_CERT_MAX];
	size_t cert_len;
	struct x509_cert xc;
	unsigned char ski[X509_SKI_LEN];
};

struct pki_req {
	const char *c, *o, *ou, *cn;
	struct pki_ent *issuer;     /* NULL: self-signed */
	int ca, path_len;
	unsigned ku, eku;
	const struct x509_str *dns;
	size_t n_dns;
	const struct x509_bytes *ip;
	size_t n_ip;
	int64_t years;
	const char *email;          /* emailAddress in the subject (S/MIME signers) */
};

static void
pki_name(struct x509_name *n, const struct pki_req *r)
{
	memset(n, 0, sizeof(*n));
#define SET(i, v) if ((v) != NULL) { n->attr[i].p = (v); n->attr[i].len = strlen(v); }
	SET(X509_NAME_C, r->c);
	SET(X509_NAME_O, r->o);
	SET(X509_NAME_OU, r->ou);
	SET(X509_NAME_CN, r->cn);
	SET(X509_NAME_EMAIL, r->email);
#undef SET
}

/* Issue e's certificate for its key (already generated) as r says. */
static int
pki_cert(struct pki_ent *e, const struct pki_req *r, br_hmac_drbg_context *rng)
{
	struct x509_tbs t;
	struct x509_pubkey pk;
	struct pki_ent *iss = r->issuer ? r->issuer : e;
	unsigned char serial[16];
	int64_t now = platform_wall_s();
	int rc;

	if ((rc = x509_pubkey_parse(&pk, e->key.spki, e->key.spki_len)) != 0)
		return rc;
	x509_pubkey_ski(&pk, e->ski);
	sim_rng_bytes(rng, serial, sizeof(serial));
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x10);
	memset(&t, 0, sizeof(t));
	t.serial = serial;
	t.serial_len = sizeof(serial);
	pki_name(&t.subject, r);
	if (r->issuer != NULL) {
		t.issuer_der = r->issuer->xc.subject.der;
		t.issuer_der_len = r->issuer->xc.subject.der_len;
		t.aki = r->issuer->ski;
		t.aki_len = X509_SKI_LEN;
	} else {
		t.issuer = t.subject;
	}
	t.not_before = now - PKI_DAY;
	t.not_after = now + r->years * PKI_YEAR;
	t.spki = e->key.spki;
	t.spki_len = e->key.spki_len;
	t.dns = r->dns;
	t.n_dns = r->n_dns;
	t.ip = r->ip;
	t.n_ip = r->n_ip;
	t.basic_constraints = 1;
	t.ca = r->ca;
	t.path_len = r->ca ? r->path_len : -1;
	t.key_usage = r->ku;
	t.eku = r->eku;
	t.ski = 1;
	rc = x509_cert_write(e->cert, sizeof(e->cert), &e->cert_len, &t, key_sig_alg(&iss->key),
	    sim_key_sign, &iss->key);
	if (rc != 0)
		return rc;
	return x509_cert_parse(&e->xc, e->cert, e->cert_len);
}

static int
pki_gen(struct pki_ent *e, const struct pki_req *r, br_hmac_drbg_context *rng, int curve)
{
	int rc = curve == 0 ? key_gen_rsa(&e->key, rng) : key_gen_ec(&e->key, rng, curve);

	if (rc != 0)
		return rc;
	return pki_cert(e, r, rng);
}

/* Concatenate the PEM of certificates into dir/name. */
static int
pki_write_certs(const char *dir, const char *name, struct pki_ent *const *ents, size_t n)
{
	char path[SIM_PATH_MAX], *pem = NULL;
	size_t cap = 0, len = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		cap += pem_enc_len("CERTIFICATE", ents[i]->cert_len);
	if ((pem = malloc(cap + 1)) == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		rc = pem_encode(pem + len, cap + 1 - len, "CERTIFICATE", ents[i]->cert,
		    ents[i]->cert_len);
		if (rc >= 0)
			len += (size_t)rc;
	}
	if (rc >= 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		rc = file_write_atomic(path, pem, len, 0644);
		if (rc != 0)
			log_err("%s: %s", path, err_str(rc));
	}
	free(pem);
	return rc < 0 ? rc : 0;
}

static int
pki_write_key(const char *dir, const char *name, const struct pki_ent *e)
{
	char path[SIM_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return key_write(&e->key, path);
}

enum {
	E_ROOTCA2, E_TLS2024, E_TLS2024_CROSS, E_G8, E_ECCROOT1, E_G7, E_WEBROOT, E_WEB,
	E_RACA, E_RA, E_WRONGCA, E_WRONGRA, E_MAILCA, E_MAIL, E_MAILOTHER, E__MAX
};

int
sim_pki_init(const char *dir, const struct sim_inst *inst, br_hmac_drbg_context *rng,
    char ra_fp[SIM_FP_LEN + 1])
{
	static const char secom[] = "SECOM Trust Systems CO.,LTD.";
	struct pki_ent *e = NULL;
	char cadir[SIM_PATH_MAX];
	unsigned char ip4[4] = { 127, 0, 0, 1 }, ip6[16] = { [15] = 1 };
	/* "127.0.0.1" as a dNSName too: br_x509_minimal matches server names against
	 * dNSName entries only, so a BearSSL client asking for 127.0.0.1 needs it. */
	struct x509_str web_dns[] = { { "localhost", 9 }, { "127.0.0.1", 9 } };
	struct x509_bytes web_ip[] = { { ip4, 4 }, { ip6, 16 } };
	const unsigned ca_ku = X509_KU_KEY_CERT_SIGN | X509_KU_CRL_SIGN;
	int rc;

	if ((e = calloc(E__MAX, sizeof(*e))) == NULL)
		return ERR_NOMEM;
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	if ((rc = platform_mkdir_p(cadir, 0700)) != 0)
		goto out;

	{
		const struct pki_req reqs[E__MAX] = {
			[E_ROOTCA2] = { "JP", secom, "Security Communication RootCA2 (SIM)", NULL,
			    NULL, 1, -1, ca_ku, 0, NULL, 0, NULL, 0, 20 },
			[E_TLS2024] = { "JP", "SECOM Trust Systems Co., Ltd.", NULL,
			    "SECOM TLS RSA Root CA 2024 (SIM)", NULL, 1, -1, ca_ku, 0, NULL, 0, NULL,
			    0, 25 },
			[E_TLS2024_CROSS] = { "JP", "SECOM Trust Systems Co., Ltd.", NULL,
			    "SECOM TLS RSA Root CA 2024 (SIM)", &e[E_ROOTCA2], 1, -1, ca_ku, 0, NULL,
			    0, NULL, 0, 3 },
			[E_G8] = { "JP", secom, NULL, "NII Open Domain CA - G8 RSA (SIM)",
			    &e[E_TLS2024], 1, 0, ca_ku | X509_KU_DIGITAL_SIGNATURE,
			    X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH, NULL, 0, NULL, 0, 15 },
			[E_ECCROOT1] = { "JP", secom, NULL, "Security Communication ECC RootCA1 (SIM)",
			    NULL, 1, -1, ca_ku, 0, NULL, 0, NULL, 0, 20 },
			[E_G7] = { "JP", secom, NULL, "NII Open Domain CA - G7 ECC (SIM)",
			    &e[E_ECCROOT1], 1, 0, ca_ku | X509_KU_DIGITAL_SIGNATURE,
			    X509_EKU_SERVER_AUTH | X509_EKU_CLIENT_AUTH, NULL, 0, NULL, 0, 10 },
			[E_WEBROOT] = { "JP", "upki-sim", NULL, "upki-sim web root (SIM)", NULL, 1,
			    -1, ca_ku, 0, NULL, 0, NULL, 0, 10 },
			[E_WEB] = { "JP", "upki-sim", NULL, "localhost", &e[E_WEBROOT], 0, -1,
			    X509_KU_DIGITAL_SIGNATURE, X509_EKU_SERVER_AUTH, web_dns, 2, web_ip, 2,
			    5 },
			[E_RACA] = { "JP", "National Institute of Informatics (SIM)", NULL,
			    "upki-sim RA officer CA (SIM)", NULL, 1, 0, ca_ku, 0, NULL, 0, NULL, 0,
			    10 },
			[E_RA] = { "JP", inst->o, NULL, "RA Officer 01 (SIM)", &e[E_RACA], 0, -1,
			    X509_KU_DIGITAL_SIGNATURE, X509_EKU_CLIENT_AUTH, NULL, 0, NULL, 0, 2 },
			[E_WRONGCA] = { "JP", "Stranger (SIM)", NULL, "upki-sim stranger CA (SIM)",
			    NULL, 1, 0, ca_ku, 0, NULL, 0, NULL, 0, 10 },
			[E_WRONGRA] = { "JP", inst->o, NULL, "RA Officer 01 (SIM)", &e[E_WRONGCA], 0,
			    -1, X509_KU_DIGITAL_SIGNATURE, X509_EKU_CLIENT_AUTH, NULL, 0, NULL, 0, 2 },
			/* The S/MIME signer of the outbox mails (smime.c), under RootCA2, and a
			 * look-alike from the stranger CA for the mail_otherkey fault. */
			[E_MAILCA] = { "JP", secom, NULL, "SECOM Passport for Member PUB CA (SIM)",
			    &e[E_ROOTCA2], 1, 0, ca_ku, 0, NULL, 0, NULL, 0, 10 },
			[E_MAIL] = { "JP", secom, NULL, "UPKI ca-support (SIM)", &e[E_MAILCA], 0, -1,
			    X509_KU_DIGITAL_SIGNATURE | X509_KU_NON_REPUDIATION,
			    X509_EKU_EMAIL_PROTECTION, NULL, 0, NULL, 0, 2, sim_profile.mail_from },
			[E_MAILOTHER] = { "JP", secom, NULL, "UPKI ca-support (SIM)", &e[E_WRONGCA], 0,
			    -1, X509_KU_DIGITAL_SIGNATURE | X509_KU_NON_REPUDIATION,
			    X509_EKU_EMAIL_PROTECTION, NULL, 0, NULL, 0, 2, sim_profile.mail_from },
		};
		static const int curve[E__MAX] = {
			[E_ECCROOT1] = BR_EC_secp384r1, [E_G7] = BR_EC_secp384r1,
			[E_WEBROOT] = BR_EC_secp256r1, [E_WEB] = BR_EC_secp256r1,
			[E_RACA] = BR_EC_secp256r1, [E_RA] = BR_EC_secp256r1,
			[E_WRONGCA] = BR_EC_secp256r1, [E_WRONGRA] = BR_EC_secp256r1,
			[E_MAILOTHER] = BR_EC_secp256r1,
		};

		for (int i = 0; i < E__MAX; i++) {
			if (i == E_TLS2024_CROSS) {
				/* The same key as the self-signed 2024 root, signed by RootCA2. */
				e[i].key = e[E_TLS2024].key;
				rc = pki_cert(&e[i], &reqs[i], rng);
				memset(&e[i].key, 0, sizeof(e[i].key));
			} else {
				rc = pki_gen(&e[i], &reqs[i], rng, curve[i]);
			}
			if (rc != 0) {
				log_err("init: certificate %d: %s", i, err_str(rc));
				goto out;
			}
		}
	}

	{
		struct pki_ent *chain_rsa[] = { &e[E_G8], &e[E_TLS2024_CROSS] };
		struct pki_ent *chain_ecc[] = { &e[E_G7] };
		struct pki_ent *roots[] = { &e[E_ROOTCA2], &e[E_ECCROOT1] };
		struct pki_ent *roots_all[] = { &e[E_ROOTCA2], &e[E_ECCROOT1], &e[E_TLS2024] };
		const struct { const char *name; struct pki_ent *const *v; size_t n; } certs[] = {
			{ "ca/rootca2.pem", &roots[0], 1 },
			{ "ca/tls-rsa-root-2024.pem", &roots_all[2], 1 },
			{ "ca/tls-rsa-root-2024-cross.pem", &chain_rsa[1], 1 },
			{ "ca/g8-rsa.pem", &chain_rsa[0], 1 },
			{ "ca/ecc-root1.pem", &roots[1], 1 },
			{ "ca/g7-ecc.pem", &chain_ecc[0], 1 },
			{ "chain-rsa.pem", chain_rsa, 2 },
			{ "chain-ecc.pem", chain_ecc, 1 },
			{ "roots.pem", roots, 2 },
			{ "roots-all.pem", roots_all, 3 },
		};
		struct pki_ent *one[1];
		const struct { const char *name; int i; } singles[] = {
			{ "web-ca.pem", E_WEBROOT }, { "web-cert.pem", E_WEB }, { "ra-ca.pem", E_RACA },
			{ "ra.pem", E_RA }, { "wrong-ra.pem", E_WRONGRA },
			{ "ca/wrong-ca.pem", E_WRONGCA }, { "mail-ca.pem", E_ROOTCA2 },
			{ "ca/mail-ca.pem", E_MAILCA }, { "mail-signer.pem", E_MAIL },
			{ "ca/mail-other.pem", E_MAILOTHER },
		};
		const struct { const char *name; int i; } keys[] = {
			{ "ca/rootca2-key.pem", E_ROOTCA2 }, { "ca/tls-rsa-root-2024-key.pem", E_TLS2024 },
			{ "ca/g8-rsa-key.pem", E_G8 }, { "ca/ecc-root1-key.pem", E_ECCROOT1 },
			{ "ca/g7-ecc-key.pem", E_G7 }, { "ca/web-root-key.pem", E_WEBROOT },
			{ "web-key.pem", E_WEB }, { "ca/ra-ca-key.pem", E_RACA },
			{ "ra-key.pem", E_RA }, { "ca/wrong-ca-key.pem", E_WRONGCA },
			{ "wrong-ra-key.pem", E_WRONGRA }, { "ca/mail-ca-key.pem", E_MAILCA },
			{ "ca/mail-signer-key.pem", E_MAIL }, { "ca/mail-other-key.pem", E_MAILOTHER },
		};

		for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
			if ((rc = pki_write_certs(dir, certs[i].name, certs[i].v, certs[i].n)) != 0)
				goto out;
		for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
			one[0] = &e[singles[i].i];
			if ((rc = pki_write_certs(dir, singles[i].name, one, 1)) != 0)
				goto out;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((rc = pki_write_key(dir, keys[i].name, &e[keys[i].i])) != 0)
				goto out;
	}
	sim_fingerprint(e[E_RA].cert, e[E_RA].cert_len, ra_fp);
	rc = 0;
out:
	for (int i = 0; i < E__MAX; i++)
		sim_key_free(&e[i].key);
	explicit_bzero(e, E__MAX * sizeof(*e));
	free(e);
	return rc;
}

/* ---- issuing CAs (serve) ---- */

int
sim_ca_load(struct sim_ca *ca, const char *cert_path, const char *key_path)
{
	char label[PEM_LABEL_MAX + 1];
	int rc;

	memset(ca, 0, sizeof(*ca));
	rc = pem_read_first(cert_path, label, sizeof(label), ca->cert, sizeof(ca->cert),
	    &ca->cert_len);
	if (rc == 0 && strcmp(label, "CERTIFICATE") != 0)
		rc = ERR_MALFORMED;
	if (rc == 0)
		rc = x509_cert_parse(&ca->parsed, ca->cert, ca->cert_len);
	if (rc != 0) {
		log_err("%s: %s", cert_path, err_str(rc));
		return rc;
	}
	if (ca->parsed.ext.ski.p != NULL && ca->parsed.ext.ski.len == X509_SKI_LEN)
		memcpy(ca->ski, ca->parsed.ext.ski.p, X509_SKI_LEN);
	else
		x509_pubkey_ski(&ca->parsed.key, ca->ski);
	if ((rc = sim_key_load(&ca->key, key_path)) != 0)
		return rc;
	ca->sig_alg = key_sig_alg(&ca->key);
	return 0;
}

void
sim_ca_free(struct sim_ca *ca)
{
	sim_key_free(&ca->key);
}
