/*
 * Fuzz the resolver's answer walker (validate/resolver_parse.c) with replies
 * built from the input as a DNS server would send them: a question for A,
 * AAAA or TXT, then an answer section of CNAME chains (owner names written
 * out, in mixed case, or compressed to the question or to any earlier CNAME
 * target) and records of every type the resolver reads, plus others and class
 * CH. Every record is well formed, so the result is known from a plain model
 * kept here: the owner that answers is the question name or the end of the
 * CNAME chain from it (RESOLVER_CNAME_MAX links at most, else ERR_TOOBIG; two
 * different CNAMEs for one name: ERR_PROTOCOL), and the parser must return
 * exactly the records of the asked type, class IN and that owner, in order
 * (A/AAAA: the first max of them; TXT: all, or ERR_TOOBIG over the limit).
 * fuzz_dns_caa covers malformed replies and CAA.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "validate/resolver.h"
#include "validate/resolver_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define TYPE_CNAME 5
#define TYPE_MX 15
#define MAXREC 64

static uint8_t msg[65536];
static size_t mlen;
static uint8_t want_addr[MAXREC][16];
static struct resolver_txt want_txt[MAXREC], got_txt[RESOLVER_MAX_TXT];
static uint8_t got_addr[RESOLVER_MAX_ADDRS * 16];

/* The model: every record as written, owner (and CNAME target) as a message offset. */
static struct mrec {
	unsigned type, klass;
	size_t owner, target;       /* offsets of uncompressed names */
	size_t rd, rdlen;
} recs[MAXREC];

struct in { const uint8_t *p; size_t n; };

