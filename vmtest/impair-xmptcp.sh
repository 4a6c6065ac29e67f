#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xmptcp over impaired paths (netem), against the Linux kernel's MPTCP. Needs
# sch_netem, which the development host's kernel lacks: run it in the VM,
#
#   vmtest/run --kernel 6.12 -- vmtest/impair-xmptcp.sh build
#   meson test -C build --suite vm-6.12 vm-6.12-impair-xmptcp
#
# (outside a VM without netem it skips, 77). Arguments: the build directory
# (default: $XM_BUILD, else <repo>/build), then the cases to run (default
# $XM_IMPAIR_CASES, else all), each CASE (both roles) or CASE:ROLE:
#
#   vmtest/run --kernel 6.1 -- vmtest/impair-xmptcp.sh build loss1 flap delay40:server
#
# Topology (tests/netns/lib.sh, xm_topology 2 middle): side A runs xmptcpd and
# unmodified plain-TCP programs (net.mptcp.enabled=0), side B is the kernel
# MPTCP peer (IPPROTO_MPTCP sockets), and both paths run through a middle
# namespace M that bridges them. netem sits on M's ports, both directions
# (b<i> egress carries A->B, a<i> egress B->A), i.e. on the wire, after every
# hook of both hosts:
#   path 1  198.18.1.0/24  2001:db8:1::/64  netem delay 10ms each way (RTT 20 ms)
#   path 2  198.18.2.0/24  2001:db8:2::/64  netem delay 40ms each way (RTT 80 ms)
# TSO, GSO and GRO are off on every veth end, so that netem drops, duplicates
# and reorders MTU-sized segments as a wire would, not 64 KiB GSO bursts
# (XM_IMPAIR_OFFLOADS=keep leaves them at their defaults).
#
# Cases (each adds its impairment to its path's delay, both directions):
#   delay10   path 1 as it is                                      IPv4
#   delay40   path 2 as it is                                      IPv6
#   loss1     path 1, loss 1%                                      IPv4
#   loss5     path 1, loss 5%                                      IPv4
#   reorder   path 1, reorder 25% 50% (those leave at once, the    IPv4
#             others 10 ms later)
#   dup       path 1, duplicate 2%                                 IPv6
#   flap      path 1 rate-limited to 10 Mbit/s (4 MiB take 3.4 s);  IPv4
#             after the first 512 KiB of data (the sender pauses
#             there until the path is down), 100% loss both ways
#             for 1.5 s, then back
# and each runs in both roles (XM_IMPAIR_ROLES):
#   client: our unmodified TCP client on A -> a kernel MPTCP server on B;
#   server: a kernel MPTCP client on B -> our unmodified TCP server on A;
# the client sends the bulk (XM_IMPAIR_BYTES, 4 MiB; 1 MiB for loss5), the
# server a small reply (16 KiB) at the same time: one bulk direction per
# connection, so that the client role loads our egress (TC) and the server
# role our ingress (tc_ingress on these veths) with the impairment in front.
# (Bulk both ways at once is mptcp_roles' job, unimpaired; here it would
# double each case's time under TCG.)
#
# Each transfer must: arrive intact (SHA-256 and count of every byte, both
# ends; xfer.py --peer-seed checks each byte as it arrives); be MPTCP at the
# peer (its socket's MPTCP_INFO and TCP_IS_MPTCP; MPCapableSYNRX and
# MPCapableACKRX, or MPCapableSYNACKRX, rose); leave the peer's fallback, DSS,
# checksum, reset and fast-close counters (PEER_ZERO) at 0, and ours
# (OUR_ZERO) and our stack's IpFragFails (XM_STACK_ZERO) too; count one
# ConnEstablished, DataFinRx, DataFinTx and ConnClosed; leave nothing in
# xm_conns, xm_pending or `mptcpctl conn show` once it ended; and show that
# the impairment was real (ping RTT of each path; netem drops and the sender's
# retransmissions; the receiver's out-of-order queue; duplicate-data DSACKs;
# the flap's drops and the sender's timeouts).
#
# Multipath is not built yet: every connection uses one path and the peer
# must count no MP_JOIN (JOINS=0 below). When joins come, set JOINS and add
# endpoints in setup_paths; the case table stays.
#
# Environment:
#   XM_IMPAIR_CASES   the cases to run, in order (default: all, as above;
#                     arguments after the build directory take precedence)
#   XM_IMPAIR_ROLES   "client server" (default) or one of them
#   XM_IMPAIR_BYTES   bulk bytes per transfer (4 MiB); loss5 uses a quarter
#   XM_IMPAIR_OFFLOADS=keep   leave TSO/GSO/GRO on
#   XM_IMPAIR_CAPTURE=1       tcpdump every transfer on A's and B's side of its
#                     path (TAG.a.pcap, TAG.b.pcap in the work dir; slow in a VM)
#   XM_KEEP=1         keep the work dir (logs of every transfer and the daemon)
# The work dir is in the guest's memory; to keep it, share a host directory:
#   mkdir -p /tmp/out && vmtest/run --kernel 6.12 --rw /tmp/out -- bash -c \
#     'XM_KEEP=1 vmtest/impair-xmptcp.sh build; rc=$?; cp -a /tmp/xm-impair-xmptcp-* /tmp/out; exit $rc'
# Every case runs even when an earlier one failed; the summary at the end
# lists them with their times, and the exit status is 1 when one failed.
# shellcheck source-path=SCRIPTDIR source=../tests/netns/lib.sh

