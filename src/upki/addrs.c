/* addrs.c: the kept DNS answer for upki_url's host (see addrs.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "upki/addrs.h"
#include "util/err.h"

int
upki_addrs_set(struct upki_addrs *a, const struct sockaddr_storage *v, int n, unsigned port,
    uint64_t now_ms, unsigned keep_s)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < n && a->n < UPKI_ADDRS_MAX; i++) {
		struct sockaddr_storage *d = &a->v[a->n];

		if (v[i].ss_family == AF_INET) {
			memcpy(d, &v[i], sizeof(struct sockaddr_in));
			((struct sockaddr_in *)d)->sin_port = htons((uint16_t)port);
		} else if (v[i].ss_family == AF_INET6) {
			memcpy(d, &v[i], sizeof(struct sockaddr_in6));
			((struct sockaddr_in6 *)d)->sin6_port = htons((uint16_t)port);
		} else {
			continue;
		}
		a->n++;
	}
	a->until_ms = now_ms + (uint64_t)keep_s * 1000u;
	return a->n;
}

const struct sockaddr_storage *
upki_addrs_current(const struct upki_addrs *a, uint64_t now_ms, socklen_t *len)
{
	const struct sockaddr_storage *sa;

	*len = 0;
	if (a->n <= 0 || a->cur < 0 || a->cur >= a->n || now_ms >= a->until_ms)
		return NULL;
	sa = &a->v[a->cur];
	*len = sa->ss_family == AF_INET ? (socklen_t)sizeof(struct sockaddr_in) :
	    (socklen_t)sizeof(struct sockaddr_in6);
	return sa;
}

void
upki_addrs_op_start(struct upki_addrs *a)
{
	a->tried = 0;
}

void
upki_addrs_forget(struct upki_addrs *a)
{
	a->n = 0;
	a->cur = 0;
	a->tried = 0;
	a->until_ms = 0;
}

int
upki_addrs_next(struct upki_addrs *a)
{
	if (a->n <= 0)
		return 0;
	if (++a->tried >= a->n) {
		upki_addrs_forget(a);
		return 0;
	}
	a->cur = (a->cur + 1) % a->n;
	return 1;
}

const char *
upki_addr_text(const struct sockaddr_storage *sa, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (outsz == 0)
		return out;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, outsz, "%s:%u", host, (unsigned)ntohs(in->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, outsz, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(out, outsz, "(address family %d)", (int)sa->ss_family);
	}
	return out;
}

const char *
upki_dns_err_text(int rc)
{
	switch (rc) {
	case ERR_NOTFOUND:
		return "no such name (NXDOMAIN) or no A/AAAA record";
	case ERR_AGAIN:
		return "the DNS server answered SERVFAIL, REFUSED or NOTIMP";
	case ERR_TIMEOUT:
		return "no answer from the DNS server";
	case -ECONNREFUSED:
		return "the DNS server's port is closed";
	case ERR_PROTOCOL:
		return "a malformed DNS answer";
	case ERR_TOOBIG:
		return "too many DNS queries pending";
	case ERR_MALFORMED:
		return "not a valid host name";
	default:
		return err_str(rc);
	}
}
