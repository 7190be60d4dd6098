#include "sriov/vfnl.h"
#include "util/cleanup-nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

struct vfnl {
	struct nl_sock *sk;
	int kernel_err; /* -errno from the last NLMSG_ERROR */
	struct pf_vfs *reading;
	int parse_err;
	/* The request waiting for its reply: its sequence number and PF, and whether the reply
	 * came. A reply to an earlier request that timed out may still come first. */
	unsigned seq;
	int ifindex;
	bool answered;
};

static unsigned long setlinks;

unsigned long vfnl_setlink_count(void)
{
	return setlinks;
}

/* Keeps the kernel's own errno: libnl's default mapping loses it (EPROTONOSUPPORT, say). */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct vfnl *nl = arg;
	(void)nla;

	nl->kernel_err = err->error;
	nl->answered = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct vfnl *nl = arg;
	(void)msg;

	nl->kernel_err = 0;
	nl->answered = true;
	return NL_STOP;
}

/* With auto-ack off libnl checks no sequence numbers: a late reply to a request that timed out
 * (another PF's read, an error for another write) would be taken for this one's. */
static int on_seq(struct nl_msg *msg, void *arg)
{
	struct vfnl *nl = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == nl->seq ? NL_OK : NL_SKIP;
}

/* Sends msg as the request for PF ifindex and reads until its own reply came (others are
 * skipped); 0, or -errno as vfnl_recv_reply. */
#define VFNL_STALE_MAX 64
static int request(struct vfnl *nl, struct nl_msg *msg, int ifindex)
{
	int r;

	if (nl_send_auto(nl->sk, msg) < 0)
		return -EIO;
	nl->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nl->ifindex = ifindex;
	nl->answered = false;
	for (unsigned i = 0; i < VFNL_STALE_MAX; i++) {
		r = vfnl_recv_reply(nl->sk);
		if (r < 0 || nl->answered)
			return r;
	}
	return -EIO;
}

void vfnl_test_send_stale(struct vfnl *nl, int ifindex)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0)
		nl_send_auto(nl->sk, msg);
}

int vfnl_set_recv_timeout(struct nl_sock *sk, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

int vfnl_recv_reply(struct nl_sock *sk)
{
	int r = nl_recvmsgs_default(sk);

	/* A blocking recvmsg that passed SO_RCVTIMEO fails with EAGAIN, which libnl reports as
	 * NLE_AGAIN. */
	if (r == -NLE_AGAIN)
		return -ETIMEDOUT;
	return r < 0 ? -EIO : 0;
}

int vfnl_open(struct vfnl **ret)
{
	struct vfnl *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		vfnl_close(nl);
		return -EIO;
	}
	/* A PF with hundreds of VFs answers with far more than a page: let libnl size its buffer
	 * from a MSG_PEEK|MSG_TRUNC read. */
	nl_socket_enable_msg_peek(nl->sk);
	r = vfnl_set_recv_timeout(nl->sk, VFNL_RECV_TIMEOUT_MS);
	if (r < 0) {
		vfnl_close(nl);
		return r;
	}
	nl_socket_disable_auto_ack(nl->sk);
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, on_error, nl);
	nl_socket_modify_cb(nl->sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, nl);
	nl_socket_modify_cb(nl->sk, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq, nl);
	*ret = nl;
	return 0;
}

