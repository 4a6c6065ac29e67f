// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lib/crypto.c against published vectors: SHA-256 from FIPS 180-2 appendix B,
 * HMAC-SHA256 from RFC 4231 §4 (all seven cases), the kernel's own MPTCP HMAC
 * self-test vectors (net/mptcp/crypto.c, CONFIG_MPTCP_HMAC_TEST), and MPTCP
 * derivations whose expected values were computed with Python's hashlib/hmac
 * (an implementation independent of ours) from the RFC 8684 text. The kernel
 * capture in test_kernel_fixture.c checks the same functions against Linux.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto.h"
#include <xmptcp/sha256.h>

/* Parse hex into buf; returns the byte count. Test vectors only. */
static size_t unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		unsigned int v;

		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		buf[n++] = v;
	}
	return n;
}

/* Compare a digest with its hex form so that a failure prints both. */
static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	char hex[2 * 64 + 1];
	size_t i;

	assert_true(len <= 64);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	hex[2 * len] = 0;
	assert_string_equal(hex, want);
}

static void test_sha256_fips(void **state)
{
	uint8_t d[XM_SHA256_DIGEST_LEN];
	char *million;

	/* FIPS 180-2 appendix B.1, B.2, B.3. */
	assert_int_equal(xm_sha256("abc", 3, d), 0);
	assert_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	assert_int_equal(
		xm_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d), 0);
	assert_hex(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	assert_int_equal(xm_sha256(million, 1000000, d), 0);
	assert_hex(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);

	/* The empty message (well known; not in FIPS 180-2). */
	assert_int_equal(xm_sha256(NULL, 0, d), 0);
	assert_hex(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Lengths around the padding boundaries: 55 is the longest message whose
 * padding fits in one block, 56..63 need a second one. Values from hashlib. */
static void test_sha256_padding_edges(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
		{120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
	};
	uint8_t a[128], d[XM_SHA256_DIGEST_LEN];

	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(xm_sha256(a, v[i].n, d), 0);
		assert_hex(d, 32, v[i].hex);
	}
}

/* Any split of the input into update() calls gives the one-shot digest. */
static void test_sha256_incremental(void **state)
{
	uint8_t msg[300], one[XM_SHA256_DIGEST_LEN], inc[XM_SHA256_DIGEST_LEN];
	struct xm_sha256 ctx;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof(msg); len += 13) {
		assert_int_equal(xm_sha256(msg, len, one), 0);
		for (size_t chunk = 1; chunk <= 130; chunk += 17) {
			assert_int_equal(xm_sha256_init(&ctx), 0);
			for (size_t off = 0; off < len; off += chunk) {
				size_t n = len - off < chunk ? len - off : chunk;

				assert_int_equal(xm_sha256_update(&ctx, msg + off, n), 0);
			}
			assert_int_equal(xm_sha256_final(&ctx, inc), 0);
			assert_memory_equal(one, inc, sizeof(one));
		}
	}
}

static void test_sha256_bad_input(void **state)
{
	uint8_t d[XM_SHA256_DIGEST_LEN];
	struct xm_sha256 ctx;

	assert_int_equal(xm_sha256_init(NULL), -EINVAL);
	assert_int_equal(xm_sha256(NULL, 1, d), -EINVAL);
	assert_int_equal(xm_sha256("x", 1, NULL), -EINVAL);
	assert_int_equal(xm_sha256_init(&ctx), 0);
	assert_int_equal(xm_sha256_update(&ctx, NULL, 5), -EINVAL);
	assert_int_equal(xm_sha256_update(&ctx, NULL, 0), 0);
	/* A length that would pass the FIPS 180-4 limit of 2^64 - 1 bits. */
	ctx.total = (UINT64_C(1) << 61) - 2;
	assert_int_equal(xm_sha256_update(&ctx, "ab", 2), -EOVERFLOW);
	assert_int_equal(xm_sha256_final(&ctx, NULL), -EINVAL);
}

