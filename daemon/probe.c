// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "nsid.h"
#include "probe.h"

/* Above every program type UAPI has (it has no __MAX_ for them); only our few are stored. */
#define XM_PROG_TYPES_MAX 64

struct xm_probe_ctx {
	struct btf *vmlinux; /* NULL when the kernel has none (or it did not parse) */
	int vmlinux_err;
	/* Program types found missing, so that their helpers say why. */
	bool prog_missing[XM_PROG_TYPES_MAX];
};

/*
 * libbpf 1.1's headers (Debian 12's linux-libc-dev is 6.1) do not know tcx.
 * The value is UAPI and fixed: enum bpf_attach_type went BPF_LSM_CGROUP (43),
 * BPF_STRUCT_OPS, BPF_NETFILTER, BPF_TCX_INGRESS, BPF_TCX_EGRESS (47).
 */
#define XM_BPF_TCX_EGRESS 47
_Static_assert(BPF_LSM_CGROUP == 43, "enum bpf_attach_type moved: recheck XM_BPF_TCX_EGRESS");

/* The loopback device: ifindex 1 in every network namespace (LOOPBACK_IFINDEX). */
#define XM_LO_IFINDEX 1

/* Raw instructions for the tiny probe programs (the kernel's filter.h macros are not UAPI). */
#define I_MOV64_IMM(dst, v) \
	((struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (dst), .imm = (v)})
#define I_LDX(sz, dst, src, o) \
	((struct bpf_insn){    \
		.code = BPF_LDX | (sz) | BPF_MEM, .dst_reg = (dst), .src_reg = (src), .off = (o)})
#define I_STX(sz, dst, src, o) \
	((struct bpf_insn){    \
		.code = BPF_STX | (sz) | BPF_MEM, .dst_reg = (dst), .src_reg = (src), .off = (o)})
#define I_ATOMIC(sz, op, dst, src, o)                           \
	((struct bpf_insn){.code = BPF_STX | (sz) | BPF_ATOMIC, \
			   .dst_reg = (dst),                    \
			   .src_reg = (src),                    \
			   .off = (o),                          \
			   .imm = (op)})
#define I_EXIT() ((struct bpf_insn){.code = BPF_JMP | BPF_EXIT})

/* Load a tiny program: 1 loaded, 0 rejected (log in buf), or a negative errno. */
static int load_tiny(enum bpf_prog_type type, const struct bpf_insn *insns, size_t n, char *log,
		     size_t log_size)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = log_size,
		    .log_level = log ? 1 : 0);
	int fd;

	if (log)
		log[0] = '\0';
	fd = bpf_prog_load(type, NULL, "GPL", insns, n, &opts);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	/* EINVAL and EACCES are the verifier's "no"; anything else is the probe failing. */
	return errno == EINVAL || errno == EACCES ? 0 : -errno;
}

/* The last non-empty line of a verifier log, as the reason for a "missing". */
static void log_reason(const char *log, char *detail, size_t size)
{
	const char *end = log + strlen(log), *p;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > log && p[-1] != '\n'; p--)
		;
	if (end > p)
		snprintf(detail, size, "verifier: %.*s", (int)(end - p), p);
}

static int probe_btf_vmlinux(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		snprintf(detail, size,
			 "/sys/kernel/btf/vmlinux: %s (CONFIG_DEBUG_INFO_BTF=y needed)",
			 strerror(errno));
		return 0;
	}
	if (!ctx->vmlinux) {
		snprintf(detail, size, "/sys/kernel/btf/vmlinux does not parse: %s",
			 strerror(-ctx->vmlinux_err));
		return 0;
	}
	return 1;
}

/* Is there an enumerator called name in the kernel's BTF? */
static int btf_has_enumerator(const struct xm_probe_ctx *ctx, const char *name)
{
	__u32 i, n;

	if (!ctx->vmlinux)
		return -ENOENT;
	n = btf__type_cnt(ctx->vmlinux);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(ctx->vmlinux, i);
		const struct btf_enum *e;
		__u16 j;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(ctx->vmlinux, e[j].name_off), name))
				return 1;
	}
	return 0;
}

