# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Shared harness of the netns suite. Each test is a bash script that does
#
#     source "$(dirname "$0")/lib.sh"
#     xm_init            # root check (exit 77), names, cleanup trap
#     xm_topology 2      # side A (xmptcp) and side B (kernel MPTCP), 2 paths
#     ...
#
# Topology: namespaces $XM_NS_A and $XM_NS_B, named xm-<test>-<pid>-a/-b, joined
# by N veth pairs (optionally through a bridging namespace $XM_NS_M, -m). Path
# i (1-based) is the pair xm<i> (same name on both sides) with
# 198.18.<i>.1/24 + 2001:db8:<i>::1/64 on A and .2 / ::2 on B.
# A runs xmptcpd with net.mptcp.enabled=0; B is the Linux kernel MPTCP peer
# with net.mptcp.enabled=1. Only 198.18.0.0/15 and 2001:db8::/32 are used.
#
# Assertions print what was expected and what was found, and return non-zero;
# under `set -e` the first failed assertion ends the test, and the EXIT trap
# kills every process the test started, deletes its namespaces and checks that
# nothing of xmptcp is left behind (a leak fails the test).
#
# Environment: XM_BUILD (default <repo>/build), XM_KEEP=1 keeps the work dir.

set -Eeuo pipefail

XM_NETNS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
XM_ROOT="$(cd "$XM_NETNS_DIR/../.." && pwd)"
XM_BUILD="${XM_BUILD:-$XM_ROOT/build}"
XMPTCPD="$XM_BUILD/daemon/xmptcpd"
MPTCPCTL="$XM_BUILD/cli/mptcpctl"
# shellcheck disable=SC2034 # used by the tests that source this file
XM_IMPAIR="$XM_BUILD/tests/bpf/xm-impair"
XM_XFER="$XM_NETNS_DIR/xfer.py"
XM_BPFFS="${XM_BPFFS:-/sys/fs/bpf}"
XM_SKIP=77

XM_TEST=""     # test name, from the script's file name
XM_TMP=""      # per-test work dir (logs, hashes, captures)
XM_NS_A=""
XM_NS_B=""
XM_NPATHS=0
XM_NAMESPACES=()               # every namespace this test created
XM_PIDS=()                     # every background process this test started
declare -gA XM_NS_INODE=()      # namespace -> netns inode (names its pin dir)
declare -gA XM_DAEMON_PID=()    # namespace -> pid of its xmptcpd
declare -gA XM_CAPTURE_PID=()   # capture file -> pid of its tcpdump
XM_CLEANED=0
XM_STDOUT=1
XM_STDERR=2

# --- output -----------------------------------------------------------------

xm_log() { printf '[%s] %s\n' "$XM_TEST" "$*"; }
xm_err() { printf '[%s] FAIL: %s\n' "$XM_TEST" "$*" >&2; }

# Print a file indented, for logs of failed steps.
xm_show() {
	local title="$1" file="$2"
	printf '[%s] --- %s (%s) ---\n' "$XM_TEST" "$title" "$file" >&2
	if [[ -s "$file" ]]; then
		sed 's/^/    /' "$file" >&2
	else
		printf '    (empty)\n' >&2
	fi
}

xm_skip() {
	xm_log "SKIP: $*"
	exit "$XM_SKIP"
}

xm_die() {
	xm_err "$*"
	exit 1
}

# --- assertions: print expected vs actual, return 1 on failure ---------------

xm_assert_eq() {
	local what="$1" expected="$2" actual="$3"
	if [[ "$expected" == "$actual" ]]; then
		xm_log "ok: $what ($actual)"
		return 0
	fi
	xm_err "$what: expected '$expected', got '$actual'"
	return 1
}

# xm_assert_ge WHAT ACTUAL MIN: integers.
xm_assert_ge() {
	local what="$1" actual="$2" min="$3"
	if [[ "$actual" =~ ^-?[0-9]+$ ]] && ((actual >= min)); then
		xm_log "ok: $what ($actual >= $min)"
		return 0
	fi
	xm_err "$what: expected >= $min, got '$actual'"
	return 1
}

# xm_assert_match WHAT REGEX TEXT (extended regex, grep -E semantics, case-insensitive).
xm_assert_match() {
	local what="$1" regex="$2" text="$3"
	if grep -Eqi -- "$regex" <<<"$text"; then
		xm_log "ok: $what"
		return 0
	fi
	xm_err "$what: expected text matching /$regex/, got:"
	printf '%s\n' "$text" | sed 's/^/    /' >&2
	return 1
}

xm_assert_no_match() {
	local what="$1" regex="$2" text="$3"
	if ! grep -Eqi -- "$regex" <<<"$text"; then
		xm_log "ok: $what"
		return 0
	fi
	xm_err "$what: expected no text matching /$regex/, got:"
	printf '%s\n' "$text" | sed 's/^/    /' >&2
	return 1
}

# xm_assert_ok WHAT CMD...: CMD exits 0. CMD's output is shown only on failure.
xm_assert_ok() {
	local what="$1" rc=0 out
	shift
	out="$("$@" 2>&1)" || rc=$?
	if ((rc == 0)); then
		xm_log "ok: $what"
		return 0
	fi
	xm_err "$what: expected exit 0, got $rc from: $*"
	[[ -z "$out" ]] || printf '%s\n' "$out" | sed 's/^/    /' >&2
	return 1
}

