/* Shift_JIS / EUC-JP conversion: vectors from Python's cp932 and euc_jp codecs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "upki/jis0208.h"
#include "upki/sjis.h"
#include "util/err.h"

/* Expected bytes, printed by python3 -c "print('…'.encode('cp932').hex())". */
static const struct {
	const char *utf8, *cp932, *eucjp;
} vec[] = {
	{"名古屋大学", "96bc8cc389ae91e58a77", "ccbeb8c5b2b0c2e7b3d8"},
	{"名古屋大学 情報連携推進本部", "96bc8cc389ae91e58a77208fee95f198418c6790849069967b9594",
	    "ccbeb8c5b2b0c2e7b3d820bef0caf3cfa2b7c8bfe4bfcacbdcc9f4"},
	{"山田 太郎", "8e5293632091be9859", "bbb3c5c420c2c0cfba"},
	{"ファイルのアップロード処理が完了しました。",
	    "837483408343838b82cc834183628376838d815b83688f88979d82aa8aae97b982b582dc82b582bd8142",
	    "a5d5a5a1a5a4a5eba4cea5a2a5c3a5d7a5eda1bca5c9bde8cdfda4acb4b0cebba4b7a4dea4b7a4bfa1a3"},
	{"只今混み合っております", "91fc8da18dac82dd8d8782c182c482a882e882dc82b7",
	    "c2febaa3baaea4dfb9e7a4c3a4c6a4aaa4eaa4dea4b9"},
	{"abc\\~", "6162635c7e", "6162635c7e"},
};

/* Kana, rows 16-17, the row 84 additions, Greek, Cyrillic, box drawing and the
 * six positions where cp932 and JIS disagree (cp932 values). */
static const char mix_utf8[] =
    "あいうアイウ亜唖娃阿哀愛挨姶逢葵茜穐悪握渥旭葦芦鯵梓圧斡扱宛姐虻飴絢綾鮎或粟袷安庵按暗案闇"
    "鞍杏以伊位依偉囲夷委威尉惟意慰易椅為畏異移維緯胃萎衣謂違遺医井亥域育郁磯一壱溢逸稲茨芋鰯允"
    "印咽員因姻引飲淫胤蔭院陰隠韻吋右宇烏羽迂雨卯鵜窺丑碓臼渦嘘唄欝蔚鰻姥厩浦瓜閏噂云運雲荏餌叡"
    "営嬰影映曳栄永泳洩瑛盈穎頴英衛詠鋭液疫益駅悦謁越閲榎厭円堯槇遙瑤凜熙ΑΩαωАЯая─│┌┐＼～∥"
    "－￠￡￢ＡＺａｚ０９　、。〃々〆〇ー";
static const char mix_cp932[] =
    "82a082a282a4834183438345889f88a088a188a288a388a488a588a688a788a888a988aa88ab88ac88ad88ae88"
    "af88b088b188b288b388b488b588b688b788b888b988ba88bb88bc88bd88be88bf88c088c188c288c388c488c5"
    "88c688c788c888c988ca88cb88cc88cd88ce88cf88d088d188d288d388d488d588d688d788d888d988da88db88"
    "dc88dd88de88df88e088e188e288e388e488e588e688e788e888e988ea88eb88ec88ed88ee88ef88f088f188f2"
    "88f388f488f588f688f788f888f988fa88fb88fc8940894189428943894489458946894789488949894a894b89"
    "4c894d894e894f8950895189528953895489558956895789588959895a895b895c895d895e895f896089618962"
    "8963896489658966896789688969896a896b896c896d896e896f8970897189728973897489758976897789788979"
    "897a897b897c897d897eea9feaa0eaa1eaa2eaa3eaa4839f83b683bf83d68440846084708491849f84a084a184"
    "a2815f81608161817c8191819281ca826082798281829a824f8258814081418142815681588159815a815b";
