#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/run.sh: xmptcp against kernel MPTCP and plain TCP, same topology, same run.
#
#   sudo XM_BUILD=build bench/run.sh [-t SECS] [-c SECS] [-r REPS] [--cc CC] [-6]
#                                    [--profile] [--only goodput|connrate]
#                                    [--ingress auto|xdp|tc]
#
# Topology (tests/netns/lib.sh, one path): namespaces A and B joined by one
# unshaped veth pair, 198.18.1.1 (A) - 198.18.1.2 (B), or 2001:db8:1::1/::2 with -6.
# B is always the kernel MPTCP peer (net.mptcp.enabled=1). A is, by setup:
#
#   tcp         plain TCP <-> plain TCP, no daemon
#   kernel      kernel MPTCP <-> kernel MPTCP (A: net.mptcp.enabled=1,
#               IPPROTO_MPTCP on both ends), no daemon
#   xm-client   xmptcp: plain TCP client on A (xmptcpd, net.mptcp.enabled=0)
#               -> kernel MPTCP server on B; data flows A -> B
#   xm-server   xmptcp: kernel MPTCP client on B -> plain TCP server on A
#               (xmptcpd); data flows B -> A
#   xm-tcp      plain TCP client on A (xmptcpd) -> plain TCP server on B:
#               what the datapath costs a connection that does not speak
#               MPTCP (B's socket is TCP, so xmptcp falls back); data A -> B
#   xm-tcp-rev  the same, plain TCP client on B -> plain TCP server on A
#               (xmptcpd); data B -> A, through A's ingress program
#               (tc_ingress on this veth by default; --ingress xdp
#               measures xdp_ingress instead: it is handed to xmptcpd)
#
# Measured for each, with bench/xmbench (one small C program, the same code
# for every setup; only the socket protocol changes):
#   goodput   one connection, the client sends for -t seconds (default 10),
#             128 KiB send()/recv(); Gbit/s at the receiver
#   connrate  single-threaded client: connect, 1 KiB request, 1 KiB answer,
#             close, for -c seconds (default 5); connections per second
# Repetitions (-r, default 3) are interleaved (rep 1 of every setup, then
# rep 2...) so that drift on a shared machine spreads over all setups; the
# median is reported.
#
# Every xmptcp and kernel-MPTCP run is checked to have really spoken MPTCP:
# the kernel peer's MPTcpExt handshake counters rose by at least the number
# of connections, its fallback and error counters did not move, the kernel
# socket itself reports MPTCP (MPTCP_INFO), and xmptcpd's own counters agree
# (ConnEstablished, no KeyQueueEmpty). A run that fails a check is marked
# and its figure is not used; the script then exits 1.
#
# Congestion control: --cc (default reno) in both namespaces, the same for
# every setup. Kernel MPTCP with BBR (this host's default) stalls on the
# MPTCP-level retransmit timer on veth (~0.2 Gbit/s), which would compare
# xmptcp with a broken baseline; run with --cc bbr to see it. Cubic is not
# in net.ipv4.tcp_allowed_congestion_control here, so a namespace cannot pick it.
#
# --profile: after the measurement, one extra goodput run of each xmptcp
# setup with kernel.bpf_stats_enabled=1 (restored afterwards) prints each
# BPF program's invocations and average run time (figures not used above).
#
# Cleanup: the lib.sh EXIT trap kills every process and deletes the namespaces,
# pass or fail.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../tests/netns/lib.sh
source "$BENCH_DIR/../tests/netns/lib.sh"

GOODPUT_SECS=10
CONNRATE_SECS=5
REPS=3
CC=reno
FAMILY=4
PROFILE=0
ONLY=""
INGRESS=auto
XMBENCH="${XMBENCH:-$XM_BUILD/bench/xmbench}"

usage() {
	sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

while (($#)); do
	case "$1" in
	-t) GOODPUT_SECS="$2"; shift 2 ;;
	-c) CONNRATE_SECS="$2"; shift 2 ;;
	-r) REPS="$2"; shift 2 ;;
	--cc) CC="$2"; shift 2 ;;
	-6) FAMILY=6; shift ;;
	--profile) PROFILE=1; shift ;;
	--only) ONLY="$2"; shift 2 ;;
	--ingress) INGRESS="$2"; shift 2 ;;
	-h | --help) usage 0 ;;
	*) usage 2 ;;
	esac
