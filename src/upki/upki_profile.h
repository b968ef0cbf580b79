/*
 * upki_profile.h: every fact about NII's UPKI issuance support system that the
 * gateway (and tests/upki-sim) relies on, in one place, tagged as in
 * docs/UPKI.md:
 *   [D] documented by NII/SECOM or a university, [S] secondary (third-party
 *   code talking to the real system), [I] our inference, [X] invented for the
 *   simulator because nothing is public.
 * When better information arrives, change this file and upki_profile.c only.
 *
 * ---------------------------------------------------------------------------
 * Assumed markup of the upload result page [X]. Nobody outside SECOM knows the
 * real markup; only the sentences and the "code:row,項目名,message" shape are
 * known [S: shibcert ra_req.rb]. The simulator must serve pages of this shape,
 * and result_page.c must stay tolerant of anything else (it strips tags and
 * searches the decoded text; it never depends on attributes or nesting).
 * Encoding EUC-JP [S], HTTP 200 in every case [S].
 *
 * Accepted (every row OK):
 *   <html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">
 *   <title>発行・更新・失効申請結果画面</title></head><body>
 *   <p>ファイルのアップロード処理が完了しました。</p>
 *   <table border="1">
 *   <tr><th>SEQ</th><th>処理結果</th><th>エラー内容</th><th>機関名</th><th>所属名</th>
 *       <th>氏名</th><th>メールアドレス</th></tr>
 *   <tr><td>1</td><td>OK</td><td></td><td>Nagoya University</td>
 *       <td>情報連携推進本部</td><td>山田 太郎</td><td>taro@example.ac.jp</td></tr>
 *   </table></body></html>
 *
 * Refused (errorFlg abort-all, or any NG row):
 *   <title>発行・更新・失効申請エラー画面</title> ...
 *   <p>発行処理が以下のエラーにより正常終了しませんでした。</p>
 *   <table border="1"> (header row as above)
 *   <tr><td>1</td><td>NG</td><td>212:1,主体者DN,指定したDNはすでに存在しています。<br>
 *       218:1,CSR,この公開鍵はすでに使用されています。</td><td>...</td>...</tr>
 *   </table>
 *   Several errors of one row sit in one cell separated by <br>.
 *
 * Busy (bulk TSV download over the rate limit, or any request while busy) [X]:
 *   <html><head><meta ... charset=EUC-JP><title>エラー</title></head><body>
 *   <p>只今混み合っております。しばらく時間をおいてから再度実行してください。</p>
 *   </body></html>
 *
 * Maintenance [X]: the same page with UPKI_TEXT_MAINTENANCE, HTTP 503.
 * ---------------------------------------------------------------------------
 */
#ifndef UPKI_PROFILE_H
#define UPKI_PROFILE_H

#include <stddef.h>

#include "autoconf.h"

/* ---- the web application (UPKI.md §5, §10) ------------------------------------ */
/*
 * The backend uses these (session.h includes this header).
 */
#define UPKI_PATH_DEFAULT "/upki-odcert"           /* [D] context of the web app */
#define UPKI_PATH_LOGIN "/lra/SSLLogin.do"         /* [D] */
#define UPKI_PATH_MENU "/lra/MainMenu.do"          /* [S] */
#define UPKI_PATH_UPLOAD "/lra/SP1011.do"          /* [X] form action */
#define UPKI_PATH_BULK "/lra/syomeiDL_S.do"        /* [X] server-certificate bulk TSV */
#define UPKI_FORM_UPLOAD "SP1011"                  /* [D] forwardName / form name */
#define UPKI_FORM_MENU "MainMenuForm"              /* [S] */
#define UPKI_FIELD_FORWARD "forwardName"           /* [S] menu form field */
#define UPKI_FIELD_APPLY_TYPE "applyType"          /* [S] 1/2/3, enum upki_apply_type */
#define UPKI_FIELD_ERROR_FLG "errorFlg"            /* [S] */
#define UPKI_FIELD_FILE "file"                     /* [S] the TSV, any file name */
#define UPKI_ERRORFLG_ABORT_ALL "1"                /* [X] refuse all rows if one is bad */
#define UPKI_ERRORFLG_PER_ROW "2"                  /* [X] refuse only the bad rows */
#define UPKI_COOKIE_SESSION "JSESSIONID"           /* [X] */

/* ---- upload TSV: common rules (UPKI.md §2) -------------------------------- */

