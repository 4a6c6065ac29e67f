// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Every counter has a unique, non-empty name and help text; out-of-range is NULL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

static void test_names_unique_and_present(void **state)
{
	for (unsigned int i = 0; i < XM_STAT__MAX; i++) {
		const char *n = xm_stat_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_non_null(xm_stat_help(i));
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(n, xm_stat_name(j));
	}
}

static void test_out_of_range(void **state)
{
	assert_null(xm_stat_name(XM_STAT__MAX));
	assert_null(xm_stat_help(XM_STAT__MAX + 100));
}

static void test_subtype_blocks(void **state)
{
	assert_string_equal(xm_stat_name(XM_STAT_RX_OPT_MP_CAPABLE + 2), "RxDss");
	assert_string_equal(xm_stat_name(XM_STAT_RX_OPT_DSS + XM_STAT_DIR_STRIDE), "TxDss");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_unique_and_present),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_subtype_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
