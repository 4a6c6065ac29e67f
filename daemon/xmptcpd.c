// SPDX-License-Identifier: GPL-2.0-only
/*
 * xmptcpd: loads the xmptcp datapath, attaches it to the interfaces of the
 * network namespace it runs in, pins its maps, follows interfaces as they come
 * and go, answers mptcpctl on the control socket and logs datapath events.
 * One epoll loop, no threads.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <xmptcp/abi.h>
#include "ctl.h"
#include "maps.h"
#include "netlink.h"
#include "nsid.h"
#include "pin.h"
#include "stats.h"
#include "xmptcp.skel.h"

#include "events.h"
#include "iface.h"
#include "mptcp.h"
#include "probe.h"

#define XMPTCPD_VERSION "0.1.0"

/* Exit codes, documented in xmptcpd(8). */
#define EXIT_USAGE 2

/* Lines of the verifier log shown when loading fails. */
#define VERIFIER_TAIL_LINES 20
/* libbpf warnings kept for that purpose; older text is dropped. */
#define LIBBPF_LOG_MAX (256 * 1024)

/* At most this many event lines per second reach the log; the rest are counted. */
#define EVENT_LOG_PER_SEC 10

#define MAX_IFACE_ARGS 64

struct daemon {
	bool verbose;
	bool probe_only; /* --probe: print the kernel feature table and exit */
	bool json;	 /* -j: that table as JSON */
	const char *bpffs;
	const char *only[MAX_IFACE_ARGS]; /* -i names; none means every non-loopback link */
	int n_only;
	bool usage_error;	      /* exit 2: the command line named something wrong */
	enum xm_ingress_mode ingress; /* --ingress */

	uint64_t netns_inode;
	char pin_dir[PATH_MAX];
	bool pin_dir_made;
	bool bpffs_mounted;
	struct timespec started;

	struct xmptcp_bpf *skel;
	__u32 xdp_prog_id, tc_ingress_prog_id, tc_prog_id, sockops_prog_id;
	struct xm_mptcp mptcp;
	struct ring_buffer *rb;
	struct mnl_socket *nl;
	int ctl_fd, sig_fd, ep_fd;
	struct xm_iface *ifaces;

	time_t ev_sec;
	unsigned int ev_logged, ev_suppressed;
};

static bool verbose;
static char *libbpf_log;
static size_t libbpf_log_len;

static void __attribute__((format(printf, 1, 2))) log_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("xmptcpd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define log_debug(...)                        \
	do {                                  \
		if (verbose)                  \
			log_msg(__VA_ARGS__); \
	} while (0)

/*
 * libbpf's messages: everything goes to stderr with -v; warnings are also kept
 * so that a verifier rejection can be shown without -v.
 */
/* Keep the newest LIBBPF_LOG_MAX - 1 bytes of warnings: a verifier log's end is what matters. */
static void libbpf_log_append(const char *s, size_t n)
{
	const size_t cap = LIBBPF_LOG_MAX - 1;

	if (!libbpf_log) {
		libbpf_log = malloc(LIBBPF_LOG_MAX);
		if (!libbpf_log)
			return;
	}
	if (n >= cap) {
		memcpy(libbpf_log, s + n - cap, cap);
		libbpf_log_len = cap;
	} else {
		if (libbpf_log_len + n > cap) {
			size_t drop = libbpf_log_len + n - cap;

			memmove(libbpf_log, libbpf_log + drop, libbpf_log_len - drop);
			libbpf_log_len -= drop;
		}
		memcpy(libbpf_log + libbpf_log_len, s, n);
		libbpf_log_len += n;
	}
	libbpf_log[libbpf_log_len] = '\0';
}

/*
 * libbpf's messages: everything goes to stderr with -v; warnings are also kept
 * so that a verifier rejection can be shown without -v.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096], *big;
	va_list aq;
	int n;

	/* Never NULL from libbpf; the check keeps gcc's -Wformat-overflow quiet under ASan. */
	if (!fmt)
		return 0;
	if (verbose) {
		va_copy(aq, ap);
		vfprintf(stderr, fmt, aq);
		va_end(aq);
	}
	if (level > LIBBPF_WARN)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(line, sizeof(line), fmt, aq);
	va_end(aq);
	if (n < 0)
		return 0;
	if ((size_t)n < sizeof(line)) {
		libbpf_log_append(line, n);
		return 0;
	}
	/* The verifier log arrives as one message of up to megabytes. */
	big = malloc(n + 1);
	if (!big)
		return 0;
	vsnprintf(big, n + 1, fmt, ap);
	libbpf_log_append(big, n);
	free(big);
	return 0;
}

/* Print the last lines of text between begin and end (end excluded). */
static void print_tail(const char *begin, const char *end, int lines)
{
	const char *p;

	while (end > begin && end[-1] == '\n')
		end--;
	p = end;
	while (p > begin) {
		if (p[-1] == '\n' && --lines == 0)
			break;
		p--;
	}
	fprintf(stderr, "%.*s\n", (int)(end - p), p);
}

