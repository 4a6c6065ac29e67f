// SPDX-License-Identifier: GPL-2.0-only
/*
 * mptcpctl: ask the xmptcpd of this network namespace about its state.
 * Grammar (object, then verb, like `ip mptcp`; keywords match exactly):
 *   mptcpctl [-j] [-v] status | stats | map list | map dump NAME | conn show | help
 * Everything comes from the daemon over its control socket; map contents are
 * read by map id, which is global, so no bpffs path is needed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>

#include "btf_json.h"
#include "ctl.h"
#include "maps.h"

/* Exit codes, documented in mptcpctl(8). */
#define EXIT_OK	   0
#define EXIT_FAIL  1 /* daemon not running, not attached, or the operation failed */
#define EXIT_USAGE 2

static bool json_out, verbose;

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	/* Keep the order of what stdout already said and this error. */
	fflush(stdout);
	fputs("mptcpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mptcpctl [OPTIONS] OBJECT [VERB] [ARGS]\n"
		   "\n"
		   "  mptcpctl status          is xmptcpd running here, and where is it attached\n"
		   "  mptcpctl stats           datapath counters, summed over CPUs\n"
		   "  mptcpctl map list        the daemon's BPF maps\n"
		   "  mptcpctl map dump NAME   a map's entries, decoded with its BTF\n"
		   "  mptcpctl conn show       the MPTCP connections of this network namespace\n"
		   "  mptcpctl help            this text\n"
		   "\n"
		   "Options:\n"
		   "  -j, --json      print JSON\n"
		   "  -v, --verbose   more detail (counter descriptions)\n"
		   "  -h, --help      this text\n"
		   "\n"
		   "Exit status: 0 success, 1 daemon not running or operation failed, 2 usage "
		   "error.\n");
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

/*
 * One request to the daemon. Returns the reply, or NULL after printing why
 * (*code then holds the exit code).
 */
static json_t *call(const char *cmd, int *code)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd), *reply = NULL;
	int r;

	if (!req) {
		err("out of memory");
		*code = EXIT_FAIL;
		return NULL;
	}
	r = xm_ctl_call(XM_CTL_NAME, req, &reply);
	json_decref(req);
	*code = EXIT_FAIL;
	if (r == -ECONNREFUSED || r == -ENOENT) {
		if (json_out && !strcmp(cmd, "status"))
			printf("{\"running\": false}\n");
		err("xmptcpd is not running in this network namespace");
		return NULL;
	}
	if (r == -EREMOTEIO) {
		err("xmptcpd: %s",
		    json_string_value(json_object_get(reply, "error")) ?: "request failed");
		json_decref(reply);
		return NULL;
	}
	if (r == -EAGAIN) {
		err("xmptcpd did not answer within %d s", XM_CTL_TIMEOUT_S);
		return NULL;
	}
	if (r < 0) {
		err("cannot talk to xmptcpd on @" XM_CTL_NAME ": %s", strerror(-r));
		return NULL;
	}
	json_object_del(reply, "ok");
	*code = EXIT_OK;
	return reply;
}

static json_int_t jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static int cmd_status(void)
{
	json_t *st, *ifs, *ifc, *progs;
	bool attached;
	size_t i;
	int code;

	st = call("status", &code);
	if (!st)
		return code;
	attached = json_is_true(json_object_get(st, "attached"));
	json_object_set_new(st, "running", json_true());
	if (json_out) {
		print_json(st);
	} else {
		progs = json_object_get(st, "programs");
		ifs = json_object_get(st, "interfaces");
		printf("xmptcpd %s running, pid %" JSON_INTEGER_FORMAT ", up %" JSON_INTEGER_FORMAT
		       " s\n",
		       jstr(st, "version"), jint(st, "pid"), jint(st, "uptime_s"));
		printf("netns:     net:[%" JSON_INTEGER_FORMAT "]\n", jint(st, "netns_inode"));
		printf("pin dir:   %s\n", jstr(st, "pin_dir"));
		printf("programs:  xdp_ingress id %" JSON_INTEGER_FORMAT
		       ", tc_ingress id %" JSON_INTEGER_FORMAT ", tc_egress id %" JSON_INTEGER_FORMAT
		       ", sockops_mptcp id %" JSON_INTEGER_FORMAT "\n",
		       jint(progs, "xdp_ingress"), jint(progs, "tc_ingress"),
		       jint(progs, "tc_egress"), jint(progs, "sockops_mptcp"));
		printf("ingress:   %s\n", jstr(st, "ingress_mode"));
		printf("sockops:   %s on %s\n",
		       json_is_true(json_object_get(json_object_get(st, "mptcp"), "sockops_attached"))
			       ? "attached"
			       : "NOT ATTACHED",
		       jstr(json_object_get(st, "mptcp"), "cgroup"));
		printf("time-wait: %" JSON_INTEGER_FORMAT " entries swept, %" JSON_INTEGER_FORMAT
		       " left to a new connection on the same 4-tuple\n",
		       jint(json_object_get(st, "mptcp"), "linger_removed"),
		       jint(json_object_get(st, "mptcp"), "linger_reused"));
		printf("attached:  %s\n", attached ? "yes" : "no");
		if (json_array_size(ifs)) {
			printf("\n%-8s %-16s %-12s %-8s %-8s %s\n", "IFINDEX", "NAME", "INGRESS",
			       "IN-ID", "EG-ID", "STATE");
			json_array_foreach(ifs, i, ifc)
			{
				bool ok = json_is_true(json_object_get(ifc, "attached"));
				char hook[32];

				/* "tc", or "xdp/native", "xdp/generic" */
				if (json_object_get(ifc, "xdp_mode"))
					snprintf(hook, sizeof(hook), "%s/%s", jstr(ifc, "ingress"),
						 jstr(ifc, "xdp_mode"));
				else
					snprintf(hook, sizeof(hook), "%s", jstr(ifc, "ingress"));
				printf("%-8" JSON_INTEGER_FORMAT
				       " %-16s %-12s %-8" JSON_INTEGER_FORMAT
				       " %-8" JSON_INTEGER_FORMAT " %s\n",
				       jint(ifc, "ifindex"), jstr(ifc, "name"), hook,
				       jint(ifc, "ingress_prog_id"), jint(ifc, "tc_prog_id"),
				       ok ? "attached" : "NOT ATTACHED");
			}
			json_array_foreach(ifs, i, ifc)
			{
				if (json_object_get(ifc, "error"))
					printf("%s: %s\n", jstr(ifc, "name"), jstr(ifc, "error"));
			}
		}
	}
	if (!attached) {
		if (!json_array_size(json_object_get(st, "interfaces")))
			err("xmptcpd runs but is attached to no interface");
		else
			err("xmptcpd runs but some of its programs are not attached");
	}
	json_decref(st);
	return attached ? EXIT_OK : EXIT_FAIL;
}

