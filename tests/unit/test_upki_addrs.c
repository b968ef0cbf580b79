/*
 * upki_url by host name, the pure parts: the endpoint read from the config
 * (a name needs `resolver` unless upki_connect is set; the name stays the TLS
 * server name), the kept DNS answer (port set, kept a bounded time, each
 * address tried once per operation, then forgotten), and the log texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "upki/addrs.h"
#include "upki/backend.h"
#include "upki/session.h"
#include "util/config.h"
#include "util/err.h"

static void
v4(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
}

static void
v6(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
}

static void
test_endpoint_by_name(void **state)
{
	struct config cfg;
	struct upki_endpoint ep;
	char err[512];

	(void)state;
	config_defaults(&cfg);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://upki.example.ac.jp:8443/upki-odcert/");
	/* no resolver, no upki_connect: a clear config error naming both ways out */
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "upki.example.ac.jp"));
	assert_non_null(strstr(err, "resolver"));
	assert_non_null(strstr(err, "upki_connect"));
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "resolver"));

	assert_int_equal(config_set(&cfg, "resolver", "127.0.0.1:5353", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ep.by_name, 1);
	assert_int_equal(ep.port, 8443);
	assert_string_equal(ep.sni, "upki.example.ac.jp");
	assert_string_equal(ep.host, "upki.example.ac.jp:8443");
	assert_string_equal(ep.base, "/upki-odcert");
	assert_string_equal(ep.dns_text, "127.0.0.1:5353");
	assert_int_equal(ep.dns.ss_family, AF_INET);
	assert_non_null(strstr(ep.addr_text, "upki.example.ac.jp:8443"));

	/* the default port */
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://upki.example.ac.jp/upki-odcert");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ep.port, 443);
	assert_string_equal(ep.host, "upki.example.ac.jp");

	/* upki_connect overrides: no lookup, the name is still the server name */
	assert_int_equal(config_set(&cfg, "upki_connect", "192.0.2.7:9443", err, sizeof(err)), 0);
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ep.by_name, 0);
	assert_string_equal(ep.sni, "upki.example.ac.jp");
	assert_string_equal(ep.addr_text, "192.0.2.7:9443");
	cfg.has_upki_connect = 0;

	/* an IP literal needs no resolver and sends no server name */
	cfg.has_resolver = 0;
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://192.0.2.9/upki-odcert");
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ep.by_name, 0);
	assert_string_equal(ep.sni, "");
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://[2001:db8::1]:8443/");
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ep.by_name, 0);

	/* names the resolver would refuse are refused here, at start */
	cfg.has_resolver = 1;
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://upki.example.ac.jp./");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://-upki.example.ac.jp/");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://upki..example.ac.jp/");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://upki-.example.ac.jp/");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://a%s.ac.jp/",
	    "123456789012345678901234567890123456789012345678901234567890123");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), ERR_CONFIG);
	snprintf(cfg.upki_url, sizeof(cfg.upki_url), "https://%s.ac.jp/",
	    "123456789012345678901234567890123456789012345678901234567890123");
	assert_int_equal(upki_endpoint_parse(&ep, &cfg, err, sizeof(err)), 0);
}

static void
test_addrs_keep_and_expire(void **state)
{
	struct sockaddr_storage in[3];
	struct upki_addrs a;
	const struct sockaddr_storage *sa;
	socklen_t len;
	char t[64];

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_null(upki_addrs_current(&a, 1000, &len));     /* nothing known yet */
	v4(&in[0], "192.0.2.1");
	v6(&in[1], "2001:db8::2");
	memset(&in[2], 0, sizeof(in[2]));
	in[2].ss_family = AF_UNIX;                           /* skipped */
	assert_int_equal(upki_addrs_set(&a, in, 3, 8443, 1000, 300), 2);
	sa = upki_addrs_current(&a, 1000, &len);
	assert_non_null(sa);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_string_equal(upki_addr_text(sa, t, sizeof(t)), "192.0.2.1:8443");
	assert_non_null(upki_addrs_current(&a, 1000 + 299999, &len));
	assert_null(upki_addrs_current(&a, 1000 + 300000, &len));   /* kept 300 s, not longer */
	assert_string_equal(upki_addr_text(&a.v[1], t, sizeof(t)), "[2001:db8::2]:8443");
	assert_int_equal(upki_addrs_set(&a, in, 0, 443, 5, 300), 0);
	assert_null(upki_addrs_current(&a, 5, &len));
}

static void
test_addrs_each_in_turn(void **state)
{
	struct sockaddr_storage in[3];
	struct upki_addrs a;
	const struct sockaddr_storage *sa;
	socklen_t len;
	char t[64];

	(void)state;
	v4(&in[0], "192.0.2.1");
	v4(&in[1], "192.0.2.2");
	v6(&in[2], "2001:db8::3");
	upki_addrs_set(&a, in, 3, 443, 0, 300);
	upki_addrs_op_start(&a);
	assert_int_equal(upki_addrs_next(&a), 1);
	sa = upki_addrs_current(&a, 1, &len);
	assert_string_equal(upki_addr_text(sa, t, sizeof(t)), "192.0.2.2:443");
	/* a later operation starts from the address that worked, and may try all again */
	upki_addrs_op_start(&a);
	assert_int_equal(upki_addrs_next(&a), 1);
	sa = upki_addrs_current(&a, 1, &len);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_string_equal(upki_addr_text(sa, t, sizeof(t)), "[2001:db8::3]:443");
	assert_int_equal(upki_addrs_next(&a), 1);
	sa = upki_addrs_current(&a, 1, &len);
	assert_string_equal(upki_addr_text(sa, t, sizeof(t)), "192.0.2.1:443");
	/* the third failure in one operation: all tried, the answer is forgotten */
	assert_int_equal(upki_addrs_next(&a), 0);
	assert_null(upki_addrs_current(&a, 1, &len));
	assert_int_equal(upki_addrs_next(&a), 0);
	/* forgotten on demand too (a TLS failure) */
	upki_addrs_set(&a, in, 1, 443, 0, 300);
	upki_addrs_op_start(&a);
	assert_int_equal(upki_addrs_next(&a), 0);              /* one address: nothing else */
	upki_addrs_set(&a, in, 2, 443, 0, 300);
	upki_addrs_forget(&a);
	assert_null(upki_addrs_current(&a, 1, &len));
}

static void
test_dns_err_text(void **state)
{
	(void)state;
	assert_non_null(strstr(upki_dns_err_text(ERR_NOTFOUND), "NXDOMAIN"));
	assert_non_null(strstr(upki_dns_err_text(ERR_AGAIN), "SERVFAIL"));
	assert_non_null(strstr(upki_dns_err_text(ERR_TIMEOUT), "no answer"));
	assert_non_null(strstr(upki_dns_err_text(-ECONNREFUSED), "closed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_by_name),
		cmocka_unit_test(test_addrs_keep_and_expire),
		cmocka_unit_test(test_addrs_each_in_turn),
		cmocka_unit_test(test_dns_err_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