/* RFC 4231 §4.2 - §4.8: every test case, hex key and data as printed there. */
static void test_hmac_rfc4231(void **state)
{
	static const char tc6_data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	static const char tc7_data[] =
		"This is a test using a larger than block-size key and a larger than block-size "
		"data. The key needs to be hashed before being used by the HMAC algorithm.";
	uint8_t key[131], data[160], mac[XM_SHA256_DIGEST_LEN];
	size_t kl, dl;

	/* Test case 1 */
	memset(key, 0x0b, 20);
	assert_int_equal(xm_hmac_sha256(key, 20, "Hi There", 8, mac), 0);
	assert_hex(mac, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	/* Test case 2: a key shorter than the output. */
	assert_int_equal(xm_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	assert_hex(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* Test case 3 */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	assert_int_equal(xm_hmac_sha256(key, 20, data, 50, mac), 0);
	assert_hex(mac, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	/* Test case 4 */
	kl = unhex("0102030405060708090a0b0c0d0e0f10111213141516171819", key, sizeof(key));
	assert_int_equal(kl, 25);
	memset(data, 0xcd, 50);
	assert_int_equal(xm_hmac_sha256(key, kl, data, 50, mac), 0);
	assert_hex(mac, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

	/* Test case 5: the RFC gives only the leftmost 128 bits. */
	memset(key, 0x0c, 20);
	assert_int_equal(xm_hmac_sha256(key, 20, "Test With Truncation", 20, mac), 0);
	assert_hex(mac, 16, "a3b6167473100ee06e0c796c2955552b");

	/* Test case 6: a 131-byte key, longer than the block, is hashed first. */
	memset(key, 0xaa, 131);
	dl = strlen(tc6_data);
	assert_int_equal(xm_hmac_sha256(key, 131, tc6_data, dl, mac), 0);
	assert_hex(mac, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	/* Test case 7: long key and data longer than the block. */
	dl = strlen(tc7_data);
	assert_int_equal(dl, 152);
	assert_int_equal(xm_hmac_sha256(key, 131, tc7_data, dl, mac), 0);
	assert_hex(mac, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_hmac_bad_input(void **state)
{
	uint8_t mac[XM_SHA256_DIGEST_LEN];

	assert_int_equal(xm_hmac_sha256(NULL, 1, "m", 1, mac), -EINVAL);
	assert_int_equal(xm_hmac_sha256("k", 1, NULL, 1, mac), -EINVAL);
	assert_int_equal(xm_hmac_sha256("k", 1, "m", 1, NULL), -EINVAL);
	/* An empty key and message are valid HMAC inputs. */
	assert_int_equal(xm_hmac_sha256(NULL, 0, NULL, 0, mac), 0);
	assert_hex(mac, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* RFC 8684 §3.1: token = top 32 bits, IDSN = low 64 bits of SHA-256(key). */
/*
 * The datapath derives the peer's token and IDSN with the one-block path of
 * include/xmptcp/sha256.h; it must agree with the general SHA-256 for any key.
 */
static void test_key_one_block_matches_general(void **state)
{
	uint64_t key = 0x0123456789abcdefULL;

	for (int i = 0; i < 1000; i++) {
		__u32 w[XM_SHA256_SCHED_WORDS], tok_bpf;
		uint32_t tok;
		__u64 idsn_bpf;
		uint64_t idsn;

		xm_sha256_mptcp_key(key, w, &tok_bpf, &idsn_bpf);
		assert_int_equal(xm_mptcp_key_sha(key, &tok, &idsn), 0);
		assert_int_equal(tok_bpf, tok);
		assert_int_equal(idsn_bpf, idsn);
		key = key * 6364136223846793005ULL + 1442695040888963407ULL;
	}
}

static void test_token_idsn(void **state)
{
	static const struct {
		uint64_t key;
		uint32_t token;
		uint64_t idsn;
	} v[] = {
		{0, 0xaf5570f5, 0xe5b2328de0e83dfcULL},
		{1, 0xcd266215, 0x19ec509083d00a50ULL},
		{0x0123456789abcdefULL, 0x55c53f5d, 0x570762cd38be9818ULL},
		{0xffffffffffffffffULL, 0x12a3ae44, 0x57fb595bbbacf0caULL},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t token = 0;
		uint64_t idsn = 0;
		uint8_t be[8], d[XM_SHA256_DIGEST_LEN];

		assert_int_equal(xm_mptcp_key_sha(v[i].key, &token, &idsn), 0);
		assert_int_equal(token, v[i].token);
		assert_int_equal(idsn, v[i].idsn);
		assert_int_equal(xm_mptcp_token(v[i].key), v[i].token);
		assert_int_equal(xm_mptcp_idsn(v[i].key), v[i].idsn);
		assert_int_equal(xm_mptcp_key_sha(v[i].key, NULL, NULL), 0);

		/* Same thing spelled out: the key is hashed as 8 big-endian
		 * bytes, the token is digest[0..3], the IDSN digest[24..31]. */
		for (int b = 0; b < 8; b++)
			be[b] = (uint8_t)(v[i].key >> (56 - 8 * b));
		assert_int_equal(xm_sha256(be, 8, d), 0);
		assert_int_equal(token, (uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3]);
		assert_int_equal(idsn & 0xff, d[31]);
		assert_int_equal(idsn >> 56, d[24]);
	}
}

/*
 * The kernel's self-test vectors (net/mptcp/crypto.c): the 16-byte keys and
 * 8-byte messages there are ASCII strings, which as MPTCP keys and nonces
 * read big-endian give the numbers below.
 */
static void test_join_hmac_kernel_vectors(void **state)
{
	static const struct {
		uint64_t k1, k2;
		uint32_t n1, n2;
		const char *hex;
	} v[] = {
		{0x3062306230623062ULL, 0x3062306230623062ULL, 0x34383639, 0x32303534,
		 "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa"},
		{0x6161616161616161ULL, 0x6161616161616161ULL, 0x64646464, 0x64646464,
		 "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9"},
		{0x3031303230333034ULL, 0x3035303630373038ULL, 0x63646364, 0x63646364,
		 "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d"},
	};
	uint8_t mac[XM_SHA256_DIGEST_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(xm_mptcp_join_hmac(v[i].k1, v[i].k2, v[i].n1, v[i].n2, mac), 0);
		assert_hex(mac, 32, v[i].hex);
	}
}

/*
 * RFC 8684 §3.2 with distinct keys, so that a swapped order is caught:
 * B's SYN-ACK carries HMAC(Key-B||Key-A, R-B||R-A) truncated to the leftmost
 * 64 bits; A's third ACK carries HMAC(Key-A||Key-B, R-A||R-B), leftmost 160.
 */
#define KEY_A	0x0123456789abcdefULL
#define KEY_B	0xfedcba9876543210ULL
#define NONCE_A 0x11223344u
#define NONCE_B 0xaabbccddu

static void test_join_hmacs(void **state)
{
	uint8_t mac[XM_SHA256_DIGEST_LEN], ack[XM_MPJ_ACK_HMAC_LEN];

	assert_int_equal(xm_mptcp_join_hmac(KEY_B, KEY_A, NONCE_B, NONCE_A, mac), 0);
	assert_hex(mac, 32, "3bae5abc810a33c2e293af8b4572e4827e89510eea113d42098dff12ea4fad3f");
	assert_int_equal(xm_mptcp_join_synack_hmac(KEY_B, KEY_A, NONCE_B, NONCE_A),
			 0x3bae5abc810a33c2ULL);

	assert_int_equal(xm_mptcp_join_ack_hmac(KEY_A, KEY_B, NONCE_A, NONCE_B, ack), 0);
	assert_hex(ack, sizeof(ack), "f61753d6b8ac227764b9d1b17a6f5ceeec9d1a8a");

	/* The two directions must differ, or one end could replay the other. */
	assert_int_not_equal(xm_mptcp_join_synack_hmac(KEY_A, KEY_B, NONCE_A, NONCE_B),
			     0x3bae5abc810a33c2ULL);
	assert_int_equal(xm_mptcp_join_ack_hmac(KEY_A, KEY_B, NONCE_A, NONCE_B, NULL), -EINVAL);
	assert_int_equal(xm_mptcp_join_hmac(KEY_A, KEY_B, NONCE_A, NONCE_B, NULL), -EINVAL);
}

/*
 * RFC 8684 §3.4.1: HMAC(Key = sender||receiver, Msg = id||addr||port), the
 * port always 2 bytes (0 when absent), truncated to the *rightmost* 64 bits.
 */
static void test_add_addr_hmac(void **state)
{
	static const uint8_t v4[4] = {198, 18, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t msg[7], mac[XM_SHA256_DIGEST_LEN], keys[16];
	uint64_t h = 0, tail;

	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 4, v4, 0, &h), 0);
	assert_int_equal(h, 0xdffd136d2537d032ULL);
	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 4, v4, 8080, &h), 0);
	assert_int_equal(h, 0x38603416f0210af2ULL);
	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_B, KEY_A, 9, 6, v6, 443, &h), 0);
	assert_int_equal(h, 0xfa42a586a8662bbaULL);

	/* The same without the MPTCP wrapper: a 2-byte zero port is hashed
	 * and the last 8 digest bytes are kept. */
	for (int i = 0; i < 8; i++) {
		keys[i] = (uint8_t)(KEY_A >> (56 - 8 * i));
		keys[8 + i] = (uint8_t)(KEY_B >> (56 - 8 * i));
	}
	msg[0] = 5;
	memcpy(msg + 1, v4, 4);
	msg[5] = 0;
	msg[6] = 0;
	assert_int_equal(xm_hmac_sha256(keys, 16, msg, 7, mac), 0);
	tail = 0;
	for (int i = 24; i < 32; i++)
		tail = tail << 8 | mac[i];
	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 4, v4, 0, &h), 0);
	assert_int_equal(h, tail);

	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 5, v4, 0, &h), -EAFNOSUPPORT);
	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 4, NULL, 0, &h), -EINVAL);
	assert_int_equal(xm_mptcp_add_addr_hmac(KEY_A, KEY_B, 5, 4, v4, 0, NULL), -EINVAL);
}

