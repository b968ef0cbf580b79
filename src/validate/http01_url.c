/*
 * Where a redirect of an http-01 request goes: the Location resolved against
 * the current URL, with the rules of RFC 8555 §8.3 / §10.2 applied. Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/str.h"
#include "validate/http01_url.h"

/* A host name (letters, digits, '-', '_', '.') or an IP literal: 1 if acceptable. */
static int
host_ok(const char *h, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return 1;
}

int
http01_url_redirect(struct http01_url *u, const char *loc, int http01_port, char *why, size_t cap)
{
	char url[HTTP01_TARGET_MAX], host[HTTP01_HOST_MAX], target[HTTP01_TARGET_MAX];
	const char *p, *auth, *path, *colon;
	size_t n, hl;
	int https = u->https, port = u->port;
	long lp;
	char *end;

	n = strcspn(loc, "#");
	if (n >= sizeof(url)) {
		snprintf(why, cap, "the Location is longer than %zu bytes", sizeof(url) - 1);
		return ERR_UNSUPPORTED;
	}
	memcpy(url, loc, n);
	url[n] = '\0';
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			snprintf(why, cap, "the Location has spaces, control or non-ASCII bytes");
			return ERR_UNSUPPORTED;
		}
	str_copy(host, sizeof(host), u->host);
	if (strncasecmp(url, STR_LIT("http://")) == 0 || strncasecmp(url, STR_LIT("https://")) == 0) {
		https = url[4] == 's' || url[4] == 'S';
		auth = url + (https ? sizeof("https://") : sizeof("http://")) - 1;
	} else if (url[0] == '/' && url[1] == '/') {
		auth = url + 2;
	} else if (url[strcspn(url, ":/?")] == ':') {
		snprintf(why, cap, "only http:// and https:// redirects are followed");
		return ERR_UNSUPPORTED;
	} else {
		auth = NULL;
	}
	if (auth != NULL) {
		path = auth + strcspn(auth, "/?");
		hl = (size_t)(path - auth);
		if (memchr(auth, '@', hl) != NULL) {
			snprintf(why, cap, "a Location with user information is not followed");
			return ERR_UNSUPPORTED;
		}
		if (hl > 0 && auth[0] == '[') {
			const char *rb = memchr(auth, ']', hl);
			if (rb == NULL)
				goto bad_host;
			colon = rb + 1 < path && rb[1] == ':' ? rb + 1 : NULL;
			if (rb + 1 < path && colon == NULL)
				goto bad_host;
			n = (size_t)(rb - auth - 1);
			if (n == 0 || n >= sizeof(host) || !host_ok(auth + 1, n))
				goto bad_host;
			memcpy(host, auth + 1, n);
		} else {
			colon = memchr(auth, ':', hl);
			n = colon ? (size_t)(colon - auth) : hl;
			if (n >= sizeof(host) || !host_ok(auth, n) || memchr(auth, ':', n) != NULL)
				goto bad_host;
			memcpy(host, auth, n);
		}
		host[n] = '\0';
		if (n > 1 && host[n - 1] == '.')
			host[n - 1] = '\0';
		port = https ? 443 : 80;
		if (colon != NULL && colon + 1 < path) {
			lp = strtol(colon + 1, &end, 10);
			if (end != path || lp < 1 || lp > 65535 || colon[1] < '0' || colon[1] > '9')
				goto bad_host;
			port = (int)lp;
		}
		snprintf(target, sizeof(target), "%s%s", path[0] == '/' ? "" : "/", path);
	} else if (url[0] == '/') {
		str_copy(target, sizeof(target), url);
	} else {
		/* Relative: replace what follows the last '/' of the current path (before any '?'). */
		size_t dir = strcspn(u->target, "?");
		if (url[0] == '?') {
			n = dir;
		} else {
			while (dir > 0 && u->target[dir - 1] != '/')
				dir--;
			n = dir;
		}
		if (n + strlen(url) >= sizeof(target)) {
			snprintf(why, cap, "the resolved Location is too long");
			return ERR_UNSUPPORTED;
		}
		memcpy(target, u->target, n);
		strcpy(target + n, url);
	}
	/* RFC 8555 §8.3 / §10.2: only the standard ports (and the one set for tests). */
	if (port != (https ? 443 : 80) && port != http01_port) {
		snprintf(why, cap, "redirects to port %d are not followed (only 80 for http, 443 for "
		    "https, or http01_port %d)", port, http01_port);
		return ERR_UNSUPPORTED;
	}
	u->https = https;
	u->port = port;
	str_copy(u->host, sizeof(u->host), host);
	str_copy(u->target, sizeof(u->target), target);
	return 0;
bad_host:
	snprintf(why, cap, "the Location has no usable host[:port]");
	return ERR_UNSUPPORTED;
}
