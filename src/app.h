/*
 * app.h: the one context struct, passed explicitly to every module's init.
 * main.c fills it in order and tears it down in reverse.
 */
#ifndef UPKI_APP_H
#define UPKI_APP_H

struct event_base;
struct config;
struct store;
struct tls_server;
struct http_server;
struct acme;
struct validator;
struct issuer;
struct mail_server;

struct app {
	struct event_base *base;
	const struct config *cfg;
	struct store *store;
	struct tls_server *tls;
	struct acme *acme;
	struct validator *validator;
	struct issuer *issuer;         /* the UPKI backend */
	struct http_server *https;     /* the ACME listener(s) */
	struct mail_server *mail;      /* the SMTP receiver; NULL when off */
};

#endif
