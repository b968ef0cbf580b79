#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "util/config.h"
#include "util/err.h"
#include "util/str.h"

enum cfg_type { CT_STR, CT_INT, CT_BOOL, CT_LISTEN, CT_RESOLVER, CT_UPKI_CONNECT, CT_NETS,
    CT_MAIL_LISTEN };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t size;        /* CT_STR: buffer size */
	long min, max;      /* CT_INT */
};

#define CONFIG_LINE_MAX_VALUE 1024

#define STR(k, f) { k, CT_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0 }
#define INT(k, f, lo, hi) { k, CT_INT, offsetof(struct config, f), 0, lo, hi }
#define BOOL(k, f) { k, CT_BOOL, offsetof(struct config, f), 0, 0, 1 }

static const struct cfg_key cfg_keys[] = {
	{ "listen", CT_LISTEN, 0, 0, 0, 0 },
	STR("base_url", base_url),
	STR("data_dir", data_dir),
	INT("log_level", log_level, 0, 3),
	INT("http_max_header_bytes", http_max_header_bytes, 1024, 65536),
	INT("http_max_body_bytes", http_max_body_bytes, 1024, 4194304),
	INT("http_max_conns", http_max_conns, 1, 65536),
	INT("http_idle_timeout", http_idle_timeout_s, 1, 3600),
	INT("http_request_timeout", http_request_timeout_s, 1, 600),
	STR("tls_key", tls_key),
	STR("tls_chain", tls_chain),
	STR("tls_names", tls_names),
	{ "resolver", CT_RESOLVER, 0, 0, 0, 0 },
	INT("http01_port", http01_port, 1, 65535),
	BOOL("eab_required", eab_required),
	STR("upki_url", upki_url),
	STR("upki_ca", upki_ca),
	STR("upki_client_cert", upki_client_cert),
	STR("upki_client_key", upki_client_key),
	STR("upki_chain", upki_chain),
	STR("upki_org", upki_org),
	STR("upki_state", upki_state),
	STR("upki_locality", upki_locality),
	STR("upki_profile", upki_profile),
	STR("upki_admin_name", upki_admin_name),
	STR("upki_admin_dept", upki_admin_dept),
	STR("upki_admin_email", upki_admin_email),
	STR("upki_server_software", upki_server_software),
	INT("upki_poll_interval", upki_poll_interval_s, 1, 86400),
	{ "upki_connect", CT_UPKI_CONNECT, 0, 0, 0, 0 },
	BOOL("upki_accept_san", upki_accept_san),
	STR("upki_profile_ecc", upki_profile_ecc),
	INT("upki_expected_delay", upki_expected_delay_s, 1, 86400),
	INT("upki_resubmit_grace", upki_resubmit_grace_s, 1, 604800),
	INT("upki_retry_base", upki_retry_base_s, 1, 86400),
	INT("upki_max_attempts", upki_max_attempts, 1, 100),
	INT("upki_max_wait", upki_max_wait_s, 60, 2592000),
	INT("upki_timeout", upki_timeout_s, 1, 600),
	INT("upki_bulk_timeout", upki_bulk_timeout_s, 10, 86400),
	BOOL("upki_revoke_status4", upki_revoke_status4),
	/* store */
	INT("store_map_size", store_map_size_mib, 1, 65536),
	/* housekeeping */
	INT("sweep_interval", sweep_interval_s, 1, 86400),
	/* per-account limits (0: off) */
	INT("limit_orders_per_hour", limit_orders_per_hour, 0, 1000000),
	INT("limit_failed_validations_per_day", limit_failed_validations_per_day, 0, 1000000),
	/* httpd */
	INT("http_max_conns_per_addr", http_max_conns_per_addr, 1, 65536),
	/* CAA */
	STR("caa_identities", caa_identities),
	INT("caa_max_age", caa_max_age_s, 0, 28800),
	/* validation address filter (validate/netfilter.c) */
	{ "validation_deny_nets", CT_NETS, offsetof(struct config, validation_deny_nets), 0, 0, 0 },
	{ "validation_allow_nets", CT_NETS, offsetof(struct config, validation_allow_nets), 0, 0, 0 },
	/* UPKI's issuance mail: who signs it, who sends it, where its URL may point */
	STR("upki_mail_ca", upki_mail_ca),
	STR("upki_mail_from", upki_mail_from),
	STR("upki_download_url", upki_download_url),
	/* mail receiver (SMTP) */
	{ "mail_listen", CT_MAIL_LISTEN, 0, 0, 0, 0 },
	{ "mail_relays", CT_NETS, offsetof(struct config, mail_relays), 0, 0, 0 },
	INT("mail_cmd_timeout", mail_cmd_timeout_s, 1, 3600),
	/* tls-alpn-01 */
	INT("tlsalpn01_port", tlsalpn01_port, 1, 65535),
	/* open work per account (0: off) and how long ended objects are kept */
	INT("limit_pending_orders", limit_pending_orders, 0, 1000000),
	INT("limit_pending_authzs", limit_pending_authzs, 0, 1000000),
	INT("sweep_retain_days", sweep_retain_days, 0, 3650),
	/* appliance */
	BOOL("resolver_tcp", resolver_tcp),
	/* dns-01 and wildcards */
	BOOL("upki_wildcards", upki_wildcards),
};

