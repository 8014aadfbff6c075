/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stanzas of a bound session (RFC 6120 §8): kind and type checks, the to
 * address normalised with lib/jid (an invalid one is a jid-malformed stanza
 * error, §8.3.3.8), the iqs the dataplane answers itself (XEP-0199 ping to
 * the server, the legacy session request, a second bind, other iqs to the
 * server: service-unavailable, §8.4), the refusal of qualified address
 * attributes (c:from, §8.1) and of an invalid presence priority, and the
 * rewrite that stamps from with the bound full JID (§8.1.2.1: the server
 * stamps it; a from the client sent is removed, every other byte is kept
 * as received).
 */
#include <string.h>

#include "c2s_priv.h"

static const struct {
	const char *name;
	uint8_t type;
} type_tab[] = {
	{ "get", SB_C2S_T_GET }, { "set", SB_C2S_T_SET }, { "result", SB_C2S_T_RESULT },
	{ "error", SB_C2S_T_ERROR }, { "chat", SB_C2S_T_CHAT },
	{ "groupchat", SB_C2S_T_GROUPCHAT }, { "headline", SB_C2S_T_HEADLINE },
	{ "normal", SB_C2S_T_NORMAL }, { "unavailable", SB_C2S_T_UNAVAILABLE },
	{ "probe", SB_C2S_T_PROBE }, { "subscribe", SB_C2S_T_SUBSCRIBE },
	{ "subscribed", SB_C2S_T_SUBSCRIBED }, { "unsubscribe", SB_C2S_T_UNSUBSCRIBE },
	{ "unsubscribed", SB_C2S_T_UNSUBSCRIBED },
};

static uint8_t type_of(const struct c2s_elem *e)
{
	char v[16];
	long n;

	if (!(e->hdr->type.flags & SB_XML_SPAN_PRESENT))
		return SB_C2S_T_NONE;
	n = c2s_span_value(e, &e->hdr->type, v, sizeof(v));
	for (size_t i = 0; n > 0 && i < sizeof(type_tab) / sizeof(type_tab[0]); i++)
		if (strlen(type_tab[i].name) == (size_t)n && memcmp(type_tab[i].name, v, (size_t)n) == 0)
			return type_tab[i].type;
	return SB_C2S_T_OTHER;
}

/* RFC 6120 §8.2.3 (iq), RFC 6121 §4.7.1 (presence); a message of an unknown
 * type is delivered as normal (RFC 6121 §5.2.2). */
static bool type_allowed(uint8_t kind, uint8_t t)
{
	switch (kind) {
	case SB_C2S_KIND_IQ:
		return t >= SB_C2S_T_GET && t <= SB_C2S_T_ERROR;
	case SB_C2S_KIND_PRESENCE:
		return t == SB_C2S_T_NONE || t == SB_C2S_T_ERROR ||
		       (t >= SB_C2S_T_UNAVAILABLE && t <= SB_C2S_T_UNSUBSCRIBED);
	default:
		return true;
	}
}

/* RFC 6121 §5.2.2: a message type outside the list (an iq or presence
 * type included) is OTHER, delivered as normal. */
static uint8_t message_type(uint8_t t)
{
	return t == SB_C2S_T_NONE || (t >= SB_C2S_T_ERROR && t <= SB_C2S_T_NORMAL)
	       ? t : SB_C2S_T_OTHER;
}

static enum sb_c2s_action stanza_error(struct sb_c2s *c, struct sb_c2s_env *env,
				       const struct c2s_elem *e, uint8_t type, const char *etype,
				       const char *cond, enum sb_c2s_ctr ctr)
{
	/* §8.3.1: never answer an error with an error. */
	if (type == SB_C2S_T_ERROR) {
		c2s_count(env, SB_C2S_CTR_error_stanza_not_answered);
		return SB_C2S_ACT_NONE;
	}
	c2s_count(env, ctr);
	c2s_sm_sent(c);
	c2s_put_stanza_error(c, env, e, env->cfg.domain, env->cfg.domain_len, etype, cond);
	return SB_C2S_ACT_NONE;
}

