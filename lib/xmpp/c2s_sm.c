/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198 (v1.6) stream management nonzas: <enable/>, <r/>, <a/> and
 * <resume/> in urn:xmpp:sm:3, after authentication. The counters live in
 * struct sb_c2s (sm_in, sm_out, sm_acked: 12 bytes); acks cost one compare
 * and a short write, so a client that asks after every stanza (Dino) pays
 * nearly nothing. What the glue keeps for unacknowledged stanzas, and what
 * becomes of it, is the glue's (dataplane/xmpp/xc_sm.c).
 */
#include <string.h>

#include "c2s_priv.h"

/* The value of h: decimal digits only, within 0..2^32-1 (XEP-0198 §4:
 * xs:unsignedInt). */
static bool sm_h_parse(const struct c2s_elem *e, uint32_t *h)
{
	const uint8_t *v;
	size_t n;
	uint64_t x = 0;

	if (!c2s_attr_raw(e, "h", &v, &n) || n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10u + (uint64_t)(v[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*h = (uint32_t)x;
	return true;
}

static void sm_put_u32(struct sb_c2s_env *env, uint32_t v)
{
	char d[10];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0);
	c2s_put(env, d + i, sizeof(d) - i);
}

/* <failed><cond/></failed> (§4 for enable, §5 for resume). */
static enum sb_c2s_action sm_failed(struct sb_c2s_env *env, const char *cond, enum sb_c2s_ctr ctr)
{
	c2s_count(env, ctr);
	c2s_puts(env, "<failed xmlns='" C2S_NS_SM "'><");
	c2s_puts(env, cond);
	c2s_puts(env, " xmlns='" C2S_NS_STANZAS "'/></failed>");
	return SB_C2S_ACT_NONE;
}

/* §3: enable after bind, once per stream. */
static enum sb_c2s_action sm_enable(struct sb_c2s *c, struct sb_c2s_env *env)
{
	uint8_t id[SB_C2S_SM_ID_RAW];

	if (c->state != SB_C2S_S_BOUND)
		return sm_failed(env, "unexpected-request", SB_C2S_CTR_sm_enable_early);
	if (c->sm & SB_C2S_SM_ENABLED) {
		enum sb_c2s_action act;

		c2s_count(env, SB_C2S_CTR_sm_enable_twice);
		env->err_text = "stream management is already enabled on this stream";
		act = c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION);
		env->err_text = NULL;
		return act;
	}
	if (c2s_random(env, id, sizeof(id)) != 0) {
		c2s_count(env, SB_C2S_CTR_random_failed);
		return sm_failed(env, "internal-server-error", SB_C2S_CTR_sm_enable_failed);
	}
	c->sm = SB_C2S_SM_ENABLED;
	c->sm_in = c->sm_out = c->sm_acked = 0;
	c2s_count(env, SB_C2S_CTR_sm_enabled);
	/* The id names the session for a resumption we do not offer yet: an
	 * opaque, unguessable value, so none can be guessed later (§5). */
	c2s_puts(env, "<enabled xmlns='" C2S_NS_SM "' id='");
	c2s_put_hex(env, id, sizeof(id));
	c2s_puts(env, "'/>");
	return SB_C2S_ACT_NONE;
}

/* §4: <a h/> from the client. h may not acknowledge more than was sent:
 * the distance from the last ack, mod 2^32, is at most what is
 * outstanding. */
static enum sb_c2s_action sm_ack(struct sb_c2s *c, struct sb_c2s_env *env,
				 const struct c2s_elem *e)
{
	uint32_t h;

	if (!sm_h_parse(e, &h)) {
		c2s_count(env, SB_C2S_CTR_sm_bad_ack);
		return c2s_stream_error(c, env, SB_C2S_SERR_BAD_FORMAT);
	}
	c2s_count(env, SB_C2S_CTR_sm_acks_in);
	if ((uint32_t)(h - c->sm_acked) > (uint32_t)(c->sm_out - c->sm_acked)) {
		c2s_count(env, SB_C2S_CTR_sm_ack_too_high);
		c2s_stream_error_open(c, env, SB_C2S_SERR_UNDEFINED_CONDITION);
		c2s_puts(env, "<handled-count-too-high xmlns='" C2S_NS_SM "' h='");
		sm_put_u32(env, h);
		c2s_puts(env, "' send-count='");
		sm_put_u32(env, c->sm_out);
		c2s_puts(env, "'/>");
		return c2s_stream_error_close(c, env, SB_C2S_SERR_UNDEFINED_CONDITION);
	}
	if (h == c->sm_acked)
		return SB_C2S_ACT_NONE;
	c->sm_acked = h;
	env->res.sm_h = h;
	return SB_C2S_ACT_SM_ACK;
}

enum sb_c2s_action c2s_sm_element(struct sb_c2s *c, struct sb_c2s_env *env,
				  const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	if (c2s_name_is(h->name, h->name_len, "enable"))
		return sm_enable(c, env);
	if (c2s_name_is(h->name, h->name_len, "resume")) {
		/* §5: no session of ours can be resumed; the client binds. */
		if (c->state != SB_C2S_S_BIND)
			return sm_failed(env, "unexpected-request", SB_C2S_CTR_sm_resume_failed);
		return sm_failed(env, "item-not-found", SB_C2S_CTR_sm_resume_failed);
	}
	if (c->sm & SB_C2S_SM_ENABLED) {
		if (c2s_name_is(h->name, h->name_len, "r")) {
			c2s_count(env, SB_C2S_CTR_sm_requests_in);
			c2s_puts(env, "<a xmlns='" C2S_NS_SM "' h='");
			sm_put_u32(env, c->sm_in);
			c2s_puts(env, "'/>");
			return SB_C2S_ACT_NONE;
		}
		if (c2s_name_is(h->name, h->name_len, "a"))
			return sm_ack(c, env, e);
	}
	/* <r/> or <a/> before <enable/>, or an element XEP-0198 does not
	 * define: not a stanza we take (RFC 6120 §4.9.3.24). */
	c2s_count(env, SB_C2S_CTR_unsupported_stanza_type);
	return c2s_stream_error(c, env, SB_C2S_SERR_UNSUPPORTED_STANZA);
}
