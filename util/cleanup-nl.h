/* Scope-bound release of libnl messages, sockets and route links. */
#ifndef VFMGR_UTIL_CLEANUP_NL_H
#define VFMGR_UTIL_CLEANUP_NL_H

#include "util/cleanup.h"

#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

DEFINE_POINTER_CLEANUP(struct nl_msg, nlmsg_free)
DEFINE_POINTER_CLEANUP(struct nl_sock, nl_socket_free)
DEFINE_POINTER_CLEANUP(struct rtnl_link, rtnl_link_put)
#define _cleanup_nlmsg_     _cleanup_(nlmsg_freep)
#define _cleanup_nl_sock_   _cleanup_(nl_socket_freep)
#define _cleanup_rtnl_link_ _cleanup_(rtnl_link_putp)

#endif
