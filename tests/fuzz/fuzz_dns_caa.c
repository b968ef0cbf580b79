/*
 * Fuzz the resolver's own DNS reply walker (CAA, TXT, A, AAAA), the name check
 * and the server address parser. Odd first byte: the rest is wrapped as the
 * answer section of a well-formed reply (ancount from the second byte), so the
 * record parsers are reached without a corpus; even: the input is the raw reply.
 * Properties: only the documented codes; counting and filling agree; results
 * stay inside their limits and are NUL-terminated; a normalised name is
 * lower-case, as long as the input, and normalises to itself.
 * The CAA records parsed are then judged (caa_parse.c) as a plain and as a
 * wildcard name, by two methods: only 0 / ERR_DENIED, a refusal always says
 * why, the record text stays in its buffer; each value is parsed as an issue
 * value (spans inside the value); the input is also climbed as a name (one
 * label per step, bounded) and parsed as caa_identities.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "validate/caa_parse.h"
#include "validate/resolver.h"
#include "validate/resolver_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t msg[65536 + 64];
static struct resolver_caa caa[RESOLVER_MAX_CAA];
static struct resolver_txt txt[RESOLVER_MAX_TXT];

static void
check_rc(int rc, int n)
{
	if (rc != 0 && rc != ERR_PROTOCOL && rc != ERR_TOOBIG)
		abort();
	if (rc != 0 && n != 0)
		abort();
}

static void fuzz_caa_policy(int n);

static void
fuzz_caa(const uint8_t *m, size_t len)
{
	int n1 = -1, n2 = -1, n3 = -1, rc1, rc2, i;

	rc1 = resolver_reply_caa(m, len, NULL, RESOLVER_MAX_CAA, &n1);
	rc2 = resolver_reply_caa(m, len, caa, RESOLVER_MAX_CAA, &n2);
	check_rc(rc1, n1);
	if (rc1 != rc2 || n1 != n2 || n2 < 0 || n2 > RESOLVER_MAX_CAA)
		abort();
	for (i = 0; rc2 == 0 && i < n2; i++) {
		if (caa[i].flags > 255 || caa[i].tag_len > RESOLVER_CAA_TAG_MAX ||
		    caa[i].value_len > RESOLVER_CAA_VALUE_MAX || caa[i].tag[caa[i].tag_len] != '\0' ||
		    caa[i].value[caa[i].value_len] != '\0')
			abort();
	}
	if (rc2 == 0 && n2 > 0 && resolver_reply_caa(m, len, caa, n2 - 1, &n3) != ERR_TOOBIG)
		abort();
	if (rc2 == 0 && n2 > 0 && resolver_reply_caa(m, len, caa, RESOLVER_MAX_CAA, &n3) == 0)
		fuzz_caa_policy(n3);
}

static int
span_inside(const struct caa_span *sp, const struct resolver_caa *r)
{
	return sp->len == 0 || (sp->p >= r->value && sp->p + sp->len <= r->value + r->value_len);
}

/* Judge the records parsed from the reply. */
static void
fuzz_caa_policy(int n)
{
	static struct caa_issuers is;
	static int ready;
	char why[300], text[64];
	struct caa_issue iv;

	if (!ready) {
		if (caa_issuers_parse(&is, "secomtrust.net, ca.example", NULL, 0) != 0)
			abort();
		ready = 1;
	}
	for (int w = 0; w < 2; w++) {
		struct caa_request rq = { &is, w, "https://127.0.0.1/acme/acct/1",
					  w ? "dns-01" : "http-01" };
		int rc;

		why[0] = '\0';
		rc = caa_rrset_eval(&rq, caa, n, why, sizeof(why));
		if (rc != 0 && rc != ERR_DENIED)
			abort();
		if (rc == ERR_DENIED && (why[0] == '\0' || strlen(why) >= sizeof(why)))
			abort();
	}
	caa_records_text(caa, n, text, sizeof(text));
	if (strlen(text) >= sizeof(text))
		abort();
	for (int i = 0; i < n; i++) {
		int rc = caa_issue_parse(caa[i].value, caa[i].value_len, &iv);

		if (rc != 0 && rc != ERR_MALFORMED)
			abort();
		if (rc == 0 && (!span_inside(&iv.domain, &caa[i]) ||
		    (iv.has_accounturi && !span_inside(&iv.accounturi, &caa[i])) ||
		    (iv.has_methods && !span_inside(&iv.methods, &caa[i]))))
			abort();
	}
}

