#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel peer's view of an xmptcp connection, decoded by tshark with its
# MPTCP analysis on (mptcp.analyze_mptcp, mptcp.analyze_mappings): one
# client-role and one server-role connection (IPv4, 4 MiB each way), captured
# on side B's interface.
#
# Calibration first: the same two transfers kernel MPTCP <-> kernel MPTCP on
# the same topology (side A's MPTCP on, before xmptcpd starts). tshark 4.0
# flags "No mapping available" (mptcp.dss.missing_mapping) on pure ACKs in
# that capture too, so the test asserts:
#  - no echoed-key mismatch, missing or unsupported algorithm, infinite
#    mapping anywhere; no missing mapping on a segment with payload;
#  - no MPTCP expert warning of a kind the kernel<->kernel capture lacks;
#  - the handshake and data shape (CHECK_PY below): SYN with MP_CAPABLE v1
#    length 4, SYN-ACK length 12, third ACK length 20 with both keys (the
#    echoed one equal to the SYN-ACK's), every data segment mapped, and one
#    DATA_FIN each way at IDSN + 1 + bytes, IDSN derived by tshark from the
#    sender's key.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

BYTES=$((4 * 1024 * 1024))
XM_XFER_TIMEOUT=20
# The MPTCP expert infos of tshark 4.0 (packet-tcp.c), as display filters.
EXPERT_FIELDS=(mptcp.connection.echoed_key_mismatch mptcp.connection.missing_algorithm
	mptcp.connection.unsupported_algorithm mptcp.dss.infinite_mapping mptcp.dss.missing_mapping)

