#include <errno.h>
#include <poll.h>
#include <time.h>
#include "CLinux.h"

long plumb_now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int plumb_wait_readable(int fd, long deadline_ms) {
    for (;;) {
        long left = deadline_ms - plumb_now_ms();
        if (left <= 0) return 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR) continue;
        return n < 0 ? -1 : n > 0;
    }
}