static int cmd_stats(void)
{
	json_t *st, *arr, *s;
	size_t i;
	int code;

	st = call("stats", &code);
	if (!st)
		return code;
	if (json_out) {
		print_json(st);
	} else {
		arr = json_object_get(st, "stats");
		json_array_foreach(arr, i, s)
		{
			if (verbose)
				printf("%-16s %20" JSON_INTEGER_FORMAT "  %s\n", jstr(s, "name"),
				       jint(s, "value"), jstr(s, "help"));
			else
				printf("%-16s %20" JSON_INTEGER_FORMAT "\n", jstr(s, "name"),
				       jint(s, "value"));
		}
	}
	json_decref(st);
	return EXIT_OK;
}

/* "a, b, c" from the "name" of each map. */
static void map_names(json_t *maps, char *buf, size_t size)
{
	size_t i, len = 0;
	json_t *m;

	buf[0] = '\0';
	json_array_foreach(maps, i, m)
	{
		snprintf(buf + len, size - len, "%s%s", i ? ", " : "", jstr(m, "name"));
		len = strlen(buf);
	}
}

static int cmd_map_list(void)
{
	json_t *reply, *maps, *m;
	size_t i;
	int code;

	reply = call("maps", &code);
	if (!reply)
		return code;
	maps = json_object_get(reply, "maps");
	if (json_out) {
		print_json(reply);
	} else {
		printf("%-16s %-16s %-6s %-5s %-6s %-8s %s\n", "NAME", "TYPE", "ID", "KEY", "VALUE",
		       "ENTRIES", "PINNED");
		json_array_foreach(maps, i, m)
		{
			printf("%-16s %-16s %-6" JSON_INTEGER_FORMAT " %-5" JSON_INTEGER_FORMAT
			       " %-6" JSON_INTEGER_FORMAT " %-8" JSON_INTEGER_FORMAT " %s\n",
			       jstr(m, "name"), jstr(m, "type"), jint(m, "id"), jint(m, "key_size"),
			       jint(m, "value_size"), jint(m, "max_entries"), jstr(m, "pinned"));
		}
	}
	json_decref(reply);
	return EXIT_OK;
}

