/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The sockops half of the datapath: MPTCP on the meta socket itself.
 *
 * The meta connection is the application's own kernel TCP socket, and its
 * sequence space is the data sequence space (DSN = IDSN + (seq - ISN)). So the
 * initial subflow needs no rewriting at all, only options, and the TCP stack
 * can carry those itself through the header-option callbacks:
 *  - HDR_OPT_LEN_CB reserves the bytes, so the stack shrinks the MSS and sizes
 *    TSO bursts with our option included;
 *  - WRITE_HDR_OPT_CB writes MP_CAPABLE in the handshake and a DSS (DATA_ACK +
 *    mapping) in every later segment. A TSO burst gets one DSS covering the
 *    whole burst; GSO copies it into every segment, which RFC 8684 allows.
 *
 * What a socket option cannot do is done at XDP and TC (see meta.h): the
 * peer's DATA_FIN must become a FIN for the local stack, and the ACK of that
 * FIN must not acknowledge a subflow byte the peer has not sent yet.
 *
 * Key material comes from the daemon through the xm_keys queue; the peer's
 * IDSN is derived here (include/xmptcp/sha256.h), so no packet ever waits for
 * userspace.
 */
#ifndef XMPTCP_BPF_SOCKOPS_H
#define XMPTCP_BPF_SOCKOPS_H

#include <linux/bpf.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>
#include <xmptcp/seq.h>
#include <xmptcp/sha256.h>

#include "maps.h"
#include "dss.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define XM_TCP_FLAG_FIN 0x01
#define XM_TCP_FLAG_SYN 0x02
#define XM_TCP_FLAG_RST 0x04
#define XM_TCP_FLAG_ACK 0x10

/* BPF_TCP_* */
#define XM_TCP_STATE_FIN_WAIT1 4
#define XM_TCP_STATE_FIN_WAIT2 5
#define XM_TCP_STATE_CLOSE     7
#define XM_TCP_STATE_CLOSING   11

/* Largest DSS we write: 8-byte DATA_ACK, 8-byte DSN, SSN, length, checksum. */
#define XM_DSS_MAX_LEN 28

/*
 * The network namespace this datapath serves (SO_NETNS_COOKIE of the daemon's
 * netns, set before load). The sockops program hangs off a cgroup, which spans
 * namespaces; without this filter two daemons on one host would both act on
 * every socket. 0 disables the filter (BPF_PROG_TEST_RUN fixtures).
 */
const volatile __u64 xm_netns_cookie = 0;

/* Per-CPU scratch for the SHA-256 message schedule: 256 bytes, too big for the stack. */
struct xm_sha_scratch {
	__u32 w[XM_SHA256_SCHED_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xm_sha_scratch);
} xm_sha_scratch SEC(".maps");

/* Token and IDSN of a key (the peer's): see sha256.h for why this runs here. */
static __noinline int xm_key_derive(__u64 key, __u32 *token, __u64 *idsn)
{
	__u32 zero = 0;
	struct xm_sha_scratch *s = bpf_map_lookup_elem(&xm_sha_scratch, &zero);

	if (!s)
		return -1;
	xm_sha256_mptcp_key(key, s->w, token, idsn);
	return 0;
}

/*
 * The flow key of a socket, in the same form XDP builds from a packet.
 * A v4-mapped IPv6 socket (a dual-stack listener's child) carries IPv4 on the
 * wire, so it is keyed as IPv4.
 */
/*
 * Context fields are read through XM_CTX_READ: clang likes to merge the IPv4
 * and IPv6 branches into one load from a computed ctx offset, which the
 * verifier rejects ("dereference of modified ctx ptr"). A volatile read of
 * each field keeps every load at its own constant offset.
 */
#define XM_CTX_READ(field) (*(volatile __u32 *)&(field))
/* ...and a barrier at the end of each branch stops clang sinking the loads out of it. */
#define XM_NO_MERGE() asm volatile("" ::: "memory")

