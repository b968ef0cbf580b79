/* store/: the record codec: known-answer vectors, every field at its limit, errors. */
#include "store_fx.h"

/* ---- codec -------------------------------------------------------------------------- */

static void
test_codec_vector(void **state)
{
	static const uint8_t want[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0x00, 0x00, 0x00, 0x02, 'a', 'b',
		0x00, 0x00, 0x00, 0x03, 'x', 'y', 'z',
		0xaa, 0xbb,
	};
	uint8_t buf[64], raw[2];
	struct rec_w w;
	struct rec_r r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;
	char s[4], b[4];
	size_t n, len;

	(void)state;
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_u8(&w, 1);
	rec_w_u16(&w, 0x0203);
	rec_w_u32(&w, 0x04050607);
	rec_w_u64(&w, 0x0102030405060708ull);
	rec_w_i64(&w, -2);
	rec_w_bytes(&w, "ab", 2);
	rec_w_str(&w, "xyz", 4);
	rec_w_raw(&w, "\xaa\xbb", 2);
	assert_int_equal(rec_w_finish(&w, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));

	rec_r_init(&r, want, sizeof(want));
	assert_int_equal(rec_r_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(rec_r_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rec_r_u32(&r, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rec_r_u64(&r, &u64), 0);
	assert_int_equal(u64, 0x0102030405060708ull);
	assert_int_equal(rec_r_i64(&r, &i64), 0);
	assert_int_equal(i64, -2);
	assert_int_equal(rec_r_bytes(&r, b, sizeof(b), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(b, "ab", 2);
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "xyz");
	assert_int_equal(rec_r_done(&r), ERR_MALFORMED); /* two bytes left */
	assert_int_equal(rec_r_raw(&r, raw, 2), 0);
	assert_memory_equal(raw, "\xaa\xbb", 2);
	assert_int_equal(rec_r_done(&r), 0);
}

static void
test_codec_errors(void **state)
{
	static const uint8_t len_over[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t nul_in[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t too_long[] = { 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
	uint8_t buf[8];
	struct rec_w w;
	struct rec_r r;
	uint32_t u32 = 99;
	uint64_t u64 = 99;
	char s[4];
	size_t len;

	(void)state;
	/* Writer: overflow is sticky; unterminated string is a range error. */
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_u64(&w, 1);
	rec_w_u8(&w, 1);
	rec_w_u8(&w, 1);
	assert_int_equal(rec_w_finish(&w, &len), ERR_TOOBIG);
	assert_int_equal(w.len, 8);
	rec_w_init(&w, buf, sizeof(buf));
	rec_w_str(&w, "abcd", 4);
	assert_int_equal(rec_w_finish(&w, &len), ERR_RANGE);

	/* Reader: truncation, length over the rest, over the destination, NUL inside. */
	rec_r_init(&r, "\x01\x02\x03", 3);
	assert_int_equal(rec_r_u32(&r, &u32), ERR_MALFORMED);
	assert_int_equal(u32, 0);
	assert_int_equal(rec_r_u64(&r, &u64), ERR_MALFORMED); /* sticky */
	assert_int_equal(u64, 0);
	assert_int_equal(rec_r_done(&r), ERR_MALFORMED);
	rec_r_init(&r, len_over, sizeof(len_over));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	rec_r_init(&r, huge_len, sizeof(huge_len));
	assert_int_equal(rec_r_bytes(&r, buf, sizeof(buf), &len), ERR_MALFORMED);
	assert_int_equal(len, 0);
	rec_r_init(&r, nul_in, sizeof(nul_in));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	assert_string_equal(s, "");
	rec_r_init(&r, too_long, sizeof(too_long));
	assert_int_equal(rec_r_str(&r, s, sizeof(s)), ERR_MALFORMED);
	rec_r_init(&r, NULL, 0);
	assert_int_equal(rec_r_done(&r), 0);
}

/* The encoding is a format on disk: pin it. */
static void
test_record_vector(void **state)
{
	static const uint8_t want[] = {
		0x01,
		0x00, 0x00, 0x00, 0x04, 'C', 'N', '=', 'a',
		0x00, 0x00, 0x00, 0x02, '1', '2',
		0x00, 0x00, 0x00, 0x03,
		0x00, 0x00, 0x00, 0x00, 0x69, 0x55, 0xb9, 0x00,
	};
	struct rec_dn d, back;
	uint8_t buf[64];
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	strcpy(d.dn, "CN=a");
	strcpy(d.last_serial_dec, "12");
	d.flags = 3;
	d.updated = 1767225600;
	assert_int_equal(rec_dn_encode(&d, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(rec_dn_decode(&back, want, sizeof(want)), 0);
	eq_dn(&d, &back);
	assert_int_equal(rec_dn_encode(&d, buf, sizeof(want) - 1, &len), ERR_TOOBIG);
}

/*
 * Encode a full record, check it decodes back equal, then check that every
 * strict prefix, a trailing byte, version 0 and a newer version are refused.
 */
#define CODEC_CHECK(type, rec, eq)                                                        \
	do {                                                                              \
		static uint8_t buf_[REC_ENC_MAX + 1];                                     \
		static struct rec_##type back_;                                           \
		size_t len_ = 0;                                                          \
		assert_int_equal(rec_##type##_encode((rec), buf_, REC_ENC_MAX, &len_), 0); \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), 0);             \
		eq((rec), &back_);                                                        \
		for (size_t l_ = 0; l_ < len_; l_++)                                      \
			if (rec_##type##_decode(&back_, buf_, l_) != ERR_MALFORMED)       \
				fail_msg("%s: prefix of %zu/%zu bytes accepted", #type,   \
					 l_, len_);                                       \
		buf_[len_] = 0;                                                           \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_ + 1), ERR_MALFORMED); \
		uint8_t v_ = buf_[0];                                                     \
		buf_[0] = 0;                                                              \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), ERR_MALFORMED); \
		buf_[0] = (uint8_t)(v_ + 1);                                              \
		assert_int_equal(rec_##type##_decode(&back_, buf_, len_), ERR_VERSION);   \
	} while (0)

static void
test_codecs_full(void **state)
{
	static struct rec_eab e;
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_cert c;
	static struct rec_job j;
	static struct rec_dn d;

	(void)state;
	full_eab(&e, 1);
	full_account(&a, 2, 2);
	full_order(&o, 3, 2, 3);
	full_authz(&z, 4, 2, 4);
	full_cert(&c, 5, 5);
	full_job(&j, 6, 6);
	full_dn(&d, 7);
	CODEC_CHECK(eab, &e, eq_eab);
	CODEC_CHECK(account, &a, eq_account);
	CODEC_CHECK(order, &o, eq_order);
	CODEC_CHECK(authz, &z, eq_authz);
	CODEC_CHECK(cert, &c, eq_cert);
	CODEC_CHECK(job, &j, eq_job);
	CODEC_CHECK(dn, &d, eq_dn);
}

static void
test_encode_refuses_out_of_range(void **state)
{
	static struct rec_account a;
	static struct rec_order o;
	static struct rec_authz z;
	static struct rec_eab e;
	static uint8_t buf[REC_ENC_MAX];
	size_t len;

	(void)state;
	full_account(&a, 1, 1);
	a.status = REC_ACCOUNT__MAX;
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_account(&a, 1, 1);
	a.n_contacts = REC_CONTACT_N + 1;
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_account(&a, 1, 1);
	memset(a.eab_kid, 'x', sizeof(a.eab_kid)); /* no NUL */
	assert_int_equal(rec_account_encode(&a, buf, sizeof(buf), &len), ERR_RANGE);
	full_order(&o, 1, 1, 1);
	o.idents[0].type = 0;
	assert_int_equal(rec_order_encode(&o, buf, sizeof(buf), &len), ERR_RANGE);
	full_order(&o, 1, 1, 1);
	o.csr_len = REC_CSR_MAX + 1;
	assert_int_equal(rec_order_encode(&o, buf, sizeof(buf), &len), ERR_RANGE);
	full_authz(&z, 1, 1, 1);
	z.wildcard = 2;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
	full_authz(&z, 1, 1, 1);
	z.challs[1].type = REC_CHALL__MAX;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
	full_eab(&e, 1);
	e.hmac_len = REC_HMAC_MAX + 1;
	assert_int_equal(rec_eab_encode(&e, buf, sizeof(buf), &len), ERR_RANGE);
	assert_int_equal(rec_eab_encode(&e, buf, 0, &len), ERR_TOOBIG);
}

/*
 * An authorization written before the CAA check records (version 1: the same
 * fields up to "created", nothing after) still decodes, with no checks and its
 * caa_checked kept; version 2 keeps every check; a check out of range is not
 * written.
 */
static void
test_authz_caa_versions(void **state)
{
	static struct rec_authz z, back;
	static uint8_t buf[REC_ENC_MAX];
	size_t len;

	(void)state;
	full_authz(&z, 9, 3, 5);
	z.n_caa = 0;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), 0);
	assert_int_equal(buf[0], REC_AUTHZ_VERSION);
	assert_int_equal(buf[len - 1], 0);           /* n_caa, the last byte */
	buf[0] = 1;
	assert_int_equal(rec_authz_decode(&back, buf, len - 1), 0);
	eq_authz(&z, &back);
	assert_int_equal(back.caa_checked, 1767221111);
	/* version 1 with a count byte after it: a trailing byte, refused */
	assert_int_equal(rec_authz_decode(&back, buf, len), ERR_MALFORMED);
	full_authz(&z, 9, 3, 5);
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), 0);
	assert_int_equal(rec_authz_decode(&back, buf, len), 0);
	assert_int_equal(back.n_caa, REC_CAA_CHECKS_N);
	assert_int_equal(back.caa[REC_CAA_CHECKS_N - 1].lookups, 3 + REC_CAA_CHECKS_N - 1);
	z.n_caa = REC_CAA_CHECKS_N + 1;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
	full_authz(&z, 9, 3, 5);
	z.caa[0].result = REC_CAA__MAX;
	assert_int_equal(rec_authz_encode(&z, buf, sizeof(buf), &len), ERR_RANGE);
}

static void
test_status_words(void **state)
{
	(void)state;
	assert_string_equal(rec_order_status_str(REC_ORDER_PROCESSING), "processing");
	assert_string_equal(rec_authz_status_str(REC_AUTHZ_DEACTIVATED), "deactivated");
	assert_string_equal(rec_chall_type_str(REC_CHALL_TLSALPN01), "tls-alpn-01");
	assert_string_equal(rec_chall_status_str(REC_CHALL_INVALID), "invalid");
	assert_string_equal(rec_account_status_str(REC_ACCOUNT_REVOKED), "revoked");
	assert_string_equal(rec_job_state_str(REC_JOB_FAILED), "failed");
	assert_string_equal(rec_order_status_str(REC_ORDER__MAX), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_vector),
		cmocka_unit_test(test_codec_errors),
		cmocka_unit_test(test_record_vector),
		cmocka_unit_test(test_codecs_full),
		cmocka_unit_test(test_encode_refuses_out_of_range),
		cmocka_unit_test(test_authz_caa_versions),
		cmocka_unit_test(test_status_words),
	};

	log_set_level(PLOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
