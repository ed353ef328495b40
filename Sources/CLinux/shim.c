#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "CLinux.h"

int plumb_unshare(int flags) { return unshare(flags); }
int plumb_setns(int fd, int nstype) { return setns(fd, nstype); }
pid_t plumb_gettid(void) { return (pid_t)syscall(SYS_gettid); }
int plumb_clone_newnet(void) { return CLONE_NEWNET; }
