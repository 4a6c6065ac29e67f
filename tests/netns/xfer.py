#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integrity-checked bulk transfer over plain TCP or kernel MPTCP.

    xfer.py serve --tcp|--mptcp --port P --sha256-out FILE [--ready-file F]
                  [--send-bytes M --seed S2] [--hold SEC --hold-file F]
    xfer.py send  --tcp|--mptcp --to ADDR --port P --bytes N --seed S [--sha256-out FILE]
                  [--bidir] [--hold SEC --hold-file F] [--pause-at N --pause-file F]

`send` streams N deterministic pseudo-random bytes (random.Random(seed)),
half-closes, and waits for the server's summary. `serve` accepts one
connection, reads to EOF, replies with its summary line and closes.
Both print and write "SHA256 BYTES MODE IS_MPTCP" where MODE is tcp, mptcp
(the kernel reports an MPTCP connection) or fallback (an MPTCP socket whose
connection is plain TCP: it fell back, RFC 8684 section 3.7, or the peer
never offered MPTCP), and IS_MPTCP is getsockopt(IPPROTO_TCP, TCP_IS_MPTCP)
read while the connection is open (0 or 1; "-" for a plain TCP socket).
The sender exits non-zero when the server's hash or count differs from
what it sent.

Both directions at once: `serve --send-bytes M --seed S2` and `send --bidir`.
With --peer-seed (the other side's seed), every received byte is checked as
it arrives and the first wrong one ends the run with exit status 3 and
"CORRUPT: wrong byte at offset N": a failed transfer then still says whether
what arrived was right.
Each side streams its bytes from a thread and half-closes, while it reads
the other's to EOF; no summary line is exchanged. Both write
"RX_SHA256 RX_BYTES MODE IS_MPTCP TX_SHA256 TX_BYTES" and the caller compares
one side's RX with the other's TX.

`--hold SEC --hold-file F` (either side): once connected, write F (one line:
"LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT") and keep the connection open
and idle for SEC seconds before any data moves, so that a test can look at
it (mptcpctl conn show) while it is established.

`--pause-at N --pause-file F` (send --bidir): after the first N bytes are
written to the socket, create F and stop sending until F is removed (at most
--timeout seconds), then send the rest. A test uses it to change the path
(a blackout, say) at a known point of the data, whatever the machine's load.
"""
import argparse
import hashlib
import os
import random
import socket
import sys
import threading
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
SOL_MPTCP = 284
MPTCP_INFO = 1
TCP_IS_MPTCP = 43
CHUNK = 64 * 1024


def log(msg):
    print(f"xfer: {msg}", flush=True)


def mode_of(sock, mptcp):
    """tcp, mptcp or fallback. On a fallen-back MPTCP socket the kernel hands
    getsockopt to the TCP subflow, which does not know SOL_MPTCP."""
    if not mptcp:
        return "tcp"
    try:
        sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)
        return "mptcp"
    except OSError:
        return "fallback"


def is_mptcp_of(sock, mptcp):
    """getsockopt(IPPROTO_TCP, TCP_IS_MPTCP) of an MPTCP socket: 1 while its
    connection is MPTCP, 0 once it fell back. "-" for a plain TCP socket."""
    if not mptcp:
        return "-"
    try:
        return str(sock.getsockopt(socket.IPPROTO_TCP, TCP_IS_MPTCP))
    except OSError as e:
        return f"err{e.errno}"


def hold(sock, args):
    """--hold: publish the 4-tuple, then keep the connection idle for a while."""
    if not args.hold:
        return
    la, lp = sock.getsockname()[:2]
    ra, rp = sock.getpeername()[:2]
    if la.startswith("::ffff:"):
        la, ra = la[7:], ra[7:]
    if args.hold_file:
        with open(args.hold_file + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{la} {lp} {ra} {rp}\n")
        os.replace(args.hold_file + ".tmp", args.hold_file)
    log(f"holding {la}:{lp} <-> {ra}:{rp} open for {args.hold}s")
    time.sleep(args.hold)


def pause(at, path, timeout):
    """--pause-at: announce the pause in path, then wait for its removal."""
    with open(path + ".tmp", "w", encoding="ascii") as f:
        f.write(f"{at}\n")
    os.replace(path + ".tmp", path)
    log(f"paused after {at} bytes until {path} is removed")
    deadline = time.monotonic() + timeout
    while os.path.exists(path):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{path} still there after {timeout}s (--pause-file)")
        time.sleep(0.01)


def stream_out(sock, nbytes, seed, result, pause_at=None, pause_file=None, timeout=60.0):
    """Send nbytes of random.Random(seed), then half-close; result gets the hash.
    With pause_at, stop once after that many bytes (see --pause-at)."""
    rng = random.Random(seed)
    h = hashlib.sha256()
    left = nbytes
    try:
        while left > 0:
            n = min(CHUNK, left)
            if pause_at is not None and nbytes - left < pause_at:
                n = min(n, pause_at - (nbytes - left))
            buf = rng.randbytes(n)
            h.update(buf)
            sock.sendall(buf)
            left -= len(buf)
            if pause_at is not None and nbytes - left == pause_at:
                pause(pause_at, pause_file, timeout)
        sock.shutdown(socket.SHUT_WR)
    except (OSError, TimeoutError) as e:
        result["error"] = f"send failed after {nbytes - left} of {nbytes} bytes: {e}"
    result["sha"] = h.hexdigest()
    result["sent"] = nbytes - left


class Expect:
    """The stream the peer sends (random.Random(seed)), to find the first wrong byte."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.buf = b""
        self.off = 0
        self.bad = None

    def check(self, data):
        if self.bad is not None:
            return
        need = len(data)
        while len(self.buf) < need:
            self.buf += self.rng.randbytes(CHUNK)
        exp, self.buf = self.buf[:need], self.buf[need:]
        if data != exp:
            i = next(i for i in range(need) if data[i] != exp[i])
            self.bad = self.off + i
        self.off += need


def stream_in(sock, expect=None):
    """Read to EOF: (sha256, bytes, error or None). With expect (Expect), a
    byte that differs from the peer's stream is an error at once."""
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            buf = sock.recv(1 << 20)
            if not buf:
                break
            h.update(buf)
            if expect:
                expect.check(buf)
                if expect.bad is not None:
                    return h.hexdigest(), n, f"CORRUPT: wrong byte at offset {expect.bad}"
            n += len(buf)
    except OSError as e:
        return h.hexdigest(), n, f"receive failed after {n} bytes (all correct so far): {e}"
    return h.hexdigest(), n, None


def bidir(sock, tx_bytes, seed, mptcp, out_path, who, peer_seed=None, pause_at=None,
          pause_file=None, timeout=60.0):
    """Both directions at once (see the module doc). Exits non-zero on an
    error: 3 when a received byte is wrong (--peer-seed), 1 otherwise."""
    mode = mode_of(sock, mptcp)
    ismp = is_mptcp_of(sock, mptcp)
    res = {}
    t0 = time.monotonic()
    th = threading.Thread(target=stream_out, args=(sock, tx_bytes, seed, res, pause_at,
                                                   pause_file, timeout))
    th.start()
    rx_sha, rx_n, err = stream_in(sock, Expect(peer_seed) if peer_seed is not None else None)
    if err and err.startswith("CORRUPT"):
        log(f"{who}: {err}")
        os._exit(3)
    th.join()
    dt = time.monotonic() - t0
    sock.close()
    if err or res.get("error"):
        sys.exit(f"xfer: {who}: {err or res.get('error')}")
    if out_path:
        with open(out_path + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{rx_sha} {rx_n} {mode} {ismp} {res['sha']} {res['sent']}\n")
        os.replace(out_path + ".tmp", out_path)
    log(f"{who}: sent {res['sent']} bytes sha256 {res['sha']}, received {rx_n} bytes "
        f"sha256 {rx_sha}, mode {mode} is_mptcp {ismp}, in {dt:.2f}s "
        f"({(rx_n + res['sent']) * 8 / max(dt, 1e-6) / 1e6:.0f} Mbit/s both ways)")


def make_socket(family, mptcp):
    proto = IPPROTO_MPTCP if mptcp else socket.IPPROTO_TCP
    try:
        return socket.socket(family, socket.SOCK_STREAM, proto)
    except OSError as e:
        kind = "MPTCP" if mptcp else "TCP"
        sys.exit(f"xfer: cannot open a {kind} socket: {e} "
                 "(for MPTCP: is net.mptcp.enabled=1 in this netns?)")


def write_summary(path, digest, nbytes, mode, ismp="-"):
    if path:
        with open(path + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{digest} {nbytes} {mode} {ismp}\n")
        os.replace(path + ".tmp", path)


def serve(args):
    sock = make_socket(socket.AF_INET6, args.mptcp)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Dual stack: one listener serves 198.18.x.y (v4-mapped) and 2001:db8::/32.
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind((args.bind, args.port))
    sock.listen(1)
    sock.settimeout(args.timeout)
    if args.ready_file:
        with open(args.ready_file, "w", encoding="ascii") as f:
            f.write("ready\n")
    try:
        conn, peer = sock.accept()
    except socket.timeout:
        sys.exit(f"xfer: serve: no connection on port {args.port} within {args.timeout}s")
    conn.settimeout(args.timeout)
    hold(conn, args)
    if args.send_bytes is not None:
        bidir(conn, args.send_bytes, args.seed, args.mptcp, args.sha256_out, "serve",
              args.peer_seed)
        sock.close()
        return
    ismp = is_mptcp_of(conn, args.mptcp)
    h = hashlib.sha256()
    n = 0
    t0 = time.monotonic()
    try:
        while True:
            buf = conn.recv(1 << 20)
            if not buf:
                break
            h.update(buf)
            n += len(buf)
    except OSError as e:
        sys.exit(f"xfer: serve: receive failed after {n} bytes from {peer[0]}: {e}")
    dt = time.monotonic() - t0
    mode = mode_of(conn, args.mptcp)
    digest = h.hexdigest()
    write_summary(args.sha256_out, digest, n, mode, ismp)
    log(f"serve: received {n} bytes sha256 {digest} from {peer[0]} mode {mode} "
        f"is_mptcp {ismp} "
        f"in {dt:.2f}s ({n * 8 / max(dt, 1e-6) / 1e6:.0f} Mbit/s)")
    try:
        conn.sendall(f"{digest} {n} {mode}\n".encode("ascii"))
        conn.shutdown(socket.SHUT_WR)
    except OSError as e:
        sys.exit(f"xfer: serve: could not send the summary back: {e}")
    conn.close()
    sock.close()


def connect(args):
    family = socket.AF_INET6 if ":" in args.to else socket.AF_INET
    deadline = time.monotonic() + args.connect_timeout
    while True:
        sock = make_socket(family, args.mptcp)
        sock.settimeout(args.timeout)
        try:
            sock.connect((args.to, args.port))
            return sock
        except (ConnectionRefusedError, socket.timeout) as e:
            sock.close()
            if time.monotonic() >= deadline:
                sys.exit(f"xfer: send: cannot connect to {args.to} port {args.port} "
                         f"within {args.connect_timeout}s: {e}")
            time.sleep(0.1)


def send(args):
    sock = connect(args)
    hold(sock, args)
    if args.bidir:
        bidir(sock, args.bytes, args.seed, args.mptcp, args.sha256_out, "send", args.peer_seed,
              args.pause_at, args.pause_file, args.timeout)
        return
    ismp = is_mptcp_of(sock, args.mptcp)
    rng = random.Random(args.seed)
    h = hashlib.sha256()
    left = args.bytes
    t0 = time.monotonic()
    try:
        while left > 0:
            buf = rng.randbytes(min(CHUNK, left))
            h.update(buf)
            sock.sendall(buf)
            left -= len(buf)
        mode = mode_of(sock, args.mptcp)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while True:
            buf = sock.recv(4096)
            if not buf:
                break
            reply += buf
    except OSError as e:
        sys.exit(f"xfer: send: failed after {args.bytes - left} of {args.bytes} bytes: {e}")
    dt = time.monotonic() - t0
    digest = h.hexdigest()
    write_summary(args.sha256_out, digest, args.bytes, mode, ismp)
    log(f"send: sent {args.bytes} bytes sha256 {digest} to {args.to} mode {mode} "
        f"is_mptcp {ismp} "
        f"in {dt:.2f}s ({args.bytes * 8 / max(dt, 1e-6) / 1e6:.0f} Mbit/s)")
    fields = reply.decode("ascii", "replace").split()
    if len(fields) < 2:
        sys.exit(f"xfer: send: no summary from the server (got {reply!r})")
    if fields[0] != digest or fields[1] != str(args.bytes):
        sys.exit(f"xfer: send: MISMATCH: sent {args.bytes} bytes sha256 {digest}, "
                 f"server received {fields[1]} bytes sha256 {fields[0]}")
    log("send: server's hash and byte count match")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("serve", "send"):
        s = sub.add_parser(name)
        g = s.add_mutually_exclusive_group(required=True)
        g.add_argument("--mptcp", action="store_true", help="IPPROTO_MPTCP socket")
        g.add_argument("--tcp", action="store_true", help="plain TCP socket")
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--sha256-out", metavar="FILE", help='write "SHA256 BYTES MODE"')
        s.add_argument("--timeout", type=float, default=60.0,
                       help="seconds any single socket operation may block")
        s.add_argument("--hold", type=float, default=0.0, metavar="SEC",
                       help="keep the new connection idle this long before any data")
        s.add_argument("--hold-file", metavar="FILE",
                       help="with --hold: written with the 4-tuple once connected")
        s.add_argument("--peer-seed", type=int, metavar="S",
                       help="both directions: the peer sends random.Random(S); stop with "
                       "exit 3 at the first byte that differs")
    sub.choices["serve"].add_argument("--bind", default="::")
    sub.choices["serve"].add_argument("--ready-file", metavar="FILE",
                                      help="created once the socket listens")
    sub.choices["serve"].add_argument("--send-bytes", type=int, metavar="M",
                                      help="both directions: stream M bytes back while "
                                      "reading (no summary line)")
    sub.choices["serve"].add_argument("--seed", type=int, default=2,
                                      help="with --send-bytes: seed of the bytes sent")
    sub.choices["send"].add_argument("--to", required=True, metavar="ADDR")
    sub.choices["send"].add_argument("--bytes", type=int, required=True)
    sub.choices["send"].add_argument("--seed", type=int, default=1)
    sub.choices["send"].add_argument("--connect-timeout", type=float, default=10.0)
    sub.choices["send"].add_argument("--bidir", action="store_true",
                                     help="both directions: read the server's stream "
                                     "(serve --send-bytes) while sending")
    sub.choices["send"].add_argument("--pause-at", type=int, metavar="N",
                                     help="with --bidir: after N bytes, create --pause-file "
                                     "and wait for its removal")
    sub.choices["send"].add_argument("--pause-file", metavar="FILE")
    args = p.parse_args()
    if args.cmd == "send" and (args.pause_at is None) != (args.pause_file is None):
        p.error("--pause-at and --pause-file go together")
    if args.cmd == "send" and args.pause_at is not None:
        if not args.bidir:
            p.error("--pause-at needs --bidir")
        if not 0 < args.pause_at < args.bytes:
            p.error(f"--pause-at must be between 1 and --bytes - 1 ({args.bytes - 1}), "
                    f"not {args.pause_at}")
    if args.cmd == "serve":
        serve(args)
    else:
        send(args)


if __name__ == "__main__":
    main()
