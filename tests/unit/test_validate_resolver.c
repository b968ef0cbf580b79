/*
 * validate/resolver: c-ares on libevent against a small DNS server that this
 * test runs on 127.0.0.1 (UDP and TCP, same port, same event_base).
 *
 * The test binary also interposes fopen/fopen64/connect/getaddrinfo/
 * gethostbyname (libcares.so and our code bind to these definitions): every
 * test checks that no file but the kernel's random source was opened (no
 * resolv.conf, hosts, nsswitch, HOSTALIASES), that every socket connect went
 * to the configured server, and that no libc name lookup ran. LOCALDOMAIN,
 * RES_OPTIONS and HOSTALIASES are set to hostile values for the whole run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "platform.h"
#include "util/err.h"
#include "util/log.h"
#include "validate/resolver.h"
#include "validate/resolver_parse.h"

/* ---- interposed libc entry points ------------------------------------------------- */

#define SPY_MAX 32

static struct {
	int watch;                          /* connects checked against allowed */
	struct sockaddr_storage allowed;
	int bad_connects;
	char bad_connect_desc[128];
	int nfiles;
	char files[SPY_MAX][128];
	int name_lookups;
} spy;

static int
spy_open_flags(const char *mode, int *flags)
{
	int f;

	switch (mode[0]) {
	case 'r': f = O_RDONLY; break;
	case 'w': f = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': f = O_WRONLY | O_CREAT | O_APPEND; break;
	default: return -1;
	}
	for (mode++; *mode != '\0'; mode++) {
		if (*mode == '+')
			f = (f & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
		else if (*mode == 'e')
			f |= O_CLOEXEC;
		else if (*mode == 'x')
			f |= O_EXCL;
	}
	*flags = f;
	return 0;
}

static FILE *
spy_fopen(const char *path, const char *mode)
{
	FILE *fp;
	int flags, fd;

	if (spy.nfiles < SPY_MAX)
		snprintf(spy.files[spy.nfiles++], sizeof(spy.files[0]), "%s", path);
	if (spy_open_flags(mode, &flags) < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, flags, 0644);
	if (fd < 0)
		return NULL;
	fp = fdopen(fd, mode);
	if (fp == NULL)
		close(fd);
	return fp;
}

FILE *
fopen(const char *path, const char *mode)
{
	return spy_fopen(path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	return spy_fopen(path, mode);
}

static int
spy_same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0 &&
		       ((const struct sockaddr_in *)a)->sin_port ==
			       ((const struct sockaddr_in *)b)->sin_port;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0 &&
		       ((const struct sockaddr_in6 *)a)->sin6_port ==
			       ((const struct sockaddr_in6 *)b)->sin6_port;
	return 0;
}

int
connect(int fd, __CONST_SOCKADDR_ARG arg, socklen_t len)
{
	const struct sockaddr *sa = arg.__sockaddr__;

	if (spy.watch && (sa == NULL || !spy_same_addr(sa, &spy.allowed))) {
		spy.bad_connects++;
		if (sa != NULL && sa->sa_family == AF_INET) {
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
			snprintf(spy.bad_connect_desc, sizeof(spy.bad_connect_desc), "%s:%u", ip,
				 ntohs(((const struct sockaddr_in *)sa)->sin_port));
		} else {
			snprintf(spy.bad_connect_desc, sizeof(spy.bad_connect_desc), "family %d",
				 sa != NULL ? sa->sa_family : -1);
		}
	}
	return (int)syscall(SYS_connect, fd, sa, len);
}

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
	    struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	(void)res;
	spy.name_lookups++;
	return EAI_FAIL;
}

struct hostent *
gethostbyname(const char *name)
{
	(void)name;
	spy.name_lookups++;
	return NULL;
}

#include "dns_server_fx.h"

/* The zone every test sees. */
static void
ts_zone(struct ts_server *s)
{
	char big[256], huge[1100];
	int i;

	ts_add_a(s, "www.example.ac.jp", "192.0.2.10");
	ts_add_a(s, "www.example.ac.jp", "192.0.2.11");
	ts_add_aaaa(s, "www.example.ac.jp", "2001:db8::10");
	ts_add_aaaa(s, "v6only.example.ac.jp", "2001:db8::6");
	for (i = 1; i <= 10; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		ts_add_a(s, "many.example.ac.jp", ip);
	}
	ts_add_aaaa(s, "many.example.ac.jp", "2001:db8::1");

	ts_add_txt(s, "_acme-challenge.www.example.ac.jp", "abc", "def", (char *)NULL);
	ts_add_txt(s, "_acme-challenge.www.example.ac.jp",
		   "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", (char *)NULL);
	memset(big, 'a', 255);
	big[255] = '\0';
	ts_add_txt(s, "_acme-challenge.www.example.ac.jp", big, "bb", "", "c", (char *)NULL);
	/* 8 x 200 bytes: over 1232, so truncated on UDP and fetched again over TCP. */
	memset(big, 'x', 200);
	big[200] = '\0';
	for (i = 0; i < 8; i++) {
		big[0] = (char)('0' + i);
		ts_add_txt(s, "big.example.ac.jp", big, (char *)NULL);
	}
	/* One RR of 5 x 205 = 1025 bytes: one over the limit. */
	memset(big, 'y', 205);
	big[205] = '\0';
	ts_add_txt(s, "_acme-challenge.long.example.ac.jp", big, big, big, big, big, (char *)NULL);

	/* RESOLVER_MAX_TXT records of 1000 bytes: a 16 KiB answer, over TCP only; one more is too many. */
	memset(big, 'z', 250);
	big[250] = '\0';
	for (i = 0; i <= RESOLVER_MAX_TXT; i++) {
		big[0] = (char)('A' + i);
		if (i < RESOLVER_MAX_TXT)
			ts_add_txt(s, "huge.example.ac.jp", big, big, big, big, (char *)NULL);
		ts_add_txt(s, "over.example.ac.jp", big, big, big, big, (char *)NULL);
	}
	ts_add_a(s, "example.ac.jp", "192.0.2.1");
	ts_add_caa(s, "example.ac.jp", 0, "issue", "secomtrust.net");
	ts_add_caa(s, "example.ac.jp", 0, "issue",
		   "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1234567");
	ts_add_caa(s, "example.ac.jp", 128, "tbsunknown", "x");
	ts_add_caa(s, "example.ac.jp", 0, "iodef", "mailto:security@example.ac.jp");
	ts_add_caa(s, "example.ac.jp", 0, "issuewild", "");
	ts_add_cname(s, "alias.example.ac.jp", "example.ac.jp");
	ts_add_a(s, "empty.example.ac.jp", "192.0.2.5");
	ts_add_txt(s, "noaddr.example.ac.jp", "v=none", (char *)NULL);
	for (i = 0; i < RESOLVER_MAX_CAA + 1; i++) {
		char v[32];

		snprintf(v, sizeof(v), "ca%d.example", i);
		ts_add_caa(s, "toomany.example.ac.jp", 0, "issue", v);
	}
	memset(huge, 'v', RESOLVER_CAA_VALUE_MAX);
	huge[RESOLVER_CAA_VALUE_MAX] = '\0';
	ts_add_caa(s, "maxvalue.example.ac.jp", 0, "issue", huge);
	huge[RESOLVER_CAA_VALUE_MAX] = 'v';
	huge[RESOLVER_CAA_VALUE_MAX + 1] = '\0';
	ts_add_caa(s, "bigvalue.example.ac.jp", 0, "issue", huge);
	ts_add_raw(s, "badcaa.example.ac.jp", T_CAA, "\x00", 1);
	ts_add_raw(s, "bada.example.ac.jp", T_A, "\x01\x02\x03", 3);
	ts_add_special(s, "servfail.example.ac.jp", 2, 0);
	ts_add_special(s, "refused.example.ac.jp", 5, 0);
	ts_add_special(s, "silent.example.ac.jp", 0, 1);
}

