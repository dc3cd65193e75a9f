#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CSkiffHost.h"

_Static_assert(sizeof(struct skiff_datagram) == sizeof(struct mmsghdr), "skiff_datagram must be struct mmsghdr");
_Static_assert(offsetof(struct skiff_datagram, length) == offsetof(struct mmsghdr, msg_len), "skiff_datagram.length");

int skiff_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int skiff_spawn_closefrom(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int skiff_spawnattr_default_signals(posix_spawnattr_t *attributes) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (posix_spawnattr_setsigdefault(attributes, &all) != 0) return -1;
    if (posix_spawnattr_setsigmask(attributes, &none) != 0) return -1;
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

int skiff_recvmmsg(int fd, struct skiff_datagram *batch, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)batch, count, flags, NULL);
}

int skiff_sendmmsg(int fd, struct skiff_datagram *batch, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)batch, count, flags);
}