static int btf_has_struct(const struct xm_probe_ctx *ctx, const char *name, char *detail,
			  size_t size)
{
	if (!ctx->vmlinux) {
		snprintf(detail, size, "cannot tell without kernel BTF");
		return -ENOENT;
	}
	if (btf__find_by_name_kind(ctx->vmlinux, name, BTF_KIND_STRUCT) > 0)
		return 1;
	snprintf(detail, size, "the kernel's BTF has no struct %s", name);
	return 0;
}

/*
 * A BPF link is the kernel's own object; the code that implements one for XDP
 * (struct bpf_xdp_link, 5.9) or cgroups (struct bpf_cgroup_link, 5.7) is in the
 * kernel exactly when the attach type is. Creating a link to find out would
 * attach a program to something, so the kernel's BTF is asked instead.
 */
static int probe_xdp_link(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	return btf_has_struct(ctx, "bpf_xdp_link", detail, size);
}

static int probe_cgroup_link(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	return btf_has_struct(ctx, "bpf_cgroup_link", detail, size);
}

/*
 * The callbacks are ops values, not checked at load: a kernel without them
 * simply never calls the program with them. The kernel's BTF has the UAPI
 * enums, so look for the op and for the flag that turns WRITE_HDR_OPT_CB on.
 */
static int probe_hdr_opt_cbs(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	static const char *const names[] = {
		"BPF_SOCK_OPS_HDR_OPT_LEN_CB",
		"BPF_SOCK_OPS_WRITE_HDR_OPT_CB",
		"BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG",
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = btf_has_enumerator(ctx, names[i]);
		if (r == -ENOENT) {
			snprintf(detail, size, "cannot tell without kernel BTF");
			return r;
		}
		if (!r) {
			snprintf(detail, size, "the kernel's BTF has no %s", names[i]);
			return 0;
		}
	}
	return 1;
}

/*
 * The sockops context fields the header-option code reads: the segment being
 * written (skb_data .. skb_data_end, skb_len, skb_tcp_flags; 5.10) and the
 * socket for sk_storage (sk; 5.3). An unknown field is a load-time error.
 */
static int probe_sockops_ctx(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	const struct bpf_insn insns[] = {
		I_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_sock_ops, sk)),
		I_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_sock_ops, skb_data)),
		I_LDX(BPF_DW, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_sock_ops, skb_data_end)),
		I_LDX(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_sock_ops, skb_len)),
		I_LDX(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_sock_ops, skb_tcp_flags)),
		I_MOV64_IMM(BPF_REG_0, 1),
		I_EXIT(),
	};
	char log[4096];
	int r;

	r = load_tiny(BPF_PROG_TYPE_SOCK_OPS, insns, sizeof(insns) / sizeof(insns[0]), log,
		      sizeof(log));
	if (!r)
		log_reason(log, detail, size);
	return r;
}

/* An atomic read-modify-write on the stack: before 5.12 only BPF_ADD existed (as XADD). */
static int probe_atomic(const struct xm_feature *f, char *detail, size_t size)
{
	const struct bpf_insn insns[] = {
		I_MOV64_IMM(BPF_REG_1, 0), I_STX(BPF_W, BPF_REG_10, BPF_REG_1, -4),
		I_MOV64_IMM(BPF_REG_1, 1), I_ATOMIC(BPF_W, f->arg, BPF_REG_10, BPF_REG_1, -4),
		I_MOV64_IMM(BPF_REG_0, 0), I_EXIT(),
	};
	char log[4096];
	int r;

	r = load_tiny(f->prog_type, insns, sizeof(insns) / sizeof(insns[0]), log, sizeof(log));
	if (!r)
		log_reason(log, detail, size);
	return r;
}

/*
 * const volatile knobs (.rodata) are an array map that the program reads
 * through a direct map-value load (BPF_PSEUDO_MAP_VALUE) and cannot write
 * (BPF_F_RDONLY_PROG), both 5.2. libbpf would otherwise fail with its own
 * words about global data.
 */