/* ---- fixture ------------------------------------------------------------------------ */

struct res {
	int calls;
	int rc;
	int n;
	int during_start;            /* a callback ran inside the starting call */
	struct sockaddr_storage addrs[RESOLVER_MAX_ADDRS];
	struct resolver_txt *txt;
	struct resolver_caa *caa;
	struct resolver **free_me;   /* resolver_free() this from the callback */
	struct fx *chain;            /* start another query from the callback */
	struct res *chain_res;
};

struct fx {
	struct event_base *base;
	struct ts_server srv;
	struct resolver *r;
	struct sockaddr_in addr;
	int in_start;
};

static struct fx *cur_fx;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until *calls >= want or ms pass. */
static void
loop_until(struct fx *f, const int *calls, int want, unsigned ms)
{
	struct timeval tv = { 0, 20000 };
	struct event *guard = event_new(f->base, -1, EV_PERSIST, guard_cb, NULL);
	uint64_t end = now_ms() + ms;

	assert_non_null(guard);
	evtimer_add(guard, &tv);
	while ((calls == NULL || *calls < want) && now_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(guard);
}

static void
res_clear(struct res *r)
{
	free(r->txt);
	free(r->caa);
	memset(r, 0, sizeof(*r));
}

static void
res_common(struct res *r, int rc, int n)
{
	r->calls++;
	r->rc = rc;
	r->n = n;
	if (cur_fx != NULL && cur_fx->in_start)
		r->during_start = 1;
	if (r->free_me != NULL) {
		resolver_free(*r->free_me);
		*r->free_me = NULL;
	}
}

static void
addrs_cb(void *arg, int rc, const struct sockaddr_storage *a, int n)
{
	struct res *r = arg;

	if (n > 0)
		memcpy(r->addrs, a, (size_t)n * sizeof(*a));
	res_common(r, rc, n);
}

static void
txt_cb(void *arg, int rc, const struct resolver_txt *t, int n)
{
	struct res *r = arg;

	if (n > 0) {
		r->txt = calloc((size_t)n, sizeof(*t));
		if (r->txt != NULL)
			memcpy(r->txt, t, (size_t)n * sizeof(*t));
	}
	res_common(r, rc, n);
}

static void
caa_cb(void *arg, int rc, const struct resolver_caa *c, int n)
{
	struct res *r = arg;

	if (n > 0) {
		r->caa = calloc((size_t)n, sizeof(*c));
		if (r->caa != NULL)
			memcpy(r->caa, c, (size_t)n * sizeof(*c));
	}
	res_common(r, rc, n);
	if (r->chain != NULL && r->chain->r != NULL)
		r->chain_res->rc = resolver_caa(r->chain->r, "www.example.ac.jp", caa_cb, r->chain_res);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->base = event_base_new();
	if (f->base == NULL || ts_start(&f->srv, f->base) < 0)
		return -1;
	ts_zone(&f->srv);
	f->addr.sin_family = AF_INET;
	f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->addr.sin_port = htons(f->srv.port);
	memset(&spy, 0, sizeof(spy));
	memcpy(&spy.allowed, &f->addr, sizeof(f->addr));
	spy.watch = 1;
	if (resolver_new(&f->r, f->base, (struct sockaddr *)&f->addr, sizeof(f->addr), 2000, 2) != 0)
		return -1;
	cur_fx = f;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	int i, bad = 0;

	resolver_free(f->r);
	spy.watch = 0;
	ts_stop(&f->srv);
	event_base_free(f->base);
	cur_fx = NULL;
	free(f);
	/* What the resolver touched outside the configured server. */
	for (i = 0; i < spy.nfiles; i++) {
		if (strcmp(spy.files[i], "/dev/urandom") != 0) {
			print_error("resolver opened %s\n", spy.files[i]);
			bad++;
		}
	}
	if (spy.bad_connects > 0) {
		print_error("resolver connected to %s\n", spy.bad_connect_desc);
		bad++;
	}
	if (spy.name_lookups > 0) {
		print_error("libc name lookups: %d\n", spy.name_lookups);
		bad++;
	}
	return bad ? -1 : 0;
}

#define START(f, call)                        \
	do {                                  \
		(f)->in_start = 1;            \
		assert_int_equal((call), 0);  \
		(f)->in_start = 0;            \
	} while (0)

static void
assert_v4(const struct sockaddr_storage *ss, const char *ip)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char got[INET_ADDRSTRLEN];

	assert_int_equal(ss->ss_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, got, sizeof(got)));
	assert_string_equal(got, ip);
	assert_int_equal(sin->sin_port, 0);
}

static void
assert_v6(const struct sockaddr_storage *ss, const char *ip)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char got[INET6_ADDRSTRLEN];

	assert_int_equal(ss->ss_family, AF_INET6);
	assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, got, sizeof(got)));
	assert_string_equal(got, ip);
}

static void
assert_caa(const struct resolver_caa *c, unsigned flags, const char *tag, const char *value)
{
	assert_int_equal(c->flags, flags);
	assert_int_equal(c->tag_len, strlen(tag));
	assert_string_equal(c->tag, tag);
	assert_int_equal(c->value_len, strlen(value));
	assert_memory_equal(c->value, value, strlen(value) + 1);
}

/* ---- pure parts ----------------------------------------------------------------------- */

