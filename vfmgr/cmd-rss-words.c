#include "vfmgr/cmd-rss-words.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A handler consumes the values after its word from words[0..n-1] and returns how many it took,
 * or -EINVAL after saying what is wrong. */
struct rss_word {
	const char *word;
	const char *values; /* for messages */
	int (*parse)(int n, char *const *words, struct rss_spec *spec);
};

static int one_u32(int n, char *const *words, const char *word, uint32_t min, uint32_t *out)
{
	if (n < 1) {
		log_error("rss set: '%s' needs a number", word);
		return -EINVAL;
	}
	if (parse_u32(words[0], UINT32_MAX - 1, out) < 0 || *out < min) {
		log_error("rss set: %s '%s': expected a number of at least %u", word, words[0],
		          min);
		return -EINVAL;
	}
	return 1;
}

static int indir_once(struct rss_spec *spec, enum rss_indir_kind kind, const char *word)
{
	if (spec->indir != RSS_INDIR_KEEP && spec->indir != kind) {
		log_error("rss set: '%s' conflicts with the table asked for before "
		          "(use one of equal, weight, numa-local)",
		          word);
		return -EINVAL;
	}
	spec->indir = kind;
	return 0;
}

static int parse_channels(int n, char *const *words, struct rss_spec *spec)
{
	return one_u32(n, words, "channels", 1, &spec->channels);
}

static int parse_equal(int n, char *const *words, struct rss_spec *spec)
{
	if (indir_once(spec, RSS_INDIR_EQUAL, "equal") < 0)
		return -EINVAL;
	return one_u32(n, words, "equal", 1, &spec->equal);
}

static int parse_start(int n, char *const *words, struct rss_spec *spec)
{
	return one_u32(n, words, "start", 0, &spec->start);
}

/* weight W0 W1 ...: every following word that is a number. */
static int parse_weight(int n, char *const *words, struct rss_spec *spec)
{
	int used = 0;

	if (indir_once(spec, RSS_INDIR_WEIGHTS, "weight") < 0)
		return -EINVAL;
	spec->nweights = 0;
	while (used < n && isdigit((unsigned char)words[used][0])) {
		if (spec->nweights == RSS_WEIGHTS_MAX) {
			log_error("rss set: more than %d weights", RSS_WEIGHTS_MAX);
			return -EINVAL;
		}
		if (parse_u32(words[used], UINT32_MAX, &spec->weights[spec->nweights]) < 0) {
			log_error("rss set: weight '%s' is not a number", words[used]);
			return -EINVAL;
		}
		spec->nweights++;
		used++;
	}
	if (used == 0) {
		log_error("rss set: 'weight' needs one number per queue");
		return -EINVAL;
	}
	return used;
}

static int parse_numa_local(int n, char *const *words, struct rss_spec *spec)
{
	(void)n;
	(void)words;
	return indir_once(spec, RSS_INDIR_LOCAL, "numa-local");
}

static int parse_hkey(int n, char *const *words, struct rss_spec *spec)
{
	size_t len;

	if (n < 1) {
		log_error("rss set: 'hkey' needs HEX (like 6d:5a:56:da:...) or random");
		return -EINVAL;
	}
	if (strcmp(words[0], "random") == 0) {
		spec->key = RSS_KEY_RANDOM;
		return 1;
	}
	/* ethtool's "6d:5a:56:..." or the same without colons. */
	if (parse_hex_bytes(words[0], spec->key_bytes, RSS_KEY_MAX, &len) < 0) {
		log_error("rss set: hkey '%s': expected hex bytes like 6d:5a:56:da (at most %d) or "
		          "random",
		          words[0], RSS_KEY_MAX);
		return -EINVAL;
	}
	spec->key_len = (uint32_t)len;
	spec->key = RSS_KEY_BYTES;
	return 1;
}

static int parse_hfunc(int n, char *const *words, struct rss_spec *spec)
{
	if (n < 1 || rss_hfunc_from_name(words[0], &spec->hfunc) < 0) {
		log_error("rss set: 'hfunc' needs one of toeplitz, xor, crc32");
		return -EINVAL;
	}
	spec->set_hfunc = true;
	return 1;
}

static int parse_irq_affinity(int n, char *const *words, struct rss_spec *spec)
{
	if (n < 1 || strcmp(words[0], "local") != 0) {
		log_error("rss set: 'irq-affinity' takes 'local'");
		return -EINVAL;
	}
	spec->irq_local = true;
	return 1;
}

static const struct rss_word rss_words[] = {
    {"channels", "N", parse_channels},    {"equal", "N", parse_equal},
    {"start", "S", parse_start},          {"weight", "W0 W1 ...", parse_weight},
    {"numa-local", "", parse_numa_local}, {"hkey", "HEX|random", parse_hkey},
    {"hfunc", "NAME", parse_hfunc},       {"irq-affinity", "local", parse_irq_affinity},
};

int rss_words_parse(int n, char *const *words, struct rss_spec *spec)
{
	bool start = false;

	rss_spec_init(spec);
	for (int i = 0; i < n;) {
		const struct rss_word *w = NULL;

		for (size_t k = 0; k < ARRAY_SIZE(rss_words); k++)
			if (strcmp(words[i], rss_words[k].word) == 0)
				w = &rss_words[k];
		if (!w) {
			char list[256];
			size_t off = 0;
			for (size_t k = 0; k < ARRAY_SIZE(rss_words) && off < sizeof(list); k++)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s%s%s",
				                        k ? ", " : "", rss_words[k].word,
				                        *rss_words[k].values ? " " : "",
				                        rss_words[k].values);
			log_error("rss set: unknown word '%s' (expected %s)", words[i], list);
			return -EINVAL;
		}
		int used = w->parse(n - i - 1, words + i + 1, spec);
		if (used < 0)
			return used;
		start |= w->parse == parse_start;
		i += 1 + used;
	}
	/* start alone means equal over the queues from start, as ethtool's equal defaults. */
	if (start && spec->indir == RSS_INDIR_KEEP)
		spec->indir = RSS_INDIR_EQUAL;
	if (start && spec->indir == RSS_INDIR_LOCAL) {
		log_error("rss set: 'start' does not combine with numa-local");
		return -EINVAL;
	}
	return 0;
}
