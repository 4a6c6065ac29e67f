#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# TCP through the xmptcp datapath survives a lossy, duplicating path: with
# xm-impair dropping 1% and duplicating 1% of the packets in each direction
# (this host has no netem), and tbf shaping them, transfers both ways and over
# IPv6 still arrive intact; the senders' retransmission and D-SACK counters
# prove that the impairment really happened.
#
# The impairment sits in a middle namespace that bridges the path, i.e. on the
# wire, after everything xmptcp's hooks on side A do: on A's own egress it
# would have to share clsact with tc_egress, whose TC_ACT_OK ends the filter
# chain, and it would see packets before xmptcp rewrites them.
#
# Why TcpRetransSegs must rise: a TC egress drop with TC_ACT_SHOT reports
# NET_XMIT_DROP to the sending TCP, which keeps the segment and sends it again
# at once, never seeing a loss. A drop that behaves like the wire (the stack
# counts the segment as sent) must be TC_ACT_STOLEN; this test checks that
# the loader does that.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((16 * 1024 * 1024))
PPM=10000 # 1%
RATE=200mbit

IMPAIR_PIDS=()
IMPAIR_LOGS=()

# impair_start NS DEV: xm-impair on DEV's egress in NS; it prints a line
# starting with "ready" once attached.
impair_start() {
	local ns="$1" dev="$2" logf="$XM_TMP/impair-$1-$2.log" pid
	xm_bg "$logf" "$ns" "$XM_IMPAIR" attach "$dev" --drop "$PPM" --dup "$PPM"
	pid="$XM_LAST_PID"
	if ! xm_wait_until 10 grep -q '^ready' "$logf"; then
		xm_show "xm-impair log" "$logf"
		kill -0 "$pid" 2>/dev/null || xm_err "xm-impair exited early"
		xm_err "xm-impair attach $dev in $ns: no 'ready' line within 10s"
		return 1
	fi
	xm_assert_ok "xm-impair's filter is on $dev's egress" impair_attached "$ns" "$dev"
	IMPAIR_PIDS+=("$pid")
	IMPAIR_LOGS+=("$logf")
	xm_log "xm-impair: $(grep '^ready' "$logf")"
}

impair_attached() {
	tc -n "$1" filter show dev "$2" egress 2>/dev/null | grep -qi 'impair' ||
		xm_nsexec "$1" bpftool net show dev "$2" 2>/dev/null | grep -qi 'impair'
}

# impair_stop: SIGTERM the loaders; they detach and print their counters.
impair_stop() {
	local i rc
	for i in "${!IMPAIR_PIDS[@]}"; do
		kill -TERM "${IMPAIR_PIDS[$i]}"
		rc=0
		wait "${IMPAIR_PIDS[$i]}" || rc=$?
		xm_assert_eq "xm-impair exit status after SIGTERM" 0 "$rc" ||
			{ xm_show "xm-impair log" "${IMPAIR_LOGS[$i]}"; return 1; }
		xm_log "xm-impair counters: $(tail -n 1 "${IMPAIR_LOGS[$i]}")"
	done
}

main() {
	local re_a0 re_b0 re_a1 re_b1 ds_a0 ds_b0 ds_a1 ds_b1

	xm_init
	xm_require_build "$XM_IMPAIR"
	xm_topology 1 middle
	xm_daemon_start "$XM_NS_A"
	# M's b1 carries A->B, its a1 B->A.
	xm_shape "$XM_NS_M" b1 "$RATE"
	xm_shape "$XM_NS_M" a1 "$RATE"
	impair_start "$XM_NS_M" b1
	impair_start "$XM_NS_M" a1

	re_a0="$(xm_nstat "$XM_NS_A" TcpRetransSegs)"
	re_b0="$(xm_nstat "$XM_NS_B" TcpRetransSegs)"
	ds_a0="$(xm_nstat "$XM_NS_A" TcpExtTCPDSACKRecv)"
	ds_b0="$(xm_nstat "$XM_NS_B" TcpExtTCPDSACKRecv)"

	xm_transfer lossy4-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES"
	xm_transfer lossy4-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr4 1 a)" "$BYTES"
	xm_transfer lossy6-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr6 1 b)" "$BYTES"
	# A kernel MPTCP client that falls back must survive the same path.
	xm_transfer lossy4-mptcp-b-to-a "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 1 a)" "$BYTES"

	re_a1="$(xm_nstat "$XM_NS_A" TcpRetransSegs)"
	re_b1="$(xm_nstat "$XM_NS_B" TcpRetransSegs)"
	xm_assert_ge "A retransmitted (the path does drop: TcpRetransSegs rose by)" "$((re_a1 - re_a0))" 1
	xm_assert_ge "B retransmitted (the path does drop: TcpRetransSegs rose by)" "$((re_b1 - re_b0))" 1
	ds_a1="$(xm_nstat "$XM_NS_A" TcpExtTCPDSACKRecv)"
	ds_b1="$(xm_nstat "$XM_NS_B" TcpExtTCPDSACKRecv)"
	# A duplicated data segment makes the receiver send a D-SACK (RFC 2883).
	xm_assert_ge "the path does duplicate: D-SACKs received by A and B rose by" \
		"$((ds_a1 - ds_a0 + ds_b1 - ds_b0))" 1

	xm_assert_ok "xmptcpd still answers" xm_ctl "$XM_NS_A" status
	impair_stop
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
