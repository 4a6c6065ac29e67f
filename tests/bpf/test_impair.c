// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tests of bpf/impair.bpf.c, the test-only drop/duplicate
 * program. Runs in a private network namespace of its own (unshare), so the
 * duplicates it sends go to that namespace's loopback and nowhere else.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <xmptcp/mptcp_opt.h>

#include "harness.h"
#include "impair.h"
#include "pktbuild.h"
#include "impair.skel.h"

/*
 * TCP options of a stripping case: mode 0 builds the segment as sent, mode 1
 * what must come out (every MPTCP option replaced by as many NOPs).
 */
typedef void (*imp_opts_fn)(struct tb_opts *o, int stripped);

static void nops(struct tb_opts *o, size_t n)
{
	while (n--)
		tb_nop(o);
}

static void opts_syn(struct tb_opts *o, int stripped)
{
	tb_mss(o, 1460);
	tb_sack_perm(o);
	tb_ts(o, 1000, 0);
	tb_nop(o);
	tb_wscale(o, 7);
	if (stripped)
		nops(o, 4);
	else
		tb_mp_capable(o, 4, 1, XM_MPC_FLAG_H, 0, 0, 0, 0);
}

static void opts_synack(struct tb_opts *o, int stripped)
{
	tb_mss(o, 1460);
	tb_sack_perm(o);
	tb_ts(o, 2000, 1000);
	tb_nop(o);
	tb_wscale(o, 7);
	if (stripped)
		nops(o, 12);
	else
		tb_mp_capable(o, 12, 1, XM_MPC_FLAG_H, 0x0123456789abcdefULL, 0, 0, 0);
}

/* A Linux data segment: NOP NOP TS, then the largest DSS (28): 40 bytes. */
static void opts_data(struct tb_opts *o, int stripped)
{
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 3000, 2000);
	if (stripped)
		nops(o, 28);
	else
		tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m,
		       0x1122334455667788ULL, 0x99aabbccddeeff00ULL, 1, 100, true, 0xbeef);
}

/* Two MPTCP options in one segment (a DATA_ACK and an MP_PRIO). */
static void opts_two(struct tb_opts *o, int stripped)
{
	tb_ts(o, 3000, 2000);
	if (stripped) {
		nops(o, 12 + 3);
	} else {
		tb_dss(o, XM_DSS_FLAG_A | XM_DSS_FLAG_a, 0x1122334455667788ULL, 0, 0, 0, false, 0);
		tb_mp_prio(o, true);
	}
}

static void opts_plain(struct tb_opts *o, int stripped)
{
	(void)stripped;
	tb_nop(o);
	tb_nop(o);
	tb_ts(o, 3000, 2000);
}

/* A malformed option (length 1) ahead of the MPTCP option: the walk stops, nothing changes. */
static void opts_malformed(struct tb_opts *o, int stripped)
{
	(void)stripped;
	tb_opt(o, 253, 1, NULL, 0);
	tb_mp_capable(o, 4, 1, XM_MPC_FLAG_H, 0, 0, 0, 0);
}

struct imp_case {
	const char *desc;
	struct imp_cfg cfg;
	struct tb_pkt pkt;
	imp_opts_fn opts; /* NULL: no TCP options */
	__u64 stripped;	  /* expected IMP_STAT_STRIPPED; 1: the output is opts(.., 1) */
	__u32 mark;   /* skb->mark going in */
	__u32 repeat; /* 0: 1 */
	int verdict;  /* TC_ACT_* of the last run */
	__u64 seen, eligible, dropped_min, dropped_max, duplicated;
	__u32 mark_out;
};

