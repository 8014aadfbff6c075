/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The c2s state machine's entry points: configuration, connection start,
 * the stream header (RFC 6120 §4.7), element dispatch by state with the
 * pre-authentication limits, stream close, tokenizer errors and shutdown
 * (§4.9). SASL, binding and stanza handling live in their own files.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "c2s_priv.h"

const struct sb_ctr_desc sb_c2s_ctr_desc[SB_C2S_CTR_MAX] = {
#define SB_CTR(name, help) SB_CTR_DESC(SB_C2S_CTR_, name, help)
#include "c2s_counters.def"
#undef SB_CTR
};

const char *sb_c2s_ctr_name(enum sb_c2s_ctr id)
{
	return (unsigned)id < SB_C2S_CTR_MAX ? sb_c2s_ctr_desc[id].name : NULL;
}

static const char *const state_names[SB_C2S_S_MAX] = {
	[SB_C2S_S_INIT] = "init",
	[SB_C2S_S_STREAM] = "stream",
	[SB_C2S_S_SASL] = "sasl",
	[SB_C2S_S_SASL_INITIAL] = "sasl-initial",
	[SB_C2S_S_SASL_LOOKUP] = "sasl-lookup",
	[SB_C2S_S_SASL_FINAL] = "sasl-final",
	[SB_C2S_S_SASL_VERIFY] = "sasl-verify",
	[SB_C2S_S_STREAM_AUTHED] = "stream-authed",
	[SB_C2S_S_BIND] = "bind",
	[SB_C2S_S_BIND_WAIT] = "bind-wait",
	[SB_C2S_S_BOUND] = "bound",
	[SB_C2S_S_TLS_WAIT] = "tls-wait",
	[SB_C2S_S_RESUME_WAIT] = "resume-wait",
	[SB_C2S_S_CLOSED] = "closed",
	[SB_C2S_S_REG_WAIT] = "reg-wait",
};

const char *sb_c2s_state_name(enum sb_c2s_state s)
{
	return (unsigned)s < SB_C2S_S_MAX ? state_names[s] : NULL;
}

int sb_c2s_config_default(struct sb_c2s_config *cfg, const char *domain, size_t len)
{
	struct sb_jid j;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = sb_jid_parse(&j, domain, len);
	if (rc < 0)
		return rc == -ENAMETOOLONG ? rc : -EINVAL;
	if (j.local_len != 0 || j.resource_len != 0)
		return -EINVAL;
	if (j.domain_len > SB_C2S_DOMAIN_MAX)
		return -ENAMETOOLONG;
	memcpy(cfg->domain, j.buf, j.domain_len);
	cfg->domain_len = j.domain_len;
	cfg->mechs = SB_C2S_MECH_BIT(SB_C2S_MECH_SCRAM_SHA1) |
		     SB_C2S_MECH_BIT(SB_C2S_MECH_SCRAM_SHA256) | SB_C2S_MECH_BIT(SB_C2S_MECH_PLAIN);
	cfg->max_auth_attempts = SB_C2S_AUTH_ATTEMPTS_DEFAULT;
	cfg->preauth_bytes_max = SB_C2S_PREAUTH_BYTES_DEFAULT;
	cfg->preauth_elements_max = SB_C2S_PREAUTH_ELEMENTS_DEFAULT;
	cfg->legacy_session = true;
	cfg->conflict_policy = SB_C2S_CONFLICT_KICK_OLD;
	cfg->fake_iterations = SB_SCRAM_ITER_MIN;
	/* RFC 6120 §13.8: TLS is mandatory to negotiate; PLAIN never in clear. */
	cfg->tls_policy = SB_C2S_TLS_REQUIRED;
	cfg->plain_without_tls = false;
	cfg->scram_plus = true;
	return 0;
}

int c2s_random(struct sb_c2s_env *env, uint8_t *buf, size_t n)
{
	if (env->random != NULL)
		return env->random(env->cb_arg, buf, n);
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -EIO;
}

void c2s_aux_put(struct sb_c2s *c, struct sb_c2s_env *env)
{
	if (c->aux == NULL)
		return;
	/* It held SCRAM keys and the username: wipe before reuse. */
	OPENSSL_cleanse(c->aux, sizeof(*c->aux));
	env->aux_free(env->cb_arg, c->aux);
	c->aux = NULL;
}

