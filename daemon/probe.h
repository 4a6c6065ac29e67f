/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel feature probing: before the skeleton is loaded, ask the running
 * kernel for each thing the datapath in bpf/ needs (program and map types,
 * helpers per program type, instructions, context fields, attach links, BTF),
 * so that a kernel that lacks one is told by name, with the Linux version
 * that added it, instead of through the verifier's or libbpf's words.
 *
 * The table (xm_features[] in probe.c) is written from the code in bpf/ and
 * kept in sync with it by the bpf-suite test probe_sync, which loads the
 * object and fails on any program type, map type, helper call (per program
 * type), atomic instruction or global function that the table lacks.
 *
 * Library-style: nothing here logs or exits; the daemon prints.
 */
#ifndef XMPTCPD_PROBE_H
#define XMPTCPD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <linux/bpf.h>

/* How a feature is probed. */
enum xm_probe_how {
	XM_PROBE_PROG_TYPE, /* libbpf_probe_bpf_prog_type(arg) */
	XM_PROBE_MAP_TYPE,  /* libbpf_probe_bpf_map_type(arg) */
	XM_PROBE_HELPER,    /* libbpf_probe_bpf_helper(prog_type, arg) */
	XM_PROBE_ATOMIC,    /* a tiny program with BPF_STX | BPF_ATOMIC | BPF_W, imm = arg */
	XM_PROBE_CUSTOM,    /* fn() */
};

/* One probe's answer. */
enum xm_probe_state {
	XM_FEAT_PRESENT,
	XM_FEAT_MISSING,
	XM_FEAT_UNKNOWN, /* the probe itself failed: detail says why */
};

struct xm_probe_ctx;

struct xm_feature {
	const char *id;	   /* stable key for JSON and tests: "helper:xdp:bpf_loop" */
	const char *name;  /* what a user reads: "helper bpf_loop (xdp)" */
	const char *since; /* the Linux version that added it (for that program type) */
	const char *use;   /* what xmptcp uses it for: "xmptcp walks TCP options with it" */
	/*
	 * NULL: required, the daemon stops without it. Otherwise what the daemon
	 * does without it (or, with unused, why it does not use it at all).
	 */
	const char *instead;
	bool unused; /* optional and not used by this build: reported as "not used" */
	bool env;    /* the system's set-up rather than the kernel's code (cgroup2 mounted) */
	enum xm_probe_how how;
	enum bpf_prog_type prog_type; /* XM_PROBE_HELPER, XM_PROBE_ATOMIC */
	int arg;		      /* the program type, map type, helper id or atomic op */
	/* XM_PROBE_CUSTOM: 1 present, 0 missing, or a negative errno; may fill detail. */
	int (*fn)(struct xm_probe_ctx *ctx, char *detail, size_t size);
};

struct xm_probe_result {
	const struct xm_feature *f;
	enum xm_probe_state state;
	char detail[160]; /* why missing or unknown, when there is more to say */
};

struct xm_probe_report {
	struct xm_probe_result *res;
	size_t n;
	size_t n_missing_required; /* required features missing or unknown */
	size_t n_present;
	char kernel[65]; /* uname -r */
};

/* The table itself, for the sync test. */
const struct xm_feature *xm_probe_features(size_t *n);

/*
 * Probe every feature. Needs CAP_BPF and CAP_NET_ADMIN (and CAP_SYS_ADMIN
 * before 5.8); without them the program loads fail and the answers would be
 * wrong, so the caller checks capabilities first. Returns 0 or -ENOMEM; free
 * with xm_probe_report_free().
 */
int xm_probe_run(struct xm_probe_report *rep);
void xm_probe_report_free(struct xm_probe_report *rep);

/* The table as text, one feature a line, then the missing ones explained. */
void xm_probe_print(FILE *f, const struct xm_probe_report *rep);
/* {"kernel":..., "ok":bool, "features":[{id,name,since,required,used,state,...}]} */
json_t *xm_probe_json(const struct xm_probe_report *rep);
/*
 * The start-up log line: "Linux 6.1.0-56-amd64: 47 of 47 required kernel
 * features present; tcx missing (not used)".
 */
void xm_probe_summary(const struct xm_probe_report *rep, char *buf, size_t size);
/*
 * The message for a kernel that lacks required features, one line each:
 * "kernel lacks helper bpf_loop (Linux 5.17+); xmptcp walks TCP options with it".
 * Calls line() once per missing required feature.
 */
void xm_probe_foreach_missing(const struct xm_probe_report *rep,
			      void (*line)(const char *text, void *data), void *data);

#endif
