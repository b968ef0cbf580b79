/*
 * The HTTP server object: listeners, admission (the global and the
 * per-address connection limits, checked at accept before any TLS work) and
 * teardown. Each accepted connection is run by conn.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "autoconf.h"
#include "http/server_int.h"
#include "util/err.h"
#include "util/log.h"

/* The address of sa as family + bytes; 0, or -1 for a family we do not count. */
static int
addr_of(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
	memset(addr, 0, 16);
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/*
 * 1 when the peer at (family, addr) already holds the most connections one
 * address may have. A walk over at most max_conns entries per accept: no table
 * to keep in step, and cheaper than the TLS handshake it saves.
 */
static int
addr_full(struct http_server *s, int family, const unsigned char addr[16])
{
	unsigned lim = s->cfg.max_conns_per_addr ? s->cfg.max_conns_per_addr :
	    CONFIG_HTTP_MAX_CONNS_PER_ADDR;
	unsigned n = 0;

	for (const struct http_conn *c = s->conns; c != NULL; c = c->next)
		if (c->family == family && memcmp(c->addr, addr, 16) == 0 && ++n >= lim)
			return 1;
	return 0;
}

/* One line per 10 s at most, with the count refused since the last one. */
static void
addr_refused_log(struct http_server *s, const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN] = "?";
	time_t now = time(NULL);

	s->st.refused_addr++;
	if (s->addr_log_at != 0 && now - s->addr_log_at < 10)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof(host));
	log_warn("%s: %s: connections per address limit reached (%u): refusing "
	    "(%llu refused from any address since the last such line)", s->cfg.name, host,
	    s->cfg.max_conns_per_addr ? s->cfg.max_conns_per_addr : CONFIG_HTTP_MAX_CONNS_PER_ADDR,
	    s->st.refused_addr - s->addr_log_refused);
	s->addr_log_at = now;
	s->addr_log_refused = s->st.refused_addr;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct http_server *s = arg;
	char host[INET6_ADDRSTRLEN] = "?", peer[64] = "?";
	unsigned char addr[16];
	int port = 0, one = 1, family;

	(void)l;
	(void)salen;
	s->st.accepted++;
	if (addr_of(sa, &family, addr) == 0 && addr_full(s, family, addr)) {
		s->st.refused++;
		addr_refused_log(s, sa);
		close(fd);
		return;
	}
	if (s->st.conns >= (s->cfg.max_conns ? s->cfg.max_conns : CONFIG_HTTP_MAX_CONNS)) {
		s->st.refused++;
		if (s->st.refused % 1000 == 1)
			log_warn("%s: connection limit reached (%u): refusing new connections",
			    s->cfg.name, s->st.conns);
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(peer, sizeof(peer), "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(peer, sizeof(peer), "[%s]:%d", host, port);
	}
	(void)http_conn_start(s, fd, peer, family, addr);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct http_server *s = arg;

	(void)l;
	log_warn("%s: accept: %s", s->cfg.name, strerror(errno));
}

int
http_server_new(struct http_server **out, struct event_base *base,
    const struct http_server_cfg *cfg)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ERR_NOMEM;
	s->base = base;
	s->cfg = *cfg;
	if (s->cfg.name == NULL)
		s->cfg.name = "http";
	*out = s;
	return 0;
}

int
http_server_listen(struct http_server *s, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, rc;

	if (s->nls == HTTP_MAX_LISTENERS)
		return ERR_TOOBIG;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len) != 0 || listen(fd, 128) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		s->port = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	s->ls[s->nls] = evconnlistener_new(s->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (s->ls[s->nls] == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	evconnlistener_set_error_cb(s->ls[s->nls], accept_error_cb);
	s->nls++;
	return 0;
}

int
http_server_port(const struct http_server *s)
{
	return s->port;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->nls; i++)
		evconnlistener_free(s->ls[i]);
	while (s->conns != NULL)
		http_conn_free(s->conns);
	free(s);
}

void
http_server_stats(const struct http_server *s, struct http_server_stats *st)
{
	*st = s->st;
}