done

xm_init
# shellcheck disable=SC2034 # lib.sh names namespaces and logs after it
XM_TEST=bench
xm_require_build "$XMBENCH" "$XMPTCPD" "$MPTCPCTL"

SETUPS=(tcp kernel xm-client xm-server xm-tcp xm-tcp-rev)
declare -A LABEL=(
	[tcp]="plain TCP <-> plain TCP"
	[kernel]="kernel MPTCP <-> kernel MPTCP"
	[xm-client]="xmptcp client (A) -> kernel MPTCP server (B)"
	[xm-server]="kernel MPTCP client (B) -> xmptcp server (A)"
	[xm-tcp]="plain TCP (A, xmptcpd) -> plain TCP (B)"
	[xm-tcp-rev]="plain TCP (B) -> plain TCP (A, xmptcpd)"
)
declare -A RESULTS=()   # "setup kind" -> space-separated figures (or FAIL)
declare -A CHECKS=()    # "setup kind" -> check summary of the last run
declare -A WARNINGS=()  # "setup kind" -> warnings of all runs
FAILED=0
WARNED=0
PORT=5201

# --- topology --------------------------------------------------------------------

xm_topology 1
NS_A="$XM_NS_A"
NS_B="$XM_NS_B"
if [[ "$FAMILY" == 6 ]]; then
	ADDR_A="$(xm_addr6 1 a)"
	ADDR_B="$(xm_addr6 1 b)"
else
	ADDR_A="$(xm_addr4 1 a)"
	ADDR_B="$(xm_addr4 1 b)"
fi
for ns in "$NS_A" "$NS_B"; do
	if ! xm_nsexec "$ns" sysctl -qw "net.ipv4.tcp_congestion_control=$CC"; then
		xm_die "cannot use congestion control '$CC' in a namespace (allowed: $(sysctl -n net.ipv4.tcp_allowed_congestion_control))"
	fi
	# Short connections: the client closes first and keeps TIME_WAIT; reuse
	# ports after 1 s, from a wide range, so that ~10k conn/s never runs dry.
	# The servers listen below it (PORT), clear of lingering client sockets.
	xm_nsexec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=10000 65535"
done

# --- helpers ---------------------------------------------------------------------

log() { printf '%s\n' "$*"; }

# mptcp_snap NS FILE: every MPTcpExt counter of NS, "name value" lines.
mptcp_snap() {
	xm_nsexec "$1" nstat -asz 2>/dev/null | awk '/^MPTcpExt/ { print $1, $2 }' >"$2"
}

# xm_snap FILE: every xmptcpd datapath counter of A, "name value" lines.
xm_snap() {
	xm_ctl "$NS_A" -j stats | python3 -c '
import json, sys
for s in json.load(sys.stdin)["stats"]:
    print(s["name"], s["value"])' >"$1"
}

# delta BEFORE AFTER NAME: counter NAME's increase (0 when absent).
delta() {
	awk -v n="$3" 'FNR == NR { if ($1 == n) b = $2; next } $1 == n { a = $2 }
		END { print (a + 0) - (b + 0) }' "$1" "$2"
}

# nonzero_deltas BEFORE AFTER REGEX: "Name+N" for each counter matching REGEX that rose.
nonzero_deltas() {
	awk -v re="$3" 'FNR == NR { b[$1] = $2; next }
		$1 ~ re && $2 - b[$1] > 0 { printf "%s%s+%d", sep, $1, $2 - b[$1]; sep = " " }' "$1" "$2"
}

# Counters of the kernel peer that must not move during an MPTCP run: any
# fallback or mapping/checksum error (the run's figure is then void)...
PEER_BAD='Fallback|DSSNotMatching|DSSNoMatchTCP|DSSCorruption|InfiniteMap|DataCsumErr|NoDSSInWindow'
PEER_BAD_NOT_MPC='MPFallbackTokenInit|DSSCorruption|DssFallback|DataFallback|FallbackFailed|DSSNotMatching|DSSNoMatchTCP|InfiniteMap|DataCsumErr|NoDSSInWindow'
# ...and resets and fast closes, which are about the close path: reported as
# warnings, the figure stands. They can land in a later run's window (the
# kernel fast-closes an orphaned connection after net.mptcp.close_timeout,
# 60 s), so each run also says how many MPTCP connections the peer still had
# open when it started.
PEER_CLOSE='MPRst|MPFail|MPFastclose'
# ...and of xmptcpd.
XM_BAD='^(MPCapableFallback|MPCapableChecksumRefused|KeyQueueEmpty|ConnTableFull|RxOptMalformed|TxOptMalformed|EventsLost)'

