/* YAML → struct policy. libyaml loads the document; each mapping is then read through a table of
 * its keys, so unknown keys, duplicate keys, wrong types and missing keys are found in one place.
 * Problems are recorded as diagnostics and parsing goes on, so one run reports all of them. */
#include "policy/policy-internal.h"
#include "policy/yaml-tree.h"
#include "util/arena.h"
#include "util/cleanup.h"
#include "util/file.h"
#include "util/parse.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* 1.6 times the 100k-VM bench policy (20 MiB); bounds the read and what the tree can take. */
#define POLICY_FILE_MAX (32u << 20)

const struct policy_enum_name policy_class_names[] = {
    {"vm", POLICY_CLASS_VM},
    {"management", POLICY_CLASS_MANAGEMENT},
    {"migration", POLICY_CLASS_MIGRATION},
    {"storage", POLICY_CLASS_STORAGE},
    {"fault-tolerance", POLICY_CLASS_FAULT_TOLERANCE},
    {"replication", POLICY_CLASS_REPLICATION},
    {"backup", POLICY_CLASS_BACKUP},
    {0},
};
const struct policy_enum_name policy_vf_driver_names[] = {
    {"vfio-pci", POLICY_VF_DRIVER_VFIO_PCI},
    {"kernel", POLICY_VF_DRIVER_KERNEL},
    {0},
};
const struct policy_enum_name policy_link_state_names[] = {
    {"auto", POLICY_LINK_AUTO},
    {"enable", POLICY_LINK_ENABLE},
    {"disable", POLICY_LINK_DISABLE},
    {0},
};
const struct policy_enum_name policy_proto_names[] = {
    {"802.1Q", POLICY_PROTO_8021Q},
    {"802.1ad", POLICY_PROTO_8021AD},
    {0},
};
const struct policy_enum_name policy_hfunc_names[] = {
    {"toeplitz", POLICY_RSS_HFUNC_TOEPLITZ},
    {"xor", POLICY_RSS_HFUNC_XOR},
    {"crc32", POLICY_RSS_HFUNC_CRC32},
    {0},
};
const struct policy_enum_name policy_irq_affinity_names[] = {
    {"local", POLICY_IRQ_AFFINITY_LOCAL},
    {"none", POLICY_IRQ_AFFINITY_NONE},
    {0},
};

const char *policy_enum_lookup_name(const struct policy_enum_name *t, int value)
{
	for (; t->name; t++)
		if (t->value == value)
			return t->name;
	return "?";
}

const char *policy_class_name(enum policy_class c)
{
	return policy_enum_lookup_name(policy_class_names, (int)c);
}

const char *policy_vf_driver_name(enum policy_vf_driver d)
{
	return policy_enum_lookup_name(policy_vf_driver_names, (int)d);
}

const char *policy_link_state_name(enum policy_link_state s)
{
	return policy_enum_lookup_name(policy_link_state_names, (int)s);
}

struct pctx {
	struct policy *p;
	struct arena *arena;
	struct policy_diags *diags;
};

struct key_def;
typedef int (*key_parser)(struct pctx *c, const struct key_def *k, struct ynode *n, void *field);

struct key_def {
	const char *name;
	key_parser parse;
	size_t offset; /* of the field in the object, handed to parse() */
	uint32_t min, max;
	const struct policy_enum_name *values;
	bool required;
};

struct mapping_def {
	const char *what; /* "pf", "nic", ... as messages name it */
	const struct key_def *keys;
	size_t n_keys;
	/* Checks between keys of one mapping, after all of them were read. present has bit i set
	 * when keys[i] was given, even if its value was wrong, so one mistake is reported once. */
	int (*finish)(struct pctx *c, struct ynode *n, void *obj, unsigned present);
};

static struct policy_mark node_mark(const struct ynode *n)
{
	return n->mark;
}

