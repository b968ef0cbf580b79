/*
 * pem.h: PEM (RFC 7468) text encoding of DER objects. Caller buffers; no allocation.
 */
#ifndef UPKI_X509_PEM_H
#define UPKI_X509_PEM_H

#include <stddef.h>

/* Longest label accepted or written ("CERTIFICATE REQUEST" is 19). */
#define PEM_LABEL_MAX 64

/* Characters pem_encode() writes for len bytes under label, without the NUL. */
size_t pem_enc_len(const char *label, size_t len);

/*
 * Write "-----BEGIN <label>-----\n", the base64 of der[0..len) in 64-character
 * lines, and "-----END <label>-----\n", NUL-terminated. label: 1..PEM_LABEL_MAX
 * printable ASCII characters, no '-' at either end. Returns the characters written
 * (without the NUL), ERR_TOOBIG when out is short (outsz < pem_enc_len() + 1), or
 * ERR_RANGE for a bad label.
 */
int pem_encode(char *out, size_t outsz, const char *label, const unsigned char *der,
    size_t len);

/*
 * Find the next "-----BEGIN <label>-----" line at or after text[*pos] and decode
 * its body into out. Text before the BEGIN line (comments, openssl's
 * "subject=..." lines) is skipped. The body is strict base64: only the alphabet,
 * '=' padding at its very end and white space (space, tab, CR, LF); RFC 1421
 * headers ("Proc-Type: ...", i.e. encrypted keys) are refused. The END line must
 * carry the same label. label (labelsz >= PEM_LABEL_MAX + 1) gets the label,
 * NUL-terminated; *outlen the byte count; *pos moves past the END line, so
 * calling again walks a multi-certificate chain.
 * Returns 0; ERR_NOTFOUND when no BEGIN line is left (*pos = len);
 * ERR_MALFORMED (no END, bad base64, empty body, label mismatch); ERR_TOOBIG
 * when out or label is short; ERR_RANGE when *pos > len. On error *pos is unchanged.
 */
int pem_decode(const char *text, size_t len, size_t *pos, char *label, size_t labelsz,
    unsigned char *out, size_t outsz, size_t *outlen);

#endif
