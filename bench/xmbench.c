// SPDX-License-Identifier: GPL-2.0-only
/*
 * xmbench: the benchmark peer of bench/run.sh. One small C program for both
 * ends of both measurements, so that plain TCP, kernel MPTCP and xmptcp are
 * driven by exactly the same code; only the socket's protocol changes (-m).
 *
 *   xmbench stream-server -a ADDR -p PORT [-m]
 *   xmbench stream-client -a ADDR -p PORT [-m] [-t SECS] [-R] [-l BYTES]
 *       One connection's goodput. The client sends for SECS seconds (the
 *       server does with -R), then half-closes; the receiver times first byte
 *       to last byte, until EOF or 2 s without data, and the client prints
 *       the result: bytes received, bytes sent, whether EOF came. Plain send()/recv() of
 *       -l bytes (default 128 KiB): no sendfile, splice or zero-copy.
 *
 *   xmbench rr-server -a ADDR -p PORT [-m] [-s BYTES]
 *   xmbench rr-client -a ADDR -p PORT [-m] [-t SECS] [-s BYTES]
 *       Short connections, one at a time: connect, send a request of -s
 *       bytes (default 1024), read an answer of the same size, close (the
 *       client closes first). The client prints connections per second.
 *
 * Servers serve one connection at a time, forever; bench/run.sh kills them.
 * Results are one line on stdout, "result key=value ...". mode= is what the
 * socket itself reports: tcp (IPPROTO_TCP), mptcp (an IPPROTO_MPTCP socket
 * whose connection is MPTCP) or fallback (an IPPROTO_MPTCP socket that fell
 * back to TCP, RFC 8684 section 3.7). peer_mode= is the server's socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
#ifndef MPTCP_INFO
#define MPTCP_INFO 1
#endif

#define XB_MAGIC 0x78624e31u /* "xbN1" */
#define XB_F_REVERSE 1u

enum xb_mode { XB_MODE_TCP, XB_MODE_MPTCP, XB_MODE_FALLBACK };
static const char *const xb_mode_name[] = {"tcp", "mptcp", "fallback"};

struct xb_hello {
	uint32_t magic;
	uint32_t flags;
	uint32_t duration_ms;
	uint32_t buflen;
};

struct xb_hello_ack {
	uint32_t magic;
	uint32_t mode; /* the server socket's enum xb_mode */
};

struct xb_summary {
	uint64_t bytes;
	uint64_t ns;  /* first byte to last byte, at the receiver */
	uint32_t eof; /* 1: the stream ended with EOF; 0: it went idle (XB_IDLE_MS) */
	uint32_t pad;
};

/*
 * A receiver that sees no data for this long ends the measurement without
 * EOF. Goodput does not depend on the close path then, but the missing EOF
 * is reported (eof=0): a DATA_FIN that never became the application's EOF.
 */
#define XB_IDLE_MS 2000

struct xb_opts {
	const char *addr;
	int port;
	bool mptcp;
	bool reverse;
	double secs;
	size_t buflen;
	size_t rrsize;
};

static void die(const char *what)
{
	fprintf(stderr, "xmbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void dief(const char *msg)
{
	fprintf(stderr, "xmbench: %s\n", msg);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static socklen_t parse_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof(*s6);
	}
	fprintf(stderr, "xmbench: not an IPv4 or IPv6 address: %s\n", addr);
	exit(2);
}

static int new_socket(int family, bool mptcp)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);

	if (fd < 0) {
		fprintf(stderr, "xmbench: cannot open a %s socket: %s%s\n", mptcp ? "MPTCP" : "TCP",
			strerror(errno),
			mptcp ? " (is net.mptcp.enabled=1 in this network namespace?)" : "");
		exit(1);
	}
	return fd;
}

/* What the kernel says this socket's connection is (see the top of the file). */
static enum xb_mode sock_mode(int fd, bool mptcp)
{
	char info[256];
	socklen_t len = sizeof(info);

	if (!mptcp)
		return XB_MODE_TCP;
	/* A fallen-back MPTCP socket hands SOL_MPTCP to its TCP subflow, which refuses it. */
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, info, &len) == 0)
		return XB_MODE_MPTCP;
	return XB_MODE_FALLBACK;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Read exactly len bytes; false on EOF before that. */