CHECK_PY=$(cat <<'PY'
"""Check the MPTCP handshake, mappings and DATA_FINs of a capture.

    tshark ... -T fields -E separator=/t $(capture_check.py --fields) | \\
        capture_check.py --bytes N [--streams K]

Reads the tshark field lines on stdin (one per packet, in the order that
--fields prints) and checks, for every TCP stream of the capture:
  - the SYN carries MP_CAPABLE version 1, option length 4, no key;
  - the SYN-ACK carries MP_CAPABLE version 1, length 12, the server's key;
  - the third ACK (the client's first segment after the SYN-ACK) carries
    MP_CAPABLE length 20 with both keys, the echoed one being the SYN-ACK's;
  - every segment with payload carries a mapping (DSS with a DSN, or the
    MP_CAPABLE data-length form);
  - a DATA_FIN goes each way, at DSN = IDSN + 1 + N where IDSN is the one
    tshark derives from the sender's key (mptcp.expected_idsn) and N the
    bytes that sender sent (--bytes: both directions carry N).
Prints one line per check; exits 1 when one fails.
"""
import argparse
import sys

FIELDS = [
    "frame.number", "ip.src", "ipv6.src", "tcp.stream", "tcp.flags.syn", "tcp.flags.ack",
    "tcp.len", "tcp.option_kind", "tcp.option_len", "tcp.options.mptcp.subtype",
    "tcp.options.mptcp.version", "tcp.options.mptcp.sendkey", "tcp.options.mptcp.recvkey",
    "tcp.options.mptcp.datalvllen", "tcp.options.mptcp.rawdataseqno",
    "tcp.options.mptcp.datafin.flag", "mptcp.expected_idsn",
]


def first(v):
    return v.split(",")[0] if v else ""


def mptcp_opt_lens(kinds, lens):
    """Lengths of the kind-30 options: option_len lists only options with a length byte."""
    out = []
    li = 0
    lens = lens.split(",") if lens else []
    for k in kinds.split(",") if kinds else []:
        if k in ("0", "1"):
            continue
        if li >= len(lens):
            break
        if k == "30":
            out.append(int(lens[li]))
        li += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", action="store_true", help="print the tshark -e arguments")
    ap.add_argument("--bytes", type=int, help="payload bytes each side sent")
    ap.add_argument("--streams", type=int, default=0, help="expected number of TCP streams")
    args = ap.parse_args()
    if args.fields:
        print(" ".join(f"-e {f}" for f in FIELDS))
        return
    streams = {}
    for line in sys.stdin:
        f = dict(zip(FIELDS, line.rstrip("\n").split("\t")))
        f["src"] = f.get("ip.src") or f.get("ipv6.src")
        streams.setdefault(f["tcp.stream"], []).append(f)
    bad = []

    def check(ok, what):
        print(("ok: " if ok else "FAIL: ") + what)
        if not ok:
            bad.append(what)

    check(args.streams == 0 or len(streams) == args.streams,
          f"{len(streams)} TCP stream(s) in the capture (expected {args.streams})")
    for sid, pkts in sorted(streams.items(), key=lambda x: int(x[0])):
        syn = next((p for p in pkts if p["tcp.flags.syn"] in ("1", "True") and
                    p["tcp.flags.ack"] in ("0", "False")), None)
        synack = next((p for p in pkts if p["tcp.flags.syn"] in ("1", "True") and
                       p["tcp.flags.ack"] in ("1", "True")), None)
        if not syn or not synack:
            check(False, f"stream {sid}: SYN and SYN-ACK captured")
            continue
        cli, srv = syn["src"], synack["src"]
        tag = f"stream {sid} ({cli} -> {srv})"
        check(mptcp_opt_lens(syn["tcp.option_kind"], syn["tcp.option_len"]) == [4] and
              syn["tcp.options.mptcp.version"] == "1" and not syn["tcp.options.mptcp.sendkey"],
              f"{tag}: SYN (frame {syn['frame.number']}) has MP_CAPABLE v1, length 4, no key")
        check(mptcp_opt_lens(synack["tcp.option_kind"], synack["tcp.option_len"]) == [12] and
              synack["tcp.options.mptcp.version"] == "1" and
              bool(synack["tcp.options.mptcp.sendkey"]),
              f"{tag}: SYN-ACK (frame {synack['frame.number']}) has MP_CAPABLE v1, length 12, "
              "with the server's key")
        after = pkts[pkts.index(synack) + 1:]
        third = next((p for p in after if p["src"] == cli), None)
        ok3 = bool(third) and mptcp_opt_lens(third["tcp.option_kind"], third["tcp.option_len"]) \
            in ([20], [22]) and bool(third["tcp.options.mptcp.sendkey"]) and \
            third["tcp.options.mptcp.recvkey"] == synack["tcp.options.mptcp.sendkey"]
        check(ok3 and third["tcp.len"] == "0" and
              mptcp_opt_lens(third["tcp.option_kind"], third["tcp.option_len"]) == [20],
              f"{tag}: third ACK (frame {third['frame.number'] if third else '?'}) has MP_CAPABLE "
              "length 20 with both keys, echoing the SYN-ACK's")
        nomap = [p["frame.number"] for p in pkts
                 if p["tcp.len"] not in ("", "0") and not p["tcp.options.mptcp.datalvllen"]]
        ndata = sum(1 for p in pkts if p["tcp.len"] not in ("", "0"))
        check(ndata > 0 and not nomap,
              f"{tag}: all {ndata} segments with payload carry a mapping"
              + (f" (without: frames {', '.join(nomap[:10])})" if nomap else ""))
        idsn = {cli: first(third["tcp.options.mptcp.sendkey"] and third["mptcp.expected_idsn"])
                if third else "", srv: first(synack["mptcp.expected_idsn"])}
        for who, name in ((cli, "client"), (srv, "server")):
            fins = [p for p in pkts if p["src"] == who and
                    "1" in p["tcp.options.mptcp.datafin.flag"].split(",")]
            if not fins:
                check(False, f"{tag}: a DATA_FIN from the {name}")
                continue
            # the DATA_FIN takes the last data-level byte of its mapping
            dsn = int(first(fins[0]["tcp.options.mptcp.rawdataseqno"]) or -1) + \
                int(first(fins[0]["tcp.options.mptcp.datalvllen"]) or 1) - 1
            exp = int(idsn[who]) + 1 + args.bytes if idsn[who] and args.bytes is not None else None
            check(exp is None or dsn == exp % (1 << 64),
                  f"{tag}: DATA_FIN from the {name} (frame {fins[0]['frame.number']}) at DSN {dsn}"
                  + (f" = IDSN {idsn[who]} + 1 + {args.bytes}" if exp is not None else ""))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
PY
)

check_capture() { python3 -c "$CHECK_PY" "$@"; }

# tshark_fields FILE: the fields CHECK_PY reads, one line per packet.
tshark_fields() {
	# shellcheck disable=SC2046 # one -e per field
	xm_tshark "$1" -T fields -E separator=/t $(check_capture --fields)
}

# expert_kinds FILE: "FIELD data|nodata COUNT" for each MPTCP expert info.
expert_kinds() {
	local f
	for f in "${EXPERT_FIELDS[@]}"; do
		xm_tshark "$1" -Y "$f" -T fields -e tcp.len | awk -v f="$f" '
			{ k = ($1 > 0) ? "data" : "nodata"; n[k]++ }
			END { for (k in n) print f, k, n[k] }'
	done
}

