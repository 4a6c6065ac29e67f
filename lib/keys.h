/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Key material for new MPTCP connections (struct xm_key_material), and the
 * xm_keys queue the datapath takes it from.
 */
#ifndef XMPTCP_LIB_KEYS_H
#define XMPTCP_LIB_KEYS_H

#include <xmptcp/abi.h>

/*
 * Fill *km with a fresh random key (getrandom) and its token and IDSN
 * (RFC 8684 §3.1). A key whose token is 0 is drawn again: 0 marks "no token"
 * in the maps. Returns 0 or a negative errno.
 */
int xm_key_material_new(struct xm_key_material *km);

/*
 * Push fresh key material into the BPF queue map map_fd until it is full or
 * max items went in. *pushed (may be NULL) gets the number pushed. Returns 0
 * (also when the queue was already full) or a negative errno.
 */
int xm_keys_refill(int map_fd, unsigned int max, unsigned int *pushed);

#endif
