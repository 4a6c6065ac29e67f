// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tests of what bpf/meta.h does to packets: the peer's
 * DATA_FIN turned into a FIN at ingress, the subflow -> meta translation of a
 * peer that retransmits at the MPTCP level, the MP_CAPABLE handshake marks,
 * and at egress the ACK pullback, the rx_shift translation, DSS checksums and
 * the remap of a data segment whose mapping gave way to SACK blocks.
 *
 * Every fixture is a row {description, program, xm_conns entry before, input
 * packet, expected output packet, expected xm_conns entry after, expected
 * xm_pending, counter deltas}. The runner empties xm_conns and xm_pending,
 * inserts the entry under the packet's flow key, runs the program once, and
 * checks the verdict (always pass: meta.h never drops), the WHOLE output
 * packet byte for byte, every counter (RxPackets or TxPackets moves by one,
 * the listed ones by their delta, all others not at all), every field of the
 * entry after the run, and that no entry appeared or vanished. An ingress
 * (RX) fixture runs twice, through xdp_ingress and through tc_ingress, and
 * must give the same result through both.
 *
 * Expected packets are built from fields by pktbuild.c, with a full TCP
 * checksum computed there; expected DSS checksums come from lib/crypto.c
 * (xm_dss_csum(), RFC 8684 §3.3.1), never from the BPF code. Input packets
 * carry a correct full TCP checksum too, so a correct incremental update
 * by the program yields exactly the expected bytes.
 *
 * BPF_PROG_TEST_RUN gives tc a linear skb with CHECKSUM_NONE, so the
 * bpf_l4_csum_replace() calls of meta.h update the checksum field, as they
 * do for a forwarded packet. A locally built segment is CHECKSUM_PARTIAL in
 * real traffic, where the same calls leave the field (a pseudo-header sum)
 * alone and the NIC or skb_checksum_help() computes it; that path needs real
 * traffic (the netns suite) and is not tested here. The test-run skb's socket
 * has no xm_tx_maps storage (txmap.h), so every segment maps its own bytes.
 *
 * A fixture with .bug set expects what meta.h should do where it does not
 * today; its name says so, and it fails until bpf/ is fixed.
 *
 * Usage: test_meta [-v]   (-v: libbpf debug output, with verifier logs)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>

#include "crypto.h"
#include "stats.h"
#include "harness.h"
#include "pktbuild.h"
#include "xmptcp.skel.h"

#define MAX_DELTAS 8
#define PKT_MAX	   2048

/* TCP flags byte. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/*
 * The connection every fixture uses. Both ISNs and both IDSNs sit near a
 * wrap, so 32-bit arithmetic and the expansion of 4-byte DSNs to 64 bits are
 * exercised: the peer's subflow sequence wraps at 2^32 at relative 1024, ours
 * crosses 2^31 at relative 16, our DSN crosses 2^32 at relative 0x300 and the
 * peer's at relative 0x200.
 */
#define L_KEY  0x0102030405060708ULL
#define R_KEY  0x1112131415161718ULL
#define L_IDSN 0x00000003fffffd00ULL
#define R_IDSN 0x55667788fffffe00ULL
#define L_ISN  0x7ffffff0u
#define R_ISN  0xfffffc00u

/* Subflow (= meta) sequence numbers relative to each side's ISN. */
#define LSEQ(rel) ((__u32)(L_ISN + (__u32)(rel)))
#define RSEQ(rel) ((__u32)(R_ISN + (__u32)(rel)))

/* Our data in the egress fixtures: starts at relative 0x301, DSN L_IDSN + 0x301 = 2^34 + 1. */
#define TX_REL	 0x301u
#define TX_ACKED (TX_REL - 1)
/* What we received of the peer in the egress fixtures: 1100 bytes, next relative 1101. */
#define TX_RCVD 1100u

#define CONN_IDS                                                                              \
	.local_key = L_KEY, .remote_key = R_KEY, .local_idsn = L_IDSN, .remote_idsn = R_IDSN, \
	.local_token = 0xa1a2a3a4, .remote_token = 0xb1b2b3b4, .local_isn = L_ISN,            \
	.remote_isn = R_ISN, .created_ns = 123456789

/* What a program should do with the packet; mapped to XDP_* or TC_ACT_* per hook. */
enum expect_verdict {
	V_PASS = 0,
	V_DROP,
};

struct stat_delta {
	enum xm_stat stat; /* the counter itself: fixtures are per direction */
	__u64 n;	   /* 0 ends the list */
};

/* Where the fixture's xm_conns entry goes. */
enum conn_where {
	CONN_NONE = 0,	 /* no entry */
	CONN_FLOW,	 /* under the packet's flow key */
	CONN_OTHER_FLOW, /* under another flow's key (the remote port + 1) */
};

/* What xm_pending must hold after the run. */
enum pending_expect {
	PEND_EMPTY = 0, /* nothing */
	PEND_RESERVED,	/* the packet's flow, with zero key material (a reserved slot) */
	PEND_PRESET,	/* the entry the fixture inserted, unchanged */
};

struct fixture {
	const char *desc;
	const char *bug; /* set: meta.h does not do this today (what it does instead) */
	enum xm_dir dir; /* XM_DIR_RX: xdp_ingress and tc_ingress; XM_DIR_TX: tc_egress */
	struct tb_pkt in;
	void (*in_opts)(struct tb_opts *o);
	const struct tb_pkt *out;	     /* NULL: the output is the input, unchanged */
	void (*out_opts)(struct tb_opts *o); /* NULL: the input's options */
	enum expect_verdict verdict;
	enum conn_where conn_at;
	struct xm_conn conn;
	struct xm_conn conn_after;
	bool pending_preset; /* insert key material for the flow into xm_pending first */
	enum pending_expect pending;
	struct stat_delta d[MAX_DELTAS];
};

/* The key material a preset xm_pending entry holds. */
static const struct xm_key_material preset_km = {
	.key = 0x2122232425262728ULL,
	.idsn = 0x3132333435363738ULL,
	.token = 0x41424344,
};

/* ---- independent expected values ------------------------------------------------------- */

/* The DSS checksum (lib/crypto.c) of a mapping over plen bytes of tb_payload(). */
static __u16 dss_csum(__u64 dsn, __u32 ssn, __u16 data_len, size_t plen)
{
	__u8 payload[PKT_MAX];
	__u16 csum = 0;

	tb_payload(payload, plen);
	if (xm_dss_csum(dsn, ssn, data_len, payload, plen, &csum))
		abort(); /* a test bug: arguments out of range */
	return csum;
}

/* ---- options areas ----------------------------------------------------------------------- */

/* Linux's layout: NOP NOP TS. */
static void o_ts(struct tb_opts *o)
{
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 0x11223344, 0x55667788);
}

