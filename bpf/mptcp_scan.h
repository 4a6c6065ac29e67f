/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * MPTCP option scanning: copy a segment's TCP options area into a struct
 * xm_optbuf, walk it with the shared codec (include/xmptcp/mptcp_opt.h), count
 * every MPTCP option by subtype, and report malformed ones to the daemon.
 *
 * Why copy: the codec is the very code the daemon runs, so it works on a
 * fixed 64-byte buffer, never on packet pointers. Its accesses are masked
 * with XM_OPTBUF_IDX, which the verifier can check whatever the option
 * lengths in the packet say.
 *
 * Why bpf_loop and a scratch map: a segment carries up to 20 options (every
 * option other than NOP and EOL is at least 2 bytes, in at most 40;
 * XM_TCPOPT_WALK_MAX is 21 so that the last step sees the end). Inlining the
 * codec 20 times, or a plain loop whose every iteration forks on the subtype,
 * makes verifier work grow with (codec paths) ^ (options). With bpf_loop the
 * per-option step is one subprogram. Its state (struct xm_scan) lives in a
 * per-CPU map value, not on the stack, on purpose: since Linux 6.7 the
 * verifier checks a bpf_loop callback again for every distinct state it can be
 * entered with, and scalars kept on the caller's stack (the walk offset, the
 * counters) stay precise and differ at every step, so the states never
 * converge (measured: over 1M instructions, rejected). Scalars read from a map
 * value are unknown to the verifier, so every step starts from the same state
 * and the callback is checked about once, on old kernels and new. The walk is
 * also a global function (xm_scan_walk), so that it is checked once per
 * program rather than once per parse path of the caller. Result: about 19k
 * instructions processed per program instead of a rejection.
 * The step touches only the scratch value and the counters, never the packet.
 */
#ifndef XMPTCP_BPF_MPTCP_SCAN_H
#define XMPTCP_BPF_MPTCP_SCAN_H

#include <xmptcp/mptcp_opt.h>

#include "maps.h"
#include "pkt.h"

/* Internal scratch, not ABI: nothing outside this object reads it. */
/* Options that carry a DSS checksum field (RFC 8684 §3.3.1). */
enum xm_scan_csum {
	XM_SCAN_CSUM_NONE = 0,
	XM_SCAN_CSUM_DSS = 1, /* a DSS mapping with a checksum */
	XM_SCAN_CSUM_MPC = 2, /* MP_CAPABLE with data and a checksum (24 bytes) */
};

struct xm_scan {
	struct xm_optbuf ob;	 /* the options area, copied from the packet */
	struct xm_mptcp_opt opt; /* the codec's output for the option at hand */
	__u32 off;		 /* where the next step starts in ob */
	__u32 stat_base;	 /* 0 for RX counters, XM_STAT_DIR_STRIDE for TX */
	__u8 n_mptcp;		 /* MPTCP options seen, valid or not */
	__u8 n_bad;		 /* malformed MPTCP options */
	__u8 bad_off;		 /* the first malformed option's offset in ob */
	__u8 bad_err;		 /* and its enum xm_opt_err */
	__u32 cur;		 /* the option at hand's offset, stored to be reloaded */
	__u8 has_dss;		 /* the segment carried a valid DSS, copied to dss */
	__u8 csum_kind;		 /* which option holds a mapping checksum: enum xm_scan_csum */
	__u8 csum_opt_off;	 /* and its offset in ob */
	__u8 csum_opt_len;	 /* and its length */
	__u16 mpc_data_len;	 /* MP_CAPABLE with data: its data-level length */
	__u8 has_mpc;		 /* the segment carried a valid MP_CAPABLE */
	__u8 sack_off;		 /* the SACK option's offset in ob, when sack_len != 0 */
	__u8 sack_len;		 /* and its length (egress translates its edges: meta.h) */
	__u8 has_ts;		 /* a timestamps option (10 bytes) at ts_off */
	__u8 ts_off;
	__u8 n_other;		 /* options other than NOP, EOL, timestamps, SACK and MPTCP */
	__u8 pad3[4];
	struct xm_opt_dss dss;	 /* for the meta subflow's DATA_FIN and checksums (meta.h) */
};

/*
 * One slot per direction (key enum xm_dir): a program never nests inside
 * another of the same type on one CPU, and XDP (NAPI softirq) and TC egress
 * (bottom halves disabled) do not nest in each other either; separate slots
 * keep that true even where that reasoning fails (PREEMPT_RT).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct xm_scan);
} xm_scratch SEC(".maps");

/*
 * Copy the options area (tcp_hlen - 20 bytes, a multiple of 4, at most 40)
 * into ob. Word by word, each word checked against data_end: parse_tcphdr
 * proved the whole header is in the packet, but with a variable length the
 * verifier cannot carry that proof to each access. The loop is unrolled, so
 * every access is at a constant offset from the options pointer.
 * Returns 0, or -1 when the packet is shorter than the header said (not
 * possible after parse_tcphdr, kept for the verifier).
 */