# xm_assert_fails WHAT CMD...: CMD exits non-zero (a timeout, 124, does not count).
xm_assert_fails() {
	local what="$1" rc=0 out
	shift
	out="$("$@" 2>&1)" || rc=$?
	if ((rc != 0 && rc != 124)); then
		xm_log "ok: $what (exit $rc)"
		return 0
	fi
	xm_err "$what: expected a non-zero exit, got $rc from: $*"
	[[ -z "$out" ]] || printf '%s\n' "$out" | sed 's/^/    /' >&2
	return 1
}

# xm_run TIMEOUT_S NS CMD...: run CMD in NS with a time limit; sets XM_RC (124
# on timeout) and XM_OUT (stdout and stderr). Never fails by itself.
XM_RC=0
XM_OUT=""
xm_run() {
	local t="$1" ns="$2"
	shift 2
	XM_RC=0
	XM_OUT="$(timeout "$t" nsenter --net="/run/netns/$ns" -- "$@" 2>&1)" || XM_RC=$?
}

# xm_assert_refused WHAT: the last xm_run exited non-zero, in time, and said
# something (an error a user can act on).
xm_assert_refused() {
	local what="$1"
	if ((XM_RC == 124)); then
		xm_err "$what: expected a prompt non-zero exit, got a timeout; output:"
	elif ((XM_RC == 0)); then
		xm_err "$what: expected a non-zero exit, got 0; output:"
	elif [[ -z "$XM_OUT" ]]; then
		xm_err "$what: exited $XM_RC but printed no error message"
		return 1
	else
		xm_log "ok: $what (exit $XM_RC): $XM_OUT"
		return 0
	fi
	printf '%s\n' "$XM_OUT" | sed 's/^/    /' >&2
	return 1
}

# xm_wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s until it exits 0.
xm_wait_until() {
	local timeout="$1" deadline
	shift
	deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.1
	done
}

# --- lifecycle ------------------------------------------------------------------

xm_require_root() {
	if [[ "$(id -u)" -ne 0 ]]; then
		xm_skip "needs root (network namespaces, BPF)"
	fi
}

# xm_require_cmd CMD...: skip when a host tool is missing (scripts/deps.sh installs them).
xm_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || xm_skip "'$c' not found (run scripts/deps.sh)"
	done
}

# xm_require_build FILE...: a missing build product is a failure, not a skip:
# the suite runs from the build tree that meson just built.
xm_require_build() {
	local f
	for f in "$@"; do
		[[ -x "$f" ]] || xm_die "$f is missing: build first (meson compile -C ${XM_BUILD})"
	done
}

# The ERR trap: where the test stopped. Inside $(...) it stays quiet, the
# command that used the substitution reports.
xm_on_err() {
	((BASH_SUBSHELL == 0)) || return 0
	xm_err "${BASH_SOURCE[1]##*/}:$2: exit $1 from: $3"
}

xm_init() {
	XM_TEST="$(basename "${0%.sh}")"
	xm_require_root
	xm_require_cmd ip tc nsenter python3 nstat
	XM_TMP="$(mktemp -d "/tmp/xm-${XM_TEST}-$$.XXXXXX")"
	# The test's real stdout and stderr, for the cleanup: a trap can run while
	# a function's output is redirected to a log file.
	exec {XM_STDOUT}>&1 {XM_STDERR}>&2
	xm_reap_stale
	trap 'xm_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'xm_on_err "$?" "${LINENO}" "${BASH_COMMAND}"' ERR
	xm_log "work dir $XM_TMP, build $XM_BUILD"
}

# xm_reap_stale: delete namespaces xm-<test>-<pid>-<x> whose test process is
# gone (a run killed with SIGKILL, e.g. by meson 0.5 s after its timeout).
xm_reap_stale() {
	local ns pid
	while read -r ns _; do
		[[ "$ns" =~ ^xm-.+-([0-9]+)-[a-z]$ ]] || continue
		pid="${BASH_REMATCH[1]}"
		if ! kill -0 "$pid" 2>/dev/null; then
			xm_log "removing stale namespace $ns (its test, pid $pid, is gone)"
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
			ip netns del "$ns" 2>/dev/null || true
		fi
	done < <(ip netns list 2>/dev/null)
}

# xm_ns_name SUFFIX: the name of this test's namespace SUFFIX (a, b, c...).
xm_ns_name() { printf 'xm-%s-%s-%s' "$XM_TEST" "$$" "$1"; }