#define UPKI_TSV_COLUMNS 15      /* [I] server TSV, like the client TSV [D] */
#define UPKI_TSV_SEP '\t'        /* [D] no quoting at all [D] */
#define UPKI_TSV_EOL "\r\n"      /* [D] CRLF or LF accepted; we write CRLF */
/* Refused in every cell besides control characters [I]: "cells must not be
 * quoted" [D], and the server may take a leading '"' as quoting. */
#define UPKI_TSV_FORBIDDEN "\""

/* applyType of form SP1011 [D/S]; also the bulk TSV 処理区分 values [X]. */
enum upki_apply_type {
	UPKI_APPLY_NEW = 1,     /* 新規 / 発行 */
	UPKI_APPLY_RENEW = 2,   /* 更新 */
	UPKI_APPLY_REVOKE = 3,  /* 失効 */
	UPKI_APPLY__MAX
};
#define UPKI_APPLY_BIT(t) (1u << (t))

/* ---- upload TSV: the fields we write (UPKI.md §3 reconstruction [I]) ----- */

enum upki_field {
	UPKI_F_DN,          /* 主体者DN */
	UPKI_F_PROFILE,     /* 証明書プロファイルID */
	UPKI_F_SERIAL,      /* (失効対象)証明書シリアル番号, decimal */
	UPKI_F_REASON,      /* 失効理由 */
	UPKI_F_COMMENT,     /* 失効理由コメント */
	UPKI_F_CSR,         /* CSR */
	UPKI_F_ADMIN_NAME,  /* 利用管理者氏名 */
	UPKI_F_ADMIN_ORG,   /* 利用管理者所属 */
	UPKI_F_ADMIN_EMAIL, /* 利用管理者E-mail */
	UPKI_F_FQDN,        /* サーバFQDN (= CN) */
	UPKI_F_SOFTWARE,    /* サーバソフトウェア */
	UPKI_F_DNSNAMES,    /* dNSName list */
	UPKI_F__MAX
};

enum upki_unit {
	UPKI_UNIT_BYTES, /* 半角 limit: ASCII only, so bytes = characters */
	UPKI_UNIT_CHARS  /* 全/半角 limit: Unicode characters, each counts 1 [I] */
};

struct upki_field_def {
	unsigned char column;   /* 1-based TSV column */
	unsigned char used;     /* UPKI_APPLY_BIT()s of the kinds that write it */
	unsigned char required; /* UPKI_APPLY_BIT()s of the kinds where it must be non-empty */
	unsigned char unit;     /* enum upki_unit */
	unsigned short max;     /* length limit in unit */
	const char *name_ja;    /* 項目名 as UPKI shows it in errors */
	const char *name_en;
};

/* Indexed by enum upki_field. */
extern const struct upki_field_def upki_fields[UPKI_F__MAX];

/* Subject DN (UPKI.md §4). */
#define UPKI_DN_MAX 250          /* [D] whole DN, 半角 */
#define UPKI_DN_VALUE_MAX 64     /* [D] each attribute value */
#define UPKI_DN_PUNCT "'(),-./:= " /* [D] besides A-Za-z0-9 */
#define UPKI_DN_COUNTRY "JP"     /* [D] */
/*
 * Written order and separator [I]: "CN=…,O=…,L=…,ST=…,C=JP". A ',' inside a
 * value (allowed by [D]) is written as RFC 4514 "\," [I]; '=' is left as is.
 */
#define UPKI_DN_SEP ","
#define UPKI_DN_ORDER {"CN", "O", "L", "ST", "C"} /* [I] keys of struct upki_dn */

/* CSR column [I]: the PEM text on one line, as the NII TSV tool is believed to
 * write it: armor lines kept, and each line break replaced by the join text. */
#define UPKI_CSR_KEEP_ARMOR 1    /* [I] keep "-----BEGIN CERTIFICATE REQUEST-----" */
#define UPKI_CSR_LINE_JOIN ""    /* [I] what replaces each line break */
#define UPKI_CSR_MAX 2048        /* [D odcert] bytes after joining */

/* Names. */
#define UPKI_FQDN_MAX 64         /* [D odcert] */
/* Wildcards [I]: never the CN (the DN's characters exclude '*' [D]); "*.x" in the
 * dNSName column only when the operator sets upki_wildcards (default off). */
#define UPKI_DNSNAMES_SEP ","    /* [I] the separator text is cut off in our copy */
#define UPKI_DNSNAMES_LIST_MAX 250 /* [D odcert] whole cell, 半角 */
#define UPKI_DNSNAMES_MAX 8      /* [X] from the UPKI ACME rule, CN included */
#define UPKI_DNSNAMES_HAS_CN 1   /* [I] the list starts with the CN */
#define UPKI_EMAIL_PUNCT "-_@."  /* [D] only symbols allowed in E-mail */
#define UPKI_SERIAL_DIGITS_MAX 48 /* [I] odcert said 32 [D]; a 20-octet serial needs 48 */
#define UPKI_PROFILE_ID_MAX 2    /* [I] IDs 1..16 seen */

