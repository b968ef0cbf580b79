/* MIME reader: random bytes as a message. Every header is unfolded and
 * decoded, From read as an address, the body decoded and, for
 * multipart/signed, split; every output must stay in bounds, be NUL-terminated
 * and (for text) valid UTF-8, and every part must lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime.h"
#include "upki/sjis.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char scratch[MAIL_MSG_MAX];
static char text[MAIL_MSG_MAX * 3 + 1];

static void
inside(const char *base, size_t size, const struct mail_str *s)
{
	if (s->p < base || s->p + s->len > base + size)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_entity e, part;
	const char *msg = (const char *)data;
	struct mail_signed sg;
	struct mail_str v;
	char out[MAIL_HDR_TEXT_MAX], addr[MAIL_ADDR_MAX + 1];
	size_t n;

	if (mail_entity_parse(&e, msg, size) != 0)
		return 0;
	inside(msg, size, &e.body);
	for (unsigned i = 0; i < e.n_hdr; i++) {
		inside(msg, size, &e.name[i]);
		inside(msg, size, &e.value[i]);
		if (mail_header_text(&e.value[i], out, sizeof(out), &n) == 0 &&
		    (n != strlen(out) || upki_utf8_check(out, n, NULL, NULL) != 0))
			abort();
	}
	if (mail_header_get(&e, "From", &v) == 0 && mail_addr_get(&v, addr, sizeof(addr)) == 0 &&
	    (strchr(addr, '@') == NULL || strlen(addr) > MAIL_ADDR_MAX))
		abort();
	if (mail_body_decode(&e, scratch, sizeof(scratch), &n) == 0 && n > size)
		abort();
	if (mail_text_utf8(&e, scratch, sizeof(scratch), text, sizeof(text), &n) == 0 &&
	    (n != strlen(text) || upki_utf8_check(text, n, NULL, NULL) != 0))
		abort();
	if (mail_signed_split(&e, &sg) == 0) {
		inside(msg, size, &sg.content);
		inside(msg, size, &sg.sig);
		if (mail_entity_parse(&part, sg.content.p, sg.content.len) == 0 &&
		    mail_text_utf8(&part, scratch, sizeof(scratch), text, sizeof(text), &n) == 0 &&
		    upki_utf8_check(text, n, NULL, NULL) != 0)
			abort();
	}
	return 0;
}