static int probe_global_data(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_RDONLY_PROG);
	struct bpf_insn insns[] = {
		{.code = BPF_LD | BPF_DW | BPF_IMM,
		 .dst_reg = BPF_REG_1,
		 .src_reg = BPF_PSEUDO_MAP_VALUE},
		{},
		I_LDX(BPF_W, BPF_REG_0, BPF_REG_1, 0),
		I_MOV64_IMM(BPF_REG_0, 0),
		I_EXIT(),
	};
	char log[4096];
	int map, r;

	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xm_probe_ro", 4, 8, 1, &mopts);
	if (map < 0) {
		r = -errno;
		if (r == -EINVAL) {
			snprintf(detail, size, "array map with BPF_F_RDONLY_PROG refused");
			return 0;
		}
		return r;
	}
	insns[0].imm = map;
	r = load_tiny(BPF_PROG_TYPE_SOCKET_FILTER, insns, sizeof(insns) / sizeof(insns[0]), log,
		      sizeof(log));
	if (!r)
		log_reason(log, detail, size);
	close(map);
	return r;
}

/*
 * Global functions are checked by the verifier once, on their own, which the
 * option walk and the checksum sum rely on (bpf/mptcp_scan.h). A kernel
 * without them (before 5.6) refuses BTF with a global FUNC; a static one is
 * loaded first to tell that apart from BTF loading failing altogether.
 */
static int load_func_btf(enum btf_func_linkage linkage)
{
	struct btf *btf = btf__new_empty();
	int id, r;

	if (!btf)
		return -ENOMEM;
	id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	if (id > 0)
		id = btf__add_func_proto(btf, id);
	if (id > 0)
		id = btf__add_func(btf, "xm_probe_fn", linkage, id);
	r = id < 0 ? id : btf__load_into_kernel(btf);
	btf__free(btf);
	return r;
}

static int probe_global_func(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	int r = load_func_btf(BTF_FUNC_STATIC);

	if (r < 0) {
		snprintf(detail, size, "the kernel refuses even a static function's BTF: %s",
			 strerror(-r));
		return r == -EINVAL ? 0 : r;
	}
	r = load_func_btf(BTF_FUNC_GLOBAL);
	if (r == -EINVAL) {
		snprintf(detail, size, "BTF with a global FUNC refused");
		return 0;
	}
	return r < 0 ? r : 1;
}

static int probe_netns_cookie(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	uint64_t cookie;
	int r = xm_netns_cookie(&cookie);

	if (r == -ENOPROTOOPT) {
		snprintf(detail, size, "getsockopt(SO_NETNS_COOKIE): %s", strerror(-r));
		return 0;
	}
	return r < 0 ? r : 1;
}

static int probe_cgroup2(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	char path[4096];
	int r = xm_cgroup2_root(path, sizeof(path));

	if (r == -ENOENT) {
		snprintf(detail, size,
			 "no cgroup2 in /proc/self/mounts (mount -t cgroup2 none "
			 "/sys/fs/cgroup)");
		return 0;
	}
	if (r < 0)
		return r;
	snprintf(detail, size, "%s", path);
	return 1;
}

/*
 * tcx: ask which programs are on loopback's tcx egress. Before 6.6 the
 * attach type is unknown to BPF_PROG_QUERY (EINVAL); with it the answer is a
 * list, possibly empty. Nothing is attached by asking.
 */
static int probe_tcx(struct xm_probe_ctx *ctx, char *detail, size_t size)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);
	int r;

	r = bpf_prog_query_opts(XM_LO_IFINDEX, (enum bpf_attach_type)XM_BPF_TCX_EGRESS, &q);
	if (r == 0)
		return 1;
	r = -errno;
	if (r == -EINVAL) {
		snprintf(detail, size, "BPF_PROG_QUERY does not know BPF_TCX_EGRESS");
		return 0;
	}
	return r;
}

#define PROG(t, tname, ver, why)                                                           \
	{                                                                                  \
		.id = "prog:" tname, .name = "program type " #t, .since = ver, .use = why, \
		.how = XM_PROBE_PROG_TYPE, .arg = t,                                       \
	}
#define MAP(t, tname, ver, why)                                                       \
	{                                                                             \
		.id = "map:" tname, .name = "map type " #t, .since = ver, .use = why, \
		.how = XM_PROBE_MAP_TYPE, .arg = t,                                   \
	}
/* A helper as called from one program type: availability differs between types. */
#define HELPER(pt, ptname, fn, ver, why)                                                     \
	{                                                                                    \
		.id = "helper:" ptname ":bpf_" #fn, .name = "helper bpf_" #fn " in " ptname, \
		.since = ver, .use = why, .how = XM_PROBE_HELPER, .prog_type = pt,           \
		.arg = BPF_FUNC_##fn,                                                        \
	}
