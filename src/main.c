/*
 * upki-acme: wiring only. Parse arguments and configuration, bring modules up
 * in order, run the reactor, tear down in reverse. No protocol logic here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acme/acme.h"
#include "app.h"
#include "http/http.h"
#include "mail/mail_cmd.h"
#include "mail/mail.h"
#include "platform.h"
#include "store/store.h"
#include "tls/tls.h"
#include "util/config.h"
#include "util/err.h"
#include "upki/upki.h"
#include "util/log.h"
#include "validate/validate.h"

#define PATH_BUF 4096

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: upki-acme [-f] [-t] [-v] [-c config]\n"
	    "       upki-acme [-c config] eab new --name NAME --allow PATTERN [--allow ...]\n"
	    "                 [--single-use | --max-accounts N] [--expires 30d|12h|90m|SECONDS]\n"
	    "       upki-acme [-c config] eab list | eab show KID | eab disable KID | eab enable KID\n"
	    "       upki-acme [-c config] upki-test\n"
	    "       upki-acme [-c config] mail-check MAIL...\n"
	    "       upki-acme [-c config] mail list [--state new|parsed|rejected] | mail show ID\n"
	    "  -c FILE  read the runtime configuration (key = value lines)\n"
	    "  -f       stay in the foreground\n"
	    "  -t       check the configuration and exit\n"
	    "  -v       more log output (repeat for debug)\n"
	    "without -c the embedded default serves https://127.0.0.1:14000 with data in %s\n",
	    CONFIG_PLATFORM_DATA_DIR);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct app *app = arg;

	(void)what;
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(app->base, NULL);
}

/* The store at path with the configured map size (store_map_size, MiB). */
static int
store_open_cfg(struct store **out, const char *path, const struct config *cfg)
{
	struct store_open_opts opts = { 0 };

	opts.map_size = (size_t)cfg->store_map_size_mib * 1024 * 1024;
	return store_open_ex(out, path, 0, &opts);
}

