#!/bin/bash
# ip-baseline.sh N — the benchmark baseline: what `plumb apply / verify / destroy` of N
# bridged containers costs when done by hand with plain iproute2.
#
# Works in whatever network namespace it is started in; the benchmark starts it in a fresh
# sandbox, e.g.
#   unshare --net --mount --propagation private --fork \
#       sh -c 'mount -t tmpfs tmpfs /run; scripts/ip-baseline.sh 1000'
# It refuses to run where any link but lo exists (so never on a real host's namespace).
#
# apply:   bridge br0 10.88.0.1/16 up; per container cI (I = 1..N): `ip netns add cI`, a veth
#          whose peer is born inside cI and whose host end hI is mastered to br0 at creation,
#          then inside cI: eth0 up, 10.88.x.y/16, default via 10.88.0.1.
# verify:  `ip netns exec cI ping -c1 -W1 10.88.0.1` for each container, one after another.
# destroy: `ip netns del cI` for each (the veths go with their namespace), `ip link del br0`.
# Prints: ip-baseline: apply_ms=… verify_ms=… destroy_ms=…
#
# ip -batch: the same kernel requests, in the same order, as one `ip` invocation per line
# would send — batching saves only the fork/exec and netlink socket setup of each command.
#   - host side (br0, every `netns add`, every `link add … type veth`, and at destroy every
#     `netns del` plus `link del br0`): ONE `ip -batch -` process per phase;
#   - inside each container (eth0 up, addr add, route add): ONE `ip -n cI -batch -` per
#     container (a batch line cannot carry -n, so this is per namespace).
#   - verify cannot batch: ping is not an ip command.
# IP_BASELINE_BATCH=0 runs one `ip` process per command instead, to compare.
#
# Why it is superlinear in N (measured here, 2 cores): every `ip -n NS` and `ip netns exec NS`
# unshares a mount namespace (to remount /sys), which copies every mount — and /run/netns holds
# one bind mount per container. 10 netns: 3.7 ms per `ip -n` command; 1010 netns: 8.5 ms
# (`nsenter --net=…` stays ~3.5 ms). That is the cost of doing it the iproute2 way, so it stays.
#
# Note for N ≳ 500: the kernel's ARP table is ONE per machine, shared by every namespace
# (net.ipv4.neigh.default.gc_thresh3 = 1024 entries). Each ping adds two entries (the
# gateway inside cI, cI's address on br0); entries younger than 5 s cannot be reclaimed, so a
# fast or crowded verify can fail with "sendmsg: No buffer space available" (ENOBUFS; dmesg:
# "neighbor table overflow"). Failed pings are counted and make the exit status 1.
set -eu

N=${1:-}
case $N in
    ''|*[!0-9]*) echo "usage: $0 N   (N containers, 1..65000)" >&2; exit 2 ;;
esac
if [ "$N" -lt 1 ] || [ "$N" -gt 65000 ]; then echo "$0: N must be 1..65000" >&2; exit 2; fi
BATCH=${IP_BASELINE_BATCH:-1}

# Safety: only in an empty namespace (a sandbox), never beside a machine's real interfaces.
if [ "$(ip -o link show | wc -l)" -ne 1 ] || [ -n "$(ip netns list)" ]; then
    echo "$0: refusing to run: this network namespace is not empty (run it in a fresh sandbox)" >&2
    exit 2
fi

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Container I gets 10.88.x.y with x.y = I + 1, so 10.88.0.1 stays the gateway.
addr_of() { local n=$(( $1 + 1 )); echo "10.88.$(( n >> 8 )).$(( n & 255 ))"; }

host_apply_lines() {
    echo "link add br0 type bridge"
    echo "addr add 10.88.0.1/16 dev br0"
    echo "link set br0 up"
    for i in $(seq 1 "$N"); do
        echo "netns add c$i"
        echo "link add h$i master br0 up type veth peer name eth0 netns c$i"
    done
}

container_lines() {   # $1 = container number
    echo "link set eth0 up"
    echo "addr add $(addr_of "$1")/16 dev eth0"
    echo "route add default via 10.88.0.1"
}

host_destroy_lines() {
    for i in $(seq 1 "$N"); do echo "netns del c$i"; done
    echo "link del br0"
}

# Runs ip commands given one per line on stdin: `ip [-n NS] -batch -`, or one by one.
ip_lines() {   # $1 = netns or empty
    local ns_opt=()
    [ -n "${1:-}" ] && ns_opt=(-n "$1")
    if [ "$BATCH" = 1 ]; then
        ip "${ns_opt[@]}" -batch -
    else
        local line
        while IFS= read -r line; do
            # shellcheck disable=SC2086  # word splitting of the command line is intended
            ip "${ns_opt[@]}" $line
        done
    fi
}

# If anything fails, leave the namespace as it was found.
done_ok=0
cleanup() {
    [ "$done_ok" = 1 ] && return
    for i in $(seq 1 "$N"); do ip netns del "c$i" 2>/dev/null || true; done
    ip link del br0 2>/dev/null || true
}
trap cleanup EXIT

t0=$(now_ms)
host_apply_lines | ip_lines ""
for i in $(seq 1 "$N"); do container_lines "$i" | ip_lines "c$i"; done
t1=$(now_ms)

failed=0
for i in $(seq 1 "$N"); do
    if ! ip netns exec "c$i" ping -c1 -W1 10.88.0.1 >/dev/null 2>&1; then
        failed=$(( failed + 1 ))
        echo "ip-baseline: c$i ($(addr_of "$i")) did not get a reply from 10.88.0.1" >&2
    fi
done
t2=$(now_ms)

host_destroy_lines | ip_lines ""
t3=$(now_ms)
done_ok=1

echo "ip-baseline: apply_ms=$(( t1 - t0 )) verify_ms=$(( t2 - t1 )) destroy_ms=$(( t3 - t2 ))"
if [ "$failed" -gt 0 ]; then
    echo "ip-baseline: $failed of $N containers failed verify" >&2
    exit 1
fi
