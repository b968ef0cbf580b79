/*
 * The validator: one per process, created at start from the config. It holds
 * what every validation method needs (event base, resolver, ports) and frees
 * the methods' running validations when it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/str.h"
#include "validate/resolver.h"
#include "validate/validate.h"
#include "validate/validate_int.h"

int
validator_new(struct validator **out, struct event_base *base, const struct config *cfg)
{
	struct validator *v = calloc(1, sizeof(*v));
	int rc;

	if (v == NULL)
		return ERR_NOMEM;
	v->base = base;
	v->http01_port = cfg->http01_port;
	if ((rc = caa_issuers_new(v, cfg)) != 0) {
		free(v);
		return rc;
	}
	netfilter_setup(v, cfg);
	v->tlsalpn01_port = cfg->tlsalpn01_port;
	if (cfg->has_resolver) {
		rc = resolver_new_flags(&v->res, base, (const struct sockaddr *)&cfg->resolver.ss,
		    cfg->resolver.len, 2000, 2, cfg->resolver_tcp ? RESOLVER_F_TCP : 0);
		if (rc != 0) {
			free(v->caa_issuers);
			free(v);
			return rc;
		}
	} else {
		log_warn("validate: no 'resolver' configured: challenges cannot be validated");
	}
	*out = v;
	return 0;
}

void
validator_free(struct validator *v)
{
	if (v == NULL)
		return;
	http01_cancel_all(v);
	caa_cancel_all(v);
	free(v->caa_issuers);
	tlsalpn01_cancel_all(v);
	dns01_cancel_all(v);
	resolver_free(v->res);
	free(v);
}

void
validate_result_vset(struct validate_result *r, int ok, const char *type, const char *fmt, va_list ap)
{
	memset(r, 0, sizeof(*r));
	r->ok = ok;
	if (ok)
		return;
	str_copy(r->type, sizeof(r->type), type);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	for (char *p = r->detail; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}
