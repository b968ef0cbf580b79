/*
 * validate/netfilter: the address filter every validation method calls before
 * it connects (validate_addr_check), and the CIDR lists of the config
 * (config_parse_nets). Table-driven: each row is an address and port, the
 * configuration it is checked under, and the expected answer.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "util/config.h"
#include "util/err.h"
#include "validate/validate_int.h"

/* A validator whose filter is set up from these config lines (NULL: default). */
static void
fx_validator(struct validator *v, struct config *cfg, const char *deny, const char *allow,
    const char *listen)
{
	char err[256];

	config_defaults(cfg);
	if (deny != NULL)
		assert_int_equal(config_set(cfg, "validation_deny_nets", deny, err, sizeof(err)), 0);
	if (allow != NULL)
		assert_int_equal(config_set(cfg, "validation_allow_nets", allow, err, sizeof(err)), 0);
	if (listen != NULL)
		assert_int_equal(config_set(cfg, "listen", listen, err, sizeof(err)), 0);
	memset(v, 0, sizeof(*v));
	netfilter_setup(v, cfg);
}

static socklen_t
fx_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		return sizeof(*in4);
	}
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((unsigned short)port);
	return sizeof(*in6);
}

struct row {
	const char *ip;
	int port;
	const char *deny, *allow, *listen;
	int want;            /* 0 or ERR_DENIED */
	const char *why;     /* substring of the reason when denied */
};

