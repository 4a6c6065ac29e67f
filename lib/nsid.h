/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Identity of the network namespace a process runs in. */
#ifndef XMPTCP_LIB_NSID_H
#define XMPTCP_LIB_NSID_H

#include <stdint.h>

/*
 * Inode number of /proc/self/ns/net: unique among the namespaces alive on the
 * host at one time, so it names the per-netns pin directory. Returns 0 or a
 * negative errno.
 */
int xm_netns_inode(uint64_t *ret);

/*
 * The kernel's cookie of the calling process's network namespace
 * (SO_NETNS_COOKIE): what bpf_get_netns_cookie() returns in BPF programs, so
 * the datapath can tell its own namespace's sockets apart. Returns 0 or a
 * negative errno (-ENOPROTOOPT before Linux 5.14).
 */
int xm_netns_cookie(uint64_t *ret);

#endif
