#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A kernel peer that requires DSS checksums (net.mptcp.checksum_enabled=1 on
# side B), in both roles, IPv4 and IPv6: checksums are negotiated and right.
#  - the kernel peer's socket is MPTCP (MPTCP_INFO, TCP_IS_MPTCP = 1) and the
#    data is intact both ways (every byte checked);
#  - the peer's MPCapable counters rose; its DataCsumErr, MPFailRx/Tx,
#    fallback, DSSNotMatching, InfiniteMapRx and MPRstRx did not;
#  - ours: MPCapableChecksum and ConnEstablished rose by one per connection,
#    DssChecksumTx rose, DssChecksumTxFailed did not;
#  - capture on B: the peer's MP_CAPABLE asks for checksums (A flag), and
#    every data segment either way carries a DSS checksum;
#  - nothing left in xm_conns or xm_pending.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((8 * 1024 * 1024))
XM_XFER_TIMEOUT=20

map_len() {
	xm_ctl "$XM_NS_A" -j map dump "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'
}
no_state_left() { [[ "$(map_len xm_conns)" == 0 && "$(map_len xm_pending)" == 0 ]]; }

# DSS_PY: reads tshark fields (src, tcp.len, option kinds, option lengths,
# MPTCP subtypes, MPTCP flags) of data segments with a DSS and prints
# "WITH WITHOUT WITH_FROM_ADDR": how many DSS mappings carry a checksum, by the
# option's length (tshark 4.0 does not decode the checksum field by itself):
# 4 + DATA_ACK (4/8) + DSN (4/8) + SSN 4 + length 2 [+ checksum 2].
DSS_PY=$(cat <<'PY'
import sys
addr = sys.argv[1]
w = wo = wa = 0
for line in sys.stdin:
    src, plen, kinds, lens, subs, flags = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
    lens = [int(x) for x in lens.split(",") if x]
    ml = []
    li = 0
    for k in kinds.split(","):
        if k in ("0", "1", ""):
            continue
        if k == "30" and li < len(lens):
            ml.append(lens[li])
        li += 1
    for sub, fl, ln in zip(subs.split(","), flags.split(","), ml):
        if sub != "2":
            continue
        f = int(fl, 16)
        if not f & 0x04:
            continue
        base = 4 + ((8 if f & 0x02 else 4) if f & 0x01 else 0) + (8 if f & 0x08 else 4) + 4 + 2
        if ln == base + 2:
            w += 1
            wa += src == addr
        else:
            wo += 1
print(w, wo, wa)
PY
)

# dss_csum FILE ADDR: "WITH WITHOUT WITH_FROM_ADDR" over the data segments of FILE.
dss_csum() {
	xm_tshark "$1" -Y 'tcp.len > 0 && tcp.options.mptcp.subtype == 2' -T fields -e ip.src -e ipv6.src \
		-e tcp.len -e tcp.option_kind -e tcp.option_len -e tcp.options.mptcp.subtype \
		-e tcp.options.mptcp.flags | awk -F'\t' 'BEGIN { OFS = "\t" } { s = $1 != "" ? $1 : $2; print s, $3, $4, $5, $6, $7 }' |
		python3 -c "$DSS_PY" "$2"
}

PEER_ZERO=(DataCsumErr MPFailRx MPFailTx MPCapableFallbackACK MPCapableFallbackSYNACK
	MPCapableDataFallback DSSNotMatching DSSCorruptionFallback DSSCorruptionReset DssFallback
	InfiniteMapRx MPRstRx)
declare -A P0=() O0=()
snap() {
	local n
	for n in MPCapableSYNRX MPCapableACKRX MPCapableSYNACKRX WinProbe "${PEER_ZERO[@]}"; do
		P0[$n]="$(mptcp_counter "$XM_NS_B" "$n")"
	done
	for n in MPCapableChecksum DssChecksumTx DssChecksumTxFailed ConnEstablished; do
		O0[$n]="$(xm_stat "$XM_NS_A" "$n")"
	done
}
pd() { echo $(($(mptcp_counter "$XM_NS_B" "$1") - ${P0[$1]})); }
od() { echo $(($(xm_stat "$XM_NS_A" "$1") - ${O0[$1]})); }

