// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeps the daemon's kernel feature table (daemon/probe.c) in sync with the
 * datapath (bpf/xmptcp.bpf.c): it loads the object, as the daemon does, then
 * reads what libbpf handed the kernel (every program with its subprograms
 * appended) and fails for each thing used that the table does not probe:
 *  - a program type, a map type (libbpf's internal .rodata needs the
 *    global_data row);
 *  - a helper call, per program type (BPF_CALL with src_reg 0: helper ids
 *    are what the kernel checks, by program type);
 *  - an atomic instruction (BPF_STX | BPF_ATOMIC), by operation;
 *  - a global function other than the programs themselves (BTF linkage).
 * And the other way round: a helper, map or program type row that nothing
 * uses any more is a failure too, so the table lists exactly what is used.
 * Then it runs the probe on this kernel and expects every required feature.
 *
 * Usage: test_probe_sync [-v]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/btf.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "harness.h"
#include "probe.h"
#include "xmptcp.skel.h"

static const struct xm_feature *table;
static size_t table_n;
static bool *row_used;

static const struct xm_feature *find_row(enum xm_probe_how how, enum bpf_prog_type pt, int arg)
{
	size_t i;

	for (i = 0; i < table_n; i++) {
		const struct xm_feature *f = &table[i];

		if (f->how != how || f->arg != arg)
			continue;
		if (how == XM_PROBE_HELPER && f->prog_type != pt)
			continue;
		row_used[i] = true;
		return f;
	}
	return NULL;
}

static const struct xm_feature *find_id(const char *id)
{
	size_t i;

	for (i = 0; i < table_n; i++) {
		if (!strcmp(table[i].id, id)) {
			row_used[i] = true;
			return &table[i];
		}
	}
	return NULL;
}

static void check_program(struct bpf_program *prog)
{
	enum bpf_prog_type pt = bpf_program__type(prog);
	const struct bpf_insn *insn = bpf_program__insns(prog);
	size_t i, n = bpf_program__insn_cnt(prog);
	const char *name = bpf_program__name(prog);

	if (!find_row(XM_PROBE_PROG_TYPE, 0, pt))
		test_fail(__FILE__, __LINE__,
			  "%s has program type %d and daemon/probe.c has no PROG() row for it",
			  name, pt);

	for (i = 0; i < n; i++) {
		__u8 code = insn[i].code;

		if (code == (BPF_JMP | BPF_CALL) && insn[i].src_reg == 0) {
			if (!find_row(XM_PROBE_HELPER, pt, insn[i].imm)) {
				test_fail(__FILE__, __LINE__,
					  "%s (program type %d) calls helper id %d at insn %zu, "
					  "and daemon/probe.c has no HELPER() row for it "
					  "(see enum bpf_func_id in linux/bpf.h)",
					  name, pt, insn[i].imm, i);
			}
		} else if (BPF_CLASS(code) == BPF_STX && BPF_MODE(code) == BPF_ATOMIC) {
			if (BPF_SIZE(code) != BPF_W || !find_row(XM_PROBE_ATOMIC, 0, insn[i].imm))
				test_fail(
					__FILE__, __LINE__,
					"%s uses atomic op 0x%x of size 0x%x at insn %zu, and "
					"daemon/probe.c has no atomic row for it (only 32-bit ones "
					"are probed)",
					name, insn[i].imm, BPF_SIZE(code), i);
		}
	}
}

static void check_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		const char *name = bpf_map__name(map);

		if (bpf_map__is_internal(map)) {
			/* Only .rodata is expected: .data or .bss would be writable globals. */
			if (!strstr(name, ".rodata"))
				test_fail(__FILE__, __LINE__,
					  "internal map %s: only .rodata is probed "
					  "(global_data row); add a probe for writable globals",
					  name);
			else
				ASSERT_TRUE(find_id("global_data") != NULL,
					    "a global_data row for .rodata");
			continue;
		}
		if (!find_row(XM_PROBE_MAP_TYPE, 0, bpf_map__type(map)))
			test_fail(__FILE__, __LINE__,
				  "map %s has type %d and daemon/probe.c has no MAP() row for it",
				  name, bpf_map__type(map));
	}
}

static bool is_program_name(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog,
				     obj) if (!strcmp(bpf_program__name(prog), name)) return true;
	return false;
}

static void check_global_funcs(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	__u32 i, n;

	if (!ASSERT_TRUE(btf != NULL, "the object has BTF"))
		return;
	n = btf__type_cnt(btf);
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *name = btf__name_by_offset(btf, t->name_off);

		/* A FUNC keeps its linkage where other kinds keep vlen. */
		if (!btf_is_func(t) || btf_vlen(t) != BTF_FUNC_GLOBAL || is_program_name(obj, name))
			continue;
		if (!find_id("btf:global_func"))
			test_fail(__FILE__, __LINE__,
				  "global function %s needs the btf:global_func row", name);
	}
}

static void check_unused_rows(void)
{
	size_t i;

	for (i = 0; i < table_n; i++) {
		const struct xm_feature *f = &table[i];

		if (f->how != XM_PROBE_HELPER && f->how != XM_PROBE_MAP_TYPE &&
		    f->how != XM_PROBE_PROG_TYPE && f->how != XM_PROBE_ATOMIC)
			continue;
		if (!row_used[i])
			test_fail(__FILE__, __LINE__,
				  "daemon/probe.c row %s is used by nothing in xmptcp.bpf.o: "
				  "remove it (or the code lost a call it needs)",
				  f->id);
	}
}

static void check_probe_here(void)
{
	struct xm_probe_report rep;
	size_t i;

	if (!ASSERT_OK(xm_probe_run(&rep), "xm_probe_run"))
		return;
	for (i = 0; i < rep.n; i++) {
		const struct xm_probe_result *res = &rep.res[i];

		if (res->f->instead)
			continue;
		if (res->state != XM_FEAT_PRESENT)
			test_fail(__FILE__, __LINE__,
				  "required feature %s is not present on this kernel (%s), yet "
				  "the object loaded: the probe is wrong",
				  res->f->id, res->detail);
	}
	ASSERT_EQ(rep.n_missing_required, 0, "required features missing");
	xm_probe_report_free(&rep);
}

int main(int argc, char **argv)
{
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	struct xmptcp_bpf *skel;
	struct bpf_program *prog;

	test_require_bpf(argv[0]);
	test_setup_libbpf_log(verbose);
	table = xm_probe_features(&table_n);
	row_used = calloc(table_n, sizeof(*row_used));
	if (!row_used)
		return 1;

	test_case_begin("the object loads");
	skel = xmptcp_bpf__open_and_load();
	ASSERT_TRUE(skel != NULL, "xmptcp_bpf__open_and_load");
	if (!test_case_end())
		return 1;

	test_case_begin("every program type and helper call is probed");
	bpf_object__for_each_program(prog, skel->obj) check_program(prog);
	test_case_end();

	test_case_begin("every map type is probed");
	check_maps(skel->obj);
	test_case_end();

	test_case_begin("global functions are probed");
	check_global_funcs(skel->obj);
	test_case_end();

	test_case_begin("no probe row is stale");
	check_unused_rows();
	test_case_end();

	test_case_begin("this kernel, which loaded the object, has every required feature");
	check_probe_here();
	test_case_end();

	xmptcp_bpf__destroy(skel);
	free(row_used);
	printf("%s: %d failure(s)\n", argv[0], test_failures);
	return test_failures ? 1 : 0;
}