/* An iq to the server itself (to is our domain) or to the account (no to,
 * RFC 6120 §10.3.3): the few we answer here; false to route it. */
static bool local_iq(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
		     uint8_t type, bool to_domain, enum sb_c2s_action *act)
{
	const struct sb_xml_header *h = e->hdr;
	const char *child = h->child_name;
	uint16_t cl = h->child_name_len;

	*act = SB_C2S_ACT_NONE;
	if (type == SB_C2S_T_GET && c2s_name_is(child, cl, "ping") &&
	    c2s_ns_is(e, &h->child_ns, C2S_NS_PING)) {
		/* XEP-0199 §4.2: the server answers with an empty result. */
		c2s_count(env, SB_C2S_CTR_ping_local);
		c2s_sm_sent(c);
		c2s_put_iq_result_open(c, env, e, to_domain);
		c2s_puts(env, "/>");
		return true;
	}
	if (type == SB_C2S_T_SET && env->cfg.legacy_session && c2s_name_is(child, cl, "session") &&
	    c2s_ns_is(e, &h->child_ns, C2S_NS_SESSION)) {
		/* RFC 3921 §3 / draft-cridland-xmpp-session: a no-op result. */
		c2s_count(env, SB_C2S_CTR_session);
		c2s_sm_sent(c);
		c2s_put_iq_result_open(c, env, e, true);
		c2s_puts(env, "/>");
		return true;
	}
	if (c2s_name_is(child, cl, "bind") && c2s_ns_is(e, &h->child_ns, C2S_NS_BIND)) {
		/* One resource per stream (§7.6.2.2). */
		*act = stanza_error(c, env, e, type, "cancel", "not-allowed",
				    SB_C2S_CTR_stanza_not_allowed);
		return true;
	}
	if (c2s_reg_is(e)) {
		*act = c2s_reg_element(c, env, e);
		return true;
	}
	if (to_domain && !env->cfg.route_server_iq &&
	    (type == SB_C2S_T_GET || type == SB_C2S_T_SET)) {
		*act = stanza_error(c, env, e, type, "cancel", "service-unavailable",
				    SB_C2S_CTR_stanza_service_unavailable);
		return true;
	}
	return false;
}

/* The bytes of the from attribute to drop: from the whitespace before the
 * name to the closing quote. The tokenizer accepted the tag, so the shape
 * is S 'from' S? '=' S? quote value quote. */
static void from_extent(const struct c2s_elem *e, size_t *start, size_t *end)
{
	size_t v = (size_t)(e->hdr->from.off - e->base), i = v - 1; /* i: opening quote */

	*end = v + e->hdr->from.len + 1;
	while (i > 0 && e->p[i - 1] != 'm') /* skip S? '=' S? back to "from" */
		i--;
	i -= 4;
	while (i > 0 && (e->p[i - 1] == ' ' || e->p[i - 1] == '\t' || e->p[i - 1] == '\n' ||
			 e->p[i - 1] == '\r'))
		i--;
	*start = i;
}

/* Where the rewrite moved bytes: the name ends at ne, ins bytes were
 * inserted there, and [fs, fe) (the client's from) was dropped. */
struct c2s_rewrite {
	size_t ne, ins, fs, fe;
};

/* Offset in the rewritten stanza of a byte at off in the received one
 * (never inside the dropped from). */
static size_t moved(const struct c2s_rewrite *rw, size_t off)
{
	if (off < rw->ne)
		return off;
	return off + rw->ins - (off >= rw->fe ? rw->fe - rw->fs : 0);
}

/* Write the element with from stamped into env->route; false if it does
 * not fit. The writer is pointed at env->route for the duration. */
static bool stamp(const struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
		  struct c2s_rewrite *rw)
{
	uint8_t *out = env->out;
	size_t cap = env->out_cap, len = env->out_len, ne = 1;
	bool ok;

