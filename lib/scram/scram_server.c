/* SPDX-License-Identifier: BSD-3-Clause
 *
 * lib/scram server state machine for SCRAM-SHA-1 / SCRAM-SHA-256 and their
 * -PLUS variants (RFC 5802 §5, §6 and §7, RFC 7677; channel binding types
 * tls-exporter, RFC 9266, and tls-server-end-point, RFC 5929): one function per step,
 * each parsing exactly the grammar of RFC 5802 §7 for its message. The proof
 * is checked by recovering ClientKey = ClientProof XOR ClientSignature and
 * comparing H(ClientKey) with StoredKey in constant time (RFC 5802 §3).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "jid.h"
#include "scram.h"
#include "scram_priv.h"

enum scram_state {
	SCRAM_ST_IDLE = 0,
	SCRAM_ST_STARTED,    /* client-first parsed, waiting for credentials */
	SCRAM_ST_FIRST_SENT, /* server-first sent, waiting for client-final */
	SCRAM_ST_DONE,
};

void sb_scram_server_reset(struct sb_scram_server *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

/* A view of the message being parsed. */
struct scram_cursor {
	const char *p;
	size_t len;
	size_t pos;
};

/* Take "<name>=" then the value up to the next ',' or the end. */
static bool scram_attr(struct scram_cursor *c, char name, const char **val, size_t *vlen)
{
	const char *comma;

	if (c->len - c->pos < 2 || c->p[c->pos] != name || c->p[c->pos + 1] != '=')
		return false;
	c->pos += 2;
	*val = c->p + c->pos;
	comma = memchr(*val, ',', c->len - c->pos);
	*vlen = comma ? (size_t)(comma - *val) : c->len - c->pos;
	c->pos += *vlen;
	return true;
}

/* Consume a ',' separator; false at the end of the message. */
static bool scram_comma(struct scram_cursor *c)
{
	if (c->pos >= c->len || c->p[c->pos] != ',')
		return false;
	c->pos++;
	return true;
}

/* saslname (RFC 5802 §7): ',' and '=' only as "=2C" and "=3D". */
static bool scram_saslname_decode(const char *in, size_t len, char *out, size_t cap,
				  size_t *out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = in[i];

		if (ch == '=') {
			if (len - i < 3)
				return false;
			if (in[i + 1] == '2' && in[i + 2] == 'C')
				ch = ',';
			else if (in[i + 1] == '3' && in[i + 2] == 'D')
				ch = '=';
			else
				return false;
			i += 2;
		}
		if (o >= cap)
			return false;
		out[o++] = ch;
	}
	*out_len = o;
	return o > 0;
}

/* c-nonce / s-nonce: printable ASCII except ',' (RFC 5802 §7). */
static bool scram_nonce_ok(const char *n, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (n[i] < 0x21 || n[i] > 0x7e || n[i] == ',')
			return false;
	return len > 0;
}

/* Optional extensions: attr-val *("," attr-val), attr-val = ALPHA "=" value.
 * Unknown optional extensions are ignored as RFC 5802 §5.1 allows. */
static bool scram_extensions_ok(struct scram_cursor *c)
{
	while (scram_comma(c)) {
		const char *v;
		size_t vl;
		char a = c->pos < c->len ? c->p[c->pos] : 0;

		if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z')) ||
		    !scram_attr(c, a, &v, &vl) || vl == 0)
			return false;
	}
	return c->pos == c->len;
}

static const char *const scram_cb_names[SB_SCRAM_CB_MAX] = {
	[SB_SCRAM_CB_TLS_EXPORTER] = "tls-exporter",
	[SB_SCRAM_CB_TLS_ENDPOINT] = "tls-server-end-point",
};

const char *sb_scram_cb_name(enum sb_scram_cb t)
{
	return (unsigned)t < SB_SCRAM_CB_MAX ? scram_cb_names[t] : NULL;
}

/* gs2-cbind-flag (RFC 5802 §6, §7): "p=<cb-name>" with a -PLUS mechanism
 * and a type whose data we have (copied into st); "n"; "y" unless we
 * offered -PLUS on this stream (then the client was downgraded). Leaves c
 * after the flag's ','. */
