/* A light YAML node tree built from libyaml's event parser. libyaml's own document loader is
 * several times slower than its event parser on large files (it dominated the 10k-VM bench);
 * this keeps only what the policy reader needs: kinds, text, children and 1-based marks. */
#ifndef VFMGR_POLICY_YAML_TREE_H
#define VFMGR_POLICY_YAML_TREE_H

#include "policy/policy.h"

#include <stddef.h>

struct arena;

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
	YNODE_ALIAS, /* kept, not expanded: the policy reader refuses aliases where it meets one */
};

/* 32 bytes: a 100k-VM policy has millions of these, and touching fresh pages is what costs. */
struct ynode {
	uint16_t type;   /* enum ynode_type */
	uint16_t quoted; /* a scalar written quoted or as a block (| or >): a string to YAML */
	struct policy_mark mark;
	uint32_t n; /* scalar: bytes of value; sequence: items; mapping: pairs */
	union {
		const char *value;   /* scalar text, NUL-terminated (may hold NULs: see n) */
		struct ynode **kids; /* sequence: n items; mapping: key, value, key, value, ... */
	};
};

struct yload_error {
	struct policy_mark mark;
	char message[256];
	bool nomem;
	bool refused; /* valid YAML that a policy may not hold (a tag, a NUL, too deep) */
};

/* Loads the first document of buf into nodes allocated from a. Returns 0 with *root set (NULL
 * for an empty stream) and *more set when a second document follows (its mark in *more_mark),
 * -EINVAL with err filled for a YAML syntax error, or -ENOMEM. */
int ytree_load(struct arena *a, const char *buf, size_t len, struct ynode **root, bool *more,
               struct policy_mark *more_mark, struct yload_error *err);

#endif
