/*
 * backend.h: backend.c's entry points besides upki_new() (upki.h): the UPKI
 * endpoint read from the configuration, and a backend without network for
 * the unit tests. The top of the module graph (see upki.h).
 */
#ifndef UPKI_BACKEND_H
#define UPKI_BACKEND_H

#include <stddef.h>

#include "upki/session.h"
#include "upki/upki_core.h"

struct config;
struct event_base;
struct store;

/* 0, or ERR_CONFIG with err filled. */
int upki_endpoint_parse(struct upki_endpoint *ep, const struct config *cfg, char *err,
    size_t errsz);

/* Backend without network (unit tests): ops, store, config; no TLS or session. */
int upki_core_new(struct upki **out, struct event_base *base, struct store *store,
    const struct config *cfg);
void upki_core_free(struct upki *u);

#endif
