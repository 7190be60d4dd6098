/* The daemon's control socket: root only (mode 0600 and SO_PEERCRED), one request per
 * connection, handled to the end before the loop goes on (requests are short; a client that
 * stalls is cut off by the socket timeouts). */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/daemon.h"
#include "vfmgr/plan.h"
#include "util/cleanup.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_TIMEOUT_S 2

/* A handler writes the command's stdout to out and returns the CLI's exit status; what it
 * logs goes back to the client as well. */
typedef int (*ctl_handler)(struct daemon *d, const struct ctl_request *req, FILE *out);

static int handle_status(struct daemon *d, const struct ctl_request *req, FILE *out)
{
	struct context ctx;
	int r = context_load(&ctx, NULL, req->state[0] ? req->state : d->state_file, false);

	if (r == 0)
		r = status_write(&ctx, req->json, out);
	context_free(&ctx);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int handle_plan(struct daemon *d, const struct ctl_request *req, FILE *out)
{
	struct policy_diags diags;
	struct context ctx;
	struct plan pl;
	int r = context_load(&ctx, NULL, d->state_file, false);

	daemon_diags_init(d, &diags);
	if (r == 0)
		r = plan_build(d->policy, &ctx.host, &ctx.state, &pl, &diags, PLAN_ALLOW_ABSENT);
	for (size_t i = 0; i < diags.n; i++) {
		char buf[1024];
		policy_diag_format(&diags, &diags.items[i], buf, sizeof(buf));
		log_error("%s", buf);
	}
	policy_diags_free(&diags);
	if (r == 0 && req->json) {
		json_t *j = plan_to_json(&pl);
		json_dumpf(j, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(j);
	} else if (r == 0) {
		plan_print(&pl, out);
	}
	if (r == 0)
		plan_free(&pl);
	context_free(&ctx);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int handle_apply(struct daemon *d, const struct ctl_request *req, FILE *out)
{
	/* One policy and one state file are the truth while the daemon runs: applying another
	 * would be undone at the next event. */
	if (req->policy[0] && strcmp(req->policy, d->policy_file) != 0) {
		log_error(
		    "the daemon runs %s, not %s: put the policy there and run 'vfmgr apply %s'",
		    d->policy_file, req->policy, d->policy_file);
		return EXIT_FAIL;
	}
	if (req->state[0] && strcmp(req->state, d->state_file) != 0) {
		log_error("the daemon keeps its state in %s, not %s", d->state_file, req->state);
		return EXIT_FAIL;
	}
	/* The CLI applies what the file says now, so read it again first. */
	if (daemon_reload(d) < 0)
		return EXIT_FAIL;
	d->pending = false;
	d->n_dirty = 0;
	return daemon_reconcile(d, out) < 0 ? EXIT_FAIL : EXIT_OK;
}

static int handle_reload(struct daemon *d, const struct ctl_request *req, FILE *out)
{
	(void)req;
	if (daemon_reload(d) < 0)
		return EXIT_FAIL;
	fprintf(out, "%s: reloaded\n", d->policy_file);
	return EXIT_OK;
}

static int handle_qemu_args(struct daemon *d, const struct ctl_request *req, FILE *out)
{
	if (!req->vm[0]) {
		log_error("qemu-args: which VM? (\"vm\": NAME)");
		return EXIT_USAGE;
	}
	struct launch_opts o = {.qemu = true, .json = req->json};
	return launch_write(d->state_file, req->vm, &o, out) < 0 ? EXIT_FAIL : EXIT_OK;
}

static const ctl_handler handlers[CTL_N_COMMANDS] = {
    [CTL_STATUS] = handle_status, [CTL_PLAN] = handle_plan,           [CTL_APPLY] = handle_apply,
    [CTL_RELOAD] = handle_reload, [CTL_QEMU_ARGS] = handle_qemu_args,
};

static void send_reply(int fd, const struct ctl_reply *rep)
{
	_cleanup_free_ char *text = ctl_reply_format(rep);
	size_t len = text ? strlen(text) : 0, off = 0;

	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("control: reply not delivered: %s", strerror(errno));
			return;
		}
		off += (size_t)n;
	}
}

/* Reads the request up to EOF; one byte more than allowed says it was too long. */
static ssize_t read_request(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n < size) {
		ssize_t r = recv(fd, buf + n, size - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

static void run_request(struct daemon *d, const struct ctl_request *req, struct ctl_reply *rep)
{
	char *out_text = NULL, *log_text = NULL;
	size_t out_len = 0, log_len = 0;
	FILE *out = open_memstream(&out_text, &out_len);
	FILE *logf = open_memstream(&log_text, &log_len);

	if (!out || !logf) {
		if (out)
			fclose(out);
		if (logf)
			fclose(logf);
		free(out_text);
		free(log_text);
		rep->error = strdup("out of memory");
		return;
	}
	log_info("control: %s", ctl_command_name(req->command));
	log_set_capture(logf);
	rep->exit = handlers[req->command](d, req, out);
	log_set_capture(NULL);
	fclose(out);
	fclose(logf);
	rep->ok = true;
	rep->output = out_text;
	rep->log = log_text;
}

static void on_client(struct daemon *d)
{
	static const struct timeval tv = {.tv_sec = CTL_TIMEOUT_S};
	_cleanup_close_ int fd = accept4(d->ctl.fd, NULL, NULL, SOCK_CLOEXEC);
	struct ctl_reply rep = {.exit = EXIT_FAIL};
	struct ctl_request req;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char buf[CTL_REQUEST_MAX + 1], err[256];
	ssize_t n;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The socket's mode already keeps others out; the check holds even if it is chmod'ed. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		log_warn("control: refused a client (uid %d): root only", (int)cred.uid);
		rep.error = strdup("permission denied: the control socket is for root only");
	} else if ((n = read_request(fd, buf, sizeof(buf))) < 0) {
		log_warn("control: reading the request: %s", strerror((int)-n));
		return;
	} else if (ctl_request_parse(buf, (size_t)n, &req, err, sizeof(err)) < 0) {
		log_warn("control: bad request from pid %d: %s", (int)cred.pid, err);
		rep.error = strdup(err);
	} else {
		run_request(d, &req, &rep);
	}
	send_reply(fd, &rep);
	ctl_reply_free(&rep);
}

int ctl_listen(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int r;

	if (run_path("control", sa.sun_path, sizeof(sa.sun_path)) < 0)
		return -ENAMETOOLONG;
	d->ctl.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl.fd < 0)
		return -errno;
	/* We hold daemon.lock, so a socket file left here belongs to a daemon that died. */
	unlink(sa.sun_path);
	old = umask(0177); /* created 0600, with no window where it is wider */
	r = bind(d->ctl.fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(d->ctl.fd, 16) < 0) {
		r = -errno;
		log_error("%s: %s", sa.sun_path, strerror(-r));
		return r;
	}
	d->ctl.ready = on_client;
	return 0;
}

void ctl_close(struct daemon *d)
{
	char path[PATH_MAX];

	if (d->ctl.fd < 0)
		return;
	close(d->ctl.fd);
	d->ctl.fd = -1;
	if (run_path("control", path, sizeof(path)) == 0)
		unlink(path);
}