static const char *last_strstr(const char *hay, const char *needle)
{
	const char *p, *last = NULL;

	for (p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		last = p;
	return last;
}

/* Show the verifier's verdict: the tail of its log when libbpf printed one, else libbpf's words. */
static void print_load_failure(void)
{
	const char *b, *e;

	if (!libbpf_log_len) {
		fprintf(stderr, "  (libbpf gave no details; run with -v)\n");
		return;
	}
	e = last_strstr(libbpf_log, "-- END PROG LOAD LOG --");
	if (e) {
		/* The start marker may have scrolled out of the buffer; the end is what we need. */
		b = last_strstr(libbpf_log, "-- BEGIN PROG LOAD LOG --");
		if (b && b < e)
			b = strchr(b, '\n') + 1;
		else
			b = libbpf_log;
		fprintf(stderr, "xmptcpd: last lines of the verifier log:\n");
		print_tail(b, e, VERIFIER_TAIL_LINES);
		e = strchr(e, '\n');
		if (e && e[1]) {
			fprintf(stderr, "xmptcpd: libbpf said:\n");
			print_tail(e + 1, libbpf_log + libbpf_log_len, VERIFIER_TAIL_LINES);
		}
	} else {
		fprintf(stderr, "xmptcpd: libbpf said:\n");
		print_tail(libbpf_log, libbpf_log + libbpf_log_len, VERIFIER_TAIL_LINES);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: xmptcpd [-v] [-i IFACE]... [--ingress auto|xdp|tc] [--bpffs DIR]\n"
		   "       xmptcpd --probe [-j]\n"
		   "\n"
		   "Attach the xmptcp datapath to the interfaces of this network namespace.\n"
		   "\n"
		   "  -i, --interface IFACE  attach to IFACE only (repeatable; default: every\n"
		   "                         non-loopback interface, including ones added later)\n"
		   "      --ingress HOOK     where the ingress program runs: auto (default: tc\n"
		   "                         on veth devices, xdp on the others), xdp or tc\n"
		   "      --bpffs DIR        bpffs mount point for pins (default " XM_BPFFS_DEFAULT
		   ")\n"
		   "      --probe            check the kernel features the datapath needs, print\n"
		   "                         them and exit (0: all required present, 1: not)\n"
		   "  -j, --json             with --probe: print JSON\n"
		   "  -v, --verbose          debug output, including libbpf's\n"
		   "  -V, --version          print the version and exit\n"
		   "  -h, --help             print this help and exit\n");
}

/* Capabilities: checked up front so the error names what is missing. */
static int check_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{CAP_BPF, "CAP_BPF"},
		{CAP_NET_ADMIN, "CAP_NET_ADMIN"},
	};
	char missing[64] = "";
	size_t i;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		int c = need[i].cap;

		if (!(data[c / 32].effective & (1u << (c % 32)))) {
			if (*missing)
				strcat(missing, ", ");
			strcat(missing, need[i].name);
		}
	}
	if (*missing) {
		log_msg("missing capabilities %s (run as root, or grant them)", missing);
		return -EPERM;
	}
	return 0;
}

static void log_missing(const char *text, void *data)
{
	log_msg("%s", text);
}

/*
 * Before anything is loaded: does the kernel have every feature the datapath
 * needs? Each missing one is named, with the release that added it, so that
 * an old kernel is not reported through a verifier log. The probe's own
 * libbpf chatter (a refused test BTF, say) is dropped, not shown later as if
 * it explained a load failure.
 */
static int check_kernel(void)
{
	struct xm_probe_report rep;
	char line[512];
	int r;

	r = xm_probe_run(&rep);
	libbpf_log_len = 0;
	if (r < 0) {
		log_msg("failed to probe kernel features: %s", strerror(-r));
		return r;
	}
	if (rep.n_missing_required) {
		log_msg("xmptcp cannot run here (Linux %s); nothing was loaded:", rep.kernel);
		xm_probe_foreach_missing(&rep, log_missing, NULL);
		log_msg("Linux 6.1 and newer have all the kernel features (xmptcpd --probe)");
		r = -EOPNOTSUPP;
	} else {
		xm_probe_summary(&rep, line, sizeof(line));
		log_msg("%s", line);
	}
	xm_probe_report_free(&rep);
	return r;
}

