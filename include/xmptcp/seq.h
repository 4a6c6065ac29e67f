/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sequence-number arithmetic shared by the datapath and the daemon: 32-bit
 * (subflow, and the 32-bit forms of DSN / DATA_ACK) comparisons with
 * wraparound, 64-bit data-sequence comparisons, and the expansion of a 32-bit
 * DSN or DATA_ACK to 64 bits (RFC 8684 §3.3: an implementation that sends 32
 * bits expects the receiver to infer the upper half from what it knows).
 *
 * Header-only and BPF-safe: <linux/types.h> only, no libc, no loops, plain
 * integer arithmetic; everything static __always_inline.
 * All values are host-order numbers.
 */
#ifndef XMPTCP_SEQ_H
#define XMPTCP_SEQ_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * 32-bit serial-number order (RFC 1982 style, as TCP's before()/after()):
 * a is before b when b - a, taken modulo 2^32, lies in [1, 2^31]. At exactly
 * 2^31 apart both a-before-b and b-before-a hold, as in the kernel; callers
 * never compare values that far apart within one window.
 */
static __always_inline int xm_seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline int xm_seq_after(__u32 a, __u32 b)
{
	return xm_seq_before(b, a);
}

static __always_inline int xm_seq_before_eq(__u32 a, __u32 b)
{
	return (__s32)(a - b) <= 0;
}

static __always_inline int xm_seq_after_eq(__u32 a, __u32 b)
{
	return xm_seq_before_eq(b, a);
}

/* lo <= seq <= hi in sequence space (the window [lo, hi] may wrap). */
static __always_inline int xm_seq_between(__u32 seq, __u32 lo, __u32 hi)
{
	return hi - lo >= seq - lo;
}

/* 64-bit data-sequence order; wraps at 2^64 (never in practice, but exact). */
static __always_inline int xm_seq64_before(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

static __always_inline int xm_seq64_after(__u64 a, __u64 b)
{
	return xm_seq64_before(b, a);
}

/*
 * Expand a 32-bit DSN or DATA_ACK to 64 bits: of all 64-bit values whose low
 * 32 bits are cur32, return the one closest to ref (the last known 64-bit
 * value of the same sequence: snd_una for a DATA_ACK, the receive point for
 * a DSN). That is ref plus the signed 32-bit distance from ref's low half,
 * so the result is within [ref - 2^31, ref + 2^31 - 1], modulo 2^64.
 *
 * Same answer as Linux's __mptcp_expand_seq() except at a distance of
 * exactly 2^31, where neither value is closer: Linux then goes forward or
 * backward depending on which half wraps; this always goes backward,
 * because taking an ambiguous ack as old is harmless and taking it as a
 * future one acknowledges data never sent.
 */
static __always_inline __u64 xm_seq_expand(__u64 ref, __u32 cur32)
{
	return ref + (__u64)(__s64)(__s32)(cur32 - (__u32)ref);
}

/*
 * A DSN or DATA_ACK as the DSS carries it: 8 bytes (is64, flag m or a) are
 * taken as they are, 4 bytes are expanded against ref.
 */
static __always_inline __u64 xm_seq_expand_opt(__u64 ref, __u64 val, int is64)
{
	return is64 ? val : xm_seq_expand(ref, (__u32)val);
}

#endif /* XMPTCP_SEQ_H */
