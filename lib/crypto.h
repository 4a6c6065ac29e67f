/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * MPTCP cryptography (RFC 8684 §3.1, §3.2, §3.3.1, §3.4.1) on top of our own
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Written here rather than taken from OpenSSL so that the daemon stays small
 * and has no crypto library to configure; correctness comes from the
 * published vectors and the kernel capture in tests/unit/.
 *
 * Byte order, once for the whole header:
 *  - MPTCP keys (u64), nonces (u32), tokens (u32), IDSNs and DSNs (u64) and
 *    ports (u16) are host-order numbers, exactly as the codec in
 *    <xmptcp/mptcp_opt.h> returns them; these functions serialise them
 *    big-endian where the RFC hashes them, as the wire does.
 *  - Addresses are byte arrays in network order (struct in_addr / in6_addr).
 *  - Digests and HMACs as byte arrays are in wire (digest) order. Truncated
 *    64-bit HMACs returned as u64 are the big-endian reading of the 8 bytes,
 *    which is what the codec puts in hmac64 / hmac.
 *
 * Every function that can fail returns 0 or a negative errno and never logs.
 * None keeps global state; all are safe to call from several threads.
 */
#ifndef XMPTCP_LIB_CRYPTO_H
#define XMPTCP_LIB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define XM_SHA256_DIGEST_LEN 32
#define XM_SHA256_BLOCK_LEN  64
/* MP_JOIN third-ACK HMAC: the leftmost 160 bits (RFC 8684 §3.2). */
#define XM_MPJ_ACK_HMAC_LEN 20

/* Incremental SHA-256 state. Opaque: use the functions below. */
struct xm_sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	uint8_t buf[XM_SHA256_BLOCK_LEN];
	uint32_t buf_len;
};

/* Start a SHA-256 computation in *ctx. Returns 0, or -EINVAL if ctx is NULL. */
int xm_sha256_init(struct xm_sha256 *ctx);

/*
 * Hash len more bytes of data. data may be NULL only when len is 0.
 * Returns 0, or -EINVAL on a NULL argument, or -EOVERFLOW once the message
 * would exceed 2^61 - 1 bytes (the 2^64-bit limit of FIPS 180-4).
 */
int xm_sha256_update(struct xm_sha256 *ctx, const void *data, size_t len);

/*
 * Finish: write the 32-byte digest (FIPS 180-4 byte order) to out and wipe
 * *ctx. Returns 0, or -EINVAL on a NULL argument.
 */
int xm_sha256_final(struct xm_sha256 *ctx, uint8_t out[XM_SHA256_DIGEST_LEN]);

/* One-shot SHA-256 of len bytes at data (NULL allowed when len is 0). */
int xm_sha256(const void *data, size_t len, uint8_t out[XM_SHA256_DIGEST_LEN]);

/*
 * HMAC-SHA256 (RFC 2104) of msg under key. Keys longer than the 64-byte block
 * are hashed first, as RFC 2104 says. key and msg may be NULL when their
 * length is 0. The full 32-byte MAC goes to out; callers truncate.
 * Returns 0 or -EINVAL.
 */
int xm_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		   uint8_t out[XM_SHA256_DIGEST_LEN]);

/*
 * Token and IDSN of an MPTCP key (RFC 8684 §3.1): SHA-256 of the key as 8
 * big-endian bytes; the token is the most significant 32 bits of the digest
 * (its first 4 bytes read big-endian), the IDSN the least significant 64 bits
 * (its last 8 bytes read big-endian). key is a host-order number; token and
 * idsn are written as host-order numbers; either may be NULL when not wanted.
 * Returns 0 (it cannot fail; the int is for symmetry with the rest).
 */
int xm_mptcp_key_sha(uint64_t key, uint32_t *token, uint64_t *idsn);

/* Shorthands for xm_mptcp_key_sha(): the token / the IDSN of key (host order). */
uint32_t xm_mptcp_token(uint64_t key);
uint64_t xm_mptcp_idsn(uint64_t key);

