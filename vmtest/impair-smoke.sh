#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Impairment smoke test, meant for the vmtest guest (Debian kernels have sch_netem; the
# development host's kernel does not):
#
#   vmtest/run --kernel 6.12 -- vmtest/impair-smoke.sh
#
# Two network namespaces joined by two veth pairs:
#   path 1  198.18.1.1 <-> 198.18.1.2   clean
#   path 2  198.18.2.1 <-> 198.18.2.2   netem delay 10ms loss 1% on both ends (RTT 20 ms)
# It checks that the delay is in effect (TCP connect time over path 2), then moves
# IMPAIR_BYTES (default 4 MiB) over plain TCP on path 2 and over kernel MPTCP (IPPROTO_MPTCP,
# net.mptcp.enabled=1) starting on path 1 with a subflow endpoint on path 2, with a
# SHA-256 of the stream computed on both ends and compared. Everything it creates is
# removed on exit, pass or fail. Exit 0 pass, 1 fail, 77 skip (not root, no netem).
#
# The datapath (xmptcpd) over impaired paths is vmtest/impair-xmptcp.sh.
set -u

BYTES=${IMPAIR_BYTES:-4194304}
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
tag=imp$$
NS_A=vmt-$tag-a
NS_B=vmt-$tag-b
work=
pids=()

log() { echo "impair-smoke: $*"; }
skip() { log "SKIP: $*"; exit 77; }
fail() { log "FAIL: $*"; exit 1; }

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ "$(id -u)" = 0 ] || skip "needs root (run it in the VM: vmtest/run -- $0)"
command -v ip >/dev/null && command -v tc >/dev/null || skip "needs iproute2 (ip, tc)"
modprobe sch_netem 2>/dev/null
work=$(mktemp -d /tmp/impair-smoke.XXXXXX) || fail "mktemp"

# The transfer program: "serve" accepts one connection, hashes what it reads to EOF, writes
# "sha bytes" to a file and back to the peer; "send" streams seeded pseudo-random bytes,
# half-closes, and compares the server's answer with its own hash.
cat >"$work/xfer.py" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only
import hashlib, random, socket, struct, sys, time
IPPROTO_MPTCP, SOL_MPTCP, MPTCP_INFO = 262, 284, 1
def mib(name):
    """An MPTcpExt counter of this netns (/proc/net/netstat)."""
    with open('/proc/net/netstat') as f:
        rows = [l.split() for l in f if l.startswith('MPTcpExt:')]
    return dict(zip(rows[0][1:], map(int, rows[1][1:]))).get(name, 0) if len(rows) == 2 else 0
mode, proto = sys.argv[1], IPPROTO_MPTCP if sys.argv[2] == 'mptcp' else socket.IPPROTO_TCP
if mode == 'serve':
    port, out, ready = int(sys.argv[3]), sys.argv[4], sys.argv[5]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(1)
    open(ready, 'w').close()
    c, _ = ls.accept()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    line = f'{h.hexdigest()} {n}'
    open(out, 'w').write(line + '\n')
    c.sendall(line.encode() + b'\n')
    c.close()
    print(f'serve: {line}')
else:
    addr, port, total, seed = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    s.settimeout(120)
    t0 = time.monotonic()
    s.connect((addr, port))
    t1 = tj = time.monotonic()
    rnd, h, left = random.Random(seed), hashlib.sha256(), total
    while left:
        b = rnd.randbytes(min(left, 1 << 16))
        h.update(b)
        s.sendall(b)
        left -= len(b)
        if proto == IPPROTO_MPTCP and tj == t1:
            # The path manager adds the subflow once the connection is fully established,
            # which takes data; let it join before the rest is gone (4 MiB over a clean
            # veth takes well under a second; a lost join SYN costs 1 s).
            while time.monotonic() - t1 < 10 and mib('MPJoinSynAckRx') < 1:
                time.sleep(0.02)
            tj = time.monotonic()
    t2 = time.monotonic()
    info = 'tcp'
    if proto == IPPROTO_MPTCP:
        try:
            info = (f'mptcp subflows={s.getsockopt(SOL_MPTCP, MPTCP_INFO, 64)[0] + 1} '
                    f'joined={mib("MPJoinSynAckRx")}')
        except OSError:
            info = 'mptcp fallback'
    s.shutdown(socket.SHUT_WR)
    reply = b''
    while True:
        b = s.recv(4096)
        if not b:
            break
        reply += b
    t3 = time.monotonic()
    mine = f'{h.hexdigest()} {total}'
    print(f'send: {mine} connect_ms={(t1 - t0) * 1000:.1f} join_wait_ms={(tj - t1) * 1000:.0f} '
          f'secs={t3 - t1:.2f} {info}')
    if reply.decode().strip() != mine:
        print(f'send: MISMATCH, server says {reply.decode().strip()!r}')
        sys.exit(1)
EOF