/* NOP NOP SACK with n blocks, at the given edges. */
static void o_sack(struct tb_opts *o, const __u32 *edges, size_t n)
{
	tb_nop(o);
	tb_nop(o);
	tb_sack(o, edges, n);
}

/* The peer's DSS, 8-byte DATA_ACK (of our data up to relative 501). */
#define RX_DACK (L_IDSN + 501)

/* ingress: data at relative 1001..1100 with a DATA_FIN after it (8-byte DSN). */
static void o_rx_data_fin(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       RX_DACK, R_IDSN + 1001, 1001, 101, false, 0);
}

/* The same with 4-byte DATA_ACK and DSN, and a checksum field. */
static void o_rx_data_fin_4b_csum(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M | XM_DSS_FLAG_F, (__u32)RX_DACK,
	       (__u32)(R_IDSN + 1001), 1001, 101, true, 0x1234);
}

/* A bare DATA_FIN (SSN 0, length 1) at DSN relative dsn_rel. */
static void o_rx_bare_data_fin_at(struct tb_opts *o, __u32 dsn_rel)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       RX_DACK, R_IDSN + dsn_rel, 0, 1, false, 0);
}

static void o_rx_bare_data_fin(struct tb_opts *o)
{
	o_rx_bare_data_fin_at(o, 1101);
}

static void o_rx_bare_data_fin_wrong_dsn(struct tb_opts *o)
{
	o_rx_bare_data_fin_at(o, 1100);
}

/* A mapping of 100 bytes, no DATA_FIN. */
static void o_rx_map(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, RX_DACK,
	       R_IDSN + 1001, 1001, 100, false, 0);
}

/* One mapping for 200 bytes and the DATA_FIN, as on every segment of a TSO burst. */
static void o_rx_burst_data_fin(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       RX_DACK, R_IDSN + 1001, 1001, 201, false, 0);
}

/* A DATA_ACK alone (of our data up to relative dack_rel): what a pure ACK or FIN carries. */
static void o_rx_ack_at(struct tb_opts *o, __u32 dack_rel)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a, L_IDSN + dack_rel, 0, 0, 0, false, 0);
}

static void o_rx_ack(struct tb_opts *o)
{
	o_rx_ack_at(o, 501);
}

static void o_rx_ack_502(struct tb_opts *o)
{
	o_rx_ack_at(o, 502);
}

/* MPTCP-level retransmission: DSN relative 1001..1100 sent again at subflow relative 2001. */
static void o_rx_retrans(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, RX_DACK,
	       R_IDSN + 1001, 2001, 100, false, 0);
}

/* A late copy of an old segment: DSN relative 1501 at subflow relative 1501 (no shift then). */
static void o_rx_old_copy(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, RX_DACK,
	       R_IDSN + 1501, 1501, 100, false, 0);
}

/* The last data, DSN relative 1101..1200 and the DATA_FIN, at subflow relative 2101. */
static void o_rx_retrans_data_fin(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       RX_DACK, R_IDSN + 1101, 2101, 101, false, 0);
}

/* The RST of an aborting Linux peer: MP_FASTCLOSE (our key) and MP_TCPRST, no DSS. */
static void o_rx_rst(struct tb_opts *o)
{
	o_ts(o);
	tb_mp_fastclose(o, L_KEY);
	tb_mp_tcprst(o, 0, 0);
}

/* A plain SYN's options and the MP_CAPABLE ones. */
static void o_plain_syn(struct tb_opts *o)
{
	tb_mss(o, 1460);
	tb_sack_perm(o);
	tb_ts(o, 1, 0);
	tb_nop(o);
	tb_wscale(o, 7);
}

static void o_mpc_syn(struct tb_opts *o)
{
	o_plain_syn(o);
	tb_mp_capable(o, XM_MPC_LEN_SYN, 1, XM_MPC_FLAG_H, 0, 0, 0, 0);
}

static void o_mpc_synack(struct tb_opts *o)
{
	o_plain_syn(o);
	tb_mp_capable(o, XM_MPC_LEN_SYNACK, 1, XM_MPC_FLAG_H, R_KEY, 0, 0, 0);
}

/* Our DATA_ACK of everything received (relative 1101), 4 and 8 bytes. */
#define TX_DACK (R_IDSN + TX_RCVD + 1)
/* Our data's DSN: 2^34 + 1, whose 4-byte form (1) only the expansion makes right. */
#define TX_DSN (L_IDSN + TX_REL)

/* egress: a pure ACK with an 8-byte DATA_ACK of relative dack_rel. */
static void o_tx_ack_at(struct tb_opts *o, __u32 dack_rel)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a, R_IDSN + dack_rel, 0, 0, 0, false, 0);
}

static void o_tx_ack_1101(struct tb_opts *o)
{
	o_tx_ack_at(o, 1101);
}

static void o_tx_ack_1102(struct tb_opts *o)
{
	o_tx_ack_at(o, 1102);
}

/* SACK blocks in the meta space, and the same edges moved to the subflow space (+1000). */
static const __u32 sack_meta[4] = {RSEQ(1201), RSEQ(1301), RSEQ(1401), RSEQ(1501)};
static const __u32 sack_sub[4] = {RSEQ(2201), RSEQ(2301), RSEQ(2401), RSEQ(2501)};
static const __u32 sack3[6] = {RSEQ(1201), RSEQ(1301), RSEQ(1401),
			       RSEQ(1501), RSEQ(1601), RSEQ(1701)};

/* TS, two SACK blocks, a bare 4-byte DATA_ACK: 40 bytes. */
static void o_tx_sack2_dack(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_meta, 2);
	tb_dss(o, XM_DSS_FLAG_A, (__u32)TX_DACK, 0, 0, 0, false, 0);
}

static void o_tx_sack2_dack_shifted(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_sub, 2);
	tb_dss(o, XM_DSS_FLAG_A, (__u32)TX_DACK, 0, 0, 0, false, 0);
}

/* TS and three SACK blocks: 40 bytes. */
static void o_tx_sack3(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack3, 3);
}

/* TS and two SACK blocks: 32 bytes. */
static void o_tx_sack2(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_meta, 2);
}

/* TS and one SACK block: 24 bytes, which leave 12, too few for any mapping. */
static void o_tx_sack1(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_meta, 1);
}

/* TS, two SACK blocks and an option we do not know (experimental, kind 253): 36 bytes. */
static void o_tx_sack2_unknown(struct tb_opts *o)
{
	static const __u8 exid[2] = {0x12, 0x34};

	o_ts(o);
	o_sack(o, sack_meta, 2);
	tb_opt(o, 253, 4, exid, sizeof(exid));
}

