/*
 * der.h: bounded DER reader and writer (ITU-T X.690, distinguished rules only).
 *
 * Reader: a `struct der` is a cursor over a byte range the caller owns. Every
 * function reads one element from the front of the cursor and advances it; on
 * error the cursor is left unchanged. Values handed back (struct der, pointers)
 * point into the caller's buffer and live as long as it does. Only the
 * low-tag-number form (one tag byte, tag number < 31) is accepted, lengths must be
 * definite and minimal, and no element may claim more bytes than remain.
 *
 * Writer: a `struct der_writer` fills a caller buffer from its END towards its
 * start, so every length is known when its header is written. Write the elements
 * of a SEQUENCE last-first, then der_write_wrap() them. Errors are sticky: after
 * the first one (ERR_TOOBIG on overflow, ERR_RANGE for a value that cannot be
 * encoded) every call is a no-op and der_writer_error() reports it.
 * Context tags: EXPLICIT [n] is der_write_wrap(w, DER_CTX_CONS(n), mark) around
 * the inner element; IMPLICIT [n] of a primitive is der_write_prim(w, DER_CTX(n),
 * ...), of a constructed type der_write_wrap(w, DER_CTX_CONS(n), mark).
 */
#ifndef UPKI_X509_DER_H
#define UPKI_X509_DER_H

#include <stddef.h>
#include <stdint.h>

/* Constructed levels one reader may enter (x509 needs 8). */
#define DER_MAX_DEPTH 16

enum der_tag {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_BITSTRING = 0x03,
	DER_OCTETSTRING = 0x04,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_UTF8STRING = 0x0c,
	DER_NUMERICSTRING = 0x12,
	DER_PRINTABLESTRING = 0x13,
	DER_T61STRING = 0x14,
	DER_IA5STRING = 0x16,
	DER_UTCTIME = 0x17,
	DER_GENERALIZEDTIME = 0x18,
	DER_VISIBLESTRING = 0x1a,
	DER_UNIVERSALSTRING = 0x1c,
	DER_BMPSTRING = 0x1e,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31
};
#define DER_CONSTRUCTED 0x20
#define DER_CONTEXT 0x80
#define DER_CTX(n) (DER_CONTEXT | (n))                      /* [n] primitive */
#define DER_CTX_CONS(n) (DER_CONTEXT | DER_CONSTRUCTED | (n)) /* [n] constructed */

struct der {
	const unsigned char *p;
	size_t len;
	unsigned depth; /* constructed levels entered to reach this range */
};

/* Cursor over [p, p + len) at depth 0. */
void der_init(struct der *d, const void *p, size_t len);

/* Tag byte of the next element (>= 0, length not checked), or ERR_NOTFOUND at the end. */
int der_peek(const struct der *d);

/* 0 when the cursor is used up, ERR_MALFORMED when bytes remain. */
int der_read_end(const struct der *d);

/*
 * Read the next element of any tag: *tag gets the tag byte, *val its contents
 * (same depth as d). 0, ERR_NOTFOUND at the end, ERR_MALFORMED.
 */
int der_read_tlv(struct der *d, unsigned *tag, struct der *val);

/* Read the next element, which must have this tag; contents in *val (may be NULL). */
int der_read_expect(struct der *d, unsigned tag, struct der *val);

/*
 * Enter the next element, a constructed one with this tag: *inner covers its
 * contents one level deeper. ERR_TOOBIG past DER_MAX_DEPTH, ERR_MALFORMED.
 */
int der_read_enter(struct der *d, unsigned tag, struct der *inner);

/* Skip the next element (any tag). */
int der_read_skip(struct der *d);

/* The next element's whole encoding (tag, length and contents) in *p, *len. */
int der_read_raw(struct der *d, const unsigned char **p, size_t *len);

/*
 * Non-negative INTEGER in minimal encoding. *p, *len get the big-endian magnitude
 * without sign byte or leading zeros (zero gives *len == 0). ERR_MALFORMED for a
 * negative or non-minimal INTEGER.
 */
int der_read_uint(struct der *d, const unsigned char **p, size_t *len);

/* Non-negative INTEGER no larger than max into *v; ERR_RANGE above max. */
int der_read_small(struct der *d, uint32_t max, uint32_t *v);

/*
 * OBJECT IDENTIFIER; *oid gets the content octets (checked: non-empty, no 0x80
 * padding in a sub-identifier, last octet complete). Compare with der_oid_eq().
 */
int der_read_oid(struct der *d, struct der *oid);

/* 1 when oid's content octets equal enc[0..n), else 0. */
int der_oid_eq(const struct der *oid, const unsigned char *enc, size_t n);

