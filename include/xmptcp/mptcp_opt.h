/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * RFC 8684 option codec: constants, the parsed form of every MPTCP option,
 * and the parser and builder.
 *
 * Header-only on purpose: the BPF programs and the daemon compile this very
 * code, so they cannot disagree on what a packet means. It must therefore stay
 * verifier-friendly:
 *  - every read and write goes through struct xm_optbuf, a fixed 64-byte
 *    buffer indexed with XM_OPTBUF_IDX(), which masks the index so the verifier
 *    sees a bounded access whatever it proved before; the length checks that
 *    give the codec its error codes are separate from that safety mask;
 *  - loops have constant bounds;
 *  - no libc, no recursion, no function pointers; static __always_inline.
 *
 * Using it from BPF (measured by loading XDP programs with bpftool on 6.18;
 * every feature relied on exists on 6.1):
 *  - struct xm_optbuf may live on the BPF stack or in a map value. On the
 *    stack, ZERO THE WHOLE STRUCT FIRST (__builtin_memset(&ob, 0, sizeof(ob)))
 *    before copying the options area in: the codec reads b[] at variable
 *    (masked) offsets, and the verifier accepts a variable-offset stack read
 *    only if every byte the offset may reach is initialised (and only from
 *    privileged programs, which XDP and TC are; 5.12+). A map value (e.g. a
 *    per-CPU array slot used as scratch) has no such requirement and verifies
 *    with ~25% fewer instructions.
 *  - Copy the options area in with bpf_xdp_load_bytes()/bpf_skb_load_bytes()
 *    with a length proved to be in 1..XM_TCP_OPTS_MAX, then set ob.len.
 *  - Walk with xm_tcpopt_next() inlined in a loop bounded by
 *    XM_TCPOPT_WALK_MAX: ~45k verified instructions for the whole walk.
 *  - DO NOT inline xm_mptcp_opt_parse() or xm_mptcp_opt_append() inside that
 *    loop: the per-path states multiply across iterations and the program
 *    exceeds the 1M-instruction limit (measured, with out on the stack or in
 *    a map value). Call the global wrappers that XM_MPTCP_OPT_DEFINE_GLOBALS()
 *    (at the end of this file) defines instead: the kernel verifies a global
 *    function once (~4k instructions), and walk + parse of every MPTCP option
 *    + two appends then verify in ~115k instructions (~83k with the buffer in
 *    a map value). Global functions taking pointers to structs need 5.12+.
 *  - Keep what the walk loop carries from one iteration to the next small:
 *    a counter of MPTCP options used as a map key took the same walk + parse
 *    from ~100k to ~580k verified instructions (each value is a new state).
 *  - The BPF build gives the same results as the host build: checked with
 *    BPF_PROG_TEST_RUN on option areas, comparing parsed structs and built
 *    bytes.
 *  - Inlined outside any loop, one parse costs ~17k verified instructions
 *    and one append of an unknown option ~100k; fine once, not in loops.
 *    Beware the stack: parse inlined at a constant offset made clang 14
 *    hoist and spill every byte load (456 bytes of stack of the 512); the
 *    global wrapper needs 32.
 *  - The widening masks in xm_tcpopt_next() and xm_mptcp_opt_parse() are
 *    what keeps the walk cheap: without them the walk alone exceeds 1M.
 *    All of this is sensitive to code generation (an asm barrier to protect
 *    the masks made the stack variant fail); the figures are for Debian 12's
 *    clang 14 at -O2. Re-measure after changing the codec or the compiler.
 *
 * Byte order: every field of the parsed structs below that is a number
 * (keys, tokens, nonces, sequence numbers, lengths, ports, checksums,
 * truncated HMACs) is in HOST order: the codec assembles it from the
 * big-endian wire bytes itself, without libc or bpf_ntohl, so it compiles the
 * same for -target bpf and for the host. Fields that are byte arrays
 * (xm_opt_mp_join.hmac, xm_opt_add_addr.addr) are copied as they are on the
 * wire. Each field's comment says which it is.
 */
#ifndef XMPTCP_MPTCP_OPT_H
#define XMPTCP_MPTCP_OPT_H

#include <linux/types.h>
#include "abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* TCP option kinds used by the codec. */
#define XM_TCPOPT_EOL	0
#define XM_TCPOPT_NOP	1
#define XM_TCPOPT_MSS	2
#define XM_TCPOPT_WS	3
#define XM_TCPOPT_SACKP 4
#define XM_TCPOPT_SACK	5
#define XM_TCPOPT_TS	8
#define XM_TCPOPT_MPTCP 30

/*
 * Calls of xm_tcpopt_next() that always reach the end of an options area:
 * it skips NOPs itself, so every option it returns is at least 2 bytes long,
 * which makes at most XM_TCP_OPTS_MAX / 2 options, plus the call that
 * returns the end.
 */
#define XM_TCPOPT_WALK_MAX (XM_TCP_OPTS_MAX / 2 + 1)

/* MPTCP option subtypes (RFC 8684 §7 / IANA "MPTCP Option Subtypes"). */
enum xm_mptcp_subtype {
	XM_MPTCP_MP_CAPABLE = 0x0,
	XM_MPTCP_MP_JOIN = 0x1,
	XM_MPTCP_DSS = 0x2,
	XM_MPTCP_ADD_ADDR = 0x3,
	XM_MPTCP_REMOVE_ADDR = 0x4,
	XM_MPTCP_MP_PRIO = 0x5,
	XM_MPTCP_MP_FAIL = 0x6,
	XM_MPTCP_MP_FASTCLOSE = 0x7,
	XM_MPTCP_MP_TCPRST = 0x8,
	XM_MPTCP_MP_EXPERIMENTAL = 0xf, /* no defined layout: the parser says E_SUBTYPE */
};

#define XM_MPTCP_VERSION 1

