#!/bin/bash
# Issue 3, must-show 1: the seed's recipe as one manifest, through plumb —
# 7 VFs on the igb PF, VF 0 VLAN 12, VF 0 into container c1 as eth1 with
# 10.217.121.107/21 and default via 10.217.120.1. A VLAN-12 peer on the other
# NIC reaches it; verify passes with the probe; re-apply plans nothing; destroy
# returns the VF to the host with VLAN 0 and its original MAC.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'peer_down; "$PLUMB" destroy "$WORK/seed.yaml" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
# The example manifest itself, with the PF's name as the lab found it.
sed -e "s/^  - name: eth1 /  - name: $PF /" -e "s/vf: {nic: eth1,/vf: {nic: $PF,/" \
  "$LAB_REPO/manifests/sriov-igb.yaml" >"$WORK/seed.yaml"
grep -q "name: $PF " "$WORK/seed.yaml" || fail "could not point manifests/sriov-igb.yaml at $PF"
ip link set "$PF" up
before=$(vf_line 0 2>/dev/null)
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is not 0 at start"
peer_up 12 10.217.120.1/21

step "plan"
expect 0 "$PLUMB" plan "$WORK/seed.yaml"
step "apply (verifies, with the probe through the VF)"
expect 0 "$PLUMB" apply "$WORK/seed.yaml"
grep -q "PASS  eth1 probe" "$WORK/out" || fail "no passing probe on eth1"
[ "$(cat $DEV/sriov_numvfs)" = 7 ] || fail "sriov_numvfs is not 7"
vf_line 0 | grep -q "vlan 12" || fail "ip link show $PF does not show vf 0 vlan 12: $(vf_line 0)"
vf_line 0 | grep -q "02:00:00:00:00:10" || fail "vf 0 does not carry its MAC: $(vf_line 0)"
ok "$(vf_line 0 | sed 's/^ *//')"
ip -n c1 -br addr show eth1 | grep -q 10.217.121.107/21 || fail "c1 has no eth1 10.217.121.107/21"
ip -n c1 route show default | grep -q "via 10.217.120.1 dev eth1" || fail "c1 has no default route via 10.217.120.1"

step "the VLAN-12 peer reaches 10.217.121.107"
ip netns exec peer ping -c 3 -W 2 10.217.121.107 >"$WORK/ping" 2>&1 || { cat "$WORK/ping"; fail "peer cannot reach the VF"; }
ok "$(grep -E 'packets transmitted' "$WORK/ping")"

step "verify, re-plan"
expect 0 "$PLUMB" verify "$WORK/seed.yaml"
expect 0 "$PLUMB" plan --detailed-exitcode "$WORK/seed.yaml"
grep -q "No changes" "$WORK/out" || fail "re-plan is not empty"

step "destroy"
expect 0 "$PLUMB" destroy "$WORK/seed.yaml"
ip netns list | grep -qw c1 && fail "netns c1 still exists"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is $(cat $DEV/sriov_numvfs), not back to 0"
ok "sriov_numvfs back to 0 (plumb raised it)"
[ -z "$(ls /run/plumb/*.json 2>/dev/null)" ] || fail "record left in /run/plumb: $(ls /run/plumb)"
ok "destroy left nothing"
