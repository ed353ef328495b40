#!/bin/bash
# Issue 15, must-shows 2 and 3 on Debian's kernel (this machine's has no ipvlan, no 8021q):
# ipvlan l2 and l3 into containers reaching the peer; a VLAN subinterface of the PF and one
# of a VF inside its container, each reaching the peer on its VLAN; 802.1ad on igb and on a
# bridge; drift (deleted, renamed, moved) planned with exit 2 and repaired; destroy leaving
# a foreign ipvlan and a foreign VLAN on the same PF.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
cleanup() {
  for m in l2 l3 vlans qinq igbad example; do "$PLUMB" destroy "$WORK/$m.yaml" >/dev/null 2>&1; done
  ip link del fip0 2>/dev/null; ip link del fv30 2>/dev/null; ip link del fv31 2>/dev/null
  ip netns del k1 2>/dev/null; ip netns del k2 2>/dev/null
  ip addr flush dev "$PF" 2>/dev/null
  peer_down; echo 0 >"$DEV/sriov_numvfs"; rm -rf "$WORK"
}
trap cleanup EXIT
ip link set "$PF" up
# The untagged peer: the virtio NIC in netns peer (peer_up adds the VLANs on it later).
ip netns add peer; ip link set "$PEER" netns peer; ip -n peer link set "$PEER" up
ip -n peer addr add 10.60.0.1/24 dev "$PEER"
ping_peer() {  # ping_peer NS ADDR: the container reaches the peer (3 tries: TCG is slow)
  ip netns exec "$1" ping -c 2 -W 3 "$2" >/dev/null || ip netns exec "$1" ping -c 3 -W 3 "$2" >/dev/null
}

step "ipvlan l2 (flag private): a container on the PF reaches the peer; verify passes"
cat >"$WORK/l2.yaml" <<YAML
version: 1
name: l2
containers:
  - name: i2
    netns: i2
    interfaces: [{name: eth1, ipvlan: {parent: $PF, mode: l2, flags: private}, addresses: [10.60.0.2/24]}]
    routes: [{to: 10.99.0.0/16, via: 10.60.0.1}]
YAML
expect 0 "$PLUMB" apply "$WORK/l2.yaml"
ip -n i2 -d link show eth1 | grep -qE "ipvlan +mode l2 private" || { ip -n i2 -d link show eth1; fail "eth1 is not an l2 private ipvlan"; }
ping_peer i2 10.60.0.1 || fail "the l2 ipvlan does not reach the peer"
ip netns exec peer ping -c 2 -W 3 10.60.0.2 >/dev/null || fail "the peer does not reach the l2 ipvlan"
ok "l2 ipvlan <-> peer"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/l2.yaml"

step "a foreign ipvlan (l2, flag bridge) made on the same PF switches ours to bridge: the kernel keeps one mode and flag per parent"
ip link add link "$PF" name fip0 type ipvlan mode l2 bridge
ip -n i2 -d link show eth1 | grep -qE "ipvlan +mode l2 bridge" || { ip -n i2 -d link show eth1; fail "the kernel did not switch eth1 of i2 to the new ipvlan's flag"; }
expect 1 "$PLUMB" plan "$WORK/l2.yaml"
grep -q "fip0 in mode l2 bridge: the kernel keeps one ipvlan mode and flag per parent" "$WORK/out" || fail "the repair is not refused naming fip0"
ip -d link show fip0 | grep -qE "mode l2 bridge" || fail "the foreign ipvlan's flag changed"
step "an l3 manifest on that PF is refused before any change"
cat >"$WORK/l3.yaml" <<YAML
version: 1
name: l3
containers:
  - name: i3
    netns: i3
    interfaces: [{name: eth1, ipvlan: {parent: $PF, mode: l3}, addresses: [10.61.0.3/32]}]
    routes: [{to: 10.60.0.0/24, dev: eth1}]
YAML
expect 1 "$PLUMB" apply "$WORK/l3.yaml"
grep -q "one ipvlan mode and flag per parent" "$WORK/out" || fail "the refusal does not say the mode is the parent's"
ip netns list | grep -qw i3 && fail "a refused plan created netns i3"
ip -d link show fip0 | grep -q "mode l2" || fail "the foreign ipvlan's mode changed"