static const struct imp_case cases[] = {
	{
		.desc = "drop none: passes (TC_ACT_UNSPEC, so later filters still run)",
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "drop all: TC_ACT_STOLEN (looks like a wire loss to the sender)",
		.cfg = {.drop_ppm = IMP_PPM},
		.verdict = TC_ACT_STOLEN,
		.seen = 1,
		.eligible = 1,
		.dropped_min = 1,
		.dropped_max = 1,
	},
	{
		.desc = "drop all with drop_shot: TC_ACT_SHOT",
		.cfg = {.drop_ppm = IMP_PPM, .drop_shot = 1},
		.verdict = TC_ACT_SHOT,
		.seen = 1,
		.eligible = 1,
		.dropped_min = 1,
		.dropped_max = 1,
	},
	{
		.desc = "tcp-only, drop all: UDP passes",
		.cfg = {.drop_ppm = IMP_PPM, .tcp_only = 1},
		.pkt = {.l4 = IPPROTO_UDP},
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
	},
	{
		.desc = "tcp-only, drop all: IPv6 TCP dropped",
		.cfg = {.drop_ppm = IMP_PPM, .tcp_only = 1},
		.pkt = {.l3 = TB_IPV6},
		.verdict = TC_ACT_STOLEN,
		.seen = 1,
		.eligible = 1,
		.dropped_min = 1,
		.dropped_max = 1,
	},
	{
		.desc = "our own duplicate (marked): untouched, mark restored",
		.cfg = {.drop_ppm = IMP_PPM},
		.mark = IMP_DUP_MARK_DEFAULT | 0x5,
		.verdict = TC_ACT_UNSPEC,
		.mark_out = 0x5,
	},
	{
		.desc = "seeded 50% drop over 2000 runs: 800..1200 dropped",
		.cfg = {.drop_ppm = 500000, .seed = 42},
		.repeat = 2000,
		.verdict = -2,
		.seen = 2000,
		.eligible = 2000,
		.dropped_min = 800,
		.dropped_max = 1200,
	},
	{
		.desc = "dup all: one clone sent, the original passes",
		.cfg = {.dup_ppm = IMP_PPM},
		.mark = 0x5,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.duplicated = 1,
		.mark_out = 0x5,
	},
	{
		.desc = "strip syn: MP_CAPABLE of a SYN becomes NOPs, checksum right",
		.cfg = {.strip_mptcp = IMP_STRIP_SYN},
		.pkt = {.tcp_flags = 0x02},
		.opts = opts_syn,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip synack: MP_CAPABLE (with key) of a SYN-ACK becomes NOPs",
		.cfg = {.strip_mptcp = IMP_STRIP_SYNACK},
		.pkt = {.tcp_flags = 0x12},
		.opts = opts_synack,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip synack: IPv6 SYN-ACK stripped",
		.cfg = {.strip_mptcp = IMP_STRIP_SYNACK},
		.pkt = {.l3 = TB_IPV6, .tcp_flags = 0x12},
		.opts = opts_synack,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip syn: a SYN-ACK passes untouched",
		.cfg = {.strip_mptcp = IMP_STRIP_SYN},
		.pkt = {.tcp_flags = 0x12},
		.opts = opts_synack,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "strip synack: a SYN passes untouched",
		.cfg = {.strip_mptcp = IMP_STRIP_SYNACK},
		.pkt = {.tcp_flags = 0x02},
		.opts = opts_syn,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "strip established: 28-byte DSS of a data segment becomes NOPs (IPv4, VLAN)",
		.cfg = {.strip_mptcp = IMP_STRIP_OTHER},
		.pkt = {.vlan_id = 7, .seq = 1000, .ack = 2000, .payload_len = 100},
		.opts = opts_data,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip established: IPv6 data segment stripped",
		.cfg = {.strip_mptcp = IMP_STRIP_OTHER},
		.pkt = {.l3 = TB_IPV6, .seq = 1000, .ack = 2000, .payload_len = 100},
		.opts = opts_data,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip established: a SYN passes untouched",
		.cfg = {.strip_mptcp = IMP_STRIP_OTHER},
		.pkt = {.tcp_flags = 0x02},
		.opts = opts_syn,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "strip all: two MPTCP options in one segment both become NOPs",
		.cfg = {.strip_mptcp = IMP_STRIP_ALL},
		.pkt = {.seq = 1000, .ack = 2000, .payload_len = 10},
		.opts = opts_two,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
		.stripped = 1,
	},
	{
		.desc = "strip all: plain TCP (no MPTCP option) untouched",
		.cfg = {.strip_mptcp = IMP_STRIP_ALL},
		.opts = opts_plain,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "strip all: a malformed option before MPTCP stops the walk, nothing changes",
		.cfg = {.strip_mptcp = IMP_STRIP_ALL},
		.pkt = {.tcp_flags = 0x02},
		.opts = opts_malformed,
		.verdict = TC_ACT_UNSPEC,
		.seen = 1,
		.eligible = 1,
	},
	{
		.desc = "strip all + drop all: stripped, then dropped",
		.cfg = {.strip_mptcp = IMP_STRIP_ALL, .drop_ppm = IMP_PPM},
		.pkt = {.tcp_flags = 0x12},
		.opts = opts_synack,
		.verdict = TC_ACT_STOLEN,
		.seen = 1,
		.eligible = 1,
		.dropped_min = 1,
		.dropped_max = 1,
		.stripped = 1,
	},
};

/* Bring the private namespace's loopback up: duplicates are sent through it. */
static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0))
		err = -errno;
	close(fd);
	return err;
}

static int reset_maps(struct impair_bpf *skel, const struct imp_cfg *cfg)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *zeros = calloc(ncpus > 0 ? ncpus : 1, sizeof(__u64));
	__u32 k, zero = 0;
	int err = 0;

	if (!zeros)
		return -ENOMEM;
	for (k = 0; k < IMP_STAT__MAX && !err; k++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.imp_stats), &k, zeros, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.imp_rng), &zero, zeros, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.imp_cfg), &zero, cfg, BPF_ANY);
	free(zeros);
	return err ? -errno : 0;
}

