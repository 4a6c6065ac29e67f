// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tests of xdp_ingress and tc_egress (bpf/xmptcp.bpf.c).
 *
 * Every fixture is a row {description, input packet, expected verdict,
 * expected output packet, expected counter deltas, expected event}; each row
 * runs through both programs. Deltas are written for the RX block and moved to
 * the TX block for tc_egress; every counter not listed must not move, and
 * RxPackets/TxPackets always moves by one. Input packets come from the builder
 * (pktbuild.h), never from hex.
 *
 * Usage: test_datapath [-v]   (-v: libbpf debug output, with verifier logs)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>

#include "stats.h"
#include "harness.h"
#include "pktbuild.h"
#include "xmptcp.skel.h"

#define MAX_DELTAS 6
#define MAX_EVENTS 8
#define PKT_MAX	   2048

/* What a program should do with the packet; mapped to XDP_* or TC_ACT_* per hook. */
enum expect_verdict {
	V_PASS = 0,
	V_DROP,
};

struct stat_delta {
	enum xm_stat stat; /* an RX-block counter (or EventsLost) */
	__u64 n;	   /* 0 ends the list */
};

struct ev_expect {
	bool present;
	__u8 error;   /* enum xm_opt_err */
	__u8 opt_off; /* offset of the bad option in the options area */
};

struct fixture {
	const char *desc;
	struct tb_pkt in;
	void (*opts)(struct tb_opts *o);
	const struct tb_pkt *out; /* NULL: the output is the input, unchanged */
	enum expect_verdict verdict;
	struct stat_delta d[MAX_DELTAS];
	struct ev_expect ev;
	/*
	 * Only through xdp_ingress: the kernel's test run refuses (EINVAL) an
	 * skb whose network header is cut. The stack never transmits one; a
	 * device may hand tc_ingress one, but its parse is the very code
	 * xdp_ingress runs here.
	 */
	bool xdp_only;
};

/* Option areas, one function per fixture that needs one. */
static void o_plain_syn(struct tb_opts *o)
{
	tb_mss(o, 1460);
	tb_sack_perm(o);
	tb_ts(o, 1, 0);
	tb_nop(o);
	tb_wscale(o, 7);
}

static void o_mpc_syn(struct tb_opts *o)
{
	o_plain_syn(o);
	tb_mp_capable(o, 4, 1, XM_MPC_FLAG_A | XM_MPC_FLAG_H, 0, 0, 0, 0);
}

static void o_mpc_ack(struct tb_opts *o)
{
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 2, 1);
	tb_mp_capable(o, 20, 1, XM_MPC_FLAG_H, 0x0102030405060708ULL, 0x1112131415161718ULL, 0, 0);
}

static void o_mpj_syn(struct tb_opts *o)
{
	tb_mss(o, 1460);
	tb_mp_join_syn(o, false, 2, 0xdeadbeef, 0x01020304);
}

static void o_mpj_synack(struct tb_opts *o)
{
	tb_mp_join_synack(o, true, 2, 0x1122334455667788ULL, 0x0a0b0c0d);
}

static void o_mpj_ack(struct tb_opts *o)
{
	static const __u8 hmac[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};

	tb_mp_join_ack(o, hmac);
}

static void o_dss(struct tb_opts *o)
{
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 3, 2);
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, 1000, 2000, 1, 1400, false, 0);
}

/* The largest DSS: 8-byte DATA_ACK and DSN plus checksum, 28 bytes. */
static void o_dss_max(struct tb_opts *o)
{
	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m, 1ULL << 40,
	       1ULL << 41, 7, 1000, true, 0xabcd);
}

static void o_add_addr4(struct tb_opts *o)
{
	static const __u8 a[4] = {198, 18, 1, 1};

	tb_add_addr(o, false, 3, 4, a, 0, 0x0102030405060708ULL);
}

static void o_add_addr6_echo(struct tb_opts *o)
{
	tb_add_addr(o, true, 4, 6, tb_saddr6, 8080, 0);
}

static void o_rm_addr(struct tb_opts *o)
{
	static const __u8 ids[2] = {3, 4};

	tb_remove_addr(o, ids, 2);
}

static void o_prio(struct tb_opts *o)
{
	tb_mp_prio(o, true);
}

