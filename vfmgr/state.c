#include "vfmgr/state.h"
#include "policy/policy.h"
#include "util/array.h"
#include "util/cleanup-json.h"
#include "util/file.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/strcopy.h"
#include "util/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1
/* About 36,000 allocations as state_save writes them (compact, ~460 bytes each): more than the
 * VFs of any one host. The cap bounds what a damaged or hostile file can make the reader
 * allocate. */
#define STATE_FILE_MAX (16u << 20)
/* Whole devices passed through: more than the PCI functions of any host; the planner looks
 * them up linearly. */
#define STATE_PT_MAX 4096u

void state_free(struct state *s)
{
	free(s->allocs);
	free(s->pts);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

int state_copy(struct state *dst, const struct state *src)
{
	memset(dst, 0, sizeof(*dst));
	if (array_dup(&dst->allocs, src->allocs, src->n, sizeof(*src->allocs)) < 0 ||
	    array_dup(&dst->pts, src->pts, src->n_pts, sizeof(*src->pts)) < 0 ||
	    array_dup(&dst->keys, src->keys, src->n_keys, sizeof(*src->keys)) < 0) {
		state_free(dst);
		return -ENOMEM;
	}
	dst->n = dst->cap = src->n;
	dst->n_pts = dst->cap_pts = src->n_pts;
	dst->n_keys = dst->cap_keys = src->n_keys;
	return 0;
}

const char *state_path(const char *override)
{
	if (override)
		return override;
	if (getenv("VFMGR_STATE"))
		return getenv("VFMGR_STATE");
	return STATE_DEFAULT_PATH;
}

int state_alloc_cmp(const struct state_alloc *a, const struct state_alloc *b)
{
	int c = strcmp(a->vm, b->vm);

	if (c)
		return c;
	if (a->nic != b->nic)
		return a->nic < b->nic ? -1 : 1;
	if (a->leg != b->leg)
		return (int)a->leg - (int)b->leg;
	return (int)a->releasing - (int)b->releasing;
}

static int cmp_alloc(const void *a, const void *b)
{
	return state_alloc_cmp(a, b);
}

void state_sort(struct state *s)
{
	if (s->n > 1)
		qsort(s->allocs, s->n, sizeof(*s->allocs), cmp_alloc);
}

static struct state_alloc *find_alloc(const struct state *s, const char *vm, unsigned nic,
                                      unsigned leg, bool releasing)
{
	struct state_alloc key;
	size_t lo = 0, hi = s->n;

	if (strlen(vm) >= sizeof(key.vm))
		return NULL;
	strcpy(key.vm, vm);
	key.nic = nic;
	key.leg = leg;
	key.releasing = releasing;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = state_alloc_cmp(&s->allocs[mid], &key);
		if (c == 0)
			return &s->allocs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct state_alloc *state_find(const struct state *s, const char *vm, unsigned nic, unsigned leg)
{
	return find_alloc(s, vm, nic, leg, false);
}

struct state_alloc *state_find_releasing(const struct state *s, const char *vm, unsigned nic,
                                         unsigned leg)
{
	return find_alloc(s, vm, nic, leg, true);
}

struct state_pt *state_find_pt(const struct state *s, const char *addr)
{
	struct state_pt *leaving = NULL;

	for (size_t i = 0; i < s->n_pts; i++)
		if (strcmp(s->pts[i].addr, addr) != 0)
			continue;
		else if (!s->pts[i].releasing)
			return &s->pts[i];
		else
			leaving = &s->pts[i];
	return leaving;
}

struct state_rss_key *state_find_rss_key(const struct state *s, const char *addr)
{
	for (size_t i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].addr, addr) == 0)
			return &s->keys[i];
	return NULL;
}

int state_set_rss_key(struct state *s, const char *addr, const uint8_t *key, uint32_t len)
{
	struct state_rss_key *k = state_find_rss_key(s, addr);

	if (len > RSS_KEY_MAX)
		return -E2BIG;
	if (!k)
		k = ARRAY_APPEND(s->keys, s->n_keys, s->cap_keys);
	if (!k)
		return -ENOMEM;
	str_copy(k->addr, sizeof(k->addr), addr);
	k->len = len;
	memcpy(k->key, key, len);
	return 0;
}

/* What vfmgr writes: a canonical PCI address ("0000:3b:00.1", lower-case hex). */
static bool pci_addr_canonical(const char *s)
{
	struct pci_addr a;
	char back[PCI_ADDR_STR_LEN];

	if (parse_pci_addr(s, &a) < 0)
		return false;
	format_pci_addr(&a, back);
	return strcmp(back, s) == 0;
}

/* A PF: a PCI address, or a netdevsim device ("netdevsim3"). */
static bool dev_addr_valid(const char *s)
{
	uint32_t id;

	if (strncmp(s, "netdevsim", 9) == 0)
		return parse_u32(s + 9, UINT32_MAX, &id) == 0;
	return pci_addr_canonical(s);
}

/* A kernel driver name, as sysfs shows it ("vfio-pci", "mlx5_core"); it becomes a sysfs path. */
static bool driver_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < DRIVER_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

/* One member of a state file object: its key and the JSON type its value must have. */
enum field_kind { FIELD_STRING, FIELD_INT, FIELD_BOOL, FIELD_ANY };
struct field {
	const char *key;
	enum field_kind kind;
	bool optional;
};

