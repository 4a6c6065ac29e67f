/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small harness for the BPF_PROG_TEST_RUN tests, in the style of the kernel
 * selftests: ASSERT_* print what was expected and what was seen, and return
 * bool so that a failed step can end its test case early.
 */
#ifndef XMPTCP_TESTS_HARNESS_H
#define XMPTCP_TESTS_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include <xmptcp/abi.h>

/* Meson's exit code for a skipped test. */
#define TEST_SKIP 77

extern int test_failures;

void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ASSERT_EQ(actual, expected, what)                                                         \
	({                                                                                        \
		long long __a = (long long)(actual), __e = (long long)(expected);                 \
		bool __ok = __a == __e;                                                           \
		if (!__ok)                                                                        \
			test_fail(__FILE__, __LINE__, "%s: expected %lld, got %lld", (what), __e, \
				  __a);                                                           \
		__ok;                                                                             \
	})

#define ASSERT_OK(err, what)                                                                 \
	({                                                                                   \
		long long __r = (long long)(err);                                            \
		bool __ok = __r == 0;                                                        \
		if (!__ok)                                                                   \
			test_fail(__FILE__, __LINE__, "%s: expected success, got %lld (%s)", \
				  (what), __r, strerror(__r < 0 ? (int)-__r : errno));       \
		__ok;                                                                        \
	})

#define ASSERT_TRUE(cond, what)                                                                \
	({                                                                                     \
		bool __ok = !!(cond);                                                          \
		if (!__ok)                                                                     \
			test_fail(__FILE__, __LINE__, "%s: expected true: %s", (what), #cond); \
		__ok;                                                                          \
	})

#define ASSERT_MEMEQ(actual, actual_len, expected, expected_len, what) \
	assert_memeq(__FILE__, __LINE__, (actual), (actual_len), (expected), (expected_len), (what))

bool assert_memeq(const char *file, int line, const void *actual, size_t actual_len,
		  const void *expected, size_t expected_len, const char *what);

/* Exit 77 (meson: skipped) unless we may load BPF programs: root, or told why. */
void test_require_bpf(const char *prog);

/*
 * A skeleton's open_and_load() failed with -err (a negative errno): say so,
 * naming the object, and return the test's exit status: TEST_SKIP when the
 * kernel did not permit loading (EPERM), else 1.
 */
int test_load_failed(const char *prog, const char *obj, int err);

/* libbpf's messages: warnings always, debug output with -v. */
void test_setup_libbpf_log(bool verbose);

/* Sum the per-CPU counters of an xm_stats-like map of n u64 entries into out[n]. */
int test_read_percpu_u64(int map_fd, __u32 n, __u64 *out);

/* One test case: prints a TAP-like line per case; returns true when it passed. */
void test_case_begin(const char *name);
bool test_case_end(void);

#endif /* XMPTCP_TESTS_HARNESS_H */
