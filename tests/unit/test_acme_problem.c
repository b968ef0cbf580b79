/*
 * The one code -> problem table (acme/problem.c): every code has one
 * well-formed row, and README.md's "## Problem types" lists exactly the
 * table's types. Run from the source root (README.md), or set UPKI_README.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme/problem.h"
#include "util/err.h"

#define MAX_TYPES 64

static size_t
rows_of(int code)
{
	size_t n, k = 0;
	const struct acme_problem_row *t = acme_problem_table(&n);

	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			k++;
	return k;
}

static void
test_every_code_once(void **state)
{
	size_t n;
	const struct acme_problem_row *t = acme_problem_table(&n);

	(void)state;
	for (int c = ERR_FIRST; c >= ERR_LAST; c--) {
		if (rows_of(c) != 1)
			fail_msg("err code %d (%s) has %zu rows", c, err_str(c), rows_of(c));
	}
	for (int c = ACME_E_FIRST; c >= ACME_E_LAST; c--) {
		if (rows_of(c) != 1)
			fail_msg("acme code %d has %zu rows", c, rows_of(c));
	}
	/* and no row for a code that does not exist */
	for (size_t i = 0; i < n; i++) {
		int c = t[i].code;
		if (!((c <= ERR_FIRST && c >= ERR_LAST) || (c <= ACME_E_FIRST && c >= ACME_E_LAST)))
			fail_msg("row %zu has code %d, no such code", i, c);
	}
	assert_int_equal(n, (size_t)((ERR_FIRST - ERR_LAST + 1) + (ACME_E_FIRST - ACME_E_LAST + 1)));
}

static void
test_rows_well_formed(void **state)
{
	size_t n;
	const struct acme_problem_row *t = acme_problem_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct acme_problem_row *r = &t[i];
		assert_non_null(r->type);
		assert_true(strlen(r->type) > 0 && strlen(r->type) < 64);
		for (const char *p = r->type; *p; p++)
			if (!isalpha((unsigned char)*p))
				fail_msg("row %d: type \"%s\" is not a bare ACME name", r->code, r->type);
		assert_true(islower((unsigned char)r->type[0]));
		if (r->status < 400 || r->status > 599)
			fail_msg("row %d: status %d is not an error status", r->code, r->status);
		assert_non_null(r->detail);
		assert_true(strlen(r->detail) > 0);
		/* Retry-After goes with 429 and 503 and only with them */
		if ((r->status == 429 || r->status == 503) != (r->retry_after > 0))
			fail_msg("row %d: status %d with Retry-After %u", r->code, r->status, r->retry_after);
		if ((strcmp(r->type, "rateLimited") == 0) != (r->status == 429))
			fail_msg("row %d: rateLimited goes with 429 (type %s, %d)", r->code, r->type,
			    r->status);
		if (r->status >= 500 && strcmp(r->type, "serverInternal") != 0)
			fail_msg("row %d: status %d with type %s", r->code, r->status, r->type);
	}
}

static void
test_lookups(void **state)
{
	(void)state;
	assert_string_equal(err_str(ERR_FULL), "storage full");
	assert_int_equal(acme_problem_row(ERR_FULL)->status, 503);
	assert_string_equal(acme_problem_row(ERR_FULL)->type, "serverInternal");
	assert_true(acme_problem_row(ERR_FULL)->retry_after > 0);
	assert_int_equal(acme_problem_row(ACME_E_RATELIMITED)->status, 429);
	assert_int_equal(acme_problem_row(ERR_RATELIMIT)->status, 429);
	assert_int_equal(acme_problem_row(ACME_E_CLOCK)->status, 503);
	assert_true(acme_problem_row(ACME_E_CLOCK)->retry_after > 0);
	/* -errno and unknown codes answer as serverInternal 500 */
	assert_int_equal(acme_problem_row(-5)->code, ACME_E_INTERNAL);
	assert_int_equal(acme_problem_row(-99999)->code, ACME_E_INTERNAL);
	assert_int_equal(acme_problem_row(0)->code, ACME_E_INTERNAL);
	assert_int_equal(acme_problem_row(ACME_E_NOSUCH)->status, 404);
	assert_string_equal(acme_problem_row(ACME_E_NOSUCH)->type, "malformed");
	/* upstream types: the code's own row when the type matches, else the type's first row */
	assert_int_equal(acme_problem_row_typed("unauthorized", ACME_E_FORBIDDEN)->status, 403);
	assert_int_equal(acme_problem_row_typed("unauthorized", ACME_E_INTERNAL)->status, 401);
	assert_int_equal(acme_problem_row_typed("rateLimited", ACME_E_BAD_CSR)->status, 429);
	assert_int_equal(acme_problem_row_typed("caa", ACME_E_BAD_CSR)->code, ACME_E_CAA);
	assert_int_equal(acme_problem_row_typed("noSuchType", ACME_E_BAD_CSR)->code, ACME_E_BAD_CSR);
	assert_int_equal(acme_problem_row_typed("", ACME_E_BAD_CSR)->code, ACME_E_BAD_CSR);
	assert_int_equal(acme_problem_row_typed(NULL, ACME_E_INTERNAL)->code, ACME_E_INTERNAL);
}