static bool field_kind_is(const json_t *v, enum field_kind kind)
{
	switch (kind) {
	case FIELD_STRING:
		return json_is_string(v);
	case FIELD_INT:
		return json_is_integer(v);
	case FIELD_BOOL:
		return json_is_boolean(v);
	case FIELD_ANY:
		return true;
	}
	return false;
}

static const char *const field_kind_name[] = {"a string", "an integer", "true or false", ""};

/* Each member of o matched by key to the n (at most 32) fields: v[i] gets fields[i]'s value,
 * NULL for an absent optional one. An unknown key, a missing one or a wrong type is an error,
 * as with json_unpack's strict mode, which builds a hash table of the keys seen for every
 * object: most of the reading time of a file with hundreds of VFs. */
static int get_fields(json_t *o, const struct field *fields, size_t n, json_t **v, char *err,
                      size_t errsize)
{
	uint32_t seen = 0;
	const char *key;
	size_t pos = 0;
	json_t *val;

	if (!json_is_object(o)) {
		snprintf(err, errsize, "expected an object with %s", fields[0].key);
		return -EINVAL;
	}
	memset(v, 0, n * sizeof(*v));
	json_object_foreach(o, key, val)
	{
		/* vfmgr writes the keys in table order: the next one is nearly always it. */
		size_t i = pos < n && strcmp(fields[pos].key, key) == 0 ? pos : 0;
		while (i < n && strcmp(fields[i].key, key) != 0)
			i++;
		if (i == n) {
			snprintf(err, errsize, "unknown key %s", key);
			return -EINVAL;
		}
		if (!field_kind_is(val, fields[i].kind)) {
			snprintf(err, errsize, "%s is not %s", key,
			         field_kind_name[fields[i].kind]);
			return -EINVAL;
		}
		v[i] = val;
		seen |= 1u << i;
		pos = i + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!(seen & (1u << i)) && !fields[i].optional) {
			snprintf(err, errsize, "%s is missing", fields[i].key);
			return -EINVAL;
		}
	return 0;
}

/* The keys of each object in the file, in the order written. */
enum { K_ADDRESS, K_KEY, K_N };
static const struct field key_fields[K_N] = {
    [K_ADDRESS] = {"address", FIELD_STRING, false},
    [K_KEY] = {"key", FIELD_STRING, false},
};

enum { C_MAC, C_VLAN, C_QOS, C_PROTO, C_MIN, C_MAX, C_SPOOFCHK, C_TRUST, C_LINK, C_N };
static const struct field vfcfg_fields[C_N] = {
    [C_MAC] = {"mac", FIELD_STRING, false},
    [C_VLAN] = {"vlan", FIELD_INT, false},
    [C_QOS] = {"qos", FIELD_INT, false},
    [C_PROTO] = {"proto", FIELD_STRING, false},
    [C_MIN] = {"min_tx_rate", FIELD_INT, false},
    [C_MAX] = {"max_tx_rate", FIELD_INT, false},
    [C_SPOOFCHK] = {"spoofchk", FIELD_INT, false},
    [C_TRUST] = {"trust", FIELD_INT, false},
    [C_LINK] = {"link_state", FIELD_STRING, false},
};

enum { P_VM, P_INDEX, P_ADDRESS, P_DRIVER, P_RELEASING, P_N };
static const struct field pt_fields[P_N] = {
    [P_VM] = {"vm", FIELD_STRING, false},
    [P_INDEX] = {"index", FIELD_INT, false},
    [P_ADDRESS] = {"address", FIELD_STRING, false},
    [P_DRIVER] = {"driver_before", FIELD_ANY, false},
    [P_RELEASING] = {"releasing", FIELD_BOOL, true},
};

enum {
	A_VM,
	A_NIC,
	A_LEG,
	A_NETWORK,
	A_PF,
	A_PF_ADDRESS,
	A_VF,
	A_VF_ADDRESS,
	A_SAVED,
	A_WANT,
	A_VFIO,
	A_MIGRATABLE,
	A_DRIVER,
	A_RELEASING,
	A_N
};
static const struct field alloc_fields[A_N] = {
    [A_VM] = {"vm", FIELD_STRING, false},
    [A_NIC] = {"nic", FIELD_INT, false},
    [A_LEG] = {"leg", FIELD_INT, false},
    [A_NETWORK] = {"network", FIELD_STRING, false},
    [A_PF] = {"pf", FIELD_STRING, false},
    [A_PF_ADDRESS] = {"pf_address", FIELD_STRING, false},
    [A_VF] = {"vf", FIELD_INT, false},
    [A_VF_ADDRESS] = {"vf_address", FIELD_STRING, false},
    [A_SAVED] = {"saved", FIELD_ANY, false},
    [A_WANT] = {"want", FIELD_ANY, false},
    [A_VFIO] = {"vfio", FIELD_BOOL, false},
    [A_MIGRATABLE] = {"migratable", FIELD_BOOL, false},
    [A_DRIVER] = {"driver_before", FIELD_ANY, false},
    /* Only while it is being given back (absent: held), so other files stay as they were. */
    [A_RELEASING] = {"releasing", FIELD_BOOL, true},
};

enum { S_VERSION, S_ALLOCS, S_PTS, S_KEYS, S_N };
static const struct field state_fields[S_N] = {
    [S_VERSION] = {"version", FIELD_INT, false},
    [S_ALLOCS] = {"allocations", FIELD_ANY, false},
    [S_PTS] = {"passthrough", FIELD_ANY, false},
    [S_KEYS] = {"rss_keys", FIELD_ANY, true},
};

