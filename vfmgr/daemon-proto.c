/* Control socket requests and replies as JSON; pure functions only. */
#include "vfmgr/daemon-proto.h"
#include "vfmgr/plan.h"
#include "util/cleanup-json.h"
#include "util/strcopy.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ctl_key {
	KEY_JSON = 1 << 0,
	KEY_POLICY = 1 << 1,
	KEY_STATE = 1 << 2,
	KEY_VM = 1 << 3,
	KEY_ALLOW = 1 << 4,
	KEY_POLICY_ARG = 1 << 5,
};

static const struct {
	const char *name;
	unsigned keys; /* the optional keys the command takes */
} commands[CTL_N_COMMANDS] = {
    [CTL_STATUS] = {"status", KEY_JSON | KEY_STATE},
    [CTL_PLAN] = {"plan", KEY_JSON},
    [CTL_APPLY] = {"apply", KEY_JSON | KEY_POLICY | KEY_STATE | KEY_ALLOW | KEY_POLICY_ARG},
    [CTL_RELOAD] = {"reload", 0},
    [CTL_QEMU_ARGS] = {"qemu-args", KEY_VM | KEY_JSON},
};

struct key_parser {
	const char *name;
	enum ctl_key key;
	int (*parse)(json_t *v, struct ctl_request *req, char *err, size_t errsize);
};

static int fail(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_string(json_t *v, char *dst, size_t size, const char *key, char *err,
                        size_t errsize)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (!json_is_string(v))
		return fail(err, errsize, "\"%s\" must be a string", key);
	/* An embedded NUL would make the path mean something else than what was sent. */
	if (len == 0 || len >= size || strlen(s) != len)
		return fail(err, errsize, "\"%s\" must be 1 to %zu characters without NUL", key,
		            size - 1);
	str_copy(dst, size, s);
	return 0;
}

static int parse_json(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	if (!json_is_boolean(v))
		return fail(err, errsize, "\"json\" must be true or false");
	req->json = json_is_true(v);
	return 0;
}

static int parse_policy(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	return parse_string(v, req->policy, sizeof(req->policy), "policy", err, errsize);
}

static int parse_state(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	return parse_string(v, req->state, sizeof(req->state), "state", err, errsize);
}

static int parse_vm(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	return parse_string(v, req->vm, sizeof(req->vm), "vm", err, errsize);
}

static int parse_policy_arg(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	return parse_string(v, req->policy_arg, sizeof(req->policy_arg), "policy_arg", err,
	                    errsize);
}

static int parse_allow(json_t *v, struct ctl_request *req, char *err, size_t errsize)
{
	const char *s = json_string_value(v);

	if (!s || sriov_impact_parse(s, &req->allow) < 0)
		return fail(err, errsize,
		            "\"allow\" must be \"none\", \"vf-reset\", \"vf-destroy\" or "
		            "\"pf-reset\"");
	return 0;
}

static const struct key_parser keys[] = {
    {"json", KEY_JSON, parse_json},    {"policy", KEY_POLICY, parse_policy},
    {"state", KEY_STATE, parse_state}, {"vm", KEY_VM, parse_vm},
    {"allow", KEY_ALLOW, parse_allow}, {"policy_arg", KEY_POLICY_ARG, parse_policy_arg},
};

const char *ctl_command_name(enum ctl_command c)
{
	return (unsigned)c < CTL_N_COMMANDS ? commands[c].name : "?";
}

static int find_command(json_t *v, enum ctl_command *out, char *err, size_t errsize)
{
	const char *name = json_string_value(v);

	if (!name)
		return fail(err, errsize, "\"command\" must be a string");
	for (size_t i = 0; i < CTL_N_COMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0) {
			*out = (enum ctl_command)i;
			return 0;
		}
	}
	return fail(err, errsize,
	            "unknown command (known: status, plan, apply, reload, qemu-args)");
}

static int parse_key(const char *name, json_t *v, struct ctl_request *req, char *err,
                     size_t errsize)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (!(commands[req->command].keys & keys[i].key))
			return fail(err, errsize, "%s takes no \"%s\"", commands[req->command].name,
			            name);
		return keys[i].parse(v, req, err, errsize);
	}
	return fail(err, errsize,
	            "unknown key (keys: command, json, policy, policy_arg, state, vm, allow)");
}