/* --probe: the table on stdout; exit 0 only when every required feature is there. */
static int run_probe(bool json)
{
	struct xm_probe_report rep;
	json_t *o;
	int r;

	/* Without CAP_BPF every test load fails and the table would be nonsense. */
	r = check_caps();
	if (r < 0) {
		log_msg("--probe loads test programs, so it needs the same capabilities");
		return EXIT_FAILURE;
	}
	r = xm_probe_run(&rep);
	if (r < 0) {
		log_msg("failed to probe kernel features: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	if (json) {
		o = xm_probe_json(&rep);
		if (!o) {
			log_msg("failed to build JSON: out of memory");
			r = -ENOMEM;
		} else if (json_dumpf(o, stdout, JSON_INDENT(2)) < 0) {
			log_msg("failed to write JSON to stdout");
			r = -EIO;
		}
		fputc('\n', stdout);
		json_decref(o);
	} else {
		xm_probe_print(stdout, &rep);
	}
	if (r >= 0 && rep.n_missing_required)
		r = -EOPNOTSUPP;
	xm_probe_report_free(&rep);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static struct xm_iface *iface_find(struct daemon *d, int ifindex)
{
	struct xm_iface *i;

	for (i = d->ifaces; i; i = i->next)
		if (i->ifindex == ifindex)
			return i;
	return NULL;
}

static bool iface_wanted(const struct daemon *d, const struct xm_link *link)
{
	int i;

	if (link->flags & IFF_LOOPBACK)
		return false;
	if (!d->n_only)
		return true;
	for (i = 0; i < d->n_only; i++)
		if (!strcmp(d->only[i], link->name))
			return true;
	return false;
}

static const char *step_str(enum xm_attach_step step)
{
	switch (step) {
	case XM_STEP_XDP:
		return "attach xdp_ingress to";
	case XM_STEP_TC_HOOK:
		return "create the clsact qdisc on";
	case XM_STEP_TC:
		return "attach tc_egress to";
	case XM_STEP_TC_INGRESS:
		return "attach tc_ingress to";
	}
	return "attach to";
}

static int iface_add(struct daemon *d, const struct xm_link *link)
{
	enum xm_attach_step step;
	struct xm_iface *ifc, **pp;
	int r;
	struct xm_iface_progs progs = {
		.xdp_ingress = bpf_program__fd(d->skel->progs.xdp_ingress),
		.tc_ingress = bpf_program__fd(d->skel->progs.tc_ingress),
		.tc_egress = bpf_program__fd(d->skel->progs.tc_egress),
	};

	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	ifc->ifindex = link->ifindex;
	ifc->xdp_link_fd = -1;
	ifc->seen = true;
	snprintf(ifc->name, sizeof(ifc->name), "%s", link->name);
	snprintf(ifc->kind, sizeof(ifc->kind), "%s", link->kind);
	ifc->ingress = xm_ingress_pick(d->ingress, link->kind);
	r = xm_iface_attach(ifc, &progs, &step);
	if (r < 0) {
		if (step == XM_STEP_XDP && (r == -EBUSY || r == -EEXIST))
			snprintf(ifc->error, sizeof(ifc->error),
				 "failed to %s %s: another XDP program is attached: %s",
				 step_str(step), ifc->name, strerror(-r));
		else if ((step == XM_STEP_TC || step == XM_STEP_TC_INGRESS) && r == -EEXIST)
			snprintf(ifc->error, sizeof(ifc->error),
				 "failed to %s %s: a tc %s filter with handle 0x%x priority %u "
				 "exists already: %s",
				 step_str(step), ifc->name,
				 step == XM_STEP_TC ? "egress" : "ingress", XM_TC_HANDLE,
				 XM_TC_PRIORITY, strerror(-r));
		else
			snprintf(ifc->error, sizeof(ifc->error), "failed to %s %s: %s",
				 step_str(step), ifc->name, strerror(-r));
		log_msg("%s; not retried until %s is re-created or xmptcpd restarts", ifc->error,
			ifc->name);
	} else {
		char in[96];

		if (ifc->ingress == XM_INGRESS_XDP && ifc->xdp_native_err)
			log_msg("%s: native XDP not available (%s), using generic (SKB) mode",
				ifc->name, strerror(-ifc->xdp_native_err));
		if (ifc->tc_replaced_stale)
			log_msg("%s: replaced the tc_egress filter a previous xmptcpd left behind",
				ifc->name);
		if (ifc->tc_in_replaced_stale)
			log_msg("%s: replaced the tc_ingress filter a previous xmptcpd left behind",
				ifc->name);
		if (ifc->tc_in_removed_stale)
			log_msg("%s: removed the tc_ingress filter a previous xmptcpd left behind "
				"(ingress is XDP now)",
				ifc->name);
		if (ifc->ingress == XM_INGRESS_XDP)
			snprintf(in, sizeof(in), "ingress xdp (xdp_ingress %s%s)",
				 ifc->xdp_native ? "native" : "generic",
				 d->ingress == XM_INGRESS_AUTO ? "; auto: not veth" : "");
		else
			snprintf(in, sizeof(in), "ingress tc (tc_ingress on clsact ingress%s)",
				 d->ingress == XM_INGRESS_AUTO ? "; auto: veth" : "");
		log_msg("attached to %s (ifindex %d%s%s): %s, tc_egress on clsact egress%s",
			ifc->name, ifc->ifindex, ifc->kind[0] ? ", " : "", ifc->kind, in,
			ifc->tc_hook_created ? " (clsact created)" : "");
	}
	/* Keep link order, so status lists interfaces as `ip link` does. */
	for (pp = &d->ifaces; *pp; pp = &(*pp)->next)
		;
	*pp = ifc;
	return r;
}
static void iface_remove(struct daemon *d, struct xm_iface *ifc, bool gone)
{
	struct xm_iface **pp;
	int r;

	for (pp = &d->ifaces; *pp; pp = &(*pp)->next) {
		if (*pp == ifc) {
			*pp = ifc->next;
			break;
		}
	}
	r = xm_iface_detach(ifc, gone);
	if (r < 0)
		log_msg("failed to detach from %s: %s", ifc->name, strerror(-r));
	else if (gone && ifc->error[0])
		log_debug("%s (ifindex %d) is gone", ifc->name, ifc->ifindex);
	else if (gone)
		log_msg("%s (ifindex %d) is gone; forgot it", ifc->name, ifc->ifindex);
	else
		log_debug("detached from %s", ifc->name);
	free(ifc);
}

/* A link appeared, changed or went: attach or forget. Attach failures are logged, not fatal. */
static int on_link(const struct xm_link *link, void *data)
{
	struct daemon *d = data;
	struct xm_iface *ifc = iface_find(d, link->ifindex);

	if (link->deleted) {
		if (ifc)
			iface_remove(d, ifc, true);
		return 0;
	}
	if (ifc) {
		ifc->seen = true;
		if (strcmp(ifc->name, link->name)) {
			log_msg("%s (ifindex %d) renamed to %s", ifc->name, ifc->ifindex,
				link->name);
			snprintf(ifc->name, sizeof(ifc->name), "%s", link->name);
		}
		return 0;
	}
	if (iface_wanted(d, link))
		iface_add(d, link);
	return 0;
}

/* After lost notifications, compare with a fresh dump. */
static int links_resync(struct daemon *d)
{
	struct xm_iface *ifc, *next;
	int r;

	for (ifc = d->ifaces; ifc; ifc = ifc->next)
		ifc->seen = false;
	r = xm_nl_link_dump(on_link, d);
	if (r < 0)
		return r;
	for (ifc = d->ifaces; ifc; ifc = next) {
		next = ifc->next;
		if (!ifc->seen)
			iface_remove(d, ifc, true);
	}
	return 0;
}

struct name_check {
	const struct daemon *d;
	bool found[MAX_IFACE_ARGS];
	char list[1024];
};

static int collect_names(const struct xm_link *link, void *data)
{
	struct name_check *nc = data;
	size_t len = strlen(nc->list);
	int i;

	for (i = 0; i < nc->d->n_only; i++)
		if (!strcmp(nc->d->only[i], link->name))
			nc->found[i] = true;
	snprintf(nc->list + len, sizeof(nc->list) - len, "%s%s", len ? ", " : "", link->name);
	return 0;
}

/* Every -i name must exist now; name the wrong one and list the right ones. */
static int check_iface_args(struct daemon *d)
{
	struct name_check nc = {.d = d};
	int i, r;

	if (!d->n_only)
		return 0;
	r = xm_nl_link_dump(collect_names, &nc);
	if (r < 0) {
		log_msg("failed to list interfaces: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < d->n_only; i++) {
		if (!nc.found[i]) {
			log_msg("unknown interface '%s' (interfaces in this network namespace: %s)",
				d->only[i], nc.list);
			d->usage_error = true;
			return -ENODEV;
		}
	}
	return 0;
}

static int prog_id(const struct bpf_program *prog, __u32 *ret)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) < 0)
		return -errno;
	*ret = info.id;
	return 0;
}

