#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# With xmptcpd attached on side A, plain TCP passes through the datapath
# unchanged in both directions, over IPv4 and IPv6, and the datapath counts
# what it sees. A kernel MPTCP client on side B, talking to a plain TCP server
# on side A, falls back to TCP (nothing on side A speaks MPTCP at this stage)
# and still transfers intact; the datapath counts the peer's MP_CAPABLE.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((64 * 1024 * 1024))

# dump_matches_stats DUMP_JSON STATS_JSON: one entry per counter, and each
# entry's per-CPU values sum to the counter (stats come in enum xm_stat order).
dump_matches_stats() {
	python3 -c '
import json, sys
dump, stats = json.loads(sys.argv[1]), json.loads(sys.argv[2])["stats"]
entries = {e["key"]: sum(v["value"] for v in e["values"]) for e in dump["entries"]}
if len(entries) != len(stats):
    sys.exit(f"expected {len(stats)} entries (one per counter), got {len(entries)}")
bad = []
for i, st in enumerate(stats):
    name, value = st["name"], st["value"]
    if entries.get(i) != value:
        bad.append(f"{name}: dump says {entries.get(i)}, stats say {value}")
if bad:
    sys.exit("; ".join(bad))
' "$1" "$2"
}

dump_agrees() {
	dump_matches_stats "$(xm_ctl "$1" -j map dump xm_stats)" "$(xm_ctl "$1" -j stats)"
}

main() {
	local rx0 tx0 rx1 tx1 mpc0 mpc1 out

	xm_init
	xm_topology 1
	xm_daemon_start "$XM_NS_A"

	rx0="$(xm_stat "$XM_NS_A" RxTcp)"
	tx0="$(xm_stat "$XM_NS_A" TxTcp)"

	# --- plain TCP both ways, IPv4 and IPv6 ----------------------------------
	xm_transfer tcp4-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES"
	xm_transfer tcp4-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr4 1 a)" "$BYTES"
	xm_transfer tcp6-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr6 1 b)" "$BYTES"
	xm_transfer tcp6-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr6 1 a)" "$BYTES"

	# --- the datapath saw it ---------------------------------------------------
	out="$(xm_ctl "$XM_NS_A" stats)"
	xm_log "mptcpctl stats:"
	printf '%s\n' "$out" | sed 's/^/    /'
	xm_assert_match "stats (text) names RxTcp" 'RxTcp' "$out"
	rx1="$(xm_stat "$XM_NS_A" RxTcp)"
	tx1="$(xm_stat "$XM_NS_A" TxTcp)"
	# 4 x 64 MiB of data and its ACKs cross xm1 both ways: even as 64 KiB GSO
	# packets that is thousands of segments each way.
	xm_assert_ge "RxTcp rose by" "$((rx1 - rx0))" 1000
	xm_assert_ge "TxTcp rose by" "$((tx1 - tx0))" 1000
	xm_assert_eq "RxMptcp (no MPTCP yet)" 0 "$(xm_stat "$XM_NS_A" RxMptcp)"

	# --- map dump, text and JSON -------------------------------------------------
	out="$(xm_ctl "$XM_NS_A" map dump xm_stats)"
	xm_assert_match "map dump xm_stats (text) prints something" '[0-9]' "$out"
	out="$(xm_ctl "$XM_NS_A" -j map dump xm_stats)"
	xm_assert_ok "map dump xm_stats -j is JSON" xm_json_check <<<"$out" ||
		{ printf '%s\n' "$out" | head -20 >&2; return 1; }
	# The link is quiet now: the dump, summed over CPUs, must agree with the
	# daemon's sums. A stray packet between the two reads only makes it retry.
	if ! xm_assert_ok "map dump xm_stats -j agrees with mptcpctl -j stats" \
		xm_wait_until 5 dump_agrees "$XM_NS_A"; then
		dump_agrees "$XM_NS_A" || true
		return 1
	fi
	xm_run 10 "$XM_NS_A" "$MPTCPCTL" map dump xm_nosuchmap
	xm_assert_refused "map dump of an unknown map is refused"
	xm_assert_match "its error names the map" 'xm_nosuchmap' "$XM_OUT"

	# --- kernel MPTCP client -> plain TCP server on A: fallback, intact ---------
	mpc0="$(xm_stat "$XM_NS_A" RxMpCapable)"
	xm_capture_start "$XM_NS_A" xm1 "$XM_TMP/fallback.pcap" tcp
	xm_transfer mptcp4-b-to-a "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr4 1 a)" $((16 * 1024 * 1024))
	xm_assert_eq "the kernel client's connection fell back" fallback "$XM_XFER_CLIENT_MODE"
	xm_transfer mptcp6-b-to-a "$XM_NS_A" tcp "$XM_NS_B" mptcp "$(xm_addr6 1 a)" $((16 * 1024 * 1024))
	xm_assert_eq "the kernel client's connection fell back" fallback "$XM_XFER_CLIENT_MODE"
	xm_capture_stop "$XM_TMP/fallback.pcap"
	mpc1="$(xm_stat "$XM_NS_A" RxMpCapable)"

	xm_mptcp_counters "$XM_NS_B"
	xm_assert_ge "peer sent MP_CAPABLE SYNs (MPTcpExtMPCapableSYNTX)" \
		"$(mptcp_counter "$XM_NS_B" MPCapableSYNTX)" 2
	xm_assert_ge "peer fell back on our SYN-ACK (MPTcpExtMPCapableFallbackSYNACK)" \
		"$(mptcp_counter "$XM_NS_B" MPCapableFallbackSYNACK)" 2
	xm_assert_ge "capture on xm1 holds MP_CAPABLE SYNs" \
		"$(xm_capture_count "$XM_TMP/fallback.pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.options.mptcp.subtype == 0')" 2
	xm_assert_ge "datapath counted the MP_CAPABLE SYNs (RxMpCapable rose by)" "$((mpc1 - mpc0))" 2
	xm_log "TxMpCapable: $(xm_stat "$XM_NS_A" TxMpCapable) (0 expected: side A does not speak MPTCP yet)"

	xm_daemon_stop "$XM_NS_A"
}

main "$@"
