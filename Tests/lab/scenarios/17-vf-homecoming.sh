#!/bin/bash
# Issue 17, must-show 1: a container's namespace dies before destroy / CNI DEL. The kernel
# moves the VF back to the host under its container name (or devN when that clashes: the
# container's eth1 is often the PF's name), still configured. Plumb finds it by PCI
# address, renames it back, restores its MTU and PF-side VLAN, MAC, trust and spoof check.
# (a) the seed manifest, `ip netns del c1` behind plumb's back, then `plumb destroy`;
# (b) a pid namespace (`unshare -n sleep`) killed; (c) a CNI attachment whose netns is
# deleted before DEL; (d) a VF another manifest took after it came home is not touched by
# the first manifest's destroy. VFs are enabled before plumb, so they outlive each destroy.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
SLEEPER=
cleanup() {
  [ -n "$SLEEPER" ] && kill "$SLEEPER" 2>/dev/null
  for m in seed pid a b; do [ -f "$WORK/$m.yaml" ] && "$PLUMB" destroy "$WORK/$m.yaml" >/dev/null 2>&1; done
  [ -f "$WORK/net.json" ] && cni DEL "$WORK/net.json" >/dev/null 2>&1
  for n in c1 c2; do ip netns del $n 2>/dev/null; done
  echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"
}
trap cleanup EXIT
cni() {  # cni COMMAND CONFIG: plumb as a runtime runs a CNI plugin
  CNI_COMMAND=$1 CNI_CONTAINERID=ctr-lab17 CNI_NETNS=/run/netns/c1 CNI_IFNAME=net1 CNI_PATH=/usr/lib/cni \
    "$PLUMB" <"$2"
}
[ -x /usr/lib/cni/host-local ] || fail "/usr/lib/cni/host-local is missing: scripts/install.sh installs containernetworking-plugins"
command -v unshare >/dev/null || fail "unshare is missing (util-linux)"

ip link set "$PF" up
echo 7 > $DEV/sriov_numvfs
for i in $(seq 50); do [ -n "$(ls $DEV/virtfn0/net/ 2>/dev/null)" ] && [ -n "$(ls $DEV/virtfn1/net/ 2>/dev/null)" ] && break; sleep 0.2; done
vf0=$(ls $DEV/virtfn0/net/) || fail "VF 0 has no netdev"
vf0_pci=$(basename "$(readlink $DEV/virtfn0)")
vf_settings() { vf_line 0 | sed 's/^ *//'; }   # "vf 0 link/ether … vlan … spoof checking … trust …"
before=$(vf_settings)
mtu_before=$(cat /sys/class/net/$vf0/mtu)
ok "VF 0 is $vf0_pci, $vf0 in the host, MTU $mtu_before; PF side: $before"

