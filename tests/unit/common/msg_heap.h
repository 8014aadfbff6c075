/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A message pool on the heap for unit tests of sb-control's logic (the
 * router, control/im): struct sb_msg_pool_ops without DPDK, each object
 * calloc'ed at SB_MSG_OBJ_SIZE and freed at once, so that valgrind and the
 * sanitizers see every object a test leaks or uses after it gave it back.
 */
#ifndef SB_TEST_MSG_HEAP_H
#define SB_TEST_MSG_HEAP_H

#include "msg.h"

struct sb_msg *sb_test_msg_alloc(void *arg);
void sb_test_msg_free(void *arg, struct sb_msg *m);

/* The two as pool ops. */
extern const struct sb_msg_pool_ops sb_test_msg_heap;

#endif
