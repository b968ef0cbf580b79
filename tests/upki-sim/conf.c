/*
 * conf.c: sim.conf, the institution record the RA officer certificate maps to
 * (UPKI.md §10 [X]): O, ST, L, domains, profiles, the CAA stub map and the
 * registered RA certificates. "key = value" lines, '#' comments; caa and
 * ra_cert may repeat.
 */
#include <ctype.h>
#include <strings.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#define CONF_MAX_BYTES (64 * 1024)
#define CONF_LINE_MAX 1024

static void
conf_trim(char **s, char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

static int
conf_copy(char *dst, size_t dstsz, const char *v)
{
	size_t n = strlen(v);

	if (n >= dstsz)
		return ERR_TOOBIG;
	memcpy(dst, v, n + 1);
	return 0;
}

static void
conf_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Split a comma-separated list into fixed slots. */
static int
conf_list(const char *v, char *slots, size_t slotsz, int max, int *n)
{
	const char *p = v;

	*n = 0;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		char *s = (char *)p, *e = (char *)p + len;

		conf_trim(&s, &e);
		if (e > s) {
			if (*n == max || (size_t)(e - s) >= slotsz)
				return ERR_TOOBIG;
			memcpy(slots + (size_t)*n * slotsz, s, (size_t)(e - s));
			slots[(size_t)*n * slotsz + (size_t)(e - s)] = '\0';
			(*n)++;
		}
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

/* "name tag \"value\"" */
static int
conf_caa(struct sim_inst *inst, const char *v)
{
	struct sim_caa *c;
	const char *q1, *q2;
	char name[254], tag[16];

	if (inst->n_caa == SIM_MAX_CAA)
		return ERR_TOOBIG;
	if (sscanf(v, "%253s %15s", name, tag) != 2)
		return ERR_MALFORMED;
	q1 = strchr(v, '"');
	q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	if (q2 == NULL || (size_t)(q2 - q1 - 1) >= sizeof(c->value))
		return ERR_MALFORMED;
	c = &inst->caa[inst->n_caa++];
	conf_lower(name);
	conf_lower(tag);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->tag, sizeof(c->tag), "%s", tag);
	memcpy(c->value, q1 + 1, (size_t)(q2 - q1 - 1));
	c->value[q2 - q1 - 1] = '\0';
	return 0;
}

static int
conf_set(struct sim_inst *inst, const char *k, const char *v)
{
	int rc = ERR_NOTFOUND;

	if (!strcmp(k, "o"))
		rc = conf_copy(inst->o, sizeof(inst->o), v);
	else if (!strcmp(k, "st"))
		rc = conf_copy(inst->st, sizeof(inst->st), v);
	else if (!strcmp(k, "l"))
		rc = conf_copy(inst->l, sizeof(inst->l), v);
	else if (!strcmp(k, "domains")) {
		rc = conf_list(v, &inst->domains[0][0], sizeof(inst->domains[0]), SIM_MAX_DOMAINS,
		    &inst->n_domains);
		for (int i = 0; i < inst->n_domains; i++)
			conf_lower(inst->domains[i]);
	} else if (!strcmp(k, "profiles_rsa"))
		rc = conf_list(v, &inst->profiles_rsa[0][0], sizeof(inst->profiles_rsa[0]),
		    SIM_MAX_PROFILES, &inst->n_profiles_rsa);
	else if (!strcmp(k, "profiles_ecc"))
		rc = conf_list(v, &inst->profiles_ecc[0][0], sizeof(inst->profiles_ecc[0]),
		    SIM_MAX_PROFILES, &inst->n_profiles_ecc);
	else if (!strcmp(k, "ra_email"))
		rc = conf_copy(inst->ra_email, sizeof(inst->ra_email), v);
	else if (!strcmp(k, "validity_days")) {
		char *end;
		long d = strtol(v, &end, 10);
		rc = (*end != '\0' || d < 1 || d > 3650) ? ERR_RANGE : 0;
		inst->validity_days = (int)d;
	} else if (!strcmp(k, "ra_cert")) {
		if (inst->n_ra == SIM_MAX_RA)
			return ERR_TOOBIG;
		if (strlen(v) != SIM_FP_LEN || strspn(v, "0123456789abcdef") != SIM_FP_LEN)
			return ERR_MALFORMED;
		memcpy(inst->ra_fp[inst->n_ra++], v, SIM_FP_LEN + 1);
		rc = 0;
	} else if (!strcmp(k, "caa"))
		rc = conf_caa(inst, v);
	return rc;
}

int
sim_conf_load(struct sim_inst *inst, const char *path)
{
	char *text = NULL, *p, *end;
	size_t len;
	unsigned line = 0;
	int rc;

	memset(inst, 0, sizeof(*inst));
	inst->validity_days = sim_profile.default_validity_days;
	if ((rc = file_read_all(path, CONF_MAX_BYTES, &text, &len)) != 0) {
		log_err("%s: %s", path, err_str(rc));
		goto out;
	}
	p = text;
	end = text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		char *s = p, *e = le, *eq, *ks, *ke, *vs, *ve;
		char k[32], v[CONF_LINE_MAX];

		line++;
		p = nl ? nl + 1 : end;
		conf_trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		eq = memchr(s, '=', (size_t)(e - s));
		if (eq == NULL) {
			log_err("%s:%u: expected key = value", path, line);
			rc = ERR_CONFIG;
			goto out;
		}
		ks = s;
		ke = eq;
		vs = eq + 1;
		ve = e;
		conf_trim(&ks, &ke);
		conf_trim(&vs, &ve);
		if ((size_t)(ke - ks) >= sizeof(k) || (size_t)(ve - vs) >= sizeof(v)) {
			log_err("%s:%u: line too long", path, line);
			rc = ERR_CONFIG;
			goto out;
		}
		memcpy(k, ks, (size_t)(ke - ks));
		k[ke - ks] = '\0';
		memcpy(v, vs, (size_t)(ve - vs));
		v[ve - vs] = '\0';
		if ((rc = conf_set(inst, k, v)) != 0) {
			log_err("%s:%u: %s: %s", path, line, k,
			    rc == ERR_NOTFOUND ? "unknown key" : err_str(rc));
			rc = ERR_CONFIG;
			goto out;
		}
	}
	if (inst->o[0] == '\0' || inst->st[0] == '\0' || inst->l[0] == '\0' ||
	    inst->n_domains == 0 || inst->n_profiles_rsa + inst->n_profiles_ecc == 0) {
		log_err("%s: o, st, l, domains and a profile are required", path);
		rc = ERR_CONFIG;
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

int
sim_conf_save(const struct sim_inst *inst, const char *path)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, CONF_MAX_BYTES);
	rc |= buf_printf(&b, "# upki-sim institution record (UPKI.md §10 [X]).\n"
	    "# The RA officer certificates listed as ra_cert (SHA-256 of the DER) log in\n"
	    "# as this institution. caa lines are the stub resolver's CAA records.\n");
	rc |= buf_printf(&b, "o = %s\nst = %s\nl = %s\ndomains = ", inst->o, inst->st, inst->l);
	for (int i = 0; i < inst->n_domains; i++)
		rc |= buf_printf(&b, "%s%s", i ? "," : "", inst->domains[i]);
	rc |= buf_puts(&b, "\nprofiles_rsa = ");
	for (int i = 0; i < inst->n_profiles_rsa; i++)
		rc |= buf_printf(&b, "%s%s", i ? "," : "", inst->profiles_rsa[i]);
	rc |= buf_puts(&b, "\nprofiles_ecc = ");
	for (int i = 0; i < inst->n_profiles_ecc; i++)
		rc |= buf_printf(&b, "%s%s", i ? "," : "", inst->profiles_ecc[i]);
	rc |= buf_printf(&b, "\nra_email = %s\nvalidity_days = %d\n", inst->ra_email,
	    inst->validity_days);
	for (int i = 0; i < inst->n_ra; i++)
		rc |= buf_printf(&b, "ra_cert = %s\n", inst->ra_fp[i]);
	for (int i = 0; i < inst->n_caa; i++)
		rc |= buf_printf(&b, "caa = %s %s \"%s\"\n", inst->caa[i].name, inst->caa[i].tag,
		    inst->caa[i].value);
	if (rc != 0)
		rc = ERR_TOOBIG;
	else
		rc = file_write_atomic(path, b.p, b.len, 0644);
	buf_free(&b);
	return rc;
}

