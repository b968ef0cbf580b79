/*
 * Unit tests for the outbound HTTP client (src/http/client.c) over TLS: server
 * verification, client certificates, and handshakes that end inside any read
 * (a recv() interposer says EAGAIN now and then). The server is the project's
 * own on 127.0.0.1; keys and certificates are made with the openssl CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>
#include <bearssl.h>
#include <event2/event.h>

#include "http/client.h"
#include "http/http.h"
#include "http/resp_parse.h"
#include "tls/tls.h"
#include "util/err.h"
#include "util/log.h"
#include "http_client_fx.h"

static char tmpdir[64];

/*
 * recv() as the client and server code see it: with spurious_every = n, every
 * n-th call says EAGAIN although data may be there, as happens when a peer's
 * records arrive in several segments between two reads. Level-triggered
 * events must make up for it; a state machine that waits for the wrong
 * event stalls.
 */
static unsigned spurious_every, recv_calls;

ssize_t recv(int fd, void *buf, size_t len, int flags);

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	if (spurious_every > 0 && ++recv_calls % spurious_every == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

/* ---- TLS --------------------------------------------------------------------- */

static char path_srv_key[128], path_srv_cert[128], path_other_ca[128], path_other_key[128];
static char path_cli_ca[128], path_cli_ca_key[128], path_cli_key[128], path_cli_cert[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static int
group_setup(void **state)
{
	(void)state;
	if (large_body_make() != 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_http_client_tls.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path_srv_key, sizeof(path_srv_key), "%s/srv-key.pem", tmpdir);
	snprintf(path_srv_cert, sizeof(path_srv_cert), "%s/srv-cert.pem", tmpdir);
	snprintf(path_other_key, sizeof(path_other_key), "%s/other-key.pem", tmpdir);
	snprintf(path_other_ca, sizeof(path_other_ca), "%s/other-ca.pem", tmpdir);
	snprintf(path_cli_ca_key, sizeof(path_cli_ca_key), "%s/cli-ca-key.pem", tmpdir);
	snprintf(path_cli_ca, sizeof(path_cli_ca), "%s/cli-ca.pem", tmpdir);
	snprintf(path_cli_key, sizeof(path_cli_key), "%s/cli-key.pem", tmpdir);
	snprintf(path_cli_cert, sizeof(path_cli_cert), "%s/cli-cert.pem", tmpdir);
	/* Server: self-signed P-256 for localhost / 127.0.0.1. */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null", path_srv_key,
	    path_srv_cert);
	/* An unrelated CA the client may wrongly trust. */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=Other-CA 2>/dev/null", path_other_key, path_other_ca);
	/* Client CA and an RSA client certificate from it (like a UPKI RA officer's). */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s "
	    "-out %s -days 2 -subj /CN=Client-CA 2>/dev/null", path_cli_ca_key, path_cli_ca);
	sh("openssl req -new -newkey rsa:2048 -nodes -keyout %s -subj /CN=ra-officer "
	    "-out %s/cli.csr 2>/dev/null && openssl x509 -req -in %s/cli.csr -CA %s -CAkey %s "
	    "-CAcreateserial -days 2 -out %s "
	    "-extfile /dev/stdin 2>/dev/null <<'EOF'\nextendedKeyUsage=clientAuth\nEOF",
	    path_cli_key, tmpdir, tmpdir, path_cli_ca, path_cli_ca_key, path_cli_cert);
	chmod(path_srv_key, 0600);
	chmod(path_other_key, 0600);
	chmod(path_cli_ca_key, 0600);
	chmod(path_cli_key, 0600);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(large_body);
	if (tmpdir[0] != '\0')
		sh("rm -rf %s", tmpdir);
	return 0;
}

static struct tls_server *
tls_srv(int require_client)
{
	struct tls_server *ts = NULL;

	assert_int_equal(tls_server_load(&ts, path_srv_key, path_srv_cert), 0);
	if (require_client)
		assert_int_equal(tls_server_require_client_cert(ts, path_cli_ca), 0);
	return ts;
}

