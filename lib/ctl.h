/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The control socket between xmptcpd and mptcpctl: an abstract AF_UNIX
 * SOCK_SEQPACKET socket. Abstract names belong to the network namespace, so
 * each namespace has its own and no file is left behind. One JSON object per
 * message (message boundaries come from SOCK_SEQPACKET, so no framing).
 *
 * Request:  {"cmd": "status" | "stats" | "maps"}
 * Reply:    {"ok": true, ...} or {"ok": false, "error": "text"}
 */
#ifndef XMPTCP_LIB_CTL_H
#define XMPTCP_LIB_CTL_H

#include <sys/types.h>
#include <jansson.h>

/* The abstract name, without its leading NUL byte. */
#define XM_CTL_NAME "xmptcpd"

/* Largest message either side sends or accepts. */
#define XM_CTL_MSG_MAX (256 * 1024)

/*
 * Bind the abstract name (non-blocking, close-on-exec socket), without
 * listening yet: the name is taken, so it serves as the single-instance lock,
 * while clients are refused at once until xm_ctl_listen() instead of waiting
 * on a daemon that is still loading its programs. Returns the fd,
 * -EADDRINUSE when another process holds the name, or another negative errno.
 */
int xm_ctl_bind(const char *name);

/* Start accepting connections on a socket from xm_ctl_bind(). Returns 0 or -errno. */
int xm_ctl_listen(int fd);

/* Connect to the abstract name. Returns the fd, -ECONNREFUSED when nobody listens. */
int xm_ctl_connect(const char *name);

/* Pid of the process at the other end of a connected socket. Returns 0 or -errno. */
int xm_ctl_peer_pid(int fd, pid_t *ret);

/* Send msg as one message. Returns 0 or a negative errno. */
int xm_ctl_send(int fd, json_t *msg);

/*
 * Receive one message and parse it. Returns 0 and a new reference in *ret,
 * -ECONNRESET when the peer closed, -EAGAIN when nothing is queued on a
 * non-blocking socket, -EMSGSIZE or -EBADMSG for a message too large or not a
 * JSON object, or another negative errno.
 */
int xm_ctl_recv(int fd, json_t **ret);

/* How long xm_ctl_call() waits for a reply. */
#define XM_CTL_TIMEOUT_S 5

/*
 * Connect, send req, wait for the reply (-EAGAIN after XM_CTL_TIMEOUT_S). Returns 0 and the reply
 * in *ret; -EREMOTEIO when the daemon answered {"ok": false}: *ret then holds that reply, so the
 * caller can show its "error". Other negative errnos as above.
 */
int xm_ctl_call(const char *name, json_t *req, json_t **ret);

#endif
