// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The RFC 8684 option codec (include/xmptcp/mptcp_opt.h): every option and
 * length variant both ways, every malformed shape with its exact error, and
 * the TCP options walker. Wire vectors are typed from the RFC 8684 figures
 * (§3.1 MP_CAPABLE, §3.2 MP_JOIN, §3.3 DSS, §3.4 ADD_ADDR/REMOVE_ADDR,
 * §3.3.8 MP_PRIO, §3.6 MP_TCPRST, §3.5 MP_FASTCLOSE, §3.7 MP_FAIL), not
 * produced by the builder under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <xmptcp/mptcp_opt.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Recognisable field values, so a field read from the wrong offset shows. */
#define K1   0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
#define K1_N 0x0123456789abcdefULL
#define K2   0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10
#define K2_N 0xfedcba9876543210ULL
#define HM   0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8
#define HM_N 0xa1a2a3a4a5a6a7a8ULL
#define Q1   0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
#define Q1_N 0x1112131415161718ULL
#define A4_1 0xc6, 0x12, 0x00, 0x01					   /* 198.18.0.1 */
#define A4_2 0xc6, 0x12, 0x00, 0x02					   /* 198.18.0.2 */
#define A6_1 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 /* 2001:db8::1 */
#define HMAC20                                                                                    \
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, \
		0x0f, 0x10, 0x11, 0x12, 0x13

struct vec {
	const char *name;
	__u8 n;
	__u8 bytes[XM_TCP_OPTS_MAX];
	struct xm_mptcp_opt exp;
};