/* MP_CAPABLE flags byte: A B C D E F G H (RFC 8684 §3.1). */
#define XM_MPC_FLAG_A 0x80 /* checksum required */
#define XM_MPC_FLAG_B 0x40 /* extensibility, must be 0 */
#define XM_MPC_FLAG_C 0x20 /* do not initiate subflows to the source address */
#define XM_MPC_FLAG_H 0x01 /* HMAC-SHA256 */
/* D..H select the crypto algorithm; H (HMAC-SHA256) is the only one defined. */
#define XM_MPC_FLAGS_CRYPTO 0x1f

/* MP_CAPABLE lengths (v1). */
#define XM_MPC_LEN_SYN	     4
#define XM_MPC_LEN_SYNACK    12
#define XM_MPC_LEN_ACK	     20
#define XM_MPC_LEN_DATA	     22
#define XM_MPC_LEN_DATA_CSUM 24

/* MP_JOIN lengths. */
#define XM_MPJ_LEN_SYN	  12
#define XM_MPJ_LEN_SYNACK 16
#define XM_MPJ_LEN_ACK	  24
#define XM_MPJ_FLAG_B	  0x01 /* backup */
#define XM_MPJ_HMAC_LEN	  20   /* bytes of HMAC in the third ACK */

/* DSS flags (low byte after subtype/reserved). */
#define XM_DSS_FLAG_A	0x01 /* DATA_ACK present */
#define XM_DSS_FLAG_a	0x02 /* DATA_ACK is 8 bytes */
#define XM_DSS_FLAG_M	0x04 /* mapping (DSN, SSN, length, checksum) present */
#define XM_DSS_FLAG_m	0x08 /* DSN is 8 bytes */
#define XM_DSS_FLAG_F	0x10 /* DATA_FIN */
#define XM_DSS_FLAGS	0x1f /* the other 3 bits of the byte are reserved */
#define XM_DSS_LEN_BASE 4
#define XM_DSS_LEN_MAX	28 /* A a M m + checksum */

/* ADD_ADDR: E flag in the subtype byte. */
#define XM_ADD_ADDR_FLAG_E 0x01 /* echo */

/* MP_PRIO. */
#define XM_PRIO_FLAG_B 0x01 /* backup */
#define XM_PRIO_LEN    3

#define XM_MP_FAIL_LEN	    12
#define XM_MP_FASTCLOSE_LEN 12
#define XM_TCPRST_LEN	    4

/* MP_TCPRST flags. */
#define XM_TCPRST_FLAG_U 0x08
#define XM_TCPRST_FLAG_V 0x04
#define XM_TCPRST_FLAG_W 0x02
#define XM_TCPRST_FLAG_T 0x01 /* transient */
#define XM_TCPRST_FLAGS	 0x0f

/*
 * Ids one REMOVE_ADDR can carry in this codec. The kernel's limit
 * (MPTCP_RM_IDS_MAX) is the same, so nothing a Linux peer sends is refused.
 */
#define XM_RM_ADDR_MAX_IDS 8

/*
 * Codec errors, returned negated. Values are stable: the datapath counts and
 * reports them (struct xm_ev_opt_malformed.error).
 */
enum xm_opt_err {
	XM_OPT_OK = 0,
	XM_OPT_E_TRUNCATED = 1, /* option runs past the end of the options area */
	XM_OPT_E_LENGTH = 2,	/* length byte not valid for this subtype and its flags */
	XM_OPT_E_VERSION = 3,	/* MP_CAPABLE version other than 1 */
	XM_OPT_E_FLAGS = 4,	/* flags inconsistent with the length or each other */
	XM_OPT_E_SUBTYPE = 5,	/* unknown subtype */
	XM_OPT_E_NOT_MPTCP = 6, /* option kind is not 30 */
	XM_OPT_E_NOSPACE = 7,	/* builder: option does not fit in the buffer */
	XM_OPT_E_INVALID = 8,	/* builder: parsed form is not a valid option; any
				 * function: ob->len > XM_TCP_OPTS_MAX (caller bug) */
	XM_OPT_E__MAX
};

/* A TCP options area (or a buffer to build one), fixed size for the verifier. */
#define XM_OPTBUF_SIZE	 64
#define XM_OPTBUF_IDX(i) ((i) & (XM_OPTBUF_SIZE - 1))
struct xm_optbuf {
	__u8 b[XM_OPTBUF_SIZE];
	__u32 len; /* valid bytes in b[], at most XM_TCP_OPTS_MAX */
	__u32 pad;
};
XM_ASSERT_SIZE(struct xm_optbuf, 72);
XM_ASSERT_OFFSET(struct xm_optbuf, len, 64);
_Static_assert(XM_TCP_OPTS_MAX <= XM_OPTBUF_SIZE, "an options area must fit in xm_optbuf");
_Static_assert((XM_OPTBUF_SIZE & (XM_OPTBUF_SIZE - 1)) == 0,
	       "XM_OPTBUF_IDX() masks: the size must be a power of two");

/*
 * MP_CAPABLE. The variant is given by the has_* fields, each of which implies
 * the previous one: SYN (none), SYN-ACK (sender key), ACK (+ receiver key),
 * first data (+ data_len), first data with checksum (+ csum).
 */
struct xm_opt_mp_capable {
	__u8 version;	       /* always XM_MPTCP_VERSION in a parsed option */
	__u8 flags;	       /* XM_MPC_FLAG_*, the whole flags byte */
	__u8 has_sender_key;   /* SYN-ACK, ACK, data */
	__u8 has_receiver_key; /* ACK, data */
	__u8 has_data_len;     /* first data packet (22 or 24 bytes) */
	__u8 has_csum;	       /* 24-byte variant */
	__u16 data_len;	       /* number: data-level length */
	__u64 sender_key;      /* number */
	__u64 receiver_key;    /* number */
	__u16 csum;	       /* number: the 16-bit wire field read big-endian */
	__u16 pad[3];
};
XM_ASSERT_SIZE(struct xm_opt_mp_capable, 32);
XM_ASSERT_OFFSET(struct xm_opt_mp_capable, data_len, 6);
XM_ASSERT_OFFSET(struct xm_opt_mp_capable, sender_key, 8);
XM_ASSERT_OFFSET(struct xm_opt_mp_capable, receiver_key, 16);
XM_ASSERT_OFFSET(struct xm_opt_mp_capable, csum, 24);

