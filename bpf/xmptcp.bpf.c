// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The xmptcp datapath: xdp_ingress, tc_ingress, tc_egress and sockops_mptcp.
 *
 * xdp_ingress and tc_ingress are the same ingress pipeline at two hooks;
 * xmptcpd attaches one of them per interface (xmptcpd --ingress): XDP on
 * real NICs, TC (clsact ingress) on veth, where an XDP program makes the
 * peer give up TSO and veth run every frame through its XDP path, and where
 * TC sees the peer's TSO super-packets whole.
 *
 * Every frame is parsed down to TCP and its MPTCP options are counted and
 * checked. Single-path MPTCP lives on the application's own socket: the
 * sockops program writes MP_CAPABLE and DSS options (sockops.h), and XDP and
 * TC do the little a socket option cannot (meta.h). Nothing is dropped yet.
 *
 * Layout (by concern, as in Katran):
 *   ctx.h         the XDP/TC shim; the only hook-specific code, and the one
 *                 place that maps an action to a verdict (and drops); the
 *                 direction is each program's (xm_pkt_parse());
 *   parsing.h     bounds-checked cursor helpers (Ethernet/VLAN, IPv4, IPv6, TCP);
 *   pkt.h         struct xm_pkt and the L2-L4 parse;
 *   maps.h        xm_stats, xm_events and the counter helpers;
 *   mptcp_scan.h  options copy, the codec walk, malformed-option events;
 *   sockops.h     MPTCP handshake and DSS on the meta socket;
 *   meta.h        the peer's DATA_FIN at ingress, and what it implies at egress.
 * xm_process() below is the hook-independent pipeline: it returns XM_ACT_PASS
 * or a negated enum xm_drop_reason. The rewriting stage (DSS mapping, subflow
 * rewrite, NOPing options at ingress, dropping virtual-subflow packets) slots
 * in after xm_scan_mptcp() with the same xm_pkt, through direct packet writes
 * and bpf_csum_diff, which both hooks have.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>

#include "ctx.h"
#include "maps.h"
#include "pkt.h"
#include "mptcp_scan.h"
#include "meta.h"
#include "sockops.h"

/* *scan gets what xm_scan_mptcp() found in the segment's options, or NULL. */
static __always_inline int xm_process(struct xm_pkt *p, enum xm_parse_res res,
				      const struct xm_scan **scan)
{
	const struct xm_scan *s;

	*scan = NULL;
	xm_count_dir(p->dir, XM_STAT_RX_PACKETS);

	switch (res) {
	case XM_PARSE_TCP:
		break;
	case XM_PARSE_BAD:
		xm_count_dir(p->dir, XM_STAT_RX_NOT_PARSED);
		return XM_ACT_PASS;
	default:
		return XM_ACT_PASS;
	}

	xm_count_dir(p->dir, XM_STAT_RX_TCP);
	s = xm_scan_mptcp(p);
	*scan = s;
	if (p->dir == XM_DIR_RX)
		xm_meta_ingress(p, s);
	return XM_ACT_PASS;
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	struct xm_pkt pkt;
	enum xm_parse_res res = xm_pkt_parse(ctx, &pkt, XM_DIR_RX);
	const struct xm_scan *scan;

	return ctx_verdict(ctx, xm_process(&pkt, res, &scan));
}

/*
 * The ingress pipeline of xdp_ingress, at clsact ingress: the same
 * xm_process() on the skb, RX counters, RX scratch slot (XDP and TC ingress
 * never nest: both run in the receive softirq, one packet after the other,
 * and only one of them is attached to an interface). Never drops.
 */
SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	struct xm_pkt pkt;
	enum xm_parse_res res = xm_pkt_parse(skb, &pkt, XM_DIR_RX);
	const struct xm_scan *scan;

	return ctx_verdict(skb, xm_process(&pkt, res, &scan));
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct xm_pkt pkt;
	enum xm_parse_res res = xm_pkt_parse(skb, &pkt, XM_DIR_TX);
	const struct xm_scan *scan;
	int act = xm_process(&pkt, res, &scan);

	if (act == XM_ACT_PASS && res == XM_PARSE_TCP)
		xm_meta_egress(skb, &pkt, scan);
	return ctx_verdict(skb, act);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
