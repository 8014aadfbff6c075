/* SPDX-License-Identifier: BSD-3-Clause
 *
 * STARTTLS in the c2s state machine (RFC 6120 §5): <starttls/> answered
 * with <proceed/> (the glue then runs the handshake) or <failure/> and a
 * close; the REQUIRED policy's gate in front of SASL; the handshake's
 * completion, after STARTTLS or on a direct-TLS connection (XEP-0368). The
 * TLS itself is lib/tls's and the glue's: this file only decides.
 */
#include <errno.h>

#include "c2s_priv.h"

int sb_c2s_tls_policy_parse(const char *s)
{
	static const char *const names[SB_C2S_TLS_POLICY_MAX] = {
		[SB_C2S_TLS_OFF] = "off",
		[SB_C2S_TLS_OPTIONAL] = "optional",
		[SB_C2S_TLS_REQUIRED] = "required",
	};

	for (int i = 0; i < SB_C2S_TLS_POLICY_MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}

enum sb_c2s_action c2s_tls_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	/* §5.4.2.3: proceed, then nothing more in clear from either side. */
	if (c2s_name_is(h->name, h->name_len, "starttls") && c->state == SB_C2S_S_SASL &&
	    env->cfg.tls_policy != SB_C2S_TLS_OFF && !(c->flags & SB_C2S_F_TLS)) {
		c2s_puts(env, "<proceed xmlns='" C2S_NS_TLS "'/>");
		c2s_count(env, SB_C2S_CTR_starttls);
		c->state = SB_C2S_S_TLS_WAIT;
		c->flags &= (uint8_t)~SB_C2S_F_HDR_SENT;
		return SB_C2S_ACT_STARTTLS;
	}
	/* §5.4.2.2: not offered (policy off, already encrypted), inside a
	 * SASL exchange, or not <starttls/> at all: <failure/>, close the
	 * stream and the connection. */
	c2s_count(env, SB_C2S_CTR_starttls_refused);
	c2s_puts(env, "<failure xmlns='" C2S_NS_TLS "'/>");
	return c2s_stream_error(c, env, SB_C2S_SERR_NONE);
}

bool c2s_tls_gate(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
		  enum sb_c2s_action *act)
{
	const struct sb_xml_header *h = e->hdr;

	if (env->cfg.tls_policy != SB_C2S_TLS_REQUIRED || (c->flags & SB_C2S_F_TLS))
		return false;
	c2s_count(env, SB_C2S_CTR_tls_required_refused);
	/* §6.5.4: the SASL answer a client understands, then the stream
	 * error (§4.9.3.14) that ends it: no SASL before TLS. */
	if (c2s_ns_is(e, &h->ns, C2S_NS_SASL) && c2s_name_is(h->name, h->name_len, "auth"))
		c2s_puts(env, "<failure xmlns='" C2S_NS_SASL "'><encryption-required/></failure>");
	env->err_text = "TLS is required: negotiate STARTTLS first";
	*act = c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION);
	env->err_text = NULL;
	return true;
}

enum sb_c2s_action sb_c2s_tls_done(struct sb_c2s *c, struct sb_c2s_env *env)
{
	/* Direct TLS: a fresh connection, nothing received or sent yet. */
	bool direct = c->state == SB_C2S_S_STREAM && c->preauth_elements == 0 &&
		      !(c->flags & (SB_C2S_F_HDR_SENT | SB_C2S_F_TLS | SB_C2S_F_AUTHED));

	c2s_begin(env);
	if (c->state == SB_C2S_S_TLS_WAIT || direct) {
		c->flags |= SB_C2S_F_TLS;
		c->state = SB_C2S_S_STREAM; /* §5.4.3.3: the client opens a new stream */
		c2s_count(env, SB_C2S_CTR_tls_established);
		return SB_C2S_ACT_NONE;
	}
	c2s_count(env, SB_C2S_CTR_bad_state_call);
	if (c->state == SB_C2S_S_CLOSED)
		return SB_C2S_ACT_CLOSE;
	return c2s_finish(c, env, c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR));
}
