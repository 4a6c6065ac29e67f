/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The meta subflow at ingress (xdp_ingress or tc_ingress) and egress
 * (tc_egress): what the sockops program cannot do from inside the socket (see
 * sockops.h for the rest).
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
#include "mptcp_scan.h"
#include "dss.h"
#include "txmap.h"

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

/*
 * TCP payload length of the segment in p, from the IP length (the frame may
 * be padded to the Ethernet minimum). At TC the segment may be a GSO or GRO
 * super-packet (TC egress of a TSO burst; TC ingress of a veth, which passes
 * the peer's TSO skb as it is, or of a device with GRO): the IP length field
 * then holds the whole super-packet's length, as the stack sets it when it
 * builds a GSO skb and GRO when it merges, so this is the payload of all its
 * segments. Only a super-packet over 64 KiB (BIG TCP, opt-in through
 * gso/gro_max_size) has 0 there; then the skb's length says it.
 */
static __always_inline __u32 xm_pkt_tcp_payload(const struct xm_pkt *p)
{
	__u32 l4, iplen;

	if (p->ip_ver == 4) {
		iplen = bpf_ntohs(p->ip4->tot_len);
		if (!iplen)
			iplen = p->len - p->l3_off;
		l4 = iplen - p->ip4->ihl * 4;
		if (iplen < p->ip4->ihl * 4)
			l4 = 0;
	} else {
		/* no extension headers on our TCP */
		l4 = bpf_ntohs(p->ip6->payload_len);
		if (!l4)
			l4 = p->len > p->l4_off ? p->len - p->l4_off : 0;
	}
	return l4 > p->tcp_hlen ? l4 - p->tcp_hlen : 0;
}

/*
 * Is the DATA_FIN of this DSS at the end of this very segment? sub_seq is the
 * segment's subflow sequence number, seq its place in the meta space.
 */
