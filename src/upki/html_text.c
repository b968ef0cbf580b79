/* html_text.c: the visible text of a UPKI page, for logs and problem details (session.h). */
#include <stddef.h>
#include <stdint.h>

#include "upki/session.h"
#include "upki/sjis.h"

size_t
upki_html_text(const void *html, size_t n, char *out, size_t outsz)
{
	const unsigned char *p = html;
	size_t i = 0, o = 0;
	int in_tag = 0, space = 1;

	if (outsz == 0)
		return 0;
	while (i < n && o + 5 < outsz) {
		unsigned char ch = p[i];

		if (in_tag) {
			in_tag = ch != '>';
			i++;
			continue;
		}
		if (ch == '<') {
			in_tag = 1;
			if (!space) {
				out[o++] = ' ';
				space = 1;
			}
			i++;
			continue;
		}
		if (ch < 0x80) {
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
				if (!space)
					out[o++] = ' ';
				space = 1;
			} else if (ch >= 0x20 && ch != 0x7f) {
				out[o++] = (char)ch;
				space = 0;
			}
			i++;
			continue;
		}
		{
			uint32_t cp = eucjp_decode_next(p, n, &i);

			if (cp == JIS_INVALID)
				cp = 0xfffd;
			o += upki_utf8_put(out + o, cp);
			space = 0;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}
