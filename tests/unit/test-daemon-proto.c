/* The control socket protocol: every request either parses to exactly what was asked or is
 * refused with a message; replies survive a format/parse round trip. */
#include "vfmgr/daemon-proto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct ctl_request *req, char *err, size_t size)
{
	err[0] = '\0';
	return ctl_request_parse(text, strlen(text), req, err, size);
}

static void assert_refused(const char *text, const char *why)
{
	struct ctl_request req;
	char err[256];
	int r = parse(text, &req, err, sizeof(err));

	if (r != -EINVAL || !strstr(err, why))
		fail_msg("request %s: expected -EINVAL with \"%s\", got %d \"%s\"", text, why, r,
		         err);
}

static void test_status_with_json_and_state_parses(void **unused)
{
	struct ctl_request req;
	char err[256];

	(void)unused;
	assert_int_equal(parse("{\"command\":\"status\",\"json\":true,\"state\":\"/s.json\"}", &req,
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(req.command, CTL_STATUS);
	assert_true(req.json);
	assert_string_equal(req.state, "/s.json");
	assert_string_equal(req.policy, "");
	/* apply --json through the daemon: the request keeps json, so the answer is the summary. */
	req.command = CTL_APPLY;
	req.json = true;
	char *text = ctl_request_format(&req);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"json\":true"));
	assert_int_equal(parse(text, &req, err, sizeof(err)), 0);
	assert_int_equal(req.command, CTL_APPLY);
	assert_true(req.json);
	free(text);
}

static void test_every_command_name_parses(void **unused)
{
	(void)unused;
	for (int c = 0; c < CTL_N_COMMANDS; c++) {
		struct ctl_request req;
		char text[64], err[256];

		snprintf(text, sizeof(text), "{\"command\":\"%s\"}", ctl_command_name(c));
		assert_int_equal(parse(text, &req, err, sizeof(err)), 0);
		assert_int_equal(req.command, c);
	}
}

static void test_malformed_requests_are_refused_with_a_reason(void **unused)
{
	(void)unused;
	assert_refused("", "not JSON");
	assert_refused("{", "not JSON");
	assert_refused("null", "not JSON");
	assert_refused("[\"status\"]", "must be a JSON object");
	assert_refused("\"status\"", "not JSON");
	assert_refused("{}", "no \"command\"");
	assert_refused("{\"command\":1}", "must be a string");
	assert_refused("{\"command\":\"reboot\"}", "unknown command");
	assert_refused("{\"command\":\"status\",\"command\":\"apply\"}", "duplicate");
	assert_refused("{\"command\":\"status\",\"colour\":1}", "unknown key");
	assert_refused("{\"command\":\"status\",\"json\":\"yes\"}", "true or false");
	assert_refused("{\"command\":\"reload\",\"json\":true}", "reload takes no \"json\"");
	assert_refused("{\"command\":\"status\",\"vm\":\"a\"}", "status takes no \"vm\"");
	assert_refused("{\"command\":\"apply\",\"policy\":\"\"}", "1 to");
	assert_refused("{\"command\":\"apply\",\"policy\":\"a\\u0000b\"}", "is not allowed");
	assert_refused("{\"command\":\"apply\",\"policy\":7}", "must be a string");
}

