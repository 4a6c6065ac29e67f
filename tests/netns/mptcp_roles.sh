#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Single-path MPTCP with the Linux kernel peer, in both roles, IPv4 and IPv6,
# with offloads at their defaults and with TSO/GSO/GRO off on both veth ends:
#  - client role: an unmodified TCP client on A (xmptcpd) -> a kernel MPTCP
#    server on B; server role: a kernel MPTCP client on B -> an unmodified TCP
#    server on A;
#  - bulk data both directions at once, SHA-256 of every byte compared end to
#    end (xfer.py send --bidir / serve --send-bytes);
#  - the peer really spoke MPTCP: its socket (MPTCP_INFO readable and
#    TCP_IS_MPTCP = 1 while open), its MPTcpExt counters rose as expected and
#    its fallback / DSS / checksum / reset counters stayed 0;
#  - our counters: ConnEstablished, DataFinRx and DataFinTx each rose by one
#    per connection, no KeyQueueEmpty / ConnTableFull / DssTxNoMapping;
#  - a slow reader: our client holds the connection idle while the kernel
#    server streams, so the peer sends MPTCP-level zero-window probes;
#  - while the connection is held open, `mptcpctl conn show` (text and -j)
#    lists it with the right local, remote and role; after it, xm_conns is
#    empty and `conn show` lists nothing.
#
# Sizes: 256 MiB each way in the IPv4 cases of each role (offloads on and off);
# 32 MiB each way elsewhere, to keep the suite's run time reasonable.
# XM_ROLES_BIG / XM_ROLES_SMALL (bytes) override them.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

XM_XFER_TIMEOUT=30
BIG="${XM_ROLES_BIG:-$((256 * 1024 * 1024))}"
SMALL="${XM_ROLES_SMALL:-$((32 * 1024 * 1024))}"
# In a vmtest guest (TCG, 7-18x slower) the same cases at 16 / 4 MiB (at
# 32 / 8 MiB the test took 17 min on 6.12): still thousands of MTU-sized
# segments with offloads off.
if [[ "${VMTEST_GUEST:-0}" == 1 ]]; then
	BIG="${XM_ROLES_BIG:-$((16 * 1024 * 1024))}"
	SMALL="${XM_ROLES_SMALL:-$((4 * 1024 * 1024))}"
	XM_XFER_TIMEOUT=120
fi
HOLD=1.5

# The counters that must not move in a clean MPTCP connection (lib.sh); no
# case here leaves a peer in LAST-ACK, so its resets and fast closes count too.
PEER_ZERO=("${XM_PEER_ZERO[@]}" MPRstTx MPFastcloseTx)
OUR_ZERO=("${XM_OUR_ZERO[@]}")

declare -A P0=() O0=() K0=()

snap() {
	local n
	for n in MPCapableSYNRX MPCapableACKRX MPCapableSYNACKRX MPCapableSYNTX WinProbe MPTCPRetrans \
		"${PEER_ZERO[@]}"; do
		P0[$n]="$(mptcp_counter "$XM_NS_B" "$n")"
	done
	for n in ConnEstablished ConnClosed DataFinRx DataFinTx MPCapableSYNTX MPCapableSYNACKRX RxSubflowShifts \
		DssTxFirstNoRoom DssTxSackReplaced DssTxRetransMapped \
		MPCapableSYNRX MPCapableSYNACKTX MPCapableACKRX "${OUR_ZERO[@]}"; do
		O0[$n]="$(xm_stat "$XM_NS_A" "$n")"
	done
	for n in "${XM_STACK_ZERO[@]}"; do
		K0[$n]="$(xm_nstat "$XM_NS_A" "$n")"
	done
}

peer_delta() { echo $(($(mptcp_counter "$XM_NS_B" "$1") - ${P0[$1]})); }
our_delta() { echo $(($(xm_stat "$XM_NS_A" "$1") - ${O0[$1]})); }
stack_delta() { echo $(($(xm_nstat "$XM_NS_A" "$1") - ${K0[$1]})); }

# peer_why TAG: after a failed transfer, what the kernel peer did.
peer_why() {
	xm_err "$1: peer deltas: WinProbe +$(peer_delta WinProbe) MPTCPRetrans +$(peer_delta MPTCPRetrans)" \
		"MPFastcloseTx +$(peer_delta MPFastcloseTx) MPRstTx +$(peer_delta MPRstTx)" \
		"(an MPTCP-level zero-window probe shifts the data sequence: see slow_reader_case)"
}

# conn_json_entries: number of connections in `mptcpctl -j conn show` of A.
conn_count() {
	xm_ctl "$XM_NS_A" -j conn show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))'
}
conns_map_empty() {
	[[ "$(xm_ctl "$XM_NS_A" -j map dump xm_conns | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')" == 0 ]]
}
no_state_left() { conns_map_empty && [[ "$(conn_count)" == 0 ]]; }

