#include "util/json-fast.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

struct jp {
	const unsigned char *start, *p, *end;
	unsigned depth;
	json_error_t *err;
	char *buf; /* the string being decoded */
	size_t cap;
	bool failed;
};

static json_t *fail(struct jp *j, const char *msg)
{
	int line = 1, col = 1;

	if (j->failed)
		return NULL;
	j->failed = true;
	for (const unsigned char *c = j->start; c < j->p; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	j->err->line = line;
	j->err->column = col;
	j->err->position = (int)(j->p - j->start);
	j->err->source[0] = '\0';
	snprintf(j->err->text, sizeof(j->err->text), "%s", msg);
	return NULL;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool reserve(struct jp *j, size_t len, size_t more)
{
	if (len + more + 1 <= j->cap)
		return true;
	size_t cap = j->cap ? j->cap : 256;
	while (cap < len + more + 1)
		cap *= 2;
	char *b = realloc(j->buf, cap);
	if (!b)
		return false;
	j->buf = b;
	j->cap = cap;
	return true;
}

static int hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t v;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	v = c & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/* Decodes the string whose opening quote was just read into j->buf; *len its length. */
static bool read_string(struct jp *j, size_t *len)
{
	size_t n = 0;

	for (;;) {
		const unsigned char *run = j->p;
		while (j->p < j->end && *j->p >= 0x20 && *j->p < 0x80 && *j->p != '"' &&
		       *j->p != '\\')
			j->p++;
		if (!reserve(j, n, (size_t)(j->p - run) + 4)) {
			fail(j, "out of memory");
			return false;
		}
		memcpy(j->buf + n, run, (size_t)(j->p - run));
		n += (size_t)(j->p - run);
		if (j->p >= j->end) {
			fail(j, "premature end of input in a string");
			return false;
		}
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			j->buf[n] = '\0';
			*len = n;
			return true;
		}
		if (c < 0x20) {
			fail(j, "control character in a string");
			return false;
		}
		if (c >= 0x80) {
			size_t k = utf8_len(j->p, j->end);
			if (!k) {
				fail(j, "invalid UTF-8 in a string");
				return false;
			}
			memcpy(j->buf + n, j->p, k);
			n += k;
			j->p += k;
			continue;
		}
		/* A backslash. */
		if (j->end - j->p < 2) {
			fail(j, "premature end of input in a string");
			return false;
		}
		c = j->p[1];
		j->p += 2;
		const char *simple = strchr("\"\\/bfnrt", c);
		if (c && simple) {
			static const char out[] = "\"\\/\b\f\n\r\t";
			j->buf[n++] = out[simple - "\"\\/bfnrt"];
			continue;
		}
		if (c != 'u') {
			j->p -= 2;
			fail(j, "invalid escape in a string");
			return false;
		}
		int u = j->end - j->p >= 4 ? hex4(j->p) : -1;
		if (u < 0) {
			fail(j, "invalid \\u escape in a string");
			return false;
		}
		j->p += 4;
		uint32_t cp = (uint32_t)u;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			fail(j, "invalid Unicode: a lone low surrogate");
			return false;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			int lo = j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u'
			             ? hex4(j->p + 2)
			             : -1;
			if (lo < 0xdc00 || lo > 0xdfff) {
				fail(j, "invalid Unicode: a high surrogate without its low half");
				return false;
			}
			j->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
		}
		if (cp == 0) {
			fail(j, "\\u0000 is not allowed");
			return false;
		}
		n += put_utf8(j->buf + n, cp);
	}
}

