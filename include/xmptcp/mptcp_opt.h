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
 */
#ifndef XMPTCP_MPTCP_OPT_H
#define XMPTCP_MPTCP_OPT_H

#include <linux/types.h>
#include "abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* TCP option kinds used by the codec. */
#define XM_TCPOPT_EOL   0
#define XM_TCPOPT_NOP   1
#define XM_TCPOPT_MSS   2
#define XM_TCPOPT_WS    3
#define XM_TCPOPT_SACKP 4
#define XM_TCPOPT_SACK  5
#define XM_TCPOPT_TS    8
#define XM_TCPOPT_MPTCP 30

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
	XM_MPTCP_MP_EXPERIMENTAL = 0xf,
};

#define XM_MPTCP_VERSION 1

/* MP_CAPABLE flags byte: A B C D E F G H (RFC 8684 §3.1). */
#define XM_MPC_FLAG_A 0x80 /* checksum required */
#define XM_MPC_FLAG_B 0x40 /* extensibility, must be 0 */
#define XM_MPC_FLAG_C 0x20 /* do not initiate subflows to the source address */
#define XM_MPC_FLAG_H 0x01 /* HMAC-SHA256 */

/* MP_CAPABLE lengths (v1). */
#define XM_MPC_LEN_SYN       4
#define XM_MPC_LEN_SYNACK    12
#define XM_MPC_LEN_ACK       20
#define XM_MPC_LEN_DATA      22
#define XM_MPC_LEN_DATA_CSUM 24

/* MP_JOIN lengths. */
#define XM_MPJ_LEN_SYN    12
#define XM_MPJ_LEN_SYNACK 16
#define XM_MPJ_LEN_ACK    24
#define XM_MPJ_FLAG_B     0x01 /* backup */

/* DSS flags (low byte after subtype/reserved). */
#define XM_DSS_FLAG_A 0x01 /* DATA_ACK present */
#define XM_DSS_FLAG_a 0x02 /* DATA_ACK is 8 bytes */
#define XM_DSS_FLAG_M 0x04 /* mapping (DSN, SSN, length, checksum) present */
#define XM_DSS_FLAG_m 0x08 /* DSN is 8 bytes */
#define XM_DSS_FLAG_F 0x10 /* DATA_FIN */

/* ADD_ADDR: E flag in the subtype byte. */
#define XM_ADD_ADDR_FLAG_E 0x01 /* echo */

/* MP_TCPRST flags. */
#define XM_TCPRST_FLAG_U 0x08
#define XM_TCPRST_FLAG_V 0x04
#define XM_TCPRST_FLAG_W 0x02
#define XM_TCPRST_FLAG_T 0x01 /* transient */

#define XM_RM_ADDR_MAX_IDS 8 /* ids one REMOVE_ADDR can carry in this codec */

/*
 * Codec errors, returned negated. Values are stable: the datapath counts and
 * reports them (struct xm_ev_opt_malformed.error).
 */
enum xm_opt_err {
	XM_OPT_OK = 0,
	XM_OPT_E_TRUNCATED = 1,  /* option runs past the end of the options area */
	XM_OPT_E_LENGTH = 2,     /* length byte not valid for this subtype and its flags */
	XM_OPT_E_VERSION = 3,    /* MP_CAPABLE version other than 1 */
	XM_OPT_E_FLAGS = 4,      /* flags inconsistent with the length or each other */
	XM_OPT_E_SUBTYPE = 5,    /* unknown subtype */
	XM_OPT_E_NOT_MPTCP = 6,  /* option kind is not 30 */
	XM_OPT_E_NOSPACE = 7,    /* builder: option does not fit in the buffer */
	XM_OPT_E_INVALID = 8,    /* builder: parsed form is not a valid option */
	XM_OPT_E__MAX
};

/* A TCP options area (or a buffer to build one), fixed size for the verifier. */
#define XM_OPTBUF_SIZE 64
#define XM_OPTBUF_IDX(i) ((i) & (XM_OPTBUF_SIZE - 1))
struct xm_optbuf {
	__u8 b[XM_OPTBUF_SIZE];
	__u32 len; /* valid bytes in b[], at most XM_TCP_OPTS_MAX */
	__u32 pad;
};
XM_ASSERT_SIZE(struct xm_optbuf, 72);

