/*
 * caa_parse.h: the pure half of CAA checking (RFC 8659, RFC 8657): the issuer
 * list, the issue/issuewild value grammar, the decision over one record set,
 * the climb from a name towards the root, and the text kept of what was seen.
 * No I/O, no allocation: caa.c drives it with the resolver; unit tests and the
 * fuzz target call it directly.
 *
 * What is implemented (RFC 8659 section 3 and 4, RFC 8657, CA/B BR 3.2.2.8):
 *   - the relevant record set is the first non-empty CAA RRset found on the
 *     way from the name (for "*.x": from x) up to and including the TLD, one
 *     lookup per name; NOERROR without CAA and NXDOMAIN both go one label up;
 *   - any other lookup result (SERVFAIL, REFUSED, timeout, a malformed or too
 *     large answer) refuses: the BR exception for lookup failures outside the
 *     CA's infrastructure is NOT taken (it needs proof that the zone has no
 *     DNSSEC chain to the root, which this gateway cannot give);
 *   - a property with the critical flag (0x80) and a tag other than issue,
 *     issuewild, iodef, contactemail, contactphone refuses; tags compare
 *     without case; unknown tags without the flag are ignored;
 *   - for a wildcard name the issuewild properties decide when there is at
 *     least one, else issue; for other names issue alone; no property of the
 *     kind that decides: permitted;
 *   - an issue/issuewild value that does not match the RFC 8659 section 4.2
 *     grammar, or that repeats accounturi or validationmethods, authorizes no
 *     CA (it still counts as present, so it can refuse); an empty issuer
 *     domain (";") authorizes no CA;
 *   - the issuer domain compares without case against the configured
 *     caa_identities; accounturi (RFC 8657 section 3) must equal the account
 *     URL byte for byte; validationmethods (section 4) must list the method
 *     that validated the authorization; other parameters are ignored;
 *   - iodef is understood and not acted on (the BR allow that).
 */
#ifndef UPKI_VALIDATE_CAA_PARSE_H
#define UPKI_VALIDATE_CAA_PARSE_H

#include <stddef.h>

#include "validate/resolver_parse.h"   /* struct resolver_caa, RESOLVER_NAME_MAX */

#define CAA_ISSUERS_MAX 8              /* caa_identities entries */
#define CAA_CLIMB_MAX 128              /* lookups per check (a name has at most 127 labels) */

/* The issuer domain names that count as ours, lower case. */
struct caa_issuers {
	size_t n;
	char name[CAA_ISSUERS_MAX][RESOLVER_NAME_MAX + 1];
};

/*
 * Parse caa_identities: 1..CAA_ISSUERS_MAX domain names separated by commas
 * and/or blanks, each in the RFC 8659 issuer-domain-name grammar (no trailing
 * dot). Upper case is folded. Returns 0, or ERR_CONFIG with why (may be NULL).
 */
int caa_issuers_parse(struct caa_issuers *out, const char *text, char *why, size_t whysz);

/* A part of a record's value (points into the struct resolver_caa). */
struct caa_span {
	const char *p;
	size_t len;
};

/* An issue or issuewild value, parsed. */
struct caa_issue {
	struct caa_span domain;        /* len 0: authorizes no CA */
	int has_accounturi;
	struct caa_span accounturi;
	int has_methods;
	struct caa_span methods;       /* "dns-01,http-01" as written */
};

/*
 * Parse an issue/issuewild value (value, len bytes; may hold any byte) by the
 * RFC 8659 section 4.2 grammar. out points into value. Returns 0, or
 * ERR_MALFORMED (grammar, or accounturi / validationmethods given twice).
 */
int caa_issue_parse(const char *value, size_t len, struct caa_issue *out);

/* What one check is about. */
struct caa_request {
	const struct caa_issuers *issuers;
	int wildcard;                  /* the certificate name is "*." + the name checked */
	const char *account_uri;       /* "" or NULL: none (an accounturi then refuses) */
	const char *method;            /* "http-01", "dns-01", "tls-alpn-01" */
};

/*
 * Decide over the relevant record set rrs[0..n). Returns 0 (issuance
 * permitted) or ERR_DENIED with a sentence in why saying which rule refused.
 */
int caa_rrset_eval(const struct caa_request *rq, const struct resolver_caa *rrs, int n,
    char *why, size_t whysz);

/* The climb: which names to look up, and when to stop. */
struct caa_climb {
	char name[RESOLVER_NAME_MAX + 1];   /* the name checked, lower case, no "*." */
	size_t off;                         /* the current name is name + off */
	unsigned lookups;                   /* results taken so far */
};

enum caa_climb_next {
	CAA_CLIMB_QUERY = 1,      /* look up caa_climb_name() (one label up) */
	CAA_CLIMB_FOUND = 2,      /* the records just given are the relevant set */
	CAA_CLIMB_NONE = 3,       /* no CAA anywhere up to the TLD: permitted */
};

/*
 * Start at name ("*." stripped: *wildcard is set then, else left alone).
 * Returns 0, or ERR_MALFORMED for a name that resolver_name_norm() refuses.
 */
int caa_climb_init(struct caa_climb *c, const char *name, int *wildcard);

/* The name to look up now. */
const char *caa_climb_name(const struct caa_climb *c);

/*
 * Take the result of looking up caa_climb_name() (rc and n as the resolver's
 * CAA callback gives them). Returns a caa_climb_next value, or a negative code:
 * the lookup failed (rc itself; ERR_TOOBIG after CAA_CLIMB_MAX lookups) and
 * issuance is refused.
 */
int caa_climb_step(struct caa_climb *c, int rc, int n);

/*
 * The records as text for logs and the stored record: `0 issue "x"; 128 tbs
 * "y"`, bytes outside printable ASCII and '"' '\' as \DDD, cut with "..." to
 * fit sz (always NUL-terminated when sz > 0). n 0 gives "".
 */
void caa_records_text(const struct resolver_caa *rrs, int n, char *buf, size_t sz);

#endif