static __always_inline int xm_data_fin_here(const struct xm_conn *c, const struct xm_opt_dss *dss,
					    __u32 sub_seq, __u32 seq, __u32 plen)
{
	if (dss->ssn == 0 && dss->data_len == 1)
		/* a bare DATA_FIN: it sits at the next data sequence number */
		return plen == 0 && (__u32)dss->dsn == (__u32)(c->remote_idsn + (seq - c->remote_isn));
	/* the mapping's last data-level byte is the DATA_FIN; it follows the mapped data */
	return (sub_seq - c->remote_isn) + plen == dss->ssn + dss->data_len - 1;
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
 * An MP_CAPABLE SYN or SYN-ACK that arrives through an interface with our
 * ingress program (XDP or TC; XM_CONN_F_XDP_SEEN keeps its old name): only
 * such handshakes become MPTCP. The sockops program cannot see routes,
 * and a connection whose packets bypass that hook would miss the DATA_FIN work
 * below; with -i, or over loopback, that is exactly what happens. So:
 *  - a SYN reserves its xm_pending slot (key 0: no key yet), which the
 *    SYN-ACK then needs;
 *  - a SYN-ACK marks the client connection, which sockops needs at
 *    ACTIVE_ESTABLISHED (otherwise it falls back: RFC 8684 §3.7, the peer
 *    sees a third ACK without MP_CAPABLE).
 */
static __always_inline void xm_meta_handshake(struct xm_pkt *p, const struct xm_flow_key *k)
{
	struct xm_key_material none = {};
	struct xm_conn *c;

	if (!p->tcp->ack) {
		bpf_map_update_elem(&xm_pending, k, &none, BPF_NOEXIST);
		return;
	}
	c = bpf_map_lookup_elem(&xm_conns, k);
	if (c && c->state == XM_CS_SYN_SENT && !(c->flags & XM_CONN_F_XDP_SEEN))
		__sync_fetch_and_or(&c->flags, XM_CONN_F_XDP_SEEN);
}

/*
 * Where a segment of the peer belongs in the meta (data) sequence space.
 * Normally the single subflow carries the data stream in order and the two
 * coincide. But the kernel peer retransmits at the MPTCP level on this very
 * subflow when its DATA_ACKs stall (a slow reader, a zero-window probe): old
 * data at new subflow sequence numbers. From then on the subflow runs ahead of
 * the data stream by rx_shift bytes. Each data segment says where it belongs
 * (its mapping: DSN for SSN); a segment without a mapping (an ACK, a FIN) is
 * taken to follow the newest one. The local stack sees meta sequence numbers
 * only: a retransmitted byte lands on data it already has, and it answers
 * with a duplicate ACK that egress translates back (xm_meta_egress()).
 */
static __always_inline __u32 xm_meta_seq(struct xm_conn *c, const struct xm_opt_dss *dss,
					 __u32 sub_seq, __u32 plen)
{
	__u32 rel, dsn_rel, shift, end;

	if (!dss || !(dss->flags & XM_DSS_FLAG_M) || !plen || !dss->data_len || !dss->ssn)
		return sub_seq - c->rx_shift;
	rel = sub_seq - c->remote_isn;
	dsn_rel = (__u32)dss->dsn - (__u32)c->remote_idsn + (rel - dss->ssn);
	shift = rel - dsn_rel;
	end = rel + plen;
	if ((__s32)(end - c->rx_sub_hi) > 0) {
		/* the newest subflow data: its shift holds for what follows */
		c->rx_sub_hi = end;
		if (shift != c->rx_shift) {
			c->rx_shift = shift;
			xm_count(XM_STAT_RX_SHIFTS);
		}
	}
	return c->remote_isn + dsn_rel;
}

/*
 * Ingress work on a segment, given what the options scan found (or NULL).
 * The same code runs at XDP and at TC ingress, on a frame or on an skb that
 * may be a GSO/GRO super-packet (see xm_pkt_tcp_payload()): what it decides
 * for a super-packet is what it would decide for its last segment, since all
 * its segments carry the same options (GRO merges only segments whose options
 * are equal; a TSO burst repeats its options) and it ends where the last one
 * ends.
 *
 * Header fields change in place through direct packet pointers, with RFC 1624
 * incremental updates of the TCP checksum field. Each update leaves the
 * one's-complement sum of the whole segment unchanged (the field moves by the
 * opposite of the data), which is why it is right for every skb checksum
 * state at TC ingress, not only for XDP's raw frames:
 *  - CHECKSUM_NONE / CHECKSUM_UNNECESSARY: the field is a full checksum and
 *    stays one;
 *  - CHECKSUM_COMPLETE: skb->csum, the device's sum over the packet, is still
 *    the sum of the packet as it is now, so the stack's verification holds
 *    without touching skb->csum (bpf_l4_csum_replace would not either: the
 *    pseudo-header does not change);
 *  - CHECKSUM_PARTIAL (a veth peer's own segments, TSO bursts included): the
 *    field holds only the pseudo-header sum, which our update makes wrong,
 *    but the local stack never verifies a partial checksum
 *    (skb_csum_unnecessary()), and a segment of one of our xm_conns is for a
 *    local socket, never forwarded to a device that would complete it.
 */
static __always_inline void xm_meta_ingress(struct xm_pkt *p, const struct xm_scan *scan)
{
	const struct xm_opt_dss *dss = scan && scan->has_dss ? &scan->dss : NULL;
	struct tcphdr *th = p->tcp;
	struct xm_flow_key k;
	struct xm_conn *c;
	__u32 sub_seq, seq, plen;
	int linger_rst = 0;

	if (th->syn) {
		if (scan && scan->has_mpc && !th->rst) {
			xm_pkt_flow(p, &k);
			xm_meta_handshake(p, &k);
		}
		return;
	}
	/*
	 * A RST too: the local stack accepts one only at exactly rcv_nxt, a
	 * meta sequence number. The peer's RST answers our segment's (subflow)
	 * acknowledgment, so it needs the same translation as data.
	 */
	if (!dss && !th->fin && !th->rst)
		return;
	xm_pkt_flow(p, &k);
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c)
		return;
	if (dss && !(c->flags & XM_CONN_F_PEER_DSS))
		__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_DSS);
	/*
	 * The peer's data ends with its DATA_FIN; for a peer that fell back to
	 * TCP (no DSS at all any more), with its FIN. A lingering entry waits
	 * for it (struct xm_conn).
	 */
	if (((dss && (dss->flags & XM_DSS_FLAG_F)) || (!dss && th->fin)) &&
	    !(c->flags & XM_CONN_F_PEER_DATA_FIN))
		__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_DATA_FIN);
	if (th->rst) {
		if (c->flags & XM_CONN_F_LINGER)
			/* the TIME_WAIT socket goes with it; the entry after this segment */
			linger_rst = 1;
		else if (!(c->flags & XM_CONN_F_PEER_RST))
			__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_RST);
	}
	sub_seq = bpf_ntohl(th->seq);
	plen = xm_pkt_tcp_payload(p);
	/* from here on, seq is in the meta sequence space, which the local stack sees */
	seq = xm_meta_seq(c, dss, sub_seq, plen);

	if ((c->flags & (XM_CONN_F_FIN_INJECTED | XM_CONN_F_PEER_FIN)) == XM_CONN_F_FIN_INJECTED &&
	    seq == c->fin_seq) {
		if (th->fin) {
			/* the peer's own subflow FIN: from here on both views agree */
			__sync_fetch_and_or(&c->flags, XM_CONN_F_PEER_FIN);
			xm_peer_fin_keep_open(c, th);
		} else if (!plen) {
			seq += 1;
		}
		goto out;
	}
	if (th->fin || !dss ||
	    (dss->flags & (XM_DSS_FLAG_F | XM_DSS_FLAG_M)) != (XM_DSS_FLAG_F | XM_DSS_FLAG_M))
		goto out;
	if (!xm_data_fin_here(c, dss, sub_seq, seq, plen))
		goto out;
	{
		__u16 *flags_word = (__u16 *)((__u8 *)th + 12); /* doff, reserved, flags */
		__u16 old = *flags_word;

		th->fin = 1;
		xm_csum_replace2(&th->check, old, *flags_word);
	}
	c->fin_seq = seq + plen;
	/* a retransmitted DATA_FIN gets its FIN again, but counts once */
	if (!(c->flags & XM_CONN_F_FIN_INJECTED)) {
		__sync_fetch_and_or(&c->flags, XM_CONN_F_FIN_INJECTED);
		xm_count(XM_STAT_DATA_FIN_RX);
	}
