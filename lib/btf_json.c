// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "btf_json.h"

/* Bitfield offsets in BTF count from the lowest-addressed bit on little-endian hosts only. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "btf_json.c decodes bitfields for little-endian hosts only"
#endif

struct walk {
	const struct btf *btf;
	const __u8 *end;
};

static int value_to_json(struct walk *w, __u32 type_id, const __u8 *data, __u32 bit_off,
			 __u32 bit_size, int depth, json_t **ret);

json_t *xm_hex_json(const void *data, size_t size)
{
	const __u8 *p = data;
	json_t *j;
	char *s;
	size_t i;

	s = malloc(size ? size * 3 : 1);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < size; i++)
		snprintf(s + i * 3, 4, i + 1 < size ? "%02x " : "%02x", p[i]);
	j = json_string(s);
	free(s);
	return j;
}

/* Read bit_size bits (at most 64) starting bit_off bits after data. */
static __u64 read_bits(const __u8 *data, __u32 bit_off, __u32 bit_size)
{
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < bit_size; i++) {
		__u32 b = bit_off + i;

		if (data[b / 8] & (1u << (b % 8)))
			v |= 1ull << i;
	}
	return v;
}

static __s64 sign_extend(__u64 v, __u32 bits)
{
	if (bits < 64 && (v & (1ull << (bits - 1))))
		v |= ~0ull << bits;
	return (__s64)v;
}

static json_t *unsigned_json(__u64 v)
{
	char buf[24];

	/* jansson integers are int64: larger values would wrap, so give them as text. */
	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)v);
	return json_string(buf);
}

static bool fits(const struct walk *w, const __u8 *data, __u32 bit_off, __u32 bits)
{
	return data <= w->end && (size_t)(w->end - data) * 8 >= (size_t)bit_off + bits;
}

static int int_to_json(struct walk *w, const struct btf_type *t, const __u8 *data, __u32 bit_off,
		       __u32 bit_size, json_t **ret)
{
	__u8 enc = btf_int_encoding(t);
	__u32 bits = bit_size ? bit_size : btf_int_bits(t);
	__u64 v;

	bit_off += btf_int_offset(t);
	if (!bits || !fits(w, data, bit_off, bits))
		return -EINVAL;
	if (bits > 64) {
		*ret = xm_hex_json(data + bit_off / 8, (bits + 7) / 8);
		return *ret ? 0 : -ENOMEM;
	}
	v = read_bits(data, bit_off, bits);
	if (enc & BTF_INT_BOOL)
		*ret = json_boolean(v != 0);
	else if (enc & BTF_INT_SIGNED)
		*ret = json_integer(sign_extend(v, bits));
	else
		*ret = unsigned_json(v);
	return *ret ? 0 : -ENOMEM;
}

static int enum_to_json(struct walk *w, const struct btf_type *t, const __u8 *data, __u32 bit_off,
			__u32 bit_size, json_t **ret)
{
	__u32 bits = bit_size ? bit_size : t->size * 8;
	bool is_signed = btf_kflag(t);
	__u16 i, n = btf_vlen(t);
	const char *name = NULL;
	__u64 v, mask;

	if (!bits || bits > 64 || !fits(w, data, bit_off, bits))
		return -EINVAL;
	/* Compare in the stored width: enumerator values are sign-extended, the bits are not. */
	mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	v = read_bits(data, bit_off, bits);
	for (i = 0; i < n && !name; i++) {
		__u64 ev = btf_is_enum(t) ? (__u64)(__s64)btf_enum(t)[i].val
					  : btf_enum64_value(btf_enum64(t) + i);
		__u32 name_off =
			btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;

		if ((ev & mask) == v)
			name = btf__name_by_offset(w->btf, name_off);
	}
	if (is_signed)
		v = (__u64)sign_extend(v, bits);
	if (name && *name)
		*ret = json_string(name);
	else
		*ret = is_signed ? json_integer((__s64)v) : unsigned_json(v);
	return *ret ? 0 : -ENOMEM;
}

/* The type after typedefs and modifiers; NULL when invalid. */
static const struct btf_type *skip_mods(const struct btf *btf, __u32 id, __u32 *ret_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int n = 0;

	while (t && (btf_is_mod(t) || btf_is_typedef(t)) && n++ < XM_BTF_MAX_DEPTH) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (ret_id)
		*ret_id = id;
	return t;
}

