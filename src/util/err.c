#include <string.h>

#include "util/err.h"

static const char *const err_names[] = {
	[-(ERR_NOMEM - ERR_FIRST)] = "out of memory",
	[-(ERR_TOOBIG - ERR_FIRST)] = "over a configured limit",
	[-(ERR_MALFORMED - ERR_FIRST)] = "malformed input",
	[-(ERR_NOTFOUND - ERR_FIRST)] = "not found",
	[-(ERR_EXISTS - ERR_FIRST)] = "already exists",
	[-(ERR_BADSIG - ERR_FIRST)] = "signature does not verify",
	[-(ERR_UNSUPPORTED - ERR_FIRST)] = "not supported",
	[-(ERR_BADKEY - ERR_FIRST)] = "unusable key",
	[-(ERR_CONFIG - ERR_FIRST)] = "configuration error",
	[-(ERR_VERSION - ERR_FIRST)] = "written by a newer version",
	[-(ERR_STORE - ERR_FIRST)] = "storage failure",
	[-(ERR_TLS - ERR_FIRST)] = "TLS failure",
	[-(ERR_PROTOCOL - ERR_FIRST)] = "protocol violation by peer",
	[-(ERR_TIMEOUT - ERR_FIRST)] = "timed out",
	[-(ERR_STATE - ERR_FIRST)] = "not allowed in the current state",
	[-(ERR_DENIED - ERR_FIRST)] = "denied",
	[-(ERR_RANGE - ERR_FIRST)] = "value out of range",
	[-(ERR_AGAIN - ERR_FIRST)] = "temporarily unavailable",
	[-(ERR_CLOSED - ERR_FIRST)] = "connection closed by peer",
	[-(ERR_RATELIMIT - ERR_FIRST)] = "rate limited",
	[-(ERR_REJECTED - ERR_FIRST)] = "rejected by upstream",
	[-(ERR_FULL - ERR_FIRST)] = "storage full",
};

const char *
err_str(int rc)
{
	if (rc == 0)
		return "success";
	if (rc <= ERR_FIRST && rc >= ERR_LAST)
		return err_names[-(rc - ERR_FIRST)];
	if (rc < 0 && rc > ERR_FIRST)
		return strerror(-rc);
	return "unknown error";
}