#define CUSTOM(cid, cname, ver, why, f)                                                     \
	{                                                                                   \
		.id = cid, .name = cname, .since = ver, .use = why, .how = XM_PROBE_CUSTOM, \
		.fn = f,                                                                    \
	}

#define XDP  BPF_PROG_TYPE_XDP
#define TC   BPF_PROG_TYPE_SCHED_CLS
#define SOPS BPF_PROG_TYPE_SOCK_OPS

/*
 * Everything the datapath (bpf/xmptcp.bpf.c and its headers) and the daemon's
 * use of it need from the kernel. "since" is the first Linux release where the
 * feature works for that program type (a helper can reach a program type
 * later than it first appeared). Keep it in sync with bpf/: the probe_sync
 * test (suite bpf) fails, naming the missing row, when the object uses a
 * program type, map type, helper, atomic op or global function not listed.
 */
static const struct xm_feature features[] = {
	CUSTOM("btf:vmlinux", "kernel BTF (/sys/kernel/btf/vmlinux)", "5.4",
	       "map dumps decoded by type, and the BTF-based probes below", probe_btf_vmlinux),
	CUSTOM("btf:global_func", "BTF global functions", "5.6",
	       "the option walk and the checksum sum are global functions, verified once",
	       probe_global_func),
	CUSTOM("global_data", "read-only global data (const volatile knobs)", "5.2",
	       "the daemon sets the netns cookie filter before load", probe_global_data),

	PROG(BPF_PROG_TYPE_XDP, "xdp", "4.8", "xdp_ingress runs on it"),
	PROG(BPF_PROG_TYPE_SCHED_CLS, "sched_cls", "4.1", "tc_egress and tc_ingress run on it"),
	PROG(BPF_PROG_TYPE_SOCK_OPS, "sock_ops", "4.13", "sockops_mptcp runs on it"),

	MAP(BPF_MAP_TYPE_HASH, "hash", "3.19", "xm_conns holds the MPTCP connections"),
	MAP(BPF_MAP_TYPE_PERCPU_ARRAY, "percpu_array", "4.6",
	    "counters and per-CPU scratch (xm_stats, xm_scratch, ...)"),
	MAP(BPF_MAP_TYPE_LRU_HASH, "lru_hash", "4.10",
	    "xm_pending parks server keys until the handshake ends"),
	MAP(BPF_MAP_TYPE_QUEUE, "queue", "4.20", "xm_keys hands key material to sockops"),
	MAP(BPF_MAP_TYPE_RINGBUF, "ringbuf", "5.8", "xm_events carries events to the daemon"),
	MAP(BPF_MAP_TYPE_SK_STORAGE, "sk_storage", "5.2",
	    "xm_sk_mptcp keeps the peer's key per socket for MP_FASTCLOSE"),

	{
		.id = "insn:atomic_or_w",
		.name = "32-bit atomic OR instruction",
		.since = "5.12",
		.use = "XDP, TC and sockops set connection flags shared between them",
		.how = XM_PROBE_ATOMIC,
		.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
		.arg = BPF_OR,
	},

	HELPER(XDP, "xdp", map_lookup_elem, "4.8", "every map access"),
	HELPER(XDP, "xdp", map_update_elem, "4.8", "records the meta connection's state"),
	HELPER(XDP, "xdp", map_delete_elem, "4.8", "ends a TIME_WAIT connection the peer reset"),
	HELPER(XDP, "xdp", ktime_get_ns, "4.8", "timestamps events"),
	HELPER(XDP, "xdp", ringbuf_reserve, "5.8", "reports malformed options"),
	HELPER(XDP, "xdp", ringbuf_submit, "5.8", "reports malformed options"),
	HELPER(XDP, "xdp", loop, "5.17", "xmptcp walks TCP options with it"),

	HELPER(TC, "sched_cls", map_lookup_elem, "4.1", "every map access"),
	HELPER(TC, "sched_cls", map_update_elem, "4.1",
	       "tc_ingress records the meta connection's state"),
	HELPER(TC, "sched_cls", map_delete_elem, "4.1",
	       "tc_ingress ends a TIME_WAIT connection the peer reset"),
	HELPER(TC, "sched_cls", ktime_get_ns, "4.1", "timestamps events"),
	HELPER(TC, "sched_cls", ringbuf_reserve, "5.8", "reports malformed options"),
	HELPER(TC, "sched_cls", ringbuf_submit, "5.8", "reports malformed options"),
	HELPER(TC, "sched_cls", loop, "5.17", "xmptcp walks TCP options with it"),
	HELPER(TC, "sched_cls", skb_pull_data, "4.9",
	       "makes TCP headers linear when a parse comes up short"),
	HELPER(TC, "sched_cls", skb_load_bytes, "4.5", "reads payload for DSS checksums"),
	HELPER(TC, "sched_cls", skb_store_bytes, "4.1", "writes DSS checksums and translated ACKs"),
	HELPER(TC, "sched_cls", l4_csum_replace, "4.1", "keeps the TCP checksum right"),
	HELPER(TC, "sched_cls", csum_diff, "4.6", "sums the payload for DSS checksums"),
	HELPER(TC, "sched_cls", sk_fullsock, "5.1", "finds the socket of an outgoing segment"),
	HELPER(TC, "sched_cls", tcp_sock, "5.1",
	       "tells a first transmission sockops never saw from a retransmission"),
	HELPER(TC, "sched_cls", skb_change_tail, "4.9",
	       "makes room for the DATA_ACK on a TIME_WAIT socket's ACK"),
	HELPER(TC, "sched_cls", l3_csum_replace, "4.1", "keeps the IPv4 header checksum right"),
	HELPER(TC, "sched_cls", sk_storage_get, "5.2",
	       "keeps the checksum of each DSS mapping for its retransmissions"),

	HELPER(SOPS, "sock_ops", map_lookup_elem, "4.13", "every map access"),
	HELPER(SOPS, "sock_ops", map_update_elem, "4.13", "creates connection entries"),
	HELPER(SOPS, "sock_ops", map_delete_elem, "4.13", "removes closed connections"),
	HELPER(SOPS, "sock_ops", map_pop_elem, "4.20", "takes key material for a handshake"),
	HELPER(SOPS, "sock_ops", map_push_elem, "4.20", "returns unused key material"),
	HELPER(SOPS, "sock_ops", ktime_get_ns, "4.13", "connection ages"),
	HELPER(SOPS, "sock_ops", sk_storage_get, "5.3",
	       "keeps the peer's key per socket for MP_FASTCLOSE"),
	HELPER(SOPS, "sock_ops", sock_ops_cb_flags_set, "4.16",
	       "turns the header-option and state callbacks on"),
	HELPER(SOPS, "sock_ops", reserve_hdr_opt, "5.10",
	       "reserves option space so the stack shrinks the MSS"),
	HELPER(SOPS, "sock_ops", store_hdr_opt, "5.10", "writes MP_CAPABLE and DSS options"),
	HELPER(SOPS, "sock_ops", load_hdr_opt, "5.10", "reads the peer's MP_CAPABLE from a SYN"),
	HELPER(SOPS, "sock_ops", get_netns_cookie, "5.15",
	       "sockops acts only on its own namespace's sockets"),

	CUSTOM("sockops:hdr_opt_cbs", "sockops callbacks HDR_OPT_LEN_CB / WRITE_HDR_OPT_CB", "5.10",
	       "the TCP stack itself reserves and writes MPTCP options", probe_hdr_opt_cbs),
	CUSTOM("sockops:ctx_skb", "sockops context sk, skb_data, skb_len, skb_tcp_flags", "5.10",
	       "reads the segment being written and the socket", probe_sockops_ctx),
	CUSTOM("link:xdp", "BPF links for XDP", "5.9",
	       "xdp_ingress goes away with the daemon that attached it", probe_xdp_link),
	CUSTOM("link:cgroup", "BPF links for cgroups", "5.7",
	       "sockops_mptcp goes away with the daemon that attached it", probe_cgroup_link),
	CUSTOM("sockopt:netns_cookie", "getsockopt SO_NETNS_COOKIE", "5.14",
	       "tells the datapath which namespace is the daemon's", probe_netns_cookie),
	{
		.id = "cgroup2",
		.name = "a mounted cgroup2 hierarchy",
		.since = "4.5",
		.use = "sockops_mptcp attaches to its root",
		.env = true,
		.how = XM_PROBE_CUSTOM,
		.fn = probe_cgroup2,
	},

	{
		.id = "tcx",
		.name = "tcx (BPF links on tc egress)",
		.since = "6.6",
		.use = "would replace the clsact qdisc for tc_egress",
		.instead = "libbpf 1.1 has no tcx API, so tc_egress always goes on a clsact qdisc",
		.unused = true,
		.how = XM_PROBE_CUSTOM,
		.fn = probe_tcx,
	},
};

