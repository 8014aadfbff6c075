/* SPDX-License-Identifier: BSD-3-Clause
 *
 * vCard PHOTO ⇄ XEP-0084 avatar items (pep_avatar.h). Pure functions over
 * validated stanza bytes and stored payloads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "pep_avatar.h"
#include "scram.h"

#define NS_VCARD "vcard-temp"
#define NS_VCARD_UPDATE "vcard-temp:x:update"

static bool child_named(const struct imx_el *e, const char *name, const char *ns,
			struct imx_el *out)
{
	size_t pos = 0;

	while (imx_child(e, &pos, out))
		if (imx_is(out, name, ns, ns))
			return true;
	return false;
}

/* A MIME type as XEP-0084 wants one: type/subtype of token characters. */
static bool mime_ok(const char *t)
{
	const char *slash = strchr(t, '/');

	if (slash == NULL || slash == t || slash[1] == 0)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || strchr("/+-.!#$&^_", *t) != NULL))
			return false;
	return true;
}

void pep_avatar_free(struct pep_avatar *a)
{
	free(a->b64);
	memset(a, 0, sizeof(*a));
}

/* The SHA-1 (hex, into id) and length of the image in base64 b64[0..n)
 * (no white space). 0, -EINVAL (not base64), -ENOMEM, -EIO. */
static int b64_sha1(const char *b64, size_t n, char id[PEP_AVATAR_ID_LEN + 1], size_t *bytes)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdl = 0;
	uint8_t *raw = malloc(n / 4 * 3 + 3);
	int l, rc = -EINVAL;

	if (raw == NULL)
		return -ENOMEM;
	l = sb_scram_b64_decode(b64, n, raw, n / 4 * 3 + 3);
	if (l > 0) {
		rc = -EIO;
		if (EVP_Digest(raw, (size_t)l, md, &mdl, EVP_sha1(), NULL) == 1 && mdl == 20) {
			for (unsigned i = 0; i < 20; i++)
				snprintf(id + 2 * i, 3, "%02x", md[i]);
			*bytes = (size_t)l;
			rc = 0;
		}
	}
	free(raw);
	return rc;
}

/* Text with the white space left out, in place; its new length. vCards
 * fold BINVAL (RFC 2426), and base64 in XML may be wrapped. */
static size_t squeeze(char *t, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
			t[k++] = t[i];
	t[k] = 0;
	return k;
}

int pep_avatar_from_vcard(const struct imx_el *vcard, struct pep_avatar *a)
{
	struct imx_el photo, bin, type;
	char *txt;
	int n, rc = -EINVAL;

	memset(a, 0, sizeof(*a));
	if (!child_named(vcard, "PHOTO", NS_VCARD, &photo) ||
	    !child_named(&photo, "BINVAL", NS_VCARD, &bin))
		return -ENOENT;
	/* XEP-0153 §3.1: TYPE names the image; without it there is no type
	 * for the metadata's required attribute. */
	if (!child_named(&photo, "TYPE", NS_VCARD, &type) ||
	    imx_text(&type, a->type, sizeof(a->type)) <= 0 || !mime_ok(a->type))
		return -EINVAL;
	txt = malloc(bin.len + 1);
	if (txt == NULL)
		return -ENOMEM;
	n = imx_text(&bin, txt, bin.len + 1);
	if (n > 0) {
		a->b64_len = squeeze(txt, (size_t)n);
		rc = b64_sha1(txt, a->b64_len, a->id, &a->bytes);
	}
	if (rc < 0) {
		free(txt);
		memset(a, 0, sizeof(*a));
		return rc;
	}
	a->b64 = txt;
	return 0;
}

void pep_avatar_data_item(struct imx_out *o, const struct pep_avatar *a)
{
	imx_puts(o, "<data xmlns='" PEP_AVATAR_DATA "'>");
	imx_put(o, a->b64, a->b64_len); /* base64: nothing to escape */
	imx_puts(o, "</data>");
}

void pep_avatar_meta_item(struct imx_out *o, const struct pep_avatar *a)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", a->bytes);
	imx_puts(o, "<metadata xmlns='" PEP_AVATAR_META "'><info");
	imx_attr_put(o, "bytes", n, strlen(n));
	imx_attr_put(o, "id", a->id, strlen(a->id));
	imx_attr_put(o, "type", a->type, strlen(a->type));
	imx_puts(o, "/></metadata>");
}