static __always_inline int xm_so_flow(const struct bpf_sock_ops *skops, struct xm_flow_key *k)
{
	__u32 family = XM_CTX_READ(skops->family);

	__builtin_memset(k, 0, sizeof(*k));
	k->lport = bpf_htons((__u16)XM_CTX_READ(skops->local_port));
	/* remote_port holds the be16 port in its first two bytes: bpf_ntohl gives host order */
	k->rport = bpf_htons((__u16)bpf_ntohl(XM_CTX_READ(skops->remote_port)));
	if (family == AF_INET) {
		k->ip_ver = 4;
		k->laddr[0] = XM_CTX_READ(skops->local_ip4);
		k->raddr[0] = XM_CTX_READ(skops->remote_ip4);
		XM_NO_MERGE();
		return 0;
	}
	if (family != AF_INET6)
		return -1;
	if (XM_CTX_READ(skops->local_ip6[0]) == 0 && XM_CTX_READ(skops->local_ip6[1]) == 0 &&
	    XM_CTX_READ(skops->local_ip6[2]) == bpf_htonl(0x0000ffff)) {
		k->ip_ver = 4;
		k->laddr[0] = XM_CTX_READ(skops->local_ip6[3]);
		k->raddr[0] = XM_CTX_READ(skops->remote_ip6[3]);
		XM_NO_MERGE();
		return 0;
	}
	k->ip_ver = 6;
	k->laddr[0] = XM_CTX_READ(skops->local_ip6[0]);
	k->laddr[1] = XM_CTX_READ(skops->local_ip6[1]);
	k->laddr[2] = XM_CTX_READ(skops->local_ip6[2]);
	k->laddr[3] = XM_CTX_READ(skops->local_ip6[3]);
	k->raddr[0] = XM_CTX_READ(skops->remote_ip6[0]);
	k->raddr[1] = XM_CTX_READ(skops->remote_ip6[1]);
	k->raddr[2] = XM_CTX_READ(skops->remote_ip6[2]);
	k->raddr[3] = XM_CTX_READ(skops->remote_ip6[3]);
	XM_NO_MERGE();
	return 0;
}

/* Loopback traffic never leaves the host: nothing to gain, and no XDP sees its replies. */
static __always_inline int xm_flow_is_loopback(const struct xm_flow_key *k)
{
	if (k->ip_ver == 4)
		return (bpf_ntohl(k->raddr[0]) >> 24) == 127;
	return k->raddr[0] == 0 && k->raddr[1] == 0 && k->raddr[2] == 0 &&
	       k->raddr[3] == bpf_htonl(1);
}

static __always_inline void xm_so_cb_flags_add(struct bpf_sock_ops *skops, __u32 add)
{
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | add);
}

/* Stop all header-option work on this socket: it is plain TCP from now on. */
static __always_inline void xm_so_plain_tcp(struct bpf_sock_ops *skops)
{
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
						 ~(BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG |
						   BPF_SOCK_OPS_STATE_CB_FLAG));
}

/*
 * Load the MPTCP option of the packet the callback refers to (or of the
 * saved SYN) into ob and parse it. Returns the option length or < 0.
 */
static __noinline int xm_so_load_mptcp(struct bpf_sock_ops *skops, __u64 flags,
					    struct xm_optbuf *ob, struct xm_mptcp_opt *o)
{
	long r;

	__builtin_memset(ob, 0, sizeof(*ob));
	__builtin_memset(o, 0, sizeof(*o));
	ob->b[0] = XM_TCPOPT_MPTCP;
	r = bpf_load_hdr_opt(skops, ob->b, XM_TCP_OPTS_MAX, flags);
	if (r < 2 || r > XM_TCP_OPTS_MAX)
		return -1;
	ob->len = (__u32)r;
	return xm_mptcp_opt_parse(ob, 0, o);
}

