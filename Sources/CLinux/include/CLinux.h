// Linux calls Glibc hides from Swift without _GNU_SOURCE.
#pragma once
#include <sys/types.h>
int plumb_unshare(int flags);
int plumb_setns(int fd, int nstype);
pid_t plumb_gettid(void);
int plumb_clone_newnet(void);
int plumb_pipe_cloexec(int fds[2]);
int plumb_spawn(pid_t *pid, const char *path, int stdin_fd, int stdout_fd, char *const argv[], char *const envp[]);
/* 1 when path is on nsfs (a namespace file), 0 when not, -1 on error (errno set). */
int plumb_is_nsfs(const char *path);
/* SIGPIPE ignored: a write to a closed pipe fails with EPIPE instead of killing Plumb. */
void plumb_ignore_sigpipe(void);