out:
	if (seq != sub_seq)
		xm_tcp_set_seq(th, seq);
	if (linger_rst)
		bpf_map_delete_elem(&xm_conns, &k);
}

/* ---- DSS checksums (RFC 8684 §3.3.1), filled in at egress ------------------------- */

/*
 * The checksum covers the mapped payload, which a socket option cannot read:
 * sockops writes the mapping with a zero checksum and TC, which sees the whole
 * skb (the whole TSO burst the mapping covers), fills it in.
 */
#define XM_CSUM_CHUNK 512 /* bpf_csum_diff() takes at most 512 bytes a call */
#define XM_CSUM_MAX_CHUNKS ((65536 + XM_CSUM_CHUNK - 1) / XM_CSUM_CHUNK)

struct xm_csum_buf {
	__u64 w[XM_CSUM_CHUNK / 8]; /* u64 words: clearing it takes 64 stores, not 512 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xm_csum_buf);
} xm_csum_scratch SEC(".maps");

static __always_inline __u16 xm_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * One's complement sum (folded to 16 bits, network order) of len bytes of the
 * skb from off: whole 512-byte chunks through a per-CPU buffer, then the tail
 * once, padded with zeros to a multiple of 4, as the checksum's definition
 * pads an odd length. A global function: verified once, whatever calls it;
 * the loop body stays small because the verifier walks it once per chunk.
 * Returns < 0 on error.
 */
__attribute__((noinline)) long xm_skb_sum(struct __sk_buff *skb, __u32 off, __u32 len)
{
	__u32 zero = 0, nfull, tail, sz;
	struct xm_csum_buf *buf;
	__u64 sum = 0;
	long r;

	if (!skb || len > 65535)
		return -1;
	buf = bpf_map_lookup_elem(&xm_csum_scratch, &zero);
	if (!buf)
		return -1;
	nfull = len / XM_CSUM_CHUNK;
	for (__u32 i = 0; i < XM_CSUM_MAX_CHUNKS; i++) {
		if (i >= nfull)
			break;
		if (bpf_skb_load_bytes(skb, off + i * XM_CSUM_CHUNK, buf->w, XM_CSUM_CHUNK))
			return -1;
		r = bpf_csum_diff(NULL, 0, (__be32 *)buf->w, XM_CSUM_CHUNK, 0);
		if (r < 0)
			return -1;
		sum += (__u32)r;
	}
	tail = len % XM_CSUM_CHUNK;
	if (tail) {
		/*
		 * tail is 1..511. Written so that the very register handed to
		 * the helper is provably 1..512: 6.1's verifier does not carry
		 * a "tail != 0" check over to a copy of it.
		 */
		sz = ((tail - 1) & (XM_CSUM_CHUNK - 1)) + 1;
		__builtin_memset(buf->w, 0, sizeof(buf->w));
		if (bpf_skb_load_bytes(skb, off + nfull * XM_CSUM_CHUNK, buf->w, sz))
			return -1;
		sz = (sz + 3) & ~3U;
		if (sz > XM_CSUM_CHUNK) /* never; says so to the verifier */
			sz = XM_CSUM_CHUNK;
		r = bpf_csum_diff(NULL, 0, (__be32 *)buf->w, sz, 0);
		if (r < 0)
			return -1;
		sum += (__u32)r;
	}
	return xm_csum_fold(sum);
}

/*
 * The checksum field of the option at opt_off (offset in the options area)
 * for a mapping {dsn (64-bit), ssn, data_len} over the segment's payload of
 * plen bytes. Takes no packet pointer: callers may have moved the packet.
 * Returns the checksum as written (network order), or -1 (counted).
 */
static __always_inline long xm_egress_csum(struct __sk_buff *skb, __u32 l4_off, __u32 tcp_hlen,
					   __u32 plen, __u32 opt_off, __u8 opt_len, __u64 dsn,
					   __u32 ssn, __u16 data_len)
{
	__u32 payload_off = l4_off + tcp_hlen;
	__u32 field = l4_off + sizeof(struct tcphdr) + opt_off + opt_len - 2;
	__be16 old = 0, new;
	__u64 sum;
	long r;

	/* pseudo-header: 64-bit DSN, subflow seq, data-level length, zero checksum */
	sum = (dsn >> 48) + ((dsn >> 32) & 0xffff) + ((dsn >> 16) & 0xffff) + (dsn & 0xffff) +
	      (ssn >> 16) + (ssn & 0xffff) + data_len;
	if (plen) {
		r = xm_skb_sum(skb, payload_off, plen);
		if (r < 0) {
			xm_count(XM_STAT_DSS_CSUM_TX_FAILED);
			return -1;
		}
		/* bpf_csum_diff sums in network order; our pseudo-header is in host order */
		sum += bpf_ntohs((__u16)r);
	}
	new = bpf_htons(~xm_csum_fold(sum));
	if (bpf_skb_load_bytes(skb, field, &old, sizeof(old)) ||
	    bpf_skb_store_bytes(skb, field, &new, sizeof(new), 0)) {
		xm_count(XM_STAT_DSS_CSUM_TX_FAILED);
		return -1;
	}
	/* the option is covered by the TCP checksum (unless CHECKSUM_PARTIAL: the helper knows) */
	bpf_l4_csum_replace(skb, l4_off + __builtin_offsetof(struct tcphdr, check), old, new,
			    sizeof(new));
	xm_count(XM_STAT_DSS_CSUM_TX);
	return new;
}

/*
 * A data segment that left sockops without its mapping (dss.h): rebuild its
 * options area as the timestamps option, unchanged, then the DSS in the
 * largest form the rest takes, then NOPs. That drops the SACK blocks and the
 * placeholder DSS, and the area keeps its length, so the header does not move.
 * On success *d is the DSS written and the return value its offset in the
 * options area; < 0 when the area holds an option we would not drop, or
 * still lacks the room.
 */
/*
 * A global function, checked once on its own: inlined, the codec's builder
 * multiplied the states of tc_egress past the verifier's limit. The options
 * scan of this very segment is still in the egress scratch slot.
 */
struct xm_remap_buf {
	struct xm_optbuf ob;
	struct xm_mptcp_opt o;
};

/* Per-CPU: the BPF stack (512 bytes for the whole call chain) has no room for it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xm_remap_buf);
} xm_remap_scratch SEC(".maps");

__attribute__((noinline)) int xm_egress_remap(struct __sk_buff *skb, __u32 l4_off,
					       const struct xm_conn *c, const struct xm_dss_seg *seg,
					       struct xm_opt_dss *d)
{
	__u32 key = XM_DIR_TX, zero = 0, olen, sz, off = 0, avail;
	const struct xm_scan *scan;
	struct xm_remap_buf *buf;
	int form, csum;
	__s64 diff;

	scan = bpf_map_lookup_elem(&xm_scratch, &key);
	buf = bpf_map_lookup_elem(&xm_remap_scratch, &zero);
	if (!skb || !c || !seg || !d || !scan || !buf)
		return -1;
	olen = scan->ob.len;
	csum = !!(c->flags & XM_CONN_F_CSUM);
	if (scan->n_other || olen > XM_TCP_OPTS_MAX || olen < 4)
		return -1;
	/*
	 * NOPs first, the options over them: no loop that compares against
	 * olen, which would make the verifier follow one path per length.
	 */
	__builtin_memset(buf->ob.b, XM_TCPOPT_NOP, sizeof(buf->ob.b));
	if (scan->has_ts) {
		#pragma unroll
		for (__u32 i = 0; i < 10; i++)
			buf->ob.b[2 + i] = scan->ob.b[XM_OPTBUF_IDX(scan->ts_off + i)];
		off = 12;
	}
	if (olen < off)
		return -1;
	avail = olen - off;
	if (xm_dss_form_len(XM_DSS_FORM_FULL, csum) <= avail)
		form = XM_DSS_FORM_FULL;
	else if (xm_dss_form_len(XM_DSS_FORM_COMPACT, csum) <= avail)
		form = XM_DSS_FORM_COMPACT;
	else if (xm_dss_form_len(XM_DSS_FORM_MAP_ONLY, csum) <= avail)
		form = XM_DSS_FORM_MAP_ONLY;
	else
		return -1;
	__builtin_memset(&buf->o, 0, sizeof(buf->o));
	buf->o.subtype = XM_MPTCP_DSS;
	xm_dss_build(c, seg, form, &buf->o.dss);
	buf->ob.len = off;
	if (xm_mptcp_opt_append(&buf->ob, &buf->o) <= 0)
		return -1;
	/* olen is a multiple of 4 in 4..40: the written form is provably 1..64 */
	sz = ((olen - 1) & (XM_OPTBUF_SIZE - 1)) + 1;
	diff = bpf_csum_diff((__be32 *)scan->ob.b, sz, (__be32 *)buf->ob.b, sz, 0);
	if (diff < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, l4_off + sizeof(struct tcphdr), buf->ob.b, sz, 0))
		return -1;
	bpf_l4_csum_replace(skb, l4_off + __builtin_offsetof(struct tcphdr, check), 0, (__u32)diff, 0);
	*d = buf->o.dss;
	return (int)off;
}

