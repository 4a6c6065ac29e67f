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
# Then MPTCP through the same path, bulk both ways at once, in both roles,
# over IPv4 and IPv6, with MTU-sized segments (TSO/GSO/GRO off on every veth
# end): the holes the drops leave give each side's data segments SACK blocks
# (timestamps and three blocks leave no option space, and the stack then
# skips sockops), and the drops make it retransmit. Every segment must keep
# the mapping of its first transmission (DssTxMapUnknown, DssTxNoMapping,
# DssTxRetransSpan, DssTxMapEvicted stay 0) and the kernel peer must see no
# mapping it refuses (its DSS, fallback, checksum and reset counters stay 0).
#
# Why TcpRetransSegs must rise: a TC egress drop with TC_ACT_SHOT reports
# NET_XMIT_DROP to the sending TCP, which keeps the segment and sends it again
# at once, never seeing a loss. A drop that behaves like the wire (the stack
# counts the segment as sent) must be TC_ACT_STOLEN; this test checks that
# the loader does that.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((16 * 1024 * 1024))
MP_BYTES=$((16 * 1024 * 1024)) # each way, per MPTCP transfer
if [[ "${VMTEST_GUEST:-0}" == 1 ]]; then
	BYTES=$((4 * 1024 * 1024))
	MP_BYTES=$((4 * 1024 * 1024))
	XM_XFER_TIMEOUT=120
fi
PPM=10000 # 1%
RATE=200mbit

# The counters that must not move, lossy path or not (lib.sh); here no case
# leaves a peer in LAST-ACK, so its resets and fast closes count too.
PEER_ZERO=("${XM_PEER_ZERO[@]}" MPRstTx MPFastcloseTx)
OUR_ZERO=("${XM_OUR_ZERO[@]}")

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

# offloads_off: TSO, GSO and GRO off on every veth end, so that the drops hit
# single segments, as on a wire, not 64 KiB aggregates.
offloads_off() {
	local ns
	for ns in "$XM_NS_A:xm1" "$XM_NS_B:xm1" "$XM_NS_M:a1" "$XM_NS_M:b1"; do
		xm_nsexec "${ns%%:*}" ethtool -K "${ns#*:}" tso off gso off gro off >/dev/null
	done
}

# mptcp_lossy ROLE FAMILY: MP_BYTES each way at once over the lossy path, our
# unmodified TCP end against a kernel MPTCP one, over IPv4 or IPv6 (4 or 6),
# with every check.
mptcp_lossy() {
	local role="$1" fam="$2" tag="lossy$2-mptcp-$1-bidir" n rc=0
	# shellcheck disable=SC2034 # read through namerefs (xm_snap_*)
	declare -A KB0=() KB1=() KA0=() KA1=() S0=() S1=()
	# an earlier connection's entry may still linger (its close counts then)
	xm_wait_until 10 xm_no_conn_state "$XM_NS_A" || { xm_err "$tag: state of an earlier connection left"; return 1; }
	xm_snap_kernel "$XM_NS_B" KB0
	xm_snap_kernel "$XM_NS_A" KA0
	xm_snap_stats "$XM_NS_A" S0 || return 1
	if [[ "$role" == client ]]; then
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr"$fam" 1 b)" \
			"$MP_BYTES" "$MP_BYTES" || rc=1
	else
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr"$fam" 1 a)" \
			"$MP_BYTES" "$MP_BYTES" || rc=1
	fi
	# The state goes when the socket closes (server role: after the peer's
	# DATA_FIN, its RST may come later).
	if ((rc == 0)) && ! xm_wait_until 10 xm_no_conn_state "$XM_NS_A"; then
		xm_ctl "$XM_NS_A" conn show >&2 || true
		xm_err "$tag: connection state left 10s after the transfer"
		rc=1
	fi
	xm_snap_kernel "$XM_NS_B" KB1
	xm_snap_kernel "$XM_NS_A" KA1
	xm_snap_stats "$XM_NS_A" S1 || return 1
	if ((rc != 0)); then
		xm_err "$tag: peer deltas: DSSNotMatching +$(xm_snap_delta KB1 KB0 MPTcpExtDSSNotMatching)" \
			"DssFallback +$(xm_snap_delta KB1 KB0 MPTcpExtDssFallback)," \
			"our stack: IpFragFails +$(xm_snap_delta KA1 KA0 IpFragFails)" \
			"Ip6FragFails +$(xm_snap_delta KA1 KA0 Ip6FragFails)," \
			"ours: DssTxMapUnknown +$(xm_snap_delta S1 S0 DssTxMapUnknown)" \
			"DssTxNoMapping +$(xm_snap_delta S1 S0 DssTxNoMapping)" \
			"DssTxMapEvicted +$(xm_snap_delta S1 S0 DssTxMapEvicted)"
		return 1
	fi
	if [[ "$role" == client ]]; then
		xm_assert_eq "$tag: the kernel server's socket is MPTCP (MPTCP_INFO)" mptcp "$XM_XFER_SERVER_MODE"
	else
		xm_assert_eq "$tag: the kernel client's socket is MPTCP (MPTCP_INFO)" mptcp "$XM_XFER_CLIENT_MODE"
	fi
	for n in "${PEER_ZERO[@]}"; do
		xm_assert_eq "$tag: peer $n rose by" 0 "$(xm_snap_delta KB1 KB0 "MPTcpExt$n")"
	done
	for n in "${OUR_ZERO[@]}"; do
		xm_assert_eq "$tag: our $n rose by" 0 "$(xm_snap_delta S1 S0 "$n")"
	done
	# Our stack sized no segment beyond the MTU. Under loss, with one SACK
	# block in our ACKs, it did: both directions then stalled (lib.sh).
	for n in "${XM_STACK_ZERO[@]}"; do
		xm_assert_eq "$tag: our stack's $n rose by" 0 "$(xm_snap_delta KA1 KA0 "$n")"
	done
	for n in ConnEstablished DataFinRx DataFinTx ConnClosed; do
		xm_assert_eq "$tag: our $n rose by" 1 "$(xm_snap_delta S1 S0 "$n")"
	done
	xm_assert_ge "$tag: the peer retransmitted (TcpRetransSegs rose by)" \
		"$(xm_snap_delta KB1 KB0 TcpRetransSegs)" 1
	xm_log "$tag: ours: DssTxRetransMapped +$(xm_snap_delta S1 S0 DssTxRetransMapped)," \
		"DssTxSackReplaced +$(xm_snap_delta S1 S0 DssTxSackReplaced)," \
		"DssTxFirstNoRoom +$(xm_snap_delta S1 S0 DssTxFirstNoRoom)," \
		"DssTxCompact +$(xm_snap_delta S1 S0 DssTxCompact)"
}

