/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Private helpers shared by the c2s files: the output writer (every value is
 * escaped on the way out), span access into the caller's element copy, and
 * the per-area entry points the dispatcher in c2s.c calls.
 */
#ifndef SB_XMPP_C2S_PRIV_H
#define SB_XMPP_C2S_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "c2s.h"

#define C2S_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define C2S_NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define C2S_NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define C2S_NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define C2S_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define C2S_NS_STREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define C2S_NS_PING "urn:xmpp:ping"
#define C2S_NS_CLIENT "jabber:client"
#define C2S_NS_SM "urn:xmpp:sm:3"
#define C2S_NS_CSI "urn:xmpp:csi:0"
#define C2S_NS_REGISTER "jabber:iq:register"
#define C2S_NS_REGISTER_FEATURE "http://jabber.org/features/iq-register"

/* One element as the dispatcher got it. */
struct c2s_elem {
	const struct sb_xml_header *hdr;
	const uint8_t *p;
	size_t len;
	uint64_t base;   /* stream offset of p[0] */
};

static inline void c2s_count(struct sb_c2s_env *env, enum sb_c2s_ctr id)
{
	env->ctr[id]++;
}

/* c2s_out.c: append to env->out; a write that does not fit sets
 * env->out_overflow and writes nothing. */
void c2s_put(struct sb_c2s_env *env, const void *p, size_t n);
/* Inline so that strlen() of a literal folds at compile time. */
static inline void c2s_puts(struct sb_c2s_env *env, const char *s)
{
	c2s_put(env, s, strlen(s));
}

void c2s_put_esc(struct sb_c2s_env *env, const void *p, size_t n);
void c2s_put_hex(struct sb_c2s_env *env, const uint8_t *p, size_t n);
void c2s_put_b64(struct sb_c2s_env *env, const uint8_t *p, size_t n);
/* ` name='raw'` with the value's raw bytes and the client's own quote. */
void c2s_put_raw_attr(struct sb_c2s_env *env, const char *name, const uint8_t *raw, size_t n,
		      uint8_t quote);
void c2s_put_stream_header(struct sb_c2s *c, struct sb_c2s_env *env);
void c2s_put_features(const struct sb_c2s *c, struct sb_c2s_env *env);
/* Writes the stream error (with our header first if not sent), the close,
 * releases c, returns CLOSE. */
enum sb_c2s_action c2s_stream_error(struct sb_c2s *c, struct sb_c2s_env *env,
				    enum sb_c2s_stream_err e);
/* The same in two halves, for an application condition in between:
 * _open writes up to the defined condition, _close the rest. */
void c2s_stream_error_open(struct sb_c2s *c, struct sb_c2s_env *env, enum sb_c2s_stream_err e);
enum sb_c2s_action c2s_stream_error_close(struct sb_c2s *c, struct sb_c2s_env *env,
					  enum sb_c2s_stream_err e);
/* <iq|message|presence type='error' [id] from='from' [to=full]><error
 * type='etype'><cond xmlns=stanzas/></error></...> (RFC 6120 §8.3). */
void c2s_put_stanza_error(const struct sb_c2s *c, struct sb_c2s_env *env,
			  const struct c2s_elem *e, const char *from, size_t from_len,
			  const char *etype, const char *cond);
/* <iq type='result' [id] [from]> opening (no '>' closing for callers that
 * add a payload: close with c2s_puts(env, ">")). */
void c2s_put_iq_result_open(const struct sb_c2s *c, struct sb_c2s_env *env,
			    const struct c2s_elem *e, bool from_domain);

/* c2s.c: span access into the element. */
bool c2s_span_raw(const struct c2s_elem *e, const struct sb_xml_span *s, const uint8_t **p,
		  size_t *n);
/* The decoded value into buf[0..cap); returns its length or -1 (absent,
 * out of the element, too long). */
long c2s_span_value(const struct c2s_elem *e, const struct sb_xml_span *s, void *buf,
		    size_t cap);
/* True if ns names uri (the stream default is jabber:client, validated at
 * stream open). */
bool c2s_ns_is(const struct c2s_elem *e, const struct sb_xml_ns *ns, const char *uri);
/* Raw value of the start tag's attribute name (unprefixed names only). */
bool c2s_attr_raw(const struct c2s_elem *e, const char *name, const uint8_t **val, size_t *n);
/* One past the start tag's '>'; *empty for an empty-element tag. */
size_t c2s_stag_end(const struct c2s_elem *e, bool *empty);
bool c2s_name_is(const char *name, uint16_t len, const char *lit);
/* Every entry point starts with c2s_begin() and ends through c2s_finish(),
 * which turns an output overflow into an internal-server-error close. */
