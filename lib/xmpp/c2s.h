/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The client-to-server XMPP stream (RFC 6120) as a state machine that takes
 * parsed input and produces bytes and actions. The caller (the dataplane's
 * XMPP glue) owns the TCP connection and runs lib/xml over the received
 * bytes; for every tokenizer event it calls one sb_c2s_* function with the
 * element's bytes copied contiguously, and gets back an action plus the
 * bytes to send in env->out. This module never does I/O, never blocks, never
 * allocates and never logs: per-connection state is struct sb_c2s (<= 64
 * bytes, asserted), everything large is per-lcore memory in struct
 * sb_c2s_env, and the one per-connection object that exists only during
 * negotiation (SCRAM state, the pending bind id: struct sb_c2s_aux) comes
 * from a per-lcore pool through env callbacks.
 *
 * Calls and actions (every call resets env->out_len and env->res, then:
 *   send env->out[0..out_len) if out_len > 0, then act on the return value):
 *
 *   TCP accepted                 sb_c2s_start()
 *   SB_XML_EV_STREAM_OPEN        sb_c2s_stream_open(hdr, header bytes)
 *   SB_XML_EV_ELEMENT            sb_c2s_element(hdr, element bytes)
 *   SB_XML_EV_STREAM_CLOSE       sb_c2s_stream_close()
 *   sb_xml_feed() error          sb_c2s_xml_error(status)
 *   control plane answered       sb_c2s_credentials() / sb_c2s_plain_result() /
 *                                sb_c2s_bind_result() / sb_c2s_resume_result() /
 *                                sb_c2s_register_result()
 *   timer, replaced session,     sb_c2s_shutdown(condition)
 *   process stop
 *
 *   SB_C2S_ACT_NONE              nothing more to do
 *   SB_C2S_ACT_AUTH_LOOKUP       fetch SCRAM credentials of env->res.user for
 *                                env->res.mech; answer with sb_c2s_credentials()
 *   SB_C2S_ACT_AUTH_PLAIN_VERIFY have the control plane check env->res.user /
 *                                env->res.passwd (PBKDF2 is too slow for an
 *                                lcore); answer with sb_c2s_plain_result()
 *   SB_C2S_ACT_RESTART           SASL succeeded: after sending, sb_xml_init()
 *                                the tokenizer (RFC 6120 §6.4.6: a new stream
 *                                starts at the next byte, offset 0)
 *   SB_C2S_ACT_BIND_REQUEST      ask the control plane to bind env->res.jid;
 *                                answer with sb_c2s_bind_result()
 *   SB_C2S_ACT_ROUTE             env->res.stanza is a stanza to route: its
 *                                bytes (from stamped) are in env->route
 *   SB_C2S_ACT_CLOSE             after sending, close the TCP connection; the
 *                                state is CLOSED and every later call is refused
 *   SB_C2S_ACT_STARTTLS          <proceed/> is in env->out (RFC 6120 §5.4.2.3):
 *                                send it in clear, then run the TLS handshake
 *                                on every byte that follows, those already
 *                                received after <starttls/> included (they go
 *                                to TLS, never to the tokenizer: plaintext a
 *                                client slips in after <starttls/> fails the
 *                                handshake instead of reaching the stream).
 *                                On success sb_xml_init() the tokenizer, feed
 *                                it the decrypted bytes and call
 *                                sb_c2s_tls_done(); on failure close TCP
 *                                (§5.4.3.2)
 *   SB_C2S_ACT_SM_ACK            the client acknowledged outbound stanzas up to
 *                                env->res.sm_h (XEP-0198 §4): release what the
 *                                glue kept for them (numbered with
 *                                sb_c2s_sm_sent())
 *   SB_C2S_ACT_SM_ENABLED        <enabled resume='true'/> is in env->out: the
 *                                session may be resumed by env->res.sm_id
 *                                (SB_C2S_SM_ID_RAW bytes) for env->res.sm_max
 *                                seconds; tell the control plane
 *   SB_C2S_ACT_SM_RESUME         <resume/> before bind: ask the control plane
 *                                for session env->res.sm_id of env->res.bare,
 *                                the client having received env->res.sm_h
 *                                stanzas; answer with sb_c2s_resume_result()
 *   SB_C2S_ACT_CSI               <inactive/> or <active/> (XEP-0352): the
 *                                client's state is now sb_c2s_csi_inactive();
 *                                on active, write what was held back
 *
 * Client state indication (XEP-0352, when cfg.csi): <csi/> is offered with
 * bind; after bind, <inactive/> and <active/> in urn:xmpp:csi:0 set or
 * clear SB_C2S_F_CSI_INACTIVE (no reply, not counted in XEP-0198's h: they
 * are nonzas). Before bind, or with cfg.csi off, they are refused like any
 * other unknown element. What an inactive client is spared is the glue's;
 * sb_c2s_csi_scan() tells it which stanzas are urgent.
 *   SB_C2S_ACT_REGISTER          XEP-0077 (cfg.reg): have the control plane
 *                                apply env->res.reg_op to account env->res.bare
 *                                (env->res.user its localpart) with
 *                                env->res.passwd and, for CREATE, the invite
 *                                env->res.token; answer with
 *                                sb_c2s_register_result()
 *   SB_C2S_ACT_SM_REQUEST        (cfg.sm_ack_promise) the client sent <r/>: the
 *                                glue answers with sb_c2s_sm_ack_write() and
 *                                the h it has promised (at most c->sm_in)
 *
 * Stream management (XEP-0198 v1.6, when cfg.sm): <sm/> is offered with
 * bind; <enable/> after bind starts counting (<enable/> before bind gets
 * <failed><unexpected-request/>, a second one a stream error). From then
 * on c->sm_in counts the iq, message and presence elements the client sent
 * (each one handled here: routed, answered or refused), and c->sm_out the
 * stanzas written to it: lib/xmpp counts its own replies, the glue calls
 * sb_c2s_sm_sent() for each stanza it writes. Both wrap at 2^32 (§4).
 * <r/> is answered at once with <a h=sm_in/>; an <a h/> that acknowledges
 * more than was sent is a stream error (undefined-condition with
 * <handled-count-too-high/>, §4). Resumption (§5) when cfg.sm_max_resume_s
 * is not 0: <enable resume='true' [max]/> gets an opaque id (128 CSPRNG
 * bits) and max = min(client's max, the ceiling) (SM_ENABLED); <resume
 * previd h/> after SASL, before bind, is decided by the control plane
 * (SM_RESUME, then sb_c2s_resume_result(): <resumed previd h/> and the
 * stream is bound, or <failed [h]><item-not-found/></failed> and the client
 * may bind as usual).
 *
 * TLS (RFC 6120 §5, XEP-0368): cfg.tls_policy says whether STARTTLS is
 * offered (OPTIONAL) or the only thing a client may do before TLS
 * (REQUIRED: SASL and everything else are refused with <policy-violation/>,
 * <auth/> first getting <encryption-required/>). A direct-TLS connection
 * calls sb_c2s_tls_done() right after sb_c2s_start(), once its handshake
 * is done. PLAIN is offered and accepted on an unencrypted stream only if
 * cfg.plain_without_tls.
 *
 * Waiting (sb_c2s_waiting() true, between AUTH_LOOKUP / AUTH_PLAIN_VERIFY /
 * BIND_REQUEST / STARTTLS / SM_RESUME / REGISTER and the matching answer): the glue should stop feeding the
 * tokenizer for this connection and leave further bytes in their mbufs
 * (backpressure through the TCP window), so that a client pipelining after
 * its bind request is served in order. An element delivered anyway is
 * refused with a <policy-violation/> stream error (counted WHILE_WAITING):
 * RFC 6120 §6.4 lets the client send nothing during a SASL step before the
 * server answers, and order after a bind cannot be kept without buffering.
 *
 * Memory: the aux object is taken at <auth> and kept until the bind answer
 * (it carries the authenticated username from SASL to binding, and the bind
 * iq's id while the control plane decides); it is returned to the pool on a
 * failed attempt, on bind success and on close. The bound full JID lives in
 * glue memory handed over by sb_c2s_bind_result(); the bare JID is its
 * prefix.
 */
#ifndef SB_XMPP_C2S_H
#define SB_XMPP_C2S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctr.h"
#include "jid.h"
#include "scram.h"
#include "xml.h"

/* Limits and sizes. */
#define SB_C2S_DOMAIN_MAX 255u         /* our domain, normalised (RFC 7622: <= 1023) */
#define SB_C2S_STREAM_ID_RAW 16u       /* CSPRNG bytes of a stream id (32 hex chars) */
#define SB_C2S_RESOURCE_RAW 8u         /* CSPRNG bytes of a generated resource */
#define SB_C2S_BIND_ID_MAX 512u        /* raw bytes of a bind iq's id kept while waiting */
#define SB_C2S_SASL_B64_MAX 2048u      /* base64 text of one <auth>/<response> */
#define SB_C2S_OUT_MIN 16384u          /* env->out_cap must be at least this */
#define SB_C2S_ROUTE_EXTRA (SB_JID_FULL_MAX * 6u + 16u) /* route_cap >= element + this */
#define SB_C2S_PREAUTH_BYTES_DEFAULT 8192u   /* ejabberd's pre-auth stanza limit */
#define SB_C2S_PREAUTH_ELEMENTS_DEFAULT 32u  /* ejabberd's pre-auth element limit */
#define SB_C2S_AUTH_ATTEMPTS_DEFAULT 3u      /* RFC 6120 §6.4.5: 2..5 retries */

/* Connection states (struct sb_c2s.state). */
enum sb_c2s_state {
	SB_C2S_S_INIT = 0,        /* not started */
	SB_C2S_S_STREAM,          /* waiting for the initial stream header */
	SB_C2S_S_SASL,            /* features sent, waiting for <auth/> */
	SB_C2S_S_SASL_INITIAL,    /* <auth/> had no initial response: empty challenge sent */
	SB_C2S_S_SASL_LOOKUP,     /* AUTH_LOOKUP issued, waiting for sb_c2s_credentials() */
	SB_C2S_S_SASL_FINAL,      /* SCRAM server-first sent, waiting for <response/> */
	SB_C2S_S_SASL_VERIFY,     /* AUTH_PLAIN_VERIFY issued, waiting for the verdict */
	SB_C2S_S_STREAM_AUTHED,   /* <success/> sent, waiting for the restarted stream header */
	SB_C2S_S_BIND,            /* post-auth features sent, waiting for the bind iq */
	SB_C2S_S_BIND_WAIT,       /* BIND_REQUEST issued, waiting for sb_c2s_bind_result() */
	SB_C2S_S_BOUND,           /* session: stanzas are routed */
	SB_C2S_S_TLS_WAIT,        /* <proceed/> sent: waiting for the TLS handshake */
	SB_C2S_S_RESUME_WAIT,     /* SM_RESUME issued, waiting for sb_c2s_resume_result() */
	SB_C2S_S_CLOSED,          /* closing or closed: every call returns CLOSE */
	SB_C2S_S_REG_WAIT,        /* REGISTER issued, waiting for sb_c2s_register_result()
				   * (back to SASL, or BOUND when F_AUTHED) */
	SB_C2S_S_MAX
};

#define SB_C2S_F_HDR_SENT 0x01u  /* our stream header for the current stream is out */
#define SB_C2S_F_AUTHED 0x02u    /* SASL succeeded */
#define SB_C2S_F_GENERATED 0x04u /* the pending/bound resource was server-generated */
#define SB_C2S_F_TLS 0x08u       /* the stream runs over TLS (STARTTLS or direct) */
#define SB_C2S_F_CSI_INACTIVE 0x10u /* XEP-0352: the client said <inactive/> (and not
				     * <active/> since); every stream starts active */
#define SB_C2S_F_CB_REFUSED 0x80u /* a -PLUS attempt named a binding type we lack: a
				   * later "y" is no downgrade (RFC 5802 §6) */

#define SB_C2S_SM_ENABLED 0x01u  /* XEP-0198 <enabled/> sent: both counters run */
#define SB_C2S_SM_RESUMABLE 0x02u /* ... with resume='true' (§5) */
#define SB_C2S_SM_ID_RAW 16u     /* CSPRNG bytes of an <enabled/> id (32 hex chars) */

enum sb_c2s_action {
	SB_C2S_ACT_NONE = 0,
	SB_C2S_ACT_AUTH_LOOKUP,
	SB_C2S_ACT_AUTH_PLAIN_VERIFY,
	SB_C2S_ACT_RESTART,
	SB_C2S_ACT_BIND_REQUEST,
	SB_C2S_ACT_ROUTE,
	SB_C2S_ACT_CLOSE,
	SB_C2S_ACT_STARTTLS,
	SB_C2S_ACT_SM_ACK,
	SB_C2S_ACT_SM_ENABLED,
	SB_C2S_ACT_SM_RESUME,
	SB_C2S_ACT_CSI,
	SB_C2S_ACT_REGISTER,
	SB_C2S_ACT_SM_REQUEST,
	SB_C2S_ACT_MAX
};

/* xmpp.tls: what an unencrypted c2s stream may do (RFC 6120 §5.3.1). */
enum sb_c2s_tls_policy {
	SB_C2S_TLS_OFF = 0,    /* STARTTLS not offered, refused if asked */
	SB_C2S_TLS_OPTIONAL,   /* offered; SASL allowed without it */
	SB_C2S_TLS_REQUIRED,   /* offered with <required/>; nothing else before it */
	SB_C2S_TLS_POLICY_MAX
};

/* Stream error conditions we send (RFC 6120 §4.9.3). */
enum sb_c2s_stream_err {
	SB_C2S_SERR_NONE = 0,
	SB_C2S_SERR_BAD_FORMAT,            /* §4.9.3.1 */
	SB_C2S_SERR_BAD_NAMESPACE_PREFIX,  /* §4.9.3.2: a stanza used a stream-level prefix */
	SB_C2S_SERR_CONFLICT,              /* §4.9.3.3: replaced by a new session */
	SB_C2S_SERR_CONNECTION_TIMEOUT,    /* §4.9.3.4 */
	SB_C2S_SERR_HOST_UNKNOWN,          /* §4.9.3.6 */
	SB_C2S_SERR_INTERNAL_SERVER_ERROR, /* §4.9.3.8 */
	SB_C2S_SERR_INVALID_NAMESPACE,     /* §4.9.3.10 */
	SB_C2S_SERR_NOT_AUTHORIZED,        /* §4.9.3.12 */
	SB_C2S_SERR_NOT_WELL_FORMED,       /* §4.9.3.13 */
	SB_C2S_SERR_POLICY_VIOLATION,      /* §4.9.3.14 */
	SB_C2S_SERR_RESET,                 /* §4.9.3.16: credentials changed */
	SB_C2S_SERR_RESOURCE_CONSTRAINT,   /* §4.9.3.17 */
	SB_C2S_SERR_RESTRICTED_XML,        /* §4.9.3.18 */
	SB_C2S_SERR_SYSTEM_SHUTDOWN,       /* §4.9.3.20 */
	SB_C2S_SERR_UNSUPPORTED_ENCODING,  /* §4.9.3.22 */
	SB_C2S_SERR_UNSUPPORTED_STANZA,    /* §4.9.3.24 */
	SB_C2S_SERR_UNSUPPORTED_VERSION,   /* §4.9.3.25 */
	SB_C2S_SERR_UNDEFINED_CONDITION,   /* §4.9.3.21: XEP-0198's handled-count-too-high */
	SB_C2S_SERR_MAX
};

/* SASL mechanisms we offer (bit i of sb_c2s_config.mechs). */
enum sb_c2s_mech {
	SB_C2S_MECH_SCRAM_SHA1 = SB_SCRAM_SHA1,
	SB_C2S_MECH_SCRAM_SHA256 = SB_SCRAM_SHA256,
	SB_C2S_MECH_PLAIN,
	SB_C2S_MECH_MAX
};
#define SB_C2S_MECH_BIT(m) (1u << (m))

/* What the control plane does when a bind names a resource already bound
 * (RFC 6120 §7.7.2.2). Passed through in env->res for BIND_REQUEST; the
 * control plane applies it and answers with sb_c2s_bind_result(). */
enum sb_c2s_conflict_policy {
	SB_C2S_CONFLICT_KICK_OLD = 0, /* the old session gets a <conflict/> stream error */
	SB_C2S_CONFLICT_REFUSE,       /* the new bind gets a <conflict/> iq error */
	SB_C2S_CONFLICT_RENAME,       /* the server picks another resource */
	SB_C2S_CONFLICT_MAX
};

/* XEP-0077 operations (env->res.reg_op for SB_C2S_ACT_REGISTER). */
enum sb_c2s_reg_op {
	SB_C2S_REG_CREATE = 0, /* before authentication: a new account (§3.1) */
	SB_C2S_REG_PASSWD,     /* bound: the user's own password (§3.3) */
	SB_C2S_REG_REMOVE,     /* bound: the user's own account (§3.2) */
	SB_C2S_REG_OP_MAX
};

/* The control plane's answer to REGISTER, and the stanza error each gets
 * (XEP-0077 §3, §9; RFC 6120 §8.3.3). */
enum sb_c2s_reg_status {
	SB_C2S_REG_OK = 0,            /* result (REMOVE: then a not-authorized stream
				       * error, the account is gone) */
	SB_C2S_REG_CONFLICT,          /* cancel/conflict: the username is taken */
	SB_C2S_REG_NOT_ACCEPTABLE,    /* modify/not-acceptable: the password is refused */
	SB_C2S_REG_NOT_ALLOWED,       /* cancel/not-allowed: invite token missing or wrong */
	SB_C2S_REG_RATE_LIMITED,      /* wait/resource-constraint: too many from the address */
	SB_C2S_REG_UNAVAILABLE,       /* wait/internal-server-error: store or queue failed */
	SB_C2S_REG_STATUS_MAX
};

#define SB_C2S_REG_TOKEN_MAX 256u   /* bytes of an invite token (<key/>) */

/* The control plane's answer to BIND_REQUEST. */
enum sb_c2s_bind_status {
	SB_C2S_BIND_OK = 0,          /* bound to the JID passed to sb_c2s_bind_result() */
	SB_C2S_BIND_CONFLICT,        /* <conflict/> (§7.7.2.2) */
	SB_C2S_BIND_NOT_ALLOWED,     /* <not-allowed/> (§7.6.2.2) */
	SB_C2S_BIND_RESOURCE_LIMIT,  /* <resource-constraint/>: too many sessions (§7.6.2.1) */
	SB_C2S_BIND_STATUS_MAX
};

enum sb_c2s_kind {
	SB_C2S_KIND_MESSAGE = 0,
	SB_C2S_KIND_PRESENCE,
	SB_C2S_KIND_IQ,
	SB_C2S_KIND_MAX
};

/* The type attribute of a routed stanza (RFC 6120 §8.2.3, RFC 6121 §4.7.1,
 * §5.2.2). Absent: NONE; a message type RFC 6121 does not list for
 * messages (iq and presence types included): OTHER, delivered as normal
 * (§5.2.2). iq and presence types outside their lists never reach ROUTE. */
enum sb_c2s_type {
	SB_C2S_T_NONE = 0,
	SB_C2S_T_GET, SB_C2S_T_SET, SB_C2S_T_RESULT, SB_C2S_T_ERROR,
	SB_C2S_T_CHAT, SB_C2S_T_GROUPCHAT, SB_C2S_T_HEADLINE, SB_C2S_T_NORMAL,
	SB_C2S_T_UNAVAILABLE, SB_C2S_T_PROBE, SB_C2S_T_SUBSCRIBE, SB_C2S_T_SUBSCRIBED,
	SB_C2S_T_UNSUBSCRIBE, SB_C2S_T_UNSUBSCRIBED,
	SB_C2S_T_OTHER,
	SB_C2S_T_MAX
};

/* A stanza for SB_C2S_ACT_ROUTE. Pointers are into env->route (bytes, id,
 * child_ns) or env->scratch (to) and valid until the next call on this
 * env. */
struct sb_c2s_stanza {
	const uint8_t *bytes;      /* the element, from='<bound full JID>' stamped */
	size_t len;
	const uint8_t *id;         /* raw id value as received (inside bytes), NULL if absent */
	size_t id_len;
	const struct sb_jid *to;   /* normalised to, NULL if absent */
	const uint8_t *child_ns;   /* namespace of the first child, raw bytes as received
				    * (in bytes, or a constant for jabber:client); NULL if
				    * none or not known */
	size_t child_ns_len;
	uint8_t kind;              /* enum sb_c2s_kind */
	uint8_t type;              /* enum sb_c2s_type */
	int8_t priority;           /* presence: <priority/>, -128..127; 0 when absent
				    * (RFC 6121 §4.7.2.3); an invalid one never routes */
	bool has_priority;         /* presence: the <priority/> element was given */
	char child[SB_XML_HDR_NAME_BYTES]; /* local name of the first child ("" if none) */
};

/* Filled by every call; which fields are meaningful depends on the action. */
struct sb_c2s_result {
	/* AUTH_LOOKUP, AUTH_PLAIN_VERIFY: normalised username (NUL-terminated)
	 * and its bare JID user@domain (NUL-terminated), in env->scratch. */
	const char *user;
	size_t user_len;
	const char *bare;
	size_t bare_len;
	uint8_t mech;              /* enum sb_c2s_mech */
	/* BIND_REQUEST: conflict policy from the config */
	uint8_t conflict_policy;   /* enum sb_c2s_conflict_policy */
	bool generated;            /* BIND_REQUEST: the resource was generated here */
	/* CLOSE: the stream error sent, SB_C2S_SERR_NONE for a plain close */
	uint8_t stream_err;        /* enum sb_c2s_stream_err */
	/* AUTH_PLAIN_VERIFY: the password (SASLprep is the verifier's job), in
	 * env->scratch; the glue copies it and must not keep it. The next call
	 * on this env wipes it. */
	const char *passwd;
	size_t passwd_len;
	/* BIND_REQUEST: the normalised full JID requested, NUL-terminated, in
	 * env->scratch */
	const char *jid;
	size_t jid_len;
	/* ROUTE */
	struct sb_c2s_stanza stanza;
	/* SM_ACK: the client's h, every stanza up to it is acknowledged;
	 * SM_RESUME: the h the client sent */
	uint32_t sm_h;
	/* SM_ENABLED, SM_RESUME: the id (SB_C2S_SM_ID_RAW bytes, in scratch or
	 * aux); SM_ENABLED: the window granted, seconds */
	const uint8_t *sm_id;
	uint32_t sm_max;
	/* REGISTER: the operation (enum sb_c2s_reg_op), and the invite token
	 * (<key/>, decoded; NULL when absent) in env->scratch, wiped by the
	 * next call like the password */
	uint8_t reg_op;
	const char *token;
	size_t token_len;
};

/* Per-connection object that exists only during negotiation (see above).
 * The glue's pool hands out objects of sizeof(struct sb_c2s_aux). */
struct sb_c2s_aux {
	struct sb_scram_user user;          /* authenticated (or authenticating) username */
	uint16_t bind_id_len;               /* BIND_WAIT: id of the bind iq */
	uint8_t bind_id_quote;              /* the quote character the client used */
	uint8_t bind_has_id;
	uint8_t plus;                       /* the SCRAM exchange is -PLUS */
	uint8_t reg_op;                     /* REG_WAIT: enum sb_c2s_reg_op */
	union {
		struct sb_scram_server scram;   /* during SCRAM */
		uint8_t bind_id[SB_C2S_BIND_ID_MAX]; /* during BIND_WAIT and REG_WAIT */
		struct {
			uint8_t id[SB_C2S_SM_ID_RAW];
			uint32_t h;
		} resume;                       /* during RESUME_WAIT */
	} u;
};

/* Per-connection state. Read-only for the glue except through the
 * functions below. */
struct sb_c2s {
	uint8_t state;             /* enum sb_c2s_state */
	uint8_t flags;             /* SB_C2S_F_* */
	uint8_t auth_failures;     /* SASL failures and aborts on this connection */
	uint8_t mech;              /* enum sb_c2s_mech of the current/last exchange */
	uint16_t preauth_elements; /* elements (and headers) received before SASL success */
	uint16_t jid_len;          /* bound full JID */
	uint16_t bare_len;         /* its bare prefix */
	uint8_t sm;                /* SB_C2S_SM_*: XEP-0198 state */
	uint8_t pad;
	uint32_t preauth_bytes;    /* bytes of those elements and headers */
	uint32_t sm_in;            /* XEP-0198 h: stanzas handled from the client, mod 2^32 */
	uint32_t sm_out;           /* stanzas sent to the client since <enable/>, mod 2^32 */
	uint32_t sm_acked;         /* the last h the client acknowledged */
	uint8_t stream_id[SB_C2S_STREAM_ID_RAW]; /* current stream id, sent as 32 hex chars */
	struct sb_c2s_aux *aux;    /* from env->aux_alloc, NULL when not negotiating */
	const char *jid;           /* bound full JID in glue memory, NULL before bind */
};
_Static_assert(sizeof(struct sb_c2s) <= 64, "per-connection c2s state must stay <= 64 bytes");

/* Configuration, per lcore (copied from the process config at start-up). */
struct sb_c2s_config {
	char domain[SB_C2S_DOMAIN_MAX + 1]; /* normalised (sb_jid_parse of the domain) */
	uint16_t domain_len;
	uint8_t mechs;                  /* SB_C2S_MECH_BIT() set offered and accepted */
	uint8_t max_auth_attempts;      /* failures before policy-violation; 1..255 */
	uint32_t preauth_bytes_max;     /* summed element bytes before SASL success */
	uint16_t preauth_elements_max;  /* elements before SASL success */
	bool legacy_session;            /* advertise <session><optional/></session> */
	uint8_t conflict_policy;        /* enum sb_c2s_conflict_policy */
	bool route_server_iq;           /* route iqs to the domain instead of refusing */
	uint8_t tls_policy;             /* enum sb_c2s_tls_policy */
	bool plain_without_tls;         /* offer/accept PLAIN on an unencrypted stream */
	bool roster_versioning;         /* offer urn:xmpp:features:rosterver after auth */
	bool scram_plus;                /* offer SCRAM-*-PLUS over TLS (env->cbind) */
	bool sm;                        /* offer XEP-0198 stream management after auth */
	uint32_t sm_max_resume_s;       /* XEP-0198 §5 window ceiling; 0: no resumption */
	bool csi;                       /* offer XEP-0352 client state indication after auth */
	bool reg;                       /* XEP-0077 in-band registration (xmpp.register) */
	bool reg_token;                 /* ... needs an invite token in <key/> */
	bool sm_ack_promise;            /* <r/> is the glue's to answer (SM_REQUEST): its h
					 * counts only stanzas that are safe, not just read */
	uint8_t fake_secret[32];        /* key of sb_scram_credentials_fake() */
	uint32_t fake_iterations;       /* iteration count unknown users are given */
};

/* Per-lcore working memory the functions use; the glue owns one per lcore
 * (about 9 KiB) and never reads it except through env->res pointers. */
struct sb_c2s_scratch {
	struct sb_jid jid;                           /* a parsed to / bound JID */
	uint8_t sasl[SB_C2S_SASL_B64_MAX];           /* decoded SASL payload */
	char text[SB_JID_FULL_MAX + 1];              /* decoded values, server messages */
	char bare[SB_SCRAM_USER_MAX + SB_C2S_DOMAIN_MAX + 2];
};

enum sb_c2s_ctr {
#define SB_CTR(name, help) SB_C2S_CTR_##name,
#include "c2s_counters.def"
#undef SB_CTR
	SB_C2S_CTR_MAX
};

/* Per-lcore environment passed to every call. */
struct sb_c2s_env {
	struct sb_c2s_config cfg;
	/* Output: every call writes the bytes to send here from offset 0. */
	uint8_t *out;
	size_t out_cap;                 /* >= SB_C2S_OUT_MIN */
	size_t out_len;
	/* Where a ROUTE stanza is written; the glue may point it at the ring
	 * object's data before each sb_c2s_element() call. */
	uint8_t *route;
	size_t route_cap;               /* >= element length + SB_C2S_ROUTE_EXTRA */
	struct sb_c2s_result res;
	struct sb_c2s_scratch *scratch;
	/* Pool of struct sb_c2s_aux; alloc returns NULL when empty. */
	void *(*aux_alloc)(void *arg);
	void (*aux_free)(void *arg, void *obj);
	/* CSPRNG: 0 or a negative errno; NULL selects OpenSSL RAND_bytes(). */
	int (*random)(void *arg, uint8_t *buf, size_t len);
	void *cb_arg;
	/* Channel binding data of connection c (RFC 9266 tls-exporter, RFC
	 * 5929 tls-server-end-point) for SCRAM -PLUS: fills out (pointers
	 * valid until the call returns) and returns 0, or a negative errno when
	 * c has none (not TLS, TLS 1.2). NULL: -PLUS never offered. */
	int (*cbind)(void *arg, const struct sb_c2s *c, struct sb_scram_cbind *out);
	void *cbind_arg;
	bool out_overflow;              /* private: a write did not fit (counted, closes) */
	const char *err_text;           /* private: <text/> of the next stream error */
	bool scratch_secret;            /* private: scratch holds a PLAIN password until the
					 * next call, which wipes it */
	uint64_t ctr[SB_C2S_CTR_MAX];
};

/* Defaults: our mechanisms all on, 3 attempts, 8192 bytes / 32 elements
 * before auth, legacy session on, KICK_OLD, iqs to the domain refused,
 * fake_iterations SB_SCRAM_ITER_MIN, TLS required and PLAIN only over it
 * (the dataplane sets both from xmpp.tls and xmpp.plain_without_tls),
 * SCRAM -PLUS offered where env->cbind gives binding data. domain is parsed and normalised with
 * lib/jid; returns 0, -EINVAL (not a bare domain) or -ENAMETOOLONG. The
 * fake secret is zero: set it from configuration. */
int sb_c2s_config_default(struct sb_c2s_config *cfg, const char *domain, size_t len);

/* xmpp.tls's value ("required", "optional", "off") as enum
 * sb_c2s_tls_policy, or -EINVAL. */
int sb_c2s_tls_policy_parse(const char *s);

/* Counter name for telemetry ("sasl_success", ...); NULL past the end. */
const char *sb_c2s_ctr_name(enum sb_c2s_ctr id);

/* Names and help of the counters, by enum sb_c2s_ctr (c2s.c). */
extern const struct sb_ctr_desc sb_c2s_ctr_desc[SB_C2S_CTR_MAX];

/* Names of stream errors / states for diagnostics. */
const char *sb_c2s_stream_err_name(enum sb_c2s_stream_err e);
const char *sb_c2s_state_name(enum sb_c2s_state s);

/* New connection: c is initialised (any previous content ignored) and
 * waits for the stream header. Writes nothing; returns NONE. */
enum sb_c2s_action sb_c2s_start(struct sb_c2s *c, struct sb_c2s_env *env);

/* SB_XML_EV_STREAM_OPEN. hdr is the tokenizer's header; its spans are stream
 * offsets, and elem[0..len) holds the stream header's bytes with elem[0] at
 * stream offset base_off. Writes our header and features (NONE), or our
 * header and a stream error (CLOSE). */
enum sb_c2s_action sb_c2s_stream_open(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct sb_xml_header *hdr, const uint8_t *elem,
				      size_t len, uint64_t base_off);

/* SB_XML_EV_ELEMENT: one complete top-level element, as for stream_open. */
enum sb_c2s_action sb_c2s_element(struct sb_c2s *c, struct sb_c2s_env *env,
				  const struct sb_xml_header *hdr, const uint8_t *elem, size_t len,
				  uint64_t base_off);

/* Answer to AUTH_LOOKUP: the user's stored credentials for res.mech, or
 * NULL when the user does not exist (the exchange then fails at the proof,
 * like a wrong password). */
enum sb_c2s_action sb_c2s_credentials(struct sb_c2s *c, struct sb_c2s_env *env,
				      const struct sb_scram_creds *creds);

/* Answer to AUTH_PLAIN_VERIFY. */
enum sb_c2s_action sb_c2s_plain_result(struct sb_c2s *c, struct sb_c2s_env *env, bool ok);

/* Answer to BIND_REQUEST. For SB_C2S_BIND_OK, jid[0..len) is the bound
 * normalised full JID in glue memory that stays valid and unchanged for the
 * connection's life (the requested one, or another under RENAME); c keeps
 * the pointer. Other statuses ignore jid and answer the iq with an error;
 * the client may try again. */
enum sb_c2s_action sb_c2s_bind_result(struct sb_c2s *c, struct sb_c2s_env *env,
				      enum sb_c2s_bind_status st, const char *jid, size_t len);

/* Answer to SM_RESUME. ok: the session of jid[0..len) (glue memory, as for
 * sb_c2s_bind_result) now lives on this stream; h_in is the number of
 * stanzas the server had handled from the client: <resumed previd h/>,
 * the stream is bound with stream management on, and the outbound count
 * continues from the client's h (what the glue replays is numbered from
 * there). Not ok: <failed><item-not-found/></failed>, with h='h_in' when
 * h_known (an expired session whose count is still known); the client may
 * bind. */
enum sb_c2s_action sb_c2s_resume_result(struct sb_c2s *c, struct sb_c2s_env *env, bool ok,
					const char *jid, size_t len, uint32_t h_in, bool h_known);

/* Answer to REGISTER: the iq result or error (see enum sb_c2s_reg_status);
 * the stream goes back to SASL (before authentication) or BOUND. A REMOVE
 * that succeeded closes the stream (CLOSE). */
enum sb_c2s_action sb_c2s_register_result(struct sb_c2s *c, struct sb_c2s_env *env,
					  enum sb_c2s_reg_status st);

/* SB_XML_EV_STREAM_CLOSE: our </stream:stream>, CLOSE. */
enum sb_c2s_action sb_c2s_stream_close(struct sb_c2s *c, struct sb_c2s_env *env);

/* sb_xml_feed() failed with st: the mapped stream error (lib/xml/README.md),
 * preceded by our stream header if it was not sent yet (RFC 6120 §4.9.1.2),
 * then CLOSE. ERR_AFTER_CLOSE writes nothing. */
enum sb_c2s_action sb_c2s_xml_error(struct sb_c2s *c, struct sb_c2s_env *env,
				    enum sb_xml_status st);

/* The TLS handshake completed: after SB_C2S_ACT_STARTTLS (the client now
 * opens a new stream, RFC 6120 §5.4.3.3), or on a direct-TLS connection
 * before any byte (XEP-0368). Writes nothing; NONE. In any other state it
 * is a glue error: counted, and the stream is closed. */
enum sb_c2s_action sb_c2s_tls_done(struct sb_c2s *c, struct sb_c2s_env *env);

/* Close from our side with a stream error (system-shutdown,
 * connection-timeout, conflict, ...); CLOSE. */
enum sb_c2s_action sb_c2s_shutdown(struct sb_c2s *c, struct sb_c2s_env *env,
				   enum sb_c2s_stream_err why);

/* The same with a human-readable <text/> saying why (RFC 6120 §4.9.2), for
 * the limits a well-behaved client can run into (rate limits, bans): the
 * user is told, not just disconnected. text is plain ASCII, not escaped. */
enum sb_c2s_action sb_c2s_shutdown_text(struct sb_c2s *c, struct sb_c2s_env *env,
					enum sb_c2s_stream_err why, const char *text);

/* Release what c holds (the aux object) when the glue tears the connection
 * down, whatever the state. Idempotent. */
void sb_c2s_release(struct sb_c2s *c, struct sb_c2s_env *env);

/* Largest element the tokenizer should accept next on c: the pre-auth
 * allowance left before SASL success, else SIZE_MAX (the tokenizer's own
 * limit applies). The glue may feed it into struct sb_xml_limits. */
size_t sb_c2s_max_element(const struct sb_c2s *c, const struct sb_c2s_env *env);

/* True while an asynchronous answer is pending (see Waiting above). */
static inline bool sb_c2s_waiting(const struct sb_c2s *c)
{
	return c->state == SB_C2S_S_SASL_LOOKUP || c->state == SB_C2S_S_SASL_VERIFY ||
	       c->state == SB_C2S_S_BIND_WAIT || c->state == SB_C2S_S_TLS_WAIT ||
	       c->state == SB_C2S_S_RESUME_WAIT || c->state == SB_C2S_S_REG_WAIT;
}

/* XEP-0198: whether <enable/> succeeded on this stream. */
static inline bool sb_c2s_sm_enabled(const struct sb_c2s *c)
{
	return (c->sm & SB_C2S_SM_ENABLED) != 0;
}

/* XEP-0198: the glue wrote one stanza (iq, message, presence) to the
 * client. Returns its number in the outbound count (1 for the first after
 * <enable/>, wrapping at 2^32), which the client's <a h/> names; 0 when
 * stream management is off. */
static inline uint32_t sb_c2s_sm_sent(struct sb_c2s *c)
{
	if (!(c->sm & SB_C2S_SM_ENABLED))
		return 0;
	return ++c->sm_out;
}

/* XEP-0198 §4: <a xmlns='urn:xmpp:sm:3' h='h'/> into buf (at least
 * SB_C2S_SM_ACK_MAX bytes). Returns its length. */
#define SB_C2S_SM_ACK_MAX 48u
size_t sb_c2s_sm_ack_write(uint8_t *buf, uint32_t h);

/* XEP-0198: stanzas sent and not yet acknowledged. */
static inline uint32_t sb_c2s_sm_unacked(const struct sb_c2s *c)
{
	return c->sm_out - c->sm_acked;
}

/* XEP-0198 §4: whether serial number a is at or before b (mod 2^32). */
static inline bool sb_c2s_sm_le(uint32_t a, uint32_t b)
{
	return (uint32_t)(b - a) < 0x80000000u;
}

/* XEP-0352: whether the client said it is inactive. */
static inline bool sb_c2s_csi_inactive(const struct sb_c2s *c)
{
	return (c->flags & SB_C2S_F_CSI_INACTIVE) != 0;
}

/* XEP-0352 §6 leaves "urgent" to the server. A stanza's bytes are
 * scanned, in as many pieces as they come (a message chain), for a child
 * element whose local name makes a message worth waking a phone for, as
 * Prosody's mod_csi_simple and Conversations judge it: <body>, <subject>
 * (a MUC join's last step), OMEMO/OX <encrypted>, EME <encryption>, a
 * carbon's <sent>/<received> wrapping one (its inner <body> is found the
 * same way: the scan looks at every depth), a MUC <invite>, and
 * Jingle Message Initiation's <propose>. Chat states, receipts and
 * markers alone are not urgent. Start tags only, namespaces not checked
 * (a stray match only wakes the client early). No allocation: 16 bytes of
 * state. */
struct sb_c2s_csi_scan {
	uint8_t st;       /* 0: text, 1: after '<', 2: in a name, 3: past it */
	uint8_t n;        /* name bytes kept */
	bool urgent;
	char name[13];
};

static inline void sb_c2s_csi_scan_init(struct sb_c2s_csi_scan *s)
{
	s->st = 0;
	s->n = 0;
	s->urgent = false;
}

/* Feed the next n bytes; returns s->urgent (true once a name matched:
 * the caller may stop feeding). */
bool sb_c2s_csi_scan(struct sb_c2s_csi_scan *s, const uint8_t *p, size_t n);

/* True once the stream runs over TLS. */
static inline bool sb_c2s_encrypted(const struct sb_c2s *c)
{
	return (c->flags & SB_C2S_F_TLS) != 0;
}

/* True once a resource is bound: stanzas are routed. */
static inline bool sb_c2s_bound(const struct sb_c2s *c)
{
	return c->state == SB_C2S_S_BOUND;
}

/* Bound full / bare JID (not NUL-terminated; NULL before bind). */
static inline const char *sb_c2s_full_jid(const struct sb_c2s *c, size_t *len)
{
	*len = c->jid_len;
	return c->jid;
}

static inline const char *sb_c2s_bare_jid(const struct sb_c2s *c, size_t *len)
{
	*len = c->bare_len;
	return c->jid;
}

#endif
