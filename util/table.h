/* Aligned text tables in the style of `ip -br`: columns padded to their widest cell, the last
 * column unpadded. */
#ifndef VFMGR_UTIL_TABLE_H
#define VFMGR_UTIL_TABLE_H

#include "util/cleanup.h"

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table whose first row is head (ncols strings); NULL when out of memory. */
struct table *table_new(size_t ncols, const char *const *head);
void table_free(struct table *t);
static inline void table_freep(struct table **t)
{
	table_free(*t);
}
#define _cleanup_table_ _cleanup_(table_freep)
/* Appends a row of ncols strings (copied; NULL prints as "-"). Returns 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);
/* Prints head and a row per item i < n, which row(t, i, arg) adds with table_add_row; 0, or
 * -ENOMEM (or row's error) with nothing printed. */
int table_print_rows(FILE *f, size_t ncols, const char *const *head, size_t n,
                     int (*row)(struct table *t, size_t i, const void *arg), const void *arg);

#endif
