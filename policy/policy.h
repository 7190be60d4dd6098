/* The vfmgr policy, version 1: the typed model that policy_parse_*() builds from YAML and that
 * the planner reads. See vfmgr-policy(5) for the schema and the rules.
 *
 * Every value keeps the mark (1-based line:col) of the YAML node it came from, so later stages
 * can point at the policy too. Optional values carry `set`; when a default applies, `value`
 * holds the default and `set` stays false, so "explicit" and "defaulted" stay distinguishable.
 * References between sections are resolved to array indices. */
#ifndef VFMGR_POLICY_POLICY_H
#define VFMGR_POLICY_POLICY_H

#include "util/cleanup.h"
#include "util/parse.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_VERSION 1
#define POLICY_NONE    SIZE_MAX /* an index that refers to nothing */

/* Limits of the schema (the device's own limits are checked at plan time). */
#define POLICY_NAME_MAX     64
#define POLICY_NUMVFS_MAX   65535 /* sriov_totalvfs is a 16-bit field */
#define POLICY_VLAN_MAX     4094  /* 4095 is reserved by 802.1Q */
#define POLICY_MTU_MIN      68    /* IPv4's minimum */
#define POLICY_MTU_MAX      9216  /* the largest jumbo frames NICs take */
#define POLICY_QOS_MAX      7
#define POLICY_RATE_MAX     1000000 /* Mbit/s, 1 Tbit/s */
#define POLICY_SHARES_MAX   1000000
#define POLICY_NUMA_MAX     1023
#define POLICY_CHANNELS_MAX 1024
#define POLICY_WEIGHT_MAX   65535
#define POLICY_RSS_KEY_MAX  256 /* bytes */
/* List lengths: ten times the 100k-VM bench, so a hostile file cannot make the reader
 * allocate gigabytes; a VM's NICs and devices are bounded by its PCI slots. */
#define POLICY_PFS_MAX      65536
#define POLICY_NETWORKS_MAX 65536
#define POLICY_VMS_MAX      1000000
#define POLICY_VM_NICS_MAX  256

struct policy_mark {
	uint32_t line, col; /* 1-based; 0:0 means "not in the file" (a default) */
};

struct policy_str {
	const char *value; /* NULL when unset */
	struct policy_mark mark;
};

struct policy_u32 {
	uint32_t value;
	bool set;
	struct policy_mark mark;
};

struct policy_bool {
	bool value;
	bool set;
	struct policy_mark mark;
};

/* value holds one of the enums below. */
struct policy_enum {
	int value;
	bool set;
	struct policy_mark mark;
};

struct policy_mac {
	uint8_t addr[MAC_LEN];
	bool set;
	struct policy_mark mark;
};

struct policy_pci {
	struct pci_addr addr;
	bool set;
	struct policy_mark mark;
};

/* A name in the policy resolved to an index into pfs[] or networks[] (POLICY_NONE when it
 * names nothing; validation reports that). */
struct policy_ref {
	const char *name;
	size_t index;
	struct policy_mark mark;
};

enum policy_vf_driver {
	POLICY_VF_DRIVER_VFIO_PCI, /* VF bound to vfio-pci for a VM */
	POLICY_VF_DRIVER_KERNEL,   /* VF left on its kernel driver (e.g. igbvf) */
};

enum policy_link_state {
	POLICY_LINK_AUTO,
	POLICY_LINK_ENABLE,
	POLICY_LINK_DISABLE,
};

enum policy_proto {
	POLICY_PROTO_8021Q,
	POLICY_PROTO_8021AD,
};

enum policy_class {
	POLICY_CLASS_VM,
	POLICY_CLASS_MANAGEMENT,
	POLICY_CLASS_MIGRATION,
	POLICY_CLASS_STORAGE,
	POLICY_CLASS_FAULT_TOLERANCE,
	POLICY_CLASS_REPLICATION,
	POLICY_CLASS_BACKUP,
};

enum policy_rss_indir {
	POLICY_RSS_INDIR_UNSET,
	POLICY_RSS_INDIR_EQUAL,   /* spread evenly over all channels */
	POLICY_RSS_INDIR_WEIGHTS, /* weights[i] for channel i */
	POLICY_RSS_INDIR_RANGE,   /* evenly over channels start .. start+queues-1 */
};

enum policy_rss_key {
	POLICY_RSS_KEY_UNSET,
	POLICY_RSS_KEY_RANDOM,
	POLICY_RSS_KEY_HEX,
};

enum policy_rss_hfunc {
	POLICY_RSS_HFUNC_TOEPLITZ,
	POLICY_RSS_HFUNC_XOR,
	POLICY_RSS_HFUNC_CRC32,
};

enum policy_irq_affinity {
	POLICY_IRQ_AFFINITY_LOCAL, /* queue IRQs on CPUs of the NIC's NUMA node */
	POLICY_IRQ_AFFINITY_NONE,  /* leave IRQ affinity alone */
};

