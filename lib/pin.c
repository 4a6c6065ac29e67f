// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "pin.h"

int xm_bpffs_ensure(const char *dir, bool *mounted)
{
	struct statfs sfs;
	struct stat st;

	*mounted = false;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? -ENOTDIR : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(dir, &sfs) < 0)
		return -errno;
	if (sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", dir, "bpf", 0, "mode=0700") < 0)
		return -errno;
	*mounted = true;
	return 0;
}

int xm_pin_dir_path(char *buf, size_t size, const char *bpffs, uint64_t netns_inode)
{
	int n = snprintf(buf, size, "%s/" XM_PIN_SUBDIR "/net-%llu", bpffs,
			 (unsigned long long)netns_inode);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_if_missing(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int xm_pin_dir_prepare(const char *pin_dir)
{
	char parent[PATH_MAX];
	struct dirent *de;
	char *slash;
	DIR *d;
	int r;

	if (snprintf(parent, sizeof(parent), "%s", pin_dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	r = mkdir_if_missing(parent);
	if (r < 0)
		return r;
	r = mkdir_if_missing(pin_dir);
	if (r < 0)
		return r;

	/* Only a dead daemon can have left pins: the caller holds the netns's control socket. */
	d = opendir(pin_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	return r;
}

int xm_pin_dir_remove(const char *pin_dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (rmdir(pin_dir) < 0 && errno != ENOENT)
		return -errno;
	if (snprintf(parent, sizeof(parent), "%s", pin_dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	/* Other namespaces' daemons may still use the parent: then it is not empty, and stays. */
	if (rmdir(parent) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
		return -errno;
	return 0;
}
