// Linux calls Glibc hides from Swift without _GNU_SOURCE.
#pragma once
#include <sys/types.h>
int plumb_unshare(int flags);
int plumb_setns(int fd, int nstype);
pid_t plumb_gettid(void);
int plumb_clone_newnet(void);