/* An object of the fields' keys with the values v (each taken over; an optional field's NULL
 * is left out); NULL, with every value released, when any is missing or out of memory. Built
 * directly, not by json_pack, which parses its format and checks every key's UTF-8 per object. */
static json_t *put_fields(const struct field *fields, size_t n, json_t **v)
{
	_cleanup_json_ json_t *o = json_object();
	bool ok = o != NULL;

	for (size_t i = 0; i < n; i++) {
		if (!v[i] && fields[i].optional)
			continue;
		if (!ok || !v[i]) {
			json_decref(v[i]);
			ok = false;
		} else if (json_object_set_new_nocheck(o, fields[i].key, v[i]) < 0) {
			ok = false; /* jansson released v[i] */
		}
	}
	return ok ? TAKE_PTR(o) : NULL;
}

/* As ethtool -x prints a key: "6d:5a:56:...". buf holds 3 * RSS_KEY_MAX bytes. */
static json_t *keys_to_json(const struct state *s)
{
	char hex[3 * RSS_KEY_MAX];
	_cleanup_json_ json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_keys; i++) {
		format_hex_bytes(s->keys[i].key, s->keys[i].len, hex, sizeof(hex));
		json_t *v[K_N] = {
		    [K_ADDRESS] = json_string(s->keys[i].addr), [K_KEY] = json_string(hex)};
		if (json_array_append_new(a, put_fields(key_fields, K_N, v)) < 0)
			return NULL;
	}
	return TAKE_PTR(a);
}

static int keys_from_json(json_t *j, struct state *s, char *err, size_t errsize)
{
	json_t *el, *v[K_N];
	char why[120];
	size_t i, len;

	if (!json_is_array(j)) {
		snprintf(err, errsize, "rss_keys is not a list");
		return -EINVAL;
	}
	json_array_foreach(j, i, el)
	{
		struct state_rss_key *k = ARRAY_APPEND(s->keys, s->n_keys, s->cap_keys);
		if (!k)
			return -ENOMEM;
		if (get_fields(el, key_fields, K_N, v, why, sizeof(why)) < 0) {
			snprintf(err, errsize, "rss_keys %zu: %s", i, why);
			return -EINVAL;
		}
		if (str_copy(k->addr, sizeof(k->addr), json_string_value(v[K_ADDRESS])) < 0 ||
		    !dev_addr_valid(k->addr) ||
		    parse_hex_bytes(json_string_value(v[K_KEY]), k->key, RSS_KEY_MAX, &len) < 0) {
			snprintf(err, errsize, "rss_keys %zu: bad address or key", i);
			return -EINVAL;
		}
		k->len = (uint32_t)len;
	}
	return 0;
}

static json_t *driver_json(bool known, const char *driver)
{
	return known ? json_string(driver) : json_null();
}

static json_t *vfcfg_to_json(const struct vf_config *c)
{
	char mac[MAC_STR_LEN];

	format_mac(c->mac, mac);
	json_t *v[C_N] = {
	    [C_MAC] = json_string(mac),
	    [C_VLAN] = json_integer(c->vlan),
	    [C_QOS] = json_integer(c->qos),
	    [C_PROTO] = json_string(c->proto == VF_PROTO_8021AD ? "802.1ad" : "802.1Q"),
	    [C_MIN] = json_integer((int)c->min_rate),
	    [C_MAX] = json_integer((int)c->max_rate),
	    [C_SPOOFCHK] = json_integer(c->spoofchk),
	    [C_TRUST] = json_integer(c->trust),
	    [C_LINK] = json_string(vf_link_state_name(c->link_state)),
	};
	return put_fields(vfcfg_fields, C_N, v);
}

/* Field by field what state_to_json writes, in the same order: equal here exactly when the
 * two files would be equal. Building both JSON trees to compare them cost more than reading
 * the state file, in every apply that had nothing to do. */
static bool vfcfg_equal(const struct vf_config *x, const struct vf_config *y)
{
	const char *lx = vf_link_state_name(x->link_state), *ly = vf_link_state_name(y->link_state);

	return memcmp(x->mac, y->mac, sizeof(x->mac)) == 0 && x->vlan == y->vlan &&
	       x->qos == y->qos && (x->proto == VF_PROTO_8021AD) == (y->proto == VF_PROTO_8021AD) &&
	       x->min_rate == y->min_rate && x->max_rate == y->max_rate &&
	       x->spoofchk == y->spoofchk && x->trust == y->trust && lx && ly &&
	       strcmp(lx, ly) == 0;
}

static bool driver_equal(bool kx, const char *x, bool ky, const char *y)
{
	return kx == ky && (!kx || strcmp(x, y) == 0);
}

static bool alloc_equal(const struct state_alloc *x, const struct state_alloc *y)
{
	return strcmp(x->vm, y->vm) == 0 && x->nic == y->nic && x->leg == y->leg &&
	       strcmp(x->network, y->network) == 0 && strcmp(x->pf, y->pf) == 0 &&
	       strcmp(x->pf_addr, y->pf_addr) == 0 && x->vf == y->vf &&
	       strcmp(x->vf_addr, y->vf_addr) == 0 && x->saved_known == y->saved_known &&
	       (!x->saved_known || vfcfg_equal(&x->saved, &y->saved)) &&
	       vfcfg_equal(&x->want, &y->want) && x->vfio == y->vfio &&
	       x->migratable == y->migratable && x->releasing == y->releasing &&
	       driver_equal(x->driver_known, x->driver_before, y->driver_known, y->driver_before);
}

