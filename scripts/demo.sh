#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xmptcp in two minutes: install, build, build a two-path topology in network
# namespaces, run xmptcpd on side A, move data between an unmodified TCP
# program on side A and the Linux kernel's MPTCP on side B, show what both
# sides saw, and tear everything down (also on failure or Ctrl-C).
#
#   sudo ./scripts/demo.sh
#
# Side A: net.mptcp.enabled=0, xmptcpd, plain TCP sockets.
# Side B: net.mptcp.enabled=1, IPPROTO_MPTCP sockets (the RFC 8684 peer).
# Paths: 198.18.1.0/24 and 198.18.2.0/24 (RFC 2544 benchmarking addresses).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${XM_BUILD_DIR:-$ROOT/build}"
export XM_BUILD="$BUILD"
BYTES=$((64 * 1024 * 1024))
# The netns test harness: topology, daemon, transfers, cleanup trap. Sourced at
# top level: its associative arrays must outlive main() for the EXIT trap.
# shellcheck source-path=SCRIPTDIR source=../tests/netns/lib.sh
source "$ROOT/tests/netns/lib.sh"

say() {
	if [[ -t 1 ]]; then
		printf '\n\033[1m>>> %s\033[0m\n' "$*"
	else
		printf '\n>>> %s\n' "$*"
	fi
}

build() {
	say "installing missing packages (scripts/deps.sh)"
	"$ROOT/scripts/deps.sh"
	say "building into ${BUILD#"$ROOT"/}"
	if [[ ! -f "$BUILD/meson-private/coredata.dat" ]]; then
		meson setup "$BUILD" "$ROOT" >/dev/null
	fi
	meson compile -C "$BUILD" >/dev/null
}

# summarize PEER_MODE_A_TO_B PEER_MODE_B_TO_A: say what the run showed, from
# the numbers it produced, not from what this stage is supposed to do.
summarize() {
	local ab="$1" ba="$2" rx_mpc tx_mpc fb_synack fb_ack
	rx_mpc="$(xm_stat "$XM_NS_A" RxMpCapable)"
	tx_mpc="$(xm_stat "$XM_NS_A" TxMpCapable)"
	fb_synack="$(mptcp_counter "$XM_NS_B" MPCapableFallbackSYNACK)"
	fb_ack="$(mptcp_counter "$XM_NS_B" MPCapableFallbackACK)"
	printf '    The kernel peer saw: A->B connection %s, B->A connection %s.\n' "$ab" "$ba"
	printf '    xmptcp on A counted %s MP_CAPABLE options in, %s out.\n' "$rx_mpc" "$tx_mpc"
	printf '    Peer fallbacks: %s on SYN-ACK (its connections), %s on ACK (ours).\n' \
		"$fb_synack" "$fb_ack"
	if [[ "$ab" != mptcp && "$ba" != mptcp ]]; then
		cat <<'EOF'

    So at this stage xmptcp attaches its datapath (XDP ingress, TC egress) to
    every interface of side A and passes TCP through unchanged: it parses and
    counts every MPTCP option it sees (the kernel peer's MP_CAPABLE SYNs), but
    it does not speak MPTCP yet, so the peer fell back to plain TCP (RFC 8684
    section 3.7) and each transfer used one path. The data arrived intact both
    ways (SHA-256 checked at both ends).
EOF
	else
		cat <<'EOF'

    The kernel peer reports a real MPTCP connection with side A, whose
    application used a plain TCP socket; the data arrived intact (SHA-256
    checked at both ends).
EOF
	fi
}

main() {
	local peer_mode_ab peer_mode_ba
	if [[ "$(id -u)" -ne 0 ]]; then
		printf 'demo.sh: needs root (network namespaces, BPF): run it with sudo\n' >&2
		exit 1
	fi
	build

	xm_init
	say "two paths between $XM_TEST namespaces: A (xmptcp) and B (Linux kernel MPTCP)"
	xm_topology 2
	ip -n "$XM_NS_A" -br addr show | sed 's/^/    A: /'
	ip -n "$XM_NS_B" -br addr show | sed 's/^/    B: /'

	say "starting xmptcpd on side A"
	xm_daemon_start "$XM_NS_A"
	xm_ctl "$XM_NS_A" status

	say "unmodified TCP client on A -> kernel MPTCP server on B (198.18.1.2), 64 MiB"
	xm_transfer demo-a-to-b "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES"
	peer_mode_ab="$XM_XFER_SERVER_MODE"
	sed 's/^/    /' "$XM_TMP/demo-a-to-b.client.log" "$XM_TMP/demo-a-to-b.server.log"

	say "kernel MPTCP client on B -> unmodified TCP server on A (198.18.2.1), 64 MiB"
	xm_transfer demo-b-to-a "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 2 a)" "$BYTES"
	peer_mode_ba="$XM_XFER_CLIENT_MODE"
	sed 's/^/    /' "$XM_TMP/demo-b-to-a.client.log" "$XM_TMP/demo-b-to-a.server.log"

	say "mptcpctl status"
	xm_ctl "$XM_NS_A" status
	say "mptcpctl stats (the datapath's counters on side A)"
	xm_ctl "$XM_NS_A" stats
	say "the kernel peer's view (nstat MPTcpExt on side B)"
	xm_mptcp_counters "$XM_NS_B"

	say "what this shows, honestly"
	summarize "$peer_mode_ab" "$peer_mode_ba"

	say "stopping xmptcpd; the EXIT trap removes the namespaces"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
