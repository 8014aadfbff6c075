/* SPDX-License-Identifier: BSD-3-Clause
 *
 * In-band registration (XEP-0077 v2.4) as far as the stream goes: the form
 * (§3.1 get), the parse and checks of a submission before it reaches the
 * control plane (username normalised like a SASL identity, password and
 * invite token bounded), password change (§3.3) and cancellation (§3.2) by
 * a bound user of their own account, and the answer once sb-control has
 * decided (SB_C2S_ACT_REGISTER, sb_c2s_register_result()).
 *
 * Before authentication only one registration iq is in flight (the stream
 * waits, like a SASL step); the pre-auth element and byte limits bound how
 * often a connection may try, and the per-address rate limit, the invite
 * token and the conflict check are the control plane's (control/router/
 * register.c). A password travels in a submission, so registration is
 * offered and taken only where PLAIN is (TLS, or xmpp.plain_without_tls).
 */
#include <string.h>

#include "c2s_priv.h"

/* What a submission carried; text in scratch (password and token in the
 * wiped sasl buffer). */
struct reg_form {
	const char *user;      /* raw decoded <username/>, NULL if absent */
	size_t user_len;
	const char *pass;
	size_t pass_len;
	const char *key;
	size_t key_len;
	bool remove;
};

bool c2s_reg_is(const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	return c2s_name_is(h->name, h->name_len, "iq") && c2s_ns_is(e, &h->ns, C2S_NS_CLIENT) &&
	       c2s_name_is(h->child_name, h->child_name_len, "query") &&
	       c2s_ns_is(e, &h->child_ns, C2S_NS_REGISTER);
}

static size_t skip_ws(const uint8_t *p, size_t i, size_t len)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

static enum sb_c2s_action reg_error(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e, const char *etype,
				    const char *cond, enum sb_c2s_ctr ctr)
{
	c2s_count(env, ctr);
	if (c->state == SB_C2S_S_BOUND)
		c2s_sm_sent(c);
	c2s_put_stanza_error(c, env, e, env->cfg.domain, env->cfg.domain_len, etype, cond);
	return SB_C2S_ACT_NONE;
}

/* One child of <query/> at p[i] ('<'): its name, and its text decoded into
 * buf[0..cap). Returns the index after its end tag, or 0 when it is not a
 * simple text element in the register namespace (a child of its own,
 * CDATA, a value too long). *skip: a foreign element to ignore. */
static size_t reg_child(const uint8_t *p, size_t i, size_t len, const char **name,
			size_t *name_len, char *buf, size_t cap, long *text, bool *skip)
{
	const uint8_t *ns;
	size_t s, t, nl, ns_len;
	bool empty;
	int w;

	*skip = false;
	*text = 0;
	for (nl = 0; i + 1 + nl < len; nl++) {
		uint8_t ch = p[i + 1 + nl];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '/' || ch == '>')
			break;
	}
	*name = (const char *)p + i + 1;
	*name_len = nl;
	s = sb_xml_walk_tag_end(p, i, len, &empty);
	if (s >= len || nl == 0)
		return 0;
	if (sb_xml_walk_attr(p + i, s - i, "xmlns", &ns, &ns_len) &&
	    !(ns_len == sizeof(C2S_NS_REGISTER) - 1 && memcmp(ns, C2S_NS_REGISTER, ns_len) == 0))
		*skip = true; /* another namespace's element (a data form): not ours */
	if (empty)
		return s;
	t = sb_xml_walk_find(p, s, len, "<");
	if (t + 1 >= len || p[t + 1] != '/') {
		if (!*skip)
			return 0;
		/* Skip a foreign subtree by its end tag name. */
		while (t + 1 < len) {
			t = sb_xml_walk_find(p, t + 1, len, "</");
			if (t + 2 + nl < len && memcmp(p + t + 2, *name, nl) == 0 &&
			    (p[t + 2 + nl] == '>' || p[t + 2 + nl] == ' '))
				return sb_xml_walk_find(p, t, len, ">") + 1;
		}
		return 0;
	}
	if (!*skip) {
		w = sb_xml_value_decode(p + s, t - s, (uint8_t *)buf, cap);
		if (w < 0)
			return 0;
		*text = w;
	}
	t = sb_xml_walk_find(p, t, len, ">");
	return t < len ? t + 1 : 0;
}

/* The fields of <query/> (XEP-0077 §14.1: username, password, key and
 * remove; others are ignored). false: malformed or a field twice. */
