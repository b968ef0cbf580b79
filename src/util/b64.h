/*
 * b64.h: base64url without padding (RFC 4648 §5, as JOSE and ACME use it) and
 * standard base64 with padding (PEM bodies). Caller-provided buffers; no allocation.
 */
#ifndef UPKI_B64_H
#define UPKI_B64_H

#include <stddef.h>

/* Characters b64url_encode writes for n bytes (no NUL). */
size_t b64url_enc_len(size_t n);
/* Largest byte count b64url_decode can produce for n characters. */
size_t b64url_dec_max(size_t n);

/*
 * Encode n bytes into out (outsz must hold b64url_enc_len(n) + 1 for the NUL).
 * Returns characters written (without NUL), or ERR_TOOBIG.
 */
int b64url_encode(char *out, size_t outsz, const void *in, size_t n);

/*
 * Strict decode: alphabet [A-Za-z0-9_-] only, no padding, no white space, and
 * unused trailing bits must be zero (one encoding per value). *outlen gets the
 * byte count. 0, ERR_MALFORMED, or ERR_TOOBIG when outsz is short.
 */
int b64url_decode(void *out, size_t outsz, const char *in, size_t n, size_t *outlen);

/* Standard base64 with '=' padding; same return rule as b64url_encode. */
int b64_encode(char *out, size_t outsz, const void *in, size_t n);
size_t b64_enc_len(size_t n);

/* The value (0..63) of a standard base64 character [A-Za-z0-9+/], or -1 for any other byte. */
int b64_value(int c);

#endif