static void test_oversized_request_is_refused_before_parsing(void **unused)
{
	size_t n = CTL_REQUEST_MAX + 1;
	char *big = malloc(n);
	struct ctl_request req;
	char err[256];

	(void)unused;
	memset(big, ' ', n);
	assert_int_equal(ctl_request_parse(big, n, &req, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	free(big);
}

static void test_path_longer_than_the_field_is_refused(void **unused)
{
	size_t n = CTL_PATH_MAX + 64;
	char *text = malloc(n + 64);
	struct ctl_request req;
	char err[256];

	(void)unused;
	int off = sprintf(text, "{\"command\":\"apply\",\"policy\":\"");
	memset(text + off, 'p', CTL_PATH_MAX);
	strcpy(text + off + CTL_PATH_MAX, "\"}");
	assert_int_equal(parse(text, &req, err, sizeof(err)), -EINVAL);
	free(text);
}

/* Arbitrary bytes never crash the parser (a fuzz target will do this at scale). */
static void test_random_bytes_never_crash(void **unused)
{
	static const char alphabet[] = "{}[]\",:\\ucommandstatusjsontrue0 \x00\xff";
	struct ctl_request req;
	char buf[64], err[64];

	(void)unused;
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		ctl_request_parse(buf, n, &req, err, sizeof(err));
	}
}

static void test_request_round_trips(void **unused)
{
	struct ctl_request in = {.command = CTL_APPLY}, out;
	char err[256];

	(void)unused;
	snprintf(in.policy, sizeof(in.policy), "/etc/vfmgr/policy.yaml");
	snprintf(in.state, sizeof(in.state), "/var/lib/vfmgr/state \"quoted\".json");
	char *text = ctl_request_format(&in);
	assert_non_null(text);
	assert_int_equal(parse(text, &out, err, sizeof(err)), 0);
	assert_int_equal(out.command, CTL_APPLY);
	assert_string_equal(out.policy, in.policy);
	assert_string_equal(out.state, in.state);
	free(text);
}

static void test_reply_round_trips_and_bad_reply_is_reported(void **unused)
{
	struct ctl_reply in = {.ok = true, .exit = 1, .output = "line 1\n", .log = "vfmgr: x\n"};
	struct ctl_reply out;
	char err[256];

	(void)unused;
	char *text = ctl_reply_format(&in);
	assert_non_null(text);
	assert_int_equal(ctl_reply_parse(text, strlen(text), &out, err, sizeof(err)), 0);
	assert_true(out.ok);
	assert_int_equal(out.exit, 1);
	assert_string_equal(out.output, "line 1\n");
	assert_string_equal(out.log, "vfmgr: x\n");
	assert_null(out.error);
	ctl_reply_free(&out);
	free(text);
	assert_int_equal(ctl_reply_parse("{\"exit\":0}", 10, &out, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_reply_parse("garbage", 7, &out, err, sizeof(err)), -EINVAL);
}

static void test_allow_is_an_impact_name(void **unused)
{
	(void)unused;
	assert_refused("{\"command\":\"apply\",\"allow\":\"everything\"}", "\"allow\" must be");
	assert_refused("{\"command\":\"status\",\"allow\":\"none\"}", "status takes no \"allow\"");
}

static void test_busy_reply_and_deadline_lines_round_trip(void **unused)
{
	struct ctl_reply rep = {.exit = 1, .error = "busy", .busy = true}, back;
	char err[256], *text = ctl_reply_format(&rep), *line = ctl_deadline_format(45);
	unsigned s = 0;

	(void)unused;
	assert_non_null(text);
	assert_int_equal(ctl_reply_parse(text, strlen(text), &back, err, sizeof(err)), 0);
	if (!back.busy || back.ok)
		fail_msg("%s: expected busy and not ok, got busy %d ok %d", text, back.busy,
		         back.ok);
	ctl_reply_free(&back);
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(ctl_deadline_parse(line, strlen(line) - 1, &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(ctl_deadline_parse(text, strlen(text), &s), -EINVAL);
	free(text);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allow_is_an_impact_name),
	    cmocka_unit_test(test_busy_reply_and_deadline_lines_round_trip),
	    cmocka_unit_test(test_status_with_json_and_state_parses),
	    cmocka_unit_test(test_every_command_name_parses),
	    cmocka_unit_test(test_malformed_requests_are_refused_with_a_reason),
	    cmocka_unit_test(test_oversized_request_is_refused_before_parsing),
	    cmocka_unit_test(test_path_longer_than_the_field_is_refused),
	    cmocka_unit_test(test_random_bytes_never_crash),
	    cmocka_unit_test(test_request_round_trips),
	    cmocka_unit_test(test_reply_round_trips_and_bad_reply_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