# peer_open: MPTCP sockets of the kernel peer that are not listening or closed
# (MPCurrEstab misses the closing states). peer_idle: there are none.
# With PORT, only those of connections to or from that port (one run's).
peer_open() {
	local f=()
	[[ -z "${1:-}" ]] || f=("( sport = :$1 or dport = :$1 )")
	xm_nsexec "$NS_B" ss -MHn state all "${f[@]}" 2>/dev/null |
		awk '$1 != "LISTEN" && $1 != "UNCONN" && $1 != "CLOSE"' | wc -l
}
peer_idle() { (($(peer_open "${1:-}") == 0)); }

# is_mptcp SETUP: the setup's connections are MPTCP.
is_mptcp() { [[ "$1" == kernel || "$1" == xm-client || "$1" == xm-server ]]; }

# server_start SETUP KIND: the server of SETUP (stream or rr) in the right
# namespace, on a fresh port; sets SRV_PORT, SRV_ADDR.
server_start() {
	local setup="$1" kind="$2" ns addr proto=() logf
	case "$setup" in
	tcp | xm-tcp) ns="$NS_B" addr="$ADDR_B" ;;
	kernel | xm-client) ns="$NS_B" addr="$ADDR_B" proto=(-m) ;;
	xm-server | xm-tcp-rev) ns="$NS_A" addr="$ADDR_A" ;;
	esac
	SRV_PORT=$((PORT++))
	SRV_ADDR="$addr"
	logf="$XM_TMP/server-$setup-$kind-$SRV_PORT.log"
	xm_bg "$logf" "$ns" "$XMBENCH" "$kind-server" -a "$addr" -p "$SRV_PORT" "${proto[@]}"
	SRV_PID="$XM_LAST_PID"
	if ! xm_wait_until 10 grep -q '^listening' "$logf"; then
		xm_show "server log" "$logf"
		xm_die "$setup: $kind server did not start"
	fi
}

server_stop() {
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
}

# client_cmd SETUP: namespace and protocol flag of SETUP's client.
client_ns() {
	case "$1" in
	xm-server | xm-tcp-rev) echo "$NS_B" ;;
	*) echo "$NS_A" ;;
	esac
}
client_proto() {
	case "$1" in
	kernel | xm-server) echo "-m" ;;
	*) echo "" ;;
	esac
}

# field LINE KEY: value of key=value in LINE.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

