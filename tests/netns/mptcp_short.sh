#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# 1000 short MPTCP connections in a row in each role (shortconn.py: 1 KiB
# request, 1 KiB answer, every byte checked), closed by either side in turn,
# and 50 of them per role aborted with a RST (SO_LINGER {1,0}), 25 from each
# side (our side and the kernel peer). Afterwards:
#  - every exchange was correct, and the kernel peer's socket reported MPTCP
#    for every connection (MPTCP_INFO);
#  - the peer's MPCapable counters rose by the number of connections, its
#    fallback counters did not;
#  - ConnEstablished rose by the number of connections, ConnClosed by as many,
#    KeyQueueEmpty and ConnTableFull stayed 0 (the daemon refills the key
#    queue every 20 ms; 1000 back-to-back connects must not drain it);
#  - no state is left: xm_conns and xm_pending are empty, conn show lists
#    nothing.
# XM_SHORT_COUNT overrides the number of connections per role (200 in a
# vmtest guest, where TCG makes each one about 20 times slower; the aborts
# scale with it: one in 40 from each side), XM_SHORT_ROLES the roles
# ("client server").
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

COUNT=1000
[[ "${VMTEST_GUEST:-0}" != 1 ]] || COUNT=200
COUNT="${XM_SHORT_COUNT:-$COUNT}"
SHORTCONN="$XM_NETNS_DIR/shortconn.py"
PORT=21000

map_len() {
	xm_ctl "$XM_NS_A" -j map dump "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'
}
conn_count() {
	xm_ctl "$XM_NS_A" -j conn show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))'
}
# peer_mptcp_socks: the kernel peer's MPTCP sockets that are not listeners.
peer_mptcp_socks() { xm_nsexec "$XM_NS_B" ss -HMan | grep -cv LISTEN || true; }
peer_clean() { [[ "$(peer_mptcp_socks)" == 0 ]]; }

no_state_left() {
	[[ "$(map_len xm_conns)" == 0 && "$(map_len xm_pending)" == 0 && "$(conn_count)" == 0 ]]
}