step "destroy l2: the foreign ipvlan on the same PF survives"
expect 0 "$PLUMB" destroy "$WORK/l2.yaml"
ip link show fip0 >/dev/null 2>&1 || fail "destroy removed the foreign ipvlan fip0"
ip netns list | grep -qw i2 && fail "netns i2 left behind"
ip link del fip0
ok "fip0 survived destroy"

step "ipvlan l3: the container's packets are routed by the host's table; the peer routes back via the PF's address"
ip addr add 10.60.0.254/24 dev "$PF"
ip -n peer route add 10.61.0.0/24 via 10.60.0.254
expect 0 "$PLUMB" apply --no-verify "$WORK/l3.yaml"
ip -n i3 -d link show eth1 | grep -qE "ipvlan +mode l3" || { ip -n i3 -d link show eth1; fail "eth1 is not an l3 ipvlan"; }
ping_peer i3 10.60.0.1 || fail "the l3 ipvlan does not reach the peer"
ok "l3 ipvlan -> peer"
step "drift: the l3 ipvlan moved to the host namespace -> plan exit 2, apply repairs"
ip -n i3 link set eth1 netns 1 name mv3
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/l3.yaml"
expect 0 "$PLUMB" apply --no-verify "$WORK/l3.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/l3.yaml"
ip link show mv3 >/dev/null 2>&1 && fail "the moved ipvlan is still in the host"
ping_peer i3 10.60.0.1 || fail "the repaired l3 ipvlan does not reach the peer"
expect 0 "$PLUMB" destroy "$WORK/l3.yaml"
ip -n peer route del 10.61.0.0/24; ip addr flush dev "$PF"
ok "l3 moved, repaired, destroyed"

step "VLAN 21 on the PF into c21, VLAN 22 on VF 0 inside c22: each reaches the peer on its VLAN"
cat >"$WORK/vlans.yaml" <<YAML
version: 1
name: vlans
nics: [{name: $PF, sriov: {numVFs: 1}}]
containers:
  - name: c21
    netns: c21
    interfaces: [{name: eth1, vlan: {parent: $PF, id: 21}, addresses: [10.62.0.2/24]}]
    routes: [{to: 10.98.0.0/16, via: 10.62.0.1}]
  - name: c22
    netns: c22
    interfaces:
      - {name: eth0, vf: {nic: $PF, index: 0}}
      - {name: eth0.22, vlan: {parent: eth0, id: 22}, addresses: [10.63.0.2/24]}
    routes: [{to: 10.97.0.0/16, via: 10.63.0.1}]
YAML
peer_up 21 10.62.0.1/24
peer_up 22 10.63.0.1/24
expect 0 "$PLUMB" apply "$WORK/vlans.yaml"
ip -n c21 -d link show eth1 | grep -q "vlan protocol 802.1Q id 21" || { ip -n c21 -d link show eth1; fail "c21 eth1 is not VLAN 21"; }
ip -n c22 -d link show eth0.22 | grep -q "vlan protocol 802.1Q id 22" || { ip -n c22 -d link show eth0.22; fail "c22 eth0.22 is not VLAN 22"; }
ping_peer c21 10.62.0.1 || fail "c21 does not reach the peer on VLAN 21"
ping_peer c22 10.63.0.1 || fail "c22 (VLAN on the VF) does not reach the peer on VLAN 22"
ok "VLAN on the PF and VLAN on the VF reach the peer"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/vlans.yaml"

step "drift on the VLANs: deleted, renamed -> plan exit 2, apply repairs"
ip -n c21 link del eth1
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/vlans.yaml"
expect 0 "$PLUMB" apply "$WORK/vlans.yaml"
ip -n c22 link set eth0.22 down; ip -n c22 link set eth0.22 name foo
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/vlans.yaml"
expect 0 "$PLUMB" apply "$WORK/vlans.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/vlans.yaml"
ping_peer c21 10.62.0.1 || fail "repaired c21 does not reach the peer"
ping_peer c22 10.63.0.1 || fail "repaired c22 does not reach the peer"
ok "deleted and renamed VLANs repaired"

