// CSkiffHost: the few Linux calls Swift's Glibc module does not expose.
#ifndef CSKIFFHOST_H
#define CSKIFFHOST_H
#include <spawn.h>

// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a process spawned by
// another thread at the same moment cannot inherit them.
int skiff_pipe_cloexec(int fds[2]);

// Adds "close every descriptor from `lowest` up" to spawn file actions (glibc 2.34+).
int skiff_spawn_closefrom(posix_spawn_file_actions_t *actions, int lowest);
#endif
