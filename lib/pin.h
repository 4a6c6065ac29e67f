/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bpffs and the per-network-namespace pin directory:
 * <bpffs>/xmptcp/net-<netns inode>/<map name>.
 */
#ifndef XMPTCP_LIB_PIN_H
#define XMPTCP_LIB_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XM_BPFFS_DEFAULT "/sys/fs/bpf"
#define XM_PIN_SUBDIR	 "xmptcp"

/*
 * Make sure a bpffs is mounted at dir: nothing to do when it already is one,
 * otherwise mount one there (the directory must exist). *mounted tells whether
 * this call mounted it. Returns 0 or a negative errno (-ENOTDIR when dir is
 * missing, -EPERM without CAP_SYS_ADMIN).
 */
int xm_bpffs_ensure(const char *dir, bool *mounted);

/* Write "<bpffs>/xmptcp/net-<inode>" into buf. Returns 0 or -ENAMETOOLONG. */
int xm_pin_dir_path(char *buf, size_t size, const char *bpffs, uint64_t netns_inode);

/*
 * Create the pin directory (and its xmptcp parent) and remove anything a
 * daemon that died without cleaning up left in it: the netns inode may have
 * been reused since. Returns 0 or a negative errno.
 */
int xm_pin_dir_prepare(const char *pin_dir);

/*
 * Remove the pin directory, which must be empty by now, and its xmptcp parent
 * when no other namespace's directory is left in it. Returns 0 or a negative
 * errno (-ENOTEMPTY when something else was pinned there).
 */
int xm_pin_dir_remove(const char *pin_dir);

#endif
