// CSkiffHost: the few Linux calls Swift's Glibc module does not expose.
#ifndef CSKIFFHOST_H
#define CSKIFFHOST_H
#include <spawn.h>
#include <sys/socket.h>

// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a process spawned by
// another thread at the same moment cannot inherit them.
int skiff_pipe_cloexec(int fds[2]);

// Adds "close every descriptor from `lowest` up" to spawn file actions (glibc 2.34+).
int skiff_spawn_closefrom(posix_spawn_file_actions_t *actions, int lowest);

// Sets spawn attributes so the child starts with every signal at its default disposition and
// none blocked, whatever the parent ignores (SIGPIPE, SIGTERM) or masks. 0 on success.
int skiff_spawnattr_default_signals(posix_spawnattr_t *attributes);

// One datagram of a batch for skiff_recvmmsg/skiff_sendmmsg: `struct mmsghdr`'s layout (glibc
// declares that type only under _GNU_SOURCE, which Swift's Glibc module is built without).
struct skiff_datagram {
    struct msghdr header;
    unsigned int length;  // bytes received or sent for this datagram
};

// recvmmsg(2) and sendmmsg(2): a batch of datagrams per system call (no timeout).
int skiff_recvmmsg(int fd, struct skiff_datagram *batch, unsigned int count, int flags);
int skiff_sendmmsg(int fd, struct skiff_datagram *batch, unsigned int count, int flags);
#endif