/* Every variant of every option, wire bytes by hand, expected parse. */
static const struct vec vecs[] = {
	/* MP_CAPABLE v1, §3.1: subtype|version, A..H flags, keys, data len, csum. */
	{"mpc syn",
	 4,
	 {0x1e, 4, 0x01, 0x81},
	 {.subtype = XM_MPTCP_MP_CAPABLE, .len = 4, .mpc = {.version = 1, .flags = 0x81}}},
	{"mpc syn-ack",
	 12,
	 {0x1e, 12, 0x01, 0x21, K1},
	 {.subtype = XM_MPTCP_MP_CAPABLE,
	  .len = 12,
	  .mpc = {.version = 1, .flags = 0x21, .has_sender_key = 1, .sender_key = K1_N}}},
	{"mpc ack",
	 20,
	 {0x1e, 20, 0x01, 0x01, K1, K2},
	 {.subtype = XM_MPTCP_MP_CAPABLE,
	  .len = 20,
	  .mpc = {.version = 1,
		  .flags = 0x01,
		  .has_sender_key = 1,
		  .has_receiver_key = 1,
		  .sender_key = K1_N,
		  .receiver_key = K2_N}}},
	{"mpc data",
	 22,
	 {0x1e, 22, 0x01, 0x01, K1, K2, 0x05, 0xdc},
	 {.subtype = XM_MPTCP_MP_CAPABLE,
	  .len = 22,
	  .mpc = {.version = 1,
		  .flags = 0x01,
		  .has_sender_key = 1,
		  .has_receiver_key = 1,
		  .has_data_len = 1,
		  .data_len = 1500,
		  .sender_key = K1_N,
		  .receiver_key = K2_N}}},
	{"mpc data csum",
	 24,
	 {0x1e, 24, 0x01, 0x81, K1, K2, 0x05, 0xdc, 0xbe, 0xef},
	 {.subtype = XM_MPTCP_MP_CAPABLE,
	  .len = 24,
	  .mpc = {.version = 1,
		  .flags = 0x81,
		  .has_sender_key = 1,
		  .has_receiver_key = 1,
		  .has_data_len = 1,
		  .has_csum = 1,
		  .data_len = 1500,
		  .sender_key = K1_N,
		  .receiver_key = K2_N,
		  .csum = 0xbeef}}},
	/* MP_JOIN, §3.2. */
	{"mpj syn",
	 12,
	 {0x1e, 12, 0x11, 5, 0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x56, 0x78},
	 {.subtype = XM_MPTCP_MP_JOIN,
	  .len = 12,
	  .join = {.kind_of = XM_MPJ_SYN,
		   .flags = XM_MPJ_FLAG_B,
		   .addr_id = 5,
		   .token = 0xdeadbeef,
		   .nonce = 0x12345678}}},
	{"mpj syn-ack",
	 16,
	 {0x1e, 16, 0x10, 7, HM, 0x9a, 0xbc, 0xde, 0xf0},
	 {.subtype = XM_MPTCP_MP_JOIN,
	  .len = 16,
	  .join = {.kind_of = XM_MPJ_SYNACK, .addr_id = 7, .hmac64 = HM_N, .nonce = 0x9abcdef0}}},
	{"mpj ack",
	 24,
	 {0x1e, 24, 0x10, 0, HMAC20},
	 {.subtype = XM_MPTCP_MP_JOIN,
	  .len = 24,
	  .join = {.kind_of = XM_MPJ_ACK, .hmac = {HMAC20}}}},
	/* DSS, §3.3: flags F m M a A, then DATA_ACK, DSN, SSN, length, checksum. */
	{"dss bare",
	 4,
	 {0x1e, 4, 0x20, 0x00},
	 {.subtype = XM_MPTCP_DSS, .len = 4, .dss = {.flags = 0}}},
	{"dss ack32",
	 8,
	 {0x1e, 8, 0x20, 0x01, 0x00, 0x00, 0x10, 0x00},
	 {.subtype = XM_MPTCP_DSS, .len = 8, .dss = {.flags = XM_DSS_FLAG_A, .data_ack = 0x1000}}},
	{"dss map32",
	 14,
	 {0x1e, 14, 0x20, 0x04, 0, 0, 0, 42, 0, 0, 0, 1, 0x00, 0x64},
	 {.subtype = XM_MPTCP_DSS,
	  .len = 14,
	  .dss = {.flags = XM_DSS_FLAG_M, .dsn = 42, .ssn = 1, .data_len = 100}}},
	{"dss ack64 map64 csum",
	 28,
	 {0x1e, 28, 0x20, 0x0f, K1, Q1, 0x00, 0x00, 0x00, 0x01, 0x05, 0xa0, 0x12, 0x34},
	 {.subtype = XM_MPTCP_DSS,
	  .len = 28,
	  .dss = {.flags = XM_DSS_FLAG_A | XM_DSS_FLAG_a | XM_DSS_FLAG_M | XM_DSS_FLAG_m,
		  .has_csum = 1,
		  .data_ack = K1_N,
		  .dsn = Q1_N,
		  .ssn = 1,
		  .data_len = 1440,
		  .csum = 0x1234}}},
	/* The shape Linux sends for a DATA_FIN on an empty segment: SSN 0, length 1. */
	{"dss data_fin",
	 26,
	 {0x1e, 26, 0x20, 0x1f, K1, Q1, 0, 0, 0, 0, 0x00, 0x01},
	 {.subtype = XM_MPTCP_DSS,
	  .len = 26,
	  .dss = {.flags = XM_DSS_FLAGS, .data_ack = K1_N, .dsn = Q1_N, .data_len = 1}}},
	/* ADD_ADDR, §3.4.1: E flag, id, address, optional port, HMAC unless echo. */
	{"add_addr v4",
	 16,
	 {0x1e, 16, 0x30, 1, A4_1, HM},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 16,
	  .add_addr = {.ip_ver = 4, .addr_id = 1, .has_hmac = 1, .addr = {A4_1}, .hmac = HM_N}}},
	{"add_addr v4 port",
	 18,
	 {0x1e, 18, 0x30, 2, A4_2, 0x1f, 0x90, HM},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 18,
	  .add_addr = {.ip_ver = 4,
		       .addr_id = 2,
		       .has_port = 1,
		       .port = 8080,
		       .has_hmac = 1,
		       .addr = {A4_2},
		       .hmac = HM_N}}},
	{"add_addr v4 echo",
	 8,
	 {0x1e, 8, 0x31, 1, A4_1},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 8,
	  .add_addr = {.echo = 1, .ip_ver = 4, .addr_id = 1, .addr = {A4_1}}}},
	{"add_addr v4 echo port",
	 10,
	 {0x1e, 10, 0x31, 2, A4_2, 0x1f, 0x90},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 10,
	  .add_addr = {.echo = 1,
		       .ip_ver = 4,
		       .addr_id = 2,
		       .has_port = 1,
		       .port = 8080,
		       .addr = {A4_2}}}},
	{"add_addr v6",
	 28,
	 {0x1e, 28, 0x30, 3, A6_1, HM},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 28,
	  .add_addr = {.ip_ver = 6, .addr_id = 3, .has_hmac = 1, .addr = {A6_1}, .hmac = HM_N}}},
	{"add_addr v6 port",
	 30,
	 {0x1e, 30, 0x30, 4, A6_1, 0x01, 0xbb, HM},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 30,
	  .add_addr = {.ip_ver = 6,
		       .addr_id = 4,
		       .has_port = 1,
		       .port = 443,
		       .has_hmac = 1,
		       .addr = {A6_1},
		       .hmac = HM_N}}},
	{"add_addr v6 echo",
	 20,
	 {0x1e, 20, 0x31, 3, A6_1},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 20,
	  .add_addr = {.echo = 1, .ip_ver = 6, .addr_id = 3, .addr = {A6_1}}}},
	{"add_addr v6 echo port",
	 22,
	 {0x1e, 22, 0x31, 4, A6_1, 0x01, 0xbb},
	 {.subtype = XM_MPTCP_ADD_ADDR,
	  .len = 22,
	  .add_addr = {.echo = 1,
		       .ip_ver = 6,
		       .addr_id = 4,
		       .has_port = 1,
		       .port = 443,
		       .addr = {A6_1}}}},
	/* REMOVE_ADDR, §3.4.2: ids start right after the subtype byte. */
	{"rm_addr 1",
	 4,
	 {0x1e, 4, 0x40, 3},
	 {.subtype = XM_MPTCP_REMOVE_ADDR, .len = 4, .rm_addr = {.n_ids = 1, .ids = {3}}}},
	{"rm_addr 3",
	 6,
	 {0x1e, 6, 0x40, 1, 2, 3},
	 {.subtype = XM_MPTCP_REMOVE_ADDR, .len = 6, .rm_addr = {.n_ids = 3, .ids = {1, 2, 3}}}},
	{"rm_addr 8",
	 11,
	 {0x1e, 11, 0x40, 1, 2, 3, 4, 5, 6, 7, 8},
	 {.subtype = XM_MPTCP_REMOVE_ADDR,
	  .len = 11,
	  .rm_addr = {.n_ids = 8, .ids = {1, 2, 3, 4, 5, 6, 7, 8}}}},
	/* MP_PRIO, §3.3.8: length 3, B in the subtype byte. */
	{"mp_prio backup",
	 3,
	 {0x1e, 3, 0x51},
	 {.subtype = XM_MPTCP_MP_PRIO, .len = 3, .prio = {.backup = 1}}},
	{"mp_prio regular",
	 3,
	 {0x1e, 3, 0x50},
	 {.subtype = XM_MPTCP_MP_PRIO, .len = 3, .prio = {.backup = 0}}},
	/* MP_FAIL, §3.7, and MP_FASTCLOSE, §3.5: 2 reserved bytes then 64 bits. */
	{"mp_fail",
	 12,
	 {0x1e, 12, 0x60, 0x00, 0, 0, 0, 1, 0, 0, 0, 2},
	 {.subtype = XM_MPTCP_MP_FAIL, .len = 12, .fail = {.dsn = 0x100000002ULL}}},
	{"mp_fastclose",
	 12,
	 {0x1e, 12, 0x70, 0x00, K2},
	 {.subtype = XM_MPTCP_MP_FASTCLOSE, .len = 12, .fastclose = {.receiver_key = K2_N}}},
	/* MP_TCPRST, §3.6: U V W T in the subtype byte, reason code. */
	{"mp_tcprst uvwt",
	 4,
	 {0x1e, 4, 0x8f, 0x03},
	 {.subtype = XM_MPTCP_MP_TCPRST, .len = 4, .tcprst = {.flags = 0x0f, .reason = 3}}},
	{"mp_tcprst transient",
	 4,
	 {0x1e, 4, 0x81, 0x06},
	 {.subtype = XM_MPTCP_MP_TCPRST,
	  .len = 4,
	  .tcprst = {.flags = XM_TCPRST_FLAG_T, .reason = 6}}},
};

static const struct vec *find_vec(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++)
		if (!strcmp(vecs[i].name, name))
			return &vecs[i];
	fail_msg("no vector '%s'", name);
	return NULL;
}

/* Zero the buffer (as the BPF side must), then put bytes at off. */
static void ob_load(struct xm_optbuf *ob, __u32 off, const __u8 *bytes, __u32 n, __u32 len)
{
	memset(ob, 0, sizeof(*ob));
	if (n)
		memcpy(ob->b + off, bytes, n);
	ob->len = len;
}