const struct xm_feature *xm_probe_features(size_t *n)
{
	*n = sizeof(features) / sizeof(features[0]);
	return features;
}

static int probe_one(struct xm_probe_ctx *ctx, const struct xm_feature *f, char *detail,
		     size_t size)
{
	int r;

	switch (f->how) {
	case XM_PROBE_PROG_TYPE:
		r = libbpf_probe_bpf_prog_type(f->arg, NULL);
		if (r == 0 && (unsigned int)f->arg < XM_PROG_TYPES_MAX)
			ctx->prog_missing[f->arg] = true;
		return r;
	case XM_PROBE_MAP_TYPE:
		return libbpf_probe_bpf_map_type(f->arg, NULL);
	case XM_PROBE_HELPER:
		if ((unsigned int)f->prog_type < XM_PROG_TYPES_MAX &&
		    ctx->prog_missing[f->prog_type]) {
			snprintf(detail, size, "its program type is missing");
			return 0;
		}
		/*
		 * libbpf loads "call helper; exit": the verifier says "invalid func"
		 * or "unknown func" when the helper is not there for that program
		 * type, and complains about the arguments otherwise.
		 */
		return libbpf_probe_bpf_helper(f->prog_type, f->arg, NULL);
	case XM_PROBE_ATOMIC:
		return probe_atomic(f, detail, size);
	case XM_PROBE_CUSTOM:
		return f->fn(ctx, detail, size);
	}
	return -EINVAL;
}

