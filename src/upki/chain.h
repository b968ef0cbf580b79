/*
 * chain.h: intermediates matching the leaf's issuer (chain.c), loaded from
 * upki_chain_file and sent after a certificate UPKI issued. A leaf of the
 * module graph: only x509/ below it.
 */
#ifndef UPKI_CHAIN_H
#define UPKI_CHAIN_H

#include <stddef.h>

struct upki_chains;

/*
 * Load every certificate of the PEM file path (NULL or "": none). 0, or an
 * error logged with the path.
 */
int upki_chains_load(struct upki_chains **out, const char *path);
void upki_chains_free(struct upki_chains *c);

/*
 * The chain to send after leaf (DER): the certificate whose subject is the
 * leaf's issuer (the one whose key verifies the leaf when several match), then
 * its issuer and so on, stopping before a self-signed root. *pem (valid while
 * c lives) and *len get the PEM text; *len is 0 when nothing matches. name
 * (may be NULL, namesz bytes) gets the first intermediate's CN. 0, or
 * ERR_MALFORMED for a leaf that does not parse.
 */
int upki_chains_find(struct upki_chains *c, const unsigned char *leaf, size_t leaf_len,
    const char **pem, size_t *len, char *name, size_t namesz);
/* Certificates loaded. */
size_t upki_chains_count(const struct upki_chains *c);

#endif