/* Revocation. */
#define UPKI_REVOKE_REASONS { 0, 1, 3, 4, 5 } /* [I] RFC 5280 codes */
#define UPKI_REVOKE_COMMENT_REQUIRED_FOR 0   /* [D] reason 0 needs a comment */
#define UPKI_REVOKE_COMMENT_MAX 128          /* [X] */

/* ---- result page (UPKI.md §5) ------------------------------------------- */

#define UPKI_TEXT_UPLOAD_DONE "ファイルのアップロード処理が完了しました。"             /* [S] */
#define UPKI_TEXT_UPLOAD_FAILED "発行処理が以下のエラーにより正常終了しませんでした。" /* [S] */
#define UPKI_TEXT_ERROR_TITLE "発行・更新・失効申請エラー画面"                       /* [S] (prefix cut) */
#define UPKI_TEXT_RESULT_TITLE "発行・更新・失効申請結果画面"                        /* [X] */
#define UPKI_TEXT_BUSY "只今混み合っております。しばらく時間をおいてから再度実行してください。" /* [X] */
#define UPKI_TEXT_BUSY_KEY "只今混み合っております"                                 /* [X] what we search */
#define UPKI_TEXT_MAINTENANCE "ただいまシステムメンテナンス中です。"                 /* [X] */
#define UPKI_TEXT_MAINTENANCE_KEY "メンテナンス中"                                   /* [X] */
#define UPKI_TEXT_RESULT_OK "OK"  /* [S] 処理結果 column */
#define UPKI_TEXT_RESULT_NG "NG"  /* [S] */

/*
 * Error codes in "code:row,項目名,message" lines. Only 212 and its text are
 * real [S]; the rest are invented for the simulator [X]. acme is the RFC 8555
 * problem type (without "urn:ietf:params:acme:error:") the gateway answers.
 */
enum upki_code {
	UPKI_E_QUOTED = 101,        /* [X] a quoted cell */
	UPKI_E_COLUMNS = 102,       /* [X] wrong column count */
	UPKI_E_ENCODING = 103,      /* [X] not cp932 */
	UPKI_E_DN_SYNTAX = 201,     /* [X] */
	UPKI_E_DN_INSTITUTION = 202, /* [X] O/L/ST differ from the institution record */
	UPKI_E_DN_OU = 205,         /* [X] OU present */
	UPKI_E_DN_DOMAIN = 207,     /* [X] CN not under an institution domain */
	UPKI_E_CSR_SYNTAX = 211,    /* [X] */
	UPKI_E_DN_EXISTS = 212,     /* [S] 新規 for a DN ever issued */
	UPKI_E_CSR_SUBJECT = 213,   /* [X] CSR subject differs from column 1 */
	UPKI_E_CSR_KEY = 214,       /* [X] key type or size refused */
	UPKI_E_CSR_SAN = 216,       /* [X] SAN extension in the CSR */
	UPKI_E_CSR_KEY_REUSED = 218, /* [X] public key seen before */
	UPKI_E_DNSNAME_COUNT = 221, /* [X] */
	UPKI_E_DNSNAME_DOMAIN = 222, /* [X] */
	UPKI_E_CAA = 223,           /* [X] CAA forbids secomtrust.net */
	UPKI_E_EMAIL = 231,         /* [X] */
	UPKI_E_SERIAL_UNKNOWN = 241, /* [X] 更新/失効 serial not found or DN differs */
	UPKI_E_SERIAL_STATE = 242,  /* [X] 更新 of a certificate in a wrong state */
	UPKI_E_REVOKE_COMMENT = 251, /* [X] reason 0 without comment */
	UPKI_E_REVOKE_REASON = 252, /* [X] */
	UPKI_E_REVOKE_STATE = 260   /* [X] revocation refused while 状態 is 4 (Nagoya §4.8 [D]) */
};

struct upki_code_def {
	int code;
	const char *field;   /* 項目名 printed in the error line */
	const char *message; /* message printed in the error line (UTF-8) */
	const char *acme;    /* ACME problem type */
};

/* Table of the codes above, ending with code 0. */
extern const struct upki_code_def upki_codes[];

/* The entry for code, or NULL. */
const struct upki_code_def *upki_code_find(int code);