void sb_c2s_release(struct sb_c2s *c, struct sb_c2s_env *env)
{
	c2s_aux_put(c, env);
}

bool c2s_span_raw(const struct c2s_elem *e, const struct sb_xml_span *s, const uint8_t **p,
		  size_t *n)
{
	uint64_t rel;

	if (!(s->flags & SB_XML_SPAN_PRESENT) || s->off <= e->base)
		return false;
	rel = s->off - e->base;
	if (rel > e->len || s->len > e->len - rel)
		return false;
	*p = e->p + rel;
	*n = s->len;
	return true;
}

long c2s_span_value(const struct c2s_elem *e, const struct sb_xml_span *s, void *buf, size_t cap)
{
	const uint8_t *raw;
	size_t n;
	int w;

	if (!c2s_span_raw(e, s, &raw, &n))
		return -1;
	if (s->flags & SB_XML_SPAN_ESCAPED) {
		w = sb_xml_value_decode(raw, n, buf, cap);
		return w < 0 ? -1 : w;
	}
	if (n > cap)
		return -1;
	memcpy(buf, raw, n);
	return (long)n;
}

bool c2s_name_is(const char *name, uint16_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len == n && memcmp(name, lit, n) == 0;
}

bool c2s_ns_is(const struct c2s_elem *e, const struct sb_xml_ns *ns, const char *uri)
{
	char buf[64];
	long n;

	switch (ns->src) {
	case SB_XML_NS_STREAM_DEFAULT:
		return strcmp(uri, C2S_NS_CLIENT) == 0;
	case SB_XML_NS_SPAN:
		n = c2s_span_value(e, &ns->span, buf, sizeof(buf));
		return n >= 0 && (size_t)n == strlen(uri) && memcmp(buf, uri, (size_t)n) == 0;
	default:
		return false;
	}
}

/* Every call starts from an empty output and result. */
void c2s_begin(struct sb_c2s_env *env)
{
	if (env->scratch_secret) {
		OPENSSL_cleanse(env->scratch->sasl, sizeof(env->scratch->sasl));
		env->scratch_secret = false;
	}
	env->out_len = 0;
	env->out_overflow = false;
	memset(&env->res, 0, sizeof(env->res));
}

/* A reply that did not fit env->out cannot be sent in part: replace it by an
 * internal-server-error stream error, which always fits SB_C2S_OUT_MIN. */
enum sb_c2s_action c2s_finish(struct sb_c2s *c, struct sb_c2s_env *env, enum sb_c2s_action act)
{
	if (!env->out_overflow)
		return act;
	c2s_count(env, SB_C2S_CTR_out_overflow);
	env->out_len = 0;
	env->out_overflow = false;
	memset(&env->res, 0, sizeof(env->res));
	c->flags &= (uint8_t)~SB_C2S_F_HDR_SENT;
	act = c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR);
	if (env->out_overflow)
		env->out_len = 0;
	return act;
}

enum sb_c2s_action sb_c2s_start(struct sb_c2s *c, struct sb_c2s_env *env)
{
	c2s_begin(env);
	memset(c, 0, sizeof(*c));
	c->state = SB_C2S_S_STREAM;
	c2s_count(env, SB_C2S_CTR_started);
	return SB_C2S_ACT_NONE;
}

/* Limits before SASL success, counted over headers and elements alike
 * (ejabberd's pre-auth limits): an unauthenticated peer gets a bounded
 * amount of parsing and answering. True if a limit is exceeded. */
static bool preauth_exceeded(struct sb_c2s *c, struct sb_c2s_env *env, size_t len)
{
	if (c->flags & SB_C2S_F_AUTHED)
		return false;
	if (c->preauth_elements < UINT16_MAX)
		c->preauth_elements++;
	c->preauth_bytes = len > UINT32_MAX - c->preauth_bytes ? UINT32_MAX
							       : c->preauth_bytes + (uint32_t)len;
	if (c->preauth_elements > env->cfg.preauth_elements_max) {
		c2s_count(env, SB_C2S_CTR_preauth_elements_exceeded);
		return true;
	}
	if (c->preauth_bytes > env->cfg.preauth_bytes_max) {
		c2s_count(env, SB_C2S_CTR_preauth_bytes_exceeded);
		return true;
	}
	return false;
}

