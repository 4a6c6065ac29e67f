// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Test impairment program (drop/duplicate); filled in by the impairment work. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_impair(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