static void o_fail(struct tb_opts *o)
{
	tb_mp_fail(o, 123456789);
}

static void o_fastclose(struct tb_opts *o)
{
	tb_mp_fastclose(o, 0x0102030405060708ULL);
}

static void o_tcprst(struct tb_opts *o)
{
	tb_mp_tcprst(o, XM_TCPRST_FLAG_T, 1);
}

/* DSS (12 bytes), ADD_ADDR echo (8), MP_PRIO (3): three MPTCP options in one segment. */
static void o_several(struct tb_opts *o)
{
	static const __u8 a[4] = {198, 18, 1, 1};

	tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_M, 1, 2, 3, 4, false, 0);
	tb_add_addr(o, true, 5, 4, a, 0, 0);
	tb_mp_prio(o, false);
}

static void o_unknown_subtype(struct tb_opts *o)
{
	static const __u8 body[3] = {1, 2, 3};

	tb_mptcp(o, 0xe, 0, body, sizeof(body), 0);
}

/* MP_CAPABLE version 0 (RFC 6824), after 12 bytes of NOP, NOP, TS: reported at offset 12. */
static void o_bad_version(struct tb_opts *o)
{
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 1, 0);
	tb_mp_capable(o, 4, 0, XM_MPC_FLAG_H, 0, 0, 0, 0);
}

/* A DSS whose length (9) fits no combination of its flags. */
static void o_bad_dss_len(struct tb_opts *o)
{
	static const __u8 body[6] = {XM_DSS_FLAG_A, 0, 0, 0, 1, 0};

	tb_mptcp(o, 2, 0, body, sizeof(body), 0);
}

/* An MPTCP option whose length byte (30) runs past the end of the area. */
static void o_bad_truncated(struct tb_opts *o)
{
	tb_mss(o, 1400);
	tb_mptcp(o, 2, 0, (const __u8[5]){0}, 5, 30);
}

/* A bad MP_PRIO (length 4) then a good DSS: the walk goes on past the bad one. */
static void o_bad_then_good(struct tb_opts *o)
{
	tb_mptcp(o, 5, 0, (const __u8[1]){0}, 1, 0);
	tb_dss(o, XM_DSS_FLAG_A, 77, 0, 0, 0, false, 0);
}

/* Two bad options: both counted, one event, for the first. */
static void o_two_bad(struct tb_opts *o)
{
	tb_mptcp(o, 5, 0, (const __u8[1]){0}, 1, 0);
	tb_mp_capable(o, 4, 0, XM_MPC_FLAG_H, 0, 0, 0, 0);
}

/* A broken non-MPTCP option (MSS with length 1): the area is abandoned, nothing is MPTCP. */
static void o_bad_mss(struct tb_opts *o)
{
	tb_opt(o, 2, 1, NULL, 0);
	tb_nop(o);
	tb_nop(o);
}

#define D(s, k)                   \
	{                         \
		XM_STAT_RX_##s, k \
	}

