/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Where the cgroup v2 hierarchy is, for attaching the sockops program. */
#ifndef XMPTCP_LIB_CGROUP_H
#define XMPTCP_LIB_CGROUP_H

#include <stddef.h>

/*
 * Copy the mount point of the first cgroup2 file system in /proc/self/mounts
 * (its root: every socket of the host is below it) into buf. Returns 0,
 * -ENOENT when no cgroup2 is mounted, -ENAMETOOLONG, or another negative errno.
 */
int xm_cgroup2_root(char *buf, size_t size);

#endif