static const char mix_eucjp[] =
    "a4a2a4a4a4a6a5a2a5a4a5a6b0a1b0a2b0a3b0a4b0a5b0a6b0a7b0a8b0a9b0aab0abb0acb0adb0aeb0afb0b0b0"
    "b1b0b2b0b3b0b4b0b5b0b6b0b7b0b8b0b9b0bab0bbb0bcb0bdb0beb0bfb0c0b0c1b0c2b0c3b0c4b0c5b0c6b0c7"
    "b0c8b0c9b0cab0cbb0ccb0cdb0ceb0cfb0d0b0d1b0d2b0d3b0d4b0d5b0d6b0d7b0d8b0d9b0dab0dbb0dcb0ddb0"
    "deb0dfb0e0b0e1b0e2b0e3b0e4b0e5b0e6b0e7b0e8b0e9b0eab0ebb0ecb0edb0eeb0efb0f0b0f1b0f2b0f3b0f4"
    "b0f5b0f6b0f7b0f8b0f9b0fab0fbb0fcb0fdb0feb1a1b1a2b1a3b1a4b1a5b1a6b1a7b1a8b1a9b1aab1abb1acb1"
    "adb1aeb1afb1b0b1b1b1b2b1b3b1b4b1b5b1b6b1b7b1b8b1b9b1bab1bbb1bcb1bdb1beb1bfb1c0b1c1b1c2b1c3"
    "b1c4b1c5b1c6b1c7b1c8b1c9b1cab1cbb1ccb1cdb1ceb1cfb1d0b1d1b1d2b1d3b1d4b1d5b1d6b1d7b1d8b1d9b1"
    "dab1dbb1dcb1ddb1deb1dff4a1f4a2f4a3f4a4f4a5f4a6a6a1a6b8a6c1a6d8a7a1a7c1a7d1a7f1a8a1a8a2a8a3"
    "a8a4a1c0a1c1a1c2a1dda1f1a1f2a2cca3c1a3daa3e1a3faa3b0a3b9a1a1a1a2a1a3a1b7a1b9a1baa1bba1bc";

static size_t
unhex(const char *hex, unsigned char *out, size_t outsz)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= outsz);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return n;
}

static void
expect_bytes(const char *what, const void *got, size_t gotlen, const void *want, size_t wantlen)
{
	if (gotlen == wantlen && memcmp(got, want, wantlen) == 0)
		return;
	fprintf(stderr, "%s differs:\n  got  (%zu):", what, gotlen);
	for (size_t i = 0; i < gotlen; i++)
		fprintf(stderr, "%02x", ((const unsigned char *)got)[i]);
	fprintf(stderr, "\n  want (%zu):", wantlen);
	for (size_t i = 0; i < wantlen; i++)
		fprintf(stderr, "%02x", ((const unsigned char *)want)[i]);
	fprintf(stderr, "\n");
	fail();
}

static void
test_encode_vectors(void **state)
{
	unsigned char want[512];
	char out[512];
	size_t n, len, bad;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		n = unhex(vec[i].cp932, want, sizeof(want));
		assert_int_equal(sjis_from_utf8(out, sizeof(out), &len, vec[i].utf8,
		    strlen(vec[i].utf8), &bad), 0);
		assert_true(bad == JIS_NO_OFFSET);
		expect_bytes(vec[i].utf8, out, len, want, n);
		assert_int_equal(out[len], '\0');
		/* and back */
		char back[512];
		assert_int_equal(sjis_to_utf8(back, sizeof(back), &len, want, n, 0, &bad), 0);
		assert_string_equal(back, vec[i].utf8);

		n = unhex(vec[i].eucjp, want, sizeof(want));
		assert_int_equal(eucjp_from_utf8(out, sizeof(out), &len, vec[i].utf8,
		    strlen(vec[i].utf8), &bad), 0);
		expect_bytes(vec[i].utf8, out, len, want, n);
		assert_int_equal(eucjp_to_utf8(back, sizeof(back), &len, want, n, 0, &bad), 0);
		assert_string_equal(back, vec[i].utf8);
	}
}

static void
test_mix(void **state)
{
	unsigned char want[1024];
	char out[1024];
	size_t n, len;

	(void)state;
	n = unhex(mix_cp932, want, sizeof(want));
	assert_int_equal(sjis_from_utf8(out, sizeof(out), &len, mix_utf8, strlen(mix_utf8), NULL), 0);
	expect_bytes("mix cp932", out, len, want, n);
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, want, n, 0, NULL), 0);
	assert_string_equal(out, mix_utf8);
	/* EUC-JP decodes to the cp932 view of the six disputed positions too. */
	n = unhex(mix_eucjp, want, sizeof(want));
	assert_int_equal(eucjp_to_utf8(out, sizeof(out), &len, want, n, 0, NULL), 0);
	assert_string_equal(out, mix_utf8);
	assert_int_equal(eucjp_from_utf8((char *)out, sizeof(out), &len, mix_utf8,
	    strlen(mix_utf8), NULL), 0);
	expect_bytes("mix euc-jp", out, len, want, n);
}

