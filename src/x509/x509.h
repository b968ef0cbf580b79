/*
 * x509.h: what BearSSL 0.6 lacks for an ACME CA front end: PKCS#10 CSR parsing
 * and signature checking, certificate field access (names, SAN, extensions),
 * certificate and CSR writing, and the gateway's self-signed bootstrap
 * certificate. Chain validation stays with BearSSL's br_x509_minimal (tls/).
 *
 * Nothing here allocates or holds a private key. Parsers fill caller structs
 * whose pointers point INTO the DER buffer given to them: the buffer must outlive
 * the struct. Writers take caller buffers and sign through an x509_sign_fn
 * callback supplied by whoever holds the key (tls/, upki/, tests).
 *
 * Error codes: ERR_MALFORMED (bad DER or X.509 syntax), ERR_TOOBIG (over a limit
 * below or out of buffer space), ERR_UNSUPPORTED (well-formed but not handled
 * here: algorithm, curve, string type, multi-valued RDN), ERR_BADSIG,
 * ERR_BADKEY, ERR_RANGE (a value the writer cannot encode).
 */
#ifndef UPKI_X509_H
#define UPKI_X509_H

#include <stddef.h>
#include <stdint.h>

#include "autoconf.h"

#include "x509/der.h"

/* ---- limits ---- */
#define X509_DER_MAX CONFIG_X509_DER_MAX   /* largest CSR or certificate accepted (Kconfig) */
#define X509_SAN_MAX CONFIG_X509_SAN_MAX   /* subjectAltName entries, all types together (Kconfig) */
#define X509_DNSNAME_MAX 253      /* bytes in one dNSName */
#define X509_NAME_VALUE_MAX 256   /* bytes in one DN attribute value (UTF-8) */
#define X509_NAME_RDN_MAX 32      /* RDNs in one Name */
#define X509_EXT_MAX CONFIG_X509_EXT_MAX   /* extensions in one certificate or CSR (Kconfig) */
#define X509_EXT_OTHER_MAX 16     /* unrecognised extensions whose OIDs are kept */
#define X509_SERIAL_MAX 20        /* serial number bytes (RFC 5280 §4.1.2.2) */
#define X509_SIG_MAX 1024         /* signature bytes a sign callback may return */
#define X509_SPKI_HASH_LEN 32     /* SHA-256 */
#define X509_SKI_LEN 20           /* SHA-1, RFC 5280 §4.2.1.2 method 1 */
#define X509_ACME_ID_LEN 32       /* RFC 8737 acmeIdentifier: SHA-256 digest */

/* Byte and text ranges inside a parsed DER buffer (not NUL-terminated). */
struct x509_bytes {
	const unsigned char *p;
	size_t len;
};
struct x509_str {
	const char *p;
	size_t len;
};

/* ---- distinguished names (name.c) ---- */

enum x509_name_attr {
	X509_NAME_C,     /* countryName 2.5.4.6 */
	X509_NAME_ST,    /* stateOrProvinceName 2.5.4.8 */
	X509_NAME_L,     /* localityName 2.5.4.7 */
	X509_NAME_O,     /* organizationName 2.5.4.10 */
	X509_NAME_OU,    /* organizationalUnitName 2.5.4.11 */
	X509_NAME_CN,    /* commonName 2.5.4.3 */
	X509_NAME_EMAIL, /* emailAddress 1.2.840.113549.1.9.1 */
	X509_NAME__MAX
};

/*
 * A Name reduced to the attributes the gateway uses. Values are UTF-8 (taken from
 * PrintableString, UTF8String, IA5String, VisibleString or NumericString, which
 * are all UTF-8 already) and contain no NUL byte. BMPString, TeletexString and
 * UniversalString values of these attributes are refused with ERR_UNSUPPORTED:
 * no stock ACME client sends them. Only the first value of each attribute is
 * kept; repeats are counted in n_dup. Attributes of other types are counted in
 * n_other, not kept. An absent attribute has p == NULL, len == 0.
 * For writing (x509_name_write), fill attr[] and leave the rest zero.
 */
