/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The DSS of one segment of the meta socket, in the form that fits.
 *
 * Every data segment must carry its mapping: a kernel peer that gets data
 * outside any mapping treats it as a broken mapping and falls back to plain
 * TCP (MPTcpExtDssFallback), and from then on its data sequence and ours part
 * ways. But the stack hands out the 40 bytes of TCP option space before the
 * header-option callbacks run: timestamps (12), then SACK blocks (12, 20 or
 * 28 for 1, 2 or 3 blocks), and BPF gets what is left. With loss or
 * reordering, and in two-way transfers where our data segments carry the
 * ACKs, the full DSS (28 bytes) often does not fit.
 *
 * RFC 8684 gives MPTCP options precedence over SACK for this reason, and so
 * does the Linux MPTCP stack. We get there in two steps:
 *  - sockops (sockops.h) writes the largest form that fits: the full one;
 *    then 4-byte DATA_ACK and DSN (20 with the checksum); then the mapping
 *    alone with a 4-byte DSN (16); then a bare 4-byte DATA_ACK (8), which
 *    keeps its place in the header for the next step;
 *  - tc_egress (meta.h) gives a data segment that still has no mapping (two
 *    or three SACK blocks) the option space of its SACK blocks and of that
 *    bare DSS: there is always room for the full form there.
 * 4-byte forms are exact: the peer expands them against its own 64-bit
 * view, which is never 2^31 away from ours.
 */
#ifndef XMPTCP_BPF_DSS_H
#define XMPTCP_BPF_DSS_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>

#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>
#include <xmptcp/seq.h>

#include "maps.h"
#include "txmap.h"

enum xm_dss_form {
	XM_DSS_FORM_FULL,      /* 8-byte DATA_ACK, mapping with an 8-byte DSN: 26 (+2) */
	XM_DSS_FORM_COMPACT,   /* 4-byte DATA_ACK, mapping with a 4-byte DSN: 18 (+2) */
	XM_DSS_FORM_MAP_ONLY,  /* mapping with a 4-byte DSN, no DATA_ACK: 14 (+2) */
	XM_DSS_FORM_ACK_ONLY,  /* 4-byte DATA_ACK, no mapping: 8 (a placeholder for TC) */
	XM_DSS_FORM__COUNT,
};

/* Wire length of a form, the mapping's checksum included when csum. */
static __always_inline __u32 xm_dss_form_len(int form, int csum)
{
	__u32 c = csum ? 2 : 0;

	switch (form) {
	case XM_DSS_FORM_FULL:
		return 26 + c;
	case XM_DSS_FORM_COMPACT:
		return 18 + c;
	case XM_DSS_FORM_MAP_ONLY:
		return 14 + c;
	default:
		return 8;
	}
}

/*
 * What a segment of the meta socket says at the data level.
 *   seq, ack, plen, fin: the segment's TCP sequence, acknowledgment, payload
 *                        length and FIN flag (meta space: as the stack built it);
 *   acked, received:     the socket's bytes_acked and bytes_received, against
 *                        which the 32-bit numbers are expanded to 64 bits;
 *   map_*:               the mapping it carries (xm_dss_seg_map()): its own
 *                        bytes when first sent, the first transmission's
 *                        mapping when retransmitted.
 */
struct xm_dss_seg {
	__u32 seq, ack, plen;
	int fin;
	__u64 acked, received;
	__u32 map_ssn;	/* relative subflow sequence number of the mapping */
	__u16 map_len;	/* its data-level length, DATA_FIN included */
	__u16 map_csum; /* its checksum when known (network order), else 0 */
	int map_fin;	/* its last data-level byte is the DATA_FIN */
};

/*
 * Pick the mapping of segment s (fills s->map_*). m is the socket's ring
 * (NULL: none, the segment maps itself). first: the segment is a first
 * transmission (sockops knows: seq == snd_nxt), to record in m with una, the
 * peer's cumulative ACK relative to the ISN; otherwise it takes the mapping
 * recorded for its first byte (tc_egress always looks up: sockops ran first).
 */