int xm_probe_run(struct xm_probe_report *rep)
{
	struct xm_probe_ctx ctx = {};
	struct utsname u;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	if (uname(&u) == 0)
		snprintf(rep->kernel, sizeof(rep->kernel), "%s", u.release);
	rep->n = sizeof(features) / sizeof(features[0]);
	rep->res = calloc(rep->n, sizeof(*rep->res));
	if (!rep->res)
		return -ENOMEM;

	ctx.vmlinux = btf__load_vmlinux_btf();
	if (!ctx.vmlinux)
		ctx.vmlinux_err = -errno;

	for (i = 0; i < rep->n; i++) {
		struct xm_probe_result *res = &rep->res[i];
		int r;

		res->f = &features[i];
		r = probe_one(&ctx, res->f, res->detail, sizeof(res->detail));
		if (r > 0) {
			res->state = XM_FEAT_PRESENT;
			rep->n_present++;
		} else if (r == 0) {
			res->state = XM_FEAT_MISSING;
		} else {
			res->state = XM_FEAT_UNKNOWN;
			if (!res->detail[0])
				snprintf(res->detail, sizeof(res->detail), "probe failed: %s",
					 strerror(-r));
		}
		if (res->state != XM_FEAT_PRESENT && !res->f->instead)
			rep->n_missing_required++;
	}
	btf__free(ctx.vmlinux);
	return 0;
}

void xm_probe_report_free(struct xm_probe_report *rep)
{
	if (!rep)
		return;
	free(rep->res);
	rep->res = NULL;
	rep->n = 0;
}

static const char *state_str(enum xm_probe_state s)
{
	switch (s) {
	case XM_FEAT_PRESENT:
		return "present";
	case XM_FEAT_MISSING:
		return "missing";
	case XM_FEAT_UNKNOWN:
		return "unknown";
	}
	return "?";
}

static const char *kind_str(const struct xm_feature *f)
{
	if (f->unused)
		return "not used";
	return f->instead ? "optional" : "required";
}

static size_t n_required(const struct xm_probe_report *rep)
{
	size_t i, n = 0;

	for (i = 0; i < rep->n; i++)
		n += !rep->res[i].f->instead;
	return n;
}

