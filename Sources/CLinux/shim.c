#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdio.h>
#include "CLinux.h"

int plumb_unshare(int flags) { return unshare(flags); }
int plumb_setns(int fd, int nstype) { return setns(fd, nstype); }
pid_t plumb_gettid(void) { return (pid_t)syscall(SYS_gettid); }
int plumb_clone_newnet(void) { return CLONE_NEWNET; }
int plumb_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* posix_spawn with the child's stdin and stdout on the given fds and stderr
   inherited; every other descriptor of ours is close-on-exec. Returns 0 or an errno. */
int plumb_spawn(pid_t *pid, const char *path, int stdin_fd, int stdout_fd, char *const argv[], char *const envp[]) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t defaults;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }
    /* Plumb ignores SIGPIPE (a write to a plugin that exited is an error, not a kill);
       the plugin gets the default back. */
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    rc = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

void plumb_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }
void plumb_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

#include <sys/vfs.h>
#include <linux/magic.h>
int plumb_is_nsfs(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -1;
    return fs.f_type == NSFS_MAGIC ? 1 : 0;
}

/* An unnamed file in dir (O_TMPFILE): nothing to leave behind if the writer is killed. */
int plumb_open_unnamed(const char *dir, mode_t mode) {
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}

/* Gives an unnamed file a name (fails with EEXIST when taken). */
int plumb_link_unnamed(int fd, const char *path) {
    if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0) return 0;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

#include <sys/signalfd.h>
#include <signal.h>
#include <pthread.h>

int plumb_watch_signalfd(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    // Blocked before any other thread starts, so every thread inherits the mask and the
    // signals queue for the descriptor instead of killing the process.
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int plumb_read_signal(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    return n == (ssize_t)sizeof(info) ? (int)info.ssi_signo : 0;
}