int
sim_conf_defaults(struct sim_inst *inst, const char *o, const char *st, const char *l,
    const char *domains)
{
	char caa[300];
	int rc;

	memset(inst, 0, sizeof(*inst));
	if (conf_set(inst, "o", o) || conf_set(inst, "st", st) || conf_set(inst, "l", l))
		return ERR_TOOBIG;
	if ((rc = conf_set(inst, "domains", domains)) != 0 || inst->n_domains == 0)
		return rc ? rc : ERR_MALFORMED;
	conf_set(inst, "profiles_rsa", sim_profile.default_profiles_rsa);
	conf_set(inst, "profiles_ecc", sim_profile.default_profiles_ecc);
	snprintf(inst->ra_email, sizeof(inst->ra_email), "ra@%.60s", inst->domains[0]);
	inst->validity_days = sim_profile.default_validity_days;
	/* A name whose CAA forbids SECOM, for the CAA rule (code 223). */
	snprintf(caa, sizeof(caa), "caa-blocked.%.200s issue \"letsencrypt.org\"",
	    inst->domains[0]);
	return conf_caa(inst, caa);
}

int
sim_inst_domain_ok(const struct sim_inst *inst, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < inst->n_domains; i++) {
		size_t d = strlen(inst->domains[i]);
		if (n == d && !strcmp(name, inst->domains[i]))
			return 1;
		if (n > d + 1 && name[n - d - 1] == '.' && !strcmp(name + n - d, inst->domains[i]))
			return 1;
	}
	return 0;
}

/* RFC 8659 §3: the relevant record set is the closest one up the tree. */
int
sim_inst_caa_ok(const struct sim_inst *inst, const char *name)
{
	const char *p = name;

	for (int depth = 0; depth < 128 && p != NULL && *p; depth++) {
		int found = 0, issue = 0, ok = 0;

		for (int i = 0; i < inst->n_caa; i++) {
			const struct sim_caa *c = &inst->caa[i];
			char dom[128];
			size_t dl;

			if (strcmp(c->name, p) != 0)
				continue;
			found = 1;
			if (strcmp(c->tag, "issue") != 0)
				continue;
			issue = 1;
			dl = strcspn(c->value, ";");
			snprintf(dom, sizeof(dom), "%.*s", (int)dl, c->value);
			{
				char *s = dom, *e = dom + strlen(dom);
				conf_trim(&s, &e);
				*e = '\0';
				if (!strcasecmp(s, "secomtrust.net"))
					ok = 1;
			}
		}
		if (found)
			return !issue || ok;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return 1;
}

int
sim_inst_profile_kind(const struct sim_inst *inst, const char *profile)
{
	for (int i = 0; i < inst->n_profiles_rsa; i++)
		if (!strcmp(inst->profiles_rsa[i], profile))
			return 0;
	for (int i = 0; i < inst->n_profiles_ecc; i++)
		if (!strcmp(inst->profiles_ecc[i], profile))
			return 1;
	return -1;
}