size_t sb_c2s_max_element(const struct sb_c2s *c, const struct sb_c2s_env *env)
{
	if (c->flags & SB_C2S_F_AUTHED)
		return SIZE_MAX;
	if (c->preauth_bytes >= env->cfg.preauth_bytes_max)
		return 0;
	return env->cfg.preauth_bytes_max - c->preauth_bytes;
}

/* RFC 6120 §4.7.2: to must be our domain (a bare domainpart that normalises
 * to it). */
static enum sb_c2s_stream_err check_to(struct sb_c2s_env *env, const struct c2s_elem *e)
{
	struct sb_jid *j = &env->scratch->jid;
	long n = c2s_span_value(e, &e->hdr->to, env->scratch->text, sizeof(env->scratch->text));

	if (!(e->hdr->to.flags & SB_XML_SPAN_PRESENT)) {
		c2s_count(env, SB_C2S_CTR_err_no_to);
		return SB_C2S_SERR_HOST_UNKNOWN;
	}
	if (n < 0 || sb_jid_parse(j, env->scratch->text, (size_t)n) < 0 || j->local_len != 0 ||
	    j->resource_len != 0 || j->domain_len != env->cfg.domain_len ||
	    memcmp(j->buf, env->cfg.domain, j->domain_len) != 0) {
		c2s_count(env, SB_C2S_CTR_err_host_unknown);
		return SB_C2S_SERR_HOST_UNKNOWN;
	}
	return SB_C2S_SERR_NONE;
}

/* RFC 6120 §4.7.5: "major.minor", each a non-negative integer (leading zeros
 * ignored). We speak 1.0: any 1.x is answered with 1.0; a missing version
 * means pre-1.0 (§4.7.5 last paragraph) and is refused like 2.0. */
static bool version_ok(const struct c2s_elem *e)
{
	char v[16];
	long n = c2s_span_value(e, &e->hdr->version, v, sizeof(v));
	unsigned major = 0;
	long i = 0;

	if (n <= 0)
		return false;
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		major = major * 10u + (unsigned)(v[i] - '0');
	if (i == 0 || i >= n - 1 || v[i] != '.' || major != 1)
		return false;
	for (i++; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

static enum sb_c2s_action open_checked(struct sb_c2s *c, struct sb_c2s_env *env,
				       const struct c2s_elem *e)
{
	enum sb_c2s_stream_err err;

	if (c2s_random(env, c->stream_id, sizeof(c->stream_id)) != 0) {
		c2s_count(env, SB_C2S_CTR_random_failed);
		memset(c->stream_id, 0, sizeof(c->stream_id));
		return c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR);
	}
	/* §4.8.2: the content namespace of a c2s stream is jabber:client. */
	if (e->hdr->ns.src != SB_XML_NS_SPAN || !c2s_ns_is(e, &e->hdr->ns, C2S_NS_CLIENT)) {
		c2s_count(env, SB_C2S_CTR_err_namespace);
		return c2s_stream_error(c, env, SB_C2S_SERR_INVALID_NAMESPACE);
	}
	err = check_to(env, e);
	if (err != SB_C2S_SERR_NONE)
		return c2s_stream_error(c, env, err);
	if (!version_ok(e)) {
		c2s_count(env, SB_C2S_CTR_err_version);
		return c2s_stream_error(c, env, SB_C2S_SERR_UNSUPPORTED_VERSION);
	}
	if (preauth_exceeded(c, env, e->len))
		return c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION);
	c2s_put_stream_header(c, env);
	c2s_put_features(c, env);
	if (c->state == SB_C2S_S_STREAM_AUTHED) {
		c2s_count(env, SB_C2S_CTR_stream_restarted);
		c->state = SB_C2S_S_BIND;
	} else {
		c2s_count(env, SB_C2S_CTR_stream_opened);
		c->state = SB_C2S_S_SASL;
	}
	return SB_C2S_ACT_NONE;
}