static void
test_jis_aliases(void **state)
{
	/* JIS-side Unicode values (as a Mac types them) encode to the same bytes. */
	static const char jis[] = "〜‖−¢£¬";
	unsigned char want[16];
	char out[32];
	size_t n, len;

	(void)state;
	n = unhex("81608161817c8191819281ca", want, sizeof(want));
	assert_int_equal(sjis_from_utf8(out, sizeof(out), &len, jis, strlen(jis), NULL), 0);
	expect_bytes("aliases", out, len, want, n);
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, want, n, 0, NULL), 0);
	assert_string_equal(out, "～∥－￠￡￢");
}

static void
test_refused(void **state)
{
	static const struct {
		const char *s;
		size_t off;
	} bad[] = {
		{"山田髙志", 6},         /* U+9AD9: IBM extension in cp932 */
		{"吉𠮷", 3},             /* U+20BB7: not in JIS X 0208 */
		{"a①", 1},              /* NEC row 13 */
		{"ｱ", 0},                /* half-width katakana: JIS X 0201 */
		{"ok\xF0\x9F\x98\x80", 2}, /* emoji */
		{"㈱", 0},               /* NEC row 13 */
	};
	char out[64];
	size_t len, off;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sjis_from_utf8(out, sizeof(out), &len, bad[i].s, strlen(bad[i].s),
		    &off), ERR_UNSUPPORTED);
		assert_int_equal(off, bad[i].off);
		assert_int_equal(eucjp_from_utf8(NULL, 0, &len, bad[i].s, strlen(bad[i].s), &off),
		    ERR_UNSUPPORTED);
		assert_int_equal(off, bad[i].off);
		assert_false(jis_ucs_encodable(0x9AD9));
	}
}

static void
test_bad_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t n, off;
	} bad[] = {
		{"\xC0\xAF", 2, 0},         /* overlong '/' */
		{"ab\xE0\x80\xAF", 5, 2},   /* overlong */
		{"\xED\xA0\x80", 3, 0},     /* surrogate */
		{"x\xE5\x90", 3, 1},        /* truncated */
		{"\xF4\x90\x80\x80", 4, 0}, /* over U+10FFFF */
		{"\x80", 1, 0},
		{"a\xFF", 2, 1},
	};
	size_t len, off;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sjis_from_utf8(NULL, 0, &len, bad[i].s, bad[i].n, &off),
		    ERR_MALFORMED);
		assert_int_equal(off, bad[i].off);
		assert_int_equal(upki_utf8_check(bad[i].s, bad[i].n, NULL, &off), ERR_MALFORMED);
		assert_int_equal(off, bad[i].off);
	}
}

static void
test_decode_invalid(void **state)
{
	/* あ, then 髙 in cp932's NEC-selected IBM row (EE E0), then 'A'. */
	static const unsigned char s1[] = {0x82, 0xa0, 0xee, 0xe0, 0x41};
	/* A lead byte followed by a TAB: the TAB must survive. */
	static const unsigned char s2[] = {0x82, 0x09, 0x41};
	/* Lone lead byte at the end, and bytes that are never lead bytes. */
	static const unsigned char s3[] = {0x80, 0xa0, 0xfd, 0x82};
	/* EUC-JP: JIS X 0212 (3 bytes), then あ; an unassigned position; a lone 0x8E. */
	static const unsigned char e1[] = {0x8f, 0xb0, 0xa1, 0xa4, 0xa2, 0xa9, 0xa1, 0x8e};
	char out[64];
	size_t len, off;

	(void)state;
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, s1, sizeof(s1), 0, &off),
	    ERR_MALFORMED);
	assert_int_equal(off, 2);
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, s1, sizeof(s1), JIS_REPLACE, &off), 0);
	assert_string_equal(out, "あ\xEF\xBF\xBD" "A");
	assert_int_equal(off, 2);
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, s2, sizeof(s2), JIS_REPLACE, NULL), 0);
	assert_string_equal(out, "\xEF\xBF\xBD\tA");
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, s3, sizeof(s3), JIS_REPLACE, NULL), 0);
	assert_string_equal(out, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(eucjp_to_utf8(out, sizeof(out), &len, e1, sizeof(e1), JIS_REPLACE, &off), 0);
	assert_string_equal(out, "\xEF\xBF\xBDあ\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(off, 0);
}

static void
test_halfwidth_decode(void **state)
{
	static const unsigned char s[] = {0xb1, 0xb2, 0xb3};
	static const unsigned char e[] = {0x8e, 0xb1, 0x8e, 0xb2, 0x8e, 0xb3};
	char out[32];
	size_t len;

	(void)state;
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, s, sizeof(s), 0, NULL), 0);
	assert_string_equal(out, "ｱｲｳ");
	assert_int_equal(eucjp_to_utf8(out, sizeof(out), &len, e, sizeof(e), 0, NULL), 0);
	assert_string_equal(out, "ｱｲｳ");
}