bool state_equal(const struct state *a, const struct state *b)
{
	if (a->n != b->n || a->n_pts != b->n_pts || a->n_keys != b->n_keys)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!alloc_equal(&a->allocs[i], &b->allocs[i]))
			return false;
	for (size_t i = 0; i < a->n_pts; i++) {
		const struct state_pt *x = &a->pts[i], *y = &b->pts[i];
		if (strcmp(x->vm, y->vm) != 0 || x->index != y->index ||
		    strcmp(x->addr, y->addr) != 0 || x->releasing != y->releasing ||
		    !driver_equal(x->driver_known, x->driver_before, y->driver_known,
		                  y->driver_before))
			return false;
	}
	for (size_t i = 0; i < a->n_keys; i++) {
		const struct state_rss_key *x = &a->keys[i], *y = &b->keys[i];
		if (strcmp(x->addr, y->addr) != 0 || x->len != y->len ||
		    memcmp(x->key, y->key, x->len) != 0)
			return false;
	}
	return true;
}

json_t *state_to_json(const struct state *s)
{
	_cleanup_json_ json_t *a = json_array(), *pts = json_array();

	if (!a || !pts)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct state_alloc *al = &s->allocs[i];
		json_t *v[A_N] = {
		    [A_VM] = json_string(al->vm),
		    [A_NIC] = json_integer(al->nic),
		    [A_LEG] = json_integer(al->leg),
		    [A_NETWORK] = json_string(al->network),
		    [A_PF] = json_string(al->pf),
		    [A_PF_ADDRESS] = json_string(al->pf_addr),
		    [A_VF] = json_integer(al->vf),
		    [A_VF_ADDRESS] = json_string(al->vf_addr),
		    [A_SAVED] = al->saved_known ? vfcfg_to_json(&al->saved) : json_null(),
		    [A_WANT] = vfcfg_to_json(&al->want),
		    [A_VFIO] = json_boolean(al->vfio),
		    [A_MIGRATABLE] = json_boolean(al->migratable),
		    [A_DRIVER] = driver_json(al->driver_known, al->driver_before),
		    [A_RELEASING] = al->releasing ? json_true() : NULL,
		};
		if (json_array_append_new(a, put_fields(alloc_fields, A_N, v)) < 0)
			return NULL;
	}
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct state_pt *pt = &s->pts[i];
		json_t *v[P_N] = {
		    [P_VM] = json_string(pt->vm),
		    [P_INDEX] = json_integer(pt->index),
		    [P_ADDRESS] = json_string(pt->addr),
		    [P_DRIVER] = driver_json(pt->driver_known, pt->driver_before),
		    [P_RELEASING] = pt->releasing ? json_true() : NULL,
		};
		if (json_array_append_new(pts, put_fields(pt_fields, P_N, v)) < 0)
			return NULL;
	}
	/* rss_keys only when there is one, so files without random keys stay as they were. */
	json_t *v[S_N] = {
	    [S_VERSION] = json_integer(STATE_VERSION),
	    [S_ALLOCS] = TAKE_PTR(a),
	    [S_PTS] = TAKE_PTR(pts),
	    [S_KEYS] = s->n_keys ? keys_to_json(s) : NULL,
	};
	if (s->n_keys && !v[S_KEYS]) {
		for (size_t i = 0; i < S_KEYS; i++)
			json_decref(v[i]);
		return NULL;
	}
	return put_fields(state_fields, S_N, v);
}

static int link_state_from(const char *s)
{
	for (unsigned v = IFLA_VF_LINK_STATE_AUTO; v <= IFLA_VF_LINK_STATE_DISABLE; v++)
		if (strcmp(s, vf_link_state_name(v)) == 0)
			return (int)v;
	return -1;
}

static int vfcfg_from_json(json_t *j, struct vf_config *c, char *err, size_t errsize)
{
	json_t *v[C_N];
	int l, r;

	r = get_fields(j, vfcfg_fields, C_N, v, err, errsize);
	if (r < 0)
		return r;
	const char *mac = json_string_value(v[C_MAC]), *proto = json_string_value(v[C_PROTO]);
	json_int_t vlan = json_integer_value(v[C_VLAN]), qos = json_integer_value(v[C_QOS]),
	           minr = json_integer_value(v[C_MIN]), maxr = json_integer_value(v[C_MAX]),
	           spoof = json_integer_value(v[C_SPOOFCHK]),
	           trust = json_integer_value(v[C_TRUST]);
	memset(c, 0, sizeof(*c));
	l = link_state_from(json_string_value(v[C_LINK]));
	if (parse_mac(mac, c->mac) < 0 || vlan < 0 || vlan > 4095 || qos < 0 || qos > 7 ||
	    minr < 0 || minr > UINT32_MAX || maxr < 0 || maxr > UINT32_MAX || spoof < -1 ||
	    spoof > 1 || trust < -1 || trust > 1 || l < 0 ||
	    (strcmp(proto, "802.1Q") != 0 && strcmp(proto, "802.1ad") != 0)) {
		snprintf(err, errsize, "a VF setting is out of range");
		return -EINVAL;
	}
	c->vlan = (uint16_t)vlan;
	c->qos = (uint8_t)qos;
	c->proto = strcmp(proto, "802.1ad") == 0 ? VF_PROTO_8021AD : VF_PROTO_8021Q;
	c->min_rate = (uint32_t)minr;
	c->max_rate = (uint32_t)maxr;
	c->spoofchk = (int8_t)spoof;
	c->trust = (int8_t)trust;
	c->link_state = (uint8_t)l;
	return 0;
}