static const struct row rows[] = {
	/* the built-in nets */
	{ "169.254.169.254", 80, NULL, NULL, NULL, ERR_DENIED, "169.254.0.0/16 (link-local)" },
	{ "127.0.0.1", 80, NULL, NULL, NULL, ERR_DENIED, "127.0.0.0/8 (loopback)" },
	{ "127.255.255.254", 80, NULL, NULL, NULL, ERR_DENIED, "loopback" },
	{ "0.0.0.0", 80, NULL, NULL, NULL, ERR_DENIED, "0.0.0.0/8" },
	{ "0.1.2.3", 80, NULL, NULL, NULL, ERR_DENIED, "0.0.0.0/8" },
	{ "224.0.0.1", 80, NULL, NULL, NULL, ERR_DENIED, "multicast" },
	{ "239.255.255.250", 80, NULL, NULL, NULL, ERR_DENIED, "multicast" },
	{ "255.255.255.255", 80, NULL, NULL, NULL, ERR_DENIED, "broadcast" },
	{ "::1", 80, NULL, NULL, NULL, ERR_DENIED, "::1/128 (loopback)" },
	{ "::", 80, NULL, NULL, NULL, ERR_DENIED, "::/128 (unspecified)" },
	{ "::7f00:1", 80, NULL, NULL, NULL, ERR_DENIED, "IPv4-compatible" },
	{ "fe80::1", 80, NULL, NULL, NULL, ERR_DENIED, "fe80::/10 (link-local)" },
	{ "febf:ffff::1", 80, NULL, NULL, NULL, ERR_DENIED, "link-local" },
	{ "ff02::1", 80, NULL, NULL, NULL, ERR_DENIED, "multicast" },
	/* IPv4-mapped forms are the IPv4 address */
	{ "::ffff:127.0.0.1", 80, NULL, NULL, NULL, ERR_DENIED, "127.0.0.1 is in the denied net 127.0.0.0/8" },
	{ "::ffff:169.254.169.254", 80, NULL, NULL, NULL, ERR_DENIED, "link-local" },
	{ "::ffff:0.0.0.0", 80, NULL, NULL, NULL, ERR_DENIED, "0.0.0.0/8" },
	{ "::ffff:192.0.2.7", 80, NULL, NULL, NULL, 0, NULL },
	/* neighbours of the built-in nets are fine */
	{ "169.253.255.255", 80, NULL, NULL, NULL, 0, NULL },
	{ "169.255.0.0", 80, NULL, NULL, NULL, 0, NULL },
	{ "128.0.0.1", 80, NULL, NULL, NULL, 0, NULL },
	{ "1.0.0.0", 80, NULL, NULL, NULL, 0, NULL },
	{ "223.255.255.255", 80, NULL, NULL, NULL, 0, NULL },
	{ "fec0::1", 80, NULL, NULL, NULL, 0, NULL },
	{ "::2:0:0:1", 80, NULL, NULL, NULL, 0, NULL },
	{ "192.0.2.1", 80, NULL, NULL, NULL, 0, NULL },
	{ "2001:db8::1", 443, NULL, NULL, NULL, 0, NULL },
	/* configured deny, prefix boundaries, allow over deny */
	{ "10.1.2.3", 80, "10.0.0.0/8", NULL, NULL, ERR_DENIED, "10.0.0.0/8 (validation_deny_nets)" },
	{ "11.0.0.1", 80, "10.0.0.0/8", NULL, NULL, 0, NULL },
	{ "10.128.0.0", 80, "10.128.0.0/9", NULL, NULL, ERR_DENIED, "10.128.0.0/9" },
	{ "10.127.255.255", 80, "10.128.0.0/9", NULL, NULL, 0, NULL },
	{ "10.5.1.1", 80, "10.0.0.0/8", "10.5.0.0/16", NULL, 0, NULL },
	{ "10.6.1.1", 80, "10.0.0.0/8", "10.5.0.0/16", NULL, ERR_DENIED, "10.0.0.0/8" },
	{ "::ffff:10.1.2.3", 80, "10.0.0.0/8", NULL, NULL, ERR_DENIED, "10.0.0.0/8" },
	{ "10.1.2.3", 80, "::ffff:10.0.0.0/104", NULL, NULL, ERR_DENIED, "10.0.0.0/8" },
	{ "2001:db8:1::5", 80, "2001:db8::/32", NULL, NULL, ERR_DENIED, "2001:db8::/32" },
	{ "2001:db9::5", 80, "2001:db8::/32", NULL, NULL, 0, NULL },
	{ "192.0.2.9", 80, "192.0.2.9", NULL, NULL, ERR_DENIED, "192.0.2.9/32" },
	{ "192.0.2.8", 80, "192.0.2.9", NULL, NULL, 0, NULL },
	{ "203.0.113.1", 80, "0.0.0.0/0", NULL, NULL, ERR_DENIED, "0.0.0.0/0" },
	{ "2001:db8::1", 80, "0.0.0.0/0", NULL, NULL, 0, NULL },
	/* allow opens built-in nets */
	{ "127.0.0.1", 80, NULL, "127.0.0.0/8", NULL, 0, NULL },
	{ "::ffff:127.0.0.1", 80, NULL, "127.0.0.0/8", NULL, 0, NULL },
	{ "::1", 80, NULL, "127.0.0.0/8", NULL, ERR_DENIED, "loopback" },
	{ "::1", 80, NULL, "::1", NULL, 0, NULL },
	{ "169.254.169.254", 80, NULL, "127.0.0.0/8", NULL, ERR_DENIED, "link-local" },
	/* ... but never the gateway's own listeners (address and port) */
	{ "127.0.0.1", 14000, NULL, "127.0.0.0/8", "127.0.0.1:14000", ERR_DENIED, "own listeners" },
	{ "::ffff:127.0.0.1", 14000, NULL, "127.0.0.0/8", "127.0.0.1:14000", ERR_DENIED, "own listeners" },
	{ "127.0.0.1", 14001, NULL, "127.0.0.0/8", "127.0.0.1:14000", 0, NULL },
	{ "127.0.0.2", 14000, NULL, "127.0.0.0/8", "127.0.0.1:14000", 0, NULL },
	{ "192.0.2.1", 443, NULL, "0.0.0.0/0", "192.0.2.1:443", ERR_DENIED, "192.0.2.1 port 443" },
	{ "192.0.2.1", 443, NULL, "0.0.0.0/0", "127.0.0.1:80, 192.0.2.1:443", ERR_DENIED, "own" },
	{ "2001:db8::1", 443, NULL, NULL, "[2001:db8::1]:443", ERR_DENIED, "own listeners" },
	/* wildcard listeners: every local address on that port */
	{ "127.0.0.2", 443, NULL, "127.0.0.0/8", "0.0.0.0:443", ERR_DENIED, "own listeners" },
	{ "127.0.0.2", 80, NULL, "127.0.0.0/8", "0.0.0.0:443", 0, NULL },
	{ "::1", 443, NULL, "::1", "[::]:443", ERR_DENIED, "own listeners" },
	{ "::ffff:127.0.0.9", 443, NULL, "127.0.0.0/8", "[::]:443", ERR_DENIED, "own listeners" },
	{ "192.0.2.1", 443, NULL, NULL, "0.0.0.0:443", 0, NULL },   /* not an address of this host */
};