/* Structs read from a YAML mapping start with the mapping's mark. */
struct policy_rss {
	struct policy_mark mark;
	bool set; /* an rss mapping was given */
	/* channels: a count, or numa-local (as many as CPUs on the NIC's node) */
	struct policy_u32 channels;
	bool channels_numa_local;
	struct policy_enum indirection; /* enum policy_rss_indir */
	uint32_t *weights;
	size_t n_weights;
	struct policy_u32 start, queues;
	struct policy_enum key; /* enum policy_rss_key */
	uint8_t *key_bytes;
	size_t key_len;
	struct policy_enum hfunc;        /* enum policy_rss_hfunc */
	struct policy_enum irq_affinity; /* enum policy_irq_affinity */
};

/* hosts: on a pf or vm entry: hostname globs (fnmatch(3), case-insensitive). Unset selects
 * every host; set, the entry is in a host's policy only when one glob matches its name. */
struct policy_hosts {
	struct policy_mark mark;
	bool set;
	struct policy_str *globs;
	size_t n;
};

/* All given selectors must match the same device. */
struct policy_match {
	struct policy_mark mark;
	struct policy_pci pci;
	struct policy_str interface;
	struct policy_str driver;
	struct policy_u32 vendor, device; /* from id: "vvvv:dddd" (same mark) */
	struct policy_mac mac;
};

struct policy_pf {
	struct policy_mark mark;
	struct policy_str name;
	struct policy_match match;
	struct policy_str switch_name;
	struct policy_u32 numvfs;     /* defaults to 0 */
	struct policy_enum vf_driver; /* enum policy_vf_driver; defaults from defaults: */
	struct policy_rss rss;
	struct policy_bool management; /* never touched by vfmgr */
	/* host-traffic: false is the admin saying the port carries no host traffic: vfmgr then
	 * changes it even though a default route or the SSH session runs over it (a warning). */
	struct policy_bool host_traffic;
	struct policy_hosts hosts;
	/* Filled by validation: */
	size_t passthrough_vm; /* VM that takes the whole PF, or POLICY_NONE */
	uint32_t vf_demand;    /* VFs the greedy placement put here (see vfmgr-policy(5)) */
};

struct policy_network {
	struct policy_mark mark;
	struct policy_str name;
	struct policy_u32 vlan;   /* defaults to 0, untagged */
	struct policy_u32 qos;    /* 802.1p priority; unset = leave 0 */
	struct policy_enum proto; /* enum policy_proto; unset = 802.1Q */
	struct policy_enum class; /* enum policy_class; required */
	struct policy_u32 mtu;    /* the guests' MTU (vfmgr guest-config); unset: theirs */
	struct policy_ref *pfs;
	size_t n_pfs;
};

struct policy_rate {
	struct policy_mark mark;
	struct policy_u32 min, max; /* Mbit/s */
};

struct policy_nic {
	struct policy_mark mark;
	struct policy_ref network;
	struct policy_mac mac;   /* leg a; unset: vfmgr derives a stable one */
	struct policy_mac mac_b; /* leg b of a redundant NIC; unset: derived (policy_nic_mac) */
	struct policy_rate rate;
	struct policy_u32 shares;
	struct policy_bool spoofchk;   /* default on */
	struct policy_bool trust;      /* default off */
	struct policy_enum link_state; /* enum policy_link_state, default auto */
	struct policy_bool redundant;  /* one VF on each of two PFs on different switches */
	struct policy_bool migratable;
	struct policy_enum vf_driver; /* set: overrides the PF's vf-driver */
	/* Filled by validation: the greedy placement (pf[1] only when redundant). */
	size_t pf[2];
};

enum policy_passthrough_kind {
	POLICY_PASSTHROUGH_PCI,
	POLICY_PASSTHROUGH_PF,
};

struct policy_passthrough {
	struct policy_mark mark;
	enum policy_passthrough_kind kind;
	struct policy_pci pci; /* kind PCI */
	struct policy_ref pf;  /* kind PF */
};

struct policy_vm {
	struct policy_mark mark;
	struct policy_str name;
	struct policy_u32 numa_node;
	struct policy_nic *nics;
	size_t n_nics;
	struct policy_passthrough *passthrough;
	size_t n_passthrough;
	struct policy_hosts hosts;
	/* Filled by host selection: hosts: names more than one host (several globs, or one with
	 * a wildcard), so the VM gets its VFs where it starts (vfmgr prepare), not on each. The
	 * plan leaves it out while it holds nothing in the state; false when the reader's
	 * keep_vm kept it (it runs here, or is being prepared). */
	bool on_demand;
};

struct policy_defaults {
	struct policy_mark mark;
	struct policy_bool spoofchk, trust;
	struct policy_enum link_state, vf_driver;
};

struct policy {
	struct policy_mark mark;
	const char *file;
	struct policy_u32 version;
	struct policy_defaults defaults;
	struct policy_pf *pfs;
	size_t n_pfs;
	struct policy_network *networks;
	size_t n_networks;
	struct policy_vm *vms;
	size_t n_vms;
	struct arena *arena; /* owns everything above */
};

/* Diagnostics: errors make the policy invalid; warnings do not. */
enum policy_severity {
	POLICY_ERROR,
	POLICY_WARNING,
};

