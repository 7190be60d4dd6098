/* json_fast_load against jansson's json_loadb(JSON_REJECT_DUPLICATES): the same verdict and the
 * same values on valid text, each corner of RFC 8259 that a hand-written reader gets wrong, and
 * the state file vfmgr writes. */
#include "util/json-fast.h"
#include "vfmgr/state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void same(const char *text, size_t len)
{
	json_error_t e1, e2;
	json_t *a = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e1);
	json_t *b = json_fast_load(text, len, &e2);

	if (!a != !b)
		fail_msg("%.*s: jansson %s, json_fast_load %s (%s)", (int)len, text,
		         a ? "accepts" : "rejects", b ? "accepts" : "rejects", b ? "" : e2.text);
	if (a && !json_equal(a, b))
		fail_msg("%.*s: different values", (int)len, text);
	if (a) {
		char *d1 = json_dumps(a, JSON_INDENT(2)), *d2 = json_fast_dump(a, NULL);
		assert_non_null(d1);
		assert_non_null(d2);
		assert_string_equal(d2, d1);
		free(d1);
		free(d2);
	}
	json_decref(a);
	json_decref(b);
}

static void test_same_verdict_as_jansson(void **state)
{
	static const char *cases[] = {
	    "{}",
	    "[]",
	    " \n\t\r{ } \n",
	    "[1,2,3]",
	    "{\"a\":1,\"b\":[true,false,null]}",
	    "{\"a\":1,\"a\":2}",
	    "{\"a\":{\"a\":1}}",
	    "1",
	    "\"s\"",
	    "null",
	    "",
	    "   ",
	    "[",
	    "{",
	    "[1,]",
	    "{\"a\":1,}",
	    "[1 2]",
	    "{\"a\" 1}",
	    "{1:2}",
	    "[01]",
	    "[-]",
	    "[-0]",
	    "[-0.0]",
	    "[1.]",
	    "[.5]",
	    "[1e]",
	    "[1e+]",
	    "[1E5]",
	    "[1e-400]",
	    "[1e400]",
	    "[-1e400]",
	    "[9223372036854775807]",
	    "[9223372036854775808]",
	    "[-9223372036854775808]",
	    "[-9223372036854775809]",
	    "[12345678901234567890123]",
	    "[0.1234567890123456789e-5]",
	    "[\"\\u0041\\u00e9\\u20ac\"]",
	    "[\"\\ud83d\\ude00\"]",
	    "[\"\\ud83d\"]",
	    "[\"\\ude00\"]",
	    "[\"\\ud83dx\"]",
	    "[\"\\u0000\"]",
	    "{\"\\u0000\":1}",
	    "[\"\\x\"]",
	    "[\"\\u12\"]",
	    "[\"\\uzzzz\"]",
	    "[\"a\tb\"]",
	    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	    "[\"\xc3\xa9\"]",
	    "[\"\xc3\"]",
	    "[\"\xc0\xaf\"]",
	    "[\"\xed\xa0\x80\"]",
	    "[\"\xf4\x90\x80\x80\"]",
	    "[\"\xf0\x9f\x98\x80\"]",
	    "[\"\xff\"]",
	    "[\"unterminated",
	    "[true]",
	    "[tru]",
	    "[nul]",
	    "[falsey]",
	    "[] x",
	    "[][]",
	    "{}\n",
	    "\xef\xbb\xbf{}",
	    "[1,[2,[3,{\"k\":[4]}]]]",
	    "{\"e\":{},\"a\":[],\"n\":[{}, [], [[]]],\"r\":[1.5, -0.0, 1e300, 3.0]}",
	    "[\"\\u0001\\u001f\\u007f/\\u2028\"]",
	    "{\"k\\n\\\"\":\"v\\\\\"}",
	    "{\"\":0}",
	    "[\"a\\u0000b\"]",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same(cases[i], strlen(cases[i]));
	/* A NUL byte inside and after the text. */
	same("[\"a\0b\"]", 7);
	same("[1]\0", 4);
}

/* jansson 2.14 reads "[0\0]" as [0] (it cannot push back the NUL after a token); a NUL byte
 * is never valid JSON, and json_fast_load rejects it. */
static void test_nul_after_a_token_is_rejected(void **state)
{
	json_error_t e;
	(void)state;

	assert_null(json_fast_load("[0\0]", 4, &e));
	assert_null(json_fast_load("[true\0]", 7, &e));
	assert_null(json_fast_load("{\"a\":1\0}", 8, &e));
}

static void test_depth_limit_as_jansson(void **state)
{
	size_t n = 2049;
	char *t = malloc(2 * n + 2);
	(void)state;

	assert_non_null(t);
	for (size_t d = 2047; d <= 2049; d++) {
		memset(t, '[', d);
		memset(t + d, ']', d);
		same(t, 2 * d);
	}
	free(t);
}

static void test_error_position(void **state)
{
	json_error_t e;
	(void)state;

	assert_null(json_fast_load("{\n  \"a\": 1,\n  \"a\": 2\n}", 22, &e));
	assert_string_equal(e.text, "duplicate object key");
	assert_int_equal(e.line, 3);
}

/* What vfmgr writes, read back through both. */
static void test_state_file_text(void **state)
{
	char path[] = TOP_SRCDIR "/tests/fuzz/seeds/state/lab.json";
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	(void)state;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0);
	same(buf, n);
	json_error_t e;
	json_t *j = json_fast_load(buf, n, &e);
	assert_non_null(j);
	char *dump = json_dumps(j, JSON_INDENT(2));
	assert_non_null(dump);
	same(dump, strlen(dump));
	free(dump);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_verdict_as_jansson),
	    cmocka_unit_test(test_nul_after_a_token_is_rejected),
	    cmocka_unit_test(test_depth_limit_as_jansson),
	    cmocka_unit_test(test_error_position),
	    cmocka_unit_test(test_state_file_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