void
config_defaults(struct config *cfg)
{
	char why_unused[128];

	memset(cfg, 0, sizeof(*cfg));
	config_parse_addr(&cfg->listen[0], "127.0.0.1:14000", 0);
	cfg->n_listen = 1;
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", platform_data_dir());
	cfg->log_level = CONFIG_LOG_LEVEL_DEFAULT;
	cfg->http_max_header_bytes = CONFIG_HTTP_MAX_HEADER_BYTES;
	cfg->http_max_body_bytes = CONFIG_HTTP_MAX_BODY_BYTES;
	cfg->http_max_conns = CONFIG_HTTP_MAX_CONNS;
	cfg->http_max_conns_per_addr = CONFIG_HTTP_MAX_CONNS_PER_ADDR;
	cfg->http_idle_timeout_s = CONFIG_HTTP_IDLE_TIMEOUT_S;
	cfg->http_request_timeout_s = CONFIG_HTTP_REQUEST_TIMEOUT_S;
	snprintf(cfg->tls_names, sizeof(cfg->tls_names), "localhost, 127.0.0.1, ::1");
	cfg->http01_port = 80;
	cfg->eab_required = ENABLE_ACME_EAB_REQUIRED;
	snprintf(cfg->upki_profile, sizeof(cfg->upki_profile), "3");
	cfg->upki_poll_interval_s = CONFIG_UPKI_POLL_MIN_INTERVAL_S;
	cfg->upki_expected_delay_s = 300;
	cfg->upki_resubmit_grace_s = 3600;
	cfg->upki_retry_base_s = 60;
	cfg->upki_max_attempts = 8;
	cfg->upki_max_wait_s = 2 * 86400;
	cfg->upki_timeout_s = 60;
	cfg->upki_bulk_timeout_s = 1800;
	snprintf(cfg->upki_mail_from, sizeof(cfg->upki_mail_from), "ca-support@ml.secom-sts.co.jp");
	snprintf(cfg->upki_download_url, sizeof(cfg->upki_download_url), "https://scia.secomtrust.net/upki-odcert/download/");
	cfg->store_map_size_mib = CONFIG_STORE_MAP_SIZE_MIB;
	cfg->sweep_interval_s = 60;
	cfg->limit_orders_per_hour = 300;
	cfg->limit_failed_validations_per_day = 20;
	snprintf(cfg->caa_identities, sizeof(cfg->caa_identities), "secomtrust.net");
	cfg->caa_max_age_s = CONFIG_ACME_CAA_MAX_AGE_S;
	config_parse_nets(&cfg->mail_relays, "127.0.0.0/8,::1", why_unused, sizeof(why_unused));
	cfg->mail_cmd_timeout_s = CONFIG_MAIL_CMD_TIMEOUT_S;
	cfg->tlsalpn01_port = 443;
	cfg->limit_pending_orders = 300;
	cfg->limit_pending_authzs = 1000;
	cfg->sweep_retain_days = 30;
}

