// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The xmptcp datapath: xdp_ingress and tc_egress.
 *
 * Foundation stage: parse every frame down to TCP, count MPTCP options by
 * subtype, report malformed ones, and pass everything unchanged.
 *
 * Layout (by concern, as in Katran):
 *   ctx.h         the XDP/TC shim; the only hook-specific code, and the one
 *                 place that maps an action to a verdict (and drops);
 *   parsing.h     bounds-checked cursor helpers (Ethernet/VLAN, IPv4, IPv6, TCP);
 *   pkt.h         struct xm_pkt and the L2-L4 parse;
 *   maps.h        xm_stats, xm_events and the counter helpers;
 *   mptcp_scan.h  options copy, the codec walk, malformed-option events.
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

static __always_inline int xm_process(struct xm_pkt *p, enum xm_parse_res res)
{
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
	xm_scan_mptcp(p);
	return XM_ACT_PASS;
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	struct xm_pkt pkt;
	enum xm_parse_res res = xm_pkt_parse(ctx, &pkt);

	return ctx_verdict(ctx, xm_process(&pkt, res));
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct xm_pkt pkt;
	enum xm_parse_res res = xm_pkt_parse(skb, &pkt);

	return ctx_verdict(skb, xm_process(&pkt, res));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
