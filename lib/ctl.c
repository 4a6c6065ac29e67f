// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "ctl.h"

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
	size_t len = strnlen(name, sizeof(sun->sun_path) - 1);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* sun_path[0] stays NUL: abstract namespace, scoped by the network namespace. */
	memcpy(sun->sun_path + 1, name, len);
	return offsetof(struct sockaddr_un, sun_path) + 1 + len;
}

int xm_ctl_bind(const char *name)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, name);
	int fd, r;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int xm_ctl_listen(int fd)
{
	return listen(fd, 16) < 0 ? -errno : 0;
}

int xm_ctl_connect(const char *name)
{
	struct sockaddr_un sun;
	socklen_t len = abstract_addr(&sun, name);
	int fd, r;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int xm_ctl_peer_pid(int fd, pid_t *ret)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	*ret = cred.pid;
	return 0;
}

int xm_ctl_send(int fd, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	ssize_t n;
	int r = 0;

	if (!s)
		return -ENOMEM;
	n = send(fd, s, strlen(s), MSG_NOSIGNAL);
	if (n < 0)
		r = -errno;
	free(s);
	return r;
}

int xm_ctl_recv(int fd, json_t **ret)
{
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	json_t *msg;
	char *buf;
	ssize_t n;
	int r = 0;

	buf = malloc(XM_CTL_MSG_MAX);
	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = XM_CTL_MSG_MAX;
	n = recvmsg(fd, &mh, 0);
	if (n < 0) {
		r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
		goto out;
	}
	if (n == 0) {
		r = -ECONNRESET;
		goto out;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		r = -EMSGSIZE;
		goto out;
	}
	msg = json_loadb(buf, n, 0, NULL);
	if (!json_is_object(msg)) {
		json_decref(msg);
		r = -EBADMSG;
		goto out;
	}
	*ret = msg;
out:
	free(buf);
	return r;
}

int xm_ctl_call(const char *name, json_t *req, json_t **ret)
{
	json_t *reply = NULL;
	int fd, r;

	/* A daemon that stops answering must not hang the CLI (or a test) forever. */
	struct timeval tv = {.tv_sec = XM_CTL_TIMEOUT_S};

	fd = xm_ctl_connect(name);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = xm_ctl_send(fd, req);
	if (r >= 0)
		r = xm_ctl_recv(fd, &reply);
	close(fd);
	if (r < 0)
		return r;
	*ret = reply;
	return json_is_true(json_object_get(reply, "ok")) ? 0 : -EREMOTEIO;
}