int
config_parse_addr(struct config_addr *out, const char *s, int defport)
{
	char host[48];
	const char *port = NULL;
	size_t hlen;
	long p;
	char *end;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(out->text))
		return ERR_MALFORMED;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL)
			return ERR_MALFORMED;
		hlen = (size_t)(rb - s - 1);
		if (hlen >= sizeof(host))
			return ERR_MALFORMED;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1] != '\0')
			return ERR_MALFORMED;
	} else {
		const char *colon = strrchr(s, ':');
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= sizeof(host) || (colon && memchr(s, ':', hlen)))
			return ERR_MALFORMED;   /* bare IPv6 needs brackets */
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port == NULL) {
		if (defport <= 0)
			return ERR_MALFORMED;
		p = defport;
	} else {
		errno = 0;
		p = strtol(port, &end, 10);
		if (errno || end == port || *end != '\0' || p < 1 || p > 65535)
			return ERR_MALFORMED;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)p);
		out->len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)p);
		out->len = sizeof(*in6);
	} else {
		return ERR_MALFORMED;
	}
	if (out->ss.ss_family == AF_INET6)
		snprintf(out->text, sizeof(out->text), "[%s]:%ld", host, p);
	else
		snprintf(out->text, sizeof(out->text), "%s:%ld", host, p);
	return 0;
}

/* One "addr[/len]" into net: 0 or ERR_MALFORMED with why set. */
static int
parse_net(struct config_net *net, const char *tok, char *why, size_t whysz)
{
	char host[48];
	const char *slash = strchr(tok, '/');
	size_t hlen = slash ? (size_t)(slash - tok) : strlen(tok);
	unsigned bits, max;
	long p;
	char *end;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(net, 0, sizeof(*net));
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, tok, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, net->addr) == 1)
		net->family = AF_INET;
	else if (inet_pton(AF_INET6, host, net->addr) == 1)
		net->family = AF_INET6;
	else
		goto bad;
	max = net->family == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end != '\0' || p < 0 || p > (long)max ||
		    !isdigit((unsigned char)slash[1]))
			goto bad;
		bits = (unsigned)p;
	}
	for (unsigned i = bits; i < max; i++) {
		if (net->addr[i / 8] & (0x80u >> (i % 8))) {
			snprintf(why, whysz, "'%s' has bits set past its prefix length", tok);
			return ERR_MALFORMED;
		}
	}
	if (net->family == AF_INET6 && bits >= 96 && memcmp(net->addr, mapped, 12) == 0) {
		memmove(net->addr, net->addr + 12, 4);
		memset(net->addr + 4, 0, 12);
		net->family = AF_INET;
		bits -= 96;
	}
	net->prefix = bits;
	return 0;
bad:
	snprintf(why, whysz, "'%s' is not a numeric network (a.b.c.d/len or v6addr/len)", tok);
	return ERR_MALFORMED;
}

int
config_parse_nets(struct config_nets *out, const char *s, char *why, size_t whysz)
{
	struct config_nets nets;
	char tmp[CONFIG_LINE_MAX_VALUE];
	char *save = NULL, *tok;
	int rc;

	memset(&nets, 0, sizeof(nets));
	if (strlen(s) >= sizeof(tmp)) {
		snprintf(why, whysz, "list too long");
		return ERR_TOOBIG;
	}
	strcpy(tmp, s);
	for (tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (nets.n == CONFIG_MAX_NETS) {
			snprintf(why, whysz, "at most %d networks", CONFIG_MAX_NETS);
			return ERR_TOOBIG;
		}
		if ((rc = parse_net(&nets.v[nets.n], tok, why, whysz)) != 0)
			return rc;
		nets.n++;
	}
	*out = nets;
	return 0;
}