static bool reg_parse(struct sb_c2s_env *env, const struct c2s_elem *e, struct reg_form *f)
{
	struct sb_c2s_scratch *sc = env->scratch;
	const uint8_t *p = e->p;
	size_t len = e->len, i, nl, used = 0;
	const char *name;
	bool empty, skip;
	long text;

	memset(f, 0, sizeof(*f));
	i = skip_ws(p, c2s_stag_end(e, &empty), len); /* the iq's start tag */
	if (empty || i >= len || p[i] != '<')
		return false;
	i = sb_xml_walk_tag_end(p, i, len, &empty); /* <query ...> */
	if (empty)
		return true;
	env->scratch_secret = true; /* a password may land in sc->sasl */
	for (;;) {
		char *buf = (char *)sc->sasl + used;
		size_t cap = sizeof(sc->sasl) - used;

		i = skip_ws(p, i, len);
		if (i + 1 >= len || p[i] != '<')
			return false;
		if (p[i + 1] == '/')
			return true; /* </query> */
		i = reg_child(p, i, len, &name, &nl, buf, cap, &text, &skip);
		if (i == 0)
			return false;
		if (skip)
			continue;
		if (nl == 8 && memcmp(name, "username", 8) == 0) {
			if (f->user != NULL || (size_t)text >= sizeof(sc->text))
				return false;
			memcpy(sc->text, buf, (size_t)text);
			f->user = sc->text;
			f->user_len = (size_t)text;
		} else if (nl == 8 && memcmp(name, "password", 8) == 0) {
			if (f->pass != NULL)
				return false;
			f->pass = buf;
			f->pass_len = (size_t)text;
			used += (size_t)text;
		} else if (nl == 3 && memcmp(name, "key", 3) == 0) {
			if (f->key != NULL || (size_t)text > SB_C2S_REG_TOKEN_MAX)
				return false;
			f->key = buf;
			f->key_len = (size_t)text;
			used += (size_t)text;
		} else if (nl == 6 && memcmp(name, "remove", 6) == 0) {
			f->remove = true;
		}
	}
}

/* The form (§3.1): what a new account needs; for a bound user, that they
 * are registered (§3.2.1's <registered/>) and as whom. */
static enum sb_c2s_action reg_form(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e)
{
	bool bound = c->state == SB_C2S_S_BOUND;

	c2s_count(env, SB_C2S_CTR_iqreg_form);
	if (bound)
		c2s_sm_sent(c);
	c2s_put_iq_result_open(c, env, e, true);
	c2s_puts(env, "><query xmlns='" C2S_NS_REGISTER "'>");
	if (bound) {
		const char *at = memchr(c->jid, '@', c->bare_len);

		c2s_puts(env, "<registered/><username>");
		c2s_put_esc(env, c->jid, at != NULL ? (size_t)(at - c->jid) : 0);
		c2s_puts(env, "</username><password/>");
	} else {
		c2s_puts(env, "<instructions>Choose a username and password");
		c2s_puts(env, env->cfg.reg_token ? "; the invite token goes in the key field."
						 : ".");
		c2s_puts(env, "</instructions><username/><password/>");
		if (env->cfg.reg_token)
			c2s_puts(env, "<key/>");
	}
	c2s_puts(env, "</query></iq>");
	return SB_C2S_ACT_NONE;
}

/* The username as an account name: a localpart normalised like a SASL
 * identity (PRECIS UsernameCaseMapped, RFC 7622 §3.3.1), so the name
 * registered is the name a login finds; then res.user and res.bare. */
static bool reg_user(struct sb_c2s_env *env, const char *u, size_t n)
{
	char *b = env->scratch->bare;
	size_t out = 0;
	enum sb_jid_reason why;

	if (n == 0 || sb_jid_local_normalise(u, n, b, SB_SCRAM_USER_MAX + 1, &out, &why) < 0 ||
	    out == 0 || out > SB_SCRAM_USER_MAX)
		return false;
	b[out] = '@';
	memcpy(b + out + 1, env->cfg.domain, env->cfg.domain_len);
	b[out + 1 + env->cfg.domain_len] = '\0';
	env->res.user = b;
	env->res.user_len = out;
	env->res.bare = b;
	env->res.bare_len = out + 1u + env->cfg.domain_len;
	return true;
}

/* The bound user's own account: res.user/res.bare from the bound JID; a
 * <username/>, if given, must name it (§3.3). */