ip netns add "$NS_A" || fail "ip netns add"
ip netns add "$NS_B" || fail "ip netns add"
A() { ip netns exec "$NS_A" "$@"; }
B() { ip netns exec "$NS_B" "$@"; }
for i in 1 2; do
	ip link add "v${i}a" netns "$NS_A" type veth peer name "v${i}b" netns "$NS_B" ||
		fail "veth"
done
# ip -n and -batch rather than one "ip netns exec" each: an exec costs 0.1-0.3 s under TCG.
for side in a:1 b:2; do
	ip -n "vmt-$tag-${side%:*}" -batch - <<-EOF2 || fail "addresses"
		addr add 198.18.1.${side#*:}/24 dev v1${side%:*}
		addr add 198.18.2.${side#*:}/24 dev v2${side%:*}
		link set v1${side%:*} up
		link set v2${side%:*} up
		link set lo up
		EOF2
done
if ! tc -n "$NS_A" qdisc add dev v2a root netem delay 10ms loss 1% 2>"$work/tc.err"; then
	skip "no netem on $(uname -r): $(cat "$work/tc.err") (run it in the VM: vmtest/run -- $0)"
fi
tc -n "$NS_B" qdisc add dev v2b root netem delay 10ms loss 1% || fail "netem on v2b"
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1 || skip "no net.mptcp in $(uname -r)"
	ip -n "$ns" mptcp limits set subflows 2 add_addr_accepted 2 || fail "mptcp limits"
done
# The client (A) opens an extra subflow from its path-2 address.
ip -n "$NS_A" mptcp endpoint add 198.18.2.1 dev v2a subflow || fail "mptcp endpoint"

rc=0
port=5201
# xfer NAME PROTO SERVER_ADDR
xfer() {
	local name=$1 proto=$2 addr=$3 srv ready="$work/$1.ready"
	port=$((port + 1))
	B $PY "$work/xfer.py" serve "$proto" "$port" "$work/$name.sha" "$ready" \
		>"$work/$name.serve.log" 2>&1 &
	srv=$!
	pids+=("$srv")
	for _ in $(seq 200); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	[ -e "$ready" ] || { log "$name: server did not start"; cat "$work/$name.serve.log"; return 1; }
	A timeout 300 $PY "$work/xfer.py" send "$proto" "$addr" "$port" "$BYTES" "$port" \
		>"$work/$name.send.log" 2>&1
	local st=$?
	wait "$srv"
	local sst=$?
	cat "$work/$name.serve.log" "$work/$name.send.log" | sed "s/^/  $name: /"
	[ $st = 0 ] && [ $sst = 0 ] || { log "$name: transfer failed (send $st, serve $sst)"; return 1; }
	local want got
	want=$(sed -n 's/^send: \([0-9a-f]* [0-9]*\) .*/\1/p' "$work/$name.send.log")
	got=$(cat "$work/$name.sha")
	[ -n "$want" ] && [ "$want" = "$got" ] ||
		{ log "$name: SHA-256 differs (sender '$want', receiver '$got')"; return 1; }
	log "$name: $BYTES bytes, SHA-256 equal on both ends"
}

# The delay must be there: a TCP connect over path 2 takes one RTT, 20 ms or more.
xfer tcp-impaired tcp 198.18.2.2 || rc=1
ms=$(sed -n 's/.*connect_ms=\([0-9]*\).*/\1/p' "$work/tcp-impaired.send.log")
if [ -n "$ms" ] && [ "$ms" -ge 18 ]; then
	log "netem delay in effect (connect took $ms ms over path 2)"
else
	log "netem delay NOT in effect (connect took '${ms}' ms over path 2, want >= 18)"
	rc=1
fi

xfer mptcp mptcp 198.18.1.2 || rc=1
grep -q 'mptcp fallback' "$work/mptcp.send.log" && { log "mptcp: fell back to TCP"; rc=1; }
mib() { B nstat -asz "MPTcpExt$1" 2>/dev/null | awk -v n="MPTcpExt$1" '$1 == n {print $2}'; }
joins=$(mib MPJoinAckRx)
capable=$(mib MPCapableACKRX)
log "mptcp: server counters MPCapableACKRX=${capable:-?} MPJoinAckRx=${joins:-?}"
[ "${capable:-0}" -ge 1 ] || { log "mptcp: the server saw no MP_CAPABLE connection"; rc=1; }
[ "${joins:-0}" -ge 1 ] || { log "mptcp: no subflow joined over path 2"; rc=1; }

tc -n "$NS_A" -s qdisc show dev v2a | sed -n 's/^ *Sent/  netem v2a: Sent/p'
tc -n "$NS_B" -s qdisc show dev v2b | sed -n 's/^ *Sent/  netem v2b: Sent/p'
if [ $rc = 0 ]; then log "PASS on $(uname -r)"; else log "FAIL on $(uname -r)"; fi
exit $rc