int
config_net_has(const struct config_net *n, int family, const unsigned char *addr)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;

	if (n->family != family)
		return 0;
	if (memcmp(n->addr, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((n->addr[full] ^ addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0;
}

int
config_nets_have(const struct config_nets *nets, int family, const unsigned char *addr)
{
	for (int i = 0; i < nets->n && i < CONFIG_MAX_NETS; i++)
		if (config_net_has(&nets->v[i], family, addr))
			return 1;
	return 0;
}

/* A list of numeric address:port for key into dst (at most CONFIG_MAX_LISTEN). */
static int
set_addrs(struct config_addr *dst, int *ndst, const char *key, const char *value, char *why,
    size_t whysz)
{
	struct config_addr addrs[CONFIG_MAX_LISTEN];
	int n = 0;
	char tmp[CONFIG_STR_MAX];
	char *save = NULL, *tok;

	if (strlen(value) >= sizeof(tmp)) {
		snprintf(why, whysz, "%s: value too long", key);
		return ERR_CONFIG;
	}
	strcpy(tmp, value);
	for (tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (n == CONFIG_MAX_LISTEN) {
			snprintf(why, whysz, "%s: at most %d addresses", key, CONFIG_MAX_LISTEN);
			return ERR_CONFIG;
		}
		if (config_parse_addr(&addrs[n], tok, 0) != 0) {
			snprintf(why, whysz, "%s: '%s' is not a numeric address:port "
			    "(IPv6 as [addr]:port; names are not resolved)", key, tok);
			return ERR_CONFIG;
		}
		n++;
	}
	memcpy(dst, addrs, sizeof(addrs[0]) * (size_t)n);
	*ndst = n;
	return 0;
}

static int
set_listen(struct config *cfg, const char *value, char *why, size_t whysz)
{
	if (strspn(value, ", ") == strlen(value)) {
		snprintf(why, whysz, "listen: no address given");
		return ERR_CONFIG;
	}
	return set_addrs(cfg->listen, &cfg->n_listen, "listen", value, why, whysz);
}

static int
apply(struct config *cfg, const char *key, const char *value, char *why, size_t whysz)
{
	const struct cfg_key *k = NULL;
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++)
		if (strcmp(cfg_keys[i].name, key) == 0)
			k = &cfg_keys[i];
	if (k == NULL) {
		snprintf(why, whysz, "unknown key '%s'", key);
		return ERR_CONFIG;
	}
	switch (k->type) {
	case CT_STR:
		if (strlen(value) >= k->size) {
			snprintf(why, whysz, "%s: value longer than %zu bytes", key, k->size - 1);
			return ERR_CONFIG;
		}
		strcpy((char *)cfg + k->off, value);
		return 0;
	case CT_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end != '\0') {
			snprintf(why, whysz, "%s: '%s' is not a whole number", key, value);
			return ERR_CONFIG;
		}
		if (v < k->min || v > k->max) {
			snprintf(why, whysz, "%s: %ld is out of range %ld..%ld", key, v, k->min, k->max);
			return ERR_CONFIG;
		}
		*(int *)((char *)cfg + k->off) = (int)v;
		return 0;
	case CT_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1") ||
		    !strcmp(value, "on"))
			v = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0") ||
		    !strcmp(value, "off"))
			v = 0;
		else {
			snprintf(why, whysz, "%s: '%s' is not yes or no", key, value);
			return ERR_CONFIG;
		}
		*(int *)((char *)cfg + k->off) = (int)v;
		return 0;
	case CT_LISTEN:
		return set_listen(cfg, value, why, whysz);
	case CT_MAIL_LISTEN:
		return set_addrs(cfg->mail_listen, &cfg->n_mail_listen, key, value, why, whysz);
	case CT_RESOLVER:
		if (config_parse_addr(&cfg->resolver, value, 53) != 0) {
			snprintf(why, whysz, "resolver: '%s' is not a numeric address[:port]", value);
			return ERR_CONFIG;
		}
		cfg->has_resolver = 1;
		return 0;
	case CT_UPKI_CONNECT:
		if (value[0] == '\0') {
			cfg->has_upki_connect = 0;
			return 0;
		}
		if (config_parse_addr(&cfg->upki_connect, value, 443) != 0) {
			snprintf(why, whysz, "upki_connect: '%s' is not a numeric address[:port] "
			    "(IPv6 as [addr]:port)", value);
			return ERR_CONFIG;
		}
		cfg->has_upki_connect = 1;
		return 0;
	case CT_NETS:
		if (config_parse_nets((struct config_nets *)((char *)cfg + k->off), value, why, whysz) != 0) {
			size_t n = strlen(why);
			snprintf(why + n, whysz - n, " (in %s)", key);
			return ERR_CONFIG;
		}
		return 0;
	}
	return ERR_CONFIG;
}

