/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* rtnetlink through libmnl: list and follow links, count tc filters. */
#ifndef XMPTCP_LIB_NETLINK_H
#define XMPTCP_LIB_NETLINK_H

#include <stdbool.h>

struct mnl_socket;

struct xm_link {
	int ifindex;
	char name[16];	    /* IFNAMSIZ; <net/if.h> and <linux/if.h> cannot both be included */
	unsigned int flags; /* IFF_* */
	char kind[16];	    /* IFLA_INFO_KIND ("veth", "bridge", ...); "" for a physical NIC */
	bool deleted;	    /* RTM_DELLINK */
};

/* Called once per link; a negative return stops the walk and is returned. */
typedef int (*xm_link_cb)(const struct xm_link *link, void *data);

/*
 * Open a non-blocking rtnetlink socket subscribed to RTMGRP_LINK. Returns 0 or
 * a negative errno.
 */
int xm_nl_monitor_open(struct mnl_socket **ret);
void xm_nl_close(struct mnl_socket *nl);
int xm_nl_fd(struct mnl_socket *nl);

/*
 * Read the link notifications queued on a monitor socket and call cb for each.
 * Returns 0 once the socket is drained, -ENOBUFS when the kernel dropped
 * notifications (the caller must resynchronise with xm_nl_link_dump()), or
 * another negative errno.
 */
int xm_nl_monitor_read(struct mnl_socket *nl, xm_link_cb cb, void *data);

/* Call cb for every link of the current network namespace. */
int xm_nl_link_dump(xm_link_cb cb, void *data);

/*
 * Count the tc filters attached under parent (e.g. the clsact egress or ingress
 * hook) of ifindex. Returns the count or a negative errno.
 */
int xm_nl_tc_filter_count(int ifindex, unsigned int parent);

#endif