step "destroy: a foreign VLAN 30 on the same PF survives"
ip link add link "$PF" name fv30 type vlan id 30
expect 0 "$PLUMB" destroy "$WORK/vlans.yaml"
ip -d link show fv30 | grep -q "id 30" || fail "destroy removed the foreign VLAN fv30"
ip netns list | grep -qwE "c21|c22" && fail "a namespace was left behind"
ip link del fv30
ip -n peer link del v21; ip -n peer link del v22
ok "fv30 survived"

step "802.1ad on a bridge: accepted, the container's VLAN has protocol 802.1ad"
cat >"$WORK/qinq.yaml" <<YAML
version: 1
name: qinq
bridges: [{name: brq}]
containers:
  - name: q1
    netns: q1
    interfaces: [{name: eth1, vlan: {parent: brq, id: 50, protocol: 802.1ad}, addresses: [10.64.0.2/24]}]
YAML
expect 0 "$PLUMB" apply --no-verify "$WORK/qinq.yaml"
ip -n q1 -d link show eth1 | grep -q "vlan protocol 802.1ad id 50" || { ip -n q1 -d link show eth1; fail "q1 eth1 is not 802.1ad VLAN 50"; }
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/qinq.yaml"
expect 0 "$PLUMB" destroy "$WORK/qinq.yaml"
ok "802.1ad on a bridge"

step "manifests/ipvlan-vlan.yaml (PF eth1 -> $PF): apply, verify, nothing to plan, destroy"
sed "s/eth1/$PF/g" "$LAB_REPO/manifests/ipvlan-vlan.yaml" >"$WORK/example.yaml"
peer_up 21 10.62.0.1/24
peer_up 22 10.63.0.1/24
expect 0 "$PLUMB" apply "$WORK/example.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/example.yaml"
expect 0 "$PLUMB" destroy "$WORK/example.yaml"
ip netns list | grep -qwE "store|tenant|data" && fail "the example left a namespace"
ok "the example manifest converges and is verified"

step "rollback at every step of the example on the real kernel (PLUMB_FAULT_STEP=k): nothing left"
# What the host shows: link names and kinds, namespaces, VF count, records.
state() {
  ip -d -o link show | sed -E 's/^[0-9]+: ([^:@]+).*(ipvlan|vlan protocol [^ ]+ id [0-9]+|macvlan).*/\1 \2/; s/^[0-9]+: ([^:@]+)[:@].*/\1/' | sort
  ip netns list | cut -d' ' -f1 | sort; cat "$DEV/sriov_numvfs"; ls /run/plumb 2>/dev/null | sort
}
before=$(state)
steps=$("$PLUMB" plan --output json "$WORK/example.yaml" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))')
[ "$steps" -gt 5 ] || fail "the plan has only $steps steps"
for k in $(seq 1 "$steps"); do
  PLUMB_FAULT_STEP=$k "$PLUMB" apply --no-verify "$WORK/example.yaml" >"$WORK/out" 2>&1 && { cat "$WORK/out"; fail "apply with a fault at step $k succeeded"; }
  grep -q "rolled back" "$WORK/out" || { cat "$WORK/out"; fail "step $k: not rolled back"; }
  after=$(state)
  [ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); fail "a fault at step $k left something"; }
done
ok "a fault at each of the $steps steps left the host as it was"

step "CNI: kind ipvlan and kind vlan attachments (the reference plugins' fields) reach the peer; DEL removes only them"
cni() {  # cni COMMAND CONFIG-FILE CONTAINER-ID NETNS
  CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/run/netns/$4 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$PLUMB" <"$2"
}
ipam() { printf '"ipam": {"type": "host-local", "ranges": [[{"subnet": "%s", "rangeStart": "%s", "rangeEnd": "%s"}]], "dataDir": "/run/cni-ipam"}' "$@"; }
printf '{"cniVersion": "1.0.0", "name": "ipv", "type": "plumb", "kind": "ipvlan", "master": "%s", "mode": "l2", %s}\n' \
  "$PF" "$(ipam 10.60.0.0/24 10.60.0.50 10.60.0.59)" >"$WORK/ipv.json"
