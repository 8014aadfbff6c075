/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Everything lib/xmpp writes to the client: the stream header, stream
 * features, stream errors and stanza errors. Values that come from
 * configuration or from normalised JIDs are escaped on the way out (the five
 * predefined entities, so any value is safe inside either quote); ids the
 * client sent are echoed as the raw bytes the tokenizer validated, inside
 * the quote character the client used, so no re-escaping can change them.
 */
#include <string.h>

#include "c2s_priv.h"

void c2s_put(struct sb_c2s_env *env, const void *p, size_t n)
{
	if (env->out_overflow || n > env->out_cap - env->out_len) {
		env->out_overflow = true;
		return;
	}
	memcpy(env->out + env->out_len, p, n);
	env->out_len += n;
}

/* XML 1.0 §2.4 / §3.1: '<' and '&' must be escaped everywhere, '>' after
 * "]]", quotes inside attribute values; escaping all five is always safe. */
void c2s_put_esc(struct sb_c2s_env *env, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *ent;

		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '\'': ent = "&apos;"; break;
		case '"': ent = "&quot;"; break;
		default: continue;
		}
		c2s_put(env, s + run, i - run);
		c2s_puts(env, ent);
		run = i + 1;
	}
	c2s_put(env, s + run, n - run);
}

void c2s_put_hex(struct sb_c2s_env *env, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char two[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		c2s_put(env, two, 2);
	}
}

void c2s_put_b64(struct sb_c2s_env *env, const uint8_t *p, size_t n)
{
	int w;

	if (env->out_overflow)
		return;
	w = sb_scram_b64_encode(p, n, (char *)env->out + env->out_len,
				env->out_cap - env->out_len);
	if (w < 0) {
		env->out_overflow = true;
		return;
	}
	env->out_len += (size_t)w;
}

void c2s_put_raw_attr(struct sb_c2s_env *env, const char *name, const uint8_t *raw, size_t n,
		      uint8_t quote)
{
	char q = quote == '"' ? '"' : '\'';

	c2s_puts(env, " ");
	c2s_puts(env, name);
	c2s_puts(env, "=");
	c2s_put(env, &q, 1);
	c2s_put(env, raw, n);
	c2s_put(env, &q, 1);
}

/* RFC 6120 §4.7: response stream header. id is fresh per stream (§4.7.3),
 * from is our domain (§4.7.1); the client's from is not echoed as to (a
 * SHOULD that would need validating a value the client may forge). */
void c2s_put_stream_header(struct sb_c2s *c, struct sb_c2s_env *env)
{
	c2s_puts(env, "<?xml version='1.0'?><stream:stream xmlns='" C2S_NS_CLIENT "' "
		      "xmlns:stream='http://etherx.jabber.org/streams' id='");
	c2s_put_hex(env, c->stream_id, sizeof(c->stream_id));
	c2s_puts(env, "' from='");
	c2s_put_esc(env, env->cfg.domain, env->cfg.domain_len);
	c2s_puts(env, "' version='1.0' xml:lang='en'>");
	c->flags |= SB_C2S_F_HDR_SENT;
}

/* XEP-0440: which channel binding types -PLUS can use on this stream. */
static void c2s_cbind_types(struct sb_c2s_env *env, const struct sb_scram_cbind *cb)
{
	c2s_puts(env, "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>");
	for (unsigned t = SB_SCRAM_CB_NONE + 1; t < SB_SCRAM_CB_MAX; t++) {
		if (cb->len[t] == 0)
			continue;
		c2s_puts(env, "<channel-binding type='");
		c2s_puts(env, sb_scram_cb_name((enum sb_scram_cb)t));
		c2s_puts(env, "'/>");
	}
	c2s_puts(env, "</sasl-channel-binding>");
}

/* RFC 6120 §4.3.2 / §6.4.1 (mechanisms, strongest first: -PLUS over TLS
 * when the glue has binding data, RFC 5802 §6), §7.4 (bind),
 * draft-cridland-xmpp-session (the optional legacy session). */
