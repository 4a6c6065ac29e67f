// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * include/xmptcp/seq.h: 32-bit comparisons across the wrap, and 32 -> 64-bit
 * DSN / DATA_ACK expansion, including against a transcription of the rule
 * Linux's __mptcp_expand_seq() applies (written from its description, used
 * only as an oracle away from the one documented tie).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <xmptcp/seq.h>

static void test_before_after(void **state)
{
	assert_true(xm_seq_before(1, 2));
	assert_false(xm_seq_before(2, 1));
	assert_false(xm_seq_before(5, 5));
	assert_true(xm_seq_before_eq(5, 5));
	assert_true(xm_seq_after_eq(5, 5));
	assert_false(xm_seq_after(5, 5));

	/* Across the wrap: 0xffffffff is just before 0. */
	assert_true(xm_seq_before(0xffffffffu, 0));
	assert_true(xm_seq_after(0, 0xffffffffu));
	assert_true(xm_seq_before(0xfffffff0u, 0x10));
	assert_false(xm_seq_after(0xfffffff0u, 0x10));

	/* Just under half the space apart the order is defined... */
	assert_true(xm_seq_before(0, 0x7fffffffu));
	assert_false(xm_seq_before(0x7fffffffu, 0));
	/* ...one more and it flips: 0x80000001 ahead of 0 means 0 is ahead. */
	assert_true(xm_seq_after(0, 0x80000001u));
	/* Exactly half: both directions say "before", as TCP's before() does. */
	assert_true(xm_seq_before(0, 0x80000000u));
	assert_true(xm_seq_before(0x80000000u, 0));
}

static void test_between(void **state)
{
	assert_true(xm_seq_between(5, 5, 10));
	assert_true(xm_seq_between(10, 5, 10));
	assert_false(xm_seq_between(11, 5, 10));
	assert_false(xm_seq_between(4, 5, 10));
	/* A window that wraps. */
	assert_true(xm_seq_between(0, 0xfffffff0u, 0x10));
	assert_true(xm_seq_between(0xfffffff5u, 0xfffffff0u, 0x10));
	assert_false(xm_seq_between(0x11, 0xfffffff0u, 0x10));
	assert_false(xm_seq_between(0xffffffefu, 0xfffffff0u, 0x10));
}

static void test_seq64(void **state)
{
	assert_true(xm_seq64_before(1, 2));
	assert_true(xm_seq64_after(0, 0xffffffffffffffffULL));
	assert_false(xm_seq64_before(7, 7));
	/* 64-bit order does not wrap at 2^32. */
	assert_true(xm_seq64_before(0xffffffffULL, 0x100000000ULL));
	assert_true(xm_seq64_after(0x100000005ULL, 0xfffffff0ULL));
}

static void test_expand_basic(void **state)
{
	/* Same upper half. */
	assert_int_equal(xm_seq_expand(0x0000000500001000ULL, 0x00001234u), 0x0000000500001234ULL);
	assert_int_equal(xm_seq_expand(0x0000000500001000ULL, 0x00000800u), 0x0000000500000800ULL);
	assert_int_equal(xm_seq_expand(0x0000000500001000ULL, 0x00001000u), 0x0000000500001000ULL);

	/* Forward across a 32-bit wrap: the low half rolled over. */
	assert_int_equal(xm_seq_expand(0x00000005fffffff0ULL, 0x00000010u), 0x0000000600000010ULL);
	/* Backward across it: an old ack from before the roll-over. */
	assert_int_equal(xm_seq_expand(0x0000000600000010ULL, 0xfffffff0u), 0x00000005fffffff0ULL);

	/* Across the 64-bit wrap, both ways (modulo 2^64). */
	assert_int_equal(xm_seq_expand(0xfffffffffffffff0ULL, 0x00000010u), 0x0000000000000010ULL);
	assert_int_equal(xm_seq_expand(0x0000000000000010ULL, 0xfffffff0u), 0xfffffffffffffff0ULL);
}

static void test_expand_limits(void **state)
{
	const uint64_t ref = 0x0000000912345678ULL;

	/* The farthest values that still count as ahead / behind. */
	assert_int_equal(xm_seq_expand(ref, 0x12345678u + 0x7fffffffu), ref + 0x7fffffffULL);
	assert_int_equal(xm_seq_expand(ref, 0x12345678u - 0x7fffffffu), ref - 0x7fffffffULL);
	/* Exactly 2^31 away is ambiguous: resolved backward (see seq.h). */
	assert_int_equal(xm_seq_expand(ref, 0x12345678u + 0x80000000u), ref - 0x80000000ULL);
	assert_int_equal(xm_seq_expand(0x0000000980000000ULL, 0), 0x0000000900000000ULL);
	assert_int_equal(xm_seq_expand(0x0000000900000000ULL, 0x80000000u), 0x0000000880000000ULL);
}

/* The rule of Linux's __mptcp_expand_seq(), for comparison. */
static uint64_t kernel_rule(uint64_t old, uint32_t cur32)
{
	uint32_t old32 = (uint32_t)old;
	uint64_t cur = (old & 0xffffffff00000000ULL) + cur32;

	if (cur32 < old32 && xm_seq_before(old32, cur32))
		return cur + (1ULL << 32);
	if (cur32 > old32 && xm_seq_after(old32, cur32))
		return cur - (1ULL << 32);
	return cur;
}

static void test_expand_matches_kernel(void **state)
{
	/* Table rows read better packed by hand than as clang-format lays them. */
	/* clang-format off */
	static const uint64_t refs[] = {
		0, 1, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
		0x00000005fffffff0ULL, 0x123456789abcdef0ULL, 0xfffffffffffffff0ULL,
		0xffffffff00000000ULL,
	};
	static const uint32_t deltas[] = {
		0, 1, 2, 100, 0x7ffffffeu, 0x7fffffffu, 0x80000001u, 0xfffffffeu, 0xffffffffu,
		0x40000000u, 0xc0000000u,
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			uint32_t cur32 = (uint32_t)refs[i] + deltas[j];
			uint64_t got = xm_seq_expand(refs[i], cur32);

			assert_int_equal(got, kernel_rule(refs[i], cur32));
			assert_int_equal((uint32_t)got, cur32);
		}
	}
}

static void test_expand_opt(void **state)
{
	/* 8-byte values are used as they are, whatever the reference. */
	assert_int_equal(xm_seq_expand_opt(0x500000000ULL, 0xabcdef0123456789ULL, 1),
			 0xabcdef0123456789ULL);
	/* 4-byte values only use their low 32 bits. */
	assert_int_equal(xm_seq_expand_opt(0x500000000ULL, 0xffffffff00000010ULL, 0),
			 0x500000010ULL);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_after),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_seq64),
		cmocka_unit_test(test_expand_basic),
		cmocka_unit_test(test_expand_limits),
		cmocka_unit_test(test_expand_matches_kernel),
		cmocka_unit_test(test_expand_opt),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
