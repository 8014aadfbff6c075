/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Resource binding (RFC 6120 §7) and the legacy session request (RFC 3921
 * §3, kept optional by draft-cridland-xmpp-session). The control plane
 * decides a bind (it knows the user's other sessions), so a bind iq becomes
 * a BIND_REQUEST action and sb_c2s_bind_result() answers the iq later; the
 * iq's id waits in the aux object meanwhile.
 */
#include <string.h>

#include "c2s_priv.h"

/* A sub-element of e starting at offset off (which holds its '<'). */
static struct c2s_elem sub(const struct c2s_elem *e, size_t off)
{
	struct c2s_elem s = { e->hdr, e->p + off, e->len - off, e->base + off };

	return s;
}

static size_t skip_ws(const struct c2s_elem *e, size_t i)
{
	while (i < e->len && (e->p[i] == ' ' || e->p[i] == '\t' || e->p[i] == '\n' ||
			      e->p[i] == '\r'))
		i++;
	return i;
}

/* Text content of <resource/> inside <bind/> (RFC 6120 §7.5), decoded into
 * scratch->text. Returns its length (0: absent or empty, the server picks
 * one), or -1 for anything we do not take as a resource: another child,
 * CDATA, or raw \t \n \r (their attribute-style normalisation would change
 * the resource; PRECIS refuses them anyway). */
static long resource_of(struct sb_c2s_env *env, const struct c2s_elem *e)
{
	struct c2s_elem b, r;
	bool empty;
	size_t i, s, t;
	int w;

	i = skip_ws(e, c2s_stag_end(e, &empty));
	if (empty || i >= e->len || e->p[i] != '<')
		return -1;
	b = sub(e, i);
	i = skip_ws(&b, c2s_stag_end(&b, &empty));
	if (empty || (i + 1 < b.len && b.p[i] == '<' && b.p[i + 1] == '/'))
		return 0;
	if (i + 9 >= b.len || memcmp(b.p + i, "<resource", 9) != 0 ||
	    !(b.p[i + 9] == '>' || b.p[i + 9] == '/' || b.p[i + 9] == ' ' ||
	      b.p[i + 9] == '\t' || b.p[i + 9] == '\n' || b.p[i + 9] == '\r'))
		return -1;
	r = sub(&b, i);
	s = c2s_stag_end(&r, &empty);
	if (empty)
		return 0;
	for (t = s; t < r.len && r.p[t] != '<'; t++)
		if (r.p[t] == '\t' || r.p[t] == '\n' || r.p[t] == '\r')
			return -1;
	if (t + 1 >= r.len || r.p[t + 1] != '/')
		return -1;
	w = sb_xml_value_decode(r.p + s, t - s, (uint8_t *)env->scratch->text,
				sizeof(env->scratch->text));
	return w < 0 ? -1 : w;
}

static void put_bind_error(struct sb_c2s_env *env, const struct c2s_elem *e,
			   const char *etype, const char *cond)
{
	const struct sb_c2s nobody = { 0 };

	c2s_put_stanza_error(&nobody, env, e, env->cfg.domain, env->cfg.domain_len, etype, cond);
}

/* user@domain/resource with a given or generated resource, normalised. */
static bool build_jid(struct sb_c2s *c, struct sb_c2s_env *env, long rlen)
{
	char *t = env->scratch->text;
	const struct sb_scram_user *u = &c->aux->user;
	uint8_t rnd[SB_C2S_RESOURCE_RAW];
	size_t head = u->len + 1u + env->cfg.domain_len + 1u, n = head + (size_t)rlen;

	if (rlen == 0) {
		static const char hex[] = "0123456789abcdef";

		if (c2s_random(env, rnd, sizeof(rnd)) != 0) {
			c2s_count(env, SB_C2S_CTR_random_failed);
			return false;
		}
		for (size_t i = 0; i < sizeof(rnd); i++) {
			t[2 * i] = hex[rnd[i] >> 4];
			t[2 * i + 1] = hex[rnd[i] & 15];
		}
		rlen = 2 * sizeof(rnd);
		n = head + (size_t)rlen;
		c->flags |= SB_C2S_F_GENERATED;
		c2s_count(env, SB_C2S_CTR_bind_resource_generated);
	} else {
		c->flags &= (uint8_t)~SB_C2S_F_GENERATED;
	}
	if (n > sizeof(env->scratch->text))
		return false;
	memmove(t + head, t, (size_t)rlen);
	memcpy(t, u->name, u->len);
	t[u->len] = '@';
	memcpy(t + u->len + 1, env->cfg.domain, env->cfg.domain_len);
	t[head - 1] = '/';
	return sb_jid_parse(&env->scratch->jid, t, n) == 0;
}

static enum sb_c2s_action bind(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e)
{
	struct sb_c2s_aux *a = c->aux;
	const uint8_t *id;
	size_t id_len = 0;
	bool has_id = c2s_span_raw(e, &e->hdr->id, &id, &id_len);
	long rlen;

	c2s_count(env, SB_C2S_CTR_bind_request);
	rlen = resource_of(env, e);
	if (rlen < 0 || !has_id || id_len > SB_C2S_BIND_ID_MAX || !build_jid(c, env, rlen)) {
		/* §7.7.2.1: a resource we cannot accept is bad-request. */
		c2s_count(env, SB_C2S_CTR_bind_bad_request);
		put_bind_error(env, e, "modify", "bad-request");
		return SB_C2S_ACT_NONE;
	}
	a->bind_has_id = 1;
	a->bind_id_len = (uint16_t)id_len;
	a->bind_id_quote = id[-1];
	memcpy(a->u.bind_id, id, id_len);
	env->res.jid = env->scratch->jid.buf;
	env->res.jid_len = env->scratch->jid.full_len;
	env->res.generated = (c->flags & SB_C2S_F_GENERATED) != 0;
	env->res.conflict_policy = env->cfg.conflict_policy;
	env->res.user = a->user.name;
	env->res.user_len = a->user.len;
	c->state = SB_C2S_S_BIND_WAIT;
	return SB_C2S_ACT_BIND_REQUEST;
}

enum sb_c2s_action c2s_bind_element(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;
	char type[8];
	long tn;

	/* §7.1: after SASL the client binds before it sends anything else. */
	if (!c2s_ns_is(e, &h->ns, C2S_NS_CLIENT) || !c2s_name_is(h->name, h->name_len, "iq") ||
	    !c2s_name_is(h->child_name, h->child_name_len, "bind") ||
	    !c2s_ns_is(e, &h->child_ns, C2S_NS_BIND) || c->aux == NULL) {
		c2s_count(env, SB_C2S_CTR_not_authorized);
		return c2s_stream_error(c, env, SB_C2S_SERR_NOT_AUTHORIZED);
	}
	tn = c2s_span_value(e, &h->type, type, sizeof(type));
	if (tn != 3 || memcmp(type, "set", 3) != 0) {
		c2s_count(env, SB_C2S_CTR_bind_bad_request);
		put_bind_error(env, e, "modify", "bad-request");
		return SB_C2S_ACT_NONE;
	}
	return bind(c, env, e);
}

void c2s_put_saved_id(struct sb_c2s_env *env, const struct sb_c2s_aux *a)
{
	if (a->bind_has_id)
		c2s_put_raw_attr(env, "id", a->u.bind_id, a->bind_id_len, a->bind_id_quote);
}

static enum sb_c2s_action bind_refused(struct sb_c2s *c, struct sb_c2s_env *env,
				       enum sb_c2s_bind_status st)
{
	static const char *const cond[SB_C2S_BIND_STATUS_MAX][2] = {
		[SB_C2S_BIND_CONFLICT] = { "cancel", "conflict" },
		[SB_C2S_BIND_NOT_ALLOWED] = { "cancel", "not-allowed" },
		[SB_C2S_BIND_RESOURCE_LIMIT] = { "wait", "resource-constraint" },
	};

	c2s_count(env, st == SB_C2S_BIND_CONFLICT ? SB_C2S_CTR_bind_conflict
						  : SB_C2S_CTR_bind_refused);
	c2s_puts(env, "<iq type='error'");
	c2s_put_saved_id(env, c->aux);
	c2s_puts(env, "><error type='");
	c2s_puts(env, cond[st][0]);
	c2s_puts(env, "'><");
	c2s_puts(env, cond[st][1]);
	c2s_puts(env, " xmlns='" C2S_NS_STANZAS "'/></error></iq>");
	/* The client may try another resource (§7.7.2.2); aux keeps the user. */
	c->aux->bind_has_id = 0;
	c->state = SB_C2S_S_BIND;
	return SB_C2S_ACT_NONE;
}

enum sb_c2s_action sb_c2s_bind_result(struct sb_c2s *c, struct sb_c2s_env *env,
				      enum sb_c2s_bind_status st, const char *jid, size_t len)
{
	const char *slash;

	c2s_begin(env);
	if (c->state != SB_C2S_S_BIND_WAIT || c->aux == NULL) {
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		return c->state == SB_C2S_S_CLOSED ? SB_C2S_ACT_CLOSE : SB_C2S_ACT_NONE;
	}
	if (st != SB_C2S_BIND_OK)
		return c2s_finish(c, env, bind_refused(c, env, st < SB_C2S_BIND_STATUS_MAX
							       ? st : SB_C2S_BIND_NOT_ALLOWED));
	slash = jid != NULL && len <= UINT16_MAX ? memchr(jid, '/', len) : NULL;
	if (slash == NULL || slash == jid || (size_t)(slash - jid) + 1 >= len) {
		/* The glue must hand back a full JID: a bug, not the client's. */
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		return c2s_finish(c, env,
				  c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR));
	}
	/* §7.6.1: the result carries the full JID the server bound. */
	c2s_puts(env, "<iq type='result'");
	c2s_put_saved_id(env, c->aux);
	c2s_puts(env, "><bind xmlns='" C2S_NS_BIND "'><jid>");
	c2s_put_esc(env, jid, len);
	c2s_puts(env, "</jid></bind></iq>");
	c->jid = jid;
	c->jid_len = (uint16_t)len;
	c->bare_len = (uint16_t)(slash - jid);
	c2s_aux_put(c, env);
	c->state = SB_C2S_S_BOUND;
	c2s_count(env, SB_C2S_CTR_bind_ok);
	return c2s_finish(c, env, SB_C2S_ACT_NONE);
}
