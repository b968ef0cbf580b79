/*
 * validate/dns01: dns-01 (RFC 8555 §8.4) through the real validator and
 * resolver against the small DNS server of dns_server_fx.h on 127.0.0.1:
 * the digest (known answers computed with Python's hashlib), one of several
 * TXT records matching, a CNAME to another zone, and each failure with the
 * ACME type and a detail that says what was seen: wrong TXT (sanitized),
 * no TXT, NXDOMAIN, SERVFAIL (asked 3 times), no resolver; callbacks never run
 * inside the starting call, and none runs after validator_free().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <event2/event.h>

#include "dns_server_fx.h"
#include "util/config.h"
#include "util/err.h"
#include "validate/resolver.h"
#include "validate/validate.h"

#define KA1 "tok-1.thumb-1"
#define KA1_TXT "UGwYcoM7aOCztlmW4CoavY3wSioZ8oe_ZpcBdxg38yc"
#define KA2 "tok-2.thumb-2"
#define KA2_TXT "03VpWm2oAT4lcBLDTYOgfeKwGZ8IRRLTvmAuldN4aZk"

struct fx {
	struct event_base *base;
	struct ts_server srv;
	struct validator *v;
	int starting;
};

struct got {
	int calls;
	int during_start;
	struct validate_result r;
	struct fx *f;
};

static void
got_cb(void *arg, const struct validate_result *res)
{
	struct got *g = arg;

	g->calls++;
	g->r = *res;
	if (g->f != NULL && g->f->starting)
		g->during_start = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void
loop_until(struct fx *f, const int *calls, int want, unsigned ms)
{
	struct timeval tv = { 0, 20000 };
	struct event *tick = event_new(f->base, -1, EV_PERSIST, tick_cb, NULL);
	uint64_t end = now_ms() + ms;

	assert_non_null(tick);
	evtimer_add(tick, &tv);
	while ((calls == NULL || *calls < want) && now_ms() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(tick);
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct sockaddr_in *sin;
	int rc;

	if (f == NULL || cfg == NULL)
		return -1;
	f->base = event_base_new();
	if (f->base == NULL || ts_start(&f->srv, f->base) < 0)
		return -1;
	ts_add_txt(&f->srv, "_acme-challenge.one.example.ac.jp", KA1_TXT, (char *)NULL);
	/* Several records, the match among them (its strings split in two). */
	ts_add_txt(&f->srv, "_acme-challenge.many.example.ac.jp", "v=other", (char *)NULL);
	ts_add_txt(&f->srv, "_acme-challenge.many.example.ac.jp", KA2_TXT, (char *)NULL);
	ts_add_txt(&f->srv, "_acme-challenge.many.example.ac.jp", "UGwYcoM7aOCztlmW4Coa",
	    "vY3wSioZ8oe_ZpcBdxg38yc", (char *)NULL);
	/* Wrong values only; the first has a quote, a control byte and 80 bytes. */
	ts_add_txt(&f->srv, "_acme-challenge.wrong.example.ac.jp",
	    "bad\"\x01value-0123456789012345678901234567890123456789012345678901234567890123456789",
	    (char *)NULL);
	ts_add_txt(&f->srv, "_acme-challenge.wrong.example.ac.jp", KA1_TXT "x", (char *)NULL);
	/* The name exists (an A record) but has no TXT. */
	ts_add_a(&f->srv, "_acme-challenge.none.example.ac.jp", "192.0.2.1");
	/* Delegated: _acme-challenge.cn -> cn.dv.example.net, which holds the TXT. */
	ts_add_cname(&f->srv, "_acme-challenge.cn.example.ac.jp", "cn.dv.example.net");
	ts_add_txt(&f->srv, "cn.dv.example.net", KA1_TXT, (char *)NULL);
	ts_add_special(&f->srv, "_acme-challenge.sf.example.ac.jp", 2, 0);

	config_defaults(cfg);
	sin = (struct sockaddr_in *)&cfg->resolver.ss;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(f->srv.port);
	cfg->resolver.len = sizeof(*sin);
	cfg->has_resolver = 1;
	rc = validator_new(&f->v, f->base, cfg);
	free(cfg);
	if (rc != 0)
		return -1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	validator_free(f->v);
	ts_stop(&f->srv);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* Start dns-01 for name with keyauth into g; the callback must not run inside. */
static void
start(struct fx *f, struct got *g, const char *name, const char *keyauth)
{
	memset(g, 0, sizeof(*g));
	g->f = f;
	f->starting = 1;
	assert_int_equal(validate_dns01(f->v, name, keyauth, got_cb, g), 0);
	f->starting = 0;
	assert_int_equal(g->calls, 0);
}

static void
test_digest(void **state)
{
	char out[44];

	(void)state;
	assert_int_equal(dns01_digest(KA1, out, sizeof(out)), 0);
	assert_string_equal(out, KA1_TXT);
	assert_int_equal(dns01_digest(KA2, out, sizeof(out)), 0);
	assert_string_equal(out, KA2_TXT);
	assert_int_equal(dns01_digest(KA2, out, 43), ERR_TOOBIG);
}

