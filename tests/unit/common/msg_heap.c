/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "msg_heap.h"

struct sb_msg *sb_test_msg_alloc(void *arg)
{
	(void)arg;
	return calloc(1, SB_MSG_OBJ_SIZE);
}

void sb_test_msg_free(void *arg, struct sb_msg *m)
{
	(void)arg;
	free(m);
}

const struct sb_msg_pool_ops sb_test_msg_heap = {
	.alloc = sb_test_msg_alloc,
	.free = sb_test_msg_free,
};
