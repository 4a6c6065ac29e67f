/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The BPF <-> userspace ABI of xmptcp: everything that crosses a BPF map or
 * the ring buffer. This header is compiled both by clang -target bpf and by
 * the host compiler; nothing here may be defined a second time elsewhere.
 *
 * Rules (see docs/maps.md):
 *  - only __u8..__u64, __be16, __be32; explicit padding, no implicit holes;
 *  - every struct has a _Static_assert on its size, and on the offsets that
 *    a reader depends on;
 *  - map names are at most 15 characters (the kernel keeps 16 bytes).
 */
#ifndef XMPTCP_ABI_H
#define XMPTCP_ABI_H

#include <linux/types.h>

#define XM_ASSERT_SIZE(type, size)                                                                 \
	_Static_assert(sizeof(type) == (size), "ABI size of " #type " changed")
#define XM_ASSERT_OFFSET(type, member, off)                                                        \
	_Static_assert(__builtin_offsetof(type, member) == (off),                                 \
		       "ABI offset of " #type "." #member " changed")

/* Names of the maps, as the kernel and bpftool show them and as pins are named. */
#define XM_MAP_STATS  "xm_stats"
#define XM_MAP_EVENTS "xm_events"
#define XM_MAP_CONNS   "xm_conns"
#define XM_MAP_PENDING "xm_pending"
#define XM_MAP_KEYS    "xm_keys"

/*
 * Datapath counters: one per-CPU array (xm_stats) indexed by enum xm_stat.
 * The X-macro keeps the enum and the names userspace prints in one place:
 * X(ENUM_SUFFIX, "name", "what it counts").
 * Names that mean the same as a kernel MPTcpExt counter reuse its name.
 */
#define XM_STATS(X)                                                                                \
	X(RX_PACKETS, "RxPackets", "packets seen at ingress (XDP, or TC: GRO/GSO skbs)")           \
	X(RX_TCP, "RxTcp", "TCP segments seen at ingress (XDP or TC)")                             \
	X(RX_MPTCP, "RxMptcp", "ingress TCP segments carrying at least one MPTCP option")          \
	X(RX_NOT_PARSED, "RxNotParsed", "ingress frames too short or malformed to parse as TCP")   \
	X(RX_OPT_MP_CAPABLE, "RxMpCapable", "ingress MP_CAPABLE options")                          \
	X(RX_OPT_MP_JOIN, "RxMpJoin", "ingress MP_JOIN options")                                   \
	X(RX_OPT_DSS, "RxDss", "ingress DSS options")                                              \
	X(RX_OPT_ADD_ADDR, "RxAddAddr", "ingress ADD_ADDR options")                                \
	X(RX_OPT_REMOVE_ADDR, "RxRemoveAddr", "ingress REMOVE_ADDR options")                       \
	X(RX_OPT_MP_PRIO, "RxMpPrio", "ingress MP_PRIO options")                                   \
	X(RX_OPT_MP_FAIL, "RxMpFail", "ingress MP_FAIL options")                                   \
	X(RX_OPT_MP_FASTCLOSE, "RxMpFastclose", "ingress MP_FASTCLOSE options")                    \
	X(RX_OPT_MP_TCPRST, "RxMpTcpRst", "ingress MP_TCPRST options")                             \
	X(RX_OPT_UNKNOWN, "RxOptUnknown", "ingress MPTCP options of an unknown subtype")           \
	X(RX_OPT_MALFORMED, "RxOptMalformed", "ingress MPTCP options the codec rejected")          \
	X(TX_PACKETS, "TxPackets", "packets seen at TC egress")                                    \
	X(TX_TCP, "TxTcp", "TCP segments seen at TC egress")                                       \
	X(TX_MPTCP, "TxMptcp", "egress TCP segments carrying at least one MPTCP option")           \
	X(TX_NOT_PARSED, "TxNotParsed", "egress frames too short or malformed to parse as TCP")    \
	X(TX_OPT_MP_CAPABLE, "TxMpCapable", "egress MP_CAPABLE options")                           \
	X(TX_OPT_MP_JOIN, "TxMpJoin", "egress MP_JOIN options")                                    \
	X(TX_OPT_DSS, "TxDss", "egress DSS options")                                               \
	X(TX_OPT_ADD_ADDR, "TxAddAddr", "egress ADD_ADDR options")                                 \
	X(TX_OPT_REMOVE_ADDR, "TxRemoveAddr", "egress REMOVE_ADDR options")                        \
	X(TX_OPT_MP_PRIO, "TxMpPrio", "egress MP_PRIO options")                                    \
	X(TX_OPT_MP_FAIL, "TxMpFail", "egress MP_FAIL options")                                    \
	X(TX_OPT_MP_FASTCLOSE, "TxMpFastclose", "egress MP_FASTCLOSE options")                     \
	X(TX_OPT_MP_TCPRST, "TxMpTcpRst", "egress MP_TCPRST options")                              \
	X(TX_OPT_UNKNOWN, "TxOptUnknown", "egress MPTCP options of an unknown subtype")            \
	X(TX_OPT_MALFORMED, "TxOptMalformed", "egress MPTCP options the codec rejected")           \
	X(EVENTS_LOST, "EventsLost", "ring-buffer events dropped because the buffer was full")       \
	X(MPC_SYN_TX, "MPCapableSYNTX", "SYNs we sent offering MP_CAPABLE (client role)")            \
	X(MPC_SYNACK_RX, "MPCapableSYNACKRX", "SYN-ACKs with MP_CAPABLE received (client role)")     \
	X(MPC_SYN_RX, "MPCapableSYNRX", "SYNs with MP_CAPABLE received (server role)")               \
	X(MPC_SYNACK_TX, "MPCapableSYNACKTX", "SYN-ACKs we sent with MP_CAPABLE (server role)")      \
	X(MPC_ACK_RX, "MPCapableACKRX", "third ACKs (or first data) with MP_CAPABLE (server role)")  \
	X(MPC_FALLBACK_SYNACK, "MPCapableFallbackSYNACK",                                          \
	  "client connections that fell back: SYN-ACK without MP_CAPABLE")                         \
	X(MPC_FALLBACK_ACK, "MPCapableFallbackACK",                                                \
	  "server connections that fell back: third ACK without a valid MP_CAPABLE")               \
	X(MPC_NOT_MANAGED, "MPCapableNotManaged",                                                  \
	  "handshakes left as plain TCP: they came in through an interface without our ingress") \
	X(KEY_QUEUE_EMPTY, "KeyQueueEmpty",                                                        \
	  "connections left as plain TCP because the daemon's key queue was empty")                \
	X(CONN_TABLE_FULL, "ConnTableFull",                                                        \
	  "connections left as plain TCP because xm_conns was full")                               \
	X(CONN_ESTABLISHED, "ConnEstablished", "MPTCP connections established")                    \
	X(CONN_CLOSED, "ConnClosed", "MPTCP connections whose socket closed (state removed)")      \
	X(DSS_TX_NOSPACE, "DssTxNoSpace",                                                          \
	  "segments sockops could not give their DSS mapping, or any DSS: SACK blocks took the "   \
	  "space (tc_egress then makes room for the mapping: DssTxSackReplaced)")                  \
	X(DATA_FIN_RX, "DataFinRx", "peer DATA_FINs turned into a FIN for the local stack")        \
	X(DATA_FIN_TX, "DataFinTx", "DATA_FINs we sent (with the local stack's FIN)")              \
	X(ACK_FIXUPS, "AckFixups",                                                                 \
	  "egress ACKs pulled back one: they covered an injected FIN the peer had not sent yet")   \
	X(FASTCLOSE_TX, "MPFastcloseTx", "MP_FASTCLOSE sent on the RST of an aborted connection")   \
	X(RX_SHIFTS, "RxSubflowShifts",                                                            \
	  "times the peer's subflow moved ahead of its data stream (MPTCP-level retransmission)")  \
	X(MPC_CSUM, "MPCapableChecksum", "connections that negotiated DSS checksums")              \
	X(DSS_CSUM_TX, "DssChecksumTx", "DSS checksums computed at egress")                        \
	X(DSS_CSUM_TX_FAILED, "DssChecksumTxFailed",                                               \
	  "mappings whose checksum could not be computed (left zero: the peer will MP_FAIL)")     \
	X(DSS_TX_COMPACT, "DssTxCompact",                                                          \
	  "data segments whose DSS had to use 4-byte fields or leave out the DATA_ACK to fit")     \
	X(DSS_TX_SACK_REPLACED, "DssTxSackReplaced",                                               \
	  "data segments whose SACK blocks tc_egress replaced by their DSS mapping (RFC 8684 "     \
	  "gives MPTCP options precedence)")                                                        \
	X(DSS_TX_NO_MAPPING, "DssTxNoMapping",                                                     \
	  "data segments that left without a DSS mapping (the peer may fall back to TCP)")        \
	X(DSS_TX_REMAPPED, "DssTxRetransMapped",                                                   \
	  "retransmitted segments sent with the mapping of their first transmission")             \
	X(DSS_TX_SPAN, "DssTxRetransSpan",                                                         \
	  "retransmitted segments that span more than one earlier mapping (the rest goes "         \
	  "unmapped: the peer may fall back)")                                                      \
	X(DSS_TX_MAP_EVICTED, "DssTxMapEvicted",                                                   \
	  "unacked mappings dropped from a full xm_tx_maps ring (a retransmission gets a new one)") \
	X(DSS_TX_MAP_UNKNOWN, "DssTxMapUnknown",                                                   \
	  "retransmitted segments whose first mapping was not recorded (a new mapping is sent)")  \
	X(DSS_TX_FIRST_NO_ROOM, "DssTxFirstNoRoom",                                                   \
	  "first transmissions sockops never saw (no option space left at all), recorded in "      \
	  "xm_tx_maps by tc_egress for their retransmissions")                                      \
	X(LINGER_DATA_ACK, "LingerDataAckTx",                                                      \
	  "DATA_ACKs added to the ACKs of a TIME_WAIT socket (it closed before the peer's "        \
	  "DATA_FIN)")                                                                              \
	X(LINGER_DATA_ACK_FAILED, "LingerDataAckFailed",                                           \
	  "ACKs of a TIME_WAIT socket that could not get their DATA_ACK")

enum xm_stat {
#define XM_STAT_ENUM(id, name, help) XM_STAT_##id,
	XM_STATS(XM_STAT_ENUM)
#undef XM_STAT_ENUM
	XM_STAT__MAX
};

/*
 * The per-subtype counters are laid out in subtype order so that the datapath
 * can index them as BASE + subtype; these asserts keep that true.
 */
_Static_assert(XM_STAT_RX_OPT_MP_TCPRST - XM_STAT_RX_OPT_MP_CAPABLE == 8,
	       "RX per-subtype counters must follow MPTCP subtype order 0..8");
_Static_assert(XM_STAT_TX_OPT_MP_TCPRST - XM_STAT_TX_OPT_MP_CAPABLE == 8,
	       "TX per-subtype counters must follow MPTCP subtype order 0..8");
_Static_assert(XM_STAT_TX_PACKETS - XM_STAT_RX_PACKETS == XM_STAT_TX_OPT_MALFORMED -
			       XM_STAT_RX_OPT_MALFORMED,
	       "RX and TX counter blocks must have the same layout");

/* Which way a packet goes through the datapath; selects the RX or TX block. */
enum xm_dir {
	XM_DIR_RX = 0, /* ingress: xdp_ingress or tc_ingress */
	XM_DIR_TX = 1, /* TC egress */
};

/* Distance between the RX and TX blocks of enum xm_stat. */
#define XM_STAT_DIR_STRIDE (XM_STAT_TX_PACKETS - XM_STAT_RX_PACKETS)

/*
 * Drop reasons. Negative values returned by datapath functions; their
 * absolute value is stable and may be used as a metric key. Foundation
 * programs never drop; the enum exists so that every later drop goes through
 * one function with a named reason.
 */
enum xm_drop_reason {
	XM_DROP_NONE = 0,
	XM_DROP_MALFORMED_OPTION = 1, /* an MPTCP option the codec rejected */
	XM_DROP_VIRTUAL_SUBFLOW = 2,  /* a packet that must never reach the stack as is */
	XM_DROP_IMPAIR = 3,           /* dropped on purpose by the test impairment program */
	XM_DROP__MAX
};

/*
 * Ring-buffer events (map xm_events), datapath -> daemon. Every record starts
 * with struct xm_event_hdr; `type` tells which record follows, `len` is the
 * whole record's length so that a reader can skip types it does not know.
 */
enum xm_event_type {
	XM_EV_NONE = 0,
	XM_EV_OPT_MALFORMED = 1, /* struct xm_ev_opt_malformed */
	XM_EV__MAX
};

struct xm_event_hdr {
	__u16 type; /* enum xm_event_type */
	__u16 len;  /* sizeof the whole record */
	__u32 ifindex;
	__u64 ts_ns; /* bpf_ktime_get_ns() */
};
XM_ASSERT_SIZE(struct xm_event_hdr, 16);

/* Largest TCP options area: data offset 15 words minus the 5-word header. */
#define XM_TCP_OPTS_MAX 40

/*
 * A malformed MPTCP option, sampled for the daemon's log: the whole TCP options
 * area and where the bad option starts, so a human can see what the peer sent.
 */
struct xm_ev_opt_malformed {
	struct xm_event_hdr hdr;
	__u8 dir;       /* enum xm_dir */
	__u8 opt_off;   /* offset of the bad option's kind byte in opts[] */
	__u8 opts_len;  /* bytes valid in opts[] */
	__u8 error;     /* enum xm_opt_err, positive */
	__u8 ip_ver;    /* 4 or 6 */
	__u8 pad[3];
	__be16 sport;
	__be16 dport;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u8 opts[XM_TCP_OPTS_MAX];
	__u8 pad2[4]; /* to the 8-byte alignment the header imposes */
};
XM_ASSERT_SIZE(struct xm_ev_opt_malformed, 104);
XM_ASSERT_OFFSET(struct xm_ev_opt_malformed, opts, 60);

/*
 * Key material for one connection, made by the daemon (getrandom, SHA-256)
 * and queued in xm_keys (a BPF queue) so that the datapath never waits on
 * userspace when it needs a key for a SYN or a SYN-ACK.
 */
struct xm_key_material {
	__u64 key;   /* the local key, as a number (big-endian on the wire) */
	__u64 idsn;  /* least significant 64 bits of SHA-256(key) */
	__u32 token; /* most significant 32 bits of SHA-256(key) */
	__u32 pad;
};
XM_ASSERT_SIZE(struct xm_key_material, 24);

/*
 * A TCP connection as the local host sees it. Addresses and ports in network
 * order, as on the wire, so XDP can build it from a packet without swapping.
 * IPv4 addresses live in the first word, the other three are zero.
 */
struct xm_flow_key {
	__be32 laddr[4];
	__be32 raddr[4];
	__be16 lport;
	__be16 rport;
	__u8 ip_ver; /* 4 or 6 */
	__u8 pad[3];
};
XM_ASSERT_SIZE(struct xm_flow_key, 40);
XM_ASSERT_OFFSET(struct xm_flow_key, lport, 32);

enum xm_conn_state {
	XM_CS_NONE = 0,
	XM_CS_SYN_SENT = 1,    /* client: MP_CAPABLE SYN sent */
	XM_CS_MPC_ACK = 2,     /* client: keys known, third ACK / first data not confirmed */
	XM_CS_ESTABLISHED = 3, /* both keys known and the peer is known to have them */
	XM_CS__MAX
};

enum xm_conn_role {
	XM_ROLE_CLIENT = 1,
	XM_ROLE_SERVER = 2,
};

/* xm_conn.flags; set with atomic ors, since XDP and sockops run concurrently. */
#define XM_CONN_F_CSUM         0x01 /* DSS checksums negotiated */
#define XM_CONN_F_PEER_DSS     0x02 /* the peer sent a DSS: it is fully established */
#define XM_CONN_F_FIN_INJECTED 0x04 /* ingress turned the peer's DATA_FIN into a FIN at fin_seq */
#define XM_CONN_F_PEER_FIN     0x08 /* the peer's own subflow FIN arrived (at fin_seq) */
#define XM_CONN_F_DATA_FIN_TX  0x10 /* we sent our DATA_FIN (with our FIN, at local_fin_seq) */
#define XM_CONN_F_XDP_SEEN     0x20 /* the SYN-ACK came in through our ingress (XDP or TC) */
#define XM_CONN_F_LINGER       0x40 /* the socket went to TIME_WAIT: see linger_ns */
#define XM_CONN_F_PEER_DATA_FIN 0x80 /* the peer's DATA_FIN arrived (or a FIN without DSS) */
#define XM_CONN_F_PEER_RST     0x100 /* the peer reset the subflow */

/*
 * A socket that closes first ends as a TIME_WAIT mini-socket, which the
 * sockops program never sees again; the peer's DATA_FIN comes later and
 * must still be DATA_ACKed, or the kernel peer keeps its connection in
 * LAST-ACK until its close timeout. So the entry of a socket that goes to
 * TIME_WAIT stays, flagged XM_CONN_F_LINGER: tc_egress adds the DATA_ACK to
 * the mini-socket's ACKs (bpf/meta.h), and xmptcpd removes the entry
 * XM_LINGER_DONE_NS after the last such ACK once the peer's DATA_FIN came,
 * else after XM_LINGER_MAX_NS (TCP's TIME_WAIT length), or at the peer's RST.
 */
#define XM_LINGER_DONE_NS (1000ULL * 1000 * 1000)
#define XM_LINGER_MAX_NS  (60ULL * 1000 * 1000 * 1000)

/*
 * One MPTCP connection whose meta socket is a local kernel TCP socket (map
 * xm_conns, keyed by struct xm_flow_key). Created by the sockops program
 * when the handshake concludes, removed by it when the socket closes.
 * The data sequence space is the socket's own: DSN = IDSN + (seq - ISN).
 */
struct xm_conn {
	__u64 local_key;
	__u64 remote_key;
	__u64 local_idsn;
	__u64 remote_idsn;
	__u32 local_token;
	__u32 remote_token;
	__u32 local_isn;  /* our subflow ISN (the SYN's sequence number) */
	__u32 remote_isn; /* the peer's subflow ISN */
	__u32 fin_seq;    /* subflow seq where ingress injected the peer's FIN (F_FIN_INJECTED) */
	__u32 flags;      /* XM_CONN_F_* */
	__u8 state;       /* enum xm_conn_state */
	__u8 role;        /* enum xm_conn_role */
	__u8 pad[2];
	__u32 local_fin_seq; /* seq of our FIN, which carried our DATA_FIN (F_DATA_FIN_TX) */
	__u32 rx_shift;   /* the peer's subflow seq minus its meta seq (see bpf/meta.h) */
	__u32 rx_sub_hi;  /* end of the newest subflow data, relative to remote_isn */
	__u64 created_ns;     /* bpf_ktime_get_ns() at establishment */
	__u64 bytes_acked;    /* last seen tcp_sock bytes_acked (data we sent, acked) */
	__u64 bytes_received; /* last seen tcp_sock bytes_received */
	__u64 linger_ns;      /* F_LINGER: when the socket closed, or the last DATA_ACK TC added */
};
XM_ASSERT_SIZE(struct xm_conn, 104);
XM_ASSERT_OFFSET(struct xm_conn, flags, 52);
XM_ASSERT_OFFSET(struct xm_conn, local_fin_seq, 60);

/*
 * Per-socket storage (map xm_sk_mptcp, BPF_MAP_TYPE_SK_STORAGE): what the
 * sockops program still needs after the socket left xm_conns. An abort
 * (SO_LINGER 0, tcp_disconnect) moves the socket to TCP_CLOSE before its RST
 * is written, and that RST must carry MP_FASTCLOSE with the peer's key.
 * Freed with the socket.
 */
struct xm_sk_mptcp {
	__u64 remote_key;
};
XM_ASSERT_SIZE(struct xm_sk_mptcp, 8);

/*
 * The DSS mappings a socket sent (map xm_tx_maps, BPF_MAP_TYPE_SK_STORAGE;
 * include/xmptcp/txring.h). A retransmission must carry the mapping of the
 * original transmission: the stack retransmits pieces of what it sent (the
 * segment the peer lost out of a 64 KiB TSO burst, the part of it left
 * unacked), and a kernel peer that is in the middle of the original mapping
 * takes a different one over those bytes for a broken stream
 * (MPTcpExtDSSNotMatching) and falls back to TCP. A ring of runs in subflow
 * sequence order, oldest first; runs the peer acked are dropped as new ones
 * come. Freed with the socket.
 */
#define XM_TX_MAPS 512 /* a power of two: in flight, 512 runs of equal mappings */

/* count mappings of len bytes each, back to back from ssn (txring.h) */
struct xm_tx_map {
	__u32 ssn;   /* subflow sequence number, relative to the ISN (as in the DSS) */
	__u16 len;   /* data-level length of each mapping, DATA_FIN included */
	__u16 csum;  /* count 1: DSS checksum as on the wire (network order), 0 until TC computed it */
	__u16 count; /* mappings in the run; more than 1 only without DSS checksums */
	__u16 pad;
};
XM_ASSERT_SIZE(struct xm_tx_map, 12);

struct xm_tx_maps {
	__u32 head;  /* oldest record: rec[head % XM_TX_MAPS]; head and tail run freely */
	__u32 tail;  /* one past the newest */
	__u32 end;   /* ssn one past the newest mapping: where new data starts */
	__u32 flags; /* XM_TX_MAPS_F_* */
	struct xm_tx_map rec[XM_TX_MAPS];
};
XM_ASSERT_SIZE(struct xm_tx_maps, 16 + 12 * XM_TX_MAPS);

#define XM_TX_MAPS_F_INIT 0x1 /* end is set: the first mapping was recorded */

#endif /* XMPTCP_ABI_H */