static int driver_from_json(json_t *j, bool *known, char *buf, size_t size, char *err,
                            size_t errsize)
{
	*known = !json_is_null(j);
	if (!*known)
		return 0;
	if (!json_is_string(j) || str_copy(buf, size, json_string_value(j)) < 0 ||
	    (buf[0] && !driver_name_valid(buf))) {
		snprintf(err, errsize, "driver_before is not a driver name");
		return -EINVAL;
	}
	return 0;
}

static int pt_from_json(json_t *j, struct state_pt *pt, char *err, size_t errsize)
{
	json_t *v[P_N];
	int r;

	r = get_fields(j, pt_fields, P_N, v, err, errsize);
	if (r < 0)
		return r;
	json_int_t index = json_integer_value(v[P_INDEX]);
	if (index < 0 || index > 65535 ||
	    str_copy(pt->vm, sizeof(pt->vm), json_string_value(v[P_VM])) < 0 ||
	    str_copy(pt->addr, sizeof(pt->addr), json_string_value(v[P_ADDRESS])) < 0) {
		snprintf(err, errsize, "passthrough entry out of range");
		return -EINVAL;
	}
	if (!policy_name_is_valid(pt->vm) || !pci_addr_canonical(pt->addr)) {
		snprintf(err, errsize,
		         "passthrough entry: vm is not a policy name or address is "
		         "not a PCI address");
		return -EINVAL;
	}
	pt->index = (unsigned)index;
	pt->releasing = v[P_RELEASING] && json_is_true(v[P_RELEASING]);
	return driver_from_json(v[P_DRIVER], &pt->driver_known, pt->driver_before,
	                        sizeof(pt->driver_before), err, errsize);
}

static int alloc_from_json(json_t *j, struct state_alloc *a, char *err, size_t errsize)
{
	json_t *v[A_N];
	int r;

	r = get_fields(j, alloc_fields, A_N, v, err, errsize);
	if (r < 0)
		return r;
	json_int_t nic = json_integer_value(v[A_NIC]), leg = json_integer_value(v[A_LEG]),
	           vf = json_integer_value(v[A_VF]);
	if (nic < 0 || nic > 65535 || leg < 0 || leg > 1 || vf < 0 || vf > 65535) {
		snprintf(err, errsize, "nic, leg or vf out of range");
		return -EINVAL;
	}
	if (str_copy(a->vm, sizeof(a->vm), json_string_value(v[A_VM])) < 0 ||
	    str_copy(a->network, sizeof(a->network), json_string_value(v[A_NETWORK])) < 0 ||
	    str_copy(a->pf, sizeof(a->pf), json_string_value(v[A_PF])) < 0 ||
	    str_copy(a->pf_addr, sizeof(a->pf_addr), json_string_value(v[A_PF_ADDRESS])) < 0 ||
	    str_copy(a->vf_addr, sizeof(a->vf_addr), json_string_value(v[A_VF_ADDRESS])) < 0) {
		snprintf(err, errsize, "a name is too long");
		return -EINVAL;
	}
	/* The same rules as the policy: these strings reach sysfs paths, logs and qemu-args. */
	if (!policy_name_is_valid(a->vm) || !policy_name_is_valid(a->network) ||
	    !policy_name_is_valid(a->pf)) {
		snprintf(err, errsize, "vm, network or pf is not a valid policy name");
		return -EINVAL;
	}
	if (!dev_addr_valid(a->pf_addr) || (a->vf_addr[0] && !pci_addr_canonical(a->vf_addr))) {
		snprintf(err, errsize, "pf_address or vf_address is not a PCI address");
		return -EINVAL;
	}
	a->nic = (unsigned)nic;
	a->leg = (unsigned)leg;
	a->vf = (unsigned)vf;
	a->vfio = json_is_true(v[A_VFIO]);
	a->migratable = json_is_true(v[A_MIGRATABLE]);
	a->releasing = v[A_RELEASING] && json_is_true(v[A_RELEASING]);
	r = driver_from_json(v[A_DRIVER], &a->driver_known, a->driver_before,
	                     sizeof(a->driver_before), err, errsize);
	if (r < 0)
		return r;
	a->saved_known = !json_is_null(v[A_SAVED]);
	if (a->saved_known) {
		r = vfcfg_from_json(v[A_SAVED], &a->saved, err, errsize);
		if (r < 0)
			return r;
	}
	r = vfcfg_from_json(v[A_WANT], &a->want, err, errsize);
	a->saved.index = a->want.index = a->vf;
	return r;
}

static int cmp_pt_addr(const void *a, const void *b)
{
	const struct state_pt *x = *(const struct state_pt *const *)a;
	const struct state_pt *y = *(const struct state_pt *const *)b;
	int c = strcmp(x->addr, y->addr);

	return c ? c : (int)x->releasing - (int)y->releasing;
}

