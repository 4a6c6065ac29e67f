/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The mappings a socket sent (struct xm_tx_maps in abi.h says why; the ring
 * itself is include/xmptcp/txring.h, shared with its unit test).
 *
 * sockops records every first transmission (seq == snd_nxt) as it writes its
 * mapping, tc_egress those sockops never saw (no option space), and both look
 * the mapping up again when the stack retransmits any piece of it; tc_egress,
 * which sees the payload, stores the DSS checksum in the record. They run in
 * the socket's transmit path under its lock, one after the other, so the
 * ring needs no atomics.
 */
#ifndef XMPTCP_BPF_TXMAP_H
#define XMPTCP_BPF_TXMAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>
#include <xmptcp/txring.h>

#include "maps.h"

/* The socket's ring, created on first use when create is set. */
static __always_inline struct xm_tx_maps *xm_txm_get(struct bpf_sock *sk, int create)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&xm_tx_maps, sk, NULL,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/*
 * Record the first transmission of [ssn, ssn + len) (relative); una is the
 * peer's cumulative ACK in the same space. A connection with DSS checksums
 * keeps one record per mapping (each has its checksum).
 */
static __always_inline void xm_txm_add(struct xm_tx_maps *m, const struct xm_conn *c, __u32 ssn,
				       __u32 len, __u32 una)
{
	__u32 evicted = xm_txr_add(m, ssn, len, una, !(c->flags & XM_CONN_F_CSUM));

	if (evicted)
		xm_count_n(XM_STAT_DSS_TX_MAP_EVICTED, evicted);
}

#endif /* XMPTCP_BPF_TXMAP_H */
