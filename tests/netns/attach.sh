#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xmptcpd probes the kernel and logs a one-line summary, attaches to every
# non-loopback interface of its netns (ingress at TC on veth by default, or at
# XDP with --ingress xdp; TC egress), answers `mptcpctl status`, follows
# interfaces that come and go, refuses a second instance, coexists with a
# daemon in another netns, rejects an unknown -i or --ingress, replaces or
# removes what a killed daemon left, carries a kernel MPTCP transfer with
# --ingress xdp too, and leaves nothing attached or pinned after SIGTERM.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# assert_attached NS DEV [HOOK]: the ingress pipeline at HOOK (default tc:
# every device of this test is a veth) and only there, tc_egress on egress.
assert_attached() {
	local ns="$1" dev="$2" hook="${3:-tc}"
	xm_assert_ok "$dev in $ns has its ingress program at $hook only" \
		xm_has_ingress "$ns" "$dev" "$hook" ||
		{ ip -n "$ns" -d link show dev "$dev" >&2; tc -n "$ns" filter show dev "$dev" ingress >&2; return 1; }
	xm_assert_ok "$dev in $ns has tc_egress on clsact egress" xm_has_tc_egress "$ns" "$dev" ||
		{ tc -n "$ns" filter show dev "$dev" egress >&2; return 1; }
}

assert_detached() {
	local ns="$1" dev="$2"
	xm_assert_fails "$dev in $ns has no XDP" xm_has_xdp "$ns" "$dev" ||
		{ ip -n "$ns" -d link show dev "$dev" >&2; return 1; }
	xm_assert_fails "$dev in $ns has no tc_ingress on ingress" xm_has_tc_ingress "$ns" "$dev" ||
		{ tc -n "$ns" filter show dev "$dev" ingress >&2; return 1; }
	xm_assert_fails "$dev in $ns has no tc_egress on egress" xm_has_tc_egress "$ns" "$dev" ||
		{ tc -n "$ns" filter show dev "$dev" egress >&2; return 1; }
}

# status_ingress NS DEV HOOK: `mptcpctl -j status` says DEV's ingress hook is
# HOOK, with the daemon's program of that hook attached, and DEV attached.
status_ingress() {
	xm_ctl "$1" -j status | python3 -c '
import json, sys
st, dev, hook = json.load(sys.stdin), sys.argv[1], sys.argv[2]
prog = st["programs"]["xdp_ingress" if hook == "xdp" else "tc_ingress"]
for i in st["interfaces"]:
    if i["name"] == dev:
        ok = (i["ingress"] == hook and i["ingress_prog_id"] == prog and prog > 0
              and i["attached"] is True and ("xdp_mode" in i) == (hook == "xdp"))
        if not ok:
            print(f"{dev}: expected ingress {hook} with program {prog}, got {i}", file=sys.stderr)
        sys.exit(0 if ok else 1)
print(f"{dev} not in status", file=sys.stderr)
sys.exit(1)' "$2" "$3"
}

# status_lists NS DEV: `mptcpctl -j status` names DEV.
status_lists() { xm_ctl "$1" -j status | xm_json_has_string "$2"; }

# status_lists_not NS DEV: the daemon answers and does not name DEV.
status_lists_not() {
	local out
	out="$(xm_ctl "$1" -j status)" || return 1
	! xm_json_has_string "$2" <<<"$out"
}

# status_all_attached NS: `mptcpctl -j status` says "attached": true.
status_all_attached() {
	xm_ctl "$1" -j status | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin).get("attached") is True else 1)'
}