static unsigned
take(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static int
put(const void *p, size_t n)
{
	if (sizeof(msg) - mlen < n)
		return -1;
	memcpy(msg + mlen, p, n);
	mlen += n;
	return 0;
}

static int
put16(unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return put(b, 2);
}

/* A name of 1..3 labels of [a-z0-9-] from the input; its offset in *at. */
static int
put_name(struct in *in, size_t *at)
{
	unsigned labels = 1 + take(in) % 3;

	*at = mlen;
	for (unsigned i = 0; i < labels; i++) {
		uint8_t l[64];
		unsigned n = 1 + take(in) % 20;

		l[0] = (uint8_t)n;
		for (unsigned j = 0; j < n; j++) {
			unsigned c = take(in);

			l[1 + j] = (uint8_t)("abcdefghijklmnopqrstuvwxyz0123456789-"[c % 37]);
			if ((c & 0x80) && l[1 + j] >= 'a' && l[1 + j] <= 'z')
				l[1 + j] = (uint8_t)(l[1 + j] - 'a' + 'A');
		}
		if (put(l, n + 1) != 0)
			return -1;
	}
	return put("", 1);
}

static int
put_ptr(size_t at)
{
	return put16(0xc000u | (unsigned)at);
}

/* The uncompressed names at offsets a and b are equal, ignoring ASCII case. */
static int
name_eq(size_t a, size_t b)
{
	for (;;) {
		unsigned la = msg[a], lb = msg[b];

		if (la != lb)
			return 0;
		if (la == 0)
			return 1;
		for (unsigned i = 1; i <= la; i++) {
			unsigned ca = msg[a + i], cb = msg[b + i];

			ca = ca >= 'A' && ca <= 'Z' ? ca + 32 : ca;
			cb = cb >= 'A' && cb <= 'Z' ? cb + 32 : cb;
			if (ca != cb)
				return 0;
		}
		a += la + 1;
		b += la + 1;
	}
}

/* The model's answer owner: 0 and *end, or the error the parser must give. */
static int
model_chain_end(unsigned nrec, size_t qname, size_t *end)
{
	size_t cur = qname;

	for (int hops = 0;; hops++) {
		int found = 0;
		size_t t = 0;

		for (unsigned i = 0; i < nrec; i++) {
			if (recs[i].type != TYPE_CNAME || recs[i].klass != 1 || !name_eq(recs[i].owner, cur))
				continue;
			if (found && !name_eq(recs[i].target, t))
				return ERR_PROTOCOL;
			t = recs[i].target;
			found = 1;
		}
		if (!found) {
			*end = cur;
			return 0;
		}
		if (hops >= RESOLVER_CNAME_MAX)
			return ERR_TOOBIG;
		cur = t;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned qtypes[] = { RESOLVER_TYPE_A, RESOLVER_TYPE_AAAA, RESOLVER_TYPE_TXT };
	struct in in = { data, size };
	size_t names[MAXREC + 1];
	unsigned qtype, nrec, nnames = 0, want = 0, toobig = 0, count_off;
	size_t end = 0;
	int n = -1, rc, expect;

	if (size > 8192)
		return 0;
	qtype = qtypes[take(&in) % 3];
	mlen = 0;
	put("\x12\x34\x81\x80\x00\x01", 6);
	count_off = (unsigned)mlen;
	put("\x00\x00\x00\x00\x00\x00", 6);
	if (put_name(&in, &names[nnames++]) != 0 || put16(qtype) != 0 || put16(1) != 0)
		return 0;
	nrec = take(&in) % MAXREC;
	for (unsigned i = 0; i < nrec; i++) {
		unsigned c = take(&in), type, klass = (c & 0x80) ? 3 : 1;
		uint8_t rd[1100];
		size_t rdlen = 0, owner;

		switch (c % 5) {
		case 0: type = TYPE_CNAME; break;
		case 1: type = RESOLVER_TYPE_A; break;
		case 2: type = RESOLVER_TYPE_AAAA; break;
		case 3: type = RESOLVER_TYPE_TXT; break;
		default: type = TYPE_MX; break;
		}
		/* Owner: the question, an earlier CNAME target (compressed), or one written out. */
		if ((c & 0x40) && put_name(&in, &owner) != 0)
			return 0;
		if (!(c & 0x40)) {
			unsigned k = take(&in);

			owner = names[(k & 0x80) ? nnames - 1 : k % nnames];
			if (put_ptr(owner) != 0)
				return 0;
		}
		if (put16(type) != 0 || put16(klass) != 0 || put("\0\0\0\x3c", 4) != 0)
			return 0;
		recs[i].type = type;
		recs[i].klass = klass;
		recs[i].owner = owner;
		if (type == TYPE_CNAME) {
			size_t rdl_at = mlen, start;

			if (put16(0) != 0 || put_name(&in, &start) != 0)
				return 0;
			msg[rdl_at] = (uint8_t)((mlen - start) >> 8);
			msg[rdl_at + 1] = (uint8_t)(mlen - start);
			recs[i].target = start;
			if (nnames <= MAXREC)
				names[nnames++] = start;
			continue;
		}
		if (type == RESOLVER_TYPE_A || type == RESOLVER_TYPE_AAAA) {
			rdlen = type == RESOLVER_TYPE_A ? 4 : 16;
			for (size_t j = 0; j < rdlen; j++)
				rd[j] = (uint8_t)take(&in);
		} else if (type == RESOLVER_TYPE_TXT) {
			unsigned strs = 1 + take(&in) % 3;
			for (unsigned s = 0; s < strs; s++) {
				unsigned l = take(&in);
				l = (l & 0x80) ? 255 : l % 40;
				rd[rdlen++] = (uint8_t)l;
				for (unsigned j = 0; j < l; j++)
					rd[rdlen++] = (uint8_t)take(&in);
			}
		} else {
			rdlen = 2;
			rd[0] = 0;
			rd[1] = 10;
			if (put16((unsigned)rdlen + 2) != 0 || put(rd, rdlen) != 0 ||
			    put_ptr(names[0]) != 0)
				return 0;
			continue;
		}
		if (put16((unsigned)rdlen) != 0)
			return 0;
		recs[i].rd = mlen;
		recs[i].rdlen = rdlen;
		if (put(rd, rdlen) != 0)
			return 0;
	}
	expect = model_chain_end(nrec, names[0], &end);
	for (unsigned i = 0; expect == 0 && i < nrec; i++) {
		const uint8_t *rd = msg + recs[i].rd;
		size_t rdlen = recs[i].rdlen;

		if (recs[i].type != qtype || recs[i].klass != 1 || !name_eq(recs[i].owner, end))
			continue;
		if (qtype == RESOLVER_TYPE_TXT) {
			struct resolver_txt *t = &want_txt[want];
			size_t o = 0;
			t->len = 0;
			while (o < rdlen) {
				size_t l = rd[o++];
				if (t->len + l > RESOLVER_TXT_MAX)
					toobig = 1;
				else
					memcpy(t->data + t->len, rd + o, l);
				t->len += l;
				o += l;
			}
		} else {
			memcpy(want_addr[want], rd, rdlen);
		}
		want++;
	}
	msg[count_off] = (uint8_t)(nrec >> 8);
	msg[count_off + 1] = (uint8_t)nrec;
	if (expect != 0) {
		if (qtype == RESOLVER_TYPE_TXT)
			rc = resolver_reply_txt(msg, mlen, got_txt, RESOLVER_MAX_TXT, &n);
		else
			rc = resolver_reply_addrs(msg, mlen, qtype, got_addr, RESOLVER_MAX_ADDRS / 2, &n);
		CHECK(rc == expect && n == 0);
		return 0;
	}
	if (qtype == RESOLVER_TYPE_TXT) {
		rc = resolver_reply_txt(msg, mlen, got_txt, RESOLVER_MAX_TXT, &n);
		if (toobig || want > RESOLVER_MAX_TXT) {
			CHECK(rc == ERR_TOOBIG && n == 0);
			return 0;
		}
		CHECK(rc == 0 && n == (int)want);
		for (unsigned i = 0; i < want; i++) {
			CHECK(got_txt[i].len == want_txt[i].len);
			CHECK(memcmp(got_txt[i].data, want_txt[i].data, want_txt[i].len) == 0);
			CHECK(got_txt[i].data[got_txt[i].len] == '\0');
		}
		return 0;
	}
	{
		size_t al = qtype == RESOLVER_TYPE_A ? 4 : 16;
		int max = RESOLVER_MAX_ADDRS / 2;

		rc = resolver_reply_addrs(msg, mlen, qtype, got_addr, max, &n);
		CHECK(rc == 0 && n == ((int)want < max ? (int)want : max));
		for (int i = 0; i < n; i++)
			CHECK(memcmp(got_addr + (size_t)i * al, want_addr[i], al) == 0);
	}
	return 0;
}
