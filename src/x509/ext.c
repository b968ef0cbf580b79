/* ext.c: X.509 extensions shared by certificates and CSRs: read and write. */
#include <string.h>

#include "util/err.h"
#include "x509/internal.h"

/* GeneralName choices that are constructed: otherName, x400Address, directoryName, ediPartyName. */
#define EXT_GN_CONS ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5))

static int
ext_dns_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

static int
ext_san_read(struct der *v, struct x509_san *san)
{
	struct der seq, gn;
	unsigned tag;
	int rc;

	if ((rc = der_read_enter(v, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_end(v)) != 0)
		return rc;
	if (seq.len == 0)
		return ERR_MALFORMED; /* GeneralNames is SIZE (1..MAX) */
	while (seq.len > 0) {
		if (san->n_dns + san->n_ip + san->n_other >= X509_SAN_MAX)
			return ERR_TOOBIG;
		if ((rc = der_read_tlv(&seq, &tag, &gn)) != 0)
			return rc;
		if (tag == GN_DNS) {
			if (gn.len == 0 || !ext_dns_ok(gn.p, gn.len))
				return ERR_MALFORMED;
			if (gn.len > X509_DNSNAME_MAX)
				return ERR_TOOBIG;
			san->dns[san->n_dns].p = (const char *)gn.p;
			san->dns[san->n_dns++].len = gn.len;
		} else if (tag == GN_IP) {
			if (gn.len != 4 && gn.len != 16)
				return ERR_MALFORMED;
			san->ip[san->n_ip].p = gn.p;
			san->ip[san->n_ip++].len = gn.len;
		} else if ((tag & 0xc0) == DER_CONTEXT && (tag & 0x1f) <= 8 &&
		    !!(tag & DER_CONSTRUCTED) == ((EXT_GN_CONS >> (tag & 0x1f)) & 1)) {
			san->n_other++;
		} else {
			return ERR_MALFORMED;
		}
	}
	return 0;
}

static int
ext_bc_read(struct der *v, struct x509_exts *e)
{
	struct der seq;
	uint32_t pl;
	int rc;

	if ((rc = der_read_enter(v, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_end(v)) != 0)
		return rc;
	if (der_peek(&seq) == DER_BOOLEAN && (rc = der_read_bool(&seq, &e->ca)) != 0)
		return rc;
	if (seq.len > 0) {
		if ((rc = der_read_small(&seq, 0x7fffffff, &pl)) != 0)
			return rc == ERR_RANGE ? ERR_MALFORMED : rc;
		e->path_len = (int)pl;
	}
	return der_read_end(&seq);
}

static int
ext_ku_read(struct der *v, struct x509_exts *e)
{
	const unsigned char *p;
	size_t n;
	unsigned unused;
	int rc;

	if ((rc = der_read_bitstring(v, &p, &n, &unused)) != 0 || (rc = der_read_end(v)) != 0)
		return rc;
	for (size_t i = 0; i < n * 8 - unused && i < 32; i++)
		if (p[i / 8] & (0x80 >> (i % 8)))
			e->ku |= 1u << i;
	return 0;
}

static int
ext_eku_read(struct der *v, struct x509_exts *e)
{
	struct der seq, oid;
	int rc;

	if ((rc = der_read_enter(v, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_end(v)) != 0)
		return rc;
	if (seq.len == 0)
		return ERR_MALFORMED;
	while (seq.len > 0) {
		if ((rc = der_read_oid(&seq, &oid)) != 0)
			return rc;
		if (der_oid_eq(&oid, X509_OID(OID_KP_SERVER_AUTH)))
			e->eku |= X509_EKU_SERVER_AUTH;
		else if (der_oid_eq(&oid, X509_OID(OID_KP_CLIENT_AUTH)))
			e->eku |= X509_EKU_CLIENT_AUTH;
		else if (der_oid_eq(&oid, X509_OID(OID_KP_EMAIL_PROTECTION)))
			e->eku |= X509_EKU_EMAIL_PROTECTION;
		else if (der_oid_eq(&oid, X509_OID(OID_EKU_ANY)))
			e->eku |= X509_EKU_ANY;
		else
			e->eku |= X509_EKU_OTHER;
	}
	return 0;
}

static int
ext_aki_read(struct der *v, struct x509_exts *e)
{
	struct der seq, kid;
	int rc;

	if ((rc = der_read_enter(v, DER_SEQUENCE, &seq)) != 0 || (rc = der_read_end(v)) != 0)
		return rc;
	if (der_peek(&seq) == DER_CTX(0)) {
		if ((rc = der_read_expect(&seq, DER_CTX(0), &kid)) != 0)
			return rc;
		e->aki.p = kid.p;
		e->aki.len = kid.len;
	}
	/* authorityCertIssuer [1] and authorityCertSerialNumber [2]: not used. */
	if (der_peek(&seq) == DER_CTX_CONS(1) && (rc = der_read_skip(&seq)) != 0)
		return rc;
	if (der_peek(&seq) == DER_CTX(2) && (rc = der_read_skip(&seq)) != 0)
		return rc;
	return der_read_end(&seq);
}

static int
ext_octets_read(struct der *v, struct x509_bytes *out)
{
	int rc;

	if ((rc = der_read_octets(v, &out->p, &out->len)) != 0)
		return rc;
	return der_read_end(v);
}

static int
ext_other_add(struct x509_exts *e, const struct der *oid, int critical)
{
	for (unsigned i = 0; i < e->n_other; i++)
		if (der_oid_eq(oid, e->other[i].p, e->other[i].len))
			return ERR_MALFORMED;
	if (e->n_other >= X509_EXT_OTHER_MAX)
		return ERR_TOOBIG;
	e->other[e->n_other].p = oid->p;
	e->other[e->n_other++].len = oid->len;
	if (critical)
		e->other_critical = 1;
	return 0;
}

/* One Extension's value (the OCTET STRING contents) by OID. */
static int
ext_one(struct x509_exts *e, const struct der *oid, int critical, struct der *v)
{
	int rc;

	if (der_oid_eq(oid, X509_OID(OID_CE_SAN))) {
		if (e->has_san)
			return ERR_MALFORMED;
		e->has_san = 1;
		e->san_critical = critical;
		return ext_san_read(v, &e->san);
	}
	if (der_oid_eq(oid, X509_OID(OID_CE_BC))) {
		if (e->has_bc)
			return ERR_MALFORMED;
		e->has_bc = 1;
		e->bc_critical = critical;
		return ext_bc_read(v, e);
	}
	if (der_oid_eq(oid, X509_OID(OID_CE_KU))) {
		if (e->has_ku)
			return ERR_MALFORMED;
		e->has_ku = 1;
		e->ku_critical = critical;
		return ext_ku_read(v, e);
	}
	if (der_oid_eq(oid, X509_OID(OID_CE_EKU))) {
		if (e->has_eku)
			return ERR_MALFORMED;
		e->has_eku = 1;
		return ext_eku_read(v, e);
	}
	if (der_oid_eq(oid, X509_OID(OID_CE_SKI))) {
		if (e->ski.p)
			return ERR_MALFORMED;
		if ((rc = ext_octets_read(v, &e->ski)) != 0)
			return rc;
		return e->ski.len ? 0 : ERR_MALFORMED;
	}
	if (der_oid_eq(oid, X509_OID(OID_CE_AKI))) {
		if (e->aki.p)
			return ERR_MALFORMED;
		return ext_aki_read(v, e);
	}
	if (der_oid_eq(oid, X509_OID(OID_PE_ACME_ID))) {
		if (e->has_acme_id)
			return ERR_MALFORMED;
		e->has_acme_id = 1;
		e->acme_id_critical = critical;
		if ((rc = ext_octets_read(v, &e->acme_id)) != 0)
			return rc;
		return e->acme_id.len == X509_ACME_ID_LEN ? 0 : ERR_MALFORMED;
	}
	return ext_other_add(e, oid, critical);
}

int
x509_exts_read(struct der *exts, struct x509_exts *e)
{
	struct der ext, oid, v;
	const unsigned char *val;
	size_t vlen;
	int rc, critical;

	memset(e, 0, sizeof *e);
	e->path_len = -1;
	while (exts->len > 0) {
		if (++e->n > X509_EXT_MAX)
			return ERR_TOOBIG;
		critical = 0;
		if ((rc = der_read_enter(exts, DER_SEQUENCE, &ext)) != 0 ||
		    (rc = der_read_oid(&ext, &oid)) != 0)
			return rc;
		if (der_peek(&ext) == DER_BOOLEAN && (rc = der_read_bool(&ext, &critical)) != 0)
			return rc;
		if ((rc = der_read_octets(&ext, &val, &vlen)) != 0 || (rc = der_read_end(&ext)) != 0)
			return rc;
		der_init(&v, val, vlen);
		v.depth = ext.depth;
		if ((rc = ext_one(e, &oid, critical, &v)) != 0)
			return rc;
	}
	return 0;
}

void
x509_ext_close(struct der_writer *w, size_t mark, const unsigned char *oid, size_t oidlen,
    int critical)
{
	der_write_wrap(w, DER_OCTETSTRING, mark);
	if (critical)
		der_write_bool(w, 1);
	der_write_oid(w, oid, oidlen);
	der_write_wrap(w, DER_SEQUENCE, mark);
}

void
x509_san_write(struct der_writer *w, const struct x509_str *dns, size_t n_dns,
    const struct x509_bytes *ip, size_t n_ip)
{
	size_t mark = der_writer_mark(w);

	if (n_dns + n_ip == 0 || n_dns > X509_SAN_MAX || n_ip > X509_SAN_MAX ||
	    n_dns + n_ip > X509_SAN_MAX) {
		der_writer_fail(w, ERR_RANGE);
		return;
	}
	for (size_t i = n_ip; i-- > 0;) {
		if (ip[i].len != 4 && ip[i].len != 16) {
			der_writer_fail(w, ERR_RANGE);
			return;
		}
		der_write_prim(w, GN_IP, ip[i].p, ip[i].len);
	}
	for (size_t i = n_dns; i-- > 0;) {
		if (dns[i].len == 0 || dns[i].len > X509_DNSNAME_MAX ||
		    !ext_dns_ok((const unsigned char *)dns[i].p, dns[i].len)) {
			der_writer_fail(w, ERR_RANGE);
			return;
		}
		der_write_prim(w, GN_DNS, dns[i].p, dns[i].len);
	}
	der_write_wrap(w, DER_SEQUENCE, mark);
}