static enum sb_scram_result scram_cbind_flag(struct sb_scram_server *st, struct scram_cursor *c,
					     bool plus, const struct sb_scram_cbind *cb)
{
	const char *v;
	size_t vl;

	if (c->len >= 2 && c->p[0] == 'p' && c->p[1] == '=') {
		if (!scram_attr(c, 'p', &v, &vl) || !scram_comma(c))
			return SB_SCRAM_ERR_MALFORMED;
		if (!plus || cb == NULL)
			return SB_SCRAM_ERR_CB_NOT_SUPPORTED;
		for (unsigned t = SB_SCRAM_CB_NONE + 1; t < SB_SCRAM_CB_MAX; t++) {
			if (strlen(scram_cb_names[t]) != vl || memcmp(scram_cb_names[t], v, vl) != 0)
				continue;
			if (cb->len[t] == 0 || cb->len[t] > SB_SCRAM_CB_DATA_MAX)
				return SB_SCRAM_ERR_CB_NOT_SUPPORTED;
			st->cb_type = (uint8_t)t;
			st->cb_len = cb->len[t];
			memcpy(st->cb_data, cb->data[t], cb->len[t]);
			return SB_SCRAM_OK;
		}
		return SB_SCRAM_ERR_CB_NOT_SUPPORTED;
	}
	if (c->len < 3 || (c->p[0] != 'n' && c->p[0] != 'y') || c->p[1] != ',')
		return SB_SCRAM_ERR_MALFORMED;
	/* A -PLUS mechanism without binding is a contradiction. */
	if (plus)
		return SB_SCRAM_ERR_MALFORMED;
	if (c->p[0] == 'y' && cb != NULL && cb->plus_offered)
		return SB_SCRAM_ERR_CB_DOWNGRADE;
	c->pos = 2;
	return SB_SCRAM_OK;
}

/* gs2-header (RFC 5802 §7): gs2-cbind-flag "," [authzid] ",". */
static enum sb_scram_result scram_gs2(struct sb_scram_server *st, struct scram_cursor *c,
				      bool plus, const struct sb_scram_cbind *cb,
				      const char **authz, size_t *authz_len)
{
	enum sb_scram_result r;

	*authz = NULL;
	*authz_len = 0;
	r = scram_cbind_flag(st, c, plus, cb);
	if (r != SB_SCRAM_OK)
		return r;
	if (scram_attr(c, 'a', authz, authz_len) && *authz_len == 0)
		return SB_SCRAM_ERR_MALFORMED;
	return scram_comma(c) ? SB_SCRAM_OK : SB_SCRAM_ERR_MALFORMED;
}

static enum sb_scram_result scram_check_authzid(const char *raw, size_t len,
						const struct sb_scram_user *user,
						const char *domain, size_t domain_len)
{
	char az[SB_SCRAM_CLIENT_MSG_MAX];
	size_t az_len = 0;

	if (!scram_saslname_decode(raw, len, az, sizeof(az), &az_len))
		return SB_SCRAM_ERR_MALFORMED;
	return scram_authzid_ok(az, az_len, user, domain, domain_len) ? SB_SCRAM_OK :
									SB_SCRAM_ERR_AUTHZID;
}

static enum sb_scram_result scram_start_bare(struct sb_scram_server *st, struct scram_cursor *c,
					     struct sb_scram_user *user)
{
	char raw[SB_SCRAM_USER_MAX];
	const char *v, *nonce;
	size_t vl, raw_len = 0, nl;

	/* reserved-mext: a mandatory extension we cannot know (RFC 5802 §7). */
	if (c->len - c->pos >= 2 && c->p[c->pos] == 'm' && c->p[c->pos + 1] == '=')
		return SB_SCRAM_ERR_EXTENSION;
	if (!scram_attr(c, 'n', &v, &vl) || !scram_comma(c))
		return SB_SCRAM_ERR_MALFORMED;
	if (!scram_saslname_decode(v, vl, raw, sizeof(raw), &raw_len))
		return SB_SCRAM_ERR_USERNAME;
	if (!scram_attr(c, 'r', &nonce, &nl) || !scram_nonce_ok(nonce, nl))
		return SB_SCRAM_ERR_MALFORMED;
	if (nl > SB_SCRAM_CNONCE_MAX)
		return SB_SCRAM_ERR_TOO_LONG;
	if (!scram_extensions_ok(c))
		return SB_SCRAM_ERR_MALFORMED;
	st->cnonce_off = (uint16_t)(nonce - c->p);
	st->cnonce_len = (uint8_t)nl;
	return scram_user_normalise(raw, raw_len, user);
}

