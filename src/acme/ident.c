/* Identifier checks and the EAB allow-list (domain policy). */
#include <string.h>

#include "acme/acme_int.h"
#include "util/err.h"

int
acme_ident_normalize(char *name, const char **why)
{
	size_t len = strlen(name), label = 0, labels = 1;
	char *s = name;

	for (size_t i = 0; i < len; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	if (len == 0 || len > 253) {
		*why = "a DNS name has 1 to 253 characters";
		return ERR_MALFORMED;
	}
	if (s[0] == '*') {
		if (s[1] != '.') {
			*why = "a wildcard must be \"*.\" followed by a domain";
			return ERR_MALFORMED;
		}
		s += 2;
	}
	if (*s == '\0' || s[strlen(s) - 1] == '.') {
		*why = "a DNS name must not end with a dot";
		return ERR_MALFORMED;
	}
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-') {
				*why = "empty label or label ending in '-'";
				return ERR_MALFORMED;
			}
			label = 0;
			labels++;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			*why = "a DNS name has only letters, digits, '-' and '.' (IDNs in A-label form)";
			return ERR_MALFORMED;
		}
		if (label == 0 && *p == '-') {
			*why = "a label must not start with '-'";
			return ERR_MALFORMED;
		}
		if (++label > 63) {
			*why = "a label has at most 63 characters";
			return ERR_MALFORMED;
		}
	}
	if (label == 0 || s[strlen(s) - 1] == '-') {
		*why = "empty label or label ending in '-'";
		return ERR_MALFORMED;
	}
	if (labels < 2) {
		*why = "a name needs at least two labels (host.domain)";
		return ERR_MALFORMED;
	}
	{
		const char *last = strrchr(s, '.') + 1;
		int digits = 1;
		for (const char *p = last; *p; p++)
			if (*p < '0' || *p > '9')
				digits = 0;
		if (digits) {
			*why = "IP addresses are not accepted as dns identifiers";
			return ERR_UNSUPPORTED;
		}
	}
	return 0;
}

int
acme_ident_allowed(const struct rec_eab *eab, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < eab->n_allow; i++) {
		const char *pat = eab->allow[i];

		if (strcmp(pat, name) == 0)
			return 1;
		if (pat[0] == '*' && pat[1] == '.') {
			size_t dl = strlen(pat + 1);   /* ".example.ac.jp" */
			/* Any name below the domain, at any depth; a wildcard name too. */
			if (nl > dl && strcmp(name + nl - dl, pat + 1) == 0)
				return 1;
		}
	}
	return 0;
}
