#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_cmd.h"
#include "mail/upki_mail.h"
#include "platform.h"
#include "util/config.h"
#include "util/err.h"
#include "util/file.h"

#define MAIL_ANCHOR_FILE_MAX (256u * 1024u)

int
mail_check_cmd(const struct config *cfg, int argc, char **argv)
{
	struct mail_anchors *ta = NULL;
	struct mail_upki_work *w = NULL;
	struct mail_upki res;
	struct mail_upki_policy pol;
	char *text = NULL;
	size_t len;
	int rc, status = 2;

	if (argc < 1) {
		fprintf(stderr, "usage: upki-acme [-c FILE] mail-check MAIL...\n");
		goto out;
	}
	if (cfg->upki_mail_ca[0] == '\0') {
		fprintf(stderr, "upki-acme: mail-check: upki_mail_ca is not set\n");
		goto out;
	}
	if ((ta = calloc(1, sizeof(*ta))) == NULL || (w = malloc(sizeof(*w))) == NULL) {
		fprintf(stderr, "upki-acme: mail-check: %s\n", err_str(ERR_NOMEM));
		goto out;
	}
	rc = file_read_all(cfg->upki_mail_ca, MAIL_ANCHOR_FILE_MAX, &text, &len);
	if (rc == 0)
		rc = mail_anchors_add_pem(ta, text, len);
	free(text);
	text = NULL;
	if (rc != 0) {
		fprintf(stderr, "upki-acme: upki_mail_ca %s: %s\n", cfg->upki_mail_ca, err_str(rc));
		goto out;
	}
	pol.from = cfg->upki_mail_from;
	pol.download_url = cfg->upki_download_url;
	pol.anchors = ta;
	pol.now = platform_wall_s();
	status = 0;
	for (int i = 0; i < argc; i++) {
		if ((rc = file_read_all(argv[i], MAIL_MSG_MAX, &text, &len)) != 0) {
			printf("%s: refused unreadable: %s\n", argv[i], err_str(rc));
			status = 1;
			continue;
		}
		rc = mail_upki_check(w, &pol, text, len, &res);
		free(text);
		text = NULL;
		if (rc == 0)
			printf("%s: ok serial=%s url=%s\n", argv[i], res.serial, res.url);
		else
			printf("%s: refused %s\n", argv[i], res.reason);
		printf("  from=%s subject=%s signer=%s message-id=%s\n", res.from, res.subject,
		    res.signer, res.message_id);
		if (rc != 0)
			status = 1;
	}
out:
	free(ta);
	free(w);
	return status;
}
