#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fallback (RFC 8684 section 3.7), IPv4, through a middle namespace M that
# bridges the path (as in impair.sh: an impairment on A's own egress would sit
# behind tc_egress, which ends the filter chain):
#  (a) a plain TCP peer (plain sockets on B): our client's SYN offers
#      MP_CAPABLE, the SYN-ACK has none, and after that no MPTCP option at all
#      either way (capture on B); our MPCapableFallbackSYNACK rose, no MPTCP
#      connection was counted, data intact both ways;
#  (b) a middlebox that strips MPTCP options from the SYN-ACK (xm-impair
#      --strip-mptcp synack on M), both roles, and one that strips them from
#      the SYN (client role): a clean TCP fallback with intact data; the
#      kernel peer's socket reports fallback and its fallback counter rose;
#      nothing is left in xm_conns or xm_pending;
#  (c) options stripped from every segment once the connection is up (both
#      ends hold it idle while xm-impair --strip-mptcp all starts on M, both
#      directions), both roles: no byte may arrive wrong (every received byte
#      is checked as it arrives); an intact transfer or a clean error are both
#      accepted, and what the kernel peer did is logged.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((8 * 1024 * 1024))
XM_XFER_TIMEOUT=20
IMPAIR_PIDS=()

# impair_start DEV WHICH: xm-impair --strip-mptcp WHICH on M's DEV (b1: A->B, a1: B->A).
impair_start() {
	local dev="$1" which="$2" logf="$XM_TMP/impair-$1-$2-$SECONDS.log"
	xm_bg "$logf" "$XM_NS_M" "$XM_IMPAIR" attach "$dev" --strip-mptcp "$which" --tcp-only
	IMPAIR_PIDS+=("$XM_LAST_PID:$logf")
	if ! xm_wait_until 10 grep -q '^ready' "$logf"; then
		xm_show "xm-impair log" "$logf"
		xm_err "xm-impair --strip-mptcp $which on $dev did not get ready"
		return 1
	fi
}

# impair_stop: stop every xm-impair (SIGTERM: they detach and print their
# counters); sets IMPAIR_STRIPPED to the segments they stripped.
IMPAIR_STRIPPED=0
impair_stop() {
	local e pid logf n i
	IMPAIR_STRIPPED=0
	for e in "${IMPAIR_PIDS[@]}"; do
		pid="${e%%:*}" logf="${e#*:}"
		kill -TERM "$pid" 2>/dev/null || true
		# not always our child (late_strip_case starts them from a helper)
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		xm_log "xm-impair on ${logf#*impair-}: $(tail -n 1 "$logf")"
		n="$(tail -n 1 "$logf" | sed -n 's/.*stripped=\([0-9]*\).*/\1/p')"
		IMPAIR_STRIPPED=$((IMPAIR_STRIPPED + ${n:-0}))
	done
	IMPAIR_PIDS=()
}

map_len() {
	xm_ctl "$XM_NS_A" -j map dump "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'
}
no_state_left() { [[ "$(map_len xm_conns)" == 0 && "$(map_len xm_pending)" == 0 ]]; }

# assert_no_state TAG
assert_no_state() {
	if ! xm_wait_until 10 no_state_left; then
		xm_err "$1: state left: xm_conns $(map_len xm_conns), xm_pending $(map_len xm_pending)"
		return 1
	fi
	xm_log "ok: $1: xm_conns and xm_pending are empty"
}

declare -A P0=() O0=()
PEER=(MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNRX MPCapableACKRX MPCapableSYNACKRX
	DSSNotMatching DSSCorruptionFallback DSSCorruptionReset DssFallback DSSNoMatchTCP
	InfiniteMapRx InfiniteMapTx MPFailTx MPFailRx MPRstTx MPRstRx MPFastcloseTx MPFastcloseRx
	MPCapableDataFallback FallbackFailed)
OURS=(MPCapableFallbackSYNACK MPCapableFallbackACK ConnEstablished ConnClosed MPCapableSYNTX
	MPCapableSYNACKRX MPCapableSYNRX MPCapableACKRX DataFinRx DataFinTx)