static json_t *read_number(struct jp *j)
{
	const unsigned char *s = j->p;
	bool neg = false, real = false;

	if (*j->p == '-') {
		neg = true;
		j->p++;
	}
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return fail(j, "invalid number");
	if (*j->p == '0') {
		j->p++;
		if (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			return fail(j, "invalid number: leading zero");
	} else {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && *j->p == '.') {
		real = true;
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return fail(j, "invalid number: no digit after the point");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		real = true;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return fail(j, "invalid number: no digit in the exponent");
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (!real) {
		/* Accumulated negative: JSON_INTEGER_MIN has no positive twin. acc * 10 - k must
		 * stay >= INT64_MIN; C's division rounds (INT64_MIN + k) / 10 up, as needed. */
		json_int_t acc = 0;
		for (const unsigned char *d = s + neg; d < j->p; d++) {
			int k = *d - '0';
			if (acc < (INT64_MIN + k) / 10)
				return fail(j,
				            neg ? "too big negative integer" : "too big integer");
			acc = acc * 10 - k;
		}
		if (!neg && acc == INT64_MIN)
			return fail(j, "too big integer");
		json_t *r = json_integer(neg ? acc : -acc);
		return r ? r : fail(j, "out of memory");
	}
	char tmp[64], *big = NULL, *num = tmp;
	size_t n = (size_t)(j->p - s);
	if (n >= sizeof(tmp)) {
		big = malloc(n + 1);
		if (!big)
			return fail(j, "out of memory");
		num = big;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	errno = 0;
	double d = strtod(num, NULL);
	bool overflow = (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE;
	free(big);
	if (overflow)
		return fail(j, "real number overflow");
	json_t *r = json_real(d);
	return r ? r : fail(j, "out of memory");
}

static json_t *read_value(struct jp *j);

static json_t *read_object(struct jp *j)
{
	json_t *o = json_object();

	if (!o)
		return fail(j, "out of memory");
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return o;
	}
	for (;;) {
		size_t len;
		if (j->p >= j->end || *j->p != '"') {
			fail(j, "string or '}' expected");
			break;
		}
		j->p++;
		if (!read_string(j, &len))
			break;
		if (strlen(j->buf) != len) {
			fail(j, "NUL byte in an object key");
			break;
		}
		/* j->buf is reused for the value: keep the key on the stack (state file keys are
		 * short) or on the heap. */
		char small[64], *key = len < sizeof(small) ? small : malloc(len + 1);
		if (!key) {
			fail(j, "out of memory");
			break;
		}
		memcpy(key, j->buf, len + 1);
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':') {
			fail(j, "':' expected");
		} else {
			j->p++;
			skip_ws(j);
			json_t *v = read_value(j);
			size_t before = json_object_size(o);
			/* One hash lookup: a key already there replaces its value, so the size does
			 * not grow. */
			if (!v || json_object_set_new_nocheck(o, key, v) < 0)
				fail(j, "out of memory");
			else if (json_object_size(o) == before)
				fail(j, "duplicate object key");
		}
		if (key != small)
			free(key);
		if (j->failed)
			break;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return o;
		}
		fail(j, "',' or '}' expected");
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *read_array(struct jp *j)
{
	json_t *a = json_array();

	if (!a)
		return fail(j, "out of memory");
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return a;
	}
	for (;;) {
		json_t *v = read_value(j);
		if (!v || json_array_append_new(a, v) < 0) {
			fail(j, "out of memory");
			break;
		}
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			skip_ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			return a;
		}
		fail(j, "',' or ']' expected");
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *literal(struct jp *j, const char *word, json_t *v)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, "invalid token");
	j->p += n;
	return v;
}

static json_t *read_value(struct jp *j)
{
	json_t *v;
	size_t len;

	if (j->p >= j->end)
		return fail(j, "premature end of input");
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > MAX_DEPTH)
			return fail(j, "maximum parsing depth reached");
		j->p++;
		v = j->p[-1] == '{' ? read_object(j) : read_array(j);
		j->depth--;
		return v;
	case '"':
		j->p++;
		if (!read_string(j, &len))
			return NULL;
		v = json_stringn_nocheck(j->buf, len);
		return v ? v : fail(j, "out of memory");
	case 't':
		return literal(j, "true", json_true());
	case 'f':
		return literal(j, "false", json_false());
	case 'n':
		return literal(j, "null", json_null());
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return read_number(j);
		return fail(j, "invalid token");
	}
}