int ctl_request_parse(const char *buf, size_t len, struct ctl_request *req, char *err,
                      size_t errsize)
{
	json_error_t je;
	json_t *root, *v;
	const char *name;
	int r = 0;

	memset(req, 0, sizeof(*req));
	req->allow = PLAN_ALLOW_DEFAULT;
	if (len > CTL_REQUEST_MAX)
		return fail(err, errsize, "request longer than %d bytes", CTL_REQUEST_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return fail(err, errsize, "request is not JSON: %d:%d: %s", je.line, je.column,
		            je.text);
	if (!json_is_object(root)) {
		r = fail(err, errsize, "request must be a JSON object");
		goto out;
	}
	v = json_object_get(root, "command");
	if (!v) {
		r = fail(err, errsize, "request has no \"command\"");
		goto out;
	}
	r = find_command(v, &req->command, err, errsize);
	json_object_foreach(root, name, v)
	{
		if (r < 0)
			break;
		if (strcmp(name, "command") != 0)
			r = parse_key(name, v, req, err, errsize);
	}
out:
	json_decref(root);
	return r;
}

static int set_string(json_t *o, const char *key, const char *value)
{
	return value && value[0] ? json_object_set_new(o, key, json_string(value)) : 0;
}

char *ctl_request_format(const struct ctl_request *req)
{
	_cleanup_json_ json_t *o = json_pack("{s:s}", "command", ctl_command_name(req->command));

	if (!o)
		return NULL;
	if (commands[req->command].keys & KEY_JSON && req->json)
		json_object_set_new(o, "json", json_true());
	if (set_string(o, "policy", req->policy) < 0 || set_string(o, "state", req->state) < 0 ||
	    set_string(o, "vm", req->vm) < 0 || set_string(o, "policy_arg", req->policy_arg) < 0)
		return NULL;
	if (commands[req->command].keys & KEY_ALLOW &&
	    json_object_set_new(o, "allow", json_string(sriov_impact_name(req->allow))) < 0)
		return NULL;
	return json_dumps(o, JSON_COMPACT);
}

char *ctl_reply_format(const struct ctl_reply *rep)
{
	_cleanup_json_ json_t *o = json_pack("{s:b, s:i}", "ok", rep->ok, "exit", rep->exit);

	if (!o)
		return NULL;
	if (set_string(o, "output", rep->output) < 0 || set_string(o, "log", rep->log) < 0 ||
	    set_string(o, "error", rep->error) < 0)
		return NULL;
	if (rep->busy && json_object_set_new(o, "busy", json_true()) < 0)
		return NULL;
	return json_dumps(o, JSON_COMPACT);
}

static char *opt_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

int ctl_reply_parse(const char *buf, size_t len, struct ctl_reply *rep, char *err, size_t errsize)
{
	json_error_t je;
	json_t *root;
	int ok, busy = 0, code = 1, r = 0;

	memset(rep, 0, sizeof(*rep));
	root = json_loadb(buf, len, 0, &je);
	if (!root)
		return fail(err, errsize, "reply is not JSON: %d:%d: %s", je.line, je.column,
		            je.text);
	if (json_unpack(root, "{s:b, s?:i, s?:b}", "ok", &ok, "exit", &code, "busy", &busy) < 0) {
		r = fail(err, errsize, "reply has no \"ok\"");
	} else {
		rep->ok = ok;
		rep->exit = code;
		rep->busy = busy;
		rep->output = opt_string(root, "output");
		rep->log = opt_string(root, "log");
		rep->error = opt_string(root, "error");
	}
	json_decref(root);
	return r;
}

void ctl_reply_free(struct ctl_reply *rep)
{
	free(rep->output);
	free(rep->log);
	free(rep->error);
	memset(rep, 0, sizeof(*rep));
}

char *ctl_deadline_format(unsigned seconds)
{
	char *s = NULL;

	return asprintf(&s, "{\"" CTL_DEADLINE_KEY "\":%u}\n", seconds) < 0 ? NULL : s;
}

int ctl_deadline_parse(const char *line, size_t len, unsigned *seconds)
{
	_cleanup_json_ json_t *o = json_loadb(line, len, 0, NULL);
	json_int_t n;

	if (!o || json_unpack(o, "{s:I}", CTL_DEADLINE_KEY, &n) < 0 || n < 0 || n > 86400)
		return -EINVAL;
	*seconds = (unsigned)n;
	return 0;
}
