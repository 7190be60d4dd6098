/* Aligned text tables in the style of `ip -br`: columns padded to their widest cell, the last
 * column unpadded. */
#ifndef VFMGR_UTIL_TABLE_H
#define VFMGR_UTIL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

struct table *table_new(size_t ncols);
void table_free(struct table *t);
/* Appends a row of ncols strings (copied; NULL prints as "-"). Returns 0 or -ENOMEM. */
int table_add_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f);

#endif
