/*
 * validate/caa: the issue value grammar, the decision over a record set (each
 * case of RFC 8659 section 4 and RFC 8657), the climb, the record text, and
 * the checks on the reactor against a fake resolver_caa() defined here (the
 * test binary's definition wins over libvalidate's resolver.o, which is then
 * never linked) that answers from a table and counts every lookup by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/event.h>

#include "util/config.h"
#include "util/err.h"
#include "validate/caa_parse.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

/* ---- records ------------------------------------------------------------------------ */

static struct resolver_caa
rr(unsigned flags, const char *tag, const char *value)
{
	struct resolver_caa r;

	memset(&r, 0, sizeof(r));
	r.flags = flags;
	r.tag_len = strlen(tag);
	memcpy(r.tag, tag, r.tag_len);
	r.value_len = strlen(value);
	memcpy(r.value, value, r.value_len);
	return r;
}

/* ---- the issue value grammar (RFC 8659 section 4.2) ------------------------------------ */

static void
test_issue_parse(void **state)
{
	static const struct {
		const char *v;
		int rc;
		const char *domain, *acct, *methods;
	} t[] = {
		{"secomtrust.net", 0, "secomtrust.net", NULL, NULL},
		{"  secomtrust.net  ", 0, "secomtrust.net", NULL, NULL},
		{"SecomTrust.NET", 0, "SecomTrust.NET", NULL, NULL},
		{";", 0, "", NULL, NULL},
		{"", 0, "", NULL, NULL},
		{"  ;  ", 0, "", NULL, NULL},
		{"ca.example; accounturi=https://a/acct/1", 0, "ca.example", "https://a/acct/1", NULL},
		{"ca.example;accounturi = x ; validationmethods=dns-01,http-01", 0, "ca.example", "x",
		 "dns-01,http-01"},
		{"ca.example; foo=bar; validationmethods=dns-01", 0, "ca.example", NULL, "dns-01"},
		{"ca.example; ValidationMethods=dns-01", 0, "ca.example", NULL, "dns-01"},
		{"ca.example; foo=", 0, "ca.example", NULL, NULL},
		{"ca.example;", 0, "ca.example", NULL, NULL},
		{"; accounturi=x", 0, "", "x", NULL},
		/* malformed: authorizes no CA */
		{"ca.example.", ERR_MALFORMED, NULL, NULL, NULL},
		{".ca.example", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca..example", ERR_MALFORMED, NULL, NULL, NULL},
		{"-ca.example", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca-.example", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca_x.example", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example foo", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; foo", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; =x", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; a=b c", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; a=b;", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; a=b;;c=d", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; a=b;c", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; accounturi=a; accounturi=b", ERR_MALFORMED, NULL, NULL, NULL},
		{"ca.example; validationmethods=dns-01; validationmethods=http-01", ERR_MALFORMED,
		 NULL, NULL, NULL},
		{"\"ca.example\"", ERR_MALFORMED, NULL, NULL, NULL},
	};
	struct caa_issue is;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = caa_issue_parse(t[i].v, strlen(t[i].v), &is);

		if (rc != t[i].rc)
			fail_msg("'%s': rc %d, want %d", t[i].v, rc, t[i].rc);
		if (rc != 0)
			continue;
		if (is.domain.len != strlen(t[i].domain) ||
		    memcmp(is.domain.p, t[i].domain, is.domain.len) != 0)
			fail_msg("'%s': domain '%.*s', want '%s'", t[i].v, (int)is.domain.len,
			    is.domain.p, t[i].domain);
		if (is.has_accounturi != (t[i].acct != NULL) || (t[i].acct != NULL &&
		    (is.accounturi.len != strlen(t[i].acct) ||
		     memcmp(is.accounturi.p, t[i].acct, is.accounturi.len) != 0)))
			fail_msg("'%s': accounturi wrong", t[i].v);
		if (is.has_methods != (t[i].methods != NULL) || (t[i].methods != NULL &&
		    (is.methods.len != strlen(t[i].methods) ||
		     memcmp(is.methods.p, t[i].methods, is.methods.len) != 0)))
			fail_msg("'%s': validationmethods wrong", t[i].v);
	}
	/* a NUL inside the value is outside the grammar */
	assert_int_equal(caa_issue_parse("ca.example\0x", 12, &is), ERR_MALFORMED);
}