static bool read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (n == 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read until EOF (or XB_IDLE_MS without data), in len-byte reads. */
static struct xb_summary drain(int fd, char *buf, size_t len)
{
	struct timeval tv = {.tv_sec = XB_IDLE_MS / 1000, .tv_usec = (XB_IDLE_MS % 1000) * 1000};
	struct xb_summary s = {0, 0, 0, 0};
	uint64_t t0 = 0, last = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		die("SO_RCVTIMEO");
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && t0)
				break; /* idle: no EOF */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue; /* nothing yet: the sender may be slow to start */
			die("recv");
		}
		if (n == 0) {
			s.eof = 1;
			break;
		}
		last = now_ns();
		if (!t0)
			t0 = last;
		s.bytes += (uint64_t)n;
	}
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (t0)
		s.ns = last - t0;
	return s;
}

/* Send for duration_ms, then half-close; returns the bytes sent. */
static uint64_t blast(int fd, char *buf, size_t len, uint32_t duration_ms)
{
	uint64_t end = now_ns() + (uint64_t)duration_ms * 1000000ull, sent = 0;
	unsigned int i = 0;

	for (;;) {
		/* the clock every 16 sends: enough at any rate a veth can do */
		if ((i++ & 15) == 0 && now_ns() >= end)
			break;
		write_all(fd, buf, len);
		sent += len;
	}
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	return sent;
}

static int listen_on(const struct xb_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(o->addr, o->port, &ss);
	int fd = new_socket(ss.ss_family, o->mptcp), one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		die("bind");
	if (listen(fd, 1024) < 0)
		die("listen");
	/* the harness waits for this line */
	printf("listening %s port %d %s\n", o->addr, o->port, o->mptcp ? "mptcp" : "tcp");
	fflush(stdout);
	return fd;
}

static int connect_to(const struct xb_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(o->addr, o->port, &ss);
	int fd = new_socket(ss.ss_family, o->mptcp);

	while (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINTR)
			die("connect");
	}
	return fd;
}

static int accept_one(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	}
}

/* ---- goodput -------------------------------------------------------------- */

static _Noreturn void stream_server(const struct xb_opts *o)
{
	int lfd = listen_on(o);
	char *buf = NULL;
	size_t buflen = 0;

	for (;;) {
		int fd = accept_one(lfd);
		struct xb_hello h;
		struct xb_hello_ack a;

		if (!read_all(fd, &h, sizeof(h)) || h.magic != XB_MAGIC || !h.buflen ||
		    h.buflen > (64u << 20)) {
			fprintf(stderr, "xmbench: bad hello, connection dropped\n");
			close(fd);
			continue;
		}
		if (h.buflen > buflen) {
			free(buf);
			buflen = h.buflen;
			buf = malloc(buflen);
			if (!buf)
				die("malloc");
			memset(buf, 0x5a, buflen);
		}
		a.magic = XB_MAGIC;
		a.mode = sock_mode(fd, o->mptcp);
		write_all(fd, &a, sizeof(a));
		if (h.flags & XB_F_REVERSE) {
			blast(fd, buf, h.buflen, h.duration_ms);
			drain(fd, buf, h.buflen); /* the client's EOF */
		} else {
			struct xb_summary s = drain(fd, buf, h.buflen);

			write_all(fd, &s, sizeof(s));
		}
		printf("served mode=%s\n", xb_mode_name[a.mode]);
		fflush(stdout);
		close(fd);
	}
}

static int stream_client(const struct xb_opts *o)
{
	struct xb_hello h = {XB_MAGIC, o->reverse ? XB_F_REVERSE : 0, (uint32_t)(o->secs * 1000),
			     (uint32_t)o->buflen};
	struct xb_hello_ack a;
	struct xb_summary s;
	enum xb_mode mode;
	int64_t sent = -1; /* unknown in -R: the server sent */
	char *buf = malloc(o->buflen);
	int fd;

	if (!buf)
		die("malloc");
	memset(buf, 0xa5, o->buflen);
	fd = connect_to(o);
	write_all(fd, &h, sizeof(h));
	if (!read_all(fd, &a, sizeof(a)) || a.magic != XB_MAGIC || a.mode > XB_MODE_FALLBACK)
		dief("bad hello answer from the server");
	if (o->reverse) {
		s = drain(fd, buf, o->buflen);
	} else {
		sent = (int64_t)blast(fd, buf, o->buflen, h.duration_ms);
		if (!read_all(fd, &s, sizeof(s)))
			dief("the server closed without a summary");
	}
	mode = sock_mode(fd, o->mptcp);
	close(fd);
	if (!s.ns)
		dief("no data received");
	/* bytes= is what the receiver got, sent= what the sender gave send() */
	printf("result kind=stream dir=%s bytes=%llu sent=%lld eof=%u secs=%.3f gbps=%.3f mode=%s "
	       "peer_mode=%s\n",
	       o->reverse ? "server-to-client" : "client-to-server", (unsigned long long)s.bytes,
	       (long long)sent, s.eof, (double)s.ns / 1e9, (double)s.bytes * 8.0 / (double)s.ns,
	       xb_mode_name[mode], xb_mode_name[a.mode]);
	return 0;
}