/* A segment that has its mapping (the 16-byte form sockops writes next to one SACK block). */
static void o_tx_sack1_map(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_meta, 1);
	tb_dss(o, XM_DSS_FLAG_M, 0, (__u32)TX_DSN, TX_REL, 200, false, 0);
}

/* TS, one SACK block and 4 NOPs (28 bytes): 16 left, room for the mapping alone. */
static void o_tx_sack1_nops(struct tb_opts *o)
{
	o_tx_sack1(o);
	tb_nop(o);
	tb_nop(o);
	tb_nop(o);
	tb_nop(o);
}

static void o_tx_map_only(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_M, 0, (__u32)TX_DSN, TX_REL, 200, false, 0);
	while (o->len < 28)
		tb_nop(o);
}

/* The same with the SACK block moved to the subflow space (+1000). */
static void o_tx_sack1_map_shifted(struct tb_opts *o)
{
	o_ts(o);
	o_sack(o, sack_sub, 1);
	tb_dss(o, XM_DSS_FLAG_M, 0, (__u32)TX_DSN, TX_REL, 200, false, 0);
}

/* The DSS a 200-byte segment at TX_REL should leave with, in each form, then NOP padding. */
static void o_tx_remapped_full(struct tb_opts *o, __u8 extra_flags, __u16 data_len, __u32 ssn,
			       bool csum, __u16 plen)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | extra_flags,
	       TX_DACK, TX_DSN, ssn, data_len, csum,
	       csum ? dss_csum(TX_DSN, ssn, data_len, plen) : 0);
	while (o->len < 40)
		tb_nop(o);
}

static void o_tx_full(struct tb_opts *o)
{
	o_tx_remapped_full(o, 0, 200, TX_REL, false, 200);
}

static void o_tx_full_csum(struct tb_opts *o)
{
	o_tx_remapped_full(o, 0, 200, TX_REL, true, 200);
}

/* With a FIN: the DATA_FIN takes one more byte of the mapping. */
static void o_tx_full_fin(struct tb_opts *o)
{
	o_tx_remapped_full(o, XM_DSS_FLAG_F, 201, TX_REL, false, 200);
}

static void o_tx_full_fin_csum(struct tb_opts *o)
{
	o_tx_remapped_full(o, XM_DSS_FLAG_F, 201, TX_REL, true, 200);
}

/* A bare FIN: DATA_FIN with SSN 0 and length 1 (RFC 8684 §3.3.3). */
static void o_tx_full_bare_fin(struct tb_opts *o)
{
	o_tx_remapped_full(o, XM_DSS_FLAG_F, 1, 0, false, 0);
}

static void o_tx_full_bare_fin_csum(struct tb_opts *o)
{
	o_tx_remapped_full(o, XM_DSS_FLAG_F, 1, 0, true, 0);
}

/* After the injected FIN: our DATA_ACK covers the peer's DATA_FIN (relative 1102). */
static void o_tx_full_dack_fin(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, TX_DACK + 1,
	       TX_DSN, TX_REL, 200, false, 0);
	tb_nop(o);
	tb_nop(o);
}

/* The 4-byte form (18 bytes, 20 with the checksum) in 20 bytes after TS. */
static void o_tx_compact(struct tb_opts *o, bool csum)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_DSN, TX_REL, 200, csum,
	       csum ? dss_csum(TX_DSN, TX_REL, 200, 200) : 0);
	while (o->len < 32)
		tb_nop(o);
}

static void o_tx_compact_plain(struct tb_opts *o)
{
	o_tx_compact(o, false);
}

static void o_tx_compact_csum(struct tb_opts *o)
{
	o_tx_compact(o, true);
}

/* Sockops' mapping with a zero checksum for TC to fill in: 4-byte DSN, 301 bytes (odd). */
static void o_tx_map4_csum_in(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_DSN, TX_REL, 301, true,
	       0);
}

static void o_tx_map4_csum_out(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_DSN, TX_REL, 301, true,
	       dss_csum(TX_DSN, TX_REL, 301, 301));
}

/* 8-byte DSN, 1200 bytes: more than one 512-byte chunk of xm_skb_sum(). */
static void o_tx_map8_csum_in(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, TX_DACK, TX_DSN,
	       TX_REL, 1200, true, 0);
}

static void o_tx_map8_csum_out(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, TX_DACK, TX_DSN,
	       TX_REL, 1200, true, dss_csum(TX_DSN, TX_REL, 1200, 1200));
}

/*
 * After 3 GiB sent: our data at relative 0xc0000001, DSN L_IDSN + 0xc0000001, whose
 * 4-byte form only an expansion against snd_una (IDSN + bytes_acked + 1) gets right.
 */
#define TX_FAR_REL 0xc0000001u
#define TX_FAR_DSN (L_IDSN + TX_FAR_REL)

static void o_tx_far_csum_in(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_FAR_DSN, TX_FAR_REL, 100,
	       true, 0);
}

static void o_tx_far_csum_out(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_FAR_DSN, TX_FAR_REL, 100,
	       true, dss_csum(TX_FAR_DSN, TX_FAR_REL, 100, 100));
}

/*
 * A 200-byte mapping over a retransmitted piece of it (txmap.h): sockops wrote
 * the first transmission's checksum, which TC must keep.
 */
static void o_tx_piece_csum(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, (__u32)TX_DACK, (__u32)TX_DSN, TX_REL, 200, true,
	       0xbeef);
}

/* A bare DATA_FIN mapping with a checksum: the pseudo-header alone. */
static void o_tx_bare_fin_csum_in(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       TX_DACK, TX_DSN, 0, 1, true, 0);
}

static void o_tx_bare_fin_csum_out(struct tb_opts *o)
{
	o_ts(o);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m | XM_DSS_FLAG_F,
	       TX_DACK, TX_DSN, 0, 1, true, dss_csum(TX_DSN, 0, 1, 0));
}

/* MP_CAPABLE with our first 100 bytes (DSN IDSN + 1, SSN 1) and a zero checksum. */
static void o_tx_mpc_data(struct tb_opts *o, __u16 csum)
{
	o_ts(o);
	tb_mp_capable(o, XM_MPC_LEN_DATA_CSUM, 1, XM_MPC_FLAG_A | XM_MPC_FLAG_H, L_KEY, R_KEY, 100,
		      csum);
}

static void o_tx_mpc_data_in(struct tb_opts *o)
{
	o_tx_mpc_data(o, 0);
}

static void o_tx_mpc_data_out(struct tb_opts *o)
{
	o_tx_mpc_data(o, dss_csum(L_IDSN + 1, 1, 100, 100));
}

/* ---- fixtures ------------------------------------------------------------------------------ */

#define D(s, k)                \
	{                      \
		XM_STAT_##s, k \
	}
