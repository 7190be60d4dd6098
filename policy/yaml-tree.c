#include "policy/yaml-tree.h"
#include "util/arena.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deeper than any policy (vms > nics > rate is 5): libyaml's scanner is quadratic in the
 * nesting depth, so 100,000 '[' took 53 s before this stopped it at the first deep one. */
#define YTREE_DEPTH_MAX 64
/* Nodes in one document: the 100k-VM bench policy has about 2.2 million. Bounds the memory a
 * file under the size cap can take (a node costs ~50 bytes, its text 4). */
#define YTREE_NODES_MAX (4u << 20)

/* Children of the open containers wait on one shared stack; when a container ends, its run of
 * children is copied into the arena. The stacks are explicit, so nesting depth costs heap, not
 * C stack. */
struct ybuild {
	struct arena *a;
	struct ynode **kids;
	size_t n_kids, cap_kids;
	struct yframe {
		struct ynode *node;
		size_t first;
	} * frames;
	size_t n_frames, cap_frames;
	size_t n_nodes;
	struct ynode *root;
	struct yload_error *err;
};

static int ybuild_fail(struct ybuild *b, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *nv;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	nv = reallocarray(*v, c, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static struct policy_mark mark_of(const yaml_mark_t *m)
{
	return (struct policy_mark){(uint32_t)m->line + 1, (uint32_t)m->column + 1};
}

/* A finished node becomes a child of the innermost open container, or the root. */
static int ybuild_attach(struct ybuild *b, struct ynode *n)
{
	if (b->n_frames == 0) {
		b->root = n;
		return 0;
	}
	if (grow((void **)&b->kids, &b->cap_kids, b->n_kids + 1, sizeof(*b->kids)) < 0)
		return -ENOMEM;
	b->kids[b->n_kids++] = n;
	return 0;
}

static int ybuild_fail(struct ybuild *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	b->err->mark = mark_of(m);
	b->err->refused = true;
	va_start(ap, fmt);
	vsnprintf(b->err->message, sizeof(b->err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int ybuild_open(struct ybuild *b, struct ynode *n)
{
	if (grow((void **)&b->frames, &b->cap_frames, b->n_frames + 1, sizeof(*b->frames)) < 0)
		return -ENOMEM;
	b->frames[b->n_frames++] = (struct yframe){n, b->n_kids};
	return 0;
}

static int ybuild_close(struct ybuild *b)
{
	struct yframe f;
	size_t count;

	if (b->n_frames == 0)
		return -EINVAL; /* libyaml never ends a container it did not start */
	f = b->frames[--b->n_frames];
	count = b->n_kids - f.first;

	f.node->kids = arena_alloc_array(b->a, count ? count : 1, sizeof(*f.node->kids));
	if (!f.node->kids)
		return -ENOMEM;
	if (count > UINT32_MAX)
		return -E2BIG;
	/* b->kids is still NULL while only empty containers were seen. */
	if (count)
		memcpy(f.node->kids, b->kids + f.first, count * sizeof(*f.node->kids));
	f.node->n = (uint32_t)(f.node->type == YNODE_MAPPING ? count / 2 : count);
	b->n_kids = f.first;
	return ybuild_attach(b, f.node);
}

/* An explicit tag (!!str, !custom) on a node; libyaml leaves plain nodes untagged. */
static const char *event_tag(const yaml_event_t *e)
{
	const yaml_char_t *t = NULL;

	if (e->type == YAML_SCALAR_EVENT)
		t = e->data.scalar.tag;
	else if (e->type == YAML_SEQUENCE_START_EVENT)
		t = e->data.sequence_start.tag;
	else if (e->type == YAML_MAPPING_START_EVENT)
		t = e->data.mapping_start.tag;
	return (const char *)t;
}

static int ybuild_event(struct ybuild *b, const yaml_event_t *e)
{
	struct ynode *n;

	switch (e->type) {
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return ybuild_close(b);
	default:
		return 0;
	}
	if (++b->n_nodes > YTREE_NODES_MAX)
		return ybuild_fail(b, &e->start_mark,
		                   "more than %u nodes, far more than any policy", YTREE_NODES_MAX);
	if (event_tag(e))
		return ybuild_fail(b, &e->start_mark,
		                   "tag %s: tags are not part of the policy language (remove it)",
		                   event_tag(e));
	if ((e->type == YAML_SEQUENCE_START_EVENT || e->type == YAML_MAPPING_START_EVENT) &&
	    b->n_frames >= YTREE_DEPTH_MAX)
		return ybuild_fail(b, &e->start_mark,
		                   "nested more than %d levels deep, far deeper than any policy",
		                   YTREE_DEPTH_MAX);
	if (e->type == YAML_SCALAR_EVENT &&
	    memchr(e->data.scalar.value, '\0', e->data.scalar.length))
		return ybuild_fail(b, &e->start_mark, "a NUL byte (\\0) in a scalar");
	n = arena_alloc(b->a, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->mark = mark_of(&e->start_mark);
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		n->type = YNODE_SCALAR;
		n->quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (e->data.scalar.length > UINT32_MAX)
			return -E2BIG;
		n->n = (uint32_t)e->data.scalar.length;
		n->value = arena_strndup(b->a, (const char *)e->data.scalar.value, n->n);
		if (!n->value)
			return -ENOMEM;
		return ybuild_attach(b, n);
	case YAML_ALIAS_EVENT:
		n->type = YNODE_ALIAS;
		return ybuild_attach(b, n);
	case YAML_SEQUENCE_START_EVENT:
		n->type = YNODE_SEQUENCE;
		return ybuild_open(b, n);
	default:
		n->type = YNODE_MAPPING;
		return ybuild_open(b, n);
	}
}

/* The line and column (in characters, as libyaml counts them) of byte off of buf. */
static struct policy_mark mark_at_offset(const char *buf, size_t len, size_t off)
{
	struct policy_mark m = {1, 1};

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			m.col++; /* a UTF-8 continuation byte is part of the character before it */
		}
	}
	return m;
}

static int yload_fail(const yaml_parser_t *p, const char *buf, size_t len, struct yload_error *err)
{
	if (p->error == YAML_MEMORY_ERROR) {
		err->nomem = true;
		return -ENOMEM;
	}
	/* libyaml's reader reports a bad byte by offset only, its mark left at the start; for a
	 * sequence cut short, the offset is of the byte that does not continue it. */
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset < len ? p->problem_offset : len;
		int byte = off < len ? (unsigned char)buf[off] : -1;

		for (size_t k = 1;
		     k <= 3 && k <= off && p->problem && strstr(p->problem, "trailing"); k++) {
			if (((unsigned char)buf[off - k] & 0xc0) == 0xc0) {
				off -= k;
				byte = (unsigned char)buf[off];
				break;
			}
		}
		err->mark = mark_at_offset(buf, len, off);
		if (byte >= 0)
			snprintf(
			    err->message, sizeof(err->message),
			    "not UTF-8: byte 0x%02x at offset %zu (%s; save the file as UTF-8)",
			    (unsigned)byte, off, p->problem ? p->problem : "invalid byte");
		else
			snprintf(err->message, sizeof(err->message),
			         "not UTF-8: the file ends inside a character (%s)",
			         p->problem ? p->problem : "incomplete UTF-8 octet sequence");
		return -EINVAL;
	}
	err->mark = mark_of(&p->problem_mark);
	snprintf(err->message, sizeof(err->message), "%s%s%s", p->problem ? p->problem : "error",
	         p->context ? " " : "", p->context ? p->context : "");
	return -EINVAL;
}

static int ytree_run(yaml_parser_t *p, const char *buf, size_t len, struct ybuild *b, bool *more,
                     struct policy_mark *more_mark, struct yload_error *err)
{
	yaml_event_t e;
	int docs = 0;

	for (;;) {
		yaml_event_type_t type;
		int r = 0;

		if (!yaml_parser_parse(p, &e))
			return yload_fail(p, buf, len, err);
		type = e.type;
		if (type == YAML_DOCUMENT_START_EVENT && ++docs == 2) {
			/* The rest is not read: a second document is an error already. */
			*more = true;
			*more_mark = mark_of(&e.start_mark);
			yaml_event_delete(&e);
			return 0;
		}
		r = ybuild_event(b, &e);
		yaml_event_delete(&e);
		if (r < 0)
			return r;
		if (type == YAML_STREAM_END_EVENT)
			return 0;
	}
}

int ytree_load(struct arena *a, const char *buf, size_t len, struct ynode **root, bool *more,
               struct policy_mark *more_mark, struct yload_error *err)
{
	struct ybuild b = {.a = a, .err = err};
	yaml_parser_t p;
	int r;

	*root = NULL;
	*more = false;
	memset(err, 0, sizeof(*err));
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	r = ytree_run(&p, buf, len, &b, more, more_mark, err);
	yaml_parser_delete(&p);
	free(b.kids);
	free(b.frames);
	if (r == 0)
		*root = b.root;
	return r;
}
