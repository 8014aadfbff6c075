/* SPDX-License-Identifier: BSD-3-Clause
 *
 * See im_shard_fx.h.
 */
#include <stdlib.h>
#include <string.h>

#include "im_shard_fx.h"
#include "jid.h"
#include "msg_heap.h"
#include "router.h"
#include "store/store_lmdb.h"
#include "store_fx.h"
#include "tmpdir.h"

int im_shard_fx_open(struct im_shard_fx *f, const char *name, const char *user,
		     uint32_t window)
{
	const struct sb_im_limits lim = {
		.roster_max_items = 100,
		.offline_quota = 1000,
		.offline_window = window,
		.commit_batch = 128,
	};
	struct sb_router *r;
	struct sb_jid j;
	char why[256];

	memset(f, 0, sizeof(*f));
	if (sb_test_tmpdir_make(f->dir, name) < 0 ||
	    sb_store_lmdb_open(&f->st, f->dir, 1, 16u << 20, why, sizeof(why)) < 0)
		return -1;
	if (sb_jid_parse(&j, user, strlen(user)) < 0 ||
	    sb_store_user_add(&f->st, &j, "pw", 2, SB_SCRAM_ITER_MIN, 1) < 0)
		return -1;
	f->sh = calloc(1, sizeof(*f->sh));
	if (f->sh == NULL)
		return -1;
	f->sh->n_workers = 2;
	r = &f->sh->router;
	r->store = &f->st;
	r->pool.alloc = sb_test_msg_alloc;
	r->pool.free = sb_test_msg_free;
	memcpy(r->domain, "example.com", 11);
	r->domain_len = 11;
	if (sb_session_table_init(&r->sessions, 16, 100) < 0 ||
	    sb_router_buffers_init(r, 65536) < 0 || sb_im_init(&r->im, &lim, 65536) < 0 ||
	    sb_im_connect(f->sh, 1) < 0)
		return -1;
	return 0;
}

void im_shard_fx_close(struct im_shard_fx *f, struct sb_msg **held, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sb_msg_free_chain(held[i], &f->sh->router.pool);
	for (unsigned w = 0; w < f->sh->n_workers; w++)
		free(f->sh->router.pr.w[w].e);
	sb_session_table_free(&f->sh->router.sessions);
	store_fx_close(&f->st, f->dir);
	free(f->sh->router.in.id);
	free(f->sh->router.err_body);
	free(f->sh);
}

struct sb_msg *im_shard_fx_stanza(const struct sb_msg_stanza *h, const char *to, const char *from,
				  const char *bytes, uint64_t t0_tsc)
{
	struct sb_msg *m = sb_test_msg_alloc(NULL);

	if (m == NULL)
		return NULL;
	sb_msg_encode(m, SB_MSG_STANZA, h->from_worker, 0, 0, 0, t0_tsc);
	m->owner = SB_MSG_OWNER_CONTROL;
	if (sb_msg_append(m, h, sizeof(*h), &sb_test_msg_heap) < 0 ||
	    sb_msg_append(m, to, h->to_len, &sb_test_msg_heap) < 0 ||
	    sb_msg_append(m, from, h->from_len, &sb_test_msg_heap) < 0 ||
	    sb_msg_append(m, bytes, h->bytes_len, &sb_test_msg_heap) < 0) {
		sb_msg_free_chain(m, &sb_test_msg_heap);
		return NULL;
	}
	return m;
}
