/* VF settings over rtnetlink: one RTM_GETLINK per PF to read them all, one RTM_SETLINK per 512
 * VFs of a PF to write them (one message for every PF the lab or a real NIC has). */
#ifndef SRIOV_VFNL_H
#define SRIOV_VFNL_H

#include "sriov/vfcfg.h"

#include <stdbool.h>
#include <stddef.h>

struct vfnl;

/* What one RTM_GETLINK told about a PF's VFs. */
struct pf_vfs {
	unsigned num_vf;       /* IFLA_NUM_VF */
	unsigned n_read;       /* entries read whole */
	struct vf_config *vfs; /* num_vf entries, by VF index */
	bool *readable;        /* num_vf flags: false = lost to a truncated list */
};

struct vf_write {
	struct vf_config cfg;
	unsigned attrs; /* enum vf_attr groups to send */
};

/* The kernel answers an rtnetlink request inside the sendmsg that carries it, so once it is
 * sent the reply is queued already (a dump's next part comes while reading). No reply within
 * this bound is a lost one: the read ends with -ETIMEDOUT instead of waiting for ever. What
 * cannot be bounded here is the wait for the RTNL lock inside sendmsg (or a dump's recvmsg),
 * an uninterruptible sleep in the kernel. */
#define VFNL_RECV_TIMEOUT_MS 10000

struct nl_sock;
/* Sets SO_RCVTIMEO on a libnl socket. 0 or -errno. */
int vfnl_set_recv_timeout(struct nl_sock *sk, unsigned ms);
/* Receives and handles the reply to what was just sent: 0, -ETIMEDOUT when nothing came within
 * the socket's receive timeout, or -EIO. */
int vfnl_recv_reply(struct nl_sock *sk);

/* A route netlink socket with the receive timeout above. */
int vfnl_open(struct vfnl **ret);
void vfnl_close(struct vfnl *nl);
void pf_vfs_free(struct pf_vfs *p);

/* Reads every VF of the PF with ifindex. Past the kernel's 64 KiB nest limit the VF list is
 * cut short; the VFs that could not be read are marked unreadable, never guessed. */
int vfnl_read(struct vfnl *nl, int ifindex, struct pf_vfs *out);
/* Sends the writes in one RTM_SETLINK per 512 VFs. Returns 0 or the kernel's -errno; the kernel
 * stops at the first failing VF attribute without saying which, so callers read back to find it. */
int vfnl_write(struct vfnl *nl, int ifindex, const struct vf_write *w, size_t n);
/* Each reply is taken only for its own request (its sequence number, and for a read its PF's
 * ifindex): a reply that comes after its request timed out is skipped. For tests: sends a
 * read request for ifindex and leaves its reply unread, as a request that timed out would. */
void vfnl_test_send_stale(struct vfnl *nl, int ifindex);
/* RTM_SETLINK messages sent by this process (for "converged means zero writes"). */
unsigned long vfnl_setlink_count(void);

#endif
