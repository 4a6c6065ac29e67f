/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The mappings a socket sent (struct xm_tx_maps in abi.h says why).
 *
 * sockops records every first transmission (seq == snd_nxt) as it writes its mapping, and
 * looks the mapping up again when the stack retransmits any piece of it;
 * tc_egress, which sees the payload, stores the DSS checksum in the record.
 * Both run in the socket's transmit path under its lock, one after the
 * other, so the record needs no atomics.
 */
#ifndef XMPTCP_BPF_TXMAP_H
#define XMPTCP_BPF_TXMAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>
#include <xmptcp/seq.h>

#include "maps.h"

/*
 * The loops here and in the DSS form choice are unrolled: Linux 6.1's
 * verifier rejects a loop whose back edge the compiler laid out as a
 * fall-through ("back-edge from insn N to N+1"), whatever its bound.
 */
#define XM_TX_MAPS_MASK (XM_TX_MAPS - 1)
_Static_assert((XM_TX_MAPS & XM_TX_MAPS_MASK) == 0, "XM_TX_MAPS must be a power of two");
/* the lookup below halves the ring at most this many times */
#define XM_TX_MAPS_LOG2 9
_Static_assert((1 << XM_TX_MAPS_LOG2) == XM_TX_MAPS, "XM_TX_MAPS_LOG2");

/* The socket's ring, created on first use when create is set. */
static __always_inline struct xm_tx_maps *xm_txm_get(struct bpf_sock *sk, int create)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&xm_tx_maps, sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

static __always_inline __u32 xm_txm_rec_end(const struct xm_tx_map *r)
{
	return r->ssn + r->len;
}

/*
 * Record the first transmission of [ssn, ssn + len); una is the peer's
 * cumulative ACK in the same relative space. Records the peer acked go first
 * (a few per call: each call adds one); when the ring is still full, the
 * oldest goes, acked or not.
 */
static __always_inline void xm_txm_add(struct xm_tx_maps *m, __u32 ssn, __u32 len, __u32 una)
{
	struct xm_tx_map *r;

	if (!(m->flags & XM_TX_MAPS_F_INIT)) {
		m->head = m->tail = 0;
		m->flags |= XM_TX_MAPS_F_INIT;
	}
	/*
	 * Records at or past ssn were first transmissions the device refused
	 * (the stack then keeps snd_nxt, and retries the skb later, often with
	 * more data appended): they never reached the peer, this one replaces them.
	 */
	#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (m->head == m->tail)
			break;
		r = &m->rec[(m->tail - 1) & XM_TX_MAPS_MASK];
		if (xm_seq_before(r->ssn, ssn))
			break;
		m->tail--;
	}
	#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (m->head == m->tail)
			break;
		r = &m->rec[m->head & XM_TX_MAPS_MASK];
		if (xm_seq_after(xm_txm_rec_end(r), una))
			break;
		m->head++;
	}
	if (m->tail - m->head >= XM_TX_MAPS) {
		r = &m->rec[m->head & XM_TX_MAPS_MASK];
		if (xm_seq_after(xm_txm_rec_end(r), una))
			xm_count(XM_STAT_DSS_TX_MAP_EVICTED);
		m->head++;
	}
	r = &m->rec[m->tail & XM_TX_MAPS_MASK];
	r->ssn = ssn;
	r->len = (__u16)len;
	r->csum = 0;
	m->tail++;
	m->end = ssn + len;
}

/* The record whose mapping holds subflow sequence number ssn, or NULL. */
static __always_inline struct xm_tx_map *xm_txm_find(struct xm_tx_maps *m, __u32 ssn)
{
	__u32 lo = m->head, hi = m->tail, mid;
	struct xm_tx_map *r;

	if (lo == hi || hi - lo > XM_TX_MAPS)
		return NULL;
	/* the last record that starts at or before ssn: records are in ssn order */
	#pragma unroll
	for (int i = 0; i <= XM_TX_MAPS_LOG2; i++) {
		if (hi - lo <= 1)
			break;
		mid = lo + (hi - lo) / 2;
		if (xm_seq_before_eq(m->rec[mid & XM_TX_MAPS_MASK].ssn, ssn))
			lo = mid;
		else
			hi = mid;
	}
	r = &m->rec[lo & XM_TX_MAPS_MASK];
	if (xm_seq_before(ssn, r->ssn) || xm_seq_after_eq(ssn, xm_txm_rec_end(r)))
		return NULL;
	return r;
}

#endif /* XMPTCP_BPF_TXMAP_H */
