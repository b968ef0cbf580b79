/*
 * "upki-acme eab new --name NAME --allow PATTERN..." and "eab list": External
 * Account Binding keys from the command line (the admin page comes later). The
 * HMAC key is printed once and only kept in the store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/acme_int.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/err.h"

static int
pattern_ok(const char *p)
{
	const char *s = p;
	size_t len = strlen(p);

	if (len == 0 || len > REC_PATTERN_MAX)
		return 0;
	if (s[0] == '*') {
		if (s[1] != '.')
			return 0;
		s += 2;
	}
	/* The rest is a lower-case LDH host name with at least one dot. */
	if (strchr(s, '.') == NULL)
		return 0;
	for (const char *x = s; *x; x++)
		if (!((*x >= 'a' && *x <= 'z') || (*x >= '0' && *x <= '9') || *x == '-' || *x == '.'))
			return 0;
	return s[0] != '.' && s[strlen(s) - 1] != '.' && strstr(s, "..") == NULL;
}

static int
eab_put_fn(struct store_txn *t, void *arg)
{
	return store_eab_put(t, arg, STORE_NOOVERWRITE);
}

struct eab_list {
	char kids[64][REC_KID_MAX + 1];
	struct rec_eab recs[64];
	size_t n;
};

static int
eab_list_fn(struct store_txn *t, void *arg)
{
	struct eab_list *l = arg;
	int rc = store_eab_list(t, NULL, l->kids, 64, &l->n);

	for (size_t i = 0; rc == 0 && i < l->n; i++)
		rc = store_eab_get(t, l->kids[i], &l->recs[i]);
	return rc;
}

int
acme_eab_cmd(struct store *store, int argc, char **argv)
{
	static struct rec_eab e;
	unsigned char kid_raw[12];
	char hmac_b64[64];
	int rc;

	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		static struct eab_list l;
		if ((rc = store_read(store, eab_list_fn, &l)) != 0) {
			fprintf(stderr, "upki-acme: eab list: %s\n", err_str(rc));
			return 1;
		}
		for (size_t i = 0; i < l.n; i++) {
			printf("%s\t%s\taccount=%" PRIu64 "\t", l.recs[i].kid, l.recs[i].name,
			    l.recs[i].account_id);
			for (size_t j = 0; j < l.recs[i].n_allow; j++)
				printf("%s%s", j ? "," : "", l.recs[i].allow[j]);
			printf("\n");
		}
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "new") != 0) {
		fprintf(stderr, "usage: upki-acme [-c FILE] eab new --name NAME --allow PATTERN [--allow PATTERN...]\n"
		    "       upki-acme [-c FILE] eab list\n"
		    "PATTERN: a host name (www.example.ac.jp) or *.domain (any name below it)\n");
		return 2;
	}
	memset(&e, 0, sizeof(e));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
			if (strlen(argv[++i]) > REC_EAB_NAME_MAX) {
				fprintf(stderr, "upki-acme: eab: --name is longer than %d bytes\n", REC_EAB_NAME_MAX);
				return 2;
			}
			strcpy(e.name, argv[i]);
		} else if (strcmp(argv[i], "--allow") == 0 && i + 1 < argc) {
			if (!pattern_ok(argv[++i])) {
				fprintf(stderr, "upki-acme: eab: --allow '%s' is not a lower-case host name "
				    "or *.domain\n", argv[i]);
				return 2;
			}
			if (e.n_allow == REC_EAB_ALLOW_N) {
				fprintf(stderr, "upki-acme: eab: at most %d --allow patterns\n", REC_EAB_ALLOW_N);
				return 2;
			}
			strcpy(e.allow[e.n_allow++], argv[i]);
		} else {
			fprintf(stderr, "upki-acme: eab: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (e.name[0] == '\0' || e.n_allow == 0) {
		fprintf(stderr, "upki-acme: eab new needs --name and at least one --allow\n");
		return 2;
	}
	if (platform_random(kid_raw, sizeof(kid_raw)) != 0 || platform_random(e.hmac, 32) != 0) {
		fprintf(stderr, "upki-acme: eab: no random bytes\n");
		return 1;
	}
	e.hmac_len = 32;
	b64url_encode(e.kid, sizeof(e.kid), kid_raw, sizeof(kid_raw));
	b64url_encode(hmac_b64, sizeof(hmac_b64), e.hmac, e.hmac_len);
	e.created = platform_wall_s();
	if ((rc = store_write(store, eab_put_fn, &e)) != 0) {
		fprintf(stderr, "upki-acme: eab: cannot store the key: %s\n", err_str(rc));
		return 1;
	}
	printf("kid: %s\nhmac: %s\n", e.kid, hmac_b64);
	explicit_bzero(&e, sizeof(e));
	return 0;
}
