/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SASL negotiation (RFC 6120 §6): the <auth/>, <challenge/>, <response/>,
 * <abort/>, <success/> and <failure/> framing around lib/scram's PLAIN
 * (RFC 4616) and SCRAM-SHA-1/-256 (RFC 5802, RFC 7677) state machines. The
 * two slow or remote steps are actions for the glue: the SCRAM credential
 * lookup and the PLAIN password check (a PBKDF2 the control plane runs).
 */
#include <string.h>

#include "c2s_priv.h"

/* -PLUS (RFC 5802 §6) is the same hash mechanism with channel binding:
 * c->mech stays the hash (the control plane looks the credentials up by
 * it), aux->plus says the binding is required. */
static const struct {
	const char *name;
	uint8_t mech;
	bool plus;
	enum sb_c2s_ctr ctr;
} mech_tab[] = {
	{ "PLAIN", SB_C2S_MECH_PLAIN, false, SB_C2S_CTR_sasl_plain },
	{ "SCRAM-SHA-1", SB_C2S_MECH_SCRAM_SHA1, false, SB_C2S_CTR_sasl_scram_sha1 },
	{ "SCRAM-SHA-256", SB_C2S_MECH_SCRAM_SHA256, false, SB_C2S_CTR_sasl_scram_sha256 },
	{ "SCRAM-SHA-1-PLUS", SB_C2S_MECH_SCRAM_SHA1, true, SB_C2S_CTR_sasl_scram_sha1 },
	{ "SCRAM-SHA-256-PLUS", SB_C2S_MECH_SCRAM_SHA256, true, SB_C2S_CTR_sasl_scram_sha256 },
};

static void put_sasl(struct sb_c2s_env *env, const char *name, const uint8_t *data, size_t n)
{
	c2s_puts(env, "<");
	c2s_puts(env, name);
	c2s_puts(env, " xmlns='" C2S_NS_SASL "'>");
	c2s_put_b64(env, data, n);
	c2s_puts(env, "</");
	c2s_puts(env, name);
	c2s_puts(env, ">");
}

/* RFC 6120 §6.4.5: <failure/> with a condition of §6.5, the exchange
 * ended; not counted as an auth failure (see fail()). */
static void refuse(struct sb_c2s *c, struct sb_c2s_env *env, const char *cond,
		   enum sb_c2s_ctr ctr)
{
	c2s_count(env, ctr);
	c2s_aux_put(c, env);
	c->state = SB_C2S_S_SASL;
	c2s_puts(env, "<failure xmlns='" C2S_NS_SASL "'><");
	c2s_puts(env, cond);
	c2s_puts(env, "/></failure>");
}

/* RFC 6120 §6.4.5: <failure/> with a condition of §6.5; every failure
 * (aborts included) counts towards max_auth_attempts, after which the
 * stream is closed with <policy-violation/> (§6.4.5 allows a configurable
 * number of retries). */
static enum sb_c2s_action fail(struct sb_c2s *c, struct sb_c2s_env *env, const char *cond,
			       enum sb_c2s_ctr ctr)
{
	refuse(c, env, cond, ctr);
	if (c->auth_failures < UINT8_MAX)
		c->auth_failures++;
	if (c->auth_failures >= env->cfg.max_auth_attempts) {
		c2s_count(env, SB_C2S_CTR_sasl_max_attempts);
		return c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION);
	}
	return SB_C2S_ACT_NONE;
}

static enum sb_c2s_action fail_scram(struct sb_c2s *c, struct sb_c2s_env *env,
				     enum sb_scram_result r)
{
	switch (r) {
	case SB_SCRAM_ERR_AUTHZID:
		return fail(c, env, "invalid-authzid", SB_C2S_CTR_sasl_fail_invalid_authzid);
	case SB_SCRAM_ERR_CB_NOT_SUPPORTED:
		if (c->aux != NULL && c->aux->plus) {
			/* A -PLUS attempt with a binding type we lack (tls-unique:
			 * none under TLS 1.3) is a negotiation answer, not a bad
			 * password: no auth failure (max attempts, address ban);
			 * the pre-auth element limit bounds the retries. */
			c->flags |= SB_C2S_F_CB_REFUSED;
			refuse(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_cb_type);
			return SB_C2S_ACT_NONE;
		}
		return fail(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_malformed_request);
	case SB_SCRAM_ERR_MALFORMED:
	case SB_SCRAM_ERR_TOO_LONG:
	case SB_SCRAM_ERR_EXTENSION:
	case SB_SCRAM_ERR_STATE:
		return fail(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_malformed_request);
	case SB_SCRAM_ERR_CB_DOWNGRADE:
		/* RFC 5802 §6: someone removed -PLUS from what the client saw. */
		return fail(c, env, "not-authorized", SB_C2S_CTR_sasl_fail_cb_downgrade);
	case SB_SCRAM_ERR_CREDS:
	case SB_SCRAM_ERR_INTERNAL:
		return fail(c, env, "temporary-auth-failure", SB_C2S_CTR_sasl_fail_temporary);
	default:
		/* USERNAME, CB_MISMATCH, NONCE, PROOF: one answer, so that a bad
		 * name cannot be told from a bad password (RFC 6120 §6.5.10). */
		return fail(c, env, "not-authorized", SB_C2S_CTR_sasl_fail_not_authorized);
	}
}

