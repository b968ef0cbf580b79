/* "upki-acme mail list | mail show ID": the stored messages, for the operator and the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"
#include "store/records.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timefmt.h"

#define MAIL_LIST_MAX 100000   /* lines one "mail list" prints at most */

static const char *const mail_state_names[REC_MAIL__MAX] = {
	[REC_MAIL_NEW] = "new", [REC_MAIL_PARSED] = "parsed", [REC_MAIL_REJECTED] = "rejected",
};

struct mail_list {
	int state;
	unsigned long n;
};

static int
mail_list_txn(struct store_txn *t, void *arg)
{
	struct mail_list *l = arg;
	struct rec_mail m;
	uint64_t after = 0;
	int rc;

	while (l->n < MAIL_LIST_MAX && (rc = store_mail_next(t, l->state, after, &m)) == 0) {
		char when[32];

		after = m.id;
		l->n++;
		timefmt_rfc3339(when, sizeof(when), m.received);
		printf("mail %llu %s %s from <%s> to <%s>%s peer %s %zu bytes%s%s%s%s%s\n",
		    (unsigned long long)m.id, mail_state_names[m.state], when, m.mail_from,
		    m.n_rcpt ? m.rcpt[0] : "", m.n_rcpt > 1 ? " (and more)" : "", m.peer,
		    m.raw_len, (m.flags & REC_MAIL_F_TLS) ? " tls" : "",
		    m.serial[0] ? " serial " : "", m.serial, m.reason[0] ? ": " : "", m.reason);
	}
	return rc == ERR_NOTFOUND ? 0 : rc;
}

static int
mail_show_txn(struct store_txn *t, void *arg)
{
	uint64_t id = *(const uint64_t *)arg;
	struct rec_mail m;
	const void *raw = NULL;
	size_t len = 0;
	int rc = store_mail_get(t, id, &m, &raw, &len);

	if (rc != 0)
		return rc;
	printf("X-Upki-Acme-Mail: %llu %s peer %s helo %s from <%s>", (unsigned long long)m.id,
	    mail_state_names[m.state], m.peer, m.helo, m.mail_from);
	for (size_t i = 0; i < m.n_rcpt; i++)
		printf(" to <%s>", m.rcpt[i]);
	printf("\r\n");
	fwrite(raw, 1, len, stdout);
	return 0;
}

int
mail_cmd(struct store *store, int argc, char **argv)
{
	int rc;

	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		struct mail_list l = { -1, 0 };

		if (argc == 3 && strcmp(argv[1], "--state") == 0) {
			for (int i = 0; i < REC_MAIL__MAX; i++)
				if (strcmp(argv[2], mail_state_names[i]) == 0)
					l.state = i;
			if (l.state < 0)
				goto usage;
		} else if (argc != 1) {
			goto usage;
		}
		rc = store_read(store, mail_list_txn, &l);
		if (rc != 0) {
			fprintf(stderr, "upki-acme: mail list: %s\n", err_str(rc));
			return 1;
		}
		printf("%lu message(s)\n", l.n);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0) {
		char *end;
		unsigned long long v = strtoull(argv[1], &end, 10);
		uint64_t id = v;

		if (*end != '\0' || v == 0)
			goto usage;
		rc = store_read(store, mail_show_txn, &id);
		if (rc != 0) {
			fprintf(stderr, "upki-acme: mail %s: %s\n", argv[1],
			    rc == ERR_NOTFOUND ? "no such message" : err_str(rc));
			return 1;
		}
		return 0;
	}
usage:
	fprintf(stderr, "usage: upki-acme [-c config] mail list [--state new|parsed|rejected]\n"
	    "       upki-acme [-c config] mail show ID\n");
	return 2;
}
