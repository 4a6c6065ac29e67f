/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attaching the datapath to one interface: xdp_ingress through a BPF link
 * (native mode, else generic), tc_egress as a clsact egress filter.
 */
#ifndef XMPTCPD_IFACE_H
#define XMPTCPD_IFACE_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * Our tc filter's handle and priority on clsact egress. Only this filter is
 * removed on detach. A filter added later without a priority gets 49152 and
 * runs after ours.
 */
#define XM_TC_HANDLE   0x584d /* "XM" */
#define XM_TC_PRIORITY 0x584d

struct xm_iface {
	int ifindex;
	char name[16];
	int xdp_link_fd;    /* -1 when not attached; closing it detaches */
	bool xdp_native;    /* driver mode; else generic (SKB) mode */
	int xdp_native_err; /* why native mode failed, when it did */
	bool tc_attached;
	bool tc_hook_created;	/* we created clsact, so we may remove it */
	bool tc_replaced_stale; /* replaced a tc_egress filter a killed xmptcpd left */
	bool seen;		/* present in the last link dump (resync) */
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
};

/*
 * Attach both programs. On failure nothing stays attached, *step says which
 * step failed, and a negative errno is returned.
 */
int xm_iface_attach(struct xm_iface *ifc, int xdp_prog_fd, int tc_prog_fd,
		    enum xm_attach_step *step);

/*
 * Remove what xm_iface_attach() attached: our XDP link, our tc filter, and
 * clsact if we created it and no other filter uses it. gone: the device no
 * longer exists here, so only release our handles. Returns 0 or the first
 * negative errno; it always releases everything it can.
 */
int xm_iface_detach(struct xm_iface *ifc, bool gone);

/*
 * Ask the kernel which of our programs are attached: their ids, 0 for none.
 * Returns 0 or a negative errno.
 */
int xm_iface_query(const struct xm_iface *ifc, __u32 *xdp_prog_id, __u32 *tc_prog_id,
		   bool *xdp_native);

#endif
