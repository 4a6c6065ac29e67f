/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ring of DSS mappings a socket sent first (struct xm_tx_maps, abi.h says
 * why it exists): adding a first transmission, finding the mapping that holds
 * a retransmitted byte, keeping a mapping's checksum.
 *
 * A record is a run: `count` mappings of `len` bytes each, back to back from
 * `ssn`. Without TSO the stack sends MSS-sized segments, each its own
 * mapping; one record per segment filled the 512-record ring with a few
 * hundred kilobytes in flight, and under loss (SACK recovery keeps the hole
 * unacked while new data goes out) the ring dropped unacked mappings, whose
 * retransmissions then went out under mappings of their own. A run of equal
 * segments is one record. A checksummed connection keeps one record per
 * mapping: each has its own checksum.
 *
 * Header-only and BPF-safe, shared by bpf/ (the datapath, through txmap.h)
 * and tests/unit (test_txring.c): no helpers, no libc, bounded loops only.
 * Every sequence number is relative to the ISN, as in the DSS.
 */
#ifndef XMPTCP_TXRING_H
#define XMPTCP_TXRING_H

#include <linux/types.h>

#include <xmptcp/abi.h>
#include <xmptcp/seq.h>

/*
 * Loops are unrolled for the verifier: Linux 6.1 rejects a loop whose back
 * edge the compiler laid out as a fall-through, whatever its bound.
 */
#if defined(__clang__)
#define XM_TXR_UNROLL _Pragma("unroll")
#else
#define XM_TXR_UNROLL
#endif

#define XM_TX_MAPS_MASK (XM_TX_MAPS - 1)
_Static_assert((XM_TX_MAPS & XM_TX_MAPS_MASK) == 0, "XM_TX_MAPS must be a power of two");
/* the lookup halves the ring at most this many times */
#define XM_TX_MAPS_LOG2 9
_Static_assert((1 << XM_TX_MAPS_LOG2) == XM_TX_MAPS, "XM_TX_MAPS_LOG2");
/* a run never spans more than this many bytes: its end stays a sane 32-bit distance */
#define XM_TX_RUN_MAX_BYTES (1u << 30)

/* One mapping, as the ring gives it back. */
struct xm_txr_map {
	__u32 ssn;
	__u16 len;
	__u16 csum; /* network order; 0: not computed (or a run: no checksums) */
};

static __always_inline __u32 xm_txr_rec_end(const struct xm_tx_map *r)
{
	return r->ssn + (__u32)r->count * r->len;
}

static __always_inline struct xm_tx_map *xm_txr_at(struct xm_tx_maps *m, __u32 i)
{
	return &m->rec[i & XM_TX_MAPS_MASK];
}

/*
 * How many of run r's mappings end after una (are not fully acked). len is
 * never 0 (a mapping has data or a DATA_FIN).
 */
static __always_inline __u32 xm_txr_unacked(const struct xm_tx_map *r, __u32 una)
{
	__u32 done;

	if (!xm_seq_after(xm_txr_rec_end(r), una))
		return 0;
	if (!xm_seq_after(una, r->ssn) || !r->len)
		return r->count;
	done = (una - r->ssn) / r->len;
	return done < r->count ? r->count - done : 0;
}

/*
 * Record the first transmission of the mapping [ssn, ssn + len); una is the
 * peer's cumulative ACK. merge: the mapping may join the newest run (no DSS
 * checksum on this connection). Returns how many unacked mappings a full
 * ring had to drop for it (DssTxMapEvicted), usually 0.
 */