# run_one SETUP KIND REP: one measured run; appends the figure to RESULTS.
run_one() {
	local setup="$1" kind="$2" rep="$3" ns proto out rc=0 secs fig n
	local pb="$XM_TMP/peer.before" pa="$XM_TMP/peer.after" xb="$XM_TMP/xm.before" xa="$XM_TMP/xm.after"
	local problems=() warnings=() note="" open0
	open0="$(peer_open)"
	ns="$(client_ns "$setup")"
	proto="$(client_proto "$setup")"
	if [[ "$kind" == stream ]]; then secs="$GOODPUT_SECS"; else secs="$CONNRATE_SECS"; fi

	server_start "$setup" "$kind"
	mptcp_snap "$NS_B" "$pb"
	[[ "$setup" == xm-* ]] && xm_snap "$xb"
	# shellcheck disable=SC2086 # $proto is empty or one flag
	out="$(timeout $((${secs%.*} + 60)) nsenter --net="/run/netns/$ns" -- \
		"$XMBENCH" "$kind-client" -a "$SRV_ADDR" -p "$SRV_PORT" -t "$secs" $proto 2>&1)" || rc=$?
	mptcp_snap "$NS_B" "$pa"
	[[ "$setup" == xm-* ]] && xm_snap "$xa"
	server_stop

	if ((rc != 0)) || ! grep -q '^result' <<<"$out"; then
		problems+=("client failed (exit $rc): $(tr '\n' ' ' <<<"$out")")
	else
		out="$(grep '^result' <<<"$out")"
	fi
	if [[ "$kind" == stream ]]; then
		fig="$(field "$out" gbps)"
		n=1
		# every byte sent arrived, no more, and the stream ended with EOF
		local got sent eof
		got="$(field "$out" bytes)" sent="$(field "$out" sent)" eof="$(field "$out" eof)"
		if [[ -n "$got" && "$got" != "$sent" ]]; then
			warnings+=("INTEGRITY: the receiver got $got bytes, the sender sent $sent ($((got - sent)))")
		fi
		[[ -z "$eof" || "$eof" == 1 ]] ||
			warnings+=("no EOF: the receiver's stream went idle 2 s without ending (a lost DATA_FIN)")
	else
		fig="$(field "$out" rate)"
		n="$(field "$out" conns)"
	fi
	[[ -n "$n" ]] || n=0

	# Did it speak what it should?
	local syn ack synack bad
	case "$setup" in
	tcp)
		syn="$(delta "$pb" "$pa" MPTcpExtMPCapableSYNRX)"
		((syn == 0)) || problems+=("kernel peer saw $syn MP_CAPABLE SYNs in a plain TCP run")
		[[ "$kind" == rr || "$(field "$out" mode)" == tcp ]] || problems+=("socket mode $(field "$out" mode)")
		note="plain TCP (peer MPCapableSYNRX +0)"
		;;
	kernel | xm-client)
		# the peer (B) is the server
		syn="$(delta "$pb" "$pa" MPTcpExtMPCapableSYNRX)"
		ack="$(delta "$pb" "$pa" MPTcpExtMPCapableACKRX)"
		if ((syn < n || ack * 100 < n * 99)); then
			problems+=("kernel peer MPCapableSYNRX +$syn, MPCapableACKRX +$ack for $n connections")
		elif ((ack < n)); then
			warnings+=("kernel peer MPCapableACKRX +$ack for $n connections")
		fi
		note="peer MPCapableSYNRX +$syn MPCapableACKRX +$ack for $n conns"
		;;
	xm-server)
		# the peer (B) is the client
		synack="$(delta "$pb" "$pa" MPTcpExtMPCapableSYNACKRX)"
		((synack >= n)) ||
			problems+=("kernel peer MPCapableSYNACKRX +$synack for $n connections")
		note="peer MPCapableSYNACKRX +$synack for $n conns"
		;;
	xm-tcp | xm-tcp-rev)
		syn="$(delta "$pb" "$pa" MPTcpExtMPCapableSYNRX)"
		((syn == 0)) || problems+=("kernel peer saw $syn MP_CAPABLE SYNs on its TCP socket")
		note="plain TCP, peer MPCapableSYNRX +0"
		;;
	esac
	if is_mptcp "$setup"; then
		# A few fallbacks among thousands of short connections are reported;
		# more than 1% void the figure (it would no longer be MPTCP's).
		local fb
		fb=$(($(delta "$pb" "$pa" MPTcpExtMPCapableFallbackACK) + $(delta "$pb" "$pa" MPTcpExtMPCapableFallbackSYNACK)))
		bad="$(nonzero_deltas "$pb" "$pa" "$PEER_BAD")"
		if [[ -n "$bad" ]]; then
			if ((fb * 100 > n)) || [[ -n "$(nonzero_deltas "$pb" "$pa" "$PEER_BAD_NOT_MPC")" ]]; then
				problems+=("kernel peer counters rose: $bad (for $n connections)")
			else
				warnings+=("FALLBACK: kernel peer counters rose: $bad (for $n connections)")
			fi
		fi
		bad="$(nonzero_deltas "$pb" "$pa" "$PEER_CLOSE")"
		[[ -z "$bad" ]] ||
			warnings+=("kernel peer close-path counters rose: $bad (it had $open0 MPTCP sockets of earlier runs open at the start: they may be theirs)")
		if [[ "$kind" == stream ]]; then
			# the kernel end's own socket: MPTCP_INFO readable
			local km
			if [[ "$setup" == xm-client ]]; then km="$(field "$out" peer_mode)"; else km="$(field "$out" mode)"; fi
			[[ "$km" == mptcp ]] || problems+=("the kernel MPTCP socket reports '$km'")
			[[ "$setup" != kernel || "$(field "$out" peer_mode)" == mptcp ]] ||
				problems+=("the server's MPTCP socket reports '$(field "$out" peer_mode)'")
			note+=", kernel socket $km"
		elif [[ "$(field "$out" sampled_fallback)" != 0 ]]; then
			problems+=("$(field "$out" sampled_fallback) of $(field "$out" sampled) sampled client sockets fell back")
		fi
	fi
	if [[ "$setup" == xm-* ]]; then
		local est
		est="$(delta "$xb" "$xa" ConnEstablished)"
		bad="$(nonzero_deltas "$xb" "$xa" "$XM_BAD")"
		if ! is_mptcp "$setup"; then
			((est == 0)) || problems+=("xmptcpd established $est MPTCP connections with a TCP peer")
		else
			((est * 100 >= n * 99)) || problems+=("xmptcpd ConnEstablished +$est for $n connections")
			((est >= n)) || warnings+=("xmptcpd ConnEstablished +$est for $n connections")
			[[ -z "$bad" ]] || warnings+=("xmptcpd counters rose: $bad")
			note+=", xmptcpd ConnEstablished +$est"
			local nospace
			nospace="$(delta "$xb" "$xa" DssTxNoMapping)"
			((nospace == 0)) || note+=", DssTxNoMapping +$nospace"
		fi
	fi

	if is_mptcp "$setup"; then
		# the peer's data-level retransmissions and zero-window probes: a
		# receiver must not take them for new data (see INTEGRITY)
		local rtx probe
		rtx="$(delta "$pb" "$pa" MPTcpExtMPTCPRetrans)" probe="$(delta "$pb" "$pa" MPTcpExtWinProbe)"
		((rtx + probe == 0)) || note+=", peer MPTCPRetrans +$rtx WinProbe +$probe"
		# MPTCP sockets the peer still holds a moment after the run
		local open1
		xm_wait_until 3 peer_idle "$SRV_PORT" || true
		open1="$(peer_open "$SRV_PORT")"
		((open1 == 0)) || warnings+=("UNCLOSED: the kernel peer still has $open1 MPTCP socket(s) of this run open 3 s after it")
	fi
	if ((${#warnings[@]})); then
		WARNED=1
		WARNINGS["$setup $kind"]+="rep $rep: ${warnings[*]}; "
		printf '  %-10s %-8s rep %s: WARNING: %s\n' "$setup" "$kind" "$rep" "${warnings[*]}"
	fi
	if ((${#problems[@]})) || [[ -z "$fig" ]]; then
		FAILED=1
		RESULTS["$setup $kind"]+="FAIL "
		CHECKS["$setup $kind"]="FAILED: ${problems[*]:-no figure}"
		printf '  %-10s %-8s rep %s: FAILED: %s\n' "$setup" "$kind" "$rep" "${problems[*]:-no figure}"
		return 0
	fi
	RESULTS["$setup $kind"]+="$fig "
	CHECKS["$setup $kind"]="ok: $note"
	if [[ "$kind" == stream ]]; then
		printf '  %-10s goodput  rep %s: %7.2f Gbit/s   (%s)\n' "$setup" "$rep" "$fig" "$note"
	else
		printf '  %-10s connrate rep %s: %7.0f conn/s   (%s)\n' "$setup" "$rep" "$fig" "$note"
	fi
}

# setup_enter SETUP / setup_leave SETUP: what A runs for SETUP.
setup_enter() {
	case "$1" in
	kernel) xm_nsexec "$NS_A" sysctl -qw net.mptcp.enabled=1 ;;
	xm-*)
		xm_nsexec "$NS_A" sysctl -qw net.mptcp.enabled=0
		# one daemon for the xmptcp block, started and stopped with it
		[[ -n "${XM_DAEMON_PID[$NS_A]:-}" ]] || xm_daemon_start "$NS_A" --ingress "$INGRESS" >/dev/null
		;;
	*) xm_nsexec "$NS_A" sysctl -qw net.mptcp.enabled=0 ;;
	esac
}

daemon_stop_if_running() {
	if [[ -n "${XM_DAEMON_PID[$NS_A]:-}" ]]; then
		local left
		left="$(xm_ctl "$NS_A" -j conn show 2>/dev/null | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["connections"]))' 2>/dev/null || echo '?')"
		[[ "$left" == 0 ]] || log "  note: xmptcpd still tracks $left connection(s) at the end of the block (orphaned sockets closing)"
		log "  xmptcpd $(xm_ctl "$NS_A" status 2>/dev/null | grep '^time-wait:' || echo 'time-wait: ?')"
		xm_daemon_stop "$NS_A" >/dev/null
	fi
}

# median FIGURES...: the median of the numeric ones; "n/a" when none.
median() {
	printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) { print "n/a"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2fx", a / b }'
}

# --- the measurement -------------------------------------------------------------

log ""
log "== xmptcp benchmark =="
log "machine: $(nproc) CPUs, Linux $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
log "topology: $NS_A (A) <-> $NS_B (B), one unshaped veth, IPv$FAMILY $ADDR_A <-> $ADDR_B"
log "xmptcpd --ingress $INGRESS (auto: tc_ingress on the veth)"
log "congestion control: $CC (both namespaces); goodput ${GOODPUT_SECS}s, connrate ${CONNRATE_SECS}s, $REPS reps interleaved, median"
log "note: figures on a shared 2-core VM vary from run to run; compare the ratios of one run."
log ""

KINDS=(stream rr)
case "$ONLY" in
goodput) KINDS=(stream) ;;
connrate) KINDS=(rr) ;;
"") ;;
*) usage 2 ;;
esac

