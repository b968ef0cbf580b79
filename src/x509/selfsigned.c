/* selfsigned.c: the gateway's bootstrap TLS certificate (before any configured chain). */
#include <arpa/inet.h>
#include <string.h>

#include <bearssl.h>

#include "util/err.h"
#include "x509/internal.h"

/* Longest names string looked at: 32 names of 253 bytes plus separators. */
#define SELFSIGNED_NAMES_LEN 8192

static int
selfsigned_dns_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '*' || c == '_'))
			return 0;
	}
	return 1;
}

static int
selfsigned_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
x509_selfsigned_build(unsigned char *out, size_t outsz, size_t *outlen, const char *names,
    const unsigned char *ec_pub_point, size_t ptlen, int curve, int64_t not_before,
    int64_t not_after, const unsigned char serial[16], x509_sign_fn sign, void *ctx)
{
	struct x509_str dns[X509_SELFSIGNED_NAMES_MAX], first = { NULL, 0 };
	struct x509_bytes ip[X509_SELFSIGNED_NAMES_MAX];
	unsigned char ipbuf[X509_SELFSIGNED_NAMES_MAX][16], spki[160];
	size_t nd = 0, ni = 0, spkilen, len = strnlen(names, SELFSIGNED_NAMES_LEN + 1);
	struct x509_tbs t;
	int sig_alg, rc;

	if (len > SELFSIGNED_NAMES_LEN)
		return ERR_TOOBIG;
	sig_alg = curve == BR_EC_secp256r1 ? X509_SIG_ECDSA_SHA256 :
	    curve == BR_EC_secp384r1 ? X509_SIG_ECDSA_SHA384 :
	    curve == BR_EC_secp521r1 ? X509_SIG_ECDSA_SHA512 : X509_SIG_NONE;
	if (sig_alg == X509_SIG_NONE)
		return ERR_BADKEY;
	for (size_t i = 0; i < len;) {
		size_t s, n;
		char tmp[64];

		while (i < len && selfsigned_is_sep(names[i]))
			i++;
		if (i == len)
			break;
		for (s = i; i < len && !selfsigned_is_sep(names[i]); i++)
			;
		n = i - s;
		if (nd + ni == X509_SELFSIGNED_NAMES_MAX)
			return ERR_TOOBIG;
		if (n > X509_DNSNAME_MAX)
			return ERR_MALFORMED;
		if (!first.p) {
			first.p = names + s;
			first.len = n;
		}
		if (n < sizeof tmp) {
			memcpy(tmp, names + s, n);
			tmp[n] = '\0';
			if (inet_pton(AF_INET, tmp, ipbuf[ni]) == 1) {
				ip[ni].p = ipbuf[ni];
				ip[ni].len = 4;
				ni++;
				continue;
			}
			if (inet_pton(AF_INET6, tmp, ipbuf[ni]) == 1) {
				ip[ni].p = ipbuf[ni];
				ip[ni].len = 16;
				ni++;
				continue;
			}
		}
		if (!selfsigned_dns_ok(names + s, n))
			return ERR_MALFORMED;
		dns[nd].p = names + s;
		dns[nd++].len = n;
	}
	if (nd + ni == 0)
		return ERR_MALFORMED;
	if ((rc = x509_spki_build_ec(spki, sizeof spki, &spkilen, curve, ec_pub_point, ptlen)) != 0)
		return rc;
	memset(&t, 0, sizeof t);
	t.serial = serial;
	t.serial_len = 16;
	t.subject.attr[X509_NAME_CN] = nd ? dns[0] : first;
	t.issuer = t.subject;
	t.not_before = not_before;
	t.not_after = not_after;
	t.spki = spki;
	t.spki_len = spkilen;
	t.dns = dns;
	t.n_dns = nd;
	t.ip = ip;
	t.n_ip = ni;
	t.basic_constraints = 1;
	t.ca = 0;
	t.path_len = -1;
	t.key_usage = X509_KU_DIGITAL_SIGNATURE;
	t.eku = X509_EKU_SERVER_AUTH;
	t.ski = 1;
	return x509_cert_write(out, outsz, outlen, &t, sig_alg, sign, ctx);
}