static void run_case(struct impair_bpf *skel, const struct imp_case *c)
{
	__u8 in[2048], out[2048], want[2048];
	struct tb_opts o_in = {0}, o_want = {0};
	size_t want_len = 0;
	__u64 st[IMP_STAT__MAX];
	struct __sk_buff ctx = {.ifindex = 1, .mark = c->mark}, ctx_out = {0};
	size_t len;
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	test_case_begin(c->desc);
	if (!ASSERT_OK(reset_maps(skel, &c->cfg), "reset maps"))
		goto out;
	if (c->opts) {
		c->opts(&o_in, 0);
		c->opts(&o_want, c->stripped ? 1 : 0);
		if (!ASSERT_TRUE(o_in.len == o_want.len, "stripped options keep their length"))
			goto out;
	}
	len = tb_build(&c->pkt, c->opts ? &o_in : NULL, in, sizeof(in));
	if (!ASSERT_TRUE(len > 0, "build packet"))
		goto out;
	/* What must come out: the same packet, MPTCP options NOPed, checksum recomputed. */
	want_len = tb_build(&c->pkt, c->opts ? &o_want : NULL, want, sizeof(want));
	if (!ASSERT_TRUE(want_len == len, "build expected packet"))
		goto out;
	topts.data_in = in;
	topts.data_size_in = len;
	topts.data_out = out;
	topts.data_size_out = sizeof(out);
	topts.ctx_in = &ctx;
	topts.ctx_size_in = sizeof(ctx);
	topts.ctx_out = &ctx_out;
	topts.ctx_size_out = sizeof(ctx_out);
	topts.repeat = c->repeat ? c->repeat : 1;
	if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tc_impair), &topts),
		       "bpf_prog_test_run_opts"))
		goto out;
	/* -2: a random mix, the last verdict is not checked. */
	if (c->verdict != -2)
		ASSERT_EQ((int)topts.retval, c->verdict, "verdict");
	if (c->verdict == TC_ACT_UNSPEC) {
		ASSERT_MEMEQ(out, topts.data_size_out, want, want_len,
			     c->stripped ? "output packet (MPTCP options NOPed, checksum updated)"
					 : "output packet (unchanged)");
		ASSERT_EQ(ctx_out.mark, c->mark_out, "skb->mark after the run");
	}
	if (!ASSERT_OK(test_read_percpu_u64(bpf_map__fd(skel->maps.imp_stats), IMP_STAT__MAX, st),
		       "read counters"))
		goto out;
	ASSERT_EQ(st[IMP_STAT_SEEN], c->seen, "seen");
	ASSERT_EQ(st[IMP_STAT_ELIGIBLE], c->eligible, "eligible");
	ASSERT_TRUE(st[IMP_STAT_DROPPED] >= c->dropped_min &&
			    st[IMP_STAT_DROPPED] <= c->dropped_max,
		    "dropped within bounds");
	if (st[IMP_STAT_DROPPED] < c->dropped_min || st[IMP_STAT_DROPPED] > c->dropped_max)
		fprintf(stderr, "    dropped %llu, expected %llu..%llu\n",
			(unsigned long long)st[IMP_STAT_DROPPED],
			(unsigned long long)c->dropped_min, (unsigned long long)c->dropped_max);
	ASSERT_EQ(st[IMP_STAT_DUPLICATED], c->duplicated, "duplicated");
	ASSERT_EQ(st[IMP_STAT_DUP_FAILED], 0, "dup_failed");
	ASSERT_EQ(st[IMP_STAT_STRIPPED], c->stripped, "stripped");
	ASSERT_EQ(st[IMP_STAT_STRIP_FAILED], 0, "strip_failed");
out:
	test_case_end();
}

int main(int argc, char **argv)
{
	struct impair_bpf *skel;
	size_t i;
	int err;

	test_require_bpf(argv[0]);
	test_setup_libbpf_log(argc > 1 && !strcmp(argv[1], "-v"));

	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "%s: SKIP: cannot create a private network namespace: %s\n",
			argv[0], strerror(errno));
		return TEST_SKIP;
	}
	err = lo_up();
	if (err) {
		fprintf(stderr, "%s: bringing up lo in the private namespace: %s\n", argv[0],
			strerror(-err));
		return 1;
	}

	skel = impair_bpf__open_and_load();
	if (!skel)
		return test_load_failed(argv[0], "bpf/impair.bpf.o", -errno);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(skel, &cases[i]);
	impair_bpf__destroy(skel);
	printf("%s: %d failure(s)\n", argv[0], test_failures);
	return test_failures ? 1 : 0;
}