struct policy_diag {
	enum policy_severity severity;
	uint32_t line, col; /* 1-based; 0 when the problem has no place in the file */
	char *message;
};

struct policy_diags {
	char *file; /* the name every diagnostic refers to */
	struct policy_diag *items;
	size_t n, cap;
	size_t n_errors, n_warnings; /* all found, shown or not */
	size_t n_dropped;            /* found past POLICY_DIAGS_MAX, counted only */
	bool summarized;
};

/* Diagnostics kept for output: 50 MB of unknown keys made 4 million lines. The rest are
 * counted, and policy_diags_sort appends one "... and N more" line. */
#define POLICY_DIAGS_MAX 100

/* The rule for every name (PF, network, VM, switch): 1-64 of [A-Za-z0-9._-], not "." or "..".
 * The state reader applies it too. */
bool policy_name_is_valid(const char *s);

void policy_diags_init(struct policy_diags *d);
void policy_diags_free(struct policy_diags *d);
#define _cleanup_diags_ _cleanup_(policy_diags_free) /* after policy_diags_init */
/* Records a diagnostic (for later stages that point into the policy too); 0 or -ENOMEM. */
int policy_diag_add(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int policy_diag_addv(struct policy_diags *d, enum policy_severity sev, struct policy_mark m,
                     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Sorts by position so output reads top to bottom (stable for equal positions). */
void policy_diags_sort(struct policy_diags *d);
/* "file:line:col: message", warnings as "file:line:col: warning: message"; returns the
 * snprintf() length. */
int policy_diag_format(const struct policy_diags *d, const struct policy_diag *diag, char *buf,
                       size_t size);
const char *policy_severity_name(enum policy_severity s);

/* The MAC of one leg (0: a, 1: b) of VM NIC nic (its index in vm->nics): the policy's `mac:`
 * (leg a) or `mac-b:` (leg b), else policy_mac_derive's. Each leg of a redundant NIC has its
 * own MAC because the guest's net_failover pairs a standby with its VF by MAC. */
void policy_nic_mac(const struct policy_vm *vm, size_t nic, unsigned leg, uint8_t mac[MAC_LEN]);
/* A locally administered unicast MAC that depends only on the VM name, the NIC index and the
 * leg, so a NIC gets the same MAC on every host and after every reboot: the first 6 bytes of
 * FNV-1a 64 over "vfmgr:" VM "/" N (leg a) or "vfmgr:" VM "/" N "/b" (leg b), byte 0 with
 * the multicast bit cleared and the local bit set. */
void policy_mac_derive(const char *vm, size_t nic, unsigned leg, uint8_t mac[MAC_LEN]);

/* Parse and validate. Returns 0 with *ret set when the policy is valid (warnings may be in
 * diags), -EINVAL when diags holds errors (*ret is NULL), -ENOMEM, or the -errno of reading the
 * file (no diagnostic then: the caller names the file). diags must be initialised. */
int policy_parse_file(const char *path, struct policy **ret, struct policy_diags *diags);
/* name is used in diagnostics (e.g. the file name or "<buffer>"). */
int policy_parse_buffer(const char *name, const char *buf, size_t len, struct policy **ret,
                        struct policy_diags *diags);
void policy_free(struct policy *p);
DEFINE_POINTER_CLEANUP(struct policy, policy_free)
#define _cleanup_policy_ _cleanup_(policy_freep)

/* Which host the policy is read for (policy/hosts.c). host NULL: this machine's name. Entries
 * whose hosts: does not select the host are left out before validation; on-demand VMs are
 * kept when keep_vm is NULL or says so (commands keep those that hold VFs here, and the one
 * being prepared). */
struct policy_select {
	const char *host;
	bool (*keep_vm)(const char *vm, void *arg);
	void *arg;
};
int policy_parse_file_as(const char *path, const struct policy_select *sel, struct policy **ret,
                         struct policy_diags *diags);
int policy_parse_buffer_as(const char *name, const char *buf, size_t len,
                           const struct policy_select *sel, struct policy **ret,
                           struct policy_diags *diags);
/* True when hosts selects host (an unset hosts: selects every host). */
bool policy_hosts_select(const struct policy_hosts *h, const char *host);
/* The machine's hostname, for "evaluate as this host"; 0 or -errno. */
int policy_this_host(char *buf, size_t size);
/* vfmgr check without --hostname: the whole fleet file. Validates it once as each host group
 * it names (one host per glob, built to match it, and a host no glob selects) and merges the
 * diagnostics, each once. *groups gets the number of evaluations; *ret, when valid, the whole
 * file's entries (read, not validated: for counting). Returns like policy_parse_file(). */
int policy_check_fleet_file(const char *path, struct policy **ret, struct policy_diags *diags,
                            size_t *groups);

/* Names of enum values as the YAML spells them. */
const char *policy_class_name(enum policy_class c);
const char *policy_vf_driver_name(enum policy_vf_driver d);
const char *policy_link_state_name(enum policy_link_state s);

#endif