static void
test_valid(void **state)
{
	struct fx *f = *state;
	struct got one, many, many1, cn;

	start(f, &one, "one.example.ac.jp", KA1);
	start(f, &many, "many.example.ac.jp", KA2);
	start(f, &many1, "many.example.ac.jp", KA1);
	start(f, &cn, "cn.example.ac.jp", KA1);
	loop_until(f, &one.calls, 1, 5000);
	loop_until(f, &many.calls, 1, 5000);
	loop_until(f, &many1.calls, 1, 5000);
	loop_until(f, &cn.calls, 1, 5000);
	assert_int_equal(one.calls, 1);
	assert_int_equal(one.during_start, 0);
	assert_int_equal(one.r.ok, 1);
	assert_int_equal(many.r.ok, 1);
	assert_int_equal(many1.r.ok, 1);      /* a record of two strings, concatenated */
	assert_int_equal(cn.r.ok, 1);
	/* Each asked once, for TXT at exactly _acme-challenge.<name>. */
	assert_int_equal(ts_count(&f->srv, "_acme-challenge.one.example.ac.jp", T_TXT), 1);
	assert_int_equal(ts_count(&f->srv, "_acme-challenge.cn.example.ac.jp", T_TXT), 1);
}

static void
test_failures(void **state)
{
	struct fx *f = *state;
	struct got wrong, none, nx, sf;
	uint64_t t0 = now_ms();

	start(f, &wrong, "wrong.example.ac.jp", KA1);
	start(f, &none, "none.example.ac.jp", KA1);
	start(f, &nx, "nx.example.ac.jp", KA1);
	start(f, &sf, "sf.example.ac.jp", KA1);
	loop_until(f, &wrong.calls, 1, 5000);
	loop_until(f, &none.calls, 1, 5000);
	loop_until(f, &nx.calls, 1, 5000);
	loop_until(f, &sf.calls, 1, 10000);

	assert_int_equal(wrong.r.ok, 0);
	assert_string_equal(wrong.r.type, "incorrectResponse");
	assert_non_null(strstr(wrong.r.detail, "TXT records at _acme-challenge.wrong.example.ac.jp: "
	    "2, none matches " KA1_TXT "; first: \"bad??value-012345678901234567890123456789"
	    "0123456789012345678...\""));
	assert_int_equal(none.r.ok, 0);
	assert_string_equal(none.r.type, "unauthorized");
	assert_string_equal(none.r.detail, "no TXT record at _acme-challenge.none.example.ac.jp");
	assert_int_equal(nx.r.ok, 0);
	assert_string_equal(nx.r.type, "dns");
	assert_non_null(strstr(nx.r.detail, "NXDOMAIN looking up TXT _acme-challenge.nx.example.ac.jp"));
	/* An answer is final: asked once. SERVFAIL is asked again, 3 lookups 1 s apart. */
	assert_int_equal(ts_count(&f->srv, "_acme-challenge.nx.example.ac.jp", T_TXT), 1);
	assert_int_equal(ts_count(&f->srv, "_acme-challenge.wrong.example.ac.jp", T_TXT), 1);
	assert_int_equal(sf.r.ok, 0);
	assert_string_equal(sf.r.type, "dns");
	assert_string_equal(sf.r.detail, "the DNS server answered SERVFAIL or REFUSED for TXT "
	    "_acme-challenge.sf.example.ac.jp (3 tries)");
	assert_int_equal(ts_count(&f->srv, "_acme-challenge.sf.example.ac.jp", T_TXT), 3);
	assert_true(now_ms() - t0 >= 1800);   /* two pauses of 1 s (timers may fire a little early) */
	/* Every detail is printable ASCII. */
	for (const char *p = wrong.r.detail; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void
test_bad_name_and_no_resolver(void **state)
{
	struct fx *f = *state;
	struct got bad, nores;
	struct config *cfg = calloc(1, sizeof(*cfg));
	struct validator *v2 = NULL;

	/* Not a name the resolver takes: a dns error later, never a crash or a query. */
	start(f, &bad, "bad..example.ac.jp", KA1);
	loop_until(f, &bad.calls, 1, 3000);
	assert_int_equal(bad.r.ok, 0);
	assert_string_equal(bad.r.type, "dns");
	assert_int_equal(f->srv.nlog, 0);

	assert_non_null(cfg);
	config_defaults(cfg);
	cfg->has_resolver = 0;
	assert_int_equal(validator_new(&v2, f->base, cfg), 0);
	free(cfg);
	memset(&nores, 0, sizeof(nores));
	assert_int_equal(validate_dns01(v2, "one.example.ac.jp", KA1, got_cb, &nores), 0);
	assert_int_equal(nores.calls, 0);
	loop_until(f, &nores.calls, 1, 3000);
	assert_int_equal(nores.r.ok, 0);
	assert_string_equal(nores.r.type, "dns");
	assert_non_null(strstr(nores.r.detail, "no DNS resolver is configured"));
	validator_free(v2);
}

/* validator_free() with validations running: no callback, ever. */
static void
test_free_pending(void **state)
{
	struct fx *f = *state;
	struct got a, b;

	start(f, &a, "sf.example.ac.jp", KA1);
	start(f, &b, "one.example.ac.jp", KA1);
	loop_until(f, NULL, 0, 1200);      /* a is waiting for its retry, b is done */
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.calls, 0);
	validator_free(f->v);
	f->v = NULL;
	loop_until(f, NULL, 0, 2500);
	assert_int_equal(a.calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test_setup_teardown(test_valid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_failures, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_name_and_no_resolver, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_pending, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
