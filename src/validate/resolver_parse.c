/*
 * Our own DNS reply walker instead of c-ares' ares_parse_*_reply(): c-ares
 * 1.18's CAA parser refuses a whole reply when one record has an empty value,
 * yet RFC 8659 allows `0 issue ""` ("no CA may issue"); and the walker copies
 * into caller-owned arrays with no allocation, one code path for all four types.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "util/err.h"
#include "validate/resolver_parse.h"

#define DNS_HDR_LEN 12
#define DNS_RR_FIXED 10     /* type, class, ttl, rdlength */
#define DNS_CLASS_IN 1
#define DNS_WIRE_NAME_MAX 255
#define DNS_PTR_HOPS_MAX 64  /* compression pointers followed in one name */

/* A name in wire form (length-prefixed labels, final 0), lower-cased. */
struct dns_name {
	size_t len;
	uint8_t b[DNS_WIRE_NAME_MAX];
};

struct dns_walk {
	const uint8_t *m;
	size_t len;
	size_t off;
	unsigned left;      /* answer records not yet read */
	struct dns_name qname;
};

/* One answer record: owner, type, class, and where its RDATA lies in the message. */
struct dns_rr {
	struct dns_name owner;
	unsigned type, klass;
	size_t rdoff, rdlen;
};

static unsigned
dns_u16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/*
 * Read the possibly compressed name at *off into out and move *off past it
 * (past the first pointer, if any). Pointers must point backwards and at most
 * DNS_PTR_HOPS_MAX are followed; the whole name is at most 255 bytes on the
 * wire: any message, however built, is read in bounded time.
 */