struct xm_opt_mp_join {
	__u8 kind_of; /* which packet: XM_MPJ_SYN, _SYNACK or _ACK (by length) */
	__u8 flags;   /* XM_MPJ_FLAG_B in SYN and SYN-ACK; 0 in ACK */
	__u8 addr_id; /* SYN and SYN-ACK */
	__u8 pad;
	__u32 token; /* SYN: number, the receiver's token */
	__u32 nonce; /* SYN and SYN-ACK: number, the sender's random number */
	__u32 pad2;
	__u64 hmac64; /* SYN-ACK: number, the truncated HMAC (its first 64 bits, big-endian) */
	__u8 hmac[XM_MPJ_HMAC_LEN]; /* ACK: byte array, first 160 bits of the HMAC, wire order */
	__u32 pad3;
};
XM_ASSERT_SIZE(struct xm_opt_mp_join, 48);
XM_ASSERT_OFFSET(struct xm_opt_mp_join, token, 4);
XM_ASSERT_OFFSET(struct xm_opt_mp_join, nonce, 8);
XM_ASSERT_OFFSET(struct xm_opt_mp_join, hmac64, 16);
XM_ASSERT_OFFSET(struct xm_opt_mp_join, hmac, 24);
#define XM_MPJ_SYN    0
#define XM_MPJ_SYNACK 1
#define XM_MPJ_ACK    2

/*
 * DSS. The fields a flag leaves absent are 0. data_ack and dsn are the wire
 * values widened: with 'a' (resp. 'm') clear they are the low 32 bits of the
 * 64-bit number, and the builder writes only the low 32 bits.
 */
struct xm_opt_dss {
	__u8 flags;	/* XM_DSS_FLAG_*, reserved bits cleared */
	__u8 has_csum;	/* mapping carries a checksum (only the length tells) */
	__u16 data_len; /* number: data-level length (0: infinite mapping, §3.7) */
	__u32 ssn;	/* number: subflow sequence number, relative to the subflow ISN */
	__u64 data_ack; /* number: 4 or 8 bytes on the wire (flag a) */
	__u64 dsn;	/* number: 4 or 8 bytes on the wire (flag m) */
	__u16 csum;	/* number: the 16-bit wire field read big-endian */
	__u16 pad[3];
};
XM_ASSERT_SIZE(struct xm_opt_dss, 32);
XM_ASSERT_OFFSET(struct xm_opt_dss, ssn, 4);
XM_ASSERT_OFFSET(struct xm_opt_dss, data_ack, 8);
XM_ASSERT_OFFSET(struct xm_opt_dss, dsn, 16);
XM_ASSERT_OFFSET(struct xm_opt_dss, csum, 24);

struct xm_opt_add_addr {
	__u8 echo;   /* E flag */
	__u8 ip_ver; /* 4 or 6, from the length */
	__u8 addr_id;
	__u8 has_port;
	__u16 port;	/* number (host order) */
	__u16 has_hmac; /* always !echo */
	__u8 addr[16];	/* byte array, network order; IPv4 in the first 4 bytes, rest 0 */
	__u64 hmac;	/* number: truncated HMAC read big-endian; absent (0) when echo */
};
XM_ASSERT_SIZE(struct xm_opt_add_addr, 32);
XM_ASSERT_OFFSET(struct xm_opt_add_addr, port, 4);
XM_ASSERT_OFFSET(struct xm_opt_add_addr, addr, 8);
XM_ASSERT_OFFSET(struct xm_opt_add_addr, hmac, 24);

struct xm_opt_remove_addr {
	__u8 n_ids;		      /* 1..XM_RM_ADDR_MAX_IDS */
	__u8 ids[XM_RM_ADDR_MAX_IDS]; /* ids[n_ids..] are 0 */
	__u8 pad[7];
};
XM_ASSERT_SIZE(struct xm_opt_remove_addr, 16);
XM_ASSERT_OFFSET(struct xm_opt_remove_addr, ids, 1);

struct xm_opt_mp_prio {
	__u8 backup; /* B flag, 0 or 1 */
	__u8 pad[7];
};
XM_ASSERT_SIZE(struct xm_opt_mp_prio, 8);

struct xm_opt_mp_fail {
	__u64 dsn; /* number */
};
XM_ASSERT_SIZE(struct xm_opt_mp_fail, 8);

struct xm_opt_mp_fastclose {
	__u64 receiver_key; /* number */
};
XM_ASSERT_SIZE(struct xm_opt_mp_fastclose, 8);

struct xm_opt_mp_tcprst {
	__u8 flags; /* XM_TCPRST_FLAG_* */
	__u8 reason;
	__u8 pad[6];
};
XM_ASSERT_SIZE(struct xm_opt_mp_tcprst, 8);
XM_ASSERT_OFFSET(struct xm_opt_mp_tcprst, reason, 1);

/* One parsed MPTCP option. `subtype` selects the union member. */
struct xm_mptcp_opt {
	__u8 subtype; /* enum xm_mptcp_subtype */
	__u8 len;     /* the option's length byte */
	__u8 pad[6];
	union {
		struct xm_opt_mp_capable mpc;
		struct xm_opt_mp_join join;
		struct xm_opt_dss dss;
		struct xm_opt_add_addr add_addr;
		struct xm_opt_remove_addr rm_addr;
		struct xm_opt_mp_prio prio;
		struct xm_opt_mp_fail fail;
		struct xm_opt_mp_fastclose fastclose;
		struct xm_opt_mp_tcprst tcprst;
	};
};
XM_ASSERT_SIZE(struct xm_mptcp_opt, 56);
XM_ASSERT_OFFSET(struct xm_mptcp_opt, len, 1);
XM_ASSERT_OFFSET(struct xm_mptcp_opt, mpc, 8);
XM_ASSERT_OFFSET(struct xm_mptcp_opt, dss, 8);