struct x509_name {
	struct x509_str attr[X509_NAME__MAX];
	unsigned n_rdn;   /* RDNs in the Name */
	unsigned n_other; /* attributes of other types */
	unsigned n_dup;   /* repeats of a kept attribute type */
	const unsigned char *der; /* the whole Name (SEQUENCE) as parsed */
	size_t der_len;
};

/*
 * Parse one Name (the SEQUENCE, tag included) from der[0..len), which it must
 * fill exactly. Multi-valued RDNs: ERR_UNSUPPORTED. Values over
 * X509_NAME_VALUE_MAX or more than X509_NAME_RDN_MAX RDNs: ERR_TOOBIG.
 */
int x509_name_parse(struct x509_name *n, const unsigned char *der, size_t len);
/* The same, reading the next element of d (advanced past it on success). */
int x509_name_read(struct der *d, struct x509_name *n);

/*
 * RFC 4514-style string in UPKI order, most specific first:
 * "emailAddress=...,CN=...,OU=...,O=...,L=...,ST=...,C=JP". Only kept attributes
 * appear; ',', '+', '"', '\', '<', '>', ';', '=' are backslash-escaped, as are a
 * leading '#' or space and a trailing space; control bytes become \XX. An empty
 * Name gives "". Returns the length (NUL written), or ERR_TOOBIG.
 */
int x509_name_format(const struct x509_name *n, char *out, size_t outsz);

/*
 * Prepend (der_writer) a Name with one single-valued RDN per present attribute,
 * in the order C, ST, L, O, OU, CN, emailAddress. Values: PrintableString when
 * they fit its character set, else UTF8String; emailAddress is IA5String; C must
 * be two PrintableString characters. ERR_RANGE (sticky in w) for an empty,
 * too long, NUL-containing or non-UTF-8 value.
 */
void x509_name_write(struct der_writer *w, const struct x509_name *n);

/* ---- public keys (key.c) ---- */

enum x509_key_type { X509_KEY_NONE, X509_KEY_RSA, X509_KEY_EC, X509_KEY_OTHER };

/*
 * A SubjectPublicKeyInfo. RSA: n and e are big-endian magnitudes (no leading
 * zeros), bits the modulus size. EC: curve is BR_EC_secp256r1 / secp384r1 /
 * secp521r1, or 0 for another named curve or explicit parameters; point the
 * encoded point as found (usually 04||X||Y); bits the curve size (256/384/521,
 * 0 when unknown). X509_KEY_OTHER: another algorithm (Ed25519, DSA, ...),
 * accepted by the parser but refused by x509_sig_verify.
 */
struct x509_pubkey {
	int type;
	unsigned bits;
	const unsigned char *n, *e;
	size_t nlen, elen;
	int curve;
	const unsigned char *point;
	size_t pointlen;
	struct x509_bytes bits_raw; /* subjectPublicKey BIT STRING value (key for SKI) */
	struct x509_bytes spki;     /* the whole SubjectPublicKeyInfo DER */
};

/* Parse a SubjectPublicKeyInfo filling der[0..len) exactly. */
int x509_pubkey_parse(struct x509_pubkey *k, const unsigned char *der, size_t len);
/* The same, reading the next element of d. */
int x509_pubkey_read(struct der *d, struct x509_pubkey *k);

/* SHA-256 over the DER SubjectPublicKeyInfo (matches an issued certificate to its order). */
void x509_spki_hash(const unsigned char *spki, size_t len, unsigned char out[X509_SPKI_HASH_LEN]);

/* RFC 5280 §4.2.1.2 method 1 key identifier: SHA-1 of the subjectPublicKey bits. */
void x509_pubkey_ski(const struct x509_pubkey *k, unsigned char out[X509_SKI_LEN]);
/*
 * NULL when the RSA public exponent of k is one a CA may certify (CA/Browser
 * Forum Baseline Requirements 6.1.6: odd, and from 2^16+1 to 2^256-1), else a
 * sentence saying what is wrong with it (static storage). k must be RSA.
 */