# summary_get FILE EXPR: a value of shortconn.py's JSON summary (python expression on d).
summary_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# run_role ROLE(client|server): COUNT connections; A is ROLE.
run_role() {
	local role="$1" sns cns sproto cproto addr ready slog clog ssum csum spid rc=0 src=0 t0
	local p0s p0a p0sa p0fa p0fs e0 c0 k0 f0 n
	local port=$((PORT++))
	if [[ "$role" == client ]]; then
		sns="$XM_NS_B" sproto=mptcp cns="$XM_NS_A" cproto=tcp addr="$(xm_addr4 1 b)"
	else
		sns="$XM_NS_A" sproto=tcp cns="$XM_NS_B" cproto=mptcp addr="$(xm_addr4 1 a)"
	fi
	ready="$XM_TMP/$role.ready" slog="$XM_TMP/$role.server.log" clog="$XM_TMP/$role.client.log"
	ssum="$XM_TMP/$role.server.json" csum="$XM_TMP/$role.client.json"

	p0s="$(mptcp_counter "$XM_NS_B" MPCapableSYNRX)"
	p0a="$(mptcp_counter "$XM_NS_B" MPCapableACKRX)"
	p0sa="$(mptcp_counter "$XM_NS_B" MPCapableSYNACKRX)"
	p0fa="$(mptcp_counter "$XM_NS_B" MPCapableFallbackACK)"
	p0fs="$(mptcp_counter "$XM_NS_B" MPCapableFallbackSYNACK)"
	e0="$(xm_stat "$XM_NS_A" ConnEstablished)"
	c0="$(xm_stat "$XM_NS_A" ConnClosed)"
	k0="$(xm_stat "$XM_NS_A" KeyQueueEmpty)"
	f0="$(xm_stat "$XM_NS_A" ConnTableFull)"

	xm_bg "$slog" "$sns" python3 "$SHORTCONN" serve "--$sproto" --port "$port" --count "$COUNT" \
		--ready-file "$ready" --summary "$ssum"
	spid="$XM_LAST_PID"
	xm_wait_until 10 test -e "$ready" || { xm_show "server log" "$slog"; xm_die "$role: server did not start"; }
	t0="$SECONDS"
	xm_nsexec "$cns" python3 "$SHORTCONN" client "--$cproto" --to "$addr" --port "$port" \
		--count "$COUNT" --summary "$csum" >"$clog" 2>&1 || rc=$?
	wait "$spid" || src=$?
	TIMES+=("$role role: $COUNT connections in $((SECONDS - t0))s")
	if ((rc != 0 || src != 0)); then
		xm_show "server log" "$slog"
		xm_show "client log" "$clog"
		xm_err "$role role: shortconn failed (client exit $rc, server exit $src); checking the rest"
		FAILS=$((FAILS + 1))
	fi
	xm_log "$(tail -n 1 "$slog")"
	xm_log "$(tail -n 1 "$clog")"
	xm_assert_eq "$role role: client completed" "$COUNT" "$(summary_get "$csum" 'd["done"]')" || FAILS=$((FAILS + 1))
	xm_assert_eq "$role role: server completed" "$COUNT" "$(summary_get "$ssum" 'd["done"]')" || FAILS=$((FAILS + 1))
	xm_assert_ge "$role role: RSTs from the client" "$(summary_get "$csum" 'd["plans"].get("rst-client", 0)')" 1 || FAILS=$((FAILS + 1))
	xm_assert_ge "$role role: RSTs from the server" "$(summary_get "$ssum" 'd["plans"].get("rst-server", 0)')" 1 || FAILS=$((FAILS + 1))
	if [[ "$role" == client ]]; then
		xm_assert_eq "client role: the kernel server reported MPTCP on every connection" \
			"$COUNT" "$(summary_get "$ssum" 'd["modes"].get("mptcp", 0)')" || FAILS=$((FAILS + 1))
		xm_assert_eq "client role: peer MPCapableSYNRX rose by" "$COUNT" \
			$(($(mptcp_counter "$XM_NS_B" MPCapableSYNRX) - p0s)) || FAILS=$((FAILS + 1))
		xm_assert_eq "client role: peer MPCapableACKRX rose by" "$COUNT" \
			$(($(mptcp_counter "$XM_NS_B" MPCapableACKRX) - p0a)) || FAILS=$((FAILS + 1))
	else
		xm_assert_eq "server role: the kernel client reported MPTCP on every connection" \
			"$COUNT" "$(summary_get "$csum" 'd["modes"].get("mptcp", 0)')" || FAILS=$((FAILS + 1))
		xm_assert_eq "server role: peer MPCapableSYNACKRX rose by" "$COUNT" \
			$(($(mptcp_counter "$XM_NS_B" MPCapableSYNACKRX) - p0sa)) || FAILS=$((FAILS + 1))
	fi
	xm_assert_eq "$role role: peer MPCapableFallbackACK rose by" 0 \
		$(($(mptcp_counter "$XM_NS_B" MPCapableFallbackACK) - p0fa)) || FAILS=$((FAILS + 1))
	xm_assert_eq "$role role: peer MPCapableFallbackSYNACK rose by" 0 \
		$(($(mptcp_counter "$XM_NS_B" MPCapableFallbackSYNACK) - p0fs)) || FAILS=$((FAILS + 1))
	xm_assert_eq "$role role: KeyQueueEmpty rose by" 0 $(($(xm_stat "$XM_NS_A" KeyQueueEmpty) - k0)) || FAILS=$((FAILS + 1))
	xm_assert_eq "$role role: ConnTableFull rose by" 0 $(($(xm_stat "$XM_NS_A" ConnTableFull) - f0)) || FAILS=$((FAILS + 1))
	xm_assert_eq "$role role: ConnEstablished rose by (one per MPTCP connection)" "$COUNT" \
		$(($(xm_stat "$XM_NS_A" ConnEstablished) - e0)) || FAILS=$((FAILS + 1))
	# Closed sockets leave xm_conns at once; TIME_WAIT is not a socket of ours,
	# and the server role's late RST (bpf/meta.h) comes within a second.
	if ! xm_wait_until 15 no_state_left; then
		xm_err "$role role: state left 15s after the last connection:" \
			"xm_conns $(map_len xm_conns), xm_pending $(map_len xm_pending), conn show $(conn_count)"
		xm_ctl "$XM_NS_A" -j map dump xm_conns | head -40 >&2
		xm_ctl "$XM_NS_A" -j map dump xm_pending | head -40 >&2
		FAILS=$((FAILS + 1))
	else
		xm_log "ok: $role role: xm_conns, xm_pending and conn show are empty"
	fi
	# The peer must have closed every MPTCP connection too: a DATA_FIN we never
	# acknowledge or an abort it never learnt of leaves it in LAST-ACK or
	# ESTABLISHED for a minute or more.
	if ! xm_wait_until 5 peer_clean; then
		xm_err "$role role: the kernel peer still holds $(peer_mptcp_socks) MPTCP socket(s) 5s after the last connection, by state:" \
			"$(xm_nsexec "$XM_NS_B" ss -HMan | awk '$1 != "LISTEN" { n[$1]++ } END { for (s in n) printf "%s %d; ", s, n[s] }')"
		xm_nsexec "$XM_NS_B" ss -Man | sed -n '1,6p' | sed 's/^/    /' >&2
		FAILS=$((FAILS + 1))
	else
		xm_log "ok: $role role: the kernel peer holds no MPTCP connection any more"
	fi
	n=$(($(xm_stat "$XM_NS_A" ConnClosed) - c0))
	xm_assert_eq "$role role: ConnClosed rose by (as ConnEstablished)" "$COUNT" "$n" || FAILS=$((FAILS + 1))
}

FAILS=0

main() {
	TIMES=()
	xm_init
	xm_topology 1
	xm_daemon_start "$XM_NS_A"
	local role
	for role in ${XM_SHORT_ROLES:-client server}; do
		run_role "$role"
	done
	xm_mptcp_counters "$XM_NS_B"
	xm_log "timings:"
	printf '    %s\n' "${TIMES[@]}"
	xm_daemon_stop "$XM_NS_A"
	if ((FAILS)); then
		xm_err "$FAILS check(s) failed (see above)"
		return 1
	fi
}

main "$@"
