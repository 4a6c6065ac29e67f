/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ctx shim: the only place that knows whether a program runs at XDP or at
 * TC. Everything else in bpf/ works on struct xm_pkt (direct packet pointers
 * plus a direction) and returns an action, so it is written once for both
 * hooks, as in Cilium. The hook is chosen at compile time with _Generic on the
 * type of the program's context, so all programs live in one object.
 *
 * The direction is not the hook's: TC runs at egress (tc_egress) and, on
 * devices where XDP costs more than it saves (veth), at ingress too
 * (tc_ingress). Each program passes its direction to xm_pkt_parse(), as a
 * constant, so the verifier still prunes the other direction's code.
 *
 * Library code returns XM_ACT_PASS (0) or a negated enum xm_drop_reason;
 * ctx_verdict() turns that into XDP_* / TC_ACT_* and is the single place where
 * a packet is dropped.
 */
#ifndef XMPTCP_BPF_CTX_H
#define XMPTCP_BPF_CTX_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>

#define XM_ACT_PASS 0

static __always_inline void *xdp_data(struct xdp_md *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *xdp_data_end(struct xdp_md *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline void *skb_data(struct __sk_buff *skb)
{
	return (void *)(long)skb->data;
}

static __always_inline void *skb_data_end(struct __sk_buff *skb)
{
	return (void *)(long)skb->data_end;
}

static __always_inline __u32 xdp_ifindex(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

static __always_inline __u32 skb_ifindex(struct __sk_buff *skb)
{
	return skb->ifindex;
}

/*
 * Bytes of the packet from its first (link-layer) byte. XDP: the first buffer
 * (all there is without multi-buffer frames, which xmptcp does not enable).
 * TC: the whole skb, linear part and fragments: a GSO/GRO super-packet's
 * length, which its IP length field may not hold (BIG TCP sets it to 0).
 */
static __always_inline __u32 xdp_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

static __always_inline __u32 skb_len(struct __sk_buff *skb)
{
	return skb->len;
}

/* XDP: headers are always in the first buffer, even with multi-buffer frames. */
static __always_inline int xdp_pull(struct xdp_md *ctx, __u32 len)
{
	return 0;
}

/*
 * TC: direct packet access sees only the linear part of the skb. Locally
 * generated TCP has its headers there (at egress, and at a veth's ingress,
 * which gets the peer's skb as it was sent, TSO super-packets included), and
 * GRO pulls the headers it parsed into the linear part; but a driver that
 * builds skbs from page fragments without GRO, or a tunnel, may leave part of
 * them in a fragment. Make up to len bytes (or the whole packet when it is shorter) linear.
 * Returns 1 when more bytes became linear, so that the caller parses again,
 * 0 when nothing changed. It costs a copy (and, for the clones TCP transmits,
 * a new head), so it is only called after a parse came up short, never for
 * every packet. It invalidates every packet pointer: re-derive them.
 */
static __always_inline int skb_pull(struct __sk_buff *skb, __u32 len)
{
	__u32 linear = skb->data_end - skb->data;

	if (linear >= len || linear >= skb->len)
		return 0;
	return bpf_skb_pull_data(skb, len < skb->len ? len : skb->len) == 0;
}

#define ctx_data(ctx) \
	_Generic((ctx), struct xdp_md * : xdp_data, struct __sk_buff * : skb_data)(ctx)
#define ctx_data_end(ctx) \
	_Generic((ctx), struct xdp_md * : xdp_data_end, struct __sk_buff * : skb_data_end)(ctx)
#define ctx_ifindex(ctx) \
	_Generic((ctx), struct xdp_md * : xdp_ifindex, struct __sk_buff * : skb_ifindex)(ctx)
#define ctx_pull(ctx, len) \
	_Generic((ctx), struct xdp_md * : xdp_pull, struct __sk_buff * : skb_pull)(ctx, len)
#define ctx_len(ctx)  _Generic((ctx), struct xdp_md * : xdp_len, struct __sk_buff * : skb_len)(ctx)
#define ctx_pass(ctx) _Generic((ctx), struct xdp_md * : XDP_PASS, struct __sk_buff * : TC_ACT_OK)
#define ctx_shot(ctx) _Generic((ctx), struct xdp_md * : XDP_DROP, struct __sk_buff * : TC_ACT_SHOT)

/*
 * The one drop function. Foundation programs never drop, so nothing calls it
 * with a reason yet; when they do, a per-reason counter belongs here (it needs
 * an enum xm_stat entry per reason in abi.h first).
 */
#define ctx_drop(ctx, reason) ((void)(reason), ctx_shot(ctx))

/* Map a library action (XM_ACT_PASS or -enum xm_drop_reason) to the hook's verdict. */
#define ctx_verdict(ctx, act) ((act) >= 0 ? ctx_pass(ctx) : ctx_drop(ctx, -(act)))

#endif /* XMPTCP_BPF_CTX_H */