void c2s_put_features(const struct sb_c2s *c, struct sb_c2s_env *env)
{
	static const struct {
		uint8_t mech;
		bool plus;
		const char *name;
	} order[] = {
		{ SB_C2S_MECH_SCRAM_SHA256, true, "SCRAM-SHA-256-PLUS" },
		{ SB_C2S_MECH_SCRAM_SHA1, true, "SCRAM-SHA-1-PLUS" },
		{ SB_C2S_MECH_SCRAM_SHA256, false, "SCRAM-SHA-256" },
		{ SB_C2S_MECH_SCRAM_SHA1, false, "SCRAM-SHA-1" },
		{ SB_C2S_MECH_PLAIN, false, "PLAIN" },
	};
	struct sb_scram_cbind cb;
	bool plus = c2s_cbind(c, env, &cb);

	bool tls_offer = env->cfg.tls_policy != SB_C2S_TLS_OFF && !(c->flags & SB_C2S_F_TLS);

	c2s_puts(env, "<stream:features>");
	/* RFC 6120 §5.3.1: STARTTLS until the stream is encrypted; when it is
	 * mandatory, it is the only feature (no mechanisms to try first). */
	if (tls_offer && env->cfg.tls_policy == SB_C2S_TLS_REQUIRED) {
		c2s_puts(env, "<starttls xmlns='" C2S_NS_TLS "'><required/></starttls>");
	} else if (!(c->flags & SB_C2S_F_AUTHED)) {
		if (tls_offer)
			c2s_puts(env, "<starttls xmlns='" C2S_NS_TLS "'/>");
		c2s_puts(env, "<mechanisms xmlns='" C2S_NS_SASL "'>");
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if (!(env->cfg.mechs & SB_C2S_MECH_BIT(order[i].mech)))
				continue;
			if (order[i].mech == SB_C2S_MECH_PLAIN && !c2s_plain_ok(c, env))
				continue;
			if (order[i].plus && !plus)
				continue;
			c2s_puts(env, "<mechanism>");
			c2s_puts(env, order[i].name);
			c2s_puts(env, "</mechanism>");
		}
		c2s_puts(env, "</mechanisms>");
		if (plus)
			c2s_cbind_types(env, &cb);
		/* XEP-0077 §8: only where a password may travel. */
		if (c2s_reg_ok(c, env))
			c2s_puts(env, "<register xmlns='" C2S_NS_REGISTER_FEATURE "'/>");
	} else {
		c2s_puts(env, "<bind xmlns='" C2S_NS_BIND "'/>");
		if (env->cfg.legacy_session)
			c2s_puts(env, "<session xmlns='" C2S_NS_SESSION "'><optional/></session>");
		/* RFC 6121 §2.6.1: the control plane keeps roster versions. */
		if (env->cfg.roster_versioning)
			c2s_puts(env, "<ver xmlns='urn:xmpp:features:rosterver'/>");
		/* XEP-0198 §3: offered with bind, enabled after it. */
		if (env->cfg.sm)
			c2s_puts(env, "<sm xmlns='" C2S_NS_SM "'/>");
		/* XEP-0352 §3: offered once the client authenticated. */
		if (env->cfg.csi)
			c2s_puts(env, "<csi xmlns='" C2S_NS_CSI "'/>");
	}
	c2s_puts(env, "</stream:features>");
}

static const char *const serr_names[SB_C2S_SERR_MAX] = {
	[SB_C2S_SERR_NONE] = "none",
	[SB_C2S_SERR_BAD_FORMAT] = "bad-format",
	[SB_C2S_SERR_BAD_NAMESPACE_PREFIX] = "bad-namespace-prefix",
	[SB_C2S_SERR_CONFLICT] = "conflict",
	[SB_C2S_SERR_CONNECTION_TIMEOUT] = "connection-timeout",
	[SB_C2S_SERR_HOST_UNKNOWN] = "host-unknown",
	[SB_C2S_SERR_INTERNAL_SERVER_ERROR] = "internal-server-error",
	[SB_C2S_SERR_INVALID_NAMESPACE] = "invalid-namespace",
	[SB_C2S_SERR_NOT_AUTHORIZED] = "not-authorized",
	[SB_C2S_SERR_NOT_WELL_FORMED] = "not-well-formed",
	[SB_C2S_SERR_POLICY_VIOLATION] = "policy-violation",
	[SB_C2S_SERR_RESET] = "reset",
	[SB_C2S_SERR_RESOURCE_CONSTRAINT] = "resource-constraint",
	[SB_C2S_SERR_RESTRICTED_XML] = "restricted-xml",
	[SB_C2S_SERR_SYSTEM_SHUTDOWN] = "system-shutdown",
	[SB_C2S_SERR_UNSUPPORTED_ENCODING] = "unsupported-encoding",
	[SB_C2S_SERR_UNSUPPORTED_STANZA] = "unsupported-stanza-type",
	[SB_C2S_SERR_UNSUPPORTED_VERSION] = "unsupported-version",
	[SB_C2S_SERR_UNDEFINED_CONDITION] = "undefined-condition",
};