static const struct fixture fixtures[] = {
	{
		.desc = "plain TCP SYN with MSS, SACK_PERM, TS, WS",
		.in = {.tcp_flags = 0x02},
		.opts = o_plain_syn,
		.d = {D(TCP, 1)},
	},
	{
		.desc = "plain TCP, no options, 100 bytes of payload",
		.in = {.payload_len = 100},
		.d = {D(TCP, 1)},
	},
	{
		.desc = "MP_CAPABLE SYN",
		.in = {.tcp_flags = 0x02},
		.opts = o_mpc_syn,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "MP_CAPABLE third ACK (20 bytes)",
		.opts = o_mpc_ack,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "MP_JOIN SYN",
		.in = {.tcp_flags = 0x02},
		.opts = o_mpj_syn,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_JOIN, 1)},
	},
	{
		.desc = "MP_JOIN SYN-ACK",
		.in = {.tcp_flags = 0x12},
		.opts = o_mpj_synack,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_JOIN, 1)},
	},
	{
		.desc = "MP_JOIN ACK",
		.opts = o_mpj_ack,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_JOIN, 1)},
	},
	{
		.desc = "DSS with DATA_ACK and mapping, after TS",
		.in = {.payload_len = 1400},
		.opts = o_dss,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_DSS, 1)},
	},
	{
		.desc = "largest DSS (28 bytes, 64-bit, checksum)",
		.in = {.payload_len = 1000},
		.opts = o_dss_max,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_DSS, 1)},
	},
	{
		.desc = "ADD_ADDR IPv4 with HMAC",
		.opts = o_add_addr4,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_ADD_ADDR, 1)},
	},
	{
		.desc = "ADD_ADDR IPv6 echo with port",
		.opts = o_add_addr6_echo,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_ADD_ADDR, 1)},
	},
	{
		.desc = "REMOVE_ADDR of two ids",
		.opts = o_rm_addr,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_REMOVE_ADDR, 1)},
	},
	{
		.desc = "MP_PRIO backup",
		.opts = o_prio,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_PRIO, 1)},
	},
	{
		.desc = "MP_FAIL",
		.opts = o_fail,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_FAIL, 1)},
	},
	{
		.desc = "MP_FASTCLOSE",
		.in = {.tcp_flags = 0x04},
		.opts = o_fastclose,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_FASTCLOSE, 1)},
	},
	{
		.desc = "MP_TCPRST",
		.in = {.tcp_flags = 0x04},
		.opts = o_tcprst,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_TCPRST, 1)},
	},
	{
		.desc = "DSS + ADD_ADDR echo + MP_PRIO in one segment",
		.opts = o_several,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_DSS, 1), D(OPT_ADD_ADDR, 1), D(OPT_MP_PRIO, 1)},
	},
	{
		.desc = "unknown MPTCP subtype 0xe: unknown, not malformed",
		.opts = o_unknown_subtype,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_UNKNOWN, 1)},
	},
	{
		.desc = "malformed: MP_CAPABLE version 0",
		.in = {.tcp_flags = 0x02},
		.opts = o_bad_version,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1)},
		.ev = {.present = true, .error = XM_OPT_E_VERSION, .opt_off = 12},
	},
	{
		.desc = "malformed: DSS length 9",
		.opts = o_bad_dss_len,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1)},
		.ev = {.present = true, .error = XM_OPT_E_LENGTH, .opt_off = 0},
	},
	{
		.desc = "malformed: MPTCP length past the options area",
		.opts = o_bad_truncated,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1)},
		.ev = {.present = true, .error = XM_OPT_E_TRUNCATED, .opt_off = 4},
	},
	{
		.desc = "malformed MP_PRIO then a good DSS",
		.opts = o_bad_then_good,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1), D(OPT_DSS, 1)},
		.ev = {.present = true, .error = XM_OPT_E_LENGTH, .opt_off = 0},
	},
	{
		.desc = "two malformed options: both counted, one event",
		.opts = o_two_bad,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 2)},
		.ev = {.present = true, .error = XM_OPT_E_LENGTH, .opt_off = 0},
	},
	{
		.desc = "broken MSS option: not MPTCP, nothing counted but TCP",
		.opts = o_bad_mss,
		.d = {D(TCP, 1)},
	},
	{
		.desc = "truncated: Ethernet header only",
		.in = {.cut = 14},
		.d = {D(NOT_PARSED, 1)},
		.xdp_only = true,
	},
	{
		.desc = "truncated: IPv4 header cut",
		.in = {.cut = 14 + 12},
		.d = {D(NOT_PARSED, 1)},
		.xdp_only = true,
	},
	{
		.desc = "truncated: IPv4 options cut",
		.in = {.ip_opts_len = 8, .cut = 14 + 24},
		.d = {D(NOT_PARSED, 1)},
	},
	{
		.desc = "truncated: TCP header cut",
		.in = {.cut = 14 + 20 + 12},
		.d = {D(NOT_PARSED, 1)},
	},
	{
		.desc = "truncated: TCP options cut",
		.in = {.cut = 14 + 20 + 20 + 8},
		.opts = o_dss,
		.d = {D(NOT_PARSED, 1)},
	},
	{
		.desc = "doff 15 points past the end of the frame",
		.in = {.doff = 15},
		.d = {D(NOT_PARSED, 1)},
	},
	{
		.desc = "doff 4 is below the TCP header",
		.in = {.doff = 4, .payload_len = 20},
		.d = {D(NOT_PARSED, 1)},
	},
	{
		.desc = "truncated: IPv6 header cut",
		.in = {.l3 = TB_IPV6, .cut = 14 + 30},
		.d = {D(NOT_PARSED, 1)},
		.xdp_only = true,
	},
	{
		.desc = "IPv6 plain TCP",
		.in = {.l3 = TB_IPV6, .payload_len = 10},
		.opts = o_plain_syn,
		.d = {D(TCP, 1)},
	},
	{
		.desc = "IPv6 TCP with DSS",
		.in = {.l3 = TB_IPV6},
		.opts = o_dss,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_DSS, 1)},
	},
	{
		.desc = "IPv6 hop-by-hop header, then TCP with MP_JOIN SYN",
		.in = {.l3 = TB_IPV6, .ipv6_hbh = true},
		.opts = o_mpj_syn,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_JOIN, 1)},
	},
	{
		.desc = "IPv6 malformed: event carries IPv6 addresses",
		.in = {.l3 = TB_IPV6},
		.opts = o_bad_dss_len,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1)},
		.ev = {.present = true, .error = XM_OPT_E_LENGTH, .opt_off = 0},
	},
	{
		.desc = "IPv4 UDP passes, not counted",
		.in = {.l4 = IPPROTO_UDP, .payload_len = 30},
	},
	{
		.desc = "IPv6 UDP passes, not counted",
		.in = {.l3 = TB_IPV6, .l4 = IPPROTO_UDP},
	},
	{
		.desc = "ARP passes, not counted",
		.in = {.l3 = TB_ARP},
	},
	{
		.desc = "IPv4 later fragment of TCP: no TCP header to read",
		.in = {.frag_off = 100},
		.opts = o_dss,
	},
	{
		.desc = "IPv4 with 12 bytes of IP options, DSS",
		.in = {.ip_opts_len = 12},
		.opts = o_dss,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_DSS, 1)},
	},
	{
		.desc = "802.1Q VLAN 100, IPv4 TCP with MP_CAPABLE",
		.in = {.vlan_id = 100, .tcp_flags = 0x02},
		.opts = o_mpc_syn,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MP_CAPABLE, 1)},
	},
	{
		.desc = "802.1Q VLAN, IPv6 malformed",
		.in = {.vlan_id = 7, .l3 = TB_IPV6},
		.opts = o_bad_version,
		.d = {D(TCP, 1), D(MPTCP, 1), D(OPT_MALFORMED, 1)},
		.ev = {.present = true, .error = XM_OPT_E_VERSION, .opt_off = 12},
	},
};

