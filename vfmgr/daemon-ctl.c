/* The daemon's control socket: root only (mode 0600 and SO_PEERCRED), one request per
 * connection. Clients are non-blocking epoll sources: a request is read as it arrives and run
 * once complete, its reply sent as the client takes it, so a slow client holds nobody up. Each
 * has a deadline for its whole request and one for its whole reply; past it, it is dropped. */
#include "vfmgr/cmd.h"
#include "vfmgr/cmd-context.h"
#include "vfmgr/cmd-daemon-client.h"
#include "vfmgr/cmd-diag-json.h"
#include "vfmgr/daemon.h"
#include "util/cleanup.h"
#include "vfmgr/plan.h"
#include "util/cleanup-json.h"
#include "util/log.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A whole request (the CLI sends it in one write) and a whole reply. */
#define CTL_REQUEST_MS 2000
#define CTL_REPLY_MS   5000
/* Clients served at once; more are told to come back. */
#define CTL_CLIENTS_MAX 16

struct ctl_client {
	struct source src; /* first: the epoll event points here */
	bool used;
	bool eof;      /* the client has sent all it will (shutdown or close) */
	bool replying; /* reply is set: sending it, and discarding what still comes */
	bool overflow; /* the request grew past CTL_REQUEST_MAX */
	pid_t pid;
	uint64_t deadline;
	size_t n;
	char buf[CTL_REQUEST_MAX + 1];
	char *reply;
	size_t reply_len, reply_off;
};

