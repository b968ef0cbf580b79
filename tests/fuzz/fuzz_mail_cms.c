/* CMS verification and the whole UPKI mail check. The first byte chooses:
 * even, the rest is a SignedData DER verified over a fixed content; odd, the
 * rest is a whole message checked against an empty anchor set (so nothing may
 * ever be proven: a verdict of OK is a bug). Every refusal must carry a known
 * reason and leave serial and URL empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/cms.h"
#include "mail/upki_mail.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mail_cms cms;
static struct mail_anchors ta;
static struct mail_upki_work w;
static struct mail_upki res;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char content[] = "Content-Type: text/plain\r\n\r\nx\n";
	struct mail_upki_policy pol = {
		"ca-support@ml.secom-sts.co.jp", "https://127.0.0.1:1/upki-odcert/download/", &ta,
		1796353664
	};
	int why, rc;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		rc = mail_cms_verify(&cms, data + 1, size - 1, content, sizeof(content) - 1, &ta,
		    pol.now, &why);
		if (rc == 0 || why <= MAIL_WHY_OK || why >= MAIL_WHY__MAX)
			abort();
		if (cms.n_cert > MAIL_CMS_CERTS_MAX || cms.attrs_len > sizeof(cms.attrs))
			abort();
		return 0;
	}
	rc = mail_upki_check(&w, &pol, (const char *)data + 1, size - 1, &res);
	if (rc == 0 || res.why <= MAIL_WHY_OK || res.why >= MAIL_WHY__MAX ||
	    res.serial[0] != '\0' || res.url[0] != '\0' || res.reason[0] == '\0' ||
	    strlen(res.reason) >= sizeof(res.reason))
		abort();
	return 0;
}
