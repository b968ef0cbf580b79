/*
 * issue.c: the application life cycle (UPKI.md §10). An accepted row becomes
 * an application in state 3 (発行処理中) with a due time drawn from
 * [delay_min, delay_max] simulated seconds x time_scale. When due:
 *   新規/更新: the certificate is issued by G8 RSA (SIM) or G7 ECC (SIM),
 *              state 4, a mail with the one-time URL to the 利用管理者; a
 *              renewal marks the old certificate 6. The URL's first use -> 5.
 *   失効:      the target certificate becomes 7, mails to RA and 利用管理者.
 * An application marked by the reject_next fault fails instead (state 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "platform.h"
#include "sim.h"
#include "upki/upki_profile.h"
#include "util/err.h"
#include "util/log.h"

#define ISSUE_MAX_PER_RUN 256
#define ISSUE_DAY 86400

int64_t
sim_now_ms(const struct sim *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + s->clock_offset_ms;
}

struct sim_app *
sim_app_by_serial(struct sim *s, const char *serial)
{
	for (size_t i = 0; i < s->n_apps; i++) {
		struct sim_app *a = s->apps[i];
		if (a->type != UPKI_APPLY_REVOKE && a->serial[0] != '\0' && !strcmp(a->serial, serial))
			return a;
	}
	return NULL;
}

struct sim_app *
sim_app_by_dlkey(struct sim *s, const char *key)
{
	if (key == NULL || strlen(key) != 32)
		return NULL;
	for (size_t i = 0; i < s->n_apps; i++)
		if (!strcmp(s->apps[i]->dl_key, key))
			return s->apps[i];
	return NULL;
}

int
sim_mail_add(struct sim *s, struct sim_mail *m)
{
	struct sim_mail *copy = malloc(sizeof(*copy));

	if (copy == NULL)
		return ERR_NOMEM;
	m->id = ++s->mail_seq;
	m->at_ms = sim_now_ms(s);
	*copy = *m;
	if (s->n_mails == SIM_MAX_MAILS) {
		sim_state_remove_mail(s, s->mails[0]->id);
		free(s->mails[0]);
		memmove(&s->mails[0], &s->mails[1], (SIM_MAX_MAILS - 1) * sizeof(s->mails[0]));
		s->n_mails--;
	}
	s->mails[s->n_mails++] = copy;
	log_info("upki-sim: mail %lu to %s: %s", copy->id, copy->to, copy->subject);
	sim_state_save_mail(s, copy);
	sim_smtp_queue(s, copy);
	return sim_state_save_meta(s);
}

int
sim_app_accept(struct sim *s, const struct sim_row *row, const char *ra_fp)
{
	struct sim_app *a;
	uint32_t r;
	double delay;
	int rc;

	if (s->n_apps == SIM_MAX_APPS)
		return ERR_TOOBIG;
	if ((a = malloc(sizeof(*a))) == NULL)
		return ERR_NOMEM;
	*a = row->app;
	a->spki = NULL;
	a->cert = NULL;
	if (row->app.spki != NULL) {
		if ((a->spki = malloc(row->app.spki_len)) == NULL) {
			free(a);
			return ERR_NOMEM;
		}
		memcpy(a->spki, row->app.spki, row->app.spki_len);
	}
	s->app_seq++;
	snprintf(a->id, sizeof(a->id), "%04d%08lu", sim_profile.app_id_base_year,
	    s->app_seq % 100000000ul);
	a->state = SIM_ST_PROCESSING;
	snprintf(a->ra_fp, sizeof(a->ra_fp), "%s", ra_fp);
	a->applied_ms = sim_now_ms(s);
	sim_rng_bytes(&s->rng, &r, sizeof(r));
	delay = s->opts.delay_min + (double)(s->opts.delay_max - s->opts.delay_min) *
	    ((double)r / 4294967295.0);
	a->due_ms = a->applied_ms + (int64_t)(delay * s->opts.time_scale * 1000.0);
	if (a->type != UPKI_APPLY_REVOKE)
		a->fail = sim_fault_take(s, SIM_F_REJECT_NEXT);
	s->apps[s->n_apps++] = a;
	log_info("upki-sim: application %s (kind %d) accepted: %s, due in %.1f s", a->id,
	    a->type, a->dn, (double)(a->due_ms - a->applied_ms) / 1000.0);
	rc = sim_state_save_app(s, a);
	sim_issue_arm(s);
	return rc;
}

/* Split "a,b,c" into dns[] (pointers into list). */
static size_t
split_names(const char *list, struct x509_str *dns, size_t max)
{
	size_t n = 0;

	while (*list && n < max) {
		size_t l = strcspn(list, ",");
		if (l > 0) {
			dns[n].p = list;
			dns[n].len = l;
			n++;
		}
		list += l + (list[l] == ',');
	}
	return n;
}