/*
 * Rewrite a 32-bit field of a TCP header through the helpers, which know the
 * skb's checksum state: with CHECKSUM_PARTIAL (every locally built segment)
 * the field holds only the pseudo-header sum, which header fields are not part of.
 */
static __always_inline int xm_skb_set_be32(struct __sk_buff *skb, __u32 l4_off, __u32 off,
					   __u32 old, __u32 new)
{
	__be32 o = bpf_htonl(old), n = bpf_htonl(new);

	if (bpf_skb_store_bytes(skb, off, &n, sizeof(n), 0))
		return -1;
	return bpf_l4_csum_replace(skb, l4_off + __builtin_offsetof(struct tcphdr, check), o, n,
				   sizeof(n));
}

/* Our SACK blocks are in the meta space: move each edge to the subflow space. */
static __always_inline void xm_egress_sack_shift(struct __sk_buff *skb, __u32 l4_off, __u32 opt,
						 __u32 len, __u32 shift)
{
	__u32 edge;

	for (__u32 i = 0; i < 8; i++) {
		__u32 off = opt + 2 + 4 * i;

		if (2 + 4 * i + 4 > len)
			break;
		if (bpf_skb_load_bytes(skb, off, &edge, sizeof(edge)))
			return;
		xm_skb_set_be32(skb, l4_off, off, bpf_ntohl(edge), bpf_ntohl(edge) + shift);
	}
}

