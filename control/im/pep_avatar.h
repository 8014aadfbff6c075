/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0398 (User Avatar to vCard-Based Avatars Conversion), the pure
 * parts: a vCard-temp PHOTO (XEP-0054, XEP-0153) turned into the items of
 * the XEP-0084 avatar nodes (urn:xmpp:avatar:data, :metadata; the id is
 * the SHA-1 of the image bytes, in hex), and back: the newest metadata
 * item and its data item turned into a PHOTO, and a stored vCard with its
 * PHOTO replaced. No I/O: unit `im-pep`; im_pep_vcard.c does the rest.
 */
#ifndef SB_PEP_AVATAR_H
#define SB_PEP_AVATAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "im_xml.h"

#define PEP_AVATAR_DATA "urn:xmpp:avatar:data"
#define PEP_AVATAR_META "urn:xmpp:avatar:metadata"
#define PEP_AVATAR_ID_LEN 40u    /* hex SHA-1 */
#define PEP_AVATAR_TYPE_MAX 128u /* bytes of a MIME type */

struct pep_avatar {
	char id[PEP_AVATAR_ID_LEN + 1];
	char type[PEP_AVATAR_TYPE_MAX + 1];
	size_t bytes;  /* of the image */
	char *b64;     /* the BINVAL without white space, malloc'd */
	size_t b64_len;
};

/* The PHOTO of a <vCard xmlns='vcard-temp'/> element: 0 and a filled
 * (free with pep_avatar_free), -ENOENT (no PHOTO with a BINVAL: an EXTVAL
 * or nothing), -EINVAL (BINVAL not base64, or a TYPE that is missing or
 * not a MIME type), -ENOMEM, -EIO (hashing). */
int pep_avatar_from_vcard(const struct imx_el *vcard, struct pep_avatar *a);
void pep_avatar_free(struct pep_avatar *a);

/* The avatar's items: <data xmlns=…data>BASE64</data> and
 * <metadata xmlns=…metadata><info id bytes type/></metadata>. */
void pep_avatar_data_item(struct imx_out *o, const struct pep_avatar *a);
void pep_avatar_meta_item(struct imx_out *o, const struct pep_avatar *a);

/* From a metadata item's payload, the <info/> of the image kept in the data
 * node (the first without url, XEP-0084 §4.2.1): its id into id
 * (PEP_AVATAR_ID_MAX + 1 bytes) and type into type (PEP_AVATAR_TYPE_MAX +
 * 1). 1 found, 0 none (an empty <metadata/> disables the avatar, §4.2.2),
 * -EINVAL not a metadata element. */
#define PEP_AVATAR_ID_MAX 1023u
int pep_avatar_meta_info(const uint8_t *payload, size_t len, char *id, char *type);

/* <PHOTO><TYPE>type</TYPE><BINVAL>…</BINVAL></PHOTO> from a data item's
 * payload, when its image's SHA-1 is id (XEP-0398 §3.1 SHOULD); 0,
 * -EINVAL (not a data element, not base64, another image), -ENOMEM. */
int pep_avatar_photo(struct imx_out *o, const char *id, const char *type,
		     const uint8_t *payload, size_t len);

/* The vCard element (stored bytes; NULL or not a vCard: none) with every
 * PHOTO child left out and photo[0..plen) (possibly nothing) put last. */
void pep_avatar_vcard_with(struct imx_out *o, const uint8_t *vcard, size_t vlen,
			   const char *photo, size_t plen);

/* XEP-0398 §4: the presence b[0..n) with <x xmlns='vcard-temp:x:update'>
 * <photo>hash</photo></x> put in (hash "": <photo/>, no avatar), in place
 * of such an x without photo; true and written to o, or false when the
 * presence carries a photo element of its own (left as the client sent
 * it) or does not parse. */
bool pep_avatar_presence(struct imx_out *o, const uint8_t *b, size_t n, const char *hash);

#endif