static void
test_name_norm(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "www.example.ac.jp", "www.example.ac.jp" },
		{ "WWW.Example.AC.JP", "www.example.ac.jp" },
		{ "_acme-challenge.www.example.ac.jp", "_acme-challenge.www.example.ac.jp" },
		{ "a", "a" },
		{ "xn--r8jz45g.jp", "xn--r8jz45g.jp" },
		{ "1.2.3.4", "1.2.3.4" },
		{ "a-b.c", "a-b.c" },
	};
	static const char *bad[] = {
		"", ".", "example.ac.jp.", ".example", "a..b", "-a.b", "a-.b", "a.b-",
		"*.example.ac.jp", "a b", "a_b.c", "exa\xc3\xa9mple.jp", "a/b", "a:b", "a\\.b",
	};
	char out[RESOLVER_NAME_MAX + 1], name[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(resolver_name_norm(ok[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (resolver_name_norm(bad[i], out, sizeof(out)) != ERR_MALFORMED)
			fail_msg("accepted bad name \"%s\"", bad[i]);
	}
	/* Label of 63 is fine, 64 is not. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".jp");
	assert_int_equal(resolver_name_norm(name, out, sizeof(out)), 0);
	memset(name, 'a', 64);
	strcpy(name + 64, ".jp");
	assert_int_equal(resolver_name_norm(name, out, sizeof(out)), ERR_MALFORMED);
	/* 253 characters total is fine, 254 is not: 4 x 63 labels + separators. */
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'b', 63);
		name[i * 64 + 63] = '.';
	}
	name[4 * 64 - 1] = '\0';                     /* 255 chars: too long */
	assert_int_equal(resolver_name_norm(name, out, sizeof(out)), ERR_MALFORMED);
	name[253] = '\0';                            /* "...bbb" cut to 253 */
	assert_int_equal(resolver_name_norm(name, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 253);
	name[253] = 'b';
	name[254] = '\0';
	assert_int_equal(resolver_name_norm(name, out, sizeof(out)), ERR_MALFORMED);
	assert_int_equal(resolver_name_norm(NULL, out, sizeof(out)), ERR_MALFORMED);
	assert_int_equal(resolver_name_norm("a.b", out, 10), ERR_MALFORMED);
}

static void
test_server_parse(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char ip[INET6_ADDRSTRLEN];
	static const char *bad[] = {
		"", "localhost", "dns.example", "0.0.0.0", "::", "[::]:53", "1.2.3.4:0",
		"1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:5x", "1.2.3.4:+53", "[::1", "[::1]x",
		"[::1]:", "1.2.3", "256.1.1.1", "1.2.3.4:053000",
	};
	size_t i;

	(void)state;
	assert_int_equal(resolver_server_parse("192.0.2.53", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 53);
	assert_string_equal(inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip)), "192.0.2.53");
	assert_int_equal(resolver_server_parse("127.0.0.1:5353", &ss, &len), 0);
	assert_int_equal(ntohs(sin->sin_port), 5353);
	assert_int_equal(resolver_server_parse("2001:db8::53", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 53);
	assert_int_equal(resolver_server_parse("[::1]:8053", &ss, &len), 0);
	assert_int_equal(ntohs(sin6->sin6_port), 8053);
	assert_string_equal(inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip)), "::1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (resolver_server_parse(bad[i], &ss, &len) != ERR_CONFIG)
			fail_msg("accepted bad server \"%s\"", bad[i]);
	}
}

/* A reply for "a.jp" with the given answer section bytes. */
static size_t
msg_build(uint8_t *m, unsigned ancount, const uint8_t *answers, size_t alen)
{
	static const uint8_t hdr[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 2, 'j', 'p', 0, 0x01, 0x01, 0, 1,
	};

	memcpy(m, hdr, sizeof(hdr));
	m[7] = (uint8_t)ancount;
	memcpy(m + sizeof(hdr), answers, alen);
	return sizeof(hdr) + alen;
}

static void
test_reply_parse(void **state)
{
	/* CNAME a.jp -> b.jp (uncompressed), then two CAA at b.jp via pointer to offset 34. */
	static const uint8_t ans[] = {
		0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 1, 'b', 2, 'j', 'p', 0,
		0xc0, 34, 0x01, 0x01, 0, 1, 0, 0, 0, 60, 0, 12, 0x80, 5, 'i', 's', 's', 'u', 'e',
		'c', '.', 'e', 'x', 0,
		0xc0, 34, 0x01, 0x01, 0, 1, 0, 0, 0, 60, 0, 7, 0, 5, 'i', 's', 's', 'u', 'e',
	};
	uint8_t m[512], v4[8][4];
	struct resolver_caa caa[4];
	struct resolver_txt txt[2];
	size_t len;
	int n;

	(void)state;
	len = msg_build(m, 3, ans, sizeof(ans));
	/* The same records owned by "." (a pointer to a zero byte, offset 28): not ours. */
	m[22 + 18 + 1] = m[22 + 18 + 24 + 1] = 28;
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), 0);
	assert_int_equal(n, 0);
	m[22 + 18 + 1] = m[22 + 18 + 24 + 1] = 34;
	assert_int_equal(resolver_reply_caa(m, len, NULL, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(caa[0].flags, 0x80);
	assert_int_equal(caa[0].tag_len, 5);
	assert_string_equal(caa[0].tag, "issue");
	assert_int_equal(caa[0].value_len, 5);
	assert_memory_equal(caa[0].value, "c.ex\0", 6);   /* NUL inside the value is kept */
	assert_int_equal(caa[1].value_len, 0);            /* empty value: RFC 8659 allows it */
	assert_string_equal(caa[1].value, "");
	assert_int_equal(resolver_reply_caa(m, len, caa, 1, &n), ERR_TOOBIG);
	/* No A records in there: NOERROR, none. */
	assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 8, &n), 0);
	assert_int_equal(n, 0);
	/* Every truncation of the message is refused, never read past. */
	for (size_t cut = 0; cut < len; cut++) {
		int rc = resolver_reply_caa(m, cut, caa, 4, &n);

		if (rc != ERR_PROTOCOL)
			fail_msg("truncated at %zu: rc %d n %d", cut, rc, n);
	}
	/* ancount larger than the records present. */
	m[7] = 4;
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), ERR_PROTOCOL);
	m[7] = 3;
	/* Not a response (QR clear), two questions. */
	m[2] &= 0x7f;
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), ERR_PROTOCOL);
	m[2] |= 0x80;
	m[5] = 2;
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), ERR_PROTOCOL);
	m[5] = 1;
	/* Tag length past the RDATA. */
	m[22 + 18 + 10 + 1] = 11;
	assert_int_equal(resolver_reply_caa(m, len, caa, 4, &n), ERR_PROTOCOL);

	{
		/* TXT: "ab" "" "c" -> "abc"; an empty RDATA is an empty TXT. */
		static const uint8_t t[] = {
			0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'a', 'b', 0, 1, 'c',
			0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 0,
		};
		static const uint8_t tbad[] = {
			0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 3, 'a', 'b',
		};
		static const uint8_t a[] = {
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
			0xc0, 12, 0, 1, 0, 3, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,   /* class CH: skipped */
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 2,
		};
		static const uint8_t abad[] = {
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 192, 0, 2, 1, 0,
		};
		static const uint8_t badname[] = {
			0x40, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
		};

		len = msg_build(m, 2, t, sizeof(t));
		assert_int_equal(resolver_reply_txt(m, len, txt, 2, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(txt[0].len, 3);
		assert_string_equal(txt[0].data, "abc");
		assert_int_equal(txt[1].len, 0);
		len = msg_build(m, 1, tbad, sizeof(tbad));
		assert_int_equal(resolver_reply_txt(m, len, txt, 2, &n), ERR_PROTOCOL);
		len = msg_build(m, 3, a, sizeof(a));
		assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 8, &n), 0);
		assert_int_equal(n, 2);
		assert_memory_equal(v4[0], "\xc0\x00\x02\x01", 4);
		assert_memory_equal(v4[1], "\xc0\x00\x02\x02", 4);
		assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 1, &n), 0);
		assert_int_equal(n, 1);
		len = msg_build(m, 1, abad, sizeof(abad));
		assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 8, &n),
				 ERR_PROTOCOL);
		len = msg_build(m, 1, badname, sizeof(badname));
		assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 8, &n),
				 ERR_PROTOCOL);
	}
}

