// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xm-impair: attach bpf/impair.bpf.c on the clsact egress hook of a device in
 * the current network namespace, for tests that need loss or duplication
 * (the test hosts have no netem).
 *
 *   xm-impair attach DEV [--drop PPM] [--dup PPM] [--seed N] [--tcp-only] [--shot]
 *                     [--strip-mptcp WHICH] [--prio N] [-v]
 *
 * --strip-mptcp WHICH overwrites every MPTCP option (kind 30) of the selected
 * TCP segments with NOPs and fixes the TCP checksum: WHICH is a comma list of
 * syn (SYN without ACK), synack, established (every segment without SYN) and
 * all (the three).
 *
 * Lifetime: it pins nothing. It stays in the foreground until SIGTERM or
 * SIGINT, then detaches its filter (and removes the clsact qdisc only if it
 * created it, so a datapath filter on the same device survives) and prints
 * its counters. A test starts it in the background inside the netns
 * (`ip netns exec NS xm-impair attach veth0 --drop 10000 &`), waits for the
 * line starting with "ready" on stdout, and kills it with SIGTERM.
 *
 * To change the impairment while attached, update the config map by id (map
 * ids are global, so this works from any mount namespace); the ready line
 * gives the id, and the value is struct imp_cfg from bpf/impair.h:
 *   bpftool map update id ID key 0 0 0 0 value hex <32 bytes, little-endian>
 * (`bpftool map dump id ID` shows the fields by name, from BTF).
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "impair.h"
#include "impair.skel.h"

static const char *prog = "xm-impair";
static volatile sig_atomic_t stop;
static bool verbose;

static void on_signal(int sig)
{
	stop = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s attach DEV [--drop PPM] [--dup PPM] [--seed N] [--tcp-only] [--shot]\n"
		"                  [--strip-mptcp WHICH] [--prio N] [-v]\n"
		"  --drop PPM   drop each packet with probability PPM/1000000 (0..1000000)\n"
		"  --dup PPM    send each packet twice with probability PPM/1000000\n"
		"  --seed N     reproducible draws from seed N (default: kernel random)\n"
		"  --tcp-only   impair TCP only, pass everything else\n"
		"  --shot       drop with TC_ACT_SHOT (the sender learns of it and resends at "
		"once)\n"
		"               instead of TC_ACT_STOLEN (looks like a loss on the wire)\n"
		"  --strip-mptcp WHICH  NOP out MPTCP options (kind 30) of the selected TCP "
		"segments;\n"
		"               WHICH: comma list of syn, synack, established (no SYN flag), all\n"
		"  --prio N     tc filter priority (default: chosen by the kernel)\n"
		"  -v           libbpf debug output\n",
		prog);
}

/* Parse an unsigned number in [0, max]; names the option and the bad value on error. */
static int parse_num(const char *opt, const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	if (!s) {
		fprintf(stderr, "%s: %s needs a value\n", prog, opt);
		return -EINVAL;
	}
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || *out > max) {
		fprintf(stderr, "%s: %s: '%s' is not a number in 0..%llu\n", prog, opt, s, max);
		return -EINVAL;
	}
	return 0;
}

/* --strip-mptcp: a comma list of syn, synack, established, all -> IMP_STRIP_* bits. */
static int parse_strip(const char *s, __u32 *out)
{
	char buf[64], *tok, *save = NULL;

	if (!s) {
		fprintf(stderr, "%s: --strip-mptcp needs a value\n", prog);
		return -EINVAL;
	}
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "syn"))
			*out |= IMP_STRIP_SYN;
		else if (!strcmp(tok, "synack"))
			*out |= IMP_STRIP_SYNACK;
		else if (!strcmp(tok, "established"))
			*out |= IMP_STRIP_OTHER;
		else if (!strcmp(tok, "all"))
			*out |= IMP_STRIP_ALL;
		else
			goto bad;
	}
	if (*out)
		return 0;
bad:
	fprintf(stderr,
		"%s: --strip-mptcp: '%s' is not a comma list of syn, synack, established, all\n",
		prog, s);
	return -EINVAL;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static void print_stats(struct impair_bpf *skel)
{
	static const char *const names[] = IMP_STAT_NAMES;
	int ncpus = libbpf_num_possible_cpus(), c;
	__u64 *vals, sum;
	__u32 k;

	if (ncpus <= 0)
		return;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < IMP_STAT__MAX; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.imp_stats), &k, vals))
			continue;
		for (sum = 0, c = 0; c < ncpus; c++)
			sum += vals[c];
		printf("%s%s=%llu", k ? " " : "", names[k], (unsigned long long)sum);
	}
	printf("\n");
	free(vals);
}