static bool is_char(const struct btf *btf, const struct btf_type *t)
{
	const char *name;

	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	if (btf_int_encoding(t) & BTF_INT_CHAR)
		return true;
	/* clang encodes plain `char` as a signed 1-byte int named "char", without BTF_INT_CHAR. */
	name = btf__name_by_offset(btf, t->name_off);
	return name && !strcmp(name, "char");
}

/* A char array is shown as a string when it holds printable ASCII up to its first NUL. */
static json_t *char_array_string(const __u8 *data, __u32 n)
{
	__u32 len = 0;

	while (len < n && data[len])
		len++;
	for (__u32 i = 0; i < len; i++)
		if (data[i] < 0x20 || data[i] > 0x7e)
			return NULL;
	return json_stringn((const char *)data, len);
}

static int array_to_json(struct walk *w, const struct btf_type *t, const __u8 *data, int depth,
			 json_t **ret)
{
	const struct btf_array *a = btf_array(t);
	const struct btf_type *elem = skip_mods(w->btf, a->type, NULL);
	__s64 esize = btf__resolve_size(w->btf, a->type);
	json_t *arr, *v;
	__u32 i;
	int r;

	if (esize < 0 || !fits(w, data, 0, (__u64)esize * a->nelems * 8))
		return -EINVAL;
	if (is_char(w->btf, elem)) {
		*ret = char_array_string(data, a->nelems);
		if (*ret)
			return 0;
	}
	arr = json_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < a->nelems; i++) {
		r = value_to_json(w, a->type, data + i * esize, 0, 0, depth + 1, &v);
		if (r < 0)
			goto fail;
		if (json_array_append_new(arr, v) < 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
	*ret = arr;
	return 0;
fail:
	json_decref(arr);
	return r;
}

static int composite_fill(struct walk *w, const struct btf_type *t, const __u8 *data, int depth,
			  json_t *obj)
{
	const struct btf_member *m = btf_members(t);
	__u16 i, n = btf_vlen(t);
	json_t *v;
	int r;

	for (i = 0; i < n; i++, m++) {
		__u32 off = btf_member_bit_offset(t, i);
		__u32 bsz = btf_member_bitfield_size(t, i);
		const char *name = btf__name_by_offset(w->btf, m->name_off);
		const struct btf_type *mt = skip_mods(w->btf, m->type, NULL);

		if (!mt)
			return -EINVAL;
		if (!name || !*name) {
			/* Anonymous struct/union: its members read as ours, so list them here. */
			if (btf_is_composite(mt)) {
				if (off % 8)
					return -EINVAL;
				r = composite_fill(w, mt, data + off / 8, depth + 1, obj);
				if (r < 0)
					return r;
			}
			/* An unnamed bitfield is padding: nothing to show. */
			continue;
		}
		r = value_to_json(w, m->type, data + (bsz ? 0 : off / 8), bsz ? off : 0, bsz,
				  depth + 1, &v);
		if (r < 0)
			return r;
		if (json_object_set_new(obj, name, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int datasec_to_json(struct walk *w, const struct btf_type *t, const __u8 *data, int depth,
			   json_t **ret)
{
	const struct btf_var_secinfo *vsi = btf_var_secinfos(t);
	__u16 i, n = btf_vlen(t);
	json_t *obj = json_object(), *v;
	int r = -ENOMEM;

	if (!obj)
		return -ENOMEM;
	for (i = 0; i < n; i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(w->btf, vsi->type);
		const char *name = var ? btf__name_by_offset(w->btf, var->name_off) : NULL;

		r = -EINVAL;
		if (!var || !btf_is_var(var) || !name ||
		    !fits(w, data + vsi->offset, 0, vsi->size * 8))
			goto fail;
		r = value_to_json(w, var->type, data + vsi->offset, 0, 0, depth + 1, &v);
		if (r < 0)
			goto fail;
		r = -ENOMEM;
		if (json_object_set_new(obj, name, v) < 0)
			goto fail;
	}
	*ret = obj;
	return 0;
fail:
	json_decref(obj);
	return r;
}

static int value_to_json(struct walk *w, __u32 type_id, const __u8 *data, __u32 bit_off,
			 __u32 bit_size, int depth, json_t **ret)
{
	const struct btf_type *t;
	json_t *obj;
	__s64 size;
	int r;

	if (depth > XM_BTF_MAX_DEPTH)
		return -ELOOP;
	t = skip_mods(w->btf, type_id, &type_id);
	if (!t)
		return -EINVAL;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return int_to_json(w, t, data, bit_off, bit_size, ret);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return enum_to_json(w, t, data, bit_off, bit_size, ret);
	case BTF_KIND_ARRAY:
		return array_to_json(w, t, data, depth, ret);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (!fits(w, data, 0, t->size * 8))
			return -EINVAL;
		obj = json_object();
		if (!obj)
			return -ENOMEM;
		r = composite_fill(w, t, data, depth, obj);
		if (r < 0) {
			json_decref(obj);
			return r;
		}
		*ret = obj;
		return 0;
	case BTF_KIND_DATASEC:
		return datasec_to_json(w, t, data, depth, ret);
	case BTF_KIND_VAR:
		return value_to_json(w, t->type, data, bit_off, bit_size, depth + 1, ret);
	case BTF_KIND_PTR: {
		char buf[24];
		__u64 p;

		if (!fits(w, data, 0, 64))
			return -EINVAL;
		memcpy(&p, data, sizeof(p));
		snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)p);
		*ret = json_string(buf);
		return *ret ? 0 : -ENOMEM;
	}
	case BTF_KIND_FLOAT:
		if (t->size == sizeof(double) && fits(w, data, 0, 64)) {
			double d;

			memcpy(&d, data, sizeof(d));
			*ret = json_real(d);
			return *ret ? 0 : -ENOMEM;
		}
		if (t->size == sizeof(float) && fits(w, data, 0, 32)) {
			float f;

			memcpy(&f, data, sizeof(f));
			*ret = json_real(f);
			return *ret ? 0 : -ENOMEM;
		}
		break;
	default:
		break;
	}
	/* Kinds with no better form (long double, forward declarations): show the bytes. */
	size = btf__resolve_size(w->btf, type_id);
	if (size <= 0 || !fits(w, data, 0, size * 8))
		return -EINVAL;
	*ret = xm_hex_json(data, size);
	return *ret ? 0 : -ENOMEM;
}

int xm_btf_to_json(const struct btf *btf, __u32 type_id, const void *data, size_t size,
		   json_t **ret)
{
	struct walk w = {.btf = btf, .end = (const __u8 *)data + size};

	return value_to_json(&w, type_id, data, 0, 0, 0, ret);
}

/* Text printing. */

static bool is_inline(const json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_object(v))
		return json_object_size(v) == 0;
	if (!json_is_array(v))
		return true;
	json_array_foreach(v, i, e)
	{
		if (json_is_object(e) || json_is_array(e))
			return false;
	}
	return true;
}

static void print_scalar(FILE *f, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v))
			fputs(json_string_value(v), f);
		else
			fputs("\"\"", f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(f, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("true", f);
		break;
	case JSON_FALSE:
		fputs("false", f);
		break;
	case JSON_NULL:
		fputs("-", f);
		break;
	case JSON_OBJECT:
		fputs("{}", f);
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		fputc('[', f);
		json_array_foreach(v, i, e)
		{
			if (i)
				fputs(", ", f);
			print_scalar(f, e);
		}
		fputc(']', f);
		break;
	}
	}
}

