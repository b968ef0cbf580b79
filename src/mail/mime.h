/*
 * mime.h: the MIME reader for UPKI's issuance mails (issue 19 item 2): RFC 5322
 * header fields (unfolding, RFC 2047 encoded words), RFC 2045 entities
 * (Content-Type parameters, quoted-printable, base64), RFC 1847 / RFC 8551
 * multipart/signed, and text bodies in ISO-2022-JP (RFC 1468), UTF-8,
 * US-ASCII, Shift_JIS or EUC-JP decoded to UTF-8 without iconv (the JIS X 0208
 * table of src/upki/ through upki/sjis.h).
 *
 * Pure and bounded: nothing allocates, nothing is read past the given length.
 * Parsed structures point INTO the caller's message buffer, which must outlive
 * them. Output goes to caller buffers, always NUL-terminated on success.
 *
 * Errors: ERR_MALFORMED (syntax: a header line without ':', a bare CR, a NUL,
 * a line over MAIL_LINE_MAX, a broken boundary, bad base64/QP, an undecodable
 * character), ERR_TOOBIG (over a limit below, or out of room), ERR_UNSUPPORTED
 * (well-formed but not handled: a charset or transfer encoding other than
 * those above), ERR_NOTFOUND (a header field that is absent).
 */
#ifndef MAIL_MIME_H
#define MAIL_MIME_H

#include <stddef.h>

#define MAIL_MSG_MAX (256u * 1024u) /* one whole message, headers included */
#define MAIL_LINE_MAX 998           /* characters in one line, RFC 5322 §2.1.1 */
#define MAIL_HDR_MAX 64             /* header fields in one header block */
#define MAIL_HDR_TEXT_MAX 2048      /* one header value, unfolded and decoded */
#define MAIL_ADDR_MAX 254           /* one addr-spec (RFC 5321 path limit) */
#define MAIL_PARTS_MAX 8            /* parts of one multipart body */

struct mail_str {
	const char *p;
	size_t len;
};

enum mail_cte {
	MAIL_CTE_7BIT, MAIL_CTE_8BIT, MAIL_CTE_BINARY, MAIL_CTE_QP, MAIL_CTE_BASE64
};

/*
 * One MIME entity (a whole message or one body part): its header fields as
 * found (values still folded), its body, and the Content-Type facts the
 * gateway uses. type is lower case ("text/plain" when Content-Type is absent,
 * RFC 2045 §5.2); parameters are unquoted; an absent parameter is "".
 */
struct mail_entity {
	struct mail_str raw;                  /* the whole entity */
	struct mail_str name[MAIL_HDR_MAX];   /* field names */
	struct mail_str value[MAIL_HDR_MAX];  /* field bodies after ':', folded */
	unsigned n_hdr;
	struct mail_str body;                 /* after the empty line */
	char type[64];
	char boundary[71];                    /* RFC 2046 §5.1.1: 1..70 characters */
	char protocol[64];
	char micalg[32];
	char charset[32];                     /* lower case */
	int cte;                              /* enum mail_cte */
};

/*
 * Parse the entity p[0..len): header fields up to the first empty line (CRLF
 * or LF line ends, both accepted; continuation lines start with space or tab),
 * then the body. A header block without the empty line is ERR_MALFORMED unless
 * it runs to the end (then the body is empty). Content-Type and
 * Content-Transfer-Encoding present twice: ERR_MALFORMED. Every line, body
 * included, is checked against MAIL_LINE_MAX and for NUL and bare CR bytes.
 */
int mail_entity_parse(struct mail_entity *e, const char *p, size_t len);

/*
 * The value of header field name (case-insensitive) in *v, still folded.
 * ERR_NOTFOUND when absent, ERR_MALFORMED when present more than once (From,
 * Subject, Content-Type must be unique for a verdict on them to mean anything).
 */
int mail_header_get(const struct mail_entity *e, const char *name, struct mail_str *v);