const char *sb_c2s_stream_err_name(enum sb_c2s_stream_err e)
{
	return (unsigned)e < SB_C2S_SERR_MAX ? serr_names[e] : NULL;
}

/* RFC 6120 §4.9.1.1: the error element, then the closing tag; §4.9.1.2: if
 * the error comes before our stream header was sent, send the header
 * first. Split in two so that a caller can add an application-specific
 * condition element between them (§4.9.4). */
void c2s_stream_error_open(struct sb_c2s *c, struct sb_c2s_env *env, enum sb_c2s_stream_err e)
{
	if (!(c->flags & SB_C2S_F_HDR_SENT))
		c2s_put_stream_header(c, env);
	if (e != SB_C2S_SERR_NONE && (unsigned)e < SB_C2S_SERR_MAX) {
		c2s_puts(env, "<stream:error><");
		c2s_puts(env, serr_names[e]);
		c2s_puts(env, " xmlns='" C2S_NS_STREAMS "'/>");
	}
}

enum sb_c2s_action c2s_stream_error_close(struct sb_c2s *c, struct sb_c2s_env *env,
					  enum sb_c2s_stream_err e)
{
	if (e != SB_C2S_SERR_NONE && (unsigned)e < SB_C2S_SERR_MAX) {
		if (env->err_text != NULL) {
			c2s_puts(env, "<text xmlns='" C2S_NS_STREAMS "' xml:lang='en'>");
			c2s_put_esc(env, env->err_text, strlen(env->err_text));
			c2s_puts(env, "</text>");
		}
		c2s_puts(env, "</stream:error>");
	}
	c2s_puts(env, "</stream:stream>");
	sb_c2s_release(c, env);
	c->state = SB_C2S_S_CLOSED;
	env->res.stream_err = (uint8_t)e;
	return SB_C2S_ACT_CLOSE;
}

enum sb_c2s_action c2s_stream_error(struct sb_c2s *c, struct sb_c2s_env *env,
				    enum sb_c2s_stream_err e)
{
	c2s_stream_error_open(c, env, e);
	return c2s_stream_error_close(c, env, e);
}

static void put_id(struct sb_c2s_env *env, const struct c2s_elem *e)
{
	const uint8_t *id;
	size_t n;

	if (c2s_span_raw(e, &e->hdr->id, &id, &n))
		c2s_put_raw_attr(env, "id", id, n, id[-1]);
}

static void put_to_self(const struct sb_c2s *c, struct sb_c2s_env *env)
{
	if (c->jid == NULL)
		return;
	c2s_puts(env, " to='");
	c2s_put_esc(env, c->jid, c->jid_len);
	c2s_puts(env, "'");
}

void c2s_put_stanza_error(const struct sb_c2s *c, struct sb_c2s_env *env,
			  const struct c2s_elem *e, const char *from, size_t from_len,
			  const char *etype, const char *cond)
{
	const char *name = e->hdr->name;

	c2s_puts(env, "<");
	c2s_puts(env, name);
	c2s_puts(env, " type='error'");
	put_id(env, e);
	c2s_puts(env, " from='");
	c2s_put_esc(env, from, from_len);
	c2s_puts(env, "'");
	put_to_self(c, env);
	c2s_puts(env, "><error type='");
	c2s_puts(env, etype);
	c2s_puts(env, "'><");
	c2s_puts(env, cond);
	c2s_puts(env, " xmlns='" C2S_NS_STANZAS "'/></error></");
	c2s_puts(env, name);
	c2s_puts(env, ">");
}

void c2s_put_iq_result_open(const struct sb_c2s *c, struct sb_c2s_env *env,
			    const struct c2s_elem *e, bool from_domain)
{
	c2s_puts(env, "<iq type='result'");
	put_id(env, e);
	if (from_domain) {
		c2s_puts(env, " from='");
		c2s_put_esc(env, env->cfg.domain, env->cfg.domain_len);
		c2s_puts(env, "'");
	}
	put_to_self(c, env);
}