int
config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errsz)
{
	return apply(cfg, key, value, err, errsz);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One line (NUL-terminated, as read) of a file: 0 or ERR_CONFIG with err set. */
static int
config_line(struct config *cfg, unsigned char *seen, const char *path, int lineno, char *line,
    char *err, size_t errsz)
{
	char *s, *eq, *key, *value, why[512];
	int rc = 0;

	s = trim(line);
	if (*s == '\0' || *s == '#')
		goto out;
	for (char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			snprintf(err, errsz, "%s:%d: control character in line", path, lineno);
			rc = ERR_CONFIG;
			goto out;
		}
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		snprintf(err, errsz, "%s:%d: expected 'key = value'", path, lineno);
		rc = ERR_CONFIG;
		goto out;
	}
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		if (strcmp(cfg_keys[i].name, key) != 0)
			continue;
		if (seen[i]) {
			snprintf(err, errsz, "%s:%d: '%s' set twice", path, lineno, key);
			rc = ERR_CONFIG;
			goto out;
		}
		seen[i] = 1;
	}
	rc = apply(cfg, key, value, why, sizeof(why));
	if (rc != 0)
		snprintf(err, errsz, "%s:%d: %s", path, lineno, why);
out:
	return rc;
}

#define CONFIG_LINE_MAX 1024

/* The size checks every line gets, file or buffer: 0 or ERR_CONFIG. */
static int
config_line_size(const char *path, int lineno, long total, size_t len, int ends_nl,
    char *err, size_t errsz)
{
	if (total > CONFIG_CONFIG_FILE_MAX_BYTES) {
		snprintf(err, errsz, "%s:%d: file larger than %d bytes", path, lineno,
		    CONFIG_CONFIG_FILE_MAX_BYTES);
		return ERR_CONFIG;
	}
	if (len == CONFIG_LINE_MAX - 1 && !ends_nl) {
		snprintf(err, errsz, "%s:%d: line longer than %d bytes", path, lineno,
		    CONFIG_LINE_MAX - 2);
		return ERR_CONFIG;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errsz)
{
	FILE *f = NULL;
	char line[CONFIG_LINE_MAX];
	unsigned char seen[sizeof(cfg_keys) / sizeof(cfg_keys[0])] = { 0 };
	int lineno = 0, rc = 0;
	long total = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		total += (long)len;
		rc = config_line_size(path, lineno, total, len, len > 0 && line[len - 1] == '\n',
		    err, errsz);
		if (rc != 0)
			goto out;
		rc = config_line(cfg, seen, path, lineno, line, err, errsz);
		if (rc != 0)
			goto out;
	}
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errsz, "%s: read error", path);
	}
out:
	if (f != NULL)
		fclose(f);
	return rc;
}

