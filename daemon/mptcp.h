/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's part in MPTCP on the meta socket: key material for the
 * datapath, the sockops attachment, and the connection table as JSON.
 */
#ifndef XMPTCPD_MPTCP_H
#define XMPTCPD_MPTCP_H

#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#include "xmptcp.skel.h"

/* Key material kept ready in xm_keys; a burst of this many connects never waits. */
#define XM_KEYS_QUEUE_LEN 4096
/* How often the queue is topped up. */
#define XM_KEYS_REFILL_MS 20
/* Every this many refills (1 s), lingering xm_conns entries are swept. */
#define XM_SWEEP_TICKS 50

/* One lingering xm_conns entry the sweep chose to remove. */
struct xm_linger_victim {
	struct xm_flow_key k;
	uint64_t local_key; /* which connection: each takes a fresh key */
};

struct xm_mptcp {
	struct bpf_link *sockops_link;
	char cgroup[PATH_MAX]; /* where the sockops program is attached */
	uint64_t netns_cookie;
	int timer_fd;
	uint64_t keys_pushed;
	int retrans_collapse_was;	  /* tcp_retrans_collapse before start, -1: untouched */
	uint64_t ticks;			  /* refill timer expirations handled */
	uint64_t linger_removed;	  /* lingering xm_conns entries removed by the sweep */
	uint64_t linger_reused;		  /* ... left alone: a new connection took the 4-tuple */
	struct xm_linger_victim *victims; /* the sweep's list, one slot per xm_conns entry */
	unsigned int victims_cap;
};

/* Before load: size the key queue and tell the datapath which netns it serves. */
int xm_mptcp_prepare(struct xm_mptcp *m, struct xmptcp_bpf *skel);
/*
 * After load: fill the key queue, attach sockops, turn tcp_retrans_collapse
 * off in this namespace (mptcp.c says why), arm the refill timer (m->timer_fd).
 */
int xm_mptcp_start(struct xm_mptcp *m, struct xmptcp_bpf *skel);
/* The refill timer fired; every XM_SWEEP_TICKS, sweep lingering connections too. */
int xm_mptcp_on_timer(struct xm_mptcp *m, struct xmptcp_bpf *skel);
/* Detach, restore tcp_retrans_collapse, close; accepts a never-started or half-started m. */
void xm_mptcp_stop(struct xm_mptcp *m);
/* The connection table: {"ok":true,"connections":[...]} or NULL on allocation failure. */
json_t *xm_mptcp_conns_json(struct xmptcp_bpf *skel);

#endif
