# Shared helpers for plumb lab scenarios (sourced, not run).
PF=${LAB_PF:?LAB_PF not set (run through Tests/lab/run.sh)}
PEER=${LAB_PEER:?LAB_PEER not set}
DEV=/sys/class/net/$PF/device
WORK=$(mktemp -d /tmp/scenario.XXXXXX)
step() { echo "--- $*"; }
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }
# expect RC CMD...: run CMD, show its output, fail unless it exits RC.
expect() {
  local want=$1; shift
  "$@" >"$WORK/out" 2>&1; local rc=$?
  sed 's/^/    /' "$WORK/out"
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}
# The VLAN peer: the virtio NIC in its own namespace, a VLAN subinterface per tag.
peer_up() {  # peer_up VLAN ADDR/PREFIX
  ip netns list | grep -qw peer || { ip netns add peer; ip link set "$PEER" netns peer; ip -n peer link set "$PEER" up; }
  ip -n peer link add link "$PEER" name "v$1" type vlan id "$1"
  ip -n peer addr add "$2" dev "v$1"
  ip -n peer link set "v$1" up
}
peer_down() {
  ip netns list | grep -qw peer || return 0
  ip -n peer link set "$PEER" netns 1 2>/dev/null
  ip netns delete peer
}
vf_line() { ip link show "$PF" | grep -E "^ +vf $1 "; }
# netdevsim (built by setup.sh, loaded at boot): a simulated SR-IOV PF, the lab's second
# driver. nsim_up ID creates bus device netdevsimID with one port and prints its netdev's
# name; nsim_down ID removes it (and its VFs). max_vfs (debugfs) defaults to 4.
nsim_up() {
  [ -d /sys/bus/netdevsim ] || fail "netdevsim is not loaded (Tests/lab/setup.sh builds it)"
  mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
  echo "$1 1" >/sys/bus/netdevsim/new_device || fail "cannot create netdevsim$1"
  local i=0
  while [ $i -lt 50 ]; do
    for n in /sys/bus/netdevsim/devices/netdevsim"$1"/net/*; do
      [ -e "$n" ] && { echo "${n##*/}"; return 0; }
    done
    i=$((i + 1)); sleep 0.1
  done
  fail "netdevsim$1 has no netdev"
}
nsim_down() { [ -d "/sys/bus/netdevsim/devices/netdevsim$1" ] && echo "$1" >/sys/bus/netdevsim/del_device; return 0; }
