/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The glue stand-in of c2s_harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2s_harness.h"
#include "../scram/scram_test_client.h"

static void *aux_alloc(void *arg)
{
	struct h_conn *h = arg;

	if (h->pool_empty)
		return NULL;
	for (int i = 0; i < H_AUX_SLOTS; i++) {
		if (!h->aux_used[i]) {
			h->aux_used[i] = true;
			h->aux_in_use++;
			memset(&h->aux[i], 0xa5, sizeof(h->aux[i])); /* no zeroing promised */
			return &h->aux[i];
		}
	}
	return NULL;
}

static void aux_free(void *arg, void *obj)
{
	struct h_conn *h = arg;
	int i = (int)((struct sb_c2s_aux *)obj - h->aux);

	assert_true(i >= 0 && i < H_AUX_SLOTS);
	assert_true(h->aux_used[i]);
	h->aux_used[i] = false;
	h->aux_in_use--;
}

/* Deterministic "CSPRNG": successive byte values, so ids are predictable. */
static int h_random(void *arg, uint8_t *buf, size_t len)
{
	struct h_conn *h = arg;

	for (size_t i = 0; i < len; i++)
		buf[i] = h->rnd++;
	return h->rnd_fail ? -5 : 0;
}

static void copy_str(char *dst, size_t cap, const void *src, size_t n)
{
	assert_true(n < cap);
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void record(struct h_conn *h, enum sb_c2s_action act)
{
	struct sb_c2s_env *env = &h->env;
	const struct sb_c2s_result *r = &env->res;

	assert_true(env->out_len < sizeof(h->sent) - h->sent_len);
	memcpy(h->sent + h->sent_len, env->out, env->out_len);
	h->sent_len += env->out_len;
	h->sent[h->sent_len] = '\0';
	if (h->nacts < H_ACTS_MAX)
		h->acts[h->nacts++] = act;
	switch (act) {
	case SB_C2S_ACT_AUTH_LOOKUP:
	case SB_C2S_ACT_AUTH_PLAIN_VERIFY:
		copy_str(h->user, sizeof(h->user), r->user, r->user_len);
		copy_str(h->bare, sizeof(h->bare), r->bare, r->bare_len);
		h->mech = r->mech;
		if (act == SB_C2S_ACT_AUTH_PLAIN_VERIFY)
			copy_str(h->passwd, sizeof(h->passwd), r->passwd, r->passwd_len);
		break;
	case SB_C2S_ACT_BIND_REQUEST:
		copy_str(h->jid, sizeof(h->jid), r->jid, r->jid_len);
		break;
	case SB_C2S_ACT_REGISTER:
		copy_str(h->user, sizeof(h->user), r->user, r->user_len);
		copy_str(h->bare, sizeof(h->bare), r->bare, r->bare_len);
		copy_str(h->passwd, sizeof(h->passwd), r->passwd, r->passwd_len);
		copy_str(h->token, sizeof(h->token), r->token, r->token_len);
		h->has_token = r->token != NULL;
		h->reg_op = r->reg_op;
		break;
	case SB_C2S_ACT_ROUTE:
		copy_str(h->routed, sizeof(h->routed), r->stanza.bytes, r->stanza.len);
		h->routed_len = r->stanza.len;
		h->stanza = r->stanza;
		h->routed_to[0] = '\0';
		h->routed_id[0] = '\0';
		if (r->stanza.to != NULL)
			copy_str(h->routed_to, sizeof(h->routed_to), r->stanza.to->buf,
				 r->stanza.to->full_len);
		if (r->stanza.id != NULL)
			copy_str(h->routed_id, sizeof(h->routed_id), r->stanza.id,
				 r->stanza.id_len);
		if (h->on_route != NULL)
			h->on_route(h);
		break;
	case SB_C2S_ACT_RESTART:
		sb_xml_init(&h->x);
		break;
	case SB_C2S_ACT_CLOSE:
		h->closed = true;
		h->stream_err = r->stream_err;
		break;
	default:
		break;
	}
}

static void pump(struct h_conn *h)
{
	while (h->in_pos < h->in_len && !h->closed && !sb_c2s_waiting(&h->c)) {
		const uint8_t *p = h->in + h->in_pos;
		size_t n = h->in_len - h->in_pos, used = 0;
		uint64_t off = sb_xml_offset(&h->x);
		struct sb_xml_event ev;
		enum sb_xml_status st;
		enum sb_c2s_action act;
		const uint8_t *el;
		size_t len;

		st = sb_xml_feed(&h->x, &h->ctx, &h->lim, p, n, &ev, &used);
		assert_true(off + used <= sizeof(h->sbuf));
		memcpy(h->sbuf + off, p, used);
		h->in_pos += used;
		if (st == SB_XML_NEED_MORE)
			break;
		if (st >= SB_XML_ERR_FIRST) {
			h->xml_err = st;
			record(h, sb_c2s_xml_error(&h->c, &h->env, st));
			break;
		}
		el = h->sbuf + ev.start_off;
		len = (size_t)(ev.end_off - ev.start_off);
		switch (ev.type) {
		case SB_XML_EV_STREAM_OPEN:
			act = sb_c2s_stream_open(&h->c, &h->env, ev.hdr, el, len, ev.start_off);
			break;
		case SB_XML_EV_ELEMENT:
			act = sb_c2s_element(&h->c, &h->env, ev.hdr, el, len, ev.start_off);
			break;
		case SB_XML_EV_STREAM_CLOSE:
			act = sb_c2s_stream_close(&h->c, &h->env);
			break;
		default:
			continue;
		}
		record(h, act);
	}
}

void h_init(struct h_conn *h)
{
	memset(h, 0, sizeof(*h));
	sb_xml_init(&h->x);
	sb_xml_limits_default(&h->lim);
	assert_int_equal(sb_c2s_config_default(&h->env.cfg, H_DOMAIN, strlen(H_DOMAIN)), 0);
	/* The harness speaks plaintext: test_c2s_tls.c sets its own policy. */
	h->env.cfg.tls_policy = SB_C2S_TLS_OFF;
	h->env.cfg.plain_without_tls = true;
	memset(h->env.cfg.fake_secret, 7, sizeof(h->env.cfg.fake_secret));
	h->env.out = h->out;
	h->env.out_cap = sizeof(h->out);
	h->env.route = h->route;
	h->env.route_cap = sizeof(h->route);
	h->env.scratch = &h->scratch;
	h->env.aux_alloc = aux_alloc;
	h->env.aux_free = aux_free;
	h->env.cb_arg = h;
	h->env.random = h_random;
	assert_int_equal(sb_c2s_start(&h->c, &h->env), SB_C2S_ACT_NONE);
	assert_int_equal(h->env.out_len, 0);
}

void h_send(struct h_conn *h, const char *s)
{
	size_t n = strlen(s);

	assert_true(n <= sizeof(h->in) - h->in_len);
	memcpy(h->in + h->in_len, s, n);
	h->in_len += n;
	pump(h);
}

const char *h_since(struct h_conn *h)
{
	const char *s = h->sent + h->mark;

	h->mark = h->sent_len;
	return s;
}

enum sb_c2s_action h_last(const struct h_conn *h)
{
	return h->nacts ? h->acts[h->nacts - 1] : SB_C2S_ACT_MAX;
}

bool h_saw(const struct h_conn *h, enum sb_c2s_action a)
{
	for (size_t i = 0; i < h->nacts; i++)
		if (h->acts[i] == a)
			return true;
	return false;
}

void h_tls_done(struct h_conn *h, bool drop_pending)
{
	/* Like the glue: the tokenizer starts over on the decrypted stream,
	 * and what the client had sent after <starttls/> went to the TLS
	 * handshake, never to the tokenizer. */
	sb_xml_init(&h->x);
	if (drop_pending)
		h->in_pos = h->in_len;
	record(h, sb_c2s_tls_done(&h->c, &h->env));
	pump(h);
}

void h_credentials(struct h_conn *h, const struct sb_scram_creds *creds)
{
	record(h, sb_c2s_credentials(&h->c, &h->env, creds));
	pump(h);
}

void h_plain(struct h_conn *h, bool ok)
{
	record(h, sb_c2s_plain_result(&h->c, &h->env, ok));
	pump(h);
}

void h_register(struct h_conn *h, enum sb_c2s_reg_status st)
{
	record(h, sb_c2s_register_result(&h->c, &h->env, st));
	pump(h);
}

void h_bind(struct h_conn *h, enum sb_c2s_bind_status st, const char *jid)
{
	size_t n = jid ? strlen(jid) : 0;

	if (jid != NULL)
		copy_str(h->bound, sizeof(h->bound), jid, n);
	record(h, sb_c2s_bind_result(&h->c, &h->env, st, jid ? h->bound : NULL, n));
	pump(h);
}

void h_resume(struct h_conn *h, bool ok, const char *jid, uint32_t h_in, bool h_known)
{
	size_t n = jid ? strlen(jid) : 0;

	if (jid != NULL)
		copy_str(h->bound, sizeof(h->bound), jid, n);
	record(h, sb_c2s_resume_result(&h->c, &h->env, ok, jid ? h->bound : NULL, n, h_in,
				       h_known));
	pump(h);
}

void h_b64(const void *in, size_t len, char *out, size_t cap)
{
	assert_true(sb_scram_b64_encode(in, len, out, cap) >= 0);
}

void h_auth(struct h_conn *h, const char *mech, const void *msg, size_t len)
{
	char b64[1024], el[1200];

	h_b64(msg, len, b64, sizeof(b64));
	snprintf(el, sizeof(el), "<auth xmlns='" H_NS_SASL "' mechanism='%s'>%s</auth>", mech,
		 b64);
	h_send(h, el);
}

void h_creds(enum sb_scram_mech mech, const char *pw, struct sb_scram_creds *out)
{
	static const uint8_t salt[16] = "0123456789abcdef";

	assert_int_equal(sb_scram_credentials_derive(mech, pw, strlen(pw), salt, sizeof(salt),
						     4096, out), 0);
}

/* Payload of the last <name xmlns=sasl>...</name> in s, base64-decoded. */
static bool sasl_payload(const char *s, const char *name, char *out, size_t cap)
{
	char open[96], close[32];
	const char *a, *b;
	int n;

	snprintf(open, sizeof(open), "<%s xmlns='" H_NS_SASL "'>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	a = strstr(s, open);
	if (a == NULL)
		return false;
	a += strlen(open);
	b = strstr(a, close);
	if (b == NULL)
		return false;
	n = sb_scram_b64_decode(a, (size_t)(b - a), (uint8_t *)out, cap - 1);
	if (n < 0)
		return false;
	out[n] = '\0';
	return true;
}

bool h_scram(struct h_conn *h, enum sb_scram_mech mech, const char *user, const char *pw,
	     const char *stored_pw)
{
	struct sb_scram_creds cr;
	struct test_client tc;
	char cf[128], sfm[400], cfwp[256], sf[256], el[1200], b64[1024];
	const char *r;

	snprintf(cf, sizeof(cf), "n,,n=%s,r=clientnonce123", user);
	h_since(h);
	h_auth(h, sb_scram_mech_name(mech), cf, strlen(cf));
	if (h_last(h) != SB_C2S_ACT_AUTH_LOOKUP)
		return false;
	assert_int_equal(h->mech, mech);
	if (stored_pw != NULL) {
		h_creds(mech, stored_pw, &cr);
		h_credentials(h, &cr);
	} else {
		h_credentials(h, NULL);
	}
	if (!sasl_payload(h_since(h), "challenge", sfm, sizeof(sfm)))
		return false;
	r = strstr(sfm, "r=");
	assert_non_null(r);
	snprintf(cfwp, sizeof(cfwp), "c=biws,r=%.*s", (int)(strchr(r, ',') - r - 2), r + 2);
	test_client_final(&tc, mech, pw, cf + 3, sfm, cfwp);
	h_b64(tc.final_msg, strlen(tc.final_msg), b64, sizeof(b64));
	snprintf(el, sizeof(el), "<response xmlns='" H_NS_SASL "'>%s</response>", b64);
	h_send(h, el);
	if (h_last(h) != SB_C2S_ACT_RESTART)
		return false;
	assert_true(sasl_payload(h_since(h), "success", sf, sizeof(sf)));
	assert_string_equal(sf, tc.expect_v);
	return true;
}

bool h_scram_cb(struct h_conn *h, const char *mech_name, enum sb_scram_mech mech,
		const char *gs2, const uint8_t *cb, size_t cb_len, const char *pw)
{
	struct sb_scram_creds cr;
	struct test_client tc;
	char cf[128], sfm[400], cfwp[400], sf[256], el[1200], b64[1024], c64[200];
	uint8_t cbin[128];
	const char *r;
	size_t gl = strlen(gs2);

	snprintf(cf, sizeof(cf), "%sn=juliet,r=clientnonce123", gs2);
	h_since(h);
	h_auth(h, mech_name, cf, strlen(cf));
	if (h_last(h) != SB_C2S_ACT_AUTH_LOOKUP)
		return false;
	assert_int_equal(h->mech, mech); /* the credentials are the hash's */
	h_creds(mech, "secret", &cr);
	h_credentials(h, &cr);
	if (!sasl_payload(h_since(h), "challenge", sfm, sizeof(sfm)))
		return false;
	r = strstr(sfm, "r=");
	assert_non_null(r);
	assert_true(gl + cb_len <= sizeof(cbin));
	memcpy(cbin, gs2, gl);
	if (cb_len != 0)
		memcpy(cbin + gl, cb, cb_len);
	h_b64(cbin, gl + cb_len, c64, sizeof(c64));
	snprintf(cfwp, sizeof(cfwp), "c=%s,r=%.*s", c64, (int)(strchr(r, ',') - r - 2), r + 2);
	test_client_final(&tc, mech, pw, cf + gl, sfm, cfwp);
	h_b64(tc.final_msg, strlen(tc.final_msg), b64, sizeof(b64));
	snprintf(el, sizeof(el), "<response xmlns='" H_NS_SASL "'>%s</response>", b64);
	h_send(h, el);
	if (h_last(h) != SB_C2S_ACT_RESTART)
		return false;
	assert_true(sasl_payload(h_since(h), "success", sf, sizeof(sf)));
	assert_string_equal(sf, tc.expect_v);
	return true;
}

void h_login(struct h_conn *h)
{
	static const char msg[] = "\0juliet\0secret";

	h_send(h, H_OPEN);
	h_auth(h, "PLAIN", msg, sizeof(msg) - 1);
	assert_int_equal(h_last(h), SB_C2S_ACT_AUTH_PLAIN_VERIFY);
	h_plain(h, true);
	assert_int_equal(h_last(h), SB_C2S_ACT_RESTART);
	h_send(h, H_OPEN);
	h_send(h, "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
		  "<resource>balcony</resource></bind></iq>");
	assert_int_equal(h_last(h), SB_C2S_ACT_BIND_REQUEST);
	assert_string_equal(h->jid, "juliet@example.com/balcony");
	h_bind(h, SB_C2S_BIND_OK, h->jid);
	assert_true(sb_c2s_bound(&h->c));
	h_since(h);
}

struct h_conn *h_new(void)
{
	struct h_conn *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h_init(h);
	return h;
}

void h_free(struct h_conn *h)
{
	sb_c2s_release(&h->c, &h->env);
	assert_int_equal(h->aux_in_use, 0);
	free(h);
}
