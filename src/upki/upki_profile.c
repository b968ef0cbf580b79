/* upki_profile.c: the tables of upki_profile.h. Tags as there: [D] [S] [I] [X]. */
#include <stddef.h>

#include "upki/upki_profile.h"

#define NEW UPKI_APPLY_BIT(UPKI_APPLY_NEW)
#define RENEW UPKI_APPLY_BIT(UPKI_APPLY_RENEW)
#define REVOKE UPKI_APPLY_BIT(UPKI_APPLY_REVOKE)

/* Column positions [I] (UPKI.md §3 "best reconstruction"); limits [D odcert]
 * unless tagged. */
const struct upki_field_def upki_fields[UPKI_F__MAX] = {
	[UPKI_F_DN] = {1, NEW | RENEW | REVOKE, NEW | RENEW | REVOKE, UPKI_UNIT_BYTES,
	    UPKI_DN_MAX, "主体者DN", "subject DN"},
	[UPKI_F_PROFILE] = {2, NEW | RENEW, NEW | RENEW, UPKI_UNIT_BYTES,
	    UPKI_PROFILE_ID_MAX, "証明書プロファイルID", "certificate profile ID"},
	[UPKI_F_SERIAL] = {4, RENEW | REVOKE, RENEW | REVOKE, UPKI_UNIT_BYTES,
	    UPKI_SERIAL_DIGITS_MAX, "シリアル番号", "serial number"},
	[UPKI_F_REASON] = {5, REVOKE, REVOKE, UPKI_UNIT_BYTES, 1, "失効理由",
	    "revocation reason"},
	/* Required only for reason 0 [D]; tsv_write.c checks that. */
	[UPKI_F_COMMENT] = {6, REVOKE, 0, UPKI_UNIT_CHARS, UPKI_REVOKE_COMMENT_MAX,
	    "失効理由コメント", "revocation comment"},
	[UPKI_F_CSR] = {7, NEW | RENEW, NEW | RENEW, UPKI_UNIT_BYTES, UPKI_CSR_MAX, "CSR",
	    "CSR"},
	[UPKI_F_ADMIN_NAME] = {8, NEW | RENEW, NEW | RENEW, UPKI_UNIT_CHARS, 64,
	    "利用管理者氏名", "administrator name"},
	[UPKI_F_ADMIN_ORG] = {9, NEW | RENEW, NEW | RENEW, UPKI_UNIT_CHARS, 64,
	    "利用管理者所属", "administrator affiliation"},
	[UPKI_F_ADMIN_EMAIL] = {10, NEW | RENEW | REVOKE, NEW | RENEW | REVOKE,
	    UPKI_UNIT_BYTES, 78, "利用管理者E-mail", "administrator e-mail"},
	[UPKI_F_FQDN] = {11, NEW | RENEW, NEW | RENEW, UPKI_UNIT_BYTES, UPKI_FQDN_MAX,
	    "サーバFQDN", "server FQDN"},
	/* Required [I]: the TSV tool asks for it on renewal. */
	[UPKI_F_SOFTWARE] = {12, NEW | RENEW, NEW | RENEW, UPKI_UNIT_CHARS, 128,
	    "サーバソフトウェア", "server software"},
	[UPKI_F_DNSNAMES] = {13, NEW | RENEW, 0, UPKI_UNIT_BYTES, UPKI_DNSNAMES_LIST_MAX, "dNSName",
	    "dNSName list"},
};