struct ev_sink {
	int n;
	struct xm_ev_opt_malformed ev[MAX_EVENTS];
	int bad_size;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct ev_sink *sink = ctx;

	if (size != sizeof(struct xm_ev_opt_malformed)) {
		sink->bad_size = (int)size;
		return 0;
	}
	if (sink->n < MAX_EVENTS)
		memcpy(&sink->ev[sink->n], data, size);
	sink->n++;
	return 0;
}

struct runner {
	struct xmptcp_bpf *skel;
	struct ring_buffer *rb;
	struct ev_sink sink;
	int stats_fd;
};

/* The counter in the block of this direction. */
static enum xm_stat dir_stat(enum xm_stat rx_stat, enum xm_dir dir)
{
	if (dir == XM_DIR_TX && rx_stat < XM_STAT_TX_PACKETS)
		return rx_stat + XM_STAT_DIR_STRIDE;
	return rx_stat;
}

static bool check_event(const struct fixture *f, const struct xm_ev_opt_malformed *ev,
			enum xm_dir dir, const struct tb_opts *o)
{
	bool ok = true;
	__u8 opts[XM_TCP_OPTS_MAX] = {0};
	__u8 saddr[16] = {0}, daddr[16] = {0};
	int ip_ver = f->in.l3 == TB_IPV6 ? 6 : 4;

	memcpy(opts, o->b, o->len < sizeof(opts) ? o->len : sizeof(opts));
	memcpy(saddr, ip_ver == 4 ? tb_saddr4 : tb_saddr6, ip_ver == 4 ? 4 : 16);
	memcpy(daddr, ip_ver == 4 ? tb_daddr4 : tb_daddr6, ip_ver == 4 ? 4 : 16);