const char *x509_rsa_exponent_problem(const struct x509_pubkey *k);

/*
 * Build SubjectPublicKeyInfo DER into out[0..outsz), length in *outlen.
 * EC: curve BR_EC_secp256r1/384r1/521r1 and an uncompressed point of the right
 * length (ERR_BADKEY otherwise). RSA: n, e big-endian (leading zeros ignored).
 */
int x509_spki_build_ec(unsigned char *out, size_t outsz, size_t *outlen, int curve,
    const unsigned char *point, size_t ptlen);
int x509_spki_build_rsa(unsigned char *out, size_t outsz, size_t *outlen,
    const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen);

/* ---- signature algorithms (sig.c) ---- */

enum x509_sig_alg {
	X509_SIG_NONE,
	X509_SIG_RSA_SHA256,   /* sha256WithRSAEncryption */
	X509_SIG_RSA_SHA384,
	X509_SIG_RSA_SHA512,
	X509_SIG_ECDSA_SHA256, /* ecdsa-with-SHA256 */
	X509_SIG_ECDSA_SHA384,
	X509_SIG_ECDSA_SHA512,
	X509_SIG_RSA_SHA1,     /* recognised, refused by x509_sig_verify */
	X509_SIG_RSA_MD5,
	X509_SIG_ECDSA_SHA1,
	X509_SIG_RSA_PSS,
	X509_SIG_ED25519,
	X509_SIG_OTHER,        /* any other OID */
	X509_SIG__MAX
};

/* Name of a signature algorithm ("ecdsa-with-SHA256"); never NULL. */
const char *x509_sig_alg_name(int sig_alg);

/* Digest size of sig_alg's hash (32, 48, 64) or 0 for algorithms we do not sign or verify. */
size_t x509_sig_hash_len(int sig_alg);

/*
 * Check sig over data[0..len) with key under sig_alg. RSA: PKCS#1 v1.5 with
 * SHA-256/384/512, modulus up to 4096 bits. ECDSA: DER-encoded signature,
 * curves P-256, P-384, P-521. 0; ERR_BADSIG; ERR_UNSUPPORTED for SHA-1, MD5,
 * RSA-PSS, Ed25519, other algorithms, curves or RSA sizes; ERR_BADKEY when the
 * key type does not match the algorithm.
 */
int x509_sig_verify(int sig_alg, const struct x509_pubkey *key, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t siglen);

/*
 * Signing callback, provided by the key holder. hash[0..hashlen) is the digest
 * of the to-be-signed bytes under sig_alg (X509_SIG_ECDSA_SHA256/384/512 or
 * X509_SIG_RSA_SHA256/384/512). Write the signature as X.509 carries it into
 * sig[0..sigsz) (sigsz is X509_SIG_MAX): for ECDSA the DER Ecdsa-Sig-Value
 * (br_ecdsa_*_sign_asn1), for RSA the PKCS#1 v1.5 signature (modulus length).
 * Set *siglen; return 0 or a negative error, which the writer passes on.
 */
typedef int (*x509_sign_fn)(void *ctx, int sig_alg, const unsigned char *hash, size_t hashlen,
    unsigned char *sig, size_t sigsz, size_t *siglen);

/* ---- extensions shared by CSRs and certificates (ext.c) ---- */

/* subjectAltName entries; dns and ip point into the DER. */
struct x509_san {
	unsigned n_dns, n_ip, n_other; /* n_other: email, URI, otherName, ... (not kept) */
	struct x509_str dns[X509_SAN_MAX];  /* dNSName, raw (case kept), 1..253 bytes 0x21-0x7e */
	struct x509_bytes ip[X509_SAN_MAX]; /* iPAddress, 4 or 16 bytes */
};

