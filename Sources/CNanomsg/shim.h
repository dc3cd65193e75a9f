/*
 * CNanomsg: the C side of Skiff's bus. Includes nanomsg's headers and re-exports, under a
 * `skiff_nn_` prefix, what Swift cannot import: the protocol and option macros built from
 * arithmetic (NN_REQ is `NN_PROTO_REQREP * 16 + 0`), NN_MSG (`(size_t)-1`) and nanomsg's own
 * errno values. Also two helpers for raw REQ/REP sockets, which carry the routing header
 * (backtrace) as ancillary data that is awkward to build from Swift.
 *
 * Concurrency: everything here is a constant or a thin wrapper over a thread-safe nanomsg
 * call. Must never: allocate state of its own or block beyond what the wrapped call does.
 * The bench's raw C baseline includes this header too: keep it plain C99.
 */
#ifndef SKIFF_CNANOMSG_SHIM_H
#define SKIFF_CNANOMSG_SHIM_H

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/pipeline.h>
#include <nanomsg/tcp.h>
#include <nanomsg/ipc.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

/* Domains. */
static const int skiff_nn_AF_SP = AF_SP;
static const int skiff_nn_AF_SP_RAW = AF_SP_RAW;

/* Protocols. */
static const int skiff_nn_REQ = NN_REQ;
static const int skiff_nn_REP = NN_REP;
static const int skiff_nn_PUB = NN_PUB;
static const int skiff_nn_SUB = NN_SUB;
static const int skiff_nn_PUSH = NN_PUSH;
static const int skiff_nn_PULL = NN_PULL;

/* Option levels and options. A protocol's options use the protocol number as level. */
static const int skiff_nn_SOL_SOCKET = NN_SOL_SOCKET;
static const int skiff_nn_LINGER = NN_LINGER;
static const int skiff_nn_SNDBUF = NN_SNDBUF;
static const int skiff_nn_RCVBUF = NN_RCVBUF;
static const int skiff_nn_SNDTIMEO = NN_SNDTIMEO;
static const int skiff_nn_RCVTIMEO = NN_RCVTIMEO;
static const int skiff_nn_RECONNECT_IVL = NN_RECONNECT_IVL;
static const int skiff_nn_RECONNECT_IVL_MAX = NN_RECONNECT_IVL_MAX;
static const int skiff_nn_SNDFD = NN_SNDFD;
static const int skiff_nn_RCVFD = NN_RCVFD;
static const int skiff_nn_RCVMAXSIZE = NN_RCVMAXSIZE;
static const int skiff_nn_IPV4ONLY = NN_IPV4ONLY;
static const int skiff_nn_SOCKET_NAME = NN_SOCKET_NAME;
static const int skiff_nn_REQ_RESEND_IVL = NN_REQ_RESEND_IVL;
static const int skiff_nn_SUB_SUBSCRIBE = NN_SUB_SUBSCRIBE;
static const int skiff_nn_SUB_UNSUBSCRIBE = NN_SUB_UNSUBSCRIBE;
static const int skiff_nn_TCP = NN_TCP;
static const int skiff_nn_TCP_NODELAY = NN_TCP_NODELAY;

/* Flags. */
static const int skiff_nn_DONTWAIT = NN_DONTWAIT;

/* Errors nanomsg reports through nn_errno(): the POSIX ones plus its own two. */
static const int skiff_nn_EAGAIN = EAGAIN;
static const int skiff_nn_EINTR = EINTR;
static const int skiff_nn_EBADF = EBADF;
static const int skiff_nn_EADDRINUSE = EADDRINUSE;
static const int skiff_nn_ETERM = ETERM;
static const int skiff_nn_EFSM = EFSM;

/* NN_MSG is `(size_t)-1`: pass it as a length to let nanomsg allocate (receive) or take
   ownership of (send) a message chunk. */
static inline size_t skiff_nn_msg(void) { return NN_MSG; }

/* Receives one message without copying: *body receives a chunk to release with nn_freemsg.
   Returns the body's size, or -1 with nn_errno() set. */
static inline int skiff_nn_recv_chunk(int s, void **body, int flags) {
    return nn_recv(s, body, NN_MSG, flags);
}

/* Largest routing header the raw helpers carry: a backtrace through nanomsg's maximum of 8
   hops needs well under 128 bytes. */
#define SKIFF_NN_ROUTE_CAPACITY 256
static const int skiff_nn_route_capacity = SKIFF_NN_ROUTE_CAPACITY;

/* Receives one message on a raw (AF_SP_RAW) socket together with its routing header. The
   body arrives as a chunk (release with nn_freemsg); the header, an SP_HDR control message,
   is copied into `header` (capacity `capacity`, at most SKIFF_NN_ROUTE_CAPACITY) and its length stored in
   *header_length (0 if it did not fit). Returns the body's size, or -1 with nn_errno() set. */
static inline int skiff_nn_recv_routed(int s, void **body, void *header, size_t capacity,
                                       size_t *header_length, int flags) {
    struct nn_iovec iov;
    struct nn_msghdr hdr;
    union { size_t align; unsigned char bytes[SKIFF_NN_ROUTE_CAPACITY]; } control;
    int rc;
    if (capacity > sizeof(control.bytes)) capacity = sizeof(control.bytes);
    iov.iov_base = body;
    iov.iov_len = NN_MSG;
    memset(&hdr, 0, sizeof(hdr));
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control.bytes;
    hdr.msg_controllen = capacity;
    *header_length = 0;
    rc = nn_recvmsg(s, &hdr, flags);
    if (rc >= 0) {
        struct nn_cmsghdr *cmsg = NN_CMSG_FIRSTHDR(&hdr);
        if (cmsg != NULL && cmsg->cmsg_level == PROTO_SP && cmsg->cmsg_type == SP_HDR &&
            cmsg->cmsg_len <= capacity) {
            *header_length = cmsg->cmsg_len;
            memcpy(header, control.bytes, cmsg->cmsg_len);
        }
    }
    return rc;
}

/* Sends `body` (copied) on a raw socket along the route in `header`, as received by
   skiff_nn_recv_routed. Returns the number of bytes sent, or -1 with nn_errno() set. */
static inline int skiff_nn_send_routed(int s, const void *body, size_t length,
                                       const void *header, size_t header_length, int flags) {
    struct nn_iovec iov;
    struct nn_msghdr hdr;
    /* nanomsg reads size_t fields from the control buffer: give it an aligned copy. */
    union { size_t align; unsigned char bytes[SKIFF_NN_ROUTE_CAPACITY]; } control;
    if (header_length > sizeof(control.bytes)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(control.bytes, header, header_length);
    iov.iov_base = (void *)body;
    iov.iov_len = length;
    memset(&hdr, 0, sizeof(hdr));
    hdr.msg_iov = &iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control.bytes;
    hdr.msg_controllen = header_length;
    return nn_sendmsg(s, &hdr, flags);
}

/* An eventfd for waking a poll() loop: non-blocking, closed on exec. -1 with errno on failure. */
static inline int skiff_eventfd_open(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/* Names the calling thread (at most 15 bytes are kept), as shown in /proc/self/task/TID/comm. */
static inline int skiff_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

#endif /* SKIFF_CNANOMSG_SHIM_H */
