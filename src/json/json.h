/*
 * json.h: strict JSON (RFC 8259) reader over a caller-provided token array,
 * typed getters, and a bounded writer that always escapes.
 *
 * Reader: json_parse() tokenizes the text and then checks the whole grammar
 * itself: numbers by the JSON grammar, only true/false/null as literals, object
 * keys are strings, no missing values, no trailing commas, exactly one top-level
 * value followed by white space only, string escapes valid, UTF-8 valid (no
 * overlong forms, no surrogates, nothing above U+10FFFF), unpaired \uD800..\uDFFF
 * refused, raw control characters in strings refused, nesting deeper than
 * JSON_MAX_DEPTH refused, and duplicate member names refused in every object
 * (names are compared after unescaping, so "a" and "\u0061" are duplicates).
 * Nothing is allocated; the document points into the caller's text.
 *
 * Tokens are stored in document order (pre-order). Token 0 is the top-level
 * value. For an object, the members follow as key, value, key, value...; for
 * an array, the elements follow. tok[t].next is the index just past the whole
 * subtree of t, so siblings are reached in O(1):
 *
 *	for (int i = 0, c = t + 1; i < d->tok[t].size; i++, c = d->tok[c].next)
 *		... c is the i-th element of array t ...
 *	for (int i = 0, k = t + 1; i < d->tok[t].size; i++, k = d->tok[k + 1].next)
 *		... k is the i-th key of object t, k + 1 its value ...
 *
 * Getters take a token index t. A negative t is returned unchanged, so an error
 * from json_obj_get() flows through: json_str(d, json_obj_get(d, 0, "url"), ...)
 * gives ERR_NOTFOUND when "url" is absent. t >= ntok gives ERR_RANGE.
 */
#ifndef UPKI_JSON_H
#define UPKI_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of objects and arrays accepted (reader) or written (writer). */
#define JSON_MAX_DEPTH 32

enum json_type {
	JSON_OBJECT = 1,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
	JSON__MAX
};

/*
 * One token. start/end are byte offsets into the text: for a string, the
 * characters between the quotes (still escaped); for anything else, the whole
 * value including brackets. size: members (object) or elements (array); for a
 * string, the byte length after unescaping (json_str() needs size + 1 bytes);
 * 0 for numbers and literals. next: index of the first token after this value.
 */
struct json_tok {
	int type;
	int start, end;
	int size;
	int next;
};

/* A parsed document. js is the caller's text; it must outlive the document. */
struct json_doc {
	const char *js;
	size_t len;
	struct json_tok *tok;
	int ntok;
};

/*
 * Parse len bytes of js (need not be NUL-terminated; a NUL byte is an error)
 * into tok[0..maxtok). On success fills d (d->tok = tok) and returns 0.
 * ERR_TOOBIG: more than maxtok tokens, or len > INT_MAX. ERR_MALFORMED: any
 * syntax or strictness violation listed above, including nesting deeper than
 * JSON_MAX_DEPTH and duplicate member names. ERR_RANGE: maxtok < 1.
 * On failure d is left with ntok = 0.
 */
int json_parse(struct json_doc *d, const char *js, size_t len,
    struct json_tok *tok, int maxtok);

/* Type of token t (enum json_type), or an error as described above. */
int json_type(const struct json_doc *d, int t);

/*
 * Value of member key in object obj: its token index, ERR_NOTFOUND if absent,
 * ERR_MALFORMED if obj is not an object. Names compare after unescaping.
 */
int json_obj_get(const struct json_doc *d, int obj, const char *key);

/*
 * Unescape string token t into out (outsz bytes, NUL-terminated); *outlen (may
 * be NULL) gets the length without the NUL. 0, ERR_MALFORMED if t is not a
 * string or holds U+0000 (cannot be a C string), ERR_TOOBIG if out is short
 * (out is then "" when outsz > 0).
 */
int json_str(const struct json_doc *d, int t, char *out, size_t outsz,
    size_t *outlen);

/*
 * Raw text of token t without copying: for a string the escaped characters
 * between the quotes, else the whole value. *escaped (may be NULL) is set to 1
 * if a string holds escapes (the raw text differs from the value). 0 or error.
 */
int json_raw(const struct json_doc *d, int t, const char **p, size_t *n,
    int *escaped);