static void
test_tls_basic(void **state)
{
	struct tls_server *ts = tls_srv(0);
	struct tls_client *tc = NULL, *wrong = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&tc, path_srv_cert, NULL, NULL), 0);
	assert_int_equal(tls_client_new(&wrong, path_other_ca, NULL, NULL), 0);
	env_open(&e, ts);
	sin = loopback(e.port);

	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body, "hello world");
	res_free(&r);

	/* 1 MiB streamed over TLS. */
	q = mkreq(&sin, "GET", "/large", &r);
	q.tls = tc;
	q.sni = "localhost";
	q.on_body = on_body_cb;
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.body_len, LARGE_LEN);
	assert_memory_equal(r.body, large_body, LARGE_LEN);
	assert_true(r.nchunks > 8);
	res_free(&r);

	/* A 300 KiB upload over TLS. */
	{
		size_t uplen = 300 * 1024;
		unsigned char *up = malloc(uplen);
		unsigned sum = 0;
		char want[128];

		assert_non_null(up);
		for (size_t i = 0; i < uplen; i++) {
			up[i] = (unsigned char)(i * 7);
			sum = sum * 31 + up[i];
		}
		q = mkreq(&sin, "POST", "/echo", &r);
		q.tls = tc;
		q.sni = "localhost";
		q.body = up;
		q.body_len = uplen;
		exchange(e.base, &q, &r);
		assert_int_equal(r.rc, 0);
		snprintf(want, sizeof(want), "POST %zu %u ct=- x=- host=localhost", uplen, sum);
		assert_string_equal((char *)r.body, want);
		res_free(&r);
		free(up);
	}

	/* Untrusted server certificate. */
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = wrong;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TLS);
	if (http_client_tls_kind(r.tls_error) != HTTP_CLIENT_TLS_SERVER_UNTRUSTED)
		fail_msg("tls_error %d is not an X.509 error", r.tls_error);
	res_free(&r);

	/* Right CA, wrong name. */
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "upki.example.jp";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, ERR_TLS);
	assert_int_equal(r.tls_error, BR_ERR_X509_BAD_SERVER_NAME);
	res_free(&r);

	/* A TLS client against a plain server fails cleanly. */
	env_close(&e);
	env_open(&e, NULL);
	sin = loopback(e.port);
	q = mkreq(&sin, "GET", "/small", &r);
	q.tls = tc;
	q.sni = "localhost";
	q.timeout_ms = 2000;
	exchange(e.base, &q, &r);
	assert_true(r.rc != 0);
	res_free(&r);
	env_close(&e);
	tls_client_free(tc);
	tls_client_free(wrong);
	tls_server_free(ts);
}

static void
test_tls_client_cert(void **state)
{
	struct tls_server *ts = tls_srv(1);
	struct tls_client *with = NULL, *without = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&with, path_srv_cert, path_cli_cert, path_cli_key), 0);
	assert_int_equal(tls_client_new(&without, path_srv_cert, NULL, NULL), 0);
	env_open(&e, ts);
	sin = loopback(e.port);

	q = mkreq(&sin, "GET", "/peer", &r);
	q.tls = with;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.status, 200);
	assert_true(strncmp((char *)r.body, "peer_cert=", 10) == 0);
	assert_true(atoi((char *)r.body + 10) > 100);
	res_free(&r);

	q = mkreq(&sin, "GET", "/peer", &r);
	q.tls = without;
	q.sni = "localhost";
	exchange(e.base, &q, &r);
	if (r.rc != ERR_TLS && r.rc != ERR_CLOSED && r.rc != -ECONNRESET)
		fail_msg("rc %d (%s), expected a TLS failure", r.rc, err_str(r.rc));
	assert_int_equal(r.status, 0);
	if (r.rc == ERR_TLS && http_client_tls_kind(r.tls_error) != HTTP_CLIENT_TLS_CLIENT_REFUSED)
		fail_msg("tls_error %d not classified as a refused client certificate", r.tls_error);
	res_free(&r);
	env_close(&e);
	tls_client_free(with);
	tls_client_free(without);
	tls_server_free(ts);
}

/*
 * The handshake can complete inside a read, in any turn of the client's loop:
 * then the engine takes the request at once and the server waits for it. A
 * client that then waits for readable data waits until the server's request
 * timeout (seen against UPKI as "Broken pipe" after 30 s).
 */
static void
test_tls_handshake_ends_in_any_read(void **state)
{
	struct tls_server *ts = tls_srv(1);
	struct tls_client *tc = NULL;
	struct env e;
	struct result r = { 0 };
	struct sockaddr_in sin;
	struct http_client_req q;

	(void)state;
	assert_int_equal(tls_client_new(&tc, path_srv_cert, path_cli_cert, path_cli_key), 0);
	env_open(&e, ts);
	sin = loopback(e.port);
	for (unsigned every = 2; every <= 9; every++) {
		for (int k = 0; k < 4; k++) {
			/* first a full handshake, then resumed ones; GET and POST */
			spurious_every = every;
			recv_calls = (unsigned)k;
			q = mkreq(&sin, k % 2 ? "POST" : "GET", k % 2 ? "/echo" : "/peer", &r);
			q.tls = tc;
			q.sni = "localhost";
			q.timeout_ms = 3000;
			if (k % 2) {
				q.body = "forwardName=SP1011";
				q.body_len = 18;
			}
			exchange(e.base, &q, &r);
			spurious_every = 0;
			if (r.rc != 0)
				fail_msg("EAGAIN every %u reads, exchange %d: %s", every, k, err_str(r.rc));
			assert_int_equal(r.status, 200);
			res_free(&r);
		}
	}
	env_close(&e);
	tls_client_free(tc);
	tls_server_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_basic),
		cmocka_unit_test(test_tls_client_cert),
		cmocka_unit_test(test_tls_handshake_ends_in_any_read),
	};

	log_set_level(getenv("TEST_VERBOSE") ? PLOG_DEBUG : PLOG_ERR);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