/* Append an uncompressed RR (owner, type, class IN) to the answers at a[*off]. */
static void
rr_put(uint8_t *a, size_t cap, size_t *off, const char *owner, unsigned type, const void *rd,
    size_t rdlen)
{
	assert_int_equal(ts_put_name(a, cap, off, owner), 0);
	assert_true(*off + 10 + rdlen <= cap);
	a[(*off)++] = (uint8_t)(type >> 8);
	a[(*off)++] = (uint8_t)type;
	memcpy(a + *off, "\x00\x01\x00\x00\x00\x3c", 6);
	*off += 6;
	a[(*off)++] = (uint8_t)(rdlen >> 8);
	a[(*off)++] = (uint8_t)rdlen;
	memcpy(a + *off, rd, rdlen);
	*off += rdlen;
}

static void
rr_cname(uint8_t *a, size_t cap, size_t *off, const char *owner, const char *target)
{
	uint8_t rd[256];
	size_t rl = 0;

	assert_int_equal(ts_put_name(rd, sizeof(rd), &rl, target), 0);
	rr_put(a, cap, off, owner, T_CNAME, rd, rl);
}

/* Owner names: only the question name or the end of its CNAME chain counts. */
static void
test_reply_owner(void **state)
{
	uint8_t a[1024], m[1200], v4[8][4];
	struct resolver_txt txt[4];
	size_t off, len;
	int n, i;

	(void)state;
	/* A TXT at another name, no CNAME: skipped; the one at a.jp is taken. */
	off = 0;
	rr_put(a, sizeof(a), &off, "b.jp", T_TXT, "\x03" "bad", 4);
	rr_put(a, sizeof(a), &off, "A.jP", T_TXT, "\x02" "ok", 3);
	len = msg_build(m, 2, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(txt[0].data, "ok");

	/* The chain a -> b -> c given backwards; records at a and b are not the answer. */
	off = 0;
	rr_put(a, sizeof(a), &off, "c.jp", T_TXT, "\x01" "c", 2);
	rr_put(a, sizeof(a), &off, "b.jp", T_TXT, "\x01" "b", 2);
	rr_cname(a, sizeof(a), &off, "b.jp", "C.jp");
	rr_cname(a, sizeof(a), &off, "a.jp", "b.jp");
	len = msg_build(m, 4, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(txt[0].data, "c");
	/* The same for addresses: an A at the chain's end only. */
	off = 0;
	rr_cname(a, sizeof(a), &off, "a.jp", "b.jp");
	rr_put(a, sizeof(a), &off, "a.jp", T_A, "\x0a\x00\x00\x01", 4);
	rr_put(a, sizeof(a), &off, "b.jp", T_A, "\xc0\x00\x02\x07", 4);
	len = msg_build(m, 3, a, off);
	assert_int_equal(resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v4[0][0], 8, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(v4[0], "\xc0\x00\x02\x07", 4);

	/* RESOLVER_CNAME_MAX links are followed, one more is refused. */
	for (int links = RESOLVER_CNAME_MAX; links <= RESOLVER_CNAME_MAX + 1; links++) {
		char from[16], to[16];

		off = 0;
		for (i = 0; i < links; i++) {
			snprintf(from, sizeof(from), i == 0 ? "a.jp" : "c%d.jp", i);
			snprintf(to, sizeof(to), "c%d.jp", i + 1);
			rr_cname(a, sizeof(a), &off, from, to);
		}
		rr_put(a, sizeof(a), &off, to, T_TXT, "\x03" "end", 4);
		len = msg_build(m, (unsigned)links + 1, a, off);
		n = -1;
		if (links == RESOLVER_CNAME_MAX) {
			assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), 0);
			assert_int_equal(n, 1);
			assert_string_equal(txt[0].data, "end");
		} else {
			assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_TOOBIG);
			assert_int_equal(n, 0);
		}
	}
	/* A loop is a chain too long. */
	off = 0;
	rr_cname(a, sizeof(a), &off, "a.jp", "b.jp");
	rr_cname(a, sizeof(a), &off, "b.jp", "a.jp");
	len = msg_build(m, 2, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_TOOBIG);
	/* Two different CNAMEs for one name. */
	off = 0;
	rr_cname(a, sizeof(a), &off, "a.jp", "b.jp");
	rr_cname(a, sizeof(a), &off, "a.jp", "c.jp");
	len = msg_build(m, 2, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_PROTOCOL);
	/* The same CNAME twice is harmless. */
	off = 0;
	rr_cname(a, sizeof(a), &off, "a.jp", "b.jp");
	rr_cname(a, sizeof(a), &off, "a.jp", "B.JP");
	rr_put(a, sizeof(a), &off, "b.jp", T_TXT, "\x01" "b", 2);
	len = msg_build(m, 3, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), 0);
	assert_int_equal(n, 1);
	/* A CNAME whose RDATA holds more than the name. */
	off = 0;
	rr_put(a, sizeof(a), &off, "a.jp", T_CNAME, "\x01" "b\x02jp\x00\x00", 7);
	len = msg_build(m, 1, a, off);
	assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_PROTOCOL);
	{
		/* Compression pointers: forward, to itself, and a chain of them. */
		static const uint8_t fwd[] = { 0xc0, 24, 0, 16, 0, 1, 0, 0, 0, 60, 0, 0, 0 };
		static const uint8_t self[] = { 0xc0, 22, 0, 16, 0, 1, 0, 0, 0, 60, 0, 0 };
		static const uint8_t hop[] = {
			0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'x',
			0xc0, 22, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'y',   /* same owner via 22 */
		};

		len = msg_build(m, 1, fwd, sizeof(fwd));
		assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_PROTOCOL);
		len = msg_build(m, 1, self, sizeof(self));
		assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), ERR_PROTOCOL);
		len = msg_build(m, 2, hop, sizeof(hop));
		assert_int_equal(resolver_reply_txt(m, len, txt, 4, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(txt[1].data, "y");
	}
}

