/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI between impair.bpf.c (a test-only TC program that drops and
 * duplicates packets, since the test hosts have no netem) and its loader
 * tests/bpf/impair.c (xm-impair) and tests. Test tooling, not part of the
 * xmptcp datapath ABI in include/xmptcp/abi.h.
 */
#ifndef XMPTCP_BPF_IMPAIR_H
#define XMPTCP_BPF_IMPAIR_H

#include <linux/types.h>

#define IMP_PPM 1000000 /* probabilities are in parts per million */

/* Default skb->mark bit that tags our own duplicates, so they are not impaired again. */
#define IMP_DUP_MARK_DEFAULT 0x40000000

/* The one value of map imp_cfg (key 0). Userspace may update it while attached. */
struct imp_cfg {
	__u32 drop_ppm;	 /* probability of dropping a packet */
	__u32 dup_ppm;	 /* probability of sending a packet twice */
	__u32 tcp_only;	 /* 1: leave everything but TCP (over IPv4/IPv6) alone */
	__u32 dup_mark;	 /* skb->mark bit for duplicates; 0 means IMP_DUP_MARK_DEFAULT */
	__u32 drop_shot; /* 1: drop with TC_ACT_SHOT; 0: TC_ACT_STOLEN (see impair.bpf.c) */
	__u32 strip_mptcp; /* IMP_STRIP_* bits: NOP out MPTCP options of those TCP segments */
	__u64 seed; /* 0: bpf_get_prandom_u32(); else a per-CPU xorshift from this seed */
};
_Static_assert(sizeof(struct imp_cfg) == 32, "struct imp_cfg layout changed");
_Static_assert(__builtin_offsetof(struct imp_cfg, seed) == 24, "struct imp_cfg layout changed");

/*
 * Which TCP segments lose their MPTCP options (kind 30), overwritten with NOPs
 * (a middlebox that strips unknown options). The TCP checksum is updated.
 */
#define IMP_STRIP_SYN	 0x1 /* SYN without ACK */
#define IMP_STRIP_SYNACK 0x2 /* SYN-ACK */
#define IMP_STRIP_OTHER	 0x4 /* every segment without SYN */
#define IMP_STRIP_ALL	 (IMP_STRIP_SYN | IMP_STRIP_SYNACK | IMP_STRIP_OTHER)

/* Counters, map imp_stats (per-CPU array), indexed by this enum. */
enum imp_stat {
	IMP_STAT_SEEN = 0,   /* packets the program saw, duplicates excluded */
	IMP_STAT_ELIGIBLE,   /* of those, packets subject to impairment (all, or TCP only) */
	IMP_STAT_DROPPED,    /* dropped (TC_ACT_STOLEN, or TC_ACT_SHOT with drop_shot) */
	IMP_STAT_DUPLICATED, /* a clone was sent */
	IMP_STAT_DUP_FAILED, /* bpf_clone_redirect failed */
	IMP_STAT_STRIPPED,   /* segments whose MPTCP options were NOPed out */
	IMP_STAT_STRIP_FAILED, /* an MPTCP option could not be rewritten */
	IMP_STAT__MAX
};

#define IMP_STAT_NAMES                                                    \
	{                                                                 \
		"seen", "eligible", "dropped", "duplicated", "dup_failed", \
			"stripped", "strip_failed"                        \
	}

#endif /* XMPTCP_BPF_IMPAIR_H */