static int pin_path(const struct daemon *d, const struct bpf_map *map, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", d->pin_dir, bpf_map__name(map));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Pin every map the programs declare; libbpf's internal .rodata/.bss maps are left out. */
static int pin_maps(struct daemon *d)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int r;

	r = xm_pin_dir_prepare(d->pin_dir);
	if (r < 0) {
		log_msg("failed to create pin directory %s: %s", d->pin_dir, strerror(-r));
		return r;
	}
	d->pin_dir_made = true;
	bpf_object__for_each_map(map, d->skel->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		r = pin_path(d, map, path, sizeof(path));
		if (r >= 0)
			r = bpf_map__pin(map, path);
		if (r < 0) {
			log_msg("failed to pin map %s at %s: %s", bpf_map__name(map), path,
				strerror(-r));
			return r;
		}
		log_debug("pinned %s at %s", bpf_map__name(map), path);
	}
	return 0;
}

static void unpin_maps(struct daemon *d)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int r;

	if (!d->skel || !d->pin_dir_made)
		return;
	bpf_object__for_each_map(map, d->skel->obj)
	{
		if (!bpf_map__is_pinned(map))
			continue;
		r = bpf_map__unpin(map, NULL);
		if (r < 0 && pin_path(d, map, path, sizeof(path)) >= 0)
			log_msg("failed to unpin %s: %s", path, strerror(-r));
	}
	r = xm_pin_dir_remove(d->pin_dir);
	if (r < 0)
		log_msg("failed to remove %s: %s", d->pin_dir, strerror(-r));
	d->pin_dir_made = false;
}

