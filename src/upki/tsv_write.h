/*
 * tsv_write.h: the application TSV that the RA officer's upload (form SP1011)
 * carries: 15 TAB-separated columns, Shift_JIS (cp932), CRLF, no quoting, no
 * header, one application per row. Column positions, limits and texts come from
 * upki_profile.h.
 *
 * Every value is checked before a byte is written: a value with a TAB, CR, LF
 * or another control character, a character outside ASCII + JIS X 0208, a value
 * over its limit or breaking its column's syntax is refused, and struct
 * upki_err names the column (Japanese and English) and says what is wrong, in a
 * sentence fit for an operator or an ACME problem detail.
 *
 * No allocation; the output goes into a caller buffer.
 */
#ifndef UPKI_TSV_WRITE_H
#define UPKI_TSV_WRITE_H

#include <stddef.h>

#include "upki/upki_profile.h"

/* Why a value was refused. column is the 1-based TSV column, 0 when the error
 * is not about one column. msg is UTF-8, NUL-terminated, one line. */
struct upki_err {
	int column;
	char msg[256];
};

/* Subject DN parts, UTF-8 (in practice ASCII: UPKI's DN character set). */
struct upki_dn {
	const char *cn; /* server FQDN */
	const char *o;  /* institution's registered English name */
	const char *l;  /* from NII's list, fixed per institution */
	const char *st;
	const char *c;  /* NULL or "" means "JP"; anything else but "JP" is refused */
};

/*
 * Write the DN in UPKI's order and syntax, "CN=…,O=…,L=…,ST=…,C=JP", NUL-
 * terminated, into out. Checks each value: present, at most UPKI_DN_VALUE_MAX
 * characters of A-Za-z0-9 and UPKI_DN_PUNCT, no leading or trailing space; and
 * the whole at most UPKI_DN_MAX bytes. 0; ERR_MALFORMED, ERR_UNSUPPORTED or
 * ERR_TOOBIG (over a limit) with e filled (e may be NULL); ERR_NOMEM when out
 * (outsz) cannot hold the result.
 */
int upki_dn_format(char *out, size_t outsz, const struct upki_dn *dn, struct upki_err *e);

/*
 * One application. All strings are UTF-8 and NUL-terminated; NULL means empty.
 * Which fields a kind uses is upki_fields[].used; unused ones are ignored.
 */
struct upki_app {
	enum upki_apply_type type;
	struct upki_dn dn;           /* subject; used unless dn_raw is set */
	const char *dn_raw;          /* 更新/失効: the old certificate's DN exactly as UPKI
	                              * lists it (printable ASCII); the CN for column 11
	                              * is taken from dn.cn, else from dn_raw */
	const char *profile_id;      /* 証明書プロファイルID, digits */
	const char *csr_pem;         /* PEM CSR, any line ends; written on one line */
	const char *admin_name;      /* 利用管理者氏名 */
	const char *admin_org;       /* 利用管理者所属 */
	const char *admin_email;     /* 利用管理者E-mail */
	const char *software;        /* サーバソフトウェア名・バージョン */
	const char *const *dnsnames; /* extra dNSNames; the CN may be listed or not */
	size_t n_dnsnames;
	const char *serial;          /* 更新: old certificate, 失効: the certificate; decimal */
	int reason;                  /* 失効理由, one of UPKI_REVOKE_REASONS */
	const char *comment;         /* 失効理由コメント; required for reason 0 */
};

/* A TSV being built in a caller buffer; rows are appended one by one. */
struct upki_tsv {
	char *buf;     /* Shift_JIS bytes, not NUL-terminated */
	size_t cap;
	size_t len;
	unsigned rows;
};

void upki_tsv_init(struct upki_tsv *w, char *buf, size_t cap);

/*
 * Check a and append its row (15 columns and CRLF). 0 on success. On failure
 * nothing is written (w is unchanged) and the return is ERR_MALFORMED (a value
 * breaks a rule), ERR_UNSUPPORTED (a character UPKI cannot take), ERR_TOOBIG
 * (a value over its limit), ERR_RANGE (a number out of range), or ERR_NOMEM
 * when the buffer is full (e->column 0); e (may be NULL) says which column and
 * why.
 */
int upki_tsv_append(struct upki_tsv *w, const struct upki_app *a, struct upki_err *e);

/* One row into out: upki_tsv_init + upki_tsv_append; *outlen gets its length. */
int upki_tsv_row(char *out, size_t outsz, size_t *outlen, const struct upki_app *a,
    struct upki_err *e);

/*
 * Certificate serials: UPKI prints and wants them in decimal; X.509 holds them
 * as big-endian bytes. upki_serial_to_decimal writes be[0..n) (n <= 32,
 * unsigned, leading zero bytes allowed) as decimal digits without leading
 * zeros and a NUL: 0 or ERR_TOOBIG. upki_serial_from_decimal does the reverse
 * into the shortest big-endian form (at least one byte, no sign byte): 0,
 * ERR_MALFORMED (not 1..UPKI_SERIAL_DIGITS_MAX digits) or ERR_TOOBIG.
 */
int upki_serial_to_decimal(char *out, size_t outsz, const unsigned char *be, size_t n);
int upki_serial_from_decimal(unsigned char *out, size_t outsz, size_t *outlen,
    const char *dec, size_t n);

#endif
