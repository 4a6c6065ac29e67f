/* SPDX-License-Identifier: GPL-2.0-only */
/* Human-readable descriptions of ring-buffer events (include/xmptcp/abi.h). */
#ifndef XMPTCPD_EVENTS_H
#define XMPTCPD_EVENTS_H

#include <stddef.h>

/*
 * Describe one ring-buffer record in buf (one line, no newline). ifname names
 * the record's interface. Returns 0, -EBADMSG for a record shorter than its
 * header or its type says, -ENOTSUP for a type this daemon does not know.
 */
int xm_event_describe(const void *data, size_t size, const char *ifname, char *buf, size_t len);

/* What an enum xm_opt_err value means ("unknown error" when out of range). */
const char *xm_opt_err_str(unsigned int err);

#endif
