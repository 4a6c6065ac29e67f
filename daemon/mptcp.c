// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "keys.h"
#include "mptcp.h"
#include "nsid.h"

int xm_mptcp_prepare(struct xm_mptcp *m, struct xmptcp_bpf *skel)
{
	int r;

	m->timer_fd = -1;
	m->retrans_collapse_was = -1;
	r = xm_netns_cookie(&m->netns_cookie);
	if (r < 0)
		return r;
	skel->rodata->xm_netns_cookie = m->netns_cookie;
	return bpf_map__set_max_entries(skel->maps.xm_keys, XM_KEYS_QUEUE_LEN);
}

/*
 * net.ipv4.tcp_retrans_collapse, in the daemon's namespace. When it is on,
 * the stack merges small segments into one as it retransmits them, and the
 * merged segment can span two DSS mappings sent earlier: one DSS carries
 * one mapping, so the peer would get bytes outside any mapping and fall
 * back to TCP (bpf/txmap.h). Off costs a few extra packets in loss recovery.
 * Returns the value before, or -1 when it could not be read or written.
 */
#define XM_RETRANS_COLLAPSE "/proc/sys/net/ipv4/tcp_retrans_collapse"

static int retrans_collapse_set(int v)
{
	char buf[16];
	int fd, old = -1;
	ssize_t n;

	fd = open(XM_RETRANS_COLLAPSE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		old = atoi(buf);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", v);
	if (old < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		old = -1;
	close(fd);
	return old;
}

int xm_mptcp_start(struct xm_mptcp *m, struct xmptcp_bpf *skel)
{
	struct itimerspec its = {
		.it_interval = {.tv_nsec = XM_KEYS_REFILL_MS * 1000000L},
		.it_value = {.tv_nsec = XM_KEYS_REFILL_MS * 1000000L},
	};
	unsigned int n;
	int cg, r;

	/*
	 * Room for every entry: a sweep that could remove only a batch a second
	 * fell behind a few thousand short connections a second, and the
	 * lingering entries would have filled xm_conns (ConnTableFull).
	 */
	m->victims_cap = bpf_map__max_entries(skel->maps.xm_conns);
	m->victims = calloc(m->victims_cap, sizeof(*m->victims));
	if (!m->victims)
		return -ENOMEM;
	r = xm_keys_refill(bpf_map__fd(skel->maps.xm_keys), XM_KEYS_QUEUE_LEN, &n);
	if (r < 0)
		return r;
	m->keys_pushed += n;

	r = xm_cgroup2_root(m->cgroup, sizeof(m->cgroup));
	if (r < 0)
		return r;
	cg = open(m->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -errno;
	/* A link: if the daemon dies, the kernel detaches the program with it. */
	m->sockops_link = bpf_program__attach_cgroup(skel->progs.sockops_mptcp, cg);
	r = m->sockops_link ? 0 : -errno;
	close(cg);
	if (r < 0) {
		m->sockops_link = NULL;
		return r;
	}

	m->retrans_collapse_was = retrans_collapse_set(0);
	if (m->retrans_collapse_was < 0)
		fprintf(stderr,
			"xmptcpd: warning: cannot turn off %s (%s): a retransmission that merges "
			"segments may make a peer fall back to TCP\n",
			XM_RETRANS_COLLAPSE, strerror(errno));

	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timer_fd < 0)
		return -errno;
	if (timerfd_settime(m->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

/*
 * Remove the entries of TIME_WAIT sockets that no longer need to linger
 * (struct xm_conn in abi.h): the peer's DATA_FIN was acked a while ago, or
 * TIME_WAIT is over. Keys first, deletes after: deleting while walking with
 * get_next_key would restart the walk. One walk visits the whole map.
 *
 * A key may belong to a new connection by the time it is deleted: once the
 * TIME_WAIT socket is gone (the peer's RST ends it, or the namespace had no
 * TIME_WAIT bucket left for it), connect() may take the same 4-tuple again
 * within milliseconds under a high connection rate. Deleting that connection's
 * entry left its data without mappings or its FIN without the DATA_FIN: the
 * kernel peer fell back (DssFallback) or waited 60 s for the DATA_FIN, once in
 * about 200 000 connections in bench/run.sh (which now finds about 100 such
 * keys per 35 000 connections: linger_reused). So each delete goes by the
 * connection's key, not only the 4-tuple: look again, then delete and put back
 * what turns out to be another connection's. The window left: a new connection
 * that takes the 4-tuple between the two calls has no entry for the
 * microseconds until it is back.
 */

static bool still_lingering(const struct xm_conn *c, const struct xm_linger_victim *v)
{
	return (c->flags & XM_CONN_F_LINGER) && c->local_key == v->local_key;
}

static void linger_sweep(struct xm_mptcp *m, struct xmptcp_bpf *skel)
{
	struct xm_linger_victim *done = m->victims;
	int fd = bpf_map__fd(skel->maps.xm_conns);
	struct xm_flow_key k, next;
	struct xm_conn c;
	struct timespec ts;
	uint64_t now, idle;
	unsigned int n = 0, i;
	void *prev = NULL;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	while (n < m->victims_cap && bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &c) || !(c.flags & XM_CONN_F_LINGER))
			continue;
		idle = now > c.linger_ns ? now - c.linger_ns : 0;
		if (idle > XM_LINGER_MAX_NS ||
		    ((c.flags & XM_CONN_F_PEER_DATA_FIN) && idle > XM_LINGER_DONE_NS)) {
			done[n].k = k;
			done[n].local_key = c.local_key;
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &done[i].k, &c))
			continue;
		if (!still_lingering(&c, &done[i])) {
			m->linger_reused++;
			continue;
		}
		if (bpf_map_lookup_and_delete_elem(fd, &done[i].k, &c))
			continue;
		if (still_lingering(&c, &done[i])) {
			m->linger_removed++;
			continue;
		}
		/* taken between the two calls: put the new connection's entry back */
		bpf_map_update_elem(fd, &done[i].k, &c, BPF_NOEXIST);
		m->linger_reused++;
	}
}

int xm_mptcp_on_timer(struct xm_mptcp *m, struct xmptcp_bpf *skel)
{
	uint64_t expirations;
	unsigned int n;
	int r;

	if (read(m->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	if (++m->ticks % XM_SWEEP_TICKS == 0)
		linger_sweep(m, skel);
	r = xm_keys_refill(bpf_map__fd(skel->maps.xm_keys), XM_KEYS_QUEUE_LEN, &n);
	m->keys_pushed += n;
	return r;
}

void xm_mptcp_stop(struct xm_mptcp *m)
{
	/* give the namespace back its setting (unless it was off already) */
	if (m->retrans_collapse_was > 0)
		retrans_collapse_set(m->retrans_collapse_was);
	m->retrans_collapse_was = -1;
	bpf_link__destroy(m->sockops_link);
	m->sockops_link = NULL;
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	m->timer_fd = -1;
	free(m->victims);
	m->victims = NULL;
	m->victims_cap = 0;
}

static const char *state_name(__u8 state)
{
	switch (state) {
	case XM_CS_SYN_SENT:
		return "syn-sent";
	case XM_CS_MPC_ACK:
		return "mpc-ack";
	case XM_CS_ESTABLISHED:
		return "established";
	}
	return "unknown";
}

static void addr_str(__u8 ip_ver, const __be32 *a, __be16 port, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(ip_ver == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
	snprintf(buf, size, ip_ver == 4 ? "%s:%u" : "[%s]:%u", ip, ntohs(port));
}

static json_t *conn_json(const struct xm_flow_key *k, const struct xm_conn *c)
{
	char local[INET6_ADDRSTRLEN + 8], remote[INET6_ADDRSTRLEN + 8], token[11];

	addr_str(k->ip_ver, k->laddr, k->lport, local, sizeof(local));
	addr_str(k->ip_ver, k->raddr, k->rport, remote, sizeof(remote));
	snprintf(token, sizeof(token), "0x%08x", c->local_token);
	/*
	 * Only connections that speak MPTCP have an entry: a fallback removes
	 * it at once, so "fallback" is always false here; it stays in the
	 * shape for the multipath stage, where a connection can fall back late.
	 */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:i, s:b}", "local", local,
			 "remote", remote, "token", token,
			 "state", (c->flags & XM_CONN_F_LINGER) ? "time-wait" : state_name(c->state),
			 "role",
			 c->role == XM_ROLE_CLIENT ? "client" : "server", "bytes_sent",
			 (json_int_t)c->bytes_acked, "bytes_received",
			 (json_int_t)c->bytes_received, "fallback", 0, "subflows", 1,
			 "data_fin_received", !!(c->flags & XM_CONN_F_FIN_INJECTED));
}

json_t *xm_mptcp_conns_json(struct xmptcp_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.xm_conns);
	struct xm_flow_key key, next;
	struct xm_conn c;
	json_t *arr, *o;
	void *prev = NULL;

	arr = json_array();
	if (!arr)
		return NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) < 0)
			continue; /* closed while we walked */
		o = conn_json(&key, &c);
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:b, s:o}", "ok", 1, "connections", arr);
}
