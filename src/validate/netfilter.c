/*
 * The validation address filter: whatever a challenge makes the gateway
 * connect to (http-01 first hop and redirects, tls-alpn-01) is checked here
 * first, so that a name under the client's control cannot point the gateway
 * at itself, at loopback services or at the link-local metadata address.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "util/config.h"
#include "util/err.h"
#include "validate/validate_int.h"

#define NF_MAX_IFADDRS 64   /* local addresses looked at for wildcard listeners */

struct builtin_net {
	const char *net;
	const char *what;
};

/* Always denied unless validation_allow_nets says otherwise. */
static const struct builtin_net builtin[CONFIG_MAX_NETS] = {
	{ "0.0.0.0/8", "unspecified / this network" },
	{ "127.0.0.0/8", "loopback" },
	{ "169.254.0.0/16", "link-local" },
	{ "224.0.0.0/4", "multicast" },
	{ "255.255.255.255/32", "broadcast" },
	{ "::/128", "unspecified" },
	{ "::1/128", "loopback" },
	{ "::/96", "IPv4-compatible (deprecated)" },
	{ "fe80::/10", "link-local" },
	{ "ff00::/8", "multicast" },
};

/* A connect target reduced to family + 16 bytes; IPv4-mapped IPv6 becomes IPv4. */
struct nf_addr {
	int family;
	unsigned char a[16];
	unsigned port;
};

static int
nf_addr_of(struct nf_addr *out, const struct sockaddr *sa, socklen_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->a, &in4->sin_addr, 4);
		out->port = ntohs(in4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->port = ntohs(in6->sin6_port);
		if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0) {
			out->family = AF_INET;
			memcpy(out->a, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = AF_INET6;
			memcpy(out->a, in6->sin6_addr.s6_addr, 16);
		}
		return 0;
	}
	return ERR_UNSUPPORTED;
}

static int
net_has(const struct config_net *n, const struct nf_addr *a)
{
	return config_net_has(n, a->family, a->a);
}

static void
net_str(const struct config_net *n, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(n->family, n->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, cap, "%s/%u", a, n->prefix);
}

static int
in_nets(const struct config_nets *nets, const struct nf_addr *a)
{
	for (int i = 0; i < nets->n; i++)
		if (net_has(&nets->v[i], a))
			return i;
	return -1;
}

static int
is_wildcard(const struct nf_addr *a)
{
	static const unsigned char zero[16];

	return memcmp(a->a, zero, a->family == AF_INET ? 4 : 16) == 0;
}

static int
same_addr(const struct nf_addr *x, const struct nf_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

/* 1 when a is an address of this host: loopback, unspecified, or on an interface. */
static int
is_local(const struct nf_addr *a)
{
	struct ifaddrs *ifa = NULL;
	struct nf_addr l;
	int n = 0, found = 0;

	if ((a->family == AF_INET && (a->a[0] == 127 || a->a[0] == 0)) || is_wildcard(a))
		return 1;
	if (a->family == AF_INET6) {
		static const unsigned char one[16] = { [15] = 1 };
		if (memcmp(a->a, one, 16) == 0)
			return 1;
	}
	if (getifaddrs(&ifa) != 0)
		return 1;   /* cannot tell: treat as ours, the safe side */
	for (struct ifaddrs *i = ifa; i != NULL && n < NF_MAX_IFADDRS && !found; i = i->ifa_next) {
		socklen_t sl;
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			sl = sizeof(struct sockaddr_in);
		else if (i->ifa_addr->sa_family == AF_INET6)
			sl = sizeof(struct sockaddr_in6);
		else
			continue;
		n++;
		if (nf_addr_of(&l, i->ifa_addr, sl) == 0 && same_addr(&l, a))
			found = 1;
	}
	freeifaddrs(ifa);
	return found;
}

const char *
validate_addr_str(const struct sockaddr *sa, char *buf, size_t cap)
{
	const void *p = NULL;

	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (p == NULL || inet_ntop(sa->sa_family, p, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

int
validate_addr_check(const struct validator *v, const struct sockaddr *sa, socklen_t len,
    char *why, size_t cap)
{
	struct nf_addr a, own;
	char as[INET6_ADDRSTRLEN], ns[INET6_ADDRSTRLEN + 8];
	int i;

	if (nf_addr_of(&a, sa, len) != 0) {
		snprintf(why, cap, "not an IPv4 or IPv6 address");
		return ERR_UNSUPPORTED;
	}
	if (inet_ntop(a.family, a.a, as, sizeof(as)) == NULL)
		snprintf(as, sizeof(as), "?");
	/* The gateway's own listeners: never reachable, whatever the allow list says. */
	for (i = 0; i < v->n_own; i++) {
		if (nf_addr_of(&own, (const struct sockaddr *)&v->own[i], sizeof(v->own[i])) != 0 ||
		    own.port != a.port)
			continue;
		if (same_addr(&own, &a) || (is_wildcard(&own) && is_local(&a))) {
			snprintf(why, cap, "%s port %u is one of this gateway's own listeners", as, a.port);
			return ERR_DENIED;
		}
	}
	if (in_nets(&v->allow_nets, &a) >= 0)
		return 0;
	if ((i = in_nets(&v->deny_nets, &a)) >= 0) {
		net_str(&v->deny_nets.v[i], ns, sizeof(ns));
		snprintf(why, cap, "%s is in the denied net %s (validation_deny_nets)", as, ns);
		return ERR_DENIED;
	}
	/* IPv4 nets cover their IPv4-mapped forms too: nf_addr_of mapped a back to IPv4. */
	if ((i = in_nets(&v->builtin_nets, &a)) >= 0) {
		net_str(&v->builtin_nets.v[i], ns, sizeof(ns));
		snprintf(why, cap, "%s is in the denied net %s (%s)", as, ns, builtin[i].what);
		return ERR_DENIED;
	}
	return 0;
}

void
netfilter_setup(struct validator *v, const struct config *cfg)
{
	v->deny_nets = cfg->validation_deny_nets;
	v->allow_nets = cfg->validation_allow_nets;
	char why[80];

	memset(&v->builtin_nets, 0, sizeof(v->builtin_nets));
	for (size_t k = 0; k < CONFIG_MAX_NETS && builtin[k].net != NULL; k++) {
		struct config_nets one;
		/* Constant text, tested by test_validate_netfilter; family 0 never matches. */
		memset(&one, 0, sizeof(one));
		if (config_parse_nets(&one, builtin[k].net, why, sizeof(why)) != 0)
			one.v[0].family = 0;
		v->builtin_nets.v[v->builtin_nets.n++] = one.v[0];
	}
	v->n_own = 0;
	for (int i = 0; i < cfg->n_listen && i < CONFIG_MAX_LISTEN; i++)
		v->own[v->n_own++] = cfg->listen[i].ss;
}