/* What every ingress segment with one DSS counts. */
#define RX_DSS D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_DSS, 1)
#define TX_DSS D(TX_TCP, 1), D(TX_MPTCP, 1), D(TX_OPT_DSS, 1)

#define F_CSUM	   XM_CONN_F_CSUM
#define F_PEER_DSS XM_CONN_F_PEER_DSS
#define F_FIN_INJ  XM_CONN_F_FIN_INJECTED
#define F_PEER_FIN XM_CONN_F_PEER_FIN
#define F_DFIN_TX  XM_CONN_F_DATA_FIN_TX
#define F_XDP_SEEN XM_CONN_F_XDP_SEEN
#define F_PEER_DFIN XM_CONN_F_PEER_DATA_FIN
#define F_PEER_RST XM_CONN_F_PEER_RST
#define EST	   XM_CS_ESTABLISHED

/* The peer's data segment at relative 1001, 100 bytes, acking our relative 501. */
#define RX_DATA_1001 .seq = RSEQ(1001), .ack = LSEQ(501), .payload_len = 100

static const struct fixture fixtures[] = {
	/* ---- xdp_ingress: the peer's DATA_FIN ---- */
	{
		.desc = "DATA_FIN after a data segment's mapping: FIN set, fin_seq recorded",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin,
		.out = &(const struct tb_pkt){RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "DATA_FIN, 4-byte DSN and a checksum field: FIN set, PEER_DSS learnt",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin_4b_csum,
		.out = &(const struct tb_pkt){RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "IPv6: DATA_FIN after a data segment's mapping: FIN set",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .l3 = TB_IPV6, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin,
		.out = &(const struct tb_pkt){RX_DATA_1001, .l3 = TB_IPV6,
					      .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "802.1Q and IPv4 options: DATA_FIN after a data segment's mapping: FIN set",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .vlan_id = 100, .ip_opts_len = 8,
		       .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin,
		.out = &(const struct tb_pkt){RX_DATA_1001, .vlan_id = 100, .ip_opts_len = 8,
					      .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "bare DATA_FIN (SSN 0, length 1) on a pure ACK: FIN set there",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501)},
		.in_opts = o_rx_bare_data_fin,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "bare DATA_FIN at a DSN that is not the next one: untouched",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501)},
		.in_opts = o_rx_bare_data_fin_wrong_dsn,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_PEER_DFIN, .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "a mapping without DATA_FIN: untouched, PEER_DSS and rx_sub_hi learnt",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_map,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "first segment of a burst whose mapping ends in the DATA_FIN: untouched",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001},
		.in_opts = o_rx_burst_data_fin,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_PEER_DFIN, .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "last segment of that burst: FIN set after its data",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501), .payload_len = 100},
		.in_opts = o_rx_burst_data_fin,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .payload_len = 100,
					      .tcp_flags = TH_ACK | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1201), .rx_sub_hi = 1201},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "FIN and DATA_FIN in one segment: the stack sees the FIN, no injection",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_rx_bare_data_fin,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_PEER_DFIN, .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "no xm_conns entry for this flow: DATA_FIN untouched",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin,
		.conn_at = CONN_OTHER_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1001},
		.d = {RX_DSS},
	},
	/* ---- xdp_ingress: after the injected FIN ---- */
	{
		.desc = "the peer's own subflow FIN at fin_seq: PEER_FIN, untouched",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_rx_ack,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "the peer's subflow FIN acking our FIN after our DATA_FIN: ack held back",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(502), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_rx_ack_502,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_DFIN_TX,
			 .fin_seq = RSEQ(1101), .local_fin_seq = LSEQ(501), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST,
			       .flags = F_PEER_DSS | F_FIN_INJ | F_DFIN_TX | F_PEER_FIN,
			       .fin_seq = RSEQ(1101), .local_fin_seq = LSEQ(501),
			       .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "a pure ACK at fin_seq: moved up by one",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501)},
		.in_opts = o_rx_ack,
		.out = &(const struct tb_pkt){.seq = RSEQ(1102), .ack = LSEQ(501)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "a pure ACK at fin_seq once the peer's FIN came: untouched",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501)},
		.in_opts = o_rx_ack,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "the peer's bare DATA_FIN again at fin_seq: moved up by one, no 2nd FIN",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501)},
		.in_opts = o_rx_bare_data_fin,
		.out = &(const struct tb_pkt){.seq = RSEQ(1102), .ack = LSEQ(501)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "the peer's data + DATA_FIN again: FIN set again at the same fin_seq, counted once",
		.dir = XM_DIR_RX,
		.in = {RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_data_fin,
		.out = &(const struct tb_pkt){RX_DATA_1001, .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {RX_DSS},
	},
	{
		.desc = "the peer's RST (no DSS, as Linux sends it) at fin_seq: moved up by one",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_RST},
		.in_opts = o_rx_rst,
		.out = &(const struct tb_pkt){.seq = RSEQ(1102),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_RST},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_RST,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_FASTCLOSE, 1),
		      D(RX_OPT_MP_TCPRST, 1)},
	},
	/* ---- xdp_ingress: subflow -> meta translation ---- */
	{
		.desc = "old data at a new subflow place (MPTCP-level retransmission): seq to meta",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2001), .ack = LSEQ(501), .payload_len = 100},
		.in_opts = o_rx_retrans,
		.out = &(const struct tb_pkt){.seq = RSEQ(1001),
					      .ack = LSEQ(501),
					      .payload_len = 100},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 2001},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101},
		.d = {RX_DSS, D(RX_SHIFTS, 1)},
	},
	{
		.desc = "a following pure ACK, no mapping: takes the shift",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2101), .ack = LSEQ(501)},
		.in_opts = o_rx_ack,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101), .ack = LSEQ(501)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101},
		.d = {RX_DSS},
	},
	{
		.desc = "a late copy of older subflow data: its own place, the shift stays",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1501), .ack = LSEQ(501), .payload_len = 100},
		.in_opts = o_rx_old_copy,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101},
		.d = {RX_DSS},
	},
	{
		.desc = "DATA_FIN on data sent at a shifted place: seq to meta and FIN set",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2101),
		       .ack = LSEQ(501),
		       .payload_len = 100,
		       .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_rx_retrans_data_fin,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .payload_len = 100,
					      .tcp_flags = TH_ACK | TH_PSH | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1201), .rx_shift = 1000, .rx_sub_hi = 2201},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "the peer's subflow FIN at a shifted place: back to fin_seq, PEER_FIN",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_rx_ack,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_shift = 1000, .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			       .fin_seq = RSEQ(1101), .rx_shift = 1000, .rx_sub_hi = 2101},
		.d = {RX_DSS},
	},
	{
		.desc = "a bare DATA_FIN at a shifted place: seq to meta and FIN set",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2101), .ack = LSEQ(501)},
		.in_opts = o_rx_bare_data_fin,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_FIN},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_DFIN,
			       .fin_seq = RSEQ(1101), .rx_shift = 1000, .rx_sub_hi = 2101},
		.d = {RX_DSS, D(DATA_FIN_RX, 1)},
	},
	{
		.desc = "the peer's RST (no DSS) with no shift: untouched",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(1101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_RST},
		.in_opts = o_rx_rst,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_PEER_RST, .rx_sub_hi = 1101},
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_FASTCLOSE, 1),
		      D(RX_OPT_MP_TCPRST, 1)},
	},
	{
		.desc = "the peer's RST (no DSS, as Linux sends it) after a shift: seq to meta",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(2101), .ack = LSEQ(501), .tcp_flags = TH_ACK | TH_RST},
		.in_opts = o_rx_rst,
		.out = &(const struct tb_pkt){.seq = RSEQ(1101),
					      .ack = LSEQ(501),
					      .tcp_flags = TH_ACK | TH_RST},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_PEER_RST, .rx_shift = 1000,
			       .rx_sub_hi = 2101},
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_FASTCLOSE, 1),
		      D(RX_OPT_MP_TCPRST, 1)},
	},
	/* ---- xdp_ingress: xm_meta_handshake ---- */
	{
		.desc = "MP_CAPABLE SYN: reserves an xm_pending slot with no key yet",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .tcp_flags = TH_SYN},
		.in_opts = o_mpc_syn,
		.pending = PEND_RESERVED,
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "plain SYN: reserves nothing",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .tcp_flags = TH_SYN},
		.in_opts = o_plain_syn,
		.d = {D(RX_TCP, 1)},
	},
	{
		.desc = "MP_CAPABLE SYN again: the slot keeps the key it holds",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .tcp_flags = TH_SYN},
		.in_opts = o_mpc_syn,
		.pending_preset = true,
		.pending = PEND_PRESET,
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "MP_CAPABLE SYN-ACK: marks the SYN_SENT connection XDP_SEEN",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .ack = LSEQ(1), .tcp_flags = TH_SYN | TH_ACK},
		.in_opts = o_mpc_synack,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = XM_CS_SYN_SENT, .role = XM_ROLE_CLIENT},
		.conn_after = {CONN_IDS, .state = XM_CS_SYN_SENT, .role = XM_ROLE_CLIENT,
			       .flags = F_XDP_SEEN},
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "SYN-ACK without MP_CAPABLE: not marked",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .ack = LSEQ(1), .tcp_flags = TH_SYN | TH_ACK},
		.in_opts = o_plain_syn,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = XM_CS_SYN_SENT, .role = XM_ROLE_CLIENT},
		.conn_after = {CONN_IDS, .state = XM_CS_SYN_SENT, .role = XM_ROLE_CLIENT},
		.d = {D(RX_TCP, 1)},
	},
	{
		.desc = "MP_CAPABLE SYN-ACK for a connection past SYN_SENT: not marked",
		.dir = XM_DIR_RX,
		.in = {.seq = RSEQ(0), .ack = LSEQ(1), .tcp_flags = TH_SYN | TH_ACK},
		.in_opts = o_mpc_synack,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = XM_CS_MPC_ACK, .role = XM_ROLE_CLIENT},
		.conn_after = {CONN_IDS, .state = XM_CS_MPC_ACK, .role = XM_ROLE_CLIENT},
		.d = {D(RX_TCP, 1), D(RX_MPTCP, 1), D(RX_OPT_MP_CAPABLE, 1)},
	},
	/* ---- tc_egress: ACKs ---- */
	{
		.desc = "TIME_WAIT ACK of a lingering entry: pulled back, grown by a DSS DATA_ACK",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1102)},
		.in_opts = o_ts,
		.out = &(const struct tb_pkt){.seq = LSEQ(501), .ack = RSEQ(1101)},
		.out_opts = o_tx_ack_1102,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST,
			 .flags = F_PEER_DSS | F_FIN_INJ | F_DFIN_TX | XM_CONN_F_LINGER,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST,
			       .flags = F_PEER_DSS | F_FIN_INJ | F_DFIN_TX | XM_CONN_F_LINGER,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101, .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(ACK_FIXUPS, 1), D(LINGER_DATA_ACK, 1)},
	},
	{
		.desc = "IPv6: TIME_WAIT ACK of a lingering entry grown by a DSS DATA_ACK",
		.dir = XM_DIR_TX,
		.in = {.l3 = TB_IPV6, .seq = LSEQ(501), .ack = RSEQ(1101)},
		.in_opts = o_ts,
		.out = &(const struct tb_pkt){.l3 = TB_IPV6, .seq = LSEQ(501), .ack = RSEQ(1101)},
		.out_opts = o_tx_ack_1101,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_DFIN_TX | XM_CONN_F_LINGER,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST,
			       .flags = F_PEER_DSS | F_DFIN_TX | XM_CONN_F_LINGER,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(LINGER_DATA_ACK, 1)},
	},
	{
		.desc = "lingering entry: an ACK that has a DSS already is left as it is",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1101)},
		.in_opts = o_tx_ack_1101,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_DFIN_TX | XM_CONN_F_LINGER,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST,
			       .flags = F_PEER_DSS | F_DFIN_TX | XM_CONN_F_LINGER,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "ACK covering the injected FIN: pulled back to fin_seq",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1102)},
		.in_opts = o_tx_ack_1102,
		.out = &(const struct tb_pkt){.seq = LSEQ(501), .ack = RSEQ(1101)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {TX_DSS, D(ACK_FIXUPS, 1)},
	},
	{
		.desc = "IPv6: ACK covering the injected FIN: pulled back to fin_seq",
		.dir = XM_DIR_TX,
		.in = {.l3 = TB_IPV6, .seq = LSEQ(501), .ack = RSEQ(1102)},
		.in_opts = o_tx_ack_1102,
		.out = &(const struct tb_pkt){.l3 = TB_IPV6, .seq = LSEQ(501), .ack = RSEQ(1101)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {TX_DSS, D(ACK_FIXUPS, 1)},
	},
	{
		.desc = "ACK covering fin_seq once the peer's FIN came: untouched",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1102)},
		.in_opts = o_tx_ack_1102,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ | F_PEER_FIN,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {TX_DSS},
	},
	{
		.desc = "ACK of fin_seq itself (not of the injected FIN): untouched",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1101)},
		.in_opts = o_tx_ack_1101,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101},
		.d = {TX_DSS},
	},
	{
		.desc = "ack and SACK edges moved to the subflow space by rx_shift",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1101)},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.seq = LSEQ(501), .ack = RSEQ(2101)},
		.out_opts = o_tx_sack2_dack_shifted,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101},
		.d = {TX_DSS},
	},
	{
		.desc = "ACK covering the injected FIN with rx_shift: pulled back, then shifted",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(501), .ack = RSEQ(1102)},
		.in_opts = o_tx_ack_1102,
		.out = &(const struct tb_pkt){.seq = LSEQ(501), .ack = RSEQ(2101)},
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_shift = 1000, .rx_sub_hi = 2101},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_shift = 1000, .rx_sub_hi = 2101},
		.d = {TX_DSS, D(ACK_FIXUPS, 1)},
	},
	/* ---- tc_egress: DSS checksums ---- */
	{
		.desc = "DSS checksum, 4-byte DSN: the pseudo-header has the 64-bit DSN",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL),
		       .ack = RSEQ(1101),
		       .payload_len = 301,
		       .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_tx_map4_csum_in,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 301,
					      .tcp_flags = TH_ACK | TH_PSH},
		.out_opts = o_tx_map4_csum_out,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "DSS checksum, 8-byte DSN, 1200 bytes (more than one 512-byte chunk)",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 1200},
		.in_opts = o_tx_map8_csum_in,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 1200},
		.out_opts = o_tx_map8_csum_out,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "DSS checksum, 4-byte DSN after 3 GiB: expanded against snd_una",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_FAR_REL), .ack = RSEQ(1101), .payload_len = 100},
		.in_opts = o_tx_far_csum_in,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_FAR_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 100},
		.out_opts = o_tx_far_csum_out,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_FAR_REL - 1, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_FAR_REL - 1, .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "DSS checksum of a bare DATA_FIN: the pseudo-header alone",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_tx_bare_fin_csum_in,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .tcp_flags = TH_ACK | TH_FIN},
		.out_opts = o_tx_bare_fin_csum_out,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS | F_DFIN_TX,
			 .local_fin_seq = LSEQ(TX_REL), .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS | F_DFIN_TX,
			       .local_fin_seq = LSEQ(TX_REL), .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "the second half of a larger mapping, retransmitted: its checksum stays",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL + 100), .ack = RSEQ(1101), .payload_len = 100},
		.in_opts = o_tx_piece_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "the first half of a larger mapping, retransmitted: its checksum stays",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 100},
		.in_opts = o_tx_piece_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "no checksums negotiated: a DSS checksum field is left alone",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL),
		       .ack = RSEQ(1101),
		       .payload_len = 301,
		       .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_tx_map4_csum_in,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "MP_CAPABLE with data: checksum over DSN IDSN + 1, SSN 1",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(1),
		       .ack = RSEQ(1),
		       .payload_len = 100,
		       .tcp_flags = TH_ACK | TH_PSH},
		.in_opts = o_tx_mpc_data_in,
		.out = &(const struct tb_pkt){.seq = LSEQ(1),
					      .ack = RSEQ(1),
					      .payload_len = 100,
					      .tcp_flags = TH_ACK | TH_PSH},
		.out_opts = o_tx_mpc_data_out,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = XM_CS_MPC_ACK, .role = XM_ROLE_CLIENT, .flags = F_CSUM},
		.conn_after = {CONN_IDS, .state = XM_CS_MPC_ACK, .role = XM_ROLE_CLIENT,
			       .flags = F_CSUM},
		.d = {D(TX_TCP, 1), D(TX_MPTCP, 1), D(TX_OPT_MP_CAPABLE, 1), D(DSS_CSUM_TX, 1)},
	},
	/* ---- tc_egress: the mapping takes the place of SACK blocks (xm_egress_remap) ---- */
	{
		.desc = "TS + 2 SACK blocks + bare DATA_ACK: the full DSS replaces them",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "IPv6: TS + 2 SACK blocks + bare DATA_ACK: the full DSS replaces them",
		.dir = XM_DIR_TX,
		.in = {.l3 = TB_IPV6, .seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.l3 = TB_IPV6,
					      .seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "802.1Q and IPv4 options: 2 SACK blocks + DATA_ACK give way to the full "
			"DSS",
		.dir = XM_DIR_TX,
		.in = {.vlan_id = 100,
		       .ip_opts_len = 8,
		       .seq = LSEQ(TX_REL),
		       .ack = RSEQ(1101),
		       .payload_len = 200},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.vlan_id = 100,
					      .ip_opts_len = 8,
					      .seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "TS + 3 SACK blocks: the full DSS replaces them",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "TS + 2 SACK blocks (32 bytes): the 4-byte DSS form replaces them",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_compact_plain,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "TS + 1 SACK block + 4 NOPs (28 bytes): the mapping alone (14 bytes)",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack1_nops,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_map_only,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "checksum conn, TS + 2 SACK blocks + DATA_ACK: full DSS with its checksum",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_TX_SACK_REPLACED, 1), D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "checksum conn, TS + 2 SACK blocks: 4-byte form, checksum of the 64-bit "
			"DSN",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_compact_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			       .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1), D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "FIN with data: the mapping carries the DATA_FIN, local_fin_seq recorded",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL),
		       .ack = RSEQ(1101),
		       .payload_len = 200,
		       .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_tx_sack2_dack,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200,
					      .tcp_flags = TH_ACK | TH_FIN},
		.out_opts = o_tx_full_fin,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_DFIN_TX,
			       .local_fin_seq = LSEQ(TX_REL + 200), .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS, D(DSS_TX_SACK_REPLACED, 1), D(DATA_FIN_TX, 1)},
	},
	{
		.desc = "checksum conn, FIN with data: the checksum counts the DATA_FIN's length",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL),
		       .ack = RSEQ(1101),
		       .payload_len = 200,
		       .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200,
					      .tcp_flags = TH_ACK | TH_FIN},
		.out_opts = o_tx_full_fin_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS | F_DFIN_TX,
			       .local_fin_seq = LSEQ(TX_REL + 200), .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1), D(DATA_FIN_TX, 1),
		      D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "bare FIN with 3 SACK blocks: DATA_FIN mapping with SSN 0, length 1",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .tcp_flags = TH_ACK | TH_FIN},
		.out_opts = o_tx_full_bare_fin,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_DFIN_TX,
			       .local_fin_seq = LSEQ(TX_REL), .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1), D(DATA_FIN_TX, 1)},
	},
	{
		.desc = "checksum conn, bare FIN with 3 SACK blocks: DATA_FIN mapping, checksummed",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .tcp_flags = TH_ACK | TH_FIN},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .tcp_flags = TH_ACK | TH_FIN},
		.out_opts = o_tx_full_bare_fin_csum,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS,
			 .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_CSUM | F_PEER_DSS | F_DFIN_TX,
			       .local_fin_seq = LSEQ(TX_REL), .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1), D(DATA_FIN_TX, 1),
		      D(DSS_CSUM_TX, 1)},
	},
	{
		.desc = "remap with rx_shift: the TCP ack moves, the DATA_ACK stays in data space",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(2101),
					      .payload_len = 200},
		.out_opts = o_tx_full,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101, .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1)},
	},
	{
		.desc = "remap of data acking the injected FIN: ack pulled back, DATA_ACK covers "
			"it",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1102), .payload_len = 200},
		.in_opts = o_tx_sack3,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(1101),
					      .payload_len = 200},
		.out_opts = o_tx_full_dack_fin,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			 .fin_seq = RSEQ(1101), .rx_sub_hi = 1101, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS | F_FIN_INJ,
			       .fin_seq = RSEQ(1101), .rx_sub_hi = 1101, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_SACK_REPLACED, 1), D(ACK_FIXUPS, 1)},
	},
	{
		.desc = "an unknown option besides SACK: left as it is, DssTxNoMapping",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2_unknown,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_NO_MAPPING, 1)},
	},
	{
		.desc = "TS + 1 SACK block leave 12 bytes, no mapping fits: DssTxNoMapping",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack1,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1), D(DSS_TX_NO_MAPPING, 1)},
	},
	{
		.desc = "a pure ACK with 3 SACK blocks: not touched",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101)},
		.in_opts = o_tx_sack3,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1)},
	},
	{
		.desc = "a data segment that has its mapping: not touched",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack1_map,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "a data segment with its mapping and a SACK block, rx_shift: edges moved",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack1_map,
		.out = &(const struct tb_pkt){.seq = LSEQ(TX_REL),
					      .ack = RSEQ(2101),
					      .payload_len = 200},
		.out_opts = o_tx_sack1_map_shifted,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			 .rx_sub_hi = 2101, .bytes_acked = TX_ACKED, .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .rx_shift = 1000,
			       .rx_sub_hi = 2101, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {TX_DSS},
	},
	{
		.desc = "data before the peer has our keys (MPC_ACK, no peer DSS): not remapped",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack2,
		.conn_at = CONN_FLOW,
		.conn = {CONN_IDS, .state = XM_CS_MPC_ACK, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = XM_CS_MPC_ACK, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1)},
	},
	{
		.desc = "no xm_conns entry for this flow: SACK blocks stay",
		.dir = XM_DIR_TX,
		.in = {.seq = LSEQ(TX_REL), .ack = RSEQ(1101), .payload_len = 200},
		.in_opts = o_tx_sack3,
		.conn_at = CONN_OTHER_FLOW,
		.conn = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			 .bytes_received = TX_RCVD},
		.conn_after = {CONN_IDS, .state = EST, .flags = F_PEER_DSS, .bytes_acked = TX_ACKED,
			       .bytes_received = TX_RCVD},
		.d = {D(TX_TCP, 1)},
	},
};