static int
dns_name_read(const uint8_t *m, size_t len, size_t *off, struct dns_name *out)
{
	size_t o = *off, end = 0, w = 0;
	int jumped = 0, hops = 0;

	for (;;) {
		unsigned b;

		if (o >= len)
			return ERR_PROTOCOL;
		b = m[o];
		if ((b & 0xc0) == 0xc0) {
			size_t to;

			if (len - o < 2)
				return ERR_PROTOCOL;
			to = ((size_t)(b & 0x3f) << 8) | m[o + 1];
			if (!jumped)
				end = o + 2;
			jumped = 1;
			if (to >= o || ++hops > DNS_PTR_HOPS_MAX)
				return ERR_PROTOCOL;
			o = to;
			continue;
		}
		if (b & 0xc0)
			return ERR_PROTOCOL;   /* 0x40/0x80 label types are obsolete */
		if (w + 1 + b > DNS_WIRE_NAME_MAX || len - o < (size_t)b + 1)
			return ERR_PROTOCOL;
		out->b[w++] = (uint8_t)b;
		if (b == 0) {
			if (!jumped)
				end = o + 1;
			break;
		}
		for (unsigned i = 1; i <= b; i++) {
			uint8_t c = m[o + i];

			out->b[w++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		o += (size_t)b + 1;
	}
	out->len = w;
	*off = end;
	return 0;
}

static int
dns_name_eq(const struct dns_name *a, const struct dns_name *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

static int
dns_walk_open(struct dns_walk *w, const uint8_t *m, size_t len)
{
	size_t off = DNS_HDR_LEN;
	int rc;

	if (m == NULL || len < DNS_HDR_LEN)
		return ERR_PROTOCOL;
	if (!(m[2] & 0x80))
		return ERR_PROTOCOL;           /* not a response */
	if (dns_u16(m + 4) != 1)
		return ERR_PROTOCOL;           /* exactly our one question */
	rc = dns_name_read(m, len, &off, &w->qname);
	if (rc < 0)
		return rc;
	if (len - off < 4)
		return ERR_PROTOCOL;
	w->m = m;
	w->len = len;
	w->off = off + 4;
	w->left = dns_u16(m + 6);
	return 0;
}

/* 1 and the next answer record, 0 at the end, or ERR_PROTOCOL. */
static int
dns_walk_next(struct dns_walk *w, struct dns_rr *rr)
{
	size_t off = w->off;
	size_t n;
	int rc;

	if (w->left == 0)
		return 0;
	w->left--;
	rc = dns_name_read(w->m, w->len, &off, &rr->owner);
	if (rc < 0)
		return rc;
	if (w->len - off < DNS_RR_FIXED)
		return ERR_PROTOCOL;
	rr->type = dns_u16(w->m + off);
	rr->klass = dns_u16(w->m + off + 2);
	n = dns_u16(w->m + off + 8);
	off += DNS_RR_FIXED;
	if (w->len - off < n)
		return ERR_PROTOCOL;
	rr->rdoff = off;
	rr->rdlen = n;
	w->off = off + n;
	return 1;
}

/*
 * The owner name the records of the query type must have: the question name,
 * or the end of the CNAME chain that starts there (RFC 1034 section 3.6.2),
 * whatever the order of the CNAMEs in the answer. Every record is also
 * checked to parse. More than RESOLVER_CNAME_MAX links (a loop included) is
 * ERR_TOOBIG; two different CNAMEs for one name is ERR_PROTOCOL.
 */
static int
dns_chain_end(const struct dns_walk *start, struct dns_name *cur)
{
	struct dns_rr rr;
	struct dns_name target;
	int hops, rc;

	*cur = start->qname;
	for (hops = 0;; hops++) {
		struct dns_walk w = *start;
		int found = 0;

		while ((rc = dns_walk_next(&w, &rr)) > 0) {
			size_t o = rr.rdoff;
			struct dns_name t;

			if (rr.type != RESOLVER_TYPE_CNAME || rr.klass != DNS_CLASS_IN ||
			    !dns_name_eq(&rr.owner, cur))
				continue;
			rc = dns_name_read(w.m, rr.rdoff + rr.rdlen, &o, &t);
			if (rc < 0 || o != rr.rdoff + rr.rdlen)
				return ERR_PROTOCOL;
			if (found && !dns_name_eq(&t, &target))
				return ERR_PROTOCOL;
			target = t;
			found = 1;
		}
		if (rc < 0)
			return rc;
		if (!found)
			return 0;
		if (hops >= RESOLVER_CNAME_MAX)
			return ERR_TOOBIG;
		*cur = target;
	}
}

/* Open msg and find the owner name that answers it (see dns_chain_end). */
static int
dns_answer_open(struct dns_walk *w, const uint8_t *msg, size_t len, struct dns_name *owner)
{
	int rc = dns_walk_open(w, msg, len);

	if (rc < 0)
		return rc;
	return dns_chain_end(w, owner);
}

int
resolver_reply_addrs(const uint8_t *msg, size_t len, unsigned type, uint8_t *out, int max, int *n)
{
	struct dns_walk w;
	struct dns_name owner;
	struct dns_rr rr;
	size_t alen = type == RESOLVER_TYPE_A ? 4 : 16;
	int got = 0;
	int rc;

	*n = 0;
	if (type != RESOLVER_TYPE_A && type != RESOLVER_TYPE_AAAA)
		return ERR_PROTOCOL;
	rc = dns_answer_open(&w, msg, len, &owner);
	if (rc < 0)
		return rc;
	while ((rc = dns_walk_next(&w, &rr)) > 0) {
		if (rr.type != type || rr.klass != DNS_CLASS_IN || !dns_name_eq(&rr.owner, &owner))
			continue;
		if (rr.rdlen != alen)
			return ERR_PROTOCOL;
		if (got < max) {
			memcpy(out + (size_t)got * alen, msg + rr.rdoff, alen);
			got++;
		}
	}
	if (rc < 0)
		return rc;
	*n = got;
	return 0;
}

static int
resolver_rdata_txt(const uint8_t *rd, size_t rdlen, struct resolver_txt *t)
{
	size_t off = 0;
	size_t total = 0;

	/* Each turn consumes at least one byte of rdlen. */
	while (off < rdlen) {
		size_t sl = rd[off++];

		if (rdlen - off < sl)
			return ERR_PROTOCOL;
		if (total + sl > RESOLVER_TXT_MAX)
			return ERR_TOOBIG;
		if (t != NULL)
			memcpy(t->data + total, rd + off, sl);
		total += sl;
		off += sl;
	}
	if (t != NULL) {
		t->len = total;
		t->data[total] = '\0';
	}
	return 0;
}

/*
 * The answer RRs of type in msg at the owner name that answers the question
 * (dns_chain_end), each parsed by parse into out[i] (NULL: count and check
 * only); records at any other owner are skipped. More than max: ERR_TOOBIG, never a silent cut (dropping a
 * CAA record could change the outcome).
 */
static int
reply_collect(const uint8_t *msg, size_t len, unsigned type, void *out, size_t elem,
    int max, int *n, int (*parse)(const uint8_t *rd, size_t rdlen, void *dst))
{
	struct dns_walk w;
	struct dns_name owner;
	struct dns_rr rr;
	int got = 0;
	int rc;

	*n = 0;
	rc = dns_answer_open(&w, msg, len, &owner);
	if (rc < 0)
		return rc;
	while ((rc = dns_walk_next(&w, &rr)) > 0) {
		if (rr.type != type || rr.klass != DNS_CLASS_IN || !dns_name_eq(&rr.owner, &owner))
			continue;
		if (got >= max)
			return ERR_TOOBIG;
		rc = parse(msg + rr.rdoff, rr.rdlen,
		    out != NULL ? (char *)out + elem * (size_t)got : NULL);
		if (rc < 0)
			return rc;
		got++;
	}
	if (rc < 0)
		return rc;
	*n = got;
	return 0;
}

static int
txt_parse(const uint8_t *rd, size_t rdlen, void *dst)
{
	return resolver_rdata_txt(rd, rdlen, dst);
}

int
resolver_reply_txt(const uint8_t *msg, size_t len, struct resolver_txt *out, int max, int *n)
{
	return reply_collect(msg, len, RESOLVER_TYPE_TXT, out, sizeof(*out), max, n, txt_parse);
}

/* RFC 8659 section 4.1.1: flags octet, tag length octet, tag, value (the rest). */
static int
resolver_rdata_caa(const uint8_t *rd, size_t rdlen, struct resolver_caa *c)
{
	size_t tl, vl;

	if (rdlen < 2)
		return ERR_PROTOCOL;
	tl = rd[1];
	if (rdlen - 2 < tl)
		return ERR_PROTOCOL;
	vl = rdlen - 2 - tl;
	if (vl > RESOLVER_CAA_VALUE_MAX)
		return ERR_TOOBIG;
	if (c != NULL) {
		c->flags = rd[0];
		c->tag_len = tl;
		memcpy(c->tag, rd + 2, tl);
		c->tag[tl] = '\0';
		c->value_len = vl;
		memcpy(c->value, rd + 2 + tl, vl);
		c->value[vl] = '\0';
	}
	return 0;
}

static int
caa_parse(const uint8_t *rd, size_t rdlen, void *dst)
{
	return resolver_rdata_caa(rd, rdlen, dst);
}

int
resolver_reply_caa(const uint8_t *msg, size_t len, struct resolver_caa *out, int max, int *n)
{
	return reply_collect(msg, len, RESOLVER_TYPE_CAA, out, sizeof(*out), max, n, caa_parse);
}

static int
name_is_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int
resolver_name_norm(const char *name, char *out, size_t outsz)
{
	size_t i;
	size_t lab = 0;   /* length of the current label so far */

	if (name == NULL || out == NULL || outsz < RESOLVER_NAME_MAX + 1)
		return ERR_MALFORMED;
	for (i = 0; name[i] != '\0'; i++) {
		int c = (unsigned char)name[i];

		if (i >= RESOLVER_NAME_MAX)
			return ERR_MALFORMED;
		if (c == '.') {
			if (lab == 0 || out[i - 1] == '-')
				return ERR_MALFORMED;
			out[i] = '.';
			lab = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c == '_') {
			if (lab != 0)
				return ERR_MALFORMED;
		} else if (!name_is_ldh(c) || (c == '-' && lab == 0)) {
			return ERR_MALFORMED;
		}
		if (++lab > 63)
			return ERR_MALFORMED;
		out[i] = (char)c;
	}
	/* lab == 0 here: empty name or a trailing dot. */
	if (lab == 0 || out[i - 1] == '-')
		return ERR_MALFORMED;
	out[i] = '\0';
	return 0;
}

static int
server_port_parse(const char *s, unsigned *port)
{
	unsigned v = 0;
	int i;

	if (s[0] == '\0')
		return ERR_CONFIG;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 5 || s[i] < '0' || s[i] > '9')
			return ERR_CONFIG;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return ERR_CONFIG;
	*port = v;
	return 0;
}

int
resolver_server_parse(const char *text, struct sockaddr_storage *out, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	const char *colon;
	unsigned port = 53;
	size_t hl;
	int rc;

	if (text == NULL || out == NULL || len == NULL)
		return ERR_CONFIG;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return ERR_CONFIG;
		hl = (size_t)(end - text - 1);
		if (hl == 0 || hl >= sizeof(host))
			return ERR_CONFIG;
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		if (end[1] == ':')
			port_s = end + 2;
	} else {
		colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - text);   /* IPv4 with a port */
			port_s = colon + 1;
		} else {
			hl = strlen(text);             /* IPv4, or IPv6 without brackets */
		}
		if (hl == 0 || hl >= sizeof(host))
			return ERR_CONFIG;
		memcpy(host, text, hl);
		host[hl] = '\0';
	}
	if (port_s != NULL) {
		rc = server_port_parse(port_s, &port);
		if (rc < 0)
			return rc;
	}
	memset(out, 0, sizeof(*out));
	if (strchr(host, ':') == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
		    sin->sin_addr.s_addr == htonl(INADDR_ANY))
			return ERR_CONFIG;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return ERR_CONFIG;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	}
	return 0;
}
