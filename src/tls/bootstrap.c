#include "tls/tls_int.h"
#include "util/err.h"
int
tls_server_bootstrap(struct tls_server **out, const char *dir, const char *names)
{
	(void)out; (void)dir; (void)names;
	return ERR_UNSUPPORTED;
}
