#!/bin/bash
# Issue 17: the lab's second SR-IOV driver. netdevsim, built out of tree by setup.sh for
# the guest's exact kernel, is a PF whose VF count changes only through 0 and whose VFs
# take every PF-side setting; this scenario proves the module and those kernel facts, which
# the capability table (driver facts for netdevsim) states.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'nsim_down 7; rm -rf "$WORK"' EXIT
step "netdevsim PF"
NS=$(nsim_up 7)
D=/sys/class/net/$NS/device
ok "netdevsim7 port netdev $NS, driver $(basename "$(readlink "$D/driver")")"
[ -e "$D/sriov_numvfs" ] || fail "no device/sriov_numvfs"
[ -e "$D/sriov_totalvfs" ] && fail "netdevsim grew device/sriov_totalvfs: the driver facts say it has none"
[ "$(cat /sys/kernel/debug/netdevsim/netdevsim7/max_vfs)" = 4 ] || fail "max_vfs is not 4"
step "VF count: 0 → 2 → 3 refused (EBUSY) → 0 → 3"
echo 2 >"$D/sriov_numvfs" || fail "0 → 2"
echo 3 >"$D/sriov_numvfs" 2>"$WORK/err" && fail "2 → 3 was accepted"
grep -q "busy" "$WORK/err" || fail "2 → 3: not EBUSY: $(cat "$WORK/err")"
echo 0 >"$D/sriov_numvfs" && echo 3 >"$D/sriov_numvfs" || fail "through 0"
step "every PF-side VF setting"
ip link set "$NS" vf 1 mac 02:00:00:00:01:01 vlan 12 qos 3 proto 802.1ad rate 0 \
  min_tx_rate 10 max_tx_rate 200 spoofchk on trust on state disable query_rss on || fail "VF settings refused"
ip link show "$NS" | grep -E "^ +vf 1 " | tee "$WORK/vf1"
for want in "02:00:00:00:01:01" "vlan 12, qos 3, vlan protocol 802.1ad" "max_tx_rate 200Mbps" \
            "min_tx_rate 10Mbps" "spoof checking on" "link-state disable" "trust on" "query_rss on"; do
  grep -q "$want" "$WORK/vf1" || fail "vf 1 does not show '$want'"
done
step "devlink eswitch: legacy → switchdev (representors) → legacy"
DL=netdevsim/netdevsim7
devlink dev eswitch show "$DL" | grep -q "mode legacy" || fail "not legacy at start"
devlink dev eswitch set "$DL" mode switchdev || fail "switchdev refused"
devlink dev eswitch show "$DL" | grep -q "mode switchdev" || fail "not switchdev"
reps=$(ls /sys/bus/netdevsim/devices/netdevsim7/net/ | wc -l)
[ "$reps" -ge 4 ] || fail "switchdev: expected the PF port and 3 VF representors, found $reps netdevs"
ok "switchdev: $reps netdevs ($(ls /sys/bus/netdevsim/devices/netdevsim7/net/ | tr '\n' ' '))"
devlink dev eswitch set "$DL" mode legacy || fail "back to legacy refused"
echo 0 >"$D/sriov_numvfs"
ok "netdevsim behaves as the driver facts say"
