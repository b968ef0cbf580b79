/*
 * config.h: the runtime configuration. Compile-time defaults come from Kconfig;
 * a small "key = value" file (one per line, '#' comments) overrides site facts.
 * Unknown keys, bad values and duplicate keys are refused with "file:line: what".
 * Listener and resolver addresses are numeric: nothing here looks up a name.
 */
#ifndef UPKI_CONFIG_H
#define UPKI_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#define CONFIG_PATH_MAX 256
#define CONFIG_STR_MAX 256
#define CONFIG_MAX_LISTEN 4
#define CONFIG_MAX_NAMES 8

struct config_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];          /* as written, e.g. "127.0.0.1:14000", "[::1]:14000" */
};

/* One IPv4 or IPv6 network in CIDR form (validation_deny_nets / _allow_nets). */
struct config_net {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned prefix;            /* 0..32 or 0..128 */
	unsigned char addr[16];     /* network address, host bits zero; IPv4 in addr[0..4) */
};

#define CONFIG_MAX_NETS 16

struct config_nets {
	struct config_net v[CONFIG_MAX_NETS];
	int n;
};

struct config {
	/* ACME listener(s) and the public URL clients use. */
	struct config_addr listen[CONFIG_MAX_LISTEN];
	int n_listen;
	char base_url[CONFIG_STR_MAX];      /* default: https://<first listener> */
	char data_dir[CONFIG_PATH_MAX];
	int log_level;

	/* HTTP limits of the ACME listener (defaults from Kconfig). */
	int http_max_header_bytes;
	int http_max_body_bytes;
	int http_max_conns;
	int http_idle_timeout_s;
	int http_request_timeout_s;

	/* TLS: a configured key and chain replace the bootstrap ones. */
	char tls_key[CONFIG_PATH_MAX];
	char tls_chain[CONFIG_PATH_MAX];
	char tls_names[CONFIG_STR_MAX];     /* names in the bootstrap certificate */

	/* Validation. */
	struct config_addr resolver;        /* DNS server for validation; port 53 default */
	int has_resolver;
	int resolver_tcp;                   /* 1: every DNS query over TCP (QEMU user networking) */
	int http01_port;
	int eab_required;

	/* UPKI backend: endpoint, officer credentials, institution profile. */
	char upki_url[CONFIG_STR_MAX];
	char upki_ca[CONFIG_PATH_MAX];      /* trust anchors for the UPKI server */
	char upki_client_cert[CONFIG_PATH_MAX];
	char upki_client_key[CONFIG_PATH_MAX];
	char upki_chain[CONFIG_PATH_MAX];   /* intermediates to bundle, PEM */
	char upki_org[CONFIG_STR_MAX];      /* O */
	char upki_state[CONFIG_STR_MAX];    /* ST */
	char upki_locality[CONFIG_STR_MAX]; /* L */
	char upki_profile[16];              /* 証明書プロファイルID */
	char upki_admin_name[CONFIG_STR_MAX];
	char upki_admin_dept[CONFIG_STR_MAX];
	char upki_admin_email[CONFIG_STR_MAX];
	char upki_server_software[CONFIG_STR_MAX];
	int upki_poll_interval_s;           /* least seconds between bulk downloads */
	struct config_addr upki_connect;    /* connect here instead of resolving the URL host */
	int has_upki_connect;
	int upki_accept_san;                /* the UPKI profile takes CSRs with subjectAltName */
	char upki_profile_ecc[16];          /* profile ID for ECDSA CSRs; "" refuses ECDSA */
	int upki_expected_delay_s;          /* upload to issuance, usually: first poll then */
	int upki_resubmit_grace_s;          /* unconfirmed upload: resubmit after this */
	int upki_retry_base_s;              /* back-off after a failed upload: base, doubled */
	int upki_max_attempts;              /* uploads tried before a job is given up */
	int upki_max_wait_s;                /* accepted but not issued after this: given up */
	int upki_timeout_s;                 /* one page request */
	int upki_bulk_timeout_s;            /* one bulk TSV download */
	int upki_revoke_status4;            /* UPKI revokes certificates in 状態 4 */

