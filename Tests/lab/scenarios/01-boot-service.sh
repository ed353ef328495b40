#!/bin/bash
# Issue 13, must-show 1 (VFs at boot): the boot command of systemd/plumb.service, taken
# from the unit file itself (so this proves the command that ships), run in the freshly
# booted guest (sriov_numvfs 0, as after a reboot) with /etc/plumb holding the SR-IOV
# manifest, recreates the VFs with their settings: count, VLAN, MAC, spoof check, trust (as
# `ip link show` reports them), and VF 0 in its container, reached by a VLAN-12 peer.
#
# The PF starts down, as at boot (nothing has configured it yet): igb gives VFs made while
# their PF is down no link ("The VF VLAN has been set, but the PF device is not up"), so
# Plumb brings it up first (`ip link set dev PF up`, a step of the plan) and verify passes;
# destroy takes it down again, as it found it.
#
# The guest's / is the host's, read-only; /etc/plumb cannot be made in it. So the scenario
# runs in a mount namespace of its own with a tmpfs /etc made of symlinks to every entry of
# the real /etc, plus /etc/plumb. Everything that needs the namespaces plumb mounts
# (/run/netns/c1) happens inside it, destroy included.
set -u
if [ -z "${LAB_PRIVATE_ETC:-}" ]; then
  exec unshare --mount --propagation private env LAB_PRIVATE_ETC=1 /bin/bash "$0" "$@"
fi
. "$(dirname "$0")/../scenario-lib.sh"
# The bind of the real /etc is unmounted before $WORK is removed (rm must not walk into it).
pf_flags=$(ip -o link show "$PF")
trap 'peer_down; "$PLUMB" destroy /etc/plumb >/dev/null 2>&1; case $pf_flags in *"<"*UP*">"*) ip link set "$PF" up ;; *) ip link set "$PF" down ;; esac; umount /etc "$WORK/real-etc" 2>/dev/null; rm -rf --one-file-system "$WORK"' EXIT

step "/etc/plumb (private /etc: the real entries, plus plumb/)"
mkdir "$WORK/real-etc"
mount --bind /etc "$WORK/real-etc"
mount -t tmpfs -o mode=0755 etc /etc
shopt -s nullglob dotglob
ln -s "$WORK"/real-etc/* /etc/ || fail "cannot link /etc's entries"
# A symlink among them (mtab → ../proc/self/mounts) is copied as itself: relative, it must stay in /etc.
for e in $(find "$WORK/real-etc" -maxdepth 1 -type l); do cp -P --remove-destination "$e" /etc/; done
shopt -u nullglob dotglob
mkdir /etc/plumb
# The example manifest with the PF as the lab found it, and a second VF with trust on.
sed -e "s/^  - name: eth1 /  - name: $PF /" -e "s/vf: {nic: eth1,/vf: {nic: $PF,/" \
  -e '/- {index: 0, vlan: 12,/a\        - {index: 1, vlan: 13, mac: "02:00:00:00:00:11", trust: true}' \
  "$LAB_REPO/manifests/sriov-igb.yaml" >/etc/plumb/sriov.yaml
grep -q "name: $PF " /etc/plumb/sriov.yaml && grep -q "index: 1, vlan: 13" /etc/plumb/sriov.yaml ||
  fail "could not adapt manifests/sriov-igb.yaml: $(cat /etc/plumb/sriov.yaml)"
ok "$(ls /etc | wc -l) entries in /etc; /etc/plumb/sriov.yaml"

step "the unit's ExecStart"
unit="$LAB_REPO/systemd/plumb.service"
[ "$(grep -c '^ExecStart=' "$unit")" = 1 ] || fail "$unit does not have exactly one ExecStart="
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
read -r -a argv <<<"$exec_start"
[ "${argv[0]}" = /usr/sbin/plumb ] || fail "ExecStart runs ${argv[0]}, not /usr/sbin/plumb"
argv[0]=$PLUMB   # what install-service.sh does: the binary's path, nothing else
ok "ExecStart=$exec_start"
echo "    runs: ${argv[*]}"

check_vfs() {
  [ "$(cat $DEV/sriov_numvfs)" = 7 ] || fail "sriov_numvfs is $(cat $DEV/sriov_numvfs), not 7"
  ok "sriov_numvfs 7"
  local v0 v1
  v0=$(vf_line 0) v1=$(vf_line 1)
  echo "$v0" | grep -q "link/ether 02:00:00:00:00:10" || fail "vf 0 MAC: $v0"
  echo "$v0" | grep -q "vlan 12," || fail "vf 0 VLAN: $v0"
  echo "$v0" | grep -q "spoof checking on" || fail "vf 0 spoof checking: $v0"
  echo "$v1" | grep -q "link/ether 02:00:00:00:00:11" || fail "vf 1 MAC: $v1"
  echo "$v1" | grep -q "vlan 13," || fail "vf 1 VLAN: $v1"
  echo "$v1" | grep -q "trust on" || fail "vf 1 trust: $v1"
  ok "$(echo "$v0" | sed 's/^ *//')"
  ok "$(echo "$v1" | sed 's/^ *//')"
  ip -n c1 -br addr show eth1 | grep -q 10.217.121.107/21 || fail "c1 has no eth1 10.217.121.107/21"
  ip -n c1 route show default | grep -q "via 10.217.120.1 dev eth1" || fail "c1 has no default route via 10.217.120.1"
  ok "VF 0 is eth1 in c1 with 10.217.121.107/21, default via 10.217.120.1"
}

pf_admin() { case $(ip -o link show "$PF") in *"<"*UP*">"*) echo up ;; *) echo down ;; esac; }

step "as at boot: sriov_numvfs $(cat $DEV/sriov_numvfs); PF $PF down; a VLAN-12 gateway on the peer"
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is not 0 at start"
ip link set "$PF" down
[ "$(pf_admin)" = down ] || fail "$PF did not go down"
ok "$(ip -br link show "$PF")"
peer_up 12 10.217.120.1/21
expect 0 "${argv[@]}"
grep -q "^== /etc/plumb/sriov.yaml" "$WORK/out" || fail "the output does not name /etc/plumb/sriov.yaml"
grep -q "ip link set dev $PF up" "$WORK/out" || fail "the plan did not bring $PF up"
grep -q "PASS  eth1 pf-up" "$WORK/out" || fail "no passing pf-up check for VF 0's PF"
grep -q "PASS  eth1 link-up" "$WORK/out" || fail "VF 0 (eth1 in c1) has no link"
grep -q "PASS  eth1 probe" "$WORK/out" || fail "no passing probe on eth1 through VF 0"
[ "$(pf_admin)" = up ] || fail "$PF is not up after the boot command"
ok "$PF is up: $(ip -br link show "$PF")"
check_vfs

step "destroy /etc/plumb: back to no VFs, the PF down as Plumb found it"
expect 0 "$PLUMB" destroy /etc/plumb
[ "$(cat $DEV/sriov_numvfs)" = 0 ] || fail "sriov_numvfs is $(cat $DEV/sriov_numvfs) after destroy"
ok "sriov_numvfs back to 0"
grep -q "ip link set dev $PF down" "$WORK/out" || fail "destroy did not take $PF down"
[ "$(pf_admin)" = down ] || fail "$PF is still up after destroy: $(ip -br link show "$PF")"
ok "$PF is down again: $(ip -br link show "$PF")"
