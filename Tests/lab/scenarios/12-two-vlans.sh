#!/bin/bash
# Issue 3, must-show 2: two VFs into two containers with different VLANs; each
# receives only its own VLAN's traffic. Same subnet on both VLANs, so only the
# VLAN decides who can answer.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'peer_down; "$PLUMB" destroy "$WORK/m.yaml" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
ip link set "$PF" up
cat >"$WORK/m.yaml" <<YAML
version: 1
nics:
  - name: $PF
    sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12}, {index: 1, vlan: 13}]}
containers:
  - {name: c1, netns: c1, interfaces: [{name: eth1, vf: {nic: $PF, index: 0}, addresses: [10.50.0.2/24]}]}
  - {name: c2, netns: c2, interfaces: [{name: eth1, vf: {nic: $PF, index: 1}, addresses: [10.50.0.3/24]}]}
YAML
peer_up 12 10.50.0.1/24
ip -n peer link add link "$PEER" name v13 type vlan id 13; ip -n peer link set v13 up
step "apply"
expect 0 "$PLUMB" apply --no-verify "$WORK/m.yaml"
step "VLAN 12 reaches c1 (10.50.0.2) but not c2 (10.50.0.3)"
ip netns exec peer ping -c 2 -W 2 -I v12 10.50.0.2 >/dev/null || fail "c1 not reachable on VLAN 12"
ip netns exec peer ping -c 2 -W 1 -I v12 10.50.0.3 >/dev/null && fail "c2 answered on VLAN 12"
step "VLAN 13 reaches c2 but not c1"
ip -n peer addr flush dev v12; ip -n peer link set v12 down
ip -n peer addr add 10.50.0.1/24 dev v13
ip netns exec peer ping -c 2 -W 2 -I v13 10.50.0.3 >/dev/null || fail "c2 not reachable on VLAN 13"
rx1=$(ip -n c1 -s -j link show eth1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
ip netns exec peer ping -c 3 -W 1 -I v13 10.50.0.2 >/dev/null && fail "c1 answered on VLAN 13"
rx2=$(ip -n c1 -s -j link show eth1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])')
[ "$rx1" = "$rx2" ] || fail "c1 received $((rx2 - rx1)) packets sent on VLAN 13"
ok "each container receives only its own VLAN (c1 rx unchanged: $rx1)"
expect 0 "$PLUMB" destroy "$WORK/m.yaml"
