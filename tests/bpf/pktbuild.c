// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "pktbuild.h"

const __u8 tb_saddr4[4] = {198, 18, 0, 1};
const __u8 tb_daddr4[4] = {198, 18, 0, 2};
const __u8 tb_saddr6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
const __u8 tb_daddr6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static const __u8 tb_smac[6] = {0x02, 0, 0, 0, 0, 1};
static const __u8 tb_dmac[6] = {0x02, 0, 0, 0, 0, 2};

#define TB_IPPROTO_HOPOPTS 0

/* Big-endian writers into a byte array. */
static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(__u8 *p, __u64 v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static __u8 *opt_room(struct tb_opts *o, size_t n)
{
	__u8 *p;

	if (o->overflow || o->len + n > TB_OPTS_CAP) {
		o->overflow = true;
		return NULL;
	}
	p = o->b + o->len;
	o->len += n;
	return p;
}

void tb_opt(struct tb_opts *o, __u8 kind, __u8 len_byte, const void *body, size_t body_len)
{
	__u8 *p = opt_room(o, 2 + body_len);

	if (!p)
		return;
	p[0] = kind;
	p[1] = len_byte;
	if (body_len)
		memcpy(p + 2, body, body_len);
}

void tb_nop(struct tb_opts *o)
{
	__u8 *p = opt_room(o, 1);

	if (p)
		*p = 1;
}

void tb_eol(struct tb_opts *o)
{
	__u8 *p = opt_room(o, 1);

	if (p)
		*p = 0;
}

void tb_mss(struct tb_opts *o, __u16 mss)
{
	__u8 b[2];

	put16(b, mss);
	tb_opt(o, 2, 4, b, 2);
}

void tb_sack_perm(struct tb_opts *o)
{
	tb_opt(o, 4, 2, NULL, 0);
}

void tb_wscale(struct tb_opts *o, __u8 shift)
{
	tb_opt(o, 3, 3, &shift, 1);
}

void tb_ts(struct tb_opts *o, __u32 val, __u32 ecr)
{
	__u8 b[8];

	put32(b, val);
	put32(b + 4, ecr);
	tb_opt(o, 8, 10, b, 8);
}

void tb_sack(struct tb_opts *o, const __u32 *edges, size_t n_blocks)
{
	__u8 b[32];
	size_t i;

	if (n_blocks > 4) {
		o->overflow = true;
		return;
	}
	for (i = 0; i < 2 * n_blocks; i++)
		put32(b + 4 * i, edges[i]);
	tb_opt(o, 5, 2 + 8 * n_blocks, b, 8 * n_blocks);
}

void tb_mptcp(struct tb_opts *o, __u8 subtype, __u8 nibble, const void *body, size_t body_len,
	      __u8 len_byte)
{
	__u8 *p = opt_room(o, 3 + body_len);

	if (!p)
		return;
	p[0] = 30;
	p[1] = len_byte ? len_byte : 3 + body_len;
	p[2] = (subtype << 4) | (nibble & 0x0f);
	if (body_len)
		memcpy(p + 3, body, body_len);
}

void tb_mp_capable(struct tb_opts *o, __u8 len, __u8 version, __u8 flags, __u64 skey, __u64 rkey,
		   __u16 data_len, __u16 csum)
{
	__u8 b[21] = {flags};

	if (len >= 12)
		put64(b + 1, skey);
	if (len >= 20)
		put64(b + 9, rkey);
	if (len >= 22)
		put16(b + 17, data_len);
	if (len >= 24)
		put16(b + 19, csum);
	tb_mptcp(o, 0, version, b, len - 3, 0);
}

void tb_mp_join_syn(struct tb_opts *o, bool backup, __u8 addr_id, __u32 token, __u32 nonce)
{
	__u8 b[9] = {addr_id};

	put32(b + 1, token);
	put32(b + 5, nonce);
	tb_mptcp(o, 1, backup, b, sizeof(b), 0);
}

void tb_mp_join_synack(struct tb_opts *o, bool backup, __u8 addr_id, __u64 hmac64, __u32 nonce)
{
	__u8 b[13] = {addr_id};

	put64(b + 1, hmac64);
	put32(b + 9, nonce);
	tb_mptcp(o, 1, backup, b, sizeof(b), 0);
}

void tb_mp_join_ack(struct tb_opts *o, const __u8 hmac[20])
{
	__u8 b[21] = {0};

	memcpy(b + 1, hmac, 20);
	tb_mptcp(o, 1, 0, b, sizeof(b), 0);
}

void tb_dss(struct tb_opts *o, __u8 flags, __u64 data_ack, __u64 dsn, __u32 ssn, __u16 data_len,
	    bool with_csum, __u16 csum)
{
	__u8 b[32] = {flags};
	size_t n = 1;

	if (flags & 0x01) { /* A */
		if (flags & 0x02) {
			put64(b + n, data_ack);
			n += 8;
		} else {
			put32(b + n, data_ack);
			n += 4;
		}
	}
	if (flags & 0x04) { /* M */
		if (flags & 0x08) {
			put64(b + n, dsn);
			n += 8;
		} else {
			put32(b + n, dsn);
			n += 4;
		}
		put32(b + n, ssn);
		put16(b + n + 4, data_len);
		n += 6;
		if (with_csum) {
			put16(b + n, csum);
			n += 2;
		}
	}
	tb_mptcp(o, 2, 0, b, n, 0);
}

void tb_add_addr(struct tb_opts *o, bool echo, __u8 addr_id, int ip_ver, const __u8 *addr,
		 __u16 port, __u64 hmac)
{
	__u8 b[1 + 16 + 2 + 8] = {addr_id};
	size_t alen = ip_ver == 4 ? 4 : 16, n = 1;

	memcpy(b + n, addr, alen);
	n += alen;
	if (port) {
		put16(b + n, port);
		n += 2;
	}
	if (!echo) {
		put64(b + n, hmac);
		n += 8;
	}
	tb_mptcp(o, 3, echo, b, n, 0);
}

void tb_remove_addr(struct tb_opts *o, const __u8 *ids, size_t n)
{
	tb_mptcp(o, 4, 0, ids, n, 0);
}

void tb_mp_prio(struct tb_opts *o, bool backup)
{
	tb_mptcp(o, 5, backup, NULL, 0, 0);
}

void tb_mp_fail(struct tb_opts *o, __u64 dsn)
{
	__u8 b[9] = {0};

	put64(b + 1, dsn);
	tb_mptcp(o, 6, 0, b, sizeof(b), 0);
}

void tb_mp_fastclose(struct tb_opts *o, __u64 rkey)
{
	__u8 b[9] = {0};

	put64(b + 1, rkey);
	tb_mptcp(o, 7, 0, b, sizeof(b), 0);
}

void tb_mp_tcprst(struct tb_opts *o, __u8 flags, __u8 reason)
{
	tb_mptcp(o, 8, flags, &reason, 1, 0);
}

/* RFC 1071 sum, folded later; data may be any length. */
static __u32 csum_add(__u32 sum, const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The L4 checksum with the pseudo-header of RFC 793 / RFC 8200 §8.1. */
static __u16 l4_csum(int ip_ver, __u8 proto, const __u8 *l4, size_t l4_len)
{
	__u32 sum = 0;

	if (ip_ver == 4) {
		sum = csum_add(sum, tb_saddr4, 4);
		sum = csum_add(sum, tb_daddr4, 4);
	} else {
		sum = csum_add(sum, tb_saddr6, 16);
		sum = csum_add(sum, tb_daddr6, 16);
	}
	sum += proto;
	sum += l4_len;
	return csum_fold(csum_add(sum, l4, l4_len));
}

void tb_payload(__u8 *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (__u8)i;
}

size_t tb_build(const struct tb_pkt *p, const struct tb_opts *opts, __u8 *buf, size_t cap)
{
	__u8 pkt[2048];
	__u8 proto = p->l4 ? p->l4 : IPPROTO_TCP;
	size_t n = 0, l3, l4, optlen = 0, hlen, l4_len, i;
	__u16 ethertype;

	if (opts) {
		if (opts->overflow)
			return 0;
		optlen = (opts->len + 3) & ~(size_t)3;
	}
	memset(pkt, 0, sizeof(pkt));

	/* Ethernet and the optional tag. */
	memcpy(pkt, tb_dmac, 6);
	memcpy(pkt + 6, tb_smac, 6);
	ethertype = p->l3 == TB_IPV4 ? ETH_P_IP : p->l3 == TB_IPV6 ? ETH_P_IPV6 : ETH_P_ARP;
	n = 12;
	if (p->vlan_id) {
		put16(pkt + n, ETH_P_8021Q);
		put16(pkt + n + 2, p->vlan_id & 0x0fff);
		n += 4;
	}
	put16(pkt + n, ethertype);
	n += 2;
	l3 = n;

	if (p->l3 == TB_ARP) {
		/* An ARP request for the destination address: just enough to be one. */
		put16(pkt + n, 1);
		put16(pkt + n + 2, ETH_P_IP);
		pkt[n + 4] = 6;
		pkt[n + 5] = 4;
		put16(pkt + n + 6, 1);
		memcpy(pkt + n + 8, tb_smac, 6);
		memcpy(pkt + n + 14, tb_saddr4, 4);
		memcpy(pkt + n + 24, tb_daddr4, 4);
		n += 28;
		goto out;
	}

	if (p->l3 == TB_IPV4)
		l4 = l3 + 20 + p->ip_opts_len;
	else
		l4 = l3 + 40 + (p->ipv6_hbh ? 8 : 0);

	/* L4 header and payload first: the IP header needs their length. */
	if (proto == IPPROTO_TCP) {
		hlen = 20 + optlen;
		pkt[l4 + 12] = (p->doff ? p->doff : hlen / 4) << 4;
		pkt[l4 + 13] = p->tcp_flags ? p->tcp_flags : 0x10;
		put32(pkt + l4 + 4, p->seq);
		put32(pkt + l4 + 8, p->ack);
		put16(pkt + l4 + 14, 65535);
		if (opts)
			memcpy(pkt + l4 + 20, opts->b, opts->len); /* the rest is 0: EOL */
	} else {
		hlen = 8;
	}
	put16(pkt + l4, p->sport ? p->sport : 40000);
	put16(pkt + l4 + 2, p->dport ? p->dport : 5201);
	l4_len = hlen + p->payload_len;
	if (l4 + l4_len > sizeof(pkt))
		return 0;
	tb_payload(pkt + l4 + hlen, p->payload_len);
	if (proto == IPPROTO_UDP)
		put16(pkt + l4 + 4, l4_len);

	if (p->l3 == TB_IPV4) {
		size_t ihl = 20 + p->ip_opts_len;

		pkt[l3] = 0x40 | ihl / 4;
		put16(pkt + l3 + 2, ihl + l4_len);
		put16(pkt + l3 + 4, 0x1234);
		put16(pkt + l3 + 6, p->frag_off & 0x1fff);
		pkt[l3 + 8] = 64;
		pkt[l3 + 9] = proto;
		memcpy(pkt + l3 + 12, tb_saddr4, 4);
		memcpy(pkt + l3 + 16, tb_daddr4, 4);
		/* IP options: NOPs, then EOL in the last byte. */
		for (i = 0; i < p->ip_opts_len; i++)
			pkt[l3 + 20 + i] = i + 1 < p->ip_opts_len ? 1 : 0;
		put16(pkt + l3 + 10, csum_fold(csum_add(0, pkt + l3, ihl)));
	} else {
		pkt[l3] = 0x60;
		put16(pkt + l3 + 4, l4_len + (p->ipv6_hbh ? 8 : 0));
		pkt[l3 + 6] = p->ipv6_hbh ? TB_IPPROTO_HOPOPTS : proto;
		pkt[l3 + 7] = 64;
		memcpy(pkt + l3 + 8, tb_saddr6, 16);
		memcpy(pkt + l3 + 24, tb_daddr6, 16);
		if (p->ipv6_hbh) {
			/* next header, length 0 (8 bytes), then a PadN option of 4 bytes of
			 * padding. */
			pkt[l3 + 40] = proto;
			pkt[l3 + 42] = 1;
			pkt[l3 + 43] = 4;
		}
	}
	put16(pkt + l4 + (proto == IPPROTO_TCP ? 16 : 6),
	      l4_csum(p->l3 == TB_IPV4 ? 4 : 6, proto, pkt + l4, l4_len));
	n = l4 + l4_len;
out:
	if (p->cut && p->cut < n)
		n = p->cut;
	if (n > cap)
		return 0;
	memcpy(buf, pkt, n);
	return n;
}