/*
 * API:
 *
 * int xm_tcpopt_next(const struct xm_optbuf *ob, __u32 off, __u8 *kind, __u8 *len);
 *     Walk the options area: from offset off, skip NOPs to the next option;
 *     returns its offset with *kind and *len set; or ob->len when the area
 *     ends (EOL, or off reached ob->len), with *kind = XM_TCPOPT_EOL and
 *     *len = 0; or -XM_OPT_E_TRUNCATED when the option has no length byte,
 *     a length byte < 2, or runs past ob->len (-XM_OPT_E_INVALID if ob->len
 *     > XM_TCP_OPTS_MAX). Only the bounds are checked, not the lengths that
 *     each kind should have. Call it in a loop of at most
 *     XM_TCPOPT_WALK_MAX iterations, each starting at the previous offset +
 *     *len, and stop when the result is < 0 or == ob->len.
 *
 * int xm_mptcp_opt_parse(const struct xm_optbuf *ob, __u32 off, struct xm_mptcp_opt *out);
 *     Parse the MPTCP option whose kind byte is at ob->b[off]. Returns its
 *     length (> 0) or a negated enum xm_opt_err. Never reads past ob->len.
 *     On error *out is zeroed except subtype and len when the option was long
 *     enough to hold them (and mpc.version with -XM_OPT_E_VERSION, so that a
 *     caller may apply RFC 8684 §3.1 version negotiation to a SYN).
 *     -XM_OPT_E_SUBTYPE, _LENGTH, _VERSION and _FLAGS mean the option's bounds
 *     are good, so the caller may skip it by out->len.
 *
 * int xm_mptcp_opt_append(struct xm_optbuf *ob, const struct xm_mptcp_opt *in);
 *     Append the wire form of *in at ob->len (its length is chosen from the
 *     has_* fields and flags, not from in->len), advance ob->len. Returns the
 *     bytes written or -XM_OPT_E_NOSPACE / -XM_OPT_E_INVALID. Reserved bits
 *     are written 0, fields the chosen variant does not carry are ignored,
 *     and no NOP padding is added. The capacity is XM_TCP_OPTS_MAX.
 *
 * int xm_mptcp_opt_len(const struct xm_mptcp_opt *in);
 *     The wire length xm_mptcp_opt_append would write, or a negated error.
 *
 * What the parser rejects beyond the wire lengths (and the builder refuses
 * with -XM_OPT_E_INVALID, so that everything built parses back):
 *  - MP_CAPABLE: version != 1 (E_VERSION; the kernel tolerates > 1 on a SYN
 *    only, to answer with v1); flag B set, or crypto bits D..H other than
 *    exactly H (E_FLAGS): RFC 8684 §3.1 says such an option is ignored, i.e.
 *    the connection falls back, and the Linux kernel rejects the same.
 *  - DSS (E_FLAGS): 'a' without 'A', 'm' without 'M', and 'F' without 'M'.
 *    'a' and 'm' only size fields that 'A' and 'M' bring. DATA_FIN occupies
 *    one octet of data sequence space (§3.3.3), so it needs the mapping that
 *    gives its DSN; Linux always sends F with a mapping (and ignores a
 *    mapping-less F it receives). The checksum is inferred: with 'M', the
 *    length may be the mapping's or 2 more; without 'M', it must be exact.
 *  - ADD_ADDR: only the 8 lengths that (IPv4|IPv6) x (port|none) x (echo
 *    without HMAC|HMAC) produce; a length for the other E value is E_LENGTH.
 *  - REMOVE_ADDR: 1..XM_RM_ADDR_MAX_IDS ids (E_LENGTH otherwise).
 *  - Reserved bits are ignored when parsing (RFC 8684: MUST be ignored by
 *    the receiver), so parse -> build clears them.
 */

/* Reads and writes of the buffer. The mask, not the caller's checks, is what
 * keeps every access inside b[] for the verifier. */
static __always_inline __u8 xm_ob_u8(const struct xm_optbuf *ob, __u32 i)
{
	return ob->b[XM_OPTBUF_IDX(i)];
}

static __always_inline __u16 xm_ob_be16(const struct xm_optbuf *ob, __u32 i)
{
	return (__u16)((__u16)xm_ob_u8(ob, i) << 8 | xm_ob_u8(ob, i + 1));
}

static __always_inline __u32 xm_ob_be32(const struct xm_optbuf *ob, __u32 i)
{
	return (__u32)xm_ob_be16(ob, i) << 16 | xm_ob_be16(ob, i + 2);
}

static __always_inline __u64 xm_ob_be64(const struct xm_optbuf *ob, __u32 i)
{
	return (__u64)xm_ob_be32(ob, i) << 32 | xm_ob_be32(ob, i + 4);
}

static __always_inline void xm_ob_put_u8(struct xm_optbuf *ob, __u32 i, __u8 v)
{
	ob->b[XM_OPTBUF_IDX(i)] = v;
}

static __always_inline void xm_ob_put_be16(struct xm_optbuf *ob, __u32 i, __u16 v)
{
	xm_ob_put_u8(ob, i, (__u8)(v >> 8));
	xm_ob_put_u8(ob, i + 1, (__u8)v);
}

static __always_inline void xm_ob_put_be32(struct xm_optbuf *ob, __u32 i, __u32 v)
{
	xm_ob_put_be16(ob, i, (__u16)(v >> 16));
	xm_ob_put_be16(ob, i + 2, (__u16)v);
}

static __always_inline void xm_ob_put_be64(struct xm_optbuf *ob, __u32 i, __u64 v)
{
	xm_ob_put_be32(ob, i, (__u32)(v >> 32));
	xm_ob_put_be32(ob, i + 4, (__u32)v);
}