json_t *json_fast_load(const char *text, size_t len, json_error_t *err)
{
	struct jp j = {.start = (const unsigned char *)text,
	               .p = (const unsigned char *)text,
	               .end = (const unsigned char *)text + len,
	               .err = err};
	json_t *v = NULL;

	skip_ws(&j);
	if (j.p >= j.end || (*j.p != '{' && *j.p != '['))
		fail(&j, "'[' or '{' expected");
	else
		v = read_value(&j);
	if (v) {
		skip_ws(&j);
		if (j.p != j.end) {
			fail(&j, "end of file expected");
			json_decref(v);
			v = NULL;
		}
	}
	free(j.buf);
	return v;
}

struct out {
	char *p;
	size_t n, cap;
	bool oom;
};

static void grow(struct out *o, size_t more)
{
	if (o->oom || o->n + more + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->n + more + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p) {
		o->oom = true;
		return;
	}
	o->p = p;
	o->cap = cap;
}

static void emit(struct out *o, const char *s, size_t n)
{
	grow(o, n);
	if (o->oom)
		return;
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void newline(struct out *o, unsigned depth)
{
	grow(o, 1 + 2 * (size_t)depth);
	if (o->oom)
		return;
	o->p[o->n++] = '\n';
	memset(o->p + o->n, ' ', 2 * (size_t)depth);
	o->n += 2 * (size_t)depth;
}

/* As jansson escapes without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH. */
static void emit_string(struct out *o, const char *s, size_t n)
{
	emit(o, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && (unsigned char)s[k] >= 0x20 && s[k] != '"' && s[k] != '\\')
			k++;
		emit(o, s + i, k - i);
		if (k == n)
			break;
		unsigned char c = (unsigned char)s[k];
		char esc[8];
		switch (c) {
		case '"':
			emit(o, "\\\"", 2);
			break;
		case '\\':
			emit(o, "\\\\", 2);
			break;
		case '\b':
			emit(o, "\\b", 2);
			break;
		case '\f':
			emit(o, "\\f", 2);
			break;
		case '\n':
			emit(o, "\\n", 2);
			break;
		case '\r':
			emit(o, "\\r", 2);
			break;
		case '\t':
			emit(o, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			emit(o, esc, 6);
		}
		i = k + 1;
	}
	emit(o, "\"", 1);
}

static void emit_value(struct out *o, const json_t *v, unsigned depth)
{
	char num[32];
	const char *key;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			emit(o, "{}", 2);
			return;
		}
		emit(o, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, e)
		{
			if (i++)
				emit(o, ",", 1);
			newline(o, depth + 1);
			emit_string(o, key, strlen(key));
			emit(o, ": ", 2);
			emit_value(o, e, depth + 1);
		}
		newline(o, depth);
		emit(o, "}", 1);
		return;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			emit(o, "[]", 2);
			return;
		}
		emit(o, "[", 1);
		json_array_foreach(v, i, e)
		{
			if (i)
				emit(o, ",", 1);
			newline(o, depth + 1);
			emit_value(o, e, depth + 1);
		}
		newline(o, depth);
		emit(o, "]", 1);
		return;
	case JSON_STRING:
		emit_string(o, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		emit(o, num,
		     (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		                      json_integer_value(v)));
		return;
	case JSON_REAL: {
		/* Rare here (the state has none): jansson's own formatting, exactly. */
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		if (!s) {
			o->oom = true;
			return;
		}
		emit(o, s, strlen(s));
		free(s);
		return;
	}
	case JSON_TRUE:
		emit(o, "true", 4);
		return;
	case JSON_FALSE:
		emit(o, "false", 5);
		return;
	case JSON_NULL:
		emit(o, "null", 4);
		return;
	}
}

char *json_fast_dump(const json_t *j, size_t *len)
{
	struct out o = {0};

	emit_value(&o, j, 0);
	grow(&o, 0);
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	o.p[o.n] = '\0';
	if (len)
		*len = o.n;
	return o.p;
}