enum sb_c2s_action sb_c2s_stream_open(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct sb_xml_header *hdr, const uint8_t *elem,
				      size_t len, uint64_t base_off)
{
	struct c2s_elem e = { hdr, elem, len, base_off };

	c2s_begin(env);
	if (c->state != SB_C2S_S_STREAM && c->state != SB_C2S_S_STREAM_AUTHED) {
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		if (c->state == SB_C2S_S_CLOSED)
			return SB_C2S_ACT_CLOSE;
		return c2s_finish(c, env, c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR));
	}
	return c2s_finish(c, env, open_checked(c, env, &e));
}

enum sb_c2s_action sb_c2s_element(struct sb_c2s *c, struct sb_c2s_env *env,
				  const struct sb_xml_header *hdr, const uint8_t *elem, size_t len,
				  uint64_t base_off)
{
	struct c2s_elem e = { hdr, elem, len, base_off };
	enum sb_c2s_action act;

	c2s_begin(env);
	if (c->state == SB_C2S_S_CLOSED) {
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		return SB_C2S_ACT_CLOSE;
	}
	if (sb_c2s_waiting(c)) {
		c2s_count(env, SB_C2S_CTR_element_while_waiting);
		return c2s_finish(c, env, c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION));
	}
	if (preauth_exceeded(c, env, len))
		return c2s_finish(c, env, c2s_stream_error(c, env, SB_C2S_SERR_POLICY_VIOLATION));
	if (env->cfg.sm && (c->state == SB_C2S_S_BIND || c->state == SB_C2S_S_BOUND) &&
	    c2s_ns_is(&e, &hdr->ns, C2S_NS_SM))
		return c2s_finish(c, env, c2s_sm_element(c, env, &e));
	if (env->cfg.csi && c->state == SB_C2S_S_BOUND && c2s_ns_is(&e, &hdr->ns, C2S_NS_CSI))
		return c2s_finish(c, env, c2s_csi_element(c, env, &e));
	switch (c->state) {
	case SB_C2S_S_SASL:
	case SB_C2S_S_SASL_INITIAL:
	case SB_C2S_S_SASL_FINAL:
		act = c2s_sasl_element(c, env, &e);
		break;
	case SB_C2S_S_BIND:
		act = c2s_bind_element(c, env, &e);
		break;
	case SB_C2S_S_BOUND:
		act = c2s_stanza_element(c, env, &e);
		break;
	default:
		c2s_count(env, SB_C2S_CTR_bad_state_call);
		act = c2s_stream_error(c, env, SB_C2S_SERR_INTERNAL_SERVER_ERROR);
		break;
	}
	return c2s_finish(c, env, act);
}

enum sb_c2s_action sb_c2s_stream_close(struct sb_c2s *c, struct sb_c2s_env *env)
{
	c2s_begin(env);
	if (c->state == SB_C2S_S_CLOSED)
		return SB_C2S_ACT_CLOSE;
	c2s_count(env, SB_C2S_CTR_client_closed);
	/* RFC 6120 §4.4: answer the close with ours, then close TCP. */
	return c2s_finish(c, env, c2s_stream_error(c, env, SB_C2S_SERR_NONE));
}

/* lib/xml/README.md's table, RFC 6120 §4.9.3. */
static enum sb_c2s_stream_err xml_err_map(enum sb_xml_status st, enum sb_c2s_ctr *ctr)
{
	switch (st) {
	case SB_XML_ERR_DTD:
	case SB_XML_ERR_COMMENT:
	case SB_XML_ERR_PI:
	case SB_XML_ERR_ENTITY:
		*ctr = SB_C2S_CTR_xml_restricted;
		return SB_C2S_SERR_RESTRICTED_XML;
	case SB_XML_ERR_ENCODING:
		*ctr = SB_C2S_CTR_xml_encoding;
		return SB_C2S_SERR_UNSUPPORTED_ENCODING;
	case SB_XML_ERR_TEXT_AT_STREAM:
	case SB_XML_ERR_STREAM_NAME:
		*ctr = SB_C2S_CTR_xml_bad_format;
		return SB_C2S_SERR_BAD_FORMAT;
	case SB_XML_ERR_STREAM_NS:
		*ctr = SB_C2S_CTR_xml_namespace;
		return SB_C2S_SERR_INVALID_NAMESPACE;
	case SB_XML_ERR_STREAM_PREFIX:
		*ctr = SB_C2S_CTR_xml_stream_prefix_in_stanza;
		return SB_C2S_SERR_BAD_NAMESPACE_PREFIX;
	case SB_XML_ERR_LIMIT_STANZA:
	case SB_XML_ERR_LIMIT_DEPTH:
	case SB_XML_ERR_LIMIT_ATTRS:
	case SB_XML_ERR_LIMIT_VALUE:
	case SB_XML_ERR_LIMIT_NAME:
	case SB_XML_ERR_LIMIT_NS:
		*ctr = SB_C2S_CTR_xml_limit;
		return SB_C2S_SERR_POLICY_VIOLATION;
	default:
		*ctr = SB_C2S_CTR_xml_not_well_formed;
		return SB_C2S_SERR_NOT_WELL_FORMED;
	}
}