static int perr_at(struct pctx *c, struct policy_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr_at(struct pctx *c, struct policy_mark m, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = policy_diag_addv(c->diags, POLICY_ERROR, m, fmt, ap);
	va_end(ap);
	return r;
}

static int pwarn_at(struct pctx *c, struct policy_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pwarn_at(struct pctx *c, struct policy_mark m, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = policy_diag_addv(c->diags, POLICY_WARNING, m, fmt, ap);
	va_end(ap);
	return r;
}

static const char *node_kind(const struct ynode *n)
{
	switch (n->type) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQUENCE:
		return "a sequence";
	case YNODE_MAPPING:
		return "a mapping";
	default:
		return "an alias";
	}
}

/* Aliases could make one node appear in many places (the "billion laughs") and a policy has no
 * need for them, so any alias where a value is expected is refused. */
static int node_enter(struct pctx *c, struct ynode *n, bool *ok)
{
	*ok = n->type != YNODE_ALIAS;
	if (!*ok)
		return perr_at(c, node_mark(n), "YAML aliases are not supported in a policy");
	return 0;
}

/* The text of a scalar, or NULL after recording "KEY must be EXPECT" (r holds -ENOMEM then). */
static const char *scalar_of(struct pctx *c, const struct key_def *k, struct ynode *n,
                             const char *expect, int *r)
{
	const char *s = n->value;

	*r = 0;
	if (n->type != YNODE_SCALAR) {
		*r = perr_at(c, node_mark(n), "'%s' must be %s, not %s", k->name, expect,
		             node_kind(n));
		return NULL;
	}
	if (strlen(s) != n->n) {
		*r = perr_at(c, node_mark(n), "'%s' must not contain a NUL byte", k->name);
		return NULL;
	}
	return s;
}

/* A non-empty scalar, copied into the policy's arena; or NULL after recording why (r holds
 * -ENOMEM then). */
static const char *nonempty_copy(struct pctx *c, const struct key_def *k, struct ynode *n,
                                 const char *expect, int *r)
{
	const char *s = scalar_of(c, k, n, expect, r);
	const char *v;

	if (!s)
		return NULL;
	if (!*s) {
		*r = perr_at(c, node_mark(n), "'%s' must not be empty", k->name);
		return NULL;
	}
	v = arena_strdup(c->arena, s);
	if (!v)
		*r = -ENOMEM;
	return v;
}

static int field_str(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_str *f = field;
	const char *v;
	int r;

	v = nonempty_copy(c, k, n, "a string", &r);
	if (!v)
		return r;
	f->value = v;
	f->mark = node_mark(n);
	return 0;
}

/* Names end up in state files, logs and generated device names: keep them plain. "." and ".."
 * would read as directories wherever a name becomes a path. */
bool policy_name_is_valid(const char *s)
{
	size_t len = strlen(s);

	/* A name reaches command lines (the libvirt hook's vfmgr prepare NAME): never an option. */
	if (len == 0 || len > POLICY_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
	       len;
}

static int field_name(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	const char *s;
	int r;

	s = scalar_of(c, k, n, "a name", &r);
	if (!s)
		return r;
	if (s[0] == '-')
		return perr_at(c, node_mark(n),
		               "'%s' must not begin with '-' (a command would read it as an "
		               "option), got '%s'",
		               k->name, s);
	if (!policy_name_is_valid(s))
		return perr_at(
		    c, node_mark(n),
		    "'%s' must be 1-%d letters, digits, '-', '_' or '.' (not . or ..), got "
		    "'%s'",
		    k->name, POLICY_NAME_MAX, s);
	return field_str(c, k, n, field);
}

static int field_interface(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	const char *s;
	int r;

	s = scalar_of(c, k, n, "an interface name", &r);
	if (!s)
		return r;
	/* The kernel's rule for netdev names: IFNAMSIZ - 1 bytes, no '/', ':' or whitespace. */
	if (!*s || strlen(s) > 15 || strpbrk(s, "/: \t\n") || !strcmp(s, ".") || !strcmp(s, ".."))
		return perr_at(c, node_mark(n),
		               "'%s' must be a network interface name (1-15 characters, no '/', "
		               "':' or spaces), got '%s'",
		               k->name, s);
	return field_str(c, k, n, field);
}

static int field_ref(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_ref *f = field;
	const char *v;
	int r;

	v = nonempty_copy(c, k, n, "a name", &r);
	if (!v)
		return r;
	f->name = v;
	f->mark = node_mark(n);
	return 0;
}

static int field_u32(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_u32 *f = field;
	const char *s;
	uint32_t v;
	int r;

	s = scalar_of(c, k, n, "an integer", &r);
	if (!s)
		return r;
	if (parse_u32(s, k->max, &v) < 0 || v < k->min)
		return perr_at(c, node_mark(n), "'%s' must be an integer in %u-%u, got '%s'",
		               k->name, k->min, k->max, s);
	f->value = v;
	f->set = true;
	f->mark = node_mark(n);
	return 0;
}

static int field_bool(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_bool *f = field;
	const char *s;
	bool v;
	int r;

	s = scalar_of(c, k, n, "true or false", &r);
	if (!s)
		return r;
	if (parse_bool(s, &v) < 0)
		return perr_at(c, node_mark(n), "'%s' must be true or false, got '%s'", k->name, s);
	f->value = v;
	f->set = true;
	f->mark = node_mark(n);
	return 0;
}

static int enum_lookup(const struct policy_enum_name *t, const char *s, int *out)
{
	for (; t->name; t++) {
		if (strcasecmp(t->name, s) == 0) {
			*out = t->value;
			return 0;
		}
	}
	return -EINVAL;
}

static int field_enum(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_enum *f = field;
	char list[256] = "";
	const char *s;
	int v, r;

	s = scalar_of(c, k, n, "a word", &r);
	if (!s)
		return r;
	if (enum_lookup(k->values, s, &v) == 0) {
		f->value = v;
		f->set = true;
		f->mark = node_mark(n);
		return 0;
	}
	for (const struct policy_enum_name *e = k->values; e->name; e++) {
		if (e != k->values)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, e->name, sizeof(list) - strlen(list) - 1);
	}
	return perr_at(c, node_mark(n), "'%s' must be one of %s; got '%s'", k->name, list, s);
}

static int field_mac(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_mac *f = field;
	const char *s;
	int r;

	s = scalar_of(c, k, n, "a MAC address", &r);
	if (!s)
		return r;
	if (parse_mac(s, f->addr) < 0)
		return perr_at(c, node_mark(n),
		               "'%s' must be a MAC address like 52:54:00:12:34:56, got '%s'",
		               k->name, s);
	f->set = true;
	f->mark = node_mark(n);
	return 0;
}

/* A VM NIC's MAC goes on the wire as a source address. */
static int field_nic_mac(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_mac *f = field;
	char buf[MAC_STR_LEN];
	int r;

	r = field_mac(c, k, n, field);
	if (r < 0 || !f->set)
		return r;
	format_mac(f->addr, buf);
	if (mac_is_multicast(f->addr))
		return perr_at(c, f->mark,
		               "'%s' %s is a multicast address; a NIC needs a unicast one", k->name,
		               buf);
	if (mac_is_zero(f->addr))
		return perr_at(c, f->mark, "'%s' must not be 00:00:00:00:00:00", k->name);
	if (!mac_is_local(f->addr))
		return pwarn_at(c, f->mark,
		                "'%s' %s is not locally administered and may clash with a vendor's "
		                "address (e.g. use 52:54:00:xx:xx:xx)",
		                k->name, buf);
	return 0;
}

static int field_pci(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_pci *f = field;
	const char *s;
	int r;

	s = scalar_of(c, k, n, "a PCI address", &r);
	if (!s)
		return r;
	if (parse_pci_addr(s, &f->addr) < 0)
		return perr_at(c, node_mark(n),
		               "'%s' must be a PCI address like 0000:3b:00.0, got '%s'", k->name,
		               s);
	f->set = true;
	f->mark = node_mark(n);
	return 0;
}

/* id: "vvvv:dddd", the vendor and device ids as lspci -n prints them. */
static int field_pci_id(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy_match *m = obj;
	unsigned vendor, device;
	const char *s;
	int used = 0, r;

	s = scalar_of(c, k, n, "a PCI id", &r);
	if (!s)
		return r;
	if (strlen(s) != 9 || strspn(s, "0123456789abcdefABCDEF") != 4 || s[4] != ':' ||
	    strspn(s + 5, "0123456789abcdefABCDEF") != 4 ||
	    sscanf(s, "%4x:%4x%n", &vendor, &device, &used) != 2 || used != 9)
		return perr_at(c, node_mark(n), "'%s' must be a PCI id like 8086:10c9, got '%s'",
		               k->name, s);
	m->vendor = (struct policy_u32){.value = vendor, .set = true, .mark = node_mark(n)};
	m->device = (struct policy_u32){.value = device, .set = true, .mark = node_mark(n)};
	return 0;
}

static int parse_mapping(struct pctx *c, struct ynode *n, const struct mapping_def *def, void *obj);

/* Reads a mapping value into the object at field (a struct policy_* starting with its mark). */
static int field_mapping(struct pctx *c, const struct key_def *k, struct ynode *n, void *field,
                         const struct mapping_def *def)
{
	if (n->type != YNODE_MAPPING)
		return perr_at(c, node_mark(n), "'%s' must be a mapping, not %s", k->name,
		               node_kind(n));
	return parse_mapping(c, n, def, field);
}

/* Reads a sequence of at most max mappings into a new arena array of elem_size objects. The
 * cap keeps a file of 8 million "- {}" from allocating gigabytes of empty objects. */
static int field_items(struct pctx *c, const struct key_def *k, struct ynode *n,
                       const struct mapping_def *def, size_t elem_size, void (*init)(void *obj),
                       size_t max, void **items, size_t *n_items)
{
	size_t count = 0, i = 0;
	char *arr;
	int r;

	if (n->type != YNODE_SEQUENCE)
		return perr_at(c, node_mark(n), "'%s' must be a sequence, not %s", k->name,
		               node_kind(n));
	if (n->n > max)
		return perr_at(c, node_mark(n), "'%s' has %u entries, more than the %zu allowed",
		               k->name, n->n, max);
	/* Only the mappings become objects; the others are errors below. */
	for (size_t j = 0; j < n->n; j++)
		count += n->kids[j]->type == YNODE_MAPPING || n->kids[j]->type == YNODE_ALIAS;
	arr = arena_alloc_array(c->arena, count ? count : 1, elem_size);
	if (!arr)
		return -ENOMEM;
	for (size_t j = 0; j < n->n; j++) {
		struct ynode *item = n->kids[j];
		void *obj = arr + i * elem_size;
		bool ok;

		r = node_enter(c, item, &ok);
		if (r < 0)
			return r;
		if (!ok)
			continue;
		if (item->type != YNODE_MAPPING) {
			r = perr_at(c, node_mark(item),
			            "each entry of '%s' must be a mapping, not %s", k->name,
			            node_kind(item));
			if (r < 0)
				return r;
			continue;
		}
		if (init)
			init(obj);
		r = parse_mapping(c, item, def, obj);
		if (r < 0)
			return r;
		i++;
	}
	*items = arr;
	*n_items = i;
	return 0;
}

/* ---- rss ---- */

static int field_rss_channels(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy_rss *rss = obj;
	const char *s;
	uint32_t v;
	int r;

	s = scalar_of(c, k, n, "an integer or numa-local", &r);
	if (!s)
		return r;
	if (strcmp(s, "numa-local") == 0) {
		rss->channels_numa_local = true;
	} else if (parse_u32(s, POLICY_CHANNELS_MAX, &v) < 0 || v < 1) {
		return perr_at(c, node_mark(n),
		               "'%s' must be an integer in 1-%u or numa-local, got '%s'", k->name,
		               POLICY_CHANNELS_MAX, s);
	} else {
		rss->channels.value = v;
	}
	rss->channels.set = true;
	rss->channels.mark = node_mark(n);
	return 0;
}

static int field_rss_weights(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	static const struct key_def weight = {"weight",          field_u32, 0,    0,
	                                      POLICY_WEIGHT_MAX, NULL,      false};
	struct policy_rss *rss = obj;
	size_t count, i = 0;
	bool any = false;
	int r;

	if (n->type != YNODE_SEQUENCE)
		return perr_at(c, node_mark(n), "'%s' must be a sequence, not %s", k->name,
		               node_kind(n));
	count = n->n;
	if (count == 0)
		return perr_at(c, node_mark(n), "'%s' must not be empty", k->name);
	if (count > POLICY_CHANNELS_MAX)
		return perr_at(c, node_mark(n), "'%s' lists more than %u channels", k->name,
		               POLICY_CHANNELS_MAX);
	rss->weights = arena_alloc_array(c->arena, count, sizeof(*rss->weights));
	if (!rss->weights)
		return -ENOMEM;
	for (size_t j = 0; j < n->n; j++) {
		struct policy_u32 w = {0};
		struct ynode *item = n->kids[j];

		r = field_u32(c, &weight, item, &w);
		if (r < 0)
			return r;
		rss->weights[i++] = w.value;
		any |= w.value > 0;
	}
	rss->n_weights = i;
	if (!any && i == count)
		return perr_at(c, node_mark(n), "'%s' must not all be 0", k->name);
	return 0;
}

static int indirection_finish(struct pctx *c, struct ynode *n, void *obj, unsigned present)
{
	enum { WEIGHTS = 1u << 0, START = 1u << 1, QUEUES = 1u << 2 };
	struct policy_rss *rss = obj;

	if ((present & WEIGHTS) && (present & (START | QUEUES)))
		return perr_at(c, node_mark(n),
		               "'indirection' takes either weights or start and queues, not both");
	if (!(present & (WEIGHTS | QUEUES)))
		return perr_at(c, node_mark(n),
		               "'indirection' needs weights, or queues (and start)");
	if (rss->weights)
		rss->indirection.value = POLICY_RSS_INDIR_WEIGHTS;
	else if (rss->queues.set)
		rss->indirection.value = POLICY_RSS_INDIR_RANGE;
	else
		return 0; /* the bad value was reported already */
	rss->indirection.set = true;
	rss->indirection.mark = node_mark(n);
	return 0;
}

static const struct key_def indirection_keys[] = {
    {"weights", field_rss_weights, 0, 0, 0, NULL, false},
    {"start", field_u32, offsetof(struct policy_rss, start), 0, POLICY_CHANNELS_MAX - 1, NULL,
     false},
    {"queues", field_u32, offsetof(struct policy_rss, queues), 1, POLICY_CHANNELS_MAX, NULL, false},
};

/* The indirection keys live in struct policy_rss itself, whose mark is the rss mapping's;
 * keep that mark rather than the inner mapping's. */
static int field_rss_indirection(struct pctx *c, const struct key_def *k, struct ynode *n,
                                 void *obj)
{
	static const struct mapping_def def = {"indirection", indirection_keys,
	                                       ARRAY_SIZE(indirection_keys), indirection_finish};
	struct policy_rss *rss = obj;
	struct policy_mark outer = rss->mark;
	int r;

	if (n->type == YNODE_SCALAR && strcmp(n->value, "equal") == 0) {
		rss->indirection = (struct policy_enum){POLICY_RSS_INDIR_EQUAL, true, node_mark(n)};
		return 0;
	}
	if (n->type != YNODE_MAPPING)
		return perr_at(c, node_mark(n),
		               "'%s' must be equal or a mapping with weights or start and queues, "
		               "got %s",
		               k->name, node_kind(n));
	r = parse_mapping(c, n, &def, rss);
	rss->mark = outer;
	return r;
}

/* key: random, or the bytes as ethtool -X hkey takes them ("6d:5a:56:..."). */
static int field_rss_key(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy_rss *rss = obj;
	uint8_t bytes[POLICY_RSS_KEY_MAX];
	size_t count;
	const char *s;
	int r;

	s = scalar_of(c, k, n, "random or hex bytes", &r);
	if (!s)
		return r;
	if (strcmp(s, "random") == 0) {
		rss->key = (struct policy_enum){POLICY_RSS_KEY_RANDOM, true, node_mark(n)};
		return 0;
	}
	if (parse_hex_bytes(s, bytes, sizeof(bytes), &count) < 0)
		return perr_at(c, node_mark(n),
		               "'%s' must be random or 1-%d hex bytes like 6d:5a:56:da, got '%s'",
		               k->name, POLICY_RSS_KEY_MAX, s);
	rss->key_bytes = arena_alloc(c->arena, count);
	if (!rss->key_bytes)
		return -ENOMEM;
	memcpy(rss->key_bytes, bytes, count);
	rss->key_len = count;
	rss->key = (struct policy_enum){POLICY_RSS_KEY_HEX, true, node_mark(n)};
	return 0;
}

static int rss_finish(struct pctx *c, struct ynode *n, void *obj, unsigned present)
{
	struct policy_rss *rss = obj;
	uint32_t ch = rss->channels.value;
	int r = 0;

	(void)n;
	(void)present;
	rss->set = true;
	if (!rss->channels.set || rss->channels_numa_local)
		return 0;
	/* With numa-local the count is only known on the host; the planner checks it there. */
	if (rss->indirection.value == POLICY_RSS_INDIR_WEIGHTS && rss->n_weights > ch)
		r = perr_at(c, rss->indirection.mark,
		            "'weights' lists %zu channels but 'channels' is %u", rss->n_weights,
		            ch);
	if (rss->indirection.value == POLICY_RSS_INDIR_RANGE &&
	    (uint64_t)rss->start.value + rss->queues.value > ch)
		r = perr_at(c, rss->indirection.mark,
		            "'start' + 'queues' is %u but 'channels' is only %u",
		            rss->start.value + rss->queues.value, ch);
	return r;
}

static const struct key_def rss_keys[] = {
    {"channels", field_rss_channels, 0, 0, 0, NULL, false},
    {"indirection", field_rss_indirection, 0, 0, 0, NULL, false},
    {"key", field_rss_key, 0, 0, 0, NULL, false},
    {"hfunc", field_enum, offsetof(struct policy_rss, hfunc), 0, 0, policy_hfunc_names, false},
    {"irq-affinity", field_enum, offsetof(struct policy_rss, irq_affinity), 0, 0,
     policy_irq_affinity_names, false},
};
static const struct mapping_def rss_def = {"rss", rss_keys, ARRAY_SIZE(rss_keys), rss_finish};

static int field_rss(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	return field_mapping(c, k, n, field, &rss_def);
}

/* ---- pfs ---- */

static int match_finish(struct pctx *c, struct ynode *n, void *obj, unsigned present)
{
	(void)obj;
	if (!present)
		return perr_at(c, node_mark(n),
		               "'match' needs at least one of pci, interface, driver, id, mac");
	return 0;
}

static const struct key_def match_keys[] = {
    {"pci", field_pci, offsetof(struct policy_match, pci), 0, 0, NULL, false},
    {"interface", field_interface, offsetof(struct policy_match, interface), 0, 0, NULL, false},
    {"driver", field_str, offsetof(struct policy_match, driver), 0, 0, NULL, false},
    {"id", field_pci_id, 0, 0, 0, NULL, false},
    {"mac", field_mac, offsetof(struct policy_match, mac), 0, 0, NULL, false},
};
static const struct mapping_def match_def = {"match", match_keys, ARRAY_SIZE(match_keys),
                                             match_finish};

static int field_match(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	return field_mapping(c, k, n, field, &match_def);
}

/* hosts: [glob, ...] on a pf or vm: hostname characters plus fnmatch(3)'s * ? [ ] ! ^. */
static int field_hosts_list(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	static const struct key_def entry = {"hosts", NULL, 0, 0, 0, NULL, false};
	struct policy_hosts *h = field;
	int r;

	if (n->type != YNODE_SEQUENCE || n->n == 0)
		return perr_at(c, node_mark(n),
		               "'%s' must be a non-empty sequence of hostname globs, not %s",
		               k->name, n->type == YNODE_SEQUENCE ? "an empty one" : node_kind(n));
	h->globs = arena_alloc_array(c->arena, n->n, sizeof(*h->globs));
	if (!h->globs)
		return -ENOMEM;
	h->mark = node_mark(n);
	h->set = true;
	for (size_t j = 0; j < n->n; j++) {
		struct policy_str *g = &h->globs[h->n];

		g->value = NULL; /* the slot of an entry refused before */
		r = field_str(c, &entry, n->kids[j], g);
		if (r < 0)
			return r;
		if (!g->value)
			continue;
		if (strlen(g->value) > 253 ||
		    strspn(g->value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                     "0123456789-_.*?[]!^") != strlen(g->value)) {
			r = perr_at(c, g->mark,
			            "'%s' entry '%s' is not a hostname glob (letters, digits, '-', "
			            "'_', '.', and the wildcards * ? [...])",
			            k->name, g->value);
			if (r < 0)
				return r;
			continue;
		}
		h->n++;
	}
	return 0;
}

static const struct key_def pf_keys[] = {
    {"name", field_name, offsetof(struct policy_pf, name), 0, 0, NULL, true},
    {"match", field_match, offsetof(struct policy_pf, match), 0, 0, NULL, true},
    {"switch", field_str, offsetof(struct policy_pf, switch_name), 0, 0, NULL, false},
    {"numvfs", field_u32, offsetof(struct policy_pf, numvfs), 0, POLICY_NUMVFS_MAX, NULL, false},
    {"vf-driver", field_enum, offsetof(struct policy_pf, vf_driver), 0, 0, policy_vf_driver_names,
     false},
    {"rss", field_rss, offsetof(struct policy_pf, rss), 0, 0, NULL, false},
    {"management", field_bool, offsetof(struct policy_pf, management), 0, 0, NULL, false},
    {"host-traffic", field_bool, offsetof(struct policy_pf, host_traffic), 0, 0, NULL, false},
    {"hosts", field_hosts_list, offsetof(struct policy_pf, hosts), 0, 0, NULL, false},
};
static const struct mapping_def pf_def = {"pf", pf_keys, ARRAY_SIZE(pf_keys), NULL};

static void pf_init(void *obj)
{
	struct policy_pf *pf = obj;

	pf->passthrough_vm = POLICY_NONE;
}

static int field_pfs(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy *p = obj;

	return field_items(c, k, n, &pf_def, sizeof(*p->pfs), pf_init, POLICY_PFS_MAX,
	                   (void **)&p->pfs, &p->n_pfs);
}

/* ---- networks ---- */

static int field_ref_list(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	static const struct key_def entry = {"pfs", NULL, 0, 0, 0, NULL, false};
	struct policy_network *net = obj;
	size_t count, i = 0;
	int r;

	if (n->type != YNODE_SEQUENCE)
		return perr_at(c, node_mark(n), "'%s' must be a sequence of pf names, not %s",
		               k->name, node_kind(n));
	count = n->n;
	net->pfs = arena_alloc_array(c->arena, count, sizeof(*net->pfs));
	if (!net->pfs)
		return -ENOMEM;
	for (size_t j = 0; j < n->n; j++) {
		struct ynode *item = n->kids[j];
		struct policy_ref *ref = &net->pfs[i];

		ref->index = POLICY_NONE;
		r = field_ref(c, &entry, item, ref);
		if (r < 0)
			return r;
		if (ref->name)
			i++;
	}
	net->n_pfs = i;
	return 0;
}

static const struct key_def network_keys[] = {
    {"name", field_name, offsetof(struct policy_network, name), 0, 0, NULL, true},
    {"vlan", field_u32, offsetof(struct policy_network, vlan), 0, POLICY_VLAN_MAX, NULL, false},
    {"qos", field_u32, offsetof(struct policy_network, qos), 0, POLICY_QOS_MAX, NULL, false},
    {"proto", field_enum, offsetof(struct policy_network, proto), 0, 0, policy_proto_names, false},
    {"class", field_enum, offsetof(struct policy_network, class), 0, 0, policy_class_names, true},
    {"mtu", field_u32, offsetof(struct policy_network, mtu), POLICY_MTU_MIN, POLICY_MTU_MAX, NULL,
     false},
    {"pfs", field_ref_list, 0, 0, 0, NULL, false},
};
static const struct mapping_def network_def = {"network", network_keys, ARRAY_SIZE(network_keys),
                                               NULL};

static int field_networks(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy *p = obj;

	return field_items(c, k, n, &network_def, sizeof(*p->networks), NULL, POLICY_NETWORKS_MAX,
	                   (void **)&p->networks, &p->n_networks);
}

/* ---- vms ---- */

static int rate_finish(struct pctx *c, struct ynode *n, void *obj, unsigned present)
{
	struct policy_rate *rate = obj;

	(void)n;
	(void)present;
	if (rate->min.set && rate->max.set && rate->min.value > rate->max.value)
		return perr_at(c, rate->min.mark, "rate min %u is greater than max %u",
		               rate->min.value, rate->max.value);
	return 0;
}

static const struct key_def rate_keys[] = {
    {"min", field_u32, offsetof(struct policy_rate, min), 0, POLICY_RATE_MAX, NULL, false},
    {"max", field_u32, offsetof(struct policy_rate, max), 1, POLICY_RATE_MAX, NULL, false},
};
static const struct mapping_def rate_def = {"rate", rate_keys, ARRAY_SIZE(rate_keys), rate_finish};

static int field_rate(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	return field_mapping(c, k, n, field, &rate_def);
}

static const struct key_def nic_keys[] = {
    {"network", field_ref, offsetof(struct policy_nic, network), 0, 0, NULL, true},
    {"mac", field_nic_mac, offsetof(struct policy_nic, mac), 0, 0, NULL, false},
    {"mac-b", field_nic_mac, offsetof(struct policy_nic, mac_b), 0, 0, NULL, false},
    {"rate", field_rate, offsetof(struct policy_nic, rate), 0, 0, NULL, false},
    {"shares", field_u32, offsetof(struct policy_nic, shares), 1, POLICY_SHARES_MAX, NULL, false},
    {"spoofchk", field_bool, offsetof(struct policy_nic, spoofchk), 0, 0, NULL, false},
    {"trust", field_bool, offsetof(struct policy_nic, trust), 0, 0, NULL, false},
    {"link-state", field_enum, offsetof(struct policy_nic, link_state), 0, 0,
     policy_link_state_names, false},
    {"redundant", field_bool, offsetof(struct policy_nic, redundant), 0, 0, NULL, false},
    {"migratable", field_bool, offsetof(struct policy_nic, migratable), 0, 0, NULL, false},
    {"vf-driver", field_enum, offsetof(struct policy_nic, vf_driver), 0, 0, policy_vf_driver_names,
     false},
};
static const struct mapping_def nic_def = {"nic", nic_keys, ARRAY_SIZE(nic_keys), NULL};

static void nic_init(void *obj)
{
	struct policy_nic *nic = obj;

	nic->network.index = POLICY_NONE;
	nic->pf[0] = nic->pf[1] = POLICY_NONE;
}

static int passthrough_finish(struct pctx *c, struct ynode *n, void *obj, unsigned present)
{
	enum { PCI = 1u << 0, PF = 1u << 1 };
	struct policy_passthrough *pt = obj;

	if ((present & PCI) && (present & PF))
		return perr_at(c, node_mark(n), "passthrough takes 'pci' or 'pf', not both");
	if (!present)
		return perr_at(c, node_mark(n), "passthrough needs 'pci' or 'pf'");
	pt->kind = (present & PF) ? POLICY_PASSTHROUGH_PF : POLICY_PASSTHROUGH_PCI;
	return 0;
}

static const struct key_def passthrough_keys[] = {
    {"pci", field_pci, offsetof(struct policy_passthrough, pci), 0, 0, NULL, false},
    {"pf", field_ref, offsetof(struct policy_passthrough, pf), 0, 0, NULL, false},
};
static const struct mapping_def passthrough_def = {
    "passthrough", passthrough_keys, ARRAY_SIZE(passthrough_keys), passthrough_finish};

static void passthrough_init(void *obj)
{
	struct policy_passthrough *pt = obj;

	pt->pf.index = POLICY_NONE;
}

static int field_nics(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy_vm *vm = obj;

	return field_items(c, k, n, &nic_def, sizeof(*vm->nics), nic_init, POLICY_VM_NICS_MAX,
	                   (void **)&vm->nics, &vm->n_nics);
}

static int field_passthrough(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy_vm *vm = obj;

	return field_items(c, k, n, &passthrough_def, sizeof(*vm->passthrough), passthrough_init,
	                   POLICY_VM_NICS_MAX, (void **)&vm->passthrough, &vm->n_passthrough);
}

static const struct key_def vm_keys[] = {
    {"name", field_name, offsetof(struct policy_vm, name), 0, 0, NULL, true},
    {"numa-node", field_u32, offsetof(struct policy_vm, numa_node), 0, POLICY_NUMA_MAX, NULL,
     false},
    {"nics", field_nics, 0, 0, 0, NULL, false},
    {"passthrough", field_passthrough, 0, 0, 0, NULL, false},
    {"hosts", field_hosts_list, offsetof(struct policy_vm, hosts), 0, 0, NULL, false},
};
static const struct mapping_def vm_def = {"vm", vm_keys, ARRAY_SIZE(vm_keys), NULL};

static int field_vms(struct pctx *c, const struct key_def *k, struct ynode *n, void *obj)
{
	struct policy *p = obj;

	return field_items(c, k, n, &vm_def, sizeof(*p->vms), NULL, POLICY_VMS_MAX,
	                   (void **)&p->vms, &p->n_vms);
}

/* ---- top level ---- */

static const struct key_def defaults_keys[] = {
    {"spoofchk", field_bool, offsetof(struct policy_defaults, spoofchk), 0, 0, NULL, false},
    {"trust", field_bool, offsetof(struct policy_defaults, trust), 0, 0, NULL, false},
    {"link-state", field_enum, offsetof(struct policy_defaults, link_state), 0, 0,
     policy_link_state_names, false},
    {"vf-driver", field_enum, offsetof(struct policy_defaults, vf_driver), 0, 0,
     policy_vf_driver_names, false},
};
static const struct mapping_def defaults_def = {"defaults", defaults_keys,
                                                ARRAY_SIZE(defaults_keys), NULL};

static int field_defaults(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	return field_mapping(c, k, n, field, &defaults_def);
}

static int field_version(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	struct policy_u32 *v = field;
	int r;

	r = field_u32(c, k, n, field);
	if (r < 0 || !v->set)
		return r;
	if (v->value != POLICY_VERSION)
		return perr_at(c, v->mark,
		               "unsupported policy version %u; this vfmgr reads version %d",
		               v->value, POLICY_VERSION);
	return 0;
}

/* Host selection is per entry (pfs and vms); a top-level hosts: would say nothing about
 * which entries it selects, so it is refused rather than guessed at. */
static int field_hosts(struct pctx *c, const struct key_def *k, struct ynode *n, void *field)
{
	(void)field;
	return perr_at(c, node_mark(n),
	               "'%s' is not a top-level key; put 'hosts:' on the pfs and vms entries it "
	               "selects",
	               k->name);
}

static const struct key_def policy_keys[] = {
    {"version", field_version, offsetof(struct policy, version), 0, UINT32_MAX, NULL, true},
    {"defaults", field_defaults, offsetof(struct policy, defaults), 0, 0, NULL, false},
    {"pfs", field_pfs, 0, 0, 0, NULL, false},
    {"networks", field_networks, 0, 0, 0, NULL, false},
    {"vms", field_vms, 0, 0, 0, NULL, false},
    {"hosts", field_hosts, 0, 0, 0, NULL, false},
};
static const struct mapping_def policy_def = {"policy", policy_keys, ARRAY_SIZE(policy_keys), NULL};

/* Every mapping in the schema has at most this many keys. */
#define KEYS_MAX 16

static int parse_mapping(struct pctx *c, struct ynode *n, const struct mapping_def *def, void *obj)
{
	struct policy_mark seen[KEYS_MAX] = {{0}};
	unsigned present = 0;
	int r;

	assert(def->n_keys <= KEYS_MAX);
	*(struct policy_mark *)obj = node_mark(n);
	for (size_t j = 0; j < n->n; j++) {
		struct ynode *key = n->kids[2 * j], *value = n->kids[2 * j + 1];
		const struct key_def *k = NULL;
		const char *name;
		size_t i;
		bool ok;

		if (key->type != YNODE_SCALAR) {
			r = perr_at(c, node_mark(key), "keys in %s must be words, not %s",
			            def->what, node_kind(key));
			if (r < 0)
				return r;
			continue;
		}
		name = key->value;
		for (i = 0; i < def->n_keys; i++) {
			if (strcmp(def->keys[i].name, name) == 0) {
				k = &def->keys[i];
				break;
			}
		}
		if (!k) {
			r = perr_at(c, node_mark(key), "unknown key '%s' in %s", name, def->what);
		} else if (seen[i].line) {
			r = perr_at(c, node_mark(key), "duplicate key '%s' in %s (first at %u:%u)",
			            name, def->what, seen[i].line, seen[i].col);
		} else {
			seen[i] = node_mark(key);
			r = node_enter(c, value, &ok);
			if (r == 0 && ok)
				r = k->parse(c, k, value, (char *)obj + k->offset);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < def->n_keys; i++) {
		if (def->keys[i].required && !seen[i].line) {
			r = perr_at(c, node_mark(n), "missing required key '%s' in %s",
			            def->keys[i].name, def->what);
			if (r < 0)
				return r;
		}
	}
	if (!def->finish)
		return 0;
	for (size_t i = 0; i < def->n_keys; i++)
		if (seen[i].line)
			present |= 1u << i;
	return def->finish(c, n, obj, present);
}

/* The defaults section fills what NICs and PFs leave unset; `set` stays false on them. */
static void policy_apply_defaults(struct policy *p)
{
	const struct policy_defaults *d = &p->defaults;

	for (size_t i = 0; i < p->n_pfs; i++) {
		if (!p->pfs[i].vf_driver.set)
			p->pfs[i].vf_driver.value = d->vf_driver.value;
	}
	for (size_t v = 0; v < p->n_vms; v++) {
		for (size_t i = 0; i < p->vms[v].n_nics; i++) {
			struct policy_nic *nic = &p->vms[v].nics[i];

			if (!nic->spoofchk.set)
				nic->spoofchk.value = d->spoofchk.value;
			if (!nic->trust.set)
				nic->trust.value = d->trust.value;
			if (!nic->link_state.set)
				nic->link_state.value = d->link_state.value;
			if (!nic->vf_driver.set)
				nic->vf_driver.value = d->vf_driver.value;
		}
	}
}

static int parse_document(struct pctx *c, const char *buf, size_t len, struct arena *tree)
{
	struct policy_mark more_mark = {0};
	struct yload_error err;
	struct ynode *root;
	bool more;
	int r;

	r = ytree_load(tree, buf, len, &root, &more, &more_mark, &err);
	if (r == -EINVAL)
		return perr_at(c, err.mark, "%s%s",
		               err.refused ? "" : "invalid YAML: ", err.message);
	if (r < 0)
		return r;
	if (!root)
		return perr_at(c, (struct policy_mark){0}, "the policy is empty");
	if (root->type != YNODE_MAPPING)
		r = perr_at(c, node_mark(root), "the policy must be a mapping, not %s",
		            node_kind(root));
	else
		r = parse_mapping(c, root, &policy_def, c->p);
	/* A second document would be silently ignored by a reader that stops at the first. */
	if (r == 0 && more)
		r = perr_at(c, more_mark, "a policy is one YAML document, found a second one");
	return r;
}

void policy_free(struct policy *p)
{
	if (p)
		arena_free(p->arena);
}

static struct policy *policy_new(const char *name)
{
	struct arena *a = arena_new();
	struct policy *p;

	if (!a)
		return NULL;
	p = arena_alloc(a, sizeof(*p));
	if (!p || !(p->file = arena_strdup(a, name))) {
		arena_free(a);
		return NULL;
	}
	p->arena = a;
	p->defaults.spoofchk.value = true;
	p->defaults.trust.value = false;
	p->defaults.link_state.value = POLICY_LINK_AUTO;
	p->defaults.vf_driver.value = POLICY_VF_DRIVER_VFIO_PCI;
	return p;
}

int policy_parse_buffer(const char *name, const char *buf, size_t len, struct policy **ret,
                        struct policy_diags *diags)
{
	return policy_parse_buffer_as(name, buf, len, NULL, ret, diags);
}

int policy_finish_as(struct policy *p, const struct policy_select *sel, struct policy_diags *diags)
{
	size_t errors_before = diags->n_errors;
	int r = policy_select_host(p, sel, diags);

	if (r == 0 && diags->n_errors == errors_before) {
		policy_apply_defaults(p);
		r = policy_check_and_place(p, diags);
	}
	return r;
}

int policy_parse_buffer_as(const char *name, const char *buf, size_t len,
                           const struct policy_select *sel, struct policy **ret,
                           struct policy_diags *diags)
{
	struct pctx c = {.diags = diags};
	size_t errors_before = diags->n_errors;
	struct arena *tree;
	struct policy *p;
	int r;

	assert(ret);
	*ret = NULL;
	if (!diags->file) {
		diags->file = strdup(name);
		if (!diags->file)
			return -ENOMEM;
	}
	p = policy_new(name);
	if (!p)
		return -ENOMEM;
	/* The node tree is only needed while reading; it gets its own arena. */
	tree = arena_new();
	if (!tree) {
		policy_free(p);
		return -ENOMEM;
	}
	c.p = p;
	c.arena = p->arena;
	r = parse_document(&c, buf, len, tree);
	arena_free(tree);
	/* sel == &policy_select_raw: the fleet check only wants the entries and their globs. */
	if (r == 0 && diags->n_errors == errors_before && sel != &policy_select_raw)
		r = policy_finish_as(p, sel, diags);
	policy_diags_sort(diags);
	if (r == 0 && diags->n_errors > errors_before)
		r = -EINVAL;
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* A problem with the file as a whole: a diagnostic without a place, so every caller prints it
 * the way it prints the others, then -EINVAL like any invalid policy. */
static int diag_error(struct policy_diags *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int diag_error(struct policy_diags *d, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = policy_diag_addv(d, POLICY_ERROR, (struct policy_mark){0}, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EINVAL;
}

int policy_parse_file(const char *path, struct policy **ret, struct policy_diags *diags)
{
	return policy_parse_file_as(path, NULL, ret, diags);
}

int policy_file_read(const char *path, struct policy_diags *diags, char **buf, size_t *len)
{
	struct stat st;
	int r;

	r = file_read_regular(path, POLICY_FILE_MAX, 0, buf, len);
	/* What the file is, not an errno's words: "Exec format error" would mislead. */
	if (r == -ENOEXEC && stat(path, &st) == 0)
		return diag_error(diags, "%s, not a regular file: a policy must be a regular file",
		                  file_kind(st.st_mode));
	if (r == -EFBIG)
		return diag_error(diags, "larger than %u MiB, the most a policy may be",
		                  POLICY_FILE_MAX >> 20);
	return r;
}

int policy_parse_file_as(const char *path, const struct policy_select *sel, struct policy **ret,
                         struct policy_diags *diags)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	if (!diags->file) {
		diags->file = strdup(path);
		if (!diags->file)
			return -ENOMEM;
	}
	r = policy_file_read(path, diags, &buf, &len);
	if (r < 0)
		return r;
	return policy_parse_buffer_as(path, buf, len, sel, ret, diags);
}
