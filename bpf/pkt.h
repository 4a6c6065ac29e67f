/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * struct xm_pkt: one packet as the hook-independent datapath sees it, and the
 * L2-L4 parse that fills it.
 *
 * Verifier invariants:
 *  - the header pointers are packet pointers whose bounds were checked by the
 *    parsing helpers; they stay valid only until a helper that changes packet
 *    data (bpf_skb_pull_data, bpf_skb_adjust_room, bpf_xdp_adjust_*), after
 *    which the verifier forgets them, including their copies on the stack.
 *    The offsets (l3_off, l4_off) survive such a call: re-derive the
 *    pointers from them and check the bounds again (the rewriting stage will);
 *  - a pointer is only set, and only dereferenced, when the matching field says
 *    so (ip_ver for ip4/ip6, is_tcp for tcp).
 */
#ifndef XMPTCP_BPF_PKT_H
#define XMPTCP_BPF_PKT_H

#include "ctx.h"
#include "parsing.h"

struct xm_pkt {
	void *data;
	void *data_end;
	struct ethhdr *eth;
	struct iphdr *ip4;   /* when ip_ver == 4 */
	struct ipv6hdr *ip6; /* when ip_ver == 6 */
	struct tcphdr *tcp;  /* when the parse returned XM_PARSE_TCP */
	__u32 ifindex;	     /* where the packet came in (RX) or goes out (TX) */
	__u32 len;	     /* bytes from data on: ctx_len(), a GSO packet's whole length */
	__u16 l3_off;	     /* offsets from data, for after data-changing helpers */
	__u16 l4_off;
	__be16 vlan_tci; /* outer tag's TCI when the tag was in the data, else 0 */
	__u8 dir;	 /* enum xm_dir */
	__u8 ip_ver;	 /* 4, 6, or 0 when not IP */
	__u8 tcp_hlen;	 /* TCP header length with options, [20, 60] */
};

/*
 * Fill the hook-independent view. A macro because it is generic over the ctx
 * type. dir (enum xm_dir) is the program's, not the hook's: tc_egress and
 * tc_ingress share a context type.
 */
#define xm_pkt_init(pkt, ctx, d)                            \
	do {                                                \
		__builtin_memset((pkt), 0, sizeof(*(pkt))); \
		(pkt)->data = ctx_data(ctx);                \
		(pkt)->data_end = ctx_data_end(ctx);        \
		(pkt)->ifindex = ctx_ifindex(ctx);          \
		(pkt)->len = ctx_len(ctx);                  \
		(pkt)->dir = (d);                           \
	} while (0)

enum xm_parse_res {
	XM_PARSE_TCP = 0,   /* a TCP segment: p->tcp and p->tcp_hlen are valid */
	XM_PARSE_OTHER = 1, /* not TCP (ARP, UDP, a later fragment, ...): pass as is */
	XM_PARSE_BAD = 2,   /* too short or malformed to parse: counted as NotParsed */
};

static __always_inline enum xm_parse_res xm_parse(struct xm_pkt *p)
{
	struct hdr_cursor nh = {.pos = p->data};
	void *data_end = p->data_end;
	int proto, hlen;

	proto = parse_ethhdr_vlan(&nh, data_end, &p->eth, &p->vlan_tci);
	if (proto < 0)
		return XM_PARSE_BAD;

	p->l3_off = nh.pos - p->data;
	if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_iphdr(&nh, data_end, &p->ip4);
		if (proto < 0)
			return XM_PARSE_BAD;
		p->ip_ver = 4;
		if (iph_is_later_fragment(p->ip4))
			return XM_PARSE_OTHER;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ip6hdr(&nh, data_end, &p->ip6);
		if (proto < 0)
			return XM_PARSE_BAD;
		p->ip_ver = 6;
	} else {
		return XM_PARSE_OTHER;
	}
	/* Includes IPv6 fragments: the datapath does not reassemble. */
	if (proto != IPPROTO_TCP)
		return XM_PARSE_OTHER;

	p->l4_off = nh.pos - p->data;
	hlen = parse_tcphdr(&nh, data_end, &p->tcp);
	if (hlen < 0)
		return XM_PARSE_BAD;
	p->tcp_hlen = hlen;
	return XM_PARSE_TCP;
}

/*
 * Bytes to make linear when a parse came up short in TC: Ethernet + one VLAN
 * tag + the largest IPv4 header + the largest TCP header, rounded up for a few
 * IPv6 extension headers.
 */
#define XM_PULL_LEN 192

/*
 * Fill pkt from ctx for direction dir (XM_DIR_RX or XM_DIR_TX, a constant)
 * and parse it; when the headers were cut only because they were not all
 * linear (TC), pull them and parse once more. A macro because it is generic
 * over the ctx type.
 */
#define xm_pkt_parse(ctx, pkt, dir)                                        \
	({                                                                 \
		enum xm_parse_res __res;                                   \
		xm_pkt_init(pkt, ctx, dir);                                \
		__res = xm_parse(pkt);                                     \
		if (__res == XM_PARSE_BAD && ctx_pull(ctx, XM_PULL_LEN)) { \
			xm_pkt_init(pkt, ctx, dir);                        \
			__res = xm_parse(pkt);                             \
		}                                                          \
		__res;                                                     \
	})

#endif /* XMPTCP_BPF_PKT_H */