static void check_parse(const struct xm_optbuf *ob, __u32 off, const char *name, int exp_ret,
			const struct xm_mptcp_opt *exp)
{
	struct xm_mptcp_opt out;
	int r;

	memset(&out, 0x5a, sizeof(out)); /* the parser must clear what it does not set */
	r = xm_mptcp_opt_parse(ob, off, &out);
	if (r != exp_ret)
		print_error("vector '%s'\n", name);
	assert_int_equal(r, exp_ret);
	if (exp) {
		if (memcmp(&out, exp, sizeof(out)))
			print_error("vector '%s'\n", name);
		assert_int_equal(out.subtype, exp->subtype);
		assert_int_equal(out.len, exp->len);
		assert_memory_equal(&out, exp, sizeof(out));
	}
}

/* Wire -> struct -> wire, and struct -> wire, for every vector. */
static void test_vectors_roundtrip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct xm_optbuf ob, built;
		struct xm_mptcp_opt out;

		ob_load(&ob, 0, v->bytes, v->n, v->n);
		check_parse(&ob, 0, v->name, v->n, &v->exp);
		assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), v->n);

		/* Build from the parse and from the hand-written struct: same bytes. */
		memset(&built, 0, sizeof(built));
		assert_int_equal(xm_mptcp_opt_len(&out), v->n);
		assert_int_equal(xm_mptcp_opt_append(&built, &out), v->n);
		assert_int_equal(built.len, v->n);
		assert_memory_equal(built.b, v->bytes, v->n);

		/*
		 * Into a dirty buffer: every byte of the option is written (the
		 * datapath reuses buffers), and nothing past it.
		 */
		memset(&built, 0xee, sizeof(built));
		built.len = 0;
		assert_int_equal(xm_mptcp_opt_append(&built, &v->exp), v->n);
		assert_memory_equal(built.b, v->bytes, v->n);
		for (__u32 j = v->n; j < XM_OPTBUF_SIZE; j++)
			assert_int_equal(built.b[j], 0xee);
	}
}

/* The same vectors behind timestamps: offsets other than 0 work. */
static void test_vectors_at_offset(void **state)
{
	static const __u8 ts[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct xm_optbuf ob;

		if (v->n + sizeof(ts) > XM_TCP_OPTS_MAX)
			continue;
		ob_load(&ob, 0, ts, sizeof(ts), sizeof(ts) + v->n);
		memcpy(ob.b + sizeof(ts), v->bytes, v->n);
		check_parse(&ob, sizeof(ts), v->name, v->n, &v->exp);

		/* Appending after the timestamps gives the same area. */
		struct xm_optbuf built;

		ob_load(&built, 0, ts, sizeof(ts), sizeof(ts));
		assert_int_equal(xm_mptcp_opt_append(&built, &v->exp), v->n);
		assert_int_equal(built.len, sizeof(ts) + v->n);
		assert_memory_equal(built.b, ob.b, built.len);
	}
}

/* Bytes past ob->len never change the result: the parser does not use them. */
static void test_vectors_ignore_bytes_past_len(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct xm_optbuf ob;

		ob_load(&ob, 0, v->bytes, v->n, v->n);
		memset(ob.b + v->n, 0xff, XM_OPTBUF_SIZE - v->n);
		check_parse(&ob, 0, v->name, v->n, &v->exp);
	}
}

/* Each cut of each vector, and a length byte < 2, is TRUNCATED. */
static void test_truncation_every_cut(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct xm_optbuf ob;

		for (__u32 cut = 0; cut < v->n; cut++) {
			struct xm_mptcp_opt zero;

			ob_load(&ob, 0, v->bytes, v->n, cut);
			memset(&zero, 0, sizeof(zero));
			/* Out is cleared; len is only reported once it fits. */
			check_parse(&ob, 0, v->name, -XM_OPT_E_TRUNCATED, &zero);
		}
		/* The same cut as seen from an offset inside the area. */
		ob_load(&ob, 0, (const __u8[]){1, 1}, 2, 2 + v->n - 1);
		memcpy(ob.b + 2, v->bytes, v->n);
		check_parse(&ob, 2, v->name, -XM_OPT_E_TRUNCATED, NULL);
	}
}

struct bad {
	const char *name;
	__u8 n;
	__u8 bytes[XM_TCP_OPTS_MAX];
	int err;
	__u8 subtype; /* expected out->subtype and out->len on error */
	__u8 len;
};