/* ---- the runner ---------------------------------------------------------------------------- */

struct runner {
	struct xmptcp_bpf *skel;
	int stats_fd, conns_fd, pending_fd;
};

/* The flow key of packet p as the local host sees it (the peer is the sender at ingress). */
static void flow_key(const struct tb_pkt *p, enum xm_dir dir, bool other, struct xm_flow_key *k)
{
	bool v6 = p->l3 == TB_IPV6;
	const __u8 *src = v6 ? tb_saddr6 : tb_saddr4, *dst = v6 ? tb_daddr6 : tb_daddr4;
	__u16 sport = p->sport ? p->sport : 40000, dport = p->dport ? p->dport : 5201;
	__u16 lport = dir == XM_DIR_RX ? dport : sport, rport = dir == XM_DIR_RX ? sport : dport;

	memset(k, 0, sizeof(*k));
	k->ip_ver = v6 ? 6 : 4;
	memcpy(k->laddr, dir == XM_DIR_RX ? dst : src, v6 ? 16 : 4);
	memcpy(k->raddr, dir == XM_DIR_RX ? src : dst, v6 ? 16 : 4);
	k->lport = htons(lport);
	k->rport = htons(other ? rport + 1 : rport);
}

/* Delete every entry of a hash map; returns how many there were, or a negative errno. */
static int map_clear(int fd, size_t key_size)
{
	__u8 key[64], next[64];
	int n = 0;

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			return -errno;
		n++;
	}
	return n;
}