printf '{"cniVersion": "1.0.0", "name": "vl21", "type": "plumb", "kind": "vlan", "master": "%s", "vlanId": 21, %s}\n' \
  "$PF" "$(ipam 10.62.0.0/24 10.62.0.50 10.62.0.59)" >"$WORK/vl21.json"
ip netns add k1; ip netns add k2
expect 0 cni ADD "$WORK/ipv.json" k1 k1
grep -qE '"address" ?: ?"10\.60\.0\.5' "$WORK/out" || fail "the ipvlan ADD result has no 10.60.0.5x address"
expect 0 cni ADD "$WORK/vl21.json" k2 k2
ip -n k1 -d link show eth0 | grep -qE "ipvlan +mode l2" || { ip -n k1 -d link show eth0; fail "k1 eth0 is not an l2 ipvlan"; }
ip -n k2 -d link show eth0 | grep -q "vlan protocol 802.1Q id 21" || { ip -n k2 -d link show eth0; fail "k2 eth0 is not VLAN 21"; }
ping_peer k1 10.60.0.1 || fail "the CNI ipvlan does not reach the peer"
ping_peer k2 10.62.0.1 || fail "the CNI VLAN does not reach the peer on VLAN 21"
ip link add link "$PF" name fv31 type vlan id 31
expect 0 cni DEL "$WORK/ipv.json" k1 k1
expect 0 cni DEL "$WORK/vl21.json" k2 k2
ip -n k1 link show eth0 >/dev/null 2>&1 && fail "the ipvlan outlived DEL"
ip -n k2 link show eth0 >/dev/null 2>&1 && fail "the VLAN outlived DEL"
ip link show fv31 >/dev/null 2>&1 || fail "DEL removed the foreign VLAN fv31"
ip link del fv31; ip netns del k1; ip netns del k2
ok "CNI ipvlan and vlan attachments"
ip -n peer link del v21; ip -n peer link del v22

step "802.1ad on igb: what the kernel and the driver do"
cat >"$WORK/igbad.yaml" <<YAML
version: 1
name: igbad
containers:
  - name: a1
    netns: a1
    interfaces: [{name: eth1, vlan: {parent: $PF, id: 40, protocol: 802.1ad}, addresses: [10.65.0.2/24]}]
YAML
# The kernel accepts an S-tagged VLAN on igb (a software tag: igb has no S-tag offload); what igb
# refuses is a VF's port VLAN in 802.1ad (EPROTONOSUPPORT): the plan refuses that from the driver facts.
ip -n peer link add link "$PEER" name ad40 type vlan id 40 protocol 802.1ad
ip -n peer addr add 10.65.0.1/24 dev ad40; ip -n peer link set ad40 up
expect 0 "$PLUMB" apply --no-verify "$WORK/igbad.yaml"
ip -n a1 -d link show eth1 | grep -q "vlan protocol 802.1ad id 40" || fail "a1 eth1 is not 802.1ad VLAN 40"
if ping_peer a1 10.65.0.1; then echo "802.1ad VLAN 40 on igb reaches an 802.1ad peer"; else fail "802.1ad VLAN 40 on igb does not reach the 802.1ad peer"; fi
expect 0 "$PLUMB" destroy "$WORK/igbad.yaml"
ip -n peer link del ad40
step "a VF's port VLAN in 802.1ad on igb: refused by the plan from the driver facts (igb returns EPROTONOSUPPORT), naming igb, nothing changed"
cat >"$WORK/vfad.yaml" <<YAML
version: 1
name: vfad
nics: [{name: $PF, sriov: {numVFs: 1, vfs: [{index: 0, vlan: 40, vlanProto: 802.1ad}]}}]
YAML
expect 1 "$PLUMB" apply "$WORK/vfad.yaml"
grep -q "nics\[0\].sriov.vfs\[0\].vlanProto: driver igb of $PF cannot set 802.1ad VF VLANs" "$WORK/out" || fail "the plan's error does not name the field, igb and 802.1ad"
grep -q "only 802.1Q" "$WORK/out" || fail "the error does not say igb takes only 802.1Q"
[ "$(cat "$DEV/sriov_numvfs")" = 0 ] || fail "a refused apply changed sriov_numvfs"
ok "802.1ad: a VLAN subinterface on igb works (software tag); a VF port VLAN in 802.1ad is refused before any change, naming igb"
