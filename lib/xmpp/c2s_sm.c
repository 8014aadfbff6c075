/* SPDX-License-Identifier: BSD-3-Clause
 *
 * XEP-0198 (v1.6) stream management nonzas: <enable/>, <r/>, <a/> and
 * <resume/> in urn:xmpp:sm:3, after authentication. The counters live in
 * struct sb_c2s (sm_in, sm_out, sm_acked: 12 bytes); acks cost one compare
 * and a short write, so a client that asks after every stanza (Dino) pays
 * nearly nothing. What the glue keeps for unacknowledged stanzas, and what
 * becomes of it, is the glue's (dataplane/xmpp/xc_sm.c).
 */
#include <stddef.h>
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

/* Whether attribute name is 'true' or '1' (xs:boolean). */
static bool sm_attr_true(const struct c2s_elem *e, const char *name)
{
	const uint8_t *v;
	size_t n;

	return c2s_attr_raw(e, name, &v, &n) &&
	       ((n == 4 && memcmp(v, "true", 4) == 0) || (n == 1 && v[0] == '1'));
}

/* The window granted: the client's max (§5: a preference) within the
 * ceiling; the ceiling when it gives none or an unreadable one. */
static uint32_t sm_window(const struct c2s_elem *e, const struct sb_c2s_env *env)
{
	uint32_t max;
	const uint8_t *v;
	size_t n;

	if (!c2s_attr_raw(e, "max", &v, &n) || n == 0 || n > 9)
		return env->cfg.sm_max_resume_s;
	max = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return env->cfg.sm_max_resume_s;
		max = max * 10u + (uint32_t)(v[i] - '0');
	}
	return max == 0 || max > env->cfg.sm_max_resume_s ? env->cfg.sm_max_resume_s : max;
}

/* §3: enable after bind, once per stream. */
static enum sb_c2s_action sm_enable(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e)
{
	uint8_t *id = env->scratch->sasl; /* free after SASL; the glue copies it */
	bool resume = env->cfg.sm_max_resume_s != 0 && sm_attr_true(e, "resume");

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
	if (c2s_random(env, id, SB_C2S_SM_ID_RAW) != 0) {
		c2s_count(env, SB_C2S_CTR_random_failed);
		return sm_failed(env, "internal-server-error", SB_C2S_CTR_sm_enable_failed);
	}
	c->sm = SB_C2S_SM_ENABLED;
	c->sm_in = c->sm_out = c->sm_acked = 0;
	c2s_count(env, SB_C2S_CTR_sm_enabled);
	/* §5: the id is all a client needs to take the session over, so it
	 * is 128 CSPRNG bits, never derived from anything it could know. */
	c2s_puts(env, "<enabled xmlns='" C2S_NS_SM "' id='");
	c2s_put_hex(env, id, SB_C2S_SM_ID_RAW);
	if (!resume) {
		c2s_puts(env, "'/>");
		return SB_C2S_ACT_NONE;
	}
	c->sm |= SB_C2S_SM_RESUMABLE;
	env->res.sm_id = id;
	env->res.sm_max = sm_window(e, env);
	c2s_puts(env, "' resume='true' max='");
	sm_put_u32(env, env->res.sm_max);
	c2s_puts(env, "'/>");
	return SB_C2S_ACT_SM_ENABLED;
}

static int sm_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* §5: <resume previd h/> after SASL, before bind. */
static enum sb_c2s_action sm_resume(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e)
{
	struct sb_c2s_aux *a = c->aux;
	char *bare = env->scratch->bare;
	const uint8_t *v;
	size_t n;
	uint32_t h;