/* Sorted pointers, so a file with many entries costs n log n, not n^2 (the file keeps its
 * order: it is the VMs' device order). */
static int check_pt_unique(const struct state *s, char *err, size_t errsize)
{
	_cleanup_free_ const struct state_pt **v = NULL;

	if (s->n_pts < 2)
		return 0;
	v = malloc(s->n_pts * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_pts; i++)
		v[i] = &s->pts[i];
	qsort(v, s->n_pts, sizeof(*v), cmp_pt_addr);
	/* One VM may hold it while another's record of it is being released. */
	for (size_t i = 1; i < s->n_pts; i++)
		if (cmp_pt_addr(&v[i], &v[i - 1]) == 0) {
			snprintf(err, errsize, "passthrough device %s appears twice", v[i]->addr);
			return -EINVAL;
		}
	return 0;
}

static int cmp_alloc_vf(const void *a, const void *b)
{
	const struct state_alloc *x = *(const struct state_alloc *const *)a;
	const struct state_alloc *y = *(const struct state_alloc *const *)b;
	int c = strcmp(x->pf_addr, y->pf_addr);

	return c ? c : (x->vf > y->vf) - (x->vf < y->vf);
}

static int cmp_vf_addr(const void *key, const void *el)
{
	return strcmp(key, (*(const struct state_alloc *const *)el)->vf_addr);
}

static int cmp_alloc_vf_addr(const void *a, const void *b)
{
	return strcmp((*(const struct state_alloc *const *)a)->vf_addr,
	              (*(const struct state_alloc *const *)b)->vf_addr);
}

/* One device, one owner: a VF held by two NICs, or a VF that is also a whole device passed
 * through, would be given to two VMs (records being released do not hold it). */
static int check_owners(const struct state *s, char *err, size_t errsize)
{
	_cleanup_free_ const struct state_alloc **v = calloc(s->n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (!s->allocs[i].releasing)
			v[n++] = &s->allocs[i];
	qsort(v, n, sizeof(*v), cmp_alloc_vf);
	for (size_t i = 1; i < n; i++)
		if (cmp_alloc_vf(&v[i], &v[i - 1]) == 0) {
			snprintf(err, errsize,
			         "VF %u of %s has two owners: vm %s nic %u and vm %s nic %u",
			         v[i]->vf, v[i]->pf_addr, v[i - 1]->vm, v[i - 1]->nic, v[i]->vm,
			         v[i]->nic);
			return -EINVAL;
		}
	qsort(v, n, sizeof(*v), cmp_alloc_vf_addr);
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct state_pt *pt = &s->pts[i];
		const struct state_alloc *const *a;
		if (pt->releasing || !(a = bsearch(pt->addr, v, n, sizeof(*v), cmp_vf_addr)))
			continue;
		snprintf(err, errsize,
		         "%s has two owners: VF %u of %s for vm %s nic %u, and vm %s's passthrough",
		         pt->addr, (*a)->vf, (*a)->pf_addr, (*a)->vm, (*a)->nic, pt->vm);
		return -EINVAL;
	}
	return 0;
}

int state_from_json(json_t *j, struct state *out, char *err, size_t errsize)
{
	_cleanup_state_ struct state s = {0};
	json_t *v[S_N], *el;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	r = get_fields(j, state_fields, S_N, v, err, errsize);
	if (r < 0)
		return r;
	json_int_t version = json_integer_value(v[S_VERSION]);
	json_t *allocs = v[S_ALLOCS], *pts = v[S_PTS], *keys = v[S_KEYS];
	if (version != STATE_VERSION) {
		snprintf(err, errsize, "version %lld is not %d", (long long)version, STATE_VERSION);
		return -EINVAL;
	}
	if (!json_is_array(allocs) || !json_is_array(pts)) {
		snprintf(err, errsize, "allocations or passthrough is not a list");
		return -EINVAL;
	}
	if (json_array_size(pts) > STATE_PT_MAX) {
		snprintf(err, errsize,
		         "%zu passthrough entries, more than the %u PCI functions "
		         "vfmgr handles",
		         json_array_size(pts), STATE_PT_MAX);
		return -EINVAL;
	}
	if (keys) {
		r = keys_from_json(keys, &s, err, errsize);
		if (r < 0)
			return r;
	}
	json_array_foreach(pts, i, el)
	{
		struct state_pt *pt = ARRAY_APPEND(s.pts, s.n_pts, s.cap_pts);
		r = pt ? pt_from_json(el, pt, err, errsize) : -ENOMEM;
		if (r < 0)
			return r;
	}
	r = check_pt_unique(&s, err, errsize);
	if (r < 0)
		return r;
	json_array_foreach(allocs, i, el)
	{
		struct state_alloc *a = ARRAY_APPEND(s.allocs, s.n, s.cap);
		if (!a)
			return -ENOMEM;
		r = alloc_from_json(el, a, err, errsize);
		if (r < 0) {
			char tmp[160];
			snprintf(tmp, sizeof(tmp), "allocation %zu: %s", i, err);
			snprintf(err, errsize, "%s", tmp);
			return r;
		}
		a->vm_index = a->pf_index = SIZE_MAX;
	}
	state_sort(&s);
	for (i = 1; i < s.n; i++) {
		const struct state_alloc *a = &s.allocs[i];
		if (state_alloc_cmp(a, a - 1) == 0) {
			snprintf(err, errsize, "vm %s nic %u leg %u appears twice", a->vm, a->nic,
			         a->leg);
			return -EINVAL;
		}
	}
	r = check_owners(&s, err, errsize);
	if (r < 0)
		return r;
	*out = s;
	s = (struct state){0};
	return 0;
}

