/*
 * dns_server_fx.h: a small authoritative DNS server for unit tests, on
 * 127.0.0.1 (UDP and TCP on one port) and the test's event_base: A, AAAA,
 * TXT, CAA and raw records, CNAMEs it follows itself, names answered with a
 * given rcode or never answered, UDP answers truncated (TC) over the client's
 * EDNS size so that the client asks again over TCP, and a log of the queries.
 * Static functions only: include it in one test file, after <cmocka.h>.
 */
#ifndef TESTS_UNIT_DNS_SERVER_FX_H
#define TESTS_UNIT_DNS_SERVER_FX_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

/* ---- the test DNS server ------------------------------------------------------------ */

#define TS_MAX_RR 160
#define TS_MAX_SPECIAL 8
#define TS_MAX_LOG 600
#define TS_RDATA_MAX 1400

#define T_A 1
#define T_CNAME 5
#define T_TXT 16
#define T_AAAA 28
#define T_OPT 41
#define T_CAA 257

struct ts_rr {
	char name[256];
	unsigned type;
	uint8_t rdata[TS_RDATA_MAX];
	size_t rdlen;
};

struct ts_special {
	char name[256];
	int rcode;          /* answered with this rcode, no records */
	int silent;         /* never answered */
};

struct ts_tcp {
	struct ts_tcp *next;
	struct ts_server *srv;
	int fd;
	struct event *ev;
	uint8_t in[4096];
	size_t inlen;
};

struct ts_server {
	struct event_base *base;
	int ufd, lfd;
	uint16_t port;
	struct event *uev, *lev;
	struct ts_rr *rr;
	int nrr;
	struct { char name[256]; char target[256]; } cname[4];
	int ncname;
	struct ts_special sp[TS_MAX_SPECIAL];
	int nsp;
	int udp_queries, tcp_queries, edns_queries, norecurse_queries, truncated;
	int nlog;
	char log_name[TS_MAX_LOG][64];
	unsigned log_type[TS_MAX_LOG];
	struct ts_tcp *conns;
};

static __attribute__((unused)) struct ts_rr *
ts_rr_add(struct ts_server *s, const char *name, unsigned type)
{
	struct ts_rr *r;

	assert_true(s->nrr < TS_MAX_RR);
	r = &s->rr[s->nrr++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	r->rdlen = 0;
	return r;
}

static __attribute__((unused)) void
ts_add_a(struct ts_server *s, const char *name, const char *ip)
{
	struct ts_rr *r = ts_rr_add(s, name, T_A);

	assert_int_equal(inet_pton(AF_INET, ip, r->rdata), 1);
	r->rdlen = 4;
}

static __attribute__((unused)) void
ts_add_aaaa(struct ts_server *s, const char *name, const char *ip)
{
	struct ts_rr *r = ts_rr_add(s, name, T_AAAA);

	assert_int_equal(inet_pton(AF_INET6, ip, r->rdata), 1);
	r->rdlen = 16;
}

/* TXT with the given character-strings (NULL-terminated list). */
static __attribute__((unused)) void
ts_add_txt(struct ts_server *s, const char *name, ...)
{
	struct ts_rr *r = ts_rr_add(s, name, T_TXT);
	const char *str;
	va_list ap;

	va_start(ap, name);
	while ((str = va_arg(ap, const char *)) != NULL) {
		size_t l = strlen(str);

		assert_true(l <= 255 && r->rdlen + 1 + l <= TS_RDATA_MAX);
		r->rdata[r->rdlen++] = (uint8_t)l;
		memcpy(r->rdata + r->rdlen, str, l);
		r->rdlen += l;
	}
	va_end(ap);
}

static __attribute__((unused)) void
ts_add_caa(struct ts_server *s, const char *name, unsigned flags, const char *tag, const char *val)
{
	struct ts_rr *r = ts_rr_add(s, name, T_CAA);
	size_t tl = strlen(tag), vl = strlen(val);

	assert_true(2 + tl + vl <= TS_RDATA_MAX);
	r->rdata[0] = (uint8_t)flags;
	r->rdata[1] = (uint8_t)tl;
	memcpy(r->rdata + 2, tag, tl);
	memcpy(r->rdata + 2 + tl, val, vl);
	r->rdlen = 2 + tl + vl;
}

static __attribute__((unused)) void
ts_add_raw(struct ts_server *s, const char *name, unsigned type, const void *rd, size_t len)
{
	struct ts_rr *r = ts_rr_add(s, name, type);

	memcpy(r->rdata, rd, len);
	r->rdlen = len;
}

static __attribute__((unused)) void
ts_add_special(struct ts_server *s, const char *name, int rcode, int silent)
{
	assert_true(s->nsp < TS_MAX_SPECIAL);
	snprintf(s->sp[s->nsp].name, sizeof(s->sp[0].name), "%s", name);
	s->sp[s->nsp].rcode = rcode;
	s->sp[s->nsp].silent = silent;
	s->nsp++;
}

static __attribute__((unused)) void
ts_add_cname(struct ts_server *s, const char *name, const char *target)
{
	snprintf(s->cname[s->ncname].name, sizeof(s->cname[0].name), "%s", name);
	snprintf(s->cname[s->ncname].target, sizeof(s->cname[0].target), "%s", target);
	s->ncname++;
}

static __attribute__((unused)) int
ts_put_name(uint8_t *b, size_t cap, size_t *off, const char *name)
{
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (*off + 1 + l >= cap)
			return -1;
		b[(*off)++] = (uint8_t)l;
		memcpy(b + *off, p, l);
		*off += l;
		p += l;
		if (*p == '.')
			p++;
	}
	if (*off + 1 > cap)
		return -1;
	b[(*off)++] = 0;
	return 0;
}