	while (ne < e->len && e->p[ne] != ' ' && e->p[ne] != '\t' && e->p[ne] != '\n' &&
	       e->p[ne] != '\r' && e->p[ne] != '/' && e->p[ne] != '>')
		ne++;
	rw->ne = ne;
	rw->fs = rw->fe = e->len;
	if (e->hdr->from.flags & SB_XML_SPAN_PRESENT)
		from_extent(e, &rw->fs, &rw->fe);
	env->out = env->route;
	env->out_cap = env->route_cap;
	env->out_len = 0;
	c2s_put(env, e->p, ne);
	c2s_puts(env, " from='");
	c2s_put_esc(env, c->jid, c->jid_len);
	c2s_puts(env, "'");
	rw->ins = env->out_len - ne;
	c2s_put(env, e->p + ne, rw->fs - ne);
	c2s_put(env, e->p + rw->fe, e->len - rw->fe);
	ok = !env->out_overflow;
	env->res.stanza.bytes = env->route;
	env->res.stanza.len = env->out_len;
	env->out = out;
	env->out_cap = cap;
	env->out_len = len;
	env->out_overflow = false;
	return ok;
}

/* A span of the received element as a pointer into the rewritten one. */
static const uint8_t *moved_span(const struct c2s_elem *e, const struct c2s_rewrite *rw,
				 const struct sb_xml_span *span, const uint8_t *bytes, size_t *n)
{
	const uint8_t *p;

	if (!c2s_span_raw(e, span, &p, n)) {
		*n = 0;
		return NULL;
	}
	return bytes + moved(rw, (size_t)(p - e->p));
}

static enum sb_c2s_action route(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
				uint8_t kind, uint8_t type, bool has_to)
{
	static const enum sb_c2s_ctr ctr[SB_C2S_KIND_MAX] = {
		SB_C2S_CTR_routed_message, SB_C2S_CTR_routed_presence, SB_C2S_CTR_routed_iq,
	};
	const struct sb_xml_header *h = e->hdr;
	struct sb_c2s_stanza *s = &env->res.stanza;
	struct c2s_rewrite rw;

	if (!stamp(c, env, e, &rw)) {
		memset(s, 0, sizeof(*s));
		return stanza_error(c, env, e, type, "wait", "resource-constraint",
				    SB_C2S_CTR_route_overflow);
	}
	if (h->from.flags & SB_XML_SPAN_PRESENT)
		c2s_count(env, SB_C2S_CTR_from_replaced);
	s->id = moved_span(e, &rw, &h->id, s->bytes, &s->id_len);
	s->to = has_to ? &env->scratch->jid : NULL;
	s->kind = kind;
	s->type = type;
	memcpy(s->child, h->child_name, sizeof(s->child));
	if (h->child_name_len != 0 && h->child_ns.src == SB_XML_NS_SPAN) {
		s->child_ns = moved_span(e, &rw, &h->child_ns.span, s->bytes, &s->child_ns_len);
	} else if (h->child_name_len != 0 && h->child_ns.src == SB_XML_NS_STREAM_DEFAULT) {
		s->child_ns = (const uint8_t *)C2S_NS_CLIENT;
		s->child_ns_len = sizeof(C2S_NS_CLIENT) - 1;
	}
	c2s_count(env, ctr[kind]);
	return SB_C2S_ACT_ROUTE;
}

/* A presence carries the fields the control plane routes on (priority). */
static enum sb_c2s_action route_presence(struct sb_c2s *c, struct sb_c2s_env *env,
					 const struct c2s_elem *e, uint8_t type, bool has_to)
{
	int8_t prio;
	int given = c2s_presence_priority(e, &prio);
	enum sb_c2s_action act;

	/* RFC 6121 §4.7.2.3 makes it one xs:byte; anything else breaks the
	 * schema (RFC 6120 §8.3.3.1), and the presence is not processed:
	 * neither broadcast nor taken as availability. */
	if (given < 0)
		return stanza_error(c, env, e, type, "modify", "bad-request",
				    SB_C2S_CTR_stanza_bad_priority);
	act = route(c, env, e, SB_C2S_KIND_PRESENCE, type, has_to);
	if (act == SB_C2S_ACT_ROUTE) {
		env->res.stanza.priority = prio;
		env->res.stanza.has_priority = given > 0;
	}
	return act;
}