static const char *ifname_of(struct daemon *d, int ifindex, char *buf)
{
	struct xm_iface *ifc = iface_find(d, ifindex);

	if (ifc)
		return ifc->name;
	if (if_indextoname(ifindex, buf))
		return buf;
	snprintf(buf, IF_NAMESIZE, "ifindex %d", ifindex);
	return buf;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct xm_event_hdr *hdr = data;
	char line[512], ifbuf[IF_NAMESIZE + 16];
	struct timespec now;
	int r;

	/* A peer can send malformed options at line rate: keep the log readable. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != d->ev_sec) {
		if (d->ev_suppressed)
			log_msg("%u more datapath events not logged", d->ev_suppressed);
		d->ev_sec = now.tv_sec;
		d->ev_logged = d->ev_suppressed = 0;
	}
	if (d->ev_logged >= EVENT_LOG_PER_SEC) {
		d->ev_suppressed++;
		return 0;
	}
	d->ev_logged++;
	if (size < sizeof(*hdr)) {
		log_msg("datapath event of %zu bytes is shorter than its header", size);
		return 0;
	}
	r = xm_event_describe(data, size, ifname_of(d, hdr->ifindex, ifbuf), line, sizeof(line));
	if (r == -ENOTSUP)
		log_msg("datapath event of unknown type %u (%u bytes)", hdr->type, hdr->len);
	else if (r < 0)
		log_msg("datapath event type %u is malformed (%zu bytes, header says %u)",
			hdr->type, size, hdr->len);
	else
		log_msg("%s", line);
	return 0;
}

/* Control requests. */

static json_t *reply_error(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *do_status(struct daemon *d)
{
	json_t *reply, *ifs, *o;
	struct timespec now;
	struct xm_iface *ifc;
	bool all = d->ifaces != NULL;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ifs = json_array();
	if (!ifs)
		return NULL;
	for (ifc = d->ifaces; ifc; ifc = ifc->next) {
		struct xm_iface_state ks;
		bool xdp = ifc->ingress == XM_INGRESS_XDP, in_ok, eg_ok, ok;
		__u32 in_id;
		int r;

		/* Ask the kernel, not our records: someone may have removed our programs. */
		r = xm_iface_query(ifc, &ks);
		if (r < 0)
			ks.xdp_native = ifc->xdp_native; /* the mode we attached in, at least */
		in_id = xdp ? ks.xdp_prog_id : ks.tc_ingress_prog_id;
		in_ok = in_id == (xdp ? d->xdp_prog_id : d->tc_ingress_prog_id);
		eg_ok = ks.tc_egress_prog_id == d->tc_prog_id;
		ok = r >= 0 && in_ok && eg_ok;
		all = all && ok;
		o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:i, s:b}", "ifindex",
			      ifc->ifindex, "name", ifc->name, "kind", ifc->kind, "ingress",
			      xm_ingress_name(ifc->ingress), "ingress_prog_id", (json_int_t)in_id,
			      "xdp_prog_id", (json_int_t)ks.xdp_prog_id, "tc_ingress_prog_id",
			      (json_int_t)ks.tc_ingress_prog_id, "tc_prog_id",
			      (json_int_t)ks.tc_egress_prog_id, "tc_handle", XM_TC_HANDLE,
			      "tc_priority", XM_TC_PRIORITY, "attached", ok);
		/* XDP's mode only means something where XDP is the ingress hook. */
		if (o && xdp)
			json_object_set_new(o, "xdp_mode",
					    json_string(ks.xdp_native ? "native" : "generic"));
		if (o && !ok) {
			char why[200];

			if (ifc->error[0])
				snprintf(why, sizeof(why), "%s", ifc->error);
			else if (r < 0)
				snprintf(why, sizeof(why), "failed to query the kernel: %s",
					 strerror(-r));
			else
				snprintf(why, sizeof(why), "%s%s%s removed by someone else",
					 in_ok ? ""
					 : xdp ? "xdp_ingress"
					       : "tc_ingress",
					 !in_ok && !eg_ok ? " and " : "", eg_ok ? "" : "tc_egress");
			json_object_set_new(o, "error", json_string(why));
		}
		if (!o || json_array_append_new(ifs, o) < 0) {
			json_decref(ifs);
			return NULL;
		}
	}
	all = all && d->mptcp.sockops_link;
	reply = json_pack("{s:b, s:s, s:i, s:I, s:I, s:s, s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I}, "
			  "s:o, s:{s:s, s:b, s:I, s:I, s:I}}",
			  "ok", 1, "version", XMPTCPD_VERSION, "pid", (int)getpid(), "uptime_s",
			  (json_int_t)(now.tv_sec - d->started.tv_sec), "netns_inode",
			  (json_int_t)d->netns_inode, "bpffs", d->bpffs, "pin_dir", d->pin_dir,
			  "ingress_mode", xm_ingress_name(d->ingress), "attached", all, "programs",
			  "xdp_ingress", (json_int_t)d->xdp_prog_id, "tc_ingress",
			  (json_int_t)d->tc_ingress_prog_id, "tc_egress", (json_int_t)d->tc_prog_id,
			  "sockops_mptcp", (json_int_t)d->sockops_prog_id, "interfaces", ifs,
			  "mptcp", "cgroup", d->mptcp.cgroup, "sockops_attached",
			  d->mptcp.sockops_link != NULL, "keys_made",
			  (json_int_t)d->mptcp.keys_pushed, "linger_removed",
			  (json_int_t)d->mptcp.linger_removed, "linger_reused",
			  (json_int_t)d->mptcp.linger_reused);
	return reply;
}