# xm_ns_add SUFFIX: create namespace xm-<test>-<pid>-SUFFIX with lo up; sets
# XM_LAST_NS to its name (not printed: a $(...) subshell would lose the records).
XM_LAST_NS=""
xm_ns_add() {
	local ns
	ns="$(xm_ns_name "$1")"
	XM_LAST_NS="$ns"
	ip netns add "$ns"
	XM_NAMESPACES+=("$ns")
	XM_NS_INODE["$ns"]="$(stat -L -c %i "/run/netns/$ns")"
	ip -n "$ns" link set lo up
	xm_nsexec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# xm_nsexec NS CMD...: run CMD in NS's network namespace only (not a new mount
# namespace as `ip netns exec` would, so /sys/fs/bpf is the host's).
xm_nsexec() {
	local ns="$1"
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# xm_bg LOG NS CMD...: start CMD in NS in the background, output to LOG;
# sets XM_LAST_PID. The cleanup trap kills it.
XM_LAST_PID=""
xm_bg() {
	local logf="$1" ns="$2"
	shift 2
	nsenter --net="/run/netns/$ns" -- "$@" >"$logf" 2>&1 </dev/null &
	XM_LAST_PID=$!
	XM_PIDS+=("$XM_LAST_PID")
}

# xm_veth NS1 NAME1 NS2 NAME2: a veth pair from NS1 to NS2, both ends up.
xm_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# xm_topology N [middle]: side A and side B joined by N paths (see the top of
# this file). With "middle", every path runs through a third namespace
# $XM_NS_M that bridges it (A xm<i> - M a<i> =br<i>= M b<i> - B xm<i>, same
# addresses): the place for loss, duplication and shaping "on the wire", after
# everything the hosts' hooks do. Impair M's b<i> for A->B and a<i> for B->A.
XM_NS_M=""
xm_topology() {
	local n="$1" middle="${2:-}" i
	xm_ns_add a
	XM_NS_A="$XM_LAST_NS"
	xm_ns_add b
	XM_NS_B="$XM_LAST_NS"
	if [[ "$middle" == middle ]]; then
		xm_ns_add m
		XM_NS_M="$XM_LAST_NS"
	fi
	# shellcheck disable=SC2034 # for the tests
	XM_NPATHS="$n"
	xm_nsexec "$XM_NS_A" sysctl -qw net.mptcp.enabled=0
	xm_nsexec "$XM_NS_B" sysctl -qw net.mptcp.enabled=1
	for ((i = 1; i <= n; i++)); do
		if [[ -n "$XM_NS_M" ]]; then
			xm_veth "$XM_NS_A" "xm$i" "$XM_NS_M" "a$i"
			xm_veth "$XM_NS_M" "b$i" "$XM_NS_B" "xm$i"
			ip -n "$XM_NS_M" link add "br$i" type bridge
			ip -n "$XM_NS_M" link set "a$i" master "br$i"
			ip -n "$XM_NS_M" link set "b$i" master "br$i"
			ip -n "$XM_NS_M" link set "br$i" up
		else
			xm_veth "$XM_NS_A" "xm$i" "$XM_NS_B" "xm$i"
		fi
		ip -n "$XM_NS_A" addr add "198.18.$i.1/24" dev "xm$i"
		ip -n "$XM_NS_B" addr add "198.18.$i.2/24" dev "xm$i"
		ip -n "$XM_NS_A" -6 addr add "2001:db8:$i::1/64" dev "xm$i" nodad
		ip -n "$XM_NS_B" -6 addr add "2001:db8:$i::2/64" dev "xm$i" nodad
	done
	# The kernel peer's path manager: accept what a multipath peer announces.
	ip -n "$XM_NS_B" mptcp limits set subflows 8 add_addr_accepted 8
	xm_log "topology: $XM_NS_A (xmptcp, mptcp off) <-> ${XM_NS_M:+$XM_NS_M (bridge) <-> }$XM_NS_B (kernel MPTCP), $n path(s)"
}

# xm_addr4 PATH SIDE / xm_addr6 PATH SIDE: address of SIDE (a|b) on path PATH.
xm_addr4() { if [[ "$2" == a ]]; then echo "198.18.$1.1"; else echo "198.18.$1.2"; fi; }
xm_addr6() { if [[ "$2" == a ]]; then echo "2001:db8:$1::1"; else echo "2001:db8:$1::2"; fi; }

# xm_shape NS DEV RATE: tbf rate limit on DEV's egress (e.g. 100mbit). tbf, not
# netem: this host's kernel has no netem.
xm_shape() {
	tc -n "$1" qdisc replace dev "$2" root tbf rate "$3" burst 64kb latency 50ms
}

# --- cleanup -----------------------------------------------------------------

# xm_kill_pids PID...: SIGTERM, wait up to 5 s, then SIGKILL. Returns 1 when
# something needed the SIGKILL.
xm_kill_pids() {
	local pid deadline alive=() rc=0
	# Only those still there: waiting for one already reaped makes bash complain.
	for pid in "$@"; do
		if kill -TERM "$pid" 2>/dev/null; then
			alive+=("$pid")
		fi
	done
	set -- "${alive[@]}"
	deadline=$((SECONDS + 5))
	for pid in "$@"; do
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			xm_err "pid $pid ignored SIGTERM for 5s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			rc=1
		fi
		wait "$pid" 2>/dev/null || true
	done
	return "$rc"
}

xm_cleanup() {
	local rc=$? ns pid inode leaks=0 pids=() left=()
	trap - ERR
	set +e
	((XM_CLEANED)) && return
	XM_CLEANED=1
	exec 1>&"$XM_STDOUT" 2>&"$XM_STDERR"

	# Fast first (meson sends SIGKILL 0.5 s after the SIGTERM of a timeout):
	# signal everything, then delete the namespaces, then wait.
	for ns in "${XM_NAMESPACES[@]}"; do
		mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
		for pid in "${pids[@]}"; do
			# Not started by the test itself (a child of one of ours, say).
			if [[ " ${XM_PIDS[*]} " != *" $pid "* ]]; then
				left+=("$pid")
			fi
		done
	done
	for pid in "${XM_PIDS[@]}" "${left[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${XM_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# A daemon the test left running must still stop cleanly on SIGTERM.
	for ns in "${!XM_DAEMON_PID[@]}"; do
		if ! xm_kill_pids "${XM_DAEMON_PID[$ns]}"; then
			xm_err "leak: xmptcpd of $ns did not exit on SIGTERM"
			leaks=1
		fi
	done
	((${#XM_PIDS[@]})) && xm_kill_pids "${XM_PIDS[@]}"
	# Children of ours (a loader's helper, say) are usually gone by now; any
	# survivor is noted and killed. Only xmptcp leftovers fail the test, below.
	if ((${#left[@]})); then
		mapfile -t left < <(for pid in "${left[@]}"; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done)
		if ((${#left[@]})); then
			xm_log "note: killing processes left in the test's namespaces: ${left[*]}"
			xm_kill_pids "${left[@]}"
		fi
	fi

	# Nothing of xmptcp may outlive the test: no daemon of ours, no pin dir of
	# our namespaces (the inode is only valid while nothing reused it, which
	# it cannot before we looked).
	for ns in "${!XM_DAEMON_PID[@]}"; do
		pid="${XM_DAEMON_PID[$ns]}"
		if kill -0 "$pid" 2>/dev/null; then
			xm_err "leak: xmptcpd (pid $pid) of $ns still runs"
			kill -KILL "$pid" 2>/dev/null
			leaks=1
		fi
	done
	for ns in "${!XM_NS_INODE[@]}"; do
		inode="${XM_NS_INODE[$ns]}"
		if [[ -e "$XM_BPFFS/xmptcp/net-$inode" ]]; then
			# shellcheck disable=SC2012 # only for the message
			xm_err "leak: pin dir $XM_BPFFS/xmptcp/net-$inode of $ns is still there: $(ls -A "$XM_BPFFS/xmptcp/net-$inode" | tr '\n' ' ')"
			rm -rf "$XM_BPFFS/xmptcp/net-$inode"
			leaks=1
		fi
	done
	# The daemon removes xmptcp/ with its last namespace dir; after a leak we do.
	if ((leaks)) && [[ -d "$XM_BPFFS/xmptcp" ]]; then
		rmdir "$XM_BPFFS/xmptcp" 2>/dev/null
	fi

	if [[ -n "$XM_TMP" && -d "$XM_TMP" ]]; then
		if [[ "${XM_KEEP:-0}" == 1 || ($rc -ne 0 && $rc -ne $XM_SKIP) ]]; then
			xm_log "work dir kept: $XM_TMP"
		else
			rm -rf "$XM_TMP"
		fi
	fi

	if ((leaks && (rc == 0 || rc == XM_SKIP))); then
		rc=1
	fi
	case "$rc" in
	0) xm_log "PASS" ;;
	"$XM_SKIP") ;;
	*) xm_log "FAIL (exit $rc)" ;;
	esac
	exit "$rc"
}

# --- daemon and CLI ----------------------------------------------------------

# xm_ctl NS ARGS...: run mptcpctl in NS.
xm_ctl() {
	local ns="$1"
	shift
	xm_nsexec "$ns" "$MPTCPCTL" "$@"
}

# xm_daemon_start NS [ARGS...]: start xmptcpd in NS, wait until `mptcpctl
# status` exits 0. Fails with the daemon's log when it exits or times out.
xm_daemon_start() {
	# 15 s; 60 s in a vmtest guest, where xmptcpd's start (it probes 50-odd
	# kernel features by loading BPF programs) takes more than 15 s under TCG.
	local ns="$1" timeout="${XM_DAEMON_TIMEOUT:-15}" logf deadline pid
	[[ -n "${XM_DAEMON_TIMEOUT:-}" || "${VMTEST_GUEST:-0}" != 1 ]] || timeout=60
	shift
	xm_require_build "$XMPTCPD" "$MPTCPCTL"
	logf="$XM_TMP/xmptcpd-$ns.log"
	xm_bg "$logf" "$ns" "$XMPTCPD" "$@"
	pid="$XM_LAST_PID"
	local what="xmptcpd${*:+ $*}"
	XM_DAEMON_PID["$ns"]="$pid"
	deadline=$((SECONDS + timeout))
	until xm_ctl "$ns" status >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			local rc=0
			wait "$pid" || rc=$?
			unset 'XM_DAEMON_PID[$ns]'
			xm_show "xmptcpd log" "$logf"
			xm_err "$what in $ns exited with $rc before 'mptcpctl status' succeeded"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			xm_show "xmptcpd log" "$logf"
			xm_err "'mptcpctl status' in $ns did not exit 0 within ${timeout}s of starting $what (pid $pid)"
			return 1
		fi
		sleep 0.1
	done
	xm_log "$what running in $ns (pid $pid)"
}

# xm_daemon_stop NS: SIGTERM the daemon of NS and wait; fails when it does not
# exit within 10 s or exits non-zero.
xm_daemon_stop() {
	local ns="$1" pid rc=0 deadline
	pid="${XM_DAEMON_PID[$ns]:-}"
	[[ -n "$pid" ]] || xm_die "xm_daemon_stop: no daemon started in $ns"
	kill -TERM "$pid"
	deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		xm_show "xmptcpd log" "$XM_TMP/xmptcpd-$ns.log"
		xm_err "xmptcpd (pid $pid) in $ns still runs 10s after SIGTERM"
		return 1
	fi
	wait "$pid" || rc=$?
	unset 'XM_DAEMON_PID[$ns]'
	if ((rc != 0)); then
		xm_show "xmptcpd log" "$XM_TMP/xmptcpd-$ns.log"
		xm_err "xmptcpd in $ns exited with $rc after SIGTERM (expected 0)"
		return 1
	fi
	xm_log "xmptcpd in $ns stopped (exit 0)"
}

# xm_pin_dir NS: where the daemon of NS pins its maps.
xm_pin_dir() { printf '%s/xmptcp/net-%s\n' "$XM_BPFFS" "${XM_NS_INODE[$1]}"; }

# xm_stat NS NAME: value of datapath counter NAME (e.g. RxTcp) from
# `mptcpctl -j stats`; 0 when absent. Accepts {"RxTcp": N}, {"RxTcp":
# {"value": N}} and [{"name": "RxTcp", "value": N}] anywhere in the reply.
xm_stat() {
	local ns="$1" name="$2" out
	out="$(xm_ctl "$ns" -j stats)" || {
		xm_err "mptcpctl -j stats failed in $ns"
		return 1
	}
	python3 -c '
import json, sys
name = sys.argv[1]
def find(o):
    if isinstance(o, dict):
        if o.get("name") == name and isinstance(o.get("value"), int):
            return o["value"]
        for k, v in o.items():
            if k == name:
                if isinstance(v, int):
                    return v
                if isinstance(v, dict) and isinstance(v.get("value"), int):
                    return v["value"]
            r = find(v)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
    return None
v = find(json.load(sys.stdin))
print(0 if v is None else v)' "$name" <<<"$out"
}

# xm_json_check: stdin must be one JSON document; prints nothing, exit 0/1.
xm_json_check() { python3 -c 'import json, sys; json.load(sys.stdin)'; }

# xm_json_has_string STRING: stdin is JSON holding STRING as a key or a value.
xm_json_has_string() {
	python3 -c '
import json, sys
want = sys.argv[1]
def walk(o):
    if isinstance(o, dict):
        return any(k == want or walk(v) for k, v in o.items())
    if isinstance(o, list):
        return any(walk(v) for v in o)
    return o == want
sys.exit(0 if walk(json.load(sys.stdin)) else 1)' "$1"
}

# --- links -------------------------------------------------------------------

# xm_links NS: non-loopback interface names of NS, one a line.
xm_links() {
	ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 != "lo") print $2 }'
}

# xm_has_xdp NS DEV: an XDP program is attached to DEV.
xm_has_xdp() { ip -n "$1" -d link show dev "$2" | grep -q 'prog/xdp'; }

# xm_has_tc_ingress NS DEV: the datapath's tc_ingress program sits on DEV's
# clsact ingress (where xmptcpd --ingress auto puts it on veth devices).
xm_has_tc_ingress() {
	tc -n "$1" filter show dev "$2" ingress 2>/dev/null | grep -q 'name tc_ingress'
}

# xm_has_ingress NS DEV HOOK: DEV's ingress pipeline runs at HOOK (xdp or tc)
# and only there: the datapath's program on that hook, none on the other.
xm_has_ingress() {
	case "$3" in
	xdp) xm_has_xdp "$1" "$2" && ! xm_has_tc_ingress "$1" "$2" ;;
	tc) xm_has_tc_ingress "$1" "$2" && ! xm_has_xdp "$1" "$2" ;;
	*) xm_die "xm_has_ingress: unknown hook '$3' (expected: xdp, tc)" ;;
	esac
}

# xm_has_tc_egress NS DEV: the datapath's tc_egress program sits on DEV's
# egress, as a clsact filter (tc filter show) or a tcx link (bpftool net).
# Other egress programs (xm-impair's tc_impair) do not count.
xm_has_tc_egress() {
	if tc -n "$1" filter show dev "$2" egress 2>/dev/null | grep -q 'name tc_egress'; then
		return 0
	fi
	xm_nsexec "$1" bpftool net show dev "$2" 2>/dev/null | grep -q 'egress.*tc_egress'
}

# --- transfers -----------------------------------------------------------------

# xm_transfer NAME SERVER_NS SERVER_PROTO CLIENT_NS CLIENT_PROTO ADDR BYTES [SEED]:
# one xfer.py transfer; PROTO is tcp or mptcp. Passes when both ends exit 0
# and the hashes and byte counts are equal. Sets XM_XFER_SERVER_MODE and
# XM_XFER_CLIENT_MODE (tcp, mptcp or fallback).
XM_XFER_PORT=20000
XM_XFER_SERVER_MODE=""
XM_XFER_CLIENT_MODE=""
xm_transfer() {
	local name="$1" sns="$2" sproto="$3" cns="$4" cproto="$5" addr="$6" bytes="$7"
	local seed="${8:-$RANDOM}" port spid rc=0 src=0 s c
	local slog="$XM_TMP/$name.server.log" clog="$XM_TMP/$name.client.log"
	local sout="$XM_TMP/$name.server.sha" cout="$XM_TMP/$name.client.sha"
	local ready="$XM_TMP/$name.ready"
	port=$((XM_XFER_PORT++))
	xm_bg "$slog" "$sns" python3 "$XM_XFER" serve "--$sproto" --port "$port" \
		--sha256-out "$sout" --ready-file "$ready" --timeout "${XM_XFER_TIMEOUT:-60}"
	spid="$XM_LAST_PID"
	if ! xm_wait_until 10 test -e "$ready"; then
		xm_show "server log" "$slog"
		xm_err "$name: server did not listen within 10s"
		return 1
	fi
	xm_nsexec "$cns" python3 "$XM_XFER" send "--$cproto" --to "$addr" --port "$port" \
		--bytes "$bytes" --seed "$seed" --sha256-out "$cout" \
		--timeout "${XM_XFER_TIMEOUT:-60}" >"$clog" 2>&1 || rc=$?
	wait "$spid" || src=$?
	if ((rc != 0 || src != 0)) || [[ ! -s "$sout" || ! -s "$cout" ]]; then
		xm_show "server log" "$slog"
		xm_show "client log" "$clog"
		xm_err "$name: transfer failed (client exit $rc, server exit $src)"
		return 1
	fi
	read -r -a s <"$sout"
	read -r -a c <"$cout"
	XM_XFER_SERVER_MODE="${s[2]}"
	XM_XFER_CLIENT_MODE="${c[2]}"
	if [[ "${s[0]}" != "${c[0]}" || "${s[1]}" != "$bytes" || "${c[1]}" != "$bytes" ]]; then
		xm_err "$name: expected $bytes bytes sha256 ${c[0]}, received ${s[1]} bytes sha256 ${s[0]}"
		return 1
	fi
	xm_log "ok: $name: $bytes bytes, sha256 ${s[0]:0:16}... equal (server $XM_XFER_SERVER_MODE, client $XM_XFER_CLIENT_MODE)"
}

xm_pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# xm_transfer_bidir NAME SERVER_NS SERVER_PROTO CLIENT_NS CLIENT_PROTO ADDR
# C2S_BYTES S2C_BYTES [EXTRA_CLIENT_ARGS...]: both directions at once (xfer.py
# send --bidir / serve --send-bytes); passes when both ends exit 0 and each
# side received exactly what the other sent (SHA-256 and count). Sets
# XM_XFER_SERVER_MODE / XM_XFER_CLIENT_MODE (tcp, mptcp, fallback),
# XM_XFER_SERVER_ISMPTCP / XM_XFER_CLIENT_ISMPTCP (TCP_IS_MPTCP: 1, 0 or -)
# XM_XFER_SECONDS (wall time of the client) and XM_XFER_CLIENT_RC /
# XM_XFER_SERVER_RC (exit statuses; 3: a wrong byte arrived, every received
# byte is checked as it arrives). XM_XFER_SERVER_ARGS (an
# array, may be unset) adds arguments to the server.
XM_XFER_SERVER_ISMPTCP=""
XM_XFER_CLIENT_ISMPTCP=""
XM_XFER_SECONDS=0
XM_XFER_CLIENT_RC=0
XM_XFER_SERVER_RC=0
xm_transfer_bidir() {
	local name="$1" sns="$2" sproto="$3" cns="$4" cproto="$5" addr="$6" c2s="$7" s2c="$8"
	shift 8
	local port spid rc=0 src=0 s c t0 sseed=$RANDOM cseed=$RANDOM
	local slog="$XM_TMP/$name.server.log" clog="$XM_TMP/$name.client.log"
	local sout="$XM_TMP/$name.server.sha" cout="$XM_TMP/$name.client.sha"
	local ready="$XM_TMP/$name.ready"
	local -a sargs=()
	if declare -p XM_XFER_SERVER_ARGS >/dev/null 2>&1; then
		sargs=("${XM_XFER_SERVER_ARGS[@]}")
	fi
	port=$((XM_XFER_PORT++))
	xm_bg "$slog" "$sns" python3 "$XM_XFER" serve "--$sproto" --port "$port" \
		--sha256-out "$sout" --ready-file "$ready" --timeout "${XM_XFER_TIMEOUT:-60}" \
		--send-bytes "$s2c" --seed "$sseed" --peer-seed "$cseed" "${sargs[@]}"
	spid="$XM_LAST_PID"
	if ! xm_wait_until 10 test -e "$ready"; then
		xm_show "server log" "$slog"
		xm_err "$name: server did not listen within 10s"
		return 1
	fi
	t0="$SECONDS"
	xm_nsexec "$cns" python3 "$XM_XFER" send "--$cproto" --to "$addr" --port "$port" \
		--bytes "$c2s" --seed "$cseed" --peer-seed "$sseed" --sha256-out "$cout" --bidir \
		--timeout "${XM_XFER_TIMEOUT:-60}" "$@" >"$clog" 2>&1 || rc=$?
	# A client that failed: the server may wait for a close it never learns
	# of; give it 3 s, not its whole timeout.
	if ((rc != 0)) && ! xm_wait_until 3 xm_pid_gone "$spid"; then
		printf 'xfer: (killed by the test 3 s after the client failed)\n' >>"$slog"
		kill -TERM "$spid" 2>/dev/null || true
	fi
	wait "$spid" || src=$?
	XM_XFER_SECONDS=$((SECONDS - t0))
	# shellcheck disable=SC2034 # for the tests
	XM_XFER_CLIENT_RC="$rc" XM_XFER_SERVER_RC="$src"
	if ((rc == 3 || src == 3)); then
		xm_show "server log" "$slog"
		xm_show "client log" "$clog"
		xm_err "$name: DATA CORRUPTED: a side received a wrong byte (client exit $rc, server exit $src)"
		return 1
	fi
	if ((rc != 0 || src != 0)) || [[ ! -s "$sout" || ! -s "$cout" ]]; then
		xm_show "server log" "$slog"
		xm_show "client log" "$clog"
		xm_err "$name: transfer failed (client exit $rc, server exit $src)"
		return 1
	fi
	read -r -a s <"$sout"
	read -r -a c <"$cout"
	XM_XFER_SERVER_MODE="${s[2]}"
	XM_XFER_CLIENT_MODE="${c[2]}"
	XM_XFER_SERVER_ISMPTCP="${s[3]}"
	XM_XFER_CLIENT_ISMPTCP="${c[3]}"
	if [[ "${s[0]}" != "${c[4]}" || "${s[1]}" != "$c2s" || "${c[5]}" != "$c2s" ]]; then
		xm_err "$name: client->server: sent $c2s bytes sha256 ${c[4]}, server received ${s[1]} bytes sha256 ${s[0]}"
		return 1
	fi
	if [[ "${c[0]}" != "${s[4]}" || "${c[1]}" != "$s2c" || "${s[5]}" != "$s2c" ]]; then
		xm_err "$name: server->client: sent $s2c bytes sha256 ${s[4]}, client received ${c[1]} bytes sha256 ${c[0]}"
		return 1
	fi
	xm_log "ok: $name: $c2s bytes up (sha256 ${s[0]:0:12}...) and $s2c down (sha256 ${c[0]:0:12}...) equal, ${XM_XFER_SECONDS}s (server $XM_XFER_SERVER_MODE/$XM_XFER_SERVER_ISMPTCP, client $XM_XFER_CLIENT_MODE/$XM_XFER_CLIENT_ISMPTCP)"
}

# xm_no_conn_state NS: nothing of any connection is left in NS's datapath:
# xm_conns and xm_pending are empty and `mptcpctl conn show` lists nothing.
xm_no_conn_state() {
	local m
	for m in xm_conns xm_pending; do
		[[ "$(xm_ctl "$1" -j map dump "$m")" == *'"entries": []'* ]] || return 1
	done
	[[ "$(xm_ctl "$1" conn show | wc -l)" == 1 ]]
}

# --- kernel MPTCP peer counters -------------------------------------------------

# xm_nstat NS NAME: value of counter NAME of `nstat -az` in NS (0 when absent).
xm_nstat() {
	xm_nsexec "$1" nstat -asz 2>/dev/null | awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print 0 }'
}

# mptcp_counter NS NAME: a kernel MPTcpExt counter, with or without the prefix
# (MPCapableSYNRX or MPTcpExtMPCapableSYNRX).
mptcp_counter() {
	local name="$2"
	[[ "$name" == MPTcpExt* ]] || name="MPTcpExt$name"
	xm_nstat "$1" "$name"
}

# xm_mptcp_counters NS: print the non-zero MPTcpExt counters of NS.
xm_mptcp_counters() {
	xm_log "MPTcpExt counters of $1 (non-zero):"
	xm_nsexec "$1" nstat -asz 2>/dev/null | awk '/^MPTcpExt/ && $2 != 0 { printf "    %-36s %s\n", $1, $2 }'
}

# --- counters that must not move in a clean MPTCP connection ------------------
#
# One list each for the tests that check them (impair.sh, mptcp_roles.sh,
# vmtest/impair-xmptcp.sh); a test adds what holds only for its own cases.

# The kernel peer's MPTcpExt counters (without the prefix): fallbacks, broken
# mappings, checksum failures, resets it received. Not MPRstTx/MPFastcloseTx:
# a peer left in LAST-ACK by an earlier case may send them when it times out.
# shellcheck disable=SC2034 # for the tests that source lib.sh
XM_PEER_ZERO=(MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableDataFallback
	DSSNotMatching DSSCorruptionFallback DSSCorruptionReset DssFallback
	InfiniteMapRx DataCsumErr MPRstRx MPFailRx MPFastcloseRx FallbackFailed)
# Our datapath's (mptcpctl stats). Not DssTxNoSpace/DssTxCompact: SACK blocks
# take option space, and tc_egress then gives the segment its mapping
# (DssTxSackReplaced); DssTxNoMapping counts the segments it could not give
# one. DssTxMapUnknown: a retransmission with no recorded first mapping goes
# out under one of its own, and the kernel peer may take its bytes at the
# wrong data sequence number.
# shellcheck disable=SC2034 # for the tests that source lib.sh
XM_OUR_ZERO=(KeyQueueEmpty ConnTableFull DssTxNoMapping DssTxRetransSpan DssTxMapEvicted
	DssTxMapUnknown MPCapableFallbackSYNACK MPCapableNotManaged MPCapableFallbackACK
	DssChecksumTxFailed LingerDataAckFailed EventsLost)
# Our side's kernel (nstat names): no segment beyond the MTU. One built for a
# smaller header than the options it then got dies in the IP layer (DF:
# EMSGSIZE) before it reaches TC, on every try (bpf/sockops.h, CURRENT_MSS).
# shellcheck disable=SC2034 # for the tests that source lib.sh
XM_STACK_ZERO=(IpFragFails Ip6FragFails)

# --- counter snapshots: every counter in one exec (for slow guests) -------------
#
# mptcp_counter / xm_stat read one counter per call: an nsenter + nstat, or
# mptcpctl + python3, which costs 0.3-1.5 s each under TCG (vmtest). These
# read all of a namespace's counters at once into an associative array that
# the caller declared (declare -A SNAP=()); xm_snap_delta subtracts two.

# xm_snap_kernel NS ARRAY: ARRAY[name] = value for every counter of
# `nstat -asz` in NS (MPTcpExt*, TcpExt*, Tcp*, Ip*...: nstat's own names).
xm_snap_kernel() {
	local -n _xm_snap_k="$2"
	local name value _
	_xm_snap_k=()
	while read -r name value _; do
		[[ "$name" == \#* || ! "$value" =~ ^[0-9]+$ ]] && continue
		_xm_snap_k["$name"]="$value"
	done < <(xm_nsexec "$1" nstat -asz 2>/dev/null)
}

# xm_snap_stats NS ARRAY: ARRAY[name] = value for every datapath counter of
# `mptcpctl stats` in NS (RxTcp, ConnEstablished...). Fails when mptcpctl does.
xm_snap_stats() {
	local -n _xm_snap_s="$2"
	local out name value
	out="$(xm_ctl "$1" stats)" || {
		xm_err "mptcpctl stats failed in $1"
		return 1
	}
	_xm_snap_s=()
	while read -r name value; do
		[[ "$value" =~ ^[0-9]+$ ]] && _xm_snap_s["$name"]="$value"
	done <<<"$out"
}

# xm_snap_delta NEW OLD NAME: NEW[NAME] - OLD[NAME]; a counter absent from a
# snapshot counts as 0.
xm_snap_delta() {
	local -n _xm_new="$1" _xm_old="$2"
	echo $((${_xm_new[$3]:-0} - ${_xm_old[$3]:-0}))
}

# --- kernel differences (older peers, e.g. Debian's 6.1 in vmtest) --------------

# xm_assert_is_mptcp WHAT EXPECTED ACTUAL: ACTUAL is the peer socket's
# TCP_IS_MPTCP as xfer.py reports it (XM_XFER_*_ISMPTCP). Kernels without that
# socket option (6.1) give "err95" (EOPNOTSUPP) on an MPTCP connection and
# "err92" (ENOPROTOOPT) on one that fell back, whose TCP subflow answers: then
# nothing is checked and the caller's MPTCP_INFO check (XM_XFER_*_MODE) is
# what tells.
xm_assert_is_mptcp() {
	local what="$1" expected="$2" actual="$3"
	if [[ "$actual" == err95 || "$actual" == err92 ]]; then
		xm_log "skip: $what: no TCP_IS_MPTCP on $(uname -r) ($actual)"
		return 0
	fi
	xm_assert_eq "$what" "$expected" "$actual"
}

# --- captures ------------------------------------------------------------------

# xm_capture_start NS DEV FILE [FILTER...]: tcpdump on DEV into FILE; waits
# until tcpdump listens.
xm_capture_start() {
	local ns="$1" dev="$2" file="$3" logf
	shift 3
	xm_require_cmd tcpdump
	logf="$file.log"
	xm_bg "$logf" "$ns" tcpdump -i "$dev" -s 200 -U --immediate-mode -Z root -n -w "$file" "$@"
	XM_CAPTURE_PID["$file"]="$XM_LAST_PID"
	if ! xm_wait_until 10 grep -q 'listening on' "$logf"; then
		xm_show "tcpdump log" "$logf"
		xm_err "tcpdump on $dev in $ns did not start"
		return 1
	fi
}

# xm_capture_stop FILE: stop the capture writing FILE.
xm_capture_stop() {
	local pid="${XM_CAPTURE_PID[$1]}"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'XM_CAPTURE_PID[$1]'
}

# xm_tshark FILE ARGS...: tshark over a capture with MPTCP analysis on.
xm_tshark() {
	local file="$1"
	shift
	xm_require_cmd tshark
	tshark -n -r "$file" -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE "$@" 2>/dev/null
}

# xm_capture_count FILE DISPLAY_FILTER: packets of FILE matching the filter.
xm_capture_count() {
	xm_tshark "$1" -Y "$2" | wc -l
}
