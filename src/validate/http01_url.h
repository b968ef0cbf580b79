/*
 * http01_url.h: the URL of one http-01 request and where a redirect sends it
 * next (RFC 8555 §8.3: http or https only, the standard ports; RFC 3986 §5.2
 * for relative references). Pure: no allocation, no I/O, no name lookup.
 * Owner: http01_url.c; used by http01.c and its fuzz target.
 */
#ifndef UPKI_VALIDATE_HTTP01_URL_H
#define UPKI_VALIDATE_HTTP01_URL_H

#include <stddef.h>

#define HTTP01_HOST_MAX 254      /* a DNS name, or an IP literal without brackets */
#define HTTP01_TARGET_MAX 600    /* path and query, starting with '/' */

struct http01_url {
	int https;                   /* 1: https://, 0: http:// */
	int port;
	char host[HTTP01_HOST_MAX];  /* NUL-terminated; an IPv6 literal has no brackets */
	char target[HTTP01_TARGET_MAX];
};

/*
 * Resolve the Location value loc (a NUL-terminated header value) against u
 * and, when it may be followed, store the result in u. Accepted: absolute
 * http:// or https:// URLs (scheme case-insensitive), scheme-relative
 * "//host/path", absolute paths and relative paths (merged with u's path up
 * to its last '/'; a "?query" alone keeps u's path); a fragment is dropped;
 * dot segments are kept as sent (the host stays the same). Refused with
 * ERR_UNSUPPORTED and a one-line reason in why (cap bytes, always
 * NUL-terminated): other schemes, user information, spaces, control or
 * non-ASCII bytes, a host with other than letters, digits, '-', '_', '.'
 * (or an IPv6 literal in brackets), a port outside 1..65535, a result longer
 * than the buffers, and a port other than 80 for http, 443 for https or
 * http01_port for either. u is unchanged on refusal.
 */
int http01_url_redirect(struct http01_url *u, const char *loc, int http01_port, char *why,
    size_t cap);

#endif
