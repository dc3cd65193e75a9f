// skiff-shim: the per-container monitor between the kubelet and runc, as containerd-shim and
// conmon are. It outlives the kubelet, so a restarted kubelet finds its containers' logs and
// exit statuses intact.
//
//   skiff-shim --runc PATH --root DIR --id ID --bundle DIR --log FILE --status FILE
//              [--oom-control FILE] [--log-max-bytes N]
//
// It creates and starts the container with runc, prints "started PID SHIMPID" (the
// container's init and the monitor's own pid; or the error, exit 1)
// and returns, leaving a detached child that: copies the container's stdout and stderr into
// FILE, rotating it to FILE.1 past N bytes; is the child subreaper that reaps the container's
// init process; and on exit writes STATUS (JSON: exitCode, signal, oomKilled, finishedAt)
// atomically. It never deletes the container: the kubelet does, after reading the status.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

struct options {
    const char *runc, *root, *id, *bundle, *log, *status, *oom_control;
    long long log_max_bytes;
};

static void usage(void) {
    fputs("usage: skiff-shim --runc PATH --root DIR --id ID --bundle DIR --log FILE --status FILE "
          "[--oom-control FILE] [--log-max-bytes N]\n", stderr);
    exit(2);
}

static struct options parse(int argc, char **argv) {
    struct options o = {0};
    o.log_max_bytes = 10 * 1024 * 1024;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        const char *flag = argv[i], *value = argv[++i];
        if (!strcmp(flag, "--runc")) o.runc = value;
        else if (!strcmp(flag, "--root")) o.root = value;
        else if (!strcmp(flag, "--id")) o.id = value;
        else if (!strcmp(flag, "--bundle")) o.bundle = value;
        else if (!strcmp(flag, "--log")) o.log = value;
        else if (!strcmp(flag, "--status")) o.status = value;
        else if (!strcmp(flag, "--oom-control")) o.oom_control = value;
        else if (!strcmp(flag, "--log-max-bytes")) o.log_max_bytes = atoll(value);
        else usage();
    }
    if (!o.runc || !o.root || !o.id || !o.bundle || !o.log || !o.status) usage();
    return o;
}

// Runs runc with the given arguments, its stdout and stderr on `out` and `err`; returns its
// wait status, or -1 if it could not start.
static int run_runc(const struct options *o, char *const args[], int out, int err) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(o->runc, args);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return status;
}

// Reads what is waiting on a pipe without blocking (runc's error message).
static void drain(int fd, char *buffer, size_t size) {
    size_t used = strlen(buffer);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (used + 1 < size) {
        ssize_t n = read(fd, buffer + used, size - used - 1);
        if (n <= 0) break;
        used += (size_t)n;
    }
    buffer[used] = 0;
}

