/* How RSS steps read in `vfmgr plan`: "+ 0000:01:00.0 rss channels combined 4 (was 8)", from
 * the step's record (plan-print.c). */
#include "vfmgr/plan-steps.h"
#include "util/parse.h"

#include <stdio.h>
#include <string.h>

static json_t *key_hex(const uint8_t *key, uint32_t len)
{
	char buf[3 * RSS_KEY_MAX + 1];

	if (len == 0)
		return json_null();
	format_hex_bytes(key, len, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *hfunc_name(uint32_t hfunc)
{
	const char *s = rss_hfunc_name(hfunc);

	return json_string(s ? s : "unknown");
}

/* The setting's name in the record and its words in the text, by kind. */
static const struct {
	const char *setting, *words;
} rss_settings[] = {
    [PLAN_RSS_CHANNELS - PLAN_RSS_CHANNELS] = {"combined_channels", "channels combined"},
    [PLAN_RSS_TABLE - PLAN_RSS_CHANNELS] = {"table", "table"},
    [PLAN_RSS_KEY - PLAN_RSS_CHANNELS] = {"key", "key"},
    [PLAN_RSS_HFUNC - PLAN_RSS_CHANNELS] = {"hfunc", "hfunc"},
    [PLAN_RSS_IRQ - PLAN_RSS_CHANNELS] = {"irq_affinity", "irq-affinity"},
};

void plan_describe_rss(const struct plan_action *a, char *buf, size_t size)
{
	snprintf(buf, size, "%s (%s) rss %s", a->addr, a->ifname,
	         plan_steps[a->kind].name + strlen("rss-"));
}

/* The setting as it will be and as it was. */
json_t *plan_record_rss(const struct plan_action *a)
{
	const struct plan_rss *r = a->rss;
	const struct rss_state *b = &r->before;
	json_t *from, *to, *o;

	switch (a->kind) {
	case PLAN_RSS_CHANNELS:
		to = json_integer(r->spec.channels);
		from = json_integer(b->cur.combined);
		break;
	case PLAN_RSS_TABLE:
		to = json_string(r->want);
		from = json_string(r->was);
		break;
	case PLAN_RSS_KEY:
		to = r->spec.key == RSS_KEY_RANDOM ? json_string("random")
		                                   : key_hex(r->spec.key_bytes, r->spec.key_len);
		from = key_hex(b->key, b->key_size);
		break;
	case PLAN_RSS_HFUNC:
		to = hfunc_name(r->spec.hfunc);
		from = hfunc_name(b->hfunc);
		break;
	default:
		to = json_string("local");
		from = json_null();
		break;
	}
	o = json_pack("{s:s, s:s, s:{s:{s:o, s:o}}, s:b}", "pf_address", a->addr, "pf_ifname",
	              a->ifname, "changes", rss_settings[a->kind - PLAN_RSS_CHANNELS].setting,
	              "from", from, "to", to, "after_numvfs", r->recheck);
	if (o && a->kind == PLAN_RSS_IRQ)
		json_object_set_new(o, "irqs_moving", json_integer(r->irqs_moving));
	return o;
}

static void value_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", json_integer_value(v));
	else
		snprintf(buf, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

void plan_text_rss(const json_t *rec, FILE *f)
{
	const char *action = json_string_value(json_object_get(rec, "action"));
	size_t k = PLAN_RSS_CHANNELS;
	char to[3 * RSS_KEY_MAX + 16], from[3 * RSS_KEY_MAX + 16];

	while (k < PLAN_RSS_IRQ && strcmp(plan_steps[k].name, action) != 0)
		k++;
	const char *name = rss_settings[k - PLAN_RSS_CHANNELS].setting;
	const json_t *c = json_object_get(json_object_get(rec, "changes"), name);
	value_text(json_object_get(c, "to"), to, sizeof(to));
	value_text(json_object_get(c, "from"), from, sizeof(from));
	if (k == PLAN_RSS_KEY && strcmp(to, "random") == 0)
		snprintf(from, sizeof(from), "a key vfmgr did not generate");
	if (k == PLAN_RSS_IRQ) {
		long long n = json_integer_value(json_object_get(rec, "irqs_moving"));
		snprintf(from, sizeof(from), "%lld queue IRQ%s elsewhere", n, n == 1 ? "" : "s");
	}
	fprintf(f, "+ %s rss %s %s (was %s%s)",
	        json_string_value(json_object_get(rec, "pf_address")),
	        rss_settings[k - PLAN_RSS_CHANNELS].words, to, from,
	        json_is_true(json_object_get(rec, "after_numvfs"))
	            ? "; checked again after the numvfs change"
	            : "");
	plan_text_impact(rec, true, f);
}
