// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xmptcp/abi.h>
#include <xmptcp/mptcp_opt.h>

#include "events.h"

static const char *const opt_err_str[XM_OPT_E__MAX] = {
	[XM_OPT_OK] = "no error",
	[XM_OPT_E_TRUNCATED] = "option runs past the end of the TCP options",
	[XM_OPT_E_LENGTH] = "length not valid for this subtype and its flags",
	[XM_OPT_E_VERSION] = "MP_CAPABLE version other than 1",
	[XM_OPT_E_FLAGS] = "flags inconsistent with the length or with each other",
	[XM_OPT_E_SUBTYPE] = "unknown subtype",
	[XM_OPT_E_NOT_MPTCP] = "option kind is not 30 (MPTCP)",
	[XM_OPT_E_NOSPACE] = "option does not fit in the options area",
	[XM_OPT_E_INVALID] = "not a valid option",
};

static const char *const subtype_str[16] = {
	[XM_MPTCP_MP_CAPABLE] = "MP_CAPABLE",
	[XM_MPTCP_MP_JOIN] = "MP_JOIN",
	[XM_MPTCP_DSS] = "DSS",
	[XM_MPTCP_ADD_ADDR] = "ADD_ADDR",
	[XM_MPTCP_REMOVE_ADDR] = "REMOVE_ADDR",
	[XM_MPTCP_MP_PRIO] = "MP_PRIO",
	[XM_MPTCP_MP_FAIL] = "MP_FAIL",
	[XM_MPTCP_MP_FASTCLOSE] = "MP_FASTCLOSE",
	[XM_MPTCP_MP_TCPRST] = "MP_TCPRST",
	[XM_MPTCP_MP_EXPERIMENTAL] = "MP_EXPERIMENTAL",
};

const char *xm_opt_err_str(unsigned int err)
{
	return err < XM_OPT_E__MAX && opt_err_str[err] ? opt_err_str[err] : "unknown error";
}

static void addr_str(const __u8 *a, int ver, char *buf, size_t len)
{
	if (!inet_ntop(ver == 6 ? AF_INET6 : AF_INET, a, buf, len))
		snprintf(buf, len, "?");
}

static int describe_opt_malformed(const struct xm_ev_opt_malformed *ev, const char *ifname,
				  char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], hex[XM_TCP_OPTS_MAX * 3 + 1] = "";
	unsigned int n = ev->opts_len < XM_TCP_OPTS_MAX ? ev->opts_len : XM_TCP_OPTS_MAX;
	unsigned int off = ev->opt_off, i;
	const char *sub = "?";
	char what[64] = "";

	addr_str(ev->saddr, ev->ip_ver, src, sizeof(src));
	addr_str(ev->daddr, ev->ip_ver, dst, sizeof(dst));
	for (i = 0; i < n; i++)
		snprintf(hex + i * 3, 4, "%02x%s", ev->opts[i], i + 1 < n ? " " : "");
	/* The subtype is the high nibble of the byte after kind and length. */
	if (off + 2 < n) {
		sub = subtype_str[ev->opts[off + 2] >> 4];
		snprintf(what, sizeof(what), "%s (subtype %u), length %u", sub ? sub : "unknown",
			 ev->opts[off + 2] >> 4, ev->opts[off + 1]);
	} else if (off + 1 < n) {
		snprintf(what, sizeof(what), "length %u", ev->opts[off + 1]);
	} else {
		snprintf(what, sizeof(what), "option cut short");
	}
	snprintf(buf, len,
		 "malformed MPTCP option on %s %s, %s%s%s:%u -> %s%s%s:%u: %s; %s at offset %u; "
		 "TCP options: %s",
		 ifname, ev->dir == XM_DIR_TX ? "egress" : "ingress", ev->ip_ver == 6 ? "[" : "",
		 src, ev->ip_ver == 6 ? "]" : "", ntohs(ev->sport), ev->ip_ver == 6 ? "[" : "", dst,
		 ev->ip_ver == 6 ? "]" : "", ntohs(ev->dport), xm_opt_err_str(ev->error), what, off,
		 hex);
	return 0;
}

int xm_event_describe(const void *data, size_t size, const char *ifname, char *buf, size_t len)
{
	const struct xm_event_hdr *hdr = data;

	if (size < sizeof(*hdr) || hdr->len > size)
		return -EBADMSG;
	switch (hdr->type) {
	case XM_EV_OPT_MALFORMED:
		if (hdr->len < sizeof(struct xm_ev_opt_malformed))
			return -EBADMSG;
		return describe_opt_malformed(data, ifname, buf, len);
	default:
		return -ENOTSUP;
	}
}
