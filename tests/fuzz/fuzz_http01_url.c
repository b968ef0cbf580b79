/*
 * Fuzz the http-01 redirect resolution (http01_url_redirect) and the address
 * filter's CIDR list parser (config_parse_nets). Input: a flags byte (bit 0:
 * the current URL is https, bit 1: the CIDR parser gets the rest instead),
 * then the current target up to the first '\n', then the Location.
 * Properties: only the documented codes; a refusal leaves the URL as it was
 * and explains itself; a result has a well-formed host, a target that starts
 * with '/' and holds no space, control, non-ASCII or '#' byte, and a port the
 * rules allow; a parsed net list has host bits zero and sane prefixes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/config.h"
#include "util/err.h"
#include "validate/http01_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define H01 5002

static char buf[4096];

static void
check_nets(const char *s)
{
	struct config_nets nets;
	char why[200];
	int rc = config_parse_nets(&nets, s, why, sizeof(why));

	if (rc != 0) {
		if ((rc != ERR_MALFORMED && rc != ERR_TOOBIG) || memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return;
	}
	if (nets.n < 0 || nets.n > CONFIG_MAX_NETS)
		abort();
	for (int i = 0; i < nets.n; i++) {
		const struct config_net *n = &nets.v[i];
		unsigned max = n->family == AF_INET ? 32 : 128;
		if ((n->family != AF_INET && n->family != AF_INET6) || n->prefix > max)
			abort();
		for (unsigned b = n->prefix; b < 128; b++)
			if (n->addr[b / 8] & (0x80u >> (b % 8)))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http01_url u, before;
	char why[200];
	const char *nl;
	size_t tl;
	int rc;

	if (size < 1 || size >= sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (data[0] & 2) {
		check_nets(buf);
		return 0;
	}
	memset(&u, 0, sizeof(u));
	u.https = data[0] & 1;
	u.port = u.https ? 443 : H01;
	strcpy(u.host, "www.example.ac.jp");
	nl = memchr(buf, '\n', size - 1);
	tl = nl ? (size_t)(nl - buf) : 0;
	if (tl + 1 >= sizeof(u.target))
		return 0;
	u.target[0] = '/';
	memcpy(u.target + 1, buf, tl);
	u.target[tl + 1] = '\0';
	for (size_t i = 1; i <= tl; i++)
		if ((unsigned char)u.target[i] <= 0x20 || (unsigned char)u.target[i] >= 0x7f ||
		    u.target[i] == '#')
			return 0;    /* the current target is always clean */
	before = u;
	rc = http01_url_redirect(&u, nl ? nl + 1 : buf, H01, why, sizeof(why));
	if (rc != 0) {
		if (rc != ERR_UNSUPPORTED || memcmp(&u, &before, sizeof(u)) != 0 ||
		    memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0')
			abort();
		return 0;
	}
	if (memchr(u.host, '\0', sizeof(u.host)) == NULL || u.host[0] == '\0' ||
	    memchr(u.target, '\0', sizeof(u.target)) == NULL || u.target[0] != '/')
		abort();
	for (const char *p = u.host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == ':'))
			abort();
	for (const char *p = u.target; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#')
			abort();
	if (u.port != H01 && u.port != (u.https ? 443 : 80))
		abort();
	return 0;
}
