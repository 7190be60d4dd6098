#include "util/suggest.h"

#include <ctype.h>
#include <string.h>

#define SUGGEST_LEN_MAX 64

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_LEN_MAX + 1][SUGGEST_LEN_MAX + 1];

	if (la > SUGGEST_LEN_MAX || lb > SUGGEST_LEN_MAX)
		return la > lb ? la : lb;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]),
			    cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	}
	return d[la][lb];
}

void suggest_init(struct suggest *s, const char *word)
{
	*s = (struct suggest){.word = word, .best = NULL, .best_dist = (size_t)-1};
}

void suggest_offer(struct suggest *s, const char *candidate)
{
	size_t dist;

	if (!candidate || !*candidate)
		return;
	dist = suggest_distance(s->word, candidate);
	if (dist < s->best_dist) {
		s->best = candidate;
		s->best_dist = dist;
	}
}

const char *suggest_result(const struct suggest *s)
{
	size_t len = strlen(s->word), bound = len <= 2 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;

	/* Distance 0 is a word that differs only in case: worth naming, unless it is the same. */
	if (!s->best || s->best_dist > bound || strcmp(s->best, s->word) == 0)
		return NULL;
	return s->best;
}