main() {
	local out dev pin_a pin_c ns_c

	xm_init
	xm_topology 2

	# --- -i with an unknown interface fails and says which -----------------
	xm_run 10 "$XM_NS_A" "$XMPTCPD" -i xmnosuch0
	xm_assert_refused "xmptcpd -i xmnosuch0 is refused"
	xm_assert_match "its error names the interface" 'xmnosuch0' "$XM_OUT"
	xm_assert_fails "after it, mptcpctl status in A exits non-zero" xm_ctl "$XM_NS_A" status

	# --- --ingress with an unknown hook fails and names the valid ones -------
	xm_run 10 "$XM_NS_A" "$XMPTCPD" --ingress xpd
	xm_assert_refused "xmptcpd --ingress xpd is refused"
	xm_assert_eq "it exits 2 (usage)" 2 "$XM_RC"
	xm_assert_match "its error names the value and the valid ones" "'xpd'.*auto, xdp, tc" "$XM_OUT"

	# --- -i limits the daemon to the interfaces named ----------------------
	xm_daemon_start "$XM_NS_A" -i xm1
	assert_attached "$XM_NS_A" xm1
	assert_detached "$XM_NS_A" xm2
	xm_assert_fails "status -j with -i xm1 does not list xm2" status_lists "$XM_NS_A" xm2
	xm_daemon_stop "$XM_NS_A"
	assert_detached "$XM_NS_A" xm1

	# --- attach on every interface -----------------------------------------
	xm_daemon_start "$XM_NS_A"
	xm_assert_match "its log has the kernel feature summary" \
		'Linux [^ ]+: ([0-9]+) of \1 required kernel features present' \
		"$(cat "$XM_TMP/xmptcpd-$XM_NS_A.log")"
	for dev in xm1 xm2; do
		assert_attached "$XM_NS_A" "$dev"
	done
	xm_assert_fails "lo has no XDP" xm_has_xdp "$XM_NS_A" lo
	xm_assert_fails "lo has no tc_ingress" xm_has_tc_ingress "$XM_NS_A" lo
	xm_assert_match "its log names the ingress hook of xm1 (tc, auto: veth)" \
		'attached to xm1 \(ifindex [0-9]+, veth\): ingress tc \(tc_ingress on clsact ingress; auto: veth\)' \
		"$(cat "$XM_TMP/xmptcpd-$XM_NS_A.log")"

	out="$(xm_ctl "$XM_NS_A" status)"
	xm_log "mptcpctl status:"
	printf '%s\n' "$out" | sed 's/^/    /'
	xm_assert_match "status (text) lists xm1" '(^|[^[:alnum:]])xm1([^[:alnum:]]|$)' "$out"
	xm_assert_match "status (text) lists xm2" '(^|[^[:alnum:]])xm2([^[:alnum:]]|$)' "$out"
	xm_assert_match "status (text) shows xm1's ingress hook tc, attached" \
		'(^|\n)[0-9]+ +xm1 +tc +[0-9]+ +[0-9]+ +attached' "$out"

	out="$(xm_ctl "$XM_NS_A" -j status)"
	xm_assert_ok "status -j is JSON" xm_json_check <<<"$out" || { printf '%s\n' "$out" >&2; return 1; }
	xm_assert_ok "status -j lists xm1" xm_json_has_string xm1 <<<"$out"
	xm_assert_ok "status -j lists xm2" xm_json_has_string xm2 <<<"$out"
	xm_assert_fails "status -j does not list lo" xm_json_has_string lo <<<"$out"
	for dev in xm1 xm2; do
		xm_assert_ok "status -j: $dev's ingress is tc_ingress, attached" \
			status_ingress "$XM_NS_A" "$dev" tc
	done

	pin_a="$(xm_pin_dir "$XM_NS_A")"
	xm_assert_ok "maps pinned under $pin_a" test -d "$pin_a"
	xm_log "pinned: $(find "$pin_a" -mindepth 1 -printf '%f ' 2>/dev/null)"

	# --- a second daemon in the same netns refuses -------------------------
	xm_run 10 "$XM_NS_A" "$XMPTCPD"
	xm_assert_refused "a second xmptcpd in $XM_NS_A is refused"
	xm_assert_match "its error says a daemon already runs" 'already|running|in use' "$XM_OUT"
	xm_assert_ok "the first daemon still answers" xm_ctl "$XM_NS_A" status
	xm_assert_ok "the first daemon's pins survive" test -d "$pin_a"
	assert_attached "$XM_NS_A" xm1

	# --- a daemon in another netns at the same time ------------------------
	xm_ns_add c
	ns_c="$XM_LAST_NS"
	xm_veth "$ns_c" xc1 "$ns_c" xc2
	xm_daemon_start "$ns_c"
	assert_attached "$ns_c" xc1
	assert_attached "$ns_c" xc2
	pin_c="$(xm_pin_dir "$ns_c")"
	xm_assert_ok "C's maps pinned under its own dir $pin_c" test -d "$pin_c"
	xm_assert_ok "C's status lists xc1" status_lists "$ns_c" xc1
	xm_assert_fails "C's status does not list A's xm1" status_lists "$ns_c" xm1
	xm_assert_fails "A's status does not list C's xc1" status_lists "$XM_NS_A" xc1
	xm_daemon_stop "$ns_c"
	xm_assert_fails "C's pin dir removed" test -e "$pin_c"

	# --- a daemon that died (SIGKILL) is replaced cleanly --------------------
	# Its XDP link dies with it; its tc filter and pins stay until a new
	# daemon takes over the namespace, which must then attach and clean up.
	xm_daemon_start "$ns_c"
	kill -KILL "${XM_DAEMON_PID[$ns_c]}"
	wait "${XM_DAEMON_PID[$ns_c]}" 2>/dev/null || true
	unset 'XM_DAEMON_PID[$ns_c]'
	xm_log "after SIGKILL: pins left: $(find "$pin_c" -mindepth 1 -printf '%f ' 2>/dev/null)"
	xm_daemon_start "$ns_c"
	assert_attached "$ns_c" xc1
	xm_assert_ok "the new daemon's status says all attached" status_all_attached "$ns_c"
	xm_assert_match "it replaced the dead daemon's tc_ingress" \
		'xc1: replaced the tc_ingress filter a previous xmptcpd left behind' \
		"$(cat "$XM_TMP/xmptcpd-$ns_c.log")"
	# Killed again, and the next daemon wants XDP: the dead daemon's
	# tc_ingress must not keep running beside it.
	kill -KILL "${XM_DAEMON_PID[$ns_c]}"
	wait "${XM_DAEMON_PID[$ns_c]}" 2>/dev/null || true
	unset 'XM_DAEMON_PID[$ns_c]'
	xm_assert_ok "after SIGKILL the tc_ingress filter stays" xm_has_tc_ingress "$ns_c" xc1
	xm_daemon_start "$ns_c" --ingress xdp
	assert_attached "$ns_c" xc1 xdp
	assert_attached "$ns_c" xc2 xdp
	xm_assert_ok "the --ingress xdp daemon's status says all attached" status_all_attached "$ns_c"
	xm_assert_match "it removed the dead daemon's tc_ingress" \
		'xc1: removed the tc_ingress filter a previous xmptcpd left behind' \
		"$(cat "$XM_TMP/xmptcpd-$ns_c.log")"
	xm_daemon_stop "$ns_c"
	assert_detached "$ns_c" xc1
	xm_assert_fails "C's pin dir removed after the restart" test -e "$pin_c"
	xm_assert_ok "A's daemon still answers after C's stopped" xm_ctl "$XM_NS_A" status
	xm_assert_ok "A's pins survive C's stop" test -d "$pin_a"
	assert_attached "$XM_NS_A" xm1

	# --- interfaces that come and go ---------------------------------------
	xm_veth "$XM_NS_A" xm9 "$XM_NS_B" xm9
	if ! xm_assert_ok "a veth added while running (xm9) shows in status within 10s" \
		xm_wait_until 10 status_lists "$XM_NS_A" xm9; then
		xm_ctl "$XM_NS_A" status >&2 || true
		return 1
	fi
	xm_assert_ok "xm9 gets tc_ingress within 5s" xm_wait_until 5 xm_has_tc_ingress "$XM_NS_A" xm9
	assert_attached "$XM_NS_A" xm9
	ip -n "$XM_NS_A" link del xm9
	if ! xm_assert_ok "a removed veth (xm9) leaves status within 10s" \
		xm_wait_until 10 status_lists_not "$XM_NS_A" xm9; then
		xm_ctl "$XM_NS_A" status >&2 || true
		return 1
	fi
	xm_assert_ok "the daemon still answers after the removal" xm_ctl "$XM_NS_A" status

	# --- SIGTERM: nothing left ---------------------------------------------
	xm_daemon_stop "$XM_NS_A"
	for dev in xm1 xm2; do
		assert_detached "$XM_NS_A" "$dev"
		xm_assert_eq "$dev: no tc filter at all on egress" "" \
			"$(tc -n "$XM_NS_A" filter show dev "$dev" egress 2>/dev/null)"
		xm_assert_eq "$dev: no tc filter at all on ingress" "" \
			"$(tc -n "$XM_NS_A" filter show dev "$dev" ingress 2>/dev/null)"
		xm_assert_no_match "$dev: the clsact the daemon created is gone" 'clsact' \
			"$(tc -n "$XM_NS_A" qdisc show dev "$dev")"
	done
	xm_assert_fails "pin dir $pin_a removed" test -e "$pin_a"
	xm_assert_fails "mptcpctl status exits non-zero once the daemon is gone" xm_ctl "$XM_NS_A" status

	# --- --ingress xdp: XDP on the veths, and an MPTCP transfer through it ----
	local bytes=$((8 * 1024 * 1024)) rx0
	xm_daemon_start "$XM_NS_A" --ingress xdp
	for dev in xm1 xm2; do
		assert_attached "$XM_NS_A" "$dev" xdp
		xm_assert_ok "status -j: $dev's ingress is xdp_ingress, attached" \
			status_ingress "$XM_NS_A" "$dev" xdp
	done
	xm_assert_ok "status -j says all attached" status_all_attached "$XM_NS_A"
	out="$(xm_ctl "$XM_NS_A" status)"
	xm_assert_match "status (text) shows xm1's ingress hook xdp" \
		'(^|\n)[0-9]+ +xm1 +xdp/(native|generic) +[0-9]+ +[0-9]+ +attached' "$out"
	rx0="$(xm_stat "$XM_NS_A" RxTcp)"
	xm_transfer_bidir ingress-xdp "$XM_NS_B" mptcp "$XM_NS_A" tcp "$(xm_addr4 1 b)" \
		"$bytes" "$bytes" || return 1
	xm_assert_eq "the kernel server's socket is MPTCP (MPTCP_INFO)" mptcp "$XM_XFER_SERVER_MODE"
	xm_assert_is_mptcp "the kernel server's TCP_IS_MPTCP while open" 1 "$XM_XFER_SERVER_ISMPTCP"
	xm_assert_ge "RxTcp rose by (XDP saw the peer's segments)" \
		"$(($(xm_stat "$XM_NS_A" RxTcp) - rx0))" 1000
	xm_daemon_stop "$XM_NS_A"
	for dev in xm1 xm2; do
		assert_detached "$XM_NS_A" "$dev"
	done
}

main "$@"