/*
 * Reference one's complement sum, written differently from lib/crypto.c on
 * purpose (RFC 1071 style: 32-bit sum, end-around carry after every add,
 * over one contiguous buffer padded with a zero byte).
 */
static uint16_t ref_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t len, const uint8_t *p, size_t n)
{
	uint8_t *buf = calloc(1, 16 + n + 1);
	uint32_t sum = 0;
	size_t i;

	assert_non_null(buf);
	for (i = 0; i < 8; i++)
		buf[i] = (uint8_t)(dsn >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		buf[8 + i] = (uint8_t)(ssn >> (24 - 8 * i));
	buf[12] = len >> 8;
	buf[13] = len & 0xff;
	memcpy(buf + 16, p, n);
	for (i = 0; i < 16 + n; i += 2) {
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
		if (sum > 0xffff)
			sum = (sum & 0xffff) + 1;
	}
	free(buf);
	return (uint16_t)~sum;
}

static void test_dss_csum_hand(void **state)
{
	static const uint8_t one = 0xff;
	uint16_t c = 0;

	/* Words: 0000 0000 0000 0001 | 0000 0001 | 0001 | 0000 | ff00 (the odd
	 * byte is the high half of a zero-padded word): sum 0xff03, ~ 0x00fc. */
	assert_int_equal(xm_dss_csum(1, 1, 1, &one, 1, &c), 0);
	assert_int_equal(c, 0x00fc);

	/* Nothing but the pseudo-header of zeros: sum 0, checksum 0xffff. */
	assert_int_equal(xm_dss_csum(0, 0, 0, NULL, 0, &c), 0);
	assert_int_equal(c, 0xffff);
}

static void test_dss_csum_reference(void **state)
{
	uint8_t p[1500];
	uint16_t got, want;

	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 151 + 7);
	for (size_t n = 0; n < 64; n++) {
		assert_int_equal(
			xm_dss_csum(0x0123456789abcdefULL, 0x89abcdefu, (uint16_t)n, p, n, &got),
			0);
		want = ref_dss_csum(0x0123456789abcdefULL, 0x89abcdefu, (uint16_t)n, p, n);
		assert_int_equal(got, want);
	}
	/* All ones everywhere: maximal carries out of every addition. */
	memset(p, 0xff, sizeof(p));
	assert_int_equal(xm_dss_csum(~0ULL, ~0u, 0xffff, p, sizeof(p), &got), 0);
	assert_int_equal(got, ref_dss_csum(~0ULL, ~0u, 0xffff, p, sizeof(p)));
	assert_int_equal(xm_dss_csum(~0ULL, ~0u, 0xffff, p, 1499, &got), 0);
	assert_int_equal(got, ref_dss_csum(~0ULL, ~0u, 0xffff, p, 1499));
}

