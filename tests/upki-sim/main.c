/*
 * upki-sim: a loopback stand-in for NII's UPKI certificate issuance support
 * system (see sim.h and UPKI.md §10). Wiring only: arguments, the two
 * commands, start-up and teardown in reverse order.
 *
 *   upki-sim init DIR [--institution-o O] [--st ST] [--l L] [--domains a,b]
 *   upki-sim serve DIR [--listen ADDR:PORT] [--public-listen ADDR:PORT] ...
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "platform.h"
#include "sim.h"
#include "tls/tls.h"
#include "util/err.h"
#include "util/log.h"

#define SIM_DEFAULT_PORT 14100

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: upki-sim init DIR [--institution-o O] [--st ST] [--l L] [--domains a,b]\n"
	    "       upki-sim serve DIR [options]\n"
	    "serve options:\n"
	    "  --listen ADDR:PORT          client-certificate listener (default 127.0.0.1:%d)\n"
	    "  --public-listen ADDR:PORT   listener for the one-time URLs and /_sim (default PORT+1)\n"
	    "  --time-scale F              real seconds per simulated second (default 1)\n"
	    "  --delay-min S --delay-max S issuance delay in simulated seconds (default %d-%d)\n"
	    "  --rate-limit-seconds S      bulk TSV: one download per S seconds (default %d, 0 off)\n"
	    "  --rate-limit-burst N        bulk TSV bucket size (default 1)\n"
	    "  --accept-san                accept CSRs with subjectAltName (and empty subjects)\n"
	    "  --accept-wildcards          accept \"*.domain\" names in the dNSName column (never the CN)\n"
	    "  --allow-revoke-status4      accept revocation of certificates in state 4\n"
	    "  --pem-cell oneline|quoted   PEM cell of the bulk TSV (default oneline)\n"
	    "  --smtp-to ADDR:PORT         deliver every new outbox mail there by SMTP\n"
	    "  -v                          more log output (repeat for debug)\n",
	    SIM_DEFAULT_PORT, sim_profile.default_delay_min, sim_profile.default_delay_max,
	    sim_profile.default_rate_limit_s);
}

int
sim_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len, int *port)
{
	char host[64];
	const char *colon;
	char *end;
	long p;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - text - 1) >= sizeof(host))
			return ERR_MALFORMED;
		memcpy(host, text + 1, (size_t)(rb - text - 1));
		host[rb - text - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
			return ERR_MALFORMED;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
	}
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535)
		return ERR_MALFORMED;
	*port = (int)p;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return ERR_MALFORMED;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "institution-o", required_argument, NULL, 'o' },
		{ "st", required_argument, NULL, 's' },
		{ "l", required_argument, NULL, 'l' },
		{ "domains", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *o = "Example University", *st = "Aichi", *l = "Nagoya";
	const char *domains = "example.ac.jp,example.jp";
	static struct sim_inst inst;
	br_hmac_drbg_context rng;
	char path[SIM_PATH_MAX], fp[SIM_FP_LEN + 1];
	const char *dir;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o = optarg; break;
		case 's': st = optarg; break;
		case 'l': l = optarg; break;
		case 'd': domains = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	dir = argv[optind];
	if (strlen(dir) > SIM_PATH_MAX - 64) {
		fprintf(stderr, "upki-sim: %s: path too long\n", dir);
		return 1;
	}
	if ((rc = platform_mkdir_p(dir, 0700)) != 0) {
		fprintf(stderr, "upki-sim: %s: %s\n", dir, err_str(rc));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/sim.conf", dir);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "upki-sim: %s exists: refusing to overwrite a simulator\n", path);
		return 1;
	}
	if ((rc = sim_conf_defaults(&inst, o, st, l, domains)) != 0) {
		fprintf(stderr, "upki-sim: institution record: %s\n", err_str(rc));
		return 2;
	}
	if ((rc = sim_rng_init(&rng)) != 0 || (rc = sim_pki_init(dir, &inst, &rng, fp)) != 0) {
		fprintf(stderr, "upki-sim: init: %s\n", err_str(rc));
		return 1;
	}
	memcpy(inst.ra_fp[inst.n_ra++], fp, sizeof(fp));
	if ((rc = sim_conf_save(&inst, path)) != 0) {
		fprintf(stderr, "upki-sim: %s: %s\n", path, err_str(rc));
		return 1;
	}
	printf("upki-sim: test PKI and %s created for \"%s\"\n", path, inst.o);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sim *s = arg;

	(void)what;
	log_info("upki-sim: signal %d: shutting down", (int)sig);
	event_base_loopexit(s->base, NULL);
}

static int
serve_opts(struct sim *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "public-listen", required_argument, NULL, 'P' },
		{ "time-scale", required_argument, NULL, 't' },
		{ "delay-min", required_argument, NULL, 'm' },
		{ "delay-max", required_argument, NULL, 'M' },
		{ "rate-limit-seconds", required_argument, NULL, 'r' },
		{ "rate-limit-burst", required_argument, NULL, 'b' },
		{ "accept-san", no_argument, NULL, 'S' },
		{ "accept-wildcards", no_argument, NULL, 'W' },
		{ "allow-revoke-status4", no_argument, NULL, '4' },
		{ "pem-cell", required_argument, NULL, 'p' },
		{ "smtp-to", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts *o = &s->opts;
	char *end;
	int c;

	snprintf(o->listen, sizeof(o->listen), "127.0.0.1:%d", SIM_DEFAULT_PORT);
	o->time_scale = 1.0;
	o->delay_min = sim_profile.default_delay_min;
	o->delay_max = sim_profile.default_delay_max;
	o->rate_limit_s = sim_profile.default_rate_limit_s;
	o->rate_burst = 1;
	o->log_level = PLOG_WARN;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'L': snprintf(o->listen, sizeof(o->listen), "%s", optarg); break;
		case 'P': snprintf(o->public_listen, sizeof(o->public_listen), "%s", optarg); break;
		case 't':
			o->time_scale = strtod(optarg, &end);
			if (*end != '\0' || !(o->time_scale > 0 && o->time_scale <= 100))
				goto bad;
			break;
		case 'm': case 'M': case 'r': case 'b': {
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 0 || v > 86400 * 30)
				goto bad;
			if (c == 'm') o->delay_min = (int)v;
			else if (c == 'M') o->delay_max = (int)v;
			else if (c == 'r') o->rate_limit_s = (int)v;
			else o->rate_burst = (int)v;
			break;
		}
		case 'S': o->accept_san = 1; break;
		case 'W': o->accept_wildcards = 1; break;
		case '4': o->allow_revoke_status4 = 1; break;
		case 'p':
			if (!strcmp(optarg, "quoted"))
				o->pem_quoted = 1;
			else if (strcmp(optarg, "oneline") != 0)
				goto bad;
			break;
		case 'T': snprintf(o->smtp_to, sizeof(o->smtp_to), "%s", optarg); break;
		case 'v': o->log_level++; break;
		default: goto bad;
		}
	}
	if (o->delay_max < o->delay_min || optind + 1 != argc)
		goto bad;
	if (strlen(argv[optind]) > SIM_PATH_MAX - 64)
		goto bad;
	snprintf(s->dir, sizeof(s->dir), "%s", argv[optind]);
	return 0;
bad:
	usage(stderr);
	return ERR_CONFIG;
}

static int
serve_listen(struct sim *s, struct http_server **srv, struct tls_server *tls,
    const struct http_route *routes, size_t n, const char *name, const char *addr, int *port)
{
	struct http_server_cfg hc;
	struct sockaddr_storage ss;
	socklen_t sl;
	int p, rc;

	if ((rc = sim_parse_addr(addr, &ss, &sl, &p)) != 0) {
		log_err("upki-sim: %s: not a numeric ADDR:PORT", addr);
		return rc;
	}
	memset(&hc, 0, sizeof(hc));
	hc.tls = tls;
	hc.routes = routes;
	hc.nroutes = n;
	hc.name = name;
	hc.max_body_bytes = SIM_MAX_BODY;
	hc.max_header_bytes = 16384;
	hc.max_conns = 256;
	hc.idle_timeout_s = 60;
	hc.request_timeout_s = 30;
	if ((rc = http_server_new(srv, s->base, &hc)) != 0)
		return rc;
	if ((rc = http_server_listen(*srv, (struct sockaddr *)&ss, sl)) != 0) {
		log_err("upki-sim: listen %s: %s", addr, err_str(rc));
		return rc;
	}
	*port = http_server_port(*srv);
	return 0;
}

static void
sim_free(struct sim *s)
{
	http_server_free(s->srv_lra);
	http_server_free(s->srv_pub);
	sim_fault_free(s);
	sim_smtp_free(s);
	if (s->issue_timer != NULL)
		event_free(s->issue_timer);
	if (s->base != NULL)
		event_base_free(s->base);
	tls_server_free(s->tls_lra);
	tls_server_free(s->tls_pub);
	for (size_t i = 0; i < s->n_apps; i++)
		sim_app_free(s->apps[i]);
	for (size_t i = 0; i < s->n_mails; i++)
		free(s->mails[i]);
	sim_ca_free(&s->ca_rsa);
	sim_ca_free(&s->ca_ecc);
	sim_smime_free(s);
	explicit_bzero(&s->rng, sizeof(s->rng));
}

static int
cmd_serve(int argc, char **argv)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct event *sig_term = NULL, *sig_int = NULL;
	char p1[SIM_PATH_MAX + 32], p2[SIM_PATH_MAX + 32], host[64];
	const struct http_route *routes;
	size_t nr;
	int rc;

	if (s == NULL)
		return 1;
	if ((rc = serve_opts(s, argc, argv)) != 0)
		goto out;
	log_set_level(s->opts.log_level);
	snprintf(p1, sizeof(p1), "%s/sim.conf", s->dir);
	if ((rc = sim_conf_load(&s->inst, p1)) != 0)
		goto out;
	snprintf(p1, sizeof(p1), "%s/ca/g8-rsa.pem", s->dir);
	snprintf(p2, sizeof(p2), "%s/ca/g8-rsa-key.pem", s->dir);
	if ((rc = sim_ca_load(&s->ca_rsa, p1, p2)) != 0)
		goto out;
	snprintf(p1, sizeof(p1), "%s/ca/g7-ecc.pem", s->dir);
	snprintf(p2, sizeof(p2), "%s/ca/g7-ecc-key.pem", s->dir);
	if ((rc = sim_ca_load(&s->ca_ecc, p1, p2)) != 0)
		goto out;
	if ((rc = sim_smime_load(s)) != 0)
		goto out;
	if ((rc = sim_rng_init(&s->rng)) != 0)
		goto out;
	if ((rc = sim_state_load(s)) != 0) {
		log_err("upki-sim: %s/state: %s", s->dir, err_str(rc));
		goto out;
	}
	if ((s->base = event_base_new()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if ((rc = sim_smtp_start(s, s->opts.smtp_to)) != 0)
		goto out;
	snprintf(p1, sizeof(p1), "%s/web-key.pem", s->dir);
	snprintf(p2, sizeof(p2), "%s/web-cert.pem", s->dir);
	if ((rc = tls_server_load(&s->tls_lra, p1, p2)) != 0 ||
	    (rc = tls_server_load(&s->tls_pub, p1, p2)) != 0)
		goto out;
	snprintf(p1, sizeof(p1), "%s/ra-ca.pem", s->dir);
	if ((rc = tls_server_require_client_cert(s->tls_lra, p1)) != 0) {
		log_err("upki-sim: %s: %s", p1, err_str(rc));
		goto out;
	}
	routes = sim_lra_routes(s, &nr);
	rc = serve_listen(s, &s->srv_lra, s->tls_lra, routes, nr, "upki-sim", s->opts.listen,
	    &s->lra_port);
	if (rc != 0)
		goto out;
	if (s->opts.public_listen[0] == '\0') {
		snprintf(host, sizeof(host), "%.*s", (int)(strrchr(s->opts.listen, ':') -
		    s->opts.listen), s->opts.listen);
		snprintf(s->opts.public_listen, sizeof(s->opts.public_listen), "%s:%d", host,
		    s->lra_port + 1);
	}
	routes = sim_pub_routes(s, &nr);
	rc = serve_listen(s, &s->srv_pub, s->tls_pub, routes, nr, "upki-sim-public",
	    s->opts.public_listen, &s->pub_port);
	if (rc != 0)
		goto out;
	snprintf(host, sizeof(host), "%.*s", (int)(strrchr(s->opts.public_listen, ':') -
	    s->opts.public_listen), s->opts.public_listen);
	snprintf(s->public_url, sizeof(s->public_url), "https://%s:%d", host, s->pub_port);

	sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	if (sig_term == NULL || sig_int == NULL || event_add(sig_term, NULL) != 0 ||
	    event_add(sig_int, NULL) != 0) {
		rc = ERR_NOMEM;
		goto out;
	}
	sim_issue_run(s);   /* what fell due while we were down */
	snprintf(host, sizeof(host), "%.*s", (int)(strrchr(s->opts.listen, ':') - s->opts.listen),
	    s->opts.listen);
	printf("upki-sim: RA officer login https://%s:%d/upki-odcert/lra/SSLLogin.do "
	    "(client certificate), public %s (%zu applications)\n", host, s->lra_port,
	    s->public_url, s->n_apps);
	fflush(stdout);
	event_base_dispatch(s->base);
	sim_state_save_meta(s);
	rc = 0;
out:
	if (sig_int != NULL)
		event_free(sig_int);
	if (sig_term != NULL)
		event_free(sig_term);
	sim_free(s);
	free(s);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (platform_init() != 0)
		return 1;
	log_set_level(PLOG_WARN);
	if (!strcmp(argv[1], "init"))
		rc = cmd_init(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "serve"))
		rc = cmd_serve(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		rc = 0;
	} else {
		usage(stderr);
		rc = 2;
	}
	platform_fini();
	return rc;
}
