// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and the MPTCP derivations
 * built on them (RFC 8684). See crypto.h for the contract of each function.
 *
 * Plain portable C: the daemon hashes a few dozen bytes per handshake, so
 * clarity beats speed here, and the code is small enough to audit against
 * the standard line by line.
 */
#include <errno.h>
#include <string.h>

#include "crypto.h"
#include <xmptcp/sha256.h>

/* SHA-256 can hash at most 2^64 - 1 bits. */
#define SHA256_MAX_BYTES ((UINT64_C(1) << 61) - 1)

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

/* One 512-bit block through the compression function shared with the datapath. */
static void sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[XM_SHA256_SCHED_WORDS];

	for (int t = 0; t < XM_SHA256_BLOCK_WORDS; t++)
		w[t] = get_be32(blk + 4 * t);
	xm_sha256_compress(h, w);
}

int xm_sha256_init(struct xm_sha256 *ctx)
{
	if (!ctx)
		return -EINVAL;
	xm_sha256_init_state(ctx->h);
	ctx->total = 0;
	ctx->buf_len = 0;
	return 0;
}

int xm_sha256_update(struct xm_sha256 *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!ctx || (!data && len))
		return -EINVAL;
	if (len > SHA256_MAX_BYTES - ctx->total)
		return -EOVERFLOW;
	ctx->total += len;

	if (ctx->buf_len) {
		size_t n = XM_SHA256_BLOCK_LEN - ctx->buf_len;

		if (n > len)
			n = len;
		memcpy(ctx->buf + ctx->buf_len, p, n);
		ctx->buf_len += n;
		p += n;
		len -= n;
		if (ctx->buf_len < XM_SHA256_BLOCK_LEN)
			return 0;
		sha256_block(ctx->h, ctx->buf);
		ctx->buf_len = 0;
	}
	for (; len >= XM_SHA256_BLOCK_LEN; p += XM_SHA256_BLOCK_LEN, len -= XM_SHA256_BLOCK_LEN)
		sha256_block(ctx->h, p);
	if (len) {
		memcpy(ctx->buf, p, len);
		ctx->buf_len = len;
	}
	return 0;
}

int xm_sha256_final(struct xm_sha256 *ctx, uint8_t out[XM_SHA256_DIGEST_LEN])
{
	uint64_t bits;
	int i;

	if (!ctx || !out)
		return -EINVAL;
	bits = ctx->total * 8;

	/* FIPS 180-4 §5.1.1: a 1 bit, zeros, then the length as 64 bits, so
	 * that the padded message is a whole number of blocks. */
	ctx->buf[ctx->buf_len++] = 0x80;
	if (ctx->buf_len > XM_SHA256_BLOCK_LEN - 8) {
		memset(ctx->buf + ctx->buf_len, 0, XM_SHA256_BLOCK_LEN - ctx->buf_len);
		sha256_block(ctx->h, ctx->buf);
		ctx->buf_len = 0;
	}
	memset(ctx->buf + ctx->buf_len, 0, XM_SHA256_BLOCK_LEN - 8 - ctx->buf_len);
	put_be64(ctx->buf + XM_SHA256_BLOCK_LEN - 8, bits);
	sha256_block(ctx->h, ctx->buf);

	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, ctx->h[i]);
	/* The state holds key-derived material when used for HMAC. */
	memset(ctx, 0, sizeof(*ctx));
	return 0;
}

int xm_sha256(const void *data, size_t len, uint8_t out[XM_SHA256_DIGEST_LEN])
{
	struct xm_sha256 ctx;
	int r;

	if (!out)
		return -EINVAL;
	xm_sha256_init(&ctx);
	r = xm_sha256_update(&ctx, data, len);
	if (r < 0)
		return r;
	return xm_sha256_final(&ctx, out);
}

