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
/* stdout flushed at each newline, whatever it is connected to. */
void plumb_line_buffer_stdout(void);
/* An AF_PACKET socket for ARP in the caller's namespace (closing it waits for an RCU
   grace period: open one per run, not one per question). -1 on error. */
int plumb_arp_socket(void);
/* One ARP request for tip, from smac/sip, sent out of ifindex to dmac (unicast: nothing
   is flooded); waits up to timeout_ms for the reply on ifindex or reply_ifindex (a bridge
   port's replies are received on its bridge). 1: answered (out_mac holds the sender's
   MAC), 0: no answer, -1: errno. */
int plumb_arp_ask(int fd, int ifindex, int reply_ifindex, const unsigned char smac[6], const unsigned char sip[4],
                  const unsigned char dmac[6], const unsigned char tip[4], int timeout_ms, unsigned char out_mac[6]);
/* open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode): -1 with errno (EOPNOTSUPP, EISDIR)
   where the filesystem has no unnamed files. */
int plumb_open_unnamed(const char *dir, mode_t mode);
/* linkat(fd, "", …, AT_EMPTY_PATH), else through /proc/self/fd: names an unnamed file. */
int plumb_link_unnamed(int fd, const char *path);

// plumb watch: SIGHUP, SIGTERM and SIGINT blocked in every thread and read from a file
// descriptor that poll(2) waits on beside the netlink sockets (no handler, no self-pipe).
int plumb_watch_signalfd(void);
// The signal number read from that descriptor, 0 when none is pending.
int plumb_read_signal(int fd);

/* An AF_PACKET socket bound to ifindex that reads the IPv4 (ipv6: IPv6) packets the link
   receives, in the caller's namespace. -1 on error. */
int plumb_arrival_socket(int ifindex, int ipv6);
/* Waits up to timeout_ms for a received packet of IP protocol `proto` (6 TCP, 17 UDP) to
   dst (4 or 16 bytes) at dport from source port sport. 1: it arrived, 0: not in time, -1: errno. */
int plumb_arrival_wait(int fd, int proto, const unsigned char *dst, int dst_len, int dport, int sport, int timeout_ms);

// Probes that wait for a packet until a deadline (ARP, arrival): milliseconds of the
// monotonic clock, and poll(2) for one descriptor until then (EINTR resumed).
long plumb_now_ms(void);
// 1 when `fd` is readable, 0 when the deadline passed, -1 on error.
int plumb_wait_readable(int fd, long deadline_ms);

/* RSS and rx flow hashing through SIOCETHTOOL (rss.c says why not netlink); -1 with errno. */
/* ETHTOOL_GRSSH with no buffers: the indirection table's and hash key's sizes. */
int plumb_rss_sizes(const char *ifname, unsigned *indir_size, unsigned *key_size);
/* ETHTOOL_SRSSH: the table (NULL: unchanged) and/or the key (NULL: unchanged); hash function unchanged. */
int plumb_rss_set(const char *ifname, const unsigned *indir, unsigned indir_size,
                  const unsigned char *key, unsigned key_size);
/* ETHTOOL_GRXFH / ETHTOOL_SRXFH: the RXH_* fields hashed for one flow type (TCP_V4_FLOW …). */
int plumb_rxfh_get(const char *ifname, unsigned flow_type, unsigned long long *fields);
int plumb_rxfh_set(const char *ifname, unsigned flow_type, unsigned long long fields);
