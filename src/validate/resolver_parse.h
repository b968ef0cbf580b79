/*
 * resolver_parse.h: the resolver's pure parts (no I/O, no allocation), apart so
 * that unit tests and the fuzz target reach them without c-ares or libevent.
 * Used by resolver.c (resolver.h includes it for the record types); not an
 * API for other modules.
 */
#ifndef UPKI_VALIDATE_RESOLVER_PARSE_H
#define UPKI_VALIDATE_RESOLVER_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RESOLVER_NAME_MAX 253         /* presentation length, without a trailing dot */
#define RESOLVER_TXT_MAX 1024         /* bytes of one TXT RR, its strings concatenated */
#define RESOLVER_CAA_TAG_MAX 255      /* the tag length is one octet */
#define RESOLVER_CAA_VALUE_MAX 1024
#define RESOLVER_CNAME_MAX 8          /* CNAME links followed inside one answer */

/* One TXT RR: its character-strings concatenated, NUL-terminated (data may hold NULs: use len). */
struct resolver_txt {
	size_t len;
	char data[RESOLVER_TXT_MAX + 1];
};

/*
 * One CAA RR (RFC 8659 section 4.1.1), as on the wire: flags is the whole flags
 * octet (bit 0x80 is "critical"); tag and value are raw bytes, NUL-terminated
 * for convenience (use the lengths: they may hold NULs). The tag is not
 * lower-cased or checked (tag_len may even be 0): judging it is the CAA module's
 * job.
 */
struct resolver_caa {
	unsigned flags;
	size_t tag_len;
	char tag[RESOLVER_CAA_TAG_MAX + 1];
	size_t value_len;
	char value[RESOLVER_CAA_VALUE_MAX + 1];
};


#define RESOLVER_TYPE_A 1
#define RESOLVER_TYPE_CNAME 5
#define RESOLVER_TYPE_TXT 16
#define RESOLVER_TYPE_AAAA 28
#define RESOLVER_TYPE_CAA 257

/*
 * Check name by the rules given at resolver_addrs() and write its lower-case
 * form to out (NUL-terminated; outsz >= RESOLVER_NAME_MAX + 1).
 * Returns 0 or ERR_MALFORMED.
 */
int resolver_name_norm(const char *name, char *out, size_t outsz);

/*
 * The answers of a DNS reply msg (len bytes, as c-ares hands it over after a
 * NOERROR rcode) for the query type: the records of that type and class IN in
 * the answer section whose owner is the question name, or the end of the
 * CNAME chain that starts at the question name (at most RESOLVER_CNAME_MAX
 * links, in any order in the section; names compared case-insensitively), in
 * order. Records at any other owner (what a server adds that answers another
 * question) and other types are skipped. Every record must parse (owner names
 * included), and every record of the type at the owner, else the whole reply
 * is refused. Compression pointers must point backwards: every message is
 * read in time bounded by its length.
 *
 * resolver_reply_addrs: type RESOLVER_TYPE_A (4-byte addresses) or
 *   RESOLVER_TYPE_AAAA (16 bytes); copies up to max addresses to out (len bytes
 *   apart, len = 4 or 16) and drops the rest; *n is the number copied.
 * resolver_reply_txt / resolver_reply_caa: out may be NULL to count only; more
 *   than max records, or a record over the size limits, is ERR_TOOBIG.
 * All return 0 with *n, or ERR_PROTOCOL (malformed message or record, two
 * different CNAMEs for one name), ERR_TOOBIG (also: a CNAME chain longer than
 * RESOLVER_CNAME_MAX, or a loop).
 */
int resolver_reply_addrs(const uint8_t *msg, size_t len, unsigned type, uint8_t *out, int max,
			 int *n);
int resolver_reply_txt(const uint8_t *msg, size_t len, struct resolver_txt *out, int max, int *n);
int resolver_reply_caa(const uint8_t *msg, size_t len, struct resolver_caa *out, int max, int *n);

/*
 * Parse a numeric server address for resolver_new(): "192.0.2.53", "192.0.2.53:5353",
 * "2001:db8::53", "[2001:db8::53]:5353" (port 53 when none is given). No name
 * lookups. Returns 0 with *out and *len, or ERR_CONFIG.
 */
int resolver_server_parse(const char *text, struct sockaddr_storage *out, socklen_t *len);

#endif
