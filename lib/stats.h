/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Names and descriptions of the datapath counters (enum xm_stat). */
#ifndef XMPTCP_LIB_STATS_H
#define XMPTCP_LIB_STATS_H

#include <xmptcp/abi.h>

/* The counter's name ("RxPackets"), or NULL when stat is out of range. */
const char *xm_stat_name(unsigned int stat);
/* One line saying what the counter counts, or NULL when out of range. */
const char *xm_stat_help(unsigned int stat);

#endif
