/*
 * cms.h: detached CMS SignedData (RFC 5652) as S/MIME carries it (RFC 8551),
 * verified with the project's DER and X.509 code: one SignerInfo, signed
 * attributes with content-type id-data and messageDigest (SHA-256 over the
 * canonical, CRLF form of the signed MIME part), the signature over the
 * attributes re-encoded as a SET, the signer found by issuerAndSerialNumber or
 * subjectKeyIdentifier among the certificates in the message, and its chain
 * up to one of the configured trust anchors (upki_mail_ca).
 *
 * Nothing allocates: the caller provides struct mail_cms (large: keep it on
 * the heap or in an arena) and struct mail_anchors. Parsed certificates point
 * into the DER given to them, which must outlive the structs; a struct
 * mail_anchors must not be moved once loaded (its certificates point into it).
 */
#ifndef MAIL_CMS_H
#define MAIL_CMS_H

#include <stddef.h>
#include <stdint.h>

#include "x509/x509.h"

#define MAIL_CMS_MAX (64u * 1024u)   /* DER of one SignedData */
#define MAIL_CMS_CERTS_MAX 8          /* certificates carried in one message */
#define MAIL_CHAIN_MAX 4              /* intermediates between signer and anchor */
#define MAIL_ANCHORS_MAX 8
#define MAIL_ANCHORS_DER_MAX (32u * 1024u)
#define MAIL_SIGNED_ATTRS_MAX 2048

/*
 * Why a mail is refused: one value per reason, each with a stable name (kept
 * with the stored message) and a sentence for the operator. MAIL_WHY_OK (0)
 * only for a mail that passed every check.
 */
enum mail_why {
	MAIL_WHY_OK,
	MAIL_WHY_MIME,          /* not a well-formed MIME message */
	MAIL_WHY_TOOBIG,        /* over a size or count limit */
	MAIL_WHY_UNSIGNED,      /* not multipart/signed with a PKCS #7 signature */
	MAIL_WHY_CMS,           /* the signature part is not a well-formed SignedData */
	MAIL_WHY_CMS_UNSUPPORTED, /* content inside, several signers, other algorithms */
	MAIL_WHY_NO_SIGNED_ATTRS, /* no signed attributes (contentType, messageDigest) */
	MAIL_WHY_CONTENT_TYPE,  /* the signed content type is not id-data */
	MAIL_WHY_DIGEST,        /* messageDigest differs from the signed part */
	MAIL_WHY_SIGNER_MISSING, /* no certificate in the message matches the signer */
	MAIL_WHY_SIGNATURE,     /* the signature does not verify with the signer's key */
	MAIL_WHY_UNTRUSTED,     /* the signer's chain does not end at upki_mail_ca */
	MAIL_WHY_EXPIRED,       /* a certificate of the chain is outside its validity */
	MAIL_WHY_USAGE,         /* key usage, extended key usage or a critical extension */
	MAIL_WHY_FROM,          /* From is not upki_mail_from */
	MAIL_WHY_NO_SERIAL,     /* no decimal serial in the body */
	MAIL_WHY_NO_URL,        /* no one-time URL in the body */
	MAIL_WHY_URL_FOREIGN,   /* the URL is not under the configured download service */
	MAIL_WHY__MAX
};

/* "badsig", "untrusted", ...: a short stable token; never NULL. */
const char *mail_why_name(int why);
/* A sentence for the operator; never NULL. */
const char *mail_why_str(int why);

/* Trust anchors: certificates whose subject and key end a chain. */
struct mail_anchors {
	unsigned n;
	struct x509_cert cert[MAIL_ANCHORS_MAX];
	unsigned char der[MAIL_ANCHORS_DER_MAX];
	size_t used;
};

/*
 * Add every CERTIFICATE of the PEM text pem[0..len) to a (zero it first).
 * 0; ERR_NOTFOUND when the text holds no certificate; ERR_TOOBIG past
 * MAIL_ANCHORS_MAX or MAIL_ANCHORS_DER_MAX; a PEM or X.509 parse error.
 */
int mail_anchors_add_pem(struct mail_anchors *a, const char *pem, size_t len);

/* Working memory and the facts found, valid while the DER lives. */
struct mail_cms {
	struct x509_cert cert[MAIL_CMS_CERTS_MAX];
	unsigned n_cert;
	int signer;                      /* index into cert[], -1 before it is found */
	int sig_alg;                     /* X509_SIG_* of the signature */
	int64_t signing_time;            /* 0 when the attribute is absent */
	struct x509_bytes digest;        /* the messageDigest attribute */
	unsigned char attrs[MAIL_SIGNED_ATTRS_MAX]; /* signed attributes as a SET */
	size_t attrs_len;
	unsigned chain_len;              /* certificates from the signer to the anchor */
};

/*
 * Verify the detached SignedData der[0..len) over content[0..clen) (the
 * signed MIME part as sent; bare LF counts as CRLF, RFC 8551 §3.1.1) at time
 * now (Unix seconds) against anchors. Returns 0 when everything holds;
 * otherwise ERR_MALFORMED (syntax), ERR_UNSUPPORTED, ERR_TOOBIG, ERR_BADSIG or
 * ERR_DENIED, with *why (never NULL) saying which check failed.
 */
int mail_cms_verify(struct mail_cms *c, const unsigned char *der, size_t len,
    const char *content, size_t clen, const struct mail_anchors *anchors, int64_t now, int *why);

#endif