/* Malformed options not covered by the sweeps below, with their exact error. */
static const struct bad bads[] = {
	{"length byte 0", 4, {0x1e, 0, 0x20, 0}, -XM_OPT_E_TRUNCATED, 0, 0},
	{"length byte 1", 4, {0x1e, 1, 0x20, 0}, -XM_OPT_E_TRUNCATED, 0, 0},
	{"length 2: no subtype", 4, {0x1e, 2, 0x20, 0}, -XM_OPT_E_LENGTH, 0, 2},
	{"length runs past end", 6, {0x1e, 8, 0x20, 0x01, 0, 0}, -XM_OPT_E_TRUNCATED, 0, 0},
	{"not mptcp (timestamps)", 10, {8, 10}, -XM_OPT_E_NOT_MPTCP, 0, 0},
	{"not mptcp (nop)", 4, {1, 0x1e, 4, 0x20}, -XM_OPT_E_NOT_MPTCP, 0, 0},
	/* MP_CAPABLE version: RFC 6824 v0 at every v0 length, and a future v2. */
	{"mpc v0 syn", 12, {0x1e, 12, 0x00, 0x01, K1}, -XM_OPT_E_VERSION, 0, 12},
	{"mpc v0 ack", 20, {0x1e, 20, 0x00, 0x01, K1, K2}, -XM_OPT_E_VERSION, 0, 20},
	{"mpc v2 syn", 4, {0x1e, 4, 0x02, 0x01}, -XM_OPT_E_VERSION, 0, 4},
	{"mpc v15 odd length", 5, {0x1e, 5, 0x0f, 0x01, 0}, -XM_OPT_E_VERSION, 0, 5},
	/* MP_CAPABLE flags (kernel and RFC 8684 §3.1: such an option is ignored). */
	{"mpc B set", 4, {0x1e, 4, 0x01, 0x41}, -XM_OPT_E_FLAGS, 0, 4},
	{"mpc no crypto bit", 4, {0x1e, 4, 0x01, 0x80}, -XM_OPT_E_FLAGS, 0, 4},
	{"mpc D with H", 12, {0x1e, 12, 0x01, 0x11, K1}, -XM_OPT_E_FLAGS, 0, 12},
	{"mpc G only", 20, {0x1e, 20, 0x01, 0x02, K1, K2}, -XM_OPT_E_FLAGS, 0, 20},
	/* ADD_ADDR with the length of the other E value. */
	{"add_addr echo at hmac length",
	 16,
	 {0x1e, 16, 0x31, 1, A4_1, HM},
	 -XM_OPT_E_LENGTH,
	 XM_MPTCP_ADD_ADDR,
	 16},
	{"add_addr hmac at echo length",
	 8,
	 {0x1e, 8, 0x30, 1, A4_1},
	 -XM_OPT_E_LENGTH,
	 XM_MPTCP_ADD_ADDR,
	 8},
	{"add_addr v6 echo at hmac length",
	 28,
	 {0x1e, 28, 0x31, 3, A6_1, HM},
	 -XM_OPT_E_LENGTH,
	 XM_MPTCP_ADD_ADDR,
	 28},
	{"rm_addr no id", 3, {0x1e, 3, 0x40}, -XM_OPT_E_LENGTH, XM_MPTCP_REMOVE_ADDR, 3},
	{"rm_addr 9 ids",
	 12,
	 {0x1e, 12, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	 -XM_OPT_E_LENGTH,
	 XM_MPTCP_REMOVE_ADDR,
	 12},
	{"mp_prio RFC 6824 length 4", 4, {0x1e, 4, 0x51, 2}, -XM_OPT_E_LENGTH, XM_MPTCP_MP_PRIO, 4},
	{"dss a without A", 12, {0x1e, 12, 0x20, 0x02, K1}, -XM_OPT_E_FLAGS, XM_MPTCP_DSS, 12},
	{"dss m without M", 4, {0x1e, 4, 0x20, 0x08}, -XM_OPT_E_FLAGS, XM_MPTCP_DSS, 4},
	{"dss F without M", 8, {0x1e, 8, 0x20, 0x11, 0, 0, 0, 1}, -XM_OPT_E_FLAGS, XM_MPTCP_DSS, 8},
	{"dss csum without M",
	 10,
	 {0x1e, 10, 0x20, 0x01, 0, 0, 0, 1, 0xab, 0xcd},
	 -XM_OPT_E_LENGTH,
	 XM_MPTCP_DSS,
	 10},
};

static void test_bad_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		const struct bad *b = &bads[i];
		struct xm_mptcp_opt exp;
		struct xm_optbuf ob;

		memset(&exp, 0, sizeof(exp));
		exp.subtype = b->subtype;
		exp.len = b->len;
		if (b->err == -XM_OPT_E_VERSION)
			exp.mpc.version = b->bytes[2] & 0x0f;
		ob_load(&ob, 0, b->bytes, b->n, b->n);
		check_parse(&ob, 0, b->name, b->err, &exp);
	}
}

/* Subtypes 9..15 have no layout: E_SUBTYPE, with subtype and len reported. */
static void test_unknown_subtypes(void **state)
{
	for (__u8 st = 9; st <= 15; st++) {
		__u8 bytes[] = {0x1e, 6, (__u8)(st << 4), 0, 0, 0};
		struct xm_mptcp_opt exp;
		struct xm_optbuf ob;

		memset(&exp, 0, sizeof(exp));
		exp.subtype = st;
		exp.len = 6;
		ob_load(&ob, 0, bytes, sizeof(bytes), sizeof(bytes));
		check_parse(&ob, 0, "unknown subtype", -XM_OPT_E_SUBTYPE, &exp);
	}
}

struct len_rule {
	const char *name;
	__u8 byte2, byte3;
	__u8 valid[XM_RM_ADDR_MAX_IDS]; /* 0-terminated list of valid lengths */
};

/* Every length 2..40 of every fixed-layout subtype: only the RFC's lengths parse. */
static const struct len_rule len_rules[] = {
	{"mp_capable", 0x01, 0x01, {4, 12, 20, 22, 24}},
	{"mp_join", 0x10, 0x00, {12, 16, 24}},
	{"add_addr", 0x30, 0x01, {16, 18, 28, 30}},
	{"add_addr echo", 0x31, 0x01, {8, 10, 20, 22}},
	{"remove_addr", 0x40, 0x01, {4, 5, 6, 7, 8, 9, 10, 11}},
	{"mp_prio", 0x50, 0x00, {3}},
	{"mp_fail", 0x60, 0x00, {12}},
	{"mp_fastclose", 0x70, 0x00, {12}},
	{"mp_tcprst", 0x80, 0x00, {4}},
};

static int len_is_valid(const struct len_rule *r, __u32 len)
{
	for (size_t i = 0; i < ARRAY_SIZE(r->valid) && r->valid[i]; i++)
		if (r->valid[i] == len)
			return 1;
	return 0;
}

static void test_wrong_length_sweep(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(len_rules); i++) {
		const struct len_rule *r = &len_rules[i];

		for (__u32 len = 2; len <= XM_TCP_OPTS_MAX; len++) {
			__u8 bytes[XM_TCP_OPTS_MAX] = {0x1e, (__u8)len, r->byte2, r->byte3};
			struct xm_mptcp_opt out;
			struct xm_optbuf ob;
			int exp = len_is_valid(r, len) ? (int)len : -XM_OPT_E_LENGTH;
			int got;

			ob_load(&ob, 0, bytes, len, len);
			got = xm_mptcp_opt_parse(&ob, 0, &out);
			if (got != exp)
				print_error("%s length %u\n", r->name, len);
			assert_int_equal(got, exp);
			assert_int_equal(out.len, len);
		}
	}
}

/* DSS flags the codec accepts; see the consistency rules in mptcp_opt.h. */
static int dss_flags_valid(__u8 f)
{
	if ((f & XM_DSS_FLAG_a) && !(f & XM_DSS_FLAG_A))
		return 0;
	if ((f & (XM_DSS_FLAG_m | XM_DSS_FLAG_F)) && !(f & XM_DSS_FLAG_M))
		return 0;
	return 1;
}

/* Length from the RFC 8684 §3.3 figure, written independently of the codec. */
static __u32 dss_wire_len(__u8 f, int csum)
{
	__u32 l = 4;

	if (f & XM_DSS_FLAG_A)
		l += (f & XM_DSS_FLAG_a) ? 8 : 4;
	if (f & XM_DSS_FLAG_M)
		l += ((f & XM_DSS_FLAG_m) ? 8 : 4) + 4 + 2 + (csum ? 2 : 0);
	return l;
}