/* ---- connection rate ------------------------------------------------------ */

static _Noreturn void rr_server(const struct xb_opts *o)
{
	int lfd = listen_on(o);
	char *buf = malloc(o->rrsize);
	char sink[256];

	if (!buf)
		die("malloc");
	memset(buf, 0x5a, o->rrsize);
	for (;;) {
		int fd = accept_one(lfd);

		if (read_all(fd, buf, o->rrsize)) {
			write_all(fd, buf, o->rrsize);
			/* wait for the client's close */
			while (recv(fd, sink, sizeof(sink), 0) > 0)
				;
		}
		close(fd);
	}
}

static int rr_client(const struct xb_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(o->addr, o->port, &ss);
	char *buf = malloc(o->rrsize);
	uint64_t t0, end, n = 0, sampled = 0, fallback = 0;

	if (!buf)
		die("malloc");
	memset(buf, 0xa5, o->rrsize);
	t0 = now_ns();
	end = t0 + (uint64_t)(o->secs * 1e9);
	while (now_ns() < end) {
		int fd = new_socket(ss.ss_family, o->mptcp);

		while (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
			if (errno != EINTR)
				die("connect");
		}
		write_all(fd, buf, o->rrsize);
		if (!read_all(fd, buf, o->rrsize))
			dief("the server closed before its whole answer");
		/* a sample of what the socket says it is, off the clock mostly */
		if (o->mptcp && (n & 255) == 0) {
			sampled++;
			fallback += sock_mode(fd, true) == XB_MODE_FALLBACK;
		}
		close(fd);
		n++;
	}
	{
		double secs = (double)(now_ns() - t0) / 1e9;

		printf("result kind=rr conns=%llu secs=%.3f rate=%.1f mode=%s sampled=%llu "
		       "sampled_fallback=%llu\n",
		       (unsigned long long)n, secs, (double)n / secs, o->mptcp ? "mptcp" : "tcp",
		       (unsigned long long)sampled, (unsigned long long)fallback);
	}
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("Usage: xmbench stream-server|stream-client|rr-server|rr-client -a ADDR -p PORT\n"
	      "               [-m] [-t SECS] [-R] [-l BYTES] [-s BYTES]\n"
	      "\n"
	      "  -a ADDR   server address (servers bind to it)\n"
	      "  -p PORT   server port\n"
	      "  -m        IPPROTO_MPTCP socket (default IPPROTO_TCP)\n"
	      "  -t SECS   client run time (default 10 for stream, 5 for rr)\n"
	      "  -R        stream: the server sends, the client receives\n"
	      "  -l BYTES  stream: send/recv size (default 131072)\n"
	      "  -s BYTES  rr: request and answer size (default 1024)\n",
	      f);
}

int main(int argc, char **argv)
{
	struct xb_opts o = {.port = 0, .secs = 0, .buflen = 128 * 1024, .rrsize = 1024};
	const char *cmd;
	int c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:mt:Rl:s:h")) != -1) {
		switch (c) {
		case 'a':
			o.addr = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'm':
			o.mptcp = true;
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'R':
			o.reverse = true;
			break;
		case 'l':
			o.buflen = (size_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o.rrsize = (size_t)strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.addr || o.port <= 0 || o.port > 65535 || !o.buflen || o.buflen > (64u << 20) ||
	    !o.rrsize || o.rrsize > (1u << 20)) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "stream-server"))
		stream_server(&o);
	if (!strcmp(cmd, "stream-client")) {
		if (o.secs <= 0)
			o.secs = 10;
		return stream_client(&o);
	}
	if (!strcmp(cmd, "rr-server"))
		rr_server(&o);
	if (!strcmp(cmd, "rr-client")) {
		if (o.secs <= 0)
			o.secs = 5;
		return rr_client(&o);
	}
	usage(stderr);
	return 2;
}
