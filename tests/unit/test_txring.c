// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * include/xmptcp/txring.h: the ring of first-transmission DSS mappings that
 * retransmissions look up (struct xm_tx_maps). The same header runs in the
 * datapath (bpf/txmap.h); here it runs on a plain struct.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <xmptcp/txring.h>

#define MSS 1448

static int setup(void **state)
{
	struct xm_tx_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void assert_map(struct xm_tx_maps *m, __u32 byte, __u32 ssn, __u32 len)
{
	struct xm_txr_map r;

	assert_int_equal(xm_txr_find(m, byte, &r), 0);
	assert_int_equal(r.ssn, ssn);
	assert_int_equal(r.len, len);
}

static void assert_no_map(struct xm_tx_maps *m, __u32 byte)
{
	struct xm_txr_map r;

	assert_int_equal(xm_txr_find(m, byte, &r), -1);
}

/* MSS-sized first transmissions back to back make one run, and each byte maps to its segment. */
static void test_run_of_equal_segments(void **state)
{
	struct xm_tx_maps *m = *state;

	for (__u32 i = 0; i < 1000; i++)
		assert_int_equal(xm_txr_add(m, 1 + i * MSS, MSS, 1, 1), 0);
	assert_int_equal(m->tail - m->head, 1);
	assert_int_equal(m->rec[0].count, 1000);
	assert_int_equal(m->end, 1 + 1000 * MSS);
	assert_map(m, 1, 1, MSS);
	assert_map(m, MSS, 1, MSS);
	assert_map(m, 1 + MSS, 1 + MSS, MSS);
	assert_map(m, 1 + 500 * MSS + 7, 1 + 500 * MSS, MSS);
	assert_map(m, 1000 * MSS, 1 + 999 * MSS, MSS);
	assert_no_map(m, 1 + 1000 * MSS);
	assert_no_map(m, 0);
}

/* A different length starts a new run; a short last segment is a run of one. */
static void test_runs_break_on_length(void **state)
{
	struct xm_tx_maps *m = *state;

	xm_txr_add(m, 1, MSS, 1, 1);
	xm_txr_add(m, 1 + MSS, MSS, 1, 1);
	xm_txr_add(m, 1 + 2 * MSS, 100, 1, 1);	 /* short: its own run */
	xm_txr_add(m, 101 + 2 * MSS, MSS, 1, 1); /* MSS again, not contiguous with run 1 */
	xm_txr_add(m, 101 + 3 * MSS, 1, 1, 1);	 /* a bare DATA_FIN: length 1 */
	assert_int_equal(m->tail - m->head, 4);
	assert_map(m, 1 + MSS + 5, 1 + MSS, MSS);
	assert_map(m, 1 + 2 * MSS + 99, 1 + 2 * MSS, 100);
	assert_map(m, 101 + 2 * MSS, 101 + 2 * MSS, MSS);
	assert_map(m, 101 + 3 * MSS, 101 + 3 * MSS, 1);
	assert_no_map(m, 102 + 3 * MSS);
}

/* With DSS checksums (merge off) every mapping keeps a record and its checksum. */
static void test_checksummed_no_merge(void **state)
{
	struct xm_tx_maps *m = *state;
	struct xm_txr_map r;

	for (__u32 i = 0; i < 3; i++)
		xm_txr_add(m, 1 + i * MSS, MSS, 1, 0);
	assert_int_equal(m->tail - m->head, 3);
	xm_txr_set_csum(m, 1 + MSS, MSS, 0xbeef);
	xm_txr_set_csum(m, 1 + 2 * MSS, 10, 0x1111); /* wrong length: ignored */
	assert_int_equal(xm_txr_find(m, 1 + MSS + 3, &r), 0);
	assert_int_equal(r.csum, 0xbeef);
	assert_int_equal(xm_txr_find(m, 1 + 2 * MSS, &r), 0);
	assert_int_equal(r.csum, 0);
	/* a run never carries a checksum, even if asked */
	xm_txr_add(m, 1 + 3 * MSS, MSS, 1, 1);
	xm_txr_add(m, 1 + 4 * MSS, MSS, 1, 1);
	xm_txr_set_csum(m, 1 + 4 * MSS, MSS, 0x2222);
	assert_int_equal(xm_txr_find(m, 1 + 4 * MSS, &r), 0);
	assert_int_equal(r.csum, 0);
}

/* Runs the peer acked entirely go as new mappings come; a partly acked run stays. */
static void test_acked_runs_dropped(void **state)
{
	struct xm_tx_maps *m = *state;

	xm_txr_add(m, 1, 100, 1, 1);
	xm_txr_add(m, 101, 200, 1, 1);
	xm_txr_add(m, 301, 300, 1, 1);
	xm_txr_add(m, 601, 300, 1, 1); /* joins the 300-byte run */
	assert_int_equal(m->tail - m->head, 3);
	/* una 401: the 100 and 200 runs are acked, the run of 300s is half acked */
	xm_txr_add(m, 901, 50, 401, 1);
	assert_int_equal(m->tail - m->head, 2);
	assert_no_map(m, 1);
	assert_no_map(m, 300);
	assert_map(m, 301, 301, 300);
	assert_map(m, 700, 601, 300);
	assert_map(m, 950, 901, 50);
}

/* A first transmission the device refused is replaced by its retry. */
static void test_refused_replaced(void **state)
{
	struct xm_tx_maps *m = *state;

	xm_txr_add(m, 1, MSS, 1, 1);
	xm_txr_add(m, 1 + MSS, MSS, 1, 1);
	xm_txr_add(m, 1 + 2 * MSS, MSS, 1, 1); /* refused */
	/* the retry at the same place, with more data appended */
	xm_txr_add(m, 1 + 2 * MSS, 2 * MSS, 1, 1);
	assert_int_equal(m->tail - m->head, 2);
	assert_int_equal(m->rec[0].count, 2);
	assert_map(m, 1 + MSS, 1 + MSS, MSS);
	assert_map(m, 1 + 3 * MSS, 1 + 2 * MSS, 2 * MSS);
	assert_int_equal(m->end, 1 + 4 * MSS);

	/* a retry of a whole single record replaces it too */
	xm_txr_add(m, 1 + 4 * MSS, 10, 1, 0);
	xm_txr_add(m, 1 + 4 * MSS, 20, 1, 0);
	assert_map(m, 1 + 4 * MSS + 15, 1 + 4 * MSS, 20);
	assert_int_equal(m->tail - m->head, 3);
}

/* A full ring drops its oldest run, and says how many of its mappings were unacked. */
static void test_full_ring_evicts(void **state)
{
	struct xm_tx_maps *m = *state;
	__u32 ssn = 1, i;

	/* a run of 3, then single mappings of alternating length: no merging */
	for (i = 0; i < 3; i++, ssn += 100)
		xm_txr_add(m, ssn, 100, 1, 1);
	for (i = 1; i < XM_TX_MAPS; i++) {
		__u32 len = (i & 1) ? 10 : 20;

		assert_int_equal(xm_txr_add(m, ssn, len, 1, 1), 0);
		ssn += len;
	}
	assert_int_equal(m->tail - m->head, XM_TX_MAPS);
	/* una 151: one of the run's three mappings is acked, two are not */
	assert_int_equal(xm_txr_add(m, ssn, 7, 151, 1), 2);
	assert_int_equal(m->tail - m->head, XM_TX_MAPS);
	assert_no_map(m, 250);
	assert_map(m, ssn, ssn, 7);
	assert_map(m, 301, 301, 10);
	/* an acked head goes without counting */
	ssn += 7;
	assert_int_equal(xm_txr_add(m, ssn, 9, ssn, 1), 0);
}

/* The ring works across the 32-bit wrap of the relative sequence space. */
static void test_wrap(void **state)
{
	struct xm_tx_maps *m = *state;
	__u32 start = 0xffffffffu - 2 * MSS;

	for (__u32 i = 0; i < 4; i++)
		xm_txr_add(m, start + i * MSS, MSS, start, 1);
	assert_int_equal(m->tail - m->head, 1);
	assert_map(m, 5, start + 2 * MSS, MSS);
	assert_map(m, start + 3 * MSS + 1, start + 3 * MSS, MSS);
	assert_no_map(m, start - 1);
	assert_no_map(m, start + 4 * MSS);
}

/* A run stops growing at 0xffff mappings or XM_TX_RUN_MAX_BYTES. */
static void test_run_limits(void **state)
{
	struct xm_tx_maps *m = *state;
	__u32 ssn = 1, i;

	for (i = 0; i < 0x10000; i++, ssn += 1)
		xm_txr_add(m, ssn, 1, 1, 1);
	assert_int_equal(m->tail - m->head, 2);
	assert_int_equal(m->rec[0].count, 0xffff);
	assert_int_equal(m->rec[1].count, 1);
	assert_map(m, ssn - 1, ssn - 1, 1);

	memset(m, 0, sizeof(*m));
	ssn = 1;
	for (i = 0; i < XM_TX_RUN_MAX_BYTES / 65535 + 2; i++, ssn += 65535)
		xm_txr_add(m, ssn, 65535, 1, 1);
	assert_int_equal(m->tail - m->head, 2);
	assert_true((__u32)m->rec[0].count * 65535 <= XM_TX_RUN_MAX_BYTES);
	assert_map(m, ssn - 1, ssn - 65535, 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_of_equal_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_break_on_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksummed_no_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acked_runs_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_evicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
