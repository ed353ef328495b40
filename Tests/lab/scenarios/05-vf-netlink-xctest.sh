#!/bin/bash
# PF-side VF settings through Plumb's netlink code on the real igb driver: runs the
# VFLabTests suite of the host-built test binary (PlumbNetlinkTests, gated by
# PLUMB_LAB_PF) in the guest. Build it first: `swift build --build-tests`
# (any scratch dir under the repo: the newest .build*/debug/PlumbPackageTests.xctest runs).
# Proves: sriov_numvfs + VF netdevs via sysfs, EBUSY on 2 → 3, vlan/qos, mac, spoofchk,
# trust and max_tx_rate set and read back (also via `ip -j link`), and igb's refusals
# (link state: EOPNOTSUPP, 802.1ad: EPROTONOSUPPORT, a VF beyond numvfs: EINVAL).
set -u
. "$(dirname "$0")/../scenario-lib.sh"
trap 'rm -rf "$WORK"' EXIT

bin=$(ls -t "$LAB_REPO"/.build*/debug/PlumbPackageTests.xctest 2>/dev/null | head -n 1)
[ -n "$bin" ] || fail "no $LAB_REPO/.build*/debug/PlumbPackageTests.xctest: run 'swift build --build-tests' first"
echo "test binary: $bin ($(date -r "$bin" '+%F %T'))"

ip link set "$LAB_PF" up
log=$LAB_OUT/xctest.log
PLUMB_LAB_PF=$LAB_PF "$bin" --testing-library swift-testing --filter VFLabTests 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' | tee "$log"
rc=${PIPESTATUS[0]}
step "the test binary exits 0"
expect 0 test "$rc" = 0
# It must have run, not skipped: the suite reports itself passed, with every test of it.
step "the VFLabTests suite ran and passed"
expect 0 grep -q 'Suite "VF netlink on real igb (lab)" passed' "$log"
declared=$(grep -c '@Test' "$LAB_REPO/Tests/PlumbNetlinkTests/VFLabTests.swift")
passed=$(grep -c '✔ Test' "$log")
step "every test it declares passed ($passed of $declared)"
expect 0 test "$passed" -ge "$declared"
ok "all $declared VFLabTests ran and passed"
