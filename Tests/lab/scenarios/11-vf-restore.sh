#!/bin/bash
# Destroy restores: with VFs already enabled by someone else (so plumb does not
# own the count), plumb moves VF 0 into a container with VLAN 12 and a MAC;
# destroy returns the VF netdev to the host under its old name, with VLAN 0 and
# its original MAC, and leaves sriov_numvfs as it found it.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'peer_down; "$PLUMB" destroy "$WORK/m.yaml" >/dev/null 2>&1; echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"' EXIT
ip link set "$PF" up
echo 2 > $DEV/sriov_numvfs
for i in $(seq 50); do ls $DEV/virtfn0/net/ >/dev/null 2>&1 && [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.2; done
host_name=$(ls $DEV/virtfn0/net/) || fail "VF 0 has no netdev"
before=$(vf_line 0 | sed 's/^ *//')
ok "before: $host_name; $before"
cat >"$WORK/m.yaml" <<YAML
version: 1
nics:
  - name: $PF
    sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:20", trust: true}]}
containers:
  - name: c1
    netns: c1
    interfaces: [{name: eth1, vf: {nic: $PF, index: 0}, addresses: [10.217.121.107/21]}]
YAML
step "apply"
expect 0 "$PLUMB" apply --no-verify "$WORK/m.yaml"
grep -q "set-numvfs\|sriov_numvfs" "$WORK/out" && fail "apply touched sriov_numvfs although it was already 2"
ip -n c1 link show eth1 >/dev/null || fail "VF not in c1 as eth1"
vf_line 0 | grep -q "vlan 12" || fail "no vlan 12 on vf 0"
step "destroy"
expect 0 "$PLUMB" destroy "$WORK/m.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 2 ] || fail "sriov_numvfs changed to $(cat $DEV/sriov_numvfs); plumb did not raise it"
[ "$(ls $DEV/virtfn0/net/ 2>/dev/null)" = "$host_name" ] || fail "VF 0 is not back in the host as $host_name (now: $(ls $DEV/virtfn0/net/ 2>/dev/null))"
after=$(vf_line 0 | sed 's/^ *//')
ok "after: $after"
echo "$after" | grep -q "vlan" && fail "vf 0 still has a VLAN: $after"
[ "$(echo "$after" | grep -o 'link/ether [0-9a-f:]*')" = "$(echo "$before" | grep -o 'link/ether [0-9a-f:]*')" ] || fail "vf 0 MAC not restored: before '$before', after '$after'"
echo "$after" | grep -q "trust on" && fail "trust not restored"
ok "VF back as $host_name, VLAN 0, MAC and trust restored, numvfs untouched"