/*
 * The MP_JOIN HMAC computed by one end (RFC 8684 §3.2):
 *   HMAC-SHA256(Key = key_self || key_peer, Msg = nonce_self || nonce_peer)
 * with each key as 8 and each nonce as 4 big-endian bytes, where "self" is
 * the end that *sends* the HMAC. So host B (the one receiving the MP_JOIN
 * SYN) puts in its SYN-ACK HMAC(Key-B||Key-A, R-B||R-A), and host A (the
 * initiator) puts in its third ACK HMAC(Key-A||Key-B, R-A||R-B); a receiver
 * checks the peer's value by passing the peer's key and nonce as "self".
 * The full 32 bytes go to out. Returns 0 or -EINVAL.
 */
int xm_mptcp_join_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
		       uint32_t nonce_peer, uint8_t out[XM_SHA256_DIGEST_LEN]);

/*
 * The truncated HMAC of the MP_JOIN SYN-ACK: the leftmost 64 bits of
 * xm_mptcp_join_hmac(key_b, key_a, nonce_b, nonce_a), read big-endian, i.e.
 * the number the codec reports as join.hmac64. key_b/nonce_b belong to the
 * sender of the SYN-ACK (the passive end of the join).
 */
uint64_t xm_mptcp_join_synack_hmac(uint64_t key_b, uint64_t key_a, uint32_t nonce_b,
				   uint32_t nonce_a);

/*
 * The HMAC of the MP_JOIN third ACK: the leftmost 160 bits of
 * xm_mptcp_join_hmac(key_a, key_b, nonce_a, nonce_b), in wire order, as the
 * codec's join.hmac[]. key_a/nonce_a belong to the initiator of the join.
 * Returns 0 or -EINVAL.
 */
int xm_mptcp_join_ack_hmac(uint64_t key_a, uint64_t key_b, uint32_t nonce_a, uint32_t nonce_b,
			   uint8_t out[XM_MPJ_ACK_HMAC_LEN]);

/*
 * The truncated HMAC of an ADD_ADDR (RFC 8684 §3.4.1):
 *   HMAC-SHA256(Key = key_sender || key_receiver,
 *               Msg = addr_id || address || port)
 * truncated to its *rightmost* 64 bits (the last 8 digest bytes), read
 * big-endian into *hmac (the codec's add_addr.hmac). The port is always two
 * big-endian bytes in the message, zero when the option carries no port; that
 * is what the RFC specifies and what Linux (add_addr_generate_hmac) does.
 * ip_ver is 4 or 6; addr points to 4 or 16 bytes in network order; port is
 * host order. key_sender is the key of the host that sends the ADD_ADDR.
 * Returns 0, -EINVAL on NULL pointers, -EAFNOSUPPORT if ip_ver is not 4 or 6.
 */
int xm_mptcp_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver, uint8_t addr_id,
			   uint8_t ip_ver, const void *addr, uint16_t port, uint64_t *hmac);

/*
 * DSS checksum (RFC 8684 §3.3.1): the 16-bit one's complement of the one's
 * complement sum of a pseudo-header (64-bit DSN, 32-bit relative subflow
 * sequence number, 16-bit data-level length, 16 zero bits, all big-endian)
 * followed by the mapping's payload. The DSN is always the full 64-bit one,
 * even when the option carries 32 bits (§3.3.1 and Linux agree).
 *
 * One mapping may span several TCP segments, so the payload can be fed in
 * pieces of any length (odd lengths included) with _update.
 */
struct xm_dss_csum {
	uint64_t sum; /* unfolded one's complement sum */
	uint8_t odd;  /* an odd number of payload bytes was summed so far */
	uint8_t pad[7];
};

/* Start a DSS checksum for the mapping (dsn, ssn, data_len), host order. */
int xm_dss_csum_init(struct xm_dss_csum *ctx, uint64_t dsn, uint32_t ssn, uint16_t data_len);

/* Add len payload bytes (data may be NULL when len is 0). Returns 0 or -EINVAL. */
int xm_dss_csum_update(struct xm_dss_csum *ctx, const void *data, size_t len);

/*
 * The checksum to put in the option, as a host-order number: write it
 * big-endian (the two bytes after the data-level length). A receiver
 * recomputes it and compares. Returns 0 or -EINVAL.
 */
int xm_dss_csum_final(const struct xm_dss_csum *ctx, uint16_t *csum);

/* One-shot: the DSS checksum of a mapping whose payload is contiguous. */
int xm_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len, const void *payload, size_t len,
		uint16_t *csum);

#endif
