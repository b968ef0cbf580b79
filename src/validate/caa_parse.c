/* CAA policy: parsing and deciding, no I/O (caa_parse.h says which rules). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/str.h"
#include "validate/caa_parse.h"

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 8659 label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)); same for a tag. */
static size_t
label_len(const char *p, const char *end)
{
	const char *q = p;

	if (q >= end || !is_alnum((unsigned char)*q))
		return 0;
	q++;
	while (q < end && (is_alnum((unsigned char)*q) || *q == '-'))
		q++;
	while (q > p && q[-1] == '-')    /* a label does not end with '-' */
		q--;
	return (size_t)(q - p);
}

/* issuer-domain-name = label *("." label): its length at p, 0 if none. */
static size_t
domain_len(const char *p, const char *end)
{
	const char *q = p;
	size_t l;

	for (;;) {
		if ((l = label_len(q, end)) == 0)
			return 0;
		q += l;
		if (q + 1 < end && q[0] == '.' && is_alnum((unsigned char)q[1])) {
			q++;
			continue;
		}
		return (size_t)(q - p);
	}
}

int
caa_issuers_parse(struct caa_issuers *out, const char *text, char *why, size_t whysz)
{
	const char *p = text, *end = text + strlen(text);
	char tmp[64];
	int rc = ERR_CONFIG;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		size_t l;

		while (p < end && (is_wsp((unsigned char)*p) || *p == ','))
			p++;
		if (p == end)
			break;
		l = domain_len(p, end);
		if (l == 0 || l > RESOLVER_NAME_MAX || (p + l < end && !is_wsp((unsigned char)p[l]) &&
		    p[l] != ',')) {
			str_copy(tmp, sizeof(tmp), p);
			if (why != NULL)
				snprintf(why, whysz, "not an issuer domain name: '%s'", tmp);
			goto out;
		}
		if (out->n == CAA_ISSUERS_MAX) {
			if (why != NULL)
				snprintf(why, whysz, "more than %d issuer domain names", CAA_ISSUERS_MAX);
			goto out;
		}
		for (size_t i = 0; i < l; i++)
			out->name[out->n][i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
		out->name[out->n][l] = '\0';
		out->n++;
		p += l;
	}
	if (out->n == 0) {
		if (why != NULL)
			snprintf(why, whysz, "no issuer domain name");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* value = *(%x21-3A / %x3C-7E) */
static int
is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

static int
span_eq_nocase(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && strncasecmp(p, s, len) == 0;
}

int
caa_issue_parse(const char *value, size_t len, struct caa_issue *out)
{
	const char *p = value, *end = value + len;
	size_t l;

	memset(out, 0, sizeof(*out));
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	if (p < end && *p != ';') {
		if ((l = domain_len(p, end)) == 0)
			return ERR_MALFORMED;
		out->domain.p = p;
		out->domain.len = l;
		p += l;
		while (p < end && is_wsp((unsigned char)*p))
			p++;
	}
	if (p == end)
		return 0;
	if (*p++ != ';')
		return ERR_MALFORMED;
	while (p < end && is_wsp((unsigned char)*p))
		p++;
	if (p == end)
		return 0;        /* "[";" *WSP [parameters *WSP]]": the parameters are optional */
	for (;;) {
		const char *tag = p, *val;
		size_t tl, vl;

		if ((tl = label_len(p, end)) == 0)
			return ERR_MALFORMED;
		p += tl;
		while (p < end && is_wsp((unsigned char)*p))
			p++;
		if (p == end || *p++ != '=')
			return ERR_MALFORMED;
		while (p < end && is_wsp((unsigned char)*p))
			p++;
		val = p;
		while (p < end && is_valchar((unsigned char)*p))
			p++;
		vl = (size_t)(p - val);
		if (span_eq_nocase(tag, tl, "accounturi")) {
			if (out->has_accounturi++)
				return ERR_MALFORMED;
			out->accounturi.p = val;
			out->accounturi.len = vl;
		} else if (span_eq_nocase(tag, tl, "validationmethods")) {
			if (out->has_methods++)
				return ERR_MALFORMED;
			out->methods.p = val;
			out->methods.len = vl;
		}
		while (p < end && is_wsp((unsigned char)*p))
			p++;
		if (p == end)
			return 0;
		/* parameters = (parameter *WSP ";" *WSP parameters) / parameter */
		if (*p++ != ';')
			return ERR_MALFORMED;
		while (p < end && is_wsp((unsigned char)*p))
			p++;
	}
}

/* RFC 8657 section 4: value = label *("," label); is method one of them? */
static int
methods_has(const struct caa_span *m, const char *method)
{
	const char *p = m->p, *end = m->p + m->len;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t l = (size_t)((c != NULL ? c : end) - p);

		if (span_eq_nocase(p, l, method))
			return 1;
		p += l + (c != NULL);
	}
	return 0;
}

static int
tag_is(const struct resolver_caa *rr, const char *tag)
{
	return span_eq_nocase(rr->tag, rr->tag_len, tag);
}

static int
tag_understood(const struct resolver_caa *rr)
{
	static const char *const known[] = { "issue", "issuewild", "iodef", "contactemail",
					     "contactphone" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (tag_is(rr, known[i]))
			return 1;
	return 0;
}

static int
issuer_ours(const struct caa_issuers *is, const struct caa_span *d)
{
	for (size_t i = 0; i < is->n; i++)
		if (span_eq_nocase(d->p, d->len, is->name[i]))
			return 1;
	return 0;
}

int
caa_rrset_eval(const struct caa_request *rq, const struct resolver_caa *rrs, int n, char *why,
    size_t whysz)
{
	const char *kind = "issue", *acct = rq->account_uri != NULL ? rq->account_uri : "";
	int nkind = 0, ours = 0, wrong_acct = 0, wrong_method = 0, malformed = 0, i;
	char tag[40];

	for (i = 0; i < n; i++) {
		if ((rrs[i].flags & 0x80) != 0 && !tag_understood(&rrs[i])) {
			caa_records_text(&rrs[i], 1, tag, sizeof(tag));
			snprintf(why, whysz, "the CAA record %s is critical and of a kind this CA does "
			    "not know", tag);
			return ERR_DENIED;
		}
		if (rq->wildcard && tag_is(&rrs[i], "issuewild"))
			kind = "issuewild";
	}
	for (i = 0; i < n; i++) {
		struct caa_issue is;

		if (!tag_is(&rrs[i], kind))
			continue;
		nkind++;
		if (caa_issue_parse(rrs[i].value, rrs[i].value_len, &is) != 0) {
			malformed++;
			continue;
		}
		if (is.domain.len == 0 || !issuer_ours(rq->issuers, &is.domain))
			continue;
		ours++;
		if (is.has_accounturi && (strlen(acct) != is.accounturi.len ||
		    memcmp(acct, is.accounturi.p, is.accounturi.len) != 0)) {
			wrong_acct++;
			continue;
		}
		if (is.has_methods && !methods_has(&is.methods, rq->method)) {
			wrong_method++;
			continue;
		}
		return 0;
	}
	if (nkind == 0)
		return 0;
	if (wrong_method > 0)
		snprintf(why, whysz, "the CAA %s records for %s do not allow the validation "
		    "method %s (validationmethods)", kind, rq->issuers->name[0], rq->method);
	else if (wrong_acct > 0)
		snprintf(why, whysz, "the CAA %s records for %s allow another ACME account only "
		    "(accounturi is not %s)", kind, rq->issuers->name[0], acct[0] ? acct : "set");
	else if (ours == 0 && malformed > 0)
		snprintf(why, whysz, "the CAA %s records authorize no CA this gateway issues for "
		    "(%d malformed, authorizing none)", kind, malformed);
	else
		snprintf(why, whysz, "the CAA %s records do not authorize %s", kind,
		    rq->issuers->name[0]);
	return ERR_DENIED;
}

int
caa_climb_init(struct caa_climb *c, const char *name, int *wildcard)
{
	memset(c, 0, sizeof(*c));
	if (name[0] == '*' && name[1] == '.') {
		name += 2;
		*wildcard = 1;
	}
	return resolver_name_norm(name, c->name, sizeof(c->name));
}

const char *
caa_climb_name(const struct caa_climb *c)
{
	return c->name + c->off;
}

int
caa_climb_step(struct caa_climb *c, int rc, int n)
{
	const char *dot;

	if (++c->lookups > CAA_CLIMB_MAX)
		return ERR_TOOBIG;
	if (rc == 0 && n > 0)
		return CAA_CLIMB_FOUND;
	if (rc != 0 && rc != ERR_NOTFOUND)
		return rc;
	/* Empty or NXDOMAIN: the parent, up to and including the TLD (not the root). */
	dot = strchr(c->name + c->off, '.');
	if (dot == NULL)
		return CAA_CLIMB_NONE;
	c->off = (size_t)(dot + 1 - c->name);
	return CAA_CLIMB_QUERY;
}

/* Append s (len bytes) escaped to buf at *pos; 0, or -1 when it did not fit. */
static int
text_put(char *buf, size_t sz, size_t *pos, const char *s, size_t len, int esc)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char tmp[5];
		size_t tl = 1;

		tmp[0] = (char)ch;
		if (esc && (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')) {
			snprintf(tmp, sizeof(tmp), "\\%03u", ch);
			tl = 4;
		}
		if (*pos + tl + 4 >= sz)         /* room for "..." and the NUL */
			return -1;
		memcpy(buf + *pos, tmp, tl);
		*pos += tl;
	}
	return 0;
}

void
caa_records_text(const struct resolver_caa *rrs, int n, char *buf, size_t sz)
{
	size_t pos = 0;
	char num[8];

	if (sz == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%s%u ", i > 0 ? "; " : "", rrs[i].flags & 0xffu);
		if (text_put(buf, sz, &pos, num, strlen(num), 0) != 0 ||
		    text_put(buf, sz, &pos, rrs[i].tag, rrs[i].tag_len, 1) != 0 ||
		    text_put(buf, sz, &pos, STR_LIT(" \""), 0) != 0 ||
		    text_put(buf, sz, &pos, rrs[i].value, rrs[i].value_len, 1) != 0 ||
		    text_put(buf, sz, &pos, STR_LIT("\""), 0) != 0) {
			if (sz >= 4) {
				if (pos > sz - 4)
					pos = sz - 4;
				memcpy(buf + pos, STR_LIT("..."));
				pos += 3;
			}
			break;
		}
	}
	buf[pos < sz ? pos : sz - 1] = '\0';
}