struct ctl_server {
	struct source timer; /* fires at the earliest client deadline */
	struct ctl_client clients[CTL_CLIENTS_MAX];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A handler writes the command's stdout to out and returns the CLI's exit status; what it
 * logs goes back to the client as well. fd is the client's socket, for deadline lines. */
typedef int (*ctl_handler)(struct daemon *d, const struct ctl_request *req, FILE *out, int fd);

/* Tells the client how long the rest of its request may take ("deadline_s" line); a client that
 * cannot take these few bytes at once gets them not, and waits by its own deadline. */
static void send_deadline(void *arg, unsigned seconds)
{
	int fd = *(const int *)arg;
	_cleanup_free_ char *line = ctl_deadline_format(seconds);

	if (line && send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: deadline line: %s", strerror(errno));
}

static int handle_status(struct daemon *d, const struct ctl_request *req, FILE *out, int fd)
{
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	int r = context_load(&ctx, NULL, req->state[0] ? req->state : d->state_file, false);

	(void)fd;
	ctx.pending = &d->pend;
	ctx.daemon_policy = d->policy_file;
	ctx.heal_allow = DAEMON_HEAL_ALLOW;
	if (r == 0)
		r = status_write(&ctx, req->json, out);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

static int handle_plan(struct daemon *d, const struct ctl_request *req, FILE *out, int fd)
{
	struct policy_diags diags;
	_cleanup_context_ struct context ctx = CONTEXT_INIT;
	_cleanup_plan_ struct plan pl = {0};
	int r = context_load(&ctx, NULL, d->state_file, false);

	(void)fd;
	daemon_diags_init(d, &diags);
	if (r == 0)
		r = plan_build(d->policy, &ctx.host, &ctx.state, &pl, &diags,
		               PLAN_ALLOW_ABSENT | PLAN_DRIVER_WARN);
	context_log_diags(&diags);
	policy_diags_free(&diags);
	if (r == 0 && req->json) {
		_cleanup_json_ json_t *j = plan_to_json(&pl);
		json_dumpf(j, out, JSON_INDENT(2));
		fputc('\n', out);
	} else if (r == 0) {
		plan_print(&pl, out);
	}
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

struct reconcile_opts ctl_apply_opts(const struct ctl_request *req, const char *daemon_policy,
                                     FILE *out)
{
	return (struct reconcile_opts){
	    .out = out,
	    .json = req->json,
	    .allow = req->allow,
	    .policy_name = req->policy_arg[0] ? req->policy_arg : daemon_policy,
	    .lock_wait_ms = lock_wait_bound_ms(),
	};
}

static int handle_apply(struct daemon *d, const struct ctl_request *req, FILE *out, int fd)
{
	struct reconcile_opts o = ctl_apply_opts(req, d->policy_file, out);
	const char *name = o.policy_name;
	struct policy *cand = NULL, *old;
	int r;

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
	/* The CLI applies what the file says now: read it again, but run it only once it is
	 * applied. A refused or failed apply leaves the daemon on the policy it ran, so its own
	 * healing does not carry out what the client's limit refused. */
	o.progress = send_deadline;
	o.progress_arg = &fd;
	if (daemon_parse_policy(d, &cand) < 0) {
		log_error("%s: invalid policy; nothing was changed", name);
		return EXIT_FAIL;
	}
	/* The wait for the lock, as a local apply's; the steps' bound follows once planned. */
	send_deadline(&fd, o.lock_wait_ms / 1000 + 30);
	old = d->policy;
	d->policy = cand;
	daemon_forget_pci_scan(d);
	d->pending = false;
	r = daemon_reconcile(d, &o);
	if (r < 0) {
		d->policy = old;
		policy_free(cand);
		daemon_forget_pci_scan(d);
		/* Its watch list and pending settings are the candidate's: a pass puts them back.
		 */
		daemon_schedule_reconcile(d, "policy", true,
		                          "the one running kept: the apply was refused or failed");
		return EXIT_FAIL;
	}
	d->policy = old; /* daemon_adopt_policy frees the policy it replaces */
	daemon_adopt_policy(d, cand);
	daemon_notify_status(d, "");
	return EXIT_OK;
}

static int handle_reload(struct daemon *d, const struct ctl_request *req, FILE *out, int fd)
{
	(void)req;
	(void)fd;
	if (daemon_reload(d) < 0)
		return EXIT_FAIL;
	fprintf(out, "%s: reloaded\n", d->policy_file);
	return EXIT_OK;
}

static int handle_qemu_args(struct daemon *d, const struct ctl_request *req, FILE *out, int fd)
{
	(void)fd;
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

static void run_request(struct daemon *d, const struct ctl_request *req, int fd,
                        struct ctl_reply *rep)
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
	if (req->json)
		diag_json_begin();
	rep->exit = handlers[req->command](d, req, out, fd);
	log_set_capture(NULL);
	if (req->json) {
		/* A failed --json request that printed nothing answers with its diagnostics. */
		json_t *diags = diag_json_end();
		fflush(out);
		if (rep->exit != EXIT_OK && out_len == 0)
			cmd_json_print(diags, out);
		else
			json_decref(diags);
	}
	fclose(out);
	fclose(logf);
	rep->ok = true;
	rep->output = out_text;
	rep->log = log_text;
}

static void rearm_timer(struct ctl_server *srv)
{
	struct itimerspec its = {0};
	uint64_t first = 0, now = mono_ms();

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (srv->clients[i].used && (!first || srv->clients[i].deadline < first))
			first = srv->clients[i].deadline;
	if (first) {
		uint64_t in = first > now ? first - now : 1;
		its.it_value.tv_sec = (time_t)(in / 1000);
		its.it_value.tv_nsec = (long)(in % 1000) * 1000000;
	}
	timerfd_settime(srv->timer.fd, 0, &its, NULL);
}

static void client_close(struct daemon *d, struct ctl_client *c)
{
	if (!c->used)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->src.fd, NULL);
	close(c->src.fd);
	free(c->reply);
	c->reply = NULL;
	c->src.fd = -1;
	c->used = false;
	rearm_timer(d->ctls);
}

static void client_watch(struct daemon *d, struct ctl_client *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = &c->src};

	epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->src.fd, &ev);
}

/* Switches the client to sending rep; it stays open until the reply is out and the client has
 * sent all it will, so a refused request is read to its end and the client sees the reply,
 * not a reset. */
static void client_reply(struct daemon *d, struct ctl_client *c, struct ctl_reply *rep)
{
	c->reply = ctl_reply_format(rep);
	c->reply_len = c->reply ? strlen(c->reply) : 0;
	c->reply_off = 0;
	c->replying = true;
	c->deadline = mono_ms() + CTL_REPLY_MS;
	ctl_reply_free(rep);
	client_watch(d, c, EPOLLIN | EPOLLOUT);
	rearm_timer(d->ctls);
}

/* The client closed its end (it gave up waiting, or was killed): its request is not run. A
 * client that only shut down its sending side (the CLI) is still there. */
static bool client_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static void client_request_done(struct daemon *d, struct ctl_client *c)
{
	struct ctl_reply rep = {.exit = EXIT_FAIL};
	struct ctl_request req;
	char err[256];

	if (c->overflow) {
		snprintf(err, sizeof(err), "request longer than %d bytes", CTL_REQUEST_MAX);
		log_warn("control: bad request from pid %d: %s", (int)c->pid, err);
		rep.error = strdup(err);
	} else if (ctl_request_parse(c->buf, c->n, &req, err, sizeof(err)) < 0) {
		log_warn("control: bad request from pid %d: %s", (int)c->pid, err);
		rep.error = strdup(err);
	} else if (client_gone(c->src.fd)) {
		log_warn("control: pid %d went away before its %s ran; not run", (int)c->pid,
		         ctl_command_name(req.command));
		client_close(d, c);
		return;
	} else {
		run_request(d, &req, c->src.fd, &rep);
	}
	client_reply(d, c, &rep);
}

/* Reads what is there without waiting; true when the client closed or failed. */
static bool client_read(struct ctl_client *c)
{
	char sink[4096];

	for (;;) {
		bool keep = !c->replying && !c->overflow;
		char *to = keep ? c->buf + c->n : sink;
		size_t room = keep ? sizeof(c->buf) - c->n : sizeof(sink);
		ssize_t r = recv(c->src.fd, to, room, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK;
		if (r == 0) {
			c->eof = true;
			return false;
		}
		if (keep) {
			c->n += (size_t)r;
			/* One byte more than allowed says it was too long. */
			if (c->n > CTL_REQUEST_MAX)
				c->overflow = true;
		}
	}
}

/* Sends what the socket takes; true when the client is gone. */
static bool client_write(struct ctl_client *c)
{
	while (c->reply_off < c->reply_len) {
		ssize_t n = send(c->src.fd, c->reply + c->reply_off, c->reply_len - c->reply_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			log_warn("control: reply to pid %d not delivered: %s", (int)c->pid,
			         strerror(errno));
			return true;
		}
		c->reply_off += (size_t)n;
	}
	return false;
}

static void on_client_ready(struct daemon *d, struct source *s)
{
	struct ctl_client *c = (struct ctl_client *)s;

	if (!c->used)
		return; /* closed earlier in this batch of events */
	if (client_read(c)) {
		client_close(d, c);
		return;
	}
	if (!c->replying) {
		/* A request that is already too long is answered now, and the rest discarded. */
		if (c->eof || c->overflow)
			client_request_done(d, c);
		else
			return;
	}
	if (client_write(c)) {
		client_close(d, c);
		return;
	}
	if (c->reply_off < c->reply_len)
		return;
	if (c->eof)
		client_close(d, c);
	else
		client_watch(d, c, EPOLLIN); /* sent; waiting for the client's end */
}

static void on_timer(struct daemon *d)
{
	uint64_t ticks, now = mono_ms();
	struct ctl_server *srv = d->ctls;

	if (read(srv->timer.fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("control timer: %s", strerror(errno));
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = &srv->clients[i];
		if (!c->used || c->deadline > now)
			continue;
		log_warn("control: pid %d %s within %d ms; dropped", (int)c->pid,
		         c->replying ? "did not take its reply" : "sent no complete request",
		         c->replying ? CTL_REPLY_MS : CTL_REQUEST_MS);
		client_close(d, c);
	}
	rearm_timer(srv);
}

/* Refuses fd with msg at once, without waiting on it: busy, so the client retries. What it
 * sent is read first: closing a socket with unread data resets it, and the client would see
 * ECONNRESET instead of this reply. */
static void refuse_now(int fd, const char *msg)
{
	struct ctl_reply rep = {.exit = EXIT_FAIL, .error = strdup(msg), .busy = true};
	_cleanup_free_ char *text = ctl_reply_format(&rep);
	char sink[4096];

	if (text && send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: %s", strerror(errno));
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	ctl_reply_free(&rep);
}

static void accept_one(struct daemon *d, int fd)
{
	struct ctl_server *srv = d->ctls;
	struct ctl_client *c = NULL;
	struct ucred cred = {.uid = (uid_t)-1};
	socklen_t len = sizeof(cred);
	struct epoll_event ev = {.events = EPOLLIN};

	for (size_t i = 0; i < CTL_CLIENTS_MAX && !c; i++)
		if (!srv->clients[i].used)
			c = &srv->clients[i];
	if (!c) {
		log_warn("control: %d clients already; refused one", CTL_CLIENTS_MAX);
		refuse_now(fd, "the daemon is busy with other clients; try again");
		close(fd);
		return;
	}
	c->used = true;
	c->eof = c->replying = c->overflow = false;
	c->n = 0;
	c->src.fd = fd;
	c->src.ready_src = on_client_ready;
	c->deadline = mono_ms() + CTL_REQUEST_MS;
	ev.data.ptr = &c->src;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("control: %s", strerror(errno));
		c->used = false;
		close(fd);
		return;
	}
	rearm_timer(srv);
	/* The socket's mode already keeps others out; the check holds even if it is chmod'ed. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
		struct ctl_reply rep = {.exit = EXIT_FAIL};
		log_warn("control: refused a client (uid %d): root only", (int)cred.uid);
		rep.error = strdup("permission denied: the control socket is for root only");
		client_reply(d, c, &rep);
		return;
	}
	c->pid = cred.pid;
}

static void on_accept(struct daemon *d)
{
	/* Bounded: a flood of connections cannot keep the loop here. */
	for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
		int fd = accept4(d->ctl.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		accept_one(d, fd);
	}
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
	d->ctl.ready = on_accept;
	d->ctls = calloc(1, sizeof(*d->ctls));
	if (!d->ctls)
		return -ENOMEM;
	d->ctls->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->ctls->timer.fd < 0)
		return -errno;
	d->ctls->timer.ready = on_timer;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->ctls->timer};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ctls->timer.fd, &ev) < 0)
		return -errno;
	return 0;
}

void ctl_close(struct daemon *d)
{
	char path[PATH_MAX];

	if (d->ctls) {
		for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
			client_close(d, &d->ctls->clients[i]);
		if (d->ctls->timer.fd >= 0)
			close(d->ctls->timer.fd);
		free(d->ctls);
		d->ctls = NULL;
	}
	if (d->ctl.fd < 0)
		return;
	close(d->ctl.fd);
	d->ctl.fd = -1;
	if (run_path("control", path, sizeof(path)) == 0)
		unlink(path);
}