static json_t *do_stats(struct daemon *d)
{
	int fd = bpf_map__fd(d->skel->maps.xm_stats);
	json_t *arr, *o;
	unsigned int i;
	__u64 v;
	int r;

	arr = json_array();
	if (!arr)
		return NULL;
	for (i = 0; i < XM_STAT__MAX; i++) {
		r = xm_percpu_u64_sum(fd, i, &v);
		if (r < 0) {
			json_decref(arr);
			return reply_error("failed to read counter %s from " XM_MAP_STATS ": %s",
					   xm_stat_name(i), strerror(-r));
		}
		/* A u64 above INT64_MAX does not fit a jansson integer. */
		o = json_pack("{s:s, s:I, s:s}", "name", xm_stat_name(i), "value",
			      (json_int_t)(v > INT64_MAX ? INT64_MAX : v), "help", xm_stat_help(i));
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:b, s:o}", "ok", 1, "stats", arr);
}

static json_t *do_maps(struct daemon *d)
{
	struct bpf_map_info info;
	struct bpf_map *map;
	char path[PATH_MAX];
	json_t *arr, *o;
	int r;

	arr = json_array();
	if (!arr)
		return NULL;
	bpf_object__for_each_map(map, d->skel->obj)
	{
		r = xm_map_info(bpf_map__fd(map), &info);
		if (r < 0) {
			json_decref(arr);
			return reply_error("failed to read map %s: %s", bpf_map__name(map),
					   strerror(-r));
		}
		r = xm_map_info_json(&info, &o);
		if (r < 0) {
			json_decref(arr);
			return NULL;
		}
		if (bpf_map__is_pinned(map) && pin_path(d, map, path, sizeof(path)) >= 0)
			json_object_set_new(o, "pinned", json_string(path));
		else
			json_object_set_new(o, "pinned", json_null());
		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:b, s:o}", "ok", 1, "maps", arr);
}

static json_t *handle_request(struct daemon *d, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!cmd)
		return reply_error(
			"request has no \"cmd\" string (expected: status, stats, maps, conns)");
	if (!strcmp(cmd, "status"))
		return do_status(d);
	if (!strcmp(cmd, "stats"))
		return do_stats(d);
	if (!strcmp(cmd, "maps"))
		return do_maps(d);
	if (!strcmp(cmd, "conns"))
		return xm_mptcp_conns_json(d->skel);
	return reply_error("unknown command '%s' (expected: status, stats, maps, conns)", cmd);
}

/* Serve one request on a client socket; returns <0 when the client is done or broken. */
static int on_client(struct daemon *d, int fd)
{
	json_t *req = NULL, *reply;
	int r;

	r = xm_ctl_recv(fd, &req);
	if (r == -EAGAIN)
		return 0;
	if (r == -EBADMSG || r == -EMSGSIZE)
		reply = reply_error("request is not a JSON object of at most %d bytes",
				    XM_CTL_MSG_MAX);
	else if (r < 0)
		return r;
	else
		reply = handle_request(d, req);
	json_decref(req);
	if (!reply)
		reply = reply_error("out of memory");
	r = reply ? xm_ctl_send(fd, reply) : -ENOMEM;
	json_decref(reply);
	return r;
}

static int ep_add(int ep, int fd, __u64 tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* epoll tags: the fixed sources, or a client fd shifted above them. */
enum { TAG_SIGNAL = 1, TAG_NETLINK, TAG_CTL, TAG_RINGBUF, TAG_KEYS, TAG_CLIENT = 16 };

static int event_loop(struct daemon *d)
{
	struct epoll_event evs[16];
	int n, i, r;

	for (;;) {
		n = epoll_wait(d->ep_fd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			__u64 tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(d->sig_fd, &si, sizeof(si)) == sizeof(si))
					log_msg("SIG%s received, shutting down",
						sigabbrev_np(si.ssi_signo) ?: "?");
				return 0;
			} else if (tag == TAG_NETLINK) {
				r = xm_nl_monitor_read(d->nl, on_link, d);
				if (r == -ENOBUFS) {
					log_msg("missed link notifications; rescanning links");
					r = links_resync(d);
				}
				if (r < 0)
					log_msg("failed to follow links: %s", strerror(-r));
			} else if (tag == TAG_CTL) {
				int c = accept4(d->ctl_fd, NULL, NULL,
						SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c >= 0 && ep_add(d->ep_fd, c, TAG_CLIENT + c) < 0)
					close(c);
			} else if (tag == TAG_KEYS) {
				r = xm_mptcp_on_timer(&d->mptcp, d->skel);
				if (r < 0)
					log_msg("failed to refill " XM_MAP_KEYS ": %s",
						strerror(-r));
			} else if (tag == TAG_RINGBUF) {
				r = ring_buffer__consume(d->rb);
				if (r < 0)
					log_msg("failed to read datapath events: %s", strerror(-r));
			} else {
				int c = tag - TAG_CLIENT;

				if ((evs[i].events & (EPOLLHUP | EPOLLERR)) ||
				    on_client(d, c) < 0) {
					epoll_ctl(d->ep_fd, EPOLL_CTL_DEL, c, NULL);
					close(c);
				}
			}
		}
	}
}

