// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>

#include "netlink.h"
#include "iface.h"

#define TC_PARENT_INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define TC_PARENT_EGRESS  TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

/*
 * A BPF link rather than a netlink attach: the kernel detaches it when its last
 * fd closes, so even a SIGKILLed daemon leaves no XDP program behind, and it
 * refuses (EBUSY) to replace a program someone else attached.
 */
static int xdp_link(int ifindex, int prog_fd, __u32 mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

static int xdp_attach(struct xm_iface *ifc, int prog_fd)
{
	int fd;

	ifc->xdp_native_err = 0;
	fd = xdp_link(ifc->ifindex, prog_fd, XDP_FLAGS_DRV_MODE);
	if (fd >= 0) {
		ifc->xdp_link_fd = fd;
		ifc->xdp_native = true;
		return 0;
	}
	/* Someone else's program holds the hook: generic mode must not evict it either. */
	if (fd == -EBUSY || fd == -EEXIST)
		return fd;
	ifc->xdp_native_err = fd;
	fd = xdp_link(ifc->ifindex, prog_fd, XDP_FLAGS_SKB_MODE);
	if (fd < 0)
		return fd;
	ifc->xdp_link_fd = fd;
	ifc->xdp_native = false;
	return 0;
}

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex, enum bpf_tc_attach_point point)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = point;
}

static void tc_opts_init(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = XM_TC_HANDLE;
	opts->priority = XM_TC_PRIORITY;
}

/* Remove clsact only when we made it and nobody has put a filter on it since. */
static int tc_hook_release(struct xm_iface *ifc)
{
	struct bpf_tc_hook hook;
	int in, eg;

	if (!ifc->tc_hook_created)
		return 0;
	in = xm_nl_tc_filter_count(ifc->ifindex, TC_PARENT_INGRESS);
	eg = xm_nl_tc_filter_count(ifc->ifindex, TC_PARENT_EGRESS);
	if (in < 0 || eg < 0)
		return in < 0 ? in : eg;
	if (in || eg)
		return 0;
	ifc->tc_hook_created = false;
	tc_hook_init(&hook, ifc->ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);
	return bpf_tc_hook_destroy(&hook);
}

/*
 * Is the filter at our handle/priority a tc_egress left by an xmptcpd that was
 * killed? Only one daemon runs per namespace (it holds the control socket), so
 * such a filter has no owner and may be replaced.
 */
static bool tc_is_stale(const struct bpf_tc_hook *hook)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_tc_opts opts;
	bool stale;
	int fd;

	tc_opts_init(&opts);
	if (bpf_tc_query(hook, &opts) < 0 || !opts.prog_id)
		return false;
	fd = bpf_prog_get_fd_by_id(opts.prog_id);
	if (fd < 0)
		return false;
	stale = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && !strcmp(info.name, "tc_egress");
	close(fd);
	return stale;
}

static int tc_attach(struct xm_iface *ifc, int prog_fd, enum xm_attach_step *step)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r;

	tc_hook_init(&hook, ifc->ifindex, BPF_TC_EGRESS);
	*step = XM_STEP_TC_HOOK;
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return r;
	ifc->tc_hook_created = r == 0;

	*step = XM_STEP_TC;
	tc_opts_init(&opts);
	opts.prog_fd = prog_fd;
	/* No BPF_TC_F_REPLACE: a filter of someone else's at our handle/priority is an error. */
	r = bpf_tc_attach(&hook, &opts);
	if (r == -EEXIST && tc_is_stale(&hook)) {
		ifc->tc_replaced_stale = true;
		opts.flags = BPF_TC_F_REPLACE;
		opts.prog_id = 0;
		r = bpf_tc_attach(&hook, &opts);
	}
	if (r < 0) {
		tc_hook_release(ifc);
		return r;
	}
	ifc->tc_attached = true;
	return 0;
}

int xm_iface_attach(struct xm_iface *ifc, int xdp_prog_fd, int tc_prog_fd,
		    enum xm_attach_step *step)
{
	int r;

	*step = XM_STEP_XDP;
	r = xdp_attach(ifc, xdp_prog_fd);
	if (r < 0)
		return r;
	r = tc_attach(ifc, tc_prog_fd, step);
	if (r < 0) {
		close(ifc->xdp_link_fd);
		ifc->xdp_link_fd = -1;
		return r;
	}
	return 0;
}

int xm_iface_detach(struct xm_iface *ifc, bool gone)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r = 0, k;

	if (!ifc)
		return 0;
	if (ifc->xdp_link_fd >= 0) {
		/* Closing our only fd to the link detaches it; harmless when the device went. */
		close(ifc->xdp_link_fd);
		ifc->xdp_link_fd = -1;
	}
	if (ifc->tc_attached && !gone) {
		tc_hook_init(&hook, ifc->ifindex, BPF_TC_EGRESS);
		tc_opts_init(&opts);
		k = bpf_tc_detach(&hook, &opts);
		/* Already gone (tc filter del by someone, or the qdisc removed): fine. */
		if (k < 0 && k != -ENOENT && k != -EINVAL)
			r = k;
	}
	ifc->tc_attached = false;
	if (!gone) {
		k = tc_hook_release(ifc);
		if (k < 0 && k != -ENOENT && k != -EINVAL && !r)
			r = k;
	}
	ifc->tc_hook_created = false;
	return r;
}

int xm_iface_query(const struct xm_iface *ifc, __u32 *xdp_prog_id, __u32 *tc_prog_id,
		   bool *xdp_native)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, xq);
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r;

	*xdp_prog_id = 0;
	*tc_prog_id = 0;
	r = bpf_xdp_query(ifc->ifindex, 0, &xq);
	if (r < 0)
		return r;
	*xdp_native = xq.drv_prog_id != 0;
	*xdp_prog_id = xq.drv_prog_id ? xq.drv_prog_id : xq.skb_prog_id;

	tc_hook_init(&hook, ifc->ifindex, BPF_TC_EGRESS);
	tc_opts_init(&opts);
	r = bpf_tc_query(&hook, &opts);
	if (r == 0)
		*tc_prog_id = opts.prog_id;
	else if (r != -ENOENT && r != -EINVAL)
		return r;
	return 0;
}
