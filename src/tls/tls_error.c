/*
 * tls_error.c: what a BearSSL error code (tls_conn_error) means: its kind for
 * the operator (server not trusted, our client certificate refused) and its
 * name for log lines. The rest of the program asks here instead of including
 * <bearssl.h>.
 */
#include <stdio.h>

#include <bearssl.h>

#include "tls/tls.h"

enum tls_error_kind
tls_error_kind(int err)
{
	if (err == 0)
		return TLS_ERROR_NONE;
	if (err > BR_ERR_X509_OK && err < BR_ERR_X509_OK + 32)
		return TLS_ERROR_SERVER_UNTRUSTED;
	switch (tls_error_alert(err)) {
	case 42:    /* bad_certificate */
	case 43:    /* unsupported_certificate */
	case 44:    /* certificate_revoked */
	case 45:    /* certificate_expired */
	case 46:    /* certificate_unknown */
	case 48:    /* unknown_ca */
	case 49:    /* access_denied */
	case 116:   /* certificate_required */
		return TLS_ERROR_CLIENT_REFUSED;
	default:
		break;
	}
	return TLS_ERROR_OTHER;
}

int
tls_error_alert(int err)
{
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
		return err - BR_ERR_RECV_FATAL_ALERT;
	return -1;
}

static const struct {
	int code;
	const char *name;
} tls_br_errors[] = {
	{BR_ERR_BAD_PARAM, "BR_ERR_BAD_PARAM"},
	{BR_ERR_BAD_STATE, "BR_ERR_BAD_STATE"},
	{BR_ERR_UNSUPPORTED_VERSION, "BR_ERR_UNSUPPORTED_VERSION: no common TLS version"},
	{BR_ERR_BAD_VERSION, "BR_ERR_BAD_VERSION"},
	{BR_ERR_BAD_LENGTH, "BR_ERR_BAD_LENGTH"},
	{BR_ERR_TOO_LARGE, "BR_ERR_TOO_LARGE"},
	{BR_ERR_BAD_MAC, "BR_ERR_BAD_MAC"},
	{BR_ERR_NO_RANDOM, "BR_ERR_NO_RANDOM"},
	{BR_ERR_UNKNOWN_TYPE, "BR_ERR_UNKNOWN_TYPE"},
	{BR_ERR_UNEXPECTED, "BR_ERR_UNEXPECTED"},
	{BR_ERR_BAD_CCS, "BR_ERR_BAD_CCS"},
	{BR_ERR_BAD_ALERT, "BR_ERR_BAD_ALERT"},
	{BR_ERR_BAD_HANDSHAKE, "BR_ERR_BAD_HANDSHAKE"},
	{BR_ERR_OVERSIZED_ID, "BR_ERR_OVERSIZED_ID"},
	{BR_ERR_BAD_CIPHER_SUITE, "BR_ERR_BAD_CIPHER_SUITE: no common cipher suite"},
	{BR_ERR_BAD_COMPRESSION, "BR_ERR_BAD_COMPRESSION"},
	{BR_ERR_BAD_FRAGLEN, "BR_ERR_BAD_FRAGLEN"},
	{BR_ERR_BAD_SECRENEG, "BR_ERR_BAD_SECRENEG"},
	{BR_ERR_EXTRA_EXTENSION, "BR_ERR_EXTRA_EXTENSION"},
	{BR_ERR_BAD_SNI, "BR_ERR_BAD_SNI"},
	{BR_ERR_BAD_HELLO_DONE, "BR_ERR_BAD_HELLO_DONE"},
	{BR_ERR_LIMIT_EXCEEDED, "BR_ERR_LIMIT_EXCEEDED"},
	{BR_ERR_BAD_FINISHED, "BR_ERR_BAD_FINISHED"},
	{BR_ERR_RESUME_MISMATCH, "BR_ERR_RESUME_MISMATCH"},
	{BR_ERR_INVALID_ALGORITHM, "BR_ERR_INVALID_ALGORITHM"},
	{BR_ERR_BAD_SIGNATURE, "BR_ERR_BAD_SIGNATURE"},
	{BR_ERR_WRONG_KEY_USAGE, "BR_ERR_WRONG_KEY_USAGE"},
	{BR_ERR_NO_CLIENT_AUTH, "BR_ERR_NO_CLIENT_AUTH: the server asked for no client certificate"},
	{BR_ERR_IO, "BR_ERR_IO: connection failed during the handshake"},
	{BR_ERR_X509_INVALID_VALUE, "BR_ERR_X509_INVALID_VALUE"},
	{BR_ERR_X509_TRUNCATED, "BR_ERR_X509_TRUNCATED"},
	{BR_ERR_X509_EMPTY_CHAIN, "BR_ERR_X509_EMPTY_CHAIN: the server sent no certificate"},
	{BR_ERR_X509_INNER_TRUNC, "BR_ERR_X509_INNER_TRUNC"},
	{BR_ERR_X509_BAD_TAG_CLASS, "BR_ERR_X509_BAD_TAG_CLASS"},
	{BR_ERR_X509_BAD_TAG_VALUE, "BR_ERR_X509_BAD_TAG_VALUE"},
	{BR_ERR_X509_INDEFINITE_LENGTH, "BR_ERR_X509_INDEFINITE_LENGTH"},
	{BR_ERR_X509_EXTRA_ELEMENT, "BR_ERR_X509_EXTRA_ELEMENT"},
	{BR_ERR_X509_UNEXPECTED, "BR_ERR_X509_UNEXPECTED"},
	{BR_ERR_X509_NOT_CONSTRUCTED, "BR_ERR_X509_NOT_CONSTRUCTED"},
	{BR_ERR_X509_NOT_PRIMITIVE, "BR_ERR_X509_NOT_PRIMITIVE"},
	{BR_ERR_X509_PARTIAL_BYTE, "BR_ERR_X509_PARTIAL_BYTE"},
	{BR_ERR_X509_BAD_BOOLEAN, "BR_ERR_X509_BAD_BOOLEAN"},
	{BR_ERR_X509_OVERFLOW, "BR_ERR_X509_OVERFLOW"},
	{BR_ERR_X509_BAD_DN, "BR_ERR_X509_BAD_DN"},
	{BR_ERR_X509_BAD_TIME, "BR_ERR_X509_BAD_TIME"},
	{BR_ERR_X509_UNSUPPORTED, "BR_ERR_X509_UNSUPPORTED"},
	{BR_ERR_X509_LIMIT_EXCEEDED, "BR_ERR_X509_LIMIT_EXCEEDED"},
	{BR_ERR_X509_WRONG_KEY_TYPE, "BR_ERR_X509_WRONG_KEY_TYPE"},
	{BR_ERR_X509_BAD_SIGNATURE, "BR_ERR_X509_BAD_SIGNATURE"},
	{BR_ERR_X509_TIME_UNKNOWN, "BR_ERR_X509_TIME_UNKNOWN"},
	{BR_ERR_X509_EXPIRED, "BR_ERR_X509_EXPIRED: the server certificate is expired or not yet valid"},
	{BR_ERR_X509_DN_MISMATCH, "BR_ERR_X509_DN_MISMATCH"},
	{BR_ERR_X509_BAD_SERVER_NAME, "BR_ERR_X509_BAD_SERVER_NAME: the server certificate is for another name"},
	{BR_ERR_X509_CRITICAL_EXTENSION, "BR_ERR_X509_CRITICAL_EXTENSION"},
	{BR_ERR_X509_NOT_CA, "BR_ERR_X509_NOT_CA"},
	{BR_ERR_X509_FORBIDDEN_KEY_USAGE, "BR_ERR_X509_FORBIDDEN_KEY_USAGE"},
	{BR_ERR_X509_WEAK_PUBLIC_KEY, "BR_ERR_X509_WEAK_PUBLIC_KEY"},
	{BR_ERR_X509_NOT_TRUSTED, "BR_ERR_X509_NOT_TRUSTED: the server certificate does not chain to a trusted CA"},
};