static bool reg_self(struct sb_c2s *c, struct sb_c2s_env *env, const struct reg_form *f)
{
	char *b = env->scratch->bare;
	const char *at = memchr(c->jid, '@', c->bare_len);
	size_t ul = at != NULL ? (size_t)(at - c->jid) : 0;
	char norm[SB_SCRAM_USER_MAX + 1];
	size_t nn = 0;
	enum sb_jid_reason why;

	if (ul == 0 || c->bare_len >= sizeof(env->scratch->bare))
		return false;
	if (f->user != NULL &&
	    (sb_jid_local_normalise(f->user, f->user_len, norm, sizeof(norm), &nn, &why) < 0 ||
	     nn != ul || memcmp(norm, c->jid, ul) != 0))
		return false;
	memcpy(b, c->jid, c->bare_len);
	b[c->bare_len] = '\0';
	env->res.user = b;
	env->res.user_len = ul;
	env->res.bare = b;
	env->res.bare_len = c->bare_len;
	return true;
}

/* Keep the iq's id for the answer and wait for sb-control. */
static enum sb_c2s_action reg_issue(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e, uint8_t op)
{
	const uint8_t *id;
	size_t id_len = 0;

	if (!c2s_span_raw(e, &e->hdr->id, &id, &id_len) || id_len > SB_C2S_BIND_ID_MAX)
		return reg_error(c, env, e, "modify", "bad-request", SB_C2S_CTR_iqreg_bad_request);
	if (c->aux == NULL)
		c->aux = env->aux_alloc(env->cb_arg);
	if (c->aux == NULL) {
		c2s_count(env, SB_C2S_CTR_aux_pool_empty);
		return reg_error(c, env, e, "wait", "resource-constraint",
				 SB_C2S_CTR_iqreg_refused);
	}
	memset(c->aux, 0, sizeof(*c->aux));
	c->aux->bind_has_id = 1;
	c->aux->bind_id_len = (uint16_t)id_len;
	c->aux->bind_id_quote = id[-1];
	c->aux->reg_op = op;
	memcpy(c->aux->u.bind_id, id, id_len);
	env->res.reg_op = op;
	c->state = SB_C2S_S_REG_WAIT;
	c2s_count(env, op == SB_C2S_REG_CREATE   ? SB_C2S_CTR_iqreg_create
		       : op == SB_C2S_REG_PASSWD ? SB_C2S_CTR_iqreg_passwd
						 : SB_C2S_CTR_iqreg_remove);
	return SB_C2S_ACT_REGISTER;
}

static enum sb_c2s_action reg_submit(struct sb_c2s *c, struct sb_c2s_env *env,
				     const struct c2s_elem *e)
{
	bool bound = c->state == SB_C2S_S_BOUND;
	struct reg_form f;

	if (!reg_parse(env, e, &f))
		return reg_error(c, env, e, "modify", "bad-request", SB_C2S_CTR_iqreg_bad_request);
	if (f.remove) {
		/* §3.2: only an authenticated user cancels, their own account. */
		if (!bound || !reg_self(c, env, &f))
			return reg_error(c, env, e, "auth", "not-authorized",
					 SB_C2S_CTR_iqreg_not_authorized);
		return reg_issue(c, env, e, SB_C2S_REG_REMOVE);
	}
	if (f.pass == NULL || f.pass_len == 0 || f.pass_len > SB_SCRAM_PASS_MAX)
		return reg_error(c, env, e, "modify", "not-acceptable",
				 SB_C2S_CTR_iqreg_not_acceptable);
	if (bound) {
		if (!reg_self(c, env, &f))
			return reg_error(c, env, e, "auth", "not-authorized",
					 SB_C2S_CTR_iqreg_not_authorized);
		env->res.passwd = f.pass;
		env->res.passwd_len = f.pass_len;
		return reg_issue(c, env, e, SB_C2S_REG_PASSWD);
	}
	if (f.user == NULL || !reg_user(env, f.user, f.user_len))
		return reg_error(c, env, e, "modify", "not-acceptable",
				 SB_C2S_CTR_iqreg_not_acceptable);
	env->res.passwd = f.pass;
	env->res.passwd_len = f.pass_len;
	env->res.token = f.key;
	env->res.token_len = f.key_len;
	return reg_issue(c, env, e, SB_C2S_REG_CREATE);
}

enum sb_c2s_action c2s_reg_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e)
{
	char type[8];
	long tn = c2s_span_value(e, &e->hdr->type, type, sizeof(type));
	bool get = tn == 3 && memcmp(type, "get", 3) == 0;
	bool set = tn == 3 && memcmp(type, "set", 3) == 0;