static __attribute__((unused)) int
ts_put_rr(uint8_t *b, size_t cap, size_t *off, const char *owner, unsigned type,
	  const uint8_t *rd, size_t rdlen)
{
	if (owner == NULL) {
		if (*off + 2 > cap)
			return -1;
		b[(*off)++] = 0xc0;   /* pointer to the question name */
		b[(*off)++] = 12;
	} else if (ts_put_name(b, cap, off, owner) < 0) {
		return -1;
	}
	if (*off + 10 + rdlen > cap)
		return -1;
	b[*off + 0] = (uint8_t)(type >> 8);
	b[*off + 1] = (uint8_t)type;
	b[*off + 2] = 0;
	b[*off + 3] = 1;
	b[*off + 4] = 0;
	b[*off + 5] = 0;
	b[*off + 6] = 0x0e;
	b[*off + 7] = 0x10;
	b[*off + 8] = (uint8_t)(rdlen >> 8);
	b[*off + 9] = (uint8_t)rdlen;
	*off += 10;
	memcpy(b + *off, rd, rdlen);
	*off += rdlen;
	return 0;
}

static __attribute__((unused)) int
ts_name_exists(struct ts_server *s, const char *name)
{
	int i;

	for (i = 0; i < s->nrr; i++)
		if (strcmp(s->rr[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Answer query q (qlen bytes) into out; returns the length, or -1 to stay
 * silent. udp: truncate (TC, no answers) when over the client's EDNS size.
 */
static __attribute__((unused)) int
ts_answer(struct ts_server *s, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, int udp)
{
	char name[256], cur[256];
	size_t off = 12, qend, nlen = 0;
	unsigned qtype, arcount, limit = 512;
	int rcode = 0, ancount = 0, i, c;

	if (qlen < 12 || ((q[4] << 8) | q[5]) != 1)
		return -1;
	while (off < qlen && q[off] != 0) {
		size_t l = q[off];

		if (off + 1 + l >= qlen || nlen + l + 1 >= sizeof(name))
			return -1;
		if (nlen > 0)
			name[nlen++] = '.';
		memcpy(name + nlen, q + off + 1, l);
		nlen += l;
		off += 1 + l;
	}
	name[nlen] = '\0';
	off++;
	if (off + 4 > qlen)
		return -1;
	qtype = (unsigned)(q[off] << 8 | q[off + 1]);
	qend = off + 4;
	arcount = (unsigned)(q[10] << 8 | q[11]);
	if (arcount > 0 && qend + 11 <= qlen && q[qend] == 0 &&
	    (unsigned)(q[qend + 1] << 8 | q[qend + 2]) == T_OPT) {
		limit = (unsigned)(q[qend + 3] << 8 | q[qend + 4]);
		s->edns_queries++;
	}
	if (!(q[2] & 0x01))
		s->norecurse_queries++;
	if (s->nlog < TS_MAX_LOG) {
		snprintf(s->log_name[s->nlog], sizeof(s->log_name[0]), "%.63s", name);
		s->log_type[s->nlog] = qtype;
		s->nlog++;
	}
	for (i = 0; i < s->nsp; i++) {
		if (strcmp(s->sp[i].name, name) == 0) {
			if (s->sp[i].silent)
				return -1;
			rcode = s->sp[i].rcode;
		}
	}
	if (qend > cap)
		return -1;
	memcpy(out, q, qend);
	out[2] = (uint8_t)(0x80 | 0x04 | (q[2] & 0x01));   /* QR, AA, RD copied */
	out[3] = 0x80;                                     /* RA */
	out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
	off = qend;
	if (rcode == 0) {
		const char *owner = NULL;

		snprintf(cur, sizeof(cur), "%s", name);
		for (c = 0; c < s->ncname; c++) {
			if (strcmp(s->cname[c].name, cur) == 0 && qtype != T_CNAME) {
				uint8_t rd[256];
				size_t rl = 0;

				if (ts_put_name(rd, sizeof(rd), &rl, s->cname[c].target) < 0 ||
				    ts_put_rr(out, cap, &off, owner, T_CNAME, rd, rl) < 0)
					return -1;
				ancount++;
				snprintf(cur, sizeof(cur), "%s", s->cname[c].target);
				owner = s->cname[c].target;
			}
		}
		if (ancount == 0 && !ts_name_exists(s, cur))
			rcode = 3;
		for (i = 0; rcode == 0 && i < s->nrr; i++) {
			if (strcmp(s->rr[i].name, cur) != 0 || s->rr[i].type != qtype)
				continue;
			if (ts_put_rr(out, cap, &off, owner, qtype, s->rr[i].rdata, s->rr[i].rdlen) < 0)
				return -1;
			ancount++;
		}
	}
	out[3] = (uint8_t)(out[3] | rcode);
	if (rcode != 0)
		ancount = 0;
	if (udp && off > limit) {
		out[2] |= 0x02;   /* TC */
		ancount = 0;
		off = qend;
		s->truncated++;
	}
	if (rcode != 0)
		off = qend;
	out[6] = (uint8_t)(ancount >> 8);
	out[7] = (uint8_t)ancount;
	return (int)off;
}

static __attribute__((unused)) void
ts_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ts_server *s = arg;
	static uint8_t q[2048], a[65535];   /* built whole, then truncated for UDP */
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int len;

	(void)what;
	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	s->udp_queries++;
	len = ts_answer(s, q, (size_t)n, a, sizeof(a), 1);
	if (len > 0)
		sendto(fd, a, (size_t)len, 0, (struct sockaddr *)&from, fl);
}

static __attribute__((unused)) void
ts_tcp_close(struct ts_tcp *c)
{
	struct ts_tcp **pp;

	for (pp = &c->srv->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	event_free(c->ev);
	close(c->fd);
	free(c);
}

static __attribute__((unused)) void
ts_tcp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ts_tcp *c = arg;
	static uint8_t a[65535 + 2];    /* a TCP answer may be as large as DNS allows */
	ssize_t n;

	(void)what;
	n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n <= 0) {
		ts_tcp_close(c);
		return;
	}
	c->inlen += (size_t)n;
	while (c->inlen >= 2) {
		size_t ml = (size_t)(c->in[0] << 8 | c->in[1]);
		int len;

		if (c->inlen < 2 + ml)
			break;
		c->srv->tcp_queries++;
		len = ts_answer(c->srv, c->in + 2, ml, a + 2, sizeof(a) - 2, 0);
		if (len > 0) {
			a[0] = (uint8_t)(len >> 8);
			a[1] = (uint8_t)len;
			if (send(fd, a, (size_t)len + 2, MSG_NOSIGNAL) != len + 2) {
				ts_tcp_close(c);
				return;
			}
		}
		memmove(c->in, c->in + 2 + ml, c->inlen - 2 - ml);
		c->inlen -= 2 + ml;
	}
}

static __attribute__((unused)) void
ts_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ts_server *s = arg;
	struct ts_tcp *c;
	int cfd;

	(void)what;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(cfd);
		return;
	}
	c->srv = s;
	c->fd = cfd;
	c->ev = event_new(s->base, cfd, EV_READ | EV_PERSIST, ts_tcp_read_cb, c);
	event_add(c->ev, NULL);
	c->next = s->conns;
	s->conns = c;
}