/* Write one option built by the codec into the outgoing header. */
static __noinline long xm_so_store(struct bpf_sock_ops *skops, const struct xm_mptcp_opt *o)
{
	struct xm_optbuf ob;
	int len;

	__builtin_memset(&ob, 0, sizeof(ob));
	len = xm_mptcp_opt_append(&ob, o);
	if (len <= 0 || len > XM_TCP_OPTS_MAX)
		return -1;
	return bpf_store_hdr_opt(skops, ob.b, len & (XM_OPTBUF_SIZE - 1), 0);
}

/* Remember the peer's key with the socket itself, for an abort's RST (struct xm_sk_mptcp). */
static __always_inline void xm_so_keep_key(struct bpf_sock_ops *skops, __u64 remote_key)
{
	struct xm_sk_mptcp *m;

	if (!skops->sk)
		return;
	m = bpf_sk_storage_get(&xm_sk_mptcp, skops->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (m)
		m->remote_key = remote_key;
}

/*
 * An RST of a socket that spoke MPTCP: the application aborted (or the stack
 * reset). A bare RST ends the subflow but not the peer's MPTCP connection,
 * which would linger until its close timeout. RFC 8684 §3.5, option R:
 * MP_FASTCLOSE on the RST, with the receiver's key. Returns 1 when this was
 * such a RST (handled), else 0.
 */
static __always_inline int xm_so_rst(struct bpf_sock_ops *skops, int write)
{
	struct xm_sk_mptcp *m;
	struct xm_mptcp_opt o;

	if (!(skops->skb_tcp_flags & XM_TCP_FLAG_RST) || !skops->sk)
		return 0;
	m = bpf_sk_storage_get(&xm_sk_mptcp, skops->sk, 0, 0);
	if (!m)
		return 1;
	if (!write) {
		bpf_reserve_hdr_opt(skops, XM_MP_FASTCLOSE_LEN, 0);
		return 1;
	}
	__builtin_memset(&o, 0, sizeof(o));
	o.subtype = XM_MPTCP_MP_FASTCLOSE;
	o.fastclose.receiver_key = m->remote_key;
	if (xm_so_store(skops, &o) == 0)
		xm_count(XM_STAT_FASTCLOSE_TX);
	return 1;
}

/* ---- client role --------------------------------------------------------- */

/* connect(): take a key and offer MP_CAPABLE in the SYN. */
static __always_inline void xm_so_connect(struct bpf_sock_ops *skops)
{
	struct xm_key_material km;
	struct xm_flow_key k;
	struct xm_conn c;

	if (xm_so_flow(skops, &k) || xm_flow_is_loopback(&k))
		return;
	if (bpf_map_pop_elem(&xm_keys, &km)) {
		xm_count(XM_STAT_KEY_QUEUE_EMPTY);
		return;
	}
	__builtin_memset(&c, 0, sizeof(c));
	c.local_key = km.key;
	c.local_idsn = km.idsn;
	c.local_token = km.token;
	c.state = XM_CS_SYN_SENT;
	c.role = XM_ROLE_CLIENT;
	if (bpf_map_update_elem(&xm_conns, &k, &c, BPF_ANY)) {
		xm_count(XM_STAT_CONN_TABLE_FULL);
		bpf_map_push_elem(&xm_keys, &km, 0); /* unused: give it back */
		return;
	}
	xm_so_cb_flags_add(skops, BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG);
}

/* The SYN-ACK arrived: take the server's key, or fall back to plain TCP. */
static __always_inline void xm_so_active_established(struct bpf_sock_ops *skops)
{
	struct xm_mptcp_opt o;
	struct xm_optbuf ob;
	struct xm_flow_key k;
	struct tcphdr *th;
	struct xm_conn *c;

	if (xm_so_flow(skops, &k))
		return;
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c || c->state != XM_CS_SYN_SENT)
		return;
	if (xm_so_load_mptcp(skops, 0, &ob, &o) < 0 || o.subtype != XM_MPTCP_MP_CAPABLE ||
	    !o.mpc.has_sender_key || o.mpc.has_receiver_key) {
		xm_count(XM_STAT_MPC_FALLBACK_SYNACK);
		goto plain;
	}
	xm_count(XM_STAT_MPC_SYNACK_RX);
	if (!(c->flags & XM_CONN_F_XDP_SEEN)) {
		/* it came in where our XDP is not: see xm_meta_handshake() */
		xm_count(XM_STAT_MPC_NOT_MANAGED);
		goto plain;
	}
	if (o.mpc.flags & XM_MPC_FLAG_A) {
		/* the server wants DSS checksums: then both sides use them (§3.1) */
		c->flags |= XM_CONN_F_CSUM;
		xm_count(XM_STAT_MPC_CSUM);
	}
	th = skops->skb_data;
	if ((void *)(th + 1) > skops->skb_data_end)
		goto plain;
	c->remote_key = o.mpc.sender_key;
	if (xm_key_derive(c->remote_key, &c->remote_token, &c->remote_idsn))
		goto plain;
	c->local_isn = bpf_ntohl(th->ack_seq) - 1;
	c->remote_isn = bpf_ntohl(th->seq);
	c->created_ns = bpf_ktime_get_ns();
	c->state = XM_CS_MPC_ACK;
	xm_so_keep_key(skops, c->remote_key);
	xm_count(XM_STAT_CONN_ESTABLISHED);
	return;
plain:
	bpf_map_delete_elem(&xm_conns, &k);
	xm_so_plain_tcp(skops);
}