/* Does this egress segment need a mapping it does not carry? */
static __always_inline int xm_egress_lacks_mapping(const struct xm_conn *c, const struct xm_scan *scan,
						   __u32 plen, int fin)
{
	if (!(plen || fin) || c->state < XM_CS_MPC_ACK)
		return 0;
	/* until the peer has our keys, data goes out with MP_CAPABLE (sockops.h) */
	if (c->state == XM_CS_MPC_ACK && !(c->flags & XM_CONN_F_PEER_DSS))
		return 0;
	if (scan && scan->has_dss && (scan->dss.flags & XM_DSS_FLAG_M))
		return 0;
	return !(scan && scan->has_mpc);
}

/*
 * An ACK of a TIME_WAIT socket whose entry lingers (struct xm_conn): the stack
 * builds it with no header-option callback, so it leaves without a DSS, and
 * the peer would never see its DATA_FIN acknowledged. Grow the segment by a
 * 12-byte DSS with the 8-byte DATA_ACK: it has no payload, so the options
 * end where the packet ends. l4 packs l4_off (bits 0-15), the TCP header
 * length (16-23) and the IP version (24-31): a BPF function takes five
 * arguments at most. A global function, checked once on its own.
 * Returns 0, or -1 when the segment was left as it was.
 */
__attribute__((noinline)) int xm_egress_linger_ack(struct __sk_buff *skb, __u32 l3_off, __u32 l4,
						   __u64 data_ack)
{
	__u32 l4_off = l4 & 0xffff, thl = (l4 >> 16) & 0xff, ip_ver = l4 >> 24;
	__u32 check = l4_off + __builtin_offsetof(struct tcphdr, check);
	__u8 opt[12] = {XM_TCPOPT_MPTCP, 12, XM_MPTCP_DSS << 4, XM_DSS_FLAG_A | XM_DSS_FLAG_a};
	__be16 w_old = 0, w_new, l_old = 0, l_new;
	__be32 len_old, len_new;
	__s64 diff;

	if (!skb || skb->len != l4_off + thl || thl + sizeof(opt) > 60)
		return -1;
	#pragma unroll
	for (int i = 0; i < 8; i++)
		opt[4 + i] = (__u8)(data_ack >> (56 - 8 * i));
	if (bpf_skb_load_bytes(skb, l4_off + 12, &w_old, sizeof(w_old)))
		return -1;
	/* the data offset is the high nibble of byte 12 */
	w_new = w_old + bpf_htons((sizeof(opt) / 4) << 12);
	if (ip_ver == 4 && bpf_skb_load_bytes(skb, l3_off + 2, &l_old, sizeof(l_old)))
		return -1;
	if (ip_ver == 6 && bpf_skb_load_bytes(skb, l3_off + 4, &l_old, sizeof(l_old)))
		return -1;
	if (ip_ver != 4 && ip_ver != 6)
		return -1;
	l_new = bpf_htons(bpf_ntohs(l_old) + sizeof(opt));
	diff = bpf_csum_diff(NULL, 0, (__be32 *)opt, sizeof(opt), 0);
	if (diff < 0)
		return -1;
	if (bpf_skb_change_tail(skb, skb->len + sizeof(opt), 0))
		return -1;
	if (bpf_skb_store_bytes(skb, l4_off + thl, opt, sizeof(opt), 0) ||
	    bpf_skb_store_bytes(skb, l4_off + 12, &w_new, sizeof(w_new), 0))
		return -1;
	/* the TCP checksum: header word, option bytes, and the pseudo-header's length */
	len_old = bpf_htonl(thl);
	len_new = bpf_htonl(thl + sizeof(opt));
	if (bpf_l4_csum_replace(skb, check, w_old, w_new, sizeof(w_new)) ||
	    bpf_l4_csum_replace(skb, check, 0, (__u32)diff, 0) ||
	    bpf_l4_csum_replace(skb, check, len_old, len_new, BPF_F_PSEUDO_HDR | sizeof(len_new)))
		return -1;
	if (ip_ver == 4) {
		if (bpf_skb_store_bytes(skb, l3_off + 2, &l_new, sizeof(l_new), 0) ||
		    bpf_l3_csum_replace(skb, l3_off + 10, l_old, l_new, sizeof(l_new)))
			return -1;
	} else if (bpf_skb_store_bytes(skb, l3_off + 4, &l_new, sizeof(l_new), 0)) {
		return -1;
	}
	return 0;
}