static __attribute__((unused)) int
ts_start(struct ts_server *s, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t sl;
	int attempt, one = 1;

	memset(s, 0, sizeof(*s));
	s->base = base;
	s->rr = calloc(TS_MAX_RR, sizeof(*s->rr));
	if (s->rr == NULL)
		return -1;
	for (attempt = 0; attempt < 20; attempt++) {
		s->ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->ufd < 0 || s->lfd < 0)
			return -1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(sin);
		if (bind(s->ufd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(s->ufd, (struct sockaddr *)&sin, &sl) == 0 &&
		    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		    bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(s->lfd, 16) == 0)
			break;
		close(s->ufd);
		close(s->lfd);
		s->ufd = s->lfd = -1;
	}
	if (s->ufd < 0)
		return -1;
	s->port = ntohs(sin.sin_port);
	s->uev = event_new(base, s->ufd, EV_READ | EV_PERSIST, ts_udp_cb, s);
	s->lev = event_new(base, s->lfd, EV_READ | EV_PERSIST, ts_accept_cb, s);
	event_add(s->uev, NULL);
	event_add(s->lev, NULL);
	return 0;
}

static __attribute__((unused)) void
ts_stop(struct ts_server *s)
{
	while (s->conns != NULL)
		ts_tcp_close(s->conns);
	if (s->uev != NULL)
		event_free(s->uev);
	if (s->lev != NULL)
		event_free(s->lev);
	if (s->ufd >= 0)
		close(s->ufd);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->rr);
}

static __attribute__((unused)) int
ts_count(struct ts_server *s, const char *name, unsigned type)
{
	int i, n = 0;

	for (i = 0; i < s->nlog; i++)
		if (strcmp(s->log_name[i], name) == 0 && s->log_type[i] == type)
			n++;
	return n;
}

#endif
