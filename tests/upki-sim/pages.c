/*
 * pages.c: the support system's HTML pages, EUC-JP [S], in the markup that
 * src/upki/upki_profile.h fixes for the result, busy and maintenance pages
 * (the gateway parses those). Pages are built in UTF-8 and converted once.
 * Every value that came from a request is escaped.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "upki/sjis.h"
#include "upki/upki_profile.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define PAGE_MAX (4u << 20)
#define PAGE_HEAD "<html><head><meta http-equiv=\"Content-Type\" " \
    "content=\"text/html; charset=EUC-JP\">"

int
page_escape(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++) {
		switch (*s) {
		case '&': rc = buf_puts(b, "&amp;"); break;
		case '<': rc = buf_puts(b, "&lt;"); break;
		case '>': rc = buf_puts(b, "&gt;"); break;
		case '"': rc = buf_puts(b, "&quot;"); break;
		case '\'': rc = buf_puts(b, "&#39;"); break;
		default: rc = buf_append(b, s, 1); break;
		}
	}
	return rc;
}

void
page_send(struct http_req *req, int status, struct buf *b)
{
	size_t n = 0;
	char *out;
	int rc;

	rc = eucjp_from_utf8(NULL, 0, &n, (const char *)b->p, b->len, NULL);
	if (rc != 0 || (out = arena_alloc(&req->arena, n + 1)) == NULL ||
	    eucjp_from_utf8(out, n + 1, &n, (const char *)b->p, b->len, NULL) != 0) {
		log_err("upki-sim: page not encodable in EUC-JP: %s", err_str(rc));
		http_reply_status(req, 500);
		return;
	}
	http_reply(req, status, "text/html; charset=EUC-JP", out, n);
}

static void
page_finish(struct http_req *req, int status, struct buf *b, int rc)
{
	if (rc != 0) {
		http_reply_status(req, 500);
		return;
	}
	page_send(req, status, b);
}

void
page_simple(struct http_req *req, int status, const char *title, const char *text)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, PAGE_MAX);
	rc |= buf_puts(&b, PAGE_HEAD "<title>");
	rc |= page_escape(&b, title);
	rc |= buf_puts(&b, "</title></head><body>\n<p>");
	rc |= page_escape(&b, text);
	rc |= buf_puts(&b, "</p>\n</body></html>\n");
	page_finish(req, status, &b, rc);
	buf_free(&b);
}

/* SSLLogin.do: a frameset whose left frame "hidari" holds the menu [S]. */
void
page_login(struct http_req *req)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, PAGE_MAX);
	rc |= buf_printf(&b, PAGE_HEAD "<title>%s</title></head>\n"
	    "<frameset cols=\"220,*\">\n"
	    "<frame name=\"hidari\" src=\"/upki-odcert/lra/MainMenu.do\">\n"
	    "<frame name=\"migi\" src=\"/upki-odcert/lra/MainMenu.do?top=1\">\n"
	    "</frameset></html>\n", sim_profile.title_system);
	page_finish(req, 200, &b, rc);
	buf_free(&b);
}

/* MainMenu.do: form MainMenuForm, hidden forwardName set by the buttons [S]. */
void
page_menu(struct http_req *req)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, PAGE_MAX);
	rc |= buf_printf(&b, PAGE_HEAD "<title>%s</title></head><body>\n"
	    "<form name=\"MainMenuForm\" method=\"post\" action=\"/upki-odcert/lra/MainMenu.do\">\n"
	    "<input type=\"hidden\" name=\"forwardName\" value=\"\">\n"
	    "<ul>\n"
	    "<li><a href=\"#\" onclick=\"document.MainMenuForm.forwardName.value='SP1011';"
	    "document.MainMenuForm.submit();\">発行・更新・失効</a></li>\n"
	    "<li><a href=\"/upki-odcert/lra/syomeiDL_S.do\">全証明書情報一括ダウンロード</a></li>\n"
	    "</ul>\n</form>\n</body></html>\n", sim_profile.title_system);
	page_finish(req, 200, &b, rc);
	buf_free(&b);
}

/* The upload form SP1011 [S]; errorFlg 1 abort-all, 2 per row [X]. */
void
page_sp1011(struct http_req *req)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, PAGE_MAX);
	rc |= buf_puts(&b, PAGE_HEAD "<title>発行・更新・失効申請</title></head><body>\n"
	    "<form name=\"SP1011\" method=\"post\" action=\"/upki-odcert/lra/SP1011.do\" "
	    "enctype=\"multipart/form-data\">\n"
	    "<select name=\"applyType\"><option value=\"1\">発行</option>"
	    "<option value=\"2\">更新</option><option value=\"3\">失効</option></select>\n"
	    "<input type=\"radio\" name=\"errorFlg\" value=\"1\" checked>"
	    "エラーが有れば全件処理を中止\n"
	    "<input type=\"radio\" name=\"errorFlg\" value=\"2\">エラー行のみ処理を中止\n"
	    "<input type=\"file\" name=\"file\">\n"
	    "<input type=\"submit\" value=\"申請\">\n</form>\n</body></html>\n");
	page_finish(req, 200, &b, rc);
	buf_free(&b);
}

void
page_result(struct http_req *req, const struct sim *s, const struct sim_row_result *rows,
    unsigned n, int all_ok)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, PAGE_MAX);
	rc |= buf_printf(&b, PAGE_HEAD "<title>%s</title></head><body>\n<p>%s</p>\n",
	    all_ok ? UPKI_TEXT_RESULT_TITLE : UPKI_TEXT_ERROR_TITLE,
	    all_ok ? UPKI_TEXT_UPLOAD_DONE : UPKI_TEXT_UPLOAD_FAILED);
	rc |= buf_puts(&b, "<table border=\"1\">\n<tr><th>SEQ</th><th>処理結果</th>"
	    "<th>エラー内容</th><th>機関名</th><th>所属名</th><th>氏名</th>"
	    "<th>メールアドレス</th></tr>\n");
	for (unsigned i = 0; i < n && rc == 0; i++) {
		const struct sim_row_result *r = &rows[i];

		rc |= buf_printf(&b, "<tr><td>%u</td><td>%s</td><td>", r->row,
		    r->ok ? UPKI_TEXT_RESULT_OK : UPKI_TEXT_RESULT_NG);
		for (int k = 0; k < r->n_err; k++) {
			const char *field = NULL, *msg = NULL;

			sim_code_text(r->codes[k], &field, &msg);
			if (r->fields[k] != NULL)
				field = r->fields[k];
			rc |= buf_printf(&b, "%s%d:%u,", k ? "<br>" : "", r->codes[k], r->row);
			rc |= page_escape(&b, field ? field : "");
			rc |= buf_puts(&b, ",");
			rc |= page_escape(&b, msg ? msg : "");
		}
		rc |= buf_puts(&b, "</td><td>");
		rc |= page_escape(&b, s->inst.o);
		rc |= buf_puts(&b, "</td><td>");
		rc |= page_escape(&b, r->org);
		rc |= buf_puts(&b, "</td><td>");
		rc |= page_escape(&b, r->name);
		rc |= buf_puts(&b, "</td><td>");
		rc |= page_escape(&b, r->email);
		rc |= buf_puts(&b, "</td></tr>\n");
	}
	rc |= buf_puts(&b, "</table>\n</body></html>\n");
	page_finish(req, 200, &b, rc);
	buf_free(&b);
}
