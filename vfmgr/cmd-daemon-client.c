/* Talks to a running `vfmgr daemon` over $VFMGR_RUN_DIR/control. */
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/state.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/parse.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
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

bool ctl_daemon_listening(const char *sock)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/unix", "re");
	char line[PATH_MAX + 128];

	/* "Num RefCount Protocol Flags Type St Inode Path": a listening socket has
	 * __SO_ACCEPTCON (0x10000) in Flags; the path is the rest of the line. */
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long flags = 0;
		char *p = line, *end;
		size_t len;

		for (int field = 0; field < 7 && p; field++) {
			p += strspn(p, " ");
			if (field == 3) {
				flags = strtoul(p, &end, 16);
				if (end == p)
					p = NULL;
			}
			if (p)
				p = strchr(p, ' ');
		}
		if (!p)
			continue;
		p += strspn(p, " ");
		len = strcspn(p, "\n");
		if ((flags & 0x10000) && len == strlen(sock) && strncmp(p, sock, len) == 0)
			return true;
	}
	return false;
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

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Takes the daemon's "deadline_s" lines off the front of buf (they end in a newline; the reply
 * does not), moving *deadline; what is left is the reply so far. */
static void take_deadlines(char *buf, size_t *n, uint64_t *deadline, unsigned *waited_s)
{
	char *nl;
	unsigned s;

	while ((nl = memchr(buf, '\n', *n))) {
		size_t line = (size_t)(nl - buf);
		if (ctl_deadline_parse(buf, line, &s) == 0) {
			*deadline = mono_ms() + (uint64_t)s * 1000;
			*waited_s = s;
		}
		memmove(buf, nl + 1, *n - line - 1);
		*n -= line + 1;
	}
}

/* Reads until the daemon closes the connection, or -ETIMEDOUT once the deadline passes (which
 * the daemon may move with deadline lines; *timeout_s says the last one). */
static int recv_all(int fd, char **out, size_t *len, unsigned *timeout_s)
{
	uint64_t deadline = mono_ms() + (uint64_t)*timeout_s * 1000;
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
		uint64_t now = mono_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = now >= deadline ? 0 : poll(&p, 1, (int)(deadline - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		ssize_t r = pr < 0 ? -1 : recv(fd, buf + n, cap - n, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		take_deadlines(buf, &n, &deadline, timeout_s);
	}
	*out = buf;
	*len = n;
	return 0;
}

static int print_reply(const struct ctl_reply *rep)
{
	if (rep->log)
		fputs(rep->log, stderr);
	if (rep->output && rep->output[0]) {
		fputs(rep->output, stdout);
		cmd_json_note_printed();
	}
	if (!rep->ok)
		log_error("daemon: %s", rep->error ? rep->error : "request failed");
	return rep->ok ? rep->exit : EXIT_FAIL;
}

/* One request on a fresh connection: 0 with *rep, 1 when nothing listens (no socket, or a stale
 * one left by a daemon that died), or -errno (logged). */
static int ask_once(const char *text, const char *sock, unsigned timeout_s, struct ctl_reply *rep)
{
	_cleanup_free_ char *reply = NULL;
	_cleanup_close_ int fd = ctl_connect();
	unsigned waited = timeout_s;
	size_t len = 0;
	char err[256];
	int r;

	if (fd < 0)
		return 1;
	r = send_all(fd, text, strlen(text));
	if (r == 0 && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	/* A daemon that refused us at once (busy) may have closed before we sent: its reply is
	 * still there to read. */
	if (r == -EPIPE || r == -ECONNRESET || r == 0)
		r = recv_all(fd, &reply, &len, &waited);
	if (r == -ETIMEDOUT) {
		log_error("%s: the daemon did not answer in %u s (is it stopped? systemctl status "
		          "vfmgr)",
		          sock, waited);
		return -ETIMEDOUT;
	}
	if (r < 0) {
		log_error("%s: the daemon did not answer: %s", sock, strerror(-r));
		return r;
	}
	if (ctl_reply_parse(reply, len, rep, err, sizeof(err)) < 0) {
		log_error("%s: %s", sock, err);
		return -EBADMSG;
	}
	return 0;
}

int ctl_client_forward(struct ctl_request *req, const char *state_file)
{
	_cleanup_free_ char *text = NULL;
	unsigned timeout_s = ctl_request_timeout_s(req->command);
	uint64_t give_up = mono_ms() + lock_wait_bound_ms();
	char sock[PATH_MAX];
	unsigned pause_ms = 100;
	int r;

	if (!state_file)
		state_file = getenv("VFMGR_STATE");
	if (state_file && abs_path(state_file, req->state, sizeof(req->state)) < 0)
		return -1;
	run_path("control", sock, sizeof(sock));
	text = ctl_request_format(req);
	if (!text)
		return EXIT_FAIL;
	for (;;) {
		struct ctl_reply rep;
		r = ask_once(text, sock, timeout_s, &rep);
		/* No daemon: do the work here. */
		if (r == 1)
			return -1;
		if (r < 0)
			return EXIT_FAIL;
		/* Busy with other clients: come back, as for the lock, within its bound. */
		if (!rep.ok && rep.busy && mono_ms() + pause_ms < give_up) {
			log_info("%s: the daemon is busy; asking again in %u ms", sock, pause_ms);
			ctl_reply_free(&rep);
			usleep(pause_ms * 1000);
			pause_ms = pause_ms < 1600 ? pause_ms * 2 : pause_ms;
			continue;
		}
		log_info("%s: answered by the daemon", sock);
		r = print_reply(&rep);
		ctl_reply_free(&rep);
		return r;
	}
}

unsigned ctl_request_timeout_s(enum ctl_command c)
{
	const char *e = getenv("VFMGR_DAEMON_TIMEOUT");
	uint32_t s;

	if (e && parse_u32(e, 3600, &s) == 0 && s > 0)
		return s;
	/* An apply's first deadline line comes before it waits for the lock; a reload parses one
	 * file; status reads the host. */
	return c == CTL_APPLY ? 10 : CTL_STATUS_TIMEOUT_S;
}

/* vfmgr reload: SIGHUP's work, with the daemon's verdict as the exit status (ExecReload=). */
int cmd_reload(const struct cmd_args *a)
{
	char sock[PATH_MAX];
	int r;

	(void)a;
	r = ctl_client_forward(&(struct ctl_request){.command = CTL_RELOAD}, NULL);
	if (r >= 0)
		return r;
	run_path("control", sock, sizeof(sock));
	log_error("%s: no vfmgr daemon answers; nothing to reload (systemctl start vfmgr)", sock);
	return EXIT_FAIL;
}
