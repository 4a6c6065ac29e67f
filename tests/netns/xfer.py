#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Integrity-checked bulk transfer over plain TCP or kernel MPTCP.

    xfer.py serve --tcp|--mptcp --port P --sha256-out FILE [--ready-file F]
    xfer.py send  --tcp|--mptcp --to ADDR --port P --bytes N --seed S [--sha256-out FILE]

`send` streams N deterministic pseudo-random bytes (random.Random(seed)),
half-closes, and waits for the server's summary. `serve` accepts one
connection, reads to EOF, replies with its summary line and closes.
Both print and write "SHA256 BYTES MODE" where MODE is tcp, mptcp (the
kernel reports an MPTCP connection) or fallback (an MPTCP socket whose
connection is plain TCP: it fell back, RFC 8684 section 3.7, or the peer
never offered MPTCP). The sender exits non-zero when the server's hash or
count differs from what it sent.
"""
import argparse
import hashlib
import os
import random
import socket
import sys
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
SOL_MPTCP = 284
MPTCP_INFO = 1
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


def make_socket(family, mptcp):
    proto = IPPROTO_MPTCP if mptcp else socket.IPPROTO_TCP
    try:
        return socket.socket(family, socket.SOCK_STREAM, proto)
    except OSError as e:
        kind = "MPTCP" if mptcp else "TCP"
        sys.exit(f"xfer: cannot open a {kind} socket: {e} "
                 "(for MPTCP: is net.mptcp.enabled=1 in this netns?)")


def write_summary(path, digest, nbytes, mode):
    if path:
        with open(path + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{digest} {nbytes} {mode}\n")
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
    write_summary(args.sha256_out, digest, n, mode)
    log(f"serve: received {n} bytes sha256 {digest} from {peer[0]} mode {mode} "
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
    write_summary(args.sha256_out, digest, args.bytes, mode)
    log(f"send: sent {args.bytes} bytes sha256 {digest} to {args.to} mode {mode} "
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
    sub.choices["serve"].add_argument("--bind", default="::")
    sub.choices["serve"].add_argument("--ready-file", metavar="FILE",
                                      help="created once the socket listens")
    sub.choices["send"].add_argument("--to", required=True, metavar="ADDR")
    sub.choices["send"].add_argument("--bytes", type=int, required=True)
    sub.choices["send"].add_argument("--seed", type=int, default=1)
    sub.choices["send"].add_argument("--connect-timeout", type=float, default=10.0)
    args = p.parse_args()
    if args.cmd == "serve":
        serve(args)
    else:
        send(args)


if __name__ == "__main__":
    main()