# tcp_cases: plain TCP both ways and over IPv6, and a kernel MPTCP client,
# through the lossy path; the loss and duplication must be real.
tcp_cases() {
	local re_a0 re_b0 re_a1 re_b1 ds_a0 ds_b0 ds_a1 ds_b1

	re_a0="$(xm_nstat "$XM_NS_A" TcpRetransSegs)"
	re_b0="$(xm_nstat "$XM_NS_B" TcpRetransSegs)"
	ds_a0="$(xm_nstat "$XM_NS_A" TcpExtTCPDSACKRecv)"
	ds_b0="$(xm_nstat "$XM_NS_B" TcpExtTCPDSACKRecv)"

	xm_transfer lossy4-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES"
	xm_transfer lossy4-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr4 1 a)" "$BYTES"
	xm_transfer lossy6-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr6 1 b)" "$BYTES"
	# A kernel MPTCP client: our datapath makes it MPTCP (server role).
	xm_transfer lossy4-mptcp-b-to-a "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 1 a)" "$BYTES"
	xm_assert_eq "lossy4-mptcp-b-to-a: the kernel client's socket is MPTCP (MPTCP_INFO)" \
		mptcp "$XM_XFER_CLIENT_MODE"

	re_a1="$(xm_nstat "$XM_NS_A" TcpRetransSegs)"
	re_b1="$(xm_nstat "$XM_NS_B" TcpRetransSegs)"
	xm_assert_ge "A retransmitted (the path does drop: TcpRetransSegs rose by)" "$((re_a1 - re_a0))" 1
	xm_assert_ge "B retransmitted (the path does drop: TcpRetransSegs rose by)" "$((re_b1 - re_b0))" 1
	ds_a1="$(xm_nstat "$XM_NS_A" TcpExtTCPDSACKRecv)"
	ds_b1="$(xm_nstat "$XM_NS_B" TcpExtTCPDSACKRecv)"
	# A duplicated data segment makes the receiver send a D-SACK (RFC 2883).
	xm_assert_ge "the path does duplicate: D-SACKs received by A and B rose by" \
		"$((ds_a1 - ds_a0 + ds_b1 - ds_b0))" 1
}

main() {
	xm_init
	xm_require_cmd ethtool
	xm_require_build "$XM_IMPAIR"
	xm_topology 1 middle
	xm_daemon_start "$XM_NS_A"
	# M's b1 carries A->B, its a1 B->A.
	xm_shape "$XM_NS_M" b1 "$RATE"
	xm_shape "$XM_NS_M" a1 "$RATE"
	impair_start "$XM_NS_M" b1
	impair_start "$XM_NS_M" a1

	tcp_cases
	offloads_off
	xm_log "TSO/GSO/GRO off on every veth end for the MPTCP transfers both ways"
	mptcp_lossy client 4
	mptcp_lossy server 4
	mptcp_lossy client 6
	mptcp_lossy server 6

	xm_assert_ok "xmptcpd still answers" xm_ctl "$XM_NS_A" status
	impair_stop
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
