// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

int xm_cgroup2_root(char *buf, size_t size)
{
	struct mntent *m;
	FILE *f;
	int r = -ENOENT;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		r = strlen(m->mnt_dir) < size ? 0 : -ENAMETOOLONG;
		if (!r)
			strcpy(buf, m->mnt_dir);
		break;
	}
	endmntent(f);
	return r;
}