/* A passthrough entry's device must still be a network PCI function (a device that became
 * something else would be unbound from its driver or rebound to driver_before), and
 * driver_before a PCI driver this host has, or releasing the device strands it on vfio-pci. */
static int check_pt_host(const struct state_pt *pt, const struct host *h, char *err, size_t errsize)
{
	char mod[DRIVER_LEN];
	long cls;

	if (host_find_nic(h, pt->addr) == NO_INDEX) {
		if (!sysfs_exists("/sys/bus/pci/devices/%s", pt->addr))
			return 0; /* unplugged: kept until it comes back */
		if (sysfs_read_long(&cls, "/sys/bus/pci/devices/%s/class", pt->addr) < 0)
			cls = -1;
		snprintf(err, errsize,
		         "passthrough entry of vm %s: %s is no longer a network PCI function on "
		         "this host (PCI class 0x%06lx)",
		         pt->vm, pt->addr, (unsigned long)cls & 0xffffff);
		return -EINVAL;
	}
	if (!pt->driver_known || !pt->driver_before[0])
		return 0;
	/* A driver built as a module and not loaded has a /sys/module entry only once loaded:
	 * either directory proves the name is a driver of this kernel. */
	snprintf(mod, sizeof(mod), "%s", pt->driver_before);
	for (char *c = mod; *c; c++)
		if (*c == '-')
			*c = '_';
	if (!sysfs_exists("/sys/bus/pci/drivers/%s", pt->driver_before) &&
	    !sysfs_exists("/sys/module/%s", mod)) {
		snprintf(
		    err, errsize,
		    "passthrough entry of vm %s: driver_before %s of %s is not a PCI driver on "
		    "this host (load it with modprobe %s, or correct the entry)",
		    pt->vm, pt->driver_before, pt->addr, pt->driver_before);
		return -EINVAL;
	}
	return 0;
}

int state_check_host(const struct state *s, const struct host *h, char *err, size_t errsize)
{
	for (size_t i = 0; i < s->n_pts; i++) {
		int r = check_pt_host(&s->pts[i], h, err, errsize);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct state_alloc *a = &s->allocs[i];
		size_t vi, pi;

		if (!a->vf_addr[0])
			continue; /* netdevsim: VFs have no address of their own */
		vi = host_find_nic(h, a->vf_addr);
		pi = host_find_nic(h, a->pf_addr);
		/* The device at vf_address must be that VF of that PF, as its virtfn link says:
		 * otherwise apply or release would unbind some other device. */
		if (vi != NO_INDEX) {
			const struct nic *v = &h->nics[vi];
			if (v->pf == NO_INDEX || strcmp(v->pf_addr, a->pf_addr) != 0 ||
			    v->vf_index != (int)a->vf) {
				snprintf(
				    err, errsize,
				    "vm %s nic %u: vf_address %s is not VF %u of %s on this host "
				    "(%s)",
				    a->vm, a->nic, a->vf_addr, a->vf, a->pf_addr,
				    v->pf == NO_INDEX ? "it is not a VF" : "it is another VF");
				return -EINVAL;
			}
		}
		if (pi != NO_INDEX) {
			const struct nic *p = &h->nics[pi];
			for (size_t k = 0; k < p->n_vfs; k++)
				if (p->vfs[k].index == a->vf && p->vfs[k].addr[0] &&
				    strcmp(p->vfs[k].addr, a->vf_addr) != 0) {
					snprintf(
					    err, errsize,
					    "vm %s nic %u: VF %u of %s is %s on this host, not %s",
					    a->vm, a->nic, a->vf, a->pf_addr, p->vfs[k].addr,
					    a->vf_addr);
					return -EINVAL;
				}
		}
	}
	return 0;
}

/* The file as state_save writes it: in a directory no other user can plant names in, never
 * through a symlink, owned by root and written by no one else. -EALREADY when it logged why. */
static int state_read(const char *path, char **text, size_t *len)
{
	char dir[PATH_MAX], base[PATH_MAX], why[160];
	_cleanup_close_ int dfd = -1;
	int r;

	if (str_copy(dir, sizeof(dir), path) < 0 || str_copy(base, sizeof(base), path) < 0)
		return -ENAMETOOLONG;
	const char *dname = dirname(dir);
	r = dir_open_trusted(dname, &dfd, why, sizeof(why));
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		log_error("%s: refusing to read the state file there: %s; nothing was changed",
		          dname, why[0] ? why : strerror(-r));
		return -EALREADY;
	}
	return file_read_trusted(dfd, basename(base), STATE_FILE_MAX, text, len);
}