int main(int argc, char **argv)
{
	struct imp_cfg cfg = {0};
	struct impair_bpf *skel = NULL;
	struct bpf_prog_info info = {0};
	__u32 info_len = sizeof(info), zero = 0;
	unsigned long long v, prio = 0;
	bool hook_created = false;
	const char *dev;
	int ifindex, err, i;
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, tc);

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "attach")) {
		fprintf(stderr, "%s: unknown command '%s' (expected: attach)\n", prog, argv[1]);
		return 2;
	}
	if (argc < 3) {
		fprintf(stderr, "%s: attach needs a device name\n", prog);
		return 2;
	}
	dev = argv[2];
	for (i = 3; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--drop")) {
			if (parse_num(o, val, IMP_PPM, &v))
				return 2;
			cfg.drop_ppm = v;
			i++;
		} else if (!strcmp(o, "--dup")) {
			if (parse_num(o, val, IMP_PPM, &v))
				return 2;
			cfg.dup_ppm = v;
			i++;
		} else if (!strcmp(o, "--seed")) {
			if (parse_num(o, val, ~0ULL, &v))
				return 2;
			cfg.seed = v;
			i++;
		} else if (!strcmp(o, "--prio")) {
			if (parse_num(o, val, 0xffff, &prio))
				return 2;
			i++;
		} else if (!strcmp(o, "--strip-mptcp")) {
			if (parse_strip(val, &cfg.strip_mptcp))
				return 2;
			i++;
		} else if (!strcmp(o, "--tcp-only")) {
			cfg.tcp_only = 1;
		} else if (!strcmp(o, "--shot")) {
			cfg.drop_shot = 1;
		} else if (!strcmp(o, "-v")) {
			verbose = true;
		} else {
			fprintf(stderr,
				"%s: unknown option '%s' (expected: --drop, --dup, --seed, "
				"--tcp-only, --shot, --strip-mptcp, --prio, -v)\n",
				prog, o);
			return 2;
		}
	}

	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "%s: no device '%s' in this network namespace (%s)\n", prog, dev,
			strerror(errno));
		return 1;
	}
	libbpf_set_print(libbpf_print);

	skel = impair_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "%s: loading the impairment program failed: %s%s\n", prog,
			strerror(-err), err == -EPERM ? " (run as root)" : " (try -v)");
		return 1;
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.imp_cfg), &zero, &cfg, BPF_ANY);
	if (err) {
		err = -errno;
		fprintf(stderr, "%s: writing the configuration failed: %s\n", prog, strerror(-err));
		goto out;
	}

	hook.ifindex = ifindex;
	err = bpf_tc_hook_create(&hook);
	if (!err)
		hook_created = true;
	else if (err != -EEXIST) {
		fprintf(stderr, "%s: creating the clsact qdisc on %s failed: %s\n", prog, dev,
			strerror(-err));
		goto out;
	}
	tc.prog_fd = bpf_program__fd(skel->progs.tc_impair);
	tc.priority = prio;
	err = bpf_tc_attach(&hook, &tc);
	if (err) {
		fprintf(stderr, "%s: attaching to %s egress failed: %s%s\n", prog, dev,
			strerror(-err),
			err == -EEXIST
				? " (a filter with that priority exists; pick another --prio)"
				: "");
		goto out_hook;
	}
	bpf_obj_get_info_by_fd(tc.prog_fd, &info, &info_len);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready dev=%s ifindex=%d prio=%u prog_id=%u cfg_map_id=%u drop_ppm=%u dup_ppm=%u "
	       "tcp_only=%u drop=%s seed=%llu strip_mptcp=0x%x\n",
	       dev, ifindex, tc.priority, info.id, map_id(bpf_map__fd(skel->maps.imp_cfg)),
	       cfg.drop_ppm, cfg.dup_ppm, cfg.tcp_only, cfg.drop_shot ? "shot" : "stolen",
	       (unsigned long long)cfg.seed, cfg.strip_mptcp);

	while (!stop)
		pause();

	/* Detach by the handle and priority the kernel gave us: other filters stay. */
	tc.flags = tc.prog_fd = tc.prog_id = 0;
	err = bpf_tc_detach(&hook, &tc);
	if (err)
		fprintf(stderr, "%s: detaching from %s failed: %s\n", prog, dev, strerror(-err));
	print_stats(skel);
out_hook:
	if (hook_created) {
		hook.attach_point = BPF_TC_EGRESS | BPF_TC_INGRESS;
		bpf_tc_hook_destroy(&hook);
	}
out:
	impair_bpf__destroy(skel);
	return err ? 1 : 0;
}
