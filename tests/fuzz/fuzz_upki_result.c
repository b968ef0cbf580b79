/* Result page parser: random bytes as an EUC-JP page. Checks the result is
 * consistent and every text in it is valid UTF-8 within its bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upki/result_page.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upki_result r;
	char detail[300];
	size_t n;
	int rc = upki_result_parse(&r, data, size);

	if ((rc == 0) != (r.ok == 1) || (rc == 0 && r.page != UPKI_PAGE_DONE))
		abort();
	if (rc != 0 && rc != ERR_REJECTED && rc != ERR_RATELIMIT && rc != ERR_AGAIN &&
	    rc != ERR_PROTOCOL)
		abort();
	if (r.n_errors < 0 || r.n_errors > UPKI_RESULT_MAX_ERRORS || r.n_rows < 0 ||
	    r.n_rows > UPKI_RESULT_MAX_ROWS)
		abort();
	for (int i = 0; i < r.n_errors; i++) {
		if (strlen(r.errors[i].field) >= sizeof(r.errors[i].field) ||
		    strlen(r.errors[i].message) >= sizeof(r.errors[i].message) ||
		    upki_utf8_check(r.errors[i].field, strlen(r.errors[i].field), NULL, NULL) ||
		    upki_utf8_check(r.errors[i].message, strlen(r.errors[i].message), NULL, NULL))
			abort();
	}
	if (upki_result_acme(&r) == NULL)
		abort();
	n = upki_result_detail(&r, detail, (size % sizeof(detail)) + 1);
	if (n != strlen(detail) || upki_utf8_check(detail, n, NULL, NULL) != 0)
		abort();
	return 0;
}
