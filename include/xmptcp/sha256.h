/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The SHA-256 compression function (FIPS 180-4 §6.2.2), header-only, so that
 * lib/crypto.c and the BPF datapath hash with the very same code.
 *
 * Why the datapath hashes at all: a connection's IDSN is the low 64 bits of
 * SHA-256(key). The peer's key arrives in its SYN-ACK (or third ACK), and the
 * first DATA_ACK we send must already be in the peer's data sequence space.
 * Asking the daemon would make a data packet wait on userspace, which the
 * design forbids; one compression of one block costs a few thousand
 * instructions, once per connection.
 *
 * Verifier notes: constant-bounded loops; w[] is indexed with a mask so every
 * access is provably inside its 64 words; callers in BPF pass w[] from a
 * per-CPU map value, since 256 bytes is too much for the 512-byte stack.
 */
#ifndef XMPTCP_SHA256_H
#define XMPTCP_SHA256_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define XM_SHA256_BLOCK_WORDS 16
#define XM_SHA256_SCHED_WORDS 64

/* FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots
 * of the first 64 primes. */
static const __u32 xm_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* FIPS 180-4 §5.3.3: initial hash value. */
static const __u32 xm_sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static __always_inline __u32 xm_ror32(__u32 x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static __always_inline void xm_sha256_init_state(__u32 h[8])
{
	for (int i = 0; i < 8; i++)
		h[i] = xm_sha256_h0[i];
}

/*
 * Process one 512-bit block. On entry w[0..15] holds the block as host-order
 * words (each read big-endian from the message); w[16..63] is scratch.
 */
static __always_inline void xm_sha256_compress(__u32 h[8], __u32 w[XM_SHA256_SCHED_WORDS])
{
	__u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];

	for (int t = 16; t < 64; t++) {
		__u32 x = w[(t - 15) & 63], y = w[(t - 2) & 63];
		__u32 s0 = xm_ror32(x, 7) ^ xm_ror32(x, 18) ^ (x >> 3);
		__u32 s1 = xm_ror32(y, 17) ^ xm_ror32(y, 19) ^ (y >> 10);

		w[t & 63] = w[(t - 16) & 63] + s0 + w[(t - 7) & 63] + s1;
	}
	for (int t = 0; t < 64; t++) {
		__u32 S1 = xm_ror32(e, 6) ^ xm_ror32(e, 11) ^ xm_ror32(e, 25);
		__u32 ch = (e & f) ^ (~e & g);
		__u32 t1 = hh + S1 + ch + xm_sha256_k[t & 63] + w[t & 63];
		__u32 S0 = xm_ror32(a, 2) ^ xm_ror32(a, 13) ^ xm_ror32(a, 22);
		__u32 maj = (a & b) ^ (a & c) ^ (b & c);

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + S0 + maj;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

/*
 * SHA-256 of an MPTCP key (8 bytes, big-endian on the wire): one padded
 * block. RFC 8684 §3.1: the token is the most significant 32 bits of the
 * digest (h[0]), the IDSN the least significant 64 bits (h[6]:h[7]).
 */
static __always_inline void xm_sha256_mptcp_key(__u64 key, __u32 w[XM_SHA256_SCHED_WORDS],
						__u32 *token, __u64 *idsn)
{
	__u32 h[8];

	xm_sha256_init_state(h);
	w[0] = (__u32)(key >> 32);
	w[1] = (__u32)key;
	w[2] = 0x80000000; /* the padding's 1 bit right after the message */
	for (int i = 3; i < 15; i++)
		w[i] = 0;
	w[15] = 64; /* message length in bits */
	xm_sha256_compress(h, w);
	*token = h[0];
	*idsn = ((__u64)h[6] << 32) | h[7];
}

#endif /* XMPTCP_SHA256_H */