typedef __u32 __attribute__((may_alias, aligned(1))) xm_u32_unaligned;

static __always_inline int xm_opts_load(const struct xm_pkt *p, struct xm_optbuf *ob)
{
	__u8 *opts = (__u8 *)(p->tcp + 1);
	__u32 len = p->tcp_hlen - sizeof(struct tcphdr);
	int i;

	if (len > XM_TCP_OPTS_MAX)
		return -1;
	ob->len = len;
#pragma unroll
	for (i = 0; i < XM_TCP_OPTS_MAX / 4; i++) {
		if ((__u32)i * 4 >= len)
			break;
		if ((void *)(opts + i * 4 + 4) > p->data_end)
			return -1;
		*(__u32 *)&ob->b[i * 4] = *(xm_u32_unaligned *)(opts + i * 4);
	}
	return 0;
}

/*
 * The offset of the first option at or after off that is not a NOP: where
 * xm_tcpopt_next() gave up when it returns an error (it does not say where).
 */
static __always_inline __u32 xm_skip_nops(const struct xm_optbuf *ob, __u32 off)
{
	int i;

	for (i = 0; i < XM_TCP_OPTS_MAX; i++) {
		if (off >= ob->len || xm_ob_u8(ob, off) != XM_TCPOPT_NOP)
			break;
		off++;
	}
	return off;
}

static __always_inline void xm_scan_bad(struct xm_scan *s, __u32 off, int err)
{
	xm_count(s->stat_base + XM_STAT_RX_OPT_MALFORMED);
	if (!s->n_bad) {
		s->bad_off = off;
		s->bad_err = err;
	}
	s->n_bad++;
}

/*
 * One step of the walk: find the next option, and if it is MPTCP parse and
 * count it. Returns 0 to go on, 1 to stop (bpf_loop's convention).
 * The walk ends: s->off only moves forward (to an offset the codec returned
 * below ob.len, plus that option's length, at least 2) and stops at ob.len.
 * The verifier relies on none of this: s->off comes from the map, so it is
 * unknown to it, and the codec masks every access into ob.
 */
static int xm_scan_step(__u32 idx, void *data)
{
	struct xm_scan *s = bpf_map_lookup_elem(&xm_scratch, data);
	__u8 kind = 0, len = 0;
	int off, ret;

	if (!s)
		return 1;
	if (s->off >= s->ob.len)
		return 1;
	off = xm_tcpopt_next(&s->ob, s->off, &kind, &len);
	if (off < 0) {
		/*
		 * The options area is broken from here on (an option's length
		 * byte is missing, below 2, or runs past the end), so nothing
		 * after it can be trusted. Only an MPTCP option is ours to
		 * report; the codec does not say which option it was.
		 */
		__u32 bad = xm_skip_nops(&s->ob, s->off);

		if (xm_ob_u8(&s->ob, bad) == XM_TCPOPT_MPTCP) {
			s->n_mptcp++;
			xm_scan_bad(s, bad, -off);
		}
		return 1;
	}
	if ((__u32)off >= s->ob.len || len == 0)
		return 1;
	s->off = off + len;
	if (kind == XM_TCPOPT_SACK) {
		s->sack_off = off;
		s->sack_len = len;
	} else if (kind == XM_TCPOPT_TS && len == 10) {
		s->has_ts = 1;
		s->ts_off = off;
	} else if (kind != XM_TCPOPT_MPTCP) {
		s->n_other++;
	}
	if (kind != XM_TCPOPT_MPTCP)
		return 0;

	/*
	 * Store the offset and load it back through a volatile read. The
	 * verifier knows a different range for off on every path through
	 * xm_tcpopt_next() (one per number of NOPs skipped), and would check
	 * the whole parser once per path (measured: 66k instructions instead
	 * of 5k). A value loaded from a map is unknown to it, so all those
	 * paths reach the parser in one state. The parser masks every access
	 * and checks off against ob.len itself, so nothing is lost.
	 */
	s->cur = off;
	off = *(volatile __u32 *)&s->cur;

	s->n_mptcp++;
	ret = xm_mptcp_opt_parse(&s->ob, off, &s->opt);
	if (ret > 0 && s->opt.subtype <= XM_MPTCP_MP_TCPRST)
		xm_count(s->stat_base + XM_STAT_RX_OPT_MP_CAPABLE + s->opt.subtype);
	else if (ret == -XM_OPT_E_SUBTYPE || ret > 0)
		xm_count(s->stat_base + XM_STAT_RX_OPT_UNKNOWN);
	else
		xm_scan_bad(s, off, -ret);
	if (ret > 0 && s->opt.subtype == XM_MPTCP_DSS) {
		s->dss = s->opt.dss;
		s->has_dss = 1;
		if ((s->dss.flags & XM_DSS_FLAG_M) && s->dss.has_csum) {
			s->csum_kind = XM_SCAN_CSUM_DSS;
			s->csum_opt_off = off;
			s->csum_opt_len = ret;
		}
	}
	if (ret > 0 && s->opt.subtype == XM_MPTCP_MP_CAPABLE)
		s->has_mpc = 1;
	if (ret > 0 && s->opt.subtype == XM_MPTCP_MP_CAPABLE && s->opt.mpc.has_csum) {
		s->csum_kind = XM_SCAN_CSUM_MPC;
		s->csum_opt_off = off;
		s->csum_opt_len = ret;
		s->mpc_data_len = s->opt.mpc.data_len;
	}
	return 0;
}

