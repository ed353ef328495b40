#!/bin/bash
# Lab smoke test, iproute2 only (no plumb): proves the emulated 82576 does
# SR-IOV with the real igb/igbvf drivers, the seed's VF recipe works, and a
# VLAN-12 peer on the other NIC reaches the VF inside a namespace.
# Env from the lab: LAB_PF (igb PF netdev), LAB_PEER (virtio-net peer netdev).
set -u

PF=${LAB_PF:?LAB_PF not set (run through Tests/lab/run.sh)}
PEER=${LAB_PEER:?LAB_PEER not set}
DEV=/sys/class/net/$PF/device
NS=c1
VF_MAC=02:00:00:00:00:10
VF_ADDR=10.217.121.107
GW=10.217.120.1
PREFIX=21
VLAN=12
VLANDEV=$PEER.$VLAN

step() { echo "--- $*"; }
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; exit 1; }
# poll CMD... until it succeeds, at most $1 seconds (0.2 s steps)
wait_for() {
  local limit=$1 i=0; shift
  while [ $i -lt $((limit * 5)) ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2; i=$((i + 1))
  done
  return 1
}

RX_PID=""
cleanup() {  # best effort, also after a failure; the success path undoes explicitly
  [ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null
  ip netns delete $NS 2>/dev/null
  ip link delete "$VLANDEV" 2>/dev/null
  [ "$(cat $DEV/sriov_numvfs 2>/dev/null)" != 0 ] && echo 0 >$DEV/sriov_numvfs 2>/dev/null
  return 0
}
trap cleanup EXIT

step "PF $PF ($(basename "$(readlink -f $DEV)"), driver $(basename "$(readlink $DEV/driver)")), peer $PEER"
[ "$(basename "$(readlink $DEV/driver)")" = igb ] || fail "$PF is not driven by igb"
total=$(cat $DEV/sriov_totalvfs) || fail "no sriov_totalvfs on $PF"
[ "$total" = 7 ] || fail "sriov_totalvfs is $total, expected 7"
ok "sriov_totalvfs 7"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is not 0 at start"

step "enable 7 VFs"
ip link set "$PF" up || fail "cannot set $PF up"
t0=$(date +%s.%N)
echo 7 >$DEV/sriov_numvfs || fail "writing 7 to sriov_numvfs failed"
vf_netdevs() { ls -d $DEV/virtfn*/net/* 2>/dev/null | wc -l; }
all_vfs_up() { [ "$(vf_netdevs)" = 7 ]; }
wait_for 30 all_vfs_up || fail "only $(vf_netdevs) of 7 VF netdevs appeared within 30 s"
ok "7 VF netdevs in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s:" \
  "$(for v in $DEV/virtfn*; do echo -n "$(basename "$v")=$(ls "$v/net") "; done)"
for v in $DEV/virtfn*/driver; do
  [ "$(basename "$(readlink "$v")")" = igbvf ] || fail "$(dirname "$v") is not driven by igbvf"
done
ok "all VFs driven by igbvf"

step "VF 0: vlan $VLAN, mac $VF_MAC (from the PF)"
ip link set "$PF" vf 0 vlan $VLAN || fail "ip link set $PF vf 0 vlan $VLAN"
ip link set "$PF" vf 0 mac $VF_MAC || fail "ip link set $PF vf 0 mac $VF_MAC"
vfline=$(ip link show "$PF" | grep -E '^[[:space:]]+vf 0 ')
echo "$vfline"
echo "$vfline" | grep -qE "vf 0 .*link/ether $VF_MAC .*vlan $VLAN" || fail "ip link show $PF does not show vf 0 with mac $VF_MAC vlan $VLAN"
ok "ip link show $PF: vf 0 ... vlan $VLAN, mac $VF_MAC"

step "VF 0 into netns $NS as eth1"
VF=$(ls $DEV/virtfn0/net/) || fail "no netdev for virtfn0"
ip netns add $NS || fail "ip netns add $NS"
ip link set "$VF" netns $NS || fail "ip link set $VF netns $NS"
ip -n $NS link set "$VF" name eth1 || fail "rename $VF to eth1 in $NS"
# A VF takes the PF-assigned MAC only after one down/up.
ip -n $NS link set eth1 up && ip -n $NS link set eth1 down && ip -n $NS link set eth1 up || fail "eth1 up/down/up"
has_mac() { ip -n $NS -o link show eth1 | grep -q "link/ether $VF_MAC "; }
wait_for 10 has_mac || fail "eth1 in $NS does not have MAC $VF_MAC: $(ip -n $NS -o link show eth1)"
ok "eth1 in $NS has the PF-assigned MAC $VF_MAC"
ip -n $NS link set lo up
ip -n $NS addr add $VF_ADDR/$PREFIX dev eth1 || fail "address $VF_ADDR/$PREFIX on eth1"
ip -n $NS route add default via $GW || fail "default route via $GW in $NS"
ip -n $NS route show default | grep -q "default via $GW dev eth1" || fail "default route missing in $NS"
ok "eth1 $VF_ADDR/$PREFIX, default via $GW"

step "peer $PEER: VLAN $VLAN subinterface $VLANDEV with $GW/$PREFIX"
ip link set "$PEER" up || fail "set $PEER up"
ip link add link "$PEER" name "$VLANDEV" type vlan id $VLAN || fail "create VLAN $VLAN on $PEER"
ip addr add $GW/$PREFIX dev "$VLANDEV" || fail "address on $VLANDEV"
ip link set "$VLANDEV" up || fail "set $VLANDEV up"
carrier() { ip -n "$1" -o link show "$2" | grep -q 'LOWER_UP'; }
wait_for 20 carrier $NS eth1 || fail "eth1 in $NS has no carrier: $(ip -n $NS -o link show eth1)"
wait_for 20 ip -o link show "$VLANDEV" up || fail "$VLANDEV is not up"
ok "links up"

step "ping $VF_ADDR from the peer (tagged VLAN $VLAN)"
rx_before=$(ip netns exec $NS cat /sys/class/net/eth1/statistics/rx_packets)
ping -c 3 -i 0.3 -W 2 -w 20 $VF_ADDR || fail "no ping replies from $VF_ADDR"
ok "3 replies from $VF_ADDR"
ip netns exec $NS ping -c 2 -i 0.3 -W 2 -w 10 $GW || fail "$NS cannot ping its gateway $GW"
ok "$NS pings its gateway $GW"

step "UDP datagram with a nonce from the peer into $NS"
command -v python3 >/dev/null || fail "python3 not found"
NONCE="plumb-lab-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
RXFILE=${LAB_OUT:-/tmp}/udp-received
rm -f "$RXFILE" "$RXFILE.ready"
ip netns exec $NS python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5555))
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(20)
data, peer = s.recvfrom(2048)
with open(sys.argv[2], "w") as f:
    f.write(data.decode() + " from " + peer[0] + "\n")
' $VF_ADDR "$RXFILE" &
RX_PID=$!
wait_for 15 test -e "$RXFILE.ready" || fail "UDP receiver in $NS did not start"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(sys.argv[1].encode(), (sys.argv[2], 5555))
    time.sleep(0.3)
' "$NONCE" $VF_ADDR || fail "sending the UDP datagram failed"
wait "$RX_PID"; rxrc=$?; RX_PID=""
[ $rxrc = 0 ] || fail "UDP receiver in $NS got nothing (exit $rxrc)"
got=$(cat "$RXFILE")
echo "received: $got"
[ "$got" = "$NONCE from $GW" ] || fail "received '$got', expected '$NONCE from $GW'"
rx_after=$(ip netns exec $NS cat /sys/class/net/eth1/statistics/rx_packets)
[ "$rx_after" -gt "$rx_before" ] || fail "eth1 rx_packets did not move ($rx_before -> $rx_after)"
ok "nonce received inside $NS from $GW; eth1 rx_packets $rx_before -> $rx_after"

step "undo"
ip netns delete $NS || fail "ip netns delete $NS"
ip link delete "$VLANDEV" || fail "delete $VLANDEV"
echo 0 >$DEV/sriov_numvfs || fail "writing 0 to sriov_numvfs failed"
no_vfs() { [ "$(vf_netdevs)" = 0 ] && ! ls -d $DEV/virtfn* >/dev/null 2>&1; }
wait_for 30 no_vfs || fail "VFs still present after sriov_numvfs=0"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is not 0"
ok "sriov_numvfs 0, no VFs left"
echo "smoke: all steps passed"
