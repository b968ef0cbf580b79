/*
 * Per-connection engines and the I/O pump between a BearSSL engine and a
 * non-blocking socket. One allocation per connection: the small header, the
 * engine context and one mono buffer (half duplex suits HTTP/1.1).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "platform.h"
#include "tls/capture.h"
#include "tls/client_int.h"
#include "tls/noverify.h"
#include "tls/conn_int.h"
#include "tls/server_int.h"
#include "tls/tls.h"
#include "util/err.h"
#include "util/log.h"

#define TLS_PUMP_TURNS 256      /* bound on engine steps per call */


struct tls_conn_srv {
	struct tls_conn h;
	br_ssl_server_context sc;
	unsigned char buf[BR_SSL_BUFSIZE_MONO];
};

struct tls_conn_srv_auth {
	struct tls_conn_srv s;
	struct x509_capture cap;
};

struct tls_conn_cli {
	struct tls_conn h;
	br_ssl_client_context cc;
	union {                      /* one X.509 engine per connection */
		br_x509_minimal_context xc;
		struct x509_noverify nv;   /* tls_client_new_insecure() clients only */
	};
	unsigned char buf[BR_SSL_BUFSIZE_MONO];
};

static void
conn_seed(br_ssl_engine_context *eng)
{
	unsigned char seed[32];

	/* BearSSL seeds itself from the OS too; ours goes through the platform shim. */
	if (platform_random(seed, sizeof(seed)) == 0)
		br_ssl_engine_inject_entropy(eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
}

size_t
tls_conn_size(int server)
{
	return server ? sizeof(struct tls_conn_srv) : sizeof(struct tls_conn_cli);
}

int
tls_conn_new_server(struct tls_conn **out, struct tls_server *ts)
{
	const struct tls_anchors *cas = tls_server_client_cas(ts);
	struct tls_conn_srv *s;

	if (cas->n > 0) {
		struct tls_conn_srv_auth *a = malloc(sizeof(*a));
		if (a == NULL)
			return ERR_NOMEM;
		s = &a->s;
		memset(&s->h, 0, sizeof(s->h));
		tls_server_setup_conn(ts, &s->sc, s->buf, sizeof(s->buf));
		/* Checking the client's CertificateVerify needs signature verifiers. */
		br_ssl_engine_set_default_rsavrfy(&s->sc.eng);
		br_ssl_engine_set_default_ecdsa(&s->sc.eng);
		tls_capture_init(&a->cap, cas->ta, cas->n);
		br_ssl_server_set_trust_anchor_names_alt(&s->sc, cas->ta, cas->n);
		br_ssl_engine_set_x509(&s->sc.eng, &a->cap.vtable);
		s->h.cap = &a->cap;
	} else {
		s = malloc(sizeof(*s));
		if (s == NULL)
			return ERR_NOMEM;
		memset(&s->h, 0, sizeof(s->h));
		tls_server_setup_conn(ts, &s->sc, s->buf, sizeof(s->buf));
	}
	s->h.eng = &s->sc.eng;
	conn_seed(s->h.eng);
	if (!br_ssl_server_reset(&s->sc)) {
		free(s);
		return ERR_TLS;
	}
	*out = &s->h;
	return 0;
}

int
tls_conn_new_client(struct tls_conn **out, struct tls_client *tc, const char *server_name)
{
	struct tls_conn_cli *c = malloc(sizeof(*c));

	if (c == NULL)
		return ERR_NOMEM;
	const br_ssl_session_parameters *sess;

	memset(&c->h, 0, sizeof(c->h));
	tls_client_setup_conn(tc, &c->cc, &c->xc, c->buf, sizeof(c->buf));
	if (tls_client_insecure(tc)) {
		tls_noverify_init(&c->nv);
		br_ssl_engine_set_x509(&c->cc.eng, &c->nv.vtable);
	}
	c->h.eng = &c->cc.eng;
	c->h.client = tc;
	if (server_name != NULL && strlen(server_name) < sizeof(c->h.name))
		strcpy(c->h.name, server_name);
	conn_seed(c->h.eng);
	/* Resume the last session with this server: no certificates, no ECDHE, no signatures. */
	sess = tls_client_session(tc, c->h.name);
	if (sess != NULL)
		br_ssl_engine_set_session_parameters(c->h.eng, sess);
	if (!br_ssl_client_reset(&c->cc, server_name, sess != NULL)) {
		free(c);
		return ERR_TLS;
	}
	*out = &c->h;
	return 0;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	if (c->client != NULL) {
		if (c->ready && br_ssl_engine_last_error(c->eng) == BR_ERR_OK) {
			br_ssl_session_parameters p;
			br_ssl_engine_get_session_parameters(c->eng, &p);
			tls_client_session_save(c->client, c->name, &p);
			explicit_bzero(&p, sizeof(p));
		} else if (br_ssl_engine_last_error(c->eng) != BR_ERR_OK &&
		    br_ssl_engine_last_error(c->eng) != BR_ERR_IO) {
			tls_client_session_forget(c->client);
		}
	}
	free(c);   /* the header is the first member of every variant */
}

static int
closed_status(struct tls_conn *c)
{
	int err = br_ssl_engine_last_error(c->eng);

	if (err == BR_ERR_OK)
		return c->eof ? ERR_CLOSED : 0;
	if (err == BR_ERR_IO)
		return c->sock_err ? c->sock_err : ERR_CLOSED;
	return ERR_TLS;
}

static void
note_state(struct tls_conn *c, unsigned st)
{
	if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
		c->ready = 1;
}

/* Push records to the socket until none is pending; 0, ERR_AGAIN or an error. */
static int
push_records(struct tls_conn *c, int fd)
{
	for (int turn = 0; turn < TLS_PUMP_TURNS; turn++) {
		unsigned st = br_ssl_engine_current_state(c->eng);
		unsigned char *p;
		size_t len;
		ssize_t n;

		if (st & BR_SSL_CLOSED)
			return closed_status(c);
		if (!(st & BR_SSL_SENDREC))
			return 0;
		p = br_ssl_engine_sendrec_buf(c->eng, &len);
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ERR_AGAIN;
			c->sock_err = -errno;
			br_ssl_engine_close(c->eng);
			return c->sock_err;
		}
		br_ssl_engine_sendrec_ack(c->eng, (size_t)n);
	}
	return ERR_AGAIN;
}