/* ---- lookups against the test server ------------------------------------------------- */

static void
test_new_rejects(void **state)
{
	struct fx *f = *state;
	struct resolver *r = NULL;
	struct sockaddr_in sin = f->addr;
	struct sockaddr_in6 sin6;

	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 0, 1),
			 ERR_CONFIG);
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 100, 0),
			 ERR_CONFIG);
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 100,
				      RESOLVER_TRIES_MAX + 1), ERR_CONFIG);
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin) - 1, 100, 1),
			 ERR_CONFIG);
	sin.sin_port = 0;
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 100, 1),
			 ERR_CONFIG);
	sin = f->addr;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 100, 1),
			 ERR_CONFIG);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(53);
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin6, sizeof(sin6), 100, 1),
			 ERR_CONFIG);
	assert_null(r);
	assert_int_equal(resolver_new(&r, f->base, NULL, 0, 100, 1), ERR_CONFIG);
	resolver_free(NULL);
}

static void
test_addrs(void **state)
{
	struct fx *f = *state;
	struct res a = { 0 }, v6 = { 0 }, many = { 0 };

	START(f, resolver_addrs(f->r, "WWW.Example.AC.JP", addrs_cb, &a));
	START(f, resolver_addrs(f->r, "v6only.example.ac.jp", addrs_cb, &v6));
	START(f, resolver_addrs(f->r, "many.example.ac.jp", addrs_cb, &many));
	assert_int_equal(resolver_pending(f->r), 3);
	loop_until(f, &many.calls, 1, 3000);
	loop_until(f, &a.calls, 1, 3000);
	loop_until(f, &v6.calls, 1, 3000);

	assert_int_equal(a.calls, 1);
	assert_int_equal(a.during_start, 0);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.n, 3);
	assert_v4(&a.addrs[0], "192.0.2.10");
	assert_v4(&a.addrs[1], "192.0.2.11");
	assert_v6(&a.addrs[2], "2001:db8::10");

	assert_int_equal(v6.rc, 0);
	assert_int_equal(v6.n, 1);
	assert_v6(&v6.addrs[0], "2001:db8::6");

	/* 10 A + 1 AAAA: 8 A kept (half of the maximum), then the AAAA. */
	assert_int_equal(many.rc, 0);
	assert_int_equal(many.n, RESOLVER_MAX_ADDRS / 2 + 1);
	assert_v4(&many.addrs[0], "198.51.100.1");
	assert_v4(&many.addrs[7], "198.51.100.8");
	assert_v6(&many.addrs[8], "2001:db8::1");

	/* The query left lower-cased, exactly as named (no search suffix), once per type. */
	assert_int_equal(ts_count(&f->srv, "www.example.ac.jp", T_A), 1);
	assert_int_equal(ts_count(&f->srv, "www.example.ac.jp", T_AAAA), 1);
	assert_int_equal(f->srv.nlog, 6);
	assert_int_equal(f->srv.udp_queries, 6);
	assert_int_equal(f->srv.norecurse_queries, 0);
	assert_int_equal(f->srv.edns_queries, 6);
	assert_int_equal(resolver_pending(f->r), 0);
}

static void
test_addrs_none(void **state)
{
	struct fx *f = *state;
	struct res nx = { 0 }, none = { 0 }, sf = { 0 }, bad = { 0 };

	START(f, resolver_addrs(f->r, "missing.example.ac.jp", addrs_cb, &nx));
	START(f, resolver_addrs(f->r, "noaddr.example.ac.jp", addrs_cb, &none));
	START(f, resolver_addrs(f->r, "servfail.example.ac.jp", addrs_cb, &sf));
	START(f, resolver_addrs(f->r, "bada.example.ac.jp", addrs_cb, &bad));
	loop_until(f, &nx.calls, 1, 3000);
	loop_until(f, &none.calls, 1, 3000);
	loop_until(f, &sf.calls, 1, 3000);
	loop_until(f, &bad.calls, 1, 3000);
	assert_int_equal(nx.rc, ERR_NOTFOUND);
	assert_int_equal(nx.n, 0);
	assert_int_equal(none.rc, ERR_NOTFOUND);
	assert_int_equal(none.n, 0);
	assert_int_equal(sf.rc, ERR_AGAIN);
	assert_int_equal(bad.rc, ERR_PROTOCOL);
}

