#!/bin/bash
# Issue 3, must-shows 3 and 4: a VF count change through 0 is refused without
# --allow-disruptive and the plan says why; a VF index beyond sriov_totalvfs, a
# PF that does not exist and a PF without SR-IOV are clear errors, before any change.
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap '"$PLUMB" destroy "$WORK/two.yaml" >/dev/null 2>&1; echo 0 > $DEV/sriov_numvfs; rm -rf "$WORK"' EXIT
ip link set "$PF" up
printf 'version: 1\nname: two\nnics: [{name: %s, sriov: {numVFs: 2}}]\n' "$PF" >"$WORK/two.yaml"
printf 'version: 1\nname: two\nnics: [{name: %s, sriov: {numVFs: 4}}]\n' "$PF" >"$WORK/four.yaml"
step "2 VFs"
expect 0 "$PLUMB" apply "$WORK/two.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 2 ] || fail "not 2 VFs"
step "2 → 4 without --allow-disruptive: refused, saying why"
expect 1 "$PLUMB" plan "$WORK/four.yaml"
grep -q "destroys the 2 live VFs" "$WORK/out" || fail "the refusal does not say it destroys the live VFs"
grep -q "allow-disruptive" "$WORK/out" || fail "the refusal does not name --allow-disruptive"
expect 1 "$PLUMB" apply "$WORK/four.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 2 ] || fail "a refused apply changed sriov_numvfs"
step "with --allow-disruptive: the plan passes through 0"
expect 0 "$PLUMB" plan --allow-disruptive "$WORK/four.yaml"
grep -q "echo 0 > /sys/class/net/$PF/device/sriov_numvfs" "$WORK/out" || fail "plan does not show the write of 0"
expect 0 "$PLUMB" apply --allow-disruptive "$WORK/four.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 4 ] || fail "not 4 VFs"
expect 0 "$PLUMB" destroy "$WORK/four.yaml"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "destroy did not restore 0 VFs"

step "errors before any change"
printf 'version: 1\nnics: [{name: %s, sriov: {numVFs: 7}}]\ncontainers: [{name: c9, netns: c9, interfaces: [{name: eth1, vf: {nic: %s, index: 9}}]}]\n' "$PF" "$PF" >"$WORK/idx.yaml"
expect 1 "$PLUMB" apply "$WORK/idx.yaml"
grep -q "beyond" "$WORK/out" || fail "no 'beyond' error for VF index 9"
printf 'version: 1\nnics: [{name: eth9, sriov: {numVFs: 2}}]\n' >"$WORK/nopf.yaml"
expect 1 "$PLUMB" apply "$WORK/nopf.yaml"
grep -q "eth9" "$WORK/out" || fail "the error does not name eth9"
printf 'version: 1\nnics: [{name: %s, sriov: {numVFs: 2}}]\n' "$PEER" >"$WORK/nosriov.yaml"
expect 1 "$PLUMB" apply "$WORK/nosriov.yaml"
grep -q "has no SR-IOV" "$WORK/out" || fail "no 'has no SR-IOV' error for $PEER"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "an invalid manifest changed sriov_numvfs"
ip netns list | grep -qw c9 && fail "an invalid manifest created netns c9"
ok "all refused before any change"