static __always_inline int xm_tcpopt_next(const struct xm_optbuf *ob, __u32 off, __u8 *kind,
					  __u8 *len)
{
	__u32 end = ob->len;
	__u8 k = XM_TCPOPT_EOL;
	__u32 l;
	int i;

	*kind = XM_TCPOPT_EOL;
	*len = 0;
	if (end > XM_TCP_OPTS_MAX)
		return -XM_OPT_E_INVALID;
	/* At most XM_TCP_OPTS_MAX NOPs fit, so this bound always reaches the end. */
	for (i = 0; i < XM_TCP_OPTS_MAX; i++) {
		if (off >= end)
			return (int)end;
		k = xm_ob_u8(ob, off);
		if (k == XM_TCPOPT_EOL)
			return (int)end;
		if (k != XM_TCPOPT_NOP)
			break;
		off++;
	}
	if (off >= end)
		return (int)end;
	/*
	 * Identity here (off < end <= XM_TCP_OPTS_MAX), but it makes the
	 * verifier forget off's lower bound: without it each of the NOP-loop
	 * exits above leaves a state of its own, and a caller's loop over the
	 * options multiplies them until the program is "too large".
	 */
	off = XM_OPTBUF_IDX(off);
	/* off < end <= XM_TCP_OPTS_MAX from here, so off + 1 cannot wrap. */
	if (off + 1 >= end)
		return -XM_OPT_E_TRUNCATED;
	l = xm_ob_u8(ob, off + 1);
	if (l < 2 || l > end - off)
		return -XM_OPT_E_TRUNCATED;
	*kind = k;
	*len = (__u8)l;
	return (int)off;
}

/* Per-subtype parsers: the caller proved off + len <= ob->len and len >= 3. */

static __always_inline int xm__parse_mpc(const struct xm_optbuf *ob, __u32 off, __u32 len,
					 struct xm_opt_mp_capable *o)
{
	__u8 ver, flags;

	if (len < XM_MPC_LEN_SYN)
		return -XM_OPT_E_LENGTH;
	/* Version before length: a v0 (RFC 6824) option is reported as such. */
	ver = xm_ob_u8(ob, off + 2) & 0x0f;
	if (ver != XM_MPTCP_VERSION) {
		o->version = ver;
		return -XM_OPT_E_VERSION;
	}
	if (len != XM_MPC_LEN_SYN && len != XM_MPC_LEN_SYNACK && len != XM_MPC_LEN_ACK &&
	    len != XM_MPC_LEN_DATA && len != XM_MPC_LEN_DATA_CSUM)
		return -XM_OPT_E_LENGTH;
	flags = xm_ob_u8(ob, off + 3);
	if ((flags & XM_MPC_FLAG_B) || (flags & XM_MPC_FLAGS_CRYPTO) != XM_MPC_FLAG_H)
		return -XM_OPT_E_FLAGS;
	o->version = ver;
	o->flags = flags;
	if (len >= XM_MPC_LEN_SYNACK) {
		o->has_sender_key = 1;
		o->sender_key = xm_ob_be64(ob, off + 4);
	}
	if (len >= XM_MPC_LEN_ACK) {
		o->has_receiver_key = 1;
		o->receiver_key = xm_ob_be64(ob, off + 12);
	}
	if (len >= XM_MPC_LEN_DATA) {
		o->has_data_len = 1;
		o->data_len = xm_ob_be16(ob, off + 20);
	}
	if (len == XM_MPC_LEN_DATA_CSUM) {
		o->has_csum = 1;
		o->csum = xm_ob_be16(ob, off + 22);
	}
	return 0;
}

static __always_inline int xm__parse_mpj(const struct xm_optbuf *ob, __u32 off, __u32 len,
					 struct xm_opt_mp_join *o)
{
	__u32 i;

	if (len == XM_MPJ_LEN_SYN) {
		o->kind_of = XM_MPJ_SYN;
		o->flags = xm_ob_u8(ob, off + 2) & XM_MPJ_FLAG_B;
		o->addr_id = xm_ob_u8(ob, off + 3);
		o->token = xm_ob_be32(ob, off + 4);
		o->nonce = xm_ob_be32(ob, off + 8);
	} else if (len == XM_MPJ_LEN_SYNACK) {
		o->kind_of = XM_MPJ_SYNACK;
		o->flags = xm_ob_u8(ob, off + 2) & XM_MPJ_FLAG_B;
		o->addr_id = xm_ob_u8(ob, off + 3);
		o->hmac64 = xm_ob_be64(ob, off + 4);
		o->nonce = xm_ob_be32(ob, off + 12);
	} else if (len == XM_MPJ_LEN_ACK) {
		/* The 12 bits after the subtype are reserved in the ACK. */
		o->kind_of = XM_MPJ_ACK;
		for (i = 0; i < XM_MPJ_HMAC_LEN; i++)
			o->hmac[i] = xm_ob_u8(ob, off + 4 + i);
	} else {
		return -XM_OPT_E_LENGTH;
	}
	return 0;
}

/* DSS flags consistency, shared by parser and builder; see the API comment. */
static __always_inline int xm__dss_flags_ok(__u8 flags)
{
	if ((flags & XM_DSS_FLAG_a) && !(flags & XM_DSS_FLAG_A))
		return 0;
	if ((flags & (XM_DSS_FLAG_m | XM_DSS_FLAG_F)) && !(flags & XM_DSS_FLAG_M))
		return 0;
	return 1;
}

/* DSS length without checksum; flags must be consistent. */
static __always_inline __u32 xm__dss_len(__u8 flags)
{
	__u32 l = XM_DSS_LEN_BASE;

	if (flags & XM_DSS_FLAG_A)
		l += (flags & XM_DSS_FLAG_a) ? 8 : 4;
	if (flags & XM_DSS_FLAG_M)
		l += ((flags & XM_DSS_FLAG_m) ? 8u : 4u) + 4u +
		     2u; /* DSN, SSN, data-level length */
	return l;
}

static __always_inline int xm__parse_dss(const struct xm_optbuf *ob, __u32 off, __u32 len,
					 struct xm_opt_dss *o)
{
	__u8 flags;
	__u32 exp, p;