int pep_avatar_meta_info(const uint8_t *payload, size_t len, char *id, char *type)
{
	struct imx_el m, info;
	size_t pos = 0;

	if (imx_open(&m, payload, len) < 0 || !imx_is(&m, "metadata", PEP_AVATAR_META, NULL))
		return -EINVAL;
	while (imx_child(&m, &pos, &info)) {
		if (!imx_is(&info, "info", PEP_AVATAR_META, PEP_AVATAR_META) ||
		    imx_attr_text(&info, "url", type, PEP_AVATAR_TYPE_MAX + 1) != -ENOENT)
			continue;
		if (imx_attr_text(&info, "id", id, PEP_AVATAR_ID_MAX + 1) <= 0 ||
		    imx_attr_text(&info, "type", type, PEP_AVATAR_TYPE_MAX + 1) <= 0 ||
		    !mime_ok(type))
			continue;
		return 1;
	}
	return 0;
}

int pep_avatar_photo(struct imx_out *o, const char *id, const char *type,
		     const uint8_t *payload, size_t len)
{
	char sha[PEP_AVATAR_ID_LEN + 1];
	struct imx_el d;
	size_t n, bytes;
	char *txt;
	int l;

	if (imx_open(&d, payload, len) < 0 || !imx_is(&d, "data", PEP_AVATAR_DATA, NULL))
		return -EINVAL;
	txt = malloc(len + 1);
	if (txt == NULL)
		return -ENOMEM;
	l = imx_text(&d, txt, len + 1);
	n = l > 0 ? squeeze(txt, (size_t)l) : 0;
	/* XEP-0398 §3.1: the image is the one the id names (its SHA-1). */
	if (n == 0 || b64_sha1(txt, n, sha, &bytes) < 0 || strcasecmp(sha, id) != 0) {
		free(txt);
		return -EINVAL;
	}
	imx_puts(o, "<PHOTO><TYPE>");
	imx_esc(o, type, strlen(type));
	imx_puts(o, "</TYPE><BINVAL>");
	imx_put(o, txt, n); /* base64: nothing to escape */
	imx_puts(o, "</BINVAL></PHOTO>");
	free(txt);
	return 0;
}

void pep_avatar_vcard_with(struct imx_out *o, const uint8_t *vcard, size_t vlen,
			   const char *photo, size_t plen)
{
	struct imx_el v, c;
	size_t pos = 0;

	if (vcard == NULL || imx_open(&v, vcard, vlen) < 0 || !imx_is(&v, "vCard", NS_VCARD, NULL)) {
		imx_puts(o, "<vCard xmlns='" NS_VCARD "'>");
		imx_put(o, photo, plen);
		imx_puts(o, "</vCard>");
		return;
	}
	/* The start tag as stored (its namespace declarations with it). */
	if (v.empty) {
		imx_put(o, v.p, v.stag_end - 2);
		imx_puts(o, ">");
	} else {
		imx_put(o, v.p, v.stag_end);
	}
	while (imx_child(&v, &pos, &c))
		if (!imx_is(&c, "PHOTO", NS_VCARD, NS_VCARD))
			imx_put(o, c.p, c.len);
	imx_put(o, photo, plen);
	imx_puts(o, "</vCard>");
}

bool pep_avatar_presence(struct imx_out *o, const uint8_t *b, size_t n, const char *hash)
{
	struct imx_el p, c, ph;
	size_t pos = 0;

	if (imx_open(&p, b, n) < 0 || p.name_len != 8 || memcmp(p.p + 1, "presence", 8) != 0)
		return false;
	while (imx_child(&p, &pos, &c))
		if (imx_is(&c, "x", NS_VCARD_UPDATE, NULL) && child_named(&c, "photo",
									  NS_VCARD_UPDATE, &ph))
			return false;
	if (p.empty) {
		imx_put(o, p.p, p.stag_end - 2);
		imx_puts(o, ">");
	} else {
		imx_put(o, p.p, p.stag_end);
	}
	pos = 0;
	while (imx_child(&p, &pos, &c))
		if (!imx_is(&c, "x", NS_VCARD_UPDATE, NULL))
			imx_put(o, c.p, c.len);
	imx_puts(o, "<x xmlns='" NS_VCARD_UPDATE "'>");
	if (*hash) {
		imx_puts(o, "<photo>");
		imx_esc(o, hash, strlen(hash));
		imx_puts(o, "</photo></x></presence>");
	} else {
		imx_puts(o, "<photo/></x></presence>");
	}
	return true;
}
