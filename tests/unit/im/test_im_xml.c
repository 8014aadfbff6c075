/* SPDX-License-Identifier: BSD-3-Clause
 *
 * control/im/im_xml.c: walking the children of a stanza the tokenizer
 * accepted (nesting, empty elements, CDATA, quotes holding '>'), attribute
 * values and character data decoded, namespaces own or inherited, and the
 * escaping writers with their overflow flag.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "im_xml.h"

#define ROSTER "jabber:iq:roster"

static void open_s(struct imx_el *e, const char *s)
{
	assert_int_equal(imx_open(e, (const uint8_t *)s, strlen(s)), 0);
}

static void test_children(void **state)
{
	const char *s = "<iq type='set' id='a>b'><query xmlns='" ROSTER "'>"
			"<item jid='x@y' name='A &amp; B'><group>G1</group>"
			"<group><![CDATA[<G2>]]></group></item><item jid='z@y'/></query></iq>";
	struct imx_el iq, q, it, g, none;
	size_t pos = 0, ip = 0, gp = 0;
	char buf[64];

	(void)state;
	open_s(&iq, s);
	assert_int_equal(iq.name_len, 2);
	assert_true(imx_child(&iq, &pos, &q));
	assert_true(imx_is(&q, "query", ROSTER, NULL));
	assert_false(imx_child(&iq, &pos, &none)); /* the query is the only child */
	assert_true(imx_child(&q, &ip, &it));
	assert_true(imx_is(&it, "item", ROSTER, ROSTER));
	assert_false(imx_is(&it, "item", ROSTER, NULL));
	assert_int_equal(imx_attr_text(&it, "jid", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "x@y");
	assert_int_equal(imx_attr_text(&it, "name", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "A & B");
	assert_int_equal(imx_attr_text(&it, "nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(imx_attr_text(&it, "name", buf, 3), -ENOSPC);
	assert_true(imx_child(&it, &gp, &g));
	assert_int_equal(imx_text(&g, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "G1");
	assert_true(imx_child(&it, &gp, &g));
	assert_int_equal(imx_text(&g, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "<G2>");
	assert_false(imx_child(&it, &gp, &g));
	assert_true(imx_child(&q, &ip, &it));
	assert_true(it.empty);
	assert_int_equal(imx_attr_text(&it, "jid", buf, sizeof(buf)), 3);
	assert_false(imx_child(&q, &ip, &it));
}

static void test_text_with_child_refused(void **state)
{
	const char *s = "<group>a<b/>c</group>";
	struct imx_el g;
	char buf[16];

	(void)state;
	open_s(&g, s);
	assert_int_equal(imx_text(&g, buf, sizeof(buf)), -EINVAL);
	open_s(&g, "<group/>");
	assert_int_equal(imx_text(&g, buf, sizeof(buf)), 0);
	open_s(&g, "<group>&#x41;&lt;</group>");
	assert_int_equal(imx_text(&g, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "A<");
}

static void test_content(void **state)
{
	const char *s = "<message to='b'><body>hi</body></message >";
	struct imx_el m;
	size_t cs, ce;

	(void)state;
	open_s(&m, s);
	imx_content(&m, &cs, &ce);
	assert_int_equal(ce - cs, strlen("<body>hi</body>"));
	assert_memory_equal(s + cs, "<body>hi</body>", ce - cs);
	open_s(&m, "<message to='b'/>");
	imx_content(&m, &cs, &ce);
	assert_int_equal(cs, ce);
}

static void test_writers(void **state)
{
	char b[64];
	struct imx_out o = { .p = b, .cap = sizeof(b) };

	(void)state;
	imx_attr_put(&o, "name", "a'<&\">", 6);
	assert_int_equal(o.len, strlen(" name='a&apos;&lt;&amp;&quot;&gt;'"));
	assert_memory_equal(b, " name='a&apos;&lt;&amp;&quot;&gt;'", o.len);
	o.len = 0;
	imx_raw_attr_put(&o, "id", "it's", 4);
	assert_memory_equal(b, " id=\"it's\"", o.len);
	o.len = 0;
	o.cap = 4;
	imx_puts(&o, "12345");
	assert_true(o.over);
	assert_int_equal(o.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_text_with_child_refused),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