static int map_count(int fd, size_t key_size)
{
	__u8 key[64], next[64];
	int n = 0;
	void *prev = NULL;

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* Every field of an xm_conn, named, then the whole struct (pads included). */
static bool check_conn(const struct xm_conn *got, const struct xm_conn *want)
{
	bool ok = true;

#define CONN_EQ(f) (ok &= ASSERT_EQ(got->f, want->f, "xm_conns after: " #f))
	CONN_EQ(local_key);
	CONN_EQ(remote_key);
	CONN_EQ(local_idsn);
	CONN_EQ(remote_idsn);
	CONN_EQ(local_token);
	CONN_EQ(remote_token);
	CONN_EQ(local_isn);
	CONN_EQ(remote_isn);
	CONN_EQ(fin_seq);
	CONN_EQ(flags);
	CONN_EQ(state);
	CONN_EQ(role);
	CONN_EQ(local_fin_seq);
	CONN_EQ(rx_shift);
	CONN_EQ(rx_sub_hi);
	CONN_EQ(created_ns);
	CONN_EQ(bytes_acked);
	CONN_EQ(bytes_received);
#undef CONN_EQ
	if (ok)
		ok = ASSERT_MEMEQ(got, sizeof(*got), want, sizeof(*want), "xm_conns after (bytes)");
	return ok;
}

static void check_pending(struct runner *r, const struct fixture *f, const struct xm_flow_key *k)
{
	struct xm_key_material km, zero = {0};
	int n = map_count(r->pending_fd, sizeof(*k));

	if (f->pending == PEND_EMPTY) {
		ASSERT_EQ(n, 0, "xm_pending entries after");
		return;
	}
	if (!ASSERT_EQ(n, 1, "xm_pending entries after"))
		return;
	if (!ASSERT_OK(bpf_map_lookup_elem(r->pending_fd, k, &km) ? -errno : 0,
		       "xm_pending entry of the packet's flow"))
		return;
	if (f->pending == PEND_RESERVED)
		ASSERT_MEMEQ(&km, sizeof(km), &zero, sizeof(zero), "xm_pending: a reserved slot");
	else
		ASSERT_MEMEQ(&km, sizeof(km), &preset_km, sizeof(preset_km),
			     "xm_pending: the preset key material");
}

/* The program a fixture runs through: RX fixtures run through both ingress programs. */
enum hook {
	HOOK_XDP_INGRESS,
	HOOK_TC_INGRESS,
	HOOK_TC_EGRESS,
};

static const char *const hook_name[] = {
	[HOOK_XDP_INGRESS] = "xdp_ingress",
	[HOOK_TC_INGRESS] = "tc_ingress",
	[HOOK_TC_EGRESS] = "tc_egress",
};

static void run_fixture(struct runner *r, const struct fixture *f, enum hook hook)
{
	__u8 in[PKT_MAX], exp[PKT_MAX], out[PKT_MAX];
	__u64 before[XM_STAT__MAX], after[XM_STAT__MAX], want[XM_STAT__MAX] = {0};
	struct tb_opts oi = {0}, oo = {0};
	struct __sk_buff skb_ctx = {.ifindex = 1};
	struct xm_flow_key k;
	struct xm_conn got;
	size_t in_len, exp_len;
	char name[400];
	int prog_fd, err, i;
	__u32 verdict;
	LIBBPF_OPTS(bpf_test_run_opts, topts, .repeat = 1);

	snprintf(name, sizeof(name), "%s: %s%s%s%s", hook_name[hook], f->desc,
		 f->bug ? " [KNOWN meta.h BUG: " : "", f->bug ? f->bug : "", f->bug ? "]" : "");
	test_case_begin(name);

	if (f->in_opts)
		f->in_opts(&oi);
	in_len = tb_build(&f->in, f->in_opts ? &oi : NULL, in, sizeof(in));
	if (!ASSERT_TRUE(in_len > 0, "build input packet"))
		goto out;
	if (f->out) {
		void (*oo_fn)(struct tb_opts *) = f->out_opts ? f->out_opts : f->in_opts;

		if (oo_fn)
			oo_fn(&oo);
		exp_len = tb_build(f->out, oo_fn ? &oo : NULL, exp, sizeof(exp));
		if (!ASSERT_TRUE(exp_len > 0, "build expected packet"))
			goto out;
	} else {
		memcpy(exp, in, in_len);
		exp_len = in_len;
	}

	/* State: exactly this fixture's entries. */
	if (!ASSERT_TRUE(map_clear(r->conns_fd, sizeof(k)) >= 0, "empty xm_conns") ||
	    !ASSERT_TRUE(map_clear(r->pending_fd, sizeof(k)) >= 0, "empty xm_pending"))
		goto out;
	flow_key(&f->in, f->dir, f->conn_at == CONN_OTHER_FLOW, &k);
	if (f->conn_at != CONN_NONE &&
	    !ASSERT_OK(bpf_map_update_elem(r->conns_fd, &k, &f->conn, BPF_NOEXIST) ? -errno : 0,
		       "insert xm_conns entry"))
		goto out;
	if (f->pending_preset) {
		struct xm_flow_key pk;

		flow_key(&f->in, f->dir, false, &pk);
		if (!ASSERT_OK(bpf_map_update_elem(r->pending_fd, &pk, &preset_km, BPF_NOEXIST)
				       ? -errno
				       : 0,
			       "insert xm_pending entry"))
			goto out;
	}

	topts.data_in = in;
	topts.data_size_in = in_len;
	topts.data_out = out;
	topts.data_size_out = sizeof(out);
	if (hook == HOOK_XDP_INGRESS) {
		prog_fd = bpf_program__fd(r->skel->progs.xdp_ingress);
		verdict = f->verdict == V_PASS ? XDP_PASS : XDP_DROP;
	} else {
		prog_fd = hook == HOOK_TC_INGRESS ? bpf_program__fd(r->skel->progs.tc_ingress)
						  : bpf_program__fd(r->skel->progs.tc_egress);
		verdict = f->verdict == V_PASS ? TC_ACT_OK : TC_ACT_SHOT;
		topts.ctx_in = &skb_ctx;
		topts.ctx_size_in = sizeof(skb_ctx);
	}

	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, before), "read counters"))
		goto out;
	err = bpf_prog_test_run_opts(prog_fd, &topts);
	if (!ASSERT_OK(err, "bpf_prog_test_run_opts"))
		goto out;
	ASSERT_EQ(topts.retval, verdict, "verdict");
	ASSERT_MEMEQ(out, topts.data_size_out, exp, exp_len, "output packet");

	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, after), "read counters"))
		goto out;
	want[f->dir == XM_DIR_RX ? XM_STAT_RX_PACKETS : XM_STAT_TX_PACKETS] = 1;
	for (i = 0; i < MAX_DELTAS && f->d[i].n; i++)
		want[f->d[i].stat] += f->d[i].n;
	for (i = 0; i < XM_STAT__MAX; i++) {
		char what[64];

		snprintf(what, sizeof(what), "counter %s delta", xm_stat_name(i));
		ASSERT_EQ(after[i] - before[i], want[i], what);
	}

	ASSERT_EQ(map_count(r->conns_fd, sizeof(k)), f->conn_at != CONN_NONE,
		  "xm_conns entries after");
	if (f->conn_at != CONN_NONE &&
	    ASSERT_OK(bpf_map_lookup_elem(r->conns_fd, &k, &got) ? -errno : 0,
		      "xm_conns entry after"))
		check_conn(&got, &f->conn_after);
	flow_key(&f->in, f->dir, false, &k);
	check_pending(r, f, &k);