/* ---- server role --------------------------------------------------------- */

/*
 * Did the SYN this SYN-ACK answers offer MP_CAPABLE v1, in a form we accept?
 * 0: no; 1: yes; 2: yes, and it asks for DSS checksums.
 */
static __always_inline int xm_so_syn_offers_mptcp(struct bpf_sock_ops *skops)
{
	struct xm_mptcp_opt o;
	struct xm_optbuf ob;

	if (xm_so_load_mptcp(skops, BPF_LOAD_HDR_OPT_TCP_SYN, &ob, &o) < 0)
		return 0;
	if (o.subtype != XM_MPTCP_MP_CAPABLE || o.mpc.has_sender_key)
		return 0;
	if (!(o.mpc.flags & XM_MPC_FLAG_H))
		return 0; /* HMAC-SHA256 is the only algorithm RFC 8684 defines */
	return (o.mpc.flags & XM_MPC_FLAG_A) ? 2 : 1;
}

/*
 * Write MP_CAPABLE into a SYN-ACK. The key must survive until the third ACK,
 * when the child socket exists: it is parked in xm_pending (LRU, so that a
 * SYN flood evicts old half-open entries instead of filling the table).
 * A retransmitted SYN-ACK finds its entry and repeats the same key.
 */
static __always_inline void xm_so_write_synack(struct bpf_sock_ops *skops)
{
	struct xm_key_material km, *p;
	struct xm_mptcp_opt o;
	struct xm_flow_key k;
	int first;

	if (xm_so_flow(skops, &k))
		return;
	/* the SYN reserved this slot at XDP (meta.h); no slot, no MPTCP */
	p = bpf_map_lookup_elem(&xm_pending, &k);
	if (!p) {
		xm_count(XM_STAT_MPC_NOT_MANAGED);
		return;
	}
	km = *p;
	first = !km.key;
	if (first) {
		if (bpf_map_pop_elem(&xm_keys, &km)) {
			xm_count(XM_STAT_KEY_QUEUE_EMPTY);
			return;
		}
		if (bpf_map_update_elem(&xm_pending, &k, &km, BPF_ANY))
			return;
		xm_count(XM_STAT_MPC_SYN_RX);
	}
	__builtin_memset(&o, 0, sizeof(o));
	o.subtype = XM_MPTCP_MP_CAPABLE;
	o.mpc.version = XM_MPTCP_VERSION;
	/* a client that asks for checksums gets them: the A flag is echoed */
	o.mpc.flags = XM_MPC_FLAG_H | (xm_so_syn_offers_mptcp(skops) == 2 ? XM_MPC_FLAG_A : 0);
	o.mpc.has_sender_key = 1;
	o.mpc.sender_key = km.key;
	if (xm_so_store(skops, &o) == 0 && first)
		xm_count(XM_STAT_MPC_SYNACK_TX);
}

