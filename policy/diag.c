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

int policy_diag_addv(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                     const char *fmt, va_list ap)
{
	char *msg;
	int r;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct policy_diag *items = reallocarray(d->items, cap, sizeof(*items));
		if (!items)
			return -ENOMEM;
		d->items = items;
		d->cap = cap;
	}
	r = vasprintf(&msg, fmt, ap);
	if (r < 0)
		return -ENOMEM;
	d->items[d->n++] = (struct policy_diag){
	    .severity = sev,
	    .line = m.line,
	    .col = m.col,
	    .message = msg,
	};
	if (sev == POLICY_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
	return 0;
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

void policy_diags_sort(struct policy_diags *d)
{
	struct policy_diag *tmp;

	if (d->n < 2)
		return;
	tmp = calloc(d->n, sizeof(*tmp));
	if (!tmp)
		return; /* unsorted output is still correct output */
	diag_merge_sort(d->items, tmp, d->n);
	free(tmp);
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