static int cmd_map_dump(const char *name)
{
	json_t *reply, *maps, *m, *found = NULL, *entries = NULL, *out = NULL;
	char names[512];
	int code = EXIT_FAIL, fd = -1, r;
	size_t i;

	reply = call("maps", &code);
	if (!reply)
		return code;
	maps = json_object_get(reply, "maps");
	map_names(maps, names, sizeof(names));
	if (!name) {
		err("map dump needs a map name (expected one of: %s)", names);
		code = EXIT_USAGE;
		goto out;
	}
	json_array_foreach(maps, i, m)
	{
		if (!strcmp(jstr(m, "name"), name))
			found = m;
	}
	if (!found) {
		err("unknown map '%s' (expected one of: %s)", name, names);
		code = EXIT_USAGE;
		goto out;
	}
	code = EXIT_FAIL;
	if (!strcmp(jstr(found, "type"), "ringbuf") ||
	    !strcmp(jstr(found, "type"), "user_ringbuf")) {
		err("map '%s' is a ring buffer: its records are consumed by xmptcpd as they come, "
		    "so it cannot be dumped (xmptcpd logs them)",
		    name);
		goto out;
	}
	/* By id, not by pin path: ids are global, pins depend on which bpffs this process sees. */
	fd = bpf_map_get_fd_by_id(jint(found, "id"));
	if (fd < 0) {
		r = -errno;
		err("cannot open map %s (id %" JSON_INTEGER_FORMAT "): %s%s", name,
		    jint(found, "id"), strerror(-r),
		    r == -EPERM ? " (opening a map by id needs CAP_SYS_ADMIN: run as root)" : "");
		goto out;
	}
	r = xm_map_dump_json(fd, &entries);
	if (r == -EOPNOTSUPP) {
		err("map '%s' is a %s map, which has no keys to walk", name, jstr(found, "type"));
		goto out;
	}
	if (r < 0) {
		err("cannot dump map %s: %s", name, strerror(-r));
		goto out;
	}
	out = json_pack("{s:O, s:o}", "map", found, "entries", entries);
	if (!out) {
		err("out of memory");
		goto out;
	}
	if (json_out)
		print_json(out);
	else
		xm_json_print_text(stdout, out);
	code = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	json_decref(out);
	json_decref(reply);
	return code;
}

/* Extra words after a complete command are an error, not silently ignored. */
static int no_more(int argc, char **argv, const char *after)
{
	if (argc > 0) {
		err("unexpected argument '%s' after '%s'", argv[0], after);
		return -1;
	}
	return 0;
}

static int cmd_conn_show(void)
{
	json_t *reply, *conns, *c;
	size_t i;
	int code;

	reply = call("conns", &code);
	if (!reply)
		return code;
	conns = json_object_get(reply, "connections");
	if (json_out) {
		print_json(reply);
	} else {
		printf("%-47s %-47s %-10s %-11s %-6s %12s %12s %-8s %s\n", "LOCAL", "REMOTE", "TOKEN",
		       "STATE", "ROLE", "SENT", "RECEIVED", "FALLBACK", "SUBFLOWS");
		json_array_foreach(conns, i, c)
		{
			printf("%-47s %-47s %-10s %-11s %-6s %12" JSON_INTEGER_FORMAT
			       " %12" JSON_INTEGER_FORMAT " %-8s %" JSON_INTEGER_FORMAT "\n",
			       jstr(c, "local"), jstr(c, "remote"), jstr(c, "token"), jstr(c, "state"),
			       jstr(c, "role"), jint(c, "bytes_sent"), jint(c, "bytes_received"),
			       json_is_true(json_object_get(c, "fallback")) ? "yes" : "no",
			       jint(c, "subflows"));
		}
	}
	json_decref(reply);
	return EXIT_OK;
}

static int cmd_conn(int argc, char **argv)
{
	if (argc < 1) {
		err("missing verb after 'conn' (expected: show)");
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "show")) {
		err("unknown verb 'conn %s' (expected: show)", argv[0]);
		return EXIT_USAGE;
	}
	return no_more(argc - 1, argv + 1, "conn show") < 0 ? EXIT_USAGE : cmd_conn_show();
}

static int cmd_map(int argc, char **argv)
{
	const char *verb;

	if (argc < 1) {
		err("map needs a verb (expected: list, dump, help)");
		return EXIT_USAGE;
	}
	verb = argv[0];
	if (!strcmp(verb, "list"))
		return no_more(argc - 1, argv + 1, "map list") < 0 ? EXIT_USAGE : cmd_map_list();
	if (!strcmp(verb, "dump")) {
		if (argc > 2 && no_more(argc - 2, argv + 2, argv[1]) < 0)
			return EXIT_USAGE;
		return cmd_map_dump(argc > 1 ? argv[1] : NULL);
	}
	if (!strcmp(verb, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	err("unknown map verb '%s' (expected: list, dump, help)", verb);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *obj;
	int c;

	/* "+": options end at the first word, so `map dump NAME` cannot be taken for options. */
	while ((c = getopt_long(argc, argv, "+jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_out = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err("see 'mptcpctl help' (options: -j/--json, -v/--verbose, -h/--help)");
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		err("missing command (expected: status, stats, map, conn, help)");
		usage(stderr);
		return EXIT_USAGE;
	}
	obj = argv[0];
	if (!strcmp(obj, "status"))
		return no_more(argc - 1, argv + 1, obj) < 0 ? EXIT_USAGE : cmd_status();
	if (!strcmp(obj, "stats"))
		return no_more(argc - 1, argv + 1, obj) < 0 ? EXIT_USAGE : cmd_stats();
	if (!strcmp(obj, "map"))
		return cmd_map(argc - 1, argv + 1);
	if (!strcmp(obj, "conn"))
		return cmd_conn(argc - 1, argv + 1);
	if (!strcmp(obj, "help")) {
		if (no_more(argc - 1, argv + 1, obj) < 0)
			return EXIT_USAGE;
		usage(stdout);
		return EXIT_OK;
	}
	err("unknown command '%s' (expected: status, stats, map, conn, help)", obj);
	return EXIT_USAGE;
}
