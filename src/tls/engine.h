/*
 * engine.h (tls/ only): the cipher suites, versions and algorithms common to
 * server and client engines. Owner: engine.c. Leaf of the tls/ graph.
 */
#ifndef UPKI_TLS_ENGINE_H
#define UPKI_TLS_ENGINE_H

#include <bearssl.h>

void tls_engine_setup(br_ssl_engine_context *eng, int rsa_key);

#endif