static int
serve(struct app *app, const struct config *cfg)
{
	struct http_server_cfg hc;
	struct event *sig_term = NULL, *sig_int = NULL;
	char path[PATH_BUF];
	int rc;

	rc = platform_mkdir_p(cfg->data_dir, 0700);
	if (rc != 0) {
		log_err("%s: cannot create data directory: %s", cfg->data_dir, err_str(rc));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/db", cfg->data_dir);
	if ((rc = store_open_cfg(&app->store, path, cfg)) != 0) {
		log_err("%s: cannot open the store: %s", path, err_str(rc));
		goto out;
	}
	if (cfg->tls_key[0] != '\0') {
		rc = tls_server_load(&app->tls, cfg->tls_key, cfg->tls_chain);
	} else {
		snprintf(path, sizeof(path), "%s/tls", cfg->data_dir);
		rc = tls_server_bootstrap(&app->tls, path, cfg->tls_names);
	}
	if (rc != 0) {
		log_err("TLS key and certificate: %s", err_str(rc));
		goto out;
	}
	app->base = event_base_new();
	if (app->base == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((rc = acme_new(&app->acme, app)) != 0)
		goto out;
	if ((rc = validator_new(&app->validator, app->base, cfg)) != 0) {
		log_err("validation: %s", err_str(rc));
		goto out;
	}
	acme_set_validator(app->acme, app->validator);
	if (cfg->upki_url[0] != '\0') {
		if ((rc = upki_backend_new(&app->issuer, app->base, app->store, cfg)) != 0) {
			log_err("UPKI backend: %s", err_str(rc));
			goto out;
		}
		acme_set_issuer(app->acme, app->issuer);
	} else {
		log_warn("no upki_url configured: orders cannot be finalized");
	}
	memset(&hc, 0, sizeof(hc));
	hc.tls = app->tls;
	hc.routes = acme_routes(app->acme, &hc.nroutes);
	hc.before_reply = acme_before_reply;
	hc.before_arg = app->acme;
	hc.error_body = acme_error_body;
	hc.error_headers = acme_error_headers;
	hc.name = "acme";
	hc.max_header_bytes = (size_t)cfg->http_max_header_bytes;
	hc.max_body_bytes = (size_t)cfg->http_max_body_bytes;
	hc.max_conns = (unsigned)cfg->http_max_conns;
	hc.max_conns_per_addr = (unsigned)cfg->http_max_conns_per_addr;
	hc.idle_timeout_s = (unsigned)cfg->http_idle_timeout_s;
	hc.request_timeout_s = (unsigned)cfg->http_request_timeout_s;
	if ((rc = http_server_new(&app->https, app->base, &hc)) != 0)
		goto out;
	for (int i = 0; i < cfg->n_listen; i++) {
		rc = http_server_listen(app->https, (const struct sockaddr *)&cfg->listen[i].ss,
		    cfg->listen[i].len);
		if (rc != 0) {
			log_err("listen %s: %s", cfg->listen[i].text, err_str(rc));
			goto out;
		}
	}
	if ((rc = mail_server_new(&app->mail, app->base, app->store, app->tls, cfg)) != 0)
		goto out;
	sig_term = evsignal_new(app->base, SIGTERM, on_signal, app);
	sig_int = evsignal_new(app->base, SIGINT, on_signal, app);
	if (sig_term == NULL || sig_int == NULL || event_add(sig_term, NULL) != 0 ||
	    event_add(sig_int, NULL) != 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	acme_resume(app->acme);
	log_info("serving the ACME directory at %s/directory", cfg->base_url);
	printf("upki-acme: ACME directory at %s/directory (data in %s)\n", cfg->base_url,
	    cfg->data_dir);
	fflush(stdout);
	event_base_dispatch(app->base);
	rc = 0;
out:
	if (sig_int != NULL)
		event_free(sig_int);
	if (sig_term != NULL)
		event_free(sig_term);
	mail_server_free(app->mail);
	http_server_free(app->https);
	if (app->issuer != NULL)
		upki_backend_free(app->issuer);
	validator_free(app->validator);
	acme_free(app->acme);
	if (app->base != NULL)
		event_base_free(app->base);
	tls_server_free(app->tls);
	if (app->store != NULL)
		store_close(app->store);
	return rc;
}

/* Commands that work on the store and exit: "eab ...", "mail ...". */
static int
command(const struct config *cfg, int argc, char **argv)
{
	struct store *store = NULL;
	char path[PATH_BUF];
	int rc;

	if ((rc = platform_mkdir_p(cfg->data_dir, 0700)) != 0) {
		fprintf(stderr, "upki-acme: %s: %s\n", cfg->data_dir, err_str(rc));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/db", cfg->data_dir);
	if ((rc = store_open_cfg(&store, path, cfg)) != 0) {
		fprintf(stderr, "upki-acme: %s: cannot open the store: %s\n", path, err_str(rc));
		return 1;
	}
	if (strcmp(argv[0], "mail") == 0)
		rc = mail_cmd(store, argc - 1, argv + 1);
	else
		rc = acme_eab_cmd(store, argc - 1, argv + 1);
	store_close(store);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	struct app app;
	const char *cfg_path = NULL;
	char err[1024];
	int foreground = 0, check_only = 0, verbose = 0, opt, rc;

	while ((opt = getopt(argc, argv, "+c:fhtv")) != -1) {
		switch (opt) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			check_only = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "eab") != 0 && strcmp(argv[optind], "upki-test") != 0 &&
	    strcmp(argv[optind], "mail") != 0 && strcmp(argv[optind], "mail-check") != 0 &&
	    strcmp(argv[optind], "upki-submit-csr") != 0) {
		fprintf(stderr, "upki-acme: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	config_defaults(&cfg);
	if (cfg_path != NULL && (rc = config_load(&cfg, cfg_path, err, sizeof(err))) != 0) {
		fprintf(stderr, "upki-acme: %s\n", err);
		return 2;
	}
	if ((rc = config_finish(&cfg, err, sizeof(err))) != 0) {
		fprintf(stderr, "upki-acme: %s%s%s\n", cfg_path ? cfg_path : "", cfg_path ? ": " : "",
		    err);
		return 2;
	}
	if (check_only) {
		printf("upki-acme: configuration %s is valid\n", cfg_path ? cfg_path : "(embedded)");
		return 0;
	}
	log_set_level(cfg.log_level + verbose > PLOG_DEBUG ? PLOG_DEBUG : cfg.log_level + verbose);
	if (optind < argc && strcmp(argv[optind], "upki-test") == 0) {
		if ((rc = platform_init()) != 0)
			return 1;
		return upki_test_cmd(&cfg);
	}
	if (optind < argc && strcmp(argv[optind], "upki-submit-csr") == 0) {
		if ((rc = platform_init()) != 0)
			return 1;
		return upki_submit_csr_cmd(&cfg, argc - optind - 1, argv + optind + 1);
	}
	if (optind < argc && strcmp(argv[optind], "mail-check") == 0)
		return mail_check_cmd(&cfg, argc - optind - 1, argv + optind + 1);
	if (optind < argc)
		return command(&cfg, argc - optind, argv + optind);
	if ((rc = platform_init()) != 0) {
		fprintf(stderr, "upki-acme: platform init: %s\n", err_str(rc));
		return 1;
	}
	if (!foreground && (rc = platform_daemonize()) != 0) {
		fprintf(stderr, "upki-acme: cannot detach: %s\n", err_str(rc));
		return 1;
	}
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	rc = serve(&app, &cfg);
	platform_fini();
	return rc == 0 ? 0 : 1;
}