static void
test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct validator v;
		struct config cfg;
		struct sockaddr_storage ss;
		socklen_t sl;
		char why[200] = "";
		int rc;

		fx_validator(&v, &cfg, r->deny, r->allow, r->listen);
		sl = fx_addr(&ss, r->ip, r->port);
		rc = validate_addr_check(&v, (const struct sockaddr *)&ss, sl, why, sizeof(why));
		if (rc != r->want || (r->why != NULL && strstr(why, r->why) == NULL)) {
			print_error("row %zu: %s port %d (deny %s, allow %s, listen %s): got %d '%s', "
			    "want %d '%s'\n", i, r->ip, r->port, r->deny ? r->deny : "-",
			    r->allow ? r->allow : "-", r->listen ? r->listen : "-", rc, why, r->want,
			    r->why ? r->why : "");
			fail();
		}
	}
}

/* A non-loopback address of this host behind a 0.0.0.0 listener is the gateway too. */
static void
test_wildcard_listener_local_address(void **state)
{
	struct ifaddrs *ifa = NULL;
	struct sockaddr_storage ss;
	struct validator v;
	struct config cfg;
	char why[200];
	int found = 0;

	(void)state;
	assert_int_equal(getifaddrs(&ifa), 0);
	for (struct ifaddrs *i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		memcpy(&ss, i->ifa_addr, sizeof(struct sockaddr_in));
		if ((ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127)
			continue;
		found = 1;
	}
	freeifaddrs(ifa);
	if (!found)
		skip();
	fx_validator(&v, &cfg, NULL, "0.0.0.0/0", "0.0.0.0:443");
	((struct sockaddr_in *)&ss)->sin_port = htons(443);
	assert_int_equal(validate_addr_check(&v, (const struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), why, sizeof(why)), ERR_DENIED);
	assert_non_null(strstr(why, "own listeners"));
	((struct sockaddr_in *)&ss)->sin_port = htons(80);
	assert_int_equal(validate_addr_check(&v, (const struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), why, sizeof(why)), 0);
}

static void
test_builtin_nets_parse(void **state)
{
	struct validator v;
	struct config cfg;

	(void)state;
	fx_validator(&v, &cfg, NULL, NULL, NULL);
	assert_int_equal(v.builtin_nets.n, 10);
	for (int i = 0; i < v.builtin_nets.n; i++)
		assert_int_not_equal(v.builtin_nets.v[i].family, 0);
}

static void
test_not_inet(void **state)
{
	struct validator v;
	struct config cfg;
	struct sockaddr_un un;
	char why[100];

	(void)state;
	fx_validator(&v, &cfg, NULL, NULL, NULL);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	assert_int_equal(validate_addr_check(&v, (const struct sockaddr *)&un, sizeof(un), why,
	    sizeof(why)), ERR_UNSUPPORTED);
	/* A truncated sockaddr is not read past its length. */
	struct sockaddr_storage ss;
	fx_addr(&ss, "192.0.2.1", 80);
	assert_int_equal(validate_addr_check(&v, (const struct sockaddr *)&ss, 4, why, sizeof(why)),
	    ERR_UNSUPPORTED);
}

static void
test_parse_nets(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int n;
		const char *why;
	} t[] = {
		{ "", 0, 0, NULL },
		{ "10.0.0.0/8", 0, 1, NULL },
		{ "10.0.0.0/8, 192.168.0.0/16 2001:db8::/32", 0, 3, NULL },
		{ "192.0.2.1", 0, 1, NULL },
		{ "10.0.0.1/8", ERR_MALFORMED, 0, "bits set past its prefix" },
		{ "2001:db8::1/32", ERR_MALFORMED, 0, "bits set past its prefix" },
		{ "300.0.0.0/8", ERR_MALFORMED, 0, "not a numeric network" },
		{ "10.0.0.0/33", ERR_MALFORMED, 0, "not a numeric network" },
		{ "::/129", ERR_MALFORMED, 0, "not a numeric network" },
		{ "10.0.0.0/", ERR_MALFORMED, 0, "not a numeric network" },
		{ "10.0.0.0/8x", ERR_MALFORMED, 0, "not a numeric network" },
		{ "10.0.0.0/-1", ERR_MALFORMED, 0, "not a numeric network" },
		{ "10.0.0.0/+8", ERR_MALFORMED, 0, "not a numeric network" },
		{ "/8", ERR_MALFORMED, 0, "not a numeric network" },
		{ "example.ac.jp/24", ERR_MALFORMED, 0, "not a numeric network" },
		{ "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8,7.0.0.0/8,8.0.0.0/8,"
		  "9.0.0.0/8,10.0.0.0/8,11.0.0.0/8,12.0.0.0/8,13.0.0.0/8,14.0.0.0/8,15.0.0.0/8,"
		  "16.0.0.0/8", 0, 16, NULL },
		{ "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8,7.0.0.0/8,8.0.0.0/8,"
		  "9.0.0.0/8,10.0.0.0/8,11.0.0.0/8,12.0.0.0/8,13.0.0.0/8,14.0.0.0/8,15.0.0.0/8,"
		  "16.0.0.0/8,17.0.0.0/8", ERR_TOOBIG, 0, "at most 16" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct config_nets nets;
		char why[200] = "";
		int rc = config_parse_nets(&nets, t[i].in, why, sizeof(why));

		if (rc != t[i].rc || (rc == 0 && nets.n != t[i].n) ||
		    (t[i].why != NULL && strstr(why, t[i].why) == NULL)) {
			print_error("'%s': got %d n=%d '%s'\n", t[i].in, rc, rc == 0 ? nets.n : -1, why);
			fail();
		}
	}
	/* A mapped net is stored as IPv4; a bad list keeps the old value. */
	struct config cfg;
	char err[200];
	config_defaults(&cfg);
	assert_int_equal(config_set(&cfg, "validation_deny_nets", "::ffff:10.0.0.0/104", err,
	    sizeof(err)), 0);
	assert_int_equal(cfg.validation_deny_nets.n, 1);
	assert_int_equal(cfg.validation_deny_nets.v[0].family, AF_INET);
	assert_int_equal(cfg.validation_deny_nets.v[0].prefix, 8);
	assert_int_equal(config_set(&cfg, "validation_deny_nets", "10.0.0.0/8, junk", err,
	    sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "'junk'"));
	assert_non_null(strstr(err, "validation_deny_nets"));
	assert_int_equal(cfg.validation_deny_nets.n, 1);
	/* Duplicate keys are refused like every other key. */
	const char *two = "validation_allow_nets = 127.0.0.0/8\nvalidation_allow_nets = ::1\n";
	config_defaults(&cfg);
	assert_int_equal(config_parse_buf(&cfg, "t.conf", two, strlen(two), err, sizeof(err)),
	    ERR_CONFIG);
	assert_non_null(strstr(err, "t.conf:2: 'validation_allow_nets' set twice"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_wildcard_listener_local_address),
		cmocka_unit_test(test_builtin_nets_parse),
		cmocka_unit_test(test_not_inet),
		cmocka_unit_test(test_parse_nets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
