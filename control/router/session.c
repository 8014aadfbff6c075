/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The session table (see session.h): a chained hash of users by bare JID,
 * each with a short list of resources. The control plane's own heap is
 * right here: sessions change at login rate, not packet rate, and the
 * memory is released with the process, so a crashed sb-control leaks
 * nothing into the dataplane's hugepages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"
#include "session.h"

int sb_session_table_init(struct sb_session_table *t, uint32_t buckets, uint32_t max_sessions)
{
	uint32_t n = 1;

	while (n < buckets)
		n <<= 1;
	memset(t, 0, sizeof(*t));
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (t->buckets == NULL)
		return -ENOMEM;
	t->mask = n - 1;
	t->max_sessions = max_sessions;
	return 0;
}

void sb_session_table_free(struct sb_session_table *t)
{
	for (uint32_t b = 0; t->buckets != NULL && b <= t->mask; b++) {
		struct sb_session_user *u = t->buckets[b];

		while (u != NULL) {
			struct sb_session_user *un = u->next;
			struct sb_session *s = u->res;

			while (s != NULL) {
				struct sb_session *sn = s->next;

				sb_session_free(s);
				s = sn;
			}
			free(u);
			u = un;
		}
	}
	free(t->buckets);
	t->buckets = NULL;
}

struct sb_session_user *sb_session_user_find(struct sb_session_table *t, const char *bare,
					     size_t len)
{
	uint64_t h = sb_jid_bare_hash_str(bare, len);

	for (struct sb_session_user *u = t->buckets[h & t->mask]; u != NULL; u = u->next)
		if (u->hash == h && u->bare_len == len && memcmp(u->bare, bare, len) == 0)
			return u;
	return NULL;
}

struct sb_session *sb_session_find(struct sb_session_table *t, const char *jid, size_t len,
				   size_t bare_len)
{
	struct sb_session_user *u = sb_session_user_find(t, jid, bare_len);

	for (struct sb_session *s = u ? u->res : NULL; s != NULL; s = s->next)
		if (s->jid_len == len && memcmp(s->jid, jid, len) == 0)
			return s;
	return NULL;
}

static struct sb_session_user *session_user_get(struct sb_session_table *t, const char *bare,
						size_t len)
{
	struct sb_session_user *u = sb_session_user_find(t, bare, len);
	uint64_t h;

	if (u != NULL)
		return u;
	u = malloc(sizeof(*u) + len + 1);
	if (u == NULL)
		return NULL;
	h = sb_jid_bare_hash_str(bare, len);
	u->hash = h;
	u->res = NULL;
	u->bare_len = (uint16_t)len;
	memcpy(u->bare, bare, len);
	u->bare[len] = '\0';
	u->next = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = u;
	t->users++;
	return u;
}

/* Drop a user entry whose last resource went. */
static void session_user_drop(struct sb_session_table *t, struct sb_session_user *u)
{
	struct sb_session_user **pp = &t->buckets[u->hash & t->mask];

	while (*pp != u)
		pp = &(*pp)->next;
	*pp = u->next;
	t->users--;
	free(u);
}

int sb_session_bind(struct sb_session_table *t, const char *jid, size_t len, size_t bare_len,
		    uint16_t worker, uint64_t conn, uint32_t gen, struct sb_session **ret_replaced)
{
	struct sb_session_user *u;
	struct sb_session *s, **pp;

	*ret_replaced = NULL;
	if (t->sessions >= t->max_sessions)
		return -ENOSPC;
	u = session_user_get(t, jid, bare_len);
	if (u == NULL)
		return -ENOMEM;
	if (t->max_resources != 0) {
		uint32_t n = 0;
		bool same = false;

		for (struct sb_session *r = u->res; r != NULL; r = r->next) {
			n++;
			same |= r->jid_len == len && memcmp(r->jid, jid, len) == 0;
		}
		if (n >= t->max_resources && !same)
			return -EDQUOT;
	}
	s = malloc(sizeof(*s) + len + 1);
	if (s == NULL) {
		if (u->res == NULL)
			session_user_drop(t, u);
		return -ENOMEM;
	}
	memset(s, 0, sizeof(*s));
	s->conn = conn;
	s->conn_gen = gen;
	s->worker = worker;
	s->jid_len = (uint16_t)len;
	s->bare_len = (uint16_t)bare_len;
	memcpy(s->jid, jid, len);
	s->jid[len] = '\0';
	/* RFC 6120 §7.7.2.2: the newest session of a full JID wins; the
	 * caller tells the old one it was replaced. */
	for (pp = &u->res; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->jid_len == len && memcmp((*pp)->jid, jid, len) == 0) {
			*ret_replaced = *pp;
			*pp = (*pp)->next;
			t->sessions--;
			break;
		}
	}
	s->next = u->res;
	u->res = s;
	t->sessions++;
	return 0;
}

int sb_session_unbind(struct sb_session_table *t, const char *jid, size_t len, size_t bare_len,
		      uint64_t conn, uint32_t gen)
{
	struct sb_session_user *u = sb_session_user_find(t, jid, bare_len);
	struct sb_session **pp;

	if (u == NULL)
		return -ENOENT;
	for (pp = &u->res; *pp != NULL; pp = &(*pp)->next) {
		struct sb_session *s = *pp;

		if (s->jid_len == len && memcmp(s->jid, jid, len) == 0 && s->conn == conn &&
		    s->conn_gen == gen) {
			*pp = s->next;
			sb_session_free(s);
			t->sessions--;
			if (u->res == NULL)
				session_user_drop(t, u);
			return 0;
		}
	}
	return -ENOENT;
}

void sb_session_free(struct sb_session *s)
{
	/* Its SM state (queue already handed on: sb_sm_detach) goes too. */
	if (s != NULL) {
		free(s->pres);
		free(s->directed);
		free(s->sm);
		free(s->caps);
	}
	free(s);
}