	if (len < XM_DSS_LEN_BASE)
		return -XM_OPT_E_LENGTH;
	flags = xm_ob_u8(ob, off + 3) & XM_DSS_FLAGS;
	if (!xm__dss_flags_ok(flags))
		return -XM_OPT_E_FLAGS;
	exp = xm__dss_len(flags);
	if (len == exp + 2 && (flags & XM_DSS_FLAG_M))
		o->has_csum = 1;
	else if (len != exp)
		return -XM_OPT_E_LENGTH;
	o->flags = flags;
	p = off + 4;
	if (flags & XM_DSS_FLAG_A) {
		if (flags & XM_DSS_FLAG_a) {
			o->data_ack = xm_ob_be64(ob, p);
			p += 8;
		} else {
			o->data_ack = xm_ob_be32(ob, p);
			p += 4;
		}
	}
	if (flags & XM_DSS_FLAG_M) {
		if (flags & XM_DSS_FLAG_m) {
			o->dsn = xm_ob_be64(ob, p);
			p += 8;
		} else {
			o->dsn = xm_ob_be32(ob, p);
			p += 4;
		}
		o->ssn = xm_ob_be32(ob, p);
		o->data_len = xm_ob_be16(ob, p + 4);
		if (o->has_csum)
			o->csum = xm_ob_be16(ob, p + 6);
	}
	return 0;
}

/*
 * ADD_ADDR body size after the 4 fixed bytes and the HMAC: 4 (IPv4),
 * 6 (IPv4 + port), 16 (IPv6), 18 (IPv6 + port). Returns -1 for any other.
 */
static __always_inline int xm__add_addr_shape(__u32 body, __u8 *ip_ver, __u8 *has_port)
{
	switch (body) {
	case 4:
	case 6:
		*ip_ver = 4;
		break;
	case 16:
	case 18:
		*ip_ver = 6;
		break;
	default:
		return -1;
	}
	*has_port = body == 6 || body == 18;
	return 0;
}

static __always_inline int xm__parse_add_addr(const struct xm_optbuf *ob, __u32 off, __u32 len,
					      struct xm_opt_add_addr *o)
{
	__u8 echo, ip_ver, has_port;
	__u32 fixed, alen, p;
	__u32 i;

	echo = xm_ob_u8(ob, off + 2) & XM_ADD_ADDR_FLAG_E;
	fixed = 4 + (echo ? 0 : 8); /* kind, len, subtype|E, id; + truncated HMAC */
	if (len < fixed || xm__add_addr_shape(len - fixed, &ip_ver, &has_port) < 0)
		return -XM_OPT_E_LENGTH;
	o->echo = echo;
	o->ip_ver = ip_ver;
	o->has_port = has_port;
	o->has_hmac = !echo;
	o->addr_id = xm_ob_u8(ob, off + 3);
	alen = ip_ver == 4 ? 4 : 16;
	for (i = 0; i < 16; i++) {
		if (i < alen)
			o->addr[i] = xm_ob_u8(ob, off + 4 + i);
	}
	p = off + 4 + alen;
	if (has_port) {
		o->port = xm_ob_be16(ob, p);
		p += 2;
	}
	if (!echo)
		o->hmac = xm_ob_be64(ob, p);
	return 0;
}

static __always_inline int xm__parse_rm_addr(const struct xm_optbuf *ob, __u32 off, __u32 len,
					     struct xm_opt_remove_addr *o)
{
	__u32 n;
	__u32 i;

	if (len < 4 || len > 3 + XM_RM_ADDR_MAX_IDS)
		return -XM_OPT_E_LENGTH;
	n = len - 3;
	o->n_ids = (__u8)n;
	for (i = 0; i < XM_RM_ADDR_MAX_IDS; i++) {
		if (i < n)
			o->ids[i] = xm_ob_u8(ob, off + 3 + i);
	}
	return 0;
}

static __always_inline int xm_mptcp_opt_parse(const struct xm_optbuf *ob, __u32 off,
					      struct xm_mptcp_opt *out)
{
	__u32 end = ob->len;
	__u32 len;
	int r;

	__builtin_memset(out, 0, sizeof(*out));
	if (end > XM_TCP_OPTS_MAX)
		return -XM_OPT_E_INVALID;
	if (off >= end)
		return -XM_OPT_E_TRUNCATED;
	/* Identity (off < end); widens off's range for the verifier, as in xm_tcpopt_next(). */
	off = XM_OPTBUF_IDX(off);
	if (xm_ob_u8(ob, off) != XM_TCPOPT_MPTCP)
		return -XM_OPT_E_NOT_MPTCP;
	/* off < end <= XM_TCP_OPTS_MAX: no sum below can wrap. */
	if (off + 1 >= end)
		return -XM_OPT_E_TRUNCATED;
	len = xm_ob_u8(ob, off + 1);
	if (len < 2 || len > end - off)
		return -XM_OPT_E_TRUNCATED;
	out->len = (__u8)len;
	/* Every subtype has at least kind, length and the subtype nibble. */
	if (len < 3)
		return -XM_OPT_E_LENGTH;
	out->subtype = xm_ob_u8(ob, off + 2) >> 4;

	switch (out->subtype) {
	case XM_MPTCP_MP_CAPABLE:
		r = xm__parse_mpc(ob, off, len, &out->mpc);
		break;
	case XM_MPTCP_MP_JOIN:
		r = xm__parse_mpj(ob, off, len, &out->join);
		break;
	case XM_MPTCP_DSS:
		r = xm__parse_dss(ob, off, len, &out->dss);
		break;
	case XM_MPTCP_ADD_ADDR:
		r = xm__parse_add_addr(ob, off, len, &out->add_addr);
		break;
	case XM_MPTCP_REMOVE_ADDR:
		r = xm__parse_rm_addr(ob, off, len, &out->rm_addr);
		break;
	case XM_MPTCP_MP_PRIO:
		if (len != XM_PRIO_LEN)
			return -XM_OPT_E_LENGTH;
		out->prio.backup = xm_ob_u8(ob, off + 2) & XM_PRIO_FLAG_B;
		r = 0;
		break;
	case XM_MPTCP_MP_FAIL:
		if (len != XM_MP_FAIL_LEN)
			return -XM_OPT_E_LENGTH;
		out->fail.dsn = xm_ob_be64(ob, off + 4);
		r = 0;
		break;
	case XM_MPTCP_MP_FASTCLOSE:
		if (len != XM_MP_FASTCLOSE_LEN)
			return -XM_OPT_E_LENGTH;
		out->fastclose.receiver_key = xm_ob_be64(ob, off + 4);
		r = 0;
		break;
	case XM_MPTCP_MP_TCPRST:
		if (len != XM_TCPRST_LEN)
			return -XM_OPT_E_LENGTH;
		out->tcprst.flags = xm_ob_u8(ob, off + 2) & XM_TCPRST_FLAGS;
		out->tcprst.reason = xm_ob_u8(ob, off + 3);
		r = 0;
		break;
	default:
		return -XM_OPT_E_SUBTYPE;
	}
	/*
	 * The sub-parsers validate before they write anything but mpc.version,
	 * so on error *out already is what the API promises.
	 */
	if (r < 0)
		return r;
	return (int)len;
}