void vfnl_close(struct vfnl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

void pf_vfs_free(struct pf_vfs *p)
{
	free(p->vfs);
	free(p->readable);
	memset(p, 0, sizeof(*p));
}

#define ATTR_AS(t, type) (nla_len(t) >= (int)sizeof(type) ? (const type *)nla_data(t) : NULL)

static void parse_vf_vlan(struct nlattr **t, struct vf_config *c)
{
	const struct ifla_vf_vlan *v =
	    t[IFLA_VF_VLAN] ? ATTR_AS(t[IFLA_VF_VLAN], struct ifla_vf_vlan) : NULL;

	c->proto = VF_PROTO_8021Q;
	if (v) {
		c->vlan = (uint16_t)v->vlan;
		c->qos = (uint8_t)v->qos;
	}
	/* Only the VLAN list carries the protocol (802.1ad). */
	if (t[IFLA_VF_VLAN_LIST]) {
		struct nlattr *i;
		int rem;
		nla_for_each_nested(i, t[IFLA_VF_VLAN_LIST], rem)
		{
			const struct ifla_vf_vlan_info *vi = ATTR_AS(i, struct ifla_vf_vlan_info);
			if (nla_type(i) == IFLA_VF_VLAN_INFO && vi) {
				c->vlan = (uint16_t)vi->vlan;
				c->qos = (uint8_t)vi->qos;
				c->proto = ntohs(vi->vlan_proto);
				break;
			}
		}
	}
}

/* One IFLA_VF_INFO. Returns the VF index or -1 when the entry is not whole. */
static int parse_vf_info(struct nlattr *info, struct vf_config *c)
{
	struct nlattr *t[IFLA_VF_MAX + 1];
	const struct ifla_vf_mac *mac;

	if (nla_parse_nested(t, IFLA_VF_MAX, info, NULL) < 0 || !t[IFLA_VF_MAC])
		return -1;
	mac = ATTR_AS(t[IFLA_VF_MAC], struct ifla_vf_mac);
	if (!mac)
		return -1;
	memset(c, 0, sizeof(*c));
	c->index = mac->vf;
	memcpy(c->mac, mac->mac, MAC_LEN);
	parse_vf_vlan(t, c);
	if (t[IFLA_VF_RATE]) {
		const struct ifla_vf_rate *r = ATTR_AS(t[IFLA_VF_RATE], struct ifla_vf_rate);
		if (r) {
			c->min_rate = r->min_tx_rate;
			c->max_rate = r->max_tx_rate;
		}
	}
	c->spoofchk = -1;
	if (t[IFLA_VF_SPOOFCHK]) {
		const struct ifla_vf_spoofchk *s =
		    ATTR_AS(t[IFLA_VF_SPOOFCHK], struct ifla_vf_spoofchk);
		if (s && s->setting != (__u32)-1)
			c->spoofchk = s->setting ? 1 : 0;
	}
	c->trust = -1;
	if (t[IFLA_VF_TRUST]) {
		const struct ifla_vf_trust *s = ATTR_AS(t[IFLA_VF_TRUST], struct ifla_vf_trust);
		if (s && s->setting != (__u32)-1)
			c->trust = s->setting ? 1 : 0;
	}
	if (t[IFLA_VF_LINK_STATE]) {
		const struct ifla_vf_link_state *s =
		    ATTR_AS(t[IFLA_VF_LINK_STATE], struct ifla_vf_link_state);
		if (s)
			c->link_state = (uint8_t)s->link_state;
	}
	return (int)c->index;
}

static int parse_vf_list(struct nlattr *list, struct pf_vfs *out)
{
	struct nlattr *info;
	int rem;

	nla_for_each_nested(info, list, rem)
	{
		struct vf_config c;
		int idx;

		if (nla_type(info) != IFLA_VF_INFO)
			continue;
		idx = parse_vf_info(info, &c);
		if (idx < 0 || (unsigned)idx >= out->num_vf || out->readable[idx])
			continue;
		out->vfs[idx] = c;
		out->readable[idx] = true;
		out->n_read++;
	}
	return 0;
}

static int on_link(struct nl_msg *msg, void *arg)
{
	struct vfnl *nl = arg;
	struct pf_vfs *out = nl->reading;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;
	bool have_num = false;

	if (nlh->nlmsg_type != RTM_NEWLINK || !out ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    ((struct ifinfomsg *)nlmsg_data(nlh))->ifi_index != nl->ifindex)
		return NL_SKIP;
	nl->answered = true;
	/* Walk the attributes in order instead of nlmsg_parse(): when the VF list overflows, its
	 * 16-bit length wraps and what follows it is garbage that could overwrite good attributes.
	 * IFLA_NUM_VF comes before the list; nothing after the list is needed. */
	nlmsg_for_each_attr(a, nlh, sizeof(struct ifinfomsg), rem)
	{
		if (nla_type(a) == IFLA_NUM_VF && !have_num && nla_len(a) >= 4) {
			have_num = true;
			out->num_vf = nla_get_u32(a);
			out->vfs = calloc(out->num_vf ? out->num_vf : 1, sizeof(*out->vfs));
			out->readable =
			    calloc(out->num_vf ? out->num_vf : 1, sizeof(*out->readable));
			if (!out->vfs || !out->readable) {
				nl->parse_err = -ENOMEM;
				return NL_STOP;
			}
		} else if (nla_type(a) == IFLA_VFINFO_LIST && have_num) {
			parse_vf_list(a, out);
			break;
		}
	}
	return NL_OK;
}

int vfnl_read(struct vfnl *nl, int ifindex, struct pf_vfs *out)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	_cleanup_nlmsg_ struct nl_msg *msg = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	/* SKIP_STATS halves each entry: 334 VFs fit the 64 KiB nest instead of 221. */
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	nl->reading = out;
	nl->parse_err = 0;
	nl->kernel_err = 1; /* "no answer yet" */
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, on_link, nl);
	r = request(nl, msg, ifindex);
	nl->reading = NULL;
	if (nl->parse_err < 0) {
		pf_vfs_free(out);
		return nl->parse_err;
	}
	if (nl->kernel_err < 0) {
		pf_vfs_free(out);
		return nl->kernel_err;
	}
	if (r < 0 && !out->vfs) {
		pf_vfs_free(out);
		return r;
	}
	if (!out->vfs) { /* a device without SR-IOV has no IFLA_NUM_VF */
		out->vfs = calloc(1, sizeof(*out->vfs));
		out->readable = calloc(1, sizeof(*out->readable));
		if (!out->vfs || !out->readable) {
			pf_vfs_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

static int add_vf(struct rtnl_link *link, const struct vf_write *w)
{
	struct rtnl_link_vf *vf = rtnl_link_vf_alloc();
	const struct vf_config *c = &w->cfg;
	int r = 0;

	if (!vf)
		return -ENOMEM;
	rtnl_link_vf_set_index(vf, c->index);
	if (w->attrs & VF_ATTR_MAC) {
		struct nl_addr *a = nl_addr_build(AF_LLC, c->mac, MAC_LEN);
		if (!a) {
			r = -ENOMEM;
			goto out;
		}
		rtnl_link_vf_set_addr(vf, a);
		nl_addr_put(a);
	}
	if (w->attrs & VF_ATTR_VLAN) {
		nl_vf_vlans_t *vl;
		if (rtnl_link_vf_vlan_alloc(&vl, 1) < 0) {
			r = -ENOMEM;
			goto out;
		}
		vl->vlans[0].vf_vlan = c->vlan;
		vl->vlans[0].vf_vlan_qos = c->qos;
		/* libnl sends 802.1Q (host order) as IFLA_VF_VLAN, and copies any other protocol
		 * into IFLA_VF_VLAN_LIST as given, where the kernel reads a __be16: 802.1ad must be
		 * handed over in network order, or drivers refuse it (EPROTONOSUPPORT) or, like
		 * netdevsim, store it byte-swapped. */
		uint16_t proto = c->proto ? c->proto : VF_PROTO_8021Q;
		vl->vlans[0].vf_vlan_proto = proto == VF_PROTO_8021Q ? proto : htons(proto);
		rtnl_link_vf_set_vlans(vf, vl);
		rtnl_link_vf_vlan_put(vl);
	}
	if (w->attrs & VF_ATTR_RATE) {
		/* IFLA_VF_RATE always carries min and max: the caller passes both. */
		struct nl_vf_rate rate = {.api = RTNL_LINK_VF_RATE_API_NEW,
		                          .min_tx_rate = c->min_rate,
		                          .max_tx_rate = c->max_rate};
		rtnl_link_vf_set_rate(vf, &rate);
	}
	if (w->attrs & VF_ATTR_SPOOFCHK)
		rtnl_link_vf_set_spoofchk(vf, c->spoofchk > 0);
	if (w->attrs & VF_ATTR_LINK_STATE)
		rtnl_link_vf_set_linkstate(vf, c->link_state);
	if (w->attrs & VF_ATTR_TRUST)
		rtnl_link_vf_set_trust(vf, c->trust > 0);
	r = rtnl_link_vf_add(link, vf) < 0 ? -ENOMEM : 0;
out:
	rtnl_link_vf_put(vf);
	return r;
}

/* libnl swallows failed puts (a too-small message just loses VFs): count what was built. */
static int count_built_vfs(struct nl_msg *msg)
{
	struct nlattr *list =
	    nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct ifinfomsg), IFLA_VFINFO_LIST);
	struct nlattr *i;
	int rem, n = 0;

	if (!list)
		return 0;
	nla_for_each_nested(i, list, rem) n++;
	return n;
}

