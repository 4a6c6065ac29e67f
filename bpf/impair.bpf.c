// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test impairment on TC egress: drop and/or duplicate packets with given
 * probabilities. The test hosts have no netem; this stands in for its loss
 * and duplicate knobs. Configuration is a one-entry array map (imp_cfg) so a
 * test can change it while the program is attached.
 *
 * Passing returns TC_ACT_UNSPEC, not TC_ACT_OK: in a clsact chain an OK ends
 * classification, so other filters on the same hook (the xmptcp tc_egress)
 * would never run; UNSPEC lets the chain go on and, at its end, passes.
 *
 * A drop returns TC_ACT_STOLEN by default: the qdisc layer frees the packet
 * and tells the sender NET_XMIT_SUCCESS, as a loss on the wire would look.
 * TC_ACT_SHOT reports NET_XMIT_DROP, and TCP then retransmits at once as for
 * a local congestion drop, never taking the loss-recovery path a test wants
 * to exercise. cfg.drop_shot selects SHOT for tests of that other behaviour.
 *
 * MPTCP option stripping (cfg.strip_mptcp, IMP_STRIP_* bits): the selected
 * TCP segments (SYN, SYN-ACK, or all others) get every kind-30 option
 * overwritten with NOPs, as a middlebox that strips unknown options would
 * do; the TCP checksum is updated with bpf_l4_csum_replace, which also does
 * the right thing for CHECKSUM_PARTIAL skbs (it then leaves the field, which
 * holds only the pseudo-header sum, alone). Stripping comes before drop and
 * duplication, so a duplicate is stripped too.
 *
 * Duplication clones the skb to the egress of the same device. The clone runs
 * through this hook again, so it carries a mark bit (cfg.dup_mark) that makes
 * this program pass it untouched and clear the bit: a duplicate is never
 * dropped or duplicated again, and the mark is what it was before.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "impair.h"
#include "parsing.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct imp_cfg);
} imp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IMP_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} imp_stats SEC(".maps");

/* xorshift64 state per CPU, used when cfg.seed != 0; seeded lazily from it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} imp_rng SEC(".maps");

static __always_inline void imp_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&imp_stats, &stat);

	if (v)
		*v += 1;
}

static __always_inline __u32 imp_rand(const struct imp_cfg *cfg)
{
	__u32 zero = 0;
	__u64 *st, x;

	if (!cfg->seed)
		return bpf_get_prandom_u32();
	st = bpf_map_lookup_elem(&imp_rng, &zero);
	if (!st)
		return bpf_get_prandom_u32();
	x = *st;
	/* Per-CPU streams from one seed: mix in the CPU so they differ, never 0. */
	if (!x)
		x = cfg->seed ^ ((__u64)bpf_get_smp_processor_id() + 1) * 0x9e3779b97f4a7c15ULL;
	if (!x)
		x = 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*st = x;
	return x >> 32;
}

/* True with probability ppm / 1e6: scale a 32-bit draw, no division, no modulo bias beyond 2^-32.
 */
static __always_inline int imp_chance(const struct imp_cfg *cfg, __u32 ppm)
{
	if (!ppm)
		return 0;
	if (ppm >= IMP_PPM)
		return 1;
	return (((__u64)imp_rand(cfg) * IMP_PPM) >> 32) < ppm;
}

static __always_inline int imp_is_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct hdr_cursor nh = {.pos = data};
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	__be16 tci;
	int proto;

	proto = parse_ethhdr_vlan(&nh, data_end, &eth, &tci);
	if (proto == bpf_htons(ETH_P_IP))
		return parse_iphdr(&nh, data_end, &iph) == IPPROTO_TCP;
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ip6hdr(&nh, data_end, &ip6h) == IPPROTO_TCP;
	return 0;
}

#define IMP_TCPOPT_MPTCP 30
#define IMP_TCPOPT_MAX	 40 /* bytes of options a TCP header can carry */
#define IMP_PULL_LEN	 128 /* enough for Ethernet, VLAN, IPv6 + ext headers, TCP + options */

/* Where the TCP header is, its length and flags byte; -1 if not TCP (or cut). */
static __always_inline int imp_tcp_locate(struct __sk_buff *skb, __u32 *l4_off, __u32 *hlen,
					  __u8 *flags)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct hdr_cursor nh = {.pos = data};
	struct ethhdr *eth;
	struct iphdr *iph;
	struct ipv6hdr *ip6h;
	struct tcphdr *th;
	__be16 tci;
	int proto, len;

	proto = parse_ethhdr_vlan(&nh, data_end, &eth, &tci);
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_iphdr(&nh, data_end, &iph) != IPPROTO_TCP || iph_is_later_fragment(iph))
			return -1;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_ip6hdr(&nh, data_end, &ip6h) != IPPROTO_TCP)
			return -1;
	} else {
		return -1;
	}
	len = parse_tcphdr(&nh, data_end, &th);
	if (len < 0)
		return -1;
	*l4_off = (__u32)((void *)th - data);
	*hlen = (__u32)len;
	*flags = ((__u8 *)th)[13];
	return 0;
}