static void print_block(FILE *f, const json_t *v, int indent, bool first_inline);

static void print_object(FILE *f, const json_t *obj, int indent, bool first_inline)
{
	const char *key;
	bool first = true;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		if (!(first && first_inline))
			fprintf(f, "%*s", indent, "");
		first = false;
		fprintf(f, "%s:", key);
		if (is_inline(v)) {
			fputc(' ', f);
			print_scalar(f, v);
			fputc('\n', f);
		} else {
			fputc('\n', f);
			print_block(f, v, indent + 2, false);
		}
	}
}

static void print_array(FILE *f, const json_t *arr, int indent)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		fprintf(f, "%*s- ", indent, "");
		if (is_inline(e)) {
			print_scalar(f, e);
			fputc('\n', f);
		} else {
			print_block(f, e, indent + 2, true);
		}
	}
}

static void print_block(FILE *f, const json_t *v, int indent, bool first_inline)
{
	if (json_is_object(v) && json_object_size(v)) {
		print_object(f, v, indent, first_inline);
	} else if (json_is_array(v) && !is_inline(v)) {
		if (first_inline)
			fputc('\n', f);
		print_array(f, v, indent);
	} else {
		if (!first_inline)
			fprintf(f, "%*s", indent, "");
		print_scalar(f, v);
		fputc('\n', f);
	}
}

int xm_json_print_text(FILE *f, const json_t *v)
{
	print_block(f, v, 0, false);
	return ferror(f) ? -EIO : 0;
}