/* 1 if t is a string whose unescaped value equals s, else 0 (never negative). */
int json_str_eq(const struct json_doc *d, int t, const char *s);

/*
 * Integer value of number token t. Only the integer grammar -?(0|[1-9][0-9]*)
 * is accepted: ERR_MALFORMED for a fraction/exponent or a non-number,
 * ERR_RANGE if outside int64_t.
 */
int json_int(const struct json_doc *d, int t, int64_t *v);

/* *v = 1 for true, 0 for false; ERR_MALFORMED for anything else. */
int json_bool(const struct json_doc *d, int t, int *v);

/* 1 if t is null, else 0 (never negative). */
int json_is_null(const struct json_doc *d, int t);

/* Element count of array t, or ERR_MALFORMED if not an array. */
int json_arr_len(const struct json_doc *d, int t);

/*
 * First child of object (its first key) or array (its first element),
 * ERR_NOTFOUND if empty, ERR_MALFORMED for a scalar.
 */
int json_child(const struct json_doc *d, int t);

/*
 * Index just past the subtree of t (tok[t].next): the next element of an
 * array, or from a value the next key of an object. The caller bounds the walk
 * with the parent's size (see the loops above).
 */
int json_next(const struct json_doc *d, int t);

/*
 * Member key of object obj as a string into out. 0, ERR_NOTFOUND (absent),
 * ERR_MALFORMED (obj not an object, or member not a string), ERR_TOOBIG.
 */
int json_obj_get_str(const struct json_doc *d, int obj, const char *key,
    char *out, size_t outsz);
/* Same rule for an integer member (ERR_RANGE as json_int) and a boolean. */
int json_obj_get_int(const struct json_doc *d, int obj, const char *key,
    int64_t *v);
int json_obj_get_bool(const struct json_doc *d, int obj, const char *key,
    int *v);

/*
 * Bounded writer. Commas and colons are written automatically. Every error is
 * sticky: the first one is kept, later calls do nothing, and json_w_finish()
 * reports it. buf always holds a NUL-terminated prefix of the output.
 * Strings are always escaped: '"', '\\', control characters and DEL (short
 * forms \n \r \t \b \f, else \u00XX), '<' '>' '&' as \u003c \u003e \u0026,
 * and U+2028/U+2029, so the output can sit in HTML or a script. Input strings
 * must be valid UTF-8 (else ERR_MALFORMED). Fields are private to json.c.
 */
struct json_w {
	char *buf;
	size_t cap, len;
	int err;
	unsigned depth;
	uint32_t first_bits;    /* bit d: container at depth d has no item yet */
	uint32_t obj_bits;      /* bit d: container at depth d is an object */
	int want_value;         /* a key was written; its value comes next */
	int done;               /* the top-level value is complete */
};

/* Start writing into buf (cap bytes, cap >= 1 or the writer is in error). */
void json_w_init(struct json_w *w, char *buf, size_t cap);
void json_w_obj_begin(struct json_w *w);
void json_w_obj_end(struct json_w *w);
void json_w_arr_begin(struct json_w *w);
void json_w_arr_end(struct json_w *w);
/* Member name; only directly inside an object, and not twice in a row. */
void json_w_key(struct json_w *w, const char *k);
void json_w_str(struct json_w *w, const char *s);
/* n bytes of s (may hold NUL, written as \u0000). */
void json_w_strn(struct json_w *w, const char *s, size_t n);
/* A string holding the base64url (no padding) encoding of n bytes. */
void json_w_b64url(struct json_w *w, const void *p, size_t n);
void json_w_int(struct json_w *w, int64_t v);
void json_w_bool(struct json_w *w, int v);
void json_w_null(struct json_w *w);
/* One complete JSON value, copied as is: the caller vouches for it. */
void json_w_raw(struct json_w *w, const char *s, size_t n);
/*
 * Output length (excluding the NUL), or the first error: ERR_TOOBIG when buf
 * was too small, ERR_MALFORMED on misuse (value without key inside an object,
 * key outside an object, unbalanced end, second top-level value, depth over
 * JSON_MAX_DEPTH, invalid UTF-8) or when the document is not complete.
 */
int json_w_finish(struct json_w *w);

#endif