/* keyUsage bits, named bit i of RFC 5280 §4.2.1.3 is (1 << i). */
enum {
	X509_KU_DIGITAL_SIGNATURE = 1 << 0,
	X509_KU_NON_REPUDIATION = 1 << 1,
	X509_KU_KEY_ENCIPHERMENT = 1 << 2,
	X509_KU_DATA_ENCIPHERMENT = 1 << 3,
	X509_KU_KEY_AGREEMENT = 1 << 4,
	X509_KU_KEY_CERT_SIGN = 1 << 5,
	X509_KU_CRL_SIGN = 1 << 6,
	X509_KU_ENCIPHER_ONLY = 1 << 7,
	X509_KU_DECIPHER_ONLY = 1 << 8
};

/* extKeyUsage purposes. */
enum {
	X509_EKU_SERVER_AUTH = 1 << 0,
	X509_EKU_CLIENT_AUTH = 1 << 1,
	X509_EKU_ANY = 1 << 2,   /* anyExtendedKeyUsage */
	X509_EKU_OTHER = 1 << 3, /* any other purpose */
	X509_EKU_EMAIL_PROTECTION = 1 << 4 /* id-kp-emailProtection (S/MIME signers) */
};

/*
 * Extensions found. Recognised: subjectAltName, basicConstraints, keyUsage,
 * extKeyUsage, subjectKeyIdentifier, authorityKeyIdentifier (keyIdentifier),
 * acmeIdentifier (RFC 8737). Every other extension's OID (content octets) is
 * listed in other[] (ERR_TOOBIG past X509_EXT_OTHER_MAX). A repeated extension
 * is ERR_MALFORMED (RFC 5280 §4.2).
 */
struct x509_exts {
	unsigned n;               /* extensions seen */
	int has_san, san_critical;
	struct x509_san san;
	int has_bc, bc_critical, ca;
	int path_len;             /* -1: no pathLenConstraint */
	int has_ku, ku_critical;
	unsigned ku;              /* X509_KU_* */
	int has_eku;
	unsigned eku;             /* X509_EKU_* */
	struct x509_bytes ski;    /* p == NULL when absent */
	struct x509_bytes aki;    /* authorityKeyIdentifier keyIdentifier, p == NULL when absent */
	int has_acme_id, acme_id_critical;
	struct x509_bytes acme_id; /* X509_ACME_ID_LEN bytes */
	unsigned n_other;
	int other_critical;       /* an unrecognised extension is marked critical */
	struct x509_bytes other[X509_EXT_OTHER_MAX];
};

/* ---- PKCS#10 certificate requests (csr.c) ---- */

struct x509_csr {
	unsigned version;            /* always 0 after a successful parse */
	struct x509_name subject;    /* with raw DER in subject.der */
	struct x509_pubkey key;      /* with raw SPKI in key.spki */
	int has_ext_req;             /* an extensionRequest attribute was present */
	struct x509_exts ext;        /* from extensionRequest; ext.has_san etc.
	                                (ext.n - ext.has_san: other extensions requested) */
	int has_other_attrs;         /* attributes besides extensionRequest (challengePassword) */
	int sig_alg;                 /* X509_SIG_* */
	struct x509_bytes info;      /* CertificationRequestInfo DER: the signed bytes */
	struct x509_bytes sig;       /* signature BIT STRING value */
	struct x509_bytes der;       /* the whole request */
};

/*
 * Parse a DER PKCS#10 request filling der[0..len) exactly (trailing bytes are
 * ERR_MALFORMED). Does not check the signature. Version other than 0:
 * ERR_MALFORMED. Weak or unknown signature algorithms and key types parse (see
 * sig_alg, key.type, key.bits) so the caller can explain its refusal;
 * x509_csr_verify refuses them. Returns 0 or an error; on error *c is undefined.
 */
int x509_csr_parse(struct x509_csr *c, const unsigned char *der, size_t len);

/*
 * Check the request's self-signature with its own key (see x509_sig_verify for
 * the algorithms). 0, ERR_BADSIG, ERR_UNSUPPORTED, ERR_BADKEY.
 */
