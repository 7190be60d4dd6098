/* The ethtool-like words of `vfmgr rss set IFACE ...`, parsed into a struct rss_spec. */
#ifndef VFMGR_RSS_WORDS_H
#define VFMGR_RSS_WORDS_H

#include "rss/spec.h"

/* Parses words[0..n-1]. Returns 0, or -EINVAL after logging which word is wrong and why. */
int rss_words_parse(int n, char *const *words, struct rss_spec *spec);

#endif
