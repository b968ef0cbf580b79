/*
 * upki_mail.h: UPKI's issuance mail, checked end to end and reduced to the
 * three facts the pickup step may use: the serial (decimal), the subject and
 * the one-time download URL. Nothing else of the mail is trusted or used; the
 * URL is taken only when its scheme, host and path prefix are those of the
 * configured download service (upki_download_url), never from the mail's own
 * headers or other links.
 *
 * Order of the checks, so that the reason names the first real failure: MIME
 * structure, multipart/signed, the CMS signature and the signer's chain
 * (mail/cms.h), the From address (upki_mail_from), then the signed text
 * (ISO-2022-JP, UTF-8, ...) for the serial and the URL.
 *
 * For the pickup step (issue 19 item 3): keep with the stored message (the
 * receiver's record id) why, reason, from, message_id and signer, whatever the
 * verdict; act only when why == MAIL_WHY_OK, and then only on serial (match
 * the job by serial and DN, as the bulk path does) and url (fetch it with the
 * UPKI client, no redirects: the URL was checked here, its answer is not).
 * A replay is the pickup's to detect (the same message_id or serial twice,
 * or UPKI refusing a used one-time URL); signing_time can bound its age.
 *
 * Pure and bounded: the caller provides the working memory (struct
 * mail_upki_work, about 300 KiB: allocate it per check, e.g. from the
 * receiver's arena) and the result struct.
 */
#ifndef MAIL_UPKI_MAIL_H
#define MAIL_UPKI_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "mail/cms.h"
#include "mail/mime.h"

#define MAIL_SERIAL_MAX 49            /* decimal digits of a 20-byte serial */
#define MAIL_URL_MAX 512
#define MAIL_TEXT_MAX (64u * 1024u)   /* the signed text body, decoded bytes */
#define MAIL_REASON_MAX 320
#define MAIL_MSGID_MAX 256

/* What the check is held to. Pointers are borrowed for the call. */
struct mail_upki_policy {
	const char *from;               /* upki_mail_from */
	const char *download_url;       /* upki_download_url, "https://host[:port]/path/" */
	const struct mail_anchors *anchors; /* upki_mail_ca */
	int64_t now;                    /* Unix seconds, for certificate validity */
};

/*
 * The verdict and, when why == MAIL_WHY_OK, the facts. On refusal, reason
 * says why in one line ("<name>: <sentence> (<detail>)") and the fields found
 * before the failing check are kept (from, subject, message_id) for the
 * operator; serial and url are then "".
 */
struct mail_upki {
	int why;                           /* enum mail_why */
	char reason[MAIL_REASON_MAX];
	char from[MAIL_ADDR_MAX + 1];
	char subject[MAIL_HDR_TEXT_MAX];
	char message_id[MAIL_MSGID_MAX];
	char signer[512];                  /* the signer's subject DN (x509_name_format) */
	int64_t signing_time;              /* signingTime attribute, 0 when absent */
	char serial[MAIL_SERIAL_MAX + 1];  /* decimal, no leading zeros */
	char url[MAIL_URL_MAX + 1];
};

struct mail_upki_work {
	struct mail_entity top, content, sig, sub;
	struct mail_signed parts;
	struct mail_cms cms;
	unsigned char der[MAIL_CMS_MAX];
	unsigned char scratch[MAIL_TEXT_MAX];
	char text[MAIL_TEXT_MAX * 2 + 1];
};

/*
 * Check the whole message msg[0..len) (as received, CRLF or LF). Returns 0
 * when the mail is proven (out->why == MAIL_WHY_OK); ERR_DENIED for a mail
 * that parsed but failed a check (forged, unsigned, altered, foreign URL);
 * ERR_MALFORMED or ERR_TOOBIG for one that does not parse. out is always
 * filled (why, reason).
 */
int mail_upki_check(struct mail_upki_work *w, const struct mail_upki_policy *pol,
    const char *msg, size_t len, struct mail_upki *out);

/*
 * 1 when url[0..n) is under prefix (upki_download_url): scheme https, the
 * same host and port (case-insensitive host), the path starting with the
 * prefix's path, and the rest made only of [A-Za-z0-9-._~/?=&+] (with '%'
 * after the '?'), without "..", "//", '#' or user information. Else 0.
 */
int mail_upki_url_ok(const char *prefix, const char *url, size_t n);

/*
 * The serial after "シリアル番号" or "Serial Number" (then ':' or '：', spaces)
 * in the UTF-8 text: 0 and the digits (leading zeros dropped) in out; ERR_NOTFOUND;
 * ERR_MALFORMED when two differ or one is over MAIL_SERIAL_MAX digits.
 */
int mail_upki_serial(const char *text, size_t n, char out[MAIL_SERIAL_MAX + 1]);

#endif
