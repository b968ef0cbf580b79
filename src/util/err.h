/*
 * err.h: the one error convention. Functions return int: 0 on success, a negative
 * project code below, or -errno. err_str() gives text for either kind; the ACME
 * layer has the one table that maps codes to problem types (acme/problem.c).
 */
#ifndef UPKI_ERR_H
#define UPKI_ERR_H

enum err_code {
	ERR_FIRST = -1000,   /* codes are -1000 and below; -1..-999 are -errno */
	ERR_NOMEM = -1000,   /* allocation failed or arena exhausted */
	ERR_TOOBIG = -1001,  /* input or output over a configured limit */
	ERR_MALFORMED = -1002, /* syntax error in input */
	ERR_NOTFOUND = -1003,
	ERR_EXISTS = -1004,
	ERR_BADSIG = -1005,  /* signature or MAC does not verify */
	ERR_UNSUPPORTED = -1006, /* well-formed but not supported (algorithm, key type) */
	ERR_BADKEY = -1007,  /* key unusable: weak, wrong curve, bad encoding */
	ERR_CONFIG = -1008,
	ERR_VERSION = -1009, /* stored data written by a newer schema */
	ERR_STORE = -1010,   /* storage engine failure (see log) */
	ERR_TLS = -1011,
	ERR_PROTOCOL = -1012, /* peer broke the protocol */
	ERR_TIMEOUT = -1013,
	ERR_STATE = -1014,   /* object is not in a state that allows this */
	ERR_DENIED = -1015,  /* not authorized / policy refuses */
	ERR_RANGE = -1016,   /* value out of range */
	ERR_AGAIN = -1017,   /* transient: try later */
	ERR_CLOSED = -1018,  /* peer closed the connection */
	ERR_RATELIMIT = -1019,
	ERR_REJECTED = -1020, /* upstream refused the request (see its message) */
	ERR_FULL = -1021,    /* storage full: new work refused until sweeping frees room */
	ERR_LAST = -1021
};

/* Text for rc (a code above or -errno). Never NULL; static storage. */
const char *err_str(int rc);

#endif
