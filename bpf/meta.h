/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The meta subflow at XDP and TC: what the sockops program cannot do from
 * inside the socket (see sockops.h for the rest).
 *
 * 1. The peer's DATA_FIN (RFC 8684 §3.3.3) ends its data stream, and the
 *    application must see end of file then, even if the peer keeps its side
 *    of the subflow open to read our answer (a half-close). The local stack
 *    sees plain TCP, so ingress sets the FIN flag on the segment where the
 *    DATA_FIN sits: on the single subflow that carries the meta connection,
 *    data sequence and subflow sequence advance together, so that place is
 *    a place in the subflow stream too. The stack ACKs the FIN, and the
 *    sockops program turns that ACK into the DATA_ACK of the DATA_FIN.
 *
 * 2. That injected FIN took one subflow sequence number the peer has not
 *    sent yet (its own subflow FIN comes at that very number, later). Until
 *    it does, the two views differ by one:
 *    - egress pulls back ACKs that cover it: the peer's TCP discards an ACK
 *      beyond its snd_nxt, DSS and all;
 *    - ingress moves the peer's segments at that number up by one: the stack
 *      would find them left of its window and ignore their ACKs.
 *    The DATA_ACK in our option covers the DATA_FIN all along.
 */
#ifndef XMPTCP_BPF_META_H
#define XMPTCP_BPF_META_H

#include <linux/bpf.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>

#include "ctx.h"
#include "maps.h"
#include "pkt.h"

/* The flow key of a packet, from the local host's point of view. */
static __always_inline void xm_pkt_flow(const struct xm_pkt *p, struct xm_flow_key *k)
{
	int rx = p->dir == XM_DIR_RX;

	__builtin_memset(k, 0, sizeof(*k));
	k->lport = rx ? p->tcp->dest : p->tcp->source;
	k->rport = rx ? p->tcp->source : p->tcp->dest;
	k->ip_ver = p->ip_ver;
	if (p->ip_ver == 4) {
		k->laddr[0] = rx ? p->ip4->daddr : p->ip4->saddr;
		k->raddr[0] = rx ? p->ip4->saddr : p->ip4->daddr;
		return;
	}
	__builtin_memcpy(k->laddr, rx ? &p->ip6->daddr : &p->ip6->saddr, 16);
	__builtin_memcpy(k->raddr, rx ? &p->ip6->saddr : &p->ip6->daddr, 16);
}

/* TCP payload length of the segment in p (IP total length, not frame length). */
static __always_inline __u32 xm_pkt_tcp_payload(const struct xm_pkt *p)
{
	__u32 l4;

	if (p->ip_ver == 4)
		l4 = bpf_ntohs(p->ip4->tot_len) - p->ip4->ihl * 4;
	else
		l4 = bpf_ntohs(p->ip6->payload_len); /* no extension headers on our TCP */
	return l4 > p->tcp_hlen ? l4 - p->tcp_hlen : 0;
}

/* Is the DATA_FIN of this DSS at the end of this very segment? */
static __always_inline int xm_data_fin_here(const struct xm_conn *c, const struct xm_opt_dss *dss,
					    __u32 seq, __u32 plen)
{
	if (dss->ssn == 0 && dss->data_len == 1)
		/* a bare DATA_FIN: it sits at the next data sequence number */
		return plen == 0 && (__u32)dss->dsn == (__u32)(c->remote_idsn + (seq - c->remote_isn));
	/* the mapping's last data-level byte is the DATA_FIN; it follows the mapped data */
	return (seq - c->remote_isn) + plen == dss->ssn + dss->data_len - 1;
}

/* RFC 1624 incremental update of a TCP checksum for a 16-bit word that changed. */
static __always_inline void xm_csum_replace2(__sum16 *check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~*check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*check = ~sum;
}

static __always_inline void xm_csum_replace4(__sum16 *check, __be32 old, __be32 new)
{
	xm_csum_replace2(check, (__u16)old, (__u16)new);
	xm_csum_replace2(check, (__u16)(old >> 16), (__u16)(new >> 16));
}

static __always_inline void xm_tcp_set_seq(struct tcphdr *th, __u32 seq)
{
	__be32 old = th->seq, new = bpf_htonl(seq);

	th->seq = new;
	xm_csum_replace4(&th->check, old, new);
}

static __always_inline void xm_tcp_set_ack(struct tcphdr *th, __u32 ack)
{
	__be32 old = th->ack_seq, new = bpf_htonl(ack);

	th->ack_seq = new;
	xm_csum_replace4(&th->check, old, new);
}