int xm_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		   uint8_t out[XM_SHA256_DIGEST_LEN])
{
	uint8_t k[XM_SHA256_BLOCK_LEN] = {0}, pad[XM_SHA256_BLOCK_LEN];
	uint8_t inner[XM_SHA256_DIGEST_LEN];
	struct xm_sha256 ctx;
	int i, r;

	if ((!key && key_len) || (!msg && msg_len) || !out)
		return -EINVAL;

	/* RFC 2104 §2: a key longer than the block is replaced by its hash;
	 * a shorter one is zero-padded to the block. */
	if (key_len > XM_SHA256_BLOCK_LEN) {
		r = xm_sha256(key, key_len, k);
		if (r < 0)
			return r;
	} else if (key_len) {
		memcpy(k, key, key_len);
	}

	for (i = 0; i < XM_SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x36;
	xm_sha256_init(&ctx);
	xm_sha256_update(&ctx, pad, sizeof(pad));
	r = xm_sha256_update(&ctx, msg, msg_len);
	if (r < 0)
		goto out;
	xm_sha256_final(&ctx, inner);

	for (i = 0; i < XM_SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x5c;
	xm_sha256_init(&ctx);
	xm_sha256_update(&ctx, pad, sizeof(pad));
	xm_sha256_update(&ctx, inner, sizeof(inner));
	xm_sha256_final(&ctx, out);
	r = 0;
out:
	/* Do not leave the keys on the stack. */
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
	memset(inner, 0, sizeof(inner));
	memset(&ctx, 0, sizeof(ctx));
	return r;
}

int xm_mptcp_key_sha(uint64_t key, uint32_t *token, uint64_t *idsn)
{
	uint8_t in[8], d[XM_SHA256_DIGEST_LEN];

	put_be64(in, key);
	xm_sha256(in, sizeof(in), d);
	if (token)
		*token = get_be32(d);
	if (idsn)
		*idsn = get_be64(d + XM_SHA256_DIGEST_LEN - 8);
	return 0;
}

uint32_t xm_mptcp_token(uint64_t key)
{
	uint32_t token;

	xm_mptcp_key_sha(key, &token, NULL);
	return token;
}

uint64_t xm_mptcp_idsn(uint64_t key)
{
	uint64_t idsn;

	xm_mptcp_key_sha(key, NULL, &idsn);
	return idsn;
}

/* HMAC keyed with two MPTCP keys, each serialised as 8 big-endian bytes. */
static int hmac_two_keys(uint64_t key1, uint64_t key2, const uint8_t *msg, size_t len,
			 uint8_t out[XM_SHA256_DIGEST_LEN])
{
	uint8_t k[16];
	int r;

	put_be64(k, key1);
	put_be64(k + 8, key2);
	r = xm_hmac_sha256(k, sizeof(k), msg, len, out);
	memset(k, 0, sizeof(k));
	return r;
}

int xm_mptcp_join_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
		       uint32_t nonce_peer, uint8_t out[XM_SHA256_DIGEST_LEN])
{
	uint8_t msg[8];

	if (!out)
		return -EINVAL;
	put_be32(msg, nonce_self);
	put_be32(msg + 4, nonce_peer);
	return hmac_two_keys(key_self, key_peer, msg, sizeof(msg), out);
}

uint64_t xm_mptcp_join_synack_hmac(uint64_t key_b, uint64_t key_a, uint32_t nonce_b,
				   uint32_t nonce_a)
{
	uint8_t d[XM_SHA256_DIGEST_LEN];

	xm_mptcp_join_hmac(key_b, key_a, nonce_b, nonce_a, d);
	return get_be64(d);
}

int xm_mptcp_join_ack_hmac(uint64_t key_a, uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b,
			   uint8_t out[XM_MPJ_ACK_HMAC_LEN])
{
	uint8_t d[XM_SHA256_DIGEST_LEN];
	int r;

	if (!out)
		return -EINVAL;
	r = xm_mptcp_join_hmac(key_a, key_b, nonce_a, nonce_b, d);
	if (r < 0)
		return r;
	memcpy(out, d, XM_MPJ_ACK_HMAC_LEN);
	return 0;
}

int xm_mptcp_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver, uint8_t addr_id,
			   uint8_t ip_ver, const void *addr, uint16_t port, uint64_t *hmac)
{
	uint8_t msg[1 + 16 + 2], d[XM_SHA256_DIGEST_LEN];
	size_t alen, n = 0;
	int r;

	if (!addr || !hmac)
		return -EINVAL;
	if (ip_ver == 4)
		alen = 4;
	else if (ip_ver == 6)
		alen = 16;
	else
		return -EAFNOSUPPORT;

	msg[n++] = addr_id;
	memcpy(msg + n, addr, alen);
	n += alen;
	/* §3.4.1: the port is hashed even when the option omits it (as 0). */
	msg[n++] = port >> 8;
	msg[n++] = port & 0xff;

	r = hmac_two_keys(key_sender, key_receiver, msg, n, d);
	if (r < 0)
		return r;
	*hmac = get_be64(d + XM_SHA256_DIGEST_LEN - 8);
	return 0;
}

int xm_dss_csum_init(struct xm_dss_csum *ctx, uint64_t dsn, uint32_t ssn, uint16_t data_len)
{
	uint8_t ph[16];

	if (!ctx)
		return -EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	/* The pseudo-header's checksum field is zero while summing. */
	put_be64(ph, dsn);
	put_be32(ph + 8, ssn);
	ph[12] = data_len >> 8;
	ph[13] = data_len & 0xff;
	ph[14] = 0;
	ph[15] = 0;
	return xm_dss_csum_update(ctx, ph, sizeof(ph));
}

int xm_dss_csum_update(struct xm_dss_csum *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum;
	size_t i = 0;

	if (!ctx || (!data && len))
		return -EINVAL;
	sum = ctx->sum;
	/* A piece that starts at an odd offset of the stream begins with the
	 * low byte of a 16-bit word. */
	if (ctx->odd && len) {
		sum += p[0];
		i = 1;
		ctx->odd = 0;
	}
	/* 64-bit accumulator: 2^48 words before it could overflow, far more
	 * than a 64 KiB mapping, so carries are folded only at the end. */
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
		ctx->odd = 1;
	}
	ctx->sum = sum;
	return 0;
}

int xm_dss_csum_final(const struct xm_dss_csum *ctx, uint16_t *csum)
{
	uint64_t sum;

	if (!ctx || !csum)
		return -EINVAL;
	sum = ctx->sum;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	*csum = (uint16_t)~sum;
	return 0;
}

int xm_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len, const void *payload, size_t len,
		uint16_t *csum)
{
	struct xm_dss_csum ctx;
	int r;

	r = xm_dss_csum_init(&ctx, dsn, ssn, data_len);
	if (r < 0)
		return r;
	r = xm_dss_csum_update(&ctx, payload, len);
	if (r < 0)
		return r;
	return xm_dss_csum_final(&ctx, csum);
}
