/*
 * mail.h: the mail module. UPKI mails the 利用管理者 (upki_admin_email) a
 * one-time download URL when it issues a certificate (issue 19); the campus
 * mail server forwards that address to the appliance, whose receive-only SMTP
 * server (smtp_server.c, on the reactor; the session itself is smtp.h) stores
 * every accepted message in the store (records.h, "received mail") before it
 * answers 250. What reads the stored messages (MIME, CMS, pickup) comes after:
 * it walks them with store_mail_next(t, REC_MAIL_NEW, ...) and records its
 * verdict with store_mail_update().
 *
 * The receiver listens on cfg->mail_listen (off when empty), talks only to
 * clients whose address is in cfg->mail_relays (others get 554 and are
 * closed), accepts only cfg->upki_admin_email as recipient, and offers
 * STARTTLS with the gateway's own key and certificate (the ACME listener's).
 * Limits: Kconfig MAIL_* (src/mail/Kconfig).
 */
#ifndef UPKI_MAIL_H
#define UPKI_MAIL_H

struct event_base;
struct store;
struct tls_server;
struct config;
struct mail_server;

struct mail_server_stats {
	unsigned conns;                  /* open now */
	unsigned long accepted;          /* connections taken */
	unsigned long refused_relay;     /* 554: address not in mail_relays */
	unsigned long refused_busy;      /* 421: MAIL_MAX_CONNS reached */
	unsigned long stored;            /* messages stored (250) */
};

/*
 * Start the receiver on every cfg->mail_listen address. With none configured,
 * *out is NULL and 0 is returned (the receiver is off). store, tls (may be
 * NULL: no STARTTLS) and cfg must outlive the server. 0, or a negative code
 * (a listen failure is logged with the address).
 */
int mail_server_new(struct mail_server **out, struct event_base *base, struct store *store,
    struct tls_server *tls, const struct config *cfg);

/* Port of the first listener (for tests that listen on port 0), or -1. */
int mail_server_port(const struct mail_server *m);

/* Counters since start. */
void mail_server_stats(const struct mail_server *m, struct mail_server_stats *st);

/* Close every connection and listener. NULL is ignored. */
void mail_server_free(struct mail_server *m);

/*
 * The "mail" command (mail_cli.c): argv[0] is the subcommand. "list [--state
 * new|parsed|rejected]" prints one line per stored message; "show ID" prints
 * its envelope then its raw bytes. Exit status: 0, 1 (not found, store error),
 * 2 (usage).
 */
int mail_cmd(struct store *store, int argc, char **argv);

#endif