static void write_all(int fd, const char *bytes, size_t left) {
    while (left > 0) {
        ssize_t n = write(fd, bytes, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes += n;
        left -= (size_t)n;
    }
}

static void report(int fd, const char *text) { write_all(fd, text, strlen(text)); }

static int open_log(const char *path) {
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

static int read_oom_kills(const char *path) {
    if (!path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char key[64];
    long long value, kills = 0;
    while (fscanf(f, "%63s %lld", key, &value) == 2)
        if (!strcmp(key, "oom_kill")) kills = value;
    fclose(f);
    return kills > 0;
}

static void write_status(const struct options *o, int wait_status) {
    int exit_code = 0, signal_number = 0;
    if (WIFEXITED(wait_status)) exit_code = WEXITSTATUS(wait_status);
    else if (WIFSIGNALED(wait_status)) { signal_number = WTERMSIG(wait_status); exit_code = 128 + signal_number; }
    struct timeval now;
    gettimeofday(&now, NULL);
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", o->status);
    FILE *f = fopen(temporary, "w");
    if (!f) return;
    fprintf(f, "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"finishedAt\":%ld.%06ld}\n", exit_code,
            signal_number, read_oom_kills(o->oom_control) ? "true" : "false", (long)now.tv_sec, (long)now.tv_usec);
    fflush(f);
    fsync(fileno(f));
    fclose(f);
    rename(temporary, o->status);
}

// Appends to the log, rotating it to LOG.1 whenever the next bytes would take it past the
// limit, so that no file grows beyond it (a long chunk spans files). Returns the open log.
static int append_log(const struct options *o, int log, const char *bytes, size_t length) {
    while (length > 0 && log >= 0) {
        size_t room = length;
        struct stat st;
        if (o->log_max_bytes > 0 && fstat(log, &st) == 0) {
            long long left = o->log_max_bytes - (long long)st.st_size;
            if (left <= 0) {
                char rotated[4096];
                snprintf(rotated, sizeof rotated, "%s.1", o->log);
                rename(o->log, rotated);
                close(log);
                log = open_log(o->log);
                continue;
            }
            if ((long long)room > left) room = (size_t)left;
        }
        write_all(log, bytes, room);
        bytes += room;
        length -= room;
    }
    return log;
}

// The detached monitor: log copying and reaping until the container's init has exited and its
// output is drained.
static void monitor(const struct options *o, pid_t init, int out, int err) {
    int log = open_log(o->log);
    struct pollfd fds[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
    int open_pipes = 2, init_status = 0, init_reaped = 0;
    char buffer[65536];
    while (open_pipes > 0 || !init_reaped) {
        if (open_pipes > 0) {
            int ready = poll(fds, 2, 200);
            for (int i = 0; ready > 0 && i < 2; i++) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
                if (n > 0) {
                    log = append_log(o, log, buffer, (size_t)n);
                } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    open_pipes--;
                }
            }
        }
        int status;
        pid_t pid;
        // Reap everything reparented to us; remember init's status.
        while ((pid = waitpid(-1, &status, open_pipes > 0 ? WNOHANG : 0)) > 0) {
            if (pid == init) { init_status = status; init_reaped = 1; break; }
        }
        if (pid < 0 && errno == ECHILD && !init_reaped) {
            // init was reaped by someone else (cannot happen while we are its subreaper);
            // report an unknown exit rather than waiting forever.
            init_status = 255 << 8;
            init_reaped = 1;
        }
    }
    if (log >= 0) { fsync(log); close(log); }
    write_status(o, init_status);
}

int main(int argc, char **argv) {
    struct options o = parse(argc, argv);
    int result[2];
    if (pipe2(result, O_CLOEXEC) < 0) { perror("pipe"); return 1; }
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child > 0) {
        // The caller's side: wait for the detached child's verdict.
        close(result[1]);
        char verdict[8192] = "";
        size_t used = 0;
        ssize_t n;
        while (used + 1 < sizeof verdict && (n = read(result[0], verdict + used, sizeof verdict - used - 1)) != 0) {
            if (n < 0) { if (errno == EINTR) continue; break; }
            used += (size_t)n;
        }
        verdict[used] = 0;
        if (strncmp(verdict, "started ", 8) == 0) { fputs(verdict, stdout); return 0; }
        fputs(used ? verdict : "skiff-shim: the monitor died before starting the container\n", stderr);
        return 1;
    }
    close(result[0]);
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGPIPE, SIG_IGN);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) { report(result[1], "skiff-shim: pipe failed\n"); return 1; }

    char pid_file[4096];
    snprintf(pid_file, sizeof pid_file, "%s/init.pid", o.bundle);
    unlink(pid_file);
    char *create[] = {(char *)o.runc, "--root", (char *)o.root, "create", "--bundle", (char *)o.bundle,
                      "--pid-file", pid_file, (char *)o.id, NULL};
    int status = run_runc(&o, create, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    if (status != 0) {
        char message[8192] = "runc create failed: ";
        drain(err[0], message, sizeof message);
        drain(out[0], message, sizeof message);
        strcat(message, "\n");
        report(result[1], message);
        return 1;
    }
    char start_error[8192] = "runc start failed: ";
    int start_pipe[2];
    if (pipe2(start_pipe, O_CLOEXEC) < 0) return 1;
    char *start[] = {(char *)o.runc, "--root", (char *)o.root, "start", (char *)o.id, NULL};
    status = run_runc(&o, start, start_pipe[1], start_pipe[1]);
    close(start_pipe[1]);
    if (status != 0) {
        drain(start_pipe[0], start_error, sizeof start_error);
        strcat(start_error, "\n");
        report(result[1], start_error);
        char *remove[] = {(char *)o.runc, "--root", (char *)o.root, "delete", "--force", (char *)o.id, NULL};
        run_runc(&o, remove, null, null);
        return 1;
    }
    close(start_pipe[0]);
    FILE *f = fopen(pid_file, "r");
    int init = 0;
    if (!f || fscanf(f, "%d", &init) != 1) init = 0;
    if (f) fclose(f);
    char started[64];
    snprintf(started, sizeof started, "started %d %d\n", init, (int)getpid());
    report(result[1], started);
    close(result[1]);
    monitor(&o, init, out[0], err[0]);
    return 0;
}