/*
 * BIT STRING. *p, *len get the bytes after the unused-bits octet, *unused the
 * number of unused bits (0-7), which DER requires to be zero bits.
 */
int der_read_bitstring(struct der *d, const unsigned char **p, size_t *len, unsigned *unused);

/* OCTET STRING contents. */
int der_read_octets(struct der *d, const unsigned char **p, size_t *len);

/* BOOLEAN (DER: 0x00 or 0xff only) into *v as 0 or 1. */
int der_read_bool(struct der *d, int *v);

/* NULL (empty contents). */
int der_read_null(struct der *d);

/*
 * UTCTime "YYMMDDHHMMSSZ" (YY < 50 is 20YY) or GeneralizedTime "YYYYMMDDHHMMSSZ",
 * the only forms RFC 5280 allows, into Unix seconds.
 */
int der_read_time(struct der *d, int64_t *t);

/*
 * A character string. *tag gets its type. UTF8String must be well-formed UTF-8
 * (no surrogates or overlongs), IA5String 7-bit, NumericString digits and
 * space. PrintableString and VisibleString accept any printable ASCII
 * (0x20-0x7e): CAs and clients put '*', '@', '&' or '_' in PrintableString, so
 * readers are lenient (the writer is strict). BMP, Teletex and Universal strings
 * are returned unchecked. ERR_MALFORMED for a non-string tag or a bad character.
 */
int der_read_string(struct der *d, unsigned *tag, const unsigned char **p, size_t *len);

/* 1 when s[0..n) is in the PrintableString character set (n may be 0). */
int der_printable_ok(const char *s, size_t n);
/* 1 when s[0..n) is well-formed UTF-8 (RFC 3629). */
int der_utf8_ok(const unsigned char *s, size_t n);

/* ---- writer ---- */

struct der_writer {
	unsigned char *buf;
	size_t size;
	size_t len; /* bytes written: they sit at buf[size - len .. size) */
	int err;    /* sticky: 0 or the first error */
};

void der_writer_init(struct der_writer *w, unsigned char *buf, size_t size);
/* Bytes written so far; pass to der_write_wrap() as the start of a constructed element. */
size_t der_writer_mark(const struct der_writer *w);
/* First byte of what has been written (valid while err == 0). */
const unsigned char *der_writer_data(const struct der_writer *w);
/* 0 or the sticky error. */
int der_writer_error(const struct der_writer *w);
/* Record err as the sticky error (if none yet); for callers' own checks. */
void der_writer_fail(struct der_writer *w, int err);

/* Prepend n raw bytes (an already encoded element). */
void der_write_bytes(struct der_writer *w, const void *p, size_t n);
/* One zero byte (INTEGER sign pad, BIT STRING unused-bits count). */
extern const unsigned char der_zero[1];
/* Prepend a tag and length header. */
void der_write_header(struct der_writer *w, unsigned tag, size_t len);
/* Wrap everything written since mark in one element with this tag. */
void der_write_wrap(struct der_writer *w, unsigned tag, size_t mark);
/* Prepend a primitive element: tag, length, contents. */
void der_write_prim(struct der_writer *w, unsigned tag, const void *p, size_t n);
/*
 * INTEGER from big-endian unsigned bytes: leading zeros are stripped and a 0x00 is
 * added when the high bit is set. n == 0 (or all zeros) encodes 0.
 */
void der_write_uint(struct der_writer *w, const unsigned char *be, size_t n);
void der_write_small(struct der_writer *w, uint32_t v);
/* OBJECT IDENTIFIER from its content octets. */
void der_write_oid(struct der_writer *w, const unsigned char *enc, size_t n);
/* BIT STRING of whole bytes (0 unused bits). */
void der_write_bitstring(struct der_writer *w, const unsigned char *p, size_t n);
/* NamedBitList BIT STRING: bit i of bits is named bit i; trailing zero bits dropped. */
void der_write_named_bits(struct der_writer *w, uint32_t bits);
void der_write_octets(struct der_writer *w, const void *p, size_t n);
/* Character string of type tag (content not checked here). */
void der_write_string(struct der_writer *w, unsigned tag, const char *s, size_t n);
/*
 * Time per RFC 5280 §4.1.2.5: UTCTime for years 1950-2049, GeneralizedTime
 * otherwise; ERR_RANGE outside years 0-9999.
 */
void der_write_time(struct der_writer *w, int64_t t);
void der_write_bool(struct der_writer *w, int v);
void der_write_null(struct der_writer *w);

#endif
