/* "did you mean 'X'?": the known word closest to a misspelt one, when it is close enough to
 * be a typo. Offer every candidate, then ask for the result. */
#ifndef VFMGR_UTIL_SUGGEST_H
#define VFMGR_UTIL_SUGGEST_H

#include <stddef.h>

struct suggest {
	const char *word; /* what was written */
	const char *best; /* the closest candidate so far, or NULL */
	size_t best_dist;
};

void suggest_init(struct suggest *s, const char *word);
void suggest_offer(struct suggest *s, const char *candidate);
/* The closest candidate within the typo bound (none for words of 1 or 2 characters, 1 edit up
 * to 4, 2 up to 8, 3 beyond; a swap of neighbours is one edit; case alone costs nothing), or
 * NULL. */
const char *suggest_result(const struct suggest *s);
/* The distance suggest uses: insertions, deletions, substitutions and swaps of neighbours,
 * case-insensitive; words longer than 64 bytes are as far as their lengths make them. */
size_t suggest_distance(const char *a, const char *b);

#endif
