/*
 * problem.h: the one table from error codes to ACME problem documents
 * (RFC 7807, RFC 8555 §6.7).
 *
 * A row is (code, problem type, HTTP status, Retry-After, default detail).
 * The codes are every enum err_code of util/err.h (a handler can pass the rc
 * it got from a lower layer) and the ACME-specific enum acme_err below, for
 * answers no lower-layer code names (an unknown nonce, an order not ready, a
 * contact refused ...). -errno and unknown codes answer as ACME_E_INTERNAL.
 * Handlers never spell a problem type or a status: they pass a code and,
 * optionally, a detail sentence (NULL: the row's default detail).
 *
 * tests/unit/test_acme_problem.c checks that every code has a well-formed row
 * and that README.md's "## Problem types" lists exactly the table's types.
 * A new code needs: an enum value here, a row in problem.c, and (if its type
 * is new) a line in README.md.
 */
#ifndef UPKI_ACME_PROBLEM_H
#define UPKI_ACME_PROBLEM_H

#include <stddef.h>

struct http_req;

/* Problem types (RFC 8555 §6.7), without the "urn:ietf:params:acme:error:" prefix. */
#define ACME_ERR_PREFIX "urn:ietf:params:acme:error:"

enum acme_err {
	ACME_E_FIRST = -2000,
	ACME_E_INTERNAL = -2000,       /* 500 serverInternal */
	ACME_E_MALFORMED = -2001,      /* 400 malformed */
	ACME_E_NOSUCH = -2002,         /* 404 malformed: no such resource (for this account) */
	ACME_E_MEDIA = -2003,          /* 415 malformed: wrong Content-Type */
	ACME_E_CONFLICT = -2004,       /* 409 malformed: e.g. the new key is in use */
	ACME_E_CONTACT = -2005,        /* 400 invalidContact */
	ACME_E_CONTACT_SCHEME = -2006, /* 400 unsupportedContact */
	ACME_E_NO_ACCOUNT = -2007,     /* 400 accountDoesNotExist */
	ACME_E_EAB_REQUIRED = -2008,   /* 400 externalAccountRequired */
	ACME_E_UNAUTHORIZED = -2009,   /* 401 unauthorized: who you are is not good enough */
	ACME_E_FORBIDDEN = -2010,      /* 403 unauthorized: not yours / refused by policy */
	ACME_E_BAD_KEY = -2011,        /* 400 badPublicKey */
	ACME_E_BAD_CSR = -2012,        /* 400 badCSR */
	ACME_E_NOT_READY = -2013,      /* 403 orderNotReady */
	ACME_E_IDENT_UNSUPPORTED = -2014, /* 400 unsupportedIdentifier */
	ACME_E_IDENT_REJECTED = -2015, /* 403 rejectedIdentifier */
	ACME_E_BAD_NONCE = -2016,      /* 400 badNonce */
	ACME_E_BAD_REASON = -2017,     /* 400 badRevocationReason */
	ACME_E_REVOKED = -2018,        /* 400 alreadyRevoked */
	ACME_E_RATELIMITED = -2019,    /* 429 rateLimited, Retry-After */
	ACME_E_CAA = -2020,            /* 403 caa */
	ACME_E_CLOCK = -2021,          /* 503 serverInternal, Retry-After: clock not set */
	ACME_E_BAD_ALG = -2022,        /* 400 badSignatureAlgorithm (with "algorithms") */
	/* the types of a challenge's "error" (validate/), status 400 as authz.c writes it */
	ACME_E_DNS = -2023,            /* 400 dns */
	ACME_E_CONNECTION = -2024,     /* 400 connection */
	ACME_E_INCORRECT = -2025,      /* 400 incorrectResponse */
	ACME_E_TLS = -2026,            /* 400 tls: the tls-alpn-01 handshake failed or was wrong */
	ACME_E_LAST = -2026
};

struct acme_problem_row {
	int code;                 /* enum err_code or enum acme_err */
	const char *type;         /* short ACME type: "malformed", "badNonce", ... */
	int status;               /* HTTP status */
	unsigned retry_after;     /* seconds for Retry-After; 0: no header */
	const char *detail;       /* default detail sentence */
};

/* The table: *n rows. For tests and docs. */
const struct acme_problem_row *acme_problem_table(size_t *n);

/* The row for code; never NULL (unknown codes and -errno: the ACME_E_INTERNAL row). */
const struct acme_problem_row *acme_problem_row(int code);

/*
 * The row answering an upstream (issuer) problem of the given short type:
 * the row of code if its type is type, else the first row of that type, else
 * the row of code. type may be NULL or "".
 */
const struct acme_problem_row *acme_problem_row_typed(const char *type, int code);

/* Answer with the problem document of code; detail NULL: the row's default. */
void acme_problem(struct http_req *req, int code, const char *detail);

/* Like acme_problem with printf-style detail. */
void acme_problemf(struct http_req *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Like acme_problem with an integer Retry-After of retry_after seconds
 * (0: the row's own, if any). For rateLimited answers of per-account limits.
 */
void acme_problem_retry(struct http_req *req, int code, unsigned retry_after, const char *detail);

/* One subproblem (RFC 8555 §6.7.1): its code's type, a detail, the DNS identifier it is about. */
struct acme_subproblem {
	int code;
	const char *detail;
	const char *ident;        /* the identifier's value ("*.x" for a wildcard) */
};

/* Like acme_problem, with subproblems sub[0..n) (n 0: none). */
void acme_problem_sub(struct http_req *req, int code, const char *detail,
    const struct acme_subproblem *sub, size_t n);

/* Answer an issuer's problem (type, detail) by acme_problem_row_typed(type, code). */
void acme_problem_typed(struct http_req *req, const char *type, int code, const char *detail);

#endif
