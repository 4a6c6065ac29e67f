/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header-only packet parsing helpers, xdp-tools style: a cursor walks the
 * frame, each helper checks its own bounds against data_end, advances the
 * cursor past its header and returns the next protocol, or -1 when the header
 * is cut or invalid. They use only direct packet access, so the same code
 * serves XDP and TC (see ctx.h) and the impairment program.
 *
 * Verifier invariants:
 *  - every dereference is preceded, in the same helper, by a comparison of
 *    the end of the object with data_end; nothing relies on a check made by a
 *    caller;
 *  - variable header lengths (IPv4 IHL, IPv6 extension headers, TCP doff) are
 *    bounded before they are added to the cursor (at most 60 bytes each), so
 *    the cursor's variable offset stays far below the verifier's packet-offset
 *    limit (MAX_PACKET_OFF, 0xffff);
 *  - all helpers are __always_inline: packet pointers never cross a BPF
 *    function call.
 */
#ifndef XMPTCP_BPF_PARSING_H
#define XMPTCP_BPF_PARSING_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct hdr_cursor {
	void *pos;
};

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

/* How many VLAN tags we look through. One is what the brief asks for (802.1Q or 802.1ad). */
#define XM_VLAN_MAX 1

/* IPv6 extension headers skipped on the way to TCP, bounded for the verifier. */
#define XM_IPV6_EXT_MAX 3

/* IPv4 fragment-offset mask of frag_off, in host order. */
#define XM_IP_OFFSET 0x1fff

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet, then up to XM_VLAN_MAX VLAN tags. Returns the inner EtherType in
 * network byte order, or -1. *vlan_tci is set to the (network-order) TCI of the
 * outer tag, 0 when untagged. In TC the kernel usually has the tag in
 * skb->vlan_tci already (hw-accel path), so untagged data is the common case.
 */
static __always_inline int parse_ethhdr_vlan(struct hdr_cursor *nh, void *data_end,
					     struct ethhdr **ethhdr, __be16 *vlan_tci)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return -1;

	nh->pos = eth + 1;
	*ethhdr = eth;
	*vlan_tci = 0;
	h_proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XM_VLAN_MAX; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return -1;
		if (i == 0)
			*vlan_tci = vlh->h_vlan_TCI;
		h_proto = vlh->h_vlan_encapsulated_proto;
		nh->pos = vlh + 1;
	}
	/*
	 * A tag deeper than we look through comes back as a VLAN EtherType,
	 * which callers treat as "not IP": passed, not counted as broken.
	 */
	return h_proto;
}

/*
 * IPv4 with options. Returns the L4 protocol, or -1 when the header is cut or
 * the version or IHL is wrong. Fragments are the caller's business: see
 * iph_is_later_fragment().
 */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	int hdrsize;

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->version != 4)
		return -1;

	/* ihl is a 4-bit field: hdrsize is in [0, 60], which bounds the cursor. */
	hdrsize = iph->ihl * 4;
	if (hdrsize < (int)sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;

	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

/* A non-first fragment has no L4 header: its first bytes must not be read as one. */
static __always_inline int iph_is_later_fragment(const struct iphdr *iph)
{
	return (iph->frag_off & bpf_htons(XM_IP_OFFSET)) != 0;
}

static __always_inline int ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS;
}

/*
 * IPv6, then up to XM_IPV6_EXT_MAX hop-by-hop / routing / destination-options
 * headers. Returns the next header that is not one of those (or, for a longer
 * chain, the extension header we stopped at), or -1 when a header is cut.
 * A Fragment header is returned as IPPROTO_FRAGMENT: the caller decides (the
 * datapath does not reassemble, so it does not look inside).
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct ipv6hdr **ip6hdr)
{
	struct ipv6hdr *ip6h = nh->pos;
	struct ipv6_opt_hdr *ext;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > data_end)
		return -1;
	if (ip6h->version != 6)
		return -1;

	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < XM_IPV6_EXT_MAX; i++) {
		if (!ipv6_is_ext(nexthdr))
			break;
		ext = nh->pos;
		if ((void *)(ext + 1) > data_end)
			return -1;
		nexthdr = ext->nexthdr;
		/* hdrlen is 8-bit: the step is at most 2048 bytes, and only three steps. */
		nh->pos += (ext->hdrlen + 1) * 8;
		if (nh->pos > data_end)
			return -1;
	}
	return nexthdr;
}

/*
 * TCP. Returns the header length including options (doff * 4, in [20, 60]),
 * or -1 when the fixed header is cut, doff is below 5, or doff points past
 * the end of the frame. The cursor ends at the first payload byte.
 */
static __always_inline int parse_tcphdr(struct hdr_cursor *nh, void *data_end,
					struct tcphdr **tcphdr)
{
	struct tcphdr *h = nh->pos;
	int len;

	if ((void *)(h + 1) > data_end)
		return -1;

	/* doff is a 4-bit field: len is in [0, 60]. */
	len = h->doff * 4;
	if (len < (int)sizeof(*h))
		return -1;
	if (nh->pos + len > data_end)
		return -1;

	nh->pos += len;
	*tcphdr = h;
	return len;
}

#endif /* XMPTCP_BPF_PARSING_H */
