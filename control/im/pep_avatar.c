/* SPDX-License-Identifier: BSD-3-Clause
 *
 * vCard PHOTO ⇄ XEP-0084 avatar items (pep_avatar.h). Pure functions over
 * validated stanza bytes and stored payloads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pep_avatar.h"
#include "scram.h"

#define NS_VCARD "vcard-temp"

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

int pep_avatar_from_vcard(const struct imx_el *vcard, struct pep_avatar *a)
{
	struct imx_el photo, bin, type;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdl = 0;
	uint8_t *raw = NULL;
	char *txt;
	size_t k = 0;
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
	if (n <= 0)
		goto out;
	/* vCards wrap BINVAL (RFC 2426 folds lines): white space is not data. */
	for (int i = 0; i < n; i++)
		if (txt[i] != ' ' && txt[i] != '\t' && txt[i] != '\r' && txt[i] != '\n')
			txt[k++] = txt[i];
	txt[k] = 0;
	raw = malloc(k / 4 * 3 + 3);
	if (raw == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	n = sb_scram_b64_decode(txt, k, raw, k / 4 * 3 + 3);
	if (n <= 0)
		goto out;
	if (EVP_Digest(raw, (size_t)n, md, &mdl, EVP_sha1(), NULL) != 1 || mdl != 20) {
		rc = -EIO;
		goto out;
	}
	for (unsigned i = 0; i < 20; i++)
		snprintf(a->id + 2 * i, 3, "%02x", md[i]);
	a->bytes = (size_t)n;
	a->b64 = txt;
	a->b64_len = k;
	txt = NULL;
	rc = 0;
out:
	free(raw);
	free(txt);
	if (rc < 0)
		a->type[0] = 0;
	return rc;
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

int pep_avatar_photo(struct imx_out *o, const char *type, const uint8_t *payload, size_t len)
{
	struct imx_el d;
	char *txt;
	int n;

	if (imx_open(&d, payload, len) < 0 || !imx_is(&d, "data", PEP_AVATAR_DATA, NULL))
		return -EINVAL;
	txt = malloc(len + 1);
	if (txt == NULL)
		return -ENOMEM;
	n = imx_text(&d, txt, len + 1);
	if (n < 0) {
		free(txt);
		return -EINVAL;
	}
	imx_puts(o, "<PHOTO><TYPE>");
	imx_esc(o, type, strlen(type));
	imx_puts(o, "</TYPE><BINVAL>");
	imx_esc(o, txt, (size_t)n);
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