int x509_csr_verify(const struct x509_csr *c);

/* ---- certificates (cert.c) ---- */

struct x509_cert {
	unsigned version;            /* 0 = v1, 2 = v3 */
	struct x509_bytes serial;    /* magnitude, no sign byte or leading zeros */
	int sig_alg;
	struct x509_name issuer, subject;
	int64_t not_before, not_after; /* Unix seconds */
	struct x509_pubkey key;
	struct x509_exts ext;
	struct x509_bytes tbs;       /* TBSCertificate DER: the signed bytes */
	struct x509_bytes sig;       /* signature BIT STRING value */
	struct x509_bytes der;
};

/*
 * Parse a DER X.509 certificate (v1 or v3) filling der[0..len) exactly.
 * Does NOT verify the signature or a chain (BearSSL's br_x509_minimal does, in
 * tls/). Negative serials and a TBS signature algorithm differing from the outer
 * one are ERR_MALFORMED; serials over X509_SERIAL_MAX bytes ERR_TOOBIG.
 */
int x509_cert_parse(struct x509_cert *c, const unsigned char *der, size_t len);

/* Check c's signature with the issuer's key (x509_sig_verify rules). */
int x509_cert_verify_sig(const struct x509_cert *c, const struct x509_pubkey *issuer_key);

/*
 * Serial number (big-endian magnitude, leading zeros ignored, at most 64 bytes)
 * as decimal, or as upper-case hex with two digits per byte and no separator (as
 * `openssl x509 -serial`; zero is "00"). NUL-terminated; returns the length, or
 * ERR_TOOBIG (out short or more than 64 bytes).
 */
int x509_serial_dec(const unsigned char *s, size_t n, char *out, size_t outsz);
int x509_serial_hex(const unsigned char *s, size_t n, char *out, size_t outsz);

/* ---- writing certificates and requests (certwrite.c, csrwrite.c) ---- */

/*
 * A certificate template. Pointers are borrowed for the duration of the call.
 * issuer_der (a Name as found in the issuer's certificate: x509_cert.subject.der)
 * wins over issuer attributes; likewise subject_der (e.g. x509_csr.subject.der)
 * over subject attributes, which are written as by x509_name_write.
 * spki: SubjectPublicKeyInfo DER (x509_csr.key.spki or x509_spki_build_*).
 * dns: dNSName strings (1..253 bytes 0x21-0x7e); ip: 4- or 16-byte addresses.
 * Extensions are written in this order when asked for: basicConstraints
 * (critical), keyUsage (critical), extKeyUsage, subjectKeyIdentifier,
 * authorityKeyIdentifier, subjectAltName (critical when the subject is empty,
 * RFC 5280 §4.2.1.6), CRL distribution point, authorityInfoAccess OCSP,
 * acmeIdentifier (critical, RFC 8737).
 */
struct x509_tbs {
	const unsigned char *serial;  /* big-endian, 1..20 significant bytes, not zero */
	size_t serial_len;
	const unsigned char *issuer_der;
	size_t issuer_der_len;
	struct x509_name issuer;
	const unsigned char *subject_der;
	size_t subject_der_len;
	struct x509_name subject;
	int64_t not_before, not_after;
	const unsigned char *spki;
	size_t spki_len;
	const struct x509_str *dns;
	size_t n_dns;
	const struct x509_bytes *ip;
	size_t n_ip;
	int basic_constraints;        /* nonzero: write basicConstraints */
	int ca;                       /* cA value */
	int path_len;                 /* >= 0: pathLenConstraint (with ca only); -1 none */
	unsigned key_usage;           /* X509_KU_*; 0 omits the extension */
	unsigned eku;                 /* X509_EKU_SERVER_AUTH | _CLIENT_AUTH | _EMAIL_PROTECTION; 0 omits */
	int ski;                      /* nonzero: subjectKeyIdentifier from spki */
	const unsigned char *aki;     /* issuer's key identifier; NULL omits AKI */
	size_t aki_len;
	const char *crl_uri;          /* NULL omits */
	const char *ocsp_uri;         /* NULL omits */
	const unsigned char *acme_id; /* X509_ACME_ID_LEN bytes; NULL omits */
};