# run_case TAG ROLE FAMILY
run_case() {
	local tag="$1" role="$2" fam="$3" cap="$XM_TMP/$1.pcap" n a wo wa
	snap
	xm_capture_start "$XM_NS_B" xm1 "$cap" tcp
	if [[ "$role" == client ]]; then
		a="$(xm_addr"$fam" 1 a)"
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr"$fam" 1 b)" "$BYTES" "$BYTES" ||
			{ xm_err "$tag: peer WinProbe +$(pd WinProbe) (see mptcp_roles.sh slow_reader_case)"; return 1; }
		xm_assert_eq "$tag: the kernel server's socket is MPTCP" mptcp "$XM_XFER_SERVER_MODE"
		xm_assert_is_mptcp "$tag: the kernel server's TCP_IS_MPTCP" 1 "$XM_XFER_SERVER_ISMPTCP"
		xm_assert_eq "$tag: peer MPCapableSYNRX rose by" 1 "$(pd MPCapableSYNRX)"
		xm_assert_eq "$tag: peer MPCapableACKRX rose by" 1 "$(pd MPCapableACKRX)"
	else
		a="$(xm_addr"$fam" 1 a)"
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$a" "$BYTES" "$BYTES" ||
			{ xm_err "$tag: peer WinProbe +$(pd WinProbe) (see mptcp_roles.sh slow_reader_case)"; return 1; }
		xm_assert_eq "$tag: the kernel client's socket is MPTCP" mptcp "$XM_XFER_CLIENT_MODE"
		xm_assert_is_mptcp "$tag: the kernel client's TCP_IS_MPTCP" 1 "$XM_XFER_CLIENT_ISMPTCP"
		xm_assert_eq "$tag: peer MPCapableSYNACKRX rose by" 1 "$(pd MPCapableSYNACKRX)"
	fi
	sleep 0.3
	xm_capture_stop "$cap"
	for n in "${PEER_ZERO[@]}"; do
		xm_assert_eq "$tag: peer $n rose by" 0 "$(pd "$n")"
	done
	xm_assert_eq "$tag: our MPCapableChecksum rose by" 1 "$(od MPCapableChecksum)"
	xm_assert_eq "$tag: our ConnEstablished rose by" 1 "$(od ConnEstablished)"
	xm_assert_ge "$tag: our DssChecksumTx rose by" "$(od DssChecksumTx)" 1
	xm_assert_eq "$tag: our DssChecksumTxFailed rose by" 0 "$(od DssChecksumTxFailed)"
	xm_assert_ge "$tag: the peer's MP_CAPABLE asks for checksums (A flag, capture)" \
		"$(xm_capture_count "$cap" 'tcp.options.mptcp.checksumreq.flags == 1')" 1
	read -r n wo wa < <(dss_csum "$cap" "$a")
	xm_log "$tag: DSS mappings on data segments: $n with a checksum ($wa of them from A), $wo without"
	xm_assert_ge "$tag: DSS mappings with a checksum from A (capture)" "$wa" 1
	xm_assert_eq "$tag: DSS mappings without a checksum, either way (capture)" 0 "$wo"
	if ! xm_wait_until 10 no_state_left; then
		xm_err "$tag: state left: xm_conns $(map_len xm_conns), xm_pending $(map_len xm_pending)"
		return 1
	fi
	xm_log "ok: $tag: xm_conns and xm_pending are empty"
}

main() {
	xm_init
	xm_require_cmd tshark tcpdump
	xm_topology 1
	xm_nsexec "$XM_NS_B" sysctl -qw net.mptcp.checksum_enabled=1
	xm_daemon_start "$XM_NS_A"
	run_case client4 client 4
	run_case server4 server 4
	run_case client6 client 6
	run_case server6 server 6
	xm_mptcp_counters "$XM_NS_B"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