if [[ $# -ge 1 ]]; then
	XM_BUILD="$(cd "$1" && pwd)"
	export XM_BUILD
	shift
fi
if [[ $# -ge 1 ]]; then
	XM_IMPAIR_CASES="$*"
fi
source "$(dirname "$0")/../tests/netns/lib.sh"

BYTES="${XM_IMPAIR_BYTES:-$((4 << 20))}"
REPLY=$((16 << 10))
XM_XFER_TIMEOUT=30
JOINS=0
declare -A PATH_DELAY=([1]=10ms [2]=40ms)
PATH_LIMIT=10000 # netem's queue, in packets: no tail drops at 80 ms RTT

# The cases: path, address family, netem options added to the path's delay
# (both directions), bulk bytes, flap.
ALL_CASES=(delay10 delay40 loss1 loss5 reorder dup flap)
declare -A C_PATH=([delay10]=1 [delay40]=2 [loss1]=1 [loss5]=1 [reorder]=1 [dup]=1 [flap]=1)
declare -A C_FAM=([delay10]=4 [delay40]=6 [loss1]=4 [loss5]=4 [reorder]=4 [dup]=6 [flap]=4)
declare -A C_NETEM=([delay10]="" [delay40]="" [loss1]="loss 1%" [loss5]="loss 5%"
	[reorder]="reorder 25% 50%" [dup]="duplicate 2%" [flap]="rate 10mbit")
declare -A C_BYTES=([delay10]="$BYTES" [delay40]="$BYTES" [loss1]="$BYTES" [loss5]=$((BYTES / 4))
	[reorder]="$BYTES" [dup]="$BYTES" [flap]="$BYTES")
FLAP_AT=$((512 * 1024)) # bytes into the data (0.4 s at 10 Mbit/s)
FLAP_FOR=1.5
# The flap's queue: netem's loss acts on what enters it, so with a deep queue
# behind the rate limit the sender would have queued the whole transfer
# before the blackout (100 packets: 0.12 s at 10 Mbit/s).
FLAP_LIMIT=100

# The counters that must not move in an MPTCP connection, impaired or not
# (lib.sh); ours here also MPFastcloseTx. Not the peer's MPRstTx /
# MPFastcloseTx: a peer left in LAST-ACK by an earlier case may send them
# when it times out, inside a later case's window; logged.
PEER_ZERO=("${XM_PEER_ZERO[@]}")
OUR_ZERO=("${XM_OUR_ZERO[@]}" MPFastcloseTx)
# Logged after every transfer when non-zero.
PEER_LOG=(MPTCPRetrans WinProbe DuplicateData OFOQueue MPRstTx MPFastcloseTx AddAddr)

FAILED=()
SUMMARY=()
CASE_BAD=0

# chk ASSERTION...: run an xm_assert_* and remember a failure, without
# ending the test (set -e does not apply inside the cases).
chk() { "$@" || CASE_BAD=1; }

# netem_set PATH "OPTIONS" [LIMIT]: the netem of both directions of PATH is
# its delay + OPTIONS, its queue LIMIT packets (PATH_LIMIT). "change", not "replace": replace grafts a new qdisc, which drops
# what the old one held and starts its counters from 0.
netem_set() {
	local p="$1" extra="$2" limit="${3:-$PATH_LIMIT}"
	# One exec for both (an exec costs 0.1-0.3 s under TCG; the flap is timed).
	tc -n "$XM_NS_M" -batch - <<-EOF
		qdisc change dev a$p root netem limit $limit delay ${PATH_DELAY[$p]} $extra
		qdisc change dev b$p root netem limit $limit delay ${PATH_DELAY[$p]} $extra
	EOF
}

# netem_dropped DEV: packets netem on M's DEV dropped so far.
netem_dropped() {
	tc -n "$XM_NS_M" -s qdisc show dev "$1" | sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' | head -n 1
}

# rtt_ms PATH: one ping from B to A over PATH, in whole ms (busybox's ping
# when iputils' is missing).
rtt_ms() {
	local ping=(ping)
	command -v ping >/dev/null 2>&1 || ping=(busybox ping)
	xm_nsexec "$XM_NS_B" "${ping[@]}" -c 1 -W 5 "$(xm_addr4 "$1" a)" 2>&1 |
		sed -n 's/.*time=\([0-9]*\).*/\1/p' | head -n 1
}

setup_paths() {
	local p ns dev rtt min
	if ! tc -n "$XM_NS_M" qdisc add dev a1 root netem delay 1ms 2>"$XM_TMP/netem.err"; then
		xm_skip "no sch_netem in $(uname -r): $(cat "$XM_TMP/netem.err") (run it in the VM: vmtest/run --kernel 6.12 -- $0)"
	fi
	for ((p = 1; p <= XM_NPATHS; p++)); do
		for dev in "a$p" "b$p"; do
			[[ "$dev" == a1 ]] || tc -n "$XM_NS_M" qdisc add dev "$dev" root netem delay 1ms
		done
	done
	if [[ "${XM_IMPAIR_OFFLOADS:-off}" != keep ]]; then
		for ((p = 1; p <= XM_NPATHS; p++)); do
			for ns in "$XM_NS_A:xm$p" "$XM_NS_B:xm$p" "$XM_NS_M:a$p" "$XM_NS_M:b$p"; do
				xm_nsexec "${ns%%:*}" ethtool -K "${ns#*:}" tso off gso off gro off >/dev/null
			done
		done
		xm_log "TSO/GSO/GRO off on every veth end"
	fi
	for ((p = 1; p <= XM_NPATHS; p++)); do
		netem_set "$p" ""
		rtt="$(rtt_ms "$p")"
		min=$((2 * ${PATH_DELAY[$p]%ms} * 9 / 10))
		xm_assert_ge "path $p: ping RTT in ms (netem delay ${PATH_DELAY[$p]} each way)" "${rtt:-0}" "$min"
	done
	# When multipath comes: B's endpoints / A's announcements for the joins go here.
}

# flap_helper PAUSEFILE: the bulk sender (xfer.py --pause-at) creates
# PAUSEFILE after the first FLAP_AT bytes and waits; black out path 1 both
# ways, let the sender go on (remove PAUSEFILE), restore the path FLAP_FOR s
# later. Keyed to the data, not to a clock: under TCG on a loaded machine a
# timed blackout once began after the transfer had ended. So the blackout
# catches whatever of the first FLAP_AT bytes is still in flight, and
# everything sent in the next FLAP_FOR s, on any machine. Writes the drops
# during the blackout to PAUSEFILE.flap.
flap_helper() {
	local pf="$1" d0 d1
	[[ "${XM_IMPAIR_DEBUG:-0}" == 1 ]] && { exec 2>"$pf.trace"; set -x; }
	xm_wait_until 60 test -e "$pf" || exit 1
	d0=$(($(netem_dropped a1) + $(netem_dropped b1)))
	netem_set 1 "${C_NETEM[flap]} loss 100%" "$FLAP_LIMIT"
	rm -f "$pf"
	sleep "$FLAP_FOR"
	netem_set 1 "${C_NETEM[flap]}" "$FLAP_LIMIT"
	d1=$(($(netem_dropped a1) + $(netem_dropped b1)))
	echo "$((d1 - d0))" >"$pf.flap"
}

# run_xfer CASE ROLE: one transfer of CASE in ROLE, with every check.
run_xfer() {
	local case="$1" role="$2" tag="$1-$2" p="${C_PATH[$1]}" fam="${C_FAM[$1]}" bytes="${C_BYTES[$1]}"
	local addr sender receiver datadev n d fpid="" rc=0 t0
	local -a extra=() XM_XFER_SERVER_ARGS=()
	# shellcheck disable=SC2034 # filled and read through namerefs (xm_snap_*)
	declare -A KA0=() KB0=() S0=() KA1=() KB1=() S1=()
	CASE_BAD=0
	if [[ "$role" == client ]]; then
		addr="$(xm_addr"$fam" "$p" b)" sender=KA receiver=KB datadev="b$p"
	else
		addr="$(xm_addr"$fam" "$p" a)" sender=KB receiver=KA datadev="a$p"
	fi
	xm_log "=== $tag: path $p (delay ${PATH_DELAY[$p]}${C_NETEM[$case]:+, ${C_NETEM[$case]}}), IPv$fam, $bytes bytes client -> server, $REPLY back"
	local drop0 drop1
	drop0="$(netem_dropped "$datadev")"
	xm_snap_kernel "$XM_NS_A" KA0
	xm_snap_kernel "$XM_NS_B" KB0
	xm_snap_stats "$XM_NS_A" S0 || return 1
	if [[ "$case" == flap ]]; then
		extra=(--pause-at "$FLAP_AT" --pause-file "$XM_TMP/$tag.pause")
		(flap_helper "$XM_TMP/$tag.pause") &
		fpid=$!
		XM_PIDS+=("$fpid")
	fi
	if [[ "${XM_IMPAIR_CAPTURE:-0}" == 1 ]]; then
		xm_capture_start "$XM_NS_A" "xm$p" "$XM_TMP/$tag.a.pcap" tcp
		xm_capture_start "$XM_NS_B" "xm$p" "$XM_TMP/$tag.b.pcap" tcp
	fi
	t0="$SECONDS"
	if [[ "$role" == client ]]; then
		xm_transfer_bidir "$tag" "$XM_NS_B" mptcp "$XM_NS_A" tcp "$addr" "$bytes" "$REPLY" "${extra[@]}" || rc=1
	else
		xm_transfer_bidir "$tag" "$XM_NS_A" tcp "$XM_NS_B" mptcp "$addr" "$bytes" "$REPLY" "${extra[@]}" || rc=1
	fi
	if [[ -n "$fpid" ]]; then
		wait "$fpid" || true
	fi
	((rc == 0)) || CASE_BAD=1
	# The state must go once both sockets closed (our side may wait for the
	# peer's FIN or its ACK, retransmitted over the impaired path).
	if xm_wait_until 30 xm_no_conn_state "$XM_NS_A"; then
		xm_log "ok: $tag: xm_conns, xm_pending and conn show empty after the transfer"
	else
		xm_err "$tag: connection state left 30s after the transfer:"
		xm_ctl "$XM_NS_A" conn show >&2 || true
		xm_ctl "$XM_NS_A" map dump xm_conns >&2 || true
		CASE_BAD=1
		# Abort what is left (SOCK_DESTROY) so that the next case starts clean.
		local port=$((XM_XFER_PORT - 1))
		xm_nsexec "$XM_NS_A" ss -K -tn "( sport = :$port or dport = :$port )" >/dev/null 2>&1 || true
		xm_nsexec "$XM_NS_B" ss -K -tn "( sport = :$port or dport = :$port )" >/dev/null 2>&1 || true
		if xm_wait_until 10 xm_no_conn_state "$XM_NS_A"; then
			xm_log "$tag: the state went once ss -K aborted the sockets of port $port"
		else
			xm_err "$tag: state still left after ss -K of port $port"
		fi
	fi
	if [[ "${XM_IMPAIR_CAPTURE:-0}" == 1 ]]; then
		xm_capture_stop "$XM_TMP/$tag.a.pcap"
		xm_capture_stop "$XM_TMP/$tag.b.pcap"
	fi
	drop1="$(netem_dropped "$datadev")"
	xm_snap_kernel "$XM_NS_A" KA1
	xm_snap_kernel "$XM_NS_B" KB1
	xm_snap_stats "$XM_NS_A" S1 || return 1
	kd() { xm_snap_delta KB1 KB0 "MPTcpExt$1"; }   # the peer's MPTcpExt
	sd() { xm_snap_delta S1 S0 "$1"; }             # our datapath's
	# $1: KA or KB (A's or B's kernel counters)
	td() { xm_snap_delta "${1}1" "${1}0" "$2"; }

	if ((rc == 0)); then
		local who=server mode="$XM_XFER_SERVER_MODE" ismp="$XM_XFER_SERVER_ISMPTCP"
		[[ "$role" == client ]] || who=client mode="$XM_XFER_CLIENT_MODE" ismp="$XM_XFER_CLIENT_ISMPTCP"
		chk xm_assert_eq "$tag: the kernel $who's socket is MPTCP (MPTCP_INFO)" mptcp "$mode"
		chk xm_assert_is_mptcp "$tag: the kernel $who's TCP_IS_MPTCP while open" 1 "$ismp"
	fi
	if [[ "$role" == client ]]; then
		chk xm_assert_ge "$tag: peer MPCapableSYNRX rose by" "$(kd MPCapableSYNRX)" 1
		chk xm_assert_ge "$tag: peer MPCapableACKRX rose by" "$(kd MPCapableACKRX)" 1
		chk xm_assert_eq "$tag: our MPCapableSYNACKRX rose by" 1 "$(sd MPCapableSYNACKRX)"
	else
		chk xm_assert_ge "$tag: peer MPCapableSYNACKRX rose by" "$(kd MPCapableSYNACKRX)" 1
		chk xm_assert_eq "$tag: our MPCapableACKRX rose by" 1 "$(sd MPCapableACKRX)"
	fi
	chk xm_assert_eq "$tag: peer MP_JOINs (MPJoinSynRx + MPJoinSynAckRx)" "$JOINS" \
		"$(($(kd MPJoinSynRx) + $(kd MPJoinSynAckRx)))"
	for n in "${PEER_ZERO[@]}"; do
		d="$(kd "$n")"
		((d == 0)) || { xm_err "$tag: peer MPTcpExt$n rose by $d (expected 0)"; CASE_BAD=1; }
	done
	for n in "${OUR_ZERO[@]}"; do
		d="$(sd "$n")"
		((d == 0)) || { xm_err "$tag: our $n rose by $d (expected 0)"; CASE_BAD=1; }
	done
	for n in "${XM_STACK_ZERO[@]}"; do
		d="$(td KA "$n")"
		((d == 0)) || { xm_err "$tag: our stack's $n rose by $d (expected 0)"; CASE_BAD=1; }
	done
	xm_log "$tag: checked peer ${#PEER_ZERO[@]}, our ${#OUR_ZERO[@]} and our stack's ${#XM_STACK_ZERO[@]} error counters for 0"
	for n in ConnEstablished DataFinRx DataFinTx ConnClosed; do
		chk xm_assert_eq "$tag: our $n rose by" 1 "$(sd "$n")"
	done

	# The impairment was real.
	case "$case" in
	loss1 | loss5)
		chk xm_assert_ge "$tag: netem drops on the data direction (M $datadev)" $((drop1 - drop0)) 1
		chk xm_assert_ge "$tag: the sender's TcpRetransSegs rose by" "$(td "$sender" TcpRetransSegs)" 1
		;;
	reorder)
		chk xm_assert_ge "$tag: the receiver's TcpExtTCPOFOQueue rose by" "$(td "$receiver" TcpExtTCPOFOQueue)" 1
		;;
	dup)
		chk xm_assert_ge "$tag: the receiver's DSACKs for duplicate data (TCPDSACKOldSent + TCPDSACKOfoSent)" \
			$(($(td "$receiver" TcpExtTCPDSACKOldSent) + $(td "$receiver" TcpExtTCPDSACKOfoSent))) 1
		;;
	flap)
		read -r n <"$XM_TMP/$tag.pause.flap" || n=""
		chk xm_assert_ge "$tag: netem drops during the ${FLAP_FOR}s blackout" "${n:-}" 1
		chk xm_assert_ge "$tag: the sender's TcpExtTCPTimeouts rose by" "$(td "$sender" TcpExtTCPTimeouts)" 1
		;;
	esac
	local info=""
	for n in "${PEER_LOG[@]}"; do
		d="$(kd "$n")"
		((d == 0)) || info+="$n +$d "
	done
	xm_log "$tag: sender retrans +$(td "$sender" TcpRetransSegs), timeouts +$(td "$sender" TcpExtTCPTimeouts); netem drops +$((drop1 - drop0)) on $datadev; peer: ${info:-nothing else}"
	if ((CASE_BAD)); then
		FAILED+=("$tag")
		SUMMARY+=("$tag: FAIL ($((SECONDS - t0)) s)")
		local kpkg="${VMTEST_KERNEL_PACKAGE:-linux-image-$(uname -r)}"
		xm_err "$tag: reproduce: vmtest/run --kernel ${kpkg%%=*} -- env XM_IMPAIR_CAPTURE=1 vmtest/impair-xmptcp.sh $XM_BUILD $case:$role"
		return 1
	fi
	SUMMARY+=("$tag: ok, transfer ${XM_XFER_SECONDS} s, case $((SECONDS - t0)) s")
}