	if (c->state != SB_C2S_S_BIND || a == NULL)
		return sm_failed(env, "unexpected-request", SB_C2S_CTR_sm_resume_failed);
	if (!sm_h_parse(e, &h)) {
		c2s_count(env, SB_C2S_CTR_sm_bad_ack);
		return c2s_stream_error(c, env, SB_C2S_SERR_BAD_FORMAT);
	}
	/* An id we could not have issued names no session. */
	if (env->cfg.sm_max_resume_s == 0 || !c2s_attr_raw(e, "previd", &v, &n) ||
	    n != 2 * SB_C2S_SM_ID_RAW)
		return sm_failed(env, "item-not-found", SB_C2S_CTR_sm_resume_failed);
	for (size_t i = 0; i < SB_C2S_SM_ID_RAW; i++) {
		int hi = sm_hex(v[2 * i]), lo = sm_hex(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return sm_failed(env, "item-not-found", SB_C2S_CTR_sm_resume_failed);
		a->u.resume.id[i] = (uint8_t)(hi << 4 | lo);
	}
	a->u.resume.h = h;
	memcpy(bare, a->user.name, a->user.len);
	bare[a->user.len] = '@';
	memcpy(bare + a->user.len + 1, env->cfg.domain, env->cfg.domain_len);
	bare[a->user.len + 1 + env->cfg.domain_len] = '\0';
	env->res.bare = bare;
	env->res.bare_len = a->user.len + 1u + env->cfg.domain_len;
	env->res.sm_id = a->u.resume.id;
	env->res.sm_h = h;
	c2s_count(env, SB_C2S_CTR_sm_resume_asked);
	c->state = SB_C2S_S_RESUME_WAIT;
	return SB_C2S_ACT_SM_RESUME;
}

enum sb_c2s_action sb_c2s_resume_result(struct sb_c2s *c, struct sb_c2s_env *env, bool ok,
					const char *jid, size_t len, uint32_t h_in, bool h_known)
{
	const char *slash = jid != NULL && len <= UINT16_MAX ? memchr(jid, '/', len) : NULL;
	struct sb_c2s_aux *a = c->aux;

	c2s_begin(env);
	if (c->state != SB_C2S_S_RESUME_WAIT || a == NULL) {
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		return c->state == SB_C2S_S_CLOSED ? SB_C2S_ACT_CLOSE : SB_C2S_ACT_NONE;
	}
	if (!ok || slash == NULL || slash == jid) {
		c->state = SB_C2S_S_BIND;
		c2s_count(env, SB_C2S_CTR_sm_resume_failed);
		c2s_puts(env, "<failed xmlns='" C2S_NS_SM "'");
		if (h_known) {
			c2s_puts(env, " h='");
			sm_put_u32(env, h_in);
			c2s_puts(env, "'");
		}
		c2s_puts(env, "><item-not-found xmlns='" C2S_NS_STANZAS "'/></failed>");
		return c2s_finish(c, env, SB_C2S_ACT_NONE);
	}
	c2s_puts(env, "<resumed xmlns='" C2S_NS_SM "' previd='");
	c2s_put_hex(env, a->u.resume.id, SB_C2S_SM_ID_RAW);
	c2s_puts(env, "' h='");
	sm_put_u32(env, h_in);
	c2s_puts(env, "'/>");
	c->jid = jid;
	c->jid_len = (uint16_t)len;
	c->bare_len = (uint16_t)(slash - jid);
	c->sm = SB_C2S_SM_ENABLED | SB_C2S_SM_RESUMABLE;
	c->sm_in = h_in;
	c->sm_out = c->sm_acked = a->u.resume.h;
	c2s_aux_put(c, env);
	c->state = SB_C2S_S_BOUND;
	c2s_count(env, SB_C2S_CTR_sm_resumed);
	return c2s_finish(c, env, SB_C2S_ACT_NONE);
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

size_t sb_c2s_sm_ack_write(uint8_t *buf, uint32_t h)
{
	static const char head[] = "<a xmlns='" C2S_NS_SM "' h='";
	char d[10];
	size_t i = sizeof(d), n = sizeof(head) - 1;

	memcpy(buf, head, n);
	do {
		d[--i] = (char)('0' + h % 10u);
		h /= 10u;
	} while (h != 0);
	memcpy(buf + n, d + i, sizeof(d) - i);
	n += sizeof(d) - i;
	memcpy(buf + n, "'/>", 3);
	return n + 3;
}

enum sb_c2s_action c2s_sm_element(struct sb_c2s *c, struct sb_c2s_env *env,
				  const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	if (c2s_name_is(h->name, h->name_len, "enable"))
		return sm_enable(c, env, e);
	if (c2s_name_is(h->name, h->name_len, "resume"))
		return sm_resume(c, env, e);
	if (c->sm & SB_C2S_SM_ENABLED) {
		if (c2s_name_is(h->name, h->name_len, "r")) {
			c2s_count(env, SB_C2S_CTR_sm_requests_in);
			if (env->cfg.sm_ack_promise)
				return SB_C2S_ACT_SM_REQUEST;
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
