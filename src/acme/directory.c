/* GET /directory (RFC 8555 §7.1.1) and GET /healthz. */
#include <stdio.h>
#include <string.h>

#include "acme/acme_int.h"
#include "json/json.h"
#include "util/config.h"
#include "util/str.h"
#include "validate/validate.h"

static void
url_member(struct json_w *w, const struct acme *a, const char *key, const char *path)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", a->base_url, path);
	json_w_key(w, key);
	json_w_str(w, url);
}

void
acme_directory_get(struct http_req *req, void *arg)
{
	struct acme *a = arg;
	const struct config *cfg = a->app->cfg;
	char body[4096], ids[8][254];
	struct json_w w;
	size_t nid;
	int n;

	json_w_init(&w, body, sizeof(body));
	json_w_obj_begin(&w);
	url_member(&w, a, "newNonce", ACME_PATH_NEW_NONCE);
	url_member(&w, a, "newAccount", ACME_PATH_NEW_ACCOUNT);
	url_member(&w, a, "newOrder", ACME_PATH_NEW_ORDER);
	url_member(&w, a, "revokeCert", ACME_PATH_REVOKE_CERT);
	url_member(&w, a, "keyChange", ACME_PATH_KEY_CHANGE);
	url_member(&w, a, "renewalInfo", ACME_PATH_RENEWAL_INFO);
	json_w_key(&w, "meta");
	json_w_obj_begin(&w);
	json_w_key(&w, "caaIdentities");
	json_w_arr_begin(&w);
	nid = validate_caa_identities(cfg, ids, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < nid; i++)
		json_w_str(&w, ids[i]);
	json_w_arr_end(&w);
	json_w_key(&w, "externalAccountRequired");
	json_w_bool(&w, cfg->eab_required);
	if (cfg->upki_org[0] != '\0') {
		/* Project-specific: the subject UPKI requires in a CSR (see README). */
		json_w_key(&w, "upkiSubject");
		json_w_obj_begin(&w);
		json_w_key(&w, "C");
		json_w_str(&w, "JP");
		json_w_key(&w, "ST");
		json_w_str(&w, cfg->upki_state);
		json_w_key(&w, "L");
		json_w_str(&w, cfg->upki_locality);
		json_w_key(&w, "O");
		json_w_str(&w, cfg->upki_org);
		json_w_obj_end(&w);
	}
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	n = json_w_finish(&w);
	if (n < 0) {
		acme_problem(req, ACME_E_INTERNAL, "directory does not fit its buffer");
		return;
	}
	http_reply(req, 200, "application/json", body, (size_t)n);
}

void
acme_healthz_get(struct http_req *req, void *arg)
{
	(void)arg;
	http_reply(req, 200, "text/plain", STR_LIT("ok\n"));
}