enum sb_scram_result sb_scram_server_start(struct sb_scram_server *st, enum sb_scram_mech mech,
					   const char *domain, size_t domain_len,
					   const char *client_first, size_t len,
					   struct sb_scram_user *user)
{
	return sb_scram_server_start_cb(st, mech, false, NULL, domain, domain_len, client_first,
					len, user);
}

enum sb_scram_result sb_scram_server_start_cb(struct sb_scram_server *st, enum sb_scram_mech mech,
					      bool plus, const struct sb_scram_cbind *cb,
					      const char *domain, size_t domain_len,
					      const char *client_first, size_t len,
					      struct sb_scram_user *user)
{
	struct scram_cursor c = { .p = client_first, .len = len };
	const char *authz;
	size_t authz_len;
	enum sb_scram_result r;

	sb_scram_server_reset(st);
	st->state = SCRAM_ST_DONE; /* until every check below has passed */
	if ((unsigned)mech >= SB_SCRAM_MECH_MAX)
		return SB_SCRAM_ERR_STATE;
	if (len > SB_SCRAM_CLIENT_MSG_MAX)
		return SB_SCRAM_ERR_TOO_LONG;
	if (memchr(client_first, '\0', len) != NULL)
		return SB_SCRAM_ERR_MALFORMED;
	r = scram_gs2(st, &c, plus, cb, &authz, &authz_len);
	if (r != SB_SCRAM_OK)
		return r;
	if (c.pos > UINT8_MAX)
		return SB_SCRAM_ERR_TOO_LONG;
	st->gs2_len = (uint8_t)c.pos;
	r = scram_start_bare(st, &c, user);
	if (r != SB_SCRAM_OK)
		return r;
	if (authz != NULL) {
		r = scram_check_authzid(authz, authz_len, user, domain, domain_len);
		if (r != SB_SCRAM_OK)
			return r;
	}
	memcpy(st->buf, client_first, len);
	st->cfb_len = (uint16_t)(len - st->gs2_len);
	st->mech = (uint8_t)mech;
	st->state = SCRAM_ST_STARTED;
	return SB_SCRAM_OK;
}

/* Decimal digits of v into d (at least 10 bytes); returns their count. */
static size_t scram_u32_dec(uint32_t v, char *d)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}

static size_t scram_put(char *dst, size_t at, const char *s, size_t n)
{
	memcpy(dst + at, s, n);
	return at + n;
}

enum sb_scram_result sb_scram_server_first_nonce(struct sb_scram_server *st,
						 const struct sb_scram_creds *creds,
						 const char *snonce, size_t snonce_len,
						 char *out, size_t cap, size_t *out_len)
{
	char salt64[(SB_SCRAM_SALT_MAX + 2) / 3 * 4 + 1], iter[12];
	size_t off, n = 0, iter_len;
	int slen;

	if (st->state != SCRAM_ST_STARTED)
		return SB_SCRAM_ERR_STATE;
	st->state = SCRAM_ST_DONE;
	if (!scram_creds_valid(creds, (enum sb_scram_mech)st->mech))
		return SB_SCRAM_ERR_CREDS;
	if (!scram_nonce_ok(snonce, snonce_len) || snonce_len > 2 * SB_SCRAM_SNONCE_RAW)
		return SB_SCRAM_ERR_INTERNAL;
	slen = sb_scram_b64_encode(creds->salt, creds->salt_len, salt64, sizeof(salt64));
	iter_len = scram_u32_dec(creds->iterations, iter);
	if (slen < 0)
		return SB_SCRAM_ERR_INTERNAL;
	/* server-first-message = "r=" c-nonce s-nonce ",s=" salt ",i=" i */
	off = (size_t)st->gs2_len + st->cfb_len;
	st->buf[off++] = ',';
	n = scram_put(st->buf + off, n, "r=", 2);
	n = scram_put(st->buf + off, n, st->buf + st->cnonce_off, st->cnonce_len);
	n = scram_put(st->buf + off, n, snonce, snonce_len);
	n = scram_put(st->buf + off, n, ",s=", 3);
	n = scram_put(st->buf + off, n, salt64, (size_t)slen);
	n = scram_put(st->buf + off, n, ",i=", 3);
	n = scram_put(st->buf + off, n, iter, iter_len);
	st->buf[off + n] = ',';
	if (cap < n + 1)
		return SB_SCRAM_ERR_TOO_LONG;
	memcpy(out, st->buf + off, n);
	out[n] = '\0';
	*out_len = n;
	st->sfm_len = (uint16_t)n;
	memcpy(st->stored_key, creds->stored_key, SB_SCRAM_KEY_MAX);
	memcpy(st->server_key, creds->server_key, SB_SCRAM_KEY_MAX);
	st->state = SCRAM_ST_FIRST_SENT;
	return SB_SCRAM_OK;
}