/* The authentication identity for the glue: username and bare JID. */
static void res_user(struct sb_c2s *c, struct sb_c2s_env *env)
{
	const struct sb_scram_user *u = &c->aux->user;
	char *b = env->scratch->bare;

	memcpy(b, u->name, u->len);
	b[u->len] = '@';
	memcpy(b + u->len + 1, env->cfg.domain, env->cfg.domain_len);
	b[u->len + 1u + env->cfg.domain_len] = '\0';
	env->res.user = u->name;
	env->res.user_len = u->len;
	env->res.bare = b;
	env->res.bare_len = u->len + 1u + env->cfg.domain_len;
	env->res.mech = c->mech;
}

/* The initial response (from <auth/> or, after an empty challenge, from the
 * first <response/>): RFC 6120 §6.4.2. */
static enum sb_c2s_action initial(struct sb_c2s *c, struct sb_c2s_env *env, const uint8_t *msg,
				  size_t n)
{
	const struct sb_c2s_config *cfg = &env->cfg;
	struct sb_scram_plain pl;
	struct sb_scram_cbind cb;
	enum sb_scram_result r;
	bool have_cb;

	if (c->mech == SB_C2S_MECH_PLAIN) {
		env->scratch_secret = true; /* msg holds the password, refused or not */
		r = sb_scram_plain_parse((const char *)msg, n, cfg->domain, cfg->domain_len, &pl);
		if (r != SB_SCRAM_OK)
			return fail_scram(c, env, r);
		c->aux->user = pl.user;
		res_user(c, env);
		env->res.passwd = pl.passwd;
		env->res.passwd_len = pl.passwd_len;
		c->state = SB_C2S_S_SASL_VERIFY;
		return SB_C2S_ACT_AUTH_PLAIN_VERIFY;
	}
	have_cb = c2s_cbind(c, env, &cb);
	r = sb_scram_server_start_cb(&c->aux->u.scram, (enum sb_scram_mech)c->mech, c->aux->plus,
				     have_cb ? &cb : NULL, cfg->domain, cfg->domain_len,
				     (const char *)msg, n, &c->aux->user);
	if (r != SB_SCRAM_OK)
		return fail_scram(c, env, r);
	res_user(c, env);
	c->state = SB_C2S_S_SASL_LOOKUP;
	return SB_C2S_ACT_AUTH_LOOKUP;
}

/* Base64 character data of a SASL element (RFC 6120 §6.4.2: "=" is an
 * empty response, no content is no response). Returns 1 with data in
 * scratch->sasl, 0 for no content, or a negative value after writing the
 * failure. */
static int payload(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
		   size_t *n, enum sb_c2s_action *act)
{
	bool empty;
	size_t s = c2s_stag_end(e, &empty), t;
	int w;

	if (empty)
		return 0;
	for (t = s; t < e->len && e->p[t] != '<' && e->p[t] != '&'; t++)
		;
	/* The first markup must be the end tag: no child, no reference, no
	 * CDATA in base64 text. */
	if (t >= e->len || e->p[t] != '<' || t + 1 >= e->len || e->p[t + 1] != '/') {
		*act = fail(c, env, "incorrect-encoding", SB_C2S_CTR_sasl_fail_incorrect_encoding);
		return -1;
	}
	if (t == s)
		return 0;
	if (t - s == 1 && e->p[s] == '=') {
		*n = 0;
		return 1;
	}
	w = sb_scram_b64_decode((const char *)e->p + s, t - s, env->scratch->sasl,
				sizeof(env->scratch->sasl));
	if (w < 0) {
		*act = fail(c, env, "incorrect-encoding", SB_C2S_CTR_sasl_fail_incorrect_encoding);
		return -1;
	}
	*n = (size_t)w;
	return 1;
}

