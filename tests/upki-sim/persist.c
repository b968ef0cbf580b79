/*
 * persist.c: the simulator's state on disk, so it survives its own restart.
 * One file per application (DIR/state/apps/<id>.app) and per mail
 * (DIR/state/mail/<n>.mail), plus DIR/state/meta for counters, sequences and
 * the clock offset. Every file is "key=value" lines (\\, \n, \r, \t escaped;
 * binary values in base64) and is replaced atomically after each change.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"
#include "sim.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define REC_MAX (64 * 1024)
#define REC_VERSION 1

int
sim_b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return ERR_MALFORMED;    /* data after padding */
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return ERR_MALFORMED;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outsz)
				return ERR_TOOBIG;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || bits >= 6 || acc != 0)
		return ERR_MALFORMED;
	*outlen = o;
	return 0;
}

/* ---- key=value records ---- */

static int
rec_str(struct buf *b, const char *k, const char *v)
{
	int rc = buf_printf(b, "%s=", k);

	for (; *v && rc == 0; v++) {
		switch (*v) {
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default: rc = buf_append(b, v, 1); break;
		}
	}
	return rc | buf_puts(b, "\n");
}

static int
rec_int(struct buf *b, const char *k, long long v)
{
	return buf_printf(b, "%s=%lld\n", k, v);
}

static int
rec_bin(struct buf *b, const char *k, const unsigned char *p, size_t n)
{
	size_t el = b64_enc_len(n);
	int rc;

	if ((rc = buf_printf(b, "%s=", k)) != 0 || (rc = buf_reserve(b, el + 2)) != 0)
		return rc;
	if (b64_encode((char *)b->p + b->len, el + 1, p, n) < 0)
		return ERR_TOOBIG;
	b->len += el;
	return buf_puts(b, "\n");
}

/* Walk the records of text: cb(arg, key, unescaped value, length). */
static int
rec_parse(char *text, size_t len, int (*cb)(void *, const char *, char *, size_t), void *arg)
{
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		char *eq = memchr(p, '=', (size_t)(le - p)), *w, *r;
		int rc;

		if (eq == NULL) {
			if (le != p)
				return ERR_MALFORMED;
			p = le + 1;
			continue;
		}
		*eq = '\0';
		*le = '\0';
		for (w = r = eq + 1; r < le; r++) {
			if (*r != '\\' || r + 1 == le) {
				*w++ = *r;
				continue;
			}
			r++;
			*w++ = *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r == 't' ? '\t' : *r;
		}
		*w = '\0';
		if ((rc = cb(arg, p, eq + 1, (size_t)(w - (eq + 1)))) != 0)
			return rc;
		p = le + 1;
	}
	return 0;
}

static int
rec_cpy(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n >= dstsz)
		return ERR_TOOBIG;
	memcpy(dst, v, n + 1);
	return 0;
}

static int
rec_i64(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0)
		return ERR_MALFORMED;
	*out = x;
	return 0;
}

static int
rec_blob(const char *v, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *p = malloc(n * 3 / 4 + 4);
	int rc;

	if (p == NULL)
		return ERR_NOMEM;
	if ((rc = sim_b64_decode(v, n, p, n * 3 / 4 + 4, outlen)) != 0) {
		free(p);
		return rc;
	}
	free(*out);
	*out = p;
	return 0;
}

static int
state_path(const struct sim *s, char *out, size_t outsz, const char *fmt, const char *arg)
{
	char tail[96];

	snprintf(tail, sizeof(tail), fmt, arg);
	if (snprintf(out, outsz, "%s/state/%s", s->dir, tail) >= (int)outsz)
		return ERR_TOOBIG;
	return 0;
}

/* ---- applications ---- */

int
sim_state_save_app(struct sim *s, const struct sim_app *a)
{
	char path[SIM_PATH_MAX];
	struct buf b;
	int rc = 0;

	buf_init(&b, REC_MAX);
	rc |= rec_int(&b, "v", REC_VERSION);
	rc |= rec_str(&b, "id", a->id);
	rc |= rec_int(&b, "type", a->type);
	rc |= rec_int(&b, "state", a->state);
	rc |= rec_str(&b, "profile", a->profile);
	rc |= rec_str(&b, "dn", a->dn);
	rc |= rec_str(&b, "cn", a->cn);
	rc |= rec_str(&b, "dnsnames", a->dnsnames);
	rc |= rec_str(&b, "admin_name", a->admin_name);
	rc |= rec_str(&b, "admin_org", a->admin_org);
	rc |= rec_str(&b, "admin_email", a->admin_email);
	rc |= rec_str(&b, "software", a->software);
	rc |= rec_str(&b, "ref_serial", a->ref_serial);
	rc |= rec_int(&b, "reason", a->reason);
	rc |= rec_str(&b, "comment", a->comment);
	rc |= rec_str(&b, "serial", a->serial);
	rc |= rec_str(&b, "dl_key", a->dl_key);
	rc |= rec_str(&b, "ra_fp", a->ra_fp);
	rc |= rec_int(&b, "applied_ms", a->applied_ms);
	rc |= rec_int(&b, "due_ms", a->due_ms);
	rc |= rec_int(&b, "done_ms", a->done_ms);
	rc |= rec_int(&b, "not_before", a->not_before);
	rc |= rec_int(&b, "not_after", a->not_after);
	rc |= rec_int(&b, "revoked_s", a->revoked_s);
	rc |= rec_int(&b, "fail", a->fail);
	if (a->type != 3)
		rc |= rec_bin(&b, "key_hash", a->key_hash, sizeof(a->key_hash));
	if (a->spki != NULL)
		rc |= rec_bin(&b, "spki", a->spki, a->spki_len);
	if (a->cert != NULL)
		rc |= rec_bin(&b, "cert", a->cert, a->cert_len);
	if (rc != 0) {
		rc = ERR_TOOBIG;
		goto out;
	}
	if ((rc = state_path(s, path, sizeof(path), "apps/%s.app", a->id)) != 0)
		goto out;
	rc = file_write_atomic(path, b.p, b.len, 0600);
	if (rc != 0)
		log_err("%s: %s", path, err_str(rc));
out:
	buf_free(&b);
	return rc;
}

