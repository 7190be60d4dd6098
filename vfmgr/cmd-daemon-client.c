/* Talks to a running `vfmgr daemon` over $VFMGR_RUN_DIR/control. */
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/state.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A reply bigger than this is not from our daemon. */
#define CTL_REPLY_MAX (64u << 20)

int run_path(const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", run_dir(), name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int abs_path(const char *path, char *buf, size_t size)
{
	char resolved[PATH_MAX], cwd[PATH_MAX];
	int n;

	if (realpath(path, resolved))
		n = snprintf(buf, size, "%s", resolved);
	else if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		n = snprintf(buf, size, "%s", path);
	else
		n = snprintf(buf, size, "%s/%s", cwd, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int ctl_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (run_path("control", sa.sun_path, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the daemon closes the connection. */
static int recv_all(int fd, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		if (n + 4096 > cap) {
			char *nb = cap < CTL_REPLY_MAX ? realloc(buf, cap ? cap * 2 : 8192) : NULL;
			if (!nb) {
				free(buf);
				return cap < CTL_REPLY_MAX ? -ENOMEM : -EMSGSIZE;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int print_reply(const char *sock, const char *buf, size_t len)
{
	struct ctl_reply rep;
	char err[256];
	int code;

	if (ctl_reply_parse(buf, len, &rep, err, sizeof(err)) < 0) {
		log_error("%s: %s", sock, err);
		return EXIT_FAIL;
	}
	if (rep.log)
		fputs(rep.log, stderr);
	if (rep.output)
		fputs(rep.output, stdout);
	if (!rep.ok)
		log_error("daemon: %s", rep.error ? rep.error : "request failed");
	code = rep.ok ? rep.exit : EXIT_FAIL;
	ctl_reply_free(&rep);
	return code;
}

int ctl_client_forward(struct ctl_request *req, const char *state_file)
{
	_cleanup_free_ char *text = NULL, *reply = NULL;
	_cleanup_close_ int fd = -1;
	char sock[PATH_MAX];
	size_t len = 0;
	int r;

	if (!state_file)
		state_file = getenv("VFMGR_STATE");
	if (state_file && abs_path(state_file, req->state, sizeof(req->state)) < 0)
		return -1;
	fd = ctl_connect();
	/* No socket, or a stale one left by a daemon that died: do the work here. */
	if (fd < 0)
		return -1;
	run_path("control", sock, sizeof(sock));
	text = ctl_request_format(req);
	if (!text)
		return EXIT_FAIL;
	r = send_all(fd, text, strlen(text));
	if (r == 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	if (r == 0)
		r = recv_all(fd, &reply, &len);
	if (r < 0) {
		log_error("%s: the daemon did not answer: %s", sock, strerror(-r));
		return EXIT_FAIL;
	}
	log_info("%s: answered by the daemon", sock);
	return print_reply(sock, reply, len);
}