/* Hand-assemble the DSS wire form of the values used below. */
static __u32 dss_wire(__u8 *b, __u8 f, int csum)
{
	static const __u8 ack64[] = {K1}, dsn64[] = {Q1};
	__u32 p = 4;

	b[0] = 0x1e;
	b[1] = (__u8)dss_wire_len(f, csum);
	b[2] = 0x20;
	b[3] = f;
	if (f & XM_DSS_FLAG_A) {
		if (f & XM_DSS_FLAG_a) {
			memcpy(b + p, ack64, 8);
			p += 8;
		} else {
			memcpy(b + p, ack64 + 4, 4); /* low 32 bits */
			p += 4;
		}
	}
	if (f & XM_DSS_FLAG_M) {
		if (f & XM_DSS_FLAG_m) {
			memcpy(b + p, dsn64, 8);
			p += 8;
		} else {
			memcpy(b + p, dsn64 + 4, 4);
			p += 4;
		}
		memcpy(b + p, (const __u8[]){0xc0, 0xff, 0xee, 0x01, 0x05, 0xb4}, 6);
		p += 6;
		if (csum) {
			b[p++] = 0xfa;
			b[p++] = 0xce;
		}
	}
	return p;
}

/*
 * All 32 combinations of F m M a A: the 15 consistent ones parse and build
 * back, with and without checksum when there is a mapping, and every other
 * length is E_LENGTH; the 17 others are E_FLAGS (parser) / E_INVALID (builder).
 */
static void test_dss_all_flag_combinations(void **state)
{
	unsigned int n_valid = 0, n_variants = 0;

	for (__u8 f = 0; f < 32; f++) {
		for (int csum = 0; csum <= 1; csum++) {
			struct xm_mptcp_opt exp, out;
			struct xm_optbuf ob, built;
			__u8 wire[XM_TCP_OPTS_MAX] = {0};
			__u32 n;

			if (csum && !(f & XM_DSS_FLAG_M))
				continue;
			memset(&exp, 0, sizeof(exp));
			exp.subtype = XM_MPTCP_DSS;
			exp.dss.flags = f;
			exp.dss.has_csum = (__u8)csum;
			if (f & XM_DSS_FLAG_A)
				exp.dss.data_ack = (f & XM_DSS_FLAG_a) ? K1_N : (__u32)K1_N;
			if (f & XM_DSS_FLAG_M) {
				exp.dss.dsn = (f & XM_DSS_FLAG_m) ? Q1_N : (__u32)Q1_N;
				exp.dss.ssn = 0xc0ffee01;
				exp.dss.data_len = 1460;
				exp.dss.csum = csum ? 0xface : 0;
			}
			n = dss_wire(wire, f, csum);
			exp.len = (__u8)n;

			if (!dss_flags_valid(f)) {
				struct xm_mptcp_opt zero;

				memset(&zero, 0, sizeof(zero));
				zero.subtype = XM_MPTCP_DSS;
				zero.len = (__u8)n;
				ob_load(&ob, 0, wire, n, n);
				check_parse(&ob, 0, "inconsistent dss", -XM_OPT_E_FLAGS, &zero);
				memset(&built, 0, sizeof(built));
				assert_int_equal(xm_mptcp_opt_len(&exp), -XM_OPT_E_INVALID);
				assert_int_equal(xm_mptcp_opt_append(&built, &exp),
						 -XM_OPT_E_INVALID);
				assert_int_equal(built.len, 0);
				continue;
			}
			if (!csum)
				n_valid++;
			n_variants++;
			assert_int_equal(n, dss_wire_len(f, csum));
			assert_true(n <= XM_DSS_LEN_MAX);

			/* wire -> struct */
			ob_load(&ob, 0, wire, n, n);
			check_parse(&ob, 0, "dss combination", (int)n, &exp);
			/* struct -> wire */
			memset(&built, 0, sizeof(built));
			assert_int_equal(xm_mptcp_opt_len(&exp), (int)n);
			assert_int_equal(xm_mptcp_opt_append(&built, &exp), (int)n);
			assert_memory_equal(built.b, wire, n);
			/* wire -> struct -> wire */
			assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), (int)n);
			memset(&built, 0, sizeof(built));
			assert_int_equal(xm_mptcp_opt_append(&built, &out), (int)n);
			assert_memory_equal(built.b, wire, n);

			/* Every other length for these flags: E_LENGTH (each cut: TRUNCATED). */
			if (csum)
				continue;
			for (__u32 len = 3; len <= XM_TCP_OPTS_MAX; len++) {
				int exp_r = (len == n || ((f & XM_DSS_FLAG_M) && len == n + 2))
						    ? (int)len
						    : -XM_OPT_E_LENGTH;

				ob_load(&ob, 0, wire, n, XM_TCP_OPTS_MAX);
				ob.b[1] = (__u8)len;
				if (xm_mptcp_opt_parse(&ob, 0, &out) != exp_r)
					print_error("dss flags 0x%x length %u\n", f, len);
				assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), exp_r);
			}
		}
	}
	/* A: 3 states (none, A, Aa) x M: 5 states (none, M, Mm, MF, MmF). */
	assert_int_equal(n_valid, 15);
	/* ... plus a checksum variant for each of the 12 with a mapping. */
	assert_int_equal(n_variants, 27);
}

/* The builder writes the low 32 bits when 'a'/'m' ask for the short form. */
static void test_dss_short_fields_truncate(void **state)
{
	struct xm_mptcp_opt in = {.subtype = XM_MPTCP_DSS,
				  .dss = {.flags = XM_DSS_FLAG_A | XM_DSS_FLAG_M,
					  .data_ack = 0x1122334455667788ULL,
					  .dsn = 0x99aabbccddeeff00ULL,
					  .ssn = 7,
					  .data_len = 9}};
	static const __u8 wire[] = {0x1e, 18,	0x20, 0x05, 0x55, 0x66, 0x77, 0x88, 0xdd,
				    0xee, 0xff, 0x00, 0,    0,	  0,	7,    0,    9};
	struct xm_optbuf ob = {0};

	assert_int_equal(xm_mptcp_opt_append(&ob, &in), sizeof(wire));
	assert_memory_equal(ob.b, wire, sizeof(wire));
}