for ((rep = 1; rep <= REPS; rep++)); do
	log "-- repetition $rep of $REPS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	for setup in "${SETUPS[@]}"; do
		setup_enter "$setup"
		for kind in "${KINDS[@]}"; do
			run_one "$setup" "$kind" "$rep"
		done
		# the daemon stays up across the xm-* setups; stop it after the last
		[[ "$setup" == xm-tcp-rev ]] && daemon_stop_if_running
	done
done

# --- the table ---------------------------------------------------------------------

declare -A MED=()
for setup in "${SETUPS[@]}"; do
	for kind in stream rr; do
		# shellcheck disable=SC2086 # a list of figures
		MED["$setup $kind"]="$(median ${RESULTS["$setup $kind"]:-})"
	done
done

log ""
log "== results (median of $REPS; Gbit/s for one connection, connections/s single-threaded) =="
printf '%-48s %12s %10s\n' "setup" "goodput" "conn/s"
for setup in "${SETUPS[@]}"; do
	printf '%-48s %12s %10s\n' "${LABEL[$setup]}" "${MED["$setup stream"]}" "${MED["$setup rr"]}"
done
log ""
log "== ratios =="
printf '%-48s %12s %10s\n' "" "goodput" "conn/s"
for setup in xm-client xm-server; do
	printf '%-48s %12s %10s\n' "$setup / kernel MPTCP" \
		"$(ratio "${MED["$setup stream"]}" "${MED["kernel stream"]}")" \
		"$(ratio "${MED["$setup rr"]}" "${MED["kernel rr"]}")"
	printf '%-48s %12s %10s\n' "$setup / plain TCP" \
		"$(ratio "${MED["$setup stream"]}" "${MED["tcp stream"]}")" \
		"$(ratio "${MED["$setup rr"]}" "${MED["tcp rr"]}")"