# watch_conn TAG HOLDFILE: in the background, wait for the held connection's
# 4-tuple, then save `conn show` (text and -j) of A while it is open.
watch_conn() {
	local tag="$1" hf="$2" i
	for ((i = 0; i < 200; i++)); do
		[[ -s "$hf" ]] && break
		sleep 0.05
	done
	xm_ctl "$XM_NS_A" conn show >"$XM_TMP/$tag.conn.txt" 2>&1
	xm_ctl "$XM_NS_A" -j conn show >"$XM_TMP/$tag.conn.json" 2>&1
}

# One connection in `conn show -j` with this 4-tuple and role, not fallen back, with a token.
CONN_PY=$(cat <<'PY'
import json, sys
role, la, lp, ra, rp = sys.argv[1:]
conns = json.load(sys.stdin)["connections"]
def norm(a):
    return a.replace("[", "").replace("]", "")
def ok(c):
    l, r = str(c.get("local", "")), str(c.get("remote", ""))
    return (norm(l).endswith(f"{la}:{lp}") or norm(l) == f"{la}.{lp}") and \
           norm(r).endswith(f"{ra}:{rp}") and c.get("role") == role and \
           not c.get("fallback") and c.get("token") not in (None, 0, "")
hit = [c for c in conns if ok(c)]
if len(hit) != 1:
    print(f"expected one connection {la}:{lp} -> {ra}:{rp} role {role} (not fallback, with a token), got {conns}", file=sys.stderr)
    sys.exit(1)
PY
)

# check_conn_show TAG ROLE LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT
check_conn_show() {
	local tag="$1" role="$2" la="$3" lp="$4" ra="$5" rp="$6" txt js
	txt="$(cat "$XM_TMP/$tag.conn.txt")"
	js="$(cat "$XM_TMP/$tag.conn.json")"
	if ! python3 -c "$CONN_PY" "$role" "$la" "$lp" "$ra" "$rp" <<<"$js"; then
		xm_show "mptcpctl -j conn show while $tag was open" "$XM_TMP/$tag.conn.json"
		xm_err "$tag: mptcpctl -j conn show does not list the open connection as expected"
		return 1
	fi
	xm_log "ok: $tag: conn show -j lists $la:$lp -> $ra:$rp role $role"
	xm_assert_match "$tag: conn show (text) lists the local port $lp, the remote port $rp and role $role" \
		"$lp.*$rp|$rp.*$lp" "$txt"
	xm_assert_match "$tag: conn show (text) names the role" "$role" "$txt"
}

# run_case TAG ROLE(client|server) FAMILY(4|6) BYTES
run_case() {
	local tag="$1" role="$2" fam="$3" bytes="$4" addr hf wpid la lp ra rp n
	# Both ends hold the connection idle, so no data waits on a reader that
	# does not read (slow_reader_case covers that).
	local -a hold=(--hold "$HOLD" --hold-file "$XM_TMP/$tag.hold")
	local -a XM_XFER_SERVER_ARGS=(--hold "$HOLD")
	hf="$XM_TMP/$tag.hold"
	snap
	(watch_conn "$tag" "$hf") &
	wpid=$!
	XM_PIDS+=("$wpid")
	if [[ "$role" == client ]]; then
		addr="$(xm_addr"$fam" 1 b)"
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$addr" "$bytes" "$bytes" "${hold[@]}" ||
			{ peer_why "$tag"; return 1; }
	else
		addr="$(xm_addr"$fam" 1 a)"
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$addr" "$bytes" "$bytes" "${hold[@]}" ||
			{ peer_why "$tag"; return 1; }
	fi
	wait "$wpid" || true
	# The hold file is the client's view: local = client.
	read -r la lp ra rp <"$hf"
	if [[ "$role" == client ]]; then
		check_conn_show "$tag" client "$la" "$lp" "$ra" "$rp"
		xm_assert_eq "$tag: the kernel server's socket is MPTCP (MPTCP_INFO)" mptcp "$XM_XFER_SERVER_MODE"
		xm_assert_is_mptcp "$tag: the kernel server's TCP_IS_MPTCP while open" 1 "$XM_XFER_SERVER_ISMPTCP"
		xm_assert_eq "$tag: peer MPCapableSYNRX rose by" 1 "$(peer_delta MPCapableSYNRX)"
		xm_assert_eq "$tag: peer MPCapableACKRX rose by" 1 "$(peer_delta MPCapableACKRX)"
		xm_assert_eq "$tag: our MPCapableSYNTX rose by" 1 "$(our_delta MPCapableSYNTX)"
		xm_assert_eq "$tag: our MPCapableSYNACKRX rose by" 1 "$(our_delta MPCapableSYNACKRX)"
	else
		check_conn_show "$tag" server "$ra" "$rp" "$la" "$lp"
		xm_assert_eq "$tag: the kernel client's socket is MPTCP (MPTCP_INFO)" mptcp "$XM_XFER_CLIENT_MODE"
		xm_assert_is_mptcp "$tag: the kernel client's TCP_IS_MPTCP while open" 1 "$XM_XFER_CLIENT_ISMPTCP"
		xm_assert_eq "$tag: peer MPCapableSYNTX rose by" 1 "$(peer_delta MPCapableSYNTX)"
		xm_assert_eq "$tag: peer MPCapableSYNACKRX rose by" 1 "$(peer_delta MPCapableSYNACKRX)"
		xm_assert_eq "$tag: our MPCapableSYNRX rose by" 1 "$(our_delta MPCapableSYNRX)"
		xm_assert_eq "$tag: our MPCapableSYNACKTX rose by" 1 "$(our_delta MPCapableSYNACKTX)"
		xm_assert_eq "$tag: our MPCapableACKRX rose by" 1 "$(our_delta MPCapableACKRX)"
	fi
	for n in "${PEER_ZERO[@]}"; do
		xm_assert_eq "$tag: peer $n rose by" 0 "$(peer_delta "$n")"
	done
	for n in "${OUR_ZERO[@]}"; do
		xm_assert_eq "$tag: our $n rose by" 0 "$(our_delta "$n")"
	done
	for n in "${XM_STACK_ZERO[@]}"; do
		xm_assert_eq "$tag: our stack's $n rose by" 0 "$(stack_delta "$n")"
	done
	xm_log "$tag: our DssTxSackReplaced +$(our_delta DssTxSackReplaced)" \
		"DssTxFirstNoRoom +$(our_delta DssTxFirstNoRoom) DssTxRetransMapped +$(our_delta DssTxRetransMapped)"
	xm_assert_eq "$tag: our ConnEstablished rose by" 1 "$(our_delta ConnEstablished)"
	xm_assert_eq "$tag: our DataFinRx rose by" 1 "$(our_delta DataFinRx)"
	xm_assert_eq "$tag: our DataFinTx rose by" 1 "$(our_delta DataFinTx)"
	# Server role: the subflow may end with a plain RST ~200 ms after the data
	# (bpf/meta.h); the state goes when the socket closes.
	if ! xm_wait_until 10 no_state_left; then
		xm_ctl "$XM_NS_A" -j map dump xm_conns >&2 || true
		xm_ctl "$XM_NS_A" conn show >&2 || true
		xm_err "$tag: connection state left 10s after the transfer (xm_conns or conn show not empty)"
		return 1
	fi
	xm_log "ok: $tag: xm_conns and conn show empty after the transfer"
	xm_assert_eq "$tag: our ConnClosed rose by" 1 "$(our_delta ConnClosed)"
	TIMES+=("$tag ${bytes}B each way: ${XM_XFER_SECONDS}s")
}