/*
 * The ACK that completes the handshake (or, if the third ACK was lost, the
 * first data segment): it must echo our key and carry the client's.
 */
static __always_inline void xm_so_passive_established(struct bpf_sock_ops *skops)
{
	struct xm_key_material *km;
	struct xm_mptcp_opt o;
	struct xm_optbuf ob;
	struct xm_flow_key k;
	struct tcphdr *th;
	struct xm_conn c;

	if (xm_so_flow(skops, &k))
		return;
	km = bpf_map_lookup_elem(&xm_pending, &k);
	if (!km || !km->key) {
		if (km)
			bpf_map_delete_elem(&xm_pending, &k);
		xm_so_plain_tcp(skops); /* we never offered MPTCP to this one */
		return;
	}
	__builtin_memset(&c, 0, sizeof(c));
	c.local_key = km->key;
	c.local_idsn = km->idsn;
	c.local_token = km->token;
	bpf_map_delete_elem(&xm_pending, &k);

	th = skops->skb_data;
	if ((void *)(th + 1) > skops->skb_data_end)
		goto fallback;
	if (xm_so_load_mptcp(skops, 0, &ob, &o) < 0 || o.subtype != XM_MPTCP_MP_CAPABLE ||
	    !o.mpc.has_sender_key || !o.mpc.has_receiver_key || o.mpc.receiver_key != c.local_key)
		goto fallback;
	xm_count(XM_STAT_MPC_ACK_RX);
	/* the client's third ACK says whether either side asked for checksums */
	if (o.mpc.flags & XM_MPC_FLAG_A) {
		c.flags |= XM_CONN_F_CSUM;
		xm_count(XM_STAT_MPC_CSUM);
	}
	c.remote_key = o.mpc.sender_key;
	if (xm_key_derive(c.remote_key, &c.remote_token, &c.remote_idsn))
		goto fallback;
	/* The third ACK and a first data segment both start at ISN + 1. */
	c.remote_isn = bpf_ntohl(th->seq) - 1;
	c.local_isn = bpf_ntohl(th->ack_seq) - 1;
	c.created_ns = bpf_ktime_get_ns();
	c.state = XM_CS_ESTABLISHED;
	c.role = XM_ROLE_SERVER;
	if (bpf_map_update_elem(&xm_conns, &k, &c, BPF_ANY)) {
		xm_count(XM_STAT_CONN_TABLE_FULL);
		goto fallback;
	}
	xm_so_keep_key(skops, c.remote_key);
	xm_count(XM_STAT_CONN_ESTABLISHED);
	xm_so_cb_flags_add(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
	return;
fallback:
	xm_count(XM_STAT_MPC_FALLBACK_ACK);
	xm_so_plain_tcp(skops);
}

/* ---- every segment after the handshake ------------------------------------ */

/* What the next segment of an established connection carries, and its length. */
enum xm_so_opt_kind {
	XM_SO_OPT_NONE,
	XM_SO_OPT_MPC_ACK,  /* MP_CAPABLE with both keys (20) */
	XM_SO_OPT_MPC_DATA, /* MP_CAPABLE with both keys and the data length (22) */
	XM_SO_OPT_DSS,      /* DSS: DATA_ACK, plus a mapping when there is data or a FIN */
};

static __always_inline int xm_so_pick(const struct xm_conn *c, __u32 seq, __u32 plen, int fin)
{
	if (c->state == XM_CS_MPC_ACK && !(c->flags & XM_CONN_F_PEER_DSS)) {
		/*
		 * Until the server shows it has our keys (its first DSS, seen at
		 * ingress), keep echoing them, as RFC 8684 §3.1 asks: the third ACK
		 * may be lost. The first data byte's mapping is implicit in
		 * MP_CAPABLE (DSN = IDSN + 1, subflow seq 1).
		 */
		if (plen && seq == c->local_isn + 1 && !fin)
			return XM_SO_OPT_MPC_DATA;
		if (!plen && !fin)
			return XM_SO_OPT_MPC_ACK;
	}
	return XM_SO_OPT_DSS;
}

/* Bytes of option kind `kind` for a segment, in DSS form `form` (dss.h). */
static __always_inline __u32 xm_so_opt_len(int kind, int form, __u32 plen, int fin, int csum)
{
	switch (kind) {
	case XM_SO_OPT_MPC_ACK:
		return XM_MPC_LEN_ACK;
	case XM_SO_OPT_MPC_DATA:
		return csum ? XM_MPC_LEN_DATA_CSUM : XM_MPC_LEN_DATA;
	case XM_SO_OPT_DSS:
		if (plen || fin)
			return xm_dss_form_len(form, csum);
		/* a pure ACK: its DATA_ACK, 8 or 4 bytes */
		return form == XM_DSS_FORM_FULL ? 12 : 8;
	}
	return 0;
}

static __always_inline void xm_so_hdr_opt_len(struct bpf_sock_ops *skops)
{
	__u32 flags = skops->skb_tcp_flags;
	int fin, csum, kind, form;
	struct xm_flow_key k;
	struct xm_conn *c;

	if (flags & XM_TCP_FLAG_SYN) {
		if (flags & XM_TCP_FLAG_ACK) {
			if (!xm_so_flow(skops, &k) && bpf_map_lookup_elem(&xm_pending, &k) &&
			    xm_so_syn_offers_mptcp(skops))
				bpf_reserve_hdr_opt(skops, XM_MPC_LEN_SYNACK, 0);
			return;
		}
		if (xm_so_flow(skops, &k))
			return;
		c = bpf_map_lookup_elem(&xm_conns, &k);
		if (c && c->state == XM_CS_SYN_SENT)
			bpf_reserve_hdr_opt(skops, XM_MPC_LEN_SYN, 0);
		return;
	}
	/*
	 * The stack asks with no skb when it computes the current MSS, and
	 * sizes segments by the answer: reserve the most any segment may get
	 * below, the largest DSS or, when timestamps and SACK blocks leave less,
	 * all that is left. Reserving nothing when the full DSS does not fit
	 * (one SACK block leaves 16 bytes) made 1436-byte segments that then got
	 * a 16-byte DSS: 1516 bytes with DF, which the IP layer drops
	 * (IpFragFails, EMSGSIZE) on every try while the hole stays open, and the
	 * ACKs they carried with them: both directions stalled. Otherwise
	 * reserve what this segment needs; skb_len is the payload here, the
	 * header is not built yet.
	 */
	if (xm_so_rst(skops, 0))
		return;
	if (skops->args[0] == BPF_WRITE_HDR_TCP_CURRENT_MSS) {
		int i;

		/*
		 * The UAPI does not show the space left (remaining_opt_len):
		 * find it by asking for less and less. It is a multiple of 4.
		 */
		#pragma unroll
		for (i = 0; i < XM_DSS_MAX_LEN / 4; i++)
			if (!bpf_reserve_hdr_opt(skops, XM_DSS_MAX_LEN - 4 * i, 0))
				break;
		return;
	}
	if (xm_so_flow(skops, &k))
		return;
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c || c->state < XM_CS_MPC_ACK)
		return;
	/*
	 * The seq is not known yet, so pick with a seq that is not the first
	 * data byte: a first data segment's MP_CAPABLE (22) fits in a DSS's 26.
	 */
	fin = flags & XM_TCP_FLAG_FIN;
	csum = !!(c->flags & XM_CONN_F_CSUM);
	kind = xm_so_pick(c, c->local_isn, skops->skb_len, fin);
	if (!bpf_reserve_hdr_opt(skops, xm_so_opt_len(kind, XM_DSS_FORM_FULL, skops->skb_len, fin, csum), 0))
		return;
	if (kind != XM_SO_OPT_DSS)
		return; /* counted when the write finds no room (below) */
	/* SACK blocks took the space: the largest smaller form that fits (dss.h) */
	#pragma unroll
	for (form = XM_DSS_FORM_COMPACT; form < XM_DSS_FORM__COUNT; form++)
		if (!bpf_reserve_hdr_opt(skops, xm_so_opt_len(kind, form, skops->skb_len, fin, csum), 0))
			return;
}