snap() {
	local n
	for n in "${PEER[@]}"; do P0[$n]="$(mptcp_counter "$XM_NS_B" "$n")"; done
	for n in "${OURS[@]}"; do O0[$n]="$(xm_stat "$XM_NS_A" "$n")"; done
}
pd() { echo $(($(mptcp_counter "$XM_NS_B" "$1") - ${P0[$1]})); }
od() { echo $(($(xm_stat "$XM_NS_A" "$1") - ${O0[$1]})); }
# deltas: the counters that moved, on one line.
deltas() {
	local n d out=""
	for n in "${PEER[@]}"; do d="$(pd "$n")"; ((d == 0)) || out+="peer $n +$d, "; done
	for n in "${OURS[@]}"; do d="$(od "$n")"; ((d == 0)) || out+="our $n +$d, "; done
	echo "${out%, }"
}

# mptcp_after_syn FILE: packets with an MPTCP option other than the SYN.
mptcp_after_syn() {
	xm_capture_count "$1" 'tcp.options.mptcp.subtype && !(tcp.flags.syn == 1 && tcp.flags.ack == 0)'
}

# --- (a) plain TCP peer --------------------------------------------------------
case_plain_peer() {
	local cap="$XM_TMP/plain.pcap"
	snap
	xm_capture_start "$XM_NS_B" xm1 "$cap" tcp
	xm_transfer_bidir plain-peer "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES" "$BYTES"
	sleep 0.3
	xm_capture_stop "$cap"
	xm_assert_eq "(a) our SYN offered MP_CAPABLE (SYNs with it in the capture)" 1 \
		"$(xm_capture_count "$cap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.options.mptcp.subtype == 0')"
	xm_assert_eq "(a) no MPTCP option after the SYN, either way" 0 "$(mptcp_after_syn "$cap")"
	xm_assert_eq "(a) our MPCapableFallbackSYNACK rose by" 1 "$(od MPCapableFallbackSYNACK)"
	xm_assert_eq "(a) our ConnEstablished rose by" 0 "$(od ConnEstablished)"
	assert_no_state "(a)"
}

# --- (b) stripped handshake ------------------------------------------------------
# strip_case TAG ROLE DEV WHICH: fallback with the option stripped on DEV.
strip_case() {
	local tag="$1" role="$2" dev="$3" which="$4" cap="$XM_TMP/$1.pcap"
	snap
	impair_start "$dev" "$which"
	xm_capture_start "$XM_NS_B" xm1 "$cap" tcp
	if [[ "$role" == client ]]; then
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES" "$BYTES"
		xm_assert_eq "$tag: the kernel server's socket fell back" fallback "$XM_XFER_SERVER_MODE"
		xm_assert_is_mptcp "$tag: the kernel server's TCP_IS_MPTCP" 0 "$XM_XFER_SERVER_ISMPTCP"
	else
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 1 a)" "$BYTES" "$BYTES"
		xm_assert_eq "$tag: the kernel client's socket fell back" fallback "$XM_XFER_CLIENT_MODE"
		xm_assert_is_mptcp "$tag: the kernel client's TCP_IS_MPTCP" 0 "$XM_XFER_CLIENT_ISMPTCP"
	fi
	sleep 0.3
	xm_capture_stop "$cap"
	impair_stop
	xm_assert_ge "$tag: xm-impair stripped segments" "$IMPAIR_STRIPPED" 1
	xm_log "$tag: counters that moved: $(deltas)"
	case "$tag" in
	client-strip-synack)
		# We see a SYN-ACK without MP_CAPABLE: plain TCP, no option in our third ACK;
		# the kernel server then gets a third ACK without MP_CAPABLE.
		xm_assert_eq "$tag: our MPCapableFallbackSYNACK rose by" 1 "$(od MPCapableFallbackSYNACK)"
		xm_assert_eq "$tag: peer MPCapableFallbackACK rose by" 1 "$(pd MPCapableFallbackACK)"
		;;
	client-strip-syn)
		xm_assert_eq "$tag: our MPCapableFallbackSYNACK rose by" 1 "$(od MPCapableFallbackSYNACK)"
		xm_assert_eq "$tag: peer MPCapableSYNRX rose by (it never saw MP_CAPABLE)" 0 "$(pd MPCapableSYNRX)"
		;;
	server-strip-synack)
		xm_assert_eq "$tag: peer MPCapableFallbackSYNACK rose by" 1 "$(pd MPCapableFallbackSYNACK)"
		xm_assert_eq "$tag: our MPCapableFallbackACK rose by" 1 "$(od MPCapableFallbackACK)"
		;;
	esac
	xm_assert_eq "$tag: our ConnEstablished rose by" 0 "$(od ConnEstablished)"
	# After the handshake nothing on the wire is MPTCP (A's SYN-ACK as
	# captured on B is the stripped one).
	xm_assert_eq "$tag: no MPTCP option after the handshake (capture on B)" 0 \
		"$(xm_capture_count "$cap" 'tcp.options.mptcp.subtype && tcp.flags.syn == 0')"
	assert_no_state "$tag"
}