static void
test_txt(void **state)
{
	struct fx *f = *state;
	struct res t = { 0 }, nx = { 0 }, big = { 0 }, lng = { 0 };
	char a255[256];
	int i;

	START(f, resolver_txt(f->r, "_acme-challenge.www.example.ac.jp", txt_cb, &t));
	START(f, resolver_txt(f->r, "_acme-challenge.missing.example.ac.jp", txt_cb, &nx));
	START(f, resolver_txt(f->r, "big.example.ac.jp", txt_cb, &big));
	START(f, resolver_txt(f->r, "_acme-challenge.long.example.ac.jp", txt_cb, &lng));
	loop_until(f, &t.calls, 1, 3000);
	loop_until(f, &nx.calls, 1, 3000);
	loop_until(f, &big.calls, 1, 3000);
	loop_until(f, &lng.calls, 1, 3000);

	assert_int_equal(t.rc, 0);
	assert_int_equal(t.during_start, 0);
	assert_int_equal(t.n, 3);
	assert_non_null(t.txt);
	assert_int_equal(t.txt[0].len, 6);
	assert_string_equal(t.txt[0].data, "abcdef");
	assert_int_equal(t.txt[1].len, 43);
	assert_string_equal(t.txt[1].data, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
	memset(a255, 'a', 255);
	a255[255] = '\0';
	assert_int_equal(t.txt[2].len, 255 + 2 + 0 + 1);
	assert_memory_equal(t.txt[2].data, a255, 255);
	assert_string_equal(t.txt[2].data + 255, "bbc");

	assert_int_equal(nx.rc, ERR_NOTFOUND);
	assert_int_equal(nx.n, 0);

	/* Truncated over UDP, then complete over TCP. */
	assert_int_equal(big.rc, 0);
	assert_int_equal(big.n, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(big.txt[i].len, 200);
		assert_int_equal(big.txt[i].data[0], '0' + i);
		assert_int_equal(big.txt[i].data[199], 'x');
	}
	assert_int_equal(ts_count(&f->srv, "big.example.ac.jp", T_TXT), 2);
	assert_true(f->srv.truncated >= 1);
	assert_true(f->srv.tcp_queries >= 1);

	assert_int_equal(lng.rc, ERR_TOOBIG);
	assert_int_equal(lng.n, 0);
	res_clear(&t);
	res_clear(&big);
}

/* Answers of any size: 16 KiB over TCP are read whole; more records than the limit are refused. */
static void
test_txt_large(void **state)
{
	struct fx *f = *state;
	struct res huge = { 0 }, over = { 0 };
	int i;

	START(f, resolver_txt(f->r, "huge.example.ac.jp", txt_cb, &huge));
	START(f, resolver_txt(f->r, "over.example.ac.jp", txt_cb, &over));
	loop_until(f, &huge.calls, 1, 5000);
	loop_until(f, &over.calls, 1, 5000);
	assert_int_equal(huge.rc, 0);
	assert_int_equal(huge.n, RESOLVER_MAX_TXT);
	for (i = 0; i < RESOLVER_MAX_TXT; i++) {
		assert_int_equal(huge.txt[i].len, 1000);
		assert_int_equal(huge.txt[i].data[0], 'A' + i);
		assert_int_equal(huge.txt[i].data[999], 'z');
	}
	assert_int_equal(over.rc, ERR_TOOBIG);
	assert_int_equal(over.n, 0);
	/* Both truncated over UDP and asked again over TCP. */
	assert_int_equal(ts_count(&f->srv, "huge.example.ac.jp", T_TXT), 2);
	assert_int_equal(ts_count(&f->srv, "over.example.ac.jp", T_TXT), 2);
	assert_true(f->srv.tcp_queries >= 2);
	res_clear(&huge);
	res_clear(&over);
}

static void
test_caa(void **state)
{
	struct fx *f = *state;
	struct res c = { 0 }, alias = { 0 };
	struct res *set[2] = { &c, &alias };
	int k;

	START(f, resolver_caa(f->r, "example.ac.jp", caa_cb, &c));
	START(f, resolver_caa(f->r, "alias.example.ac.jp", caa_cb, &alias));
	loop_until(f, &c.calls, 1, 3000);
	loop_until(f, &alias.calls, 1, 3000);
	/* The CNAME is skipped; the target's RRset comes back. */
	for (k = 0; k < 2; k++) {
		struct res *r = set[k];

		assert_int_equal(r->calls, 1);
		assert_int_equal(r->during_start, 0);
		assert_int_equal(r->rc, 0);
		assert_int_equal(r->n, 5);
		assert_non_null(r->caa);
		assert_caa(&r->caa[0], 0, "issue", "secomtrust.net");
		assert_caa(&r->caa[1], 0, "issue",
			   "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1234567");
		assert_caa(&r->caa[2], 128, "tbsunknown", "x");
		assert_true(r->caa[2].flags & 0x80);
		assert_caa(&r->caa[3], 0, "iodef", "mailto:security@example.ac.jp");
		assert_caa(&r->caa[4], 0, "issuewild", "");
	}
	assert_int_equal(ts_count(&f->srv, "example.ac.jp", T_CAA), 1);
	assert_int_equal(ts_count(&f->srv, "alias.example.ac.jp", T_CAA), 1);
	res_clear(&c);
	res_clear(&alias);
}

/* The three outcomes CAA processing tells apart, and the failures. */
static void
test_caa_outcomes(void **state)
{
	struct fx *f = *state;
	struct res empty = { 0 }, nx = { 0 }, sf = { 0 }, ref = { 0 }, many = { 0 }, max = { 0 },
		   big = { 0 }, bad = { 0 };

	START(f, resolver_caa(f->r, "empty.example.ac.jp", caa_cb, &empty));
	START(f, resolver_caa(f->r, "missing.example.ac.jp", caa_cb, &nx));
	START(f, resolver_caa(f->r, "servfail.example.ac.jp", caa_cb, &sf));
	START(f, resolver_caa(f->r, "refused.example.ac.jp", caa_cb, &ref));
	START(f, resolver_caa(f->r, "toomany.example.ac.jp", caa_cb, &many));
	START(f, resolver_caa(f->r, "maxvalue.example.ac.jp", caa_cb, &max));
	START(f, resolver_caa(f->r, "bigvalue.example.ac.jp", caa_cb, &big));
	START(f, resolver_caa(f->r, "badcaa.example.ac.jp", caa_cb, &bad));
	loop_until(f, &empty.calls, 1, 3000);
	loop_until(f, &nx.calls, 1, 3000);
	loop_until(f, &sf.calls, 1, 3000);
	loop_until(f, &ref.calls, 1, 3000);
	loop_until(f, &many.calls, 1, 3000);
	loop_until(f, &max.calls, 1, 3000);
	loop_until(f, &big.calls, 1, 3000);
	loop_until(f, &bad.calls, 1, 3000);

	assert_int_equal(empty.rc, 0);
	assert_int_equal(empty.n, 0);
	assert_int_equal(nx.rc, ERR_NOTFOUND);
	assert_int_equal(nx.n, 0);
	assert_int_equal(sf.rc, ERR_AGAIN);
	assert_int_equal(sf.n, 0);
	assert_int_equal(ref.rc, ERR_AGAIN);
	assert_int_equal(many.rc, ERR_TOOBIG);
	assert_int_equal(many.n, 0);
	assert_int_equal(max.rc, 0);
	assert_int_equal(max.n, 1);
	assert_int_equal(max.caa[0].value_len, RESOLVER_CAA_VALUE_MAX);
	assert_int_equal(max.caa[0].value[RESOLVER_CAA_VALUE_MAX - 1], 'v');
	assert_int_equal(max.caa[0].value[RESOLVER_CAA_VALUE_MAX], '\0');
	assert_int_equal(big.rc, ERR_TOOBIG);
	assert_int_equal(bad.rc, ERR_PROTOCOL);
	/* SERVFAIL is final: one query, no retry that could turn it into something else. */
	assert_int_equal(ts_count(&f->srv, "servfail.example.ac.jp", T_CAA), 1);
	/* Each name was asked by its own query, once. */
	assert_int_equal(ts_count(&f->srv, "empty.example.ac.jp", T_CAA), 1);
	assert_int_equal(ts_count(&f->srv, "toomany.example.ac.jp", T_CAA), 1);
	assert_int_equal(f->srv.nlog, 8);
	res_clear(&max);
}

static void
test_timeout(void **state)
{
	struct fx *f = *state;
	struct resolver *r1 = NULL, *r2 = NULL;
	struct res a = { 0 }, b = { 0 }, ok = { 0 };
	uint64_t t0, dt;

	assert_int_equal(resolver_new(&r1, f->base, (struct sockaddr *)&f->addr, sizeof(f->addr),
				      300, 1), 0);
	assert_int_equal(resolver_new(&r2, f->base, (struct sockaddr *)&f->addr, sizeof(f->addr),
				      100, 2), 0);
	t0 = now_ms();
	START(f, resolver_caa(r1, "silent.example.ac.jp", caa_cb, &a));
	START(f, resolver_txt(r2, "silent.example.ac.jp", txt_cb, &b));
	/* An answered query on the same resolver is not held up by the silent one. */
	START(f, resolver_caa(r1, "example.ac.jp", caa_cb, &ok));
	loop_until(f, &ok.calls, 1, 3000);
	assert_int_equal(ok.rc, 0);
	assert_int_equal(ok.n, 5);
	assert_int_equal(a.calls, 0);
	loop_until(f, &a.calls, 1, 3000);
	dt = now_ms() - t0;
	loop_until(f, &b.calls, 1, 3000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rc, ERR_TIMEOUT);
	assert_int_equal(a.n, 0);
	if (dt < 250 || dt > 1500)
		fail_msg("300 ms x 1 try timed out after %llu ms", (unsigned long long)dt);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.rc, ERR_TIMEOUT);
	assert_int_equal(ts_count(&f->srv, "silent.example.ac.jp", T_CAA), 1);
	assert_int_equal(ts_count(&f->srv, "silent.example.ac.jp", T_TXT), 2);
	resolver_free(r1);
	resolver_free(r2);
	res_clear(&ok);
}