/* Wire length of *in, or -XM_OPT_E_INVALID. This is where the builder validates. */
static __always_inline int xm_mptcp_opt_len(const struct xm_mptcp_opt *in)
{
	const struct xm_opt_mp_capable *mpc = &in->mpc;
	const struct xm_opt_add_addr *aa = &in->add_addr;
	const struct xm_opt_dss *dss = &in->dss;
	int l;

	switch (in->subtype) {
	case XM_MPTCP_MP_CAPABLE:
		if (mpc->version != XM_MPTCP_VERSION || (mpc->flags & XM_MPC_FLAG_B) ||
		    (mpc->flags & XM_MPC_FLAGS_CRYPTO) != XM_MPC_FLAG_H)
			return -XM_OPT_E_INVALID;
		if (mpc->has_sender_key > 1 || mpc->has_receiver_key > 1 || mpc->has_data_len > 1 ||
		    mpc->has_csum > 1)
			return -XM_OPT_E_INVALID;
		/* Each field needs the one before it: the variants are nested. */
		if (mpc->has_receiver_key > mpc->has_sender_key ||
		    mpc->has_data_len > mpc->has_receiver_key || mpc->has_csum > mpc->has_data_len)
			return -XM_OPT_E_INVALID;
		if (mpc->has_csum)
			return XM_MPC_LEN_DATA_CSUM;
		if (mpc->has_data_len)
			return XM_MPC_LEN_DATA;
		if (mpc->has_receiver_key)
			return XM_MPC_LEN_ACK;
		if (mpc->has_sender_key)
			return XM_MPC_LEN_SYNACK;
		return XM_MPC_LEN_SYN;
	case XM_MPTCP_MP_JOIN:
		if (in->join.flags & ~XM_MPJ_FLAG_B)
			return -XM_OPT_E_INVALID;
		if (in->join.kind_of == XM_MPJ_SYN)
			return XM_MPJ_LEN_SYN;
		if (in->join.kind_of == XM_MPJ_SYNACK)
			return XM_MPJ_LEN_SYNACK;
		/* B is a reserved bit in the ACK. */
		if (in->join.kind_of == XM_MPJ_ACK && !in->join.flags)
			return XM_MPJ_LEN_ACK;
		return -XM_OPT_E_INVALID;
	case XM_MPTCP_DSS:
		if ((dss->flags & ~XM_DSS_FLAGS) || !xm__dss_flags_ok(dss->flags) ||
		    dss->has_csum > 1)
			return -XM_OPT_E_INVALID;
		if (dss->has_csum && !(dss->flags & XM_DSS_FLAG_M))
			return -XM_OPT_E_INVALID;
		return (int)xm__dss_len(dss->flags) + (dss->has_csum ? 2 : 0);
	case XM_MPTCP_ADD_ADDR:
		if (aa->echo > 1 || aa->has_port > 1 || aa->has_hmac != !aa->echo)
			return -XM_OPT_E_INVALID;
		if (aa->ip_ver == 4)
			l = 4 + 4;
		else if (aa->ip_ver == 6)
			l = 4 + 16;
		else
			return -XM_OPT_E_INVALID;
		return l + (aa->has_port ? 2 : 0) + (aa->echo ? 0 : 8);
	case XM_MPTCP_REMOVE_ADDR:
		if (in->rm_addr.n_ids < 1 || in->rm_addr.n_ids > XM_RM_ADDR_MAX_IDS)
			return -XM_OPT_E_INVALID;
		return 3 + in->rm_addr.n_ids;
	case XM_MPTCP_MP_PRIO:
		if (in->prio.backup > 1)
			return -XM_OPT_E_INVALID;
		return XM_PRIO_LEN;
	case XM_MPTCP_MP_FAIL:
		return XM_MP_FAIL_LEN;
	case XM_MPTCP_MP_FASTCLOSE:
		return XM_MP_FASTCLOSE_LEN;
	case XM_MPTCP_MP_TCPRST:
		if (in->tcprst.flags & ~XM_TCPRST_FLAGS)
			return -XM_OPT_E_INVALID;
		return XM_TCPRST_LEN;
	default:
		return -XM_OPT_E_INVALID;
	}
}

