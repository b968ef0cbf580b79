/*
 * Fuzz every stored-record decoder. A decoder must refuse or accept without
 * crashing; what it accepts must encode back to exactly the same bytes (the
 * encoding is canonical, so nothing is silently lost or invented on a rewrite).
 * A record of an older version (rec_eab version 1) is rewritten at the current
 * version instead: that encoding must decode and encode back to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/rec.h"
#include "store/records.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[REC_ENC_MAX], again[REC_ENC_MAX];

static void
check_same(int rc, const uint8_t *data, size_t size, size_t len)
{
	if (rc != 0 || len != size || memcmp(out, data, size) != 0)
		abort();
}

#define FUZZ_ONE(type)                                                              \
	do {                                                                        \
		static struct rec_##type r;                                         \
		size_t len_ = 0;                                                    \
		int rc_ = rec_##type##_decode(&r, data, size);                      \
		if (rc_ == 0) {                                                     \
			rc_ = rec_##type##_encode(&r, out, sizeof(out), &len_);     \
			if (rc_ == 0 && len_ > 0 && size > 0 && out[0] > data[0]) { \
				size_t n2_ = 0;                                     \
				if (rec_##type##_decode(&r, out, len_) != 0 ||      \
				    rec_##type##_encode(&r, again, sizeof(again),   \
							&n2_) != 0)                 \
					abort();                                    \
				if (n2_ != len_ || memcmp(again, out, len_) != 0)   \
					abort();                                    \
			} else {                                                    \
				check_same(rc_, data, size, len_);                  \
			}                                                           \
		} else if (rc_ != ERR_MALFORMED && rc_ != ERR_VERSION) {            \
			abort();                                                    \
		}                                                                   \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_ONE(eab);
	FUZZ_ONE(account);
	FUZZ_ONE(order);
	FUZZ_ONE(authz);
	FUZZ_ONE(cert);
	FUZZ_ONE(job);
	FUZZ_ONE(dn);
	return 0;
}