/* A server address where nothing listens: clean failure, no packet elsewhere. */
static void
test_dead_server(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in dead = f->addr;
	struct sockaddr_in silent_addr;
	struct resolver *r = NULL, *r2 = NULL;
	struct res a = { 0 }, b = { 0 };
	socklen_t sl = sizeof(silent_addr);
	int fd, sfd;

	/* A port that was free a moment ago. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	dead.sin_port = 0;
	assert_int_equal(bind(fd, (struct sockaddr *)&dead, sizeof(dead)), 0);
	sl = sizeof(dead);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&dead, &sl), 0);
	close(fd);
	/* A bound socket that never reads: the plain timeout path. */
	sfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(sfd >= 0);
	silent_addr = f->addr;
	silent_addr.sin_port = 0;
	assert_int_equal(bind(sfd, (struct sockaddr *)&silent_addr, sizeof(silent_addr)), 0);
	sl = sizeof(silent_addr);
	assert_int_equal(getsockname(sfd, (struct sockaddr *)&silent_addr, &sl), 0);

	memcpy(&spy.allowed, &dead, sizeof(dead));
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&dead, sizeof(dead), 200, 2), 0);
	START(f, resolver_caa(r, "example.ac.jp", caa_cb, &a));
	loop_until(f, &a.calls, 1, 3000);
	assert_int_equal(a.calls, 1);
	assert_true(a.rc == -ECONNREFUSED || a.rc == ERR_TIMEOUT);
	resolver_free(r);

	memcpy(&spy.allowed, &silent_addr, sizeof(silent_addr));
	assert_int_equal(resolver_new(&r2, f->base, (struct sockaddr *)&silent_addr,
				      sizeof(silent_addr), 200, 1), 0);
	START(f, resolver_addrs(r2, "www.example.ac.jp", addrs_cb, &b));
	loop_until(f, &b.calls, 1, 3000);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.rc, ERR_TIMEOUT);
	assert_int_equal(b.n, 0);
	resolver_free(r2);
	close(sfd);
	/* Our own server heard nothing. */
	assert_int_equal(f->srv.nlog, 0);
	assert_int_equal(spy.bad_connects, 0);
}

static void
test_bad_name(void **state)
{
	struct fx *f = *state;
	struct res a = { 0 };

	assert_int_equal(resolver_caa(f->r, "bad..example.ac.jp", caa_cb, &a), ERR_MALFORMED);
	assert_int_equal(resolver_txt(f->r, "_acme-challenge.example.ac.jp.", txt_cb, &a),
			 ERR_MALFORMED);
	assert_int_equal(resolver_addrs(f->r, "*.example.ac.jp", addrs_cb, &a), ERR_MALFORMED);
	assert_int_equal(resolver_addrs(f->r, NULL, addrs_cb, &a), ERR_MALFORMED);
	assert_int_equal(resolver_caa(f->r, "example.ac.jp", NULL, &a), ERR_STATE);
	assert_int_equal(resolver_pending(f->r), 0);
	loop_until(f, NULL, 0, 100);
	assert_int_equal(a.calls, 0);
	assert_int_equal(f->srv.nlog, 0);
}

static void
test_pending_limit_and_free(void **state)
{
	struct fx *f = *state;
	struct res *rs = calloc(RESOLVER_MAX_PENDING + 1, sizeof(*rs));
	int i, calls = 0;

	assert_non_null(rs);
	for (i = 0; i < RESOLVER_MAX_PENDING; i++)
		START(f, resolver_caa(f->r, "silent.example.ac.jp", caa_cb, &rs[i]));
	assert_int_equal(resolver_pending(f->r), RESOLVER_MAX_PENDING);
	assert_int_equal(resolver_caa(f->r, "example.ac.jp", caa_cb, &rs[i]), ERR_TOOBIG);
	assert_int_equal(resolver_addrs(f->r, "example.ac.jp", addrs_cb, &rs[i]), ERR_TOOBIG);
	loop_until(f, NULL, 0, 200);
	/* Freed with 256 queries in flight: none of them calls back, ever. */
	resolver_free(f->r);
	f->r = NULL;
	loop_until(f, NULL, 0, 300);
	for (i = 0; i <= RESOLVER_MAX_PENDING; i++)
		calls += rs[i].calls;
	assert_int_equal(calls, 0);
	assert_int_equal(ts_count(&f->srv, "silent.example.ac.jp", T_CAA), RESOLVER_MAX_PENDING);
	free(rs);
}

/* resolver_free() from inside a callback: no further callback, no use after free. */
static void
test_free_in_callback(void **state)
{
	struct fx *f = *state;
	struct res a = { 0 }, b = { 0 }, c = { 0 };

	a.free_me = b.free_me = c.free_me = &f->r;
	START(f, resolver_caa(f->r, "example.ac.jp", caa_cb, &a));
	START(f, resolver_addrs(f->r, "www.example.ac.jp", addrs_cb, &b));
	START(f, resolver_txt(f->r, "_acme-challenge.www.example.ac.jp", txt_cb, &c));
	loop_until(f, NULL, 0, 500);
	assert_null(f->r);
	assert_int_equal(a.calls + b.calls + c.calls, 1);
	res_clear(&a);
	res_clear(&c);
}