static __always_inline __u32 xm_txr_add(struct xm_tx_maps *m, __u32 ssn, __u32 len, __u32 una,
					int merge)
{
	struct xm_tx_map *r;
	__u32 evicted = 0, keep;

	if (!(m->flags & XM_TX_MAPS_F_INIT)) {
		m->head = m->tail = 0;
		m->flags |= XM_TX_MAPS_F_INIT;
	}
	/*
	 * Mappings at or past ssn were first transmissions the device refused
	 * (the stack then keeps snd_nxt, and retries the skb later, often with
	 * more data appended): they never reached the peer, this one replaces
	 * them. A run that ssn cuts keeps the mappings before it.
	 */
	XM_TXR_UNROLL
	for (int i = 0; i < 4; i++) {
		if (m->head == m->tail)
			break;
		r = xm_txr_at(m, m->tail - 1);
		if (!xm_seq_after(xm_txr_rec_end(r), ssn))
			break;
		if (xm_seq_before(r->ssn, ssn) && r->len) {
			keep = (ssn - r->ssn) / r->len;
			if (keep) {
				r->count = (__u16)keep;
				break;
			}
		}
		m->tail--;
	}
	/* runs the peer acked entirely go first (a few per call: each call adds one) */
	XM_TXR_UNROLL
	for (int i = 0; i < 4; i++) {
		if (m->head == m->tail)
			break;
		r = xm_txr_at(m, m->head);
		if (xm_seq_after(xm_txr_rec_end(r), una))
			break;
		m->head++;
	}
	m->end = ssn + len;
	if (merge && m->head != m->tail) {
		r = xm_txr_at(m, m->tail - 1);
		if (r->len == len && r->count < 0xffff && !r->csum && xm_txr_rec_end(r) == ssn &&
		    (__u32)(r->count + 1) * len <= XM_TX_RUN_MAX_BYTES) {
			r->count++;
			return 0;
		}
	}
	if (m->tail - m->head >= XM_TX_MAPS) {
		evicted = xm_txr_unacked(xm_txr_at(m, m->head), una);
		m->head++;
	}
	r = xm_txr_at(m, m->tail);
	r->ssn = ssn;
	r->len = (__u16)len;
	r->csum = 0;
	r->count = 1;
	r->pad = 0;
	m->tail++;
	return evicted;
}

/* The run holding relative sequence number ssn, or NULL. */
static __always_inline struct xm_tx_map *xm_txr_find_rec(struct xm_tx_maps *m, __u32 ssn)
{
	__u32 lo = m->head, hi = m->tail, mid;
	struct xm_tx_map *r;

	if (lo == hi || hi - lo > XM_TX_MAPS)
		return NULL;
	/* the last run that starts at or before ssn: runs are in ssn order */
	XM_TXR_UNROLL
	for (int i = 0; i <= XM_TX_MAPS_LOG2; i++) {
		if (hi - lo <= 1)
			break;
		mid = lo + (hi - lo) / 2;
		if (xm_seq_before_eq(xm_txr_at(m, mid)->ssn, ssn))
			lo = mid;
		else
			hi = mid;
	}
	r = xm_txr_at(m, lo);
	if (xm_seq_before(ssn, r->ssn) || xm_seq_after_eq(ssn, xm_txr_rec_end(r)) || !r->len)
		return NULL;
	return r;
}

/* The mapping that holds relative sequence number ssn: 0 and *out, or -1. */
static __always_inline int xm_txr_find(struct xm_tx_maps *m, __u32 ssn, struct xm_txr_map *out)
{
	struct xm_tx_map *r = xm_txr_find_rec(m, ssn);
	__u32 k;

	if (!r)
		return -1;
	k = (ssn - r->ssn) / r->len;
	out->ssn = r->ssn + k * r->len;
	out->len = r->len;
	out->csum = r->count == 1 ? r->csum : 0;
	return 0;
}

/*
 * Keep the checksum of the mapping [ssn, ssn + len) for its retransmissions.
 * Only a single-mapping record holds one (checksummed connections never merge).
 */
static __always_inline void xm_txr_set_csum(struct xm_tx_maps *m, __u32 ssn, __u32 len, __u16 csum)
{
	struct xm_tx_map *r = xm_txr_find_rec(m, ssn);

	if (r && r->count == 1 && r->ssn == ssn && r->len == len)
		r->csum = csum;
}

#endif /* XMPTCP_TXRING_H */