/* Keep the checksum of the mapping that starts at ssn, for its retransmissions. */
static __always_inline void xm_egress_csum_keep(struct xm_tx_maps *m, __u32 ssn, __u32 len, long csum)
{
	if (m && csum >= 0)
		xm_txr_set_csum(m, ssn, len, (__u16)csum);
}

/* What egress needs of a segment, read out before any helper moves the packet. */
struct xm_egress {
	__u32 l3_off, l4_off, tcp_hlen, ip_ver;
	__u32 seq, ack, plen;
	__u8 fin, syn_rst, has_scan, pad;
};

/*
 * Egress work on a segment of an MPTCP connection c, from what *e says of
 * it; the options scan, when there was one (e->has_scan), is still in the
 * egress scratch slot. A global function, checked once on its own: inlined
 * in tc_egress, its branches multiplied the states past the verifier's limit.
 * Every change goes through helpers, which know the skb's checksum state.
 */
__attribute__((noinline)) int xm_meta_egress_conn(struct __sk_buff *skb, struct xm_conn *c,
						  const struct xm_egress *e)
{
	__u32 key = XM_DIR_TX, ack, new, shift, plen, rel, len, l4_off, tcp_hlen;
	const struct xm_scan *scan = NULL;
	struct xm_opt_dss remapped;
	struct xm_tx_maps *m = NULL;
	struct xm_dss_seg seg;
	struct bpf_sock *sk;
	int remap_off = -1, fin, lacks, first = 0;
	__u32 una = 0;
	long csum;

	if (!skb || !c || !e)
		return -1;
	if (e->has_scan)
		scan = bpf_map_lookup_elem(&xm_scratch, &key);
	ack = e->ack;
	plen = e->plen;
	fin = e->fin;
	l4_off = e->l4_off;
	tcp_hlen = e->tcp_hlen;
	rel = e->seq - c->local_isn;
	len = plen + fin;
	lacks = xm_egress_lacks_mapping(c, scan, plen, fin);
	/* the ring serves checksums and remaps only: no lookup for other data */
	if ((plen || fin) && (lacks || (c->flags & XM_CONN_F_CSUM))) {
		sk = skb->sk;
		if (sk)
			sk = bpf_sk_fullsock(sk);
		/*
		 * A first transmission that lacks a mapping may be one sockops never
		 * saw: the stack calls it only while option space is left, and
		 * timestamps with three SACK blocks take all 40 bytes. It is recorded
		 * here then, or its retransmission would find no first mapping.
		 * The stack advances snd_nxt only after the segment left this hook.
		 * Without a TCP socket to ask (BPF_PROG_TEST_RUN's stand-in) there
		 * is no telling, and no ring.
		 */
		if (lacks && sk) {
			struct bpf_tcp_sock *tp = bpf_tcp_sock(sk);

			if (!tp) {
				sk = NULL;
			} else if (xm_seq_after_eq(e->seq, tp->snd_nxt)) {
				first = 1;
				una = tp->snd_una - c->local_isn;
				if (scan && !scan->n_mptcp)
					xm_count(XM_STAT_DSS_TX_FIRST_NO_ROOM);
			}
		}
		m = xm_txm_get(sk, lacks);
	}
	if (lacks) {
		seg.seq = e->seq;
		seg.ack = ack;
		seg.plen = plen;
		seg.fin = fin;
		seg.acked = c->bytes_acked;
		seg.received = c->bytes_received;
		/*
		 * Count the retransmission outcomes here only when sockops wrote no
		 * option into this segment (with a bare DATA_ACK placeholder it
		 * did, recorded a first transmission and counted the rest itself).
		 */
		xm_dss_seg_map(c, m, &seg, first, una, scan && !scan->n_mptcp);
		remap_off = scan ? xm_egress_remap(skb, l4_off, c, &seg, &remapped) : -1;
		if (remap_off < 0) {
			xm_count(XM_STAT_DSS_TX_NO_MAPPING);
		} else {
			xm_count(XM_STAT_DSS_TX_SACK_REPLACED);
			xm_dss_data_fin_sent(c, &seg);
		}
	}
	/*
	 * A checksum is computed when the mapping is this segment's own bytes
	 * (a first transmission); a retransmission under its first mapping
	 * carries that mapping's checksum already (txmap.h).
	 */
	if ((c->flags & XM_CONN_F_CSUM) && remap_off >= 0) {
		/* a bare DATA_FIN says SSN 0 (RFC 8684 §3.3.3) */
		if (remapped.data_len == len &&
		    (remapped.ssn == rel || (remapped.ssn == 0 && !plen && fin))) {
			csum = xm_egress_csum(skb, l4_off, tcp_hlen, plen, remap_off,
					      xm_dss_form_len(remapped.flags & XM_DSS_FLAG_m ?
								      XM_DSS_FORM_FULL :
							      remapped.flags & XM_DSS_FLAG_A ?
								      XM_DSS_FORM_COMPACT :
								      XM_DSS_FORM_MAP_ONLY,
							      1),
					      remapped.dsn, remapped.ssn, remapped.data_len);
			xm_egress_csum_keep(m, rel, len, csum);
		}
	} else if ((c->flags & XM_CONN_F_CSUM) && scan) {
		__u8 kind = scan->csum_kind, opt_off = scan->csum_opt_off;
		__u8 opt_len = scan->csum_opt_len;
		__u32 ssn = scan->dss.ssn, dlen = scan->dss.data_len;

		/* a bare DATA_FIN says SSN 0 (RFC 8684 §3.3.3) */
		if (kind == XM_SCAN_CSUM_DSS && dlen == len &&
		    (ssn == rel || (ssn == 0 && !plen && fin))) {
			/* the pseudo-header takes the 64-bit DSN, whatever the option carries */
			csum = xm_egress_csum(skb, l4_off, tcp_hlen, plen, opt_off, opt_len,
					      xm_seq_expand_opt(c->local_idsn + c->bytes_acked + 1,
								scan->dss.dsn,
								scan->dss.flags & XM_DSS_FLAG_m),
					      ssn, dlen);
			xm_egress_csum_keep(m, rel, len, csum);
		} else if (kind == XM_SCAN_CSUM_MPC) {
			/* the first data byte: DSN = IDSN + 1, subflow seq 1 */
			csum = xm_egress_csum(skb, l4_off, tcp_hlen, plen, opt_off, opt_len,
					      c->local_idsn + 1, 1, scan->mpc_data_len);
			xm_egress_csum_keep(m, 1, scan->mpc_data_len, csum);
		}
	}
	shift = c->rx_shift;
	new = ack;
	if ((c->flags & (XM_CONN_F_FIN_INJECTED | XM_CONN_F_PEER_FIN)) == XM_CONN_F_FIN_INJECTED &&
	    ack == c->fin_seq + 1) {
		new = c->fin_seq;
		xm_count(XM_STAT_ACK_FIXUPS);
	}
	/* back to the subflow space the peer's TCP speaks (see xm_meta_seq()) */
	new += shift;
	if (new != ack)
		xm_skb_set_be32(skb, l4_off, l4_off + __builtin_offsetof(struct tcphdr, ack_seq), ack,
				new);
	/* a remapped segment has no SACK blocks left */
	if (shift && scan && scan->sack_len && remap_off < 0)
		xm_egress_sack_shift(skb, l4_off, l4_off + sizeof(struct tcphdr) + scan->sack_off,
				     scan->sack_len, shift);
	if ((c->flags & XM_CONN_F_LINGER) && !plen && !fin && !e->syn_rst &&
	    !(scan && scan->n_mptcp)) {
		if (xm_egress_linger_ack(skb, e->l3_off,
					 l4_off | tcp_hlen << 16 | e->ip_ver << 24,
					 c->remote_idsn + xm_seq_expand(c->bytes_received + 1,
									ack - c->remote_isn))) {
			xm_count(XM_STAT_LINGER_DATA_ACK_FAILED);
		} else {
			xm_count(XM_STAT_LINGER_DATA_ACK);
			/* the daemon sweeps the entry a while after the peer's DATA_FIN is acked */
			if (c->flags & XM_CONN_F_PEER_DATA_FIN)
				c->linger_ns = bpf_ktime_get_ns();
		}
	}
	return 0;
}