out:
	test_case_end();
}

int main(int argc, char **argv)
{
	struct runner r = {0};
	size_t i;

	test_require_bpf(argv[0]);
	test_setup_libbpf_log(argc > 1 && !strcmp(argv[1], "-v"));

	r.skel = xmptcp_bpf__open_and_load();
	if (!r.skel)
		return test_load_failed(argv[0], "bpf/xmptcp.bpf.o", -errno);
	r.stats_fd = bpf_map__fd(r.skel->maps.xm_stats);
	r.conns_fd = bpf_map__fd(r.skel->maps.xm_conns);
	r.pending_fd = bpf_map__fd(r.skel->maps.xm_pending);

	/*
	 * Every RX fixture runs through xdp_ingress and through tc_ingress, with
	 * the same expected packet, entry and counters: the two ingress hooks
	 * must be indistinguishable (xmptcpd picks one per interface).
	 */
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		if (fixtures[i].dir == XM_DIR_TX) {
			run_fixture(&r, &fixtures[i], HOOK_TC_EGRESS);
			continue;
		}
		run_fixture(&r, &fixtures[i], HOOK_XDP_INGRESS);
		run_fixture(&r, &fixtures[i], HOOK_TC_INGRESS);
	}

	xmptcp_bpf__destroy(r.skel);
	printf("%s: %d failure(s)\n", argv[0], test_failures);
	return test_failures ? 1 : 0;
}
