// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include <bpf/bpf.h>

#include "crypto.h"
#include "keys.h"

int xm_key_material_new(struct xm_key_material *km)
{
	uint64_t key, idsn;
	uint32_t token;
	ssize_t n;

	if (!km)
		return -EINVAL;
	do {
		n = getrandom(&key, sizeof(key), 0);
		if (n < 0)
			return -errno;
		if (n != sizeof(key))
			return -EIO;
		xm_mptcp_key_sha(key, &token, &idsn);
	} while (token == 0);
	km->key = key;
	km->idsn = idsn;
	km->token = token;
	km->pad = 0;
	return 0;
}

int xm_keys_refill(int map_fd, unsigned int max, unsigned int *pushed)
{
	struct xm_key_material km;
	unsigned int n = 0;
	int r = 0;

	while (n < max) {
		r = xm_key_material_new(&km);
		if (r < 0)
			break;
		/* A queue map takes a push with no key; a full one answers E2BIG. */
		if (bpf_map_update_elem(map_fd, NULL, &km, BPF_ANY) < 0) {
			r = errno == E2BIG ? 0 : -errno;
			break;
		}
		n++;
	}
	if (pushed)
		*pushed = n;
	return r;
}