enum sb_c2s_action sb_c2s_xml_error(struct sb_c2s *c, struct sb_c2s_env *env,
				    enum sb_xml_status st)
{
	enum sb_c2s_ctr ctr;
	enum sb_c2s_stream_err e;

	c2s_begin(env);
	if (c->state == SB_C2S_S_CLOSED)
		return SB_C2S_ACT_CLOSE;
	if (st == SB_XML_ERR_AFTER_CLOSE) {
		/* Our close was already sent in answer to the client's. */
		c2s_count(env, SB_C2S_CTR_xml_after_close);
		sb_c2s_release(c, env);
		c->state = SB_C2S_S_CLOSED;
		return SB_C2S_ACT_CLOSE;
	}
	e = xml_err_map(st, &ctr);
	c2s_count(env, ctr);
	if (c->state == SB_C2S_S_STREAM || c->state == SB_C2S_S_STREAM_AUTHED) {
		/* §4.9.1.2: the header must precede the error; the id it carries is
		 * a fresh one (or zeros if the CSPRNG fails: the stream dies now). */
		if (c2s_random(env, c->stream_id, sizeof(c->stream_id)) != 0)
			memset(c->stream_id, 0, sizeof(c->stream_id));
	}
	return c2s_finish(c, env, c2s_stream_error(c, env, e));
}

enum sb_c2s_action sb_c2s_shutdown(struct sb_c2s *c, struct sb_c2s_env *env,
				   enum sb_c2s_stream_err why)
{
	c2s_begin(env);
	if (c->state == SB_C2S_S_CLOSED)
		return SB_C2S_ACT_CLOSE;
	switch (why) {
	case SB_C2S_SERR_SYSTEM_SHUTDOWN: c2s_count(env, SB_C2S_CTR_shutdown_system); break;
	case SB_C2S_SERR_CONNECTION_TIMEOUT: c2s_count(env, SB_C2S_CTR_shutdown_timeout); break;
	case SB_C2S_SERR_CONFLICT: c2s_count(env, SB_C2S_CTR_shutdown_conflict); break;
	default: c2s_count(env, SB_C2S_CTR_shutdown_other); break;
	}
	if (c->state == SB_C2S_S_STREAM || c->state == SB_C2S_S_STREAM_AUTHED) {
		if (c2s_random(env, c->stream_id, sizeof(c->stream_id)) != 0)
			memset(c->stream_id, 0, sizeof(c->stream_id));
	}
	return c2s_finish(c, env, c2s_stream_error(c, env, why));
}

enum sb_c2s_action sb_c2s_shutdown_text(struct sb_c2s *c, struct sb_c2s_env *env,
					enum sb_c2s_stream_err why, const char *text)
{
	enum sb_c2s_action act;

	env->err_text = text;
	act = sb_c2s_shutdown(c, env, why);
	env->err_text = NULL;
	return act;
}

/* The tokenizer has validated the start tag (lib/xml's walks). */
bool c2s_attr_raw(const struct c2s_elem *e, const char *name, const uint8_t **val, size_t *n)
{
	return sb_xml_walk_attr(e->p, e->len, name, val, n);
}

size_t c2s_stag_end(const struct c2s_elem *e, bool *empty)
{
	return sb_xml_walk_tag_end(e->p, 0, e->len, empty);
}
