#!/bin/bash
# Issue 17, must-show 2: Plumb on the lab's second driver. A netdevsim PF (no igb code path
# can help here): its VF count changes only through 0 (refused without --allow-disruptive),
# every PF-side VF setting — link state and min/max rate included — applied, checked with
# iproute2, verified, re-planned as empty, drift repaired, restored by destroy (the settings
# too: netdevsim keeps them across a VF count change); then switchdev through devlink, its
# representors verified, and legacy restored by destroy.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap '"$PLUMB" destroy "$WORK/all.yaml" >/dev/null 2>&1; "$PLUMB" destroy "$WORK/sw.yaml" >/dev/null 2>&1; nsim_down 3; rm -rf "$WORK"' EXIT
NS=$(nsim_up 3)
D=/sys/class/net/$NS/device
DL=netdevsim/netdevsim3
ip link set "$NS" up
vf() { ip link show "$NS" | grep -E "^ +vf $1 " | sed 's/^ *//'; }
echo 3 >"$D/sriov_numvfs"; fresh0=$(vf 0); fresh1=$(vf 1); echo 0 >"$D/sriov_numvfs"
ok "netdevsim3: $NS; a fresh VF: $fresh0"

step "every PF-side VF setting"
cat >"$WORK/all.yaml" <<YAML
version: 1
name: nsim-all
nics:
  - name: $NS
    sriov:
      numVFs: 3
      vfs:
        - {index: 0, mac: "02:00:00:00:03:00", vlan: 12, qos: 3, vlanProto: 802.1ad, spoofCheck: false,
           trust: true, minTxRate: 10, maxTxRate: 200, linkState: disable, queryRSS: true}
        - {index: 1, vlan: 30, linkState: enable, maxTxRate: 50}
YAML
expect 0 "$PLUMB" apply "$WORK/all.yaml"
[ "$(cat "$D/sriov_numvfs")" = 3 ] || fail "not 3 VFs"
v0=$(vf 0); v1=$(vf 1); echo "    vf 0: $v0"; echo "    vf 1: $v1"
for want in "02:00:00:00:03:00" "vlan 12, qos 3, vlan protocol 802.1ad" "max_tx_rate 200Mbps" "min_tx_rate 10Mbps" \
            "spoof checking off" "link-state disable" "trust on" "query_rss on"; do
  echo "$v0" | grep -q "$want" || fail "vf 0 does not show '$want'"
done
echo "$v1" | grep -q "vlan 30" && echo "$v1" | grep -q "link-state enable" && echo "$v1" | grep -q "max_tx_rate 50Mbps" ||
  fail "vf 1 is not vlan 30, link-state enable, max 50"
expect 0 "$PLUMB" verify "$WORK/all.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/all.yaml"
grep -q "No changes" "$WORK/out" || fail "re-plan is not empty"
ok "applied, verified, re-planned as empty"

step "drift: link state and min rate changed behind plumb's back → plan exit 2, apply repairs"
ip link set "$NS" vf 0 state auto min_tx_rate 0 max_tx_rate 200
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/all.yaml"
expect 3 "$PLUMB" verify "$WORK/all.yaml"
expect 0 "$PLUMB" apply "$WORK/all.yaml"
vf 0 | grep -q "link-state disable" && vf 0 | grep -q "min_tx_rate 10Mbps" || fail "not repaired: $(vf 0)"
ok "drift repaired"

step "3 → 2 VFs: netdevsim changes a count only through 0 — refused, then allowed"
sed 's/numVFs: 3/numVFs: 2/' "$WORK/all.yaml" >"$WORK/two.yaml"
expect 1 "$PLUMB" plan "$WORK/two.yaml"
grep -q "allow-disruptive" "$WORK/out" || fail "the refusal does not name --allow-disruptive"
grep -q "netdevsim" "$WORK/out" || fail "the refusal does not name the driver"
[ "$(cat "$D/sriov_numvfs")" = 3 ] || fail "a refused plan changed the count"

step "destroy: settings restored, then the count"
expect 0 "$PLUMB" destroy "$WORK/all.yaml"
[ "$(cat "$D/sriov_numvfs")" = 0 ] || fail "VFs left: $(cat "$D/sriov_numvfs")"
echo 3 >"$D/sriov_numvfs"   # netdevsim keeps VF settings across counts: they must be the fresh ones again
[ "$(vf 0)" = "$fresh0" ] || fail "vf 0 not restored: $(vf 0) (fresh: $fresh0)"
[ "$(vf 1)" = "$fresh1" ] || fail "vf 1 not restored: $(vf 1) (fresh: $fresh1)"
echo 0 >"$D/sriov_numvfs"
ok "every setting back to what it was"

step "switchdev through devlink, representors, destroy puts legacy back"
cat >"$WORK/sw.yaml" <<YAML
version: 1
name: nsim-sw
nics:
  - name: $NS
    sriov: {numVFs: 2, eswitchMode: switchdev, vfs: [{index: 0, vlan: 7, trust: true}]}
YAML
expect 0 "$PLUMB" plan "$WORK/sw.yaml"
grep -q "devlink dev eswitch set $DL mode switchdev" "$WORK/out" || fail "the plan does not set switchdev"
expect 0 "$PLUMB" apply "$WORK/sw.yaml"
devlink dev eswitch show "$DL" | grep -q "mode switchdev" || fail "not switchdev: $(devlink dev eswitch show $DL)"
reps=$(for n in /sys/bus/netdevsim/devices/netdevsim3/net/*; do p=$(cat "$n/phys_port_name" 2>/dev/null); case $p in pf*vf*) echo "${n##*/}";; esac; done | sort | tr '\n' ' ')
ok "representors (sysfs): $reps"
expect 0 "$PLUMB" verify "$WORK/sw.yaml"
grep -q "eswitch" "$WORK/out" || fail "verify shows no eswitch row"
grep -q "representors" "$WORK/out" || fail "verify shows no representors row"
expect 0 "$PLUMB" plan "$WORK/sw.yaml"
grep -q "No changes" "$WORK/out" || fail "re-plan is not empty"
devlink dev eswitch set "$DL" mode legacy
expect 2 "$PLUMB" plan --detailed-exitcode "$WORK/sw.yaml"
expect 0 "$PLUMB" apply "$WORK/sw.yaml"
devlink dev eswitch show "$DL" | grep -q "mode switchdev" || fail "drift not repaired"
expect 0 "$PLUMB" destroy "$WORK/sw.yaml"
devlink dev eswitch show "$DL" | grep -q "mode legacy" || fail "destroy did not put legacy back"
[ "$(cat "$D/sriov_numvfs")" = 0 ] || fail "VFs left after destroy"
ok "switchdev set, verified, repaired and restored"

step "igb has no eswitch: refused naming the driver, before any change"
printf 'version: 1\nname: igbsw\nnics: [{name: %s, sriov: {numVFs: 1, eswitchMode: switchdev}}]\n' "$PF" >"$WORK/igb.yaml"
expect 1 "$PLUMB" plan "$WORK/igb.yaml"
grep -q "driver igb" "$WORK/out" && grep -q "has no eswitch" "$WORK/out" || fail "no clear igb refusal"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "the refused manifest changed the igb PF"
ok "igb refused"