# --- (c) stripped after establishment ------------------------------------------------
# late_strip_case TAG ROLE
late_strip_case() {
	local tag="$1" role="$2" hf="$XM_TMP/$1.hold" rc=0
	local -a XM_XFER_SERVER_ARGS=(--hold 2)
	snap
	(
		# Once the connection is up (both ends hold it idle for 2 s), strip
		# every MPTCP option in both directions.
		xm_wait_until 10 test -s "$hf" || exit 1
		impair_start b1 all && impair_start a1 all
		for e in "${IMPAIR_PIDS[@]}"; do echo "$e"; done >"$XM_TMP/$tag.impairs"
		exec sleep 3600
	) &
	local helper=$!
	XM_PIDS+=("$helper")
	if [[ "$role" == client ]]; then
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES" "$BYTES" \
			--hold 2 --hold-file "$hf" || rc=$?
	else
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 1 a)" "$BYTES" "$BYTES" \
			--hold 2 --hold-file "$hf" || rc=$?
	fi
	# The helper's xm-impairs: stop them (SIGTERM makes them print their counters).
	if [[ -s "$XM_TMP/$tag.impairs" ]]; then
		mapfile -t IMPAIR_PIDS <"$XM_TMP/$tag.impairs"
	fi
	kill -TERM "$helper" 2>/dev/null || true
	wait "$helper" 2>/dev/null || true
	impair_stop
	xm_assert_ge "$tag: xm-impair stripped segments after establishment" "$IMPAIR_STRIPPED" 1
	xm_log "$tag: counters that moved: $(deltas)"
	if ((XM_XFER_CLIENT_RC == 3 || XM_XFER_SERVER_RC == 3)); then
		xm_err "$tag: a wrong byte arrived (client exit $XM_XFER_CLIENT_RC, server exit $XM_XFER_SERVER_RC)"
		return 1
	fi
	if ((rc == 0)); then
		xm_log "ok: $tag: transfer intact both ways (peer socket: server $XM_XFER_SERVER_MODE, client $XM_XFER_CLIENT_MODE)"
	else
		xm_log "ok: $tag: the transfer ended with an error but no wrong byte (client exit $XM_XFER_CLIENT_RC, server exit $XM_XFER_SERVER_RC)"
		LATE_OUTCOME+=("$tag: clean error")
		return 0
	fi
	LATE_OUTCOME+=("$tag: intact")
}

main() {
	LATE_OUTCOME=()
	xm_init
	xm_require_build "$XM_IMPAIR"
	xm_require_cmd tshark tcpdump
	xm_topology 1 middle
	xm_daemon_start "$XM_NS_A"

	case_plain_peer
	# M's a1 carries B->A (the kernel server's SYN-ACK), b1 carries A->B.
	strip_case client-strip-synack client a1 synack
	strip_case client-strip-syn client b1 syn
	strip_case server-strip-synack server b1 synack

	late_strip_case client-strip-late client
	assert_no_state client-strip-late
	late_strip_case server-strip-late server
	assert_no_state server-strip-late
	xm_log "options stripped after establishment: ${LATE_OUTCOME[*]}"
	xm_mptcp_counters "$XM_NS_B"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