# two_transfers TAG SERVER_PROTO_FOR_CLIENT_ROLE CLIENT_PROTO_FOR_SERVER_ROLE:
# A->B (A is the client) and B->A (A is the server), both ways at once.
two_transfers() {
	local tag="$1" bproto="mptcp" aproto="$2"
	xm_transfer_bidir "$tag-a-client" "$XM_NS_B" "$bproto" "$XM_NS_A" "$aproto" \
		"$(xm_addr4 1 b)" "$BYTES" "$BYTES"
	xm_transfer_bidir "$tag-a-server" "$XM_NS_A" "$aproto" "$XM_NS_B" "$bproto" \
		"$(xm_addr4 1 a)" "$BYTES" "$BYTES"
}

conns_map_empty() {
	[[ "$(xm_ctl "$XM_NS_A" -j map dump xm_conns | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')" == 0 ]]
}

main() {
	local base cap out k line
	xm_init
	# After xm_init, which sets XM_TMP (before it, these were /kernel-kernel.pcap
	# and /xmptcp.pcap, left behind in /).
	base="$XM_TMP/kernel-kernel.pcap" cap="$XM_TMP/xmptcp.pcap"
	xm_require_cmd tshark tcpdump
	xm_topology 1

	# --- calibration: kernel <-> kernel -----------------------------------------
	xm_nsexec "$XM_NS_A" sysctl -qw net.mptcp.enabled=1
	xm_capture_start "$XM_NS_B" xm1 "$base" tcp
	two_transfers kernel mptcp
	xm_assert_eq "calibration: kernel client's connection is MPTCP" mptcp "$XM_XFER_CLIENT_MODE"
	sleep 0.5
	xm_capture_stop "$base"
	xm_nsexec "$XM_NS_A" sysctl -qw net.mptcp.enabled=0
	declare -A known=()
	xm_log "MPTCP expert infos of the kernel<->kernel capture (field, payload, count):"
	while read -r k line; do
		[[ -n "$k" ]] || continue
		known["$k ${line%% *}"]=1
		printf '    %s %s\n' "$k" "$line"
	done < <(expert_kinds "$base")
	if ! out="$(tshark_fields "$base" | check_capture --bytes "$BYTES" --streams 2)"; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		xm_die "the kernel<->kernel capture does not pass the shape checks: the checker is wrong"
	fi

	# --- xmptcp on A ------------------------------------------------------------
	xm_daemon_start "$XM_NS_A"
	xm_capture_start "$XM_NS_B" xm1 "$cap" tcp
	two_transfers xmptcp tcp
	xm_assert_eq "server role: the kernel client's connection is MPTCP" mptcp "$XM_XFER_CLIENT_MODE"
	# Let both subflows end (server role: possibly the RST of bpf/meta.h).
	xm_wait_until 10 conns_map_empty || true
	sleep 0.5
	xm_capture_stop "$cap"

	xm_log "MPTCP expert infos of the xmptcp capture (field, payload, count):"
	local -a ours=()
	while read -r k line; do
		[[ -n "$k" ]] || continue
		ours+=("$k ${line%% *} ${line##* }")
		printf '    %s %s\n' "$k" "$line"
	done < <(expert_kinds "$cap")
	for k in mptcp.connection.echoed_key_mismatch mptcp.connection.missing_algorithm \
		mptcp.connection.unsupported_algorithm mptcp.dss.infinite_mapping; do
		xm_assert_eq "packets flagged $k" 0 "$(xm_capture_count "$cap" "$k")"
	done
	xm_assert_eq "segments with payload flagged mptcp.dss.missing_mapping" 0 \
		"$(xm_capture_count "$cap" 'mptcp.dss.missing_mapping && tcp.len > 0')"
	for line in "${ours[@]}"; do
		k="${line% *}"
		if [[ -z "${known[$k]:-}" ]]; then
			xm_err "MPTCP expert info '$k' (${line##* } packets) is not in the kernel<->kernel capture"
			return 1
		fi
	done
	xm_log "ok: every MPTCP expert info of the xmptcp capture also shows kernel<->kernel"

	if ! out="$(tshark_fields "$cap" | check_capture --bytes "$BYTES" --streams 2)"; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		xm_err "the xmptcp capture fails the handshake / mapping / DATA_FIN checks (kept: $cap)"
		return 1
	fi
	printf '%s\n' "$out" | sed "s/^/[$XM_TEST] /"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
