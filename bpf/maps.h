/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The datapath's maps (names and layouts from include/xmptcp/abi.h) and the
 * counter helpers. Included by xmptcp.bpf.c only: a map defined here exists
 * once per object.
 */
#ifndef XMPTCP_BPF_MAPS_H
#define XMPTCP_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>

/* Per-CPU so that counting is a plain add with no atomics; userspace sums CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XM_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} xm_stats SEC(".maps");

/* Events up to the daemon. The size is a default; the loader may resize it before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} xm_events SEC(".maps");

/*
 * MPTCP connections whose meta socket is local (see struct xm_conn). Written
 * by sockops at the end of the handshake and removed when the socket closes;
 * XDP and TC read it and set flags. Sized by the daemon before load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct xm_flow_key);
	__type(value, struct xm_conn);
} xm_conns SEC(".maps");

/*
 * Server side, between our SYN-ACK and the ACK that completes the handshake:
 * the key we sent. LRU so that half-open connections (a SYN flood) evict
 * each other instead of filling the table.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct xm_flow_key);
	__type(value, struct xm_key_material);
} xm_pending SEC(".maps");

/* Key material the daemon makes ahead of time, so no handshake waits on it. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4096);
	__type(value, struct xm_key_material);
} xm_keys SEC(".maps");

/* See struct xm_sk_mptcp: the peer's key, for the MP_FASTCLOSE of an abort. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct xm_sk_mptcp);
} xm_sk_mptcp SEC(".maps");

/* See struct xm_tx_maps: the mappings a socket sent, for its retransmissions (txmap.h). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct xm_tx_maps);
} xm_tx_maps SEC(".maps");

static __always_inline void xm_count_n(__u32 stat, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&xm_stats, &stat);

	/* Only NULL when stat >= XM_STAT__MAX, i.e. a bug; nothing to count then. */
	if (v)
		*v += n;
}

static __always_inline void xm_count(__u32 stat)
{
	xm_count_n(stat, 1);
}

/* Count an RX-block counter (XM_STAT_RX_*) in the block of direction dir. */
static __always_inline void xm_count_dir(enum xm_dir dir, __u32 rx_stat)
{
	xm_count(rx_stat + (dir == XM_DIR_TX ? XM_STAT_DIR_STRIDE : 0));
}

#endif /* XMPTCP_BPF_MAPS_H */