/* message, presence or iq in jabber:client; SB_C2S_KIND_MAX otherwise. */
static uint8_t kind_of(const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;

	if (!c2s_ns_is(e, &h->ns, C2S_NS_CLIENT))
		return SB_C2S_KIND_MAX;
	if (c2s_name_is(h->name, h->name_len, "message"))
		return SB_C2S_KIND_MESSAGE;
	if (c2s_name_is(h->name, h->name_len, "presence"))
		return SB_C2S_KIND_PRESENCE;
	if (c2s_name_is(h->name, h->name_len, "iq"))
		return SB_C2S_KIND_IQ;
	return SB_C2S_KIND_MAX;
}

static bool is_domain(const struct sb_c2s_env *env, const struct sb_jid *j)
{
	return j->local_len == 0 && j->resource_len == 0 && j->domain_len == env->cfg.domain_len &&
	       memcmp(j->buf, env->cfg.domain, j->domain_len) == 0;
}

enum sb_c2s_action c2s_stanza_element(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct c2s_elem *e)
{
	const struct sb_xml_header *h = e->hdr;
	enum sb_c2s_action act;
	uint8_t kind = kind_of(e), type;
	bool has_to = (h->to.flags & SB_XML_SPAN_PRESENT) != 0, to_domain = false;
	long n;

	if (kind == SB_C2S_KIND_MAX) {
		/* §4.9.3.24: other nonzas are not offered (XEP-0198's are
		 * taken before this, c2s_sm.c). */
		c2s_count(env, SB_C2S_CTR_unsupported_stanza_type);
		return c2s_stream_error(c, env, SB_C2S_SERR_UNSUPPORTED_STANZA);
	}
	/* XEP-0198 §4: every iq, message and presence counts as handled,
	 * whether it is routed, answered here or refused. */
	if (c->sm & SB_C2S_SM_ENABLED)
		c->sm_in++;
	type = type_of(e);
	if (kind == SB_C2S_KIND_MESSAGE)
		type = message_type(type);
	if (h->flags & SB_XML_HDR_F_PREFIXED_ADDR) {
		/* c:from='victim' next to the stamped from: a parser that
		 * matches attributes by local name would see the victim as the
		 * sender. RFC 6120 §8.1 defines the addresses as unqualified
		 * attributes; a qualified one is a schema violation (§8.3.3.1).
		 * A duplicate unqualified one never gets here (XML 1.0 §3.1). */
		return stanza_error(c, env, e, type, "modify", "bad-request",
				    SB_C2S_CTR_stanza_prefixed_address);
	}
	if (!type_allowed(kind, type) ||
	    (kind == SB_C2S_KIND_IQ && !(h->id.flags & SB_XML_SPAN_PRESENT)))
		return stanza_error(c, env, e, type, "modify", "bad-request",
				    SB_C2S_CTR_stanza_bad_request);
	if (has_to) {
		n = c2s_span_value(e, &h->to, env->scratch->text, sizeof(env->scratch->text));
		if (n < 0 || sb_jid_parse(&env->scratch->jid, env->scratch->text, (size_t)n) < 0)
			return stanza_error(c, env, e, type, "modify", "jid-malformed",
					    SB_C2S_CTR_stanza_jid_malformed);
		to_domain = is_domain(env, &env->scratch->jid);
	}
	if (kind == SB_C2S_KIND_IQ && (!has_to || to_domain) &&
	    local_iq(c, env, e, type, to_domain, &act))
		return act;
	if (kind == SB_C2S_KIND_PRESENCE)
		return route_presence(c, env, e, type, has_to);
	return route(c, env, e, kind, type, has_to);
}
