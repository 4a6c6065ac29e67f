/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Test packet builder: Ethernet (optionally one 802.1Q tag), IPv4 (with
 * options) or IPv6, TCP with arbitrary options bytes, or UDP, with correct IP
 * and L4 checksums. Test packets are built from fields, never typed as hex.
 *
 * The MPTCP option writers (tb_mp_*) are an encoder written from RFC 8684
 * independently of include/xmptcp/mptcp_opt.h, so the datapath tests also
 * cross-check the shared codec.
 */
#ifndef XMPTCP_TESTS_PKTBUILD_H
#define XMPTCP_TESTS_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Room for more than a TCP header can carry, so tests can build overlong areas. */
#define TB_OPTS_CAP 64

/* A TCP options area under construction. Writers never overflow: they set `overflow`. */
struct tb_opts {
	__u8 b[TB_OPTS_CAP];
	size_t len;
	bool overflow;
};

enum tb_l3 {
	TB_IPV4 = 0,
	TB_IPV6,
	TB_ARP,
};

struct tb_pkt {
	enum tb_l3 l3;
	__u16 vlan_id;	  /* 0: untagged; else one 802.1Q tag */
	__u8 l4;	  /* 0 means IPPROTO_TCP */
	__u8 ip_opts_len; /* IPv4 options bytes (multiple of 4, NOP-filled, ends with EOL) */
	bool ipv6_hbh;	  /* insert an 8-byte IPv6 hop-by-hop header (PadN only) */
	__u16 frag_off;	  /* IPv4 fragment offset in 8-byte units (0: not a later fragment) */
	__u16 sport;	  /* 0: 40000 */
	__u16 dport;	  /* 0: 5201 */
	__u32 seq, ack;
	__u8 tcp_flags;	   /* 0: ACK */
	__u8 doff;	   /* 0: computed from the options; else written as is */
	__u16 payload_len; /* bytes of a counting pattern */
	__u16 cut;	   /* 0: the whole frame; else keep only the first `cut` bytes */
};

/* Addresses every test packet uses (RFC 2544 and documentation ranges). */
extern const __u8 tb_saddr4[4], tb_daddr4[4], tb_saddr6[16], tb_daddr6[16];

/*
 * Build the frame into buf (cap bytes). opts may be NULL (no options); its
 * length is padded with EOL to a multiple of 4. Returns the frame length, or 0
 * when it does not fit or the options overflowed (a test bug).
 */
size_t tb_build(const struct tb_pkt *p, const struct tb_opts *opts, __u8 *buf, size_t cap);

/* The payload tb_build() writes: len bytes of a counting pattern (byte i is i mod 256). */
void tb_payload(__u8 *buf, size_t len);

/* Plain TCP options. */
void tb_nop(struct tb_opts *o);
void tb_eol(struct tb_opts *o);
void tb_mss(struct tb_opts *o, __u16 mss);
void tb_sack_perm(struct tb_opts *o);
void tb_wscale(struct tb_opts *o, __u8 shift);
void tb_ts(struct tb_opts *o, __u32 val, __u32 ecr);
/* SACK (kind 5) with n_blocks {left, right} edge pairs, host order; at most 4 blocks. */
void tb_sack(struct tb_opts *o, const __u32 *edges, size_t n_blocks);
/* Any option with an explicit length byte (which may lie), followed by body_len bytes of body. */
void tb_opt(struct tb_opts *o, __u8 kind, __u8 len_byte, const void *body, size_t body_len);

/*
 * MPTCP (kind 30). Each writes exactly what RFC 8684 §3 shows, reserved bits 0.
 * tb_mptcp() is the raw form: the subtype nibble, the low nibble of that byte,
 * then body; len_byte 0 means the real length.
 */
void tb_mptcp(struct tb_opts *o, __u8 subtype, __u8 nibble, const void *body, size_t body_len,
	      __u8 len_byte);
/* len: 4 (SYN), 12 (SYN-ACK), 20 (ACK), 22 (data), 24 (data + checksum). */
void tb_mp_capable(struct tb_opts *o, __u8 len, __u8 version, __u8 flags, __u64 skey, __u64 rkey,
		   __u16 data_len, __u16 csum);
void tb_mp_join_syn(struct tb_opts *o, bool backup, __u8 addr_id, __u32 token, __u32 nonce);
void tb_mp_join_synack(struct tb_opts *o, bool backup, __u8 addr_id, __u64 hmac64, __u32 nonce);
void tb_mp_join_ack(struct tb_opts *o, const __u8 hmac[20]);
/* flags: XM_DSS_FLAG_*; fields not selected by flags are not written. */
void tb_dss(struct tb_opts *o, __u8 flags, __u64 data_ack, __u64 dsn, __u32 ssn, __u16 data_len,
	    bool with_csum, __u16 csum);
/* ip_ver 4 or 6; port 0: none; echo: no HMAC. */
void tb_add_addr(struct tb_opts *o, bool echo, __u8 addr_id, int ip_ver, const __u8 *addr,
		 __u16 port, __u64 hmac);
void tb_remove_addr(struct tb_opts *o, const __u8 *ids, size_t n);
void tb_mp_prio(struct tb_opts *o, bool backup);
void tb_mp_fail(struct tb_opts *o, __u64 dsn);
void tb_mp_fastclose(struct tb_opts *o, __u64 rkey);
void tb_mp_tcprst(struct tb_opts *o, __u8 flags, __u8 reason);

#endif /* XMPTCP_TESTS_PKTBUILD_H */
