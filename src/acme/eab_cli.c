/*
 * "upki-acme eab new|list|show|disable|enable": External Account Binding keys
 * from the command line (the admin page comes later). The HMAC key is printed
 * once and only kept in the store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/acme_int.h"
#include "platform.h"
#include "store/store.h"
#include "util/b64.h"
#include "util/err.h"
#include "util/timefmt.h"

#define EAB_MAX_ACCOUNTS_MAX 100000
#define EAB_EXPIRES_MAX_S (10LL * 366 * 86400)

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

#define EAB_SHOW_ACCOUNTS 256

struct eab_show {
	const char *kid;
	struct rec_eab e;
	uint64_t ids[EAB_SHOW_ACCOUNTS];
	struct rec_account acct[EAB_SHOW_ACCOUNTS];
	int acct_rc[EAB_SHOW_ACCOUNTS];    /* 0, ERR_NOTFOUND, or why it does not decode */
	size_t n;
	int more;
};

static int
eab_show_fn(struct store_txn *t, void *arg)
{
	struct eab_show *sh = arg;
	uint64_t extra;
	size_t n2 = 0;
	int rc;

	if ((rc = store_eab_get(t, sh->kid, &sh->e)) != 0)
		return rc;
	if ((rc = store_account_list_by_eab(t, sh->kid, 0, sh->ids, EAB_SHOW_ACCOUNTS, &sh->n)) != 0)
		return rc;
	for (size_t i = 0; i < sh->n; i++) {
		/* A bad entry or record is shown as such, not a failure of the listing. */
		rc = store_account_get(t, sh->ids[i], &sh->acct[i]);
		if (rc != 0 && rc != ERR_NOTFOUND && rc != ERR_MALFORMED && rc != ERR_VERSION)
			return rc;
		sh->acct_rc[i] = rc;
	}
	if (sh->n == EAB_SHOW_ACCOUNTS &&
	    (rc = store_account_list_by_eab(t, sh->kid, sh->ids[sh->n - 1], &extra, 1, &n2)) != 0)
		return rc;
	sh->more = n2 > 0;
	return 0;
}

struct eab_flag {
	const char *kid;
	int disable;
	int was;
};

static int
eab_flag_fn(struct store_txn *t, void *arg)
{
	struct eab_flag *f = arg;
	struct rec_eab e;
	int rc;

	if ((rc = store_eab_get(t, f->kid, &e)) != 0)
		return rc;
	f->was = (e.flags & REC_EAB_F_DISABLED) != 0;
	if (f->disable)
		e.flags |= REC_EAB_F_DISABLED;
	else
		e.flags &= ~(uint32_t)REC_EAB_F_DISABLED;
	return f->was == f->disable ? 0 : store_eab_put(t, &e, 0);
}

static const char *
eab_status(const struct rec_eab *e, int64_t now)
{
	if (e->flags & REC_EAB_F_DISABLED)
		return "disabled";
	if (e->expires != 0 && now >= e->expires)
		return "expired";
	if (e->max_accounts != 0 && e->n_accounts >= e->max_accounts)
		return "used";
	return "usable";
}

static void
eab_time(char *out, size_t outsz, int64_t t)
{
	if (t == 0)
		snprintf(out, outsz, "never");
	else
		timefmt_rfc3339(out, outsz, t);
}

static void
eab_print_line(const struct rec_eab *e, int64_t now)
{
	char exp[TIMEFMT_RFC3339_LEN + 8], max[16];

	eab_time(exp, sizeof(exp), e->expires);
	if (e->max_accounts == 0)
		snprintf(max, sizeof(max), "any");
	else
		snprintf(max, sizeof(max), "%" PRIu32, e->max_accounts);
	printf("%s\t%s\taccount=%" PRIu64 "\taccounts=%" PRIu32 "/%s\t%s\texpires=%s\t", e->kid,
	    e->name, e->account_id, e->n_accounts, max, eab_status(e, now), exp);
	for (size_t j = 0; j < e->n_allow; j++)
		printf("%s%s", j ? "," : "", e->allow[j]);
	printf("\n");
}

/* "30d", "12h", "90m", "3600s" or "3600" (seconds): 0, or -1 when malformed or out of range. */
static int
eab_duration(const char *s, int64_t *out)
{
	char *end;
	unsigned long long v;
	int64_t mult = 1;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end == 'd')
		mult = 86400;
	else if (*end == 'h')
		mult = 3600;
	else if (*end == 'm')
		mult = 60;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v == 0 || v > (unsigned long long)EAB_EXPIRES_MAX_S / (unsigned long long)mult)
		return -1;
	*out = (int64_t)v * mult;
	return 0;
}

static int
eab_usage(void)
{
	fprintf(stderr,
	    "usage: upki-acme [-c FILE] eab new --name NAME --allow PATTERN [--allow PATTERN...]\n"
	    "                  [--single-use | --max-accounts N] [--expires DURATION]\n"
	    "       upki-acme [-c FILE] eab list\n"
	    "       upki-acme [-c FILE] eab show KID\n"
	    "       upki-acme [-c FILE] eab disable KID | eab enable KID\n"
	    "PATTERN: a host name (www.example.ac.jp) or *.domain (any name below it)\n"
	    "A key binds any number of accounts (every binding is listed by eab show) unless\n"
	    "--single-use (one account) or --max-accounts N is given. DURATION: 30d, 12h, 90m or\n"
	    "seconds; after it the key binds no new account (accounts already bound keep working).\n"
	    "A disabled key binds no new account, and accounts bound through it get no new orders.\n");
	return 2;
}

