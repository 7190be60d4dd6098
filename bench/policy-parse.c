/* Times parse + validate of generated policies (1k, 10k, 100k VMs, PFs = VMs / 10) so growth
 * can be read off the table; fails when 10k VMs take 100 ms or more. */
#include "bench/generate.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT_VMS 10000
#define LIMIT_MS  100.0
#define RUNS      5

/* Pairs of PFs on two switches; each pair carries one VM network; every VM has a redundant
 * NIC with a fixed MAC and a plain one, 60 VFs per pair, so the policy is valid. */
static char *generate(size_t vms, size_t *len)
{
	size_t pfs = vms / 10, nets = pfs / 2;
	char *text;
	FILE *b = text_open(&text, len);

	fprintf(b, "version: 1\npfs:\n");
	for (size_t i = 0; i < pfs; i++)
		fprintf(b,
		        "  - name: pf%zu\n    match: { pci: \"%04zx:%02zx:%02zx.%zu\" }\n"
		        "    switch: tor-%zu\n    numvfs: 32\n",
		        i, i >> 13, (i >> 5) & 0xff, (i >> 3) & 0x1f, i & 7, i % 2);
	fprintf(b, "networks:\n  - { name: mgmt, vlan: 1, class: management }\n");
	for (size_t i = 0; i < nets; i++)
		fprintf(b, "  - { name: net%zu, vlan: %zu, class: vm, pfs: [pf%zu, pf%zu] }\n", i,
		        100 + i % 3000, 2 * i, 2 * i + 1);
	fprintf(b, "vms:\n");
	for (size_t i = 0; i < vms; i++)
		fprintf(b,
		        "  - name: vm%zu\n    nics:\n"
		        "      - { network: net%zu, redundant: true, mac: "
		        "\"52:54:%02zx:%02zx:%02zx:01\" }\n"
		        "      - { network: net%zu, rate: { min: 10, max: 1000 } }\n",
		        i, i % nets, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, i % nets);
	text_close(b);
	return text;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int time_parse(const char *text, size_t len, double *best)
{
	*best = -1;
	for (int run = 0; run < RUNS; run++) {
		struct policy_diags diags;
		struct policy *p = NULL;
		double t0 = now_ms(), t;
		int r;

		policy_diags_init(&diags);
		r = policy_parse_buffer("bench.yaml", text, len, &p, &diags);
		t = now_ms() - t0;
		if (r < 0) {
			char line[512];
			fprintf(stderr, "bench: generated policy is invalid (%d):\n", r);
			for (size_t i = 0; i < diags.n && i < 5; i++) {
				policy_diag_format(&diags, &diags.items[i], line, sizeof(line));
				fprintf(stderr, "  %s\n", line);
			}
			policy_diags_free(&diags);
			return -1;
		}
		policy_free(p);
		policy_diags_free(&diags);
		if (*best < 0 || t < *best)
			*best = t;
	}
	return 0;
}

int main(void)
{
	static const size_t sizes[] = {1000, 10000, 100000};
	int rc = 0;

	printf("policy parse+validate (best of %d)\n", RUNS);
	printf("%8s %7s %10s %9s %12s\n", "VMs", "PFs", "bytes", "ms", "ms/1k VMs");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len;
		char *text = generate(sizes[i], &len);
		double ms;
		int r = time_parse(text, len, &ms);

		free(text);
		if (r < 0) {
			rc = 1;
			break;
		}
		printf("%8zu %7zu %10zu %9.1f %12.2f\n", sizes[i], sizes[i] / 10, len, ms,
		       ms * 1000.0 / (double)sizes[i]);
		if (sizes[i] == LIMIT_VMS && ms >= LIMIT_MS) {
			printf("FAIL: %zu VMs took %.1f ms, limit %.0f ms\n", sizes[i], ms,
			       LIMIT_MS);
			rc = 1;
		}
	}
	return rc;
}