int state_load(const char *path, struct state *s)
{
	_cleanup_free_ char *text = NULL;
	json_error_t je;
	struct stat st;
	size_t len;
	_cleanup_json_ json_t *j = NULL;
	char err[200];
	int r;

	memset(s, 0, sizeof(*s));
	r = state_read(path, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r == -EALREADY) /* state_read said why */
		return -EPERM;
	if (r == -ELOOP) {
		log_error(
		    "%s: the state file is a symbolic link; vfmgr never writes one, nor reads "
		    "through one: nothing was changed (move it away; see vfmgr(8), STATE FILE)",
		    path);
		return -EPERM;
	}
	if (r == -EACCES) {
		log_error("%s: the state file may be written by other users than root; nothing was "
		          "changed (chmod 0600 it, or move it away; see vfmgr(8), STATE FILE)",
		          path);
		return -EPERM;
	}
	if (r == -ENOEXEC) {
		log_error("%s: the state file is %s, not a regular file; nothing was changed", path,
		          stat(path, &st) == 0 ? file_kind(st.st_mode) : "not a regular file");
		return -EINVAL;
	}
	if (r == -EFBIG) {
		log_error(
		    "%s: the state file is larger than %u MiB, more than any host's VFs need; "
		    "nothing was changed (see vfmgr(8), STATE FILE, to rebuild it)",
		    path, STATE_FILE_MAX >> 20);
		return -EINVAL;
	}
	if (r == -EPERM) {
		log_error("%s: the state file is not owned by root; another user may have planted "
		          "it: nothing was changed (move it away; see vfmgr(8), STATE FILE)",
		          path);
		return r;
	}
	if (r < 0) {
		log_error("%s: cannot read the state file: %s", path, strerror(-r));
		return r;
	}
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		log_error(
		    "%s:%d:%d: state file is not valid JSON: %s (see vfmgr(8), STATE FILE, to "
		    "rebuild it)",
		    path, je.line, je.column, je.text);
		return -EINVAL;
	}
	r = state_from_json(j, s, err, sizeof(err));
	if (r < 0)
		log_error("%s: bad state file: %s (see vfmgr(8), STATE FILE, to rebuild it)", path,
		          err);
	return r;
}

static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];

	if (str_copy(dir, sizeof(dir), path) < 0)
		return -ENAMETOOLONG;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int state_save(const char *path, const struct state *s)
{
	char dir[PATH_MAX], base[PATH_MAX], why[160];
	_cleanup_close_ int dfd = -1;
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if (str_copy(dir, sizeof(dir), path) < 0 || str_copy(base, sizeof(base), path) < 0)
		return -ENAMETOOLONG;
	r = mkdir_parents(path);
	if (r < 0)
		return r;
	const char *dname = dirname(dir);
	r = dir_open_trusted(dname, &dfd, why, sizeof(why));
	if (r < 0) {
		log_error("%s: refusing to write the state file there: %s", dname,
		          why[0] ? why : strerror(-r));
		return r;
	}
	j = state_to_json(s);
	/* Compact: every apply reads the whole file back, and indentation was 40 % of its bytes
	 * (jansson's lexer pays per byte). `jq . FILE` shows it indented. */
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!text)
		return -ENOMEM;
	/* temp + fsync + rename + fsync(dir): a reader sees the old file or the new one, whole. */
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps' NUL becomes the final newline */
	return file_replace_at(dfd, basename(base), text, len + 1);
}

bool state_holds_vm(const struct state *s, const char *vm)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->allocs[i].releasing && strcmp(s->allocs[i].vm, vm) == 0)
			return true;
	for (size_t i = 0; i < s->n_pts; i++)
		if (!s->pts[i].releasing && strcmp(s->pts[i].vm, vm) == 0)
			return true;
	return false;
}

bool state_has_releasing(const struct state *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->allocs[i].releasing)
			return true;
	for (size_t i = 0; i < s->n_pts; i++)
		if (s->pts[i].releasing)
			return true;
	return false;
}

/* Whether next still has o: the same NIC on the same VF, held or being released. */
static bool next_keeps_alloc(const struct state *next, const struct state_alloc *o)
{
	const struct state_alloc *n = find_alloc(next, o->vm, o->nic, o->leg, o->releasing);

	return n && strcmp(n->pf_addr, o->pf_addr) == 0 && n->vf == o->vf;
}

static bool next_keeps_pt(const struct state *next, const struct state_pt *o)
{
	for (size_t i = 0; i < next->n_pts; i++)
		if (strcmp(next->pts[i].addr, o->addr) == 0 && strcmp(next->pts[i].vm, o->vm) == 0)
			return true;
	return false;
}

int state_with_releasing(struct state *dst, const struct state *next, const struct state *old)
{
	int r = state_copy(dst, next);

	for (size_t i = 0; r == 0 && i < old->n; i++) {
		const struct state_alloc *o = &old->allocs[i];
		struct state_alloc *a;
		/* A NIC whose VF moves: the old VF's record is the one being released. */
		if (next_keeps_alloc(next, o) || state_find_releasing(next, o->vm, o->nic, o->leg))
			continue;
		a = ARRAY_APPEND(dst->allocs, dst->n, dst->cap);
		if (!a) {
			r = -ENOMEM;
			break;
		}
		*a = *o;
		a->releasing = true;
	}
	for (size_t i = 0; r == 0 && i < old->n_pts; i++) {
		struct state_pt *t;
		if (next_keeps_pt(next, &old->pts[i]))
			continue;
		t = ARRAY_APPEND(dst->pts, dst->n_pts, dst->cap_pts);
		if (!t) {
			r = -ENOMEM;
			break;
		}
		*t = old->pts[i];
		t->releasing = true;
	}
	if (r < 0)
		state_free(dst);
	else
		state_sort(dst);
	return r;
}