int
config_parse_buf(struct config *cfg, const char *name, const char *buf, size_t len,
    char *err, size_t errsz)
{
	char line[CONFIG_LINE_MAX];
	unsigned char seen[sizeof(cfg_keys) / sizeof(cfg_keys[0])] = { 0 };
	int lineno = 0, rc = 0;
	long total = 0;
	size_t off = 0;

	while (off < len) {
		size_t n = 0;

		/* As fgets: up to a newline (kept) or CONFIG_LINE_MAX - 1 bytes. */
		while (off + n < len && n < sizeof(line) - 1) {
			line[n] = buf[off + n];
			if (line[n++] == '\n')
				break;
		}
		line[n] = '\0';
		off += n;
		lineno++;
		total += (long)n;
		rc = config_line_size(name, lineno, total, n, line[n - 1] == '\n', err, errsz);
		if (rc != 0)
			goto out;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, errsz, "%s:%d: control character in line", name, lineno);
			rc = ERR_CONFIG;
			goto out;
		}
		rc = config_line(cfg, seen, name, lineno, line, err, errsz);
		if (rc != 0)
			goto out;
	}
out:
	return rc;
}

int
config_finish(struct config *cfg, char *err, size_t errsz)
{
	size_t n;

	if (cfg->base_url[0] == '\0') {
		snprintf(cfg->base_url, sizeof(cfg->base_url), "https://%s", cfg->listen[0].text);
	} else if (strncmp(cfg->base_url, STR_LIT("https://")) != 0) {
		snprintf(err, errsz, "base_url: must start with https:// (RFC 8555 §6.1)");
		return ERR_CONFIG;
	}
	n = strlen(cfg->base_url);
	while (n > 8 && cfg->base_url[n - 1] == '/')
		cfg->base_url[--n] = '\0';
	if (cfg->data_dir[0] == '\0') {
		snprintf(err, errsz, "data_dir: must not be empty");
		return ERR_CONFIG;
	}
	if (cfg->upki_url[0] != '\0' && strncmp(cfg->upki_url, STR_LIT("https://")) != 0) {
		snprintf(err, errsz, "upki_url: must start with https://");
		return ERR_CONFIG;
	}
	if (cfg->upki_url[0] != '\0' && !cfg->has_upki_connect && !cfg->has_resolver) {
		/* A host name is looked up through `resolver`, never the system's name service. */
		const char *h = cfg->upki_url + 8;
		char host[256];
		struct in_addr a4;
		size_t hl = strcspn(h, ":/?#");

		if (*h != '[' && hl < sizeof(host)) {
			memcpy(host, h, hl);
			host[hl] = '\0';
			if (inet_pton(AF_INET, host, &a4) != 1) {
				snprintf(err, errsz, "upki_url: the host %s is a name: set resolver "
				    "(the DNS server to look it up with) or upki_connect (a numeric "
				    "address to connect to)", host);
				return ERR_CONFIG;
			}
		}
	}
	if (strncmp(cfg->upki_download_url, STR_LIT("https://")) != 0 ||
	    strchr(cfg->upki_download_url + 8, '/') == NULL ||
	    strpbrk(cfg->upki_download_url, "?#@") != NULL) {
		snprintf(err, errsz, "upki_download_url: must be https://host[:port]/path/ "
		    "(no query, fragment or user)");
		return ERR_CONFIG;
	}
	if ((cfg->tls_key[0] == '\0') != (cfg->tls_chain[0] == '\0')) {
		snprintf(err, errsz, "tls_key and tls_chain: set both or neither");
		return ERR_CONFIG;
	}
	if (cfg->n_mail_listen > 0 && cfg->upki_admin_email[0] == '\0') {
		snprintf(err, errsz, "mail_listen: needs upki_admin_email (the only recipient "
		    "the mail receiver accepts)");
		return ERR_CONFIG;
	}
	return 0;
}