/* A mapping that spans segments of odd lengths sums as if contiguous. */
static void test_dss_csum_pieces(void **state)
{
	static const size_t cuts[] = {1, 3, 2, 7, 0, 1, 1, 100, 5};
	struct xm_dss_csum ctx;
	uint8_t p[200];
	uint16_t whole, pieces;
	size_t off = 0;

	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(0xa5 ^ (i * 37));
	assert_int_equal(xm_dss_csum(0xfffffffffffffff0ULL, 1, sizeof(p), p, sizeof(p), &whole), 0);
	assert_int_equal(xm_dss_csum_init(&ctx, 0xfffffffffffffff0ULL, 1, sizeof(p)), 0);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(xm_dss_csum_update(&ctx, p + off, cuts[i]), 0);
		off += cuts[i];
	}
	assert_int_equal(xm_dss_csum_update(&ctx, p + off, sizeof(p) - off), 0);
	assert_int_equal(xm_dss_csum_final(&ctx, &pieces), 0);
	assert_int_equal(pieces, whole);

	assert_int_equal(xm_dss_csum_init(NULL, 0, 0, 0), -EINVAL);
	assert_int_equal(xm_dss_csum_update(&ctx, NULL, 1), -EINVAL);
	assert_int_equal(xm_dss_csum_final(&ctx, NULL), -EINVAL);
}