void c2s_begin(struct sb_c2s_env *env);
enum sb_c2s_action c2s_finish(struct sb_c2s *c, struct sb_c2s_env *env, enum sb_c2s_action act);
int c2s_random(struct sb_c2s_env *env, uint8_t *buf, size_t n);
void c2s_aux_put(struct sb_c2s *c, struct sb_c2s_env *env);

/* c2s_tls.c: an element in the TLS namespace before authentication, and
 * the REQUIRED gate: c2s_tls_gate() answers an element that may not come
 * before TLS (returns true with *act set) or lets it through (false). */
enum sb_c2s_action c2s_tls_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e);
bool c2s_tls_gate(struct sb_c2s *c, struct sb_c2s_env *env, const struct c2s_elem *e,
		  enum sb_c2s_action *act);
/* The binding data of this stream for SCRAM -PLUS, if -PLUS is offered on
 * it (TLS, cfg.scram_plus, data from env->cbind): true with cb filled. */
static inline bool c2s_cbind(const struct sb_c2s *c, struct sb_c2s_env *env,
			     struct sb_scram_cbind *cb)
{
	memset(cb, 0, sizeof(*cb));
	if (!(c->flags & SB_C2S_F_TLS) || !env->cfg.scram_plus || env->cbind == NULL ||
	    env->cbind(env->cbind_arg, c, cb) < 0)
		return false;
	/* After we refused the client's binding type (slixmpp 1.8 knows only
	 * tls-unique, which TLS 1.3 lacks), it rightly believes we cannot
	 * bind: its "y" then is no downgrade. Stripping -PLUS from features
	 * leaves no such refusal, so that attack is still caught. */
	cb->plus_offered = !(c->flags & SB_C2S_F_CB_REFUSED);
	return true;
}

/* PLAIN may be offered and used on this stream (TLS, or allowed without). */
static inline bool c2s_plain_ok(const struct sb_c2s *c, const struct sb_c2s_env *env)
{
	return (c->flags & SB_C2S_F_TLS) || env->cfg.plain_without_tls;
}

/* XEP-0077: registration may be offered and used on this stream: it
 * carries a password, so the rule of PLAIN applies (TLS, or allowed
 * without). */
static inline bool c2s_reg_ok(const struct sb_c2s *c, const struct sb_c2s_env *env)
{
	return env->cfg.reg && c2s_plain_ok(c, env);
}

/* c2s_register.c: whether e is an iq whose payload is in jabber:iq:register,
 * and its handling before authentication (state SASL) or when bound. */
bool c2s_reg_is(const struct c2s_elem *e);
enum sb_c2s_action c2s_reg_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e);

/* c2s_sasl.c */
enum sb_c2s_action c2s_sasl_element(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e);
/* c2s_bind.c; and ` id='...'` of the iq kept in the aux object while
 * waiting (bind, registration), as the client wrote it. */
void c2s_put_saved_id(struct sb_c2s_env *env, const struct sb_c2s_aux *a);
enum sb_c2s_action c2s_bind_element(struct sb_c2s *c, struct sb_c2s_env *env,
				    const struct c2s_elem *e);
/* c2s_presence.c: the <priority/> of a presence (RFC 6121 §4.7.2.3) into
 * *prio (0 when absent). Returns 1 when given, 0 when absent, -EINVAL when
 * it is not one xs:byte (-128..127) or is given twice. */
int c2s_presence_priority(const struct c2s_elem *e, int8_t *prio);
/* c2s_sm.c: an element in urn:xmpp:sm:3 after authentication (XEP-0198). */
enum sb_c2s_action c2s_sm_element(struct sb_c2s *c, struct sb_c2s_env *env,
				  const struct c2s_elem *e);
/* c2s_csi.c: an element in urn:xmpp:csi:0 after bind (XEP-0352). */
enum sb_c2s_action c2s_csi_element(struct sb_c2s *c, struct sb_c2s_env *env,
				   const struct c2s_elem *e);
/* XEP-0198: one stanza lib/xmpp wrote itself counts in the outbound h. */
static inline void c2s_sm_sent(struct sb_c2s *c)
{
	(void)sb_c2s_sm_sent(c);
}
/* c2s_stanza.c */
enum sb_c2s_action c2s_stanza_element(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct c2s_elem *e);

#endif