done
printf '%-48s %12s %10s\n' "kernel MPTCP / plain TCP" \
	"$(ratio "${MED["kernel stream"]}" "${MED["tcp stream"]}")" \
	"$(ratio "${MED["kernel rr"]}" "${MED["tcp rr"]}")"
for setup in xm-tcp xm-tcp-rev; do
	printf '%-48s %12s %10s\n' "$setup (TCP, xmptcpd on A) / plain TCP" \
		"$(ratio "${MED["$setup stream"]}" "${MED["tcp stream"]}")" \
		"$(ratio "${MED["$setup rr"]}" "${MED["tcp rr"]}")"
done
log "goal (issue 3): xmptcp >= 1.00x kernel MPTCP on goodput, >= 0.90x on conn/s"
log ""
log "== all figures =="
for setup in "${SETUPS[@]}"; do
	for kind in "${KINDS[@]}"; do
		printf '%-10s %-7s %s\n' "$setup" "$kind" "${RESULTS["$setup $kind"]:-}"
	done
done
log ""
log "== MPTCP checks (last run of each) =="
for setup in "${SETUPS[@]}"; do
	for kind in "${KINDS[@]}"; do
		printf '%-10s %-7s %s\n' "$setup" "$kind" "${CHECKS["$setup $kind"]:-not run}"
	done
