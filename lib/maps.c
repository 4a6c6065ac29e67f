// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf_json.h"
#include "maps.h"

/* The kernel copies per-CPU values in 8-byte aligned slots. */
#define PERCPU_SLOT(size) (((size) + 7) & ~7u)

int xm_percpu_u64_sum(int map_fd, __u32 key, __u64 *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals, sum = 0;
	int i;

	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals) < 0) {
		free(vals);
		return -errno;
	}
	for (i = 0; i < ncpus; i++)
		sum += vals[i];
	free(vals);
	*ret = sum;
	return 0;
}

int xm_map_info(int map_fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(map_fd, info, &len) < 0)
		return -errno;
	return 0;
}

bool xm_map_type_is_percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

bool xm_map_type_is_dumpable(__u32 type)
{
	switch (type) {
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_STRUCT_OPS:
		return false;
	default:
		return true;
	}
}

int xm_map_info_json(const struct bpf_map_info *info, json_t **ret)
{
	const char *type = libbpf_bpf_map_type_str(info->type);
	json_t *o;

	o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "name", info->name, "id",
		      (json_int_t)info->id, "type", type ? type : "unknown", "key_size",
		      (json_int_t)info->key_size, "value_size", (json_int_t)info->value_size,
		      "max_entries", (json_int_t)info->max_entries, "btf_id",
		      (json_int_t)info->btf_id);
	if (!o)
		return -ENOMEM;
	*ret = o;
	return 0;
}

/* Decode with BTF when the map has a type for it, else show the raw bytes. */
static int decode(const struct btf *btf, __u32 type_id, const void *data, size_t size, json_t **ret)
{
	if (btf && type_id)
		return xm_btf_to_json(btf, type_id, data, size, ret);
	*ret = xm_hex_json(data, size);
	return *ret ? 0 : -ENOMEM;
}

static int entry_json(const struct bpf_map_info *info, const struct btf *btf, const void *key,
		      const __u8 *value, int ncpus, json_t **ret)
{
	json_t *e = NULL, *k = NULL, *v = NULL, *vals = NULL, *cv;
	int r, cpu;

	r = decode(btf, info->btf_key_type_id, key, info->key_size, &k);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	e = json_object();
	if (!e || json_object_set_new(e, "key", k) < 0) {
		json_decref(k);
		goto fail;
	}
	if (!xm_map_type_is_percpu(info->type)) {
		r = decode(btf, info->btf_value_type_id, value, info->value_size, &v);
		if (r < 0)
			goto fail;
		r = -ENOMEM;
		if (json_object_set_new(e, "value", v) < 0)
			goto fail;
		*ret = e;
		return 0;
	}
	vals = json_array();
	if (!vals || json_object_set_new(e, "values", vals) < 0)
		goto fail;
	for (cpu = 0; cpu < ncpus; cpu++) {
		r = decode(btf, info->btf_value_type_id,
			   value + cpu * PERCPU_SLOT(info->value_size), info->value_size, &v);
		if (r < 0)
			goto fail;
		r = -ENOMEM;
		cv = json_pack("{s:i, s:o}", "cpu", cpu, "value", v);
		if (!cv || json_array_append_new(vals, cv) < 0)
			goto fail;
	}
	*ret = e;
	return 0;
fail:
	json_decref(e);
	return r;
}

int xm_map_dump_json(int map_fd, json_t **ret)
{
	struct bpf_map_info info;
	struct btf *btf = NULL;
	void *key = NULL, *next = NULL, *value = NULL;
	json_t *arr = NULL, *e;
	int ncpus = 1, r;
	bool first = true;

	r = xm_map_info(map_fd, &info);
	if (r < 0)
		return r;
	if (!xm_map_type_is_dumpable(info.type))
		return -EOPNOTSUPP;
	if (xm_map_type_is_percpu(info.type)) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus < 0)
			return ncpus;
	}
	if (info.btf_id) {
		btf = btf__load_from_kernel_by_id(info.btf_id);
		if (!btf)
			return -errno;
	}
	r = -ENOMEM;
	key = calloc(1, info.key_size ? info.key_size : 1);
	next = calloc(1, info.key_size ? info.key_size : 1);
	value = calloc(ncpus, PERCPU_SLOT(info.value_size));
	arr = json_array();
	if (!key || !next || !value || !arr)
		goto out;

	for (;;) {
		if (bpf_map_get_next_key(map_fd, first ? NULL : key, next) < 0) {
			r = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = false;
		memcpy(key, next, info.key_size);
		if (bpf_map_lookup_elem(map_fd, key, value) < 0) {
			/* Deleted between get_next_key and lookup: not an error, just gone. */
			if (errno == ENOENT)
				continue;
			r = -errno;
			break;
		}
		r = entry_json(&info, btf, key, value, ncpus, &e);
		if (r < 0)
			break;
		if (json_array_append_new(arr, e) < 0) {
			r = -ENOMEM;
			break;
		}
	}
out:
	if (r == 0) {
		*ret = arr;
		arr = NULL;
	}
	json_decref(arr);
	free(key);
	free(next);
	free(value);
	btf__free(btf);
	return r;
}