static int
issue_cert(struct sim *s, struct sim_app *a)
{
	char attrs[X509_NAME__MAX][X509_NAME_VALUE_MAX + 1];
	struct x509_str dns[UPKI_DNSNAMES_MAX];
	unsigned char serial[8], der[SIM_CERT_MAX];
	struct x509_pubkey pk;
	struct x509_tbs t;
	struct sim_ca *ca;
	size_t len;
	int rc;

	if (a->spki == NULL || (rc = x509_pubkey_parse(&pk, a->spki, a->spki_len)) != 0)
		return a->spki == NULL ? ERR_STATE : rc;
	ca = pk.type == X509_KEY_EC ? &s->ca_ecc : &s->ca_rsa;
	if ((rc = sim_dn_parse(a->dn, attrs)) != 0)
		return rc;
	memset(&t, 0, sizeof(t));
	/* 64-bit positive serial, unique in this simulator. */
	for (int turn = 0; turn < 16; turn++) {
		char dec[SIM_SERIAL_MAX + 1];

		sim_rng_bytes(&s->rng, serial, sizeof(serial));
		serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
		if (x509_serial_dec(serial, sizeof(serial), dec, sizeof(dec)) < 0)
			return ERR_RANGE;
		if (sim_app_by_serial(s, dec) == NULL) {
			memcpy(a->serial, dec, strlen(dec) + 1);
			break;
		}
	}
	if (a->serial[0] == '\0')
		return ERR_EXISTS;
	t.serial = serial;
	t.serial_len = sizeof(serial);
	t.issuer_der = ca->parsed.subject.der;
	t.issuer_der_len = ca->parsed.subject.der_len;
	/* Subject C, ST, L, O, CN from the application (x509 writes C first). */
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (i != X509_NAME_OU && i != X509_NAME_EMAIL && attrs[i][0] != '\0') {
			t.subject.attr[i].p = attrs[i];
			t.subject.attr[i].len = strlen(attrs[i]);
		}
	t.not_before = platform_wall_s();
	t.not_after = t.not_before + (int64_t)s->inst.validity_days * ISSUE_DAY;
	t.spki = a->spki;
	t.spki_len = a->spki_len;
	t.dns = dns;
	t.n_dns = split_names(a->dnsnames, dns, UPKI_DNSNAMES_MAX);
	t.basic_constraints = 1;
	t.ca = 0;
	t.path_len = -1;
	t.key_usage = X509_KU_DIGITAL_SIGNATURE |
	    (pk.type == X509_KEY_RSA ? X509_KU_KEY_ENCIPHERMENT : 0);
	t.eku = X509_EKU_SERVER_AUTH;
	t.ski = 1;
	t.aki = ca->ski;
	t.aki_len = X509_SKI_LEN;
	rc = x509_cert_write(der, sizeof(der), &len, &t, ca->sig_alg, sim_key_sign, &ca->key);
	if (rc != 0) {
		a->serial[0] = '\0';
		return rc;
	}
	if ((a->cert = malloc(len)) == NULL) {
		a->serial[0] = '\0';
		return ERR_NOMEM;
	}
	memcpy(a->cert, der, len);
	a->cert_len = len;
	a->not_before = t.not_before;
	a->not_after = t.not_after;
	return 0;
}

static void
mail_issued(struct sim *s, const struct sim_app *a)
{
	struct sim_mail m;
	char nb[20], na[20];

	memset(&m, 0, sizeof(m));
	sim_jst_format(a->not_before, nb);
	sim_jst_format(a->not_after, na);
	snprintf(m.kind, sizeof(m.kind), "issued");
	snprintf(m.to, sizeof(m.to), "%s", a->admin_email);
	snprintf(m.subject, sizeof(m.subject), "%s", sim_profile.subj_issued);
	snprintf(m.app_id, sizeof(m.app_id), "%s", a->id);
	snprintf(m.serial, sizeof(m.serial), "%s", a->serial);
	snprintf(m.url, sizeof(m.url), "%s/upki-odcert/download/spDLSrv.do?key=%s",
	    s->public_url, a->dl_key);
	snprintf(m.body, sizeof(m.body),
	    "%s 様\n\nサーバ証明書が発行されました。下記のURLから証明書を取得してください。\n"
	    "このURLは一度だけ有効です。\n\n申請ID: %s\nシリアル番号: %s\n主体者DN: %s\n"
	    "有効期間: %s - %s\n\n%s\n\n国立情報学研究所 UPKI電子証明書発行サービス\n",
	    a->admin_name, a->id, a->serial, a->dn, nb, na, m.url);
	sim_mail_add(s, &m);
}