	ok &= ASSERT_EQ(ev->hdr.type, XM_EV_OPT_MALFORMED, "event type");
	ok &= ASSERT_EQ(ev->hdr.len, sizeof(*ev), "event len");
	ok &= ASSERT_EQ(ev->hdr.ifindex, 1, "event ifindex (loopback in test runs)");
	ok &= ASSERT_TRUE(ev->hdr.ts_ns != 0, "event timestamp");
	ok &= ASSERT_EQ(ev->dir, dir, "event dir");
	ok &= ASSERT_EQ(ev->error, f->ev.error, "event error");
	ok &= ASSERT_EQ(ev->opt_off, f->ev.opt_off, "event opt_off");
	ok &= ASSERT_EQ(ev->opts_len, (o->len + 3) & ~3u, "event opts_len");
	ok &= ASSERT_EQ(ev->ip_ver, ip_ver, "event ip_ver");
	ok &= ASSERT_EQ(ntohs(ev->sport), 40000, "event sport");
	ok &= ASSERT_EQ(ntohs(ev->dport), 5201, "event dport");
	ok &= ASSERT_MEMEQ(ev->saddr, 16, saddr, 16, "event saddr");
	ok &= ASSERT_MEMEQ(ev->daddr, 16, daddr, 16, "event daddr");
	ok &= ASSERT_MEMEQ(ev->opts, sizeof(opts), opts, sizeof(opts), "event opts");
	return ok;
}

/*
 * Run f once in direction dir: RX through xdp_ingress, or with tc through
 * tc_ingress (the same pipeline, which must give the same result); TX
 * through tc_egress.
 */
static void run_fixture(struct runner *r, const struct fixture *f, enum xm_dir dir, bool tc)
{
	__u8 in[PKT_MAX], exp[PKT_MAX], out[PKT_MAX];
	__u64 before[XM_STAT__MAX], after[XM_STAT__MAX], want[XM_STAT__MAX] = {0};
	struct tb_opts o = {0};
	struct __sk_buff skb_ctx = {.ifindex = 1};
	size_t in_len, exp_len;
	char name[160];
	int prog_fd, err, i;
	__u32 verdict;
	LIBBPF_OPTS(bpf_test_run_opts, topts, .repeat = 1);

	snprintf(name, sizeof(name), "%s: %s",
		 dir == XM_DIR_TX ? "tc_egress"
		 : tc		  ? "tc_ingress"
				  : "xdp_ingress",
		 f->desc);
	test_case_begin(name);

	if (f->opts)
		f->opts(&o);
	in_len = tb_build(&f->in, f->opts ? &o : NULL, in, sizeof(in));
	if (!ASSERT_TRUE(in_len > 0, "build input packet"))
		goto out;
	exp_len = f->out ? tb_build(f->out, NULL, exp, sizeof(exp)) : in_len;
	if (!f->out)
		memcpy(exp, in, in_len);

	topts.data_in = in;
	topts.data_size_in = in_len;
	topts.data_out = out;
	topts.data_size_out = sizeof(out);
	if (dir == XM_DIR_RX && !tc) {
		prog_fd = bpf_program__fd(r->skel->progs.xdp_ingress);
		verdict = f->verdict == V_PASS ? XDP_PASS : XDP_DROP;
	} else {
		prog_fd = dir == XM_DIR_RX ? bpf_program__fd(r->skel->progs.tc_ingress)
					   : bpf_program__fd(r->skel->progs.tc_egress);
		verdict = f->verdict == V_PASS ? TC_ACT_OK : TC_ACT_SHOT;
		topts.ctx_in = &skb_ctx;
		topts.ctx_size_in = sizeof(skb_ctx);
	}

	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, before), "read counters"))
		goto out;
	memset(&r->sink, 0, sizeof(r->sink));
	err = bpf_prog_test_run_opts(prog_fd, &topts);
	if (!ASSERT_OK(err, "bpf_prog_test_run_opts"))
		goto out;
	ASSERT_EQ(topts.retval, verdict, "verdict");
	ASSERT_MEMEQ(out, topts.data_size_out, exp, exp_len, "output packet");

	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, after), "read counters"))
		goto out;
	want[dir_stat(XM_STAT_RX_PACKETS, dir)] = 1;
	for (i = 0; i < MAX_DELTAS && f->d[i].n; i++)
		want[dir_stat(f->d[i].stat, dir)] += f->d[i].n;
	for (i = 0; i < XM_STAT__MAX; i++) {
		char what[64];

		snprintf(what, sizeof(what), "counter %s delta", xm_stat_name(i));
		ASSERT_EQ(after[i] - before[i], want[i], what);
	}

	err = ring_buffer__consume(r->rb);
	ASSERT_TRUE(err >= 0, "ring_buffer__consume");
	ASSERT_EQ(r->sink.bad_size, 0, "size of an unexpected event");
	if (!ASSERT_EQ(r->sink.n, f->ev.present ? 1 : 0, "events"))
		goto out;
	if (f->ev.present)
		check_event(f, &r->sink.ev[0], dir, &o);