done
if ((WARNED)); then
	log ""
	log "== WARNINGS (figures kept; these are correctness problems, not speed) =="
	for setup in "${SETUPS[@]}"; do
		for kind in "${KINDS[@]}"; do
			[[ -z "${WARNINGS["$setup $kind"]:-}" ]] || printf '%-10s %-7s %s\n' "$setup" "$kind" "${WARNINGS["$setup $kind"]}"
		done
	done
	log ""
fi
if ((FAILED)); then
	log "SOME RUNS FAILED their checks: their figures are left out (see above)."
else
	log "every xmptcp and kernel-MPTCP run spoke MPTCP: the kernel peer's MPCapable counters rose"
	log "by the number of connections, no fallback or error counter moved beyond what the warnings"
	log "say, the kernel socket reported MPTCP, and xmptcpd established the connections."
	log "plain TCP runs (tcp, xm-tcp, xm-tcp-rev) stayed plain TCP."
fi

# --- optional profile ----------------------------------------------------------------

# bpf_prog_stats: "id name run_cnt run_time_ns mine|other" for every xmptcp
# program on the host; mine: it uses the xm_stats map of A's daemon. Other
# daemons' sockops programs hang off the same cgroup and run for A's sockets
# too (they return at their netns check).
bpf_prog_stats() {
	local stats_id
	stats_id="$(bpftool -j map show pinned "$(xm_pin_dir "$NS_A")/xm_stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
mine = int(sys.argv[1])
for p in json.load(sys.stdin):
    if p.get("name") in ("xdp_ingress", "tc_ingress", "tc_egress", "sockops_mptcp"):
        who = "mine" if mine in p.get("map_ids", []) else "other"
        print(p["id"], p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0), who)' "$stats_id"
}

if ((PROFILE)); then
	log ""
	log "== profile: BPF program cost (kernel.bpf_stats_enabled=1 for these runs only) =="
	OLD_STATS="$(sysctl -n kernel.bpf_stats_enabled)"
	sysctl -qw kernel.bpf_stats_enabled=1
	# restored by the EXIT trap too, should anything fail below
	# "(exit rc) || xm_cleanup" hands the exit status on to xm_cleanup (which
	# reads $? and exits) without tripping set -e inside the trap.
	# shellcheck disable=SC2154 # assigned in the trap itself
	trap 'xmb_rc=$?; sysctl -qw kernel.bpf_stats_enabled='"$OLD_STATS"'; (exit $xmb_rc) || xm_cleanup; xm_cleanup' EXIT
	for setup in xm-client xm-server; do
		setup_enter "$setup"
		before="$XM_TMP/prof.before"
		after="$XM_TMP/prof.after"
		bpf_prog_stats >"$before"
		xm_snap "$XM_TMP/xmp.before"
		run_one "$setup" stream profile
		bpf_prog_stats >"$after"
		xm_snap "$XM_TMP/xmp.after"
		# "other": another xmptcpd's sockops program (a test running on the
		# host), invoked for A's sockets too; it returns at its netns check.
		awk -v setup="$setup" 'FNR == NR { c[$1] = $3; t[$1] = $4; next }
			{ dc = $3 - c[$1]; dt = $4 - t[$1]
			  if (dc > 1000) printf "  %-10s %-14s %-5s %10d runs %8.1f ns/run %8.2f ms total\n", setup, $2, $5, dc, dt / dc, dt / 1e6 }' \
			"$before" "$after"
		printf '  %-10s segments: TxTcp +%d, RxTcp +%d, TxDss +%d, RxDss +%d\n' "$setup" \
			"$(delta "$XM_TMP/xmp.before" "$XM_TMP/xmp.after" TxTcp)" \
			"$(delta "$XM_TMP/xmp.before" "$XM_TMP/xmp.after" RxTcp)" \
			"$(delta "$XM_TMP/xmp.before" "$XM_TMP/xmp.after" TxDss)" \
			"$(delta "$XM_TMP/xmp.before" "$XM_TMP/xmp.after" RxDss)"
	done
	daemon_stop_if_running
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
fi

if ((FAILED || WARNED)); then
	exit 1
fi