# wait_home: the VF 0 netdev back in the host (netns teardown is asynchronous); prints its name.
wait_home() {
  for i in $(seq 100); do n=$(ls $DEV/virtfn0/net/ 2>/dev/null); [ -n "$n" ] && { echo "$n"; return 0; }; sleep 0.1; done
  return 1
}
# expect_home WHAT: VF 0 under its first name, MTU and PF-side settings as before.
expect_home() {
  local name; name=$(ls $DEV/virtfn0/net/ 2>/dev/null)
  [ "$name" = "$vf0" ] || fail "$1: VF 0 is not back as $vf0 (now: ${name:-nowhere in the host})"
  [ "$(cat /sys/class/net/$vf0/mtu)" = "$mtu_before" ] || fail "$1: MTU $(cat /sys/class/net/$vf0/mtu), not $mtu_before"
  [ -z "$(cat /sys/class/net/$vf0/ifalias 2>/dev/null)" ] || fail "$1: plumb's alias left: $(cat /sys/class/net/$vf0/ifalias)"
  [ "$(vf_settings)" = "$before" ] || fail "$1: PF-side settings not restored: before '$before', now '$(vf_settings)'"
  [ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "$1: record left in /run/plumb: $(ls /run/plumb)"
  ok "$1: $vf0 home, MTU $mtu_before, $(vf_settings)"
}
# strand WHAT: where the kernel put VF 0 once its namespace died (name, namespace, settings kept).
strand() {
  local n; n=$(wait_home) || fail "$1: VF 0 did not come back to the host namespace"
  ok "$1: the kernel put VF 0 in the host namespace as $n, MTU $(cat /sys/class/net/$n/mtu), alias '$(cat /sys/class/net/$n/ifalias)'"
  ip -d link show "$n" | sed 's/^/    /'
  vf_line 0 | grep -q "vlan 12" || fail "$1: the PF side lost VLAN 12 already: $(vf_line 0)"
}

step "(a) seed manifest: VF 0 with VLAN 12, MAC, trust, MTU 1400 into netns c1 as eth1"
sed -e "s/^  - name: eth1 /  - name: $PF /" -e "s/vf: {nic: eth1,/vf: {nic: $PF,/" \
    -e 's/spoofCheck: true}/spoofCheck: true, trust: true}/' -e 's|addresses: \[10.217.121.107/21\]|addresses: [10.217.121.107/21]\n        mtu: 1400|' \
  "$LAB_REPO/manifests/sriov-igb.yaml" >"$WORK/seed.yaml"
grep -q "trust: true" "$WORK/seed.yaml" && grep -q "mtu: 1400" "$WORK/seed.yaml" || fail "could not add trust and MTU to the seed manifest"
expect 0 "$PLUMB" apply --no-verify "$WORK/seed.yaml"
[ "$(ip -n c1 -o link show eth1 | grep -o 'mtu [0-9]*')" = "mtu 1400" ] || fail "eth1 in c1 has not MTU 1400"
vf_line 0 | grep -q "vlan 12" && vf_line 0 | grep -q "02:00:00:00:00:10" && vf_line 0 | grep -q "trust on" \
  || fail "VF 0 is not configured: $(vf_line 0)"
ip netns del c1
strand "(a) after ip netns del c1"
step "(a) destroy"
expect 0 "$PLUMB" destroy "$WORK/seed.yaml"
grep -q "c1 is gone: the kernel put VF 0 back in the host" "$WORK/out" || fail "(a) destroy does not report the VF it brought home"
expect_home "(a)"
rm "$WORK/seed.yaml"

step "(b) a container process (unshare -n sleep) holding VF 0, killed"
unshare -n sleep 600 &
SLEEPER=$!
for i in $(seq 50); do [ "$(readlink /proc/$SLEEPER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.1; done
cat >"$WORK/pid.yaml" <<YAML
version: 1
name: pidvf
nics:
  - name: $PF
    sriov: {numVFs: 7, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:11", trust: true}]}
containers:
  - name: app
    netns: {pid: $SLEEPER}
    interfaces: [{name: eth1, vf: {nic: $PF, index: 0}, mtu: 1400}]
YAML
expect 0 "$PLUMB" apply --no-verify "$WORK/pid.yaml"
nsenter -t "$SLEEPER" -n ip link show eth1 | grep -q "mtu 1400" || fail "(b) VF not in the process's namespace as eth1 with MTU 1400"
kill "$SLEEPER"; wait "$SLEEPER" 2>/dev/null; SLEEPER=
strand "(b) after the process was killed"
step "(b) destroy"
expect 0 "$PLUMB" destroy "$WORK/pid.yaml"
grep -q "is gone: the kernel put VF 0 back in the host" "$WORK/out" || fail "(b) destroy does not report the VF it brought home"
expect_home "(b)"
rm "$WORK/pid.yaml"

step "(c) CNI: ADD VF 0 (deviceID $vf0_pci) into c1, delete c1, then DEL"
ip netns add c1
cat >"$WORK/net.json" <<JSON
{"cniVersion": "1.0.0", "name": "sriov-net", "type": "plumb", "deviceID": "$vf0_pci", "vlan": 12,
 "mac": "02:00:00:00:00:42", "trust": "on", "mtu": 1400,
 "ipam": {"type": "host-local", "subnet": "10.56.217.0/24", "dataDir": "$WORK/ipam"}}
JSON
cni ADD "$WORK/net.json" >"$WORK/add.json" 2>"$WORK/add.err" || { cat "$WORK/add.json" "$WORK/add.err"; fail "(c) ADD failed"; }
ip -n c1 link show net1 | grep -q "mtu 1400" || fail "(c) net1 not in c1 with MTU 1400"
vf_line 0 | grep -q "vlan 12" || fail "(c) VF 0 has no VLAN 12: $(vf_line 0)"
ip netns del c1
strand "(c) after ip netns del c1"
step "(c) DEL"
expect 0 cni DEL "$WORK/net.json"
expect_home "(c)"
[ -z "$(ls "$WORK/ipam/sriov-net" 2>/dev/null | grep '^10\.')" ] || fail "(c) a lease outlived DEL: $(ls "$WORK/ipam/sriov-net")"
rm "$WORK/net.json"

step "(d) manifest a's VF 0 comes home when c1 dies; manifest b takes it into c2; a's destroy leaves it"
for m in a b; do
  ns=c1; [ $m = b ] && ns=c2
  cat >"$WORK/$m.yaml" <<YAML
version: 1
name: $m
nics:
  - name: $PF
    sriov: {numVFs: 7, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10", trust: true}]}
containers:
  - name: $m
    netns: $ns
    interfaces: [{name: eth1, vf: {nic: $PF, index: 0}, mtu: 1400}]
YAML
done
expect 0 "$PLUMB" apply --no-verify "$WORK/a.yaml"
ip netns del c1
strand "(d) after ip netns del c1"
expect 0 "$PLUMB" apply --no-verify "$WORK/b.yaml"
ip -n c2 link show eth1 >/dev/null || fail "(d) b did not take VF 0 into c2"
taken=$(vf_settings)
expect 0 "$PLUMB" destroy "$WORK/a.yaml"
ip -n c2 link show eth1 | grep -q "mtu 1400" || fail "(d) a's destroy touched VF 0 in c2: $(ip -n c2 link show eth1 2>&1)"
[ "$(vf_settings)" = "$taken" ] || fail "(d) a's destroy changed VF 0's PF-side settings: '$taken' → '$(vf_settings)'"
expect 0 "$PLUMB" verify "$WORK/b.yaml"
ok "(d) VF 0 untouched in c2: $(vf_settings)"
rm "$WORK/a.yaml"
expect 0 "$PLUMB" destroy "$WORK/b.yaml"
rm "$WORK/b.yaml"
expect_home "(d) after b's destroy"
