/*
 * Upload TSV writer: random field values (the input split at NUL bytes).
 * Whatever is accepted must come out as exactly one row of 15 cells, CRLF,
 * no quote, control character or line break inside a cell, strictly
 * decodable Shift_JIS; whatever is refused must leave the buffer untouched
 * and say why in valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upki/sjis.h"
#include "upki/tsv_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[8192], out[8192], utf[3 * 8192];
	const char *f[20] = {0};
	const char *names[8];
	struct upki_app a;
	struct upki_err e;
	struct upki_tsv w;
	size_t nf = 0, n, tabs = 0;
	int rc;

	if (size < 1 || size >= sizeof(in))
		return 0;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	f[nf++] = in;
	for (size_t i = 0; i + 1 < size && nf < 20; i++) {
		if (in[i] == '\0')
			f[nf++] = in + i + 1;
	}
	memset(&a, 0, sizeof(a));
	a.type = (enum upki_apply_type)(data[0] % 4);
	a.dn.cn = f[0];
	a.dn.o = f[1];
	a.dn.l = f[2];
	a.dn.st = f[3];
	a.dn.c = f[4];
	a.dn_raw = data[0] & 0x80 ? f[5] : NULL;
	a.profile_id = f[6];
	a.csr_pem = f[7];
	a.admin_name = f[8];
	a.admin_org = f[9];
	a.admin_email = f[10];
	a.software = f[11];
	a.serial = f[12];
	a.comment = f[13];
	a.reason = (data[0] >> 2) % 6;
	for (size_t k = 14; k < nf && a.n_dnsnames < 8; k++)
		names[a.n_dnsnames++] = f[k] != NULL ? f[k] : "";
	a.dnsnames = names;

	memset(out, 0x55, sizeof(out));
	upki_tsv_init(&w, out, (size_t)(data[0] & 0x40 ? 4096 : sizeof(out)));
	rc = upki_tsv_append(&w, &a, &e);
	if (upki_utf8_check(e.msg, strlen(e.msg), NULL, NULL) != 0)
		abort();
	if (rc != 0) {
		if (w.len != 0 || w.rows != 0 || (unsigned char)out[0] != 0x55 || e.msg[0] == '\0')
			abort();
		return 0;
	}
	if (w.rows != 1 || w.len < 16 || out[w.len - 2] != '\r' || out[w.len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 2 < w.len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\t')
			tabs++;
		else if (c < 0x20 || c == 0x7F || c == '"')
			abort();
	}
	if (tabs != 14)
		abort();
	if (sjis_to_utf8(utf, sizeof(utf), &n, out, w.len, 0, NULL) != 0)
		abort();
	return 0;
}