/* NOP out the MPTCP options of this segment if cfg selects it. */
static __always_inline void imp_strip_mptcp(struct __sk_buff *skb, __u32 sel)
{
	__u8 orig[64], buf[64]; /* 64: see the loads below */
	__u32 l4_off, hlen, optlen, skip = 0, n, w, want;
	int changed = 0, nop = 0;
	__u8 flags;

	if (imp_tcp_locate(skb, &l4_off, &hlen, &flags)) {
		/* Headers not in the linear part? Pull a little and look again. */
		if (skb->len <= skb->data_end - skb->data)
			return;
		if (bpf_skb_pull_data(skb, skb->len < IMP_PULL_LEN ? skb->len : IMP_PULL_LEN))
			return;
		if (imp_tcp_locate(skb, &l4_off, &hlen, &flags))
			return;
	}
	if (flags & 0x02) /* SYN */
		want = (flags & 0x10) ? IMP_STRIP_SYNACK : IMP_STRIP_SYN;
	else
		want = IMP_STRIP_OTHER;
	if (!(sel & want))
		return;
	optlen = hlen - 20;
	if (optlen == 0 || optlen > IMP_TCPOPT_MAX)
		return;
	/*
	 * The length handed to the helper is recomputed so that 6.1's verifier
	 * can prove it is at least 1 (it does not carry the check above over to
	 * a copy); it equals optlen, and orig[] has room for its 1..64 range.
	 */
	if (bpf_skb_load_bytes(skb, l4_off + 20, orig, ((optlen - 1) & 63) + 1))
		return;
	__builtin_memcpy(buf, orig, sizeof(buf));
	/*
	 * One pass over the bytes (nested loops blow up the verifier): skip
	 * counts the bytes left of the current option, nop says whether they
	 * are to be overwritten.
	 */
	for (n = 0; n < IMP_TCPOPT_MAX; n++) {
		__u8 kind, len;

		if (n >= optlen)
			break;
		if (skip) {
			if (nop)
				buf[n] = 1;
			skip--;
			continue;
		}
		kind = buf[n];
		if (kind == 0) /* EOL */
			break;
		if (kind == 1) /* NOP */
			continue;
		if (n + 1 >= optlen)
			break;
		len = buf[n + 1];
		if (len < 2 || n + len > optlen)
			break; /* malformed: leave the rest alone */
		nop = kind == IMP_TCPOPT_MPTCP;
		if (nop) {
			buf[n] = 1;
			changed = 1;
		}
		skip = len - 1;
	}
	if (!changed)
		return;
	if (bpf_skb_store_bytes(skb, l4_off + 20, buf, ((optlen - 1) & 63) + 1, 0)) {
		imp_count(IMP_STAT_STRIP_FAILED);
		return;
	}
	for (w = 0; w < IMP_TCPOPT_MAX; w += 4) {
		__u32 from, to;

		if (w >= optlen)
			break;
		__builtin_memcpy(&from, &orig[w], 4);
		__builtin_memcpy(&to, &buf[w], 4);
		if (from != to &&
		    bpf_l4_csum_replace(skb, l4_off + 16, from, to, sizeof(to))) {
			imp_count(IMP_STAT_STRIP_FAILED);
			return;
		}
	}
	imp_count(IMP_STAT_STRIPPED);
}

SEC("tc")
int tc_impair(struct __sk_buff *skb)
{
	__u32 zero = 0, mark;
	struct imp_cfg *cfg;

	cfg = bpf_map_lookup_elem(&imp_cfg, &zero);
	if (!cfg)
		return TC_ACT_UNSPEC;
	mark = cfg->dup_mark ? cfg->dup_mark : IMP_DUP_MARK_DEFAULT;

	if (skb->mark & mark) {
		/* Our own duplicate: restore the mark, impair nothing. */
		skb->mark &= ~mark;
		return TC_ACT_UNSPEC;
	}
	imp_count(IMP_STAT_SEEN);
	if (cfg->tcp_only && !imp_is_tcp(skb))
		return TC_ACT_UNSPEC;
	imp_count(IMP_STAT_ELIGIBLE);

	if (cfg->strip_mptcp)
		imp_strip_mptcp(skb, cfg->strip_mptcp);
	if (imp_chance(cfg, cfg->drop_ppm)) {
		imp_count(IMP_STAT_DROPPED);
		return cfg->drop_shot ? TC_ACT_SHOT : TC_ACT_STOLEN;
	}
	if (imp_chance(cfg, cfg->dup_ppm)) {
		__u32 orig = skb->mark;

		/* The clone copies the mark; the original gets its own back. */
		skb->mark = orig | mark;
		if (bpf_clone_redirect(skb, skb->ifindex, 0) == 0)
			imp_count(IMP_STAT_DUPLICATED);
		else
			imp_count(IMP_STAT_DUP_FAILED);
		skb->mark = orig;
	}
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
