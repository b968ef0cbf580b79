/*
 * form.c: what a browser (or the gateway) posts to the support system:
 * multipart/form-data (RFC 7578) for the SP1011 upload, urlencoded forms for
 * the menu, and the JSESSIONID cookie. Everything points into the request.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim.h"
#include "util/err.h"
#include "util/str.h"

#define FORM_BOUNDARY_MAX 70   /* RFC 2046 §5.1.1 */

static const unsigned char *
mem_find(const unsigned char *h, size_t hl, const void *n, size_t nl)
{
	if (nl == 0 || hl < nl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++)
		if (h[i] == *(const unsigned char *)n && memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

/* Value of parameter name in a header value such as `form-data; name="x"`. */
static int
header_param(const char *v, size_t vl, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < vl; i++) {
		size_t j = i, o = 0;

		if (v[i] != ';')
			continue;
		j++;
		while (j < vl && (v[j] == ' ' || v[j] == '\t'))
			j++;
		if (j + nl >= vl || strncasecmp(v + j, name, nl) != 0 || v[j + nl] != '=')
			continue;
		j += nl + 1;
		if (j < vl && v[j] == '"') {
			for (j++; j < vl && v[j] != '"'; j++) {
				if (v[j] == '\\' && j + 1 < vl)
					j++;
				if (o + 1 >= outsz)
					return ERR_TOOBIG;
				out[o++] = v[j];
			}
			if (j == vl)
				return ERR_MALFORMED;
		} else {
			for (; j < vl && v[j] != ';' && v[j] != ' '; j++) {
				if (o + 1 >= outsz)
					return ERR_TOOBIG;
				out[o++] = v[j];
			}
		}
		out[o] = '\0';
		return 0;
	}
	return ERR_NOTFOUND;
}

int
form_multipart_parse(const char *ctype, const unsigned char *body, size_t len,
    struct form_part *parts, int max, int *nparts)
{
	char boundary[FORM_BOUNDARY_MAX + 1], delim[FORM_BOUNDARY_MAX + 5];
	const unsigned char *p, *end = body + len;
	size_t dl;
	int rc;

	*nparts = 0;
	if (ctype == NULL || strncasecmp(ctype, STR_LIT("multipart/form-data")) != 0)
		return ERR_MALFORMED;
	rc = header_param(ctype, strlen(ctype), "boundary", boundary, sizeof(boundary));
	if (rc != 0 || boundary[0] == '\0')
		return ERR_MALFORMED;
	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	/* The first delimiter may open the body; later ones follow a CRLF. */
	p = mem_find(body, len, delim, dl);
	if (p == NULL)
		return ERR_MALFORMED;
	p += dl;
	for (int turn = 0; turn <= max; turn++) {
		const unsigned char *hend, *next;
		struct form_part *fp;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;                       /* closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return ERR_MALFORMED;
		p += 2;
		hend = mem_find(p, (size_t)(end - p), STR_LIT("\r\n\r\n"));
		if (hend == NULL)
			return ERR_MALFORMED;
		if (*nparts == max)
			return ERR_TOOBIG;
		fp = &parts[(*nparts)++];
		memset(fp, 0, sizeof(*fp));
		/* Part headers: only Content-Disposition matters. */
		for (const unsigned char *h = p; h < hend;) {
			const unsigned char *le = mem_find(h, (size_t)(hend - h), STR_LIT("\r\n"));
			size_t hl;

			if (le == NULL)
				le = hend;
			hl = (size_t)(le - h);
			if (hl > 20 && strncasecmp((const char *)h, STR_LIT("content-disposition:")) == 0) {
				rc = header_param((const char *)h, hl, "name", fp->name, sizeof(fp->name));
				if (rc != 0)
					return rc == ERR_NOTFOUND ? ERR_MALFORMED : rc;
				rc = header_param((const char *)h, hl, "filename", fp->filename,
				    sizeof(fp->filename));
				if (rc == 0)
					fp->has_filename = 1;
				else if (rc != ERR_NOTFOUND)
					return rc;
			}
			h = le + 2;
		}
		if (fp->name[0] == '\0')
			return ERR_MALFORMED;
		fp->data = hend + 4;
		{
			char crdelim[FORM_BOUNDARY_MAX + 7];
			size_t cl = (size_t)snprintf(crdelim, sizeof(crdelim), "\r\n%s", delim);

			next = mem_find(fp->data, (size_t)(end - fp->data), crdelim, cl);
			if (next == NULL)
				return ERR_MALFORMED;
			fp->len = (size_t)(next - fp->data);
			p = next + cl;
		}
	}
	return ERR_TOOBIG;
}

const struct form_part *
form_part_find(const struct form_part *parts, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
form_urlencoded_get(const char *s, size_t len, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *pe = amp ? amp : end;

		if ((size_t)(pe - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t o = 0;

			for (const char *v = p + kl + 1; v < pe; v++) {
				int c = (unsigned char)*v;

				if (c == '+')
					c = ' ';
				else if (c == '%' && pe - v >= 3 && hexval(v[1]) >= 0 &&
				    hexval(v[2]) >= 0) {
					c = hexval(v[1]) * 16 + hexval(v[2]);
					v += 2;
				}
				if (o + 1 >= outsz)
					return ERR_TOOBIG;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 0;
		}
		if ((size_t)(pe - p) == kl && strncmp(p, key, kl) == 0) {
			if (outsz == 0)
				return ERR_TOOBIG;
			out[0] = '\0';
			return 0;
		}
		p = pe + 1;
	}
	return ERR_NOTFOUND;
}

int
form_cookie_get(const char *hdr, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = hdr;

	while (p != NULL && *p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = strcspn(p + nl + 1, ";");

			while (vl > 0 && (p[nl + vl] == ' ' || p[nl + vl] == '\t'))
				vl--;
			if (vl >= outsz)
				return ERR_TOOBIG;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return ERR_NOTFOUND;
}