static void
test_issuers_parse(void **state)
{
	struct caa_issuers is;
	char why[128];

	(void)state;
	assert_int_equal(caa_issuers_parse(&is, "secomtrust.net", why, sizeof(why)), 0);
	assert_int_equal(is.n, 1);
	assert_string_equal(is.name[0], "secomtrust.net");
	assert_int_equal(caa_issuers_parse(&is, " SECOMTRUST.net, ca.example ,x.jp", why,
	    sizeof(why)), 0);
	assert_int_equal(is.n, 3);
	assert_string_equal(is.name[0], "secomtrust.net");
	assert_string_equal(is.name[2], "x.jp");
	assert_int_equal(caa_issuers_parse(&is, "", why, sizeof(why)), ERR_CONFIG);
	assert_int_equal(caa_issuers_parse(&is, " , ", why, sizeof(why)), ERR_CONFIG);
	assert_int_equal(caa_issuers_parse(&is, "ca.example.", why, sizeof(why)), ERR_CONFIG);
	assert_non_null(strstr(why, "ca.example."));
	assert_int_equal(caa_issuers_parse(&is, "ca;x", why, sizeof(why)), ERR_CONFIG);
	assert_int_equal(caa_issuers_parse(&is, "a.b,c.d,e.f,g.h,i.j,k.l,m.n,o.p,q.r", why,
	    sizeof(why)), ERR_CONFIG);
}

/* ---- the decision over one record set (RFC 8659 section 4, RFC 8657) ------------------- */

#define ACCT "https://127.0.0.1:14000/acme/acct/7"

struct eval_case {
	const char *what;
	int wildcard;
	const char *method;
	int n;
	struct { unsigned flags; const char *tag, *value; } r[4];
	int rc;
	const char *why;          /* a part of the refusal sentence */
};