/* What a receiver does (§3.3.1): sum with the checksum field filled in;
 * a correct checksum makes the folded total 0xffff. */
static void test_dss_csum_verifies(void **state)
{
	static const uint8_t data[] = "hello xmptcp\n";
	uint8_t field[2];
	struct xm_dss_csum ctx;
	uint16_t c, check;

	assert_int_equal(xm_dss_csum(0x1122334455667788ULL, 1, 13, data, 13, &c), 0);
	field[0] = c >> 8;
	field[1] = c & 0xff;
	/* Summing (pseudo-header with zero field) + field + payload: the
	 * position of a 16-bit word does not matter to the sum. */
	assert_int_equal(xm_dss_csum_init(&ctx, 0x1122334455667788ULL, 1, 13), 0);
	assert_int_equal(xm_dss_csum_update(&ctx, field, 2), 0);
	assert_int_equal(xm_dss_csum_update(&ctx, data, 13), 0);
	assert_int_equal(xm_dss_csum_final(&ctx, &check), 0);
	assert_int_equal(check, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_fips),
		cmocka_unit_test(test_sha256_padding_edges),
		cmocka_unit_test(test_sha256_incremental),
		cmocka_unit_test(test_sha256_bad_input),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_key_one_block_matches_general),
		cmocka_unit_test(test_hmac_bad_input),
		cmocka_unit_test(test_token_idsn),
		cmocka_unit_test(test_join_hmac_kernel_vectors),
		cmocka_unit_test(test_join_hmacs),
		cmocka_unit_test(test_add_addr_hmac),
		cmocka_unit_test(test_dss_csum_hand),
		cmocka_unit_test(test_dss_csum_reference),
		cmocka_unit_test(test_dss_csum_pieces),
		cmocka_unit_test(test_dss_csum_verifies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