static int
app_field(void *arg, const char *k, char *v, size_t n)
{
	struct sim_app *a = arg;
	int64_t x = 0;

#define STR(name) if (!strcmp(k, #name)) return rec_cpy(a->name, sizeof(a->name), v, n)
#define INT(name) if (!strcmp(k, #name)) { int rc_ = rec_i64(v, &x); a->name = x; return rc_; }
	STR(id); STR(profile); STR(dn); STR(cn); STR(dnsnames); STR(admin_name);
	STR(admin_org); STR(admin_email); STR(software); STR(ref_serial); STR(comment);
	STR(serial); STR(dl_key); STR(ra_fp);
	INT(type); INT(state); INT(reason); INT(applied_ms); INT(due_ms); INT(done_ms);
	INT(not_before); INT(not_after); INT(revoked_s); INT(fail);
#undef STR
#undef INT
	if (!strcmp(k, "v"))
		return (rec_i64(v, &x) != 0 || x != REC_VERSION) ? ERR_VERSION : 0;
	if (!strcmp(k, "key_hash")) {
		size_t got;
		int rc = sim_b64_decode(v, n, a->key_hash, sizeof(a->key_hash), &got);
		return rc != 0 ? rc : got == sizeof(a->key_hash) ? 0 : ERR_MALFORMED;
	}
	if (!strcmp(k, "spki"))
		return rec_blob(v, n, &a->spki, &a->spki_len);
	if (!strcmp(k, "cert"))
		return rec_blob(v, n, &a->cert, &a->cert_len);
	return 0;   /* keys of a later version are ignored */
}

void
sim_app_free(struct sim_app *a)
{
	if (a == NULL)
		return;
	free(a->spki);
	free(a->cert);
	free(a);
}

/* ---- mails ---- */

int
sim_state_save_mail(struct sim *s, const struct sim_mail *m)
{
	char path[SIM_PATH_MAX], num[24];
	struct buf b;
	int rc = 0;

	buf_init(&b, REC_MAX);
	rc |= rec_int(&b, "v", REC_VERSION);
	rc |= rec_int(&b, "id", (long long)m->id);
	rc |= rec_int(&b, "at_ms", m->at_ms);
	rc |= rec_str(&b, "kind", m->kind);
	rc |= rec_str(&b, "to", m->to);
	rc |= rec_str(&b, "subject", m->subject);
	rc |= rec_str(&b, "app_id", m->app_id);
	rc |= rec_str(&b, "serial", m->serial);
	rc |= rec_str(&b, "url", m->url);
	rc |= rec_str(&b, "body", m->body);
	snprintf(num, sizeof(num), "%010lu", m->id);
	if (rc != 0)
		rc = ERR_TOOBIG;
	else if ((rc = state_path(s, path, sizeof(path), "mail/%s.mail", num)) == 0)
		rc = file_write_atomic(path, b.p, b.len, 0600);
	buf_free(&b);
	return rc;
}

int
sim_state_remove_mail(struct sim *s, unsigned long id)
{
	char path[SIM_PATH_MAX], num[24];
	int rc;

	snprintf(num, sizeof(num), "%010lu", id);
	if ((rc = state_path(s, path, sizeof(path), "mail/%s.mail", num)) != 0)
		return rc;
	return unlink(path) == 0 ? 0 : -errno;
}

static int
mail_field(void *arg, const char *k, char *v, size_t n)
{
	struct sim_mail *m = arg;
	int64_t x = 0;

	if (!strcmp(k, "v"))
		return (rec_i64(v, &x) != 0 || x != REC_VERSION) ? ERR_VERSION : 0;
	if (!strcmp(k, "id")) {
		int rc = rec_i64(v, &x);
		m->id = (unsigned long)x;
		return rc;
	}
	if (!strcmp(k, "at_ms"))
		return rec_i64(v, &m->at_ms);
#define STR(name) if (!strcmp(k, #name)) return rec_cpy(m->name, sizeof(m->name), v, n)
	STR(kind); STR(to); STR(subject); STR(app_id); STR(serial); STR(url); STR(body);
#undef STR
	return 0;
}