static __always_inline void xm_so_write_established(struct bpf_sock_ops *skops)
{
	struct xm_mptcp_opt o;
	struct xm_dss_seg seg;
	struct xm_flow_key k;
	struct tcphdr *th;
	struct xm_conn *c;
	__u32 seq, ack, plen;
	int fin, kind, csum, form;

	if (xm_so_flow(skops, &k))
		return;
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c || c->state < XM_CS_MPC_ACK)
		return;
	csum = !!(c->flags & XM_CONN_F_CSUM);
	th = skops->skb_data;
	if ((void *)(th + 1) > skops->skb_data_end)
		return;
	seq = bpf_ntohl(th->seq);
	ack = bpf_ntohl(th->ack_seq);
	plen = skops->skb_len - th->doff * 4;
	fin = th->fin;
	c->bytes_acked = skops->bytes_acked;
	c->bytes_received = skops->bytes_received;
	if (c->state == XM_CS_MPC_ACK && (c->flags & XM_CONN_F_PEER_DSS))
		c->state = XM_CS_ESTABLISHED;

	__builtin_memset(&o, 0, sizeof(o));
	kind = xm_so_pick(c, seq, plen, fin);
	if (kind == XM_SO_OPT_MPC_ACK || kind == XM_SO_OPT_MPC_DATA) {
		o.subtype = XM_MPTCP_MP_CAPABLE;
		o.mpc.version = XM_MPTCP_VERSION;
		o.mpc.flags = XM_MPC_FLAG_H | (csum ? XM_MPC_FLAG_A : 0);
		o.mpc.has_sender_key = 1;
		o.mpc.sender_key = c->local_key;
		o.mpc.has_receiver_key = 1;
		o.mpc.receiver_key = c->remote_key;
		if (kind == XM_SO_OPT_MPC_DATA) {
			struct xm_tx_maps *m = xm_txm_get(skops->sk, 1);

			/* the implicit mapping (DSN = IDSN + 1, subflow seq 1), for retransmissions */
			if (m && xm_seq_after_eq(seq, skops->snd_nxt))
				xm_txm_add(m, c, 1, plen, skops->snd_una - c->local_isn);
			o.mpc.has_data_len = 1;
			o.mpc.data_len = (__u16)plen;
			o.mpc.has_csum = csum; /* zero here, filled in by tc_egress (meta.h) */
		}
		if (xm_so_store(skops, &o))
			xm_count(XM_STAT_DSS_TX_NOSPACE);
		return;
	}
	/*
	 * A DSS: the largest form the reserved space takes. The length callback
	 * reserved one of them for this very segment; trying them in order finds it.
	 */
	seg.seq = seq;
	seg.ack = ack;
	seg.plen = plen;
	seg.fin = fin;
	seg.acked = skops->bytes_acked;
	seg.received = skops->bytes_received;
	/* a pure ACK has no mapping: no need for the ring */
	xm_dss_seg_map(c, (plen || fin) ? xm_txm_get(skops->sk, 1) : NULL, &seg,
		       xm_seq_after_eq(seq, skops->snd_nxt), skops->snd_una - c->local_isn, 1);
	o.subtype = XM_MPTCP_DSS;
	#pragma unroll
	for (form = XM_DSS_FORM_FULL; form < XM_DSS_FORM__COUNT; form++) {
		xm_dss_build(c, &seg, form, &o.dss);
		if (!xm_so_store(skops, &o))
			break;
	}
	if (form == XM_DSS_FORM__COUNT) {
		/* not even a DATA_ACK: tc_egress still gives data its mapping (meta.h) */
		xm_count(XM_STAT_DSS_TX_NOSPACE);
		return;
	}
	if (form != XM_DSS_FORM_FULL && (plen || fin))
		xm_count(form == XM_DSS_FORM_ACK_ONLY ? XM_STAT_DSS_TX_NOSPACE : XM_STAT_DSS_TX_COMPACT);
	if (form != XM_DSS_FORM_ACK_ONLY)
		xm_dss_data_fin_sent(c, &seg);
}