	if (tn == 5 && memcmp(type, "error", 5) == 0) {
		c2s_count(env, SB_C2S_CTR_error_stanza_not_answered);
		return SB_C2S_ACT_NONE; /* RFC 6120 §8.3.1 */
	}
	if (tn == 6 && memcmp(type, "result", 6) == 0) {
		/* We asked nothing in jabber:iq:register: nothing to take. */
		c2s_count(env, SB_C2S_CTR_iqreg_bad_request);
		return SB_C2S_ACT_NONE;
	}
	if (!env->cfg.reg)
		return reg_error(c, env, e, "cancel", "service-unavailable",
				 SB_C2S_CTR_iqreg_disabled);
	if (!get && !set)
		return reg_error(c, env, e, "modify", "bad-request", SB_C2S_CTR_iqreg_bad_request);
	/* A password must not cross an unencrypted stream unless the
	 * operator allows PLAIN there (RFC 6120 §13.8, XEP-0077 §10): before
	 * authentication not even the form is given (it is not offered). */
	if (!c2s_reg_ok(c, env) && (set || c->state != SB_C2S_S_BOUND))
		return reg_error(c, env, e, "modify", "policy-violation",
				 SB_C2S_CTR_iqreg_encryption_required);
	return get ? reg_form(c, env, e) : reg_submit(c, env, e);
}

enum sb_c2s_action sb_c2s_register_result(struct sb_c2s *c, struct sb_c2s_env *env,
					  enum sb_c2s_reg_status st)
{
	static const char *const cond[SB_C2S_REG_STATUS_MAX][2] = {
		[SB_C2S_REG_CONFLICT] = { "cancel", "conflict" },
		[SB_C2S_REG_NOT_ACCEPTABLE] = { "modify", "not-acceptable" },
		[SB_C2S_REG_NOT_ALLOWED] = { "cancel", "not-allowed" },
		[SB_C2S_REG_RATE_LIMITED] = { "wait", "resource-constraint" },
		[SB_C2S_REG_UNAVAILABLE] = { "wait", "internal-server-error" },
	};
	bool bound = (c->flags & SB_C2S_F_AUTHED) != 0;
	uint8_t op;

	c2s_begin(env);
	if (c->state != SB_C2S_S_REG_WAIT || c->aux == NULL) {
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		return c->state == SB_C2S_S_CLOSED ? SB_C2S_ACT_CLOSE : SB_C2S_ACT_NONE;
	}
	if ((unsigned)st >= SB_C2S_REG_STATUS_MAX)
		st = SB_C2S_REG_UNAVAILABLE;
	op = c->aux->reg_op;
	c2s_puts(env, "<iq type='");
	c2s_puts(env, st == SB_C2S_REG_OK ? "result'" : "error'");
	c2s_put_saved_id(env, c->aux);
	c2s_puts(env, " from='");
	c2s_put_esc(env, env->cfg.domain, env->cfg.domain_len);
	c2s_puts(env, "'");
	if (st == SB_C2S_REG_OK) {
		c2s_puts(env, "/>");
		c2s_count(env, SB_C2S_CTR_iqreg_ok);
	} else {
		c2s_puts(env, "><error type='");
		c2s_puts(env, cond[st][0]);
		c2s_puts(env, "'><");
		c2s_puts(env, cond[st][1]);
		c2s_puts(env, " xmlns='" C2S_NS_STANZAS "'/></error></iq>");
		c2s_count(env, st == SB_C2S_REG_CONFLICT ? SB_C2S_CTR_iqreg_conflict
							 : SB_C2S_CTR_iqreg_refused);
	}
	if (bound)
		c2s_sm_sent(c);
	/* Before authentication the aux object goes back; a bound stream
	 * had none before the request either. */
	c2s_aux_put(c, env);
	c->state = bound ? SB_C2S_S_BOUND : SB_C2S_S_SASL;
	if (st == SB_C2S_REG_OK && op == SB_C2S_REG_REMOVE) {
		/* §3.2: the account is gone, so is the session. */
		enum sb_c2s_action act;

		c2s_count(env, SB_C2S_CTR_iqreg_removed_closed);
		env->err_text = "account removed";
		act = c2s_stream_error(c, env, SB_C2S_SERR_NOT_AUTHORIZED);
		env->err_text = NULL;
		return c2s_finish(c, env, act);
	}
	return c2s_finish(c, env, SB_C2S_ACT_NONE);
}
