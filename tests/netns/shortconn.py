#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Many short connections in a row: a 1 KiB request, a 1 KiB answer, a close.

    shortconn.py serve  --tcp|--mptcp --port P --count N [--ready-file F] [--summary F]
    shortconn.py client --tcp|--mptcp --to ADDR --port P --count N [--summary F]

Both sides run the same plan, a function of the connection's index i:
  rst-client  (i % 40 == 7)   the client aborts: SO_LINGER {1, 0} + close -> RST
  rst-server  (i % 40 == 27)  the server aborts the same way, once the client
                              has confirmed (one byte) that it has the answer
  client-first (other odd i)  the client closes first, the server reads EOF
  server-first (other even i) the server closes first, the client reads EOF
The request of connection i is 1024 bytes of random.Random(i); the answer is
1024 bytes of random.Random(sha256(request)). Each side checks every byte it
receives and what the close looks like (EOF, or a reset for an abort: an
abort may also show as EOF, which is counted apart). Prints a summary line
and writes it as JSON (--summary): counts per plan, MPTCP / fallback / TCP
modes as the socket reports them (MPTCP_INFO), and errors. Exits 1 on any
error.
"""
import argparse
import hashlib
import json
import random
import socket
import struct
import sys
import time

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
# The same "tcp / mptcp / fallback" reading as the bulk transfers (xfer.py, beside this file).
from xfer import mode_of  # noqa: E402
SIZE = 1024


def plan(i):
    if i % 40 == 7:
        return "rst-client"
    if i % 40 == 27:
        return "rst-server"
    return "client-first" if i % 2 else "server-first"


def request(i):
    return random.Random(i).randbytes(SIZE)


def answer(req):
    return random.Random(hashlib.sha256(req).digest()).randbytes(SIZE)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        b = sock.recv(n - len(buf))
        if not b:
            break
        buf += b
    return buf


def abort(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


END_TIMEOUT = 2.0


def wait_end(sock, expect_reset):
    """Read until the peer's close: 'eof', 'reset', 'data' (unexpected bytes) or
    'nothing' (no sign of the close within END_TIMEOUT seconds)."""
    sock.settimeout(END_TIMEOUT)
    try:
        b = sock.recv(16)
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "nothing"
    if b:
        return "data"
    return "eof"


class Stats:
    def __init__(self, who):
        self.who = who
        self.d = {"plans": {}, "modes": {}, "errors": [], "abort_seen_as_eof": 0, "done": 0}

    def err(self, i, msg):
        self.d["errors"].append(f"conn {i} ({plan(i)}): {msg}")
        print(f"shortconn: {self.who}: conn {i} ({plan(i)}): {msg}", file=sys.stderr, flush=True)

    def ok(self, i, mode):
        p = plan(i)
        self.d["plans"][p] = self.d["plans"].get(p, 0) + 1
        self.d["modes"][mode] = self.d["modes"].get(mode, 0) + 1
        self.d["done"] += 1

    def finish(self, path, dt):
        self.d["seconds"] = round(dt, 2)
        line = (f"shortconn: {self.who}: {self.d['done']} connections ok in {dt:.1f}s, "
                f"plans {self.d['plans']}, modes {self.d['modes']}, "
                f"aborts seen as EOF {self.d['abort_seen_as_eof']}, "
                f"{len(self.d['errors'])} error(s)")
        print(line, flush=True)
        if path:
            with open(path, "w", encoding="ascii") as f:
                json.dump(self.d, f)
        sys.exit(1 if self.d["errors"] else 0)


def serve_one(conn, i, st, mptcp):
    p = plan(i)
    req = recv_exact(conn, SIZE)
    if req != request(i):
        st.err(i, f"request: got {len(req)} bytes, "
               f"{'equal' if req == request(i)[:len(req)] else 'DIFFERENT'} content")
        conn.close()
        return
    mode = mode_of(conn, mptcp)
    conn.sendall(answer(req))
    if p == "rst-server":
        if recv_exact(conn, 1) != b"k":
            st.err(i, "no confirmation byte before the abort")
        abort(conn)
    elif p == "server-first":
        conn.close()
    else:  # the client closes first, normally or with a reset
        end = wait_end(conn, p == "rst-client")
        if p == "client-first" and end != "eof":
            st.err(i, f"expected EOF from the client, got {end}")
        elif p == "rst-client" and end not in ("reset", "eof"):
            st.err(i, f"expected a reset from the client, got {end}")
        elif p == "rst-client" and end == "eof":
            st.d["abort_seen_as_eof"] += 1
        conn.close()
    st.ok(i, mode)


def serve(args):
    st = Stats("serve")
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM,
                         IPPROTO_MPTCP if args.mptcp else socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", args.port))
    sock.listen(128)
    sock.settimeout(args.timeout)
    if args.ready_file:
        with open(args.ready_file, "w", encoding="ascii") as f:
            f.write("ready\n")
    t0 = time.monotonic()
    for i in range(args.count):
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            st.err(i, f"no connection within {args.timeout}s")
            break
        conn.settimeout(args.timeout)
        try:
            serve_one(conn, i, st, args.mptcp)
        except OSError as e:
            st.err(i, f"socket error: {e}")
            conn.close()
    st.finish(args.summary, time.monotonic() - t0)


def client_one(i, args, st):
    p = plan(i)
    family = socket.AF_INET6 if ":" in args.to else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM,
                      IPPROTO_MPTCP if args.mptcp else socket.IPPROTO_TCP)
    s.settimeout(args.timeout)
    s.connect((args.to, args.port))
    req = request(i)
    s.sendall(req)
    ans = recv_exact(s, SIZE)
    if ans != answer(req):
        st.err(i, f"answer: got {len(ans)} bytes, "
               f"{'equal' if ans == answer(req)[:len(ans)] else 'DIFFERENT'} content")
        s.close()
        return
    mode = mode_of(s, args.mptcp)
    if p == "rst-client":
        abort(s)
    elif p == "client-first":
        s.close()
    else:
        if p == "rst-server":
            s.sendall(b"k")
        end = wait_end(s, p == "rst-server")
        if p == "server-first" and end != "eof":
            st.err(i, f"expected EOF from the server, got {end}")
        elif p == "rst-server" and end not in ("reset", "eof"):
            st.err(i, f"expected a reset from the server, got {end}")
        elif p == "rst-server" and end == "eof":
            st.d["abort_seen_as_eof"] += 1
        s.close()
    st.ok(i, mode)


def client(args):
    st = Stats("client")
    t0 = time.monotonic()
    for i in range(args.count):
        try:
            client_one(i, args, st)
        except OSError as e:
            st.err(i, f"socket error: {e}")
        if len(st.d["errors"]) > 100:
            st.err(i, "too many errors, giving up")
            break
    st.finish(args.summary, time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("serve", "client"):
        s = sub.add_parser(name)
        g = s.add_mutually_exclusive_group(required=True)
        g.add_argument("--mptcp", action="store_true")
        g.add_argument("--tcp", action="store_true")
        s.add_argument("--port", type=int, required=True)
        s.add_argument("--count", type=int, default=1000)
        s.add_argument("--timeout", type=float, default=10.0)
        s.add_argument("--summary", metavar="FILE", help="write the summary as JSON")
        s.add_argument("--end-timeout", type=float, default=END_TIMEOUT,
                       help="seconds to wait for the sign of the peer's close")
    sub.choices["serve"].add_argument("--ready-file", metavar="FILE")
    sub.choices["client"].add_argument("--to", required=True)
    args = ap.parse_args()
    globals()["END_TIMEOUT"] = args.end_timeout
    if args.cmd == "serve":
        serve(args)
    else:
        client(args)


if __name__ == "__main__":
    main()