static __always_inline void xm_so_write_hdr_opt(struct bpf_sock_ops *skops)
{
	__u32 flags = skops->skb_tcp_flags;
	struct xm_mptcp_opt o;
	struct xm_flow_key k;
	struct xm_conn *c;

	if ((flags & (XM_TCP_FLAG_SYN | XM_TCP_FLAG_ACK)) == (XM_TCP_FLAG_SYN | XM_TCP_FLAG_ACK)) {
		xm_so_write_synack(skops);
		return;
	}
	if (xm_so_rst(skops, 1))
		return;
	if (flags & XM_TCP_FLAG_SYN) {
		if (xm_so_flow(skops, &k))
			return;
		c = bpf_map_lookup_elem(&xm_conns, &k);
		if (!c || c->state != XM_CS_SYN_SENT)
			return;
		__builtin_memset(&o, 0, sizeof(o));
		o.subtype = XM_MPTCP_MP_CAPABLE;
		o.mpc.version = XM_MPTCP_VERSION;
		o.mpc.flags = XM_MPC_FLAG_H;
		if (xm_so_store(skops, &o) == 0)
			xm_count(XM_STAT_MPC_SYN_TX);
		return;
	}
	xm_so_write_established(skops);
}

/* The socket is closing for good: its MPTCP state goes with it. */
static __always_inline void xm_so_state(struct bpf_sock_ops *skops)
{
	__u32 old = skops->args[0];
	struct xm_flow_key k;
	struct xm_conn *c;

	if (skops->args[1] != XM_TCP_STATE_CLOSE)
		return;
	if (xm_so_flow(skops, &k))
		return;
	c = bpf_map_lookup_elem(&xm_conns, &k);
	if (!c)
		return;
	xm_count(XM_STAT_CONN_CLOSED);
	/*
	 * We closed first and the stack moves the socket to TIME_WAIT (it
	 * reaches TCP_CLOSE from FIN_WAIT1/2 or CLOSING then, a reset aside):
	 * the entry lingers for the peer's DATA_FIN (struct xm_conn, abi.h).
	 */
	if ((old == XM_TCP_STATE_FIN_WAIT1 || old == XM_TCP_STATE_FIN_WAIT2 ||
	     old == XM_TCP_STATE_CLOSING) &&
	    (c->flags & (XM_CONN_F_DATA_FIN_TX | XM_CONN_F_PEER_RST)) == XM_CONN_F_DATA_FIN_TX) {
		c->linger_ns = bpf_ktime_get_ns();
		__sync_fetch_and_or(&c->flags, XM_CONN_F_LINGER);
		return;
	}
	bpf_map_delete_elem(&xm_conns, &k);
}

SEC("sockops")
int sockops_mptcp(struct bpf_sock_ops *skops)
{
	if (xm_netns_cookie && bpf_get_netns_cookie(skops) != xm_netns_cookie)
		return 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		xm_so_connect(skops);
		break;
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		/* request sockets and children inherit the listener's flags */
		xm_so_cb_flags_add(skops, BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		xm_so_active_established(skops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		xm_so_passive_established(skops);
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		xm_so_hdr_opt_len(skops);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		xm_so_write_hdr_opt(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		xm_so_state(skops);
		break;
	}
	return 1;
}

#endif /* XMPTCP_BPF_SOCKOPS_H */