main() {
	local case role t_start="$SECONDS"
	xm_init
	xm_require_cmd ethtool
	xm_require_build "$XMPTCPD" "$MPTCPCTL"
	xm_topology 2 middle
	setup_paths
	xm_daemon_start "$XM_NS_A"
	xm_log "kernel $(uname -r)${VMTEST_KERNEL_PACKAGE:+ ($VMTEST_KERNEL_PACKAGE)}, setup $((SECONDS - t_start)) s"

	local token roles
	for token in ${XM_IMPAIR_CASES:-${ALL_CASES[*]}}; do
		# CASE, or CASE:ROLE for one role of it
		case="${token%%:*}" roles="${XM_IMPAIR_ROLES:-client server}"
		[[ "$token" != *:* ]] || roles="${token#*:}"
		[[ -n "${C_PATH[$case]:-}" ]] || xm_die "unknown case '$case' (expected: ${ALL_CASES[*]})"
		if [[ "$case" == flap ]]; then
			netem_set "${C_PATH[$case]}" "${C_NETEM[$case]}" "$FLAP_LIMIT"
		else
			netem_set "${C_PATH[$case]}" "${C_NETEM[$case]}"
		fi
		for role in $roles; do
			[[ "$role" == client || "$role" == server ]] || xm_die "unknown role '$role' (client, server)"
			run_xfer "$case" "$role" || true
		done
		netem_set "${C_PATH[$case]}" ""
	done

	xm_mptcp_counters "$XM_NS_B"
	xm_log "summary on $(uname -r) (total $((SECONDS - t_start)) s):"
	printf '    %s\n' "${SUMMARY[@]}"
	xm_daemon_stop "$XM_NS_A"
	if ((${#FAILED[@]})); then
		xm_die "${#FAILED[@]} transfer(s) failed: ${FAILED[*]}"
	fi
}

main "$@"
