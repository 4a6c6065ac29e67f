#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# With xmptcpd attached on side A, a plain TCP peer (plain sockets on side B)
# still works with zero rewriting, in both directions, over IPv4 and IPv6, and
# the datapath counts what it sees: our SYN offers MP_CAPABLE, the peer's
# SYN-ACK has none, and from then on no MPTCP option crosses the link in
# either direction (checked in a capture on B); when B connects, our SYN-ACK
# carries none either. The MPTCP cases (a kernel MPTCP peer) are in the
# mptcp_*.sh tests.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# 64 MiB per transfer; 16 MiB in a vmtest guest, where the capture of all four
# and tshark's passes over it take minutes under TCG (386 s for the test with
# 64 MiB on 6.12). XM_PASSTHROUGH_BYTES overrides both.
BYTES=$((64 * 1024 * 1024))
if [[ "${VMTEST_GUEST:-0}" == 1 ]]; then
	BYTES=$((16 * 1024 * 1024))
fi
BYTES="${XM_PASSTHROUGH_BYTES:-$BYTES}"

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
	local rx0 tx0 rx1 tx1 out

	xm_init
	xm_topology 1
	xm_daemon_start "$XM_NS_A"

	rx0="$(xm_stat "$XM_NS_A" RxTcp)"
	tx0="$(xm_stat "$XM_NS_A" TxTcp)"

	# --- plain TCP both ways, IPv4 and IPv6 ----------------------------------
	local cap="$XM_TMP/plain.pcap" fb0 est0
	fb0="$(xm_stat "$XM_NS_A" MPCapableFallbackSYNACK)"
	est0="$(xm_stat "$XM_NS_A" ConnEstablished)"
	xm_capture_start "$XM_NS_B" xm1 "$cap" tcp
	xm_transfer tcp4-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" "$BYTES"
	xm_transfer tcp4-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr4 1 a)" "$BYTES"
	xm_transfer tcp6-a-to-b "$XM_NS_B" tcp "$XM_NS_A" tcp "$(xm_addr6 1 b)" "$BYTES"
	xm_transfer tcp6-b-to-a "$XM_NS_A" tcp "$XM_NS_B" tcp "$(xm_addr6 1 a)" "$BYTES"
	sleep 0.3
	xm_capture_stop "$cap"

	# --- zero rewriting: MP_CAPABLE on our two SYNs, nothing else -------------
	xm_assert_eq "our SYNs offered MP_CAPABLE (A's SYNs with it, capture on B)" 2 \
		"$(xm_capture_count "$cap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.options.mptcp.subtype == 0 && (ip.src == 198.18.1.1 || ipv6.src == 2001:db8:1::1)')"
	xm_assert_eq "the peer's SYNs and SYN-ACKs carry no MPTCP option" 0 \
		"$(xm_capture_count "$cap" 'tcp.flags.syn == 1 && tcp.option_kind == 30 && (ip.src == 198.18.1.2 || ipv6.src == 2001:db8:1::2)')"
	xm_assert_eq "no MPTCP option (kind 30) in any segment but our SYNs, either way" 0 \
		"$(xm_capture_count "$cap" 'tcp.option_kind == 30 && !(tcp.flags.syn == 1 && tcp.flags.ack == 0)')"
	xm_assert_eq "our client connections fell back on the SYN-ACK (MPCapableFallbackSYNACK rose by)" 2 \
		$(($(xm_stat "$XM_NS_A" MPCapableFallbackSYNACK) - fb0))
	xm_assert_eq "no MPTCP connection counted (ConnEstablished rose by)" 0 \
		$(($(xm_stat "$XM_NS_A" ConnEstablished) - est0))
	xm_assert_eq "xm_conns is empty" 0 \
		"$(xm_ctl "$XM_NS_A" -j map dump xm_conns | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')"

	# --- the datapath saw it ---------------------------------------------------
	out="$(xm_ctl "$XM_NS_A" stats)"
	xm_log "mptcpctl stats:"
	printf '%s\n' "$out" | sed 's/^/    /'
	xm_assert_match "stats (text) names RxTcp" 'RxTcp' "$out"
	rx1="$(xm_stat "$XM_NS_A" RxTcp)"
	tx1="$(xm_stat "$XM_NS_A" TxTcp)"
	# 4 x 64 MiB (16 MiB in a VM) of data and its ACKs cross xm1 both ways:
	# even as 64 KiB GSO packets that is thousands of segments each way.
	xm_assert_ge "RxTcp rose by" "$((rx1 - rx0))" 1000
	xm_assert_ge "TxTcp rose by" "$((tx1 - tx0))" 1000
	xm_assert_eq "RxMptcp (a plain peer sends no MPTCP option)" 0 "$(xm_stat "$XM_NS_A" RxMptcp)"
	xm_assert_eq "TxMptcp (only our two SYNs carried one)" 2 "$(xm_stat "$XM_NS_A" TxMptcp)"

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

	xm_daemon_stop "$XM_NS_A"
}

main "$@"