/* Sample a malformed option for the daemon: addresses, ports, the whole options area. */
static __always_inline void xm_emit_malformed(const struct xm_pkt *p, const struct xm_scan *s)
{
	struct xm_ev_opt_malformed *ev;

	ev = bpf_ringbuf_reserve(&xm_events, sizeof(*ev), 0);
	if (!ev) {
		xm_count(XM_STAT_EVENTS_LOST);
		return;
	}
	/* Ring-buffer memory is recycled: write every byte, pads included. */
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = XM_EV_OPT_MALFORMED;
	ev->hdr.len = sizeof(*ev);
	ev->hdr.ifindex = p->ifindex;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->dir = p->dir;
	ev->opt_off = s->bad_off;
	ev->opts_len = s->ob.len;
	ev->error = s->bad_err;
	ev->ip_ver = p->ip_ver;
	ev->sport = p->tcp->source;
	ev->dport = p->tcp->dest;
	if (p->ip_ver == 4) {
		__builtin_memcpy(ev->saddr, &p->ip4->saddr, 4);
		__builtin_memcpy(ev->daddr, &p->ip4->daddr, 4);
	} else {
		__builtin_memcpy(ev->saddr, &p->ip6->saddr, 16);
		__builtin_memcpy(ev->daddr, &p->ip6->daddr, 16);
	}
	__builtin_memcpy(ev->opts, s->ob.b, XM_TCP_OPTS_MAX);
	bpf_ringbuf_submit(ev, 0);
}

/*
 * Walk the options area in slot `key` of xm_scratch. A global (non-static,
 * noinline) function on purpose: the verifier checks a global function once,
 * on its own, from its argument types. A static one, and the bpf_loop callback
 * inside it, would be checked again for every distinct state of the caller,
 * and the caller has one per parse path (VLAN or not, IPv4 with any IHL, IPv6
 * with 0..3 extension headers...): measured 754k instructions for both
 * programs that way. The key is a plain scalar argument for the same reason.
 * Returns 0 (the result is in the slot).
 */
__attribute__((noinline)) int xm_scan_walk(__u32 key)
{
	/* bpf_loop wants its callback context on the stack. */
	__u32 k = key;

	bpf_loop(XM_TCPOPT_WALK_MAX, xm_scan_step, &k, 0);
	return 0;
}

/*
 * Count the MPTCP options of the TCP segment p. One event per segment, for
 * its first malformed option: the event carries the whole options area, so
 * later bad options in the same segment are visible in it too.
 */
/*
 * Scan the segment's options; returns the scratch slot with what was found
 * (valid until the next segment on this CPU), or NULL when the segment has
 * no options area to scan.
 */
static __always_inline const struct xm_scan *xm_scan_mptcp(const struct xm_pkt *p)
{
	__u32 key = p->dir;
	struct xm_scan *s;

	s = bpf_map_lookup_elem(&xm_scratch, &key);
	if (!s)
		return NULL;
	/*
	 * The slot holds the previous segment's bytes: clear what the event
	 * copies out, so that bytes past opts_len are zero, not stale.
	 */
	__builtin_memset(s, 0, sizeof(*s));
	s->stat_base = p->dir == XM_DIR_TX ? XM_STAT_DIR_STRIDE : 0;
	if (xm_opts_load(p, &s->ob) < 0) {
		xm_count(s->stat_base + XM_STAT_RX_NOT_PARSED);
		return NULL;
	}
	if (!s->ob.len)
		return NULL;

	xm_scan_walk(key);

	if (s->n_mptcp)
		xm_count(s->stat_base + XM_STAT_RX_MPTCP);
	if (s->n_bad)
		xm_emit_malformed(p, s);
	return s;
}

#endif /* XMPTCP_BPF_MPTCP_SCAN_H */
