#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xmptcp in two minutes: install, build, build a two-path topology in network
# namespaces, run xmptcpd on side A, move data both ways between an unmodified
# TCP program on side A and the Linux kernel's MPTCP on side B, in both roles,
# show `mptcpctl conn show` while the data moves, what both sides counted and
# what the run measured, and tear everything down (also on failure or Ctrl-C).
# Only the first path carries a connection for now (one subflow).
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
# The answer: bulk the other way at the same time.
BACK=$((16 * 1024 * 1024))
XM_XFER_TIMEOUT=20
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

# watch_conns FILE STOPFILE: until STOPFILE exists, poll `mptcpctl conn show`
# on side A and keep in FILE the last listing that showed a connection.
watch_conns() {
	local out
	while [[ ! -e "$2" ]]; do
		out="$(xm_ctl "$XM_NS_A" conn show 2>/dev/null)" || true
		if [[ -n "$out" ]] && xm_ctl "$XM_NS_A" -j conn show 2>/dev/null |
			python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["connections"] else 1)'; then
			printf '%s\n' "$out" >"$1"
		fi
		sleep 0.1
	done
}

# link_tx NS DEV: bytes DEV has sent so far.
link_tx() {
	ip -n "$1" -j -s link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])'
}

# demo_transfer NAME ROLE ADDR: one transfer both ways at once (BYTES from the
# client, BACK from the server), with `mptcpctl conn show` polled while it
# runs. Sets PEER_MODE.
PEER_MODE=""
demo_transfer() {
	local name="$1" role="$2" addr="$3" seen="$XM_TMP/$1.conns" stop="$XM_TMP/$1.stop" wpid
	(watch_conns "$seen" "$stop") &
	wpid=$!
	XM_PIDS+=("$wpid")
	if [[ "$role" == client ]]; then
		xm_transfer_bidir "$name" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$addr" "$BYTES" "$BACK"
		PEER_MODE="$XM_XFER_SERVER_MODE"
	else
		xm_transfer_bidir "$name" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$addr" "$BYTES" "$BACK"
		PEER_MODE="$XM_XFER_CLIENT_MODE"
	fi
	touch "$stop"
	wait "$wpid" || true
	sed 's/^/    /' "$XM_TMP/$name.client.log" "$XM_TMP/$name.server.log"
	printf '\n    mptcpctl conn show, polled on side A while the transfer ran:\n'
	if [[ -s "$seen" ]]; then
		sed 's/^/      /' "$seen"
	else
		printf '      (nothing listed: no poll caught the connection open)\n'
	fi
}

main() {
	local ab ba x1 x2 y1 y2 est fin_rx fin_tx syn_rx ack_rx synack_rx fb_ack fb_synack
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

	say "starting xmptcpd on side A (net.mptcp.enabled=0 there: the kernel's MPTCP is off)"
	xm_daemon_start "$XM_NS_A"
	xm_ctl "$XM_NS_A" status

	x1="$(link_tx "$XM_NS_A" xm1)"
	x2="$(link_tx "$XM_NS_A" xm2)"
	say "unmodified TCP client on A -> kernel MPTCP server on B ($(xm_addr4 1 b)), 64 MiB, $((BACK >> 20)) MiB back at the same time"
	demo_transfer demo-a-to-b client "$(xm_addr4 1 b)"
	ab="$PEER_MODE"

	say "kernel MPTCP client on B -> unmodified TCP server on A ($(xm_addr4 1 a)), 64 MiB, $((BACK >> 20)) MiB back at the same time"
	demo_transfer demo-b-to-a server "$(xm_addr4 1 a)"
	ba="$PEER_MODE"
	y1="$(link_tx "$XM_NS_A" xm1)"
	y2="$(link_tx "$XM_NS_A" xm2)"

	say "mptcpctl stats (the datapath's counters on side A)"
	xm_ctl "$XM_NS_A" stats
	say "the kernel peer's view (nstat MPTcpExt on side B)"
	xm_mptcp_counters "$XM_NS_B"

	say "what this run measured"
	syn_rx="$(mptcp_counter "$XM_NS_B" MPCapableSYNRX)"
	ack_rx="$(mptcp_counter "$XM_NS_B" MPCapableACKRX)"
	synack_rx="$(mptcp_counter "$XM_NS_B" MPCapableSYNACKRX)"
	fb_ack="$(mptcp_counter "$XM_NS_B" MPCapableFallbackACK)"
	fb_synack="$(mptcp_counter "$XM_NS_B" MPCapableFallbackSYNACK)"
	est="$(xm_stat "$XM_NS_A" ConnEstablished)"
	fin_rx="$(xm_stat "$XM_NS_A" DataFinRx)"
	fin_tx="$(xm_stat "$XM_NS_A" DataFinTx)"
	printf '    Data: 64 MiB from client to server and %d MiB back at the same time, in both transfers, SHA-256 equal at both ends.\n' $((BACK >> 20))
	printf "    The kernel peer's socket reported: A->B connection %s, B->A connection %s.\n" "$ab" "$ba"
	printf '    Peer handshake counters: MPCapableSYNRX %s, MPCapableACKRX %s (A as client),\n' \
		"$syn_rx" "$ack_rx"
	printf '      MPCapableSYNACKRX %s (A as server); fallbacks: on ACK %s, on SYN-ACK %s.\n' \
		"$synack_rx" "$fb_ack" "$fb_synack"
	printf '    xmptcp on A: %s MPTCP connection(s) established, DATA_FIN %s received / %s sent.\n' \
		"$est" "$fin_rx" "$fin_tx"
	printf '    Bytes sent by A: path 1 (xm1) %s MB, path 2 (xm2) %s MB.\n' \
		"$(((y1 - x1) / 1000000))" "$(((y2 - x2) / 1000000))"
	if [[ "$ab" == mptcp && "$ba" == mptcp ]]; then
		cat <<'EOF'

    So: unmodified TCP programs on A spoke RFC 8684 MPTCP with the Linux kernel
    in both roles (MP_CAPABLE handshake, DSS mappings, DATA_FIN), with no
    change to the programs or to the kernel. For now a connection has one
    subflow: only the first path carries it. Joining the second path
    (MP_JOIN, ADD_ADDR) comes later.
EOF
	else
		cat <<'EOF'

    At least one connection did not end up as MPTCP on the kernel peer's side
    (see its counters above); the data still arrived intact, over plain TCP.
EOF
	fi

	say "stopping xmptcpd; the EXIT trap removes the namespaces"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
