/*
 * Fuzz the configuration file reader (util/config.c) through
 * config_parse_buf, the same line reader config_load uses. Properties: only
 * 0 or ERR_CONFIG; a refusal says where ("fuzz.conf:N: ...") in a
 * NUL-terminated message; an accepted file leaves every limit inside the
 * range its key allows, and config_finish gives 0 or ERR_CONFIG.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/err.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct config cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[600];
	int rc;

	config_defaults(&cfg);
	memset(err, 'x', sizeof err);
	err[sizeof err - 1] = '\0';
	rc = config_parse_buf(&cfg, "fuzz.conf", (const char *)data, size, err, sizeof err);
	CHECK(rc == 0 || rc == ERR_CONFIG);
	if (rc != 0) {
		CHECK(strncmp(err, STR_LIT("fuzz.conf:")) == 0);
		CHECK(memchr(err, '\0', sizeof err) != NULL);
		return 0;
	}
	CHECK(cfg.log_level >= 0 && cfg.log_level <= 3);
	CHECK(cfg.http_max_header_bytes >= 1024 && cfg.http_max_header_bytes <= 65536);
	CHECK(cfg.http_max_body_bytes >= 1024 && cfg.http_max_body_bytes <= 4194304);
	CHECK(cfg.http_max_conns >= 1 && cfg.http_max_conns <= 65536);
	CHECK(cfg.http_max_conns_per_addr >= 1 && cfg.http_max_conns_per_addr <= 65536);
	CHECK(cfg.n_listen >= 1);
	CHECK(memchr(cfg.data_dir, '\0', sizeof cfg.data_dir) != NULL);
	CHECK(memchr(cfg.base_url, '\0', sizeof cfg.base_url) != NULL);
	rc = config_finish(&cfg, err, sizeof err);
	CHECK(rc == 0 || rc == ERR_CONFIG);
	return 0;
}