static int write_chunk(struct vfnl *nl, int ifindex, const struct vf_write *w, size_t n)
{
	_cleanup_rtnl_link_ struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	_cleanup_nlmsg_ struct nl_msg *msg = NULL;
	int r = 0;

	if (!orig || !chg)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	/* libnl puts VFs in the message in reverse order of adding: add the last first so the
	 * kernel applies them by ascending index, which failure analysis relies on. */
	for (size_t i = n; i-- > 0;) {
		r = add_vf(chg, &w[i]);
		if (r < 0)
			return r;
	}
	/* libnl's default message is one page; ~120 bytes per VF with every attribute. */
	nlmsg_set_default_size(4096 + n * 160);
	if (rtnl_link_build_change_request(orig, chg, 0, &msg) < 0)
		return -ENOMEM;
	/* libnl drops what does not fit its message silently: a short list would write only
	 * some VFs, so it is refused whole (the caller names the PF). */
	if (count_built_vfs(msg) != (int)n)
		return -EMSGSIZE;
	/* The link exists: RTM_SETLINK, not libnl's RTM_NEWLINK. */
	nlmsg_hdr(msg)->nlmsg_type = RTM_SETLINK;
	nlmsg_hdr(msg)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	nl->kernel_err = 1;
	setlinks++;
	r = request(nl, msg, ifindex);
	if (nl->kernel_err <= 0)
		return nl->kernel_err;
	return r;
}

/* IFLA_VFINFO_LIST is a nest with a 16-bit length: at ~112 bytes per VF with every attribute,
 * 512 VFs is the most one message can carry. Beyond that, one message per 512 VFs. */
#define VFS_PER_MESSAGE 512

int vfnl_write(struct vfnl *nl, int ifindex, const struct vf_write *w, size_t n)
{
	for (size_t off = 0; off < n; off += VFS_PER_MESSAGE) {
		size_t k = n - off < VFS_PER_MESSAGE ? n - off : VFS_PER_MESSAGE;
		int r = write_chunk(nl, ifindex, w + off, k);
		if (r < 0)
			return r;
	}
	return 0;
}
