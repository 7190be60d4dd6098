#include "policy/scalar-type.h"

#include <regex.h>
#include <stddef.h>
#include <string.h>

/* PyYAML's implicit resolvers (resolver.py) and the YAML 1.2 core schema's (10.3.2). */
static const char *const yaml11_int =
    "^([-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|"
    "[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$";
static const char *const yaml11_float =
    "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9_]+([eE][-+][0-9]+)?|"
    "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$";
static const char *const yaml12_int = "^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$";
static const char *const yaml12_float =
    "^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|"
    "\\.(nan|NaN|NAN))$";

static bool matches(const char *pattern, const char *s)
{
	/* One compiled pattern per call site's pattern, kept for the process. */
	static struct {
		const char *pattern;
		regex_t re;
		bool ok;
	} cache[4];
	size_t i;

	for (i = 0; i < sizeof(cache) / sizeof(cache[0]) && cache[i].pattern; i++)
		if (cache[i].pattern == pattern)
			break;
	if (i == sizeof(cache) / sizeof(cache[0]))
		return false;
	if (!cache[i].pattern) {
		cache[i].pattern = pattern;
		cache[i].ok = regcomp(&cache[i].re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
	}
	return cache[i].ok && regexec(&cache[i].re, s, 0, NULL, 0) == 0;
}

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const bools12[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
static const char *const bools11[] = {"true", "True", "TRUE", "false", "False", "FALSE", "yes",
                                      "Yes",  "YES",  "no",   "No",    "NO",    "on",    "On",
                                      "ON",   "off",  "Off",  "OFF",   NULL};

/* Numbers start with one of these in both schemas: most scalars need no pattern at all. */
static bool may_be_number(const char *s)
{
	return *s && strchr("0123456789+-.", *s);
}

enum scalar_type scalar_type_yaml11(const char *s)
{
	if (one_of(s, nulls))
		return SCALAR_NULL;
	if (one_of(s, bools11))
		return SCALAR_BOOL;
	if (may_be_number(s) && matches(yaml11_int, s))
		return SCALAR_INT;
	if (may_be_number(s) && matches(yaml11_float, s))
		return SCALAR_FLOAT;
	return SCALAR_STRING;
}

enum scalar_type scalar_type_yaml12(const char *s)
{
	if (one_of(s, nulls))
		return SCALAR_NULL;
	if (one_of(s, bools12))
		return SCALAR_BOOL;
	if (may_be_number(s) && matches(yaml12_int, s))
		return SCALAR_INT;
	if (may_be_number(s) && matches(yaml12_float, s))
		return SCALAR_FLOAT;
	return SCALAR_STRING;
}

const char *scalar_type_name(enum scalar_type t)
{
	static const char *const names[] = {
	    [SCALAR_STRING] = "a string", [SCALAR_NULL] = "null",      [SCALAR_BOOL] = "a boolean",
	    [SCALAR_INT] = "an integer",  [SCALAR_FLOAT] = "a number",
	};
	return names[t];
}

bool scalar_is_plain_decimal(const char *s)
{
	if (s[0] == '0')
		return s[1] == '\0';
	return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s);
}