enum sb_scram_result sb_scram_server_first(struct sb_scram_server *st,
					   const struct sb_scram_creds *creds,
					   char *out, size_t cap, size_t *out_len)
{
	uint8_t raw[SB_SCRAM_SNONCE_RAW];
	char nonce[(SB_SCRAM_SNONCE_RAW + 2) / 3 * 4 + 1];
	int n;

	if (st->state != SCRAM_ST_STARTED)
		return SB_SCRAM_ERR_STATE;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		st->state = SCRAM_ST_DONE;
		return SB_SCRAM_ERR_INTERNAL;
	}
	n = sb_scram_b64_encode(raw, sizeof(raw), nonce, sizeof(nonce));
	return sb_scram_server_first_nonce(st, creds, nonce, (size_t)n, out, cap, out_len);
}

/* server-error-value (RFC 5802 §7) for each refusal of the final step. */
static const char *scram_server_error(enum sb_scram_result r)
{
	switch (r) {
	case SB_SCRAM_ERR_MALFORMED:
	case SB_SCRAM_ERR_TOO_LONG:
		return "invalid-encoding";
	case SB_SCRAM_ERR_CB_MISMATCH:
		return "channel-bindings-dont-match";
	case SB_SCRAM_ERR_CB_NOT_SUPPORTED:
		return "unsupported-channel-binding-type";
	case SB_SCRAM_ERR_CB_DOWNGRADE:
		return "server-does-support-channel-binding";
	case SB_SCRAM_ERR_PROOF:
	case SB_SCRAM_ERR_NONCE:
		return "invalid-proof";
	default:
		return "other-error";
	}
}

/* client-final-message = channel-binding "," nonce ["," extensions] ","
 * proof. Sets *wp_len to the length of client-final-message-without-proof
 * and fills proof. */
static enum sb_scram_result scram_final_parse(const struct sb_scram_server *st, const char *msg,
					      size_t len, size_t *wp_len, uint8_t *proof)
{
	struct scram_cursor c = { .p = msg, .len = len };
	uint8_t cb[SB_SCRAM_CLIENT_MSG_MAX];
	const char *v, *p_attr;
	size_t vl, hl = scram_hash_len((enum sb_scram_mech)st->mech);
	int n;

	if (!scram_attr(&c, 'c', &v, &vl) || !scram_comma(&c))
		return SB_SCRAM_ERR_MALFORMED;
	n = sb_scram_b64_decode(v, vl, cb, sizeof(cb));
	if (n < 0)
		return SB_SCRAM_ERR_MALFORMED;
	/* c= must carry exactly the gs2-header of client-first (RFC 5802 §6):
	 * a client that said "y" cannot switch to "n", nor change its authzid;
	 * with "p=", the binding data of our side of the TLS connection follows
	 * it (a man in the middle terminates another TLS: other data). */
	if ((size_t)n != (size_t)st->gs2_len + st->cb_len ||
	    memcmp(cb, st->buf, st->gs2_len) != 0 ||
	    CRYPTO_memcmp(cb + st->gs2_len, st->cb_data, st->cb_len) != 0)
		return SB_SCRAM_ERR_CB_MISMATCH;
	if (!scram_attr(&c, 'r', &v, &vl))
		return SB_SCRAM_ERR_MALFORMED;
	{
		/* The combined nonce sits in server-first right after "r=". */
		const char *sfm = st->buf + st->gs2_len + st->cfb_len + 1;
		const char *end = memchr(sfm, ',', st->sfm_len);
		size_t nonce_len = (size_t)(end - sfm) - 2;

		if (vl != nonce_len || memcmp(v, sfm + 2, nonce_len) != 0)
			return SB_SCRAM_ERR_NONCE;
	}
	/* The proof is the last attribute; extensions may sit before it. */
	p_attr = NULL;
	for (size_t i = len; i-- > c.pos;) {
		if (msg[i] == ',' && i + 2 < len && msg[i + 1] == 'p' && msg[i + 2] == '=') {
			p_attr = msg + i;
			break;
		}
	}
	if (p_attr == NULL)
		return SB_SCRAM_ERR_MALFORMED;
	*wp_len = (size_t)(p_attr - msg);
	{
		struct scram_cursor ext = { .p = msg, .len = *wp_len, .pos = c.pos };

		if (!scram_extensions_ok(&ext))
			return SB_SCRAM_ERR_MALFORMED;
	}
	n = sb_scram_b64_decode(p_attr + 3, len - *wp_len - 3, cb, sizeof(cb));
	if (n < 0 || (size_t)n != hl || memchr(p_attr + 3, ',', len - *wp_len - 3) != NULL)
		return SB_SCRAM_ERR_MALFORMED;
	memcpy(proof, cb, hl);
	return SB_SCRAM_OK;
}