static void daemon_cleanup(struct daemon *d)
{
	/* First stop offering MPTCP to new connections, then detach the rest. */
	xm_mptcp_stop(&d->mptcp);
	while (d->ifaces)
		iface_remove(d, d->ifaces, false);
	ring_buffer__free(d->rb);
	d->rb = NULL;
	unpin_maps(d);
	xmptcp_bpf__destroy(d->skel);
	d->skel = NULL;
	xm_nl_close(d->nl);
	if (d->ctl_fd >= 0)
		close(d->ctl_fd);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->ep_fd >= 0)
		close(d->ep_fd);
	/* A bpffs we mounted stays: other daemons may pin there, and unmounting is not ours to do.
	 */
}

static int daemon_start(struct daemon *d)
{
	sigset_t mask;
	int r;

	/*
	 * Block SIGTERM/SIGINT from the start: one arriving while the verifier runs
	 * waits in the signalfd, and the loop then cleans up, instead of the default
	 * action leaving pins and tc filters behind.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = check_caps();
	if (r < 0)
		return r;
	r = check_kernel();
	if (r < 0)
		return r;

	/* First, before touching anything: the single-instance check. */
	d->ctl_fd = xm_ctl_bind(XM_CTL_NAME);
	if (d->ctl_fd == -EADDRINUSE) {
		pid_t pid = 0;
		int c = xm_ctl_connect(XM_CTL_NAME);

		if (c >= 0) {
			xm_ctl_peer_pid(c, &pid);
			close(c);
		}
		if (pid > 0)
			log_msg("a daemon is already running in this network namespace (pid %d)",
				(int)pid);
		else
			/* It has bound the name but not started listening: it is still loading. */
			log_msg("a daemon is already running in this network namespace "
				"(still starting; abstract socket @" XM_CTL_NAME " is taken)");
		return -EADDRINUSE;
	}
	if (d->ctl_fd < 0) {
		log_msg("failed to create control socket @" XM_CTL_NAME ": %s",
			strerror(-d->ctl_fd));
		return d->ctl_fd;
	}

	r = check_iface_args(d);
	if (r < 0)
		return r;

	r = xm_netns_inode(&d->netns_inode);
	if (r < 0) {
		log_msg("failed to read /proc/self/ns/net: %s", strerror(-r));
		return r;
	}
	r = xm_bpffs_ensure(d->bpffs, &d->bpffs_mounted);
	if (r < 0) {
		log_msg("bpffs is not mounted at %s and mounting it failed: %s%s", d->bpffs,
			strerror(-r),
			r == -EPERM ? " (mounting needs CAP_SYS_ADMIN)"
			: r == -ENOTDIR
				? " (the directory does not exist; create it or use --bpffs DIR)"
				: "");
		return r;
	}
	if (d->bpffs_mounted)
		log_msg("mounted bpffs at %s", d->bpffs);
	r = xm_pin_dir_path(d->pin_dir, sizeof(d->pin_dir), d->bpffs, d->netns_inode);
	if (r < 0) {
		log_msg("pin directory path under %s is too long", d->bpffs);
		return r;
	}

	d->skel = xmptcp_bpf__open();
	if (!d->skel) {
		r = -errno;
		log_msg("failed to open the BPF object: %s", strerror(-r));
		print_load_failure();
		return r;
	}
	r = xm_mptcp_prepare(&d->mptcp, d->skel);
	if (r < 0) {
		log_msg("failed to read this network namespace's cookie (SO_NETNS_COOKIE, Linux "
			">= 5.14): %s",
			strerror(-r));
		return r;
	}
	r = xmptcp_bpf__load(d->skel);
	if (r < 0) {
		log_msg("failed to load the BPF programs: %s", strerror(-r));
		print_load_failure();
		return r;
	}
	r = prog_id(d->skel->progs.xdp_ingress, &d->xdp_prog_id);
	if (r >= 0)
		r = prog_id(d->skel->progs.tc_ingress, &d->tc_ingress_prog_id);
	if (r >= 0)
		r = prog_id(d->skel->progs.tc_egress, &d->tc_prog_id);
	if (r >= 0)
		r = prog_id(d->skel->progs.sockops_mptcp, &d->sockops_prog_id);
	if (r < 0) {
		log_msg("failed to read program ids: %s", strerror(-r));
		return r;
	}
	r = pin_maps(d);
	if (r < 0)
		return r;

	d->rb = ring_buffer__new(bpf_map__fd(d->skel->maps.xm_events), on_event, d, NULL);
	if (!d->rb) {
		r = -errno;
		log_msg("failed to open ring buffer " XM_MAP_EVENTS ": %s", strerror(-r));
		return r;
	}

	d->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sig_fd < 0) {
		r = -errno;
		log_msg("failed to create signalfd: %s", strerror(-r));
		return r;
	}

	/* Subscribe before the dump, so that no link can slip between the two. */
	r = xm_nl_monitor_open(&d->nl);
	if (r < 0) {
		log_msg("failed to open rtnetlink: %s", strerror(-r));
		return r;
	}

	d->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->ep_fd < 0) {
		r = -errno;
		log_msg("failed to create epoll: %s", strerror(-r));
		return r;
	}
	if ((r = ep_add(d->ep_fd, d->sig_fd, TAG_SIGNAL)) < 0 ||
	    (r = ep_add(d->ep_fd, xm_nl_fd(d->nl), TAG_NETLINK)) < 0 ||
	    (r = ep_add(d->ep_fd, d->ctl_fd, TAG_CTL)) < 0 ||
	    (r = ep_add(d->ep_fd, ring_buffer__epoll_fd(d->rb), TAG_RINGBUF)) < 0) {
		log_msg("failed to set up epoll: %s", strerror(-r));
		return r;
	}

	r = xm_nl_link_dump(on_link, d);
	if (r < 0) {
		log_msg("failed to list interfaces: %s", strerror(-r));
		return r;
	}
	/* Interfaces named with -i must all work: the user asked for exactly them. */
	for (int i = 0; i < d->n_only; i++) {
		struct xm_iface *ifc;
		bool ok = false;

		for (ifc = d->ifaces; ifc; ifc = ifc->next)
			ok = ok || (!strcmp(ifc->name, d->only[i]) && !ifc->error[0]);
		if (!ok) {
			log_msg("could not attach to %s, which -i asked for (see above)",
				d->only[i]);
			return -EIO;
		}
	}
	/*
	 * Offer MPTCP only now that XDP and TC are in place on every interface:
	 * a connection that speaks MPTCP needs them for its DATA_FIN.
	 */
	r = xm_mptcp_start(&d->mptcp, d->skel);
	if (r < 0) {
		log_msg("failed to start MPTCP (key queue, sockops on the cgroup2 root%s%s): %s",
			d->mptcp.cgroup[0] ? " " : "", d->mptcp.cgroup,
			r == -ENOENT ? "no cgroup2 file system is mounted (mount -t cgroup2 none "
				       "/sys/fs/cgroup)"
				     : strerror(-r));
		return r;
	}
	r = ep_add(d->ep_fd, d->mptcp.timer_fd, TAG_KEYS);
	if (r < 0) {
		log_msg("failed to set up epoll: %s", strerror(-r));
		return r;
	}
	r = xm_ctl_listen(d->ctl_fd);
	if (r < 0) {
		log_msg("failed to listen on control socket @" XM_CTL_NAME ": %s", strerror(-r));
		return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	log_msg("running in network namespace net:[%llu], maps pinned in %s, control socket @%s",
		(unsigned long long)d->netns_inode, d->pin_dir, XM_CTL_NAME);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"ingress", required_argument, NULL, 'I'},
		{"probe", no_argument, NULL, 'P'},
		{"json", no_argument, NULL, 'j'},
		{"bpffs", required_argument, NULL, 'B'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct daemon d = {.bpffs = XM_BPFFS_DEFAULT,
			   .ctl_fd = -1,
			   .sig_fd = -1,
			   .ep_fd = -1,
			   .mptcp = {.timer_fd = -1}};
	int c, r;

	while ((c = getopt_long(argc, argv, "i:jvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (d.n_only == MAX_IFACE_ARGS) {
				log_msg("too many -i options (at most %d)", MAX_IFACE_ARGS);
				return EXIT_USAGE;
			}
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE) {
				log_msg("invalid interface name '%s' (1 to %d characters)", optarg,
					IF_NAMESIZE - 1);
				return EXIT_USAGE;
			}
			d.only[d.n_only++] = optarg;
			break;
		case 'I':
			if (xm_ingress_parse(optarg, &d.ingress) < 0) {
				log_msg("invalid --ingress '%s' (expected: auto, xdp, tc)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			d.bpffs = optarg;
			break;
		case 'P':
			d.probe_only = true;
			break;
		case 'j':
			d.json = true;
			break;
		case 'v':
			d.verbose = verbose = true;
			break;
		case 'V':
			printf("xmptcpd " XMPTCPD_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_msg("unexpected argument '%s' (xmptcpd takes options only; see -h)",
			argv[optind]);
		return EXIT_USAGE;
	}

	if (d.json && !d.probe_only) {
		log_msg("-j only applies to --probe (for the daemon's state: mptcpctl -j)");
		return EXIT_USAGE;
	}
	if (d.probe_only && (d.n_only || strcmp(d.bpffs, XM_BPFFS_DEFAULT) || d.ingress)) {
		log_msg("--probe takes no -i, --ingress or --bpffs: it attaches nothing");
		return EXIT_USAGE;
	}

	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);

	if (d.probe_only) {
		r = run_probe(d.json);
		free(libbpf_log);
		return r;
	}

	r = daemon_start(&d);
	if (r >= 0)
		r = event_loop(&d);
	daemon_cleanup(&d);
	free(libbpf_log);
	if (d.usage_error)
		return EXIT_USAGE;
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