static void
mail_simple(struct sim *s, const struct sim_app *a, const char *kind, const char *to,
    const char *subject, const char *sentence, const char *serial)
{
	struct sim_mail m;

	memset(&m, 0, sizeof(m));
	snprintf(m.kind, sizeof(m.kind), "%s", kind);
	snprintf(m.to, sizeof(m.to), "%s", to);
	snprintf(m.subject, sizeof(m.subject), "%s", subject);
	snprintf(m.app_id, sizeof(m.app_id), "%s", a->id);
	snprintf(m.serial, sizeof(m.serial), "%s", serial);
	snprintf(m.body, sizeof(m.body), "%s\n\n申請ID: %s\nシリアル番号: %s\n主体者DN: %s\n\n"
	    "国立情報学研究所 UPKI電子証明書発行サービス\n", sentence, a->id, serial, a->dn);
	sim_mail_add(s, &m);
}

static void
process_issue(struct sim *s, struct sim_app *a)
{
	unsigned char key[16];
	int rc;

	if (a->fail || (rc = issue_cert(s, a)) != 0) {
		if (!a->fail)
			log_err("upki-sim: application %s: issuance failed: %s", a->id, err_str(rc));
		a->state = sim_profile.state_failed;
		s->cnt.failed++;
		mail_simple(s, a, "failed", a->admin_email, sim_profile.subj_failed,
		    "サーバ証明書の発行処理がエラーにより完了しませんでした。", "");
		return;
	}
	sim_rng_bytes(&s->rng, key, sizeof(key));
	for (int i = 0; i < 16; i++)
		snprintf(a->dl_key + 2 * i, 3, "%02x", key[i]);
	a->state = SIM_ST_MAILED;
	s->cnt.issued++;
	log_info("upki-sim: application %s issued, serial %s", a->id, a->serial);
	if (a->type == UPKI_APPLY_RENEW) {
		struct sim_app *old = sim_app_by_serial(s, a->ref_serial);
		if (old != NULL && (old->state == SIM_ST_MAILED || old->state == SIM_ST_DOWNLOADED)) {
			old->state = SIM_ST_RENEWED;
			sim_state_save_app(s, old);
		}
	}
	mail_issued(s, a);
}

static void
process_revoke(struct sim *s, struct sim_app *a)
{
	struct sim_app *t = sim_app_by_serial(s, a->ref_serial);

	a->state = SIM_ST_REVOKED;
	if (t == NULL)
		return;
	t->state = SIM_ST_REVOKED;
	t->revoked_s = platform_wall_s();
	t->dl_key[0] = '\0';
	sim_state_save_app(s, t);
	s->cnt.revoked++;
	log_info("upki-sim: certificate %s revoked (application %s)", t->serial, a->id);
	mail_simple(s, t, "revoked", s->inst.ra_email, sim_profile.subj_revoked,
	    "サーバ証明書の失効処理が完了しました。", t->serial);
	mail_simple(s, t, "revoked", t->admin_email, sim_profile.subj_revoked,
	    "サーバ証明書の失効処理が完了しました。", t->serial);
}

void
sim_issue_run(struct sim *s)
{
	int64_t now = sim_now_ms(s);
	int done = 0;

	for (size_t i = 0; i < s->n_apps && done < ISSUE_MAX_PER_RUN; i++) {
		struct sim_app *a = s->apps[i];

		if (a->state != SIM_ST_PROCESSING || a->due_ms > now)
			continue;
		if (a->type == UPKI_APPLY_REVOKE)
			process_revoke(s, a);
		else
			process_issue(s, a);
		a->done_ms = now;
		sim_state_save_app(s, a);
		done++;
	}
	if (done > 0)
		sim_state_save_meta(s);
	sim_issue_arm(s);
}

static void
issue_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sim_issue_run(arg);
}

void
sim_issue_arm(struct sim *s)
{
	int64_t next = INT64_MAX, now;
	struct timeval tv;

	if (s->base == NULL)
		return;
	if (s->issue_timer == NULL &&
	    (s->issue_timer = evtimer_new(s->base, issue_timer_cb, s)) == NULL)
		return;
	for (size_t i = 0; i < s->n_apps; i++)
		if (s->apps[i]->state == SIM_ST_PROCESSING && s->apps[i]->due_ms < next)
			next = s->apps[i]->due_ms;
	if (next == INT64_MAX) {
		evtimer_del(s->issue_timer);
		return;
	}
	now = sim_now_ms(s);
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(s->issue_timer, &tv);
}

int
sim_app_downloaded(struct sim *s, struct sim_app *a)
{
	a->dl_key[0] = '\0';
	if (a->state == SIM_ST_MAILED)
		a->state = SIM_ST_DOWNLOADED;
	s->cnt.downloads++;
	mail_simple(s, a, "downloaded", s->inst.ra_email, sim_profile.subj_downloaded,
	    "利用管理者がサーバ証明書をダウンロードしました。", a->serial);
	sim_state_save_meta(s);
	return sim_state_save_app(s, a);
}

void
sim_jst_format(int64_t unix_s, char out[20])
{
	time_t t = (time_t)(unix_s + UPKI_TZ_OFFSET_S);
	char tmp[96];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		snprintf(out, 20, "0000/00/00 00:00:00");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%04d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, 19);
	out[19] = '\0';
}
