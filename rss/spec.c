#include "rss/spec.h"
#include "rss/table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void rss_spec_init(struct rss_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->channels = RSS_KEEP;
}

int rss_spec_table(const struct rss_spec *s, uint32_t size, uint32_t nqueues, const uint32_t *local,
                   size_t nlocal, uint32_t *table, char *why, size_t whysize)
{
	uint32_t n;
	int r;

	switch (s->indir) {
	case RSS_INDIR_EQUAL:
		if (s->start >= nqueues) {
			snprintf(why, whysize, "start %u is past the %u receive queues", s->start,
			         nqueues);
			return -ERANGE;
		}
		n = s->equal ? s->equal : nqueues - s->start;
		if ((uint64_t)s->start + n > nqueues) {
			snprintf(why, whysize,
			         "equal %u from queue %u needs %u receive queues, there "
			         "will be %u",
			         n, s->start, s->start + n, nqueues);
			return -ERANGE;
		}
		return rss_table_equal(table, size, s->start, n);
	case RSS_INDIR_WEIGHTS:
		/* Trailing zero weights may name queues that do not exist (like ethtool). */
		n = (uint32_t)s->nweights;
		while (n > 0 && s->weights[n - 1] == 0)
			n--;
		if ((uint64_t)s->start + n > nqueues) {
			snprintf(why, whysize,
			         "weights for %u queues from queue %u, there will be %u "
			         "receive queues",
			         n, s->start, nqueues);
			return -ERANGE;
		}
		r = rss_table_weights(table, size, s->start, s->weights, s->nweights);
		if (r == -EINVAL)
			snprintf(why, whysize, "at least one weight must be non-zero");
		else if (r == -ERANGE)
			snprintf(why, whysize,
			         "the weights add up to more than the %u table entries", size);
		return r;
	case RSS_INDIR_LOCAL:
		r = rss_table_queues(table, size, local, nlocal);
		if (r < 0)
			snprintf(why, whysize,
			         "no receive queue has its IRQ on a local CPU (is the "
			         "interface up?)");
		return r;
	case RSS_INDIR_KEEP:
		break;
	}
	return 0;
}
