/* The test build's fault hooks (see fault.h); nothing here is in the production build. */
#include "util/fault.h"

#ifdef VFMGR_FAULTS
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

int fault_before_step(size_t step)
{
	const char *e = getenv("VFMGR_TEST_STOP_STEP");

	/* The drill changes the host between the plan and this step, then continues us. */
	if (e && strtoul(e, NULL, 10) == step + 1) {
		log_notice("step %zu: stopping (VFMGR_TEST_STOP_STEP, test build)", step + 1);
		raise(SIGSTOP);
	}
	e = getenv("VFMGR_TEST_FAIL_STEP");

	if (e && strtoul(e, NULL, 10) == step + 1) {
		log_error("step %zu: failing on purpose (VFMGR_TEST_FAIL_STEP, test build)",
		          step + 1);
		return -EIO;
	}
	return 0;
}

int fault_at(const char *point)
{
	static unsigned passes;
	const char *e = getenv("VFMGR_TEST_FAULT");
	size_t n = strlen(point);

	if (!e || strncmp(e, point, n) != 0 || (e[n] != '\0' && e[n] != ':'))
		return 0;
	unsigned long want = e[n] == ':' ? strtoul(e + n + 1, NULL, 10) : 1;
	if (++passes != want)
		return 0;
	log_error("%s: failing on purpose (VFMGR_TEST_FAULT, test build)", point);
	return -EIO;
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int fault_hooks_not_built;
#endif
