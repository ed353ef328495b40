#!/bin/bash
# Issue 17, must-show 3: an igbvf VF bound to vfio-pci (a DPDK VF): its /dev/vfio group present,
# nothing moved into the container, verify passes, the re-plan is empty; destroy rebinds igbvf
# and the VF netdev is back. Then the same with VFs plumb makes itself, and through the CNI
# plugin (Plumb's `vf` object with driver vfio-pci): ADD binds and reports deviceID and
# /dev/vfio/N with IPAM's address, CHECK passes, DEL gives igbvf back; and sriov-cni's DPDK mode
# (a VF bound beforehand: only its PF-side settings, the binding untouched).
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'cni DEL "$WORK/net.json" >/dev/null 2>&1; ip netns del c2 2>/dev/null; "$PLUMB" destroy "$WORK/m.yaml" >/dev/null 2>&1; "$PLUMB" destroy "$WORK/fresh.yaml" >/dev/null 2>&1; echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"' EXIT
cni() {  # cni COMMAND CONFIG: plumb as a runtime runs a CNI plugin
  CNI_COMMAND=$1 CNI_CONTAINERID=ctr-dpdk CNI_NETNS=/run/netns/c2 CNI_IFNAME=dpdk0 CNI_PATH=/usr/lib/cni "$PLUMB" <"$2"
}
[ -d /sys/bus/pci/drivers/vfio-pci ] || fail "vfio-pci is not loaded in the guest (run Tests/lab/setup.sh: it adds vfio_pci to the initramfs)"
ip link set "$PF" up
echo 2 > $DEV/sriov_numvfs
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.2; done
vf1=$(ls $DEV/virtfn1/net/) || fail "VF 1 has no netdev"
pci=$(basename "$(readlink -f $DEV/virtfn1)")
group=$(basename "$(readlink $DEV/virtfn1/iommu_group)") || fail "VF 1 has no IOMMU group (is intel-iommu on?)"
ok "VF 1: $pci, netdev $vf1, driver $(basename "$(readlink $DEV/virtfn1/driver)"), IOMMU group $group"
cat >"$WORK/m.yaml" <<YAML
version: 1
name: dpdk
nics: [{name: $PF, sriov: {numVFs: 2, vfs: [{index: 1, vlan: 12, trust: true}]}}]
containers:
  - {name: c1, netns: c1, interfaces: [{name: dpdk0, vf: {nic: $PF, index: 1, driver: vfio-pci}}]}
YAML

step "plan: the bind, naming /dev/vfio/$group"
expect 0 "$PLUMB" plan "$WORK/m.yaml"
grep -q "echo vfio-pci > /sys/bus/pci/devices/$pci/driver_override" "$WORK/out" || fail "no driver_override write in the plan"
grep -q "igbvf → vfio-pci, /dev/vfio/$group" "$WORK/out" || fail "the plan does not name /dev/vfio/$group"

step "apply (with verify): bound to vfio-pci, /dev/vfio/$group present, no netdev, nothing in c1"
expect 0 "$PLUMB" apply "$WORK/m.yaml"
grep -q "vfio-group" "$WORK/out" || fail "verify did not check the vfio group"
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = vfio-pci ] || fail "VF 1 is bound to $(readlink $DEV/virtfn1/driver)"
[ -c "/dev/vfio/$group" ] || fail "/dev/vfio/$group is not a character device: $(ls -l /dev/vfio)"
[ -z "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] || fail "VF 1 still has a netdev: $(ls $DEV/virtfn1/net/)"
[ "$(cat /sys/bus/pci/devices/$pci/driver_override)" = vfio-pci ] || fail "override: $(cat /sys/bus/pci/devices/$pci/driver_override)"
[ "$(ip -n c1 -br link | grep -cv '^lo ')" = 0 ] || fail "something moved into c1: $(ip -n c1 -br link)"
vf_line 1 | grep -q "vlan 12" || fail "VF 1's PF-side VLAN is not set: $(vf_line 1)"
ok "$(ls -l /dev/vfio/$group)"

step "converged: the re-plan is empty; verify passes; plumb show names the binding"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/m.yaml"
expect 0 "$PLUMB" verify "$WORK/m.yaml"
expect 0 "$PLUMB" show
grep -q "vf 1 of $PF bound to vfio-pci (was igbvf), /dev/vfio/$group" "$WORK/out" || fail "show does not list the bound VF"

step "destroy: igbvf back, the VF netdev back, no override, the group node gone"
expect 0 "$PLUMB" destroy "$WORK/m.yaml"
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = igbvf ] || fail "VF 1 is bound to $(readlink $DEV/virtfn1/driver)"
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.1; done
[ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] || fail "VF 1 has no netdev after destroy"
[ "$(cat /sys/bus/pci/devices/$pci/driver_override)" = "(null)" ] || fail "override left: $(cat /sys/bus/pci/devices/$pci/driver_override)"
[ ! -e "/dev/vfio/$group" ] || fail "/dev/vfio/$group still there"
vf_line 1 | grep -q "vlan" && fail "VF 1's VLAN not restored: $(vf_line 1)"
ip netns list | grep -qw c1 && fail "c1 left"
ok "VF 1 back as $(ls $DEV/virtfn1/net/) on igbvf"