static void print_line(const char *text, void *data)
{
	fprintf(data, "  %s\n", text);
}

void xm_probe_print(FILE *out, const struct xm_probe_report *rep)
{
	size_t i;

	fprintf(out, "Kernel features for xmptcp on Linux %s:\n", rep->kernel);
	fprintf(out, "%-54s %-6s %-9s %s\n", "FEATURE", "SINCE", "NEED", "STATE");
	for (i = 0; i < rep->n; i++) {
		const struct xm_probe_result *res = &rep->res[i];
		const struct xm_feature *f = res->f;

		fprintf(out, "%-54s %-6s %-9s %s", f->name, f->since, kind_str(f),
			state_str(res->state));
		if (res->state != XM_FEAT_PRESENT && res->detail[0])
			fprintf(out, " (%s)", res->detail);
		fputc('\n', out);
		if (f->instead)
			fprintf(out, "    %s: %s\n", f->unused ? "not used" : "without it",
				f->instead);
	}
	fprintf(out, "XDP mode is chosen per interface when attaching: native (driver) mode where "
		     "the driver has it, else generic; each fallback is logged.\n");
	if (!rep->n_missing_required) {
		fprintf(out, "All %zu required features are present.\n", n_required(rep));
		return;
	}
	fprintf(out, "Missing %zu of %zu required features; xmptcpd cannot start here:\n",
		rep->n_missing_required, n_required(rep));
	xm_probe_foreach_missing(rep, print_line, out);
}

void xm_probe_foreach_missing(const struct xm_probe_report *rep,
			      void (*line)(const char *text, void *data), void *data)
{
	char buf[512];
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct xm_probe_result *res = &rep->res[i];
		const struct xm_feature *f = res->f;

		if (res->state == XM_FEAT_PRESENT || f->instead)
			continue;
		if (res->state == XM_FEAT_MISSING && f->env)
			snprintf(buf, sizeof(buf), "this system lacks %s (Linux %s+); %s%s%s%s",
				 f->name, f->since, f->use, res->detail[0] ? " [" : "", res->detail,
				 res->detail[0] ? "]" : "");
		else if (res->state == XM_FEAT_MISSING)
			snprintf(buf, sizeof(buf), "kernel lacks %s (Linux %s+); %s%s%s%s", f->name,
				 f->since, f->use, res->detail[0] ? " [" : "", res->detail,
				 res->detail[0] ? "]" : "");
		else
			snprintf(buf, sizeof(buf),
				 "could not tell whether the kernel has %s "
				 "(Linux %s+; %s): %s",
				 f->name, f->since, f->use, res->detail);
		line(buf, data);
	}
}

json_t *xm_probe_json(const struct xm_probe_report *rep)
{
	json_t *arr, *o;
	size_t i;

	arr = json_array();
	if (!arr)
		return NULL;
	for (i = 0; i < rep->n; i++) {
		const struct xm_probe_result *res = &rep->res[i];
		const struct xm_feature *f = res->f;

		o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "id", f->id, "name", f->name,
			      "since", f->since, "use", f->use, "required", !f->instead, "used",
			      !f->unused, "state", state_str(res->state));
		if (o && f->instead)
			json_object_set_new(o, "instead", json_string(f->instead));
		if (o && res->detail[0])
			json_object_set_new(o, "detail", json_string(res->detail));
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(o);
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:s, s:b, s:I, s:I, s:o}", "kernel", rep->kernel, "ok",
			 !rep->n_missing_required, "required", (json_int_t)n_required(rep),
			 "missing_required", (json_int_t)rep->n_missing_required, "features", arr);
}

void xm_probe_summary(const struct xm_probe_report *rep, char *buf, size_t size)
{
	size_t i, len;

	len = snprintf(buf, size, "Linux %s: %zu of %zu required kernel features present",
		       rep->kernel, n_required(rep) - rep->n_missing_required, n_required(rep));
	for (i = 0; i < rep->n && len < size; i++) {
		const struct xm_probe_result *res = &rep->res[i];

		if (!res->f->instead)
			continue;
		len += snprintf(buf + len, size - len, "; %s %s%s", res->f->id,
				state_str(res->state), res->f->unused ? " (not used)" : "");
	}
}
