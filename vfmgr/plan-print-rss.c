/* How RSS steps read in `vfmgr plan`: "+ 0000:01:00.0 rss channels combined 4 (was 8)". */
#include "vfmgr/plan.h"
#include "util/parse.h"

#include <stdio.h>
#include <string.h>

static const char *hfunc_name(uint32_t hfunc)
{
	const char *s = rss_hfunc_name(hfunc);

	return s ? s : "unknown";
}

/* The setting as it will be and as it was, both as text. */
static void rss_change(const struct plan_action *a, char *to, size_t tosize, char *from,
                       size_t fromsize)
{
	const struct plan_rss *r = a->rss;
	const struct rss_state *b = &r->before;

	switch (a->kind) {
	case PLAN_RSS_CHANNELS:
		snprintf(to, tosize, "%u", r->spec.channels);
		snprintf(from, fromsize, "%u", b->cur.combined);
		break;
	case PLAN_RSS_TABLE:
		snprintf(to, tosize, "%s", r->want);
		snprintf(from, fromsize, "%s", r->was);
		break;
	case PLAN_RSS_KEY:
		if (r->spec.key == RSS_KEY_RANDOM)
			snprintf(to, tosize, "random");
		else
			format_hex_bytes(r->spec.key_bytes, r->spec.key_len, to, tosize);
		format_hex_bytes(b->key, b->key_size, from, fromsize);
		break;
	case PLAN_RSS_HFUNC:
		snprintf(to, tosize, "%s", hfunc_name(r->spec.hfunc));
		snprintf(from, fromsize, "%s", hfunc_name(b->hfunc));
		break;
	default:
		snprintf(to, tosize, "local");
		snprintf(from, fromsize, "%u queue IRQ%s elsewhere", r->irqs_moving,
		         r->irqs_moving == 1 ? "" : "s");
		break;
	}
}

static const char *rss_setting(enum plan_kind k)
{
	switch (k) {
	case PLAN_RSS_CHANNELS:
		return "channels combined";
	case PLAN_RSS_TABLE:
		return "table";
	case PLAN_RSS_KEY:
		return "key";
	case PLAN_RSS_HFUNC:
		return "hfunc";
	default:
		return "irq-affinity";
	}
}

void plan_print_rss(const struct plan_action *a, FILE *f)
{
	char to[3 * RSS_KEY_MAX + 16], from[3 * RSS_KEY_MAX + 16];

	rss_change(a, to, sizeof(to), from, sizeof(from));
	if (a->kind == PLAN_RSS_KEY && a->rss->spec.key == RSS_KEY_RANDOM)
		snprintf(from, sizeof(from), "a key vfmgr did not generate");
	fprintf(f, "+ %s rss %s %s (was %s%s)", a->addr, rss_setting(a->kind), to, from,
	        a->rss->recheck ? "; checked again after the numvfs change" : "");
}

json_t *plan_rss_to_json(const struct plan_action *a)
{
	static const char *const names[] = {"rss-channels", "rss-table", "rss-key", "rss-hfunc",
	                                    "rss-irq-affinity"};
	char to[3 * RSS_KEY_MAX + 16], from[3 * RSS_KEY_MAX + 16];

	rss_change(a, to, sizeof(to), from, sizeof(from));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "action",
	                 names[a->kind - PLAN_RSS_CHANNELS], "device", a->addr, "interface",
	                 a->ifname, "to", to, "from", from, "after_numvfs", a->rss->recheck);
}
