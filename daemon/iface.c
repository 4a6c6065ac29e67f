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

enum xm_ingress_mode xm_ingress_pick(enum xm_ingress_mode mode, const char *kind)
{
	if (mode != XM_INGRESS_AUTO)
		return mode;
	return kind && !strcmp(kind, "veth") ? XM_INGRESS_TC : XM_INGRESS_XDP;
}

const char *xm_ingress_name(enum xm_ingress_mode mode)
{
	switch (mode) {
	case XM_INGRESS_AUTO:
		return "auto";
	case XM_INGRESS_XDP:
		return "xdp";
	case XM_INGRESS_TC:
		return "tc";
	}
	return "?";
}

int xm_ingress_parse(const char *s, enum xm_ingress_mode *mode)
{
	static const enum xm_ingress_mode all[] = {XM_INGRESS_AUTO, XM_INGRESS_XDP, XM_INGRESS_TC};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, xm_ingress_name(all[i]))) {
			*mode = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Our programs on tc, per clsact hook: the attach point and the program's name. */
struct tc_side {
	enum bpf_tc_attach_point point;
	const char *prog_name;
};

static const struct tc_side tc_egress_side = {BPF_TC_EGRESS, "tc_egress"};
static const struct tc_side tc_ingress_side = {BPF_TC_INGRESS, "tc_ingress"};

/*
 * Is the filter at our handle/priority on this hook one of our programs of
 * that name, left by an xmptcpd that was killed? Only one daemon runs per
 * namespace (it holds the control socket), so such a filter has no owner and
 * may be replaced or removed.
 */
static bool tc_is_stale(const struct bpf_tc_hook *hook, const char *prog_name)
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
	stale = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && !strcmp(info.name, prog_name);
	close(fd);
	return stale;
}

/* clsact serves both hooks: create it once, remember whether we did. */
static int tc_hook_ensure(struct xm_iface *ifc)
{
	struct bpf_tc_hook hook;
	int r;

	tc_hook_init(&hook, ifc->ifindex, BPF_TC_EGRESS);
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return r;
	if (r == 0)
		ifc->tc_hook_created = true;
	return 0;
}

/* Attach prog_fd at our handle/priority on one side; *stale: replaced a dead daemon's. */
static int tc_filter_attach(struct xm_iface *ifc, const struct tc_side *side, int prog_fd,
			    bool *stale)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r;

	tc_hook_init(&hook, ifc->ifindex, side->point);
	tc_opts_init(&opts);
	opts.prog_fd = prog_fd;
	/* No BPF_TC_F_REPLACE: a filter of someone else's at our handle/priority is an error. */
	r = bpf_tc_attach(&hook, &opts);
	if (r == -EEXIST && tc_is_stale(&hook, side->prog_name)) {
		*stale = true;
		opts.flags = BPF_TC_F_REPLACE;
		opts.prog_id = 0;
		r = bpf_tc_attach(&hook, &opts);
	}
	return r;
}

static int tc_filter_detach(struct xm_iface *ifc, const struct tc_side *side)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r;

	tc_hook_init(&hook, ifc->ifindex, side->point);
	tc_opts_init(&opts);
	r = bpf_tc_detach(&hook, &opts);
	/* Already gone (tc filter del by someone, or the qdisc removed): fine. */
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

/*
 * With XDP for ingress, a tc_ingress a killed daemon left on the interface
 * would run too, with the dead daemon's maps: remove it. Someone else's
 * filter at our handle stays (it is not ours to remove).
 */
static void tc_ingress_remove_stale(struct xm_iface *ifc)
{
	struct bpf_tc_hook hook;

	tc_hook_init(&hook, ifc->ifindex, BPF_TC_INGRESS);
	if (tc_is_stale(&hook, tc_ingress_side.prog_name) &&
	    tc_filter_detach(ifc, &tc_ingress_side) == 0)
		ifc->tc_in_removed_stale = true;
}

int xm_iface_attach(struct xm_iface *ifc, const struct xm_iface_progs *progs,
		    enum xm_attach_step *step)
{
	int r;

	if (ifc->ingress == XM_INGRESS_XDP) {
		*step = XM_STEP_XDP;
		r = xdp_attach(ifc, progs->xdp_ingress);
		if (r < 0)
			return r;
	}
	*step = XM_STEP_TC_HOOK;
	r = tc_hook_ensure(ifc);
	if (r < 0)
		goto fail;
	if (ifc->ingress == XM_INGRESS_TC) {
		*step = XM_STEP_TC_INGRESS;
		r = tc_filter_attach(ifc, &tc_ingress_side, progs->tc_ingress,
				     &ifc->tc_in_replaced_stale);
		if (r < 0)
			goto fail;
		ifc->tc_in_attached = true;
	} else {
		tc_ingress_remove_stale(ifc);
	}
	*step = XM_STEP_TC;
	r = tc_filter_attach(ifc, &tc_egress_side, progs->tc_egress, &ifc->tc_replaced_stale);
	if (r < 0)
		goto fail;
	ifc->tc_attached = true;
	return 0;
fail:
	xm_iface_detach(ifc, false);
	return r;
}

int xm_iface_detach(struct xm_iface *ifc, bool gone)
{
	int r = 0, k;

	if (!ifc)
		return 0;
	if (ifc->xdp_link_fd >= 0) {
		/* Closing our only fd to the link detaches it; harmless when the device went. */
		close(ifc->xdp_link_fd);
		ifc->xdp_link_fd = -1;
	}
	if (ifc->tc_in_attached && !gone) {
		k = tc_filter_detach(ifc, &tc_ingress_side);
		if (k < 0)
			r = k;
	}
	ifc->tc_in_attached = false;
	if (ifc->tc_attached && !gone) {
		k = tc_filter_detach(ifc, &tc_egress_side);
		if (k < 0 && !r)
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

/* The program id at our handle/priority on one clsact side, 0 for none. */
static int tc_query(const struct xm_iface *ifc, enum bpf_tc_attach_point point, __u32 *id)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int r;

	*id = 0;
	tc_hook_init(&hook, ifc->ifindex, point);
	tc_opts_init(&opts);
	r = bpf_tc_query(&hook, &opts);
	if (r == 0)
		*id = opts.prog_id;
	else if (r != -ENOENT && r != -EINVAL)
		return r;
	return 0;
}

int xm_iface_query(const struct xm_iface *ifc, struct xm_iface_state *st)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, xq);
	int r;

	memset(st, 0, sizeof(*st));
	r = bpf_xdp_query(ifc->ifindex, 0, &xq);
	if (r < 0)
		return r;
	st->xdp_native = xq.drv_prog_id != 0;
	st->xdp_prog_id = xq.drv_prog_id ? xq.drv_prog_id : xq.skb_prog_id;
	r = tc_query(ifc, BPF_TC_INGRESS, &st->tc_ingress_prog_id);
	if (r < 0)
		return r;
	return tc_query(ifc, BPF_TC_EGRESS, &st->tc_egress_prog_id);
}