# slow_reader_case: our client holds the connection idle while the kernel
# server streams at once, so our receive window closes. The kernel then sends
# MPTCP-level zero-window probes (MPTcpExtWinProbe): old data at new subflow
# sequence numbers, which ingress places by their mapping (RxSubflowShifts,
# bpf/meta.h). Every byte must arrive once and in order, with no fallback.
slow_reader_case() {
	local -a XM_XFER_SERVER_ARGS=()
	local n
	snap
	xm_transfer_bidir slow-reader "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" \
		$((1 << 20)) $((8 << 20)) --hold 1.5 --hold-file "$XM_TMP/slow-reader.hold" ||
		{ peer_why slow-reader; return 1; }
	for n in "${PEER_ZERO[@]}"; do
		xm_assert_eq "slow-reader: peer $n rose by" 0 "$(peer_delta "$n")"
	done
	xm_log "slow-reader: the peer's WinProbe rose by $(peer_delta WinProbe), our RxSubflowShifts by $(our_delta RxSubflowShifts)"
}

offload_show() {
	local ns
	for ns in "$XM_NS_A" "$XM_NS_B"; do
		xm_log "xm1 of ${ns##*-}: $(xm_nsexec "$ns" ethtool -k xm1 |
			grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' |
			tr -s ' \n' ' ')"
	done
}

offload_off() {
	local ns
	for ns in "$XM_NS_A" "$XM_NS_B"; do
		xm_nsexec "$ns" ethtool -K xm1 tso off gso off gro off >/dev/null
	done
}

main() {
	TIMES=()
	xm_init
	xm_require_cmd ethtool
	xm_topology 1
	xm_daemon_start "$XM_NS_A"
	xm_assert_eq "xm_conns is empty before any connection" 0 "$(conn_count)"

	xm_log "offloads at their defaults:"
	offload_show
	run_case client4-offload "client" 4 "$BIG"
	run_case server4-offload "server" 4 "$BIG"
	run_case client6-offload "client" 6 "$SMALL"
	run_case server6-offload "server" 6 "$SMALL"

	offload_off
	xm_log "TSO/GSO/GRO off on both ends:"
	offload_show
	run_case client4-nooffload "client" 4 "$BIG"
	run_case server4-nooffload "server" 4 "$BIG"
	run_case client6-nooffload "client" 6 "$SMALL"
	run_case server6-nooffload "server" 6 "$SMALL"

	slow_reader_case
	xm_mptcp_counters "$XM_NS_B"
	xm_log "timings:"
	printf '    %s\n' "${TIMES[@]}"
	xm_daemon_stop "$XM_NS_A"
}

main "$@"