static int
eab_cmd_new(struct store *store, int argc, char **argv)
{
	static struct rec_eab e;
	unsigned char kid_raw[12];
	char hmac_b64[64];
	int64_t expires_in = 0;
	int rc, single = 0, have_max = 0;

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
		} else if (strcmp(argv[i], "--single-use") == 0) {
			single = 1;
			e.max_accounts = 1;
		} else if (strcmp(argv[i], "--max-accounts") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || v == 0 ||
			    v > EAB_MAX_ACCOUNTS_MAX) {
				fprintf(stderr, "upki-acme: eab: --max-accounts takes 1..%d\n",
				    EAB_MAX_ACCOUNTS_MAX);
				return 2;
			}
			have_max = 1;
			e.max_accounts = (uint32_t)v;
		} else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
			if (eab_duration(argv[++i], &expires_in) != 0) {
				fprintf(stderr, "upki-acme: eab: --expires '%s': give 30d, 12h, 90m or "
				    "seconds (at most 10 years)\n", argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "upki-acme: eab: unexpected argument '%s'\n", argv[i]);
			return eab_usage();
		}
	}
	if (single && have_max) {
		fprintf(stderr, "upki-acme: eab: --single-use and --max-accounts exclude each other\n");
		return 2;
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
	if (expires_in != 0)
		e.expires = e.created + expires_in;
	if ((rc = store_write(store, eab_put_fn, &e)) != 0) {
		fprintf(stderr, "upki-acme: eab: cannot store the key: %s\n", err_str(rc));
		return 1;
	}
	printf("kid: %s\nhmac: %s\n", e.kid, hmac_b64);
	explicit_bzero(&e, sizeof(e));
	return 0;
}

static int
eab_cmd_show(struct store *store, const char *kid)
{
	static struct eab_show sh;
	char when[TIMEFMT_RFC3339_LEN + 8];
	int64_t now = platform_wall_s();
	int rc;

	memset(&sh, 0, sizeof(sh));
	sh.kid = kid;
	rc = strlen(kid) == 0 || strlen(kid) > REC_KID_MAX ? ERR_NOTFOUND :
	    store_read(store, eab_show_fn, &sh);
	if (rc != 0) {
		fprintf(stderr, "upki-acme: eab show %s: %s\n", kid,
		    rc == ERR_NOTFOUND ? "no such key id" : err_str(rc));
		return 1;
	}
	eab_print_line(&sh.e, now);
	eab_time(when, sizeof(when), sh.e.created);
	printf("created=%s\n", when);
	for (size_t i = 0; i < sh.n; i++) {
		const struct rec_account *ac = &sh.acct[i];

		if (sh.acct_rc[i] != 0) {
			printf("account %" PRIu64 "\t%s\n", sh.ids[i], sh.acct_rc[i] == ERR_NOTFOUND ?
			    "missing: no account record (the sweep removes this entry)" :
			    "unreadable: its record does not decode (restore it from a backup)");
			continue;
		}
		eab_time(when, sizeof(when), ac->created);
		printf("account %" PRIu64 "\t%s\tcreated=%s\t", ac->id,
		    rec_account_status_str(ac->status), when);
		for (size_t j = 0; j < ac->n_contacts; j++)
			printf("%s%s", j ? "," : "", ac->contacts[j]);
		printf("\n");
	}
	if (sh.more)
		printf("(more than %d accounts: the first %d are shown)\n", EAB_SHOW_ACCOUNTS,
		    EAB_SHOW_ACCOUNTS);
	return 0;
}

static int
eab_cmd_flag(struct store *store, const char *kid, int disable)
{
	struct eab_flag f = { kid, disable, 0 };
	int rc = strlen(kid) == 0 || strlen(kid) > REC_KID_MAX ? ERR_NOTFOUND :
	    store_write(store, eab_flag_fn, &f);

	if (rc != 0) {
		fprintf(stderr, "upki-acme: eab %s %s: %s\n", disable ? "disable" : "enable", kid,
		    rc == ERR_NOTFOUND ? "no such key id" : err_str(rc));
		return 1;
	}
	printf("%s: %s%s\n", kid, disable ? "disabled" : "enabled",
	    f.was == disable ? " (already)" : "");
	return 0;
}

int
acme_eab_cmd(struct store *store, int argc, char **argv)
{
	int rc;

	if (argc >= 1 && strcmp(argv[0], "list") == 0 && argc == 1) {
		static struct eab_list l;
		int64_t now = platform_wall_s();

		if ((rc = store_read(store, eab_list_fn, &l)) != 0) {
			fprintf(stderr, "upki-acme: eab list: %s\n", err_str(rc));
			return 1;
		}
		for (size_t i = 0; i < l.n; i++)
			eab_print_line(&l.recs[i], now);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return eab_cmd_show(store, argv[1]);
	if (argc == 2 && (strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0))
		return eab_cmd_flag(store, argv[1], strcmp(argv[0], "disable") == 0);
	if (argc >= 1 && strcmp(argv[0], "new") == 0)
		return eab_cmd_new(store, argc, argv);
	return eab_usage();
}