static __always_inline int xm_mptcp_opt_append(struct xm_optbuf *ob, const struct xm_mptcp_opt *in)
{
	__u32 off = ob->len;
	__u32 p, alen;
	__u8 flags;
	__u32 i;
	int len;

	if (off > XM_TCP_OPTS_MAX)
		return -XM_OPT_E_INVALID;
	len = xm_mptcp_opt_len(in);
	if (len < 0)
		return len;
	if (off + (__u32)len > XM_TCP_OPTS_MAX)
		return -XM_OPT_E_NOSPACE;

	xm_ob_put_u8(ob, off, XM_TCPOPT_MPTCP);
	xm_ob_put_u8(ob, off + 1, (__u8)len);
	/*
	 * Subtype nibble with reserved bits 0; the cases that have flags in the
	 * low nibble or a field in byte 3 rewrite them. MP_PRIO is 3 bytes long.
	 */
	xm_ob_put_u8(ob, off + 2, (__u8)(in->subtype << 4));
	if (len > 3)
		xm_ob_put_u8(ob, off + 3, 0);

	switch (in->subtype) {
	case XM_MPTCP_MP_CAPABLE:
		xm_ob_put_u8(ob, off + 2, (XM_MPTCP_MP_CAPABLE << 4) | XM_MPTCP_VERSION);
		xm_ob_put_u8(ob, off + 3, in->mpc.flags);
		if (in->mpc.has_sender_key)
			xm_ob_put_be64(ob, off + 4, in->mpc.sender_key);
		if (in->mpc.has_receiver_key)
			xm_ob_put_be64(ob, off + 12, in->mpc.receiver_key);
		if (in->mpc.has_data_len)
			xm_ob_put_be16(ob, off + 20, in->mpc.data_len);
		if (in->mpc.has_csum)
			xm_ob_put_be16(ob, off + 22, in->mpc.csum);
		break;
	case XM_MPTCP_MP_JOIN:
		if (in->join.kind_of == XM_MPJ_ACK) {
			for (i = 0; i < XM_MPJ_HMAC_LEN; i++)
				xm_ob_put_u8(ob, off + 4 + i, in->join.hmac[i]);
			break;
		}
		xm_ob_put_u8(ob, off + 2, (XM_MPTCP_MP_JOIN << 4) | in->join.flags);
		xm_ob_put_u8(ob, off + 3, in->join.addr_id);
		if (in->join.kind_of == XM_MPJ_SYN) {
			xm_ob_put_be32(ob, off + 4, in->join.token);
			xm_ob_put_be32(ob, off + 8, in->join.nonce);
		} else {
			xm_ob_put_be64(ob, off + 4, in->join.hmac64);
			xm_ob_put_be32(ob, off + 12, in->join.nonce);
		}
		break;
	case XM_MPTCP_DSS:
		flags = in->dss.flags;
		xm_ob_put_u8(ob, off + 3, flags);
		p = off + 4;
		if (flags & XM_DSS_FLAG_A) {
			if (flags & XM_DSS_FLAG_a) {
				xm_ob_put_be64(ob, p, in->dss.data_ack);
				p += 8;
			} else {
				xm_ob_put_be32(ob, p, (__u32)in->dss.data_ack);
				p += 4;
			}
		}
		if (flags & XM_DSS_FLAG_M) {
			if (flags & XM_DSS_FLAG_m) {
				xm_ob_put_be64(ob, p, in->dss.dsn);
				p += 8;
			} else {
				xm_ob_put_be32(ob, p, (__u32)in->dss.dsn);
				p += 4;
			}
			xm_ob_put_be32(ob, p, in->dss.ssn);
			xm_ob_put_be16(ob, p + 4, in->dss.data_len);
			if (in->dss.has_csum)
				xm_ob_put_be16(ob, p + 6, in->dss.csum);
		}
		break;
	case XM_MPTCP_ADD_ADDR:
		xm_ob_put_u8(ob, off + 2, (XM_MPTCP_ADD_ADDR << 4) | in->add_addr.echo);
		xm_ob_put_u8(ob, off + 3, in->add_addr.addr_id);
		alen = in->add_addr.ip_ver == 4 ? 4 : 16;
		for (i = 0; i < 16; i++) {
			if (i < alen)
				xm_ob_put_u8(ob, off + 4 + i, in->add_addr.addr[i]);
		}
		p = off + 4 + alen;
		if (in->add_addr.has_port) {
			xm_ob_put_be16(ob, p, in->add_addr.port);
			p += 2;
		}
		if (!in->add_addr.echo)
			xm_ob_put_be64(ob, p, in->add_addr.hmac);
		break;
	case XM_MPTCP_REMOVE_ADDR:
		/* Byte 3 is the first id. */
		for (i = 0; i < XM_RM_ADDR_MAX_IDS; i++) {
			if (i < in->rm_addr.n_ids)
				xm_ob_put_u8(ob, off + 3 + i, in->rm_addr.ids[i]);
		}
		break;
	case XM_MPTCP_MP_PRIO:
		xm_ob_put_u8(ob, off + 2, (XM_MPTCP_MP_PRIO << 4) | in->prio.backup);
		break;
	case XM_MPTCP_MP_FAIL:
		xm_ob_put_be64(ob, off + 4, in->fail.dsn);
		break;
	case XM_MPTCP_MP_FASTCLOSE:
		xm_ob_put_be64(ob, off + 4, in->fastclose.receiver_key);
		break;
	case XM_MPTCP_MP_TCPRST:
		xm_ob_put_u8(ob, off + 2, (XM_MPTCP_MP_TCPRST << 4) | in->tcprst.flags);
		xm_ob_put_u8(ob, off + 3, in->tcprst.reason);
		break;
	}
	ob->len = off + (__u32)len;
	return len;
}

/*
 * For a BPF object: defines xm_mptcp_opt_parse_g() and xm_mptcp_opt_append_g(),
 * global (non-static, noinline) wrappers that the verifier checks once, not
 * at each call site; see "Using it from BPF" at the top. Expand it once, at
 * file scope, in one .bpf.c. The pointers may be to the stack (initialised)
 * or to map values; a NULL pointer gives -XM_OPT_E_INVALID.
 */
#define XM_MPTCP_OPT_DEFINE_GLOBALS()                                                              \
	int xm_mptcp_opt_parse_g(const struct xm_optbuf *ob, __u32 off, struct xm_mptcp_opt *out); \
	int xm_mptcp_opt_append_g(struct xm_optbuf *ob, const struct xm_mptcp_opt *in);            \
	__attribute__((noinline)) int xm_mptcp_opt_parse_g(const struct xm_optbuf *ob, __u32 off,  \
							   struct xm_mptcp_opt *out)               \
	{                                                                                          \
		if (!ob || !out)                                                                   \
			return -XM_OPT_E_INVALID;                                                  \
		return xm_mptcp_opt_parse(ob, off, out);                                           \
	}                                                                                          \
	__attribute__((noinline)) int xm_mptcp_opt_append_g(struct xm_optbuf *ob,                  \
							    const struct xm_mptcp_opt *in)         \
	{                                                                                          \
		if (!ob || !in)                                                                    \
			return -XM_OPT_E_INVALID;                                                  \
		return xm_mptcp_opt_append(ob, in);                                                \
	}

#endif /* XMPTCP_MPTCP_OPT_H */