	/* Store. */
	int store_map_size_mib;             /* LMDB map size: upper bound of the database */
	int sweep_interval_s;               /* expired orders/authzs marked (and ended ones deleted) this often */
	int limit_orders_per_hour;          /* new orders per account per hour; 0: off */
	int limit_failed_validations_per_day; /* then no orders or challenges that day; 0: off */
	/* httpd: connections one client address may hold on the ACME listener. */
	int http_max_conns_per_addr;
	/* CAA (validate/caa.c): issuer domains that count as ours; re-check age at finalize. */
	char caa_identities[CONFIG_STR_MAX];
	int caa_max_age_s;

	/* Validation address filter (validate/netfilter.c): nets denied on top of the
	 * built-in ones, and nets allowed although denied (never the own listeners). */
	struct config_nets validation_deny_nets;
	struct config_nets validation_allow_nets;
	/* UPKI's issuance mail (src/mail/upki_mail.h). */
	char upki_mail_ca[CONFIG_PATH_MAX];     /* trust anchors of the mail signer, PEM */
	char upki_mail_from[CONFIG_STR_MAX];    /* the only From accepted */
	char upki_download_url[CONFIG_STR_MAX]; /* prefix the one-time URL must have */

	/* Mail receiver (SMTP): off unless mail_listen is set. */
	struct config_addr mail_listen[CONFIG_MAX_LISTEN];
	int n_mail_listen;
	struct config_nets mail_relays;     /* clients allowed to connect (default: loopback) */
	int mail_cmd_timeout_s;             /* seconds to wait for a command or DATA line */
	/* tls-alpn-01: port of the validation handshakes (443; tests and the demo set another). */
	int tlsalpn01_port;
	/* Open work per account (0: off); days ended orders/authzs are kept. */
	int limit_pending_orders;           /* pending or ready orders */
	int limit_pending_authzs;           /* pending authorizations */
	int sweep_retain_days;              /* then the sweep deletes them */
	/* Wildcard identifiers ("*.x", dns-01 only, never first) accepted and sent to UPKI. */
	int upki_wildcards;
};

/* Fill cfg with the embedded defaults (loopback listener, data under ./var). */
void config_defaults(struct config *cfg);

/*
 * Apply the file at path over cfg. On error returns ERR_CONFIG (or -errno for an
 * unreadable file) and writes "path:line: what is wrong" into err.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errsz);

/*
 * The same over a file's text in memory (buf[0..len), need not be
 * NUL-terminated; a NUL byte is a control character); name stands for the path
 * in messages. For the fuzz target and tests.
 */
int config_parse_buf(struct config *cfg, const char *name, const char *buf, size_t len,
    char *err, size_t errsz);

/* Apply one "key = value" setting; same rules as a file line. */
int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errsz);

/* Derived values and cross-checks after loading (base_url default, ...). */
int config_finish(struct config *cfg, char *err, size_t errsz);

/*
 * Parse a numeric "a.b.c.d:port" or "[v6]:port" (port optional when defport > 0).
 * 0 or ERR_MALFORMED.
 */
int config_parse_addr(struct config_addr *out, const char *s, int defport);

/*
 * Parse a list of numeric networks "a.b.c.d/len, v6/len" (comma or space
 * separated; a bare address is a host: /32 or /128) into out (replacing it; ""
 * gives an empty list). Host bits must be zero; an IPv4-mapped IPv6 net
 * (::ffff:a.b.c.d/96+n) is stored as the IPv4 net. 0 or ERR_MALFORMED /
 * ERR_TOOBIG (more than CONFIG_MAX_NETS) with the reason in why.
 */
int config_parse_nets(struct config_nets *out, const char *s, char *why, size_t whysz);

/* 1 when the address (family AF_INET or AF_INET6, 4 or 16 bytes) lies in net n. */
int config_net_has(const struct config_net *n, int family, const unsigned char *addr);

/* 1 when the address lies in one of the nets. */
int config_nets_have(const struct config_nets *nets, int family, const unsigned char *addr);

#endif