static enum sb_scram_result scram_final_verify(struct sb_scram_server *st, const char *msg,
					       size_t wp_len, const uint8_t *proof,
					       uint8_t *server_sig)
{
	enum sb_scram_mech mech = (enum sb_scram_mech)st->mech;
	size_t hl = scram_hash_len(mech);
	size_t prefix = (size_t)st->cfb_len + 1 + st->sfm_len + 1;
	const char *am = st->buf + st->gs2_len;
	uint8_t sig[SB_SCRAM_KEY_MAX], key[SB_SCRAM_KEY_MAX], h[SB_SCRAM_KEY_MAX];
	enum sb_scram_result r = SB_SCRAM_ERR_INTERNAL;

	/* AuthMessage = client-first-message-bare "," server-first-message ","
	 * client-final-message-without-proof (RFC 5802 §3). */
	if (scram_hmac2(mech, st->stored_key, hl, am, prefix, msg, wp_len, sig) < 0)
		goto out;
	for (size_t i = 0; i < hl; i++)
		key[i] = proof[i] ^ sig[i];
	if (scram_hash(mech, key, hl, h) < 0)
		goto out;
	if (CRYPTO_memcmp(h, st->stored_key, hl) != 0) {
		r = SB_SCRAM_ERR_PROOF;
		goto out;
	}
	if (scram_hmac2(mech, st->server_key, hl, am, prefix, msg, wp_len, server_sig) < 0)
		goto out;
	r = SB_SCRAM_OK;
out:
	OPENSSL_cleanse(sig, sizeof(sig));
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static size_t scram_final_message(enum sb_scram_result r, const uint8_t *server_sig, size_t hl,
				  char *out, size_t cap)
{
	const char *e;
	size_t n;

	if (r == SB_SCRAM_OK) {
		if (cap < 3)
			return 0;
		out[0] = 'v';
		out[1] = '=';
		n = (size_t)sb_scram_b64_encode(server_sig, hl, out + 2, cap - 2);
		return (int)n < 0 ? 0 : n + 2;
	}
	e = scram_server_error(r);
	n = strlen(e);
	if (cap < n + 3)
		return 0;
	out[0] = 'e';
	out[1] = '=';
	memcpy(out + 2, e, n + 1);
	return n + 2;
}

enum sb_scram_result sb_scram_server_final(struct sb_scram_server *st,
					   const char *client_final, size_t len,
					   char *out, size_t cap, size_t *out_len)
{
	uint8_t proof[SB_SCRAM_KEY_MAX], server_sig[SB_SCRAM_KEY_MAX];
	size_t wp_len = 0, hl = scram_hash_len((enum sb_scram_mech)st->mech);
	enum sb_scram_result r;

	*out_len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (st->state != SCRAM_ST_FIRST_SENT)
		return SB_SCRAM_ERR_STATE;
	if (len > SB_SCRAM_CLIENT_MSG_MAX)
		r = SB_SCRAM_ERR_TOO_LONG;
	else if (memchr(client_final, '\0', len) != NULL)
		r = SB_SCRAM_ERR_MALFORMED;
	else
		r = scram_final_parse(st, client_final, len, &wp_len, proof);
	if (r == SB_SCRAM_OK)
		r = scram_final_verify(st, client_final, wp_len, proof, server_sig);
	*out_len = scram_final_message(r, server_sig, hl, out, cap);
	if (*out_len == 0 && r == SB_SCRAM_OK)
		r = SB_SCRAM_ERR_TOO_LONG;
	sb_scram_server_reset(st);
	st->state = SCRAM_ST_DONE;
	OPENSSL_cleanse(server_sig, sizeof(server_sig));
	return r;
}
