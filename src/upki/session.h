/*
 * session.h: the HTTPS session with the UPKI web application (session.c),
 * driven like the RA officer's browser over http/client.c. Below it: http/,
 * tls/ and the page parser (result_page.h); above it: upki_core.h (the
 * endpoint inside struct upki), job.h (uploads), poll.h (bulk downloads).
 */
#ifndef UPKI_SESSION_H
#define UPKI_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "upki/result_page.h"
#include "upki/upki_profile.h"

struct event_base;
struct tls_client;

/*
 * Choices of this backend that are not facts about UPKI (tags as in
 * upki_profile.h) used by the session and its callers.
 */
#define UPKI_UPLOAD_ROWS_MAX 50      /* [I] rows per uploaded TSV (the sim takes 200) */
#define UPKI_ERRORFLG_PER_ROW "2"    /* [X] errorFlg 2: refuse only the bad rows */
#define UPKI_LOGIN_MAX 2             /* new logins after a lost session, per operation */
#define UPKI_RESEND_MAX 3            /* requests sent again at once, per operation */
#define UPKI_PAGE_MAX (1u << 20)     /* an HTML answer */

/* Web-app paths and form names: upki_profile.h (one place for every [I]/[X] fact). */
#define UPKI_COOKIE_MAX 512

/* How long a DNS answer for upki_url's host is used before it is asked again. */
#define UPKI_DNS_CACHE_S 300

/*
 * Where the UPKI web application is, from upki_url and upki_connect. With a
 * numeric host or upki_connect, addr is where to connect. With a host name
 * and no upki_connect (by_name), the session looks the name up through
 * dns (the `resolver` key: never NSS, never getaddrinfo) before connecting,
 * keeps the answer UPKI_DNS_CACHE_S seconds and tries each address in turn;
 * addr is unused. Either way the TLS server name sent and checked is sni, the
 * name from upki_url, never the address.
 */
struct upki_endpoint {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char addr_text[300];  /* for logs: "192.0.2.7:443", or "NAME:PORT (DNS via ADDR)" */
	char host[272];       /* Host header: "host" or "host:port" */
	char sni[256];        /* server name sent and checked; "" for an IP literal */
	char base[128];       /* path prefix without trailing '/', e.g. "/upki-odcert" */
	int by_name;          /* look sni up through dns before connecting */
	unsigned port;        /* by_name: the port from upki_url */
	struct sockaddr_storage dns;  /* by_name: the DNS server (config key resolver) */
	socklen_t dnslen;
	char dns_text[80];    /* by_name: the DNS server, for logs */
};

struct upki_sess;

/* Outcome of one operation (login, upload, bulk download). */
struct upki_sess_result {
	int rc;                 /* 0, or why it failed (see below) */
	int status;             /* last HTTP status, 0 when none arrived */
	int tls_error;          /* BearSSL error when rc == ERR_TLS */
	int page_parsed;        /* upload: page holds the parsed answer */
	/*
	 * Upload: the request reached UPKI in full but no answer came (timeout,
	 * reset, close): UPKI may or may not have the applications. Only its
	 * own state (the bulk TSV) can tell; never upload again blindly.
	 */
	int outcome_unknown;
	unsigned resent;        /* requests sent again at once after a connection fault */
	int dns_failed;         /* rc is the DNS lookup's of upki_url's host: transient */
	int maintenance;        /* UPKI's maintenance page: waits like a refusal, not seconds */
	char why[512];          /* UTF-8, one line, for logs and problem details */
	struct upki_result page;
};

/*
 * rc values: upload: upki_result_parse()'s (0 accepted, ERR_REJECTED,
 * ERR_RATELIMIT, ERR_AGAIN maintenance, ERR_PROTOCOL unknown page); any
 * operation: ERR_TLS (tls_error), ERR_TIMEOUT, ERR_CLOSED, -errno (connect),
 * ERR_DENIED (HTTP 401/403: the RA officer refused), ERR_AGAIN (HTTP 5xx),
 * ERR_STATE (sent back to the login page UPKI_LOGIN_MAX times), ERR_PROTOCOL
 * (an answer we do not understand), ERR_RATELIMIT (busy page), or the data
 * callback's error (bulk). With dns_failed set, rc is the resolver's
 * (resolver.h: ERR_NOTFOUND, ERR_AGAIN, ERR_TIMEOUT, ...): a transient fault.
 */
typedef void (*upki_sess_done_fn)(void *arg, const struct upki_sess_result *r);
/* Bulk TSV bytes as they arrive (status 200 only); nonzero stops the download. */
typedef int (*upki_sess_data_fn)(void *arg, const unsigned char *p, size_t n);

/*
 * tls must outlive the session. timeouts in seconds per exchange. With
 * ep->by_name the session makes its own resolver on base (ERR_CONFIG if
 * ep->dns is not usable).
 */
int upki_sess_new(struct upki_sess **out, struct event_base *base,
    const struct upki_endpoint *ep, struct tls_client *tls, unsigned timeout_s,
    unsigned bulk_timeout_s);
/* Cancels the exchange in flight (done is not called). NULL is ignored. */
void upki_sess_free(struct upki_sess *s);

/*
 * rc says the connection failed under a request (closed, reset, broken pipe):
 * not a timeout, not TLS, not a refusal. Such a request may be sent again at
 * once when the server cannot have acted on it.
 */
int upki_sess_conn_fault(int rc);

/*
 * Start an operation; one at a time (ERR_STATE while busy). done is called
 * exactly once, never from inside the start call, unless the session is freed
 * first. upload copies tsv.
 */
int upki_sess_login(struct upki_sess *s, upki_sess_done_fn done, void *arg);
int upki_sess_upload(struct upki_sess *s, int apply_type, const void *tsv, size_t len,
    upki_sess_done_fn done, void *arg);
int upki_sess_bulk(struct upki_sess *s, upki_sess_data_fn data, upki_sess_done_fn done,
    void *arg);
int upki_sess_busy(const struct upki_sess *s);
unsigned long upki_sess_logins(const struct upki_sess *s);
/* Forget the session cookie (next operation logs in). */
void upki_sess_reset(struct upki_sess *s);

/*
 * The visible text of an EUC-JP HTML page as one UTF-8 line (tags dropped,
 * white space collapsed), cut at a character boundary. Returns its length.
 */
size_t upki_html_text(const void *html, size_t n, char *out, size_t outsz);

#endif