/* The backquoted first cells of the table rows in README.md's "## Problem types". */
static size_t
readme_types(char types[][64], size_t max)
{
	const char *path = getenv("UPKI_README") ? getenv("UPKI_README") : "README.md";
	FILE *f = fopen(path, "r");
	char line[1024];
	int in = 0, seen = 0;
	size_t n = 0;

	if (f == NULL)
		fail_msg("cannot open %s (run from the source root or set UPKI_README)", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "## ", 3) == 0) {
			in = strcmp(line, "## Problem types\n") == 0;
			seen |= in;
			continue;
		}
		if (!in || strncmp(line, "| `", 3) != 0)
			continue;
		char *b = line + 3, *e = strchr(b, '`');
		if (e == NULL || (size_t)(e - b) >= 64 || n >= max)
			fail_msg("README.md: bad problem type row: %s", line);
		memcpy(types[n], b, (size_t)(e - b));
		types[n][e - b] = '\0';
		n++;
	}
	fclose(f);
	if (!seen)
		fail_msg("README.md has no \"## Problem types\" section");
	return n;
}

static void
test_readme_lists_the_table(void **state)
{
	static char types[MAX_TYPES][64];
	size_t nt, n;
	const struct acme_problem_row *t = acme_problem_table(&n);

	(void)state;
	nt = readme_types(types, MAX_TYPES);
	assert_true(nt > 0);
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < nt && strcmp(types[j], t[i].type) != 0; j++)
			;
		if (j == nt)
			fail_msg("README.md \"## Problem types\" does not list %s (code %d)", t[i].type,
			    t[i].code);
	}
	for (size_t j = 0; j < nt; j++) {
		size_t i;
		for (i = 0; i < n && strcmp(types[j], t[i].type) != 0; i++)
			;
		if (i == n)
			fail_msg("README.md lists %s, which the table lacks", types[j]);
		for (size_t k = j + 1; k < nt; k++)
			if (strcmp(types[j], types[k]) == 0)
				fail_msg("README.md lists %s twice", types[j]);
	}
}

/*
 * Problem types other modules hand to the gateway as strings (a challenge's
 * error from validate/, an issuer problem or a refused order from upki/):
 * each quoted name after one of these markers must be a type of the table.
 */
static const struct {
	const char *file;
	const char *marker;
} sources[] = {
	{"src/validate/http01.c", "finish(j, 0, \""},
	{"src/validate/http01.c", "finish(j, 1, \""},
	{"src/upki/job.c", "prob_set(prob, \""},
	{"src/upki/job.c", "upki_job_reject(u, t, &j, \""},
	{"src/upki/job.c", "upki_job_reject(u, t, j, \""},
	{"src/upki/upki_profile.c", "。\", \""},
	{"src/upki/result_page.c", "return \""},
	{"src/acme/order.c", "ACME_ERR_PREFIX \""},
	{"src/acme/order.c", "sizeof(o->error.type), \""},
	{"src/acme/authz.c", "sizeof(res.type), \""},
	{"src/acme/finalize.c", "prob->type : \""},
};

static int
table_has(const char *type)
{
	size_t n;
	const struct acme_problem_row *t = acme_problem_table(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].type, type) == 0)
			return 1;
	return 0;
}

static void
test_sources_send_table_types(void **state)
{
	static char buf[200000];
	size_t total = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		FILE *f = fopen(sources[i].file, "r");
		size_t len, k = 0;
		const char *p;

		if (f == NULL)
			fail_msg("cannot open %s (run from the source root)", sources[i].file);
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		for (p = strstr(buf, sources[i].marker); p != NULL; p = strstr(p, sources[i].marker)) {
			char type[64];
			size_t m = 0;

			p += strlen(sources[i].marker);
			while (m < sizeof(type) - 1 && isalpha((unsigned char)p[m])) {
				type[m] = p[m];
				m++;
			}
			type[m] = '\0';
			if (p[m] != '"' || m == 0)
				continue;        /* not a bare name: some other string */
			if (!table_has(type))
				fail_msg("%s sends problem type \"%s\", which the table lacks",
				    sources[i].file, type);
			k++;
		}
		total += k;
	}
	assert_true(total >= 20);   /* the markers still find the senders */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_once),
		cmocka_unit_test(test_rows_well_formed),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_readme_lists_the_table),
		cmocka_unit_test(test_sources_send_table_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