/* ---- meta ---- */

int
sim_state_save_meta(struct sim *s)
{
	char path[SIM_PATH_MAX];
	struct buf b;
	int rc = 0;

	buf_init(&b, REC_MAX);
	rc |= rec_int(&b, "v", REC_VERSION);
	rc |= rec_int(&b, "app_seq", (long long)s->app_seq);
	rc |= rec_int(&b, "mail_seq", (long long)s->mail_seq);
	rc |= rec_int(&b, "clock_offset_ms", s->clock_offset_ms);
#define C(name) rc |= rec_int(&b, #name, (long long)s->cnt.name)
	C(logins); C(uploads); C(rows_ok); C(rows_ng); C(bulk_downloads); C(rate_limited);
	C(downloads); C(issued); C(revoked); C(failed); C(faults_fired); C(requests);
#undef C
	if (rc != 0)
		rc = ERR_TOOBIG;
	else if ((rc = state_path(s, path, sizeof(path), "%s", "meta")) == 0)
		rc = file_write_atomic(path, b.p, b.len, 0600);
	buf_free(&b);
	return rc;
}

static int
meta_field(void *arg, const char *k, char *v, size_t n)
{
	struct sim *s = arg;
	int64_t x = 0;
	int rc;

	(void)n;
	if ((rc = rec_i64(v, &x)) != 0)
		return rc;
	if (!strcmp(k, "v"))
		return x != REC_VERSION ? ERR_VERSION : 0;
	if (!strcmp(k, "clock_offset_ms"))
		s->clock_offset_ms = x;
	if (x < 0)
		return 0;
	if (!strcmp(k, "app_seq"))
		s->app_seq = (unsigned long)x;
	else if (!strcmp(k, "mail_seq"))
		s->mail_seq = (unsigned long)x;
#define C(name) else if (!strcmp(k, #name)) s->cnt.name = (unsigned long)x
	C(logins); C(uploads); C(rows_ok); C(rows_ng); C(bulk_downloads); C(rate_limited);
	C(downloads); C(issued); C(revoked); C(failed); C(faults_fired); C(requests);
#undef C
	return 0;
}

/* ---- loading ---- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names of dir ending in suffix (at most max); *names malloc'ed. */
static int
dir_list(const char *dir, const char *suffix, size_t max, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	char **v = NULL;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	v = calloc(max, sizeof(*v));
	if (v == NULL) {
		closedir(d);
		return ERR_NOMEM;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		if (*n == max) {
			rc = ERR_TOOBIG;
			break;
		}
		if ((v[*n] = strdup(e->d_name)) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return rc;
}

static void
dir_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
load_file(const char *path, int (*cb)(void *, const char *, char *, size_t), void *arg)
{
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = file_read_all(path, REC_MAX, &text, &len)) == 0)
		rc = rec_parse(text, len, cb, arg);
	free(text);
	if (rc != 0)
		log_err("%s: %s", path, err_str(rc));
	return rc;
}

int
sim_state_load(struct sim *s)
{
	char path[SIM_PATH_MAX + 64], file[SIM_PATH_MAX + 384];
	char **names = NULL;
	size_t n = 0;
	int rc;

	/* Directories first: a fresh DIR has none. */
	static const char *const sub[] = { "state", "state/apps", "state/mail" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, sub[i]);
		if ((rc = platform_mkdir_p(path, 0700)) != 0)
			return rc;
	}
	snprintf(path, sizeof(path), "%s/state/meta", s->dir);
	if (access(path, F_OK) == 0 && (rc = load_file(path, meta_field, s)) != 0)
		return rc;

	snprintf(path, sizeof(path), "%s/state/apps", s->dir);
	if ((rc = dir_list(path, ".app", SIM_MAX_APPS, &names, &n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct sim_app *a = calloc(1, sizeof(*a));
		if (a == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		if ((rc = load_file(file, app_field, a)) != 0) {
			sim_app_free(a);
			goto out;
		}
		s->apps[s->n_apps++] = a;
		/* Never hand out an ID twice, even if meta was lost. */
		if (strlen(a->id) == SIM_ID_LEN &&
		    strtoul(a->id + SIM_ID_LEN - 8, NULL, 10) > s->app_seq % 100000000ul)
			s->app_seq = strtoul(a->id + SIM_ID_LEN - 8, NULL, 10);
	}
	dir_list_free(names, n);
	names = NULL;
	n = 0;

	snprintf(path, sizeof(path), "%s/state/mail", s->dir);
	if ((rc = dir_list(path, ".mail", SIM_MAX_MAILS, &names, &n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct sim_mail *m = calloc(1, sizeof(*m));
		if (m == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		if ((rc = load_file(file, mail_field, m)) != 0) {
			free(m);
			goto out;
		}
		s->mails[s->n_mails++] = m;
		if (m->id > s->mail_seq)
			s->mail_seq = m->id;
	}
	rc = 0;
out:
	dir_list_free(names, n);
	return rc;
}