out:
	test_case_end();
}

/*
 * A full ring counts EventsLost and never blocks or drops the packet: run one
 * malformed segment enough times to overflow the buffer, then drain it.
 */
static void test_events_lost(struct runner *r)
{
	__u8 in[PKT_MAX], out[PKT_MAX];
	__u64 before[XM_STAT__MAX], after[XM_STAT__MAX];
	struct tb_pkt p = {0};
	struct tb_opts o = {0};
	__u32 ring = bpf_map__max_entries(r->skel->maps.xm_events);
	/* Each record takes its size plus an 8-byte header, rounded to 8. */
	__u32 fits = ring / (sizeof(struct xm_ev_opt_malformed) + 8);
	__u32 runs = fits + 100;
	size_t len;
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	test_case_begin("xdp_ingress: a full ring buffer counts EventsLost and still passes");
	o_bad_version(&o);
	len = tb_build(&p, &o, in, sizeof(in));
	topts.data_in = in;
	topts.data_size_in = len;
	topts.data_out = out;
	topts.data_size_out = sizeof(out);
	topts.repeat = runs;
	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, before), "read counters"))
		goto out;
	memset(&r->sink, 0, sizeof(r->sink));
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.xdp_ingress), &topts),
		       "bpf_prog_test_run_opts"))
		goto out;
	ASSERT_EQ(topts.retval, XDP_PASS, "verdict");
	if (!ASSERT_OK(test_read_percpu_u64(r->stats_fd, XM_STAT__MAX, after), "read counters"))
		goto out;
	ASSERT_EQ(after[XM_STAT_RX_OPT_MALFORMED] - before[XM_STAT_RX_OPT_MALFORMED], runs,
		  "RxOptMalformed delta");
	ASSERT_EQ(after[XM_STAT_EVENTS_LOST] - before[XM_STAT_EVENTS_LOST], runs - fits,
		  "EventsLost delta");
	ring_buffer__consume(r->rb);
	ASSERT_EQ(r->sink.n, fits, "events delivered");
out:
	test_case_end();
}

int main(int argc, char **argv)
{
	struct runner r = {0};
	size_t i;

	test_require_bpf(argv[0]);
	test_setup_libbpf_log(argc > 1 && !strcmp(argv[1], "-v"));

	r.skel = xmptcp_bpf__open_and_load();
	if (!r.skel)
		return test_load_failed(argv[0], "bpf/xmptcp.bpf.o", -errno);
	r.stats_fd = bpf_map__fd(r.skel->maps.xm_stats);
	r.rb = ring_buffer__new(bpf_map__fd(r.skel->maps.xm_events), on_event, &r.sink, NULL);
	if (!r.rb) {
		fprintf(stderr, "%s: ring_buffer__new: %s\n", argv[0], strerror(errno));
		xmptcp_bpf__destroy(r.skel);
		return 1;
	}

	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		run_fixture(&r, &fixtures[i], XM_DIR_RX, false);
		if (fixtures[i].xdp_only)
			continue;
		run_fixture(&r, &fixtures[i], XM_DIR_RX, true);
		run_fixture(&r, &fixtures[i], XM_DIR_TX, true);
	}
	test_events_lost(&r);

	ring_buffer__free(r.rb);
	xmptcp_bpf__destroy(r.skel);
	printf("%s: %d failure(s)\n", argv[0], test_failures);
	return test_failures ? 1 : 0;
}
