// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "harness.h"

int test_failures;
static int case_failures;
static int case_no;
static const char *case_name;
static bool libbpf_verbose;

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s:%d: %s: ", file, line, case_name ? case_name : "(setup)");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	case_failures++;
	test_failures++;
}

static void hexdump(const char *label, const __u8 *p, size_t n)
{
	size_t i;

	fprintf(stderr, "    %s (%zu bytes):", label, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n      ", p[i]);
	fputc('\n', stderr);
}

bool assert_memeq(const char *file, int line, const void *actual, size_t actual_len,
		  const void *expected, size_t expected_len, const char *what)
{
	const __u8 *a = actual, *e = expected;
	size_t i;

	if (actual_len == expected_len && !memcmp(a, e, actual_len))
		return true;
	for (i = 0; i < actual_len && i < expected_len && a[i] == e[i]; i++)
		;
	test_fail(file, line, "%s: expected %zu bytes, got %zu, first difference at byte %zu", what,
		  expected_len, actual_len, i);
	hexdump("expected", e, expected_len);
	hexdump("actual", a, actual_len);
	return false;
}

void test_require_bpf(const char *prog)
{
	if (geteuid() != 0) {
		fprintf(stderr, "%s: SKIP: needs root (CAP_BPF and CAP_NET_ADMIN) to load BPF\n",
			prog);
		exit(TEST_SKIP);
	}
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void test_setup_libbpf_log(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

int test_read_percpu_u64(int map_fd, __u32 n, __u64 *out)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k;
	int c;

	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(map_fd, &k, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		out[k] = 0;
		for (c = 0; c < ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

void test_case_begin(const char *name)
{
	case_name = name;
	case_failures = 0;
	case_no++;
}

bool test_case_end(void)
{
	bool ok = case_failures == 0;

	printf("%s %d - %s\n", ok ? "ok" : "not ok", case_no, case_name);
	fflush(stdout);
	case_name = NULL;
	return ok;
}

int test_load_failed(const char *prog, const char *obj, int err)
{
	if (err == -EPERM) {
		fprintf(stderr, "%s: SKIP: not permitted to load %s (%s)\n", prog, obj,
			strerror(-err));
		return TEST_SKIP;
	}
	fprintf(stderr, "%s: loading %s failed: %s (run with -v for the verifier log)\n", prog,
		obj, strerror(-err));
	return 1;
}