step "VFs plumb makes itself: enabled, VF 0 bound after it appears; destroy takes the count back to 0"
echo 0 > $DEV/sriov_numvfs
sed -e "s/index: 1, driver/index: 0, driver/" -e "s/name: dpdk$/name: fresh/" -e "s/vfs: \[{index: 1, /vfs: [{index: 0, /" "$WORK/m.yaml" >"$WORK/fresh.yaml"
expect 0 "$PLUMB" apply "$WORK/fresh.yaml"
[ "$(basename "$(readlink $DEV/virtfn0/driver)")" = vfio-pci ] || fail "VF 0 is bound to $(readlink $DEV/virtfn0/driver)"
g0=$(basename "$(readlink $DEV/virtfn0/iommu_group)")
[ -c "/dev/vfio/$g0" ] || fail "/dev/vfio/$g0 missing"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/fresh.yaml"
expect 0 "$PLUMB" destroy "$WORK/fresh.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs left at $(cat $DEV/sriov_numvfs)"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "made, bound, converged, gone"

step "CNI: Plumb's vf object with driver vfio-pci — ADD binds, reports deviceID and /dev/vfio/N; CHECK; DEL gives igbvf back"
echo 2 > $DEV/sriov_numvfs
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.2; done
group=$(basename "$(readlink $DEV/virtfn1/iommu_group)")
ip netns add c2
cat >"$WORK/net.json" <<JSON
{"cniVersion": "1.0.0", "name": "dpdk-net", "type": "plumb",
 "vf": {"deviceID": "$pci", "vlan": 12, "driver": "vfio-pci"},
 "ipam": {"type": "host-local", "subnet": "10.56.218.0/24", "dataDir": "$WORK/ipam"}}
JSON
cni ADD "$WORK/net.json" >"$WORK/add.json" 2>"$WORK/add.err" || { cat "$WORK/add.json" "$WORK/add.err"; fail "ADD failed"; }
sed 's/^/    /' "$WORK/add.json"
python3 - "$WORK/add.json" "$pci" "$group" <<'PY' || fail "the ADD result does not report the DPDK VF"
import json, sys
r = json.load(open(sys.argv[1]))
i = r["interfaces"]
assert len(i) == 1 and i[0]["name"] == "dpdk0" and i[0]["sandbox"] == "/run/netns/c2", i
assert i[0]["deviceID"] == sys.argv[2] and i[0]["vfioDevice"] == "/dev/vfio/" + sys.argv[3], i
assert "mac" not in i[0], i
assert len(r["ips"]) == 1 and r["ips"][0]["address"].startswith("10.56.218."), r
PY
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = vfio-pci ] || fail "VF 1 is bound to $(readlink $DEV/virtfn1/driver)"
[ -c "/dev/vfio/$group" ] || fail "/dev/vfio/$group missing"
[ "$(ip -n c2 -br link | grep -cv '^lo ')" = 0 ] || fail "something moved into c2: $(ip -n c2 -br link)"
python3 - "$WORK/net.json" "$WORK/add.json" >"$WORK/check.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[2])); print(json.dumps(c))
PY
cni CHECK "$WORK/check.json" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out"; fail "CHECK failed"; }
cni DEL "$WORK/net.json" >"$WORK/del.out" 2>&1 || { cat "$WORK/del.out"; fail "DEL failed"; }
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = igbvf ] || fail "VF 1 is bound to $(readlink $DEV/virtfn1/driver) after DEL"
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.1; done
[ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] || fail "VF 1 has no netdev after DEL"
vf_line 1 | grep -q "vlan" && fail "VF 1's VLAN not restored after DEL: $(vf_line 1)"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "ADD, CHECK, DEL"

step "sriov-cni's DPDK mode: a VF the device plugin bound to vfio-pci beforehand — ADD sets only its PF-side settings; DEL restores them; the binding is never touched"
echo vfio-pci > /sys/bus/pci/devices/$pci/driver_override
echo "$pci" > /sys/bus/pci/devices/$pci/driver/unbind
echo "$pci" > /sys/bus/pci/drivers_probe
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = vfio-pci ] || fail "could not bind VF 1 to vfio-pci by hand"
cat >"$WORK/sriov.json" <<JSON
{"cniVersion": "1.0.0", "name": "sriov-dpdk", "type": "plumb", "deviceID": "$pci", "vlan": 12, "spoofchk": "off"}
JSON
cni ADD "$WORK/sriov.json" >"$WORK/add2.json" 2>"$WORK/add2.err" || { cat "$WORK/add2.json" "$WORK/add2.err"; fail "ADD failed"; }
sed 's/^/    /' "$WORK/add2.json"
grep -q "\"vfioDevice\" : \"/dev/vfio/$group\"" "$WORK/add2.json" || fail "the result does not name /dev/vfio/$group"
vf_line 1 | grep -q "vlan 12" || fail "VF 1 has no VLAN 12: $(vf_line 1)"
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = vfio-pci ] || fail "ADD changed the binding: $(readlink $DEV/virtfn1/driver)"
[ "$(ip -n c2 -br link | grep -cv '^lo ')" = 0 ] || fail "something moved into c2: $(ip -n c2 -br link)"
cni DEL "$WORK/sriov.json" >"$WORK/del2.out" 2>&1 || { cat "$WORK/del2.out"; fail "DEL failed"; }
vf_line 1 | grep -q "vlan" && fail "VF 1's VLAN not restored after DEL: $(vf_line 1)"
[ "$(basename "$(readlink $DEV/virtfn1/driver)")" = vfio-pci ] || fail "DEL changed the binding it never made: $(readlink $DEV/virtfn1/driver)"
echo > /sys/bus/pci/devices/$pci/driver_override   # the test's own binding, undone by the test
echo "$pci" > /sys/bus/pci/devices/$pci/driver/unbind
echo "$pci" > /sys/bus/pci/drivers_probe
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "settings on and off, the device plugin's binding left alone"