/* Reserved bits are ignored on parse (RFC 8684) and written as 0. */
static void test_reserved_bits(void **state)
{
	static const struct {
		const char *name;
		__u8 n;
		__u8 in[XM_TCP_OPTS_MAX];
		__u8 canon[XM_TCP_OPTS_MAX];
	} cases[] = {
		{"dss", 8, {0x1e, 8, 0x2f, 0xe1, 0, 0, 0, 9}, {0x1e, 8, 0x20, 0x01, 0, 0, 0, 9}},
		{"mpj syn",
		 12,
		 {0x1e, 12, 0x1f, 5, 1, 2, 3, 4, 5, 6, 7, 8},
		 {0x1e, 12, 0x11, 5, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"mpj ack", 24, {0x1e, 24, 0x1f, 0xff, HMAC20}, {0x1e, 24, 0x10, 0x00, HMAC20}},
		{"add_addr", 8, {0x1e, 8, 0x3f, 1, A4_1}, {0x1e, 8, 0x31, 1, A4_1}},
		{"rm_addr", 4, {0x1e, 4, 0x4f, 3}, {0x1e, 4, 0x40, 3}},
		{"mp_prio", 3, {0x1e, 3, 0x5e}, {0x1e, 3, 0x50}},
		{"mp_fail", 12, {0x1e, 12, 0x6f, 0xff, K1}, {0x1e, 12, 0x60, 0x00, K1}},
		{"mp_fastclose", 12, {0x1e, 12, 0x7f, 0xff, K1}, {0x1e, 12, 0x70, 0x00, K1}},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xm_optbuf ob, built = {0};
		struct xm_mptcp_opt out;

		ob_load(&ob, 0, cases[i].in, cases[i].n, cases[i].n);
		if (xm_mptcp_opt_parse(&ob, 0, &out) != cases[i].n)
			print_error("case '%s'\n", cases[i].name);
		assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), cases[i].n);
		assert_int_equal(xm_mptcp_opt_append(&built, &out), cases[i].n);
		assert_memory_equal(built.b, cases[i].canon, cases[i].n);
	}
}

/* Offsets and lengths outside the area. */
static void test_parse_bounds(void **state)
{
	struct xm_optbuf ob;
	struct xm_mptcp_opt out;

	ob_load(&ob, 0, (const __u8[]){0x1e, 4, 0x20, 0}, 4, 4);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 4, &out), -XM_OPT_E_TRUNCATED);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 1000, &out), -XM_OPT_E_TRUNCATED);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 0xffffffffu, &out), -XM_OPT_E_TRUNCATED);
	/* Kind as the last byte of the area: no length byte. */
	ob_load(&ob, 0, (const __u8[]){1, 1, 1, 0x1e}, 4, 4);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 3, &out), -XM_OPT_E_TRUNCATED);
	/* An empty area. */
	ob_load(&ob, 0, NULL, 0, 0);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), -XM_OPT_E_TRUNCATED);
	/* ob->len beyond what TCP allows is a caller bug. */
	ob_load(&ob, 0, (const __u8[]){0x1e, 4, 0x20, 0}, 4, XM_TCP_OPTS_MAX + 1);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 0, &out), -XM_OPT_E_INVALID);
	/* A 40-byte area whose last option ends exactly at its end. */
	ob_load(&ob, 0, NULL, 0, XM_TCP_OPTS_MAX);
	memset(ob.b, 1, XM_TCP_OPTS_MAX);
	memcpy(ob.b + 36, (const __u8[]){0x1e, 4, 0x8f, 1}, 4);
	assert_int_equal(xm_mptcp_opt_parse(&ob, 36, &out), 4);
	assert_int_equal(out.tcprst.reason, 1);
}

struct inval {
	const char *name;
	struct xm_mptcp_opt in;
};

/* Parsed forms that are not a valid option: the builder refuses them. */
static const struct inval invals[] = {
	{"unknown subtype", {.subtype = 9}},
	{"experimental subtype", {.subtype = XM_MPTCP_MP_EXPERIMENTAL}},
	{"mpc version 0", {.subtype = 0, .mpc = {.version = 0, .flags = XM_MPC_FLAG_H}}},
	{"mpc B", {.subtype = 0, .mpc = {.version = 1, .flags = 0x41}}},
	{"mpc no H", {.subtype = 0, .mpc = {.version = 1, .flags = 0x80}}},
	{"mpc D", {.subtype = 0, .mpc = {.version = 1, .flags = 0x11}}},
	{"mpc receiver key alone",
	 {.subtype = 0, .mpc = {.version = 1, .flags = 1, .has_receiver_key = 1}}},
	{"mpc data_len without keys",
	 {.subtype = 0, .mpc = {.version = 1, .flags = 1, .has_sender_key = 1, .has_data_len = 1}}},
	{"mpc csum without data_len",
	 {.subtype = 0,
	  .mpc = {.version = 1,
		  .flags = 1,
		  .has_sender_key = 1,
		  .has_receiver_key = 1,
		  .has_csum = 1}}},
	{"mpc has_sender_key 2",
	 {.subtype = 0, .mpc = {.version = 1, .flags = 1, .has_sender_key = 2}}},
	{"mpj kind_of 3", {.subtype = 1, .join = {.kind_of = 3}}},
	{"mpj flags 2", {.subtype = 1, .join = {.kind_of = XM_MPJ_SYN, .flags = 2}}},
	{"mpj ack with B", {.subtype = 1, .join = {.kind_of = XM_MPJ_ACK, .flags = 1}}},
	{"dss reserved flag", {.subtype = 2, .dss = {.flags = 0x20}}},
	{"dss csum without M", {.subtype = 2, .dss = {.flags = XM_DSS_FLAG_A, .has_csum = 1}}},
	{"dss has_csum 2", {.subtype = 2, .dss = {.flags = XM_DSS_FLAG_M, .has_csum = 2}}},
	{"add_addr ip_ver 5", {.subtype = 3, .add_addr = {.ip_ver = 5, .has_hmac = 1}}},
	{"add_addr ip_ver 0", {.subtype = 3, .add_addr = {.echo = 1}}},
	{"add_addr echo with hmac",
	 {.subtype = 3, .add_addr = {.ip_ver = 4, .echo = 1, .has_hmac = 1}}},
	{"add_addr no echo no hmac", {.subtype = 3, .add_addr = {.ip_ver = 4}}},
	{"add_addr echo 2", {.subtype = 3, .add_addr = {.ip_ver = 4, .echo = 2}}},
	{"add_addr has_port 2",
	 {.subtype = 3, .add_addr = {.ip_ver = 4, .has_hmac = 1, .has_port = 2}}},
	{"rm_addr 0 ids", {.subtype = 4, .rm_addr = {.n_ids = 0}}},
	{"rm_addr 9 ids", {.subtype = 4, .rm_addr = {.n_ids = 9}}},
	{"mp_prio backup 2", {.subtype = 5, .prio = {.backup = 2}}},
	{"mp_tcprst flag 0x10", {.subtype = 8, .tcprst = {.flags = 0x10}}},
};