/* A callback may start the next query (the CAA module climbs this way). */
static void
test_chain_in_callback(void **state)
{
	struct fx *f = *state;
	struct res a = { 0 }, b = { 0 };

	a.chain = f;
	a.chain_res = &b;
	START(f, resolver_caa(f->r, "example.ac.jp", caa_cb, &a));
	loop_until(f, &b.calls, 1, 3000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.rc, 0);     /* www has A records, no CAA */
	assert_int_equal(b.n, 0);
	res_clear(&a);
}

/*
 * c-ares fails a query inside ares_query() when it cannot open a socket; the
 * callback must still come later, from the loop.
 */
static void
test_sync_failure_deferred(void **state)
{
	struct fx *f = *state;
	struct resolver *r = NULL;
	struct res a = { 0 }, b = { 0 };
	struct rlimit old, low;
	int fd;

	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&f->addr, sizeof(f->addr), 200,
				      2), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;   /* the next socket() gets EMFILE */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	f->in_start = 1;
	fd = resolver_caa(r, "example.ac.jp", caa_cb, &a);
	f->in_start = 0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(fd, 0);
	assert_int_equal(a.calls, 0);
	loop_until(f, &a.calls, 1, 1000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.during_start, 0);
	assert_true(a.rc < 0);
	/* The resolver still works once sockets can be had again. */
	START(f, resolver_caa(r, "example.ac.jp", caa_cb, &b));
	loop_until(f, &b.calls, 1, 3000);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.n, 5);
	res_clear(&b);
	/* Deferred but not yet delivered when freed: dropped silently. */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	memset(&a, 0, sizeof(a));
	fd = resolver_caa(f->r, "example.ac.jp", caa_cb, &a);   /* f->r has no socket yet */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(fd, 0);
	resolver_free(f->r);
	f->r = NULL;
	loop_until(f, NULL, 0, 100);
	assert_int_equal(a.calls, 0);
	resolver_free(r);
}

/* ---- optional: pebble-challtestsrv, as the integration tests will use it ---------- */

static int
find_in_path(const char *prog, char *out, size_t cap)
{
	const char *path = getenv("PATH");
	const char *p = path != NULL ? path : "/usr/bin:/bin";

	while (*p != '\0') {
		const char *c = strchr(p, ':');
		size_t l = c != NULL ? (size_t)(c - p) : strlen(p);

		if (l > 0 && l + strlen(prog) + 2 < cap) {
			snprintf(out, cap, "%.*s/%s", (int)l, p, prog);
			if (access(out, X_OK) == 0)
				return 0;
		}
		p += l;
		if (*p == ':')
			p++;
	}
	return -1;
}

static uint16_t
free_port(int type)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);
	uint16_t port = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* POST body to the management API; returns the HTTP status or -1. */
static int
mgmt_post(uint16_t port, const char *path, const char *body)
{
	struct sockaddr_in sin;
	struct timeval tv = { 2, 0 };
	char req[1024], resp[256];
	int fd, n, status = -1;
	size_t got = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		goto out;
	n = snprintf(req, sizeof(req),
		     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     path, strlen(body), body);
	if (n <= 0 || (size_t)n >= sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		goto out;
	while (got < sizeof(resp) - 1) {
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
out:
	close(fd);
	return status;
}

static void
test_pebble_challtestsrv(void **state)
{
	struct fx *f = *state;
	char prog[512], dns[32], mgmt[32];
	uint16_t dport, mport;
	struct sockaddr_in sin;
	struct resolver *r = NULL;
	struct res a = { 0 }, t = { 0 }, c = { 0 };
	pid_t pid;
	int i, st = -1, status;

	if (find_in_path("pebble-challtestsrv", prog, sizeof(prog)) != 0) {
		print_message("pebble-challtestsrv not installed: skipped\n");
		skip();
		return;
	}
	spy.watch = 0;
	dport = free_port(SOCK_DGRAM);
	mport = free_port(SOCK_STREAM);
	assert_true(dport != 0 && mport != 0);
	snprintf(dns, sizeof(dns), "127.0.0.1:%u", dport);
	snprintf(mgmt, sizeof(mgmt), "127.0.0.1:%u", mport);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (nul >= 0) {
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execl(prog, prog, "-defaultIPv6", "", "-defaultIPv4", "127.0.0.1", "-dns01", dns,
		      "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", mgmt,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		st = mgmt_post(mport, "/set-txt",
			       "{\"host\":\"_acme-challenge.pebble.example.ac.jp.\",\"value\":\"tok-123\"}");
		if (st == 200)
			break;
		usleep(50000);
	}
	if (st == 200)
		st = mgmt_post(mport, "/add-caa",
			       "{\"host\":\"pebble.example.ac.jp.\",\"policies\":"
			       "[{\"tag\":\"issue\",\"value\":\"secomtrust.net\"}]}");
	if (st != 200) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		fail_msg("pebble-challtestsrv management API answered %d", st);
	}

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(dport);
	memcpy(&spy.allowed, &sin, sizeof(sin));
	spy.watch = 1;
	assert_int_equal(resolver_new(&r, f->base, (struct sockaddr *)&sin, sizeof(sin), 1000, 2), 0);
	START(f, resolver_addrs(r, "pebble.example.ac.jp", addrs_cb, &a));
	START(f, resolver_txt(r, "_acme-challenge.pebble.example.ac.jp", txt_cb, &t));
	START(f, resolver_caa(r, "pebble.example.ac.jp", caa_cb, &c));
	loop_until(f, &a.calls, 1, 5000);
	loop_until(f, &t.calls, 1, 5000);
	loop_until(f, &c.calls, 1, 5000);
	resolver_free(r);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);

	assert_int_equal(a.rc, 0);
	assert_int_equal(a.n, 1);
	assert_v4(&a.addrs[0], "127.0.0.1");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.txt[0].data, "tok-123");
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.n, 1);
	assert_caa(&c.caa[0], 0, "issue", "secomtrust.net");
	res_clear(&t);
	res_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_norm),
		cmocka_unit_test(test_server_parse),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_reply_owner),
		cmocka_unit_test_setup_teardown(test_new_rejects, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_addrs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_addrs_none, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_txt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_txt_large, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caa, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_caa_outcomes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dead_server, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pending_limit_and_free, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_in_callback, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_chain_in_callback, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_failure_deferred, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pebble_challtestsrv, fx_setup, fx_teardown),
	};
	FILE *fp;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	/* Hostile resolver environment: none of it may have any effect. */
	setenv("LOCALDOMAIN", "evil.invalid", 1);
	setenv("RES_OPTIONS", "ndots:9 retrans:1 retry:9 rotate", 1);
	fp = fopen("/tmp/upki-resolver-hostaliases", "w");
	if (fp != NULL) {
		fputs("www evil.invalid\n", fp);
		fclose(fp);
	}
	setenv("HOSTALIASES", "/tmp/upki-resolver-hostaliases", 1);
	log_set_level(PLOG_ERR);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink("/tmp/upki-resolver-hostaliases");
	return rc;
}