ssize_t
tls_conn_read(struct tls_conn *c, int fd, void *buf, size_t len)
{
	for (int turn = 0; turn < TLS_PUMP_TURNS; turn++) {
		unsigned st = br_ssl_engine_current_state(c->eng);

		note_state(c, st);
		if (st & BR_SSL_CLOSED)
			return closed_status(c);
		if (st & BR_SSL_SENDREC) {
			int rc = push_records(c, fd);
			if (rc != 0)
				return rc;
			continue;
		}
		if (st & BR_SSL_RECVAPP) {
			size_t n;
			unsigned char *p = br_ssl_engine_recvapp_buf(c->eng, &n);
			if (n > len)
				n = len;
			memcpy(buf, p, n);
			br_ssl_engine_recvapp_ack(c->eng, n);
			return (ssize_t)n;
		}
		if (st & BR_SSL_RECVREC) {
			size_t n;
			unsigned char *p = br_ssl_engine_recvrec_buf(c->eng, &n);
			ssize_t r = recv(fd, p, n, 0);
			if (r == 0) {
				c->eof = 1;
				br_ssl_engine_close(c->eng);
				return ERR_CLOSED;
			}
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return ERR_AGAIN;
				c->sock_err = -errno;
				br_ssl_engine_close(c->eng);
				return c->sock_err;
			}
			br_ssl_engine_recvrec_ack(c->eng, (size_t)r);
			continue;
		}
		return ERR_AGAIN;
	}
	return ERR_AGAIN;
}

ssize_t
tls_conn_write(struct tls_conn *c, int fd, const void *buf, size_t len)
{
	const unsigned char *src = buf;
	size_t done = 0;

	for (int turn = 0; turn < TLS_PUMP_TURNS && done < len; turn++) {
		unsigned st = br_ssl_engine_current_state(c->eng);

		note_state(c, st);
		if (st & BR_SSL_CLOSED)
			return done ? (ssize_t)done : closed_status(c);
		if (st & BR_SSL_SENDAPP) {
			size_t n;
			unsigned char *p = br_ssl_engine_sendapp_buf(c->eng, &n);
			if (n > len - done)
				n = len - done;
			memcpy(p, src + done, n);
			br_ssl_engine_sendapp_ack(c->eng, n);
			done += n;
			continue;
		}
		if (st & BR_SSL_SENDREC) {
			int rc = push_records(c, fd);
			if (rc == ERR_AGAIN)
				break;
			if (rc != 0)
				return done ? (ssize_t)done : rc;
			continue;
		}
		/* The mono buffer holds incoming data: the caller must read first. */
		break;
	}
	return done ? (ssize_t)done : ERR_AGAIN;
}

int
tls_conn_flush(struct tls_conn *c, int fd)
{
	br_ssl_engine_flush(c->eng, 0);
	return push_records(c, fd);
}

void
tls_conn_close(struct tls_conn *c, int fd)
{
	(void)tls_conn_shutdown(c, fd);
}

int
tls_conn_shutdown(struct tls_conn *c, int fd)
{
	unsigned st = br_ssl_engine_current_state(c->eng);
	int rc;

	if (st & BR_SSL_CLOSED)
		return 0;
	if (!c->closing) {
		c->closing = 1;
		br_ssl_engine_close(c->eng);
	}
	rc = push_records(c, fd);
	return rc == ERR_AGAIN ? ERR_AGAIN : (rc < 0 ? rc : 0);
}

short
tls_conn_want(struct tls_conn *c)
{
	unsigned st = br_ssl_engine_current_state(c->eng);
	short ev = 0;

	if (st & BR_SSL_CLOSED)
		return 0;
	if (st & BR_SSL_SENDREC)
		ev |= EV_WRITE;
	if (st & BR_SSL_RECVREC)
		ev |= EV_READ;
	return ev;
}

int
tls_conn_ready(struct tls_conn *c)
{
	return c->ready;
}

int
tls_conn_accepts_app(struct tls_conn *c)
{
	return (br_ssl_engine_current_state(c->eng) & BR_SSL_SENDAPP) != 0;
}

int
tls_conn_error(struct tls_conn *c)
{
	return br_ssl_engine_last_error(c->eng);
}

const unsigned char *
tls_conn_peer_cert(const struct tls_conn *c, size_t *len)
{
	return tls_capture_peek(c->cap, len);
}
