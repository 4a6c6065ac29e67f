// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink.h"

/* Dumps of many links need more than MNL_SOCKET_BUFFER_SIZE per read. */
#define XM_NL_BUFSIZE 32768
#define XM_NL_REQSIZE 256

struct link_walk {
	xm_link_cb cb;
	void *data;
	int r;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* The device's kind from IFLA_LINKINFO / IFLA_INFO_KIND (only virtual devices have one). */
static void link_kind(const struct nlattr *linkinfo, char *kind, size_t size)
{
	const struct nlattr *info[IFLA_INFO_MAX + 1] = {};

	if (!linkinfo || mnl_attr_parse_nested(linkinfo, linkinfo_attr_cb, info) < 0 ||
	    !info[IFLA_INFO_KIND] || mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_STRING) < 0)
		return;
	snprintf(kind, size, "%s", mnl_attr_get_str(info[IFLA_INFO_KIND]));
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *tb[IFLA_MAX + 1] = {};
	struct link_walk *w = data;
	struct ifinfomsg *ifm;
	struct xm_link link = {};
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	ifm = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, tb);
	link.ifindex = ifm->ifi_index;
	link.flags = ifm->ifi_flags;
	link.deleted = nlh->nlmsg_type == RTM_DELLINK;
	if (tb[IFLA_IFNAME])
		snprintf(link.name, sizeof(link.name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	link_kind(tb[IFLA_LINKINFO], link.kind, sizeof(link.kind));
	r = w->cb(&link, w->data);
	if (r < 0) {
		w->r = r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int xm_nl_monitor_open(struct mnl_socket **ret)
{
	struct mnl_socket *nl;
	int r;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

void xm_nl_close(struct mnl_socket *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

int xm_nl_fd(struct mnl_socket *nl)
{
	return mnl_socket_get_fd(nl);
}

int xm_nl_monitor_read(struct mnl_socket *nl, xm_link_cb cb, void *data)
{
	static char buf[XM_NL_BUFSIZE];
	struct link_walk w = {.cb = cb, .data = data};
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (mnl_cb_run(buf, n, 0, 0, link_msg_cb, &w) < 0)
			return w.r < 0 ? w.r : -errno;
	}
}

/* Send a dump request on a fresh socket and run cb over every reply. */
static int nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, const int *cb_err)
{
	static char buf[XM_NL_BUFSIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	ssize_t n;
	int r = 0;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = nlh->nlmsg_seq = time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? (*cb_err < 0 ? *cb_err : -errno) : 0;
			break;
		}
	}
out:
	mnl_socket_close(nl);
	return r;
}

int xm_nl_link_dump(xm_link_cb cb, void *data)
{
	char req[XM_NL_REQSIZE];
	struct link_walk w = {.cb = cb, .data = data};
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	return nl_dump(nlh, link_msg_cb, &w, &w.r);
}

struct filter_count {
	int count;
	int r;
};

static int filter_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct filter_count *fc = data;
	struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

	/*
	 * The dump is already limited to parent. The kernel also sends one message per
	 * priority/protocol with no handle, which is not a filter: skip those.
	 */
	if (nlh->nlmsg_type == RTM_NEWTFILTER && tcm->tcm_handle)
		fc->count++;
	return MNL_CB_OK;
}

int xm_nl_tc_filter_count(int ifindex, unsigned int parent)
{
	char req[XM_NL_REQSIZE];
	struct filter_count fc = {};
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	int r;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	r = nl_dump(nlh, filter_msg_cb, &fc, &fc.r);
	return r < 0 ? r : fc.count;
}