static void test_builder_invalid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(invals); i++) {
		struct xm_optbuf ob = {0};

		if (xm_mptcp_opt_append(&ob, &invals[i].in) != -XM_OPT_E_INVALID)
			print_error("case '%s'\n", invals[i].name);
		assert_int_equal(xm_mptcp_opt_len(&invals[i].in), -XM_OPT_E_INVALID);
		assert_int_equal(xm_mptcp_opt_append(&ob, &invals[i].in), -XM_OPT_E_INVALID);
		assert_int_equal(ob.len, 0);
		for (size_t j = 0; j < sizeof(ob.b); j++)
			assert_int_equal(ob.b[j], 0);
	}
	/* A buffer whose len is already beyond what TCP allows. */
	struct xm_optbuf ob = {.len = XM_TCP_OPTS_MAX + 1};

	assert_int_equal(xm_mptcp_opt_append(&ob, &vecs[0].exp), -XM_OPT_E_INVALID);
	assert_int_equal(ob.len, XM_TCP_OPTS_MAX + 1);
}

/* The capacity is XM_TCP_OPTS_MAX: a full DSS after timestamps just fits. */
static void test_builder_nospace(void **state)
{
	const struct vec *dss28 = NULL, *prio = NULL;
	struct xm_optbuf ob, before;

	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		if (vecs[i].n == 28 && vecs[i].exp.subtype == XM_MPTCP_DSS)
			dss28 = &vecs[i];
		if (vecs[i].exp.subtype == XM_MPTCP_MP_PRIO)
			prio = &vecs[i];
	}
	assert_non_null(dss28);
	assert_non_null(prio);

	ob_load(&ob, 0, (const __u8[]){1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 12, 12);
	assert_int_equal(xm_mptcp_opt_append(&ob, &dss28->exp), 28);
	assert_int_equal(ob.len, XM_TCP_OPTS_MAX);

	/* Full: even 3 bytes do not fit, and nothing is written. */
	before = ob;
	assert_int_equal(xm_mptcp_opt_append(&ob, &prio->exp), -XM_OPT_E_NOSPACE);
	assert_memory_equal(&ob, &before, sizeof(ob));

	/* One byte short, for every vector. */
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		ob_load(&ob, 0, NULL, 0, XM_TCP_OPTS_MAX - vecs[i].n + 1);
		before = ob;
		assert_int_equal(xm_mptcp_opt_append(&ob, &vecs[i].exp), -XM_OPT_E_NOSPACE);
		assert_memory_equal(&ob, &before, sizeof(ob));
		/* ... and exactly enough. */
		ob.len = XM_TCP_OPTS_MAX - vecs[i].n;
		assert_int_equal(xm_mptcp_opt_append(&ob, &vecs[i].exp), vecs[i].n);
		assert_int_equal(ob.len, XM_TCP_OPTS_MAX);
	}
}

/* Several options appended back to back parse back one by one. */
static void test_builder_sequence(void **state)
{
	static const char *const picked[] = {"mpc syn", "dss ack32", "rm_addr 8", "mp_prio regular",
					     "mp_tcprst transient"};
	struct xm_optbuf ob = {0};
	__u32 off = 0;

	for (size_t i = 0; i < ARRAY_SIZE(picked); i++) {
		const struct vec *v = find_vec(picked[i]);

		assert_int_equal(xm_mptcp_opt_append(&ob, &v->exp), v->n);
	}
	for (size_t i = 0; i < ARRAY_SIZE(picked); i++) {
		const struct vec *v = find_vec(picked[i]);

		check_parse(&ob, off, v->name, v->n, &v->exp);
		off += v->n;
	}
	assert_int_equal(off, ob.len);
}

struct walk_step {
	__u8 off, kind, len;
};

struct walk_case {
	const char *name;
	__u8 n;
	__u8 bytes[XM_TCP_OPTS_MAX];
	__u8 n_steps;
	struct walk_step steps[XM_TCPOPT_WALK_MAX];
	int final; /* ob->len, or a negated error */
};