static void
test_buffer_sizes(void **state)
{
	char out[11];
	size_t len = 99;

	(void)state;
	/* "名古屋大学" is 10 bytes in Shift_JIS: 11 with the NUL. */
	assert_int_equal(sjis_from_utf8(NULL, 0, &len, "名古屋大学", strlen("名古屋大学"), NULL), 0);
	assert_int_equal(len, 10);
	assert_int_equal(sjis_from_utf8(out, 11, &len, "名古屋大学", strlen("名古屋大学"), NULL), 0);
	assert_int_equal(sjis_from_utf8(out, 10, &len, "名古屋大学", strlen("名古屋大学"), NULL),
	    ERR_TOOBIG);
	assert_int_equal(sjis_to_utf8(out, 3, &len, "ab", 2, 0, NULL), 0);
	assert_int_equal(sjis_to_utf8(out, 2, &len, "ab", 2, 0, NULL), ERR_TOOBIG);
	assert_int_equal(sjis_to_utf8(out, 1, &len, "", 0, 0, NULL), 0);
	assert_string_equal(out, "");
}

/* Every JIS X 0208 position decodes to a character that encodes back to it. */
static void
test_table_roundtrip(void **state)
{
	unsigned count = 0;

	(void)state;
	for (unsigned row = 1; row <= 94; row++) {
		for (unsigned cell = 1; cell <= 94; cell++) {
			unsigned char sj[2], euc[2] = {(unsigned char)(row + 0xA0),
			    (unsigned char)(cell + 0xA0)};
			char u[8], back[4];
			size_t len, pos = 0, blen;
			uint32_t cp;

			sj[0] = (unsigned char)((row + 1) / 2 + (row <= 62 ? 0x80 : 0xC0));
			sj[1] = (unsigned char)(row % 2 ? cell + (cell <= 63 ? 0x3F : 0x40) : cell + 0x9E);
			cp = sjis_decode_next(sj, 2, &pos);
			assert_int_equal(pos, 2);
			if (cp == JIS_INVALID) {
				pos = 0;
				assert_int_equal(eucjp_decode_next(euc, 2, &pos), JIS_INVALID);
				continue;
			}
			count++;
			pos = 0;
			assert_int_equal(eucjp_decode_next(euc, 2, &pos), cp);
			len = upki_utf8_put(u, cp);
			assert_int_equal(sjis_from_utf8(back, sizeof(back), &blen, u, len, NULL), 0);
			expect_bytes("round trip", back, blen, sj, 2);
			assert_int_equal(eucjp_from_utf8(back, sizeof(back), &blen, u, len, NULL), 0);
			expect_bytes("round trip euc", back, blen, euc, 2);
		}
	}
	assert_int_equal(count, 6879);
	/* Sorted, for the binary search. */
	for (unsigned i = 1; i < JIS0208_ENCODE_LEN; i++)
		assert_true(jis0208_encode[i - 1].ucs < jis0208_encode[i].ucs);
}

static void
test_ascii(void **state)
{
	char in[128], out[129];
	size_t len;

	(void)state;
	for (int i = 0; i < 128; i++)
		in[i] = (char)i;
	assert_int_equal(sjis_from_utf8(out, sizeof(out), &len, in, 128, NULL), 0);
	expect_bytes("ascii", out, len, in, 128);
	assert_int_equal(sjis_to_utf8(out, sizeof(out), &len, in, 128, 0, NULL), 0);
	expect_bytes("ascii back", out, len, in, 128);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_mix),
		cmocka_unit_test(test_jis_aliases),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_halfwidth_decode),
		cmocka_unit_test(test_buffer_sizes),
		cmocka_unit_test(test_table_roundtrip),
		cmocka_unit_test(test_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