static __always_inline void xm_dss_seg_map(const struct xm_conn *c, struct xm_tx_maps *m,
					   struct xm_dss_seg *s, int first, __u32 una, int count)
{
	__u32 rel = s->seq - c->local_isn, len = s->plen + !!s->fin;
	struct xm_txr_map r;

	s->map_ssn = rel;
	s->map_len = (__u16)len;
	s->map_csum = 0;
	s->map_fin = !!s->fin;
	if (!m || !(s->plen || s->fin))
		return;
	if (first) {
		xm_txm_add(m, c, rel, len, una);
		return;
	}
	if (xm_txr_find(m, rel, &r)) {
		if (count)
			xm_count(XM_STAT_DSS_TX_MAP_UNKNOWN);
		return;
	}
	if (xm_seq_after(rel + len, r.ssn + r.len)) {
		/*
		 * Collapsed on retransmission across two first transmissions
		 * (xmptcpd turns tcp_retrans_collapse off, but a namespace may
		 * turn it on again). No single earlier mapping covers it: its
		 * own bytes are the better bet, as a kernel peer replaces its
		 * current mapping with one that reaches further.
		 */
		if (count)
			xm_count(XM_STAT_DSS_TX_SPAN);
		return;
	}
	if (count && (r.ssn != rel || r.len != len))
		xm_count(XM_STAT_DSS_TX_REMAPPED);
	s->map_ssn = r.ssn;
	s->map_len = r.len;
	s->map_csum = r.csum;
	/* the DATA_FIN sits at local_fin_seq once it went out (xm_dss_data_fin_sent()) */
	s->map_fin = (c->flags & XM_CONN_F_DATA_FIN_TX) &&
		     r.ssn + r.len == c->local_fin_seq - c->local_isn + 1;
}

/*
 * Fill *d with the DSS of segment s in form `form`: a DATA_ACK of everything
 * received, and when the segment has data or a FIN, its mapping (s->map_*).
 * A checksum not known yet is left zero: only TC sees the payload (meta.h
 * fills it in).
 */
static __always_inline void xm_dss_build(const struct xm_conn *c, const struct xm_dss_seg *s,
					 int form, struct xm_opt_dss *d)
{
	__builtin_memset(d, 0, sizeof(*d));
	if (form != XM_DSS_FORM_MAP_ONLY) {
		d->flags = XM_DSS_FLAG_A | (form == XM_DSS_FORM_FULL ? XM_DSS_FLAG_a : 0);
		d->data_ack = c->remote_idsn + xm_seq_expand(s->received + 1, s->ack - c->remote_isn);
	}
	if (form == XM_DSS_FORM_ACK_ONLY || !(s->plen || s->fin))
		return;
	d->flags |= XM_DSS_FLAG_M | (form == XM_DSS_FORM_FULL ? XM_DSS_FLAG_m : 0);
	d->dsn = c->local_idsn + xm_seq_expand(s->acked + 1, s->map_ssn);
	d->ssn = s->map_ssn;
	d->data_len = s->map_len;
	d->has_csum = !!(c->flags & XM_CONN_F_CSUM);
	d->csum = bpf_ntohs(s->map_csum);
	if (s->map_fin) {
		d->flags |= XM_DSS_FLAG_F;
		/* RFC 8684 §3.3.3: a DATA_FIN with no data has SSN 0 */
		if (s->map_len == 1)
			d->ssn = 0;
	}
}

/* The segment's DATA_FIN went out: remember where it is, once. */
static __always_inline void xm_dss_data_fin_sent(struct xm_conn *c, const struct xm_dss_seg *s)
{
	if (!s->fin || (c->flags & XM_CONN_F_DATA_FIN_TX))
		return;
	c->local_fin_seq = s->seq + s->plen;
	__sync_fetch_and_or(&c->flags, XM_CONN_F_DATA_FIN_TX);
	xm_count(XM_STAT_DATA_FIN_TX);
}

#endif /* XMPTCP_BPF_DSS_H */