/*
 * The peer's own subflow FIN, when it also acknowledges our FIN: the stack is
 * in LAST_ACK and would close on that ACK without answering the FIN, which it
 * believes it acknowledged already (egress pulled that ACK back), so the peer
 * would retransmit its FIN and meet a RST. Holding back the acknowledgment
 * of our FIN keeps the socket open to answer the duplicate FIN with an ACK
 * the peer now accepts. The peer's subflow then closes cleanly; our FIN is
 * retransmitted once the RTO expires and closes the orphaned local socket
 * (with the peer's RST, as the peer's subflow is gone by then).
 */
static __always_inline void xm_peer_fin_keep_open(const struct xm_conn *c, struct tcphdr *th)
{
	if ((c->flags & XM_CONN_F_DATA_FIN_TX) && bpf_ntohl(th->ack_seq) == c->local_fin_seq + 1)
		xm_tcp_set_ack(th, c->local_fin_seq);
}

/*
 * Ingress work on a segment of a connection we serve. dss is the segment's
 * DSS, or NULL. Header fields change in place with incremental checksum
 * updates.
 */
static __always_inline void xm_meta_ingress(struct xm_pkt *p, const struct xm_opt_dss *dss)
{
	struct tcphdr *th = p->tcp;
	struct xm_flow_key k;
	struct xm_conn *c;
	__u32 seq, plen;

	if (!dss && !th->fin)
		return;
	xm_pkt_flow(p, &k);
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c)
		return;
	if (dss && !(c->flags & XM_CONN_F_PEER_DSS))
		__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_DSS);
	seq = bpf_ntohl(th->seq);
	plen = xm_pkt_tcp_payload(p);

	if ((c->flags & (XM_CONN_F_FIN_INJECTED | XM_CONN_F_PEER_FIN)) == XM_CONN_F_FIN_INJECTED &&
	    seq == c->fin_seq) {
		if (th->fin) {
			/* the peer's own subflow FIN: from here on both views agree */
			__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_FIN);
			xm_peer_fin_keep_open(c, th);
		} else if (!plen) {
			xm_tcp_set_seq(th, seq + 1);
		}
		return;
	}
	if (th->fin || !dss ||
	    (dss->flags & (XM_DSS_FLAG_F | XM_DSS_FLAG_M)) != (XM_DSS_FLAG_F | XM_DSS_FLAG_M))
		return;
	if (!xm_data_fin_here(c, dss, seq, plen))
		return;
	{
		__u16 *flags_word = (__u16 *)((__u8 *)th + 12); /* doff, reserved, flags */
		__u16 old = *flags_word;

		th->fin = 1;
		xm_csum_replace2(&th->check, old, *flags_word);
	}
	c->fin_seq = seq + plen;
	__sync_fetch_and_or(&c->flags, XM_CONN_F_FIN_INJECTED);
	xm_count(XM_STAT_DATA_FIN_RX);
}

/* Egress: keep the ACK of an injected FIN from acknowledging a byte never sent. */
static __always_inline void xm_meta_egress(struct __sk_buff *skb, struct xm_pkt *p)
{
	struct tcphdr *th = p->tcp;
	struct xm_flow_key k;
	struct xm_conn *c;
	__be32 old_ack, new_ack;

	if (!th->ack)
		return;
	xm_pkt_flow(p, &k);
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c || (c->flags & (XM_CONN_F_FIN_INJECTED | XM_CONN_F_PEER_FIN)) !=
			  XM_CONN_F_FIN_INJECTED)
		return;
	old_ack = th->ack_seq;
	if (bpf_ntohl(old_ack) != c->fin_seq + 1)
		return;
	new_ack = bpf_htonl(c->fin_seq);
	/*
	 * Through the helpers, which know the skb's checksum state: with
	 * CHECKSUM_PARTIAL (every locally built segment) the field holds only
	 * the pseudo-header sum, which an ACK number is not part of.
	 */
	if (bpf_skb_store_bytes(skb, p->l4_off + __builtin_offsetof(struct tcphdr, ack_seq),
				&new_ack, sizeof(new_ack), 0))
		return;
	bpf_l4_csum_replace(skb, p->l4_off + __builtin_offsetof(struct tcphdr, check), old_ack,
			    new_ack, sizeof(new_ack));
	xm_count(XM_STAT_ACK_FIXUPS);
}

#endif /* XMPTCP_BPF_META_H */
