/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/im/mam_query.c: an XEP-0313 query read from its bytes: the
 * form's fields (with normalised, start/end times, #extended ids), RSM
 * max/after/before with the empty <before/> for the last page, flip-page,
 * the queryid; and what is refused (bad values, unknown fields, after with
 * before, start after end, a wrong FORM_TYPE).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mam_query.h"

#define FORM_OPEN "<x xmlns='jabber:x:data' type='submit'>" \
		  "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
#define RSM "http://jabber.org/protocol/rsm"

static enum sb_mam_qerr parse(const char *s, struct sb_mam_query *q)
{
	struct imx_el e;

	assert_int_equal(imx_open(&e, (const uint8_t *)s, strlen(s)), 0);
	return sb_mam_query_parse(&e, q);
}

static struct sb_mam_query *new_query(void)
{
	struct sb_mam_query *q = malloc(sizeof(*q));

	assert_non_null(q);
	memset(q, 0x5a, sizeof(*q)); /* the parser must set every field it reports */
	return q;
}

static void test_empty_query(void **state)
{
	struct sb_mam_query *q = new_query();

	(void)state;
	assert_int_equal(parse("<query xmlns='urn:xmpp:mam:2'/>", q), SB_MAM_Q_OK);
	assert_null(q->queryid);
	assert_false(q->has_with);
	assert_int_equal(q->start_us, 0);
	assert_true(q->end_us == UINT64_MAX);
	assert_false(q->has_max || q->has_after || q->has_before || q->flip);
	assert_false(q->has_after_id || q->has_before_id);
	assert_int_equal(q->n_ids, 0);
	free(q);
}

static void test_form_fields(void **state)
{
	struct sb_mam_query *q = new_query();
	const char *s = "<query xmlns='urn:xmpp:mam:2' queryid='f&amp;27'>" FORM_OPEN
			"<field var='with'><value>Juliet@Capulet.LIT</value></field>"
			"<field var='start'><value>2010-06-07T00:00:00Z</value></field>"
			"<field var='end'><value>2010-07-07T13:23:54.5Z</value></field>"
			"<field var='after-id'><value>00000000000000ff</value></field>"
			"<field var='before-id'><value>0000000000000100</value></field>"
			"</x></query>";
	size_t bl;

	(void)state;
	assert_int_equal(parse(s, q), SB_MAM_Q_OK);
	/* The raw attribute value, as it is echoed back. */
	assert_int_equal(q->queryid_len, 8);
	assert_memory_equal(q->queryid, "f&amp;27", 8);
	assert_true(q->has_with);
	assert_int_equal(q->with.resource_len, 0);
	assert_memory_equal(sb_jid_bare(&q->with, &bl), "juliet@capulet.lit", 18);
	assert_int_equal(bl, 18);
	assert_int_equal(q->start_us, 1275868800000000ull);
	assert_int_equal(q->end_us, 1278509034500000ull);
	assert_true(q->has_after_id && q->has_before_id);
	assert_int_equal(q->after_id, 0xff);
	assert_int_equal(q->before_id, 0x100);
	free(q);
}

static void test_full_jid_and_ids(void **state)
{
	struct sb_mam_query *q = new_query();
	const char *s = "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
			"<field var='with'><value>romeo@montague.lit/orchard</value></field>"
			"<field var='ids' type='text-multi'><value>0000000000000001</value>"
			"<value>000000000000000A</value></field></x></query>";

	(void)state;
	assert_int_equal(parse(s, q), SB_MAM_Q_OK);
	assert_int_equal(q->with.resource_len, 7);
	assert_int_equal(q->n_ids, 2);
	assert_int_equal(q->ids[0], 1);
	assert_int_equal(q->ids[1], 10);
	free(q);
}

static void test_rsm(void **state)
{
	struct sb_mam_query *q = new_query();

	(void)state;
	assert_int_equal(parse("<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'><max>10</max>"
			       "<after>0123456789abcdef</after></set></query>", q),
			 SB_MAM_Q_OK);
	assert_true(q->has_max && q->has_after && !q->has_before);
	assert_int_equal(q->max, 10);
	assert_int_equal(q->after, 0x0123456789abcdefull);
	/* An empty <before/>: the last page. */
	assert_int_equal(parse("<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'><max>0</max>"
			       "<before/></set><flip-page/></query>", q),
			 SB_MAM_Q_OK);
	assert_true(q->has_before && q->before_last && q->flip);
	assert_int_equal(q->max, 0);
	assert_int_equal(parse("<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'>"
			       "<before>0000000000000005</before></set></query>", q),
			 SB_MAM_Q_OK);
	assert_true(q->has_before && !q->before_last);
	assert_int_equal(q->before, 5);
	free(q);
}

static void test_refused(void **state)
{
	static const struct {
		const char *s;
		enum sb_mam_qerr want;
	} bad[] = {
		{ "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
		  "<field var='start'><value>yesterday</value></field></x></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
		  "<field var='with'><value>@nope</value></field></x></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
		  "<field var='with'><value>a@b</value><value>c@d</value></field></x></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
		  "<field var='start'><value>2011-01-01T00:00:00Z</value></field>"
		  "<field var='end'><value>2010-01-01T00:00:00Z</value></field></x></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'>" FORM_OPEN
		  "<field var='{urn:example:xmpp:free-text-search}query'><value>x</value>"
		  "</field></x></query>",
		  SB_MAM_Q_NOT_IMPLEMENTED },
		{ "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>"
		  "<field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'><max>ten</max></set></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'><after>zz</after></set>"
		  "</query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'>"
		  "<after>0000000000000001</after><before>0000000000000002</before></set></query>",
		  SB_MAM_Q_BAD_REQUEST },
		{ "<query xmlns='urn:xmpp:mam:2'><set xmlns='" RSM "'><index>3</index></set>"
		  "</query>",
		  SB_MAM_Q_NOT_IMPLEMENTED },
	};
	struct sb_mam_query *q = new_query();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum sb_mam_qerr got = parse(bad[i].s, q);

		if (got != bad[i].want)
			fail_msg("case %zu: got %d, want %d: %s", i, got, bad[i].want, bad[i].s);
	}
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_query),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_full_jid_and_ids),
		cmocka_unit_test(test_rsm),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
