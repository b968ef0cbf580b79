/*
 * profile.c: every choice the simulator invents [X], in one table, so it can
 * be corrected when better information about the real system arrives. Facts
 * the gateway shares (columns, codes, page sentences, bulk TSV header) come
 * from src/upki/upki_profile.h and are not repeated here.
 */
#include <stddef.h>

#include "sim.h"
#include "upki/upki_profile.h"

const struct sim_profile sim_profile = {
	.mail_from = "ca-support@ml.secom-sts.co.jp",            /* [S] shibcert */
	.subj_issued = "[UPKI] サーバ証明書発行通知",             /* [X] UPKI.md §10 */
	.subj_revoked = "[UPKI] サーバ証明書失効完了通知",        /* [X] UPKI.md §10 */
	.subj_downloaded = "[UPKI] サーバ証明書ダウンロード完了通知", /* [X] */
	.subj_failed = "[UPKI] サーバ証明書発行エラー通知",       /* [X] */
	.title_system = "電子証明書自動発行支援システム",          /* [D] name of the system */
	.text_invalid_url = "このURLは無効です。証明書はすでにダウンロードされています。", /* [X] */
	.text_no_client_cert = "登録担当者用証明書が提示されていません。",   /* [X] */
	.text_unknown_ra = "この登録担当者用証明書は登録されていません。",   /* [X] */
	.text_server_error = "システムエラーが発生しました。",                /* [X] */
	.bulk_filename = "serverAll.tsv",                         /* [D] FAQ file name */
	.default_validity_days = 198,                             /* [D] since 2026-03-04 */
	.default_profiles_rsa = "3",                              /* [I] サーバ証明書(SHA-2) */
	.default_profiles_ecc = "4",                              /* [X] */
	.app_id_base_year = 2026,                                 /* [X] 12-digit 申請ID */
	.default_delay_min = 60,                                  /* [D] "数分から10分" */
	.default_delay_max = 600,
	.default_rate_limit_s = 60,                               /* [X] nothing published */
	.session_idle_s = 30 * 60,                                /* [X] */
	.state_failed = SIM_ST_FAILED,                            /* [X] any other = エラー [S] */
};

/* Codes upki_profile.h lacks; field NULL = the column's own 項目名. [X] */
static const struct {
	int code;
	const char *field;
	const char *message;
} sim_codes[] = {
	{SIM_E_REQUIRED, NULL, "必須項目が入力されていません。"},
	{SIM_E_LENGTH, NULL, "入力できる文字数を超えています。"},
	{SIM_E_RESERVED, NULL, "この項目には何も入力しないでください。"},
	{SIM_E_ROWS, "書式", "申請データの行数が正しくありません。"},
	{SIM_E_PROFILE, "証明書プロファイルID", "証明書プロファイルIDが正しくありません。"},
	{SIM_E_FQDN, "サーバFQDN", "サーバFQDNが主体者DNのCNと一致しません。"},
};

int
sim_code_text(int code, const char **field, const char **message)
{
	const struct upki_code_def *d = upki_code_find(code);

	if (d != NULL) {
		*field = d->field;
		*message = d->message;
		return 0;
	}
	for (size_t i = 0; i < sizeof(sim_codes) / sizeof(sim_codes[0]); i++)
		if (sim_codes[i].code == code) {
			*field = sim_codes[i].field;
			*message = sim_codes[i].message;
			return 0;
		}
	return -1;
}