static const struct {
	int alert;
	const char *name;
} tls_alerts[] = {
	{0, "close_notify"}, {10, "unexpected_message"}, {20, "bad_record_mac"},
	{40, "handshake_failure"}, {42, "bad_certificate"}, {43, "unsupported_certificate"},
	{44, "certificate_revoked"}, {45, "certificate_expired"}, {46, "certificate_unknown"},
	{47, "illegal_parameter"}, {48, "unknown_ca"}, {49, "access_denied"},
	{50, "decode_error"}, {51, "decrypt_error"}, {70, "protocol_version"},
	{71, "insufficient_security"}, {80, "internal_error"}, {112, "unrecognized_name"},
	{116, "certificate_required"},
};

const char *
tls_error_name(int e)
{
	static char other[96];
	int alert = -1;
	const char *dir = "";

	for (size_t i = 0; i < sizeof(tls_br_errors) / sizeof(tls_br_errors[0]); i++)
		if (tls_br_errors[i].code == e)
			return tls_br_errors[i].name;
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256) {
		alert = e - BR_ERR_RECV_FATAL_ALERT;
		dir = "BR_ERR_RECV_FATAL_ALERT: the server sent alert";
	} else if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256) {
		alert = e - BR_ERR_SEND_FATAL_ALERT;
		dir = "BR_ERR_SEND_FATAL_ALERT: we sent alert";
	}
	if (alert >= 0) {
		const char *an = "?";

		for (size_t i = 0; i < sizeof(tls_alerts) / sizeof(tls_alerts[0]); i++)
			if (tls_alerts[i].alert == alert)
				an = tls_alerts[i].name;
		snprintf(other, sizeof(other), "%s %d (%s)", dir, alert, an);
		return other;
	}
	return "unknown BearSSL error";
}
