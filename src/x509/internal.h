/*
 * internal.h: OIDs and helpers shared by the files of src/x509/ only.
 */
#ifndef UPKI_X509_INTERNAL_H
#define UPKI_X509_INTERNAL_H

#include "x509/der.h"
#include "x509/x509.h"

/* OBJECT IDENTIFIER content octets; X509_OID(x) expands to pointer, length. */
#define X509_OID(o) ((const unsigned char *)(o)), (sizeof(o) - 1)

#define OID_RSA_ENCRYPTION "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define OID_MD5_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04"
#define OID_SHA1_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05"
#define OID_RSA_PSS "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
#define OID_SHA256_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define OID_SHA384_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"
#define OID_SHA512_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"
#define OID_EC_PUBLIC_KEY "\x2a\x86\x48\xce\x3d\x02\x01"
#define OID_ECDSA_SHA1 "\x2a\x86\x48\xce\x3d\x04\x01"
#define OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02"
#define OID_ECDSA_SHA384 "\x2a\x86\x48\xce\x3d\x04\x03\x03"
#define OID_ECDSA_SHA512 "\x2a\x86\x48\xce\x3d\x04\x03\x04"
#define OID_ED25519 "\x2b\x65\x70"
#define OID_P256 "\x2a\x86\x48\xce\x3d\x03\x01\x07"
#define OID_P384 "\x2b\x81\x04\x00\x22"
#define OID_P521 "\x2b\x81\x04\x00\x23"

#define OID_AT_C "\x55\x04\x06"
#define OID_AT_ST "\x55\x04\x08"
#define OID_AT_L "\x55\x04\x07"
#define OID_AT_O "\x55\x04\x0a"
#define OID_AT_OU "\x55\x04\x0b"
#define OID_AT_CN "\x55\x04\x03"
#define OID_AT_EMAIL "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"
#define OID_EXTENSION_REQUEST "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e"

#define OID_CE_SKI "\x55\x1d\x0e"
#define OID_CE_KU "\x55\x1d\x0f"
#define OID_CE_SAN "\x55\x1d\x11"
#define OID_CE_BC "\x55\x1d\x13"
#define OID_CE_CRLDP "\x55\x1d\x1f"
#define OID_CE_AKI "\x55\x1d\x23"
#define OID_CE_EKU "\x55\x1d\x25"
#define OID_EKU_ANY "\x55\x1d\x25\x00"
#define OID_PE_AIA "\x2b\x06\x01\x05\x05\x07\x01\x01"
#define OID_PE_ACME_ID "\x2b\x06\x01\x05\x05\x07\x01\x1f"
#define OID_KP_SERVER_AUTH "\x2b\x06\x01\x05\x05\x07\x03\x01"
#define OID_KP_CLIENT_AUTH "\x2b\x06\x01\x05\x05\x07\x03\x02"
#define OID_KP_EMAIL_PROTECTION "\x2b\x06\x01\x05\x05\x07\x03\x04"
#define OID_AD_OCSP "\x2b\x06\x01\x05\x05\x07\x30\x01"

/* GeneralName tags (RFC 5280 §4.2.1.6). */
#define GN_DNS DER_CTX(2)
#define GN_URI DER_CTX(6)
#define GN_IP DER_CTX(7)

/* sig.c: AlgorithmIdentifier of a signature, read and written. */
int x509_sig_alg_read(struct der *d, int *sig_alg);
void x509_sig_alg_write(struct der_writer *w, int sig_alg);
/* Digest of data under sig_alg's hash into out (64 bytes); returns its length or 0. */
size_t x509_sig_hash(int sig_alg, const void *data, size_t len, unsigned char *out);

/*
 * The signed wrapper SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }. The
 * to-be-signed DER is the last tbs_len bytes of out[0..outsz) (as a der_writer
 * leaves it); on success the result starts at out and *outlen is its length.
 */
int x509_sign_wrap(unsigned char *out, size_t outsz, size_t *outlen, size_t tbs_len,
    int sig_alg, x509_sign_fn sign, void *sign_ctx);

/* ext.c: the contents of an Extensions SEQUENCE into e (zeroed first). */
int x509_exts_read(struct der *exts, struct x509_exts *e);

/* ext.c: prepend SEQUENCE { extnID, critical, extnValue } around the value written since mark. */
void x509_ext_close(struct der_writer *w, size_t mark, const unsigned char *oid, size_t oidlen,
    int critical);

/* ext.c: prepend a GeneralNames SEQUENCE of dNSNames then iPAddresses (ERR_RANGE if bad). */
void x509_san_write(struct der_writer *w, const struct x509_str *dns, size_t n_dns,
    const struct x509_bytes *ip, size_t n_ip);

#endif