/* Messages are [X] except 212 [S]. */
const struct upki_code_def upki_codes[] = {
	{UPKI_E_QUOTED, "書式", "ダブルクォーテーションは使用できません。", "serverInternal"},
	{UPKI_E_COLUMNS, "書式", "項目数が正しくありません。", "serverInternal"},
	{UPKI_E_ENCODING, "書式", "文字コードが正しくありません。", "serverInternal"},
	{UPKI_E_DN_SYNTAX, "主体者DN", "主体者DNの書式が正しくありません。", "serverInternal"},
	{UPKI_E_DN_INSTITUTION, "主体者DN", "主体者DNの機関情報が登録内容と一致しません。",
	    "serverInternal"},
	{UPKI_E_DN_OU, "主体者DN", "OUは指定できません。", "badCSR"},
	{UPKI_E_DN_DOMAIN, "主体者DN", "CNが機関のドメインではありません。",
	    "rejectedIdentifier"},
	{UPKI_E_CSR_SYNTAX, "CSR", "CSRの形式が正しくありません。", "badCSR"},
	/* The gateway should have applied for 更新: its DN tracking is wrong. */
	{UPKI_E_DN_EXISTS, "主体者DN", "指定したDNはすでに存在しています。", "serverInternal"},
	{UPKI_E_CSR_SUBJECT, "CSR", "CSRの主体者DNが申請内容と一致しません。", "badCSR"},
	{UPKI_E_CSR_KEY, "CSR", "鍵の種類または鍵長が正しくありません。", "badCSR"},
	{UPKI_E_CSR_SAN, "CSR", "CSRにsubjectAltNameを含めることはできません。", "badCSR"},
	{UPKI_E_CSR_KEY_REUSED, "CSR", "この公開鍵はすでに使用されています。", "badCSR"},
	{UPKI_E_DNSNAME_COUNT, "dNSName", "dNSNameの数が上限を超えています。",
	    "rejectedIdentifier"},
	{UPKI_E_DNSNAME_DOMAIN, "dNSName", "dNSNameが機関のドメインではありません。",
	    "rejectedIdentifier"},
	{UPKI_E_CAA, "dNSName", "CAAレコードにより発行が許可されていません。", "caa"},
	{UPKI_E_EMAIL, "利用管理者E-mail", "メールアドレスの形式が正しくありません。",
	    "serverInternal"},
	{UPKI_E_SERIAL_UNKNOWN, "シリアル番号", "指定したシリアル番号の証明書は存在しません。",
	    "serverInternal"},
	{UPKI_E_SERIAL_STATE, "シリアル番号", "指定した証明書は更新できる状態ではありません。",
	    "serverInternal"},
	{UPKI_E_REVOKE_COMMENT, "失効理由コメント",
	    "失効理由が0の場合は失効理由コメントを入力してください。", "serverInternal"},
	{UPKI_E_REVOKE_REASON, "失効理由", "失効理由が正しくありません。",
	    "badRevocationReason"},
	{UPKI_E_REVOKE_STATE, "状態", "証明書の状態により失効申請を受け付けられません。",
	    "serverInternal"},
	{0, NULL, NULL, NULL},
};

const struct upki_code_def *
upki_code_find(int code)
{
	for (const struct upki_code_def *d = upki_codes; d->code != 0; d++)
		if (d->code == code)
			return d;
	return NULL;
}

const char *
upki_err_to_acme(int code)
{
	const struct upki_code_def *d = upki_code_find(code);

	return d != NULL ? d->acme : "serverInternal";
}

const struct upki_bulk_col_def upki_bulk_cols[UPKI_BCOL__MAX] = {
	[UPKI_BCOL_APP_ID] = {{"発行・更新申請-申請ID", "申請ID", NULL}, 1},           /* [S] */
	[UPKI_BCOL_SERIAL] = {{"発行・更新申請-シリアル番号", "シリアル番号", NULL}, 1}, /* [S] */
	[UPKI_BCOL_DN] = {{"主体者DN", NULL, NULL}, 1},                                /* [S] */
	[UPKI_BCOL_STATE] = {{"状態", NULL, NULL}, 1},                                 /* [S] */
	[UPKI_BCOL_KIND] = {{"処理区分", NULL, NULL}, 0},                              /* [X] */
	[UPKI_BCOL_PROFILE] = {{"証明書プロファイルID", NULL, NULL}, 0},               /* [X] */
	[UPKI_BCOL_DNSNAMES] = {{"dNSName", NULL, NULL}, 0},                           /* [X] */
	[UPKI_BCOL_ADMIN_NAME] = {{"利用管理者氏名", NULL, NULL}, 0},                  /* [X] */
	[UPKI_BCOL_ADMIN_EMAIL] = {{"利用管理者E-mail", "利用管理者E-Mail", NULL}, 0}, /* [X] */
	[UPKI_BCOL_APPLIED] = {{"申請日時", NULL, NULL}, 0},                           /* [X] */
	[UPKI_BCOL_NOT_BEFORE] = {{"有効期間開始日", "有効期間開始日時", NULL}, 0},    /* [X] */
	[UPKI_BCOL_NOT_AFTER] = {{"有効期間終了日", "有効期間終了日時", NULL}, 0},     /* [X] */
	[UPKI_BCOL_REVOKED] = {{"失効日時", NULL, NULL}, 0},                           /* [X] */
	[UPKI_BCOL_CERT] = {{"証明書(PEM形式)", "証明書（PEM形式）", NULL}, 1},        /* [D] */
};

const struct upki_state_def upki_states[] = {
	{3, UPKI_CERT_PROCESSING, {"発行処理中", NULL, NULL}},                    /* [X] */
	{4, UPKI_CERT_MAILED, {"発行案内メール送信済み", "取得待ち", NULL}},     /* [S]/[D] */
	{5, UPKI_CERT_DOWNLOADED, {"ダウンロード済み", "発行済み", NULL}},       /* [S]/[I] */
	{6, UPKI_CERT_RENEWED, {"更新済み", NULL, NULL}},                         /* [S] */
	{7, UPKI_CERT_REVOKED, {"失効済み", NULL, NULL}},                         /* [S] */
	{-1, UPKI_CERT_NONE, {NULL, NULL, NULL}},
};

const char *const upki_kind_labels[UPKI_APPLY__MAX] = {
	[UPKI_APPLY_NEW] = "新規",
	[UPKI_APPLY_RENEW] = "更新",
	[UPKI_APPLY_REVOKE] = "失効",
};
