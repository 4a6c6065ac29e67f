/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading BPF maps: per-CPU sums, map metadata and BTF-decoded dumps as JSON. */
#ifndef XMPTCP_LIB_MAPS_H
#define XMPTCP_LIB_MAPS_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include <jansson.h>

/*
 * Sum a __u64 per-CPU value over all possible CPUs. Returns 0 or a negative
 * errno (-ENOENT for a key not in the map).
 */
int xm_percpu_u64_sum(int map_fd, __u32 key, __u64 *ret);

/* bpf_obj_get_info_by_fd() for a map. Returns 0 or a negative errno. */
int xm_map_info(int map_fd, struct bpf_map_info *info);

/* Map kinds whose value is one slot per possible CPU. */
bool xm_map_type_is_percpu(__u32 type);

/* Map kinds with no key to walk (ring buffers, queues, stacks, bloom filters). */
bool xm_map_type_is_dumpable(__u32 type);

/*
 * The map's metadata as a JSON object:
 * {"name", "id", "type" (libbpf's name, e.g. "percpu_array"), "key_size",
 *  "value_size", "max_entries", "btf_id"}. Returns 0 or a negative errno.
 */
int xm_map_info_json(const struct bpf_map_info *info, json_t **ret);

/*
 * Every entry of the map, decoded with the map's BTF (hex strings without BTF):
 * [{"key": K, "value": V}, ...] or, for per-CPU maps,
 * [{"key": K, "values": [{"cpu": 0, "value": V}, ...]}, ...].
 * Returns 0 and a new reference in *ret, -EOPNOTSUPP for a map that cannot be
 * walked (see xm_map_type_is_dumpable()), or another negative errno.
 */
int xm_map_dump_json(int map_fd, json_t **ret);

#endif
