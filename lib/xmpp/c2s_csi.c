/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0352 (v1.0) client state indication: the <inactive/> and <active/>
 * nonzas in urn:xmpp:csi:0, and the scan that tells an urgent stanza from
 * one that may wait. The state is one bit of struct sb_c2s
 * (SB_C2S_F_CSI_INACTIVE); what waits, and for how long, is the glue's
 * (dataplane/xmpp/xc_csi.c).
 */
#include <stddef.h>
#include <string.h>

#include "c2s_priv.h"

enum sb_c2s_action c2s_csi_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	/* §4: no reply; a repeated state is harmless and changes nothing. */
	if (c2s_name_is(h->name, h->name_len, "inactive")) {
		c2s_count(env, SB_C2S_CTR_csi_inactive);
		c->flags |= SB_C2S_F_CSI_INACTIVE;
		return SB_C2S_ACT_CSI;
	}
	if (c2s_name_is(h->name, h->name_len, "active")) {
		c2s_count(env, SB_C2S_CTR_csi_active);
		c->flags &= (uint8_t)~SB_C2S_F_CSI_INACTIVE;
		return SB_C2S_ACT_CSI;
	}
	/* Anything else in the namespace is not a stanza we take
	 * (RFC 6120 §4.9.3.24). */
	c2s_count(env, SB_C2S_CTR_unsupported_stanza_type);
	return c2s_stream_error(c, env, SB_C2S_SERR_UNSUPPORTED_STANZA);
}

/* The local names that make a stanza urgent (c2s.h explains the choice;
 * <received/> is left out on purpose: XEP-0184 receipts and XEP-0333
 * markers use that name, and a carbon's inner <body/> is found anyway). */
static const char *const csi_urgent[] = {
	"body", "subject", "encrypted", "encryption", "sent", "invite", "propose",
};

#define CSI_NAME_OVER 0xffu /* n: longer than any urgent name */

static bool csi_name_urgent(const struct sb_c2s_csi_scan *s)
{
	if (s->n == CSI_NAME_OVER)
		return false;
	for (size_t i = 0; i < sizeof(csi_urgent) / sizeof(csi_urgent[0]); i++) {
		if (strlen(csi_urgent[i]) == s->n && memcmp(csi_urgent[i], s->name, s->n) == 0)
			return true;
	}
	return false;
}

static bool csi_name_end(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '>' || ch == '/';
}

/* A '<' in a stanza the tokenizer accepted always opens markup (text and
 * attribute values carry it as &lt;; comments and PIs are refused), so
 * the names after it are element names. */
bool sb_c2s_csi_scan(struct sb_c2s_csi_scan *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && !s->urgent; i++) {
		uint8_t ch = p[i];

		switch (s->st) {
		case 0:
			if (ch == '<')
				s->st = 1;
			break;
		case 1:
			/* An end tag, or a name cut short, is not a start. */
			if (ch == '/' || ch == '!' || ch == '?' || csi_name_end(ch)) {
				s->st = 0;
				break;
			}
			s->st = 2;
			s->n = 0;
			/* fall through */
		default:
			if (csi_name_end(ch)) {
				s->urgent = csi_name_urgent(s);
				s->st = 0;
			} else if (ch == ':') {
				s->n = 0; /* a prefix: the local name follows */
			} else if (s->n < sizeof(s->name)) {
				s->name[s->n++] = (char)ch;
			} else {
				s->n = CSI_NAME_OVER;
			}
			break;
		}
	}
	return s->urgent;
}