/*
 * Build, sign (sign(sign_ctx, sig_alg, ...)) and write a v3 certificate into
 * out[0..outsz); *outlen gets its length. sig_alg: X509_SIG_RSA_SHA256/384/512
 * or X509_SIG_ECDSA_SHA256/384/512 (ERR_UNSUPPORTED otherwise). ERR_TOOBIG when
 * out is short, ERR_RANGE for an unusable template value, or the callback's error.
 * out may be used as scratch even on failure.
 */
int x509_cert_write(unsigned char *out, size_t outsz, size_t *outlen, const struct x509_tbs *t,
    int sig_alg, x509_sign_fn sign, void *sign_ctx);

/* A CSR template: subject attributes, SPKI DER, optional SAN entries. */
struct x509_csr_tmpl {
	struct x509_name subject;
	const unsigned char *spki;
	size_t spki_len;
	const struct x509_str *dns;   /* with ip: written as an extensionRequest SAN */
	size_t n_dns;
	const struct x509_bytes *ip;
	size_t n_ip;
};

/* Build and sign a PKCS#10 request (same rules and returns as x509_cert_write). */
int x509_csr_write(unsigned char *out, size_t outsz, size_t *outlen,
    const struct x509_csr_tmpl *t, int sig_alg, x509_sign_fn sign, void *sign_ctx);

/* ---- the gateway's bootstrap certificate (selfsigned.c) ---- */

#define X509_SELFSIGNED_NAMES_MAX 32

/*
 * Self-signed TLS server certificate for an EC key. names: "localhost,
 * 127.0.0.1, ::1" (separated by commas and/or white space; at most
 * X509_SELFSIGNED_NAMES_MAX); IP literals become iPAddress SANs, others dNSName
 * (1..253 of [A-Za-z0-9.*_-]). Subject and issuer: CN = the first DNS name (the
 * first name when all are IPs). basicConstraints cA=false (critical), keyUsage
 * digitalSignature (critical), extKeyUsage serverAuth, subjectKeyIdentifier.
 * curve: BR_EC_secp256r1 (signed ecdsa-with-SHA256), secp384r1 (SHA384) or
 * secp521r1 (SHA512); point uncompressed. serial: 16 bytes, not all zero.
 * Returns as x509_cert_write; ERR_MALFORMED for a bad or empty name list.
 */
int x509_selfsigned_build(unsigned char *out, size_t outsz, size_t *outlen, const char *names,
    const unsigned char *ec_pub_point, size_t ptlen, int curve, int64_t not_before,
    int64_t not_after, const unsigned char serial[16], x509_sign_fn sign, void *ctx);

/* ---- tls-alpn-01 (acmeid.c) ---- */

/*
 * RFC 8737 §3: does the DER certificate der[0..len) answer a tls-alpn-01
 * challenge for name with digest = SHA-256 of the key authorization? It must
 * parse (x509_cert_parse, into the caller's c), have a subjectAltName of exactly
 * one entry, a dNSName equal to name (ASCII case-insensitive), and a critical
 * acmeIdentifier extension (1.3.6.1.5.5.7.1.31) whose OCTET STRING equals digest.
 * The signature and validity dates are not looked at. Returns 0 when all holds;
 * ERR_MALFORMED or ERR_TOOBIG when it does not parse (an acmeIdentifier that is
 * not an OCTET STRING of 32 bytes is one such case); ERR_DENIED when it parses
 * but is wrong. why[0..cap) always gets a NUL-terminated sentence of printable
 * ASCII saying what was wrong ("" on success).
 */
int x509_acme_tlsalpn_check(struct x509_cert *c, const unsigned char *der, size_t len,
    const char *name, const unsigned char digest[X509_ACME_ID_LEN], char *why, size_t cap);

#endif
