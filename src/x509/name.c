/* name.c: distinguished names: parse, RFC 4514-style format, write. */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "x509/internal.h"
#include "util/str.h"

static const struct {
	const char *oid;
	size_t oidlen;
	const char *key;
} name_attrs[X509_NAME__MAX] = {
	[X509_NAME_C] = { OID_AT_C, sizeof OID_AT_C - 1, "C" },
	[X509_NAME_ST] = { OID_AT_ST, sizeof OID_AT_ST - 1, "ST" },
	[X509_NAME_L] = { OID_AT_L, sizeof OID_AT_L - 1, "L" },
	[X509_NAME_O] = { OID_AT_O, sizeof OID_AT_O - 1, "O" },
	[X509_NAME_OU] = { OID_AT_OU, sizeof OID_AT_OU - 1, "OU" },
	[X509_NAME_CN] = { OID_AT_CN, sizeof OID_AT_CN - 1, "CN" },
	[X509_NAME_EMAIL] = { OID_AT_EMAIL, sizeof OID_AT_EMAIL - 1, "emailAddress" },
};

static int
name_attr_index(const struct der *oid)
{
	for (int i = 0; i < X509_NAME__MAX; i++)
		if (der_oid_eq(oid, (const unsigned char *)name_attrs[i].oid, name_attrs[i].oidlen))
			return i;
	return -1;
}

/* One AttributeTypeAndValue (the SEQUENCE's contents). */
static int
name_atv_read(struct der *atv, struct x509_name *n)
{
	struct der oid;
	const unsigned char *v;
	size_t len;
	unsigned tag;
	int rc, i;

	if ((rc = der_read_oid(atv, &oid)) != 0)
		return rc;
	if ((i = name_attr_index(&oid)) < 0) {
		n->n_other++;
		if ((rc = der_read_skip(atv)) != 0)
			return rc;
		return der_read_end(atv);
	}
	if ((rc = der_read_string(atv, &tag, &v, &len)) != 0)
		return rc;
	if ((rc = der_read_end(atv)) != 0)
		return rc;
	if (tag == DER_BMPSTRING || tag == DER_T61STRING || tag == DER_UNIVERSALSTRING)
		return ERR_UNSUPPORTED;
	if (len == 0 || memchr(v, 0, len))
		return ERR_MALFORMED;
	if (len > X509_NAME_VALUE_MAX)
		return ERR_TOOBIG;
	if (n->attr[i].p) {
		n->n_dup++;
	} else {
		n->attr[i].p = (const char *)v;
		n->attr[i].len = len;
	}
	return 0;
}

int
x509_name_read(struct der *d, struct x509_name *n)
{
	struct der save = *d, seq, rdn, atv, probe = *d;
	const unsigned char *raw;
	size_t rawlen;
	int rc;

	memset(n, 0, sizeof *n);
	if ((rc = der_read_raw(&probe, &raw, &rawlen)) != 0 ||
	    (rc = der_read_enter(d, DER_SEQUENCE, &seq)) != 0)
		goto out;
	while (seq.len > 0) {
		if (++n->n_rdn > X509_NAME_RDN_MAX) {
			rc = ERR_TOOBIG;
			goto out;
		}
		if ((rc = der_read_enter(&seq, DER_SET, &rdn)) != 0 ||
		    (rc = der_read_enter(&rdn, DER_SEQUENCE, &atv)) != 0)
			goto out;
		if (rdn.len > 0) {
			rc = ERR_UNSUPPORTED; /* multi-valued RDN */
			goto out;
		}
		if ((rc = name_atv_read(&atv, n)) != 0)
			goto out;
	}
	n->der = raw;
	n->der_len = rawlen;
	rc = 0;
out:
	if (rc)
		*d = save;
	return rc;
}

int
x509_name_parse(struct x509_name *n, const unsigned char *der, size_t len)
{
	struct der d;
	int rc;

	der_init(&d, der, len);
	if ((rc = x509_name_read(&d, n)) != 0)
		return rc;
	return der_read_end(&d);
}

/* Bounded string output; on overflow everything after is dropped and noted. */
struct name_out {
	char *p;
	size_t size, len;
	int full;
};

static void
name_out_put(struct name_out *o, const char *s, size_t n)
{
	if (o->full || n >= o->size - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
name_out_value(struct name_out *o, const struct x509_str *v)
{
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		char e[4];

		if ((c != 0 && strchr(",+\"\\<>;=", c)) || (i == 0 && (c == '#' || c == ' ')) ||
		    (i == v->len - 1 && c == ' ')) {
			e[0] = '\\';
			e[1] = (char)c;
			name_out_put(o, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(e, sizeof e, "\\%02X", c);
			name_out_put(o, e, 3);
		} else {
			name_out_put(o, (const char *)&c, 1);
		}
	}
}

int
x509_name_format(const struct x509_name *n, char *out, size_t outsz)
{
	static const int order[X509_NAME__MAX] = { X509_NAME_EMAIL, X509_NAME_CN, X509_NAME_OU,
		X509_NAME_O, X509_NAME_L, X509_NAME_ST, X509_NAME_C };
	struct name_out o = { out, outsz, 0, 0 };
	int first = 1;

	if (outsz == 0)
		return ERR_TOOBIG;
	for (int k = 0; k < X509_NAME__MAX; k++) {
		const struct x509_str *v = &n->attr[order[k]];
		const char *key = name_attrs[order[k]].key;

		if (!v->p)
			continue;
		if (!first)
			name_out_put(&o, STR_LIT(","));
		first = 0;
		name_out_put(&o, key, strlen(key));
		name_out_put(&o, STR_LIT("="));
		name_out_value(&o, v);
	}
	if (o.full) {
		out[0] = '\0';
		return ERR_TOOBIG;
	}
	out[o.len] = '\0';
	return (int)o.len;
}

void
x509_name_write(struct der_writer *w, const struct x509_name *n)
{
	size_t mark = der_writer_mark(w);

	/* The enum order is the DER order (C first); writing goes backwards. */
	for (int i = X509_NAME__MAX - 1; i >= 0; i--) {
		const struct x509_str *v = &n->attr[i];
		size_t m = der_writer_mark(w);
		unsigned tag;

		if (!v->p)
			continue;
		if (v->len == 0 || v->len > X509_NAME_VALUE_MAX || memchr(v->p, 0, v->len) ||
		    !der_utf8_ok((const unsigned char *)v->p, v->len)) {
			der_writer_fail(w, ERR_RANGE);
			return;
		}
		if (i == X509_NAME_EMAIL) {
			for (size_t j = 0; j < v->len; j++) {
				if ((unsigned char)v->p[j] >= 0x80) {
					der_writer_fail(w, ERR_RANGE);
					return;
				}
			}
			tag = DER_IA5STRING;
		} else if (der_printable_ok(v->p, v->len)) {
			tag = DER_PRINTABLESTRING;
		} else if (i == X509_NAME_C) {
			der_writer_fail(w, ERR_RANGE);
			return;
		} else {
			tag = DER_UTF8STRING;
		}
		if (i == X509_NAME_C && v->len != 2) {
			der_writer_fail(w, ERR_RANGE);
			return;
		}
		der_write_string(w, tag, v->p, v->len);
		der_write_oid(w, (const unsigned char *)name_attrs[i].oid, name_attrs[i].oidlen);
		der_write_wrap(w, DER_SEQUENCE, m);
		der_write_wrap(w, DER_SET, m);
	}
	der_write_wrap(w, DER_SEQUENCE, mark);
}