/*
 * Egress: give a data segment its mapping when sockops found no room (dss.h),
 * fill in DSS checksums, keep the ACK of an injected FIN from acknowledging
 * a byte the peer has not sent yet, translate ACKs to the subflow space, and
 * add the DATA_ACK to a lingering TIME_WAIT socket's ACKs. scan is what the
 * options scan found in this segment (or NULL).
 */
static __always_inline void xm_meta_egress(struct __sk_buff *skb, struct xm_pkt *p,
					   const struct xm_scan *scan)
{
	struct tcphdr *th = p->tcp;
	struct xm_flow_key k;
	struct xm_egress e;
	struct xm_conn *c;

	if (!th->ack)
		return;
	xm_pkt_flow(p, &k);
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c)
		return;
	__builtin_memset(&e, 0, sizeof(e));
	e.l3_off = p->l3_off;
	e.l4_off = p->l4_off;
	e.tcp_hlen = p->tcp_hlen;
	e.ip_ver = p->ip_ver;
	e.seq = bpf_ntohl(th->seq);
	e.ack = bpf_ntohl(th->ack_seq);
	e.plen = xm_pkt_tcp_payload(p);
	e.fin = th->fin;
	e.syn_rst = th->syn || th->rst;
	e.has_scan = !!scan;
	xm_meta_egress_conn(skb, c, &e);
}

#endif /* XMPTCP_BPF_META_H */
