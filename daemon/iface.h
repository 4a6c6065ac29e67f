/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attaching the datapath to one interface: the ingress pipeline either as
 * xdp_ingress through a BPF link (native mode, else generic) or as
 * tc_ingress, a clsact ingress filter; tc_egress as a clsact egress filter.
 */
#ifndef XMPTCPD_IFACE_H
#define XMPTCPD_IFACE_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * Our tc filters' handle and priority, on clsact egress and (tc_ingress) on
 * clsact ingress. Only these filters are removed on detach. A filter added
 * later without a priority gets 49152 and runs after ours.
 */
#define XM_TC_HANDLE   0x584d /* "XM" */
#define XM_TC_PRIORITY 0x584d

/* xmptcpd --ingress: which hook runs the ingress pipeline. */
enum xm_ingress_mode {
	XM_INGRESS_AUTO = 0, /* TC on veth, XDP elsewhere: xm_ingress_pick() */
	XM_INGRESS_XDP,
	XM_INGRESS_TC,
};

/*
 * The hook for a device of rtnetlink kind kind (IFLA_INFO_KIND; "" for a
 * physical NIC): XM_INGRESS_XDP or XM_INGRESS_TC, never AUTO. On veth an XDP
 * program makes the peer give up TSO and veth run every frame through its
 * XDP path (linear frames, no GRO), which costs far more than our work; TC
 * ingress sees the peer's TSO skbs whole. On a real NIC XDP runs before any
 * skb exists and takes nothing away.
 */
enum xm_ingress_mode xm_ingress_pick(enum xm_ingress_mode mode, const char *kind);

/* "xdp", "tc" or "auto"; and back (returns -EINVAL for anything else). */
const char *xm_ingress_name(enum xm_ingress_mode mode);
int xm_ingress_parse(const char *s, enum xm_ingress_mode *mode);

struct xm_iface {
	int ifindex;
	char name[16];
	char kind[16];		      /* rtnetlink IFLA_INFO_KIND ("veth"), "" when none */
	enum xm_ingress_mode ingress; /* the hook chosen: XM_INGRESS_XDP or XM_INGRESS_TC */
	int xdp_link_fd;	      /* -1 when not attached; closing it detaches */
	bool xdp_native;	      /* driver mode; else generic (SKB) mode */
	int xdp_native_err;	      /* why native mode failed, when it did */
	bool tc_attached;
	bool tc_in_attached;	   /* tc_ingress on clsact ingress */
	bool tc_hook_created;	   /* we created clsact, so we may remove it */
	bool tc_replaced_stale;	   /* replaced a tc_egress filter a killed xmptcpd left */
	bool tc_in_replaced_stale; /* replaced a tc_ingress filter a killed xmptcpd left */
	bool tc_in_removed_stale;  /* removed one that XDP now replaces (--ingress xdp) */
	bool seen;		   /* present in the last link dump (resync) */
	/*
	 * Attaching failed: kept so that status shows it and so that the link's own
	 * notifications do not make us retry (and log) in a loop. Cleared only when
	 * the link goes away.
	 */
	char error[160];
	struct xm_iface *next;
};

/* Which step of xm_iface_attach() failed, for the caller's log line. */
enum xm_attach_step {
	XM_STEP_XDP,
	XM_STEP_TC_HOOK,
	XM_STEP_TC,
	XM_STEP_TC_INGRESS,
};

/* The program fds xm_iface_attach() needs. */
struct xm_iface_progs {
	int xdp_ingress;
	int tc_ingress;
	int tc_egress;
};

/*
 * Attach the ingress program of ifc->ingress (XM_INGRESS_XDP or
 * XM_INGRESS_TC) and tc_egress. On failure nothing stays attached, *step
 * says which step failed, and a negative errno is returned.
 */
int xm_iface_attach(struct xm_iface *ifc, const struct xm_iface_progs *progs,
		    enum xm_attach_step *step);

/*
 * Remove what xm_iface_attach() attached: our XDP link, our tc filters, and
 * clsact if we created it and no other filter uses it. gone: the device no
 * longer exists here, so only release our handles. Returns 0 or the first
 * negative errno; it always releases everything it can.
 */
int xm_iface_detach(struct xm_iface *ifc, bool gone);

/* What the kernel reports attached to an interface: program ids, 0 for none. */
struct xm_iface_state {
	__u32 xdp_prog_id;	  /* the XDP program, whoever attached it */
	bool xdp_native;	  /* it runs in driver mode */
	__u32 tc_ingress_prog_id; /* the filter at our handle/priority on clsact ingress */
	__u32 tc_egress_prog_id;  /* the same on clsact egress */
};

/* Ask the kernel what is attached now. Returns 0 or a negative errno. */
int xm_iface_query(const struct xm_iface *ifc, struct xm_iface_state *st);

#endif