static const struct walk_case walks[] = {
	{"empty", 0, {0}, 0, {{0}}, 0},
	{"nop nop timestamps", 12, {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 1, {{2, 8, 10}}, 12},
	{"linux syn: mss sackok ts nop ws",
	 20,
	 {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7},
	 4,
	 {{0, 2, 4}, {4, 4, 2}, {6, 8, 10}, {17, 3, 3}},
	 20},
	{"mptcp syn: mss sackok ts nop ws mpc",
	 24,
	 {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 0x1e, 4, 0x01, 0x81},
	 5,
	 {{0, 2, 4}, {4, 4, 2}, {6, 8, 10}, {17, 3, 3}, {20, 30, 4}},
	 24},
	{"ts then sack (one block)",
	 24,
	 {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9},
	 2,
	 {{2, 8, 10}, {14, 5, 10}},
	 24},
	{"ts dss dss rm_addr in one area",
	 40,
	 {1,	1,  8,	  10,	0, 0, 0, 1,  0, 0, 0, 2, 0x1e, 8,   0x20, 0x01, 0,    0, 0, 1,
	  0x1e, 14, 0x20, 0x04, 0, 0, 0, 42, 0, 0, 0, 1, 0,    100, 0x1e, 4,	0x40, 3, 1, 1},
	 4,
	 {{2, 8, 10}, {12, 30, 8}, {20, 30, 14}, {34, 30, 4}},
	 40},
	{"eol ends the area even with bytes after it",
	 12,
	 {0x1e, 4, 0x20, 0, 0, 8, 10, 0, 0, 0, 0, 0},
	 1,
	 {{0, 30, 4}},
	 12},
	{"trailing nops", 8, {0x1e, 4, 0x20, 0, 1, 1, 1, 1}, 1, {{0, 30, 4}}, 8},
	{"all nops",
	 40,
	 {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	 0,
	 {{0}},
	 40},
	{"length runs past the end",
	 16,
	 {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0x1e, 8, 0x20, 1},
	 1,
	 {{2, 8, 10}},
	 -XM_OPT_E_TRUNCATED},
	{"kind without length byte", 5, {2, 4, 5, 0xb4, 8}, 1, {{0, 2, 4}}, -XM_OPT_E_TRUNCATED},
	{"nops then kind without length byte", 4, {1, 1, 1, 0x1e}, 0, {{0}}, -XM_OPT_E_TRUNCATED},
	{"length byte 0", 4, {0x1e, 0, 1, 1}, 0, {{0}}, -XM_OPT_E_TRUNCATED},
	{"length byte 1", 4, {8, 1, 1, 1}, 0, {{0}}, -XM_OPT_E_TRUNCATED},
	{"20 two-byte options: the worst case",
	 40,
	 {0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2,
	  0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2, 0xfe, 2},
	 20,
	 {{0, 0xfe, 2},	 {2, 0xfe, 2},	{4, 0xfe, 2},  {6, 0xfe, 2},  {8, 0xfe, 2},
	  {10, 0xfe, 2}, {12, 0xfe, 2}, {14, 0xfe, 2}, {16, 0xfe, 2}, {18, 0xfe, 2},
	  {20, 0xfe, 2}, {22, 0xfe, 2}, {24, 0xfe, 2}, {26, 0xfe, 2}, {28, 0xfe, 2},
	  {30, 0xfe, 2}, {32, 0xfe, 2}, {34, 0xfe, 2}, {36, 0xfe, 2}, {38, 0xfe, 2}},
	 40},
};

/* Walk as the datapath does: a loop bounded by XM_TCPOPT_WALK_MAX. */
static void test_walker_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(walks); i++) {
		const struct walk_case *w = &walks[i];
		struct xm_optbuf ob;
		__u32 off = 0, step = 0;
		int r = 0, it;

		ob_load(&ob, 0, w->bytes, w->n, w->n);
		/* Bytes past the area must not be seen as options. */
		memset(ob.b + w->n, 0x1e, XM_OPTBUF_SIZE - w->n);
		for (it = 0; it < XM_TCPOPT_WALK_MAX; it++) {
			__u8 kind = 0xaa, len = 0xaa;

			r = xm_tcpopt_next(&ob, off, &kind, &len);
			if (r < 0 || (__u32)r == ob.len) {
				assert_int_equal(kind, XM_TCPOPT_EOL);
				assert_int_equal(len, 0);
				break;
			}
			if (step >= w->n_steps)
				print_error("walk '%s': extra option at %d\n", w->name, r);
			assert_true(step < w->n_steps);
			if (r != w->steps[step].off)
				print_error("walk '%s' step %u\n", w->name, step);
			assert_int_equal(r, w->steps[step].off);
			assert_int_equal(kind, w->steps[step].kind);
			assert_int_equal(len, w->steps[step].len);
			step++;
			off = (__u32)r + len;
		}
		if (r != w->final)
			print_error("walk '%s'\n", w->name);
		/* The bound is enough even for the worst case. */
		assert_true(it < XM_TCPOPT_WALK_MAX);
		assert_int_equal(r, w->final);
		assert_int_equal(step, w->n_steps);
	}
}

static void test_walker_bounds(void **state)
{
	struct xm_optbuf ob;
	__u8 kind, len;

	ob_load(&ob, 0, (const __u8[]){1, 1, 8, 10}, 4, 4);
	/* Starting at or past the end is the end. */
	assert_int_equal(xm_tcpopt_next(&ob, 4, &kind, &len), 4);
	assert_int_equal(xm_tcpopt_next(&ob, 200, &kind, &len), 4);
	assert_int_equal(kind, XM_TCPOPT_EOL);
	/* A caller bug: ob->len beyond what TCP allows. */
	ob.len = XM_TCP_OPTS_MAX + 1;
	assert_int_equal(xm_tcpopt_next(&ob, 0, &kind, &len), -XM_OPT_E_INVALID);
}

/* Walk and parse together: what the datapath does with each segment. */
static void test_walk_and_parse(void **state)
{
	const struct walk_case *w = NULL;
	static const __u8 expect_subtypes[] = {XM_MPTCP_DSS, XM_MPTCP_DSS, XM_MPTCP_REMOVE_ADDR};
	struct xm_optbuf ob;
	__u32 off = 0, n_mptcp = 0;

	for (size_t i = 0; i < ARRAY_SIZE(walks); i++)
		if (!strcmp(walks[i].name, "ts dss dss rm_addr in one area"))
			w = &walks[i];
	assert_non_null(w);
	ob_load(&ob, 0, w->bytes, w->n, w->n);
	for (int it = 0; it < XM_TCPOPT_WALK_MAX; it++) {
		struct xm_mptcp_opt o;
		__u8 kind, len;
		int r = xm_tcpopt_next(&ob, off, &kind, &len);

		assert_true(r >= 0);
		if ((__u32)r == ob.len)
			break;
		if (kind == XM_TCPOPT_MPTCP) {
			assert_int_equal(xm_mptcp_opt_parse(&ob, (__u32)r, &o), len);
			assert_true(n_mptcp < ARRAY_SIZE(expect_subtypes));
			assert_int_equal(o.subtype, expect_subtypes[n_mptcp]);
			n_mptcp++;
		} else {
			assert_int_equal(xm_mptcp_opt_parse(&ob, (__u32)r, &o),
					 -XM_OPT_E_NOT_MPTCP);
		}
		off = (__u32)r + len;
	}
	assert_int_equal(n_mptcp, ARRAY_SIZE(expect_subtypes));
}

/* Error values are ABI (xm_ev_opt_malformed.error): pin them. */
static void test_error_values_stable(void **state)
{
	assert_int_equal(XM_OPT_E_TRUNCATED, 1);
	assert_int_equal(XM_OPT_E_LENGTH, 2);
	assert_int_equal(XM_OPT_E_VERSION, 3);
	assert_int_equal(XM_OPT_E_FLAGS, 4);
	assert_int_equal(XM_OPT_E_SUBTYPE, 5);
	assert_int_equal(XM_OPT_E_NOT_MPTCP, 6);
	assert_int_equal(XM_OPT_E_NOSPACE, 7);
	assert_int_equal(XM_OPT_E_INVALID, 8);
	assert_true(XM_OPT_E__MAX <= 255); /* fits xm_ev_opt_malformed.error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_roundtrip),
		cmocka_unit_test(test_vectors_at_offset),
		cmocka_unit_test(test_vectors_ignore_bytes_past_len),
		cmocka_unit_test(test_truncation_every_cut),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_unknown_subtypes),
		cmocka_unit_test(test_wrong_length_sweep),
		cmocka_unit_test(test_dss_all_flag_combinations),
		cmocka_unit_test(test_dss_short_fields_truncate),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_builder_invalid),
		cmocka_unit_test(test_builder_nospace),
		cmocka_unit_test(test_builder_sequence),
		cmocka_unit_test(test_walker_table),
		cmocka_unit_test(test_walker_bounds),
		cmocka_unit_test(test_walk_and_parse),
		cmocka_unit_test(test_error_values_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