static enum sb_c2s_action auth(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e)
{
	const uint8_t *mv;
	size_t mn, i, n = 0;
	enum sb_c2s_action act = SB_C2S_ACT_NONE;
	int have;

	c2s_count(env, SB_C2S_CTR_sasl_auth);
	if (c->state != SB_C2S_S_SASL) /* a second <auth/> inside an exchange */
		return fail(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_malformed_request);
	if (!c2s_attr_raw(e, "mechanism", &mv, &mn))
		return fail(c, env, "invalid-mechanism", SB_C2S_CTR_sasl_fail_invalid_mechanism);
	for (i = 0; i < sizeof(mech_tab) / sizeof(mech_tab[0]); i++)
		if (strlen(mech_tab[i].name) == mn && memcmp(mech_tab[i].name, mv, mn) == 0)
			break;
	if (i == sizeof(mech_tab) / sizeof(mech_tab[0]) ||
	    !(env->cfg.mechs & SB_C2S_MECH_BIT(mech_tab[i].mech)))
		return fail(c, env, "invalid-mechanism", SB_C2S_CTR_sasl_fail_invalid_mechanism);
	if (mech_tab[i].plus) {
		struct sb_scram_cbind cb;

		/* -PLUS only where it was offered. */
		if (!c2s_cbind(c, env, &cb))
			return fail(c, env, "invalid-mechanism",
				    SB_C2S_CTR_sasl_fail_invalid_mechanism);
		c2s_count(env, SB_C2S_CTR_sasl_scram_plus);
	}
	c2s_count(env, mech_tab[i].ctr);
	/* PLAIN sends the password itself: not offered, and refused, on a
	 * stream without TLS unless the operator allows it (§6.5.4). */
	if (mech_tab[i].mech == SB_C2S_MECH_PLAIN && !c2s_plain_ok(c, env))
		return fail(c, env, "encryption-required", SB_C2S_CTR_sasl_fail_encryption_required);
	c->mech = mech_tab[i].mech;
	have = payload(c, env, e, &n, &act);
	if (have < 0)
		return act;
	if (c->aux == NULL) {
		c->aux = env->aux_alloc(env->cb_arg);
		if (c->aux == NULL) {
			c2s_count(env, SB_C2S_CTR_aux_pool_empty);
			return fail(c, env, "temporary-auth-failure",
				    SB_C2S_CTR_sasl_fail_temporary);
		}
	}
	memset(c->aux, 0, sizeof(*c->aux));
	c->aux->plus = mech_tab[i].plus;
	if (have == 0) {
		/* §6.4.2: no initial response: an empty challenge asks for it. */
		c2s_puts(env, "<challenge xmlns='" C2S_NS_SASL "'/>");
		c->state = SB_C2S_S_SASL_INITIAL;
		return SB_C2S_ACT_NONE;
	}
	return initial(c, env, env->scratch->sasl, n);
}

/* RFC 6120 §6.4.6: success, then the client restarts the stream. The aux
 * object keeps the username for binding; the SCRAM keys are wiped. */
static enum sb_c2s_action authed(struct sb_c2s *c, struct sb_c2s_env *env)
{
	sb_scram_server_reset(&c->aux->u.scram);
	c2s_count(env, SB_C2S_CTR_sasl_success);
	c->flags |= SB_C2S_F_AUTHED;
	c->flags &= (uint8_t)~SB_C2S_F_HDR_SENT;
	c->state = SB_C2S_S_STREAM_AUTHED;
	return SB_C2S_ACT_RESTART;
}

static enum sb_c2s_action response(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e)
{
	enum sb_c2s_action act = SB_C2S_ACT_NONE;
	enum sb_scram_result r;
	size_t n = 0, out_len = 0;
	int have;

	if (c->state == SB_C2S_S_SASL)
		return fail(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_malformed_request);
	have = payload(c, env, e, &n, &act);
	if (have < 0)
		return act;
	if (c->state == SB_C2S_S_SASL_INITIAL) {
		if (have == 0)
			return fail(c, env, "malformed-request", SB_C2S_CTR_sasl_fail_malformed_request);
		return initial(c, env, env->scratch->sasl, n);
	}
	r = sb_scram_server_final(&c->aux->u.scram, (const char *)env->scratch->sasl, n,
				  env->scratch->text, sizeof(env->scratch->text), &out_len);
	if (r != SB_SCRAM_OK)
		return fail_scram(c, env, r);
	/* §6.4.6: the server-final-message rides as additional data. */
	put_sasl(env, "success", (const uint8_t *)env->scratch->text, out_len);
	return authed(c, env);
}

