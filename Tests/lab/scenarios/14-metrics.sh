#!/bin/bash
# Issue 13, must-show 3 on real igb: `plumb metrics` on the seed's manifest (7 VFs, VF 0
# into c1 on VLAN 12) passes promtool, exports the PF's VF counters (one series per VF
# and counter; igb reports zeros, the kernel still sends them), c1's interface counters
# moved by the peer's pings, and a failing probe once c1's eth1 is down.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'peer_down; "$PLUMB" destroy "$WORK/seed.yaml" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
sed -e "s/^  - name: eth1 /  - name: $PF /" -e "s/vf: {nic: eth1,/vf: {nic: $PF,/" \
  "$LAB_REPO/manifests/sriov-igb.yaml" >"$WORK/seed.yaml"
grep -q "name: $PF " "$WORK/seed.yaml" || fail "could not point manifests/sriov-igb.yaml at $PF"
command -v promtool >/dev/null || fail "promtool is missing (Debian's prometheus package; scripts/install.sh)"
ip link set "$PF" up
peer_up 12 10.217.120.1/21

step "apply, then the peer pings the VF"
expect 0 "$PLUMB" apply "$WORK/seed.yaml"
ip netns exec peer ping -c 3 -W 2 10.217.121.107 >/dev/null 2>&1 || fail "peer cannot reach the VF"

# value SERIES: the sample value of SERIES (its exact name and labels).
value() { grep -F "$1 " "$WORK/metrics" | head -n 1 | awk '{print $NF}'; }

step "plumb metrics | promtool check metrics"
"$PLUMB" metrics "$WORK/seed.yaml" >"$WORK/metrics" 2>"$WORK/err" || { cat "$WORK/err"; fail "plumb metrics exited $?"; }
promtool check metrics <"$WORK/metrics" || { cat "$WORK/metrics"; fail "promtool rejects the output"; }
ok "promtool accepts $(grep -vc '^#' "$WORK/metrics") samples"
[ "$(value 'plumb_verify_ok{manifest="seed"}')" = 1 ] || fail "verify_ok is not 1"
[ "$(value 'plumb_verify_check_ok{manifest="seed",container="c1",interface="eth1",check="probe"}')" = 1 ] || fail "c1 eth1 probe is not 1"
[ "$(value 'plumb_plan_steps{manifest="seed"}')" = 0 ] || fail "drift after apply"
n=$(grep -c "^plumb_vf_receive_packets_total{manifest=\"seed\",pf=\"$PF\",vf=" "$WORK/metrics")
[ "$n" = 7 ] || fail "$n VFs with plumb_vf_receive_packets_total, expected 7"
[ -n "$(value "plumb_vf_receive_dropped_total{manifest=\"seed\",pf=\"$PF\",vf=\"0\"}")" ] || fail "no VF dropped counter"
rx=$(value 'plumb_interface_receive_packets_total{manifest="seed",container="c1",interface="eth1"}')
[ "${rx:-0}" -ge 3 ] || fail "c1 eth1 received $rx packets, the peer sent 3 pings"
ok "7 VFs' counters; c1 eth1 rx $rx packets"

step "c1's eth1 down: the probe fails in the metrics"
ip -n c1 link set eth1 down
"$PLUMB" metrics "$WORK/seed.yaml" >"$WORK/metrics" 2>"$WORK/err" || { cat "$WORK/err"; fail "plumb metrics exited $?"; }
promtool check metrics <"$WORK/metrics" || fail "promtool rejects the output"
[ "$(value 'plumb_verify_check_ok{manifest="seed",container="c1",interface="eth1",check="probe"}')" = 0 ] || fail "c1 eth1 probe is not 0"
[ "$(value 'plumb_verify_ok{manifest="seed"}')" = 0 ] || fail "verify_ok is not 0"
ok "probe 0, verify_ok 0"

step "destroy"
expect 0 "$PLUMB" destroy "$WORK/seed.yaml"