/*
 * ACME problem type for a UPKI error code: "badCSR", "rejectedIdentifier",
 * "caa", "badRevocationReason", ... and "serverInternal" for every code that
 * means the gateway or its configuration is at fault, or that is unknown.
 * Never NULL; static storage.
 */
const char *upki_err_to_acme(int code);

/* ---- bulk certificate TSV (UPKI.md §5, §10) -------------------------------- */

/*
 * Columns found by name in the header row. Names of the first four are seen in
 * shibcert [S]; the 証明書(PEM形式) field is documented [D]; the others are
 * invented for the simulator [X]. Aliases tolerate small variations [X].
 */
enum upki_bulk_col {
	UPKI_BCOL_APP_ID,      /* 発行・更新申請-申請ID */
	UPKI_BCOL_SERIAL,      /* 発行・更新申請-シリアル番号 */
	UPKI_BCOL_DN,          /* 主体者DN */
	UPKI_BCOL_STATE,       /* 状態 */
	UPKI_BCOL_KIND,        /* 処理区分 */
	UPKI_BCOL_PROFILE,     /* 証明書プロファイルID */
	UPKI_BCOL_DNSNAMES,    /* dNSName */
	UPKI_BCOL_ADMIN_NAME,  /* 利用管理者氏名 */
	UPKI_BCOL_ADMIN_EMAIL, /* 利用管理者E-mail */
	UPKI_BCOL_APPLIED,     /* 申請日時 */
	UPKI_BCOL_NOT_BEFORE,  /* 有効期間開始日 */
	UPKI_BCOL_NOT_AFTER,   /* 有効期間終了日 */
	UPKI_BCOL_REVOKED,     /* 失効日時 */
	UPKI_BCOL_CERT,        /* 証明書(PEM形式) */
	UPKI_BCOL__MAX
};

#define UPKI_BULK_COL_NAMES 3 /* names per column, NULL-padded */

struct upki_bulk_col_def {
	const char *names[UPKI_BULK_COL_NAMES]; /* names[0] is what the simulator writes */
	unsigned char required;                 /* a header without it is refused */
};

/* Indexed by enum upki_bulk_col, in the simulator's column order [X]. */
extern const struct upki_bulk_col_def upki_bulk_cols[UPKI_BCOL__MAX];

/* 状態 values [S shibcert]; names as the gateway understands them [I]. */
enum upki_cert_state {
	UPKI_CERT_NONE,       /* cell empty (never passed to a row callback as valid) */
	UPKI_CERT_PROCESSING, /* 3 発行処理中 [X] */
	UPKI_CERT_MAILED,     /* 4 発行案内メール送信済み / 取得待ち: revocation refused [D] */
	UPKI_CERT_DOWNLOADED, /* 5 ダウンロード済み / 発行済み */
	UPKI_CERT_RENEWED,    /* 6 更新済み */
	UPKI_CERT_REVOKED,    /* 7 失効済み */
	UPKI_CERT_ERROR,      /* any other value: エラー [S] (raw value kept) */
	UPKI_CERT__MAX
};

struct upki_state_def {
	int code;                /* number in the 状態 cell */
	enum upki_cert_state state;
	const char *labels[3];   /* texts accepted instead of the number [I], NULL-padded */
};

/* Ends with code -1. */
extern const struct upki_state_def upki_states[];

/* Texts accepted in 処理区分 instead of 1/2/3 [X], indexed by enum upki_apply_type. */
extern const char *const upki_kind_labels[UPKI_APPLY__MAX];

/* Dates: "YYYY/MM/DD HH:MM:SS" in JST [X]; the parser also takes '-' and a
 * missing time or seconds. JST has no daylight saving time. */
#define UPKI_TZ_OFFSET_S (9 * 3600)
#define UPKI_DATE_SEP '/'

/* The PEM cell [I]: one line (header and footer kept, base64 unwrapped) or a
 * quoted multi-line cell; the parser accepts both, the simulator writes the
 * first by default. */
#define UPKI_BULK_PEM_MAX_CERTS 4 /* [I] a cell holding a chain is accepted */

/*
 * Bound on one record (row) of the bulk TSV in bytes, from Kconfig; a longer
 * row is reported as a bad row and skipped. The parser context holds about
 * 4 times this.
 */
#define UPKI_BULK_RECORD_MAX CONFIG_UPKI_BULK_RECORD_MAX
/* An HTML answer is scanned this far for the busy text, then refused. */
#define UPKI_BULK_HTML_SCAN_MAX (64 * 1024)

#endif