static const struct eval_case eval_cases[] = {
	{"issue for us", 0, "http-01", 1, {{0, "issue", "secomtrust.net"}}, 0, NULL},
	{"issue for us, case differs", 0, "http-01", 1, {{0, "ISSUE", "SecomTrust.Net"}}, 0, NULL},
	{"issue for another CA", 0, "http-01", 1, {{0, "issue", "letsencrypt.org"}}, ERR_DENIED,
	 "do not authorize secomtrust.net"},
	{"one of two issue records is ours", 0, "http-01", 2,
	 {{0, "issue", "letsencrypt.org"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"issue \";\": no CA", 0, "http-01", 1, {{0, "issue", ";"}}, ERR_DENIED, "do not authorize"},
	{"only iodef: no restriction", 0, "http-01", 1, {{0, "iodef", "mailto:a@b.jp"}}, 0, NULL},
	{"critical iodef is understood", 0, "http-01", 2,
	 {{128, "iodef", "mailto:a@b.jp"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"unknown tag, not critical: ignored", 0, "http-01", 2,
	 {{0, "tbs", "x"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"unknown tag, critical: refused", 0, "http-01", 2,
	 {{128, "tbs", "x"}, {0, "issue", "secomtrust.net"}}, ERR_DENIED, "critical"},
	{"unknown critical tag alone refuses", 0, "http-01", 1, {{128, "future", "x"}}, ERR_DENIED,
	 "critical"},
	{"critical flag with other bits set", 0, "http-01", 1, {{0xff, "future", "x"}}, ERR_DENIED,
	 "critical"},
	{"other flag bits, not critical: ignored", 0, "http-01", 1, {{0x7f, "future", "x"}}, 0, NULL},
	{"malformed issue authorizes no CA", 0, "http-01", 1, {{0, "issue", "secomtrust.net."}},
	 ERR_DENIED, "malformed"},
	{"malformed issue beside a good one", 0, "http-01", 2,
	 {{0, "issue", "secomtrust.net; x"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"issuewild does not restrict a plain name", 0, "http-01", 2,
	 {{0, "issuewild", ";"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"issuewild alone: plain name not restricted", 0, "http-01", 1,
	 {{0, "issuewild", "letsencrypt.org"}}, 0, NULL},
	{"wildcard: issuewild wins over issue (permits)", 1, "dns-01", 2,
	 {{0, "issue", "letsencrypt.org"}, {0, "issuewild", "secomtrust.net"}}, 0, NULL},
	{"wildcard: issuewild wins over issue (refuses)", 1, "dns-01", 2,
	 {{0, "issue", "secomtrust.net"}, {0, "issuewild", ";"}}, ERR_DENIED, "issuewild"},
	{"wildcard: no issuewild, issue decides", 1, "dns-01", 1, {{0, "issue", "secomtrust.net"}},
	 0, NULL},
	{"wildcard: no issuewild, issue refuses", 1, "dns-01", 1, {{0, "issue", "letsencrypt.org"}},
	 ERR_DENIED, "issue records"},
	{"accounturi of this account", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; accounturi=" ACCT}}, 0, NULL},
	{"accounturi of another account", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; accounturi=https://127.0.0.1:14000/acme/acct/8"}},
	 ERR_DENIED, "another ACME account"},
	{"accounturi is compared exactly", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; accounturi=" ACCT "0"}}, ERR_DENIED, "accounturi"},
	{"accounturi of another account beside an open record", 0, "http-01", 2,
	 {{0, "issue", "secomtrust.net; accounturi=x"}, {0, "issue", "secomtrust.net"}}, 0, NULL},
	{"validationmethods with ours", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; validationmethods=dns-01,http-01"}}, 0, NULL},
	{"validationmethods=dns-01 refuses http-01", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; validationmethods=dns-01"}}, ERR_DENIED,
	 "validation method http-01"},
	{"validationmethods=dns-01 permits dns-01", 0, "dns-01", 1,
	 {{0, "issue", "secomtrust.net; validationmethods=dns-01"}}, 0, NULL},
	{"validationmethods is a list, not a prefix", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; validationmethods=http-011,xhttp-01"}}, ERR_DENIED,
	 "validationmethods"},
	{"both parameters must hold", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; accounturi=" ACCT "; validationmethods=tls-alpn-01"}},
	 ERR_DENIED, "validationmethods"},
	{"another CA's parameters do not matter", 0, "http-01", 2,
	 {{0, "issue", "letsencrypt.org; validationmethods=dns-01"}, {0, "issue", "secomtrust.net"}},
	 0, NULL},
	{"unknown parameter ignored", 0, "http-01", 1,
	 {{0, "issue", "secomtrust.net; policy=ev"}}, 0, NULL},
};

static void
test_rrset_eval(void **state)
{
	struct caa_issuers is;
	struct resolver_caa rrs[4];
	char why[300];

	(void)state;
	assert_int_equal(caa_issuers_parse(&is, "secomtrust.net", NULL, 0), 0);
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		const struct eval_case *c = &eval_cases[i];
		struct caa_request rq = { &is, c->wildcard, ACCT, c->method };
		int rc;

		for (int k = 0; k < c->n; k++)
			rrs[k] = rr(c->r[k].flags, c->r[k].tag, c->r[k].value);
		why[0] = '\0';
		rc = caa_rrset_eval(&rq, rrs, c->n, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d (%s)", c->what, rc, c->rc, why);
		if (c->why != NULL && strstr(why, c->why) == NULL)
			fail_msg("%s: '%s' not in '%s'", c->what, c->why, why);
	}
}

/* A second configured issuer name counts as ours too. */
static void
test_rrset_eval_issuers(void **state)
{
	struct caa_issuers is;
	struct resolver_caa r = rr(0, "issue", "upki.example");
	struct caa_request rq = { &is, 0, "", "http-01" };
	char why[300];

	(void)state;
	assert_int_equal(caa_issuers_parse(&is, "secomtrust.net", NULL, 0), 0);
	assert_int_equal(caa_rrset_eval(&rq, &r, 1, why, sizeof(why)), ERR_DENIED);
	assert_int_equal(caa_issuers_parse(&is, "secomtrust.net, upki.example", NULL, 0), 0);
	assert_int_equal(caa_rrset_eval(&rq, &r, 1, why, sizeof(why)), 0);
	/* no account known: a record with accounturi refuses */
	r = rr(0, "issue", "upki.example; accounturi=" ACCT);
	assert_int_equal(caa_rrset_eval(&rq, &r, 1, why, sizeof(why)), ERR_DENIED);
}

/* ---- the climb ------------------------------------------------------------------------- */

static void
test_climb(void **state)
{
	static const struct {
		const char *name;
		int rc[6], n[6];            /* the answers, in order */
		int steps;
		const char *asked[6];       /* the names looked up */
		int end;                    /* what the last step returns */
		int wildcard;
	} t[] = {
		{"www.example.ac.jp", {0}, {1}, 1, {"www.example.ac.jp"}, CAA_CLIMB_FOUND, 0},
		{"www.example.ac.jp", {0, 0}, {0, 2}, 2, {"www.example.ac.jp", "example.ac.jp"},
		 CAA_CLIMB_FOUND, 0},
		{"WWW.Example.AC.jp", {0, 0, 0, 0}, {0, 0, 0, 0}, 4,
		 {"www.example.ac.jp", "example.ac.jp", "ac.jp", "jp"}, CAA_CLIMB_NONE, 0},
		{"a.b.example.ac.jp", {ERR_NOTFOUND, ERR_NOTFOUND, 0}, {0, 0, 1}, 3,
		 {"a.b.example.ac.jp", "b.example.ac.jp", "example.ac.jp"}, CAA_CLIMB_FOUND, 0},
		{"www.example.ac.jp", {0, ERR_AGAIN}, {0, 0}, 2, {"www.example.ac.jp", "example.ac.jp"},
		 ERR_AGAIN, 0},
		{"www.example.ac.jp", {ERR_TIMEOUT}, {0}, 1, {"www.example.ac.jp"}, ERR_TIMEOUT, 0},
		{"www.example.ac.jp", {ERR_TOOBIG}, {0}, 1, {"www.example.ac.jp"}, ERR_TOOBIG, 0},
		{"www.example.ac.jp", {ERR_PROTOCOL}, {0}, 1, {"www.example.ac.jp"}, ERR_PROTOCOL, 0},
		{"*.x.example.ac.jp", {0, 0}, {0, 1}, 2, {"x.example.ac.jp", "example.ac.jp"},
		 CAA_CLIMB_FOUND, 1},
		{"jp", {0}, {0}, 1, {"jp"}, CAA_CLIMB_NONE, 0},
	};
	struct caa_climb c;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int wild = 0, r = 0;

		assert_int_equal(caa_climb_init(&c, t[i].name, &wild), 0);
		assert_int_equal(wild, t[i].wildcard);
		for (int s = 0; s < t[i].steps; s++) {
			if (strcmp(caa_climb_name(&c), t[i].asked[s]) != 0)
				fail_msg("%s: step %d asks %s, want %s", t[i].name, s,
				    caa_climb_name(&c), t[i].asked[s]);
			r = caa_climb_step(&c, t[i].rc[s], t[i].n[s]);
			if (s + 1 < t[i].steps && r != CAA_CLIMB_QUERY)
				fail_msg("%s: step %d gives %d, want another query", t[i].name, s, r);
		}
		if (r != t[i].end)
			fail_msg("%s: ends with %d, want %d", t[i].name, r, t[i].end);
		assert_int_equal(c.lookups, t[i].steps);
	}
	assert_int_equal(caa_climb_init(&c, "bad..name", NULL), ERR_MALFORMED);
	assert_int_equal(caa_climb_init(&c, "*.*.x.jp", &(int){0}), ERR_MALFORMED);
}

/* Many labels: the climb is bounded by the name, one lookup per label. */
static void
test_climb_bounded(void **state)
{
	char name[RESOLVER_NAME_MAX + 1] = "";
	struct caa_climb c;
	int r, steps = 0;

	(void)state;
	while (strlen(name) + 2 <= 250)
		strcat(name, "a.");
	strcat(name, "jp");
	assert_int_equal(caa_climb_init(&c, name, &(int){0}), 0);
	while ((r = caa_climb_step(&c, 0, 0)) == CAA_CLIMB_QUERY)
		steps++;
	assert_int_equal(r, CAA_CLIMB_NONE);
	assert_int_equal(steps + 1, 126);
	c.lookups = CAA_CLIMB_MAX;
	assert_int_equal(caa_climb_step(&c, 0, 0), ERR_TOOBIG);
}

static void
test_records_text(void **state)
{
	struct resolver_caa r[2];
	char buf[64], tiny[12];

	(void)state;
	r[0] = rr(0, "issue", "secomtrust.net");
	r[1] = rr(128, "tbs", "a\"b\\\n");
	caa_records_text(r, 2, buf, sizeof(buf));
	assert_string_equal(buf, "0 issue \"secomtrust.net\"; 128 tbs \"a\\034b\\092\\010\"");
	caa_records_text(r, 2, tiny, sizeof(tiny));
	assert_true(strlen(tiny) >= 4 && strlen(tiny) < sizeof(tiny));
	assert_memory_equal(tiny, "0 issue", 7);
	assert_string_equal(tiny + strlen(tiny) - 3, "...");
	caa_records_text(r, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* ---- checks on the reactor, against a fake resolver ------------------------------------ */

struct zone {
	const char *name;
	int rc;
	int n;
	struct { unsigned flags; const char *tag, *value; } r[2];
};

static const struct zone *zones;
static size_t nzones;
static struct { char name[RESOLVER_NAME_MAX + 1]; int n; } asked[64];
static size_t nasked;
static struct event_base *base;

struct fake_q {
	char name[RESOLVER_NAME_MAX + 1];
	resolver_caa_cb cb;
	void *arg;
};

static void
fake_answer(evutil_socket_t fd, short what, void *arg)
{
	struct fake_q *q = arg;
	struct resolver_caa rrs[2];
	int rc = 0, n = 0;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < nzones; i++) {
		if (strcmp(zones[i].name, q->name) != 0)
			continue;
		rc = zones[i].rc;
		n = zones[i].n;
		for (int k = 0; k < n; k++)
			rrs[k] = rr(zones[i].r[k].flags, zones[i].r[k].tag, zones[i].r[k].value);
	}
	q->cb(q->arg, rc, n > 0 ? rrs : NULL, n);
	free(q);
}

/* Counts every lookup by name; answers on a later loop turn, as resolver.c does. */
int
resolver_caa(struct resolver *r, const char *name, resolver_caa_cb cb, void *arg)
{
	struct fake_q *q = calloc(1, sizeof(*q));
	struct timeval tv = { 0, 0 };
	size_t i;

	(void)r;
	assert_non_null(q);
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->cb = cb;
	q->arg = arg;
	for (i = 0; i < nasked && strcmp(asked[i].name, name) != 0; i++)
		;
	if (i == nasked) {
		assert_true(nasked < 64);
		snprintf(asked[nasked++].name, sizeof(asked[0].name), "%s", name);
	}
	asked[i].n++;
	return event_base_once(base, -1, EV_TIMEOUT, fake_answer, q, &tv) == 0 ? 0 : ERR_NOMEM;
}

static int
asked_n(const char *name)
{
	for (size_t i = 0; i < nasked; i++)
		if (strcmp(asked[i].name, name) == 0)
			return asked[i].n;
	return 0;
}

static struct validator *
fake_validator(const char *identities)
{
	static struct validator v;
	static struct config cfg;
	static int dummy;

	memset(&v, 0, sizeof(v));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.caa_identities, sizeof(cfg.caa_identities), "%s", identities);
	v.base = base;
	v.res = (struct resolver *)&dummy;
	assert_int_equal(caa_issuers_new(&v, &cfg), 0);
	nasked = 0;
	memset(asked, 0, sizeof(asked));
	return &v;
}

static void
fake_validator_free(struct validator *v)
{
	caa_cancel_all(v);
	free(v->caa_issuers);
	v->caa_issuers = NULL;
}

static struct validate_caa_result all_res[8];
static size_t all_n;
static int all_calls;

static void
all_cb(void *arg, const struct validate_caa_result *res, size_t n)
{
	(void)arg;
	assert_true(n <= 8);
	memcpy(all_res, res, n * sizeof(res[0]));
	all_n = n;
	all_calls++;
}

static const struct validate_caa_result *
result_for(const char *name)
{
	const struct validate_caa_result *found = NULL;

	for (size_t i = 0; i < all_n; i++)
		if (strcmp(all_res[i].item.name, name) == 0) {
			if (found != NULL)
				fail_msg("two results name %s", name);
			found = &all_res[i];
		}
	if (found == NULL)
		fail_msg("no result names %s", name);
	return found;
}

static struct validate_caa_item
item(const char *name, const char *method, unsigned long long tag)
{
	struct validate_caa_item it;

	memset(&it, 0, sizeof(it));
	snprintf(it.name, sizeof(it.name), "%s", name);
	snprintf(it.method, sizeof(it.method), "%s", method);
	snprintf(it.account_uri, sizeof(it.account_uri), "%s", ACCT);
	it.tag = tag;
	return it;
}

/*
 * The 2020 case: an order of several names with different CAA sets, checked
 * together. Each name is looked up exactly once (its parents once each, for
 * its own climb), only the refused name is refused, and each result carries
 * its own identifier and tag.
 */
static const struct zone multi_zones[] = {
	{"example.ac.jp", 0, 1, {{0, "issue", "secomtrust.net"}}},
	{"deny.example.ac.jp", 0, 1, {{0, "issue", "letsencrypt.org"}}},
	{"wild.example.ac.jp", 0, 2, {{0, "issue", "secomtrust.net"}, {0, "issuewild", ";"}}},
	{"broken.example.ac.jp", ERR_AGAIN, 0, {{0}}},
	{"gone.example.ac.jp", ERR_NOTFOUND, 0, {{0}}},
	{"acct.example.ac.jp", 0, 1, {{0, "issue", "secomtrust.net; accounturi=" ACCT "9"}}},
	{"dns.example.ac.jp", 0, 1, {{0, "issue", "secomtrust.net; validationmethods=dns-01"}}},
};

static void
test_check_all_each_name_once(void **state)
{
	struct validator *v;
	struct validate_caa_item it[6];
	const struct validate_caa_result *r;

	(void)state;
	zones = multi_zones;
	nzones = sizeof(multi_zones) / sizeof(multi_zones[0]);
	v = fake_validator("secomtrust.net");
	it[0] = item("www.example.ac.jp", "http-01", 11);
	it[1] = item("deny.example.ac.jp", "http-01", 12);
	it[2] = item("mail.example.ac.jp", "http-01", 13);
	it[3] = item("a.gone.example.ac.jp", "http-01", 14);
	it[4] = item("broken.example.ac.jp", "http-01", 15);
	it[5] = item("*.wild.example.ac.jp", "dns-01", 16);
	all_calls = 0;
	assert_int_equal(validate_caa_all(v, it, 6, all_cb, NULL), 0);
	assert_int_equal(all_calls, 0);            /* never from inside the call */
	event_base_dispatch(base);
	assert_int_equal(all_calls, 1);
	assert_int_equal(all_n, 6);

	r = result_for("www.example.ac.jp");
	assert_int_equal(r->ok, 1);
	assert_int_equal(r->item.tag, 11);
	assert_string_equal(r->where, "example.ac.jp");
	assert_int_equal(r->lookups, 2);
	r = result_for("deny.example.ac.jp");
	assert_int_equal(r->ok, 0);
	assert_int_equal(r->failed, 0);
	assert_int_equal(r->item.tag, 12);
	assert_string_equal(r->type, "caa");
	assert_non_null(strstr(r->detail, "deny.example.ac.jp"));
	assert_non_null(strstr(r->detail, "letsencrypt.org"));
	assert_string_equal(r->records, "0 issue \"letsencrypt.org\"");
	r = result_for("mail.example.ac.jp");
	assert_int_equal(r->ok, 1);
	assert_int_equal(r->item.tag, 13);
	r = result_for("a.gone.example.ac.jp");      /* NXDOMAIN: the climb goes on */
	assert_int_equal(r->ok, 1);
	assert_int_equal(r->lookups, 3);
	r = result_for("broken.example.ac.jp");      /* SERVFAIL is not "no CAA" */
	assert_int_equal(r->ok, 0);
	assert_int_equal(r->failed, 1);
	assert_string_equal(r->type, "dns");
	assert_non_null(strstr(r->detail, "broken.example.ac.jp"));
	r = result_for("wild.example.ac.jp");
	assert_int_equal(r->item.wildcard, 1);
	assert_int_equal(r->ok, 0);
	assert_non_null(strstr(r->detail, "*.wild.example.ac.jp"));
	assert_non_null(strstr(r->detail, "issuewild"));

	/* every name of the order once, and each parent once per climb through it */
	assert_int_equal(asked_n("www.example.ac.jp"), 1);
	assert_int_equal(asked_n("deny.example.ac.jp"), 1);
	assert_int_equal(asked_n("mail.example.ac.jp"), 1);
	assert_int_equal(asked_n("a.gone.example.ac.jp"), 1);
	assert_int_equal(asked_n("gone.example.ac.jp"), 1);
	assert_int_equal(asked_n("broken.example.ac.jp"), 1);
	assert_int_equal(asked_n("wild.example.ac.jp"), 1);
	assert_int_equal(asked_n("example.ac.jp"), 3);   /* the climbs of www, mail, a.gone */
	assert_int_equal(asked_n("ac.jp"), 0);
	assert_int_equal(nasked, 8);
	fake_validator_free(v);
}

/* RFC 8657 through the reactor: the account and method of each item are its own. */
static void
test_check_one_params(void **state)
{
	static const struct {
		const char *name, *method;
		int ok;
	} t[] = {
		{"acct.example.ac.jp", "http-01", 0},
		{"dns.example.ac.jp", "http-01", 0},
		{"dns.example.ac.jp", "dns-01", 1},
	};
	struct validator *v;

	(void)state;
	zones = multi_zones;
	nzones = sizeof(multi_zones) / sizeof(multi_zones[0]);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct validate_caa_item it = item(t[i].name, t[i].method, 1);

		v = fake_validator("secomtrust.net");
		all_calls = 0;
		assert_int_equal(validate_caa_all(v, &it, 1, all_cb, NULL), 0);
		event_base_dispatch(base);
		assert_int_equal(all_calls, 1);
		if (all_res[0].ok != t[i].ok)
			fail_msg("%s by %s: ok %d (%s)", t[i].name, t[i].method, all_res[0].ok,
			    all_res[0].detail);
		assert_int_equal(asked_n(t[i].name), 1);
		fake_validator_free(v);
	}
}

static int one_calls;
static struct validate_caa_result one_res;

static void
one_cb(void *arg, const struct validate_caa_result *res)
{
	assert_ptr_equal(arg, &one_calls);
	one_res = *res;
	one_calls++;
}

static void
test_check_single_and_cancel(void **state)
{
	struct validate_caa_item it = item("deny.example.ac.jp", "http-01", 5);
	struct validator *v;

	(void)state;
	zones = multi_zones;
	nzones = sizeof(multi_zones) / sizeof(multi_zones[0]);
	v = fake_validator("secomtrust.net");
	one_calls = 0;
	assert_int_equal(validate_caa(v, &it, one_cb, &one_calls), 0);
	assert_int_equal(one_calls, 0);
	event_base_dispatch(base);
	assert_int_equal(one_calls, 1);
	assert_int_equal(one_res.ok, 0);
	assert_int_equal(one_res.item.tag, 5);
	assert_int_equal(v->caa_npending, 0);
	/* a bad name does not start */
	it = item("bad..name", "http-01", 6);
	assert_int_equal(validate_caa(v, &it, one_cb, &one_calls), ERR_MALFORMED);
	/* cancelled checks never call back */
	it = item("www.example.ac.jp", "http-01", 7);
	assert_int_equal(validate_caa(v, &it, one_cb, &one_calls), 0);
	assert_int_equal(validate_caa_all(v, &it, 1, all_cb, NULL), 0);
	assert_int_equal(v->caa_npending, 2);
	caa_cancel_all(v);
	assert_int_equal(v->caa_npending, 0);
	/*
	 * The fake's queued answers still point at the freed checks: the real
	 * validator frees the resolver (cancelling them) right after; this test,
	 * the last, never runs the loop again.
	 */
	fake_validator_free(v);
}

static int
setup(void **state)
{
	(void)state;
	base = event_base_new();
	return base == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	event_base_free(base);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_parse),
		cmocka_unit_test(test_issuers_parse),
		cmocka_unit_test(test_rrset_eval),
		cmocka_unit_test(test_rrset_eval_issuers),
		cmocka_unit_test(test_climb),
		cmocka_unit_test(test_climb_bounded),
		cmocka_unit_test(test_records_text),
		cmocka_unit_test(test_check_all_each_name_once),
		cmocka_unit_test(test_check_one_params),
		cmocka_unit_test(test_check_single_and_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
