/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Decode raw bytes (a map key or value) by walking their BTF type, into a
 * jansson value; and print any jansson value as indented text. The CLI builds
 * one json_t and either prints it as JSON (-j) or as text, so both outputs
 * always show the same thing.
 *
 * Mapping: ints -> numbers (bool -> true/false, unsigned above INT64_MAX and
 * 128-bit ints -> strings, since JSON numbers in jansson are int64); enums ->
 * the enumerator's name, or the number when no enumerator matches; structs and
 * unions -> objects (anonymous members flattened in, every union member
 * shown); arrays -> arrays, except char arrays holding printable text ->
 * strings; typedefs, const, volatile, restrict, type tags -> their target;
 * datasecs (.bss, .data, .rodata) -> objects of their variables; pointers ->
 * "0x..." strings; anything else -> a hex string of its bytes.
 */
#ifndef XMPTCP_LIB_BTF_JSON_H
#define XMPTCP_LIB_BTF_JSON_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <jansson.h>

struct btf;

/*
 * Decode size bytes at data as BTF type type_id. Returns 0 and a new
 * reference in *ret, -EINVAL when the type does not fit in size bytes or is
 * not valid BTF, -ELOOP when types nest deeper than XM_BTF_MAX_DEPTH, -ENOMEM.
 */
#define XM_BTF_MAX_DEPTH 32
int xm_btf_to_json(const struct btf *btf, __u32 type_id, const void *data, size_t size,
		   json_t **ret);

/* The bytes as a string of space-separated hex pairs ("0a 00 ff"), or NULL on ENOMEM. */
json_t *xm_hex_json(const void *data, size_t size);

/*
 * Print v as indented text in a YAML-like block style: "key: value" lines,
 * "- " for array items, scalar arrays inline as "[1, 2, 3]". Returns 0 or a
 * negative errno from the stream.
 */
int xm_json_print_text(FILE *f, const json_t *v);

#endif