struct xm_opt_mp_capable {
	__u8 version;
	__u8 flags;           /* XM_MPC_FLAG_* */
	__u8 has_sender_key;  /* SYN-ACK, ACK, data */
	__u8 has_receiver_key;/* ACK, data */
	__u8 has_data_len;    /* first data packet (22 or 24 bytes) */
	__u8 has_csum;        /* 24-byte variant */
	__u16 data_len;
	__u64 sender_key;
	__u64 receiver_key;
	__u16 csum; /* as on the wire (network order kept as a number) */
	__u16 pad[3];
};

struct xm_opt_mp_join {
	__u8 kind_of;  /* which packet: 0 SYN, 1 SYN-ACK, 2 ACK (by length) */
	__u8 flags;    /* XM_MPJ_FLAG_B in SYN and SYN-ACK */
	__u8 addr_id;  /* SYN and SYN-ACK */
	__u8 pad;
	__u32 token;   /* SYN */
	__u32 nonce;   /* SYN and SYN-ACK */
	__u32 pad2;
	__u64 hmac64;  /* SYN-ACK: truncated HMAC, first 64 bits, as a big-endian number */
	__u8 hmac[20]; /* ACK: first 160 bits of the HMAC, wire order */
	__u32 pad3;
};
#define XM_MPJ_SYN    0
#define XM_MPJ_SYNACK 1
#define XM_MPJ_ACK    2

struct xm_opt_dss {
	__u8 flags;    /* XM_DSS_FLAG_* */
	__u8 has_csum; /* mapping carries a checksum (length tells) */
	__u16 data_len;
	__u32 ssn;      /* subflow sequence number, relative to the subflow ISN */
	__u64 data_ack; /* 4 or 8 bytes on the wire (flag a) */
	__u64 dsn;      /* 4 or 8 bytes on the wire (flag m) */
	__u16 csum;
	__u16 pad[3];
};

struct xm_opt_add_addr {
	__u8 echo;    /* E flag */
	__u8 ip_ver;  /* 4 or 6, from the length */
	__u8 addr_id;
	__u8 has_port;
	__u16 port;   /* host order */
	__u16 has_hmac;
	__u8 addr[16]; /* IPv4 in the first 4 bytes, network order */
	__u64 hmac;    /* truncated HMAC, big-endian number; absent when echo */
};

struct xm_opt_remove_addr {
	__u8 n_ids;
	__u8 ids[XM_RM_ADDR_MAX_IDS];
	__u8 pad[7];
};

struct xm_opt_mp_prio {
	__u8 backup;
	__u8 pad[7];
};

struct xm_opt_mp_fail {
	__u64 dsn;
};

struct xm_opt_mp_fastclose {
	__u64 receiver_key;
};

struct xm_opt_mp_tcprst {
	__u8 flags; /* XM_TCPRST_FLAG_* */
	__u8 reason;
	__u8 pad[6];
};

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

/*
 * API (implemented below in this header):
 *
 * int xm_tcpopt_next(const struct xm_optbuf *ob, __u32 off, __u8 *kind, __u8 *len);
 *     Walk the options area: from offset off, skip to the next option that is
 *     not NOP; returns its offset, -XM_OPT_E_TRUNCATED on a bad length, or
 *     ob->len when the area ends (EOL or end). Used in a bounded loop.
 *
 * int xm_mptcp_opt_parse(const struct xm_optbuf *ob, __u32 off, struct xm_mptcp_opt *out);
 *     Parse the MPTCP option whose kind byte is at ob->b[off]. Returns its
 *     length (> 0) or a negated enum xm_opt_err. Never reads past ob->len.
 *
 * int xm_mptcp_opt_append(struct xm_optbuf *ob, const struct xm_mptcp_opt *in);
 *     Append the wire form of *in at ob->len (its length is chosen from the
 *     has_* fields and flags, not from in->len), advance ob->len. Returns the
 *     bytes written or -XM_OPT_E_NOSPACE / -XM_OPT_E_INVALID.
 *
 * int xm_mptcp_opt_len(const struct xm_mptcp_opt *in);
 *     The wire length xm_mptcp_opt_append would write, or a negated error.
 */

#endif /* XMPTCP_MPTCP_OPT_H */
