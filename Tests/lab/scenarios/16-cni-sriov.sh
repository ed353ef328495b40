#!/bin/bash
# Issue 14, must-show 3 (SR-IOV part): sriov-cni's own README configuration ("Configuration
# with IPAM"), `type` changed to plumb, VLAN 12 for the lab's peer, given to plumb as Multus
# gives a delegate: cniVersion 1.0.0, the device plugin's deviceID (VF 0's PCI address),
# capabilities mac and ips with runtimeConfig asking for a MAC and an address.
# ADD puts the VF into c1 as net1 with that MAC, VLAN 12 and the address; the VLAN-12 peer
# reaches it; CHECK passes; DEL brings the VF home with VLAN 0 and its old MAC. Then a
# setting igb cannot do (link_state) fails ADD naming the field and the driver, and leaves
# nothing: no VF moved, no VF setting changed, no address leased.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'peer_down; cni DEL "$WORK/net.json" >/dev/null 2>&1; ip netns del c1 2>/dev/null; echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"' EXIT
cni() {  # cni COMMAND CONFIG: plumb as a runtime runs a CNI plugin
  CNI_COMMAND=$1 CNI_CONTAINERID=ctr-lab1 CNI_NETNS=/run/netns/c1 CNI_IFNAME=net1 CNI_PATH=/usr/lib/cni \
    "$PLUMB" <"$2"
}
[ -x /usr/lib/cni/host-local ] || fail "/usr/lib/cni/host-local is missing: scripts/install.sh installs containernetworking-plugins"
ip link set "$PF" up
echo 2 > $DEV/sriov_numvfs
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn0/net/ 2>/dev/null)" ] && break; sleep 0.2; done
host_name=$(ls $DEV/virtfn0/net/) || fail "VF 0 has no netdev"
vf_pci=$(basename "$(readlink $DEV/virtfn0)")
before=$(vf_line 0 | sed 's/^ *//')
ok "VF 0 is $vf_pci ($host_name); before: $before"
peer_up 12 10.56.217.1/24
ip netns add c1

cat >"$WORK/net.json" <<JSON
{"cniVersion": "1.0.0", "name": "sriov-net", "type": "plumb",
 "capabilities": {"mac": true, "ips": true},
 "deviceID": "$vf_pci", "vlan": 12,
 "ipam": {"type": "host-local", "subnet": "10.56.217.0/24", "rangeStart": "10.56.217.171", "rangeEnd": "10.56.217.181",
          "routes": [{"dst": "0.0.0.0/0"}], "gateway": "10.56.217.1", "dataDir": "$WORK/ipam"},
 "runtimeConfig": {"mac": "02:00:00:00:00:42", "ips": ["10.56.217.175/24"]}}
JSON

step "ADD"
cni ADD "$WORK/net.json" >"$WORK/add.json" 2>"$WORK/add.err" || { cat "$WORK/add.json" "$WORK/add.err"; fail "ADD failed"; }
sed 's/^/    /' "$WORK/add.json"
python3 - "$WORK/add.json" "$vf_pci" <<'PY' || fail "the ADD result is not sriov-cni's shape"
import json, sys
r = json.load(open(sys.argv[1]))
i = r["interfaces"]
assert len(i) == 1 and i[0]["name"] == "net1" and i[0]["sandbox"] == "/run/netns/c1", i
assert i[0]["mac"] == "02:00:00:00:00:42", i
assert [ip["address"] for ip in r["ips"]] == ["10.56.217.175/24"] and r["ips"][0]["interface"] == 0, r["ips"]
PY
ip -n c1 link show net1 | grep -q "link/ether 02:00:00:00:00:42" || fail "net1 in c1 has not the MAC asked for: $(ip -n c1 link show net1)"
ip -n c1 -br addr show net1 | grep -q 10.56.217.175/24 || fail "net1 has not 10.56.217.175/24"
vf_line 0 | grep -q "vlan 12" || fail "vf 0 has no VLAN 12: $(vf_line 0)"
vf_line 0 | grep -q "02:00:00:00:00:42" || fail "vf 0 has not the MAC PF-side: $(vf_line 0)"
[ "$(readlink -f /sys/bus/pci/devices/$vf_pci)" = "$(readlink -f $DEV/virtfn0)" ] || fail "deviceID is not VF 0"
ok "net1 in c1: MAC 02:00:00:00:00:42, 10.56.217.175/24; $(vf_line 0 | sed 's/^ *//')"

step "the VLAN-12 peer reaches 10.56.217.175"
ip netns exec peer ping -c 3 -W 2 10.56.217.175 >"$WORK/ping" 2>&1 || { cat "$WORK/ping"; fail "peer cannot reach the VF"; }
ok "$(grep -E 'packets transmitted' "$WORK/ping")"

step "CHECK"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["prevResult"]=json.load(open(sys.argv[2])); print(json.dumps(c))' \
  "$WORK/net.json" "$WORK/add.json" >"$WORK/check.json"
expect 0 cni CHECK "$WORK/check.json"

step "DEL"
expect 0 cni DEL "$WORK/net.json"
ip -n c1 link show net1 >/dev/null 2>&1 && fail "net1 is still in c1"
[ "$(ls $DEV/virtfn0/net/ 2>/dev/null)" = "$host_name" ] || fail "VF 0 is not back in the host as $host_name"
after=$(vf_line 0 | sed 's/^ *//')
echo "$after" | grep -q "vlan" && fail "vf 0 still has a VLAN: $after"
[ "$(echo "$after" | grep -o 'link/ether [0-9a-f:]*')" = "$(echo "$before" | grep -o 'link/ether [0-9a-f:]*')" ] || fail "vf 0 MAC not restored: before '$before', after '$after'"
[ -z "$(ls "$WORK/ipam/sriov-net" 2>/dev/null | grep '^10\.')" ] || fail "a lease outlived DEL: $(ls "$WORK/ipam/sriov-net")"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "VF home as $host_name: $after"

step "link_state on igb: refused, naming the field and the driver; nothing changed"
sed 's/"vlan": 12,/"vlan": 12, "link_state": "enable",/' "$WORK/net.json" >"$WORK/bad.json"
grep -q link_state "$WORK/bad.json" || fail "could not write the link_state configuration"
cni ADD "$WORK/bad.json" >"$WORK/bad.out" 2>&1 && { cat "$WORK/bad.out"; fail "ADD with link_state succeeded on igb"; }
sed 's/^/    /' "$WORK/bad.out"
grep -q '"code" : 2' "$WORK/bad.out" || fail "not CNI error code 2 (unsupported field)"
grep -q 'link_state: enable: driver igb' "$WORK/bad.out" || fail "the error does not name link_state and igb"
[ "$(ip -n c1 -br link | grep -cv '^lo ')" = 0 ] || fail "c1 has interfaces after a refused ADD: $(ip -n c1 -br link)"
[ "$(vf_line 0 | sed 's/^ *//')" = "$after" ] || fail "vf 0 changed by a refused ADD: $(vf_line 0)"
[ -z "$(ls "$WORK/ipam/sriov-net" 2>/dev/null | grep '^10\.')" ] || fail "a refused ADD leased $(ls "$WORK/ipam/sriov-net")"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "refused before anything changed"