/*
 * Unstructured header text as UTF-8: unfolded (RFC 5322 §2.2.3), RFC 2047
 * encoded words ("=?charset?B|Q?...?=", charsets as for bodies) decoded, the
 * white space between adjacent encoded words dropped, leading and trailing
 * white space trimmed. Text outside encoded words must be ASCII or UTF-8.
 * The result is at most MAIL_HDR_TEXT_MAX - 1 bytes (else ERR_TOOBIG).
 */
int mail_header_text(const struct mail_str *v, char *out, size_t outsz, size_t *outlen);

/*
 * The one address of a From-like field ("Name <a@b>", "a@b", "a@b (comment)",
 * display names possibly encoded), lower-cased domain, into out (at least
 * MAIL_ADDR_MAX + 1 bytes). More than one address, a group, an empty or
 * ill-formed addr-spec: ERR_MALFORMED.
 */
int mail_addr_get(const struct mail_str *v, char *out, size_t outsz);

/*
 * The body parts of the multipart/... entity e (RFC 2046 §5.1) into
 * parts[0..max), *n their count: each as sent, headers included, without the
 * line break that belongs to the next delimiter; preamble and epilogue
 * dropped. ERR_UNSUPPORTED when e is not multipart; ERR_MALFORMED for no
 * boundary parameter, no close delimiter or no part; ERR_TOOBIG past max.
 */
int mail_multipart_split(const struct mail_entity *e, struct mail_str *parts, unsigned max,
    unsigned *n);

/* The parts of a multipart/signed entity (RFC 1847 §2.1). */
struct mail_signed {
	struct mail_str content; /* the first part, headers included: the signed bytes */
	struct mail_str sig;     /* the second part, headers included */
};

/*
 * Split e (already parsed) as multipart/signed with protocol
 * application/pkcs7-signature (or the older application/x-pkcs7-signature):
 * exactly two parts between the boundary lines, then the close delimiter.
 * The content part is taken exactly as sent (RFC 1847: no re-encoding), its
 * line break before the next delimiter excluded. ERR_UNSUPPORTED when e is not
 * multipart/signed or the protocol is another; ERR_MALFORMED for no boundary,
 * a part count other than two, or a missing close delimiter.
 */
int mail_signed_split(const struct mail_entity *e, struct mail_signed *s);

/*
 * The body of e with its transfer encoding undone (base64 and
 * quoted-printable decoded; 7bit, 8bit and binary copied) into out[0..outsz);
 * *outlen gets the length. 7bit bodies holding 8-bit bytes: ERR_MALFORMED.
 * No NUL is written.
 */
int mail_body_decode(const struct mail_entity *e, unsigned char *out, size_t outsz,
    size_t *outlen);

/*
 * The text of a text/... entity as UTF-8: transfer encoding undone (into
 * scratch[0..scratchsz)), then the charset (iso-2022-jp, utf-8, us-ascii,
 * shift_jis, euc-jp; absent: us-ascii) converted, CRLF turned into LF,
 * NUL-terminated in out. Not a text type: ERR_UNSUPPORTED.
 */
int mail_text_utf8(const struct mail_entity *e, unsigned char *scratch, size_t scratchsz,
    char *out, size_t outsz, size_t *outlen);

/* ---- the decoders, also used on their own (tests, fuzzing) ---- */

/* Base64 (RFC 2045 §6.8): white space and line breaks skipped, '=' only at the end. */
int mail_b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen);
/* Quoted-printable (RFC 2045 §6.7): =XX, soft line breaks, trailing white space dropped. */
int mail_qp_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen);
/*
 * Bytes in charset (a name as above, any case) to UTF-8 into out (NUL-terminated;
 * *outlen without it). ISO-2022-JP: ESC ( B, ESC ( J (as ASCII), ESC $ B,
 * ESC $ @ and ESC ( I (half-width katakana, an extension seen in the wild);
 * any other escape, or an 8-bit byte, is ERR_MALFORMED.
 */
int mail_charset_to_utf8(const char *charset, const unsigned char *in, size_t n, char *out,
    size_t outsz, size_t *outlen);

#endif
