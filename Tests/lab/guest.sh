#!/bin/sh
# Runs INSIDE the lab guest, chrooted into the host's read-only root, as
# /run/lab/guest.sh (run.sh copies it into the writable 9p share, mounted at
# /run/lab). Runs each scenario listed in /run/lab/scenarios with its own
# timeout and records <name>.log / <name>.rc / <name>.time under /run/lab/results.
# Its own stdout is the guest console.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8
SHARE=/run/lab
RESULTS=$SHARE/results
mkdir -p "$RESULTS"
. "$SHARE/env"   # LAB_REPO, LAB_DIR, PLUMB, LAB_SCENARIO_TIMEOUT

say() { echo "lab-guest: $*"; }
put() { printf '%s\n' "$2" >"$1.part" && mv "$1.part" "$1"; }   # the host polls these files
put "$SHARE/booted-uptime" "$(cut -d' ' -f1 /proc/uptime)"
say "kernel $(uname -r), up $(cat "$SHARE/booted-uptime") s"

ip link set lo up

# The NICs: the 82576 PF (driver igb) and its virtio-net peer on the same QEMU hub.
netdev_by_driver() {
  for n in /sys/class/net/*; do
    [ -e "$n/device/driver" ] || continue
    d=$(readlink "$n/device/driver")   # (shell builtins where possible: every exec is slow under TCG)
    if [ "${d##*/}" = "$1" ]; then echo "${n##*/}"; return 0; fi
  done
  return 1
}
LAB_PF="" LAB_PEER=""
i=0
while [ $i -lt 100 ]; do   # up to 10 s for both netdevs to register
  LAB_PF=$(netdev_by_driver igb) && LAB_PEER=$(netdev_by_driver virtio_net) && break
  i=$((i + 1)); sleep 0.1
done
if [ -z "$LAB_PF" ] || [ -z "$LAB_PEER" ]; then
  say "FATAL: igb PF '$LAB_PF' or virtio peer '$LAB_PEER' not found"
  ls -l /sys/class/net/
  echo "igb PF or virtio peer netdev not found" >"$SHARE/guest-error"
  exit 1
fi
LAB_PF_PCI=$(basename "$(readlink -f "/sys/class/net/$LAB_PF/device")")
export LAB_PF LAB_PEER LAB_PF_PCI LAB_REPO LAB_DIR PLUMB
say "PF $LAB_PF ($LAB_PF_PCI, sriov_totalvfs $(cat "/sys/class/net/$LAB_PF/device/sriov_totalvfs" 2>/dev/null)), peer $LAB_PEER"

BASELINE_LINKS=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | tr '\n' '|')
BASELINE_LINKS=${BASELINE_LINKS%|}

# Bring the guest back to a clean state after a scenario, and say what was left.
reset_state() {
  left=""
  n=$(cat "/sys/class/net/$LAB_PF/device/sriov_numvfs" 2>/dev/null || echo 0)
  if [ "$n" != 0 ]; then
    left="$left sriov_numvfs=$n"
    echo 0 >"/sys/class/net/$LAB_PF/device/sriov_numvfs"
  fi
  for d in /sys/bus/netdevsim/devices/netdevsim*; do   # a netdevsim PF a scenario left
    [ -e "$d" ] || continue
    left="$left ${d##*/}"
    echo "${d##*netdevsim}" >/sys/bus/netdevsim/del_device
  done
  ns=$(ip netns list 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')
  if [ -n "$ns" ]; then
    left="$left netns:[ $ns]"
    for x in $ns; do ip netns delete "$x"; done
  fi
  extra=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
    grep -vxE "$BASELINE_LINKS" | tr '\n' ' ')
  if [ -n "$extra" ]; then
    left="$left links:[ $extra]"
    for x in $extra; do ip link delete "$x" 2>/dev/null; done
  fi
  for d in "$LAB_PF" "$LAB_PEER"; do
    if [ -n "$(ip -o addr show dev "$d" scope global)" ]; then left="$left addresses-on-$d"; ip addr flush dev "$d" scope global; fi
  done
  [ -n "$left" ] && echo "$left"
  return 0
}

T=${LAB_SCENARIO_TIMEOUT:-300}
while read -r name path; do
  [ -n "$name" ] || continue
  out=$SHARE/work/$name
  mkdir -p "$out"
  say "scenario $name: start (up $(cut -d" " -f1 /proc/uptime) s)"
  echo "$name" >"$SHARE/current"
  dmesg_before=$(dmesg | wc -l)
  t0=$(cut -d' ' -f1 /proc/uptime)
  LAB_OUT=$out timeout -k 10 "$T" /bin/bash "$path" >"$RESULTS/$name.log" 2>&1 </dev/null
  rc=$?
  t1=$(cut -d' ' -f1 /proc/uptime)
  [ $rc = 124 ] && echo "lab: scenario timed out after $T s" >>"$RESULTS/$name.log"
  msgs=$(dmesg | tail -n +"$((dmesg_before + 1))")
  if [ -n "$msgs" ]; then
    { echo "--- guest kernel messages during the scenario ---"; echo "$msgs"; } >>"$RESULTS/$name.kmsg"
  fi
  left=$(reset_state)
  [ -n "$left" ] && echo "lab: scenario left behind (reset before the next one):$left" >>"$RESULTS/$name.log"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$RESULTS/$name.time"
  put "$RESULTS/$name.rc" "$rc"
  say "scenario $name: exit $rc in $(cat "$RESULTS/$name.time") s"
done <"$SHARE/scenarios"

rm -f "$SHARE/current"
put "$SHARE/done" "$(cut -d' ' -f1 /proc/uptime)"
say "all scenarios ran (up $(cut -d" " -f1 /proc/uptime) s)"
exit 0