/* The input as a name to climb and as a caa_identities setting. */
static void
fuzz_climb(const uint8_t *data, size_t size)
{
	char in[300];
	struct caa_climb c;
	struct caa_issuers is;
	size_t l = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
	int wild = 0, r, steps = 0;

	memcpy(in, data, l);
	in[l] = '\0';
	if (caa_issuers_parse(&is, in, NULL, 0) == 0 && (is.n == 0 || is.n > CAA_ISSUERS_MAX))
		abort();
	if (caa_climb_init(&c, in, &wild) != 0)
		return;
	while ((r = caa_climb_step(&c, 0, 0)) == CAA_CLIMB_QUERY) {
		if (++steps > CAA_CLIMB_MAX || caa_climb_name(&c)[0] == '\0')
			abort();
	}
	if (r != CAA_CLIMB_NONE || strchr(caa_climb_name(&c), '.') != NULL)
		abort();
}

static void
fuzz_txt(const uint8_t *m, size_t len)
{
	int n1 = -1, n2 = -1, rc1, rc2, i;

	rc1 = resolver_reply_txt(m, len, NULL, RESOLVER_MAX_TXT, &n1);
	rc2 = resolver_reply_txt(m, len, txt, RESOLVER_MAX_TXT, &n2);
	check_rc(rc1, n1);
	if (rc1 != rc2 || n1 != n2 || n2 < 0 || n2 > RESOLVER_MAX_TXT)
		abort();
	for (i = 0; rc2 == 0 && i < n2; i++)
		if (txt[i].len > RESOLVER_TXT_MAX || txt[i].data[txt[i].len] != '\0')
			abort();
}

static void
fuzz_addrs(const uint8_t *m, size_t len)
{
	uint8_t v[RESOLVER_MAX_ADDRS + 1][16];
	int n = -1, rc;

	memset(v[RESOLVER_MAX_ADDRS], 0xa5, 16);
	rc = resolver_reply_addrs(m, len, RESOLVER_TYPE_A, &v[0][0], RESOLVER_MAX_ADDRS, &n);
	check_rc(rc, n);
	if (rc == ERR_TOOBIG || n < 0 || n > RESOLVER_MAX_ADDRS)
		abort();
	rc = resolver_reply_addrs(m, len, RESOLVER_TYPE_AAAA, &v[0][0], RESOLVER_MAX_ADDRS, &n);
	check_rc(rc, n);
	if (rc == ERR_TOOBIG || n < 0 || n > RESOLVER_MAX_ADDRS)
		abort();
	for (n = 0; n < 16; n++)
		if (v[RESOLVER_MAX_ADDRS][n] != 0xa5)
			abort();
}

static void
fuzz_name(const uint8_t *data, size_t size)
{
	char in[300], out[RESOLVER_NAME_MAX + 1], again[RESOLVER_NAME_MAX + 1];
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t l = size < sizeof(in) - 1 ? size : sizeof(in) - 1, i;
	int rc;

	memcpy(in, data, l);
	in[l] = '\0';
	rc = resolver_name_norm(in, out, sizeof(out));
	if (rc != 0 && rc != ERR_MALFORMED)
		abort();
	if (rc == 0) {
		if (strlen(out) != strlen(in) || strlen(out) > RESOLVER_NAME_MAX)
			abort();
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] >= 'A' && out[i] <= 'Z')
				abort();
		if (resolver_name_norm(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
			abort();
	}
	rc = resolver_server_parse(in, &ss, &sl);
	if (rc != 0 && rc != ERR_CONFIG)
		abort();
	if (rc == 0 && ((ss.ss_family == AF_INET && sl != sizeof(struct sockaddr_in)) ||
			(ss.ss_family == AF_INET6 && sl != sizeof(struct sockaddr_in6)) ||
			(ss.ss_family != AF_INET && ss.ss_family != AF_INET6)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 2, 'j', 'p', 0, 0x01, 0x01, 0, 1,
	};
	const uint8_t *m = data;
	size_t len = size;

	if (size > 65535)
		return 0;
	if (size >= 2 && (data[0] & 1)) {
		memcpy(msg, head, sizeof(head));
		msg[7] = data[1];
		memcpy(msg + sizeof(head), data + 2, size - 2);
		m = msg;
		len = sizeof(head) + size - 2;
	}
	fuzz_caa(m, len);
	fuzz_txt(m, len);
	fuzz_addrs(m, len);
	fuzz_name(data, size);
	fuzz_climb(data, size);
	return 0;
}
