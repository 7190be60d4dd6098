#include "policy/policy-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void policy_diags_init(struct policy_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void policy_diags_free(struct policy_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->items[i].message);
	free(d->items);
	free(d->file);
	policy_diags_init(d);
}

/* Values echoed in a message (a name, a key) may hold escape sequences or newlines: shown raw
 * they would rewrite the terminal or forge journal lines. Returns msg, or a new escaped copy
 * (msg freed), or NULL. */
static char *escape_controls(char *msg)
{
	size_t extra = 0, len = 0;
	char *out, *o;

	for (const unsigned char *p = (const unsigned char *)msg; *p; p++, len++)
		extra += (*p < 0x20 || *p == 0x7f) ? 3 : 0;
	if (!extra)
		return msg;
	out = malloc(len + extra + 1);
	if (out) {
		o = out;
		for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
			if (*p < 0x20 || *p == 0x7f)
				o += sprintf(o, "\\x%02x", *p);
			else
				*o++ = (char)*p;
		}
		*o = '\0';
	}
	free(msg);
	return out;
}

/* A message echoes values from the file (a name, a key): a 30 MB scalar must not make a 30 MB
 * line, nor a 30 MB `check --json`. Past DIAG_MESSAGE_MAX bytes the message is cut, at a
 * character boundary, and says how much was left out. */
#define DIAG_MESSAGE_MAX 400
static void truncate_message(char *msg, size_t len)
{
	size_t cut = DIAG_MESSAGE_MAX;

	if (len <= DIAG_MESSAGE_MAX + 64)
		return;
	while (cut > 0 && ((unsigned char)msg[cut] & 0xc0) == 0x80)
		cut--;
	snprintf(msg + cut, len + 1 - cut, "... (%zu more bytes)", len - cut);
}

static int diag_push(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                     char *msg)
{
	if (!msg)
		return -ENOMEM;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct policy_diag *items = reallocarray(d->items, cap, sizeof(*items));
		if (!items) {
			free(msg);
			return -ENOMEM;
		}
		d->items = items;
		d->cap = cap;
	}
	d->items[d->n++] = (struct policy_diag){
	    .severity = sev,
	    .line = m.line,
	    .col = m.col,
	    .message = msg,
	};
	return 0;
}

int policy_diag_addv(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                     const char *fmt, va_list ap)
{
	char *msg;
	int r;

	if (sev == POLICY_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
	if (d->n >= POLICY_DIAGS_MAX) {
		d->n_dropped++;
		return 0;
	}
	r = vasprintf(&msg, fmt, ap);
	if (r < 0)
		return -ENOMEM;
	truncate_message(msg, (size_t)r);
	return diag_push(d, sev, m, escape_controls(msg));
}

int policy_diag_add(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = policy_diag_addv(d, sev, m, fmt, ap);
	va_end(ap);
	return r;
}

/* Merge sort: stable, so two problems at one node keep the order they were found in. */
static int diag_cmp(const struct policy_diag *a, const struct policy_diag *b)
{
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static void diag_merge_sort(struct policy_diag *v, struct policy_diag *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	diag_merge_sort(v, tmp, mid);
	diag_merge_sort(v + mid, tmp, n - mid);
	while (i < mid && j < n)
		tmp[k++] = diag_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* Sorted first, so the count stays the last line. */
static void diags_summarize(struct policy_diags *d)
{
	char *msg;

	if (!d->n_dropped || d->summarized)
		return;
	if (asprintf(&msg, "... and %zu more problems not shown (%zu errors, %zu warnings in all)",
	             d->n_dropped, d->n_errors, d->n_warnings) < 0)
		return;
	if (diag_push(d, POLICY_ERROR, (struct policy_mark){0}, msg) == 0)
		d->summarized = true;
}

void policy_diags_sort(struct policy_diags *d)
{
	struct policy_diag *tmp;

	if (d->n >= 2 && !d->summarized) {
		tmp = calloc(d->n, sizeof(*tmp));
		/* unsorted output is still correct output */
		if (tmp)
			diag_merge_sort(d->items, tmp, d->n);
		free(tmp);
	}
	diags_summarize(d);
}

const char *policy_severity_name(enum policy_severity s)
{
	return s == POLICY_WARNING ? "warning" : "error";
}

int policy_diag_format(const struct policy_diags *d, const struct policy_diag *diag, char *buf,
                       size_t size)
{
	const char *file = d->file ? d->file : "<policy>";
	const char *sev = diag->severity == POLICY_WARNING ? "warning: " : "";

	if (diag->line == 0)
		return snprintf(buf, size, "%s: %s%s", file, sev, diag->message);
	return snprintf(buf, size, "%s:%u:%u: %s%s", file, diag->line, diag->col, sev,
	                diag->message);
}