enum sb_c2s_action c2s_sasl_element(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;
	enum sb_c2s_action act;

	if (c2s_ns_is(e, &h->ns, C2S_NS_TLS))
		return c2s_tls_element(c, env, e);
	if (c2s_tls_gate(c, env, e, &act))
		return act;
	/* XEP-0077 §3.1: the one stanza taken before authentication. */
	if (c->state == SB_C2S_S_SASL && c2s_reg_is(e))
		return c2s_reg_element(c, env, e);
	if (!c2s_ns_is(e, &h->ns, C2S_NS_SASL)) {
		/* §6.4 / §4.9.3.12: nothing but SASL before authentication. */
		c2s_count(env, SB_C2S_CTR_not_authorized);
		return c2s_stream_error(c, env, SB_C2S_SERR_NOT_AUTHORIZED);
	}
	if (c2s_name_is(h->name, h->name_len, "auth"))
		return auth(c, env, e);
	if (c2s_name_is(h->name, h->name_len, "response"))
		return response(c, env, e);
	if (c2s_name_is(h->name, h->name_len, "abort")) /* §6.4.4 */
		return fail(c, env, "aborted", SB_C2S_CTR_sasl_aborted);
	c2s_count(env, SB_C2S_CTR_not_authorized);
	return c2s_stream_error(c, env, SB_C2S_SERR_NOT_AUTHORIZED);
}

/* Entry checks shared by the two asynchronous answers. */
static bool expect_state(struct sb_c2s *c, struct sb_c2s_env *env, uint8_t state,
			 enum sb_c2s_action *act)
{
	c2s_begin(env);
	if (c->state == state && c->aux != NULL)
		return true;
	c2s_count(env, SB_C2S_CTR_bad_state_call);
	*act = c->state == SB_C2S_S_CLOSED ? SB_C2S_ACT_CLOSE : SB_C2S_ACT_NONE;
	return false;
}

enum sb_c2s_action sb_c2s_credentials(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct sb_scram_creds *creds)
{
	struct sb_scram_creds fake;
	enum sb_c2s_action act;
	enum sb_scram_result r;
	size_t n = 0;

	if (!expect_state(c, env, SB_C2S_S_SASL_LOOKUP, &act))
		return act;
	if (creds == NULL) {
		/* RFC 5802 §9: an unknown user gets a stable fake salt and fails
		 * at the proof, like a wrong password. */
		c2s_count(env, SB_C2S_CTR_sasl_unknown_user);
		if (sb_scram_credentials_fake((enum sb_scram_mech)c->mech, env->cfg.fake_secret,
					      sizeof(env->cfg.fake_secret), c->aux->user.name,
					      c->aux->user.len, &fake) != 0)
			return c2s_finish(c, env, fail(c, env, "temporary-auth-failure",
						       SB_C2S_CTR_sasl_fail_temporary));
		fake.iterations = env->cfg.fake_iterations;
		creds = &fake;
	}
	r = sb_scram_server_first(&c->aux->u.scram, creds, env->scratch->text,
				  sizeof(env->scratch->text), &n);
	if (creds == &fake)
		memset(&fake, 0, sizeof(fake));
	if (r != SB_SCRAM_OK)
		return c2s_finish(c, env, fail_scram(c, env, r));
	put_sasl(env, "challenge", (const uint8_t *)env->scratch->text, n);
	c->state = SB_C2S_S_SASL_FINAL;
	return c2s_finish(c, env, SB_C2S_ACT_NONE);
}

enum sb_c2s_action sb_c2s_plain_result(struct sb_c2s *c, struct sb_c2s_env *env, bool ok)
{
	enum sb_c2s_action act;

	if (!expect_state(c, env, SB_C2S_S_SASL_VERIFY, &act))
		return act;
	if (!ok)
		return c2s_finish(c, env, fail(c, env, "not-authorized",
					       SB_C2S_CTR_sasl_fail_not_authorized));
	c2s_puts(env, "<success xmlns='" C2S_NS_SASL "'/>");
	return c2s_finish(c, env, authed(c, env));
}
